//! `loaxa log verify` as an operator (or an inspector from the district) runs it: the real
//! binary against a station whose database was altered behind loaxa's back, with and without
//! the daemon running.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use bin::text;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use station::TestStation;

/// sled lets go of its file lock a moment after the last handle is dropped (its I/O threads
/// finish first), so a database this test just closed may still read as locked: wait.
const LOCK_GRACE: Duration = Duration::from_secs(10);

fn loaxa(config: &Path, args: &[&str]) -> Output {
    let deadline = Instant::now() + LOCK_GRACE;
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_loaxa"))
            .arg("-c")
            .arg(config)
            .args(args)
            .env("NO_COLOR", "1")
            .env("LOAXA_LANG", "en")
            .output()
            .expect("run loaxa");
        if !text(&out.stderr).contains("in use by another loaxa process")
            || Instant::now() > deadline
        {
            return out;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The station's database opened with sled directly, as someone with a sled tool would.
fn open_sled(t: &TestStation) -> sled::Db {
    let deadline = Instant::now() + LOCK_GRACE;
    loop {
        match sled::open(t.path("data/db")) {
            Ok(db) => return db,
            Err(e) if Instant::now() < deadline && e.to_string().contains("lock") => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("open sled: {e}"),
        }
    }
}

/// A station whose log holds `n` ended plays, written by the store as the daemon does.
fn station_with_plays(n: u64) -> TestStation {
    let t = live::station();
    std::fs::create_dir_all(t.path("data")).expect("mkdir");
    let store = station::store_when_free(&t.path("data/db"));
    for i in 1..=n {
        let at = station::local(2026, 3, 1, 5, 30, 0) + chrono::Duration::minutes(i as i64 * 3);
        let mut rec = AsRunRecord {
            id: 0,
            program: "sang".into(),
            trigger: Trigger::Schedule,
            role: Role::Item,
            scheduled_at: at,
            started_at: Some(at),
            ended_at: None,
            played_ms: 0,
            segment_id: Some(SegmentId(i)),
            title: format!("Bản tin phòng chống lụt bão số {i}"),
            topic: "cds".into(),
            unit: Some("Ban chỉ huy PCTT xã".into()),
            sha256: "cd".repeat(32),
            outcome: Outcome::Interrupted,
            reason: Some(loaxa::asrun::ON_AIR.into()),
            output: "null".into(),
            priority: Priority::Normal,
            approved_by: None,
            approved_at: None,
            peak_dbfs: None,
            loudness_lufs: None,
            audible_ms: None,
            silent: false,
            relay: None,
            live: None,
            streams: Vec::new(),
            source: None,
            hash_version: 1,
            prev_hash: String::new(),
            hash: String::new(),
        };
        store.append_record(&mut rec).expect("append");
        rec.ended_at = Some(at + chrono::Duration::seconds(170));
        rec.played_ms = 170_000;
        rec.outcome = Outcome::Completed;
        rec.reason = None;
        store.update_record(&mut rec).expect("end");
    }
    t
}

/// Rewrites record `id`'s stored bytes, with sled directly, as someone with a sled tool could.
fn tamper(t: &TestStation, id: u64, edit: impl FnOnce(&mut Vec<u8>)) {
    let db = open_sled(t);
    let tree = db.open_tree("asrun").expect("asrun tree");
    let key = id.to_be_bytes();
    let mut bytes = tree
        .get(key)
        .expect("read")
        .expect("record present")
        .to_vec();
    edit(&mut bytes);
    tree.insert(key, bytes).expect("write");
    db.flush().expect("flush");
}

/// Replaces the first occurrence of `from` (same length) in the stored bytes.
fn replace(bytes: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "same length keeps the rest in place");
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("`{from}` in {}", String::from_utf8_lossy(bytes)));
    bytes[at..at + to.len()].copy_from_slice(to.as_bytes());
}

#[test]
fn an_untouched_log_verifies() {
    let t = station_with_plays(4);
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("ok: 4 records, chain intact (last: record 4, hash "),
        "{stdout}"
    );
}

