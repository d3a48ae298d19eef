//! The broadcast log leaves the station: CSV for Excel on a Vietnamese PC, XLSX and JSON
//! Lines read back field by field, and the half-year report's figures checked against a
//! hand-counted log (per topic, unit, month, program, reason, emergencies, and the
//! 14/6 – 15/6 and 14/12 – 15/12 boundaries).

#[path = "support/bin.rs"]
mod bin;

use bin::{loaxa, loaxa_in};
use std::collections::BTreeMap;
use std::process::Command;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::relay::{Air, Failure, Fault, RelayProof, Switch};
use loaxa::report::{
    self, Counts, ExportFormat, ExportOptions, Lang, Period, RelayCounts, ReportFormat, ReportMeta,
    Separator,
};
use loaxa::store::Store;
use unicode_normalization::UnicodeNormalization;

const VHXH: &str = "Phòng Văn hóa – Xã hội";
const DVC: &str = "Trung tâm Cung ứng dịch vụ công";
const MTTQ: &str = "Mặt trận Tổ quốc";
const FAILED_REASON: &str = "file missing,\n\"bản tin 13\" not found";
const SCRIPT_TITLE: &str = "<script>alert(1)</script> Bão số 3: sơ tán";

fn tz() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7")
}

fn at(s: &str) -> DateTime<FixedOffset> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect(s);
    tz().from_local_datetime(&naive)
        .single()
        .expect("local time")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("day")
}

struct R {
    program: &'static str,
    role: Role,
    topic: &'static str,
    unit: Option<&'static str>,
    title: &'static str,
    seg: u64,
    run: &'static str,
    start: &'static str,
    played_ms: u64,
    outcome: Outcome,
    reason: Option<&'static str>,
    priority: Priority,
}

#[allow(clippy::too_many_arguments)] // one line per record reads better in the table
fn item(
    program: &'static str,
    topic: &'static str,
    unit: Option<&'static str>,
    seg: u64,
    run: &'static str,
    start: &'static str,
    played_ms: u64,
    outcome: Outcome,
) -> R {
    R {
        program,
        role: Role::Item,
        topic,
        unit,
        title: "Bản tin",
        seg,
        run,
        start,
        played_ms,
        outcome,
        reason: None,
        priority: Priority::Normal,
    }
}

