//! The filesystem pass of `loaxa check`: do the files a valid config names exist?
//!
//! Kept apart from [`super::parse`] so that parsing stays pure and the daemon can start
//! (and report) even while a playlist or a signature tune is missing.

use std::path::Path;

use super::{Config, Diagnostic};
use crate::playlist::{self, Entry};
use crate::words::ConfigProblem;

/// Missing playlists, intro/outro files and playlist entry files, plus every problem inside
/// the playlists the programs use; positions point at where the config (or playlist) names
/// the file.
pub fn check_files(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at =
        |pos: (usize, usize), problem: ConfigProblem| Diagnostic::at(&config.path, pos, problem);
    let dir = &config.station.playlists_dir;
    for program in &config.programs {
        let named = (program.playlists.iter().zip(&program.spans.playlists))
            .chain(program.fallback.iter().zip(&program.spans.fallback));
        for (name, &pos) in named {
            let Some(path) = playlist::find(dir, name) else {
                out.push(at(
                    pos,
                    ConfigProblem::PlaylistNotFound {
                        name: name.clone(),
                        dir: dir.display().to_string(),
                    },
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
                    ConfigProblem::FileMissing {
                        key: key.to_string(),
                        path: file.display().to_string(),
                    },
                ));
            }
        }
    }
    if let Some(inbox) = &config.inbox {
        out.extend(super::inbox::check(&config.path, inbox));
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
        let diag = |problem: ConfigProblem| Diagnostic::at(&list.path, (*line, 1), problem);
        if !Path::new(path).is_file() {
            out.push(diag(ConfigProblem::EntryFileMissing {
                path: path.display().to_string(),
            }));
        }
        if let Some(topic) = topic
            && !config.topics.contains_key(topic)
        {
            out.push(diag(ConfigProblem::EntryTopicUnknown {
                topic: topic.clone(),
                config: config.path.display().to_string(),
            }));
        }
    }
    out
}
