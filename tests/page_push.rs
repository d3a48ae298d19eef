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
#[path = "support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::{Duration as Span, FixedOffset, TimeZone};
use loaxa::clock::{SharedClock, SystemClock};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::service::Station;
use loaxa::store::Store;
use serde_json::{Value, json};

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
        relay: None,
        live: None,
        streams: Vec::new(),
        source: None,
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

/// One server-sent event: its name and its JSON data.
type Event = (String, Value);

/// An open event stream: the status of the answer, its content type, and its events as
/// they arrive, read on a thread of their own (the channel closes with the stream).
/// Dropping it closes the connection, as a closed tab does.
struct Stream {
    status: u16,
    kind: String,
    rx: Receiver<Event>,
    socket: TcpStream,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

/// Opens `GET /api/v1/events{query}` over HTTP/1.0 (no chunks: the events as sent).
fn subscribe(live: &live::Live, query: &str) -> Stream {
    let addr = live
        .base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1");
    let mut socket = TcpStream::connect(addr).expect("connect");
    let auth = live
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        socket,
        "GET /api/v1/events{query} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{auth}\r\n"
    )
    .expect("send the request");
    let mut reader = BufReader::new(socket.try_clone().expect("clone the socket"));
    let mut head = String::new();
    let mut status = 0;
    let mut kind = String::new();
    loop {
        head.clear();
        reader.read_line(&mut head).expect("read the head");
        let line = head.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix("HTTP/1.") {
            status = rest[2..5].parse().expect("a status code");
        } else if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-type")
        {
            kind = v.trim().to_string();
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut name, mut data) = (String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(v) = line.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_string();
            } else if line.starts_with(':') {
                let _ = tx.send(("comment".to_string(), Value::String(line)));
            } else if line.is_empty() && !name.is_empty() {
                let value =
                    serde_json::from_str(&data).unwrap_or_else(|_| Value::String(data.clone()));
                if tx.send((std::mem::take(&mut name), value)).is_err() {
                    return;
                }
            }
        }
    });
    Stream {
        status,
        kind,
        rx,
        socket,
    }
}

/// The next event, within `secs`.
fn next(rx: &Receiver<Event>, secs: u64, what: &str) -> Event {
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|e| panic!("no event ({e:?}) while waiting for {what}"))
}

/// Reads events until one satisfies `done`, within `secs` in all; returns it and those before.
fn until(rx: &Receiver<Event>, secs: u64, what: &str, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) => {
                let stop = done(&e);
                seen.push(e);
                if stop {
                    return seen;
                }
            }
            Err(e) => panic!("{what}: {e:?} after {seen:?}"),
        }
    }
}

/// A bulletin aired through the API reaches a client of the event stream: the status with
/// it on air, its log record when it starts and again when it ends, then the idle status;
/// and the stream sends nothing while nothing happens.
#[test]
fn what_airs_reaches_the_event_stream_as_it_happens() {
    let (live, store) = live_with_log(30);
    let wav = live::wav_bytes(&live.t, "tin.wav", 0.6);
    let (status, added) = live.upload(&[("topic", "cds"), ("title", "Tin nóng")], "tin.wav", &wav);
    assert_eq!(status, 201, "{added}");
    let id = added[0]["segment"]["id"].as_u64().expect("id");

    let stream = subscribe(&live, "?log=3");
    assert_eq!(stream.status, 200);
    assert_eq!(stream.kind, "text/event-stream");
    let rx = &stream.rx;
    let (name, first) = next(rx, 5, "the opening status");
    assert_eq!(name, "status");
    assert_eq!(
        first,
        live.get("/now").1,
        "the opening status is what /now gives"
    );
    let opening: Vec<u64> = (0..3)
        .map(|_| {
            let (name, r) = next(rx, 5, "the opening records");
            assert_eq!(name, "log");
            r["id"].as_u64().expect("id")
        })
        .collect();
    assert_eq!(
        opening,
        vec![28, 29, 30],
        "the latest three records, oldest first"
    );

    // Idle: nothing arrives (the keep-alive comes after 30 s).
    match rx.recv_timeout(Duration::from_secs(2)) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("an idle stream sent {other:?}"),
    }

    let decoded = store.records_decoded();
    let (status, played) = live.post("/play", &json!({ "ids": [id], "now": true }));
    assert_eq!(status, 202, "{played}");
    let seen = until(rx, 10, "the bulletin on air", |(name, v)| {
        name == "status" && v["on_air"]["title"] == "Tin nóng"
    });
    // Then its end and the idle status, in either order (both may come of one wake).
    let ended_seen = |e: &Event| e.0 == "log" && e.1["id"] == 31 && !e.1["ended_at"].is_null();
    let idle_seen = |e: &Event| e.0 == "status" && e.1["on_air"].is_null();
    let mut rest = Vec::new();
    while !(rest.iter().any(ended_seen) && rest.iter().any(idle_seen)) {
        rest.push(next(rx, 10, "the record's end and the idle status"));
    }
    let ended = &rest.iter().find(|e| ended_seen(e)).expect("its end").1;
    let seen = [seen, rest.clone()].concat();
    assert_eq!(ended["segment_id"], id);
    assert_eq!(ended["outcome"], "completed");
    assert!(
        seen.iter()
            .any(|(n, v)| n == "log" && v["id"] == 31 && v["ended_at"].is_null()),
        "its record when it started: {seen:?}"
    );
    // Reading what changed costs the records written, not the log.
    let read = store.records_decoded() - decoded;
    assert!(read <= 12, "{read} records decoded for one play");
    let (_, log) = live.get("/log?limit=1");
    assert_eq!(log[0], *ended, "the pushed record is the stored one");
}

