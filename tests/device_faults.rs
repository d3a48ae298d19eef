//! Sound-card faults never take the station off the air for longer than needed: the real
//! daemon on a simulated clock, airing through an output that fails on command
//! (`FaultSwitch`: opens fail, writes fail mid-stream, the output stalls, it comes back).
//! The player reopens every kind of output through the same retry path, so this is what
//! happens when the sound card vanishes and returns. Times are simulated, hence exact; the
//! printed numbers are the ones quoted in the README.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use loaxa::model::{AsRunRecord, Outcome, OutputSpec};
use loaxa::player::{FaultSwitch, OutputFormat, Player};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]

[[program]]
name = "chieu"
cron = "30 6 * * *"
playlists = ["p"]
"#;

const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n[[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n",
)];

const WARNING: &str = "the sound output is unavailable";

/// The station with items A and B of `secs` each, on a null output that fails on command.
fn start(secs: f64) -> (TestStation, Running, FaultSwitch) {
    let t = TestStation::new(PROGRAMS, PLAYLIST, local(2026, 5, 4, 5, 59, 0));
    t.noise_file("media/a.wav", secs);
    t.noise_file("media/b.wav", secs);
    let switch = FaultSwitch::new();
    let player = Player::with_faults(OutputSpec::Null, OutputFormat::default(), switch.clone())
        .expect("null output");
    let d = Running::start_with_player(t.station(), player);
    (t, d, switch)
}

fn at6(min: u32, sec: u32) -> DateTime<FixedOffset> {
    local(2026, 5, 4, 6, min, sec)
}

fn summary(records: &[AsRunRecord], program: &str) -> Vec<(String, Outcome)> {
    records
        .iter()
        .filter(|r| r.program == program)
        .map(|r| (r.title.clone(), r.outcome))
        .collect()
}

fn record<'a>(records: &'a [AsRunRecord], program: &str, title: &str) -> &'a AsRunRecord {
    records
        .iter()
        .find(|r| r.program == program && r.title == title)
        .unwrap_or_else(|| panic!("no record of {program}/{title}: {records:#?}"))
}

fn after(t: Option<DateTime<FixedOffset>>, since: DateTime<FixedOffset>) -> Duration {
    (t.expect("a time") - since)
        .to_std()
        .expect("after the reference time")
}

fn warned(d: &Running) -> bool {
    d.handle
        .status()
        .warnings
        .iter()
        .any(|w| matches!(w, loaxa::model::Warning::OutputUnavailable { .. }))
}

#[tokio::test(start_paused = true)]
async fn a_card_missing_at_the_start_of_a_program_airs_it_late_once_it_returns() {
    let (_t, d, switch) = start(10.0);
    switch.fail_opens(true);
    d.until(at6(0, 3)).await;
    assert!(warned(&d), "the operator sees it: {:?}", d.handle.status());
    assert!(d.handle.status().on_air.is_none());
    let back = at6(0, 7);
    d.until(back).await;
    switch.plug_in();
    d.until(at6(0, 12)).await;
    assert!(!warned(&d), "warning gone once back");
    assert_eq!(d.handle.status().on_air.expect("on air").title, "A");
    d.until(at6(1, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records, "sang"),
        [
            ("A".into(), Outcome::Completed),
            ("B".into(), Outcome::Completed)
        ]
    );
    let recovery = after(record(&records, "sang", "A").started_at, back);
    println!(
        "airing resumed {} ms after the card returned",
        recovery.as_millis()
    );
    assert!(recovery <= Duration::from_secs(5), "{recovery:?}");
}

#[tokio::test(start_paused = true)]
async fn a_card_lost_mid_item_fails_that_item_and_the_rest_airs_after_it_returns() {
    let (_t, d, switch) = start(10.0);
    d.until(at6(0, 3)).await;
    switch.unplug();
    d.until(at6(0, 5)).await;
    assert!(warned(&d));
    let back = at6(0, 8);
    d.until(back).await;
    switch.plug_in();
    d.until(at6(1, 0)).await;
    assert!(!warned(&d));
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records, "sang"),
        [
            ("A".into(), Outcome::Failed),
            ("B".into(), Outcome::Completed)
        ],
        "the failed item is recorded once and not aired again"
    );
    let a = record(&records, "sang", "A");
    let reason = a.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("`null`") && reason.contains("not available"),
        "names the output and its error: {reason}"
    );
    assert!((2_900..=3_200).contains(&a.played_ms), "{}", a.played_ms);
    let recovery = after(record(&records, "sang", "B").started_at, back);
    println!(
        "airing resumed {} ms after the card returned",
        recovery.as_millis()
    );
    assert!(recovery <= Duration::from_secs(5), "{recovery:?}");
}

