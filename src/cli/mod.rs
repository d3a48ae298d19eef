//! The operator's command line: clap definitions and one small handler per subcommand.
//! Handlers call the service layer and print; they hold no station logic of their own.

/// `println!` that returns an error instead of panicking when stdout is closed
/// (`loaxa log | head`); `main` treats a broken pipe as a normal end.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod check;
mod fmt;
mod log;
mod queue;
mod run;
mod schedule;
mod segment;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::clock::{SharedClock, SystemClock};
use crate::config::{self, Config};
use crate::service::Station;

/// loaxa — đài truyền thanh xã: plays the station's programs on schedule and logs every broadcast.
#[derive(Debug, Parser)]
#[command(name = "loaxa", version, about, long_about = None)]
pub struct Cli {
    /// Station config file [default: $LOAXA_CONFIG, else config/loaxa.toml, else /etc/loaxa/loaxa.toml]
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: air programs on schedule until Ctrl-C / SIGTERM
    Run(run::RunArgs),
    /// Validate the config, playlists and referenced files; show the next broadcasts
    Check,
    /// The segment library (bản tin)
    #[command(subcommand)]
    Segment(segment::SegmentCmd),
    /// The operator queue (hàng chờ): segments that air once in the next program
    #[command(subcommand)]
    Queue(queue::QueueCmd),
    /// What will air when (lịch phát), with warnings
    Schedule(schedule::ScheduleArgs),
    /// The broadcast log (nhật ký phát sóng)
    Log(log::LogArgs),
}

impl Cli {
    /// Log filter when `LOAXA_LOG` is unset: the daemon narrates what it does, other
    /// commands only warn; libraries speak up only for warnings.
    pub fn default_log_filter(&self) -> &'static str {
        match self.command {
            Command::Run(_) => "warn,loaxa=info",
            _ => "warn",
        }
    }
}

/// Runs a parsed command line. Returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    let path = config_path(cli.config.as_deref());
    match cli.command {
        Command::Run(args) => run::run(&path, args),
        Command::Check => check::check(&path),
        Command::Segment(cmd) => segment::segment(&open(&path)?, cmd),
        Command::Queue(cmd) => queue::queue(&open(&path)?, cmd),
        Command::Schedule(args) => schedule::schedule(&open(&path)?, args),
        Command::Log(args) => log::log(&open(&path)?, args),
    }
}

fn config_path(given: Option<&std::path::Path>) -> PathBuf {
    if let Some(p) = given {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("LOAXA_CONFIG") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from("config/loaxa.toml");
    if local.exists() {
        local
    } else {
        PathBuf::from("/etc/loaxa/loaxa.toml")
    }
}

fn load_config(path: &std::path::Path) -> Result<Config> {
    Ok(config::load(path)?)
}

fn open(path: &std::path::Path) -> Result<Station> {
    let clock: SharedClock = std::sync::Arc::new(SystemClock);
    Station::open(load_config(path)?, clock)
}
