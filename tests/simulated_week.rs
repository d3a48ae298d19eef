//! A week on air in well under a second: the real daemon on a simulated clock (tokio paused
//! time), null output, generated segments. Every figure is checked against an independent
//! expectation computed here from the schedule.

#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use loaxa::model::{AsRunRecord, Outcome, Role, SegmentId};
use loaxa::service::SegmentMeta;

use station::TestStation;

const PLAYLISTS: &[(&str, &str)] = &[
    (
        "tin.toml",
        r#"order = "rotate"
topic = "cds"
[[item]]
file = "../media/a.wav"
title = "A"
[[item]]
file = "../media/b.wav"
title = "B"
[[item]]
file = "../media/c.wav"
title = "C"
[[item]]
file = "../media/d.wav"
title = "D"
"#,
    ),
    (
        "chieu.toml",
        r#"topic = "nq57"
[[item]]
file = "../media/e.wav"
title = "E"
[[item]]
segment = 1
"#,
    ),
];

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * 1-5"
playlists = ["tin"]
max_duration = "5s"

[[program]]
name = "chieu"
cron = "0 17 * * *"
playlists = ["chieu"]
"#;

#[tokio::test(start_paused = true)]
async fn a_week_of_programs_airs_exactly_as_scheduled() {
    // Sunday 2026-03-01 12:00 at the station (UTC+7).
    let start = station::local(2026, 3, 1, 12, 0, 0);
    let t = TestStation::new(PROGRAMS, PLAYLISTS, start);
    for name in ["a", "b", "c", "d", "e", "q1", "q2", "old"] {
        t.noise_file(&format!("media/{name}.wav"), 2.0);
    }
    let station = t.station();
    // Segment 1: expired before the week starts, named by the `chieu` playlist.
    let old = t.add(
        &station,
        "media/old.wav",
        SegmentMeta {
            title: Some("Hết hạn".into()),
            topic: "nq57".into(),
            valid_until: NaiveDate::from_ymd_opt(2026, 2, 28),
            ..SegmentMeta::default()
        },
    );
    assert_eq!(old, SegmentId(1));
    let q1 = t.add(&station, "media/q1.wav", t.meta("Q1"));
    let q2 = t.add(&station, "media/q2.wav", t.meta("Q2"));
    station
        .queue_add(&[q1], Some("sang"), None)
        .expect("queue q1 for sang");
    station
        .queue_add(&[q2], None, None)
        .expect("queue q2 for any program");
    let store = station.store.clone();

    t.run_for(station, Duration::days(7)).await;

    let records = station::in_english(store.records(None, None).expect("records"));
    let by_fire = group_by_fire(&records);

    // Expected fires, computed from the calendar: sang Mon–Fri 06:00, chieu every day 17:00.
    let mut expected = Vec::new();
    for day in 1..=7 {
        let date = NaiveDate::from_ymd_opt(2026, 3, day).expect("march day");
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            expected.push(("sang".to_string(), station::local(2026, 3, day, 6, 0, 0)));
        }
        expected.push(("chieu".to_string(), station::local(2026, 3, day, 17, 0, 0)));
    }
    expected.retain(|(_, at)| *at > start);
    expected.sort_by_key(|(_, at)| *at);
    let fired: Vec<_> = by_fire.keys().map(|(at, p)| (p.clone(), *at)).collect();
    let mut fired_sorted = fired.clone();
    fired_sorted.sort_by_key(|(_, at)| *at);
    assert_eq!(
        fired_sorted, expected,
        "each program fires exactly once at each of its times"
    );

    // Every aired item started exactly at its program's time plus what aired before it.
    for ((at, program), recs) in &by_fire {
        let mut t_expected = *at;
        for r in recs.iter().filter(|r| r.started_at.is_some()) {
            assert_eq!(r.outcome, Outcome::Completed, "{program} {r:?}");
            assert_eq!(
                r.started_at,
                Some(t_expected),
                "{program} at {at}: no lateness in simulation"
            );
            assert_eq!(r.played_ms, 2000);
            t_expected += Duration::seconds(2);
            assert_eq!(r.ended_at, Some(t_expected));
        }
    }

    // The queue drains into the right programs, once: q2 into the first program of all
    // (Sunday's chieu), q1 only into sang (Monday), ahead of the playlist.
    let aired = |title: &str| -> Vec<(String, chrono::DateTime<chrono::FixedOffset>)> {
        records
            .iter()
            .filter(|r| r.title == title && r.outcome == Outcome::Completed)
            .map(|r| (r.program.clone(), r.scheduled_at))
            .collect()
    };
    assert_eq!(
        aired("Q2"),
        [("chieu".to_string(), station::local(2026, 3, 1, 17, 0, 0))]
    );
    assert_eq!(
        aired("Q1"),
        [("sang".to_string(), station::local(2026, 3, 2, 6, 0, 0))]
    );
    assert!(
        store.queue().expect("queue").is_empty(),
        "the queue is drained"
    );

    // Rotation: 5 s fit two 2 s items; Monday's queued Q1 takes one slot. The rotation
    // resumes after the last aired item, day after day.
    let mut rotation = ["A", "B", "C", "D"].iter().cycle();
    let mut expected_sang = Vec::new();
    for day in 2..=6 {
        let n = if day == 2 { 1 } else { 2 };
        let items: Vec<&str> = (0..n).map(|_| *rotation.next().expect("cycle")).collect();
        expected_sang.push(items);
    }
    let actual_sang: Vec<Vec<&str>> = by_fire
        .iter()
        .filter(|((_, p), _)| p == "sang")
        .map(|(_, recs)| {
            recs.iter()
                .filter(|r| r.outcome == Outcome::Completed && r.title != "Q1")
                .map(|r| r.title.as_str())
                .collect()
        })
        .collect();
    assert_eq!(actual_sang, expected_sang);

    // The expired segment is logged as skipped, with the reason, in every chieu run.
    for ((_, program), recs) in by_fire.iter().filter(|((_, p), _)| p == "chieu") {
        let skipped: Vec<_> = recs
            .iter()
            .filter(|r| r.outcome == Outcome::Skipped)
            .collect();
        assert_eq!(skipped.len(), 1, "{program}: {recs:#?}");
        assert_eq!(skipped[0].segment_id, Some(old));
        assert!(
            skipped[0]
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("expired"),
            "{skipped:?}"
        );
        assert_eq!(skipped[0].started_at, None);
        assert_eq!(skipped[0].role, Role::Item);
    }
}

