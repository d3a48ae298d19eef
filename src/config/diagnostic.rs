//! Operator-facing problems in a file: [`Diagnostic`] (file:line:col, message, hint) and
//! [`ConfigError`], the list of all of them, plus the byte-offset -> line:column mapping
//! and the "did you mean" suggestion shared by the config and playlist readers.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::words::{ConfigProblem, Lang, Say};

/// One problem found in a file. `line` and `column` are 1-based (column in characters);
/// both are 0 when the problem is about the file as a whole (it cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The message in English (what the API and older callers read).
    pub message: String,
    pub hint: Option<String>,
    /// The problem as a code with parameters, rendered in the operator's language at the
    /// edge; `message` and `hint` are its English words.
    pub problem: ConfigProblem,
}

impl Diagnostic {
    /// A problem about the whole file, as a code.
    pub fn whole_file_problem(file: &Path, problem: ConfigProblem) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: problem.say(Lang::En).into_owned(),
            hint: problem.hint(Lang::En).map(Cow::into_owned),
            problem,
        }
    }

    /// A problem at `line:column`, as a code.
    pub fn at(file: &Path, (line, column): (usize, usize), problem: ConfigProblem) -> Self {
        Diagnostic {
            line,
            column,
            ..Diagnostic::whole_file_problem(file, problem)
        }
    }

    /// `file:line:col: error: message` and the hint, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let (message, hint) = (self.problem.say(lang), self.problem.hint(lang));
        let (error, hint_word) = match lang {
            Lang::Vi => ("lỗi", "gợi ý"),
            Lang::En => ("error", "hint"),
        };
        let mut out = if self.line == 0 {
            format!("{}: {error}: {message}", self.file.display())
        } else {
            format!(
                "{}:{}:{}: {error}: {message}",
                self.file.display(),
                self.line,
                self.column
            )
        };
        if let Some(hint) = hint {
            out.push_str(&format!("\n  {hint_word}: {hint}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// Everything wrong with a config file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigError {
    /// Every diagnostic in `lang`, one after the other.
    pub fn render(&self, lang: Lang) -> String {
        let all: Vec<String> = self.diagnostics.iter().map(|d| d.render(lang)).collect();
        all.join("\n")
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A file's text and the diagnostics collected while reading it.
#[derive(Debug)]
pub(crate) struct Source<'t> {
    pub text: &'t str,
    pub file: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'t> Source<'t> {
    pub fn new(text: &'t str, file: &Path) -> Self {
        Source {
            text,
            file: file.to_path_buf(),
            diagnostics: Vec::new(),
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// Records a coded problem at the start of `span`, `shift` characters further right.
    pub fn problem_at(&mut self, span: Range<usize>, shift: usize, problem: ConfigProblem) {
        let (line, column) = self.position(span.start);
        let d = Diagnostic::at(&self.file, (line, column + shift), problem);
        self.diagnostics.push(d);
    }

    /// Records a coded problem at the start of `span`.
    pub fn problem(&mut self, span: Range<usize>, problem: ConfigProblem) {
        self.problem_at(span, 0, problem);
    }

    /// The diagnostics in file order.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by_key(|d| (d.file.clone(), d.line, d.column));
        self.diagnostics
    }
}

/// The candidate closest to `word` (edit distance), if it is plausibly a typo of it.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let best = candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), c), *c))
        .min()?;
    let limit = (word.chars().count() / 2).max(2);
    (best.0 <= limit).then_some(best.1)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let src = Source::new("a = 1\nname = \"Đài\" x\n", Path::new("c.toml"));
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(6), (2, 1));
        let x = src.text.find(" x").expect("x") + 1;
        assert_eq!(src.position(x), (2, 14));
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("timezon", &["name", "timezone"]), Some("timezone"));
        assert_eq!(
            closest("playlist", &["playlists", "queue"]),
            Some("playlists")
        );
        assert_eq!(closest("zzzzzz", &["name", "cron"]), None);
    }

    #[test]
    fn display_has_position_and_hint() {
        let d = Diagnostic::at(
            Path::new("config/loaxa.toml"),
            (12, 8),
            ConfigProblem::UnknownTimezone {
                name: "Asia/Hanoi".into(),
                suggestion: None,
            },
        );
        assert_eq!(
            d.to_string(),
            "config/loaxa.toml:12:8: error: unknown timezone \"Asia/Hanoi\"\n  hint: use an IANA name such as \"Asia/Ho_Chi_Minh\""
        );
        assert_eq!(
            d.render(Lang::Vi),
            "config/loaxa.toml:12:8: lỗi: múi giờ \"Asia/Hanoi\" không tồn tại\n  gợi ý: dùng tên IANA, ví dụ \"Asia/Ho_Chi_Minh\""
        );
    }
}
