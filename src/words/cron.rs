//! What is wrong in a cron line, as codes with parameters; the column stays in
//! [`crate::schedule::CronError`]. The English words are the ones earlier builds printed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick, pick_owned};

/// A field of a Unix crontab line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CronField {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Say for CronField {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            CronField::Minute => pick(lang, "trường phút", "minute field"),
            CronField::Hour => pick(lang, "trường giờ", "hour field"),
            CronField::DayOfMonth => pick(lang, "trường ngày trong tháng", "day-of-month field"),
            CronField::Month => pick(lang, "trường tháng", "month field"),
            CronField::DayOfWeek => pick(lang, "trường thứ trong tuần", "day-of-week field"),
        }
    }
}

impl CronField {
    /// What the field accepts, with an example.
    fn hint(self, lang: Lang) -> Cow<'static, str> {
        match self {
            CronField::Minute => pick(
                lang,
                "phút từ 0 đến 59: `30 5 * * *` là 05:30 hằng ngày, `*/15 * * * *` là mỗi 15 phút",
                "minutes are 0-59: `30 5 * * *` is 05:30 every day, `*/15 * * * *` every quarter hour",
            ),
            CronField::Hour => pick(
                lang,
                "giờ từ 0 đến 23: `0 17 * * *` là 17:00 hằng ngày, `0 */2 * * *` là mỗi 2 giờ",
                "hours are 0-23: `0 17 * * *` is 17:00 every day, `0 */2 * * *` every two hours",
            ),
            CronField::DayOfMonth => pick(
                lang,
                "ngày trong tháng từ 1 đến 31: `0 6 15 * *` là 06:00 ngày 15",
                "days of the month are 1-31: `0 6 15 * *` is 06:00 on the 15th",
            ),
            CronField::Month => pick(
                lang,
                "tháng từ 1 đến 12 hoặc tên: `0 6 * 9-12 *` là 06:00 mỗi ngày từ tháng 9 đến tháng 12",
                "months are 1-12 or names: `0 6 * 9-12 *` is 06:00 every day from September to December",
            ),
            CronField::DayOfWeek => pick(
                lang,
                "thứ trong tuần từ 0 đến 7 (0 và 7 là Chủ nhật) hoặc tên: `0 6 * * 1-5` hay \
                 `0 6 * * Mon-Fri` là 06:00 từ thứ Hai đến thứ Sáu",
                "days of the week are 0-7 (0 and 7 are Sunday) or names: `0 6 * * 1-5` or \
                 `0 6 * * Mon-Fri` is 06:00 Monday to Friday",
            ),
        }
    }
}

/// Why a cron line was refused. `item` is the whole field as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CronProblem {
    /// Neither 5 fields (Unix crontab) nor 6/7 (seconds first).
    FieldCount { text: String, count: u64 },
    /// An `@word` that is not `@hourly`, `@daily`…
    UnknownMacro { word: String },
    /// A field with an empty value (`1-`, `,5`).
    ValueMissing { field: CronField, item: String },
    /// An empty item in a list (`1,,5`).
    EmptyItem { field: CronField, item: String },
    /// A value that is neither a number nor a name of the field.
    NotANumber {
        field: CronField,
        item: String,
        text: String,
    },
    OutOfRange {
        field: CronField,
        item: String,
        value: u64,
        min: u64,
        max: u64,
    },
    /// `*/0`, `*/x`.
    BadStep {
        field: CronField,
        item: String,
        step: String,
    },
    /// `50-10` in a field that does not wrap.
    Backwards {
        field: CronField,
        item: String,
        range: String,
        from: u64,
        to: u64,
        min: u64,
        max: u64,
    },
    /// A number in the day-of-week field of a 6/7-field line.
    NumericWeekday { item: String },
    /// A 6/7-field line the cron crate refused (`detail`: its message).
    NotCron { text: String, detail: String },
    /// loaxa's own translation of a valid line was refused: a bug.
    Internal { line: String, detail: String },
}

