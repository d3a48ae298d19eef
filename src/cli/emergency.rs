//! `loaxa emergency list|cancel`: the emergency repeats to come, and cancelling one. These
//! work with the daemon running (through its API) or not (on the store), like `queue`.
//! Airing an emergency (`loaxa emergency ID`) is live control, in `live`.

use anyhow::Result;
use clap::Subcommand;

use super::backend::Backend;
use super::fmt;
use crate::config::duration::format_duration;
use crate::service::ops as op;
use crate::store::EmergencyRepeat;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, Subcommand)]
pub enum EmergencyCmd {
    List {
        #[arg(long)]
        json: bool,
    },
    Cancel {
        id: u64,
    },
}

pub fn repeats(station: &Backend, cmd: EmergencyCmd) -> Result<i32> {
    match cmd {
        EmergencyCmd::List { json } => {
            let reps = station.call(op::ListEmergencies {})?;
            if json {
                return fmt::json_lines(&reps).map(|()| 0);
            }
            if reps.is_empty() {
                outln!(
                    "{}",
                    fmt::t(
                        "không có lượt phát khẩn cấp lặp lại nào sắp tới",
                        "no emergency repeat is to come"
                    )
                );
            }
            for rep in &reps {
                outln!("{}", describe(station, rep));
            }
            Ok(0)
        }
        EmergencyCmd::Cancel { id } => {
            let rep = station.call(op::CancelEmergency { id })?;
            outln!(
                "{} {}",
                fmt::t("đã huỷ", "cancelled"),
                describe(station, &rep)
            );
            Ok(0)
        }
    }
}

/// `repeat 3: segment 12 «Tin bão» every 2h, next 2026-10-01 14:00:00, until …`.
fn describe(station: &Backend, rep: &EmergencyRepeat) -> String {
    let title = station
        .call(op::ShowSegment { id: rep.segment })
        .map(|s| s.title)
        .unwrap_or_else(|_| fmt::t("(đã xoá khỏi thư viện)", "(removed from the library)").into());
    let every = format_duration(std::time::Duration::from_secs(rep.every_s));
    let next = fmt::time(&station.local(rep.next_at));
    let until = fmt::time(&station.local(rep.until));
    match fmt::lang() {
        crate::words::Lang::Vi => format!(
            "lặp lại {}: bản tin {} «{title}» mỗi {every}, lần tới {next}, đến {until}",
            rep.id, rep.segment
        ),
        crate::words::Lang::En => format!(
            "repeat {}: segment {} «{title}» every {every}, next {next}, until {until}",
            rep.id, rep.segment
        ),
    }
}
