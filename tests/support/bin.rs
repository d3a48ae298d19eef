//! Running the real `loaxa` binary as an operator would, from integration tests.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `loaxa -c CONFIG ARGS…`, waited for. No colours, and no token from the environment.
/// In English (`LOAXA_LANG=en`): the behaviour tests read the English words;
/// `tests/vocabulary.rs` runs it in the Vietnamese default ([`loaxa_in`]).
pub fn loaxa(config: &Path, args: &[&str]) -> Output {
    loaxa_in("en", config, args)
}

/// [`loaxa`] with `LOAXA_LANG=lang`.
pub fn loaxa_in(lang: &str, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .env("LOAXA_LANG", lang)
        .env_remove("LOAXA_TOKEN")
        .output()
        .expect("run loaxa")
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
