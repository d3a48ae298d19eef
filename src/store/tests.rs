use chrono::{TimeZone, Utc};

use super::*;
use crate::model::{AsRunRecord, Outcome, Priority, Role, Trigger};

fn segment(id: SegmentId, sha: &str) -> Segment {
    Segment {
        id,
        title: "Chuyển đổi số".into(),
        topic: "cds".into(),
        unit: None,
        valid_from: None,
        valid_until: None,
        sha256: sha.into(),
        media_file: format!("{sha}.mp3"),
        original_name: "a.mp3".into(),
        container: "mp3".into(),
        codec: "mp3".into(),
        sample_rate: 44100,
        channels: 2,
        duration_ms: 1000,
        added_at: Utc::now(),
        priority: Default::default(),
        approval: Default::default(),
        level: Default::default(),
        tts: None,
        zones: Vec::new(),
        inbound: None,
    }
}

fn record(program: &str) -> AsRunRecord {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 1, 5, 30, 0)
        .single()
        .expect("valid")
        .fixed_offset();
    AsRunRecord {
        id: 0,
        program: program.into(),
        trigger: Trigger::Schedule,
        role: Role::Item,
        scheduled_at: at,
        started_at: Some(at),
        ended_at: None,
        played_ms: 0,
        segment_id: Some(SegmentId(1)),
        title: "t".into(),
        topic: "cds".into(),
        unit: None,
        sha256: "ab".into(),
        outcome: Outcome::Interrupted,
        reason: None,
        output: "null".into(),
        priority: Default::default(),
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

#[test]
fn segment_ids_are_never_reused() {
    let store = Store::temporary().expect("store");
    let a = store.next_segment_id().expect("id");
    store.insert_segment(&segment(a, "aa")).expect("insert");
    store.remove_segment(a).expect("remove");
    let b = store.next_segment_id().expect("id");
    assert!(b > a, "{b} after {a}");
    assert!(store.segment_by_hash("aa").expect("lookup").is_none());
}

#[test]
fn segments_are_found_by_hash() {
    let store = Store::temporary().expect("store");
    let id = store.next_segment_id().expect("id");
    store.insert_segment(&segment(id, "cafe")).expect("insert");
    let found = store
        .segment_by_hash("cafe")
        .expect("lookup")
        .expect("present");
    assert_eq!(found.id, id);
    assert_eq!(store.segments().expect("list").len(), 1);
}

#[test]
fn queue_keeps_order_and_removes_by_number() {
    let store = Store::temporary().expect("store");
    let now = Utc::now();
    let first = store
        .queue_push(SegmentId(5), None, Priority::Normal, now)
        .expect("push");
    let second = store
        .queue_push(SegmentId(3), Some("sang".into()), Priority::Normal, now)
        .expect("push");
    let ids: Vec<_> = store
        .queue()
        .expect("queue")
        .iter()
        .map(|e| e.segment)
        .collect();
    assert_eq!(ids, [SegmentId(5), SegmentId(3)]);
    assert!(store.queue_remove(first.qid).expect("rm"));
    assert!(!store.queue_remove(first.qid).expect("rm twice"));
    assert_eq!(store.queue().expect("queue"), [second]);
}

#[test]
fn records_get_monotonic_ids_and_unfinished_ones_are_found() {
    let store = Store::temporary().expect("store");
    let mut a = record("sang");
    let mut b = record("sang");
    store.append_record(&mut a).expect("append");
    store.append_record(&mut b).expect("append");
    assert_eq!((a.id, b.id), (1, 2));
    b.ended_at = b.started_at;
    b.outcome = Outcome::Completed;
    store.update_record(&mut b).expect("update");
    let open = store.unfinished_records().expect("open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, 1);
}

#[test]
fn a_second_open_of_the_same_database_says_it_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = Store::open(dir.path()).expect("first open");
    let err = Store::open(dir.path()).expect_err("second open must fail");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("daemon"), "{err}");
}

#[test]
fn records_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.append_record(&mut record("chieu")).expect("append");
    }
    let store = Store::open(dir.path()).expect("reopen");
    let all = store.records(None, None).expect("records");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].program, "chieu");
}