#[test]
fn a_log_from_before_the_levels_then_after_verifies_and_a_changed_level_is_named() {
    // Records 1–2 as a loaxa from before the levels wrote them (hash v1, no level fields),
    // then two plays appended by this one with their levels (hash v2).
    let t = live::station();
    std::fs::create_dir_all(t.path("data")).expect("mkdir");
    {
        let db = open_sled(&t);
        let tree = db.open_tree("asrun").expect("asrun tree");
        let mut link = loaxa::store::chain::GENESIS.to_string();
        for id in 1..=2u64 {
            let at = station::local(2026, 1, 5, 5, 30, 0) + chrono::Duration::minutes(id as i64);
            let mut rec: AsRunRecord = serde_json::from_value(serde_json::json!({
                "id": id, "program": "sang", "trigger": "schedule", "role": "item",
                "scheduled_at": at, "started_at": at, "ended_at": at, "played_ms": 60_000,
                "segment_id": id, "title": format!("Bản tin cũ {id}"), "topic": "cds",
                "unit": null, "sha256": "ab".repeat(32), "outcome": "completed",
                "reason": null, "output": "null",
            }))
            .expect("an old record reads");
            assert_eq!(rec.hash_version, 1, "no version: v1");
            rec.prev_hash = link.clone();
            rec.hash = loaxa::store::chain::record_hash(&rec);
            link = rec.hash.clone();
            let mut json = serde_json::to_value(&rec).expect("json");
            let obj = json.as_object_mut().expect("object");
            for k in [
                "peak_dbfs",
                "loudness_lufs",
                "audible_ms",
                "silent",
                "hash_version",
            ] {
                obj.remove(k);
            }
            tree.insert(id.to_be_bytes(), serde_json::to_vec(&json).expect("json"))
                .expect("write");
        }
        db.flush().expect("flush");
    }
    {
        let store = station::store_when_free(&t.path("data/db"));
        for i in 3..=4u64 {
            let mut rec = store.record(2).expect("read").expect("record 2");
            rec.id = 0;
            rec.title = format!("Bản tin mới {i}");
            rec.ended_at = None;
            store.append_record(&mut rec).expect("append");
            rec.ended_at = rec.started_at;
            rec.peak_dbfs = Some(-3.5);
            rec.loudness_lufs = Some(-18.2);
            rec.audible_ms = Some(59_900);
            store.update_record(&mut rec).expect("end");
            assert_eq!(rec.hash_version, loaxa::store::chain::HASH_VERSION);
        }
    }
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("ok: 4 records, chain intact"),
        "{stdout}"
    );

    tamper(&t, 4, |b| {
        replace(b, "\"peak_dbfs\":-3.5", "\"peak_dbfs\":-9.5")
    });
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("BROKEN: record 4: content changed after it was written"),
        "{stdout}"
    );
}

#[test]
fn a_changed_title_is_named_by_record_id_and_exits_1() {
    let t = station_with_plays(5);
    // One byte, still valid JSON: "số 3" becomes "số 8".
    tamper(&t, 3, |b| replace(b, "số 3", "số 8"));
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("BROKEN: record 3: content changed after it was written"),
        "{stdout}"
    );
    assert!(stdout.contains("records 1–2 are intact"), "{stdout}");
    assert!(stdout.contains("hint:"), "{stdout}");
}

#[test]
fn a_changed_played_time_is_found_too() {
    let t = station_with_plays(3);
    tamper(&t, 2, |b| {
        replace(b, "\"played_ms\":170000", "\"played_ms\":970000")
    });
    let out = loaxa(&t.config_path(), &["log", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["broken"]["id"], 2);
    assert_eq!(report["broken"]["problem"]["kind"], "content_changed");
    assert_eq!(report["checked"], 1);
}

#[test]
fn damaged_bytes_are_named_by_record_id() {
    let t = station_with_plays(3);
    tamper(&t, 2, |b| replace(b, "\"id\":2", "\"id\"@2")); // no longer JSON
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("BROKEN: record 2 cannot be decoded"),
        "{stdout}"
    );
}

#[test]
fn a_deleted_record_is_reported_missing() {
    let t = station_with_plays(4);
    {
        let db = open_sled(&t);
        let tree = db.open_tree("asrun").expect("asrun tree");
        tree.remove(2u64.to_be_bytes()).expect("delete");
        db.flush().expect("flush");
    }
    let out = loaxa(&t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("record 2 is missing (ids jump from 1 to 3)"),
        "{stdout}"
    );
}

