//! `[province] inbox`: the drop folder the province's bulletins arrive in (an audio file and
//! its JSON sidecar, `X.mp3` + `X.json`; see `crate::inbox`). Only the inbox's keys are read
//! here; the `[province]` table's other keys (the push to the province) are read by their
//! own module, and the table's key check covers both (see `validate::config`).

use std::path::{Path, PathBuf};

use super::Source;
use super::validate::resolve;
use super::walk::Table;
use crate::words::ConfigProblem;

/// The keys of `[province]` this module reads.
pub(super) const INBOX_KEYS: &[&str] = &["inbox"];

/// `[province] inbox`: where inbound bulletins are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSettings {
    /// The folder (absolute); bulletins that cannot be taken go to its `quarantine/`.
    pub dir: PathBuf,
    /// Where the file names it (1-based line, column), for `loaxa check`.
    pub(crate) pos: (usize, usize),
}

impl InboxSettings {
    /// Where bulletins that cannot be taken are kept, with their reasons.
    pub fn quarantine(&self) -> PathBuf {
        self.dir.join(crate::inbox::QUARANTINE)
    }
}

/// Reads `inbox` from the `[province]` table `t` (the caller checks the table's keys).
/// `Some(None)`: no inbox; `None`: a problem, recorded in `src`.
pub(super) fn inbox(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    base: &Path,
) -> Option<Option<InboxSettings>> {
    let Some(s) = t.string(src, "inbox") else {
        // Absent, or of the wrong type (already reported).
        return (!t.has("inbox")).then_some(None);
    };
    if s.get_ref().trim().is_empty() {
        src.problem(s.span(), ConfigProblem::InboxEmpty);
        return None;
    }
    let pos = src.position(s.span().start);
    Some(Some(InboxSettings {
        dir: resolve(base, s.get_ref()),
        pos,
    }))
}

/// `loaxa check`'s look at the folder: it exists and is a folder.
pub(super) fn check(config_path: &Path, inbox: &InboxSettings) -> Option<super::Diagnostic> {
    let path = inbox.dir.display().to_string();
    let problem = match std::fs::metadata(&inbox.dir) {
        Ok(m) if m.is_dir() => return None,
        Ok(_) => ConfigProblem::InboxNotAFolder { path },
        Err(_) => ConfigProblem::InboxMissing { path },
    };
    Some(super::Diagnostic::at(config_path, inbox.pos, problem))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[station]\nname = \"Đài\"\n\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\n";

    fn parse(extra: &str) -> Result<super::super::Config, super::super::ConfigError> {
        super::super::parse(
            &format!("{BASE}{extra}"),
            Path::new("/st/config/loaxa.toml"),
        )
    }

    #[test]
    fn the_inbox_is_relative_to_the_config_folder_and_optional() {
        let c = parse("\n[province]\ninbox = \"../inbox\"\n").expect("valid");
        let inbox = c.inbox.expect("an inbox");
        assert_eq!(inbox.dir, Path::new("/st/inbox"));
        assert_eq!(inbox.quarantine(), Path::new("/st/inbox/quarantine"));
        assert_eq!(inbox.pos, (10, 9));
        assert_eq!(parse("").expect("valid").inbox, None);
    }

    #[test]
    fn mistakes_are_found_at_their_place() {
        for (extra, line, col, words) in [
            ("\n[province]\ninbox = \"\"\n", 10, 9, "is empty"),
            ("\n[province]\ninbox = 3\n", 10, 9, "inbox"),
            ("\n[province]\ninbx = \"../inbox\"\n", 10, 1, "inbx"),
        ] {
            let e = parse(extra).expect_err(extra);
            let d = &e.diagnostics[0];
            assert_eq!((d.line, d.column), (line, col), "{extra}: {d:?}");
            let said = d.render(crate::words::Lang::En);
            assert!(said.contains(words), "{extra}: {said}");
        }
    }

    #[test]
    fn check_says_a_missing_folder_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("loaxa.toml");
        let inbox = super::InboxSettings {
            dir: dir.path().join("inbox"),
            pos: (10, 9),
        };
        let d = super::check(&config, &inbox).expect("missing");
        let said = d.render(crate::words::Lang::Vi);
        assert!(said.contains("mkdir -p"), "{said}");
        assert!(said.contains(":10:9"), "{said}");
        std::fs::create_dir(&inbox.dir).expect("mkdir");
        assert_eq!(super::check(&config, &inbox), None);
    }
}