#[test]
fn priority_entries_go_ahead_of_the_queue() {
    let store = Store::temporary().expect("store");
    let now = Utc::now();
    for (id, prio) in [
        (1, Priority::Normal),
        (2, Priority::Priority),
        (3, Priority::Normal),
        (4, Priority::Priority),
    ] {
        store
            .queue_push(SegmentId(id), None, prio, now)
            .expect("push");
    }
    let order: Vec<u64> = store
        .queue()
        .expect("queue")
        .iter()
        .map(|e| e.segment.0)
        .collect();
    assert_eq!(order, [2, 4, 1, 3]);
}

#[test]
fn emergency_repeats_are_kept_until_removed() {
    let store = Store::temporary().expect("store");
    let now = Utc::now();
    let mut rep = EmergencyRepeat {
        id: 0,
        segment: SegmentId(9),
        every_s: 7200,
        next_at: now,
        until: now + chrono::Duration::days(1),
    };
    store.emergency_put(&mut rep).expect("put");
    assert_ne!(rep.id, 0);
    rep.next_at = now + chrono::Duration::hours(2);
    store.emergency_put(&mut rep).expect("update");
    assert_eq!(store.emergencies().expect("list"), [rep.clone()]);
    store.emergency_remove(rep.id).expect("remove");
    assert!(store.emergencies().expect("list").is_empty());
    // Cancelled while the daemon moved it on: it stays cancelled.
    assert!(!store.emergency_move_on(&rep).expect("move on"));
    assert!(store.emergencies().expect("list").is_empty());
}

#[test]
fn fire_marks_outlive_the_position_for_a_week_then_go() -> Result<()> {
    let store = Store::temporary()?;
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 6, 0, 0)
        .single()
        .expect("valid time");
    store.begin_run(b"{}", Some(("sang", at)))?;
    store.end_run()?;
    assert!(store.run_journal()?.is_none());
    // Passed by the position, but a step back of the clock may bring it round again.
    store.set_checked_until(at + chrono::Duration::days(1))?;
    assert!(store.fire_accounted("sang", at)?);
    assert!(!store.fire_accounted("chieu", at)?);
    store.set_checked_until(at + chrono::Duration::days(fires::MARK_RETENTION_DAYS + 1))?;
    assert!(!store.fire_accounted("sang", at)?);
    Ok(())
}

#[test]
fn concurrent_adds_of_the_same_bytes_make_one_segment() {
    let store = std::sync::Arc::new(Store::temporary().expect("store"));
    let outcomes: Vec<Unique> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                s.spawn(move || {
                    store
                        .add_segment_unique(segment(SegmentId(0), "beef"))
                        .expect("write")
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("thread"))
            .collect()
    });
    let added: Vec<&Segment> = outcomes
        .iter()
        .filter_map(|o| match o {
            Unique::Added(seg) => Some(seg),
            Unique::Present(_) => None,
        })
        .collect();
    assert_eq!(added.len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| match o {
        Unique::Added(seg) | Unique::Present(seg) => seg.id == added[0].id,
    }));
    assert_eq!(store.segments().expect("list").len(), 1);
    assert_eq!(
        store.segment_by_hash("beef").expect("lookup").map(|s| s.id),
        Some(added[0].id)
    );
    // Ids stay unique and increasing for what comes next.
    let next = store
        .add_segment_unique(segment(SegmentId(0), "cafe"))
        .expect("write");
    assert!(matches!(next, Unique::Added(seg) if seg.id > added[0].id));
}

#[test]
fn a_full_disk_is_reported_as_one_and_never_poisons_on_injection() {
    let store = Store::temporary().expect("store");
    store.inject_disk_full(true);
    let err = store.queue_push(SegmentId(1), None, Priority::Normal, Utc::now());
    let text = err.expect_err("full").to_string();
    assert!(text.contains("is full (No space left on device)"), "{text}");
    assert!(text.contains("free disk space"), "{text}");
    assert_eq!(store.write_fault(), None);
    store.inject_disk_full(false);
    store
        .queue_push(SegmentId(1), None, Priority::Normal, Utc::now())
        .expect("writes again");
}
