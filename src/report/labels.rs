//! Words shown to the office: column headers and the translated values of the log's enums.
//!
//! Values are matched by their serde names (`completed`, `catch_up`…), never by variant, so
//! a value added to the model later still exports: unknown names pass through unchanged.

use super::Lang;

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

fn translate<'a>(lang: Lang, name: &'a str, table: &[(&str, &'static str)]) -> &'a str {
    match lang {
        Lang::En => name,
        Lang::Vi => table
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(name, |&(_, v)| v),
    }
}

/// `completed` → `đã phát` (vi); unknown outcomes unchanged.
pub fn outcome_label(lang: Lang, name: &str) -> &str {
    translate(
        lang,
        name,
        &[
            ("completed", "đã phát"),
            ("interrupted", "bị ngắt"),
            ("failed", "lỗi"),
            ("skipped", "bỏ qua"),
            ("missed", "bị lỡ"),
        ],
    )
}

/// `schedule` → `theo lịch` (vi).
pub fn trigger_label(lang: Lang, name: &str) -> &str {
    translate(
        lang,
        name,
        &[
            ("schedule", "theo lịch"),
            ("manual", "thủ công"),
            ("catch_up", "phát bù"),
            ("emergency", "khẩn cấp"),
        ],
    )
}

/// `intro` → `nhạc hiệu mở đầu` (vi).
pub fn role_label(lang: Lang, name: &str) -> &str {
    translate(
        lang,
        name,
        &[
            ("intro", "nhạc hiệu mở đầu"),
            ("item", "bản tin"),
            ("outro", "nhạc hiệu kết thúc"),
            ("separator", "nhạc chuyển tiếp"),
        ],
    )
}

/// Circular 39/2020's levels: `emergency` → `khẩn cấp` (vi).
pub fn priority_label(lang: Lang, name: &str) -> &str {
    translate(
        lang,
        name,
        &[
            ("normal", "thông thường"),
            ("priority", "ưu tiên"),
            ("emergency", "khẩn cấp"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_pass_through() {
        assert_eq!(outcome_label(Lang::Vi, "completed"), "đã phát");
        assert_eq!(outcome_label(Lang::Vi, "vanished"), "vanished");
        assert_eq!(outcome_label(Lang::En, "completed"), "completed");
        assert_eq!(export_headers(Lang::Vi).len(), COLUMN_COUNT);
    }
}