fn record(r: &R) -> AsRunRecord {
    let started = matches!(r.outcome, Outcome::Completed | Outcome::Interrupted);
    let start = at(r.start);
    AsRunRecord {
        id: 0,
        program: r.program.into(),
        trigger: if r.program == "manual" {
            Trigger::Manual
        } else {
            Trigger::Schedule
        },
        role: r.role,
        scheduled_at: at(r.run),
        started_at: started.then_some(start),
        ended_at: started.then(|| start + chrono::Duration::milliseconds(r.played_ms as i64)),
        played_ms: r.played_ms,
        segment_id: Some(SegmentId(r.seg)),
        title: r.title.nfc().collect(),
        topic: r.topic.into(),
        unit: r.unit.map(str::to_string),
        sha256: format!("{:064x}", r.seg),
        outcome: r.outcome,
        reason: r.reason.map(str::to_string),
        output: "wav:/tmp/air, \"test\".wav".into(),
        priority: r.priority,
        approved_by: (r.seg == 10).then(|| "Nguyễn Văn A".to_string()),
        approved_at: (r.seg == 10).then(|| at("2025-12-01 08:00:00")),
        // Proof of air for what aired: item 11 went out silent.
        peak_dbfs: started.then(|| {
            if r.seg == 11 {
                -120.0
            } else {
                -0.6 * r.seg as f64
            }
        }),
        loudness_lufs: (started && r.seg != 11).then(|| -16.3 - r.seg as f64),
        audible_ms: started.then(|| if r.seg == 11 { 0 } else { r.played_ms - 1_400 }),
        silent: started && r.seg == 11,
        relay: None,
        live: None,
        streams: Vec::new(),
        // Item 15, an emergency, was a bulletin the province sent (`[province] inbox`).
        source: (r.seg == 15).then(|| loaxa::model::InboundOrigin {
            bulletin: "QNG-2026-0917".into(),
            from: "Sở KH&CN Quảng Ngãi".into(),
            level: Priority::Emergency,
        }),
        hash_version: 1,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The hand-made log: records 1–11 fall in 2026-H1, 12–15 around the other boundaries.
fn log() -> Vec<AsRunRecord> {
    use Outcome::*;
    let mut rs = vec![
        R {
            role: Role::Intro,
            topic: "station",
            title: "Nhạc hiệu",
            ..item(
                "sang",
                "station",
                None,
                1,
                "2025-12-15 05:30:00",
                "2025-12-15 05:30:00",
                30_000,
                Completed,
            )
        },
        R {
            title: "Nghị quyết 57: \"khoa học\", công nghệ",
            ..item(
                "sang",
                "nq57",
                Some(VHXH),
                10,
                "2025-12-15 05:30:00",
                "2025-12-15 05:30:30",
                120_000,
                Completed,
            )
        },
        R {
            title: "Dịch vụ công trực tuyến",
            ..item(
                "sang",
                "cds",
                Some(DVC),
                11,
                "2025-12-15 05:30:00",
                "2025-12-15 05:32:30",
                90_000,
                Completed,
            )
        },
        R {
            role: Role::Outro,
            title: "Nhạc hiệu",
            ..item(
                "sang",
                "station",
                None,
                1,
                "2025-12-15 05:30:00",
                "2025-12-15 05:34:00",
                30_000,
                Completed,
            )
        },
        item(
            "sang",
            "nq57",
            Some(VHXH),
            10,
            "2026-01-10 05:30:00",
            "2026-01-10 05:30:00",
            120_000,
            Completed,
        ),
        R {
            reason: Some("operator stopped the program"),
            ..item(
                "sang",
                "cds",
                Some(DVC),
                12,
                "2026-01-10 05:30:00",
                "2026-01-10 05:32:00",
                45_000,
                Interrupted,
            )
        },
        R {
            reason: Some(FAILED_REASON),
            ..item(
                "chieu",
                "bdhvs",
                None,
                13,
                "2026-01-10 17:00:00",
                "2026-01-10 17:00:00",
                0,
                Failed,
            )
        },
        R {
            reason: Some("expired on 2026-01-31"),
            ..item(
                "chieu",
                "nq57",
                Some(VHXH),
                14,
                "2026-02-01 17:00:00",
                "2026-02-01 17:00:00",
                0,
                Skipped,
            )
        },
        R {
            reason: Some("  expired on\t2026-01-31 "),
            ..item(
                "chieu",
                "nq57",
                Some(VHXH),
                14,
                "2026-02-02 17:00:00",
                "2026-02-02 17:00:00",
                0,
                Skipped,
            )
        },
        R {
            title: SCRIPT_TITLE,
            priority: Priority::Emergency,
            ..item(
                "manual",
                "cds",
                Some(MTTQ),
                15,
                "2026-03-03 10:15:00",
                "2026-03-03 10:15:00",
                60_000,
                Completed,
            )
        },
        item(
            "sang",
            "nq57",
            Some(VHXH),
            16,
            "2026-06-14 23:59:59",
            "2026-06-14 23:59:59",
            60_000,
            Completed,
        ),
        item(
            "sang",
            "nq57",
            Some(VHXH),
            16,
            "2026-06-15 00:00:00",
            "2026-06-15 00:00:00",
            60_000,
            Completed,
        ),
        item(
            "sang",
            "nq57",
            Some(VHXH),
            17,
            "2025-12-14 23:59:59",
            "2025-12-14 23:59:59",
            60_000,
            Completed,
        ),
        item(
            "sang",
            "cds",
            Some(DVC),
            18,
            "2026-12-14 05:30:00",
            "2026-12-14 05:30:00",
            30_000,
            Completed,
        ),
        item(
            "sang",
            "cds",
            Some(DVC),
            18,
            "2026-12-15 05:30:00",
            "2026-12-15 05:30:00",
            30_000,
            Completed,
        ),
    ]
    .iter()
    .map(record)
    .collect::<Vec<_>>();
    for (i, r) in rs.iter_mut().enumerate() {
        r.id = i as u64 + 1;
    }
    rs
}

fn topics() -> BTreeMap<String, String> {
    [
        ("nq57", "Nghị quyết 57-NQ/TW"),
        ("cds", "Chuyển đổi số"),
        ("bdhvs", "Bình dân học vụ số"),
        ("station", "Nhạc hiệu / giới thiệu đài"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn store_with_log() -> Store {
    let store = Store::temporary().expect("store");
    for mut r in log() {
        store.append_record(&mut r).expect("append");
    }
    store
}

fn all(store: &Store) -> impl Iterator<Item = anyhow::Result<AsRunRecord>> {
    report::source::records(store, chrono_tz::Asia::Ho_Chi_Minh, None, None).map(|r| Ok(r?))
}

fn meta(period: Period) -> ReportMeta {
    ReportMeta {
        station: "Đài truyền thanh xã Bình Chương".into(),
        period,
        topics: topics(),
        generated_at: at("2026-06-18 09:00:00"),
    }
}

fn counts(broadcasts: u64, interrupted: u64, played_ms: u64, segments: u64) -> Counts {
    Counts {
        broadcasts,
        interrupted,
        played_ms,
        segments,
    }
}

fn time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_time(t: &Option<DateTime<FixedOffset>>) -> String {
    t.as_ref().map(time).unwrap_or_default()
}

/// What every export cell must say for `r` with Vietnamese labels.
fn expected_cells(r: &AsRunRecord) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.program.clone(),
        report::trigger_label(Lang::Vi, r.trigger).into(),
        report::role_label(Lang::Vi, r.role).into(),
        time(&r.scheduled_at),
        opt_time(&r.started_at),
        opt_time(&r.ended_at),
        ((r.played_ms + 500) / 1000).to_string(),
        r.played_ms.to_string(),
        r.segment_id.map(|s| s.to_string()).unwrap_or_default(),
        r.title.clone(),
        topics()[&r.topic].clone(),
        r.topic.clone(),
        r.unit.clone().unwrap_or_default(),
        report::priority_label(Lang::Vi, r.priority).into(),
        report::outcome_label(Lang::Vi, r.outcome).into(),
        r.reason
            .as_deref()
            .map(|why| loaxa::words::reason_text(Lang::Vi, why).into_owned())
            .unwrap_or_default(),
        r.approved_by.clone().unwrap_or_default(),
        opt_time(&r.approved_at),
        r.output.clone(),
        r.sha256.clone(),
        r.peak_dbfs.map(|v| format!("{v:.0}")).unwrap_or_default(),
        r.loudness_lufs
            .map(|v| format!("{v:.0}"))
            .unwrap_or_default(),
        r.audible_ms
            .map(|ms| format!("{:.0}", ms as f64 / 1000.0))
            .unwrap_or_default(),
        if r.silent {
            "có".into()
        } else {
            String::new()
        },
        relay_cell(r, |p| p.url.clone().unwrap_or_default()),
        relay_cell(r, |p| p.stream_title.clone().unwrap_or_default()),
        relay_cell(r, |p| ((p.relayed_ms + 500) / 1000).to_string()),
        relay_cell(r, |p| ((p.dropout_ms + 500) / 1000).to_string()),
        relay_cell(r, |p| p.switches.len().to_string()),
        r.streams
            .iter()
            .map(|c| {
                if c.other_zone {
                    format!("{} (vùng khác: phát im lặng)", c.stream)
                } else if c.gap_ms > 0 {
                    format!("{} (mất {} giây)", c.stream, (c.gap_ms + 500) / 1000)
                } else {
                    c.stream.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        r.source
            .as_ref()
            .map(|s| {
                let level = match s.level {
                    Priority::Normal => "thông thường",
                    Priority::Priority => "ưu tiên",
                    Priority::Emergency => "khẩn cấp",
                };
                format!("{} (bản tin {}, {level})", s.from, s.bulletin)
            })
            .unwrap_or_default(),
    ]
}

/// A relay column: empty for records that are not relays.
fn relay_cell(r: &AsRunRecord, cell: impl Fn(&RelayProof) -> String) -> String {
    r.relay.as_ref().map(cell).unwrap_or_default()
}

fn opts(lang: Lang) -> ExportOptions {
    ExportOptions {
        lang,
        separator: Separator::Comma,
        topics: topics(),
    }
}

#[test]
fn csv_export_opens_in_excel_and_reads_back_every_field() {
    let store = store_with_log();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nhật ký.csv");
    let n = report::export_to_path(all(&store), ExportFormat::Csv, &opts(Lang::Vi), &path)
        .expect("export");
    assert_eq!(n, 15);
    let bytes = std::fs::read(&path).expect("read");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    assert!(text.contains("\r\n"), "CRLF line ends");
    // Rows end in CRLF; the one bare LF is inside the quoted reason.
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count() + 1);
    assert!(
        text.contains("Phòng Văn hóa – Xã hội"),
        "diacritics kept (NFC)"
    );

    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = rd
        .headers()
        .expect("headers")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(headers, report::export_headers(Lang::Vi));
    assert_eq!(
        &headers[..4],
        ["Mã", "Chương trình", "Kích hoạt", "Vai trò"]
    );
    let rows: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    let log = log();
    assert_eq!(rows.len(), log.len());
    for (row, r) in rows.iter().zip(&log) {
        assert_eq!(row, &expected_cells(r), "record {}", r.id);
    }
    // Translated values, and the hard text survived.
    assert_eq!(rows[6][15], "lỗi");
    assert_eq!(rows[6][16], FAILED_REASON);
    assert_eq!(rows[0][15], "đã phát");
    assert_eq!(rows[9][14], "khẩn cấp");
    assert_eq!(
        rows[9][31], "Sở KH&CN Quảng Ngãi (bản tin QNG-2026-0917, khẩn cấp)",
        "the sender of a bulletin from the province"
    );
    assert_eq!(rows[0][31], "", "the station's own items: empty");
    // Proof of air: levels as whole numbers, the silent item flagged.
    assert_eq!(&rows[1][21..25], ["-6", "-26", "119", ""]);
    assert_eq!(&rows[2][21..25], ["-120", "", "0", "có"]);
    assert_eq!(
        &rows[6][21..25],
        ["", "", "", ""],
        "a failed play has no levels"
    );
    assert!(rows[1][10].contains("\"khoa học\", công nghệ"));
    assert!(!dir.path().read_dir().expect("ls").any(|e| {
        e.expect("entry")
            .file_name()
            .to_string_lossy()
            .contains("partial")
    }));
}

#[test]
fn csv_export_in_english_with_semicolons() {
    let store = store_with_log();
    let o = ExportOptions {
        separator: Separator::Semicolon,
        ..opts(Lang::En)
    };
    let mut out = Vec::new();
    report::write_export(all(&store), ExportFormat::Csv, &o, &mut out).expect("export");
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&out[3..]);
    assert_eq!(rd.headers().expect("headers").get(13), Some("unit"));
    let first = rd.records().next().expect("a row").expect("row");
    assert_eq!(first.get(15), Some("completed"));
    assert_eq!(first.get(3), Some("intro"));
}

#[test]
fn jsonl_export_round_trips_into_records() {
    let store = store_with_log();
    let mut out = Vec::new();
    report::write_export(all(&store), ExportFormat::Jsonl, &opts(Lang::Vi), &mut out)
        .expect("export");
    let back: Vec<AsRunRecord> = std::str::from_utf8(&out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    // Every field, the chain's hashes included, as the store holds them.
    assert_eq!(back, store.records(None, None).expect("records"));
    assert_eq!(back.len(), log().len());
}

#[test]
fn xlsx_export_reads_back_the_same_rows() {
    use calamine::{DataType, Reader, Xlsx, open_workbook};
    let store = store_with_log();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.xlsx");
    report::export_to_path(all(&store), ExportFormat::Xlsx, &opts(Lang::Vi), &path)
        .expect("export");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let range = book.worksheet_range("Nhật ký phát sóng").expect("sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .expect("header")
        .iter()
        .map(|c| c.get_string().unwrap_or_default().to_string())
        .collect();
    assert_eq!(header, report::export_headers(Lang::Vi));
    let log = log();
    let mut n = 0;
    for (row, r) in rows.zip(&log) {
        let want = expected_cells(r);
        for (col, cell) in row.iter().enumerate() {
            let got = if let Some(t) = cell.as_datetime().filter(|_| cell.is_datetime()) {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            } else if let Some(s) = cell.get_string() {
                s.to_string()
            } else if cell.is_empty() {
                String::new()
            } else {
                format!("{}", cell.as_f64().expect("a number"))
            };
            assert_eq!(got, want[col], "record {} column {}", r.id, header[col]);
        }
        n += 1;
    }
    assert_eq!(n, log.len());
}

#[test]
fn a_failed_export_leaves_no_file_under_the_final_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.csv");
    std::fs::write(&path, "the previous export").expect("write");
    let broken = log()
        .into_iter()
        .map(Ok)
        .chain(std::iter::once(Err(anyhow::anyhow!("disk said no"))));
    let err = report::export_to_path(broken, ExportFormat::Csv, &opts(Lang::Vi), &path)
        .expect_err("must fail");
    assert!(format!("{err:#}").contains("disk said no"), "{err:#}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "the previous export"
    );
    assert_eq!(
        dir.path().read_dir().expect("ls").count(),
        1,
        "temp file removed"
    );
}

#[test]
fn the_half_year_report_matches_the_hand_count() {
    let period: Period = "2026-H1".parse().expect("period");
    let r = report::summarise(log(), meta(period));
    assert_eq!(r.records, 11);
    assert_eq!(r.silent, 1, "item 11 went out silent");
    assert_eq!(r.totals, counts(5, 1, 495_000, 5));
    assert_eq!(r.signature, counts(2, 0, 60_000, 1));
    let topics: Vec<(&str, &str, Counts)> = r
        .by_topic
        .iter()
        .map(|(s, l, c)| (s.as_str(), l.as_str(), c.clone()))
        .collect();
    assert_eq!(
        topics,
        [
            ("bdhvs", "Bình dân học vụ số", counts(0, 0, 0, 0)),
            ("cds", "Chuyển đổi số", counts(2, 1, 195_000, 3)),
            ("nq57", "Nghị quyết 57-NQ/TW", counts(3, 0, 300_000, 2)),
        ]
    );
    let units: Vec<(&str, Counts)> = r
        .by_unit
        .iter()
        .map(|(u, c)| (u.as_str(), c.clone()))
        .collect();
    assert_eq!(
        units,
        [
            ("", counts(0, 0, 0, 0)),
            (MTTQ, counts(1, 0, 60_000, 1)),
            (VHXH, counts(3, 0, 300_000, 2)),
            (DVC, counts(1, 1, 135_000, 2)),
        ]
    );
    let months: Vec<(&str, Counts)> = r
        .by_month
        .iter()
        .map(|(m, c)| (m.as_str(), c.clone()))
        .collect();
    assert_eq!(
        months,
        [
            ("2025-12", counts(2, 0, 210_000, 2)),
            ("2026-01", counts(1, 1, 165_000, 2)),
            ("2026-02", counts(0, 0, 0, 0)),
            ("2026-03", counts(1, 0, 60_000, 1)),
            ("2026-06", counts(1, 0, 60_000, 1)),
        ]
    );
    let programs: Vec<(&str, u64, u64, u64, u64, u64, u64)> = r
        .programs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.runs,
                p.items,
                p.outcome("completed"),
                p.outcome("interrupted"),
                p.outcome("failed"),
                p.outcome("skipped"),
            )
        })
        .collect();
    assert_eq!(
        programs,
        [
            ("chieu", 3, 3, 0, 0, 1, 2),
            ("manual", 1, 1, 1, 0, 0, 0),
            ("sang", 3, 5, 4, 1, 0, 0)
        ]
    );
    let reasons: Vec<(&str, &str, u64)> = r
        .reasons
        .iter()
        .map(|(o, why, n)| (o.as_str(), why.as_str(), *n))
        .collect();
    assert_eq!(
        reasons,
        [
            // Grouped by code: the prose of an earlier build, whitespace and all.
            ("skipped", r#"{"code":"expired","until":"2026-01-31"}"#, 2),
            ("failed", "file missing, \"bản tin 13\" not found", 1),
            ("interrupted", "operator stopped the program", 1),
        ]
    );
    assert_eq!(r.emergency_broadcasts, 1);
    assert_eq!(r.emergencies.len(), 1);
    assert_eq!(r.emergencies[0].title, SCRIPT_TITLE);
    assert_eq!(r.emergencies[0].at, at("2026-03-03 10:15:00"));
}

/// The report of `period`, read from the store like `loaxa report` does.
fn report_from_store(store: &Store, period: Period) -> report::Report {
    let records = report::source::records(
        store,
        chrono_tz::Asia::Ho_Chi_Minh,
        Some(period.from),
        Some(period.to),
    )
    .map(|r| r.expect("record"));
    report::summarise(records, meta(period))
}

#[test]
fn half_year_boundaries_fall_on_14_and_15_june_and_december() {
    let store = store_with_log();
    let ids = |period: &str| {
        let p: Period = period.parse().expect("period");
        let from = report::source::records(
            &store,
            chrono_tz::Asia::Ho_Chi_Minh,
            Some(p.from),
            Some(p.to),
        )
        .map(|r| r.expect("record").id)
        .collect::<Vec<_>>();
        let summed = report_from_store(&store, p).records;
        assert_eq!(summed, from.len() as u64, "{period}");
        from
    };
    // 14/12/2025 23:59:59 is the previous half; 15/12/2025 starts 2026-H1 (a year change).
    assert_eq!(ids("2025-H2"), [13]);
    assert_eq!(ids("2026-H1"), (1..=11).collect::<Vec<_>>());
    // 14/06 23:59:59 is H1, 15/06 00:00:00 is H2; 14/12 is H2, 15/12 is next year's H1.
    assert_eq!(ids("2026-H2"), [12, 14]);
    assert_eq!(ids("2027-H1"), [15]);
    // summarise also filters on its own: the whole log, fed directly, gives the same H1.
    let direct = report::summarise(log(), meta("2026-H1".parse().expect("period")));
    assert_eq!(
        direct.totals,
        report_from_store(&store, "2026-H1".parse().expect("p")).totals
    );
    let custom = Period::days(day(2026, 6, 14), day(2026, 6, 15)).expect("days");
    assert_eq!(
        report_from_store(&store, custom).totals,
        counts(2, 0, 120_000, 1)
    );
}

#[test]
fn html_report_is_printable_and_escapes_titles() {
    let r = report::summarise(log(), meta("2026-H1".parse().expect("period")));
    let html = report::render_to_string(&r, ReportFormat::Html, Lang::Vi).expect("html");
    assert!(html.contains("Đài truyền thanh xã Bình Chương"));
    assert!(html.contains("@page { size: A4"));
    assert!(!html.contains("<script>"), "a title must not become markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Bão số 3"));
    assert!(html.contains("Nghị quyết 57-NQ/TW") && html.contains("Theo chuyên mục"));
    assert!(html.contains("8,3"), "minutes with a decimal comma: {html}");
    for external in ["<link", "src=", "http://", "https://", "@import"] {
        assert!(!html.contains(external), "no external asset: {external}");
    }
    let en = report::render_to_string(&r, ReportFormat::Html, Lang::En).expect("html");
    assert!(en.contains("By topic") && en.contains("8.3"));
}

#[test]
fn markdown_csv_and_xlsx_reports_carry_the_same_figures() {
    use calamine::{DataType, Reader, Xlsx, open_workbook};
    let r = report::summarise(log(), meta("2026-H1".parse().expect("period")));
    let md = report::render_to_string(&r, ReportFormat::Md, Lang::Vi).expect("md");
    assert!(
        md.contains("| Nghị quyết 57-NQ/TW | 3 | 0 | 5,0 | 2 |"),
        "{md}"
    );
    assert!(md.contains("| Tổng cộng | 5 | 1 | 8,3 | 5 |"), "{md}");
    assert!(md.contains("2026-H1 (15/12/2025 – 14/06/2026)"), "{md}");
    let csv = report::render_to_string(&r, ReportFormat::Csv, Lang::Vi).expect("csv");
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("Chuyển đổi số,2,1,\"3,3\",3\r\n"), "{csv}");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bao-cao.xlsx");
    report::render_to_path(&r, ReportFormat::Xlsx, Lang::Vi, &path).expect("xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open");
    let sheet = book.worksheet_range("Chuyên mục").expect("topic sheet");
    let row = sheet
        .rows()
        .find(|row| {
            row.first()
                .is_some_and(|c| c.get_string() == Some("Chuyển đổi số"))
        })
        .expect("cds row");
    let figures: Vec<String> = row.iter().skip(1).map(|c| c.to_string()).collect();
    assert_eq!(figures, ["2", "1", "3.25", "3"]);
}

// ---- relays (tiếp sóng) ----------------------------------------------------------------

const SOURCE_A: &str = "http://a.vov.vn/vov1.mp3";
const SOURCE_B: &str = "https://b.vov.vn/vov1.m3u8";

fn switch(at_ms: u64, air: Air, why: Option<Fault>) -> Switch {
    Switch { at_ms, air, why }
}

fn source(url: &str) -> Air {
    Air::Source { url: url.into() }
}

fn failures(url: &str, fault: Fault, n: usize) -> Vec<Failure> {
    (0..n)
        .map(|i| Failure {
            at_ms: i as u64 * 5_000,
            url: url.into(),
            fault: fault.clone(),
        })
        .collect()
}

/// A relay window's record, as the daemon writes one: the program's title, the station
/// topic, no segment, the window aired as `played_ms`.
fn relay_window(
    program: &'static str,
    start: &'static str,
    played_ms: u64,
    outcome: Outcome,
    proof: RelayProof,
) -> AsRunRecord {
    let mut r = record(&R {
        role: Role::Relay,
        title: "Tiếp sóng Thời sự VOV1",
        ..item(
            program, "station", None, 0, start, start, played_ms, outcome,
        )
    });
    r.segment_id = None;
    r.sha256 = String::new();
    r.peak_dbfs = None;
    r.loudness_lufs = None;
    r.audible_ms = None;
    r.relay = Some(proof);
    r
}

/// Three relay windows in 2026-H1 (one with a dropout and a second source, one that never
/// found a source, one clean), one in 2026-H2, and a missed one in 2026-H1.
fn relay_log() -> Vec<AsRunRecord> {
    let mut stalled = failures(SOURCE_A, Fault::Stalled, 1);
    stalled.extend(failures(SOURCE_B, Fault::Status { status: 404 }, 2));
    vec![
        relay_window(
            "vov-sang",
            "2026-01-10 06:00:00",
            1_800_000,
            Outcome::Completed,
            RelayProof {
                url: Some(SOURCE_A.into()),
                stream_title: Some("Thời sự 6 giờ".into()),
                relayed_ms: 1_500_000,
                dropout_ms: 300_000,
                switches: vec![
                    switch(0, source(SOURCE_A), None),
                    switch(1_200_000, Air::Fallback, Some(Fault::Stalled)),
                    switch(1_500_000, source(SOURCE_B), None),
                ],
                failures: stalled,
                failures_dropped: 0,
            },
        ),
        relay_window(
            "vov-sang",
            "2026-01-11 06:00:00",
            1_800_000,
            Outcome::Completed,
            RelayProof {
                dropout_ms: 1_800_000,
                switches: vec![switch(0, Air::Fallback, None)],
                failures: failures(
                    SOURCE_A,
                    Fault::Connect {
                        detail: "connection refused".into(),
                    },
                    3,
                ),
                failures_dropped: 2,
                ..RelayProof::default()
            },
        ),
        relay_window(
            "tinh-chieu",
            "2026-02-01 17:30:00",
            3_600_000,
            Outcome::Completed,
            RelayProof {
                url: Some(SOURCE_B.into()),
                relayed_ms: 3_600_000,
                switches: vec![switch(0, source(SOURCE_B), None)],
                ..RelayProof::default()
            },
        ),
        relay_window(
            "tinh-chieu",
            "2026-07-01 17:30:00",
            3_600_000,
            Outcome::Completed,
            RelayProof {
                url: Some(SOURCE_B.into()),
                relayed_ms: 3_600_000,
                switches: vec![switch(0, source(SOURCE_B), None)],
                ..RelayProof::default()
            },
        ),
        missed_relay("vov-sang", "2026-03-01 06:00:00"),
    ]
}

/// A relay program the station was off for: its record, without a proof.
fn missed_relay(program: &'static str, due: &'static str) -> AsRunRecord {
    let mut r = relay_window(program, due, 0, Outcome::Missed, RelayProof::default());
    r.relay = None;
    r
}

/// The hand-made log with the relay windows after it, numbered on.
fn log_with_relays() -> Vec<AsRunRecord> {
    let mut all = log();
    all.extend(relay_log());
    for (i, r) in all.iter_mut().enumerate() {
        r.id = i as u64 + 1;
    }
    // The first item went out on two streams too: one missed 2.6 s, one was for other zones.
    all[0].streams = vec![
        loaxa::stream::StreamCarriage {
            stream: "loa-xa.mp3".into(),
            gap_ms: 2_600,
            other_zone: false,
        },
        loaxa::stream::StreamCarriage {
            stream: "Thôn 1".into(),
            gap_ms: 0,
            other_zone: true,
        },
    ];
    all
}

#[test]
fn the_report_counts_relays_apart_from_news_items() {
    let period: Period = "2026-H1".parse().expect("period");
    let news = report::summarise(log(), meta(period));
    let r = report::summarise(log_with_relays(), meta(period));
    // The news tables are those of the log without relays.
    assert_eq!(r.totals, news.totals);
    assert_eq!(r.by_topic, news.by_topic);
    assert_eq!(r.by_unit, news.by_unit);
    assert_eq!(r.by_month, news.by_month);
    assert_eq!(r.signature, news.signature, "a relay is no signature tune");
    assert_eq!(r.records, news.records + 4, "the H2 window is outside");

    let relay = |windows, no_source, window_ms, relayed_ms, dropout_ms| RelayCounts {
        windows,
        no_source,
        window_ms,
        relayed_ms,
        dropout_ms,
    };
    let relays = &r.relays;
    assert_eq!(relays.totals, relay(3, 1, 7_200_000, 5_100_000, 2_100_000));
    assert_eq!(
        relays.by_program,
        [
            (
                "tinh-chieu".to_string(),
                relay(1, 0, 3_600_000, 3_600_000, 0)
            ),
            (
                "vov-sang".to_string(),
                relay(2, 1, 3_600_000, 1_500_000, 2_100_000)
            ),
        ]
    );
    // Each source from its switch to the next: A until the stall, B from 25:00 to the end.
    assert_eq!(
        relays.by_source,
        [
            (SOURCE_A.to_string(), 1_200_000),
            (SOURCE_B.to_string(), 300_000 + 3_600_000),
        ]
    );
    let refused = Fault::Connect {
        detail: "connection refused".into(),
    };
    assert_eq!(
        relays.faults,
        [
            (Some(refused), 3),
            (Some(Fault::Status { status: 404 }), 2),
            (None, 2),
            (Some(Fault::Stalled), 1),
        ]
    );
    let programs: Vec<(&str, u64, u64, u64)> = r
        .programs
        .iter()
        .filter(|p| p.name.starts_with("vov") || p.name.starts_with("tinh"))
        .map(|p| (p.name.as_str(), p.runs, p.items, p.outcome("completed")))
        .collect();
    // The missed relay is due in its program, no window.
    assert_eq!(programs, [("tinh-chieu", 1, 1, 1), ("vov-sang", 3, 3, 2)]);
}

#[test]
fn every_report_format_has_the_relay_section_in_both_languages() {
    use calamine::{DataType, Reader, Xlsx, open_workbook};
    let r = report::summarise(log_with_relays(), meta("2026-H1".parse().expect("period")));
    let md = report::render_to_string(&r, ReportFormat::Md, Lang::Vi).expect("md");
    for line in [
        "## Tiếp sóng theo chương trình",
        "| vov-sang | 2 | 1 | 0,4 | 35,0 | 58,3 |",
        "| tinh-chieu | 1 | 0 | 1,0 | 0,0 | 0,0 |",
        "| Tổng cộng | 3 | 1 | 1,4 | 35,0 | 29,2 |",
        "## Tiếp sóng theo nguồn",
        "| http://a.vov.vn/vov1.mp3 | 0,3 |",
        "| https://b.vov.vn/vov1.m3u8 | 1,1 |",
        "## Lỗi nguồn tiếp sóng thường gặp",
        "| không kết nối được tới nguồn (connection refused) | 3 |",
        "| máy chủ của nguồn trả về mã lỗi 404 | 2 |",
        "| (các lần lỗi khác, không lưu chi tiết) | 2 |",
        "| nguồn ngừng gửi dữ liệu | 1 |",
        "| Số phút phát sóng bản tin (không kể tiếp sóng) | 8,3 |",
        "| Tiếp sóng: số lần | 3 |",
        "| Tiếp sóng: số giờ tiếp sóng | 1,4 |",
    ] {
        assert!(md.contains(line), "`{line}` missing in:\n{md}");
    }
    let en = report::render_to_string(&r, ReportFormat::Md, Lang::En).expect("md");
    for line in [
        "| vov-sang | 2 | 1 | 0.4 | 35.0 | 58.3 |",
        "| cannot connect to the source (connection refused) | 3 |",
        "| the source stopped sending data | 1 |",
        "| Relays: hours relayed | 1.4 |",
    ] {
        assert!(en.contains(line), "`{line}` missing in:\n{en}");
    }
    let html = report::render_to_string(&r, ReportFormat::Html, Lang::Vi).expect("html");
    assert!(html.contains("<h2>Tiếp sóng theo nguồn</h2>"), "{html}");
    assert!(
        html.contains("<tr class=\"total\"><td>Tổng cộng</td><td class=\"n\">3</td>"),
        "{html}"
    );
    let csv = report::render_to_string(&r, ReportFormat::Csv, Lang::Vi).expect("csv");
    assert!(
        csv.contains("vov-sang,2,1,\"0,4\",\"35,0\",\"58,3\"\r\n"),
        "{csv}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bao-cao.xlsx");
    report::render_to_path(&r, ReportFormat::Xlsx, Lang::Vi, &path).expect("xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open");
    let mut row_of = |sheet: &str, first: &str| -> Vec<f64> {
        let range = book.worksheet_range(sheet).expect(sheet);
        range
            .rows()
            .find(|row| row.first().is_some_and(|c| c.get_string() == Some(first)))
            .unwrap_or_else(|| panic!("{first} in {sheet}"))
            .iter()
            .skip(1)
            .map(|c| c.as_f64().expect("a number"))
            .collect()
    };
    let vov = row_of("Tiếp sóng", "vov-sang");
    assert_eq!(&vov[..2], [2.0, 1.0]);
    assert!((vov[2] - 1_500_000.0 / 3_600_000.0).abs() < 1e-9, "{vov:?}");
    let a = row_of("Nguồn tiếp sóng", SOURCE_A);
    assert!((a[0] - 1.0 / 3.0).abs() < 1e-9, "{a:?}");
    assert_eq!(row_of("Lỗi nguồn", "nguồn ngừng gửi dữ liệu"), [1.0]);
}

#[test]
fn exports_add_the_relay_columns_then_the_streams_at_the_end() {
    let store = Store::temporary().expect("store");
    for mut r in log_with_relays() {
        store.append_record(&mut r).expect("append");
    }
    let headers = report::export_headers(Lang::Vi);
    assert_eq!(headers.len(), 32);
    assert_eq!(headers[30], "Luồng phát (cụm loa IP)");
    assert_eq!(headers[31], "Nguồn gửi");
    assert_eq!(
        &headers[25..30],
        [
            "Nguồn tiếp sóng",
            "Tên chương trình đang phát của nguồn",
            "Thời gian tiếp sóng (giây)",
            "Thời gian mất tín hiệu (giây)",
            "Số lần chuyển nguồn phát"
        ]
    );
    assert_eq!(
        headers[24], "Phát ra im lặng",
        "the columns before keep their place"
    );
    // The CSV from the store's fast path and from the records.
    let mut fast = Vec::new();
    report::write_store_export(
        &store,
        chrono_tz::Asia::Ho_Chi_Minh,
        None,
        None,
        ExportFormat::Csv,
        &opts(Lang::Vi),
        &mut fast,
    )
    .expect("export");
    let mut plain = Vec::new();
    report::write_export(all(&store), ExportFormat::Csv, &opts(Lang::Vi), &mut plain)
        .expect("export");
    assert_eq!(
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&plain)
    );
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(&fast[3..])
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    let log = log_with_relays();
    for (row, r) in rows.iter().zip(&log) {
        assert_eq!(row, &expected_cells(r), "record {}", r.id);
    }
    assert_eq!(
        &rows[15][25..30],
        [SOURCE_A, "Thời sự 6 giờ", "1500", "300", "3"]
    );
    assert_eq!(
        rows[0][30],
        "loa-xa.mp3 (mất 3 giây); Thôn 1 (vùng khác: phát im lặng)"
    );
    assert_eq!(
        &rows[16][25..31],
        ["", "", "0", "1800", "1", ""],
        "no source at all"
    );
    assert_eq!(rows[15][3], "tiếp sóng");
    assert!(
        rows[0][25..30].iter().all(String::is_empty),
        "{:?}",
        rows[0]
    );

    // XLSX: the same cells, the times and counts as numbers.
    use calamine::{DataType, Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.xlsx");
    report::export_to_path(all(&store), ExportFormat::Xlsx, &opts(Lang::Vi), &path)
        .expect("export");
    let mut book: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let range = book.worksheet_range("Nhật ký phát sóng").expect("sheet");
    let row: Vec<_> = range.rows().nth(16).expect("the first relay").to_vec();
    assert_eq!(row[25].get_string(), Some(SOURCE_A));
    assert_eq!(row[26].get_string(), Some("Thời sự 6 giờ"));
    assert_eq!(row[27].as_f64(), Some(1500.0));
    assert_eq!(row[28].as_f64(), Some(300.0));
    assert_eq!(row[29].as_f64(), Some(3.0));
    let intro: Vec<_> = range.rows().nth(1).expect("the intro").to_vec();
    assert!(intro[25..30].iter().all(|c| c.is_empty()), "{intro:?}");
    assert_eq!(
        intro[30].get_string(),
        Some("loa-xa.mp3 (mất 3 giây); Thôn 1 (vùng khác: phát im lặng)")
    );
}

// ---- the binary ------------------------------------------------------------------------

fn station_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    station_dir_with("")
}

