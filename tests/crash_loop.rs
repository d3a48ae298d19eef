//! Power cuts, fifty times over: the real `loaxa run` binary plays a program every 5 s
//! through rodio → cpal → alsa-lib into a real-time paced capture device, and is killed with
//! SIGKILL at random (seeded, reproducible) moments, then started again — sometimes at once,
//! sometimes after fire times have passed. After every kill the store must open and its
//! hash chain verify; at the end, after a clean stop:
//!
//! - no record ever seen closed has changed or gone (a closed record is final);
//! - every fire time while the test ran is accounted for exactly once: one `missed` record,
//!   or one record for each of the program's three items — never both, never twice;
//! - the chain verifies (`loaxa log verify`);
//! - the capture holds no double play: each item is a constant level, so every stretch of
//!   it in the captured streams is one play; there are never more stretches of an item
//!   longer than 0.3 s than plays of it that started (a kill within milliseconds of an
//!   item's first samples can leave a shorter stretch before its start record), and never
//!   fewer stretches than plays that completed.
//!
//! The totals are printed and written to `target/tmp/crash_loop.txt`.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bin::{loaxa, text};
use loaxa::clock::SystemClock;
use loaxa::model::{AsRunRecord, Outcome};
use loaxa::service::Station;
use process::Daemon;
use station::TestStation;
use wav::{Bits, write_wav};

const KILLS: usize = 50;
const SEED: u64 = 20_261_126;
/// Fire period of the program, seconds.
const PERIOD: i64 = 5;
const RATE: u32 = 44_100;
/// The three items: title and constant level.
const ITEMS: [(&str, f32); 3] = [("A", 0.25), ("B", 0.5), ("C", 0.75)];
/// A stretch of an item's level shorter than this is not counted as a play (a fade passing
/// through its level lasts a few milliseconds).
const MIN_RUN_FRAMES: usize = 2_205;
/// A play's start record is written as its first samples enter the device buffer, a few
/// milliseconds after them: a kill in between leaves a short stretch of audio without its
/// record. A stretch longer than this always has one.
const LONG_RUN_FRAMES: usize = 13_230;

const PROGRAM: &str =
    "[[program]]\nname = \"loop\"\ncron = \"*/5 * * * * *\"\nplaylists = [\"p\"]\n";
const PLAYLIST: &str = "topic = \"cds\"\n\
    [[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n\
    [[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n\
    [[item]]\nfile = \"../media/c.wav\"\ntitle = \"C\"\n";

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .expect("after 1970")
}

/// Still open: on air when the daemon was killed, not yet closed by a restart.
fn on_air(rec: &AsRunRecord) -> bool {
    rec.reason.as_deref() == Some(loaxa::asrun::ON_AIR)
}

fn open_records(config: &Path) -> Vec<AsRunRecord> {
    let config = loaxa::config::load(config).expect("config");
    // A child of the killed daemon (the ALSA pipe to the pacer) can outlive it for a moment;
    // the store must open once it is gone.
    let station = station::open_when_free(config, Arc::new(SystemClock));
    let report = station.store.verify_chain().expect("the chain can be read");
    assert!(report.intact(), "chain broken after a kill: {report:?}");
    station.store.records(None, None).expect("records readable")
}

/// Each item's level as it airs: its file's level at its playout gain (loudness
/// normalisation), in S16 steps.
fn aired_levels(config: &Path) -> Vec<i32> {
    let config = loaxa::config::load(config).expect("config");
    let levels = config.audio.levels();
    let station = Station::open(config, Arc::new(SystemClock)).expect("store");
    let segments = station.store.segments().expect("segments");
    ITEMS
        .iter()
        .map(|(title, l)| {
            let seg = segments
                .iter()
                .find(|s| s.title == *title)
                .unwrap_or_else(|| panic!("segment {title}"));
            let gain = loaxa::audio::playout_gain(&levels, &seg.level_input()).factor();
            (l * gain * 32767.0).round() as i32
        })
        .collect()
}

