//! Fire times that pass while the daemon is down are records too: missed (once, however often
//! it restarts) or, within a program's `catch_up` window, aired late.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use chrono::Utc;
use loaxa::model::{AsRunRecord, Outcome, Trigger};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]

[[program]]
name = "chieu"
cron = "0 17 * * *"
playlists = ["p"]
"#;

const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n",
)];

fn station(programs: &str) -> TestStation {
    let t = TestStation::new(programs, PLAYLIST, local(2026, 3, 2, 5, 0, 0));
    t.noise_file("media/a.wav", 60.0);
    t
}

fn missed(records: &[AsRunRecord]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| r.outcome == Outcome::Missed)
        .map(|r| {
            (
                r.program.clone(),
                r.scheduled_at.format("%d %H:%M").to_string(),
            )
        })
        .collect()
}

fn utc(t: chrono::DateTime<chrono::FixedOffset>) -> chrono::DateTime<Utc> {
    t.with_timezone(&Utc)
}

#[tokio::test(start_paused = true)]
async fn misses_are_recorded_once_however_often_the_daemon_restarts() {
    let t = station(PROGRAMS);
    let d = Running::start(t.station());
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    d.stop().await;
    // Down from 07:00 on the 2nd until 18:00 on the 3rd; then two quick restarts.
    for back in [
        local(2026, 3, 3, 18, 0, 0),
        local(2026, 3, 3, 18, 5, 0),
        local(2026, 3, 3, 18, 9, 0),
    ] {
        let d = Running::start(t.station_at(utc(back)));
        d.until(back + chrono::Duration::minutes(1)).await;
        d.stop().await;
    }
    let d = Running::start(t.station_at(utc(local(2026, 3, 3, 18, 10, 0))));
    d.until(local(2026, 3, 4, 7, 0, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        missed(&records),
        [
            ("chieu".to_string(), "02 17:00".to_string()),
            ("sang".to_string(), "03 06:00".to_string()),
            ("chieu".to_string(), "03 17:00".to_string()),
        ]
    );
    let reason = records
        .iter()
        .find(|r| r.outcome == Outcome::Missed)
        .and_then(|r| r.reason.clone())
        .unwrap_or_default();
    assert!(reason.contains("not running"), "{reason}");
    // And the station carried on: the 4th's morning program aired.
    assert!(records.iter().any(|r| r.program == "sang"
        && r.scheduled_at == local(2026, 3, 4, 6, 0, 0)
        && r.outcome == Outcome::Completed));
}

#[tokio::test(start_paused = true)]
async fn a_crash_mid_program_leaves_it_interrupted_and_later_fires_missed() {
    let t = station(PROGRAMS);
    let d = Running::start(t.station());
    d.until(local(2026, 3, 2, 6, 0, 20)).await;
    d.crash().await;
    let d = Running::start(t.station_at(utc(local(2026, 3, 2, 18, 0, 0))));
    d.until(local(2026, 3, 2, 18, 1, 0)).await;
    let records = station::in_english(d.stop().await);
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.program.as_str(),
                r.outcome,
                r.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "sang",
                Outcome::Interrupted,
                "the daemon stopped before the play ended".to_string()
            ),
            (
                "chieu",
                Outcome::Missed,
                "loaxa was not running at that time (back at 18:00 02/03/2026)".to_string()
            ),
        ]
    );
}

const CATCH_UP: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]
catch_up = "20m"
"#;

#[tokio::test(start_paused = true)]
async fn within_the_grace_window_a_missed_program_airs_late() {
    let t = station(CATCH_UP);
    let d = Running::start(t.station());
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    d.stop().await;
    let back = local(2026, 3, 2, 6, 12, 0);
    let d = Running::start(t.station_at(utc(back)));
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    let records = d.stop().await;
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    assert_eq!(r.trigger, Trigger::CatchUp);
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(r.scheduled_at, local(2026, 3, 2, 6, 0, 0));
    assert_eq!(
        r.started_at,
        Some(back),
        "the record shows how late: 12 minutes"
    );
}

#[tokio::test(start_paused = true)]
async fn outside_the_grace_window_it_is_missed_and_never_replayed() {
    let t = station(CATCH_UP);
    let d = Running::start(t.station());
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    d.stop().await;
    let d = Running::start(t.station_at(utc(local(2026, 3, 2, 6, 25, 0))));
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    let records = d.stop().await;
    assert_eq!(
        missed(&records),
        [("sang".to_string(), "02 06:00".to_string())]
    );
    assert_eq!(records.len(), 1, "nothing aired late: {records:#?}");
}

#[tokio::test(start_paused = true)]
async fn only_the_latest_missed_fire_catches_up() {
    let programs = r#"
[[program]]
name = "moi-gio"
cron = "0 * * * *"
playlists = ["p"]
catch_up = "2h"
"#;
    let t = station(programs);
    let d = Running::start(t.station());
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    d.stop().await;
    let d = Running::start(t.station_at(utc(local(2026, 3, 2, 7, 30, 0))));
    d.until(local(2026, 3, 2, 7, 40, 0)).await;
    let records = d.stop().await;
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.scheduled_at.format("%H:%M").to_string(),
                r.trigger,
                r.outcome,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("06:00".to_string(), Trigger::Schedule, Outcome::Missed),
            ("07:00".to_string(), Trigger::CatchUp, Outcome::Completed),
        ],
        "no burst of replays after an outage"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dead_output_fails_the_items_with_the_reason_and_the_station_goes_on() {
    let t = station(PROGRAMS);
    let dead = loaxa::model::OutputSpec::Raw("/dev/full".into());
    let d = Running::start_with_output(t.station(), Some(dead));
    d.until(local(2026, 3, 2, 18, 0, 0)).await;
    let records = station::in_english(d.stop().await);
    let summary: Vec<_> = records
        .iter()
        .map(|r| (r.program.as_str(), r.outcome))
        .collect();
    assert_eq!(
        summary,
        [("sang", Outcome::Failed), ("chieu", Outcome::Failed)]
    );
    let reason = records[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("/dev/full"), "names the output: {reason}");
}

