//! An open page costs the daemon nothing: the latest log records are read from the log's
//! tail (what `GET /log?limit=N` decodes is N records, not the log), and what is on air and
//! each new log record reach the page over server-sent events (`GET /api/v1/events`), so
//! the page polls nothing.
//!
//! Regression: issue 14, "An open page burns the PC" — the On-air page polled `/now` and
//! `/log?limit=10` every second, and each `/log` decoded the whole log (300 000 records: ~60 %
//! of a core).

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Span, FixedOffset, TimeZone};
use loaxa::clock::{SharedClock, SystemClock};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::service::Station;
use loaxa::store::Store;
use serde_json::Value;

/// Record `i` of a generated log: two programs a day, a few topics and outcomes.
fn record(i: u64) -> AsRunRecord {
    let tz = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    let day = i as i64 / 16;
    let at = tz
        .with_ymd_and_hms(2020, 1, 1, 5, 30, 0)
        .single()
        .expect("valid time")
        + Span::days(day)
        + Span::seconds((i % 16) as i64 * 150);
    let outcome = [Outcome::Completed, Outcome::Interrupted, Outcome::Failed][(i % 3) as usize];
    AsRunRecord {
        id: 0,
        program: ["sang", "chieu"][(i % 2) as usize].into(),
        trigger: Trigger::Schedule,
        role: Role::Item,
        scheduled_at: at,
        started_at: Some(at),
        ended_at: Some(at + Span::seconds(60)),
        played_ms: 60_000,
        segment_id: Some(SegmentId(2 + i % 50)),
        title: format!("Bản tin số {i}: chuyển đổi số"),
        topic: ["cds", "nq57", "ttcs"][(i % 3) as usize].into(),
        unit: Some(["Trạm Y tế xã", "Phòng Kinh tế"][(i % 2) as usize].into()),
        priority: Priority::Normal,
        outcome,
        reason: None,
        approved_by: None,
        approved_at: None,
        output: "null".into(),
        sha256: String::new(),
        peak_dbfs: None,
        loudness_lufs: None,
        audible_ms: None,
        silent: false,
        hash_version: 0,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The live daemon over a log of `n` generated records, and its store (to count reads).
fn live_with_log(n: u64) -> (live::Live, Arc<Store>) {
    let t = live::station();
    let config = loaxa::config::load(&t.config_path()).expect("test config is valid");
    let clock: SharedClock = Arc::new(SystemClock);
    let station = Station::open(config, clock).expect("open station");
    station
        .store
        .bulk_append_records((0..n).map(record))
        .expect("fill the log");
    let store = station.store.clone();
    (live::start_station(t, station), store)
}

/// Issue 14: `GET /log?limit=10` decoded every record of the log to return ten.
#[test]
fn the_latest_log_records_cost_what_they_return_not_the_log() {
    let n = 20_000;
    let (live, store) = live_with_log(n);
    let all: Vec<AsRunRecord> = (0..n).map(record).collect();
    // (query, the records it must return, in log order: computed here from the generator)
    let cases: Vec<(&str, Vec<u64>)> = vec![
        ("/log?limit=10", (n - 9..=n).collect()),
        ("/log?limit=1", vec![n]),
        (
            "/log?limit=5&outcome=failed",
            ids(&all, |r| r.outcome == Outcome::Failed, 5),
        ),
        (
            "/log?limit=4&topic=nq57&program=chieu",
            ids(&all, |r| r.topic == "nq57" && r.program == "chieu", 4),
        ),
        (
            "/log?limit=3&q=ph%C3%B2ng%20kinh",
            ids(&all, |r| r.unit.as_deref() == Some("Phòng Kinh tế"), 3),
        ),
    ];
    for (query, want) in cases {
        let before = store.records_decoded();
        let (status, got) = live.get(query);
        let decoded = store.records_decoded() - before;
        assert_eq!(status, 200, "{query}: {got}");
        let got_ids: Vec<u64> = got
            .as_array()
            .expect("a list")
            .iter()
            .map(|r| r["id"].as_u64().expect("id"))
            .collect();
        assert_eq!(got_ids, want, "{query}");
        // What the filters skip is read too; the generator's matches are at most 6 apart.
        let bound = 6 * want.len() as u64 + 6;
        assert!(
            decoded <= bound,
            "{query}: decoded {decoded} records of a {n}-record log to return {} (at most {bound})",
            want.len()
        );
    }
    // A day range with a limit: the same records as the whole day's list, cut to the last 2.
    let (_, day) = live.get("/log?from=2020-01-05&to=2020-01-05");
    let day: Vec<u64> = ids_of(&day);
    assert_eq!(day.len(), 16, "one generated day");
    let (_, last2) = live.get("/log?from=2020-01-05&to=2020-01-05&limit=2");
    assert_eq!(ids_of(&last2), day[14..].to_vec());
}

/// The ids of the last `limit` records of `all` (ids from 1) that `keep`, in log order.
fn ids(all: &[AsRunRecord], keep: impl Fn(&AsRunRecord) -> bool, limit: usize) -> Vec<u64> {
    let matching: Vec<u64> = (1..)
        .zip(all)
        .filter(|(_, r)| keep(r))
        .map(|(id, _)| id)
        .collect();
    matching[matching.len() - limit..].to_vec()
}

fn ids_of(list: &Value) -> Vec<u64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_u64().expect("id"))
        .collect()
}
