//! `loaxa schedule`: the coming programs with their content and warnings.

use anyhow::Result;

use super::backend::Backend;
use super::fmt;
use crate::service::ops as op;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    #[arg(long, default_value_t = 1)]
    days: u32,
    #[arg(long)]
    json: bool,
}

pub fn schedule(station: &Backend, args: ScheduleArgs) -> Result<i32> {
    let programs = station.call(op::Timetable {
        days: Some(args.days),
    })?;
    if args.json {
        return fmt::json_lines(&programs).map(|()| 0);
    }
    if programs.is_empty() {
        outln!(
            "{} {} {}",
            fmt::t(
                "không có chương trình nào trong",
                "nothing is scheduled in the next"
            ),
            args.days,
            fmt::t("ngày tới", "day(s)")
        );
    }
    for p in &programs {
        let title = p
            .title
            .as_deref()
            .map(|t| format!(" — {}", fmt::safe(t)))
            .unwrap_or_default();
        outln!(
            "{}  {}{title}  ({})",
            fmt::time(&p.at),
            fmt::safe(&p.program),
            fmt::duration(p.duration_ms)
        );
        for item in &p.items {
            let id = item
                .segment_id
                .map(|i| format!("[{i}] "))
                .unwrap_or_default();
            outln!(
                "    {:>7}  {id}{}",
                fmt::duration(item.duration_ms),
                fmt::safe(&item.title)
            );
            if !item.sources.is_empty() {
                let sources: Vec<String> = item
                    .sources
                    .iter()
                    .map(|u| fmt::safe(u).to_string())
                    .collect();
                outln!(
                    "             {}: {}",
                    fmt::t("tiếp sóng từ", "relayed from"),
                    sources.join(", ")
                );
            }
        }
        for w in &p.warnings {
            outln!("    ! {}", fmt::say(w));
        }
    }
    Ok(0)
}
