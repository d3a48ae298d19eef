//! `loaxa log export`: the broadcast log as CSV (for Excel on a Vietnamese Windows PC),
//! JSON Lines (every field, for machines) or XLSX.
//!
//! Records are written as they come from the store; nothing is collected. The file is
//! written beside its final name and renamed into place only when complete, so a failed
//! export never leaves a half file under the name the operator asked for.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::labels::{self, COLUMN_COUNT};
use super::{Lang, summary::serde_name};
use crate::model::AsRunRecord;

/// What `log export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Jsonl,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/jsonl; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "json" | "ndjson" => Ok(ExportFormat::Jsonl),
            "xlsx" | "excel" => Ok(ExportFormat::Xlsx),
            _ => Err(format!(
                "`{s}` is not an export format: use csv, jsonl or xlsx"
            )),
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The CSV field separator. Excel splits a CSV by the Windows "list separator": `,` on most
/// PCs; where it is `;` (decimal comma settings), choose `semicolon` or export XLSX.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Separator {
    #[default]
    Comma,
    Semicolon,
}

impl Separator {
    pub fn byte(self) -> u8 {
        match self {
            Separator::Comma => b',',
            Separator::Semicolon => b';',
        }
    }
}

impl FromStr for Separator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "comma" | "," => Ok(Separator::Comma),
            "semicolon" | ";" => Ok(Separator::Semicolon),
            _ => Err(format!("`{s}` is not a separator: use comma or semicolon")),
        }
    }
}

/// How to write an export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub lang: Lang,
    pub separator: Separator,
    /// `[topics]`: slug → label, for the topic label column.
    pub topics: BTreeMap<String, String>,
}

/// Station time as Excel shows it without offset noise.
fn time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One record as the export's text cells (CSV; XLSX types some of them).
fn cells(r: &AsRunRecord, opts: &ExportOptions) -> [String; COLUMN_COUNT] {
    let lang = opts.lang;
    let opt_time = |t: &Option<DateTime<FixedOffset>>| t.as_ref().map(time).unwrap_or_default();
    [
        r.id.to_string(),
        r.program.clone(),
        labels::trigger_label(lang, &serde_name(&r.trigger)).to_string(),
        labels::role_label(lang, &serde_name(&r.role)).to_string(),
        time(&r.scheduled_at),
        opt_time(&r.started_at),
        opt_time(&r.ended_at),
        (r.played_ms.saturating_add(500) / 1000).to_string(),
        r.played_ms.to_string(),
        r.segment_id.map(|s| s.to_string()).unwrap_or_default(),
        r.title.clone(),
        opts.topics
            .get(&r.topic)
            .cloned()
            .unwrap_or_else(|| r.topic.clone()),
        r.topic.clone(),
        r.unit.clone().unwrap_or_default(),
        labels::priority_label(lang, &r.priority.to_string()).to_string(),
        labels::outcome_label(lang, &r.outcome.to_string()).to_string(),
        r.reason.clone().unwrap_or_default(),
        r.approved_by.clone().unwrap_or_default(),
        opt_time(&r.approved_at),
        r.output.clone(),
        r.sha256.clone(),
        // Whole numbers like every number here (no decimal mark for Excel to misread);
        // JSON Lines keeps the tenths.
        r.peak_dbfs.map(whole).unwrap_or_default(),
        r.loudness_lufs.map(whole).unwrap_or_default(),
        r.audible_ms
            .map(|ms| (ms.saturating_add(500) / 1000).to_string())
            .unwrap_or_default(),
        match (r.silent, lang) {
            (false, _) => String::new(),
            (true, Lang::Vi) => "có".into(),
            (true, Lang::En) => "yes".into(),
        },
    ]
}

fn whole(x: f64) -> String {
    format!("{}", x.round() as i64)
}

/// Writes CSV or JSON Lines to `out` as the records come. Returns how many were written.
/// XLSX needs a file: use [`export_to_path`].
pub fn write_export<W: Write>(
    records: impl IntoIterator<Item = Result<AsRunRecord>>,
    format: ExportFormat,
    opts: &ExportOptions,
    out: W,
) -> Result<u64> {
    let mut n = 0;
    match format {
        ExportFormat::Csv => {
            let mut out = out;
            // The BOM is what makes Excel read UTF-8 (else Vietnamese letters come out as
            // mojibake); CRLF is what Windows tools expect.
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(opts.separator.byte())
                .terminator(csv::Terminator::CRLF)
                .from_writer(out);
            w.write_record(labels::export_headers(opts.lang))?;
            for r in records {
                w.write_record(cells(&r?, opts))?;
                n += 1;
            }
            w.flush()?;
        }
        ExportFormat::Jsonl => {
            let mut out = out;
            for r in records {
                serde_json::to_writer(&mut out, &r?)?;
                out.write_all(b"\n")?;
                n += 1;
            }
            out.flush()?;
        }
        ExportFormat::Xlsx => anyhow::bail!("XLSX is written to a file: give -o FILE.xlsx"),
    }
    Ok(n)
}