fn station_dir_with(extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    station_dir_of(extra, log())
}

/// A station folder whose log holds `records`.
fn station_dir_of(
    extra: &str,
    records: Vec<AsRunRecord>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        format!("[station]\nname = \"Đài truyền thanh xã Bình Chương\"\ndata_dir = \"data\"\n\n[topics]\nnq57 = \"Nghị quyết 57-NQ/TW\"\ncds = \"Chuyển đổi số\"\nbdhvs = \"Bình dân học vụ số\"\n\n[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n{extra}"),
    )
    .expect("config");
    std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
    let store = Store::open(&dir.path().join("data/db")).expect("store");
    for mut r in records {
        store.append_record(&mut r).expect("append");
    }
    drop(store);
    (dir, config)
}

/// `loaxa log` shows under a relay's row its source, stream title and dropout, in both
/// languages; the JSON lines carry the proof as stored.
#[test]
fn loaxa_log_shows_what_a_relay_aired() {
    let (_dir, config) = station_dir_of("", log_with_relays());
    let out = loaxa(&config, &["log", "--program", "vov-sang"]);
    let en = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = en.lines().collect();
    assert_eq!(
        lines.len(),
        6,
        "a heading, three rows, a line under each window (none under the missed one):\n{en}"
    );
    assert_eq!(
        lines[2],
        "\t↳ source: http://a.vov.vn/vov1.mp3 · stream title: «Thời sự 6 giờ» · dropout 5:00 (17%)"
    );
    assert_eq!(lines[4], "\t↳ no source aired · dropout 30:00 (100%)");
    assert!(lines[5].contains("missed"), "{en}");
    let out = loaxa_in("vi", &config, &["log", "--program", "vov-sang"]);
    let vi = String::from_utf8_lossy(&out.stdout);
    assert!(
        vi.contains(
            "\t↳ nguồn: http://a.vov.vn/vov1.mp3 · tên chương trình đang phát của nguồn: \
             «Thời sự 6 giờ» · mất tín hiệu 5:00 (17%)"
        ),
        "{vi}"
    );
    assert!(
        vi.contains("\t↳ không có nguồn nào phát được · mất tín hiệu 30:00 (100%)"),
        "{vi}"
    );
    // A row that is no relay has no line under it.
    let out = loaxa(&config, &["log", "--program", "chieu"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains('↳'));

    let out = loaxa(
        &config,
        &[
            "log",
            "export",
            "--format",
            "jsonl",
            "--from",
            "2026-01-10",
            "--to",
            "2026-01-10",
        ],
    );
    let relays: Vec<AsRunRecord> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<AsRunRecord>(l).expect("a record"))
        .filter(|r| r.role == Role::Relay)
        .collect();
    assert_eq!(relays.len(), 1);
    assert_eq!(relays[0].relay, relay_log()[0].relay);
}

