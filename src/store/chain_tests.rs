//! The as-run log's hash chain: what it vouches for, and each way of breaking it that
//! `verify_chain` must name.

use std::sync::Arc;

use chrono::{Datelike, TimeZone};

use super::chain::{Anchor, GENESIS, HASH_VERSION, Problem, canonical, record_hash};
use super::keys::be;
use super::*;
use crate::asrun::{ON_AIR, Recorder, STOPPED_UNEXPECTEDLY};
use crate::model::{AsRunRecord, Outcome, Role, Trigger};

fn record(title: &str) -> AsRunRecord {
    let at = chrono::FixedOffset::east_opt(7 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2026, 3, 1, 5, 30, 0)
        .single()
        .expect("valid");
    AsRunRecord {
        id: 0,
        program: "sang".into(),
        trigger: Trigger::Schedule,
        role: Role::Item,
        scheduled_at: at,
        started_at: Some(at),
        ended_at: None,
        played_ms: 0,
        segment_id: Some(SegmentId(12)),
        title: title.into(),
        topic: "cds".into(),
        unit: Some("UBND xã".into()),
        sha256: "ab".repeat(32),
        outcome: Outcome::Interrupted,
        reason: Some(ON_AIR.into()),
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
    }
}

/// A store with `n` closed records (ids 1..=n).
fn log_of(n: u64) -> Store {
    let store = Store::temporary().expect("store");
    for i in 1..=n {
        let mut rec = record(&format!("Bản tin số {i}"));
        store.append_record(&mut rec).expect("append");
        end(&mut rec);
        store.update_record(&mut rec).expect("end");
    }
    store
}

fn end(rec: &mut AsRunRecord) {
    rec.ended_at = rec.started_at.map(|t| t + chrono::Duration::seconds(95));
    rec.played_ms = 95_000;
    rec.outcome = Outcome::Completed;
    rec.reason = None;
}

fn raw(store: &Store, id: u64) -> Vec<u8> {
    store
        .h()
        .expect("db")
        .asrun
        .get(be(id))
        .expect("read")
        .expect("present")
        .to_vec()
}

fn put_raw(store: &Store, id: u64, bytes: &[u8]) {
    store
        .h()
        .expect("db")
        .asrun
        .insert(be(id), bytes)
        .expect("write");
}

fn put(store: &Store, rec: &AsRunRecord) {
    put_raw(store, rec.id, &to_json(rec));
}

fn broken(store: &Store) -> (u64, Problem, ChainReport) {
    let report = store.verify_chain().expect("verify");
    let b = report.broken.clone().expect("the chain must be broken");
    (b.id, b.problem, report)
}

