//! Operating the station while it is on air, on a simulated clock: skip, stop, manual and
//! emergency broadcasts (interrupt, resume, repeats that survive a restart), approval, and a
//! reload with a broken config.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::Duration;

use chrono::Utc;
use loaxa::daemon::control::Repeat;
use loaxa::model::{AsRunRecord, Outcome, Priority, Trigger};
use running::Running;
use station::{TestStation, local};

const PROGRAM: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["p"]
"#;

const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n[[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n",
)];

fn station_with_items(secs: &[(&str, f64)]) -> TestStation {
    let t = TestStation::new(PROGRAM, PLAYLIST, local(2026, 10, 1, 5, 0, 0));
    for (name, s) in secs {
        t.noise_file(&format!("media/{name}.wav"), *s);
    }
    t
}

fn summary(records: &[AsRunRecord]) -> Vec<(String, String, Outcome)> {
    records
        .iter()
        .map(|r| (r.program.clone(), r.title.clone(), r.outcome))
        .collect()
}

fn s(program: &str, title: &str, outcome: Outcome) -> (String, String, Outcome) {
    (program.into(), title.into(), outcome)
}

#[tokio::test(start_paused = true)]
async fn skip_ends_the_item_and_the_program_goes_on_without_a_gap() {
    let t = station_with_items(&[("a", 10.0), ("b", 10.0)]);
    let d = Running::start(t.station());
    d.until(local(2026, 10, 1, 6, 0, 3)).await;
    assert_eq!(d.handle.status().on_air.expect("on air").title, "A");
    d.handle.skip().await.expect("skip");
    d.until(local(2026, 10, 1, 7, 0, 0)).await;
    let err = d.handle.skip().await.expect_err("nothing on air");
    assert!(err.to_string().contains("nothing is on air"), "{err}");
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records),
        [
            s("sang", "A", Outcome::Interrupted),
            s("sang", "B", Outcome::Completed)
        ]
    );
    assert_eq!(
        records[0].reason.as_deref(),
        Some("skipped by the operator")
    );
    // Cut 3 s in, plus the 200 ms fade (file outputs take requests every 100 ms).
    assert!(
        (3_000..=3_400).contains(&records[0].played_ms),
        "{}",
        records[0].played_ms
    );
    assert_eq!(
        records[1].started_at, records[0].ended_at,
        "B follows A's fade at once"
    );
}

#[tokio::test(start_paused = true)]
async fn stop_ends_the_program_as_interrupted_by_the_operator() {
    let t = station_with_items(&[("a", 10.0), ("b", 10.0)]);
    let d = Running::start(t.station());
    d.until(local(2026, 10, 1, 6, 0, 2)).await;
    d.handle.stop().await.expect("stop");
    d.until(local(2026, 10, 1, 6, 30, 0)).await;
    let records = station::in_english(d.stop().await);
    // B never aired: it is accounted for as skipped, with the reason.
    assert_eq!(
        summary(&records),
        [
            s("sang", "A", Outcome::Interrupted),
            s("sang", "B", Outcome::Skipped)
        ]
    );
    assert_eq!(
        records[0].reason.as_deref(),
        Some("stopped by the operator")
    );
    assert_eq!(
        records[1].reason.as_deref(),
        Some("not aired: stopped by the operator")
    );
}

#[tokio::test(start_paused = true)]
async fn an_emergency_interrupts_at_once_and_the_program_resumes() {
    let t = station_with_items(&[("a", 10.0), ("b", 10.0), ("bao", 3.0)]);
    let station = t.station();
    let storm = t.add(&station, "media/bao.wav", t.meta("Tin bão khẩn cấp"));
    let d = Running::start(station);
    d.until(local(2026, 10, 1, 6, 0, 4)).await;
    let asked = d.now();
    d.handle
        .emergency(storm, None)
        .await
        .expect("emergency accepted");
    d.until(local(2026, 10, 1, 7, 0, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records),
        [
            s("sang", "A", Outcome::Interrupted),
            s("emergency", "Tin bão khẩn cấp", Outcome::Completed),
            s("sang", "A", Outcome::Completed),
            s("sang", "B", Outcome::Completed),
        ]
    );
    assert_eq!(
        records[0].reason.as_deref(),
        Some("interrupted by an emergency broadcast")
    );
    let e = &records[1];
    assert_eq!(e.priority, Priority::Emergency);
    assert_eq!(e.trigger, Trigger::Manual);
    let latency = e.started_at.expect("started").with_timezone(&Utc) - asked;
    // File outputs take requests every 100 ms; the fade before an emergency is 30 ms.
    assert!(
        latency <= chrono::Duration::milliseconds(150),
        "emergency on air {latency} after the request"
    );
    assert_eq!(
        records[2].started_at, e.ended_at,
        "A resumes right after the emergency"
    );
}

