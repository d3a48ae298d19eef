//! Fills a station database with N synthetic library segments (for `benches/startup.sh` and
//! `benches/idle.sh`: a library of 10 000 news items), written one by one as `segment add`
//! writes them (each flushed).
//!
//! `cargo run --release --example fill_segments -- DB_DIR N`
//!
//! Only the database rows are made: no media files (the daemon does not open a segment's
//! file until it airs it).

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{NaiveDate, TimeZone, Utc};
use loaxa::model::{Approval, Priority, Segment};
use loaxa::store::Store;

const TOPICS: [&str; 4] = ["nq57", "cds", "bdhvs", "ttcs"];

fn segment(store: &Store, i: u64) -> Result<Segment> {
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
    })
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fill_segments DB_DIR N";
    let dir = PathBuf::from(args.next().context(usage)?);
    let n: u64 = args.next().context(usage)?.parse().context(usage)?;
    let store = Store::open(&dir)?;
    for i in 0..n {
        store.insert_segment(&segment(&store, i)?)?;
    }
    eprintln!("{n} segments added to {}", dir.display());
    Ok(())
}
