//! `[province] inbox`: the drop folder the province's bulletins arrive in (an audio file and
//! its JSON sidecar, `X.mp3` + `X.json`; see `crate::inbox`), and `inbox_url`: the
//! province's published list of bulletins, fetched into that folder every `inbox_every`
//! (see `crate::inbox::pull`). Only the inbox's keys are read here (and `ca_file`, shared
//! with the push); the `[province]` table's other keys (the push to the province) are read by their
//! own module, and the table's key check covers both (see `validate::config`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Source;
use super::duration::Bounds;
use super::program::bounded;
use super::validate::resolve;
use super::walk::Table;
use crate::words::ConfigProblem;

/// The keys of `[province]` this module reads.
pub(super) const INBOX_KEYS: &[&str] = &["inbox", "inbox_url", "inbox_every"];

/// How often the list is fetched: a minute to a day.
const EVERY: Bounds = Bounds::secs(60, 86_400);
/// Default `inbox_every`: five minutes.
pub const DEFAULT_INBOX_EVERY: Duration = Duration::from_secs(300);

/// `[province] inbox`: where inbound bulletins are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSettings {
    /// The folder (absolute); bulletins that cannot be taken go to its `quarantine/`.
    pub dir: PathBuf,
    /// Where the file names it (1-based line, column), for `loaxa check`.
    pub(crate) pos: (usize, usize),
    /// `inbox_url`: the province's list of bulletins, fetched into the folder.
    pub pull: Option<InboxPull>,
}

/// `[province] inbox_url`, `inbox_every` (and `ca_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPull {
    /// The list's address (`http://` or `https://`).
    pub url: String,
    pub every: Duration,
    /// Extra CA certificates (PEM) the server's certificate may chain to.
    pub ca_file: Option<PathBuf>,
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
    ca_file: Option<PathBuf>,
) -> Option<Option<InboxSettings>> {
    let mut ok = true;
    let pull = pull(src, t, ca_file, &mut ok);
    let Some(s) = t.string(src, "inbox") else {
        if t.has("inbox") {
            // Of the wrong type (already reported).
            return None;
        }
        if t.has("inbox_url") {
            // The list is fetched into the folder: it needs one.
            src.problem(
                t.span.clone(),
                ConfigProblem::KeyMissing {
                    key: "inbox".into(),
                    section: "[province]".into(),
                },
            );
            return None;
        }
        return ok.then_some(None);
    };
    if s.get_ref().trim().is_empty() {
        src.problem(s.span(), ConfigProblem::InboxEmpty);
        return None;
    }
    let pos = src.position(s.span().start);
    ok.then(|| {
        Some(InboxSettings {
            dir: resolve(base, s.get_ref()),
            pos,
            pull,
        })
    })
}

/// `inbox_url` and `inbox_every`; `None` without a list (or with a problem: `ok` is false).
fn pull(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    ca_file: Option<PathBuf>,
    ok: &mut bool,
) -> Option<InboxPull> {
    let every = bounded(src, t, "inbox_every", EVERY, ok).unwrap_or(DEFAULT_INBOX_EVERY);
    let u = t.text(src, "inbox_url", super::MAX_URL)?;
    if let Err(problem) = crate::relay::check_url(u.get_ref()) {
        *ok = false;
        let url: String = u.get_ref().chars().take(200).collect();
        src.problem(u.span(), ConfigProblem::InboxUrl { url, problem });
        return None;
    }
    Some(InboxPull {
        url: u.into_inner(),
        every,
        ca_file,
    })
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
    fn the_list_is_fetched_into_the_folder_with_the_shared_ca_file() {
        let c = parse(
            "\n[province]\ninbox = \"../inbox\"\ninbox_url = \"https://stttt.example.vn/loaxa/ban-tin.json\"\nca_file = \"tinh.pem\"\n",
        )
        .expect("valid");
        let pull = c.inbox.expect("an inbox").pull.expect("a list");
        assert_eq!(pull.url, "https://stttt.example.vn/loaxa/ban-tin.json");
        assert_eq!(pull.every, super::DEFAULT_INBOX_EVERY);
        assert_eq!(
            pull.ca_file.as_deref(),
            Some(Path::new("/st/config/tinh.pem"))
        );
        let c = parse("\n[province]\ninbox = \"../inbox\"\ninbox_url = \"http://10.0.0.5/b.json\"\ninbox_every = \"1h\"\n")
            .expect("valid");
        let pull = c.inbox.expect("an inbox").pull.expect("a list");
        assert_eq!(pull.every, std::time::Duration::from_secs(3600));
        assert_eq!(pull.ca_file, None);
    }

    #[test]
    fn mistakes_are_found_at_their_place() {
        for (extra, line, col, words) in [
            ("\n[province]\ninbox = \"\"\n", 10, 9, "is empty"),
            ("\n[province]\ninbox = 3\n", 10, 9, "inbox"),
            ("\n[province]\ninbx = \"../inbox\"\n", 10, 1, "inbx"),
            (
                "\n[province]\ninbox = \"i\"\ninbox_url = \"ftp://a.vn/b.json\"\n",
                11,
                13,
                "ftp://a.vn/b.json",
            ),
            (
                "\n[province]\ninbox = \"i\"\ninbox_url = \"http://a.vn/b.json\"\ninbox_every = \"10s\"\n",
                12,
                15,
                "inbox_every",
            ),
            (
                "\n[province]\ninbox_url = \"http://a.vn/b.json\"\n",
                9,
                1,
                "inbox",
            ),
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
            pull: None,
        };
        let d = super::check(&config, &inbox).expect("missing");
        let said = d.render(crate::words::Lang::Vi);
        assert!(said.contains("mkdir -p"), "{said}");
        assert!(said.contains(":10:9"), "{said}");
        std::fs::create_dir(&inbox.dir).expect("mkdir");
        assert_eq!(super::check(&config, &inbox), None);
    }
}
