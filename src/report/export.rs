//! `loaxa log export`: the broadcast log as CSV (for Excel on a Vietnamese Windows PC),
//! JSON Lines (every field, for machines) or XLSX (written by `export_xlsx`).
//!
//! Records are written as they come from the store; nothing is collected. The file is
//! written beside its final name and renamed into place only when complete, so a failed
//! export never leaves a half file under the name the operator asked for.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;

use super::labels::{self, COLUMN_COUNT};
use super::view::{ExportRecord, RelayView, StationTime};
use super::{Lang, source};
use super::{cell, outfile};
use crate::model::AsRunRecord;
use crate::store::{Store, StoreError};

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
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "json" | "ndjson" => Ok(ExportFormat::Jsonl),
            "xlsx" | "excel" => Ok(ExportFormat::Xlsx),
            _ => Err(crate::words::BadValue::ExportFormat { value: s.into() }),
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
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "comma" | "," => Ok(Separator::Comma),
            "semicolon" | ";" => Ok(Separator::Semicolon),
            _ => Err(crate::words::BadValue::Separator { value: s.into() }),
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

/// One record as the export's text cells (CSV; XLSX types some of them), built the plain
/// way, from chrono's formatting: the reference the CSV row writer is tested against.
pub fn export_cells(r: &AsRunRecord, opts: &ExportOptions) -> [String; COLUMN_COUNT] {
    let lang = opts.lang;
    let opt_time = |t: &Option<DateTime<FixedOffset>>| t.as_ref().map(time).unwrap_or_default();
    [
        r.id.to_string(),
        r.program.clone(),
        labels::trigger_label(lang, r.trigger).into_owned(),
        labels::role_label(lang, r.role).into_owned(),
        time(&r.scheduled_at),
        opt_time(&r.started_at),
        opt_time(&r.ended_at),
        seconds(r.played_ms).to_string(),
        r.played_ms.to_string(),
        r.segment_id.map(|s| s.to_string()).unwrap_or_default(),
        r.title.clone(),
        opts.topics
            .get(&r.topic)
            .cloned()
            .unwrap_or_else(|| r.topic.clone()),
        r.topic.clone(),
        r.unit.clone().unwrap_or_default(),
        labels::priority_label(lang, r.priority).into_owned(),
        labels::outcome_label(lang, r.outcome).into_owned(),
        r.reason
            .as_deref()
            .map(|stored| crate::words::reason_text(lang, stored).into_owned())
            .unwrap_or_default(),
        r.approved_by.clone().unwrap_or_default(),
        opt_time(&r.approved_at),
        r.output.clone(),
        r.sha256.clone(),
        // Whole numbers like every number here (no decimal mark for Excel to misread);
        // JSON Lines keeps the tenths.
        r.peak_dbfs.map(whole).unwrap_or_default(),
        r.loudness_lufs.map(whole).unwrap_or_default(),
        r.audible_ms
            .map(|ms| seconds(ms).to_string())
            .unwrap_or_default(),
        match (r.silent, lang) {
            (false, _) => String::new(),
            (true, Lang::Vi) => "có".into(),
            (true, Lang::En) => "yes".into(),
        },
        relay(r, |p| p.url.clone().unwrap_or_default()),
        relay(r, |p| p.stream_title.clone().unwrap_or_default()),
        relay(r, |p| seconds(p.relayed_ms).to_string()),
        relay(r, |p| seconds(p.dropout_ms).to_string()),
        relay(r, |p| p.switches.len().to_string()),
        streams_cell(
            lang,
            r.streams
                .iter()
                .map(|c| (c.stream.as_str(), c.gap_ms, c.other_zone)),
        ),
        source_cell(lang, r.source.as_ref()),
    ]
}

/// The source column: who sent an inbound bulletin, its id and level
/// (`Sở KH&CN Quảng Ngãi (bản tin QNG-17, khẩn cấp)`). Empty for the station's own items.
pub(super) fn source_cell(lang: Lang, source: Option<&crate::model::InboundOrigin>) -> String {
    use crate::words::Say;
    let Some(s) = source else {
        return String::new();
    };
    let level = s.level.say(lang);
    match lang {
        Lang::Vi => format!("{} (bản tin {}, {level})", s.from, s.bulletin),
        Lang::En => format!("{} (bulletin {}, {level})", s.from, s.bulletin),
    }
}