#[test]
fn through_the_running_daemon_and_a_damaged_last_record_does_not_stop_it() {
    let t = station_with_plays(3);
    tamper(&t, 3, |b| replace(b, "\"id\":3", "\"id\"@3"));
    // The daemon starts (the loudspeakers matter more than the damaged record) and answers.
    let live = live::start(t);
    let (status, report) = live.get("/log/verify");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["broken"]["id"], 3);
    assert_eq!(report["broken"]["problem"]["kind"], "undecodable");
    let out = loaxa(&live.t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("BROKEN: record 3 cannot be decoded"),
        "{stdout}"
    );
    assert!(stdout.contains("records 1–2 are intact"), "{stdout}");
}

#[test]
fn through_the_running_daemon_an_intact_log_verifies() {
    let live = live::start(station_with_plays(2));
    let out = loaxa(&live.t.config_path(), &["log", "verify"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("ok: 2 records, chain intact"),
        "{stdout}"
    );
}

#[test]
fn plays_aired_and_skipped_by_the_real_daemon_keep_the_chain() {
    use serde_json::{Value, json};
    let live = live::start(live::station());
    let mut ids = Vec::new();
    for (name, secs) in [("ngan.wav", 0.3), ("dai.wav", 30.0)] {
        let bytes = live::wav_bytes(&live.t, name, secs);
        let (status, added) = live.upload(&[("topic", "cds")], name, &bytes);
        assert_eq!(status, 201, "{added}");
        ids.push(added[0]["segment"]["id"].as_u64().expect("id"));
    }
    // A short one to its end, then a long one cut by skip.
    let (status, played) = live.post("/play", &json!({ "ids": [ids[0], ids[1]], "now": true }));
    assert_eq!(status, 202, "{played}");
    live::wait_now(&live, "the long one on air", |s| {
        s["on_air"]["segment_id"] == ids[1]
    });
    assert_eq!(live.post("/skip", &Value::Null).0, 200);
    live::wait_now(&live, "off air", |s| s["on_air"].is_null());

    let (status, report) = live.get("/log/verify");
    assert_eq!(status, 200, "{report}");
    assert!(report["broken"].is_null(), "{report}");
    assert_eq!(report["checked"], 2, "{report}");
    let (_, log) = live.get("/log");
    let log = log.as_array().expect("records");
    assert_eq!(log[0]["outcome"], "completed");
    assert_eq!(log[1]["outcome"], "interrupted");
    assert_eq!(log[1]["prev_hash"], log[0]["hash"]);
    assert_eq!(report["last_hash"], log[1]["hash"]);
}

#[test]
fn a_written_down_hash_is_checked_and_a_cut_off_log_exits_1() {
    let t = station_with_plays(4);
    let last_hash = |out: &Output| {
        let stdout = text(&out.stdout);
        let at = stdout.find("hash ").expect("hash printed") + 5;
        stdout[at..at + 64].to_string()
    };
    let first = loaxa(&t.config_path(), &["log", "verify"]);
    let anchor = format!("4:{}", last_hash(&first));
    let again = loaxa(&t.config_path(), &["log", "verify", "--expect", &anchor]);
    let stdout = text(&again.stdout);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{stdout}{}",
        text(&again.stderr)
    );
    assert!(
        stdout.contains("record 4 has the hash written down for it"),
        "{stdout}"
    );

    {
        let db = open_sled(&t);
        let tree = db.open_tree("asrun").expect("asrun tree");
        tree.remove(4u64.to_be_bytes())
            .expect("cut off the last record");
        db.flush().expect("flush");
    }
    let plain = loaxa(&t.config_path(), &["log", "verify"]);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "the chain alone cannot see a cut end"
    );
    let cut = loaxa(&t.config_path(), &["log", "verify", "--expect", &anchor]);
    let stdout = text(&cut.stdout);
    assert_eq!(cut.status.code(), Some(1), "{stdout}{}", text(&cut.stderr));
    assert!(
        stdout.contains("record 4 was written down but the log ends at record 3"),
        "{stdout}"
    );
    let bad = loaxa(&t.config_path(), &["log", "verify", "--expect", "4:abc"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(
        text(&bad.stderr).contains("RECORD:HASH"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn through_the_daemon_a_malformed_expect_is_a_400() {
    let live = live::start(station_with_plays(1));
    let (status, body) = live.get("/log/verify?expect=nope");
    assert_eq!(status, 400, "{body}");
    let (status, report) = live.get("/log/verify");
    assert_eq!(status, 200);
    let anchor = format!("1:{}", report["last_hash"].as_str().expect("hash"));
    let (status, report) = live.get(&format!("/log/verify?expect={anchor}"));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["anchor"]["id"], 1, "{report}");
}
