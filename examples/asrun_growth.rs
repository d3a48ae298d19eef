//! How big the as-run log grows: writes `--days` days of `--per-day` plays (default 40 × 3650,
//! ten years, 146 000 records) into a fresh store exactly as the daemon does — append at the
//! start, rewrite at the end, each flushed — with realistic Vietnamese titles, then prints the
//! database folder's size (as `du -sk`), the cost of a write and of `verify_chain`.
//!
//!     cargo run --release --example asrun_growth -- [--days 3650] [--per-day 40] [--dir PATH]
//!
//! Nothing is ever purged from the log, so this is the size after ten years on air.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::store::Store;

const TITLES: &[&str] = &[
    "Tuyên truyền Nghị quyết 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
    "Bản tin chuyển đổi số: hướng dẫn cài đặt và sử dụng ứng dụng VNeID mức độ 2",
    "Thông báo lịch tiêm chủng mở rộng tháng này tại Trạm Y tế xã",
    "Phòng chống lụt bão, giảm nhẹ thiên tai: chủ động di dời người dân vùng trũng thấp",
    "Hướng dẫn phòng chống sốt xuất huyết, diệt lăng quăng, bọ gậy",
    "Tin hoạt động của Ủy ban nhân dân xã trong tuần",
    "Nhạc hiệu Đài truyền thanh xã",
    "Thông báo về việc thu thuế sử dụng đất phi nông nghiệp năm nay",
    "Phổ biến Luật Giao thông đường bộ: không uống rượu bia khi tham gia giao thông",
    "Gương người tốt việc tốt: hội viên nông dân sản xuất kinh doanh giỏi",
];
const UNITS: &[&str] = &[
    "UBND xã",
    "Trạm Y tế xã",
    "Ban chỉ huy Phòng chống thiên tai và tìm kiếm cứu nạn xã",
    "Công an xã",
    "Hội Nông dân xã",
];
const PROGRAMS: &[&str] = &["sang", "trua", "chieu", "toi"];

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn du_sk(dir: &Path) -> u64 {
    let out = std::process::Command::new("du")
        .arg("-sk")
        .arg(dir)
        .output()
        .expect("run du");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The record of play `k` (item `i` of its day) as the recorder writes it at the start.
fn play(at: DateTime<FixedOffset>, k: usize, program: &str, i: u64) -> AsRunRecord {
    AsRunRecord {
        id: 0,
        program: program.into(),
        trigger: Trigger::Schedule,
        role: if i % 10 == 0 { Role::Intro } else { Role::Item },
        scheduled_at: at,
        started_at: Some(at),
        ended_at: None,
        played_ms: 0,
        segment_id: Some(SegmentId(1 + (k % 400) as u64)),
        title: TITLES[k % TITLES.len()].into(),
        topic: "nq57".into(),
        unit: Some(UNITS[k % UNITS.len()].into()),
        sha256: format!("{:064x}", (k % 400) as u128 * 0x9e37_79b9_7f4a_7c15),
        outcome: Outcome::Interrupted,
        reason: Some(loaxa::asrun::ON_AIR.into()),
        output: "alsa:plughw:1,0".into(),
        priority: Priority::Normal,
        approved_by: Some("Nguyễn Văn A, Phó Chủ tịch UBND xã".into()),
        approved_at: Some(at - chrono::Duration::days(1)),
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

/// The end of the play: three minutes, one in fifty cut by `max_duration`.
fn end(rec: &mut AsRunRecord, k: usize) {
    rec.ended_at = rec.started_at.map(|t| t + chrono::Duration::seconds(180));
    rec.played_ms = 180_000 + (k % 997) as u64;
    let cut = k % 50 == 0;
    rec.outcome = if cut {
        Outcome::Interrupted
    } else {
        Outcome::Completed
    };
    rec.reason = cut.then(|| "max_duration reached".to_string());
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let days: u64 = arg(&args, "--days").map_or(Ok(3650), |s| s.parse())?;
    let per_day: u64 = arg(&args, "--per-day").map_or(Ok(40), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let dir = arg(&args, "--dir").map_or_else(|| tmp.path().join("db"), PathBuf::from);
    let store = Store::open(&dir)?;
    let tz = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    let day0 = tz
        .with_ymd_and_hms(2026, 1, 1, 5, 30, 0)
        .single()
        .expect("valid");
    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    let mut n = 0u64;
    let mut bytes = 0u64;
    for day in 0..days {
        for i in 0..per_day {
            let at =
                day0 + chrono::Duration::days(day as i64) + chrono::Duration::minutes(i as i64 * 4);
            let k = (day * per_day + i) as usize;
            let mut rec = play(
                at,
                k,
                PROGRAMS[(i * PROGRAMS.len() as u64 / per_day) as usize],
                i,
            );
            let t = Instant::now();
            store.append_record(&mut rec)?;
            end(&mut rec, k);
            store.update_record(&mut rec)?;
            slowest = slowest.max(t.elapsed());
            bytes += serde_json::to_vec(&rec)?.len() as u64;
            n += 1;
        }
    }
    let writing = start.elapsed();
    let t = Instant::now();
    let report = store.verify_chain()?;
    let verifying = t.elapsed();
    drop(store);
    let kib = du_sk(&dir);
    println!("records:            {n} ({days} days × {per_day})");
    println!(
        "write (append+end): {:.2} ms mean, {:.1} ms slowest",
        writing.as_secs_f64() * 1000.0 / n as f64,
        slowest.as_secs_f64() * 1000.0
    );
    println!(
        "verify_chain:       {:.2} s, intact: {}",
        verifying.as_secs_f64(),
        report.intact()
    );
    // `,"prev_hash":"…"` and `,"hash":"…"`: 2 × 64 hex digits and 25 bytes of JSON.
    println!(
        "record as stored:   {} bytes of JSON on average (153 of them the two hashes)",
        bytes / n.max(1)
    );
    println!("du -sk db:          {kib} KiB");
    println!(
        "per 100 000 records: {:.1} MiB",
        kib as f64 / 1024.0 * 100_000.0 / n as f64
    );
    Ok(())
}