#[test]
fn canonical_encoding_v1_is_pinned() {
    // Golden: if this fails, old logs no longer verify. Write a v2 instead of changing v1.
    let mut rec = record("Tiêu đề \"có\" dấu");
    rec.id = 7;
    rec.prev_hash = GENESIS.into();
    rec.hash = "ignored".into();
    end(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(
        text,
        "loaxa.asrun.v1\n{\"id\":7,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"sang\",\"trigger\":\"schedule\",\"role\":\"item\",\"scheduled_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-03-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":12,\"title\":\"Tiêu đề \\\"có\\\" dấu\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"abababababababababababababababababababababababababababababababab\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"normal\",\"approved_by\":null,\"approved_at\":null}"
    );
    assert_eq!(record_hash(&rec), GOLDEN_HASH);
}

/// sha256 of the bytes above, computed independently (Python's hashlib and json).
const GOLDEN_HASH: &str = "6c8556c703df6508a8a4bbfbddc8938fe7399dab9cff725f93fa915c20b4b410";

#[test]
fn canonical_encoding_v2_is_pinned() {
    // Golden: if this fails, logs written since the levels no longer verify. Write a v3.
    let mut rec = record("Tiêu đề \"có\" dấu");
    rec.id = 7;
    rec.prev_hash = GENESIS.into();
    rec.hash = "ignored".into();
    end(&mut rec);
    with_levels(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(
        text,
        "loaxa.asrun.v2\n{\"id\":7,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"sang\",\"trigger\":\"schedule\",\"role\":\"item\",\"scheduled_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-03-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":12,\"title\":\"Tiêu đề \\\"có\\\" dấu\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"abababababababababababababababababababababababababababababababab\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"normal\",\"approved_by\":null,\"approved_at\":null,\"hash_version\":2,\"peak_dbfs\":-3.5,\"loudness_lufs\":-18.2,\"audible_ms\":94100,\"silent\":false}"
    );
    assert_eq!(record_hash(&rec), GOLDEN_HASH_V2);
}

/// sha256 of the v2 bytes above, computed independently (Python's hashlib and json).
const GOLDEN_HASH_V2: &str = "5e17dd502d87124d4666e17693eb133ec71d0ebe225d1808a019390fc7461eb8";

#[test]
fn canonical_encoding_v3_is_pinned() {
    // Golden: if this fails, logs written since relays no longer verify. Write a v4.
    let mut rec = record("Tiếp sóng Thời sự VOV1");
    rec.id = 8;
    rec.prev_hash = GENESIS.into();
    end(&mut rec);
    with_levels(&mut rec);
    with_relay(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(text, GOLDEN_V3);
    assert_eq!(record_hash(&rec), GOLDEN_HASH_V3);
    // A v3 record of an item (no relay) hashes `relay` as null.
    rec.relay = None;
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert!(
        text.ends_with(",\"silent\":false,\"relay\":null}"),
        "{text}"
    );
}

const GOLDEN_V3: &str = "loaxa.asrun.v3\n{\"id\":8,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"sang\",\"trigger\":\"schedule\",\"role\":\"relay\",\"scheduled_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-03-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":null,\"title\":\"Tiếp sóng Thời sự VOV1\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"normal\",\"approved_by\":null,\"approved_at\":null,\"hash_version\":3,\"peak_dbfs\":-3.5,\"loudness_lufs\":-18.2,\"audible_ms\":94100,\"silent\":false,\"relay\":{\"url\":\"https://radio.example.vn/vov1.m3u8\",\"stream_title\":\"Thời sự 6h\",\"relayed_ms\":90000,\"dropout_ms\":5000,\"switches\":[{\"at_ms\":0,\"to\":\"source\",\"url\":\"https://radio.example.vn/vov1.m3u8\"},{\"at_ms\":40000,\"to\":\"fallback\",\"why\":{\"code\":\"stalled\"}},{\"at_ms\":45000,\"to\":\"source\",\"url\":\"http://192.0.2.10:8000/vov1.mp3\"}],\"failures\":[{\"at_ms\":39000,\"url\":\"https://radio.example.vn/vov1.m3u8\",\"fault\":{\"code\":\"stalled\"}},{\"at_ms\":39500,\"url\":\"https://radio.example.vn/vov1.m3u8\",\"fault\":{\"code\":\"status\",\"status\":404}}],\"failures_dropped\":0}}";

/// sha256 of [`GOLDEN_V3`], computed independently (Python's hashlib over the bytes its
/// json module writes for the same values).
const GOLDEN_HASH_V3: &str = "fffc6ea98422bc0bae2339213648816638e2cef4b063d888de75703bef2c9f26";

#[test]
fn canonical_encoding_v4_is_pinned() {
    // Golden: if this fails, logs written since live broadcasts no longer verify. Write a v5.
    let mut rec = record("Thông báo của UBND xã");
    rec.id = 9;
    rec.prev_hash = GENESIS.into();
    end(&mut rec);
    with_levels(&mut rec);
    with_live(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(text, GOLDEN_V4);
    assert_eq!(record_hash(&rec), GOLDEN_HASH_V4);
    // A v4 record of an item hashes `relay` and `live` as null.
    rec.live = None;
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert!(
        text.ends_with(",\"silent\":false,\"relay\":null,\"live\":null}"),
        "{text}"
    );
    // Every field is covered; a v3 record carrying a live proof is refused.
    with_live(&mut rec);
    let (stored, hashed) = stored_and_hashed(&rec);
    assert_eq!(
        stored,
        hashed
            .into_iter()
            .filter(|k| k != "relay")
            .collect::<Vec<_>>()
    );
    rec.hash_version = 3;
    assert_eq!(super::chain::uncovered(&rec), ["live"]);
}

const GOLDEN_V4: &str = "loaxa.asrun.v4\n{\"id\":9,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"live\",\"trigger\":\"manual\",\"role\":\"live\",\"scheduled_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-03-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":null,\"title\":\"Thông báo của UBND xã\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"emergency\",\"approved_by\":null,\"approved_at\":null,\"hash_version\":4,\"peak_dbfs\":-3.5,\"loudness_lufs\":-18.2,\"audible_ms\":94100,\"silent\":false,\"relay\":null,\"live\":{\"by\":\"Chủ tịch xã\",\"input\":\"alsa:plughw:CARD=Device,DEV=0\",\"end\":\"stopped\",\"underrun_ms\":20,\"dropped_ms\":5,\"delay_ms\":30,\"aircheck\":\"live-20260301-053000-1.wav\",\"aircheck_bytes\":4189544}}";

/// sha256 of [`GOLDEN_V4`], computed independently (Python's hashlib over the bytes its
/// json module writes for the same values).
const GOLDEN_HASH_V4: &str = "65171608abe42cde009af35779cd8357714cbe077d741f5393748e1a4eecd807";

#[test]
fn canonical_encoding_v5_is_pinned() {
    // Golden: if this fails, logs written since stream outputs no longer verify. Write a v6.
    let mut rec = record("Bản tin \"chuyển đổi số\"");
    rec.id = 10;
    rec.prev_hash = GENESIS.into();
    end(&mut rec);
    with_levels(&mut rec);
    with_streams(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(text, GOLDEN_V5);
    assert_eq!(record_hash(&rec), GOLDEN_HASH_V5);
    // Without streams, `streams` is hashed as an empty list.
    rec.streams.clear();
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert!(
        text.ends_with(",\"relay\":null,\"live\":null,\"streams\":[]}"),
        "{text}"
    );
    // Every field is covered; a v4 record carrying streams is refused.
    with_streams(&mut rec);
    let (stored, hashed) = stored_and_hashed(&rec);
    let nulls = ["relay", "live"];
    assert_eq!(
        stored,
        hashed
            .into_iter()
            .filter(|k| !nulls.contains(&k.as_str()))
            .collect::<Vec<_>>()
    );
    rec.hash_version = 4;
    assert_eq!(super::chain::uncovered(&rec), ["streams"]);
}

const GOLDEN_V5: &str = "loaxa.asrun.v5\n{\"id\":10,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"sang\",\"trigger\":\"schedule\",\"role\":\"item\",\"scheduled_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-03-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-03-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":12,\"title\":\"Bản tin \\\"chuyển đổi số\\\"\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"abababababababababababababababababababababababababababababababab\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"normal\",\"approved_by\":null,\"approved_at\":null,\"hash_version\":5,\"peak_dbfs\":-3.5,\"loudness_lufs\":-18.2,\"audible_ms\":94100,\"silent\":false,\"relay\":null,\"live\":null,\"streams\":[{\"stream\":\"loa-xa.mp3\",\"gap_ms\":3000},{\"stream\":\"Thôn 2\",\"gap_ms\":0,\"other_zone\":true}]}";

/// sha256 of [`GOLDEN_V5`], computed independently (Python's hashlib over the bytes its
/// json module writes for the same values).
const GOLDEN_HASH_V5: &str = "b6230c3e038114a9fdc170624b0ddea5e2abacae0349cc75a577797e59628205";

#[test]
fn canonical_encoding_v6_is_pinned() {
    // Golden: if this fails, logs written since inbound bulletins no longer verify. Write a v7.
    let mut rec = record("Tin bão số 9 \"khẩn\"");
    rec.id = 11;
    rec.prev_hash = GENESIS.into();
    rec.program = "emergency".into();
    rec.trigger = Trigger::Manual;
    rec.priority = Priority::Emergency;
    rec.scheduled_at = rec
        .scheduled_at
        .with_day(1)
        .and_then(|t| t.with_month(10))
        .expect("valid");
    rec.started_at = Some(rec.scheduled_at);
    rec.approved_by = Some("Sở KH&CN Quảng Ngãi".into());
    rec.approved_at = Some(rec.scheduled_at - chrono::Duration::seconds(2));
    end(&mut rec);
    with_levels(&mut rec);
    with_source(&mut rec);
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert_eq!(text, GOLDEN_V6);
    assert_eq!(record_hash(&rec), GOLDEN_HASH_V6);
    // The station's own items hash `source` as null.
    rec.source = None;
    let text = String::from_utf8(canonical(&rec)).expect("utf-8");
    assert!(text.ends_with(",\"streams\":[],\"source\":null}"), "{text}");
    // Every field is covered; a v5 record carrying a source is refused.
    with_source(&mut rec);
    let (stored, hashed) = stored_and_hashed(&rec);
    let nulls = ["relay", "live"];
    assert_eq!(
        stored,
        hashed
            .into_iter()
            .filter(|k| !nulls.contains(&k.as_str()) && k != "streams")
            .collect::<Vec<_>>()
    );
    rec.hash_version = 5;
    assert_eq!(super::chain::uncovered(&rec), ["source"]);
    // A v5 record still hashes as v5 did (its golden is unchanged above).
    rec.source = None;
    assert!(
        String::from_utf8(canonical(&rec))
            .expect("utf-8")
            .starts_with("loaxa.asrun.v5\n")
    );
}

const GOLDEN_V6: &str = "loaxa.asrun.v6\n{\"id\":11,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"program\":\"emergency\",\"trigger\":\"manual\",\"role\":\"item\",\"scheduled_at\":\"2026-10-01T05:30:00.000000000+07:00\",\"started_at\":\"2026-10-01T05:30:00.000000000+07:00\",\"ended_at\":\"2026-10-01T05:31:35.000000000+07:00\",\"played_ms\":95000,\"segment_id\":12,\"title\":\"Tin bão số 9 \\\"khẩn\\\"\",\"topic\":\"cds\",\"unit\":\"UBND xã\",\"sha256\":\"abababababababababababababababababababababababababababababababab\",\"outcome\":\"completed\",\"reason\":null,\"output\":\"null\",\"priority\":\"emergency\",\"approved_by\":\"Sở KH&CN Quảng Ngãi\",\"approved_at\":\"2026-10-01T05:29:58.000000000+07:00\",\"hash_version\":6,\"peak_dbfs\":-3.5,\"loudness_lufs\":-18.2,\"audible_ms\":94100,\"silent\":false,\"relay\":null,\"live\":null,\"streams\":[],\"source\":{\"bulletin\":\"QNG-2026-0917\",\"from\":\"Sở KH&CN Quảng Ngãi\",\"level\":\"emergency\"}}";

/// sha256 of [`GOLDEN_V6`], computed independently (Python's hashlib over the bytes its
/// json module writes for the same values, `ensure_ascii=False`, compact separators).
const GOLDEN_HASH_V6: &str = "010db64b160d1c403bf9a2b5a082b1363d69017270c2797bd4a0a426cf57b8cb";

/// An emergency bulletin sent by the province.
fn with_source(rec: &mut AsRunRecord) {
    rec.hash_version = 6;
    rec.source = Some(crate::model::InboundOrigin {
        bulletin: "QNG-2026-0917".into(),
        from: "Sở KH&CN Quảng Ngãi".into(),
        level: Priority::Emergency,
    });
}

/// An item carried by two streams: one with a gap, one for other zones.
fn with_streams(rec: &mut AsRunRecord) {
    rec.hash_version = 5;
    rec.streams = vec![
        crate::stream::StreamCarriage {
            stream: "loa-xa.mp3".into(),
            gap_ms: 3_000,
            other_zone: false,
        },
        crate::stream::StreamCarriage {
            stream: "Thôn 2".into(),
            gap_ms: 0,
            other_zone: true,
        },
    ];
}

/// A live broadcast's record (role `live`) with its proof and its air-check's hash.
fn with_live(rec: &mut AsRunRecord) {
    rec.hash_version = 4;
    rec.role = crate::model::Role::Live;
    rec.program = "live".into();
    rec.trigger = crate::model::Trigger::Manual;
    rec.title = "Thông báo của UBND xã".into();
    rec.segment_id = None;
    rec.sha256 = "cd".repeat(32);
    rec.priority = crate::model::Priority::Emergency;
    rec.live = Some(crate::model::LiveProof {
        by: "Chủ tịch xã".into(),
        input: "alsa:plughw:CARD=Device,DEV=0".into(),
        end: crate::live::LiveEnd::Stopped,
        underrun_ms: 20,
        dropped_ms: 5,
        delay_ms: 30,
        aircheck: Some("live-20260301-053000-1.wav".into()),
        aircheck_bytes: Some(4_189_544),
    });
}

/// A relay's record (role `relay`) with its proof.
fn with_relay(rec: &mut AsRunRecord) {
    use crate::relay::{Air, Failure, Fault, RelayProof, Switch};
    let (hls, mp3) = (
        "https://radio.example.vn/vov1.m3u8",
        "http://192.0.2.10:8000/vov1.mp3",
    );
    rec.hash_version = 3;
    rec.role = crate::model::Role::Relay;
    rec.title = "Tiếp sóng Thời sự VOV1".into();
    rec.segment_id = None;
    rec.sha256 = String::new();
    rec.relay = Some(RelayProof {
        url: Some(hls.into()),
        stream_title: Some("Thời sự 6h".into()),
        relayed_ms: 90_000,
        dropout_ms: 5_000,
        switches: vec![
            Switch {
                at_ms: 0,
                air: Air::Source { url: hls.into() },
                why: None,
            },
            Switch {
                at_ms: 40_000,
                air: Air::Fallback,
                why: Some(Fault::Stalled),
            },
            Switch {
                at_ms: 45_000,
                air: Air::Source { url: mp3.into() },
                why: None,
            },
        ],
        failures: vec![
            Failure {
                at_ms: 39_000,
                url: hls.into(),
                fault: Fault::Stalled,
            },
            Failure {
                at_ms: 39_500,
                url: hls.into(),
                fault: Fault::Status { status: 404 },
            },
        ],
        failures_dropped: 0,
    });
}

#[test]
fn a_relay_proof_is_covered_and_a_changed_dropout_is_found() {
    let mut rec = record("t");
    with_levels(&mut rec);
    with_relay(&mut rec);
    let (stored, hashed) = stored_and_hashed(&rec);
    assert_eq!(stored, hashed, "v3 covers every field");
    // A v2 record carrying a relay proof was edited: v2 does not cover it.
    let (_dir, store) = mixed_log();
    let text = String::from_utf8(raw(&store, 3)).expect("utf-8");
    let proof = serde_json::to_string(&rec.relay).expect("json");
    let text = text
        .replace(
            &format!("\"hash_version\":{HASH_VERSION}"),
            "\"hash_version\":2",
        )
        .replacen('{', &format!("{{\"relay\":{proof},"), 1);
    put_raw(&store, 3, text.as_bytes());
    let (id, problem, _) = broken(&store);
    assert_eq!(
        (id, problem),
        (
            3,
            Problem::NotCovered {
                version: 2,
                fields: "relay".into()
            }
        )
    );
}

/// The proof-of-air fields of a v2 record.
fn with_levels(rec: &mut AsRunRecord) {
    rec.hash_version = 2;
    rec.peak_dbfs = Some(-3.5);
    rec.loudness_lufs = Some(-18.2);
    rec.audible_ms = Some(94_100);
    rec.silent = false;
}

/// The field names of the record as stored, and as hashed in its version.
fn stored_and_hashed(rec: &AsRunRecord) -> (Vec<String>, Vec<String>) {
    let stored = serde_json::to_value(rec).expect("json");
    let mut stored: Vec<String> = stored
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    let bytes = canonical(rec);
    let hashed: serde_json::Value = serde_json::from_slice(&bytes[15..]).expect("json");
    let mut hashed: Vec<String> = hashed
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    stored.retain(|k| k != "hash");
    stored.sort();
    hashed.sort();
    (stored, hashed)
}

#[test]
fn the_canonical_encoding_covers_every_field_but_the_hash() {
    // A field added to `AsRunRecord` must be hashed too: add it to a v3 encoding.
    let mut rec = record("t");
    with_levels(&mut rec);
    let (stored, hashed) = stored_and_hashed(&rec);
    assert_eq!(stored, hashed);
    // v1 covers every field but the ones v2 added (a v1 record carrying them is refused).
    rec.hash_version = 1;
    let (mut stored, hashed) = stored_and_hashed(&rec);
    let v2_only = [
        "audible_ms",
        "hash_version",
        "loudness_lufs",
        "peak_dbfs",
        "silent",
    ];
    stored.retain(|k| !v2_only.contains(&k.as_str()));
    assert_eq!(stored, hashed);
}

/// A record's JSON as a loaxa from before the levels wrote it: chained with v1, without
/// the fields v2 added.
fn as_v1_wrote_it(rec: &AsRunRecord) -> Vec<u8> {
    let mut value = serde_json::to_value(rec).expect("json");
    let object = value.as_object_mut().expect("object");
    for k in [
        "peak_dbfs",
        "loudness_lufs",
        "audible_ms",
        "silent",
        "hash_version",
    ] {
        object.remove(k);
    }
    serde_json::to_vec(&value).expect("json")
}

/// Records 1–2 chained by the older loaxa (v1), then 3–4 appended by this one (v2).
fn mixed_log() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut link = GENESIS.to_string();
    for id in 1..=2 {
        let mut old = record("cũ");
        old.id = id;
        old.hash_version = 1;
        end(&mut old);
        old.prev_hash = link.clone();
        old.hash = record_hash(&old);
        link = old.hash.clone();
        put_raw(&store, id, &as_v1_wrote_it(&old));
    }
    store.flush().expect("flush");
    drop(store);
    let store = Store::open(dir.path()).expect("reopen after the upgrade");
    for _ in 0..2 {
        let mut rec = record("mới");
        store.append_record(&mut rec).expect("append");
        end(&mut rec);
        with_levels(&mut rec);
        store.update_record(&mut rec).expect("end");
    }
    (dir, store)
}

#[test]
fn a_log_of_v1_and_current_records_verifies_each_with_its_version() {
    let (_dir, store) = mixed_log();
    let all = store.records(None, None).expect("records");
    let versions: Vec<u8> = all.iter().map(|r| r.hash_version).collect();
    assert_eq!(
        versions,
        [1, 1, HASH_VERSION, HASH_VERSION],
        "absent means v1; new records are in the current version"
    );
    assert_eq!(
        all[2].prev_hash, all[1].hash,
        "the current version links to v1"
    );
    assert_eq!(all[3].peak_dbfs, Some(-3.5));
    let report = store.verify_chain().expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!((report.checked, report.unchained), (4, 0));
}

#[test]
fn a_tampered_level_is_found() {
    for (from, to) in [
        ("\"peak_dbfs\":-3.5", "\"peak_dbfs\":-3.4"),
        ("\"loudness_lufs\":-18.2", "\"loudness_lufs\":null"),
        ("\"audible_ms\":94100", "\"audible_ms\":95000"),
        ("\"silent\":false", "\"silent\":true"),
    ] {
        let (_dir, store) = mixed_log();
        let text = String::from_utf8(raw(&store, 3)).expect("utf-8");
        assert!(text.contains(from), "{text}");
        put_raw(&store, 3, text.replace(from, to).as_bytes());
        let (id, problem, _) = broken(&store);
        assert_eq!(id, 3, "{to}");
        assert!(
            matches!(problem, Problem::ContentChanged { .. }),
            "{to}: {problem:?}"
        );
    }
}

#[test]
fn levels_added_to_a_v1_record_or_a_version_changed_are_found() {
    // A v1 hash does not cover levels: a v1 record that has them was edited.
    let (_dir, store) = mixed_log();
    let text = String::from_utf8(raw(&store, 2)).expect("utf-8");
    let text = text.replacen('{', "{\"silent\":true,", 1);
    put_raw(&store, 2, text.as_bytes());
    let (id, problem, report) = broken(&store);
    assert_eq!(id, 2);
    assert_eq!(
        problem,
        Problem::NotCovered {
            version: 1,
            fields: "silent".into()
        }
    );
    let shown = report.broken.expect("broken").to_string();
    assert!(shown.contains("does not cover"), "{shown}");

    // A v2 record passed off as v1 (its levels stripped) no longer gives its hash.
    let (_dir, store) = mixed_log();
    let mut rec = store.record(4).expect("read").expect("4");
    rec.hash_version = 1;
    rec.peak_dbfs = None;
    rec.loudness_lufs = None;
    rec.audible_ms = None;
    put(&store, &rec);
    let (id, problem, _) = broken(&store);
    assert_eq!(id, 4);
    assert!(
        matches!(problem, Problem::ContentChanged { .. }),
        "{problem:?}"
    );

    // A version this loaxa does not know.
    let (_dir, store) = mixed_log();
    let text = String::from_utf8(raw(&store, 3)).expect("utf-8");
    put_raw(
        &store,
        3,
        text.replace(
            &format!("\"hash_version\":{HASH_VERSION}"),
            "\"hash_version\":9",
        )
        .as_bytes(),
    );
    let (id, problem, _) = broken(&store);
    assert_eq!((id, problem), (3, Problem::UnknownVersion { version: 9 }));
}

#[test]
fn appended_records_link_to_the_one_before() {
    let store = log_of(3);
    let all = store.records(None, None).expect("records");
    assert_eq!(all[0].prev_hash, GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for r in &all {
        assert_eq!(r.hash, record_hash(r), "record {}", r.id);
        assert_eq!(r.hash.len(), 64);
    }
    let report = store.verify_chain().expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.checked, 3);
    assert_eq!(report.unchained, 0);
    assert_eq!(report.last_id, Some(3));
    assert_eq!(report.last_hash.as_deref(), Some(all[2].hash.as_str()));
}

#[test]
fn the_end_of_a_play_keeps_the_chain_and_is_the_only_rewrite() {
    let store = Store::temporary().expect("store");
    let mut first = record("một");
    store.append_record(&mut first).expect("append");
    let started_hash = first.hash.clone();
    end(&mut first);
    store
        .update_record(&mut first)
        .expect("the end of the last play");
    assert_ne!(first.hash, started_hash, "the end is covered by the hash");
    assert_eq!(first.prev_hash, GENESIS);
    assert!(store.verify_chain().expect("verify").intact());

    // Once ended, not again.
    first.played_ms = 1;
    let err = store.update_record(&mut first).expect_err("second rewrite");
    assert!(matches!(err, StoreError::LogRewrite { id: 1, .. }), "{err}");

    let mut second = record("hai");
    store.append_record(&mut second).expect("append");
    assert_eq!(
        second.prev_hash,
        store.record(1).expect("read").expect("1").hash
    );
    // Record 1 is now vouched for by record 2: refused, even with its end unset.
    let mut old = store.record(1).expect("read").expect("1");
    old.ended_at = None;
    put(&store, &old);
    let mut old = store.record(1).expect("read").expect("1");
    old.title = "sửa".into();
    let err = store
        .update_record(&mut old)
        .expect_err("not the last record");
    assert!(
        err.to_string().contains("only the last record (2)"),
        "{err}"
    );
    assert_eq!(store.record(1).expect("read").expect("1").title, "một");
}

#[test]
fn the_chain_survives_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut open;
    {
        let store = Store::open(dir.path()).expect("open");
        for i in 0..3 {
            let mut rec = record(&format!("trước {i}"));
            store.append_record(&mut rec).expect("append");
            end(&mut rec);
            store.update_record(&mut rec).expect("end");
        }
        open = record("đang phát");
        store.append_record(&mut open).expect("append");
    }
    let store = Store::open(dir.path()).expect("reopen");
    // The head is rebuilt from disk: the play left open can still be ended, then appended to.
    end(&mut open);
    store.update_record(&mut open).expect("end after reopen");
    let mut next = record("sau");
    store.append_record(&mut next).expect("append after reopen");
    assert_eq!((next.id, next.prev_hash.as_str()), (5, open.hash.as_str()));
    let report = store.verify_chain().expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.checked, 5);
}

#[test]
fn a_flipped_byte_in_a_title_is_found_by_record_id() {
    let store = log_of(5);
    let mut bytes = raw(&store, 3);
    let at = bytes
        .windows(4)
        .position(|w| w == "Bả".as_bytes())
        .expect("title in the stored JSON");
    bytes[at] = b'C'; // "Bản" -> "Cản": still valid JSON and UTF-8 (B is one byte)
    put_raw(&store, 3, &bytes);
    let (id, problem, report) = broken(&store);
    assert_eq!(id, 3);
    assert!(
        matches!(problem, Problem::ContentChanged { .. }),
        "{problem:?}"
    );
    assert_eq!(report.checked, 2, "records before the break are counted");
    let shown = report.broken.expect("broken").to_string();
    assert!(shown.starts_with("record 3: content changed"), "{shown}");
}

#[test]
fn a_changed_played_ms_digit_is_found() {
    let store = log_of(4);
    let text = String::from_utf8(raw(&store, 2)).expect("utf-8");
    let text = text.replace("\"played_ms\":95000", "\"played_ms\":95900");
    put_raw(&store, 2, text.as_bytes());
    let (id, problem, _) = broken(&store);
    assert_eq!(id, 2);
    let Problem::ContentChanged { stored, recomputed } = problem else {
        panic!("{problem:?}");
    };
    assert_ne!(stored, recomputed);
}

#[test]
fn damaged_bytes_are_reported_as_undecodable() {
    let store = log_of(4);
    let mut bytes = raw(&store, 2);
    bytes[0] = b'x'; // no longer JSON
    put_raw(&store, 2, &bytes);
    let (id, problem, _) = broken(&store);
    assert_eq!(id, 2);
    assert!(
        matches!(problem, Problem::Undecodable { .. }),
        "{problem:?}"
    );
}

#[test]
fn a_deleted_record_is_reported_missing() {
    let store = log_of(5);
    store.h().expect("db").asrun.remove(be(3)).expect("delete");
    let (id, problem, report) = broken(&store);
    assert_eq!((id, problem), (3, Problem::Missing { next: 4 }));
    assert_eq!(
        report.broken.expect("broken").to_string(),
        "record 3 is missing (ids jump from 2 to 4)"
    );
    store.h().expect("db").asrun.remove(be(1)).expect("delete");
    let (id, problem, _) = broken(&store);
    assert_eq!((id, problem), (1, Problem::Missing { next: 2 }));
}

#[test]
fn a_record_from_another_log_does_not_link() {
    let ours = log_of(3);
    let theirs = Store::temporary().expect("store");
    for title in ["khác 1", "khác 2"] {
        let mut rec = record(title);
        theirs.append_record(&mut rec).expect("append");
    }
    // Their record 2 is internally consistent (its own hash is right) but links elsewhere.
    put_raw(&ours, 2, &raw(&theirs, 2));
    let (id, problem, _) = broken(&ours);
    assert_eq!(id, 2);
    assert!(
        matches!(problem, Problem::PrevHashMismatch { .. }),
        "{problem:?}"
    );
}

#[test]
fn reordered_records_do_not_link_even_with_ids_and_hashes_redone() {
    let store = log_of(4);
    let mut two = store.record(2).expect("read").expect("2");
    let mut three = store.record(3).expect("read").expect("3");
    std::mem::swap(&mut two.id, &mut three.id);
    two.hash = record_hash(&two);
    three.hash = record_hash(&three);
    put(&store, &two);
    put(&store, &three);
    let (id, problem, _) = broken(&store);
    assert_eq!(id, 2);
    assert!(
        matches!(problem, Problem::PrevHashMismatch { .. }),
        "{problem:?}"
    );
    // Swapped as stored (ids inside unchanged): the record names another id.
    let store = log_of(4);
    let (a, b) = (raw(&store, 2), raw(&store, 3));
    put_raw(&store, 2, &b);
    put_raw(&store, 3, &a);
    let (id, problem, _) = broken(&store);
    assert_eq!(
        (id, problem),
        (
            2,
            Problem::WrongId {
                stored_as: 2,
                claims: 3
            }
        )
    );
}

#[test]
fn records_from_before_the_chain_are_counted_and_the_last_one_is_anchored() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        for id in 1..=2 {
            let mut legacy = record("cũ");
            legacy.id = id;
            end(&mut legacy);
            put(&store, &legacy); // as an older loaxa wrote it: no hashes
        }
        store.flush().expect("flush");
    }
    let store = Store::open(dir.path()).expect("reopen after the upgrade");
    let mut rec = record("mới");
    store.append_record(&mut rec).expect("append");
    let legacy2 = store.record(2).expect("read").expect("2");
    assert_eq!(rec.prev_hash, record_hash(&legacy2));
    let report = store.verify_chain().expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!((report.checked, report.unchained), (3, 2));

    // Editing the last unchained record breaks the first chained one's link.
    let mut edited = legacy2.clone();
    edited.played_ms += 1;
    put(&store, &edited);
    let (id, problem, _) = broken(&store);
    assert_eq!(id, 3);
    assert!(
        matches!(problem, Problem::PrevHashMismatch { .. }),
        "{problem:?}"
    );
    put(&store, &legacy2);

    // Stripping a chained record's hash does not make it "old".
    let mut more = record("mới 2");
    store.append_record(&mut more).expect("append");
    let mut stripped = store.record(4).expect("read").expect("4");
    stripped.hash.clear();
    stripped.prev_hash.clear();
    put(&store, &stripped);
    let (id, problem, _) = broken(&store);
    assert_eq!((id, problem), (4, Problem::Unchained { chain_began_at: 3 }));
}

