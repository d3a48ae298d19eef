//! Fills a station database with N synthetic as-run records (for `benches/export.sh`), and
//! optionally writes the same rows as a plain CSV for `sqlite3 .import`.
//!
//! `cargo run --release --example fill_log -- DB_DIR N [ROWS.csv]`
//!
//! The records look like a busy station's: two programs a day (intro, six items, outro),
//! four topics, five responsible units, Vietnamese titles, a few interrupted, failed and
//! skipped plays with reasons, an emergency now and then.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{Duration, FixedOffset, TimeZone};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::store::Store;

const TOPICS: [&str; 4] = ["nq57", "cds", "bdhvs", "ttcs"];
const UNITS: [&str; 5] = [
    "Phòng Văn hóa – Xã hội",
    "Trung tâm Cung ứng dịch vụ công",
    "Trường THCS Bình Chương",
    "Phòng Kinh tế",
    "Mặt trận Tổ quốc",
];

fn record(i: u64) -> AsRunRecord {
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
        hash_version: 1,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fill_log DB_DIR N [ROWS.csv]";
    let dir = PathBuf::from(args.next().context(usage)?);
    let n: u64 = args.next().context(usage)?.parse().context(usage)?;
    let rows = args.next().map(PathBuf::from);
    let store = Store::open(&dir)?;
    let written = store.bulk_append_records((0..n).map(record))?;
    drop(store);
    if let Some(path) = rows {
        // The same rows as the export writes (English names, station times), for sqlite3.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let opts = loaxa::report::ExportOptions {
            lang: loaxa::report::Lang::En,
            ..Default::default()
        };
        let records = (0..n).map(|i| {
            let mut r = record(i);
            r.id = i + 1;
            Ok(r)
        });
        // Its header row (with the BOM) is skipped by `.import --skip 1`.
        loaxa::report::write_export(records, loaxa::report::ExportFormat::Csv, &opts, &mut out)?;
        out.flush()?;
    }
    eprintln!("{written} records appended to {}", dir.display());
    Ok(())
}
