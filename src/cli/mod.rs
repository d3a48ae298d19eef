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

mod backend;
mod check;
mod client;
mod console;
mod emergency;
pub mod fmt;
pub mod help;
mod inbox;
mod live;
mod log;
mod province;
mod queue;
mod report;
mod run;
mod schedule;
mod segment;
mod verify;

use std::path::PathBuf;

use anyhow::Result;
use clap::{FromArgMatches, Parser, Subcommand};

use crate::config::{self, Config};

/// The command line. Its help words (every subcommand's and argument's, in Vietnamese and
/// English) are in [`help`], not in doc comments here: clap would show those in one language.
#[derive(Debug, Parser)]
#[command(name = "loaxa", version = crate::version::VERSION_LINE, long_about = None)]
pub struct Cli {
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (their words: [`help`]).
#[derive(Debug, Subcommand)]
pub enum Command {
    Run(run::RunArgs),
    Check,
    #[command(subcommand)]
    Segment(segment::SegmentCmd),
    #[command(subcommand)]
    Queue(queue::QueueCmd),
    Schedule(schedule::ScheduleArgs),
    Log(log::LogArgs),
    Report(report::ReportArgs),
    Now(live::NowArgs),
    Skip,
    Stop,
    Play(live::PlayArgs),
    Emergency(live::EmergencyArgs),
    Reload,
    #[command(subcommand)]
    Live(live::LiveCmd),
    #[command(subcommand)]
    Province(province::ProvinceCmd),
    Inbox(inbox::InboxArgs),
}

/// The command line of this process, in the terminal's language ([`fmt::lang`]): `--help`
/// and wrong arguments are answered (and the process ends) in [`help::matches`].
pub fn parse() -> Cli {
    let matches = help::matches(fmt::lang());
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

impl Cli {
    /// Log filter when `LOAXA_LOG` is unset: the daemon narrates what it does in its journal;
    /// other commands say what matters in the operator's words themselves, so their journal
    /// lines (English, technical) show only for errors.
    pub fn default_log_filter(&self) -> &'static str {
        // The decoders' own notes ("skipped 20 bytes of junk", "invalid main_data_begin")
        // are not the operator's business: what a file's damage means is said by loaxa, in
        // its own words, when it refuses the file or fails the item. `LOAXA_LOG` shows them.
        match self.command {
            Command::Run(_) => "warn,loaxa=info,symphonia=off",
            _ => "error,symphonia=off",
        }
    }
}

/// Runs a parsed command line. Returns the process exit code.
///
/// While the daemon runs, commands go through its API (it holds the database); otherwise
/// they work on the store directly.
/// An error as the operator reads it, in the terminal's language ([`fmt::lang`]): a coded
/// refusal from the message table, any other error as its text (`{:#}`).
pub fn error_text(e: &anyhow::Error) -> String {
    use crate::words::Say;
    let Some(code) = error_code(e) else {
        return format!("{e:#}");
    };
    let lang = fmt::lang();
    match code.hint(lang) {
        Some(h) => format!("{}\n  {}: {h}", code.say(lang), fmt::hint_word()),
        None => code.say(lang).into_owned(),
    }
}

pub use crate::service::error_code;

pub fn dispatch(cli: Cli) -> Result<i32> {
    let path = config_path(cli.config.as_deref());
    let token = cli.token.or_else(|| std::env::var("LOAXA_TOKEN").ok());
    if let Some(t) = &token
        && !t.bytes().all(|b| b.is_ascii_graphic())
    {
        anyhow::bail!(
            "the access token has spaces or non-ASCII letters, which HTTP cannot carry\n  hint: choose a token of plain letters, digits and -_. and update [api] token_sha256"
        );
    }
    match cli.command {
        Command::Run(args) => run::run(&path, args),
        Command::Check => check::check(&path),
        Command::Province(cmd) => province::province(cmd),
        Command::Segment(cmd) => segment::segment(&backend(&path, token)?, cmd),
        Command::Queue(cmd) => queue::queue(&backend(&path, token)?, cmd),
        Command::Schedule(args) => schedule::schedule(&backend(&path, token)?, args),
        Command::Log(args) => log::log(&backend(&path, token)?, args),
        Command::Report(args) => report::report(&backend(&path, token)?, args),
        Command::Inbox(args) => inbox::inbox(&backend(&path, token)?, &args),
        Command::Emergency(live::EmergencyArgs { cmd: Some(cmd), .. }) => {
            emergency::repeats(&backend(&path, token)?, cmd)
        }
        live_command => {
            let config = load_config(&path)?;
            let client = live::daemon(&config, token)?;
            match live_command {
                Command::Now(args) => live::now(&client, &config, &args),
                Command::Skip => live::skip(&client),
                Command::Stop => live::stop(&client),
                Command::Play(args) => live::play(&client, args),
                Command::Emergency(args) => live::emergency(&client, args),
                Command::Live(cmd) => live::live(&client, cmd),
                _ => live::reload(&client),
            }
        }
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
    // The diagnostics in the terminal's language, positions unchanged.
    config::load(path).map_err(|e| anyhow::anyhow!(e.render(fmt::lang())))
}

fn backend(path: &std::path::Path, token: Option<String>) -> Result<backend::Backend> {
    backend::Backend::open(load_config(path)?, token)
}
