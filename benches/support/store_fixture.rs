//! Synthetic station data shared by `examples/fill_log.rs`, `examples/fill_segments.rs` and
//! the store benchmarks (`benches/store.rs`):
//! - [`record`]: record `i` of a busy station's log — two programs a day (intro, six items,
//!   outro), four topics, five responsible units, Vietnamese titles, a few interrupted,
//!   failed and skipped plays with reasons, an emergency now and then;
//! - [`segment`]: library segment `i`.

#![allow(dead_code)] // each user takes what it needs

use anyhow::{Context, Result};
use chrono::{Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use loaxa::model::{Approval, AsRunRecord, Outcome, Priority, Role, Segment, SegmentId, Trigger};
use loaxa::store::Store;

const TOPICS: [&str; 4] = ["nq57", "cds", "bdhvs", "ttcs"];
const UNITS: [&str; 5] = [
    "Phòng Văn hóa – Xã hội",
    "Trung tâm Cung ứng dịch vụ công",
    "Trường THCS Bình Chương",
    "Phòng Kinh tế",
    "Mặt trận Tổ quốc",
];

pub fn record(i: u64) -> AsRunRecord {
    let tz = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    let per_run = 8;
    let run = i / per_run;
    let pos = i % per_run;
    let day = run / 2;
    let hour = if run % 2 == 0 { 5 } else { 17 };
    let base = tz
        .with_ymd_and_hms(2020, 1, 1, hour, 30, 0)
        .single()
        .expect("valid time")
        + Duration::days(day as i64);
    let start = base + Duration::seconds(pos as i64 * 150);
    let role = match pos {
        0 => Role::Intro,
        7 => Role::Outro,
        _ => Role::Item,
    };
    let tune = role != Role::Item;
    let seg = if tune { 1 } else { 2 + (i * 7919) % 5000 };
    let (outcome, reason) = match i % 97 {
        13 if !tune => (
            Outcome::Interrupted,
            Some("cut at the program's max duration"),
        ),
        29 if !tune => (Outcome::Failed, Some("file missing: data/media/x.mp3")),
        41 if !tune => (Outcome::Skipped, Some("expired on 2026-01-31")),
        _ => (Outcome::Completed, None),
    };
    let played_ms = match outcome {
        Outcome::Completed => 30_000 + (i * 37) % 150_000,
        Outcome::Interrupted => 12_345,
        _ => 0,
    };
    let started = played_ms > 0;
    AsRunRecord {
        id: 0,
        program: if hour == 5 {
            "sang".into()
        } else {
            "chieu".into()
        },
        trigger: Trigger::Schedule,
        role,
        scheduled_at: base,
        started_at: started.then_some(start),
        ended_at: started.then(|| start + Duration::milliseconds(played_ms as i64)),
        played_ms,
        segment_id: Some(SegmentId(seg)),
        title: if tune {
            "Nhạc hiệu Đài truyền thanh xã Bình Chương".into()
        } else {
            format!("Bản tin số {seg}: \"Chuyển đổi số\", Bình dân học vụ số")
        },
        topic: if tune {
            "station".into()
        } else {
            TOPICS[(seg % 4) as usize].into()
        },
        unit: (!tune).then(|| UNITS[(seg % 5) as usize].to_string()),
        sha256: format!("{:064x}", seg.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        outcome,
        reason: reason.map(str::to_string),
        output: "alsa:default".into(),
        priority: if i % 5003 == 17 {
            Priority::Emergency
        } else {
            Priority::Normal
        },
        approved_by: (!tune).then(|| "Nguyễn Văn A".to_string()),
        approved_at: (!tune).then_some(base - Duration::days(1)),
        // Set by the store when the record is appended (the log's hash chain).
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

/// Library segment `i`: a news item of 1–5 minutes (database row only, no media file).
pub fn segment(store: &Store, i: u64) -> Result<Segment> {
    let id = store.next_segment_id()?;
    let sha256 = format!("{:064x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    Ok(Segment {
        id,
        title: format!("Bản tin số {i}: \"Chuyển đổi số\", Bình dân học vụ số"),
        topic: TOPICS[(i % 4) as usize].into(),
        unit: Some("Phòng Văn hóa – Xã hội".into()),
        valid_from: NaiveDate::from_ymd_opt(2026, 1, 1),
        valid_until: None,
        media_file: format!("{}.mp3", &sha256[..16]),
        original_name: format!("Bản tin số {i}.mp3"),
        sha256,
        container: "mp3".into(),
        codec: "mp3".into(),
        sample_rate: 44_100,
        channels: 2,
        duration_ms: 60_000 + (i * 7919) % 240_000,
        added_at: Utc
            .with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
            .single()
            .context("valid time")?,
        priority: Priority::Normal,
        approval: Approval::NotRequired,
        level: loaxa::model::Level {
            loudness_measured: true,
            loudness_lufs: Some(-18.0),
            true_peak_dbtp: Some(-3.0),
            ..Default::default()
        },
        tts: None,
        zones: Vec::new(),
        inbound: None,
    })
}
