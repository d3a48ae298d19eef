//! The CSV export read straight from the store (borrowed views of the stored JSON, a reading
//! thread ahead of the writer) writes the same bytes as the export of `AsRunRecord`s, and as
//! cells computed here with chrono, for a varied log: Vietnamese text, quotes, commas and
//! line breaks, missing optional fields, times in many offsets, fractions, leap seconds and
//! years chrono writes with a sign. Its errors name the record.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::relay::{Air, Failure, Fault, RelayProof, Switch};
use loaxa::report::{self, ExportFormat, ExportOptions, Lang, Separator};
use loaxa::store::Store;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

const TEXTS: [&str; 9] = [
    "Bản tin số 7: \"Chuyển đổi số\", Bình dân học vụ số",
    "Thông báo lịch tiêm chủng; xã Bình Chương",
    "hai dòng\nthứ hai",
    "CR\r\nLF",
    "",
    " dấu cách đầu và cuối ",
    "emoji 📻 và tab\tở giữa",
    "\\ backslash and \u{1} control",
    "Nguyễn Văn A",
];

const OFFSETS: [i32; 8] = [
    7 * 3600,
    0,
    -(3 * 3600 + 1800),
    5 * 3600 + 2700,
    14 * 3600,
    -12 * 3600,
    9 * 3600 + 1800,
    7 * 3600 + 30, // written rounded to the minute
];

/// A time in a varied offset, with a varied fraction; some at the edges chrono handles.
fn time(rng: &mut fastrand::Rng) -> DateTime<FixedOffset> {
    let off = FixedOffset::east_opt(OFFSETS[rng.usize(..OFFSETS.len())]).expect("offset");
    let edge = |y, mo, d, h, mi, s, nano| {
        let naive = NaiveDate::from_ymd_opt(y, mo, d)
            .expect("day")
            .and_hms_nano_opt(h, mi, s, nano)
            .expect("time");
        off.from_local_datetime(&naive).single().expect("local")
    };
    match rng.u32(..40) {
        0 => edge(0, 1, 1, 0, 0, 0, 0),
        1 => edge(9999, 12, 31, 23, 59, 59, 999_999_999),
        2 => edge(10_000, 1, 1, 0, 0, 0, 0),
        3 => edge(-1, 12, 31, 23, 0, 0, 0),
        4 => edge(2016, 12, 31, 23, 59, 59, 1_500_000_000), // leap second
        5 => edge(2024, 2, 29, 12, 0, 0, 1),
        _ => {
            let base = edge(2019, 1, 1, 0, 0, 0, 0);
            let fraction = match rng.u32(..4) {
                0 => 0,
                1 => rng.i64(0..1000) * 1_000_000,
                2 => rng.i64(0..1_000_000) * 1000,
                _ => rng.i64(0..1_000_000_000),
            };
            base + Duration::seconds(rng.i64(0..12 * 365 * 86400)) + Duration::nanoseconds(fraction)
        }
    }
}

fn text(rng: &mut fastrand::Rng) -> String {
    TEXTS[rng.usize(..TEXTS.len())].to_string()
}

fn varied_log(n: usize) -> Vec<AsRunRecord> {
    let mut rng = fastrand::Rng::with_seed(8);
    (0..n)
        .map(|i| {
            let opt = |rng: &mut fastrand::Rng| rng.bool();
            let full = i % 7 != 3;
            AsRunRecord {
                id: 0,
                program: ["sáng", "chiều", "a,b", "\"q\""][i % 4].into(),
                trigger: [Trigger::Schedule, Trigger::Manual, Trigger::CatchUp][i % 3],
                role: [
                    Role::Intro,
                    Role::Item,
                    Role::Outro,
                    Role::Separator,
                    Role::Relay,
                ][i % 5],
                scheduled_at: time(&mut rng),
                started_at: (full && opt(&mut rng)).then(|| time(&mut rng)),
                ended_at: (full && opt(&mut rng)).then(|| time(&mut rng)),
                played_ms: [0, 499, 500, 88_500, u64::MAX][i % 5],
                segment_id: (full && opt(&mut rng)).then(|| SegmentId(rng.u64(..))),
                title: text(&mut rng),
                topic: ["cds", "nq57", "không có nhãn", ""][i % 4].into(),
                unit: (full && opt(&mut rng)).then(|| text(&mut rng)),
                sha256: format!("{:064x}", rng.u128(..)),
                outcome: [
                    Outcome::Completed,
                    Outcome::Interrupted,
                    Outcome::Failed,
                    Outcome::Skipped,
                    Outcome::Missed,
                ][i % 5],
                reason: (full && opt(&mut rng)).then(|| text(&mut rng)),
                output: ["alsa:default", "wav:/tmp/a, b.wav", "null"][i % 3].into(),
                priority: [Priority::Normal, Priority::Priority, Priority::Emergency][i % 3],
                approved_by: (full && opt(&mut rng)).then(|| text(&mut rng)),
                approved_at: (full && opt(&mut rng)).then(|| time(&mut rng)),
                peak_dbfs: (full && opt(&mut rng))
                    .then(|| [-120.0, -0.5, -0.4, -3.5, -16.49, 0.0][rng.usize(..6)]),
                loudness_lufs: (full && opt(&mut rng)).then(|| -(rng.f64() * 70.0)),
                audible_ms: (full && opt(&mut rng)).then(|| rng.u64(..10_000_000)),
                silent: full && opt(&mut rng),
                relay: (i % 5 == 4).then(|| relay_proof(&mut rng, full)),
                live: None,
                streams: Vec::new(),
                source: None,
                hash_version: 2,
                prev_hash: String::new(),
                hash: String::new(),
            }
        })
        .collect()
}

