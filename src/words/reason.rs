//! Why an item or a program did not air as planned: skipped, failed, missed or interrupted.
//!
//! The as-run record keeps a reason as a string (the record's `reason` field is hashed by
//! the log's chain, whose encodings stay as they are): the reason's compact JSON,
//! `{"code":"expired","until":"2026-05-31"}` ([`Reason::stored`]). Records written by
//! earlier builds hold English prose; [`Reason::from_stored`] maps every text those builds
//! wrote to its code, and [`reason_text`] lets unknown prose pass through unchanged.

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick, pick_owned};

/// A reason with its parameters, serialised with a stable snake_case `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The play is on air (the record's reason until it ends).
    OnAir,
    /// The daemon died while the item was on air.
    StoppedUnexpectedly,
    /// The daemon died before the item aired (found in the run's journal at the next start).
    CrashBeforeAir,
    /// The segment's validity begins later.
    NotValidBefore {
        from: NaiveDate,
    },
    /// The segment's validity ended.
    Expired {
        until: NaiveDate,
    },
    /// Waiting for approval (`require_approval`).
    NotApproved,
    /// A queue or playlist entry names a segment the library does not have.
    NotInLibrary {
        segment: u64,
    },
    /// The segment's media file is gone from the media store.
    MediaMissing {
        file: String,
    },
    /// A program names a playlist that does not exist.
    PlaylistNotFound {
        playlist: String,
    },
    /// A file named by a playlist or a program cannot air; `detail` is the technical cause.
    FileUnusable {
        detail: String,
    },
    /// A file named by a playlist or a program that its import checks refuse (not audio,
    /// damaged, missing…), with the refusal's own code.
    FileRefused {
        refusal: super::FileCode,
    },
    /// A playlist's file with no topic, from the playlist or the station's default.
    FileWithoutTopic {
        file: String,
        playlist: String,
    },
    /// The item failed while playing (decoder, file); `detail` is the technical cause.
    PlayFailed {
        detail: String,
    },
    /// The item ended earlier than its measured length (by more than 100 ms).
    EndedEarly {
        played_ms: u64,
        measured_ms: u64,
    },
    /// The output could not be started for the program.
    OutputFailed {
        detail: String,
    },
    /// The sound output is unavailable (lost, or does not open).
    OutputUnavailable {
        detail: String,
    },
    /// The output was still unavailable at the program's planned end.
    OutputStayedUnavailable,
    /// The program reached its `max_duration`.
    MaxDuration,
    /// The daemon was shut down while the program aired.
    Shutdown,
    SkippedByOperator,
    StoppedByOperator,
    InterruptedByManual,
    InterruptedByEmergency,
    /// A live broadcast of a higher level cut it (`loaxa live start --priority`).
    InterruptedByLive,
    /// A manual broadcast with `--now` replaced the rest of the program.
    ReplacedByManual,
    /// Cut, with no more precise reason.
    Cut,
    /// The session ended before the item's turn; `cause` is why it ended.
    NotAired {
        cause: Option<Box<Reason>>,
    },
    /// The program had nothing to play.
    NothingToPlay,
    /// The previous run of the program was still on air when it fired again.
    PreviousRunOnAir,
    /// The daemon was shut down before the program aired.
    ShutDownBeforeAir,
    /// The daemon was not running at the fire time; `back` is when it came back (station time).
    NotRunning {
        back: String,
    },
}