/// Records grouped by (scheduled time, program), in time order.
fn group_by_fire(
    records: &[AsRunRecord],
) -> BTreeMap<(chrono::DateTime<chrono::FixedOffset>, String), Vec<AsRunRecord>> {
    let mut map: BTreeMap<_, Vec<AsRunRecord>> = BTreeMap::new();
    for r in records {
        map.entry((r.scheduled_at, r.program.clone()))
            .or_default()
            .push(r.clone());
    }
    map
}

const OVERRUN_PROGRAMS: &str = r#"
[[program]]
name = "dai"
cron = "0 6 * * *"
playlists = ["dai"]

[[program]]
name = "ngan"
cron = "1 6 * * *"
playlists = ["ngan"]

[[program]]
name = "moi-phut"
cron = "0-3 7 * * *"
playlists = ["dai"]
"#;

const OVERRUN_PLAYLISTS: &[(&str, &str)] = &[
    (
        "dai.toml",
        "topic = \"cds\"\n[[item]]\nfile = \"../media/long.wav\"\n",
    ),
    (
        "ngan.toml",
        "topic = \"cds\"\n[[item]]\nfile = \"../media/short.wav\"\n",
    ),
];

#[tokio::test(start_paused = true)]
async fn a_program_that_overruns_delays_the_next_and_never_doubles_itself() {
    let start = station::local(2026, 3, 2, 5, 0, 0);
    let t = TestStation::new(OVERRUN_PROGRAMS, OVERRUN_PLAYLISTS, start);
    t.noise_file("media/long.wav", 90.0);
    t.noise_file("media/short.wav", 1.0);
    let station = t.station();
    let store = station.store.clone();

    t.run_for(station, Duration::hours(3)).await;

    let records = station::in_english(store.records(None, None).expect("records"));
    let ngan: Vec<_> = records.iter().filter(|r| r.program == "ngan").collect();
    assert_eq!(ngan.len(), 1, "{ngan:#?}");
    assert_eq!(ngan[0].scheduled_at, station::local(2026, 3, 2, 6, 1, 0));
    assert_eq!(
        ngan[0].started_at,
        Some(station::local(2026, 3, 2, 6, 1, 30)),
        "the 06:01 program starts right after the 90 s one ends, and its record shows it late"
    );
    assert_eq!(ngan[0].outcome, Outcome::Completed);

    // moi-phut fires at 07:00..07:03; each run takes 90 s, so 07:01 falls inside the first
    // run and is logged as skipped; 07:02 starts on time after the first run ended 07:01:30.
    let runs: Vec<_> = records.iter().filter(|r| r.program == "moi-phut").collect();
    let summary: Vec<_> = runs
        .iter()
        .map(|r| (r.scheduled_at.format("%H:%M").to_string(), r.outcome))
        .collect();
    assert_eq!(
        summary,
        [
            ("07:00".to_string(), Outcome::Completed),
            ("07:01".to_string(), Outcome::Skipped),
            ("07:02".to_string(), Outcome::Completed),
            ("07:03".to_string(), Outcome::Skipped),
        ]
    );
    assert!(
        runs[1]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("still on air")
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_mid_program_cuts_the_item_and_records_why() {
    let start = station::local(2026, 3, 2, 5, 59, 0);
    let t = TestStation::new(OVERRUN_PROGRAMS, OVERRUN_PLAYLISTS, start);
    t.noise_file("media/long.wav", 90.0);
    t.noise_file("media/short.wav", 1.0);
    let station = t.station();
    let store = station.store.clone();

    // 06:00 the 90 s program starts; stop the daemon 30 s into it.
    t.run_for(station, Duration::seconds(90)).await;

    let records = station::in_english(store.records(None, None).expect("records"));
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    assert_eq!(r.outcome, Outcome::Interrupted);
    assert_eq!(r.reason.as_deref(), Some("daemon shut down"));
    assert!(r.ended_at.is_some(), "a clean stop closes the record");
    // The fade (200 ms) is part of what aired.
    assert!(
        (30_000..=30_400).contains(&r.played_ms),
        "played {} ms",
        r.played_ms
    );
}

#[tokio::test(start_paused = true)]
async fn max_duration_cuts_a_program_that_cannot_fit_and_the_schedule_warns() {
    let programs = r#"
[[program]]
name = "ngan"
cron = "0 6 * * *"
playlists = ["ngan"]
intro = "../media/tune.wav"
max_duration = "3s"
"#;
    let start = station::local(2026, 3, 2, 5, 0, 0);
    let t = TestStation::new(programs, OVERRUN_PLAYLISTS, start);
    t.noise_file("media/tune.wav", 5.0);
    t.noise_file("media/short.wav", 1.0);
    let station = t.station();
    let preview = station.timetable(1).expect("timetable");
    assert_eq!(preview.len(), 1);
    assert!(
        preview[0].warnings.iter().any(|w| matches!(
            w,
            loaxa::model::Warning::FrameTooLong { .. } | loaxa::model::Warning::Deferred { .. }
        )),
        "{:?}",
        preview[0].warnings
    );
    let store = station.store.clone();

    t.run_for(station, Duration::hours(2)).await;

    let records = station::in_english(store.records(None, None).expect("records"));
    let summary: Vec<_> = records
        .iter()
        .map(|r| (r.role, r.outcome, r.played_ms))
        .collect();
    // The 1 s item does not fit after a 5 s tune in 3 s, so only the tune starts, and it is
    // cut at 3 s (plus the 200 ms fade).
    assert_eq!(
        summary,
        [(Role::Intro, Outcome::Interrupted, 3200)],
        "{records:#?}"
    );
    assert_eq!(records[0].reason.as_deref(), Some("max_duration reached"));
}