/// The streams' column: each stream that carried the item by name, with the time it missed
/// (`loa-xa.mp3 (mất 3 giây)`) or that the item was for other zones; `; `-separated. Empty
/// for records without streams.
pub(super) fn streams_cell<'s>(
    lang: Lang,
    streams: impl Iterator<Item = (&'s str, u64, bool)>,
) -> String {
    let mut out = String::new();
    for (name, gap_ms, other_zone) in streams {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(name);
        if other_zone {
            out.push_str(match lang {
                Lang::Vi => " (vùng khác: phát im lặng)",
                Lang::En => " (other zones: silence)",
            });
        } else if gap_ms > 0 {
            let s = seconds(gap_ms);
            out.push_str(&match lang {
                Lang::Vi => format!(" (mất {s} giây)"),
                Lang::En => format!(" (missed {s} s)"),
            });
        }
    }
    out
}

/// A relay column of `r`: empty for records that are not relays.
fn relay(r: &AsRunRecord, cell: impl Fn(&crate::relay::RelayProof) -> String) -> String {
    r.relay.as_ref().map(cell).unwrap_or_default()
}

/// Milliseconds as whole seconds, half up: how every duration column reads.
fn seconds(ms: u64) -> u64 {
    ms.saturating_add(500) / 1000
}

/// Writes one record as a CSV row, cell by cell straight into the writer: the same cells as
/// [`export_cells`] (a test pins it), without the 25 `String`s a row would cost (at a million
/// records the allocations and chrono's format parsing were most of the export's CPU).
struct CsvRow<'o> {
    opts: &'o ExportOptions,
    trigger: [String; 3],
    role: [String; 6],
    priority: [String; 3],
    outcome: [String; 5],
    buf: String,
}

impl<'o> CsvRow<'o> {
    fn new(opts: &'o ExportOptions) -> Self {
        use crate::model::{Priority, Trigger};
        let lang = opts.lang;
        let trigger = [Trigger::Schedule, Trigger::Manual, Trigger::CatchUp]
            .map(|t| labels::trigger_label(lang, t).into_owned());
        let role = crate::words::all_roles().map(|t| labels::role_label(lang, t).into_owned());
        let priority = [Priority::Normal, Priority::Priority, Priority::Emergency]
            .map(|p| labels::priority_label(lang, p).into_owned());
        let outcome =
            crate::words::all_outcomes().map(|o| labels::outcome_label(lang, o).into_owned());
        CsvRow {
            opts,
            trigger,
            role,
            priority,
            outcome,
            buf: String::with_capacity(32),
        }
    }

    /// `f` formats into the reused buffer, which becomes the next field.
    fn num<W: Write>(
        &mut self,
        w: &mut csv::Writer<W>,
        f: impl FnOnce(&mut String) -> fmt::Result,
    ) -> Result<()> {
        self.buf.clear();
        f(&mut self.buf)?;
        w.write_field(&self.buf)?;
        Ok(())
    }

    fn time<W: Write>(&mut self, w: &mut csv::Writer<W>, t: Option<&StationTime>) -> Result<()> {
        match t {
            // `%Y-%m-%d %H:%M:%S`, digit by digit: chrono parses that format string and
            // `write!` goes through `fmt` at every call (13 % of a CSV export's CPU).
            Some(t) if (0..=9999).contains(&t.year) => {
                let mut b = *b"0000-00-00 00:00:00";
                let mut put = |at: usize, width: usize, mut v: u32| {
                    for i in (at..at + width).rev() {
                        b[i] = b'0' + (v % 10) as u8;
                        v /= 10;
                    }
                };
                put(0, 4, t.year as u32);
                put(5, 2, t.month.into());
                put(8, 2, t.day.into());
                put(11, 2, t.hour.into());
                put(14, 2, t.minute.into());
                put(17, 2, t.second.into());
                w.write_field(b)?;
            }
            // Years chrono writes with a sign.
            Some(t) => {
                let t = t
                    .to_datetime()
                    .with_context(|| format!("a time the export cannot show: {t:?}"))?;
                w.write_field(time(&t))?
            }
            None => w.write_field("")?,
        }
        Ok(())
    }

