//! What a control command did (skip, stop, reload, play, emergency), as a code: the API
//! answers `{"ok": true, "code": "skipped", "done": "…"}` with `done` in the request's
//! language, and the CLI says it in its own.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Done {
    /// The item on air was skipped.
    Skipped,
    /// The program on air was stopped.
    Stopped,
    /// The config and playlists were read again.
    Reloaded,
    /// The segments air now.
    PlayingNow,
    /// The segments air after the current program.
    PlayingNext,
    /// The emergency broadcast is on air.
    EmergencyOnAir,
    /// The live broadcast was asked for: on air, or waiting for the item on air.
    LiveStarted,
    /// The live broadcast ends (fades out), or was taken back before it aired.
    LiveStopped,
}

impl Done {
    /// Every variant.
    pub fn all() -> [Done; 8] {
        [
            Done::Skipped,
            Done::Stopped,
            Done::Reloaded,
            Done::PlayingNow,
            Done::PlayingNext,
            Done::EmergencyOnAir,
            Done::LiveStarted,
            Done::LiveStopped,
        ]
    }

    /// The answer of the API: the code and its words in `lang`.
    pub fn answer(self, lang: Lang) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("ok".into(), true.into());
            map.insert("done".into(), self.say(lang).into_owned().into());
        }
        value
    }
}

impl Say for Done {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Done::Skipped => pick(
                lang,
                "đã chuyển sang bài tiếp theo",
                "skipped the item on air",
            ),
            Done::Stopped => pick(
                lang,
                "đã dừng chương trình đang phát",
                "stopped the program on air",
            ),
            Done::Reloaded => pick(
                lang,
                "đã đọc lại cấu hình và danh sách phát",
                "reloaded the config and playlists",
            ),
            Done::PlayingNow => pick(lang, "đang phát ngay", "playing now"),
            Done::PlayingNext => pick(
                lang,
                "sẽ phát sau chương trình hiện tại",
                "playing after the current program",
            ),
            Done::EmergencyOnAir => pick(lang, "đang phát khẩn cấp", "emergency broadcast on air"),
            Done::LiveStarted => pick(
                lang,
                "đã bật phát trực tiếp: nói vào micro (xem trạng thái bằng `loaxa now`)",
                "live broadcast on: speak into the microphone (`loaxa now` shows its state)",
            ),
            Done::LiveStopped => pick(lang, "đã tắt phát trực tiếp", "live broadcast stopped"),
        }
    }
}