/// Writes the export to `path` through a temp file beside it, renamed into place when
/// complete (a failure removes the temp file and leaves `path` as it was).
pub fn export_to_path(
    records: impl IntoIterator<Item = Result<AsRunRecord>>,
    format: ExportFormat,
    opts: &ExportOptions,
    path: &Path,
) -> Result<u64> {
    let tmp = temp_beside(path);
    let result = (|| -> Result<u64> {
        let n = match format {
            ExportFormat::Xlsx => write_xlsx(records, opts, &tmp)?,
            _ => {
                let file = File::create(&tmp)?;
                let mut w = BufWriter::with_capacity(256 * 1024, file);
                let n = write_export(records, format, opts, &mut w)?;
                let file = w.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
                n
            }
        };
        std::fs::rename(&tmp, path)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("exporting the broadcast log to {}", path.display()))
}

/// `.NAME.partial-PID` in the same folder (same file system, so the rename is atomic).
pub(super) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Excel's last row is 1 048 576; longer logs continue on a second sheet.
const XLSX_MAX_ROWS: u32 = 1_048_576;

/// Columns holding station times (written as Excel date-times) and numbers.
const TIME_COLUMNS: [usize; 4] = [4, 5, 6, 18];
const NUMBER_COLUMNS: [usize; 7] = [0, 7, 8, 9, 21, 22, 23];
const WIDTHS: [f64; COLUMN_COUNT] = [
    8.0, 14.0, 12.0, 16.0, 19.0, 19.0, 19.0, 10.0, 11.0, 9.0, 48.0, 24.0, 10.0, 28.0, 12.0, 12.0,
    36.0, 20.0, 19.0, 18.0, 20.0, 10.0, 10.0, 12.0, 10.0,
];

fn write_xlsx(
    records: impl IntoIterator<Item = Result<AsRunRecord>>,
    opts: &ExportOptions,
    path: &Path,
) -> Result<u64> {
    let mut book = Workbook::new();
    // Constant memory mode spills each row to a temp file; keep those beside the output.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        book.set_tempdir(dir)?;
    }
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet_name = match opts.lang {
        Lang::Vi => "Nhật ký phát sóng",
        Lang::En => "Broadcast log",
    };
    let mut sheets = 1;
    let mut ws = new_sheet(&mut book, sheet_name, opts.lang, &bold)?;
    let mut row = 1u32;
    let mut n = 0u64;
    for r in records {
        let r = r?;
        if row == XLSX_MAX_ROWS {
            sheets += 1;
            ws = new_sheet(
                &mut book,
                &format!("{sheet_name} {sheets}"),
                opts.lang,
                &bold,
            )?;
            row = 1;
        }
        write_xlsx_row(ws, row, &r, opts, &when)?;
        row += 1;
        n += 1;
    }
    book.save(path)?;
    Ok(n)
}

fn new_sheet<'a>(
    book: &'a mut Workbook,
    name: &str,
    lang: Lang,
    bold: &Format,
) -> Result<&'a mut Worksheet> {
    let ws = book.add_worksheet_with_constant_memory();
    ws.set_name(name)?;
    for (col, width) in WIDTHS.iter().enumerate() {
        ws.set_column_width(col as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (col, h) in labels::export_headers(lang).into_iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, bold)?;
    }
    Ok(ws)
}

fn write_xlsx_row(
    ws: &mut Worksheet,
    row: u32,
    r: &AsRunRecord,
    opts: &ExportOptions,
    when: &Format,
) -> Result<()> {
    let times = [
        Some(r.scheduled_at),
        r.started_at,
        r.ended_at,
        r.approved_at,
    ];
    for (col, text) in cells(r, opts).into_iter().enumerate() {
        let c = col as u16;
        if let Some(i) = TIME_COLUMNS.iter().position(|&t| t == col) {
            if let Some(t) = times[i] {
                ws.write_datetime_with_format(row, c, excel_time(&t)?, when)?;
            }
        } else if NUMBER_COLUMNS.contains(&col) {
            if let Ok(v) = text.parse::<f64>() {
                ws.write_number(row, c, v)?;
            }
        } else if !text.is_empty() {
            ws.write_string(row, c, text)?;
        }
    }
    Ok(())
}

/// The station-local wall time as an Excel serial date (Excel has no time zones).
fn excel_time(t: &DateTime<FixedOffset>) -> Result<ExcelDateTime> {
    let year = u16::try_from(t.year()).context("a year Excel cannot show")?;
    Ok(
        ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
            t.hour() as u16,
            t.minute() as u8,
            t.second(),
        )?,
    )
}
