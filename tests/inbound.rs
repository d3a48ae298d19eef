//! Bulletins from the province through the real inbox: the real daemon on a simulated clock
//! (tokio paused time, null output) watches a real folder with inotify, and the test drops
//! bulletins into it as a sync tool would. Waiting for the daemon to take a file is done in
//! real time on a blocking thread, during which simulated time stands still (tokio does not
//! advance a paused clock while blocking work runs), so "at once" means at once.
//!
//! What is checked: a bulletin dropped while the daemon was down is taken at start; with
//! approval required a normal one waits for it and a priority one is queued when approved
//! and airs first in the next program; the same bulletin dropped again is taken once; a
//! malformed sidecar, a sha256 that does not match and an id reused for other audio are
//! quarantined with their reasons and a warning; an emergency airs at once, cutting the item
//! on air, and again on its repeats; every record of a bulletin carries its source, hashed.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::Path;
use std::time::{Duration, Instant};

use loaxa::model::{Approval, AsRunRecord, Outcome, Priority, Role, Warning};
use loaxa::store::InboxAction;
use running::{Running, settle};
use sha2::{Digest, Sha256};
use station::{TestStation, local};

const PROVINCE: &str = "Ban Chỉ huy PCTT tỉnh Quảng Ngãi";

/// Program `sang` at 06:00: two 20 s items (segments 1 and 2), then what is queued first.
fn test_station() -> TestStation {
    let t = TestStation::with_station_keys(
        "[province]\ninbox = \"../inbox\"\n\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\n",
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n",
        )],
        local(2026, 10, 1, 5, 0, 0),
        "require_approval = true",
    );
    std::fs::create_dir_all(t.path("inbox")).expect("inbox");
    t.noise_file("media/a.wav", 20.0);
    t.noise_file("media/b.wav", 20.0);
    t
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Drops bulletin `id`: 3 s of audio (`audio`, a file already written) then its sidecar,
/// written aside and moved in as a sync tool does.
fn drop_bulletin(t: &TestStation, id: &str, level: &str, extra: &str) {
    let side = format!(
        r#"{{"id": "{id}", "title": "Bản tin {id}", "topic": "cds", "level": "{level}",
            "source": "{PROVINCE}"{extra}}}"#
    );
    let tmp = t.path(&format!("{id}.json.part"));
    std::fs::write(&tmp, side).expect("sidecar");
    std::fs::rename(&tmp, t.path(&format!("inbox/{id}.json"))).expect("move in");
}

fn records_of(records: &[AsRunRecord], bulletin: &str) -> Vec<AsRunRecord> {
    records
        .iter()
        .filter(|r| r.source.as_ref().is_some_and(|s| s.bulletin == bulletin))
        .cloned()
        .collect()
}

