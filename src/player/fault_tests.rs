//! The retry path under injected faults ([`FaultSwitch`] on a null output), on a paused
//! tokio clock: every time below is exact simulated time, not a measurement of a busy
//! machine. The sound card goes through the same driver (`driver.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use super::tests::wav::{Bits, noise, write_wav};
use super::*;

fn item(dir: &Path, name: &str, secs: f64) -> PathBuf {
    let path = dir.join(name);
    let frames = (secs * 48_000.0) as usize;
    write_wav(&path, 48_000, 2, Bits::S16, &noise(frames, 2, 31, 0.5));
    path
}

fn faulty(switch: &FaultSwitch) -> Player {
    let format = OutputFormat {
        sample_rate: Some(48_000),
        channels: Some(2),
        ..OutputFormat::default()
    };
    Player::with_faults(OutputSpec::Null, format, switch.clone()).expect("null output")
}

/// Every event of `run` with the simulated time since `t0` it came at.
async fn events(run: &mut ProgramRun, t0: Instant) -> Vec<(Duration, PlayerEvent)> {
    let mut out = Vec::new();
    while let Some(e) = run.next_event().await {
        out.push((t0.elapsed(), e));
    }
    out
}

/// Runs `f` after `after` of simulated time.
fn at(after: Duration, f: impl FnOnce() + Send + 'static) {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        f();
    });
}

fn kinds(events: &[(Duration, PlayerEvent)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, e)| match e {
            PlayerEvent::Started { index, .. } => format!("started {index}"),
            PlayerEvent::Ended {
                index,
                end: ItemEnd::Completed,
                ..
            } => format!("completed {index}"),
            PlayerEvent::Ended {
                index,
                end: ItemEnd::Failed(_),
                ..
            } => format!("failed {index}"),
            PlayerEvent::Ended {
                index,
                end: ItemEnd::Cut,
                ..
            } => format!("cut {index}"),
            PlayerEvent::Ended {
                index,
                end: ItemEnd::EndedEarly { .. },
                ..
            } => format!("ended early {index}"),
            PlayerEvent::OutputLost { .. } => "lost".into(),
            PlayerEvent::OutputBack => "back".into(),
            PlayerEvent::Finished => "finished".into(),
        })
        .collect()
}

fn time_of(events: &[(Duration, PlayerEvent)], what: &str) -> Duration {
    let i = kinds(events)
        .iter()
        .position(|k| k == what)
        .unwrap_or_else(|| panic!("no `{what}` in {events:?}"));
    events[i].0
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn an_output_that_does_not_open_is_retried_and_the_program_airs_when_it_returns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let items = vec![
        item(dir.path(), "a.wav", 1.0),
        item(dir.path(), "b.wav", 1.0),
    ];
    let switch = FaultSwitch::new();
    switch.fail_opens(true);
    let mut player = faulty(&switch);
    let t0 = Instant::now();
    let mut run = player
        .start(items)
        .expect("a closed output is not an error");
    let returns = 7 * SECOND;
    let s = switch.clone();
    at(returns, move || s.plug_in());
    let events = events(&mut run, t0).await;
    assert_eq!(
        kinds(&events),
        [
            "lost",
            "back",
            "started 0",
            "completed 0",
            "started 1",
            "completed 1",
            "finished"
        ]
    );
    let PlayerEvent::OutputLost { reason } = &events[0].1 else {
        unreachable!()
    };
    assert!(
        reason.contains("`null`") && reason.contains("not available"),
        "{reason}"
    );
    assert_eq!(events[0].0, Duration::ZERO, "reported at once");
    let recovery = time_of(&events, "started 0") - returns;
    println!(
        "recovery after the output returned: {} ms",
        recovery.as_millis()
    );
    assert!(recovery <= RETRY_MAX, "aired {recovery:?} after the return");
    assert_eq!(
        time_of(&events, "finished") - time_of(&events, "started 0"),
        2 * SECOND
    );
}

