//! Text from people and clients: one rule for every string an operator, a client or a file
//! gives loaxa (titles, units, names, topics, file names), and the escaping of stored text
//! on the way out to a terminal.
//!
//! [`clean`] is the one place operator text is normalised: NFC (Vietnamese diacritics arrive
//! composed or decomposed), without control characters (C0, C1, DEL: an ESC sequence in a
//! title would drive the operator's terminal) or the bidi overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069) that can make text read differently from what it is, and
//! trimmed of surrounding whitespace and the byte-order mark. [`bounded`] adds the length
//! limit, checked before any copy of a huge value is made. [`for_terminal`] shows the same
//! characters, in text stored before this rule existed, as visible escapes.

use std::borrow::Cow;
use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Segment titles (a news item's headline) and playlist entry titles, in characters.
pub const MAX_TITLE: usize = 500;
/// A unit (đơn vị: the office that supplied an item).
pub const MAX_UNIT: usize = 200;
/// A person's name (`--by`, who approves an item).
pub const MAX_PERSON: usize = 200;
/// A file name kept as text (an upload's client-side name): most file systems stop at 255.
pub const MAX_FILE_NAME: usize = 255;
/// A slug: topic, program or playlist name.
pub const MAX_SLUG: usize = 64;
/// A display label: station name, topic label, program or playlist title.
pub const MAX_LABEL: usize = 200;
/// The words of a log search.
pub const MAX_SEARCH: usize = 200;
/// A text bulletin read aloud (some 20 minutes of speech).
pub const MAX_BULLETIN: usize = 20_000;

/// Whether `c` is removed from operator text: a C0 or C1 control, DEL, or a bidi
/// embedding, override or isolate.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Operator text in NFC, without control characters, bidi overrides or surrounding
/// whitespace and byte-order marks. Tabs and line breaks inside become spaces (a title is
/// one line).
pub fn clean(s: &str) -> String {
    let spaced = s.chars().filter_map(|c| match c {
        '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' => Some(' '),
        c if is_hidden_control(c) => None,
        c => Some(c),
    });
    spaced
        .nfc()
        .collect::<String>()
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_string()
}

/// A text longer than its field allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {field} is {len} characters long; the limit is {max}\n  hint: shorten the {field} to at most {max} characters"
)]
pub struct TooLong {
    pub field: &'static str,
    /// Characters after cleaning; for a value far over the limit, at least this many.
    pub len: usize,
    pub max: usize,
}

/// The largest input, in bytes, that can still clean down to `max` characters: NFC may
/// compose up to three code points (a letter and two marks in Vietnamese) of up to four
/// bytes each into one character. Anything longer is refused without being normalised.
pub fn max_input_bytes(max: usize) -> usize {
    max.saturating_mul(12).max(64)
}

/// [`clean`]ed `s` when it has at most `max` characters; `field` names it in the error.
pub fn bounded(field: &'static str, s: &str, max: usize) -> Result<String, TooLong> {
    if s.len() > max_input_bytes(max) {
        return Err(TooLong {
            field,
            len: s.len() / 4,
            max,
        });
    }
    let text = clean(s);
    let len = text.chars().count();
    if len > max {
        return Err(TooLong { field, len, max });
    }
    Ok(text)
}

/// At most `max` characters of `s`, the last one an ellipsis when something was cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// Stored text as a terminal should show it: control characters and bidi overrides as
/// visible escapes (`\u{1b}`, `\t`, `\n`), everything else as it is.
pub fn for_terminal(s: &str) -> TerminalText<'_> {
    TerminalText(s)
}

/// See [`for_terminal`].
#[derive(Debug, Clone, Copy)]
pub struct TerminalText<'a>(&'a str);

impl fmt::Display for TerminalText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(is_hidden_control) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// A whole message for a terminal (an error with its hint lines): like [`for_terminal`], but
/// line breaks stay line breaks.
pub fn message_for_terminal(s: &str) -> String {
    s.split('\n')
        .map(|line| for_terminal(line).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NFC: &str = "Bản tin chuyển đổi số";

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn clean_composes_nfd_and_trims() {
        let decomposed = format!("  {}\t\n", nfd(NFC));
        assert_ne!(decomposed.trim(), NFC, "the test input must really be NFD");
        assert_eq!(clean(&decomposed), NFC);
        assert_eq!(clean(NFC), NFC);
        assert_eq!(clean("   "), "");
        assert_eq!(clean("\u{feff}Bản tin 1\u{3000}"), "Bản tin 1");
    }

    #[test]
    fn clean_drops_controls_and_bidi_overrides_but_keeps_vietnamese() {
        assert_eq!(clean("Tin \u{1b}[31mđỏ\u{1b}[0m"), "Tin [31mđỏ[0m");
        assert_eq!(clean("a\u{7f}b\u{9b}c\u{0}d"), "abcd");
        assert_eq!(clean("xem\u{202e}txt.exe"), "xemtxt.exe");
        assert_eq!(clean("\u{2066}Hà Nội\u{2069}"), "Hà Nội");
        assert_eq!(clean("dòng 1\r\ndòng 2\tcột"), "dòng 1  dòng 2 cột");
        // Combining marks and the Vietnamese letters are not controls.
        let nfd_title = nfd("Phường Đống Đa: tiêm chủng ở trẻ");
        assert_eq!(clean(&nfd_title), "Phường Đống Đa: tiêm chủng ở trẻ");
    }

    #[test]
    fn bounded_counts_characters_after_cleaning() {
        let at_limit = "ế".repeat(MAX_TITLE);
        assert_eq!(
            bounded("title", &at_limit, MAX_TITLE).as_deref(),
            Ok(&*at_limit)
        );
        // The same text decomposed is three times the code points but still fits.
        assert!(bounded("title", &nfd(&at_limit), MAX_TITLE).is_ok());
        let over = bounded("title", &"a".repeat(MAX_TITLE + 1), MAX_TITLE).expect_err("over");
        assert_eq!((over.len, over.max), (MAX_TITLE + 1, MAX_TITLE));
        assert!(over.to_string().contains("title") && over.to_string().contains("500"));
        let huge = bounded("title", &"a".repeat(60 << 20), MAX_TITLE).expect_err("huge");
        assert!(huge.len > MAX_TITLE);
    }

    #[test]
    fn truncate_ends_with_an_ellipsis() {
        assert_eq!(truncate("Hà Nội", 6), "Hà Nội");
        assert_eq!(truncate("Hà Nội", 4), "Hà …");
        assert_eq!(truncate("ảảảảả", 3).chars().count(), 3);
    }

    #[test]
    fn terminal_text_shows_escapes() {
        let shown = for_terminal("Tin \u{1b}[2J\u{202e}x\ty").to_string();
        assert_eq!(shown, "Tin \\u{1b}[2J\\u{202e}x\\ty");
        assert_eq!(for_terminal("Bản tin số 1").to_string(), "Bản tin số 1");
        assert_eq!(
            message_for_terminal("bad \u{7}\n  hint: x"),
            "bad \\u{7}\n  hint: x"
        );
    }
}