#[test]
fn the_operator_exports_a_period_and_prints_the_report() {
    let (dir, config) = station_dir();
    let out_file = dir.path().join("h1.xlsx");
    let out = loaxa(
        &config,
        &[
            "log",
            "export",
            "--from",
            "2025-12-15",
            "--to",
            "2026-06-14",
            "-o",
            out_file.to_str().expect("utf-8"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("11 records"));
    assert!(
        std::fs::read(&out_file).expect("xlsx").starts_with(b"PK"),
        "a zip (xlsx)"
    );

    let out = loaxa(
        &config,
        &["log", "export", "--format", "jsonl", "--from", "2026-06-15"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);

    let out = loaxa(&config, &["report", "--period", "2026-H1"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        md.contains("Đài truyền thanh xã Bình Chương")
            && md.contains("| Tổng cộng | 5 | 1 | 8,3 | 5 |"),
        "{md}"
    );

    let html = dir.path().join("bao-cao.html");
    let out = loaxa(
        &config,
        &[
            "report",
            "--period",
            "2026-h1",
            "-o",
            html.to_str().expect("utf-8"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&html)
            .expect("html")
            .contains("<!DOCTYPE html>")
    );

    let out = loaxa(&config, &["report", "--period", "2026-H3"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2026-H1"));
}

/// While the daemon holds the database, export and report go through `GET /log/export`
/// and give the same bytes and figures as on the store.
#[test]
fn export_and_report_work_through_the_running_daemon() {
    let (dir, config) =
        station_dir_with("\n[output]\ndevice = \"null\"\n\n[api]\nlisten = \"127.0.0.1:0\"\n");
    let local_csv = dir.path().join("local.csv");
    let out = loaxa(
        &config,
        &["log", "export", "-o", local_csv.to_str().expect("utf-8")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local_report = loaxa(
        &config,
        &["report", "--period", "2026-H1", "--format", "csv"],
    );

    let mut daemon = Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(&config)
        .args(["run", "--output", "null"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start daemon");
    let announced = dir.path().join("data/daemon.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !announced.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no daemon.json after 20 s"
        );
        assert!(
            daemon.try_wait().expect("poll").is_none(),
            "the daemon exited"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let remote_csv = dir.path().join("remote.csv");
    let out = loaxa(
        &config,
        &["log", "export", "-o", remote_csv.to_str().expect("utf-8")],
    );
    let remote_report = loaxa(
        &config,
        &["report", "--period", "2026-H1", "--format", "csv"],
    );
    let remote_xlsx = dir.path().join("remote.xlsx");
    let xlsx = loaxa(
        &config,
        &["log", "export", "-o", remote_xlsx.to_str().expect("utf-8")],
    );
    let stopped = Command::new("kill")
        .args(["-INT", &daemon.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    daemon.wait().expect("daemon ends");

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("15 records"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&remote_csv).expect("remote"),
        std::fs::read(&local_csv).expect("local")
    );
    assert!(
        remote_report.status.success(),
        "{}",
        String::from_utf8_lossy(&remote_report.stderr)
    );
    // Same figures; only the "generated at" line may differ by a minute.
    let figures = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with("Lập lúc"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&remote_report), figures(&local_report));
    assert!(
        xlsx.status.success(),
        "{}",
        String::from_utf8_lossy(&xlsx.stderr)
    );
    assert!(
        std::fs::read(&remote_xlsx)
            .expect("xlsx")
            .starts_with(b"PK")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("data"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".export"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