/// Bounds: `log` is 0 to 100; the ninth stream at once is refused; a stream ends with the
/// daemon at once (a page left open does not hold up a stop); streams obey the token.
#[test]
fn event_streams_are_bounded_and_end_with_the_daemon() {
    let (live, _store) = live_with_log(5);
    // Without asking for a stream: told at once, not left waiting on an endless answer.
    let (status, body) = live.get("/events");
    assert_eq!(status, 406, "{body}");
    for query in ["?log=101", "?log=-1"] {
        let stream = subscribe(&live, query);
        assert_eq!(stream.status, 400, "{query}");
    }
    let mut open = Vec::new();
    for _ in 0..8 {
        let stream = subscribe(&live, "?log=0");
        assert_eq!(stream.status, 200);
        assert_eq!(next(&stream.rx, 5, "status").0, "status");
        open.push(stream);
    }
    assert_eq!(subscribe(&live, "").status, 503, "the ninth stream");
    assert_eq!(
        live.get("/health").0,
        200,
        "other requests still get through"
    );
    // A stream closed by its client gives its place back.
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stream = subscribe(&live, "?log=0");
        if stream.status == 200 {
            assert_eq!(next(&stream.rx, 5, "status").0, "status");
            open.push(stream);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's place never came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let stopping = Instant::now();
    drop(live);
    let took = stopping.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "stopping with 8 open streams took {took:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    for stream in open {
        // Each stream ended: its reader saw the end (the channel closed), maybe after a last
        // status of the stopping daemon.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stream.rx.recv_timeout(left) {
                Err(RecvTimeoutError::Disconnected) => break,
                Ok((name, _)) if name == "status" => {}
                other => panic!("a stream went on after the stop: {other:?}"),
            }
        }
    }
}

#[test]
fn event_streams_need_the_token_when_the_station_has_one() {
    let token = "mat-khau-dai-truyen-thanh";
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let t = station::TestStation::with_api(
        live::PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
        &format!("token_sha256 = \"{sha}\""),
    );
    let mut live = live::start(t);
    assert_eq!(subscribe(&live, "").status, 401);
    live.token = Some(token.to_string());
    let stream = subscribe(&live, "?log=0");
    assert_eq!(stream.status, 200);
    assert_eq!(next(&stream.rx, 5, "status").0, "status");
}

/// The On-air page in a real headless Chromium over a 20 000-record log: it draws the latest
/// records, then asks the daemon for nothing while nothing happens (no `/now`, no `/log`
/// request and no log record read in 5 s), and still shows a bulletin aired through the API
/// as it airs and once it ended.
#[test]
fn the_open_on_air_page_is_pushed_to_and_polls_nothing() {
    let (live, store) = live_with_log(20_000);
    let title = "Thông báo: lịch tiêm chủng đợt 3";
    let wav = live::wav_bytes(&live.t, "tiem.wav", 1.5);
    let (status, added) = live.upload(&[("topic", "cds"), ("title", title)], "tiem.wav", &wav);
    assert_eq!(status, 201, "{added}");
    let id = added[0]["segment"]["id"].as_u64().expect("id");

    let downloads = tempfile::tempdir().expect("tempdir");
    let browser = webdriver::Browser::start(downloads.path(), 1280, 900);
    let site = live.base.trim_end_matches("/api/v1").to_string();
    browser.goto(&format!("{site}/#now"));
    browser.wait("body[data-ready] main[data-page=\"now\"] h1", 10);
    let rows = "return document.querySelectorAll('#recent-body tr').length;";
    wait_for(&browser, rows, |v| v == 10, "the ten latest records drawn");
    let newest = browser.run(
        "return document.querySelector('#recent-body tr td:nth-child(2)').textContent;",
        json!([]),
    );
    assert_eq!(
        newest,
        json!("Bản tin số 19999: chuyển đổi số"),
        "newest first"
    );

    // The API requests the page made so far (Resource Timing: the browser's own record).
    let polls = "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
        .filter(p => p === '/api/v1/now' || p === '/api/v1/log').length;";
    let decoded = store.records_decoded();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(browser.run(polls, json!([])), json!(0), "the page polled");
    assert_eq!(
        store.records_decoded() - decoded,
        0,
        "the daemon read log records for an idle open page"
    );

    let (status, played) = live.post("/play", &json!({ "ids": [id], "now": true }));
    assert_eq!(status, 202, "{played}");
    let on_air = browser.wait_text("#on-air-title", 10, "the bulletin on air", |t| t == title);
    assert_eq!(on_air, title);
    let first_title =
        "return document.querySelector('#recent-body tr td:nth-child(2)')?.textContent ?? null;";
    wait_for(
        &browser,
        first_title,
        |v| v == title,
        "its record in the table",
    );
    // Once it ended: the page says nothing is on air, and its record is the stored one.
    browser.wait("#on-air-idle", 10);
    let (_, log) = live.get("/log?limit=1");
    assert_eq!(log[0]["title"], title);
    assert_eq!(log[0]["outcome"], "completed");
    let outcome = browser.run(
        "return document.querySelector('#recent-body tr td:nth-child(5)').textContent;",
        json!([]),
    );
    let outcome = outcome.as_str().unwrap_or_default().to_string();
    assert!(
        !outcome.is_empty() && outcome != "completed",
        "the outcome in words: {outcome}"
    );
    assert_eq!(browser.run(polls, json!([])), json!(0), "the page polled");
    let read = store.records_decoded() - decoded;
    assert!(
        read <= 10,
        "{read} log records read for one bulletin on an open page"
    );
}

/// Runs `script` until its answer satisfies `ok` (10 s at most).
fn wait_for(browser: &webdriver::Browser, script: &str, ok: impl Fn(&Value) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = browser.run(script, json!([]));
        if ok(&v) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: last {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
