//! Words shown to the office: column headers and the translated values of the log's enums.
//!
//! Values are rendered from the variant itself by the message table ([`crate::words`]): an
//! exhaustive match, so a value added to the model cannot be left untranslated (matching
//! serde names missed `catch-up`, which serde writes with a hyphen).

use std::borrow::Cow;

use super::Lang;
use crate::model::{Outcome, Priority, Role, Trigger};
use crate::words::Say;

/// The export's columns, in order, as `(vi, en)`.
const COLUMNS: &[(&str, &str)] = &[
    ("Mã", "id"),
    ("Chương trình", "program"),
    ("Kích hoạt", "trigger"),
    ("Vai trò", "role"),
    ("Giờ dự kiến", "scheduled_at"),
    ("Bắt đầu", "started_at"),
    ("Kết thúc", "ended_at"),
    ("Thời lượng phát (giây)", "played_s"),
    ("Thời lượng phát (ms)", "played_ms"),
    ("Mã bản tin", "segment_id"),
    ("Tiêu đề", "title"),
    ("Chuyên mục", "topic_label"),
    ("Mã chuyên mục", "topic"),
    ("Đơn vị thực hiện", "unit"),
    ("Mức độ", "priority"),
    ("Kết quả", "outcome"),
    ("Lý do", "reason"),
    ("Người duyệt", "approved_by"),
    ("Thời điểm duyệt", "approved_at"),
    ("Đầu ra", "output"),
    ("sha256", "sha256"),
    ("Mức đỉnh (dBFS)", "peak_dbfs"),
    ("Độ to (LUFS)", "loudness_lufs"),
    ("Thời gian có tiếng (giây)", "audible_s"),
    ("Phát ra im lặng", "silent"),
    // A relay's proof (role `relay`; empty for other records). Added at the end: the
    // province's spreadsheets read the columns above by position.
    ("Nguồn tiếp sóng", "relay_url"),
    ("Tên chương trình đang phát của nguồn", "stream_title"),
    ("Thời gian tiếp sóng (giây)", "relayed_s"),
    ("Thời gian mất tín hiệu (giây)", "dropout_s"),
    ("Số lần chuyển nguồn phát", "switches"),
    // What each stream output carried (`[[stream]]`): after the relay's columns, for the
    // same reason.
    ("Luồng phát (cụm loa IP)", "streams"),
    // Where an inbound bulletin came from (`[province] inbox`): last, for the same reason.
    ("Nguồn gửi", "source"),
];

/// Number of export columns.
pub(super) const COLUMN_COUNT: usize = COLUMNS.len();

/// The export's header row.
pub fn export_headers(lang: Lang) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|&(vi, en)| match lang {
            Lang::Vi => vi,
            Lang::En => en,
        })
        .collect()
}

/// `completed` → `đã phát` (vi): the words of the message table ([`crate::words`]).
pub fn outcome_label(lang: Lang, value: Outcome) -> Cow<'static, str> {
    value.say(lang)
}

/// An outcome by its serde name, as the report's counters keep it: the known ones in
/// `lang`, a name no variant has unchanged.
pub fn outcome_name_label(lang: Lang, name: &str) -> Cow<'_, str> {
    let known = crate::words::all_outcomes()
        .into_iter()
        .find(|o| o.to_string() == name);
    match known {
        Some(o) => o.say(lang),
        None => Cow::Borrowed(name),
    }
}

/// `schedule` → `theo lịch`, `catch-up` → `phát bù` (vi).
pub fn trigger_label(lang: Lang, value: Trigger) -> Cow<'static, str> {
    value.say(lang)
}

/// `intro` → `nhạc hiệu mở đầu` (vi).
pub fn role_label(lang: Lang, value: Role) -> Cow<'static, str> {
    value.say(lang)
}

/// Circular 39/2020's levels: `emergency` → `khẩn cấp` (vi).
pub fn priority_label(lang: Lang, value: Priority) -> Cow<'static, str> {
    value.say(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_pass_through() {
        assert_eq!(outcome_name_label(Lang::Vi, "completed"), "đã phát");
        assert_eq!(outcome_name_label(Lang::Vi, "vanished"), "vanished");
        assert_eq!(outcome_name_label(Lang::En, "completed"), "completed");
        assert_eq!(trigger_label(Lang::Vi, Trigger::CatchUp), "phát bù");
        assert_eq!(export_headers(Lang::Vi).len(), COLUMN_COUNT);
    }
}
