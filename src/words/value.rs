//! A value typed by the operator (a command-line flag, a query parameter) that does not read
//! as what it should be: the kind of value, what was typed, and the forms that work.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BadValue {
    SegmentId { value: String },
    Priority { value: String },
    Period { value: String },
    ExportFormat { value: String },
    ReportFormat { value: String },
    Separator { value: String },
    Lang { value: String },
    Anchor { value: String },
}

impl Say for BadValue {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            BadValue::SegmentId { value } => pick_owned(
                lang,
                format!("`{value}` không phải mã bản tin: mã là một số (xem `loaxa segment list`)"),
                format!(
                    "`{value}` is not a segment id (ids are numbers, see `loaxa segment list`)"
                ),
            ),
            BadValue::Priority { value } => pick_owned(
                lang,
                format!(
                    "`{value}` không phải mức ưu tiên: dùng normal (thông thường), priority (ưu tiên) hoặc emergency (khẩn cấp)"
                ),
                format!("`{value}` is not a priority: use normal, priority or emergency"),
            ),
            BadValue::Period { value } => pick_owned(
                lang,
                format!(
                    "`{value}` không phải kỳ báo cáo: viết NĂM-H1 hoặc NĂM-H2, ví dụ 2026-H1 (15/12/2025 – 14/06/2026)"
                ),
                format!(
                    "`{value}` is not a reporting period: write YEAR-H1 or YEAR-H2, e.g. 2026-H1 (15/12/2025 – 14/06/2026)"
                ),
            ),
            BadValue::ExportFormat { value } => pick_owned(
                lang,
                format!("`{value}` không phải định dạng xuất: dùng csv, jsonl hoặc xlsx"),
                format!("`{value}` is not an export format: use csv, jsonl or xlsx"),
            ),
            BadValue::ReportFormat { value } => pick_owned(
                lang,
                format!("`{value}` không phải định dạng báo cáo: dùng md, csv, xlsx hoặc html"),
                format!("`{value}` is not a report format: use md, csv, xlsx or html"),
            ),
            BadValue::Separator { value } => pick_owned(
                lang,
                format!(
                    "`{value}` không phải dấu phân cách: dùng comma (dấu phẩy) hoặc semicolon (dấu chấm phẩy)"
                ),
                format!("`{value}` is not a separator: use comma or semicolon"),
            ),
            BadValue::Lang { value } => pick_owned(
                lang,
                format!("`{value}` không phải ngôn ngữ: dùng vi (tiếng Việt) hoặc en (tiếng Anh)"),
                format!("`{value}` is not a language: use vi or en"),
            ),
            BadValue::Anchor { value } => pick_owned(
                lang,
                format!(
                    "`{value}` không có dạng BẢN_GHI:MÃ_BĂM, ví dụ 1234:5e1f… với 64 chữ số hex mà `loaxa log verify` đã in"
                ),
                format!(
                    "`{value}` is not RECORD:HASH, e.g. 1234:5e1f… with the 64 hex digits `loaxa log verify` printed"
                ),
            ),
        }
    }
}

/// In the terminal's language: only the CLI (clap, parsing a flag) prints this; the API
/// words a `BadValue` in the request's language with [`Say::say`].
impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say(super::cli_lang()))
    }
}

impl std::error::Error for BadValue {}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<BadValue> {
        let value = "zz".to_string();
        vec![
            BadValue::SegmentId {
                value: value.clone(),
            },
            BadValue::Priority {
                value: value.clone(),
            },
            BadValue::Period {
                value: value.clone(),
            },
            BadValue::ExportFormat {
                value: value.clone(),
            },
            BadValue::ReportFormat {
                value: value.clone(),
            },
            BadValue::Separator {
                value: value.clone(),
            },
            BadValue::Lang {
                value: value.clone(),
            },
            BadValue::Anchor { value },
        ]
    }

    #[test]
    fn every_kind_has_its_own_vietnamese_and_english_words() {
        for bad in samples() {
            let (vi, en) = (bad.say(Lang::Vi), bad.say(Lang::En));
            assert_ne!(vi, en, "{bad:?}");
            assert!(vi.contains("`zz` không"), "{vi}");
            assert!(en.contains("`zz` is not"), "{en}");
        }
    }
}
