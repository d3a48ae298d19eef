//! Issue 13, findings 8 and 9 (export): the files `loaxa log export` and `loaxa report`
//! write are safe to open and are written only where they should be, checked on the real
//! binary's output.
//!
//! - a stored text that starts like a formula (`=`, `+`, `-`, `@`) is text in the CSV (after
//!   a `'`) and a plain string cell in the XLSX, while numbers (a loudness of -16) stay
//!   numbers;
//! - a title longer than Excel's 32 767-character cell limit (stored before titles had a
//!   limit) no longer makes every XLSX export fail: it is cut with an ellipsis;
//! - `-o` refuses a device node, a symbolic link, a folder and a FIFO, and changes none of
//!   them (or what a link points to).

#[path = "support/bin.rs"]
mod bin;

use std::path::{Path, PathBuf};

use bin::{loaxa, text};
use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{FixedOffset, TimeZone};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::store::Store;

/// Excel's cell limit.
const EXCEL_MAX: usize = 32_767;

fn record(title: &str, unit: Option<&str>, loudness: f64) -> AsRunRecord {
    let t = FixedOffset::east_opt(7 * 3600)
        .expect("UTC+7")
        .with_ymd_and_hms(2026, 3, 9, 5, 30, 0)
        .single()
        .expect("time");
    AsRunRecord {
        id: 0,
        program: "sang".into(),
        trigger: Trigger::Manual,
        role: Role::Item,
        scheduled_at: t,
        started_at: Some(t),
        ended_at: Some(t + chrono::Duration::seconds(60)),
        played_ms: 60_000,
        segment_id: Some(SegmentId(1)),
        title: title.into(),
        topic: "cds".into(),
        unit: unit.map(str::to_string),
        sha256: "ab".repeat(32),
        outcome: Outcome::Completed,
        reason: Some("-1+2".into()),
        output: "null".into(),
        priority: Priority::Emergency,
        approved_by: Some("+84 912 345 678".into()),
        approved_at: Some(t),
        peak_dbfs: Some(-3.4),
        loudness_lufs: Some(loudness),
        audible_ms: Some(60_000),
        silent: false,
        relay: None,
        live: None,
        streams: Vec::new(),
        source: None,
        hash_version: 2,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// A station folder whose log holds `records` (as an older loaxa could have stored them).
fn station_with(records: Vec<AsRunRecord>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Đài truyền thanh xã Bình Chương\"\ndata_dir = \"data\"\n\n[topics]\ncds = \"Chuyển đổi số\"\n\n[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n",
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

const FORMULA_TITLE: &str = "=HYPERLINK(\"http://evil.example/\",\"Bấm vào đây\")";

fn run_ok(config: &Path, args: &[&str]) {
    let out = loaxa(config, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "loaxa {args:?}: {}",
        text(&out.stderr)
    );
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read csv");
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body)
        .records()
        .map(|r| r.expect("csv row").iter().map(str::to_string).collect())
        .collect()
}

fn cell(range: &calamine::Range<Data>, needle: &str) -> Data {
    range
        .used_cells()
        .map(|(_, _, c)| c.clone())
        .find(|c| matches!(c, Data::String(s) if s.contains(needle)))
        .unwrap_or_else(|| panic!("no cell with {needle:?}"))
}

#[test]
fn formula_like_text_is_text_in_the_csv_and_xlsx_log_exports_numbers_stay_numbers() {
    let (dir, config) = station_with(vec![record(FORMULA_TITLE, Some("@SUM(A1:A9)"), -16.4)]);
    let csv_path = dir.path().join("nhat-ky.csv");
    run_ok(
        &config,
        &["log", "export", "-o", &csv_path.to_string_lossy()],
    );
    let rows = csv_rows(&csv_path);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row = &rows[1];
    assert!(row.contains(&format!("'{FORMULA_TITLE}")), "{row:?}");
    assert!(row.contains(&"'@SUM(A1:A9)".to_string()), "{row:?}");
    assert!(row.contains(&"'-1+2".to_string()), "reason: {row:?}");
    assert!(row.contains(&"'+84 912 345 678".to_string()), "{row:?}");
    // Numbers are not text: the loudness and the peak are still negative numbers.
    assert!(row.contains(&"-16".to_string()), "loudness: {row:?}");
    assert!(row.contains(&"-3".to_string()), "peak: {row:?}");
    for c in row {
        let live_formula =
            c.starts_with(['=', '+', '@']) || (c.starts_with('-') && c.parse::<f64>().is_err());
        assert!(!live_formula, "a live formula cell: {c:?} in {row:?}");
    }

    let xlsx_path = dir.path().join("nhat-ky.xlsx");
    run_ok(
        &config,
        &["log", "export", "-o", &xlsx_path.to_string_lossy()],
    );
    let mut book: Xlsx<_> = open_workbook(&xlsx_path).expect("open xlsx");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("sheet");
    assert_eq!(
        cell(&range, "HYPERLINK"),
        Data::String(FORMULA_TITLE.into())
    );
    assert_eq!(cell(&range, "SUM"), Data::String("@SUM(A1:A9)".into()));
    assert!(
        range.used_cells().any(|(_, _, c)| *c == Data::Float(-16.0)),
        "the loudness is a number"
    );
    let formulas = book.worksheet_formula(&sheet).expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell is a formula: {:?}",
        formulas.used_cells().collect::<Vec<_>>()
    );
}

#[test]
fn formula_like_titles_are_text_in_the_report_csv_and_xlsx() {
    let (dir, config) = station_with(vec![record(FORMULA_TITLE, None, -16.4)]);
    let period = ["--from", "2026-03-01", "--to", "2026-03-31"];
    let csv_path = dir.path().join("bao-cao.csv");
    let mut args = vec!["report", "-o"];
    let shown = csv_path.to_string_lossy().into_owned();
    args.push(&shown);
    args.extend(period);
    run_ok(&config, &args);
    let rows = csv_rows(&csv_path);
    let cells: Vec<&String> = rows.iter().flatten().collect();
    assert!(
        cells.iter().any(|c| **c == format!("'{FORMULA_TITLE}")),
        "{rows:?}"
    );
    assert!(
        !cells.iter().any(|c| c.starts_with('=')),
        "a live formula: {rows:?}"
    );

    let xlsx_path = dir.path().join("bao-cao.xlsx");
    let shown = xlsx_path.to_string_lossy().into_owned();
    let mut args = vec!["report", "-o", &shown];
    args.extend(period);
    run_ok(&config, &args);
    let mut book: Xlsx<_> = open_workbook(&xlsx_path).expect("open xlsx");
    let mut found = false;
    for sheet in book.sheet_names() {
        let range = book.worksheet_range(&sheet).expect("sheet");
        found |= range
            .used_cells()
            .any(|(_, _, c)| *c == Data::String(FORMULA_TITLE.into()));
        let formulas = book.worksheet_formula(&sheet).expect("formulas");
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "a formula in sheet {sheet}"
        );
    }
    assert!(found, "the emergency's title is in the report's XLSX");
}