#[tokio::test(start_paused = true)]
async fn a_write_failure_fails_the_playing_item_and_the_rest_airs_after_the_return() {
    let dir = tempfile::tempdir().expect("temp dir");
    let items = vec![
        item(dir.path(), "a.wav", 2.0),
        item(dir.path(), "b.wav", 1.0),
    ];
    let switch = FaultSwitch::new();
    let mut player = faulty(&switch);
    let t0 = Instant::now();
    let mut run = player.start(items).expect("start");
    let cutter = run.cutter();
    let s = switch.clone();
    at(Duration::from_millis(550), move || s.unplug());
    let s = switch.clone();
    let returns = 5 * SECOND;
    at(returns, move || s.plug_in());
    let events = events(&mut run, t0).await;
    assert_eq!(
        kinds(&events),
        [
            "started 0",
            "failed 0",
            "lost",
            "back",
            "started 1",
            "completed 1",
            "finished"
        ],
        "the failed item is not aired again"
    );
    let PlayerEvent::Ended { played, end, .. } = &events[1].1 else {
        unreachable!()
    };
    assert!(
        matches!(end, ItemEnd::Failed(r) if r.contains("`null`") && r.contains("injected")),
        "{end:?}"
    );
    assert!(
        (Duration::from_millis(500)..=Duration::from_millis(700)).contains(played),
        "played {played:?} before the failure"
    );
    let recovery = time_of(&events, "started 1") - returns;
    assert!(recovery <= RETRY_MAX, "aired {recovery:?} after the return");
    // 0.6 s of the first item and all of the second went out; the counter never went back.
    let frames = cutter.progress();
    assert!(
        (48_000 + 24_000..=48_000 + 36_000).contains(&frames),
        "{frames} frames"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_output_is_detected_within_five_seconds_and_reopened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let items = vec![
        item(dir.path(), "a.wav", 5.0),
        item(dir.path(), "b.wav", 1.0),
    ];
    let switch = FaultSwitch::new();
    let mut player = faulty(&switch);
    let t0 = Instant::now();
    let mut run = player.start(items).expect("start");
    let stalls = SECOND;
    let s = switch.clone();
    at(stalls, move || s.stall());
    let events = events(&mut run, t0).await;
    assert_eq!(
        kinds(&events),
        [
            "started 0",
            "failed 0",
            "lost",
            "back",
            "started 1",
            "completed 1",
            "finished"
        ]
    );
    let PlayerEvent::Ended { end, .. } = &events[1].1 else {
        unreachable!()
    };
    assert!(
        matches!(end, ItemEnd::Failed(r) if r.contains("stopped taking audio")),
        "{end:?}"
    );
    let detected = time_of(&events, "failed 0") - stalls;
    println!("stall detected after {} ms", detected.as_millis());
    assert!(
        detected >= STALL_TIMEOUT && detected < 5 * SECOND,
        "detected after {detected:?}"
    );
    let reopened = time_of(&events, "back") - time_of(&events, "failed 0");
    println!("reopened {} ms after the detection", reopened.as_millis());
    assert_eq!(
        reopened, RETRY_FIRST,
        "a stream that had played keeps no backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_for_the_output_backs_off_and_never_spins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let switch = FaultSwitch::new();
    switch.fail_opens(true);
    let mut player = faulty(&switch);
    let mut run = player
        .start(vec![item(dir.path(), "a.wav", 1.0)])
        .expect("start");
    let cutter = run.cutter();
    let mut per_10s = Vec::new();
    for _ in 0..6 {
        let before = switch.open_attempts();
        tokio::time::sleep(10 * SECOND).await;
        per_10s.push(switch.open_attempts() - before);
    }
    println!("open attempts per 10 s of outage: {per_10s:?}");
    assert!(per_10s[0] <= 8, "{per_10s:?}");
    assert!(per_10s[1..].iter().all(|&n| n <= 6), "{per_10s:?}");
    assert!(per_10s.iter().all(|&n| n >= 4), "keeps trying: {per_10s:?}");
    // Cut while waiting: the run ends at once and stops trying.
    let t = Instant::now();
    cutter.cut();
    let mut rest = Vec::new();
    while let Some(e) = run.next_event().await {
        rest.push(e);
    }
    assert_eq!(rest.last(), Some(&PlayerEvent::Finished));
    assert_eq!(t.elapsed(), Duration::ZERO, "the cut wakes the wait");
    let attempts = switch.open_attempts();
    tokio::time::sleep(30 * SECOND).await;
    assert_eq!(
        switch.open_attempts(),
        attempts,
        "no attempt after the run ended"
    );
}

#[tokio::test(start_paused = true)]
async fn a_splice_asked_for_while_waiting_airs_when_the_output_returns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = item(dir.path(), "a.wav", 1.0);
    let urgent = item(dir.path(), "urgent.wav", 0.5);
    let switch = FaultSwitch::new();
    switch.fail_opens(true);
    let mut player = faulty(&switch);
    let t0 = Instant::now();
    let mut run = player.start(vec![a.clone()]).expect("start");
    let cutter = run.cutter();
    at(SECOND, move || {
        cutter.splice(vec![(7, urgent), (0, a)], Duration::from_millis(30))
    });
    let s = switch.clone();
    at(3 * SECOND, move || s.plug_in());
    let events = events(&mut run, t0).await;
    assert_eq!(
        kinds(&events),
        [
            "lost",
            "back",
            "started 7",
            "completed 7",
            "started 0",
            "completed 0",
            "finished"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_next_run_reports_the_output_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = item(dir.path(), "a.wav", 0.5);
    let switch = FaultSwitch::new();
    let mut player = faulty(&switch);
    switch.fail_opens(true);
    let mut run = player.start(vec![a.clone()]).expect("start");
    tokio::time::sleep(SECOND).await;
    run.cutter().cut(); // its owner gave up waiting
    let first = events(&mut run, Instant::now()).await;
    assert_eq!(kinds(&first), ["lost", "finished"]);
    switch.plug_in();
    let mut run = player.start(vec![a]).expect("start");
    let second = events(&mut run, Instant::now()).await;
    assert_eq!(
        kinds(&second),
        ["back", "started 0", "completed 0", "finished"],
        "the loss is over for whoever shows it"
    );
}
