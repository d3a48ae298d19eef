//! A reporting half-year (2026-H1: 15/12/2025 – 14/06/2026) on a simulated clock, with what
//! a real station lives through: two outages across fire times, a dead output for a day, an
//! expired segment, one never approved, and a storm bulletin repeated every 2 hours. The
//! half-year report's every figure must equal the count computed here, independently, from
//! the scenario itself.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc, Weekday};
use loaxa::daemon::control::Repeat;
use loaxa::model::{OutputSpec, SegmentId};
use loaxa::report::{Period, ReportMeta, summarise};
use loaxa::service::SegmentMeta;
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["sang"]

[[program]]
name = "chieu"
cron = "0 17 * * 1-5"
playlists = ["chieu"]
"#;

/// Segment ids follow the order they are added below.
const PLAYLISTS: &[(&str, &str)] = &[
    (
        "sang.toml",
        "[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n",
    ),
    (
        "chieu.toml",
        "[[item]]\nsegment = 3\n[[item]]\nsegment = 4\n[[item]]\nsegment = 5\n",
    ),
];

const VHXH: &str = "Phòng Văn hóa – Xã hội";
const TTDV: &str = "Trung tâm Cung ứng dịch vụ công";
const TRUONG: &str = "Trường THCS Bình Chương";
const PCTT: &str = "Ban Chỉ huy Phòng chống thiên tai";

/// (file, title, topic, unit, seconds, valid until)
struct Seg {
    name: &'static str,
    topic: &'static str,
    unit: Option<&'static str>,
    secs: u64,
}

const SEGS: [Seg; 6] = [
    Seg {
        name: "a",
        topic: "cds",
        unit: Some(VHXH),
        secs: 4,
    },
    Seg {
        name: "b",
        topic: "nq57",
        unit: Some(TTDV),
        secs: 6,
    },
    Seg {
        name: "c",
        topic: "bdhvs",
        unit: Some(VHXH),
        secs: 3,
    },
    Seg {
        name: "x",
        topic: "khcn",
        unit: Some(TRUONG),
        secs: 5,
    },
    Seg {
        name: "u",
        topic: "cds",
        unit: None,
        secs: 2,
    },
    Seg {
        name: "e",
        topic: "cds",
        unit: Some(PCTT),
        secs: 3,
    },
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid day")
}

fn at(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// What the scenario says happens to each fire (the ground truth).
#[derive(Default)]
struct Truth {
    /// (program, outcome) -> count of item records (missed programs count once).
    outcomes: BTreeMap<(&'static str, &'static str), u64>,
    runs: BTreeMap<&'static str, u64>,
    /// Completed plays per segment index, per month.
    completed: BTreeMap<(usize, String), u64>,
}

impl Truth {
    fn outcome(&mut self, program: &'static str, outcome: &'static str, n: u64) {
        *self.outcomes.entry((program, outcome)).or_default() += n;
    }

    fn aired(&mut self, seg: usize, day: NaiveDate) {
        *self
            .completed
            .entry((seg, day.format("%Y-%m").to_string()))
            .or_default() += 1;
    }
}

fn ground_truth() -> Truth {
    let down = |d: NaiveDate, hour: u32| {
        let t = (d, hour);
        // Outage 1: 10/01 05:00 – 12/01 12:00; outage 2: 03/03 16:00 – 04/03 07:00.
        (t > (day(2026, 1, 10), 5) && t < (day(2026, 1, 12), 12))
            || (t > (day(2026, 3, 3), 16) && t < (day(2026, 3, 4), 7))
    };
    let dead = |d: NaiveDate| d == day(2026, 4, 1);
    let mut truth = Truth::default();
    let mut d = day(2025, 12, 15);
    while d <= day(2026, 6, 14) {
        *truth.runs.entry("sang").or_default() += 1;
        if down(d, 6) {
            truth.outcome("sang", "missed", 1);
        } else if dead(d) {
            truth.outcome("sang", "failed", 2);
        } else {
            truth.outcome("sang", "completed", 2);
            truth.aired(0, d);
            truth.aired(1, d);
        }
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            *truth.runs.entry("chieu").or_default() += 1;
            if down(d, 17) {
                truth.outcome("chieu", "missed", 1);
            } else {
                // u is never approved; x expires after 28/02: both logged as skipped.
                truth.outcome("chieu", "skipped", 1);
                let x_valid = d <= day(2026, 2, 28);
                if !x_valid {
                    truth.outcome("chieu", "skipped", 1);
                }
                if dead(d) {
                    truth.outcome("chieu", "failed", 1 + u64::from(x_valid));
                } else {
                    truth.outcome("chieu", "completed", 1 + u64::from(x_valid));
                    truth.aired(2, d);
                    if x_valid {
                        truth.aired(3, d);
                    }
                }
            }
        }
        d = d.succ_opt().expect("next day");
    }
    // The storm bulletin: 08:00 on 20/05, then every 2 h until 18:00.
    *truth.runs.entry("emergency").or_default() += 6;
    truth.outcome("emergency", "completed", 6);
    for _ in 0..6 {
        truth.aired(5, day(2026, 5, 20));
    }
    truth
}