impl Reason {
    /// The machine form kept in the as-run record: compact JSON with the code.
    pub fn stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"code\":\"cut\"}"))
    }

    /// The stable code (`expired`, `not_aired`…).
    pub fn code(&self) -> String {
        super::code_of(self)
    }

    /// The reason a stored text stands for: the machine form, or the English prose of an
    /// earlier build. `None` for prose no build of loaxa wrote (it is shown as it is).
    pub fn from_stored(text: &str) -> Option<Reason> {
        let text = text.trim();
        if text.starts_with('{') {
            return serde_json::from_str(text).ok();
        }
        legacy(text)
    }

    /// One of each variant, with sample parameters: what the vocabulary tests render.
    pub fn samples() -> Vec<Reason> {
        let day = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap_or_default();
        let detail = "E: /x.mp3".to_string();
        vec![
            Reason::OnAir,
            Reason::StoppedUnexpectedly,
            Reason::CrashBeforeAir,
            Reason::NotValidBefore { from: day },
            Reason::Expired { until: day },
            Reason::NotApproved,
            Reason::NotInLibrary { segment: 12 },
            Reason::MediaMissing {
                file: "/data/media/ab.mp3".into(),
            },
            Reason::PlaylistNotFound {
                playlist: "tin-xa".into(),
            },
            Reason::FileUnusable {
                detail: detail.clone(),
            },
            Reason::FileRefused {
                refusal: super::FileCode::FileMissing {
                    file: "tin-sang.mp3".into(),
                },
            },
            Reason::FileWithoutTopic {
                file: "tin-sang.mp3".into(),
                playlist: "playlists/sang.toml".into(),
            },
            Reason::PlayFailed {
                detail: detail.clone(),
            },
            Reason::EndedEarly {
                played_ms: 5_600,
                measured_ms: 7_300,
            },
            Reason::OutputFailed {
                detail: detail.clone(),
            },
            Reason::OutputUnavailable { detail },
            Reason::OutputStayedUnavailable,
            Reason::MaxDuration,
            Reason::Shutdown,
            Reason::SkippedByOperator,
            Reason::StoppedByOperator,
            Reason::InterruptedByManual,
            Reason::InterruptedByEmergency,
            Reason::InterruptedByLive,
            Reason::ReplacedByManual,
            Reason::Cut,
            Reason::NotAired { cause: None },
            Reason::NotAired {
                cause: Some(Box::new(Reason::Shutdown)),
            },
            Reason::NothingToPlay,
            Reason::PreviousRunOnAir,
            Reason::ShutDownBeforeAir,
            Reason::NotRunning {
                back: "2026-05-31 06:10".into(),
            },
        ]
    }
}

/// A stored reason as the operator reads it in `lang`: the code's words, or the text
/// unchanged when it is prose of no known build.
pub fn reason_text(lang: Lang, stored: &str) -> Cow<'_, str> {
    match Reason::from_stored(stored) {
        Some(r) => r.say(lang),
        None => Cow::Borrowed(stored),
    }
}

/// A stored reason in its machine form, for clients that word codes themselves (the page):
/// the English prose of an earlier build becomes its code's compact JSON; the machine form,
/// and prose of no known build, stay as they are.
pub fn reason_as_code(stored: &str) -> Cow<'_, str> {
    if stored.trim_start().starts_with('{') {
        return Cow::Borrowed(stored);
    }
    match legacy(stored.trim()) {
        Some(r) => Cow::Owned(r.stored()),
        None => Cow::Borrowed(stored),
    }
}

/// Seconds with one decimal, as the reasons show lengths.
fn secs(ms: u64) -> String {
    format!("{}.{}", ms / 1000, (ms % 1000) / 100)
}

