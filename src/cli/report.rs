//! `loaxa report`: the half-year report to the province (báo cáo), from the broadcast log.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::{NaiveDate, Utc};

use super::backend::Backend;
use super::fmt;
use crate::report::{self, Lang, Period, ReportFormat, ReportMeta};

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<Period>,
    #[arg(long, value_parser = fmt::parse_date, requires = "to")]
    from: Option<NaiveDate>,
    #[arg(long, value_parser = fmt::parse_date, requires = "from")]
    to: Option<NaiveDate>,
    #[arg(long)]
    format: Option<ReportFormat>,
    #[arg(long, default_value = "vi")]
    lang: Lang,
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn report(station: &Backend, args: ReportArgs) -> Result<i32> {
    let now = station.local(Utc::now());
    let (period, format) = args.choices(now.date_naive())?;
    let config = station.config();
    let meta = ReportMeta {
        station: config.station.name.clone(),
        period,
        topics: config.topics.clone(),
        generated_at: now,
    };
    let mut failure = None;
    let records = station
        .log_stream(Some(period.from), Some(period.to))?
        .map_while(|r| r.map_err(|e| failure = Some(e)).ok());
    let summary = report::summarise(records, meta);
    if let Some(e) = failure {
        return Err(e.context(fmt::t(
            "đọc nhật ký phát thanh để làm báo cáo",
            "reading the broadcast log for the report",
        )));
    }
    args.deliver(
        period,
        |path| report::render_to_path(&summary, format, args.lang, path),
        || report::render_to_string(&summary, format, args.lang),
    )?;
    Ok(0)
}

impl ReportArgs {
    /// The period (default: the last half-year ended by `today`) and the format (default:
    /// the output file's extension, else Markdown), the output file checked.
    pub(super) fn choices(&self, today: NaiveDate) -> Result<(Period, ReportFormat)> {
        let period = match (self.period, self.from, self.to) {
            (Some(p), _, _) => p,
            (None, Some(from), Some(to)) => Period::days(from, to).map_err(anyhow::Error::msg)?,
            _ => last_ended(today),
        };
        let from_ext = self
            .output
            .as_deref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str()?.parse::<ReportFormat>().ok());
        let format = self.format.or(from_ext).unwrap_or(ReportFormat::Md);
        if format == ReportFormat::Xlsx && self.output.is_none() {
            bail!(
                "{}\n  {}: {} -o bao-cao.xlsx",
                fmt::t("báo cáo XLSX cần một tệp", "an XLSX report needs a file"),
                fmt::hint_word(),
                fmt::t("thêm", "add")
            );
        }
        if let Some(path) = &self.output {
            report::check_target(path)?;
        }
        Ok((period, format))
    }

    pub(super) fn lang(&self) -> Lang {
        self.lang
    }

    /// Writes the report to `-o FILE` (and says so) or to the terminal.
    pub(super) fn deliver(
        &self,
        period: Period,
        to_file: impl FnOnce(&std::path::Path) -> Result<()>,
        to_text: impl FnOnce() -> Result<String>,
    ) -> Result<()> {
        match &self.output {
            Some(path) => {
                to_file(path)?;
                match fmt::lang() {
                    crate::words::Lang::Vi => {
                        eprintln!("đã ghi báo cáo {period} vào {}", path.display())
                    }
                    crate::words::Lang::En => {
                        eprintln!("report for {period} written to {}", path.display())
                    }
                }
            }
            None => {
                use std::io::Write as _;
                std::io::stdout().write_all(to_text()?.as_bytes())?;
            }
        }
        Ok(())
    }
}

/// The last half-year that has ended by `today` (on 18/06/2026: 2026-H1, due before 20/6).
fn last_ended(today: NaiveDate) -> Period {
    let current = Period::containing(today);
    current.from.pred_opt().map_or(current, Period::containing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid day")
    }

    #[test]
    fn the_default_period_is_the_last_half_year_that_ended() {
        // Due before 20/6: on 18/06 the report is for H1, which ended on 14/06.
        assert_eq!(last_ended(day(2026, 6, 18)).half, Some((2026, 1)));
        assert_eq!(last_ended(day(2026, 6, 14)).half, Some((2025, 2)));
        assert_eq!(last_ended(day(2026, 12, 18)).half, Some((2026, 2)));
        assert_eq!(last_ended(day(2027, 1, 5)).half, Some((2026, 2)));
    }
}
