//! A whole year of the real daemon on a simulated clock: two programs a day with signature
//! tunes, playlists, queued items and a `max_duration`; emergency broadcasts, one repeated
//! every 2 hours across a day and one across a restart; the wall clock stepped forward and
//! back under the running daemon; restarts, an outage and a crash. From the cron lines and
//! the scenario alone, this test works out which fires and items were due, and checks that
//! the log has each of them exactly once (misses once, as `missed`) and that it verifies.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use loaxa::daemon::control::Repeat;
use loaxa::model::{AsRunRecord, Outcome, Role, SegmentId, Trigger};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["sang"]
intro = "../media/intro.wav"
outro = "../media/outro.wav"

[[program]]
name = "chieu"
cron = "30 17 * * *"
playlists = ["chieu"]
queue = false
max_duration = "1m"
"#;

/// Segment ids follow the order of [`SEGS`].
const PLAYLISTS: &[(&str, &str)] = &[
    (
        "sang.toml",
        "order = \"sequential\"\n[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n",
    ),
    (
        "chieu.toml",
        "order = \"sequential\"\n[[item]]\nsegment = 3\n[[item]]\nsegment = 4\n",
    ),
];

/// (file, seconds): 1–2 in the morning playlist, 3–4 in the evening one, 5 and 6 queued
/// once each, 7 the emergency bulletin.
const SEGS: [(&str, f64); 7] = [
    ("s1", 3.0),
    ("s2", 2.0),
    ("c3", 2.0),
    ("c4", 2.0),
    ("q5", 1.0),
    ("q6", 1.0),
    ("e7", 3.0),
];
const EMERGENCY: SegmentId = SegmentId(7);

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<FixedOffset> {
    local(y, mo, d, h, mi, 0)
}

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// An emergency: first airing, and (repeat every N hours, until).
type Emergency = (DateTime<FixedOffset>, Option<(u64, DateTime<FixedOffset>)>);

/// The scenario, in station time.
struct Scenario;

impl Scenario {
    const START: (i32, u32, u32) = (2026, 1, 1);
    const END: (i32, u32, u32) = (2027, 1, 1);
    /// Wall-clock steps under the running daemon: (at, to).
    fn steps() -> [(DateTime<FixedOffset>, DateTime<FixedOffset>); 3] {
        [
            // NTP fixes a clock that ran two days slow: forward over four fires.
            (t(2026, 4, 10, 12, 0), t(2026, 4, 12, 12, 0)),
            // An operator sets the clock a day back: the 19th's evening and the 20th's
            // morning come round a second time.
            (t(2026, 6, 20, 12, 0), t(2026, 6, 19, 12, 0)),
            // A step back of 40 minutes across an evening program that just aired.
            (t(2026, 12, 1, 18, 0), t(2026, 12, 1, 17, 20)),
        ]
    }
    /// Clean restarts: (stop, back).
    fn restarts() -> [(DateTime<FixedOffset>, DateTime<FixedOffset>); 2] {
        [
            (t(2026, 5, 5, 10, 0), t(2026, 5, 5, 10, 0)),
            // The outage: three fires pass while the daemon is down.
            (t(2026, 8, 1, 5, 0), t(2026, 8, 2, 12, 0)),
        ]
    }
    /// The crash: during the morning program's outro (its last item), back at 09:00.
    fn crash() -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
        (local(2026, 10, 5, 6, 0, 8), t(2026, 10, 5, 9, 0))
    }
    /// Queued items: (when, segment); each airs in the next morning program.
    fn queued() -> [(DateTime<FixedOffset>, SegmentId); 2] {
        [
            (t(2026, 3, 1, 12, 0), SegmentId(5)),
            (t(2026, 7, 1, 20, 0), SegmentId(6)),
        ]
    }
    /// Emergencies: (first airing, repeat every, until).
    fn emergencies() -> [Emergency; 3] {
        [
            (t(2026, 2, 10, 10, 0), None),
            // A storm: 07:10, then every 2 h on the (odd) hour until 08:00 the next day.
            (t(2026, 9, 14, 7, 10), Some((2, t(2026, 9, 15, 8, 0)))),
            // Across the clean restart at 11:30–11:40.
            (t(2026, 11, 20, 8, 10), Some((2, t(2026, 11, 20, 16, 30)))),
        ]
    }
    fn restart_during_storm() -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
        (t(2026, 11, 20, 11, 30), t(2026, 11, 20, 11, 40))
    }
}