/// Stretches of each item's level in one captured stream (S16 stereo, left channel).
fn runs(path: &Path, levels: &[i32], counts: &mut [Vec<usize>; 3]) {
    let bytes = std::fs::read(path).expect("capture");
    // Normalisation can bring the levels close together: match within half the gap.
    let mut sorted = levels.to_vec();
    sorted.sort_unstable();
    let gap = sorted.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(600);
    assert!(gap >= 8, "aired levels {levels:?} cannot be told apart");
    let tol = (gap / 2 - 1).min(300);
    let mut current: Option<usize> = None;
    let mut length = 0;
    let mut close = |current: Option<usize>, length: usize| {
        if let Some(i) = current
            && length >= MIN_RUN_FRAMES
        {
            counts[i].push(length);
        }
    };
    for frame in bytes.chunks_exact(4) {
        let left = i32::from(i16::from_le_bytes([frame[0], frame[1]]));
        let level = levels.iter().position(|l| (left - l).abs() <= tol);
        if level == current {
            length += 1;
        } else {
            close(current, length);
            current = level;
            length = 1;
        }
    }
    close(current, length);
}

#[test]
fn fifty_kills_lose_no_record_and_play_nothing_twice() {
    let t = TestStation::new(
        PROGRAM,
        &[("p.toml", PLAYLIST)],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    for ((_, level), file) in ITEMS.iter().zip(["a", "b", "c"]) {
        let samples = vec![*level; 2 * RATE as usize];
        write_wav(
            &t.path(&format!("media/{file}.wav")),
            RATE,
            2,
            Bits::S16,
            &samples,
        );
    }
    t.set_output("device = \"alsa:cap_streams\"\nsample_rate = 44100\nchannels = 2");
    let cap = tempfile::tempdir().expect("capture dir");
    std::fs::create_dir_all(cap.path().join("streams")).expect("mkdir");
    let alsa = process::setup_alsa(
        cap.path(),
        include_str!("support/alsa/asound_streams.conf.in"),
        &[("pace.py", include_str!("support/alsa/pace.py"))],
    );

    // Loudness normalisation would air these constant levels alike (each is held by the
    // true-peak ceiling): offsets keep them apart. Imported first, so the playlist's files
    // are these segments (same content).
    for ((title, _), (file, offset)) in ITEMS.iter().zip([("a", "-20"), ("b", "-14"), ("c", "-11")])
    {
        let path = t.path(&format!("media/{file}.wav")).display().to_string();
        let add = loaxa(
            &t.config_path(),
            &["segment", "add", &path, "--topic", "cds", "--title", title],
        );
        assert!(add.status.success(), "{}", text(&add.stderr));
        let id = text(&add.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let edit = loaxa(
            &t.config_path(),
            &["segment", "edit", &id, "--gain-db", offset],
        );
        assert!(edit.status.success(), "{}", text(&edit.stderr));
    }

    let mut rng = fastrand::Rng::with_seed(SEED);
    let started = SystemTime::now();
    // Per record id: its hash once seen closed.
    let mut closed: BTreeMap<u64, String> = BTreeMap::new();
    let mut seen_on_air = 0;
    for _ in 0..KILLS {
        let mut daemon = Daemon::spawn(&t.config_path(), &alsa);
        std::thread::sleep(Duration::from_millis(rng.u64(300..4_500)));
        daemon.assert_running();
        daemon.kill();
        for rec in open_records(&t.config_path()) {
            if on_air(&rec) {
                seen_on_air += 1;
            } else if let Some(hash) = closed.get(&rec.id) {
                assert_eq!(hash, &rec.hash, "closed record {} changed", rec.id);
            } else {
                closed.insert(rec.id, rec.hash.clone());
            }
        }
        std::thread::sleep(Duration::from_millis(rng.u64(0..2_000)));
    }
    // A last run long enough for whole programs, then a clean stop.
    let mut daemon = Daemon::spawn(&t.config_path(), &alsa);
    std::thread::sleep(Duration::from_secs(9));
    daemon.stop();
    let stopped = SystemTime::now();

    let records = open_records(&t.config_path());
    let by_id: HashMap<u64, &AsRunRecord> = records.iter().map(|r| (r.id, r)).collect();
    for (id, hash) in &closed {
        let rec = by_id
            .get(id)
            .unwrap_or_else(|| panic!("closed record {id} lost"));
        assert_eq!(&rec.hash, hash, "closed record {id} changed");
    }
    // Plays a kill cut are closed (as interrupted) by the next start.
    let open: Vec<_> = records.iter().filter(|r| on_air(r)).collect();
    assert!(open.is_empty(), "plays left open: {open:#?}");

    // Every record belongs to a fire time, and each (fire, item) appears once.
    let mut per_fire: BTreeMap<i64, Vec<&AsRunRecord>> = BTreeMap::new();
    for rec in &records {
        let at = rec.scheduled_at.timestamp();
        assert_eq!(at % PERIOD, 0, "record {} is not for a fire time", rec.id);
        per_fire.entry(at).or_default().push(rec);
    }
    let titles: Vec<&str> = ITEMS.iter().map(|(t, _)| *t).collect();
    let (first, last) = (unix(started) + 2, unix(stopped) - 2);
    let mut fires = 0;
    let mut missed = 0;
    for at in (first..=last).filter(|at| at % PERIOD == 0) {
        fires += 1;
        let recs = per_fire.get(&at).map(Vec::as_slice).unwrap_or_default();
        let describe = || {
            recs.iter()
                .map(|r| format!("{} {} {:?}", r.title, r.outcome, r.reason))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if recs.len() == 1 && recs[0].outcome == Outcome::Missed {
            missed += 1;
            continue;
        }
        let mut got: Vec<&str> = recs.iter().map(|r| r.title.as_str()).collect();
        got.sort_unstable();
        assert_eq!(got, titles, "fire at {at}: {}", describe());
    }
    for (at, recs) in &per_fire {
        let mut keys: Vec<&str> = recs.iter().map(|r| r.title.as_str()).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "fire at {at} has a duplicate record");
    }

    let verify = loaxa(&t.config_path(), &["log", "verify"]);
    assert!(
        verify.status.success(),
        "{}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );

    // The capture: never more plays of an item than started, never fewer than completed.
    let mut heard: [Vec<usize>; 3] = Default::default();
    let mut streams = 0;
    let levels = aired_levels(&t.config_path());
    for entry in std::fs::read_dir(cap.path().join("streams")).expect("streams") {
        runs(&entry.expect("entry").path(), &levels, &mut heard);
        streams += 1;
    }
    let count = |title: &str, f: &dyn Fn(&AsRunRecord) -> bool| {
        records.iter().filter(|r| r.title == title && f(r)).count()
    };
    let mut summary = format!(
        "crash loop: {KILLS} SIGKILLs (seed {SEED}) + a clean stop; {} records checked; \
         {fires} fire times: {missed} missed; {seen_on_air} plays seen on air at a kill; \
         {streams} output streams captured\n",
        records.len()
    );
    let mut completed_total = 0;
    let mut interrupted_total = 0;
    for (i, (title, _)) in ITEMS.iter().enumerate() {
        let started = count(title, &|r| r.started_at.is_some());
        let completed = count(title, &|r| r.outcome == Outcome::Completed);
        let interrupted = count(title, &|r| r.outcome == Outcome::Interrupted);
        completed_total += completed;
        interrupted_total += interrupted;
        let heard_any = heard[i].len();
        let heard_long = heard[i].iter().filter(|n| **n >= LONG_RUN_FRAMES).count();
        summary += &format!(
            "  item {title}: {started} started, {completed} completed, {interrupted} \
             interrupted; heard {heard_any} times in the capture ({heard_long} over 0.3 s)\n"
        );
        assert!(
            heard_long <= started,
            "{title} heard {heard_long} times (over 0.3 s) but started {started} times: a double play"
        );
        assert!(
            heard_any >= completed,
            "{title} completed {completed} times but heard {heard_any} times"
        );
    }
    print!("{summary}");
    let _ = std::fs::create_dir_all(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash_loop.txt"),
        &summary,
    );
    // The run must have exercised what it claims to.
    assert!(completed_total >= 10, "{summary}");
    assert!(interrupted_total >= 5, "{summary}");
    assert!(missed >= 3, "{summary}");
}