#[test]
fn a_play_left_on_air_by_a_crash_is_closed_and_stays_chained() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        // An older play whose end could not be written, then the play the crash cut.
        for title in ["lỗi ghi", "đang phát"] {
            let mut rec = record(title);
            store.append_record(&mut rec).expect("append");
        }
    }
    let store = Arc::new(Store::open(dir.path()).expect("reopen"));
    let clock: crate::clock::SharedClock = Arc::new(crate::clock::SystemClock);
    let recorder = Recorder::new(
        store.clone(),
        clock,
        chrono_tz::Asia::Ho_Chi_Minh,
        "null".into(),
    );
    assert_eq!(recorder.close_unfinished().expect("close"), 1);
    let last = store.record(2).expect("read").expect("2");
    assert_eq!(last.reason.as_deref(), Some(STOPPED_UNEXPECTEDLY));
    assert_eq!(last.outcome, Outcome::Interrupted);
    let older = store.record(1).expect("read").expect("1");
    assert_eq!(
        older.reason.as_deref(),
        Some(ON_AIR),
        "final once linked: left as written"
    );
    assert_eq!(recorder.close_unfinished().expect("again"), 0);
    assert!(store.verify_chain().expect("verify").intact());
}

#[test]
fn an_append_never_overwrites_a_record() {
    let store = log_of(1);
    // Something wrote record 2 behind the store's back (its cached head still says 1).
    let mut stray = record("lạ");
    stray.id = 2;
    put(&store, &stray);
    let mut rec = record("mới");
    let err = store.append_record(&mut rec).expect_err("id 2 is taken");
    assert!(matches!(err, StoreError::LogRewrite { id: 2, .. }), "{err}");
    assert_eq!(store.record(2).expect("read").expect("2").title, "lạ");
}