#[tokio::test(start_paused = true)]
async fn bulletins_from_the_province_air_at_their_levels_once_with_their_source() {
    let t = test_station();
    let station = t.station();
    for (file, title) in [("media/a.wav", "A"), ("media/b.wav", "B")] {
        let id = t.add(&station, file, t.meta(title));
        station.approve_segment(id, "Chủ tịch xã").expect("approve");
    }
    // Dropped while the daemon is down.
    t.noise_file("inbox/OFF-1.wav", 3.0);
    drop_bulletin(&t, "OFF-1", "normal", "");
    let daemon = Running::start(station);
    let store = daemon.handle.station().store.clone();
    let entry = |id: &str| store.inbox_entry(id).expect("store");
    settle("the bulletin dropped while down", || {
        entry("OFF-1").is_some()
    })
    .await;
    assert_eq!(
        entry("OFF-1").map(|e| e.action),
        Some(InboxAction::AwaitsApproval)
    );
    assert!(
        !t.path("inbox/OFF-1.json").exists(),
        "taken out of the inbox"
    );

    // Normal: waits for approval, not queued.
    t.noise_file("inbox/N-1.wav", 3.0);
    drop_bulletin(&t, "N-1", "normal", "");
    settle("the normal bulletin", || entry("N-1").is_some()).await;
    let normal = entry("N-1").expect("taken");
    assert_eq!(normal.action, InboxAction::AwaitsApproval);
    let seg = store
        .segment(normal.segment)
        .expect("store")
        .expect("segment");
    assert_eq!(seg.approval, Approval::Pending);
    assert_eq!(
        seg.inbound.as_ref().map(|o| o.from.as_str()),
        Some(PROVINCE)
    );

    // Priority, with its sha256: awaits approval, then is queued at the priority level.
    t.noise_file("inbox/P-1.wav", 3.0);
    let p1_sha = sha256_of(&t.path("inbox/P-1.wav"));
    drop_bulletin(&t, "P-1", "priority", &format!(r#", "sha256": "{p1_sha}""#));
    settle("the priority bulletin", || entry("P-1").is_some()).await;
    let p1 = entry("P-1").expect("taken");
    assert_eq!(p1.action, InboxAction::AwaitsApproval);
    assert!(store.queue().expect("queue").is_empty());
    daemon
        .handle
        .station()
        .approve_segment(p1.segment, "Chủ tịch xã")
        .expect("approve");
    let queue = store.queue().expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(
        (queue[0].segment, queue[0].priority),
        (p1.segment, Priority::Priority)
    );
    let p1 = entry("P-1").expect("taken");
    assert_eq!(p1.action, InboxAction::Queued);

    // The same bulletin again: taken once.
    t.noise_file("inbox/P-1.wav", 3.0);
    drop_bulletin(&t, "P-1", "priority", &format!(r#", "sha256": "{p1_sha}""#));
    settle("the repeated bulletin to be recognised", || {
        !t.path("inbox/P-1.json").exists()
    })
    .await;
    assert_eq!(store.inbox_entries().expect("entries").len(), 3);
    assert_eq!(store.queue().expect("queue").len(), 1, "not queued twice");
    assert_eq!(entry("P-1"), Some(p1.clone()));

    // A malformed sidecar, a wrong sha256, an id reused for other audio: quarantined.
    t.noise_file("inbox/BAD-1.wav", 3.0);
    drop_bulletin(&t, "BAD-1", "normal", r#", "muc_do": "khẩn""#);
    t.noise_file("inbox/SHA-1.wav", 3.0);
    drop_bulletin(
        &t,
        "SHA-1",
        "normal",
        &format!(r#", "sha256": "{}""#, "0".repeat(64)),
    );
    t.noise_file("media/other.wav", 3.0);
    std::fs::copy(t.path("media/other.wav"), t.path("inbox/P-1.wav")).expect("copy");
    drop_bulletin(&t, "P-1", "priority", "");
    let quarantine = t.path("inbox/quarantine");
    settle("three bulletins in quarantine", || {
        store.inbox_quarantine().expect("store").len() == 3
    })
    .await;
    let codes: Vec<String> = store
        .inbox_quarantine()
        .expect("store")
        .iter()
        .map(|q| q.problem.code())
        .collect();
    assert_eq!(codes, ["unknown_field", "sha256_mismatch", "id_reused"]);
    for name in [
        "BAD-1.json",
        "BAD-1.wav",
        "SHA-1.json",
        "SHA-1.wav",
        "P-1.json",
        "P-1.wav",
    ] {
        assert!(quarantine.join(name).is_file(), "{name} kept in quarantine");
    }
    let reason = std::fs::read_to_string(quarantine.join("BAD-1.reason.txt")).expect("reason");
    assert!(
        reason.contains("trường `muc_do` không có trong mẫu bản tin"),
        "{reason}"
    );
    assert!(
        reason.contains("field `muc_do` is not part of the bulletin format"),
        "{reason}"
    );
    let reason = std::fs::read_to_string(quarantine.join("P-1.reason.txt")).expect("reason");
    assert!(reason.contains("a correction needs a new id"), "{reason}");
    settle("the quarantine warning", || {
        daemon
            .handle
            .status()
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::InboxQuarantined { count: 3, .. }))
    })
    .await;
    assert_eq!(entry("P-1"), Some(p1.clone()), "the first P-1 stands");

    // 06:00: the priority bulletin airs first in the program.
    daemon.until(local(2026, 10, 1, 6, 0, 10)).await;
    // An emergency, with its repeats every 2 h until 10:30, while item A is on air.
    t.noise_file("inbox/E-1.wav", 3.0);
    drop_bulletin(
        &t,
        "E-1",
        "emergency",
        r#", "repeat": {"every": "2h", "until": "2026-10-01T10:30:00+07:00"}"#,
    );
    settle("the emergency to be taken", || entry("E-1").is_some()).await;
    let e1 = entry("E-1").expect("taken");
    assert_eq!(e1.action, InboxAction::AiredAtOnce);
    // The cut's fade and the emergency's start take a few (simulated) milliseconds.
    daemon.until(local(2026, 10, 1, 6, 0, 11)).await;
    let started = store
        .records(None, None)
        .expect("records")
        .into_iter()
        .find(|r| r.program == "emergency")
        .and_then(|r| r.started_at)
        .expect("the emergency is on air");
    let late = started - local(2026, 10, 1, 6, 0, 10);
    assert!(
        late < chrono::Duration::milliseconds(500),
        "at once: {late} after it was dropped"
    );
    daemon.until(local(2026, 10, 1, 11, 0, 0)).await;
    let records = daemon.stop().await;

    let sang: Vec<&AsRunRecord> = records
        .iter()
        .filter(|r| r.program == "sang" && r.role == Role::Item)
        .collect();
    assert_eq!(
        sang[0].segment_id,
        Some(p1.segment),
        "priority first: {sang:#?}"
    );
    assert_eq!(sang[0].outcome, Outcome::Completed);
    assert_eq!(sang[0].approved_by.as_deref(), Some("Chủ tịch xã"));
    let cut = sang
        .iter()
        .find(|r| r.outcome == Outcome::Interrupted)
        .expect("the item on air was cut by the emergency");
    assert_eq!(cut.title, "A");
    assert!(
        sang.iter()
            .any(|r| r.title == "A" && r.outcome == Outcome::Completed),
        "A aired again after the emergency"
    );

    let emergencies = records_of(&records, "E-1");
    let starts: Vec<_> = emergencies.iter().filter_map(|r| r.started_at).collect();
    assert_eq!(
        starts,
        [
            started,
            local(2026, 10, 1, 8, 0, 0),
            local(2026, 10, 1, 10, 0, 0)
        ],
        "at once, then on the hour every 2 h until 10:30"
    );
    for r in &emergencies {
        assert_eq!(r.outcome, Outcome::Completed);
        assert_eq!(r.priority, Priority::Emergency);
        assert_eq!(
            r.approved_by.as_deref(),
            Some(PROVINCE),
            "approved by its source"
        );
        let source = r.source.as_ref().expect("source");
        assert_eq!(
            (source.from.as_str(), source.level),
            (PROVINCE, Priority::Emergency)
        );
        assert_eq!(r.hash_version, loaxa::store::chain::HASH_VERSION);
    }
    let p1_records = records_of(&records, "P-1");
    assert_eq!(p1_records.len(), 1, "the priority bulletin aired once");
    assert_eq!(
        p1_records[0].source.as_ref().map(|s| s.level),
        Some(Priority::Priority)
    );
    for id in ["N-1", "OFF-1"] {
        assert!(
            records_of(&records, id).is_empty(),
            "{id} waits for approval"
        );
    }
    let report = store.verify_chain().expect("verify");
    assert!(report.intact(), "{report:?}");
}

#[tokio::test(start_paused = true)]
async fn emptying_the_quarantine_clears_the_warning() {
    let t = test_station();
    std::fs::write(t.path("inbox/X.json"), "{not json").expect("write");
    let daemon = Running::start(t.station());
    let warned = |daemon: &Running| {
        daemon
            .handle
            .status()
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::InboxQuarantined { .. }))
    };
    settle("the warning", || warned(&daemon)).await;
    let reason = std::fs::read_to_string(t.path("inbox/quarantine/X.reason.txt")).expect("reason");
    assert!(
        reason.contains("không đúng cú pháp JSON (dòng 1, cột 2)"),
        "{reason}"
    );
    for name in ["X.json", "X.reason.txt"] {
        std::fs::remove_file(t.path("inbox/quarantine").join(name)).expect("remove");
    }
    settle("the warning to go", || !warned(&daemon)).await;
    daemon.stop().await;

    // The operator's list, without the daemon (on the store), in Vietnamese and as JSON.
    let out = bin::loaxa_in("vi", &t.config_path(), &["inbox"]);
    let said = bin::text(&out.stdout);
    assert!(out.status.success(), "{}", bin::text(&out.stderr));
    assert!(said.contains("Bản tin bị giữ lại"), "{said}");
    assert!(said.contains("không đúng cú pháp JSON"), "{said}");
    assert!(
        said.contains("đã được xử lý"),
        "emptied by the operator: {said}"
    );
    let out = bin::loaxa(&t.config_path(), &["inbox", "--json"]);
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        view["quarantined"][0]["problem"]["code"],
        "sidecar_not_json"
    );
    assert_eq!(view["quarantined"][0]["in_folder"], false);
    assert_eq!(view["taken"], serde_json::json!([]));
}

#[tokio::test(start_paused = true)]
async fn a_bulletin_waits_for_its_audio_to_be_complete() {
    use std::io::Write;
    let t = test_station();
    t.noise_file("media/w.wav", 3.0);
    let audio = std::fs::read(t.path("media/w.wav")).expect("audio");
    let daemon = Running::start(t.station());
    let store = daemon.handle.station().store.clone();
    // The watch is set once the daemon has made the quarantine folder (in the same step).
    settle("the watch", || t.path("inbox/quarantine").is_dir()).await;
    // The audio is being copied (open, half written) when its sidecar arrives.
    let mut file = std::fs::File::create(t.path("inbox/W-1.wav")).expect("create");
    file.write_all(&audio[..audio.len() / 2]).expect("half");
    file.flush().expect("flush");
    drop_bulletin(&t, "W-1", "normal", "");
    let waited = Instant::now();
    settle("a moment", || waited.elapsed() > Duration::from_millis(300)).await;
    assert_eq!(
        store.inbox_entry("W-1").expect("store"),
        None,
        "not taken half written"
    );
    assert!(
        store.inbox_quarantine().expect("store").is_empty(),
        "nor quarantined"
    );
    // The copy completes: the bulletin is taken whole.
    file.write_all(&audio[audio.len() / 2..]).expect("rest");
    drop(file);
    settle("the bulletin", || {
        store.inbox_entry("W-1").expect("store").is_some()
    })
    .await;
    let entry = store.inbox_entry("W-1").expect("store").expect("taken");
    let seg = store
        .segment(entry.segment)
        .expect("store")
        .expect("segment");
    assert_eq!(seg.duration_ms, 3_000, "the whole file");
    assert_eq!(entry.content_sha256, sha256_of(&t.path("media/w.wav")));
    daemon.stop().await;
}

/// A sidecar with `text` and no audio: read aloud by the station's espeak-ng (needed, as for
/// `tests/tts.rs`) and taken like a recording; the same text dropped again is taken once.
#[tokio::test(start_paused = true)]
async fn a_text_bulletin_is_read_aloud_and_taken_once() {
    let t = test_station();
    let daemon = Running::start(t.station());
    let store = daemon.handle.station().store.clone();
    settle("the watch", || t.path("inbox/quarantine").is_dir()).await;
    let text = r#", "text": "UBND xã thông báo: từ 7h30 ngày 18/5, tiêm phòng cho trâu bò.""#;
    drop_bulletin(&t, "T-1", "normal", text);
    settle("the text bulletin", || {
        store.inbox_entry("T-1").expect("store").is_some()
    })
    .await;
    let entry = store.inbox_entry("T-1").expect("store").expect("taken");
    let seg = store
        .segment(entry.segment)
        .expect("store")
        .expect("segment");
    let tts = seg.tts.as_ref().expect("read aloud");
    assert!(tts.text.starts_with("UBND xã thông báo"), "{tts:?}");
    assert_eq!(
        seg.inbound.as_ref().map(|o| o.bulletin.as_str()),
        Some("T-1")
    );
    assert!(seg.duration_ms > 1_000, "speech: {} ms", seg.duration_ms);
    drop_bulletin(&t, "T-1", "normal", text);
    settle("the repeat to be recognised", || {
        !t.path("inbox/T-1.json").exists()
    })
    .await;
    assert_eq!(store.inbox_entries().expect("entries").len(), 1);
    assert_eq!(store.segments().expect("segments").len(), 1, "read once");
    daemon.stop().await;
}