#[tokio::test(start_paused = true)]
async fn an_emergency_repeated_every_two_hours_airs_twelve_times_a_day_across_a_restart() {
    let t = station_with_items(&[("a", 60.0), ("b", 60.0), ("bao", 20.0)]);
    let station = t.station_at(local(2026, 10, 1, 0, 0, 0).with_timezone(&Utc));
    let storm = t.add(&station, "media/bao.wav", t.meta("Tin bão số 10"));
    let d = Running::start(station);
    let repeat = Repeat {
        every: Duration::from_secs(2 * 3600),
        until: local(2026, 10, 1, 23, 59, 0).with_timezone(&Utc),
    };
    d.handle
        .emergency(storm, Some(repeat))
        .await
        .expect("emergency with repeats");
    // Power cut at 09:30; the station comes back at 11:15.
    d.until(local(2026, 10, 1, 9, 30, 0)).await;
    let first_half = d.stop().await;
    let d = Running::start(t.station_at(local(2026, 10, 1, 11, 15, 0).with_timezone(&Utc)));
    d.until(local(2026, 10, 2, 1, 0, 0)).await;
    let records = station::in_english(d.stop().await);

    let storms: Vec<_> = records
        .iter()
        .filter(|r| r.program == "emergency" && r.outcome == Outcome::Completed)
        .map(|r| r.scheduled_at.format("%H:%M").to_string())
        .collect();
    // 10:00 fell in the power cut: it airs once on return (11:15), not lost, not doubled.
    assert_eq!(
        storms,
        [
            "00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00", "14:00", "16:00",
            "18:00", "20:00", "22:00"
        ]
    );
    assert!(first_half.len() < records.len());
    // The 06:00 program and the 06:00 bulletin: the bulletin first, the program right after.
    let six: Vec<_> = records
        .iter()
        .filter(|r| r.scheduled_at == local(2026, 10, 1, 6, 0, 0))
        .map(|r| r.program.as_str())
        .collect();
    assert_eq!(six, ["emergency", "sang", "sang"]);
}