/// One expected record: (program, scheduled at, role, title) -> outcome.
type Key = (String, DateTime<Utc>, &'static str, String);

#[derive(Default)]
struct Truth {
    records: BTreeMap<Key, Outcome>,
    programs: u64,
    emergencies: u64,
}

impl Truth {
    fn add(
        &mut self,
        program: &str,
        at: DateTime<FixedOffset>,
        role: Role,
        title: &str,
        o: Outcome,
    ) {
        let key = (
            program.to_string(),
            utc(at),
            role_name(role),
            title.to_string(),
        );
        assert!(
            self.records.insert(key.clone(), o).is_none(),
            "the scenario itself names {key:?} twice"
        );
    }
}

fn title(i: usize) -> String {
    format!("Bản tin {}", SEGS[i].0)
}

/// Computes, from the cron lines and the scenario only, every record the year must hold.
fn ground_truth() -> Truth {
    let mut truth = Truth::default();
    let (y, m, d) = Scenario::START;
    let mut day = NaiveDate::from_ymd_opt(y, m, d).expect("day");
    let (y, m, d) = Scenario::END;
    let end = NaiveDate::from_ymd_opt(y, m, d).expect("day");
    let steps = Scenario::steps();
    let restarts = Scenario::restarts();
    let (crash_at, _) = Scenario::crash();
    let mut queued: Vec<_> = Scenario::queued().to_vec();
    // A fire in a stretch the wall clock jumped over (a step forward) was never due.
    let jumped = |at: DateTime<FixedOffset>| {
        steps
            .iter()
            .any(|(from, to)| to > from && at > *from && at <= *to)
    };
    let down = |at: DateTime<FixedOffset>| {
        restarts
            .iter()
            .any(|(stop, back)| at > *stop && at <= *back)
    };
    while day < end {
        let at = |h, mi| {
            local(
                chrono::Datelike::year(&day),
                chrono::Datelike::month(&day),
                chrono::Datelike::day(&day),
                h,
                mi,
                0,
            )
        };
        for (program, fire) in [("sang", at(6, 0)), ("chieu", at(17, 30))] {
            if jumped(fire) {
                continue; // never due in real time: no record
            }
            // A fire the clock went through twice (after a step back) is still one run:
            // it airs once, the first time.
            truth.programs += 1;
            if down(fire) {
                truth.add(program, fire, Role::Item, "", Outcome::Missed);
                continue;
            }
            if program == "sang" {
                truth.add(program, fire, Role::Intro, "", Outcome::Completed);
                queued.retain(|(when, seg)| {
                    let due = *when < fire;
                    if due {
                        let i = (seg.0 - 1) as usize;
                        truth.add(program, fire, Role::Item, &title(i), Outcome::Completed);
                    }
                    !due
                });
                truth.add(program, fire, Role::Item, &title(0), Outcome::Completed);
                truth.add(program, fire, Role::Item, &title(1), Outcome::Completed);
                let outro = if crash_at.date_naive() == day {
                    Outcome::Interrupted
                } else {
                    Outcome::Completed
                };
                truth.add(program, fire, Role::Outro, "", outro);
            } else {
                truth.add(program, fire, Role::Item, &title(2), Outcome::Completed);
                truth.add(program, fire, Role::Item, &title(3), Outcome::Completed);
            }
        }
        day = day.succ_opt().expect("next day");
    }
    for (first, repeat) in Scenario::emergencies() {
        let mut slots = vec![first];
        if let Some((hours, until)) = repeat {
            let hour = chrono::Duration::hours(1);
            let mut next = chrono::DurationRound::duration_trunc(first, hour).expect("hour")
                + chrono::Duration::hours(hours as i64);
            while next <= until {
                slots.push(next);
                next += chrono::Duration::hours(hours as i64);
            }
        }
        for at in slots {
            truth.emergencies += 1;
            truth.add("emergency", at, Role::Item, &title(6), Outcome::Completed);
        }
    }
    truth
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Intro => "intro",
        Role::Item => "item",
        Role::Outro => "outro",
        Role::Separator => "separator",
        Role::Relay => "relay",
        Role::Live => "live",
    }
}

