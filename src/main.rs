//! The `loaxa` binary: parse the command line, set up logging, hand over to the library.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = loaxa::cli::parse();
    let filter = EnvFilter::try_from_env("LOAXA_LOG")
        .unwrap_or_else(|_| EnvFilter::new(cli.default_log_filter()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours_on_stderr())
        .init();
    match loaxa::cli::dispatch(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages may quote stored text (a title): no control character reaches the
            // terminal as a command.
            eprintln!(
                "{}: {}",
                loaxa::cli::fmt::t("lỗi", "error"),
                loaxa::text::message_for_terminal(&loaxa::cli::error_text(&e))
            );
            ExitCode::FAILURE
        }
    }
}

/// Colours only for a person at a terminal who has not asked for none (no escape codes in
/// the journal, a pipe or a file).
fn colours_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The reader of our output went away (`loaxa log | head`): not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
