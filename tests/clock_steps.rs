//! The station PC's clock is changed under the running daemon (NTP step, an operator, a
//! dead BIOS battery): no burst of past programs, no waiting for a date that will not come,
//! no program cut short, and a clock that is obviously wrong is reported.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use chrono::Utc;
use loaxa::model::Outcome;
use running::Running;
use station::{TestStation, local};

const PROGRAM: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]
max_duration = "30s"
"#;

const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n",
)];

fn station() -> TestStation {
    let t = TestStation::new(PROGRAM, PLAYLIST, local(2026, 3, 2, 5, 0, 0));
    t.noise_file("media/a.wav", 20.0);
    t
}

fn aired(records: &[loaxa::model::AsRunRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{} {}", r.scheduled_at.format("%Y-%m-%d %H:%M"), r.outcome))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_step_forward_does_not_air_a_burst_of_past_programs() {
    let t = station();
    let (station, clock) = t.station_and_clock(local(2026, 3, 2, 5, 0, 0).with_timezone(&Utc));
    let d = Running::start(station);
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    clock.set_wall(local(2026, 3, 9, 5, 30, 0).with_timezone(&Utc));
    d.until(local(2026, 3, 9, 7, 0, 0)).await;
    let records = d.stop().await;
    assert_eq!(aired(&records), ["2026-03-09 06:00 completed"]);
}

#[tokio::test(start_paused = true)]
async fn after_a_cmos_reset_programs_go_on_by_the_new_clock_and_the_clock_is_reported() {
    let t = station();
    let (station, clock) = t.station_and_clock(local(2026, 3, 2, 5, 0, 0).with_timezone(&Utc));
    let d = Running::start(station);
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    assert!(d.handle.status().warnings.is_empty());
    clock.set_wall(local(2000, 1, 1, 5, 30, 0).with_timezone(&Utc));
    // The daemon notices within its longest nap (15 minutes), then plans by the new clock.
    d.until(local(2000, 1, 1, 7, 0, 0)).await;
    let warnings = station::warnings_in_english(&d.handle.status().warnings);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("2000-01-01") && w.contains("cannot be right")),
        "{warnings:?}"
    );
    let records = d.stop().await;
    assert_eq!(aired(&records), ["2000-01-01 06:00 completed"]);
}

#[tokio::test(start_paused = true)]
async fn a_step_during_a_program_neither_cuts_nor_stretches_it() {
    let t = station();
    let (station, clock) = t.station_and_clock(local(2026, 3, 2, 5, 0, 0).with_timezone(&Utc));
    let d = Running::start(station);
    d.until(local(2026, 3, 2, 6, 0, 5)).await;
    // An NTP step of +2 minutes in the middle of the 20 s item (max_duration 30 s).
    clock.set_wall(local(2026, 3, 2, 6, 2, 5).with_timezone(&Utc));
    d.until(local(2026, 3, 2, 7, 0, 0)).await;
    let records = d.stop().await;
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].outcome, Outcome::Completed);
    assert_eq!(records[0].played_ms, 20_000, "the whole item aired");
}