/// A relay's proof with text to quote (a title that would start a formula) and switches to
/// count; without a source at all when not `full`.
fn relay_proof(rng: &mut fastrand::Rng, full: bool) -> RelayProof {
    let url = "http://vov.vn/a,\"b\".mp3".to_string();
    RelayProof {
        url: full.then(|| url.clone()),
        stream_title: (full && rng.bool()).then(|| format!("={}", text(rng))),
        relayed_ms: if full { rng.u64(..10_000_000) } else { 0 },
        dropout_ms: rng.u64(..10_000_000),
        switches: (0..rng.usize(..4))
            .map(|k| Switch {
                at_ms: k as u64 * 1000,
                air: if k % 2 == 0 {
                    Air::Source { url: url.clone() }
                } else {
                    Air::Fallback
                },
                why: (k % 2 == 1).then_some(Fault::Stalled),
            })
            .collect(),
        failures: vec![Failure {
            at_ms: 5,
            url: url.clone(),
            fault: Fault::Status { status: 404 },
        }],
        failures_dropped: 0,
    }
}

fn store_with(records: Vec<AsRunRecord>) -> Store {
    let store = Store::temporary().expect("store");
    store.bulk_append_records(records).expect("append");
    store
}

fn options(lang: Lang, separator: Separator) -> ExportOptions {
    ExportOptions {
        lang,
        separator,
        topics: BTreeMap::from([
            ("cds".into(), "Chuyển đổi số".into()),
            ("nq57".into(), "Nghị quyết 57, \"KHCN\"".into()),
        ]),
    }
}

/// The CSV of `records` with every row from [`report::export_csv_cells`] (chrono's formatting,
/// record by record): the reference for the store's fast path.
fn expected_csv(records: &[AsRunRecord], opts: &ExportOptions) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut w = csv::WriterBuilder::new()
        .delimiter(opts.separator.byte())
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    w.write_record(report::export_headers(opts.lang))
        .expect("header");
    for r in records {
        w.write_record(report::export_csv_cells(r, opts))
            .expect("row");
    }
    w.flush().expect("flush");
    drop(w);
    out
}

