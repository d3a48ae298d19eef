//! The report on paper and in files: Markdown (the terminal), CSV and XLSX (annexes for
//! Excel), HTML (one printable A4 page, self-contained, for the signed report).

use std::fmt::{self, Write as _};
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook};

use super::Lang;
use super::summary::Report;
use super::tables::{Cell, Heading, Table, heading, tables};
use super::{cell, outfile};

/// What `loaxa report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Md,
    Csv,
    Xlsx,
    Html,
}

impl FromStr for ReportFormat {
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(ReportFormat::Md),
            "csv" => Ok(ReportFormat::Csv),
            "xlsx" | "excel" => Ok(ReportFormat::Xlsx),
            "html" | "htm" => Ok(ReportFormat::Html),
            _ => Err(crate::words::BadValue::ReportFormat { value: s.into() }),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportFormat::Md => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Html => "html",
        })
    }
}

/// The report as text (Markdown, CSV or HTML).
pub fn render_to_string(report: &Report, format: ReportFormat, lang: Lang) -> Result<String> {
    tables_to_string(&heading(report, lang), &tables(report, lang), format, lang)
}

/// A heading and its tables as text (Markdown, CSV or HTML).
pub(super) fn tables_to_string(
    head: &Heading,
    tables: &[Table],
    format: ReportFormat,
    lang: Lang,
) -> Result<String> {
    match format {
        ReportFormat::Md => Ok(markdown(head, tables, lang)),
        ReportFormat::Csv => csv_text(head, tables, lang),
        ReportFormat::Html => Ok(html(head, tables, lang)),
        ReportFormat::Xlsx => anyhow::bail!("XLSX is written to a file: give -o FILE.xlsx"),
    }
}

/// A heading and its tables written to `path` in `format`.
pub(super) fn tables_to_path(
    head: &Heading,
    tables: &[Table],
    format: ReportFormat,
    lang: Lang,
    path: &Path,
) -> Result<()> {
    outfile::write_atomically(path, |file| match format {
        ReportFormat::Xlsx => xlsx(head, tables, file),
        _ => Ok(std::io::Write::write_all(
            file,
            tables_to_string(head, tables, format, lang)?.as_bytes(),
        )?),
    })
    .with_context(|| format!("writing the report to {}", path.display()))
}

/// Writes the report to `path` (through a temp file renamed into place).
pub fn render_to_path(
    report: &Report,
    format: ReportFormat,
    lang: Lang,
    path: &Path,
) -> Result<()> {
    tables_to_path(
        &heading(report, lang),
        &tables(report, lang),
        format,
        lang,
        path,
    )
}

/// A Markdown table cell. Markdown is the report's terminal form: control characters in
/// stored text show as visible escapes ([`crate::text::for_terminal`]), never as commands.
fn md_cell(s: &str) -> String {
    let s = s
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ");
    crate::text::for_terminal(&s).to_string()
}

fn markdown(head: &Heading, tables: &[Table], lang: Lang) -> String {
    let mut s = format!("# {}\n\n", head.title);
    for (k, v) in &head.lines {
        let _ = writeln!(s, "- **{k}:** {}", md_cell(v));
    }
    for t in tables {
        let _ = write!(s, "\n## {}\n\n", t.title);
        let _ = writeln!(s, "| {} |", t.headers.join(" | "));
        let align: Vec<&str> = (0..t.headers.len())
            .map(|i| match t.rows.first().map(|r| r[i].is_number()) {
                Some(true) => "---:",
                _ => "---",
            })
            .collect();
        let _ = writeln!(s, "|{}|", align.join("|"));
        for row in &t.rows {
            let cells: Vec<String> = row.iter().map(|c| md_cell(&c.text(lang))).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        if t.rows.is_empty() {
            let _ = writeln!(s, "\n{}", none(lang));
        }
    }
    s
}

fn none(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "(không có)",
        Lang::En => "(none)",
    }
}

