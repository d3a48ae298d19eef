//! The one message table: every value, reason, warning and error code the station shows an
//! operator, rendered into Vietnamese (the default) or English.
//!
//! The core carries typed codes ([`Reason`], [`Warning`], [`ErrorCode`], and the log's enums
//! [`Outcome`], [`Trigger`], [`Role`], [`Priority`], a relay's `Fault` and `Air`); words are chosen only at the edges (CLI,
//! page, report, export) by [`Say::say`]. Every rendering is an exhaustive `match` on the
//! variant, so a variant added later cannot be left without its words: it does not compile.
//! The web page has its own copy of the codes' words (`src/api/web/i18n.js`); a test
//! checks it names every code the server can send.

mod config_problem;
mod cron;
mod done;
mod error;
mod file;
mod inbox;
mod province;
mod reason;
mod refusal;
mod relay;
mod value;
mod warning;

use std::borrow::Cow;

pub use crate::report::Lang;
pub use config_problem::{ConfigProblem, UrlProblem, ValueKind};
pub use cron::{CronField, CronProblem};
pub use done::Done;
pub use error::ErrorCode;
pub use file::FileCode;
pub use inbox::InboxProblem;
pub use reason::{Reason, reason_as_code, reason_text};
pub use refusal::RefusalCode;
pub use relay::{air_samples, fault_samples};
pub use value::BadValue;
pub use warning::Warning;

use crate::model::{Outcome, Priority, Role, Trigger};

/// Something with words for the operator, in either language.
pub trait Say {
    /// The text in `lang`.
    fn say(&self, lang: Lang) -> Cow<'static, str>;
}

/// The stable `code` a value serialises with (`{"code":"expired",…}` → `expired`).
pub(crate) fn code_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map
            .get("code")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// `(vi, en)` picked by `lang`.
pub(crate) fn pick(lang: Lang, vi: &'static str, en: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(pick_str(lang, vi, en))
}

/// [`pick`] as a plain `&str`, for APIs that take one (clap's help texts).
pub(crate) fn pick_str(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// `(vi, en)` formatted texts picked by `lang`.
pub(crate) fn pick_owned(lang: Lang, vi: String, en: String) -> Cow<'static, str> {
    Cow::Owned(match lang {
        Lang::Vi => vi,
        Lang::En => en,
    })
}

impl Say for Outcome {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Outcome::Completed => pick(lang, "đã phát", "completed"),
            Outcome::Interrupted => pick(lang, "bị ngắt", "interrupted"),
            Outcome::Failed => pick(lang, "lỗi", "failed"),
            Outcome::Skipped => pick(lang, "bỏ qua", "skipped"),
            Outcome::Missed => pick(lang, "bị lỡ", "missed"),
        }
    }
}

impl Say for Trigger {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Trigger::Schedule => pick(lang, "theo lịch", "schedule"),
            Trigger::Manual => pick(lang, "thủ công", "manual"),
            Trigger::CatchUp => pick(lang, "phát bù", "catch-up"),
        }
    }
}

impl Say for Role {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Role::Intro => pick(lang, "nhạc hiệu mở đầu", "intro"),
            Role::Item => pick(lang, "bản tin", "item"),
            Role::Outro => pick(lang, "nhạc hiệu kết thúc", "outro"),
            Role::Separator => pick(lang, "nhạc chuyển tiếp", "separator"),
            Role::Relay => pick(lang, "tiếp sóng", "relay"),
            Role::Live => pick(lang, "phát trực tiếp", "live"),
        }
    }
}

impl Say for Priority {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Priority::Normal => pick(lang, "thông thường", "normal"),
            Priority::Priority => pick(lang, "ưu tiên", "priority"),
            Priority::Emergency => pick(lang, "khẩn cấp", "emergency"),
        }
    }
}

/// Every value of the log's enums, for tests and tables that list them all.
pub fn all_outcomes() -> [Outcome; 5] {
    [
        Outcome::Completed,
        Outcome::Interrupted,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::Missed,
    ]
}

/// Every trigger.
pub fn all_triggers() -> [Trigger; 3] {
    [Trigger::Schedule, Trigger::Manual, Trigger::CatchUp]
}

/// Every role.
pub fn all_roles() -> [Role; 6] {
    [
        Role::Intro,
        Role::Item,
        Role::Outro,
        Role::Separator,
        Role::Relay,
        Role::Live,
    ]
}

/// Every priority.
pub fn all_priorities() -> [Priority; 3] {
    [Priority::Normal, Priority::Priority, Priority::Emergency]
}

/// The language chosen by the environment for the CLI: `LOAXA_LANG=en` gives English,
/// anything else (or nothing) Vietnamese.
pub fn cli_lang() -> Lang {
    std::env::var("LOAXA_LANG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// A language from an `Accept-Language` header value: the first of `vi`/`en` it names,
/// Vietnamese when it names neither.
pub fn from_accept_language(header: &str) -> Lang {
    for part in header.split(',') {
        let tag = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        match primary {
            "vi" => return Lang::Vi,
            "en" => return Lang::En,
            _ => {}
        }
    }
    Lang::Vi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_known() {
        assert_eq!(from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(from_accept_language("fr, vi;q=0.5, en;q=0.4"), Lang::Vi);
        assert_eq!(from_accept_language("de"), Lang::Vi);
        assert_eq!(from_accept_language(""), Lang::Vi);
    }
}