fn key(r: &AsRunRecord) -> Key {
    // Signature tunes are told apart by their role; a missed run has one record.
    let title = match (r.role, r.outcome) {
        (Role::Intro | Role::Outro, _) | (_, Outcome::Missed) => String::new(),
        _ => r.title.clone(),
    };
    (
        r.program.clone(),
        r.scheduled_at.with_timezone(&Utc),
        role_name(r.role),
        title,
    )
}

/// What happens in the scenario, in time order.
enum Event {
    Step(DateTime<FixedOffset>),
    Stop(DateTime<FixedOffset>),
    Crash,
    Queue(SegmentId),
    Emergency(Option<(u64, DateTime<FixedOffset>)>),
}

fn events() -> Vec<(DateTime<FixedOffset>, Event)> {
    let mut ev: Vec<(DateTime<FixedOffset>, Event)> = Vec::new();
    for (at, to) in Scenario::steps() {
        ev.push((at, Event::Step(to)));
    }
    for (stop, back) in Scenario::restarts() {
        ev.push((stop, Event::Stop(back)));
    }
    let (stop, back) = Scenario::restart_during_storm();
    ev.push((stop, Event::Stop(back)));
    ev.push((Scenario::crash().0, Event::Crash));
    for (at, seg) in Scenario::queued() {
        ev.push((at, Event::Queue(seg)));
    }
    for (at, repeat) in Scenario::emergencies() {
        ev.push((at, Event::Emergency(repeat)));
    }
    // Chronological by the station calendar (each event happens once, at its wall time).
    ev.sort_by_key(|(at, _)| *at);
    ev
}

