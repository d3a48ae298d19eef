//! Never off the air: every file in `tests/fixtures/malformed/` (third-party crashers and
//! regression files, plus our own damage of the good fixtures; see its README) is imported
//! through the service layer `segment add` uses, played through the real player, and handed
//! to the real binary. Whatever a file holds, import refuses it with a message naming it or
//! accepts it, play completes it or ends it `Failed` with a reason followed by `Finished`, a
//! good file after it in the same program plays in full, and nothing panics.
//!
//! The folder is enumerated: a file dropped into it is tried too. Run with `--nocapture` for
//! the per-file verdicts and the summary.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use loaxa::audio::FileDecoder;
use loaxa::library::measure;
use loaxa::model::OutputSpec;
use loaxa::player::{ItemEnd, OutputFormat, Player, PlayerEvent};
use loaxa::service::AddOutcome;
use station::TestStation;

/// Files in the folder that are not fixtures.
const NOT_FIXTURES: [&str; 2] = ["README.md", "damage.py"];

/// The good file played after each bad one.
const GOOD: &str = "noise-44k1-stereo.ogg";

/// Panics that escaped to the default hook (a caught decoder panic does not: the decoder
/// reports it as an error, counted apart from its message).
static ESCAPED_PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            ESCAPED_PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
        // Let loaxa's decoder guard install its hook on top of this one now, before any
        // test decodes: panics it does not catch still reach the counter.
        let _ = FileDecoder::open(Path::new("/nonexistent/warm-up.wav"));
    });
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn malformed_files() -> Vec<PathBuf> {
    let dir = fixtures_dir().join("malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            p.is_file() && !name.is_some_and(|n| NOT_FIXTURES.contains(&n.as_str()))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "{} holds no fixtures: the robustness set is missing",
        dir.display()
    );
    files
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn empty_station() -> TestStation {
    TestStation::new(
        "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    )
}

/// What import said about a file: its measured duration, or the refusal text.
type Verdict = Result<u64, String>;

/// How the bad item's play ended, and how long it played.
#[derive(Debug)]
enum Played {
    Completed(Duration),
    Failed(String),
}

/// Plays `[bad, good]` on `player` and checks the event protocol; returns the bad item's end.
async fn play_then_good(
    player: &mut Player,
    bad: &Path,
    good: &Path,
    good_len: Duration,
) -> Played {
    let name = name_of(bad);
    let mut run = player
        .start(vec![bad.to_path_buf(), good.to_path_buf()])
        .expect("null output starts");
    let mut events = Vec::new();
    while let Some(e) = run.next_event().await {
        events.push(e);
    }
    assert_eq!(
        events.last(),
        Some(&PlayerEvent::Finished),
        "{name}: the program ends with Finished: {events:?}"
    );
    let finished = events
        .iter()
        .filter(|e| **e == PlayerEvent::Finished)
        .count();
    assert_eq!(finished, 1, "{name}: one Finished: {events:?}");
    let of = |i: usize| -> Vec<&PlayerEvent> {
        events
            .iter()
            .filter(|e| match e {
                PlayerEvent::Started { index, .. } | PlayerEvent::Ended { index, .. } => {
                    *index == i
                }
                _ => false,
            })
            .collect()
    };
    // The good file after it plays fully, whatever the bad one did.
    assert!(
        matches!(
            of(1).as_slice(),
            [
                PlayerEvent::Started { index: 1, .. },
                PlayerEvent::Ended {
                    index: 1,
                    played,
                    end: ItemEnd::Completed,
                    levels: Some(_),
                }
            ] if *played == good_len
        ),
        "{name}: the good file after it must play in full: {events:?}"
    );
    let bad_events = of(0);
    let (played, end) = match bad_events.as_slice() {
        [
            PlayerEvent::Started { .. },
            PlayerEvent::Ended { played, end, .. },
        ]
        | [PlayerEvent::Ended { played, end, .. }] => (*played, end.clone()),
        other => panic!("{name}: expected [Started] Ended for the item, got {other:?}"),
    };
    match end {
        ItemEnd::Completed => {
            assert!(
                matches!(bad_events[0], PlayerEvent::Started { .. }),
                "{name}: a completed item started"
            );
            Played::Completed(played)
        }
        ItemEnd::Failed(reason) => {
            assert!(
                reason.contains(&name),
                "{name}: the failure reason names the file: {reason}"
            );
            Played::Failed(reason)
        }
        ItemEnd::Cut => panic!("{name}: nothing cut the program, yet the item ended Cut"),
        ItemEnd::EndedEarly { played, measured } => {
            panic!("{name}: ended early ({played:?} of {measured:?}) though no measure was given")
        }
    }
}

fn decoded_len(path: &Path) -> Duration {
    let mut dec = FileDecoder::open(path).expect("the good fixture decodes");
    let (rate, channels) = (dec.info().sample_rate, u64::from(dec.info().channels));
    let mut samples = 0u64;
    while let Some(block) = dec.next_block().expect("the good fixture decodes cleanly") {
        samples += block.len() as u64;
    }
    Duration::from_nanos(samples / channels * 1_000_000_000 / u64::from(rate))
}

#[tokio::test(start_paused = true)]
async fn every_malformed_file_is_refused_or_accepted_and_never_stops_the_player() {
    count_panics();
    let files = malformed_files();
    let t = empty_station();
    let station = t.station();
    let meta = t.meta("thử");

    // Import, as `segment add` does it.
    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut added = 0usize;
    for file in &files {
        let name = name_of(file);
        let mut results = station
            .add_segments(std::slice::from_ref(file), &meta)
            .expect("valid meta");
        assert_eq!(results.len(), 1);
        let verdict = match results.remove(0) {
            Ok(AddOutcome::Added(seg)) => {
                added += 1;
                Ok(seg.duration_ms)
            }
            Ok(AddOutcome::AlreadyPresent(seg)) => Ok(seg.duration_ms),
            Err(e) => {
                let text = format!("{e:#}");
                assert!(text.contains(&name), "the refusal names {name}: {text}");
                Err(text)
            }
        };
        verdicts.insert(name, verdict);
    }
    let stored = station.segments(None).expect("list segments").len();
    assert_eq!(stored, added, "a refused file leaves no segment");
    let media = std::fs::read_dir(t.path("data/media"))
        .expect("media folder")
        .count();
    assert_eq!(media, added, "a refused file leaves no media file");

    // Play each one, then a good file, in the same program, on one player.
    let good = fixtures_dir().join(GOOD);
    let good_len = decoded_len(&good);
    let mut player = Player::new(OutputSpec::Null, OutputFormat::default()).expect("null");
    let (mut completed, mut failed, mut crashes_caught) = (0usize, 0usize, 0usize);
    for file in &files {
        let name = name_of(file);
        let played = play_then_good(&mut player, file, &good, good_len).await;
        let verdict = &verdicts[&name];
        if let Ok(ms) = verdict {
            // Import and playout use one decoder: what import accepted airs to its end,
            // for the length import measured.
            let Played::Completed(len) = &played else {
                panic!("{name}: accepted at import ({ms} ms) but failed at play: {played:?}");
            };
            let len_ms = len.as_millis() as u64;
            assert!(
                len_ms.abs_diff(*ms) <= 1,
                "{name}: import measured {ms} ms, play lasted {len_ms} ms"
            );
        }
        let crashed = |text: &str| text.contains("decoder crashed");
        if verdict.as_ref().err().is_some_and(|t| crashed(t))
            || matches!(&played, Played::Failed(r) if crashed(r))
        {
            crashes_caught += 1;
        }
        match &played {
            Played::Completed(_) => completed += 1,
            Played::Failed(_) => failed += 1,
        }
        let import = match verdict {
            Ok(ms) => format!("accepted ({ms} ms)"),
            Err(text) => format!(
                "refused: {}",
                text.replace(&file.display().to_string(), "FILE")
            ),
        };
        let play = match &played {
            Played::Completed(len) => format!("played {} ms", len.as_millis()),
            Played::Failed(reason) => {
                format!(
                    "failed: {}",
                    reason.replace(&file.display().to_string(), "FILE")
                )
            }
        };
        println!("{name}\n    import: {import}\n    play:   {play}");
    }
    let refused = verdicts.values().filter(|v| v.is_err()).count();
    println!(
        "robustness summary: {} files tried; import: {} refused, {} accepted; play: {} completed, {} failed at play (each followed by a good file that played in full); decoder panics caught: {}; panics escaped: {}",
        files.len(),
        refused,
        files.len() - refused,
        completed,
        failed,
        crashes_caught,
        ESCAPED_PANICS.load(Ordering::SeqCst)
    );
    assert_eq!(
        ESCAPED_PANICS.load(Ordering::SeqCst),
        0,
        "a panic escaped the decoder guard"
    );
}

#[test]
fn the_binary_never_panics_on_a_malformed_file() {
    count_panics();
    let t = empty_station();
    let files = malformed_files();
    let mut refused = 0;
    for file in &files {
        let name = name_of(file);
        let out = bin::loaxa(
            &t.config_path(),
            &["segment", "add", &file.to_string_lossy(), "--topic", "cds"],
        );
        let stderr = bin::text(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "{name}: loaxa panicked:\n{stderr}"
        );
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{name}: exit code {code:?} (0 = added, 1 = refused):\n{stderr}"
        );
        // Same verdict as the library's import check.
        assert_eq!(
            code == Some(0),
            measure(file).is_ok(),
            "{name}: the binary and the import check disagree:\n{stderr}"
        );
        if code == Some(1) {
            refused += 1;
            assert!(
                stderr.contains(&name),
                "{name}: the error names the file:\n{stderr}"
            );
        }
    }
    println!(
        "binary summary: `loaxa segment add` run on {} files: {} refused (exit 1), {} added (exit 0), no panic",
        files.len(),
        refused,
        files.len() - refused
    );
}

/// `segment add` of many files checks them side by side on the machine's cores: each file
/// gets exactly the verdict it gets alone, in the order given, ids follow that order, and
/// a file given twice is the duplicate the second time.
#[test]
fn a_batch_import_gives_each_file_its_own_verdict_in_order() {
    let good = ["noise-44k1-stereo.mp3", "noise-22k05-mono.flac", GOOD]
        .map(|name| fixtures_dir().join(name));
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, bad) in malformed_files().into_iter().enumerate() {
        files.push(bad);
        if i % 20 == 0 {
            files.push(good[i / 20 % good.len()].clone());
        }
    }
    files.push(good[0].clone()); // again: the duplicate

    let verdict = |result: &anyhow::Result<AddOutcome>| match result {
        Ok(AddOutcome::Added(seg)) => Ok(("added", seg.duration_ms, seg.sha256.clone())),
        Ok(AddOutcome::AlreadyPresent(seg)) => Ok(("present", seg.duration_ms, seg.sha256.clone())),
        Err(e) => Err(format!("{e:#}")),
    };
    // One by one, as the first import of each file.
    let alone: Vec<_> = files
        .iter()
        .map(|file| {
            let t = empty_station();
            let meta = t.meta("thử");
            let mut results = t
                .station()
                .add_segments(std::slice::from_ref(file), &meta)
                .expect("valid meta");
            verdict(&results.remove(0))
        })
        .collect();

    let t = empty_station();
    let meta = t.meta("thử");
    let station = t.station();
    let batch = station.add_segments(&files, &meta).expect("valid meta");
    assert_eq!(batch.len(), files.len());
    let mut last_id = 0;
    for (i, (result, alone)) in batch.iter().zip(&alone).enumerate() {
        let name = name_of(&files[i]);
        let got = verdict(result);
        if i == files.len() - 1 {
            let Ok(("present", ms, sha)) = &got else {
                panic!("{name} given twice: {got:?}");
            };
            assert_eq!(Ok(("added", *ms, sha.clone())), *alone, "{name}");
            continue;
        }
        assert_eq!(
            &got, alone,
            "{name}: batch verdict against its verdict alone"
        );
        if let Ok(AddOutcome::Added(seg)) = result {
            assert!(
                seg.id.0 > last_id,
                "{name}: ids follow the order of the files"
            );
            last_id = seg.id.0;
        }
    }
    let added = batch
        .iter()
        .filter(|r| matches!(r, Ok(AddOutcome::Added(_))))
        .count();
    assert!(added >= good.len(), "the good files went in: {added}");
    assert_eq!(station.segments(None).expect("list").len(), added);
    println!(
        "{} files in one batch on {} threads: {added} added, {} refused",
        files.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        batch.iter().filter(|r| r.is_err()).count()
    );
}