#[test]
fn a_log_rewritten_with_recomputed_hashes_fails_only_against_a_written_down_hash() {
    let store = log_of(4);
    let written_down: Anchor = format!("3:{}", store.record(3).expect("read").expect("3").hash)
        .parse()
        .expect("anchor");
    let report = store
        .verify_chain_with(Some(written_down.clone()))
        .expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.anchor.as_ref(), Some(&written_down));

    // Someone who knows the encoding edits record 2 and redoes every hash after it.
    let mut link = store.record(1).expect("read").expect("1").hash;
    for id in 2..=4 {
        let mut rec = store.record(id).expect("read").expect("present");
        if id == 2 {
            rec.played_ms = 1_000;
        }
        rec.prev_hash = link;
        rec.hash = record_hash(&rec);
        link = rec.hash.clone();
        put(&store, &rec);
    }
    assert!(
        store.verify_chain().expect("verify").intact(),
        "the chain alone cannot tell"
    );
    let report = store
        .verify_chain_with(Some(written_down.clone()))
        .expect("verify");
    let b = report.broken.expect("the written-down hash tells");
    assert_eq!(b.id, 3);
    assert!(matches!(b.problem, Problem::AnchorMismatch { .. }), "{b:?}");
    assert!(b.to_string().contains("written down"), "{b}");
}