impl Say for Reason {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Reason::OnAir => pick(lang, "đang phát", "on air"),
            Reason::StoppedUnexpectedly => pick(
                lang,
                "phần mềm dừng đột ngột khi đang phát",
                "the daemon stopped before the play ended",
            ),
            Reason::CrashBeforeAir => pick(
                lang,
                "chưa phát: phần mềm dừng đột ngột trước lượt phát",
                "not aired: the daemon stopped unexpectedly before it aired",
            ),
            Reason::NotValidBefore { from } => pick_owned(
                lang,
                format!("chưa đến ngày hiệu lực ({})", from.format("%d/%m/%Y")),
                format!("not valid before {from}"),
            ),
            Reason::Expired { until } => pick_owned(
                lang,
                format!("hết hiệu lực từ sau ngày {}", until.format("%d/%m/%Y")),
                format!("expired on {until}"),
            ),
            Reason::NotApproved => pick(lang, "chưa được duyệt", "not approved"),
            Reason::NotInLibrary { segment } => pick_owned(
                lang,
                format!("bản tin số {segment} không còn trong thư viện"),
                format!("segment {segment} is not in the library"),
            ),
            Reason::MediaMissing { file } => pick_owned(
                lang,
                format!("tệp âm thanh không còn trong kho: {file}; hãy thêm lại bản tin"),
                format!("file is missing from the media store: {file}; import it again"),
            ),
            Reason::PlaylistNotFound { playlist } => pick_owned(
                lang,
                format!("không tìm thấy danh sách phát «{playlist}»"),
                format!("playlist `{playlist}` not found"),
            ),
            // In English the technical cause says it all (as earlier builds logged it).
            Reason::FileUnusable { detail } => pick_owned(
                lang,
                format!("tệp âm thanh không dùng được ({detail})"),
                detail.clone(),
            ),
            Reason::FileRefused { refusal } => pick_owned(
                lang,
                format!("tệp âm thanh không dùng được: {}", refusal.say(lang)),
                refusal.say(lang).into_owned(),
            ),
            Reason::FileWithoutTopic { file, playlist } => pick_owned(
                lang,
                format!(
                    "{file} chưa có chuyên mục: thêm `topic = ...` vào danh sách phát {playlist} hoặc đặt `default_topic` trong [station]"
                ),
                format!(
                    "{file} has no topic: add `topic = ...` to the playlist {playlist} or set [station] default_topic"
                ),
            ),
            Reason::PlayFailed { detail } => {
                pick_owned(lang, format!("lỗi khi phát ({detail})"), detail.clone())
            }
            Reason::EndedEarly {
                played_ms,
                measured_ms,
            } => pick_owned(
                lang,
                format!(
                    "kết thúc sớm: phát {} giây trên {} giây",
                    secs(*played_ms),
                    secs(*measured_ms)
                ),
                format!(
                    "ended early: played {} s of {} s",
                    secs(*played_ms),
                    secs(*measured_ms)
                ),
            ),
            Reason::OutputFailed { detail } => pick_owned(
                lang,
                format!("không mở được đầu ra âm thanh ({detail})"),
                format!("output failed: {detail}"),
            ),
            Reason::OutputUnavailable { detail } => pick_owned(
                lang,
                format!("đầu ra âm thanh không dùng được ({detail})"),
                format!("the sound output is unavailable: {detail}"),
            ),
            Reason::OutputStayedUnavailable => pick(
                lang,
                "đầu ra âm thanh vẫn không dùng được đến hết giờ chương trình",
                "the sound output stayed unavailable",
            ),
            Reason::MaxDuration => pick(
                lang,
                "hết thời lượng tối đa của chương trình",
                "max_duration reached",
            ),
            Reason::Shutdown => pick(lang, "phần mềm được tắt", "daemon shut down"),
            Reason::SkippedByOperator => pick(
                lang,
                "người điều hành chuyển bài",
                "skipped by the operator",
            ),
            Reason::StoppedByOperator => pick(
                lang,
                "người điều hành dừng chương trình",
                "stopped by the operator",
            ),
            Reason::InterruptedByManual => pick(
                lang,
                "bị ngắt để phát thủ công",
                "interrupted by a manual broadcast",
            ),
            Reason::InterruptedByEmergency => pick(
                lang,
                "bị ngắt để phát khẩn cấp",
                "interrupted by an emergency broadcast",
            ),
            Reason::InterruptedByLive => pick(
                lang,
                "bị ngắt để phát trực tiếp",
                "interrupted by a live broadcast",
            ),
            Reason::ReplacedByManual => pick(
                lang,
                "được thay bằng lượt phát thủ công",
                "replaced by a manual broadcast",
            ),
            Reason::Cut => pick(lang, "bị cắt", "cut"),
            Reason::NotAired { cause: None } => pick(lang, "chưa phát", "not aired"),
            Reason::NotAired { cause: Some(c) } => pick_owned(
                lang,
                format!("chưa phát: {}", c.say(lang)),
                format!("not aired: {}", c.say(lang)),
            ),
            Reason::NothingToPlay => {
                pick(lang, "chương trình không có gì để phát", "nothing to play")
            }
            Reason::PreviousRunOnAir => pick(
                lang,
                "lượt trước của chương trình này vẫn đang phát",
                "previous run of this program was still on air",
            ),
            Reason::ShutDownBeforeAir => pick(
                lang,
                "phần mềm được tắt trước giờ phát",
                "the daemon was shut down before it aired",
            ),
            Reason::NotRunning { back } => pick_owned(
                lang,
                format!("phần mềm không chạy vào giờ đó (chạy lại lúc {back})"),
                format!("loaxa was not running at that time (back at {back})"),
            ),
        }
    }
}