#[tokio::test(start_paused = true)]
async fn a_card_that_never_returns_fails_the_program_once_and_the_next_program_airs() {
    let (_t, d, switch) = start(10.0);
    switch.fail_opens(true);
    // The program would have ended at 06:00:20: the daemon waits for the card until then.
    d.until(at6(0, 19)).await;
    let attempts = switch.open_attempts();
    println!("open attempts during the 20 s the program should have aired: {attempts}");
    assert!((5..=15).contains(&attempts), "{attempts}");
    d.until(at6(0, 21)).await;
    let given_up = switch.open_attempts();
    assert!(given_up <= attempts + 1, "gave up at 06:00:20");
    d.until(at6(10, 0)).await;
    assert!(warned(&d), "still reported between programs");
    assert_eq!(switch.open_attempts(), given_up, "no attempt while idle");
    switch.plug_in();
    d.until(at6(31, 0)).await;
    assert!(!warned(&d), "the next program opened the card");
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records, "sang"),
        [("A".into(), Outcome::Failed), ("B".into(), Outcome::Failed)],
        "each item of the program once"
    );
    for r in records.iter().filter(|r| r.program == "sang") {
        let reason = r.reason.clone().unwrap_or_default();
        assert!(
            reason.contains(WARNING) && reason.contains("`null`"),
            "says the device was unavailable and names it: {reason}"
        );
        assert_eq!(r.played_ms, 0);
    }
    assert_eq!(
        summary(&records, "chieu"),
        [
            ("A".into(), Outcome::Completed),
            ("B".into(), Outcome::Completed)
        ]
    );
    assert_eq!(
        record(&records, "chieu", "A").started_at,
        Some(at6(30, 0)),
        "on time"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_card_is_detected_within_five_seconds_and_reopened() {
    let (_t, d, switch) = start(10.0);
    let stalled = at6(0, 3);
    d.until(stalled).await;
    switch.stall();
    d.until(at6(1, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records, "sang"),
        [
            ("A".into(), Outcome::Failed),
            ("B".into(), Outcome::Completed)
        ]
    );
    let a = record(&records, "sang", "A");
    assert!(
        a.reason
            .as_deref()
            .is_some_and(|r| r.contains("stopped taking audio")),
        "{:?}",
        a.reason
    );
    let detected = after(a.ended_at, stalled);
    println!(
        "stall detected {} ms after the card stopped",
        detected.as_millis()
    );
    assert!(detected < Duration::from_secs(5), "{detected:?}");
    let resumed = after(record(&records, "sang", "B").started_at, stalled);
    println!(
        "airing resumed {} ms after the stall began",
        resumed.as_millis()
    );
    assert!(resumed < Duration::from_secs(7), "{resumed:?}");
}

#[tokio::test(start_paused = true)]
async fn a_long_outage_costs_a_handful_of_attempts_per_ten_seconds() {
    let (_t, d, switch) = start(60.0);
    switch.fail_opens(true);
    d.until(at6(0, 10)).await;
    let first = switch.open_attempts();
    d.until(at6(1, 50)).await;
    let later = switch.open_attempts() - first;
    println!(
        "open attempts: {first} in the first 10 s, {later} in the next 100 s \
         ({:.1} per 10 s)",
        later as f64 / 10.0
    );
    assert!(first <= 8, "{first}");
    assert!(later <= 55, "at most one attempt per 2 s: {later}");
    assert!(later >= 40, "keeps trying: {later}");
    // The program would have ended at 06:02:00 (2 × 60 s): the daemon waits until then.
    d.until(at6(1, 59)).await;
    let before_end = switch.open_attempts();
    assert!(
        before_end > first + later,
        "still trying just before the planned end"
    );
    d.until(at6(2, 1)).await;
    let given_up = switch.open_attempts();
    d.until(at6(3, 0)).await;
    assert_eq!(
        switch.open_attempts(),
        given_up,
        "given up at the planned end"
    );
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records, "sang"),
        [("A".into(), Outcome::Failed), ("B".into(), Outcome::Failed)]
    );
}

// ---- the real cpal/ALSA path: a PCM that fails to open, then works again ----
//
// alsa-lib re-reads its configuration when the file changes (`snd_config_update`, checked at
// each open), so a child process with `ALSA_CONFIG_PATH` on a temp file can take the PCM
// `cap_flaky` away and give it back: broken, it names a card that does not exist; working, it
// is the `file` plugin capturing into a file (as in `tests/alsa_capture.rs`).

