//! `loaxa log`: the as-run records, as a table or JSON lines; `loaxa log export`: the log as
//! a CSV, JSON Lines or XLSX file.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;

use super::backend::Backend;
use super::fmt;
use crate::model::Outcome;
use crate::report::{ExportFormat, ExportOptions, Lang, Separator};
use crate::service::LogQuery;
use crate::words::Say;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(subcommand)]
    cmd: Option<LogCmd>,
    #[arg(long, value_parser = fmt::parse_date)]
    from: Option<NaiveDate>,
    #[arg(long, value_parser = fmt::parse_date)]
    to: Option<NaiveDate>,
    #[arg(long)]
    topic: Option<String>,
    #[arg(long, value_parser = parse_outcome)]
    outcome: Option<Outcome>,
    #[arg(long)]
    program: Option<String>,
    #[arg(long, value_name = "WORDS")]
    search: Option<String>,
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    #[arg(long)]
    json: bool,
}

/// An outcome as the log writes it (`completed`), or in the operator's words (`đã phát`).
fn parse_outcome(s: &str) -> Result<Outcome, String> {
    let wanted = s.trim().to_lowercase();
    let outcomes = crate::words::all_outcomes();
    outcomes
        .into_iter()
        .find(|o| {
            o.to_string() == wanted
                || [Lang::Vi, Lang::En]
                    .iter()
                    .any(|&lang| o.say(lang).to_lowercase() == wanted)
        })
        .ok_or_else(|| {
            let names: Vec<String> = outcomes.iter().map(ToString::to_string).collect();
            format!(
                "{} `{s}`: {}",
                fmt::t("không có kết quả", "there is no outcome"),
                names.join(" | ")
            )
        })
}

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Subcommand)]
pub enum LogCmd {
    Export(ExportArgs),
    Verify(super::verify::VerifyArgs),
}

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_parser = fmt::parse_date)]
    from: Option<NaiveDate>,
    #[arg(long, value_parser = fmt::parse_date)]
    to: Option<NaiveDate>,
    #[arg(long)]
    format: Option<ExportFormat>,
    #[arg(long, default_value = "vi")]
    lang: Lang,
    #[arg(long, default_value = "comma")]
    sep: Separator,
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn log(station: &Backend, args: LogArgs) -> Result<i32> {
    match args.cmd {
        Some(LogCmd::Export(export_args)) => return export(station, export_args),
        Some(LogCmd::Verify(verify_args)) => return super::verify::verify(station, &verify_args),
        None => {}
    }
    let records = station.call(LogQuery {
        from: args.from,
        to: args.to,
        topic: args.topic,
        outcome: args.outcome,
        program: args.program,
        q: args.search,
        limit: args.last,
    })?;
    if args.json {
        return fmt::json_lines(&records).map(|()| 0);
    }
    outln!(
        "{}",
        fmt::t(
            "MÃ\tBẮT ĐẦU\tCHƯƠNG TRÌNH\tKẾT QUẢ\tĐÃ PHÁT\tMỨC\tTIÊU ĐỀ\tLÝ DO",
            "ID\tSTART\tPROGRAM\tOUTCOME\tPLAYED\tLEVEL\tTITLE\tREASON"
        )
    );
    for r in &records {
        let at = r.started_at.unwrap_or(r.scheduled_at);
        outln!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            fmt::time(&at),
            fmt::safe(&r.program),
            fmt::say(&r.outcome),
            fmt::duration(r.played_ms),
            level(r),
            fmt::safe(&r.title),
            fmt::reason(r.reason.as_deref().unwrap_or(""))
        );
        if let Some(proof) = &r.relay {
            outln!("\t↳ {}", relay_line(proof));
        }
    }
    Ok(0)
}

/// What a relay aired, under its record's row: the source (or that none aired), the
/// source's stream title, and the dropout time with its share of the window.
fn relay_line(p: &crate::relay::RelayProof) -> String {
    let source = match &p.url {
        Some(url) => format!("{}: {}", fmt::t("nguồn", "source"), fmt::safe(url)),
        None => fmt::t("không có nguồn nào phát được", "no source aired").into(),
    };
    let title = p.stream_title.as_deref().map_or(String::new(), |title| {
        format!(
            " · {}: «{}»",
            fmt::t("tên chương trình đang phát của nguồn", "stream title"),
            fmt::safe(title)
        )
    });
    let share = crate::report::dropout_share(p.relayed_ms, p.dropout_ms) * 100.0;
    format!(
        "{source}{title} · {} {} ({share:.0}%)",
        fmt::t("mất tín hiệu", "dropout"),
        fmt::duration(p.dropout_ms)
    )
}

/// What the output measured: `SILENT` for an item that went out silent, else its loudness
/// (or peak, when too quiet for a loudness), empty for records without levels.
fn level(r: &crate::model::AsRunRecord) -> String {
    match (r.silent, r.loudness_lufs, r.peak_dbfs) {
        (true, _, Some(peak)) => format!(
            "{} ({} {peak:.1} dBFS)",
            fmt::t("IM LẶNG", "SILENT"),
            fmt::t("đỉnh", "peak")
        ),
        (true, _, None) => fmt::t("IM LẶNG", "SILENT").into(),
        (false, Some(lufs), _) => format!("{lufs:.1} LUFS"),
        (false, None, Some(peak)) => format!("{} {peak:.1} dBFS", fmt::t("đỉnh", "peak")),
        (false, None, None) => String::new(),
    }
}

fn export(station: &Backend, args: ExportArgs) -> Result<i32> {
    if let (Some(from), Some(to)) = (args.from, args.to)
        && to < from
    {
        bail!(
            "--to {to} {} --from {from}\n  {}: {} --from 2025-12-15 --to 2026-06-14",
            fmt::t("đứng trước", "comes before"),
            fmt::hint_word(),
            fmt::t(
                "các ngày tính trọn ngày theo giờ trạm, ví dụ",
                "the dates are inclusive station days, e.g."
            )
        );
    }
    let from_ext = args
        .output
        .as_deref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str()?.parse::<ExportFormat>().ok());
    let format = args.format.or(from_ext).unwrap_or(ExportFormat::Csv);
    if format == ExportFormat::Xlsx && args.output.is_none() {
        bail!(
            "{}\n  {}: {} -o nhat-ky.xlsx",
            fmt::t("xuất XLSX cần một tệp", "an XLSX export needs a file"),
            fmt::hint_word(),
            fmt::t("thêm", "add")
        );
    }
    // Before any work: a device, link, folder or FIFO is never written (checked again when
    // the file is written).
    if let Some(path) = &args.output {
        crate::report::check_target(path)?;
    }
    let opts = ExportOptions {
        lang: args.lang,
        separator: args.sep,
        topics: station.config().topics.clone(),
    };
    let n = station.export(args.from, args.to, format, &opts, args.output.as_deref())?;
    if let Some(path) = &args.output {
        match n {
            Some(n) => eprintln!(
                "{n} {} {}",
                fmt::t("bản ghi đã được ghi vào", "records written to"),
                path.display()
            ),
            None => eprintln!(
                "{} {}",
                fmt::t("đã ghi nhật ký vào", "log written to"),
                path.display()
            ),
        }
    }
    Ok(0)
}