/// The reason an earlier build wrote as English prose (every text found in the history of
/// the recorder, the session, the planner and the daemon).
fn legacy(text: &str) -> Option<Reason> {
    let exact = match text {
        "on air" => Some(Reason::OnAir),
        "the daemon stopped before the play ended" => Some(Reason::StoppedUnexpectedly),
        "not aired: the daemon stopped unexpectedly before it aired" => {
            Some(Reason::CrashBeforeAir)
        }
        "not approved" => Some(Reason::NotApproved),
        "the sound output stayed unavailable" => Some(Reason::OutputStayedUnavailable),
        "max_duration reached" => Some(Reason::MaxDuration),
        "daemon shut down" => Some(Reason::Shutdown),
        "skipped by the operator" => Some(Reason::SkippedByOperator),
        "stopped by the operator" => Some(Reason::StoppedByOperator),
        "interrupted by a manual broadcast" => Some(Reason::InterruptedByManual),
        "interrupted by an emergency broadcast" => Some(Reason::InterruptedByEmergency),
        "replaced by a manual broadcast" => Some(Reason::ReplacedByManual),
        "cut" => Some(Reason::Cut),
        "not aired" => Some(Reason::NotAired { cause: None }),
        "nothing to play" => Some(Reason::NothingToPlay),
        "previous run of this program was still on air" => Some(Reason::PreviousRunOnAir),
        "the daemon was shut down before it aired" => Some(Reason::ShutDownBeforeAir),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    if let Some(rest) = text.strip_prefix("not aired: ") {
        let cause = legacy(rest).unwrap_or_else(|| Reason::PlayFailed {
            detail: rest.to_string(),
        });
        return Some(Reason::NotAired {
            cause: Some(Box::new(cause)),
        });
    }
    if let Some(from) = text.strip_prefix("not valid before ").and_then(date) {
        return Some(Reason::NotValidBefore { from });
    }
    if let Some(until) = text.strip_prefix("expired on ").and_then(date) {
        return Some(Reason::Expired { until });
    }
    if let Some(n) = text
        .strip_prefix("segment ")
        .and_then(|r| r.strip_suffix(" is not in the library"))
        .and_then(|n| n.parse().ok())
    {
        return Some(Reason::NotInLibrary { segment: n });
    }
    if let Some(name) = text
        .strip_prefix("playlist `")
        .and_then(|r| r.strip_suffix("` not found"))
    {
        return Some(Reason::PlaylistNotFound {
            playlist: name.to_string(),
        });
    }
    if let Some(detail) = text.strip_prefix("output failed: ") {
        return Some(Reason::OutputFailed {
            detail: detail.to_string(),
        });
    }
    if let Some(detail) = text.strip_prefix("the sound output is unavailable: ") {
        return Some(Reason::OutputUnavailable {
            detail: detail.to_string(),
        });
    }
    if let Some(back) = text
        .strip_prefix("loaxa was not running at that time (back at ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return Some(Reason::NotRunning {
            back: back.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_with_its_code() {
        for r in Reason::samples() {
            let stored = r.stored();
            assert!(
                stored.contains(&format!("\"code\":\"{}\"", r.code())),
                "{stored}"
            );
            assert_eq!(Reason::from_stored(&stored), Some(r));
        }
        assert_eq!(
            Reason::Expired {
                until: NaiveDate::from_ymd_opt(2026, 5, 31).expect("day")
            }
            .stored(),
            r#"{"code":"expired","until":"2026-05-31"}"#
        );
    }

    #[test]
    fn the_recorders_constants_are_the_stored_forms() {
        assert_eq!(crate::asrun::ON_AIR, Reason::OnAir.stored());
        assert_eq!(
            crate::asrun::STOPPED_UNEXPECTEDLY,
            Reason::StoppedUnexpectedly.stored()
        );
        assert_eq!(
            crate::asrun::NOT_AIRED_CRASH,
            Reason::CrashBeforeAir.stored()
        );
    }

    #[test]
    fn english_of_earlier_builds_maps_back_to_its_code() {
        // The English rendering is the text earlier builds stored: it maps to the same code
        // (the play-failure detail, stored bare before, reads back inside `not_aired`).
        for r in Reason::samples() {
            let en = r.say(Lang::En);
            match &r {
                // No earlier build stored these (the last is a preview's warning).
                Reason::FileUnusable { .. }
                | Reason::FileRefused { .. }
                | Reason::FileWithoutTopic { .. }
                | Reason::PlayFailed { .. }
                | Reason::EndedEarly { .. }
                | Reason::MediaMissing { .. }
                | Reason::InterruptedByLive => {
                    continue;
                }
                _ => {}
            }
            assert_eq!(Reason::from_stored(&en), Some(r.clone()), "{en}");
        }
        assert_eq!(
            Reason::from_stored("not aired: decoder said no"),
            Some(Reason::NotAired {
                cause: Some(Box::new(Reason::PlayFailed {
                    detail: "decoder said no".into()
                }))
            })
        );
        assert_eq!(reason_text(Lang::Vi, "cut; at max"), "cut; at max");
        // For the page: known prose becomes its code, anything else stays.
        assert_eq!(
            reason_as_code("expired on 2026-05-31"),
            r#"{"code":"expired","until":"2026-05-31"}"#
        );
        assert_eq!(reason_as_code("cut; at max"), "cut; at max");
        let stored = Reason::Shutdown.stored();
        assert_eq!(reason_as_code(&stored), stored);
        assert_eq!(
            reason_text(Lang::Vi, "daemon shut down"),
            "phần mềm được tắt"
        );
    }
}