#[tokio::test(start_paused = true)]
async fn pending_segments_never_air_until_approved() {
    let t = TestStation::with_station_keys(
        PROGRAM,
        PLAYLIST,
        local(2026, 10, 1, 5, 0, 0),
        "require_approval = true",
    );
    for name in ["a", "b", "moi"] {
        t.noise_file(&format!("media/{name}.wav"), 2.0);
    }
    let station = t.station();
    let new = t.add(&station, "media/moi.wav", t.meta("Bản tin mới"));
    station.queue_add(&[new], None, None).expect("queue");
    let d = Running::start(station);
    d.until(local(2026, 10, 1, 7, 0, 0)).await;
    let err = d
        .handle
        .play(vec![new], false, Priority::Normal)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("not approved"), "{err}");
    d.handle
        .station()
        .approve_segment(new, "Chủ tịch UBND xã")
        .expect("approve");
    d.until(local(2026, 10, 2, 7, 0, 0)).await;
    let records = station::in_english(d.stop().await);
    let day1: Vec<_> = records
        .iter()
        .filter(|r| r.scheduled_at == local(2026, 10, 1, 6, 0, 0))
        .map(|r| {
            (
                r.title.as_str(),
                r.outcome,
                r.reason.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        day1,
        [
            ("Bản tin mới", Outcome::Skipped, "not approved"),
            // Playlist files are content too: imported pending like any other.
            ("A", Outcome::Skipped, "not approved"),
            ("B", Outcome::Skipped, "not approved"),
        ]
    );
    let aired: Vec<_> = records
        .iter()
        .filter(|r| r.segment_id == Some(new) && r.outcome == Outcome::Completed)
        .collect();
    assert_eq!(aired.len(), 1, "airs once, the day after approval");
    assert_eq!(aired[0].approved_by.as_deref(), Some("Chủ tịch UBND xã"));
    assert!(aired[0].approved_at.is_some());
}

#[tokio::test(start_paused = true)]
async fn manual_broadcasts_air_now_or_after_the_program() {
    let t = station_with_items(&[("a", 10.0), ("b", 10.0), ("m", 2.0)]);
    let station = t.station();
    let m = t.add(&station, "media/m.wav", t.meta("Thông báo"));
    let d = Running::start(station);
    // Idle: airs at once.
    d.until(local(2026, 10, 1, 5, 30, 0)).await;
    d.handle
        .play(vec![m], false, Priority::Normal)
        .await
        .expect("play");
    // During the program, without --now: after it.
    d.until(local(2026, 10, 1, 6, 0, 5)).await;
    d.handle
        .play(vec![m], false, Priority::Priority)
        .await
        .expect("play later");
    d.until(local(2026, 10, 1, 7, 0, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records),
        [
            s("manual", "Thông báo", Outcome::Completed),
            s("sang", "A", Outcome::Completed),
            s("sang", "B", Outcome::Completed),
            s("manual", "Thông báo", Outcome::Completed),
        ]
    );
    assert_eq!(records[0].started_at, Some(local(2026, 10, 1, 5, 30, 0)));
    assert_eq!(records[3].started_at, records[2].ended_at);
    assert_eq!(records[3].priority, Priority::Priority);
    assert!(
        records
            .iter()
            .filter(|r| r.program == "manual")
            .all(|r| r.trigger == Trigger::Manual)
    );
}

#[tokio::test(start_paused = true)]
async fn a_broken_config_on_reload_keeps_the_running_one() {
    let t = station_with_items(&[("a", 1.0), ("b", 1.0)]);
    let d = Running::start(t.station());
    let good = std::fs::read_to_string(t.config_path()).expect("read config");
    std::fs::write(t.config_path(), good.replace("0 6 * * *", "0 6 * * 9")).expect("break it");
    let err = d.handle.reload().await.expect_err("refused");
    assert!(
        err.to_string().contains("loaxa.toml:"),
        "diagnostics with position: {err}"
    );
    d.until(local(2026, 10, 1, 6, 30, 0)).await;
    // A good change applies: the program moves to 07:00.
    std::fs::write(t.config_path(), good.replace("0 6 * * *", "0 7 * * *")).expect("fix it");
    d.handle.reload().await.expect("reloaded");
    d.until(local(2026, 10, 2, 6, 30, 0)).await;
    let records = station::in_english(d.stop().await);
    let times: Vec<_> = records
        .iter()
        .filter(|r| r.title == "A")
        .map(|r| r.scheduled_at)
        .collect();
    assert_eq!(
        times,
        [local(2026, 10, 1, 6, 0, 0), local(2026, 10, 1, 7, 0, 0)]
    );
}

#[tokio::test(start_paused = true)]
async fn with_requeue_the_interrupted_item_waits_for_the_next_program() {
    let t = TestStation::with_station_keys(
        PROGRAM,
        PLAYLIST,
        local(2026, 10, 1, 5, 0, 0),
        "after_emergency = \"requeue\"",
    );
    for (name, secs) in [("a", 10.0), ("b", 10.0), ("bao", 3.0)] {
        t.noise_file(&format!("media/{name}.wav"), secs);
    }
    let station = t.station();
    let storm = t.add(&station, "media/bao.wav", t.meta("Tin bão"));
    let d = Running::start(station);
    d.until(local(2026, 10, 1, 6, 0, 4)).await;
    d.handle.emergency(storm, None).await.expect("emergency");
    d.until(local(2026, 10, 2, 6, 1, 0)).await;
    let records = station::in_english(d.stop().await);
    assert_eq!(
        summary(&records),
        [
            s("sang", "A", Outcome::Interrupted),
            s("emergency", "Tin bão", Outcome::Completed),
            s("sang", "B", Outcome::Completed),
            // Next day: the requeued A first, then the playlist.
            s("sang", "A", Outcome::Completed),
            s("sang", "A", Outcome::Completed),
            s("sang", "B", Outcome::Completed),
        ]
    );
}