#[test]
fn a_title_over_excels_cell_limit_is_cut_and_the_xlsx_export_still_works() {
    let huge = "Tin dài ".repeat(6_000); // 48 000 characters, stored before titles had a limit
    let (dir, config) = station_with(vec![record(&huge, None, -16.4)]);
    let xlsx_path = dir.path().join("nhat-ky.xlsx");
    run_ok(
        &config,
        &["log", "export", "-o", &xlsx_path.to_string_lossy()],
    );
    let mut book: Xlsx<_> = open_workbook(&xlsx_path).expect("open xlsx");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("sheet");
    let Data::String(title) = cell(&range, "Tin dài") else {
        unreachable!("cell() finds strings")
    };
    assert_eq!(title.chars().count(), EXCEL_MAX);
    assert!(title.ends_with('…'), "cut with an ellipsis");
    assert!(huge.starts_with(title.trim_end_matches('…')));
    // The report's XLSX too (the title is in its emergency table).
    let report = dir.path().join("bao-cao.xlsx");
    run_ok(
        &config,
        &[
            "report",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "-o",
            &report.to_string_lossy(),
        ],
    );
    // JSON Lines keeps every character.
    let jsonl = dir.path().join("nhat-ky.jsonl");
    run_ok(&config, &["log", "export", "-o", &jsonl.to_string_lossy()]);
    assert!(
        std::fs::read_to_string(&jsonl)
            .expect("jsonl")
            .contains(&huge)
    );
}

/// `loaxa log export -o TARGET` and `loaxa report -o TARGET` both fail naming `kind`.
fn refused(config: &Path, target: &Path, kind: &str) {
    let shown = target.to_string_lossy();
    for args in [
        vec!["log", "export", "-o", &shown, "--format", "csv"],
        vec![
            "report", "--period", "2026-H1", "-o", &shown, "--format", "csv",
        ],
    ] {
        let out = loaxa(config, &args);
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} must be refused: {err}"
        );
        assert!(err.contains(kind), "{args:?}: `{kind}` not in: {err}");
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn export_writes_only_to_a_regular_file() {
    use std::os::unix::fs::FileTypeExt;
    let (dir, config) = station_with(vec![record("Bản tin", None, -16.4)]);

    // A device node of our own (root, as in CI): /dev/null's twin, major 1 minor 3.
    let dev = dir.path().join("null-device");
    let made = std::process::Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .status()
        .expect("run mknod");
    assert!(made.success(), "mknod needs root (CI runs as root)");
    refused(&config, &dev, "a device");
    let meta = std::fs::symlink_metadata(&dev).expect("device still there");
    assert!(
        meta.file_type().is_char_device(),
        "the device node was replaced"
    );

    // A symbolic link to a file outside: neither the link nor the file changes.
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("passwd");
    std::fs::write(&victim, "root:x:0:0\n").expect("victim");
    let link = dir.path().join("nhat-ky.csv");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    refused(&config, &link, "symbolic link");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "root:x:0:0\n"
    );

    // A FIFO: refused at once (opening it would hang until a reader came).
    let fifo = dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo");
    refused(&config, &fifo, "FIFO");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo()
    );

    // A folder.
    let folder = dir.path().join("out");
    std::fs::create_dir(&folder).expect("mkdir");
    refused(&config, &folder, "folder");

    // A regular file is replaced whole; nothing is left beside it.
    let file = dir.path().join("ok.csv");
    std::fs::write(&file, "old").expect("old");
    run_ok(&config, &["log", "export", "-o", &file.to_string_lossy()]);
    assert!(
        std::fs::read_to_string(&file)
            .expect("csv")
            .contains("Bản tin")
    );
    let partial: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(partial.is_empty(), "temp files left: {partial:?}");
}
