//! Live control of the running daemon: `now`, `skip`, `stop`, `play`, `emergency`, `reload`.
//! These need the daemon (they act on what is on air) and say how to start it when it is
//! not running.

use anyhow::{Result, bail};
use serde_json::Value;

use super::backend::find_daemon;
use super::client::Client;
use crate::api::wire::{EmergencyRequest, PlayRequest};
use crate::config::Config;
use crate::model::{Priority, SegmentId};

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct NowArgs {
    #[arg(long)]
    json: bool,
}

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    #[arg(required = true)]
    ids: Vec<SegmentId>,
    #[arg(long)]
    now: bool,
    #[arg(long)]
    priority: Option<Priority>,
}

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct EmergencyArgs {
    #[command(subcommand)]
    pub cmd: Option<super::emergency::EmergencyCmd>,
    #[arg(required = true)]
    id: Option<SegmentId>,
    #[arg(long, value_name = "DURATION", requires = "until")]
    every: Option<String>,
    #[arg(long, value_name = "DATETIME", requires = "every")]
    until: Option<String>,
}

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Subcommand)]
pub enum LiveCmd {
    Start {
        #[arg(long)]
        priority: Option<Priority>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        by: Option<String>,
    },
    Stop,
}

/// `loaxa live start|stop`: the station's microphone on air, and off.
pub fn live(client: &Client, cmd: LiveCmd) -> Result<i32> {
    match cmd {
        LiveCmd::Start {
            priority,
            title,
            by,
        } => {
            // Who started it: as given, else the system user running the command.
            let by = by.or_else(|| {
                ["SUDO_USER", "USER", "LOGNAME"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            });
            let req = crate::api::wire::LiveStartRequest {
                priority,
                title,
                by,
            };
            done(&client.send("POST", "/live", &req)?)
        }
        LiveCmd::Stop => done(&client.send("POST", "/live/stop", &Value::Null)?),
    }
}

/// The running daemon, or an error that says how to start it.
pub fn daemon(config: &Config, token: Option<String>) -> Result<Client> {
    match find_daemon(config, token) {
        Some(c) => Ok(c),
        None => {
            let file = crate::api::daemon_file(&config.station.data_dir);
            tracing::debug!(file = %file.display(), "no daemon answers at the address in this file");
            Err(crate::service::Refusal::Code(crate::words::ErrorCode::DaemonNotRunning).into())
        }
    }
}

fn done(answer: &Value) -> Result<i32> {
    // The code in the terminal's language; the daemon's own words from an older build.
    let said = match serde_json::from_value::<crate::words::Done>(answer.clone()) {
        Ok(what) => crate::words::Say::say(&what, super::fmt::lang()).into_owned(),
        Err(_) => answer
            .get("done")
            .and_then(Value::as_str)
            .unwrap_or("done")
            .to_string(),
    };
    outln!("{}", super::fmt::safe(&said));
    Ok(0)
}

pub fn now(client: &Client, config: &Config, args: &NowArgs) -> Result<i32> {
    // The daemon's own type: a field renamed or retyped there breaks this at compile time
    // (or answers a clear error from an incompatible daemon), never a silent blank.
    let status: crate::daemon::control::Status = client.get("/now", &[])?;
    if args.json {
        outln!("{}", serde_json::to_string(&status)?);
        return Ok(0);
    }
    let tz = config.station.timezone;
    let time = |at: &chrono::DateTime<chrono::Utc>| {
        super::fmt::time(&at.with_timezone(&tz).fixed_offset())
    };
    let t = super::fmt::t;
    match &status.on_air {
        Some(a) => outln!(
            "{}  «{}» ({}), {} {}/{} {} {}, {} {} ({})",
            t("đang phát:", "on air:"),
            super::fmt::safe(&a.title),
            super::fmt::safe(&a.topic),
            t("mục", "item"),
            a.index + 1,
            a.count,
            t("của chương trình", "in"),
            super::fmt::safe(&a.program),
            t("từ", "since"),
            time(&a.started_at),
            super::fmt::duration(a.duration_ms),
        ),
        None => outln!("{}", t("đang phát:  không có gì", "on air:  nothing")),
    }
    if let Some(l) = &status.live {
        let state = if l.on_air {
            t("ĐANG PHÁT TRỰC TIẾP", "LIVE ON AIR")
        } else {
            t(
                "chờ bản tin đang phát kết thúc",
                "waiting for the item on air to end",
            )
        };
        outln!(
            "{}  {state}: «{}», {} {}, {} {}, {} {:.0} dBFS",
            t("trực tiếp:", "live:"),
            super::fmt::safe(&l.title),
            t("người nói", "speaker"),
            super::fmt::safe(&l.by),
            t("mức", "level"),
            super::fmt::say(&l.priority),
            t("micro", "microphone"),
            l.input_dbfs
        );
    }
    for s in &status.streams {
        outln!(
            "{}  {} ({}): {} {} {}{}",
            t("luồng phát:", "stream:"),
            super::fmt::safe(&s.name),
            super::fmt::safe(&s.url),
            super::fmt::say(&s.phase),
            t("từ", "since"),
            time(&s.since),
            s.error
                .as_ref()
                .map(|e| format!(
                    " — {} ({})",
                    super::fmt::say(&e.fault),
                    super::fmt::safe(&e.detail)
                ))
                .unwrap_or_default()
        );
    }
    if let Some(p) = &status.province {
        outln!(
            "{}  {} `{}`: {}, {} {}, {} {}{}",
            t("gửi lên tỉnh:", "to province:"),
            t("mã đài", "code"),
            super::fmt::safe(&p.station_code),
            super::fmt::say(&p.phase),
            t(
                "tỉnh đã nhận đến bản ghi",
                "the province holds up to record"
            ),
            p.province_has,
            t("chưa gửi", "unsent"),
            p.unsent,
            p.error
                .as_ref()
                .map(|e| format!(
                    " — {} ({})",
                    super::fmt::say(&e.fault),
                    super::fmt::safe(&e.detail)
                ))
                .unwrap_or_default()
        );
    }
    match &status.next {
        Some(n) => outln!(
            "{}    {} {} {}",
            t("tiếp theo:", "next:"),
            super::fmt::safe(&n.program),
            t("lúc", "at"),
            time(&n.at)
        ),
        None => outln!(
            "{}",
            t(
                "tiếp theo:  chưa có chương trình nào trong lịch",
                "next:    no program is scheduled"
            )
        ),
    }
    if !status.emergencies.is_empty() {
        outln!("{}", t("phát khẩn cấp lặp lại:", "emergency repeats:"));
        for e in &status.emergencies {
            outln!(
                "    {} {} {} {}, {} {}, {} {}",
                t("bản tin", "segment"),
                e.segment,
                t("mỗi", "every"),
                super::fmt::duration(e.every_s.saturating_mul(1000)),
                t("lần tới", "next"),
                time(&e.next_at),
                t("đến", "until"),
                time(&e.until)
            );
        }
    }
    for w in &status.warnings {
        outln!("{} {}", t("CẢNH BÁO:", "WARNING:"), super::fmt::say(w));
    }
    Ok(0)
}

pub fn skip(client: &Client) -> Result<i32> {
    done(&client.send("POST", "/skip", &Value::Null)?)
}

pub fn stop(client: &Client) -> Result<i32> {
    done(&client.send("POST", "/stop", &Value::Null)?)
}

pub fn reload(client: &Client) -> Result<i32> {
    done(&client.send("POST", "/reload", &Value::Null)?)
}

pub fn play(client: &Client, args: PlayArgs) -> Result<i32> {
    let req = PlayRequest {
        ids: args.ids,
        now: args.now,
        priority: args.priority,
    };
    done(&client.send("POST", "/play", &req)?)
}

pub fn emergency(client: &Client, args: EmergencyArgs) -> Result<i32> {
    let Some(id) = args.id else {
        bail!("which segment? give its id: loaxa emergency 12 (loaxa segment list shows them)");
    };
    let req = EmergencyRequest {
        id,
        every: args.every,
        until: args.until,
    };
    done(&client.send("POST", "/emergency", &req)?)
}