#[tokio::test(start_paused = true)]
async fn the_half_year_report_matches_what_happened() {
    let t = TestStation::with_station_keys(
        PROGRAMS,
        PLAYLISTS,
        local(2025, 12, 15, 0, 0, 0),
        "require_approval = true",
    );
    let station = t.station();
    for (i, s) in SEGS.iter().enumerate() {
        let file = format!("media/{}.wav", s.name);
        t.noise_file(&file, s.secs as f64);
        let meta = SegmentMeta {
            title: Some(format!("Bản tin {}", s.name)),
            topic: s.topic.into(),
            unit: s.unit.map(str::to_string),
            valid_until: (s.name == "x").then(|| day(2026, 2, 28)),
            ..SegmentMeta::default()
        };
        let id = t.add(&station, &file, meta);
        assert_eq!(id, SegmentId(i as u64 + 1));
        if s.name != "u" {
            station
                .approve_segment(id, "Chủ tịch UBND xã")
                .expect("approve");
        }
    }

    // The half-year, in stretches between outages and restarts.
    let d = Running::start(station);
    d.until(local(2026, 1, 10, 5, 0, 0)).await;
    d.stop().await;
    let d = Running::start(t.station_at(at(local(2026, 1, 12, 12, 0, 0))));
    d.until(local(2026, 3, 3, 16, 0, 0)).await;
    d.crash().await;
    let d = Running::start(t.station_at(at(local(2026, 3, 4, 7, 0, 0))));
    d.until(local(2026, 4, 1, 0, 0, 0)).await;
    d.stop().await;
    let dead = OutputSpec::Raw("/dev/full".into());
    let d = Running::start_with_output(t.station_at(at(local(2026, 4, 1, 0, 0, 0))), Some(dead));
    d.until(local(2026, 4, 2, 0, 0, 0)).await;
    d.stop().await;
    let d = Running::start(t.station_at(at(local(2026, 4, 2, 0, 0, 0))));
    d.until(local(2026, 5, 20, 8, 0, 0)).await;
    let storm = Repeat {
        every: Duration::from_secs(2 * 3600),
        until: at(local(2026, 5, 20, 18, 30, 0)),
    };
    d.handle
        .emergency(SegmentId(6), Some(storm))
        .await
        .expect("storm bulletin");
    d.until(local(2026, 6, 15, 0, 0, 0)).await;
    let records = d.stop().await;

    let station = t.station_at(at(local(2026, 6, 20, 9, 0, 0)));
    let meta = ReportMeta {
        station: station.config.station.name.clone(),
        period: Period::half_year(2026, 1).expect("H1"),
        topics: station.config.topics.clone(),
        generated_at: local(2026, 6, 20, 9, 0, 0),
    };
    let report = summarise(records, meta);
    let truth = ground_truth();

    // Programs: scheduled runs and every outcome.
    for p in &report.programs {
        let name = p.name.as_str();
        let expected_runs = truth.runs.get(name).copied().unwrap_or(0);
        assert_eq!(p.runs, expected_runs, "{name}: runs");
        for (outcome, n) in &p.outcomes {
            let expected = truth
                .outcomes
                .iter()
                .find(|((pr, o), _)| *pr == name && o == outcome)
                .map_or(0, |(_, n)| *n);
            assert_eq!(*n, expected, "{name}: {outcome}");
        }
    }
    let programs: BTreeSet<&str> = report.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(programs, truth.runs.keys().copied().collect());
    for ((program, outcome), n) in &truth.outcomes {
        let p = report
            .programs
            .iter()
            .find(|p| p.name == *program)
            .expect("program");
        assert_eq!(p.outcome(outcome), *n, "{program}: {outcome}");
    }

    // Content figures by topic, unit and month, from the completed plays.
    let ms = |i: usize| SEGS[i].secs * 1000;
    let mut topic: BTreeMap<&str, (u64, u64, BTreeSet<usize>)> = BTreeMap::new();
    let mut unit: BTreeMap<&str, (u64, u64, BTreeSet<usize>)> = BTreeMap::new();
    let mut month: BTreeMap<String, (u64, u64, BTreeSet<usize>)> = BTreeMap::new();
    let mut total = (0u64, 0u64, BTreeSet::new());
    for ((i, m), n) in &truth.completed {
        for acc in [
            topic.entry(SEGS[*i].topic).or_default(),
            unit.entry(SEGS[*i].unit.unwrap_or("")).or_default(),
            month.entry(m.clone()).or_default(),
            &mut total,
        ] {
            acc.0 += n;
            acc.1 += n * ms(*i);
            acc.2.insert(*i);
        }
    }
    let figures = |c: &loaxa::report::Counts| (c.broadcasts, c.played_ms, c.segments);
    // Groups with nothing aired (e.g. the unit of a segment that was only ever skipped) may
    // be listed with zeros; the figures compared are those of groups that aired.
    let aired = |f: &(u64, u64, u64)| *f != (0, 0, 0);
    let expected = |e: &(u64, u64, BTreeSet<usize>)| (e.0, e.1, e.2.len() as u64);
    assert_eq!(figures(&report.totals), expected(&total), "totals");
    let got: BTreeMap<&str, _> = report
        .by_topic
        .iter()
        .map(|(s, _, c)| (s.as_str(), figures(c)))
        .filter(|(_, f)| aired(f))
        .collect();
    let want: BTreeMap<&str, _> = topic.iter().map(|(k, v)| (*k, expected(v))).collect();
    assert_eq!(got, want, "by topic");
    let got: BTreeMap<&str, _> = report
        .by_unit
        .iter()
        .map(|(u, c)| (u.as_str(), figures(c)))
        .filter(|(_, f)| aired(f))
        .collect();
    let want: BTreeMap<&str, _> = unit.iter().map(|(k, v)| (*k, expected(v))).collect();
    assert_eq!(got, want, "by unit");
    let got: BTreeMap<&str, _> = report
        .by_month
        .iter()
        .map(|(m, c)| (m.as_str(), figures(c)))
        .filter(|(_, f)| aired(f))
        .collect();
    let want: BTreeMap<&str, _> = month
        .iter()
        .map(|(k, v)| (k.as_str(), expected(v)))
        .collect();
    assert_eq!(got, want, "by month");
    assert_eq!(report.emergency_broadcasts, 6, "storm bulletins");
    // The whole half-year's log is intact, and the report's check code pins its last record.
    let anchor = report.anchor.clone().expect("a check code");
    let check = station
        .store
        .verify_chain_with(Some(anchor.parse().expect("RECORD:HASH")))
        .expect("verify");
    assert!(check.intact(), "{check:?}");
    assert_eq!(report.totals.interrupted, 0);
}
