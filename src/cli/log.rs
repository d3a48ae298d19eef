//! `loaxa log`: the as-run records, as a table or JSON lines.

use anyhow::Result;
use chrono::NaiveDate;

use super::backend::Backend;
use super::fmt;

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

pub fn log(station: &Backend, args: LogArgs) -> Result<i32> {
    let records = station.log(args.from, args.to)?;
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
