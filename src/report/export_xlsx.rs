//! The log export as an XLSX workbook: the same cells as the CSV, typed (times as Excel
//! date-times, numbers as numbers, text as quote-safe string cells), in constant-memory mode.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::Lang;
use super::cell;
use super::export::{ExportOptions, NUMBER_COLUMNS, TIME_COLUMNS, export_cells};
use super::labels::{self, COLUMN_COUNT};
use crate::model::AsRunRecord;

/// Excel's last row is 1 048 576; longer logs continue on a second sheet.
const XLSX_MAX_ROWS: u32 = 1_048_576;

const WIDTHS: [f64; COLUMN_COUNT] = [
    8.0, 14.0, 12.0, 16.0, 19.0, 19.0, 19.0, 10.0, 11.0, 9.0, 48.0, 24.0, 10.0, 28.0, 12.0, 12.0,
    36.0, 20.0, 19.0, 18.0, 20.0, 10.0, 10.0, 12.0, 10.0, 36.0, 32.0, 12.0, 12.0, 10.0, 36.0, 40.0,
];

pub(super) fn write_xlsx(
    records: impl IntoIterator<Item = Result<AsRunRecord>>,
    opts: &ExportOptions,
    dir: Option<&Path>,
    out: &mut File,
) -> Result<u64> {
    let mut book = Workbook::new();
    // Constant memory mode spills each row to a temp file; keep those beside the output.
    if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
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
    book.save_to_writer(out)?;
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
    for (col, text) in export_cells(r, opts).into_iter().enumerate() {
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
            cell::write_xlsx_text(ws, row, c, &text, None)?;
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