fn from_store(store: &Store, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<u8> {
    from_store_with(store, from, to, &options(Lang::Vi, Separator::Comma))
}

fn from_store_with(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    opts: &ExportOptions,
) -> Vec<u8> {
    let mut out = Vec::new();
    report::write_store_export(store, TZ, from, to, ExportFormat::Csv, opts, &mut out)
        .expect("export from the store");
    out
}

fn from_records(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    opts: &ExportOptions,
) -> Vec<u8> {
    let mut out = Vec::new();
    let records = report::source::records(store, TZ, from, to).map(|r| Ok(r?));
    report::write_export(records, ExportFormat::Csv, opts, &mut out).expect("export");
    out
}

fn assert_same(got: &[u8], want: &[u8]) {
    if got != want {
        let (got, want) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
        let line = got
            .split("\r\n")
            .zip(want.split("\r\n"))
            .position(|(g, w)| g != w);
        panic!("CSV differs (first at line {line:?}):\n got: {got:.2000}\nwant: {want:.2000}");
    }
}

#[test]
fn csv_from_the_store_is_the_csv_of_the_records() {
    let log = varied_log(1500);
    let store = store_with(log);
    let stored: Vec<AsRunRecord> = store
        .records_iter(None, None)
        .collect::<Result<_, _>>()
        .expect("records");
    assert_eq!(stored.len(), 1500);
    for lang in [Lang::Vi, Lang::En] {
        for sep in [Separator::Comma, Separator::Semicolon] {
            let opts = options(lang, sep);
            let got = from_store_with(&store, None, None, &opts);
            assert_same(&got, &from_records(&store, None, None, &opts));
            assert_same(&got, &expected_csv(&stored, &opts));
        }
    }
}

#[test]
fn csv_from_the_store_selects_the_same_days() {
    // Besides the varied log, records every 20 minutes around midnight (station time) of
    // 2022-03-01, written in every offset.
    let mut log = varied_log(1500);
    let midnight = FixedOffset::east_opt(7 * 3600)
        .expect("UTC+7")
        .with_ymd_and_hms(2022, 3, 1, 0, 0, 0)
        .single()
        .expect("midnight");
    for k in -90..90i64 {
        let mut r = log[(k + 90) as usize].clone();
        let off = FixedOffset::east_opt(OFFSETS[k.rem_euclid(8) as usize]).expect("offset");
        r.scheduled_at = (midnight + Duration::minutes(20 * k)).with_timezone(&off);
        r.started_at = None;
        log.push(r);
    }
    let store = store_with(log);
    let opts = options(Lang::Vi, Separator::Comma);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
    for (from, to) in [
        (Some(day(2022, 3, 1)), None),
        (None, Some(day(2022, 2, 28))),
        (None, Some(day(2021, 6, 14))),
        (Some(day(2020, 12, 15)), Some(day(2026, 6, 14))),
        (Some(day(2025, 1, 1)), Some(day(2024, 1, 1))),
    ] {
        let got = from_store(&store, from, to);
        let want = from_records(&store, from, to, &opts);
        assert_same(&got, &want);
    }
    // The bounds selected something and left something out.
    let some = from_store(&store, Some(day(2020, 12, 15)), Some(day(2026, 6, 14)));
    let all = from_store(&store, None, None);
    assert!(some.len() > 1000 && some.len() < all.len());
}

#[test]
fn csv_export_to_a_file_from_the_store() {
    let log = varied_log(600);
    let store = store_with(log);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nhat-ky.csv");
    let opts = options(Lang::Vi, Separator::Comma);
    let n = report::export_store_to_path(&store, TZ, None, None, ExportFormat::Csv, &opts, &path)
        .expect("export");
    assert_eq!(n, 600);
    let got = std::fs::read(&path).expect("read");
    assert_same(&got, &from_records(&store, None, None, &opts));
}

/// Older records lack the fields added since (priority, approval, levels, chain): the view
/// reads them with the same defaults as `AsRunRecord`.
#[test]
fn records_written_by_older_versions_export_the_same() {
    let store = store_with(varied_log(3));
    let old = r#"{"id":2,"program":"sáng","trigger":"schedule","role":"item",
        "scheduled_at":"2025-12-15T05:30:00+07:00","started_at":"2025-12-15T05:30:01.250+07:00",
        "ended_at":null,"played_ms":1250,"segment_id":4,"title":"Bản tin, \"cũ\"",
        "topic":"cds","unit":null,"sha256":"ab","outcome":"interrupted",
        "reason":"stopped\nby hand","output":"alsa:default"}"#;
    store.inject_log_bytes(2, old.as_bytes()).expect("inject");
    let opts = options(Lang::Vi, Separator::Comma);
    let got = from_store(&store, None, None);
    assert_same(&got, &from_records(&store, None, None, &opts));
    assert!(
        String::from_utf8_lossy(&got).contains("\"stopped\nby hand\""),
        "the old record is in the export"
    );
}

#[test]
fn a_damaged_record_fails_the_export_with_its_id() {
    let store = store_with(varied_log(1000));
    store
        .inject_log_bytes(777, br#"{"id":777,"program":"s"#)
        .expect("inject");
    let mut out = Vec::new();
    let opts = options(Lang::Vi, Separator::Comma);
    let err =
        report::write_store_export(&store, TZ, None, None, ExportFormat::Csv, &opts, &mut out)
            .expect_err("a damaged record");
    let msg = format!("{err:#}");
    assert!(msg.contains("log record 777"), "{msg}");
    // A time chrono cannot read either.
    store
        .inject_log_bytes(777, &{
            let mut r = varied_log(1).remove(0);
            r.id = 777;
            serde_json::to_string(&r)
                .expect("json")
                .replacen("\"scheduled_at\":\"", "\"scheduled_at\":\"2026-02-30", 1)
                .into_bytes()
        })
        .expect("inject");
    let err =
        report::write_store_export(&store, TZ, None, None, ExportFormat::Csv, &opts, &mut out)
            .expect_err("a damaged time");
    let msg = format!("{err:#}");
    assert!(msg.contains("log record 777"), "{msg}");
}

/// A writer that fails once `room` bytes are written (a full disk).
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.room {
            return Err(std::io::Error::other("No space left on device"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_stops_the_export_and_names_the_record() {
    let store = store_with(varied_log(5000));
    let opts = options(Lang::Vi, Separator::Comma);
    let err = report::write_store_export(
        &store,
        TZ,
        None,
        None,
        ExportFormat::Csv,
        &opts,
        Full { room: 100_000 },
    )
    .expect_err("the disk is full");
    let msg = format!("{err:#}");
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(msg.contains("writing log record "), "{msg}");
}

#[test]
fn stopping_early_ends_the_reading_thread() {
    let store = store_with(varied_log(3000));
    let mut batches = store.raw_record_batches(16).expect("reader");
    let first = batches.next().expect("a batch").expect("read");
    assert_eq!(first.len(), 16);
    assert_eq!(first.first().map(|r| r.id), Some(1));
    drop(batches); // must not hang with the reader blocked on a full channel
    let ids: Vec<u64> = store
        .raw_record_batches(1000)
        .expect("reader")
        .flat_map(|b| b.expect("read"))
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, (1..=3000).collect::<Vec<_>>());
}
