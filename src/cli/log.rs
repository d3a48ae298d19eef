//! `loaxa log`: the as-run records, as a table or JSON lines.

use anyhow::Result;
use chrono::NaiveDate;

use super::fmt;
use crate::service::Station;

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// From this day (YYYY-MM-DD, station time), inclusive
    #[arg(long, value_parser = fmt::parse_date)]
    from: Option<NaiveDate>,
    /// To this day (YYYY-MM-DD), inclusive
    #[arg(long, value_parser = fmt::parse_date)]
    to: Option<NaiveDate>,
    /// One JSON object per line, with every field
    #[arg(long)]
    json: bool,
}

pub fn log(station: &Station, args: LogArgs) -> Result<i32> {
    let from = args.from.map(|d| station.start_of_day(d));
    let to = args
        .to
        .and_then(|d| d.succ_opt())
        .map(|d| station.start_of_day(d));
    let records = station.store.records(from, to)?;
    if args.json {
        return fmt::json_lines(&records).map(|()| 0);
    }
    outln!("ID\tSTART\tPROGRAM\tOUTCOME\tPLAYED\tTITLE\tREASON");
    for r in &records {
        let at = r.started_at.unwrap_or(r.scheduled_at);
        outln!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            fmt::time(&at),
            r.program,
            r.outcome,
            fmt::duration(r.played_ms),
            r.title,
            r.reason.as_deref().unwrap_or("")
        );
    }
    Ok(0)
}
