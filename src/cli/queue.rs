//! `loaxa queue add|list|rm`.

use anyhow::Result;
use clap::Subcommand;

use super::backend::Backend;
use super::fmt;
use crate::model::{Priority, SegmentId};
use crate::service::ops as op;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, Subcommand)]
pub enum QueueCmd {
    Add {
        #[arg(required = true)]
        ids: Vec<SegmentId>,
        #[arg(long)]
        program: Option<String>,
        #[arg(long)]
        priority: Option<Priority>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Rm {
        number: u64,
    },
}

pub fn queue(station: &Backend, cmd: QueueCmd) -> Result<i32> {
    match cmd {
        QueueCmd::Add {
            ids,
            program,
            priority,
        } => {
            for e in station.call(op::AddToQueue {
                ids,
                program,
                priority,
            })? {
                let title = station
                    .call(op::ShowSegment { id: e.segment })
                    .map(|s| s.title)
                    .unwrap_or_default();
                let target = e
                    .program
                    .as_deref()
                    .unwrap_or(fmt::t("chương trình kế tiếp", "the next program"));
                outln!(
                    "{} #{}: {} {} «{}» {} {}",
                    fmt::t("đã xếp hàng", "queued"),
                    e.qid,
                    fmt::t("bản tin", "segment"),
                    e.segment,
                    fmt::safe(&title),
                    fmt::t("cho", "for"),
                    fmt::safe(target)
                );
            }
            Ok(0)
        }
        QueueCmd::List { json } => {
            let entries = station.call(op::ListQueue {})?;
            if json {
                return fmt::json_lines(&entries).map(|()| 0);
            }
            if entries.is_empty() {
                outln!("{}", fmt::t("hàng chờ trống", "the queue is empty"));
            }
            for e in entries {
                let (title, dur) = station
                    .call(op::ShowSegment { id: e.segment })
                    .map(|s| (s.title, fmt::duration(s.duration_ms)))
                    .unwrap_or_else(|_| {
                        (
                            fmt::t("(đã xoá khỏi thư viện)", "(removed from the library)").into(),
                            "-".into(),
                        )
                    });
                outln!(
                    "#{}\t{} {}\t{dur}\t{}\t«{}»",
                    e.qid,
                    fmt::t("bản tin", "segment"),
                    e.segment,
                    fmt::safe(
                        e.program
                            .as_deref()
                            .unwrap_or(fmt::t("chương trình kế tiếp", "next program"))
                    ),
                    fmt::safe(&title)
                );
            }
            Ok(0)
        }
        QueueCmd::Rm { number } => {
            station.call(op::RemoveFromQueue { qid: number })?;
            outln!(
                "{} #{number}",
                fmt::t("đã xoá khỏi hàng chờ mục", "removed queue entry")
            );
            Ok(0)
        }
    }
}