    /// The relay columns: empty for records that are not relays.
    fn relay<W: Write>(&mut self, w: &mut csv::Writer<W>, relay: Option<&RelayView>) -> Result<()> {
        use fmt::Write as _;
        let Some(p) = relay else {
            for _ in 0..RELAY_COLUMNS {
                w.write_field("")?;
            }
            return Ok(());
        };
        text(w, p.url.as_deref().unwrap_or_default())?;
        text(w, p.stream_title.as_deref().unwrap_or_default())?;
        self.num(w, |b| write!(b, "{}", seconds(p.relayed_ms)))?;
        self.num(w, |b| write!(b, "{}", seconds(p.dropout_ms)))?;
        self.num(w, |b| write!(b, "{}", p.switches.0))
    }

    fn write<W: Write>(&mut self, w: &mut csv::Writer<W>, r: &ExportRecord) -> Result<()> {
        use crate::model::{Outcome, Priority, Role, Trigger};
        use fmt::Write as _;
        let opts = self.opts;
        self.num(w, |b| write!(b, "{}", r.id))?;
        text(w, &r.program)?;
        w.write_field(
            &self.trigger[match r.trigger {
                Trigger::Schedule => 0,
                Trigger::Manual => 1,
                Trigger::CatchUp => 2,
            }],
        )?;
        w.write_field(
            &self.role[match r.role {
                Role::Intro => 0,
                Role::Item => 1,
                Role::Outro => 2,
                Role::Separator => 3,
                Role::Relay => 4,
                Role::Live => 5,
            }],
        )?;
        self.time(w, Some(&r.scheduled_at))?;
        self.time(w, r.started_at.as_ref())?;
        self.time(w, r.ended_at.as_ref())?;
        self.num(w, |b| write!(b, "{}", seconds(r.played_ms)))?;
        self.num(w, |b| write!(b, "{}", r.played_ms))?;
        self.num(w, |b| match r.segment_id {
            Some(s) => write!(b, "{s}"),
            None => Ok(()),
        })?;
        text(w, &r.title)?;
        text(
            w,
            opts.topics.get(&*r.topic).map_or(&*r.topic, String::as_str),
        )?;
        text(w, &r.topic)?;
        text(w, r.unit.as_deref().unwrap_or_default())?;
        w.write_field(
            &self.priority[match r.priority {
                Priority::Normal => 0,
                Priority::Priority => 1,
                Priority::Emergency => 2,
            }],
        )?;
        w.write_field(
            &self.outcome[match r.outcome {
                Outcome::Completed => 0,
                Outcome::Interrupted => 1,
                Outcome::Failed => 2,
                Outcome::Skipped => 3,
                Outcome::Missed => 4,
            }],
        )?;
        text(
            w,
            &r.reason.as_deref().map_or(Cow::Borrowed(""), |stored| {
                crate::words::reason_text(self.opts.lang, stored)
            }),
        )?;
        text(w, r.approved_by.as_deref().unwrap_or_default())?;
        self.time(w, r.approved_at.as_ref())?;
        text(w, &r.output)?;
        text(w, &r.sha256)?;
        self.num(w, |b| match r.peak_dbfs {
            Some(x) => write!(b, "{}", x.round() as i64),
            None => Ok(()),
        })?;
        self.num(w, |b| match r.loudness_lufs {
            Some(x) => write!(b, "{}", x.round() as i64),
            None => Ok(()),
        })?;
        self.num(w, |b| match r.audible_ms {
            Some(ms) => write!(b, "{}", seconds(ms)),
            None => Ok(()),
        })?;
        w.write_field(match (r.silent, opts.lang) {
            (false, _) => "",
            (true, Lang::Vi) => "có",
            (true, Lang::En) => "yes",
        })?;
        self.relay(w, r.relay.as_ref())?;
        if r.streams.is_empty() {
            w.write_field("")?;
        } else {
            let cell = streams_cell(
                opts.lang,
                r.streams
                    .iter()
                    .map(|c| (&*c.stream, c.gap_ms, c.other_zone)),
            );
            text(w, &cell)?;
        }
        if r.source.is_none() {
            w.write_field("")?;
        } else {
            text(w, &source_cell(opts.lang, r.source.as_ref()))?;
        }
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

/// A text cell (stored text, not a label of ours): never a live formula.
fn text<W: Write>(w: &mut csv::Writer<W>, s: &str) -> Result<()> {
    w.write_field(cell::csv_text(s).as_bytes())?;
    Ok(())
}

/// [`export_cells`] as the CSV has them: text cells through [`cell::csv_text`] (numbers
/// and times as they are). The reference the CSV writers are tested against.
pub fn export_csv_cells(r: &AsRunRecord, opts: &ExportOptions) -> [String; COLUMN_COUNT] {
    let mut cells = export_cells(r, opts);
    for (col, c) in cells.iter_mut().enumerate() {
        if !NUMBER_COLUMNS.contains(&col) && !TIME_COLUMNS.contains(&col) {
            *c = cell::csv_text(c).into_owned();
        }
    }
    cells
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
            let mut w = csv_writer(out, opts)?;
            let mut row = CsvRow::new(opts);
            for r in records {
                row.write(&mut w, &ExportRecord::from(&r?))?;
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

/// The CSV writer with the BOM and the header row written.
fn csv_writer<W: Write>(mut out: W, opts: &ExportOptions) -> Result<csv::Writer<W>> {
    // The BOM is what makes Excel read UTF-8 (else Vietnamese letters come out as
    // mojibake); CRLF is what Windows tools expect.
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(opts.separator.byte())
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(labels::export_headers(opts.lang))?;
    Ok(w)
}

/// Records decoded and written per message from the store's reading thread.
const CSV_BATCH: usize = 256;

/// The CSV export straight from the store: the stored JSON of each record is read as an
/// [`ExportRecord`] (no `AsRunRecord`, no `String` per field) while another thread reads the
/// next records from sled. The same bytes as [`write_export`] of the same records (a test
/// pins it). `from`/`to` select like [`Store::records_iter`].
fn write_csv_from_store<W: Write>(
    store: &Store,
    from: Option<DateTime<FixedOffset>>,
    to: Option<DateTime<FixedOffset>>,
    opts: &ExportOptions,
    out: W,
) -> Result<u64> {
    let mut w = csv_writer(out, opts)?;
    let mut row = CsvRow::new(opts);
    let mut n = 0;
    for batch in store.raw_record_batches(CSV_BATCH)? {
        for raw in batch? {
            let r: ExportRecord =
                serde_json::from_slice(raw.json()).map_err(|source| StoreError::Corrupt {
                    what: format!("log record {}", raw.id),
                    source,
                })?;
            if from.is_some() || to.is_some() {
                let at = r.at().to_datetime().with_context(|| {
                    format!("log record {}: a time out of chrono's range", raw.id)
                })?;
                if from.is_some_and(|f| at < f) || to.is_some_and(|t| at >= t) {
                    continue;
                }
            }
            row.write(&mut w, &r)
                .with_context(|| format!("writing log record {}", raw.id))?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}

/// Writes the log of station days `from..=to` (either bound open) as CSV or JSON Lines to
/// `out`, reading the store. Returns how many records were written.
pub fn write_store_export<W: Write>(
    store: &Store,
    tz: Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: ExportFormat,
    opts: &ExportOptions,
    out: W,
) -> Result<u64> {
    match format {
        ExportFormat::Csv => {
            let (from, to) = source::bounds(tz, from, to);
            write_csv_from_store(store, from, to, opts, out)
        }
        _ => write_export(
            source::records(store, tz, from, to).map(|r| Ok(r?)),
            format,
            opts,
            out,
        ),
    }
}

/// [`export_to_path`] of the log of station days `from..=to`, reading the store (CSV by
/// [`write_store_export`]).
pub fn export_store_to_path(
    store: &Store,
    tz: Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: ExportFormat,
    opts: &ExportOptions,
    path: &Path,
) -> Result<u64> {
    match format {
        ExportFormat::Csv => write_beside(path, |w| {
            write_store_export(store, tz, from, to, format, opts, w)
        }),
        _ => export_to_path(
            source::records(store, tz, from, to).map(|r| Ok(r?)),
            format,
            opts,
            path,
        ),
    }
}

/// Writes the export to `path` through a temp file beside it, renamed into place when
/// complete (a failure removes the temp file and leaves `path` as it was).
pub fn export_to_path(
    records: impl IntoIterator<Item = Result<AsRunRecord>>,
    format: ExportFormat,
    opts: &ExportOptions,
    path: &Path,
) -> Result<u64> {
    match format {
        ExportFormat::Xlsx => outfile::write_atomically(path, |file| {
            super::export_xlsx::write_xlsx(records, opts, path.parent(), file)
        })
        .with_context(|| format!("exporting the broadcast log to {}", path.display())),
        _ => write_beside(path, |w| write_export(records, format, opts, w)),
    }
}

/// Columns holding station times (written as Excel date-times) and numbers.
pub(super) const TIME_COLUMNS: [usize; 4] = [4, 5, 6, 18];
pub(super) const NUMBER_COLUMNS: [usize; 10] = [0, 7, 8, 9, 21, 22, 23, 27, 28, 29];

/// The relay columns, the last ones.
const RELAY_COLUMNS: usize = 5;

/// Writes to `path` through [`outfile::write_atomically`] (a regular file only, through a
/// temp file renamed into place), buffered.
fn write_beside(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> Result<u64>,
) -> Result<u64> {
    outfile::write_atomically(path, |file| {
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        let n = write(&mut w)?;
        w.flush()?;
        Ok(n)
    })
    .with_context(|| format!("exporting the broadcast log to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Outcome, Priority, Role, SegmentId, Trigger};
    use chrono::TimeZone;

    fn record(full: bool) -> AsRunRecord {
        let tz = FixedOffset::east_opt(7 * 3600).expect("UTC+7");
        let t = tz
            .with_ymd_and_hms(2026, 3, 9, 5, 30, 7)
            .single()
            .expect("time");
        AsRunRecord {
            id: 42,
            program: "sáng".into(),
            trigger: if full {
                Trigger::CatchUp
            } else {
                Trigger::Manual
            },
            role: if full { Role::Separator } else { Role::Item },
            scheduled_at: t,
            started_at: full.then_some(t + chrono::Duration::milliseconds(1500)),
            ended_at: full.then_some(t + chrono::Duration::seconds(90)),
            played_ms: if full { 88_500 } else { 0 },
            segment_id: full.then_some(SegmentId(12)),
            title: "Bản tin \"số 1\", chuyển đổi số\nhai dòng".into(),
            topic: "cds".into(),
            unit: full.then(|| "Phòng Văn hóa – Xã hội".into()),
            sha256: "ab".repeat(32),
            outcome: if full {
                Outcome::Interrupted
            } else {
                Outcome::Missed
            },
            reason: full.then(|| "cut; at max".into()),
            output: "null".into(),
            priority: if full {
                Priority::Emergency
            } else {
                Priority::Priority
            },
            approved_by: full.then(|| "Nguyễn Văn A".into()),
            approved_at: full.then_some(t - chrono::Duration::days(1)),
            peak_dbfs: full.then_some(-3.5),
            loudness_lufs: full.then_some(-16.49),
            audible_ms: full.then_some(88_499),
            silent: full,
            relay: None,
            live: None,
            streams: Vec::new(),
            source: None,
            hash_version: 2,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// A relay window: two switches, a stream title that would start a formula.
    fn relay_record() -> AsRunRecord {
        use crate::relay::{Air, RelayProof, Switch};
        let mut r = record(true);
        r.role = Role::Relay;
        r.relay = Some(RelayProof {
            url: Some("https://vov.vn/vov1.m3u8".into()),
            stream_title: Some("=Thời sự 6h".into()),
            relayed_ms: 1_799_499,
            dropout_ms: 500,
            switches: vec![
                Switch {
                    at_ms: 0,
                    air: Air::Source {
                        url: "https://vov.vn/vov1.m3u8".into(),
                    },
                    why: None,
                },
                Switch {
                    at_ms: 1_799_499,
                    air: Air::Fallback,
                    why: None,
                },
            ],
            ..RelayProof::default()
        });
        r
    }

    /// The relay columns come last, empty for other records; JSON Lines keeps the proof.
    #[test]
    fn relay_columns_come_after_the_others_and_the_streams_last() {
        let opts = ExportOptions::default();
        let relays = COLUMN_COUNT - 2 - RELAY_COLUMNS..COLUMN_COUNT - 2;
        let cells = export_csv_cells(&relay_record(), &opts);
        assert_eq!(
            &cells[relays.clone()],
            ["https://vov.vn/vov1.m3u8", "'=Thời sự 6h", "1799", "1", "2"]
        );
        let plain = export_cells(&record(true), &opts);
        assert!(plain[relays].iter().all(String::is_empty));
        assert_eq!(plain[COLUMN_COUNT - 2], "", "no streams, an empty cell");
        assert_eq!(plain[COLUMN_COUNT - 1], "", "no source, an empty cell");
        assert_eq!(plain[24], "có", "the columns before keep their place");
        let mut out = Vec::new();
        write_export([Ok(relay_record())], ExportFormat::Jsonl, &opts, &mut out).expect("jsonl");
        let back: AsRunRecord = serde_json::from_slice(&out).expect("a record");
        assert_eq!(back.relay, relay_record().relay);

        // What each stream carried, in words; the CSV writes the same cell.
        let mut streamed = record(true);
        streamed.streams = vec![
            crate::stream::StreamCarriage {
                stream: "loa-xa.mp3".into(),
                gap_ms: 3_400,
                other_zone: false,
            },
            crate::stream::StreamCarriage {
                stream: "Thôn 1".into(),
                gap_ms: 0,
                other_zone: true,
            },
            crate::stream::StreamCarriage {
                stream: "thon-2.mp3".into(),
                gap_ms: 0,
                other_zone: false,
            },
        ];
        for (lang, want) in [
            (
                Lang::Vi,
                "loa-xa.mp3 (mất 3 giây); Thôn 1 (vùng khác: phát im lặng); thon-2.mp3",
            ),
            (
                Lang::En,
                "loa-xa.mp3 (missed 3 s); Thôn 1 (other zones: silence); thon-2.mp3",
            ),
        ] {
            let opts = ExportOptions {
                lang,
                ..ExportOptions::default()
            };
            assert_eq!(export_cells(&streamed, &opts)[COLUMN_COUNT - 2], want);
            assert_eq!(export_csv_cells(&streamed, &opts)[COLUMN_COUNT - 2], want);
        }
    }

    /// The CSV row writer writes exactly the cells the XLSX export and older loaxa wrote.
    #[test]
    fn csv_rows_are_the_cells() {
        for lang in [Lang::Vi, Lang::En] {
            for topics in [
                BTreeMap::new(),
                BTreeMap::from([("cds".into(), "Chuyển đổi số".into())]),
            ] {
                let opts = ExportOptions {
                    lang,
                    separator: Separator::Semicolon,
                    topics,
                };
                let mut formula = record(true);
                formula.title = "=HYPERLINK(\"http://x\",\"Bấm\")".into();
                formula.unit = Some("@SUM(1)".into());
                let mut streamed = record(true);
                streamed.streams = vec![crate::stream::StreamCarriage {
                    stream: "=loa-xa.mp3".into(),
                    gap_ms: 1_200,
                    other_zone: false,
                }];
                let records = [
                    record(true),
                    record(false),
                    formula,
                    relay_record(),
                    streamed,
                ];
                let mut fast = csv::Writer::from_writer(Vec::new());
                let mut row = CsvRow::new(&opts);
                let mut slow = csv::Writer::from_writer(Vec::new());
                for r in &records {
                    row.write(&mut fast, &ExportRecord::from(r))
                        .expect("fast row");
                    slow.write_record(export_csv_cells(r, &opts)).expect("row");
                }
                let fast = fast.into_inner().expect("flush");
                let slow = slow.into_inner().expect("flush");
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow)
                );
            }
        }
    }
}
