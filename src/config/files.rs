//! The filesystem pass of `loaxa check`: do the files a valid config names exist?
//!
//! Kept apart from [`super::parse`] so that parsing stays pure and the daemon can start
//! (and report) even while a playlist or a signature tune is missing.

use std::path::Path;

use super::{Config, Diagnostic};
use crate::playlist::{self, Entry};

/// Missing playlists, intro/outro files and playlist entry files, plus every problem inside
/// the playlists the programs use; positions point at where the config (or playlist) names
/// the file.
pub fn check_files(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |(line, column): (usize, usize), message: String, hint: Option<String>| Diagnostic {
        file: config.path.clone(),
        line,
        column,
        message,
        hint,
    };
    let dir = &config.station.playlists_dir;
    for program in &config.programs {
        for (i, name) in program.playlists.iter().enumerate() {
            let pos = program.spans.playlists.get(i).copied().unwrap_or((0, 0));
            let Some(path) = playlist::find(dir, name) else {
                out.push(at(
                    pos,
                    format!("playlist \"{name}\" not found in {}", dir.display()),
                    Some(format!(
                        "create {name}.toml or {name}.m3u8 there, or fix the name in `playlists`"
                    )),
                ));
                continue;
            };
            match playlist::load(&path) {
                Ok(list) => out.extend(check_entries(config, &list)),
                Err(diagnostics) => out.extend(diagnostics),
            }
        }
        for (key, file, pos) in [
            ("intro", &program.intro, program.spans.intro),
            ("outro", &program.outro, program.spans.outro),
            ("separator", &program.separator, program.spans.separator),
        ] {
            if let Some(file) = file
                && !file.is_file()
            {
                out.push(at(
                    pos,
                    format!("{key} file {} does not exist", file.display()),
                    Some("paths are relative to the folder of this config file".into()),
                ));
            }
        }
    }
    out.sort_by_key(|d| (d.file.clone(), d.line, d.column));
    out.dedup();
    out
}

/// Entry files that are missing and topics the config does not define.
fn check_entries(config: &Config, list: &playlist::Playlist) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for entry in &list.entries {
        let Entry::File {
            path, topic, line, ..
        } = entry
        else {
            continue;
        };
        let diag = |message: String, hint: &str| Diagnostic {
            file: list.path.clone(),
            line: *line,
            column: 1,
            message,
            hint: Some(hint.to_string()),
        };
        if !Path::new(path).is_file() {
            out.push(diag(
                format!("file {} does not exist", path.display()),
                "paths are relative to the folder of the playlist file",
            ));
        }
        if let Some(topic) = topic
            && !config.topics.contains_key(topic)
        {
            out.push(diag(
                format!(
                    "topic \"{topic}\" is not in [topics] of {}",
                    config.path.display()
                ),
                "add it to [topics] in the config, or fix the slug",
            ));
        }
    }
    out
}
