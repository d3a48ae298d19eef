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
    let records = d.stop().await;
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
    let records = d.stop().await;
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
    let records = d.stop().await;
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