#[tokio::test(start_paused = true)]
async fn a_year_on_air_records_every_due_item_exactly_once() {
    let started = Instant::now();
    let (y, m, d) = Scenario::START;
    let t0 = t(y, m, d, 0, 0);
    // The output at the test files' format (8 kHz mono): a year of audio is cheap to pace.
    let st =
        TestStation::with_output_keys(PROGRAMS, PLAYLISTS, t0, "sample_rate = 8000\nchannels = 1");
    st.noise_file("media/intro.wav", 2.0);
    st.noise_file("media/outro.wav", 2.0);
    let (station, mut clock) = st.station_and_clock(utc(t0));
    for (i, (name, secs)) in SEGS.iter().enumerate() {
        let rel = format!("media/{name}.wav");
        st.noise_file(&rel, *secs);
        let id = st.add(&station, &rel, st.meta(&title(i)));
        assert_eq!(id, SegmentId(i as u64 + 1));
    }

    let mut d = Running::start(station);
    let mut crashed_records = Vec::new();
    let (y, m, dd) = Scenario::END;
    for (at, event) in events() {
        d.until(at).await;
        match event {
            Event::Step(to) => clock.set_wall(utc(to)),
            Event::Stop(back) => {
                d.stop().await;
                let (station, c) = st.station_and_clock(utc(back));
                clock = c;
                d = Running::start(station);
            }
            Event::Crash => {
                crashed_records = d.crash().await;
                let (station, c) = st.station_and_clock(utc(Scenario::crash().1));
                clock = c;
                d = Running::start(station);
            }
            Event::Queue(seg) => {
                d.handle
                    .station()
                    .queue_add(&[seg], None, None)
                    .expect("queue");
            }
            Event::Emergency(repeat) => {
                let repeat = repeat.map(|(hours, until)| Repeat {
                    every: Duration::from_secs(hours * 3600),
                    until: utc(until),
                });
                d.handle
                    .emergency(EMERGENCY, repeat)
                    .await
                    .expect("emergency");
            }
        }
    }
    d.until(t(y, m, dd, 0, 0)).await;
    let records = d.stop().await;
    let on_air = crashed_records.last().expect("records before the crash");
    assert!(
        on_air.role == Role::Outro && on_air.ended_at.is_none(),
        "the crash hit the outro on air: {on_air:?}"
    );

    let truth = ground_truth();
    // Exactly once: no key twice in the log.
    let mut seen: BTreeMap<Key, Vec<u64>> = BTreeMap::new();
    for r in &records {
        seen.entry(key(r)).or_default().push(r.id);
    }
    let duplicates: Vec<_> = seen.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        duplicates.is_empty(),
        "recorded more than once: {duplicates:#?}"
    );
    let got: BTreeMap<Key, Outcome> = records.iter().map(|r| (key(r), r.outcome)).collect();
    let missing: Vec<_> = truth
        .records
        .iter()
        .filter(|(k, _)| !got.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "due but not recorded: {missing:#?}");
    let extra: Vec<_> = got
        .iter()
        .filter(|(k, _)| !truth.records.contains_key(*k))
        .collect();
    assert!(extra.is_empty(), "recorded but never due: {extra:#?}");
    let wrong: Vec<_> = truth
        .records
        .iter()
        .filter(|(k, o)| got.get(*k) != Some(*o))
        .map(|(k, o)| (k, o, got.get(k)))
        .collect();
    assert!(wrong.is_empty(), "(key, expected, got): {wrong:#?}");
    assert_eq!(records.len(), truth.records.len());
    // Scheduled runs carry their trigger; the crash's reason is the documented one.
    for r in &records {
        let want = if r.program == "emergency" {
            Trigger::Manual
        } else {
            Trigger::Schedule
        };
        assert_eq!(r.trigger, want, "{r:?}");
        if r.outcome == Outcome::Interrupted {
            assert_eq!(
                r.reason.as_deref(),
                Some(loaxa::asrun::STOPPED_UNEXPECTEDLY)
            );
        }
    }

    let check = st
        .station_at(utc(t(y, m, dd, 0, 0)))
        .store
        .verify_chain()
        .expect("verify");
    assert!(check.intact(), "{check:?}");
    let items = records
        .iter()
        .filter(|r| r.outcome != Outcome::Missed)
        .count();
    let missed = records.len() - items;
    println!(
        "simulated year: {} program runs due ({} missed), {} item records, {} emergency plays, \
         {} clock steps, {} restarts + 1 crash, {} records checked (chain intact), {:.1} s",
        truth.programs,
        missed,
        items,
        truth.emergencies,
        Scenario::steps().len(),
        Scenario::restarts().len() + 1,
        records.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Regression: a step back of the wall clock over a program that had aired aired it a
/// second time, with the same scheduled time (two records for one run of each item).
#[tokio::test(start_paused = true)]
async fn a_step_back_over_an_aired_program_does_not_air_it_again() {
    let t0 = t(2026, 3, 2, 5, 0);
    let st =
        TestStation::with_output_keys(PROGRAMS, PLAYLISTS, t0, "sample_rate = 8000\nchannels = 1");
    st.noise_file("media/intro.wav", 1.0);
    st.noise_file("media/outro.wav", 1.0);
    let (station, clock) = st.station_and_clock(utc(t0));
    for (i, (name, secs)) in SEGS.iter().enumerate() {
        let rel = format!("media/{name}.wav");
        st.noise_file(&rel, *secs);
        st.add(&station, &rel, st.meta(&title(i)));
    }
    let d = Running::start(station);
    d.until(t(2026, 3, 2, 7, 0)).await;
    // Back to 05:30: 06:00 comes round again by the wall clock.
    clock.set_wall(utc(t(2026, 3, 2, 5, 30)));
    d.until(t(2026, 3, 3, 7, 0)).await;
    let records = d.stop().await;
    let runs: Vec<String> = records
        .iter()
        .filter(|r| r.role == Role::Intro)
        .map(|r| format!("{} {}", r.program, r.scheduled_at.format("%d %H:%M")))
        .collect();
    assert_eq!(runs, ["sang 02 06:00", "sang 03 06:00"]);
    let chieu = records.iter().filter(|r| r.program == "chieu").count();
    assert_eq!(chieu, 2, "the 2nd's evening program aired once, both items");
}