const THREE_ITEMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]

[[program]]
name = "chieu"
cron = "0 17 * * *"
playlists = ["p"]
"#;

/// A queued item (60 s), then the playlist's A (60 s) and B (60 s).
fn queued_station() -> (TestStation, loaxa::model::SegmentId) {
    let t = TestStation::new(
        THREE_ITEMS,
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n\
             [[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n",
        )],
        local(2026, 3, 2, 5, 0, 0),
    );
    t.noise_file("media/a.wav", 60.0);
    t.noise_file("media/b.wav", 60.0);
    t.noise_file("media/q.wav", 60.0);
    let station = t.station();
    let q = t.add(&station, "media/q.wav", t.meta("Q"));
    station.queue_add(&[q], None, None).expect("queued");
    (t, q)
}

fn by_title(
    records: &[AsRunRecord],
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Vec<(String, Outcome, String)> {
    records
        .iter()
        .filter(|r| r.scheduled_at == at)
        .map(|r| {
            (
                r.title.clone(),
                r.outcome,
                r.reason.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn after_a_crash_every_item_of_the_cut_program_has_one_record_and_nothing_aired_airs_again() {
    let (t, q) = queued_station();
    let d = Running::start(t.station());
    // Q has aired, A is on air, B is still to come.
    d.until(local(2026, 3, 2, 6, 1, 30)).await;
    d.crash().await;
    // Back at 09:00, then restarted once more: recovery happens once.
    for back in [local(2026, 3, 2, 9, 0, 0), local(2026, 3, 2, 9, 5, 0)] {
        let d = Running::start(t.station_at(utc(back)));
        d.until(back + chrono::Duration::minutes(1)).await;
        d.stop().await;
    }
    let d = Running::start(t.station_at(utc(local(2026, 3, 2, 16, 0, 0))));
    d.until(local(2026, 3, 2, 17, 5, 0)).await;
    let records = d.stop().await;
    assert_eq!(
        by_title(&records, local(2026, 3, 2, 6, 0, 0)),
        [
            ("Q".to_string(), Outcome::Completed, String::new()),
            (
                "A".to_string(),
                Outcome::Interrupted,
                loaxa::asrun::STOPPED_UNEXPECTEDLY.to_string()
            ),
            (
                "B".to_string(),
                Outcome::Skipped,
                loaxa::asrun::NOT_AIRED_CRASH.to_string()
            ),
        ]
    );
    // The queued item aired completely before the crash: it does not air again.
    let evening = by_title(&records, local(2026, 3, 2, 17, 0, 0));
    assert_eq!(
        evening
            .iter()
            .map(|(t, o, _)| (t.as_str(), *o))
            .collect::<Vec<_>>(),
        [("A", Outcome::Completed), ("B", Outcome::Completed)]
    );
    assert!(records.iter().filter(|r| r.segment_id == Some(q)).count() == 1);
    assert!(t.station().store.verify_chain().expect("chain").intact());
}

/// The narrowest window: the daemon died after a play's record was closed but before its
/// queue entry was consumed. The journal makes the next start consume it.
#[tokio::test(start_paused = true)]
async fn a_crash_between_a_record_and_its_queue_entry_does_not_replay_the_item() {
    use loaxa::asrun::{JournalEntry, ProgramContext, Recorder};
    use loaxa::program::{Origin, PlannedItem};
    let (t, q) = queued_station();
    {
        let station = t.station();
        let store = station.store.clone();
        let entry = store.queue().expect("queue").pop().expect("one entry");
        let segment = store.segment(q).expect("read").expect("segment");
        let recorder = Recorder::new(
            store.clone(),
            station.clock.clone(),
            station.tz(),
            "null".into(),
        );
        let ctx = ProgramContext {
            program: "sang".into(),
            trigger: Trigger::Schedule,
            scheduled_at: utc(local(2026, 3, 2, 6, 0, 0)),
            priority: loaxa::model::Priority::Normal,
        };
        let item = PlannedItem {
            segment,
            origin: Origin::Queue { qid: entry.qid },
        };
        recorder
            .begin_run(vec![JournalEntry::planned(&ctx, &item)], Some(&ctx))
            .expect("journal");
        let mut rec = recorder.started(&ctx, &item).expect("start");
        recorder
            .ended(
                &mut rec,
                std::time::Duration::from_secs(60),
                Outcome::Completed,
                None,
            )
            .expect("end");
        // ...and here the power went: the queue entry is still there.
        assert_eq!(store.queue().expect("queue").len(), 1);
    }
    let d = Running::start(t.station_at(utc(local(2026, 3, 2, 6, 2, 0))));
    d.until(local(2026, 3, 2, 17, 5, 0)).await;
    let records = d.stop().await;
    assert_eq!(
        records.iter().filter(|r| r.segment_id == Some(q)).count(),
        1
    );
    assert!(t.station().store.queue().expect("queue").is_empty());
    // The 06:00 fire has its records: it is neither missed nor caught up.
    assert!(!records.iter().any(|r| r.outcome == Outcome::Missed));
}