impl Say for CronProblem {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use CronProblem as P;
        let field = |f: &CronField, item: &str| format!("{} `{item}`", f.say(lang));
        match self {
            P::FieldCount { text, count } => pick_owned(
                lang,
                format!(
                    "`{text}` có {count} trường; cần 5 (kiểu crontab Unix: phút giờ ngày tháng thứ) \
                     hoặc 6/7 (giây đứng đầu)"
                ),
                format!(
                    "`{text}` has {count} field{}; expected 5 (Unix crontab: minute hour \
                     day-of-month month day-of-week) or 6/7 (seconds first)",
                    if *count == 1 { "" } else { "s" }
                ),
            ),
            P::UnknownMacro { word } => pick_owned(
                lang,
                format!("loaxa không biết lịch `{word}`"),
                format!("`{word}` is not a schedule loaxa knows"),
            ),
            P::ValueMissing { field: f, item } => pick_owned(
                lang,
                format!("{}: thiếu một giá trị", field(f, item)),
                format!("{}: a value is missing", field(f, item)),
            ),
            P::EmptyItem { field: f, item } => pick_owned(
                lang,
                format!("{}: danh sách có một mục trống", field(f, item)),
                format!("{}: empty item in the list", field(f, item)),
            ),
            P::NotANumber {
                field: f,
                item,
                text,
            } => pick_owned(
                lang,
                format!("{}: `{text}` không phải số hay tên hợp lệ", field(f, item)),
                format!(
                    "{}: `{text}` is not a number or a known name",
                    field(f, item)
                ),
            ),
            P::OutOfRange {
                field: f,
                item,
                value,
                min,
                max,
            } => pick_owned(
                lang,
                format!("{}: {value} nằm ngoài khoảng {min}-{max}", field(f, item)),
                format!("{}: {value} is out of range ({min}-{max})", field(f, item)),
            ),
            P::BadStep {
                field: f,
                item,
                step,
            } => pick_owned(
                lang,
                format!(
                    "{}: bước `{step}` phải là số nguyên lớn hơn 0",
                    field(f, item)
                ),
                format!(
                    "{}: step `{step}` must be a whole number above 0",
                    field(f, item)
                ),
            ),
            P::Backwards {
                field: f,
                item,
                range,
                from,
                to,
                min,
                max,
            } => pick_owned(
                lang,
                format!(
                    "{}: khoảng `{range}` chạy ngược; hãy viết thành hai khoảng, ví dụ `{from}-{max},{min}-{to}`",
                    field(f, item)
                ),
                format!(
                    "{}: range `{range}` runs backwards; write it as two ranges, e.g. `{from}-{max},{min}-{to}`",
                    field(f, item)
                ),
            ),
            P::NumericWeekday { item } => pick_owned(
                lang,
                format!(
                    "{}: mỗi kiểu cron hiểu các số theo những ngày khác nhau",
                    field(&CronField::DayOfWeek, item)
                ),
                format!(
                    "{}: numbers mean different days in different cron dialects",
                    field(&CronField::DayOfWeek, item)
                ),
            ),
            P::NotCron { text, detail } => pick_owned(
                lang,
                format!("`{text}` không phải dòng cron 6/7 trường hợp lệ ({detail})"),
                format!("`{text}` is not a valid 6/7-field cron line: {detail}"),
            ),
            P::Internal { line, detail } => pick_owned(
                lang,
                format!(
                    "loaxa tự chuyển lịch thành `{line}` nhưng thư viện cron từ chối ({detail})"
                ),
                format!("internal translation `{line}` was refused by the cron crate: {detail}"),
            ),
        }
    }
}

impl CronProblem {
    /// A correct example or the way out.
    pub fn hint(&self, lang: Lang) -> Cow<'static, str> {
        use CronProblem as P;
        match self {
            P::FieldCount { .. } => pick(
                lang,
                "`30 5 * * *` là 05:30 hằng ngày; `0 17 * * Mon-Fri` là 17:00 từ thứ Hai đến thứ Sáu",
                "`30 5 * * *` is 05:30 every day; `0 17 * * Mon-Fri` is 17:00 Monday to Friday",
            ),
            P::UnknownMacro { .. } => pick(
                lang,
                "dùng @hourly, @daily, @weekly, @monthly, @yearly hoặc năm trường như `30 5 * * *`",
                "use @hourly, @daily, @weekly, @monthly, @yearly or five fields such as `30 5 * * *`",
            ),
            P::ValueMissing { field, .. }
            | P::EmptyItem { field, .. }
            | P::NotANumber { field, .. }
            | P::OutOfRange { field, .. }
            | P::BadStep { field, .. }
            | P::Backwards { field, .. } => field.hint(lang),
            P::NumericWeekday { .. } => pick(
                lang,
                "viết tên thứ như `MON-FRI`, hoặc dùng dạng Unix 5 trường `0 6 * * 1-5`",
                "write day names such as `MON-FRI`, or use the 5-field Unix form `0 6 * * 1-5`",
            ),
            P::NotCron { .. } => pick(
                lang,
                "6 trường là `giây phút giờ ngày tháng thứ`, ví dụ `0 30 5 * * MON-FRI`; hoặc dùng \
                 dạng Unix 5 trường `30 5 * * 1-5`",
                "6 fields are `sec min hour day-of-month month day-of-week`, e.g. \
                 `0 30 5 * * MON-FRI`; or use the 5-field Unix form `30 5 * * 1-5`",
            ),
            P::Internal { .. } => pick(
                lang,
                "hãy báo dòng này cho người phát triển loaxa",
                "please report this line to the loaxa developers",
            ),
        }
    }

    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<CronProblem> {
        let item = || "61".to_string();
        vec![
            CronProblem::FieldCount {
                text: "30 5 *".into(),
                count: 3,
            },
            CronProblem::UnknownMacro {
                word: "@sometimes".into(),
            },
            CronProblem::ValueMissing {
                field: CronField::Hour,
                item: "1-".into(),
            },
            CronProblem::EmptyItem {
                field: CronField::DayOfWeek,
                item: "1,,5".into(),
            },
            CronProblem::NotANumber {
                field: CronField::Month,
                item: "thang9".into(),
                text: "thang9".into(),
            },
            CronProblem::OutOfRange {
                field: CronField::Minute,
                item: item(),
                value: 61,
                min: 0,
                max: 59,
            },
            CronProblem::BadStep {
                field: CronField::DayOfMonth,
                item: "*/0".into(),
                step: "0".into(),
            },
            CronProblem::Backwards {
                field: CronField::Hour,
                item: "22-2".into(),
                range: "22-2".into(),
                from: 22,
                to: 2,
                min: 0,
                max: 23,
            },
            CronProblem::NumericWeekday { item: "1-5".into() },
            CronProblem::NotCron {
                text: "0 0 0 0 0 0".into(),
                detail: "E".into(),
            },
            CronProblem::Internal {
                line: "0 0 0 * * *".into(),
                detail: "E".into(),
            },
        ]
    }
}