const CHILD_ENV: &str = "LOAXA_FLAKY_ALSA_DIR";

fn flaky_conf(dir: &std::path::Path, working: bool) {
    let pcm = if working {
        format!(
            "type file\n    slave.pcm {{ type null }}\n    file \"{}/flaky.raw\"\n    format \"raw\"",
            dir.display()
        )
    } else {
        "type hw\n    card 97".to_string()
    };
    let conf = format!(
        "pcm.cap_flaky {{\n    {pcm}\n    hint {{ show on description \"Test sink that comes and goes\" }}\n}}\n"
    );
    // A new file (new inode) replaces the old one at once: alsa-lib sees the change.
    let next = dir.join("asound.conf.next");
    std::fs::write(&next, conf).expect("write asound.conf");
    std::fs::rename(&next, dir.join("asound.conf")).expect("replace asound.conf");
}

#[test]
fn a_real_alsa_device_that_comes_back_is_reopened_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    flaky_conf(dir.path(), true);
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([
            "child_flaky_alsa_device",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ALSA_CONFIG_PATH", dir.path().join("asound.conf"))
        .env(CHILD_ENV, dir.path())
        .output()
        .expect("run the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("--- child stdout ---\n{stdout}\n--- child stderr ---\n{stderr}");
    assert!(out.status.success(), "child test failed");
    assert!(stdout.contains("1 passed"), "child test did not run");
}

#[test]
#[ignore = "helper: run by a_real_alsa_device_that_comes_back_is_reopened_without_a_restart"]
fn child_flaky_alsa_device() {
    use loaxa::player::{ItemEnd, PlayerEvent};
    use std::time::Instant;
    let Some(dir) = std::env::var_os(CHILD_ENV).map(std::path::PathBuf::from) else {
        eprintln!("helper test: runs only as a child of its parent test");
        return;
    };
    let mut items = Vec::new();
    for (name, seed) in [("a.wav", 1), ("b.wav", 2)] {
        let path = dir.join(name);
        wav::write_wav(
            &path,
            44_100,
            2,
            wav::Bits::F32,
            &wav::noise(22_050, 2, seed, 0.5),
        );
        items.push(path);
    }
    let format = OutputFormat {
        sample_rate: Some(44_100),
        channels: Some(2),
        ..OutputFormat::default()
    };
    let mut player = Player::new(OutputSpec::Device("cap_flaky".into()), format)
        .expect("cap_flaky found while it works");
    flaky_conf(&dir, false);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime");
    let (events, back) = runtime.block_on(async {
        let t0 = Instant::now();
        let mut run = player
            .start(items)
            .expect("a missing device is not an error");
        let mut events = Vec::new();
        let mut back = None;
        let restore = tokio::time::sleep(Duration::from_secs(2));
        let mut restore = std::pin::pin!(restore);
        loop {
            tokio::select! {
                e = run.next_event() => match e {
                    Some(e) => events.push((t0.elapsed(), e)),
                    None => break,
                },
                () = &mut restore, if back.is_none() => {
                    flaky_conf(&dir, true);
                    back = Some(t0.elapsed());
                }
            }
        }
        (events, back.expect("restored"))
    });
    println!("events: {events:?}");
    let kinds: Vec<&PlayerEvent> = events.iter().map(|(_, e)| e).collect();
    assert!(
        matches!(kinds[0], PlayerEvent::OutputLost { reason } if reason.contains("cap_flaky")),
        "{events:?}"
    );
    assert_eq!(kinds[1], &PlayerEvent::OutputBack, "{events:?}");
    assert!(
        matches!(kinds[2], PlayerEvent::Started { index, at: Some(_) } if *index == 0),
        "{events:?}"
    );
    for (i, k) in [(0, 3), (1, 5)] {
        assert!(
            matches!(kinds[k], PlayerEvent::Ended { index, end: ItemEnd::Completed, .. } if *index == i),
            "{events:?}"
        );
    }
    assert_eq!(kinds.last(), Some(&&PlayerEvent::Finished));
    let recovery = events[2].0 - back;
    println!(
        "real ALSA device: airing resumed {} ms after the PCM came back",
        recovery.as_millis()
    );
    assert!(recovery < Duration::from_secs(5), "{recovery:?}");
    std::thread::sleep(Duration::from_millis(500)); // the stream closes after its drain
    let captured = std::fs::metadata(dir.join("flaky.raw")).map_or(0, |m| m.len());
    assert!(
        captured >= 2 * 22_050 * 2 * 4,
        "the program reached the device: {captured} bytes"
    );
}