#[test]
fn records_cut_off_at_the_end_fail_against_a_written_down_hash() {
    let store = log_of(4);
    let hash = store.record(4).expect("read").expect("4").hash;
    store.h().expect("db").asrun.remove(be(4)).expect("cut");
    store.h().expect("db").asrun.remove(be(3)).expect("cut");
    assert!(store.verify_chain().expect("verify").intact());
    let anchor = Anchor { id: 4, hash };
    let b = store
        .verify_chain_with(Some(anchor))
        .expect("verify")
        .broken
        .expect("cut off");
    assert_eq!(
        (b.id, b.problem),
        (4, Problem::AnchorMissing { log_ends_at: 2 })
    );
}

#[test]
fn anchors_parse_as_record_colon_hash() {
    let hash = "AB".repeat(32);
    let a: Anchor = format!("#12:{hash}").parse().expect("valid");
    assert_eq!((a.id, a.hash.as_str()), (12, "ab".repeat(32).as_str()));
    assert_eq!(a.to_string(), format!("12:{}", "ab".repeat(32)));
    for bad in ["12", "x:ab", "12:abc", &format!("12:{}", "zz".repeat(32))] {
        let err = bad.parse::<Anchor>().expect_err(bad);
        assert!(
            crate::words::Say::say(&err, crate::words::Lang::En).contains("RECORD:HASH"),
            "{err}"
        );
    }
}