fn csv_text(head: &Heading, tables: &[Table], lang: Lang) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record([head.title])?;
    for (k, v) in &head.lines {
        w.write_record([*k, &cell::csv_text(v)])?;
    }
    for t in tables {
        w.write_record([""])?;
        w.write_record([t.title])?;
        w.write_record(&t.headers)?;
        for row in &t.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => cell::csv_text(s).into_owned(),
                c => c.text(lang),
            }))?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("\u{feff}{}", String::from_utf8(bytes)?))
}

fn xlsx(head: &Heading, tables: &[Table], out: &mut std::fs::File) -> Result<()> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let minutes = Format::new().set_num_format("0.0");
    for (i, t) in tables.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(t.sheet)?;
        let mut row = 0;
        if i == 0 {
            ws.write_string_with_format(0, 0, head.title, &title)?;
            for (k, v) in &head.lines {
                row += 1;
                ws.write_string_with_format(row, 0, *k, &bold)?;
                cell::write_xlsx_text(ws, row, 1, v, None)?;
            }
            row += 2;
        }
        ws.write_string_with_format(row, 0, t.title, &bold)?;
        row += 1;
        for (col, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(row, col as u16, *h, &bold)?;
        }
        ws.set_freeze_panes(row + 1, 0)?;
        for cells in &t.rows {
            row += 1;
            for (col, c) in cells.iter().enumerate() {
                let col = col as u16;
                match c {
                    Cell::Text(s) => cell::write_xlsx_text(ws, row, col, s, None)?,
                    Cell::Int(n) => {
                        ws.write_number(row, col, *n as f64)?;
                    }
                    Cell::Decimal(m) => {
                        ws.write_number_with_format(row, col, *m, &minutes)?;
                    }
                }
            }
        }
        ws.set_column_width(0, if i == 0 { 36 } else { 40 })?;
        for col in 1..t.headers.len() {
            ws.set_column_width(col as u16, 16)?;
        }
    }
    book.save_to_writer(out)?;
    Ok(())
}

/// Escapes text for HTML element content and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const CSS: &str = "@page { size: A4; margin: 15mm 15mm 18mm 20mm; }
body { font-family: 'Times New Roman', Times, serif; font-size: 12pt; color: #000; margin: 0; }
.page { max-width: 180mm; margin: 0 auto; }
h1 { font-size: 15pt; text-align: center; text-transform: uppercase; margin: 0 0 4mm; }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm; page-break-after: avoid; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 1mm 4mm; margin: 0 0 4mm; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 0.5pt solid #000; padding: 1mm 2mm; vertical-align: top; }
th { background: #eee; text-align: left; }
td.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; }
p.none { font-style: italic; margin: 1mm 0; }
@media print { th { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }";

fn html(head: &Heading, tables: &[Table], lang: Lang) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} – {}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<div class=\"page\">\n<h1>{}</h1>\n<dl class=\"meta\">\n",
        escape(head.title),
        escape(head.lines.first().map_or("", |(_, v)| v.as_str())),
        escape(head.title),
    );
    for (k, v) in &head.lines {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    s.push_str("</dl>\n");
    let total = match lang {
        Lang::Vi => "Tổng cộng",
        Lang::En => "Total",
    };
    for t in tables {
        let _ = writeln!(s, "<h2>{}</h2>", escape(t.title));
        if t.rows.is_empty() {
            let _ = writeln!(s, "<p class=\"none\">{}</p>", none(lang));
            continue;
        }
        s.push_str("<table>\n<thead><tr>");
        for h in &t.headers {
            let _ = write!(s, "<th>{}</th>", escape(h));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            let is_total = matches!(row.first(), Some(Cell::Text(x)) if x == total);
            s.push_str(if is_total {
                "<tr class=\"total\">"
            } else {
                "<tr>"
            });
            for c in row {
                let class = if c.is_number() { " class=\"n\"" } else { "" };
                let _ = write!(s, "<td{class}>{}</td>", escape(&c.text(lang)));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
    }
    s.push_str("</div>\n</body>\n</html>\n");
    s
}
