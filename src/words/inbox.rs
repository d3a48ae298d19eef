//! Why a bulletin from the province was quarantined (`INBOX/quarantine/`), as codes with
//! parameters, and their words in both languages: the reason file beside the quarantined
//! files, `loaxa inbox` and the API say them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{ErrorCode, Lang, Say, pick, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum InboxProblem {
    /// The sidecar is larger than any bulletin's needs to be.
    SidecarTooLarge { bytes: u64, max: u64 },
    /// The sidecar cannot be read (`detail`: the system's error).
    SidecarUnreadable { detail: String },
    /// The sidecar is not UTF-8 text.
    SidecarNotUtf8,
    /// The sidecar is not JSON (where the JSON breaks).
    SidecarNotJson { line: u64, column: u64 },
    /// The sidecar is JSON but not an object (`{…}`).
    SidecarNotObject,
    /// A field this loaxa does not know (a typo, or a newer format).
    UnknownField { field: String },
    /// A field every bulletin must have.
    FieldMissing { field: String },
    /// A field of the wrong kind (`expected`: `text` or `object`).
    FieldWrongType { field: String, expected: String },
    /// A text field longer than its limit (characters).
    FieldTooLong { field: String, max: u64 },
    /// A text field that is empty.
    FieldEmpty { field: String },
    /// An `id` with characters other than letters, digits and `-_.`, or too long.
    BadId { id: String, max: u64 },
    /// A `level` that is not `normal`, `priority` or `emergency`.
    BadLevel { value: String },
    /// A date or time that does not read (`YYYY-MM-DD` or RFC 3339).
    BadTime { field: String, value: String },
    /// `valid_from` after `valid_until`.
    DatesReversed { from: String, until: String },
    /// A `repeat.every` that does not read or is out of range.
    BadEvery { value: String, range: String },
    /// A `repeat.until` too far ahead.
    UntilTooFar { until: String, ahead: String },
    /// A `repeat` on a bulletin that is not an emergency.
    RepeatNotEmergency,
    /// A `sha256` that is not 64 hex digits.
    BadSha256 { value: String },
    /// Both an audio file and a `text`: which one airs?
    AudioAndText,
    /// The audio's sha256 is not the one the sidecar gives: damaged or not the file sent.
    Sha256Mismatch { expected: String, actual: String },
    /// The id was imported before with other content.
    IdReused {
        id: String,
        before: String,
        now: String,
    },
    /// The import refused the audio, or the text could not be read aloud.
    ImportRefused { error: ErrorCode },
    /// The import failed (`detail`: the error).
    ImportFailed { detail: String },
}

impl InboxProblem {
    /// The stable code (`sha256_mismatch`…).
    pub fn code(&self) -> String {
        super::code_of(self)
    }

    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<InboxProblem> {
        use InboxProblem as P;
        let field = || "title".to_string();
        vec![
            P::SidecarTooLarge {
                bytes: 300_000,
                max: 262_144,
            },
            P::SidecarUnreadable {
                detail: "EACCES".into(),
            },
            P::SidecarNotUtf8,
            P::SidecarNotJson { line: 3, column: 7 },
            P::SidecarNotObject,
            P::UnknownField {
                field: "muc_do".into(),
            },
            P::FieldMissing { field: field() },
            P::FieldWrongType {
                field: field(),
                expected: "text".into(),
            },
            P::FieldTooLong {
                field: field(),
                max: 500,
            },
            P::FieldEmpty { field: field() },
            P::BadId {
                id: "../x".into(),
                max: 64,
            },
            P::BadLevel {
                value: "urgent".into(),
            },
            P::BadTime {
                field: "valid_until".into(),
                value: "31/12".into(),
            },
            P::DatesReversed {
                from: "2026-10-02".into(),
                until: "2026-10-01".into(),
            },
            P::BadEvery {
                value: "2 giờ".into(),
                range: "1m to 31d".into(),
            },
            P::UntilTooFar {
                until: "2099-01-01 00:00 UTC".into(),
                ahead: "366d".into(),
            },
            P::RepeatNotEmergency,
            P::BadSha256 {
                value: "abc".into(),
            },
            P::AudioAndText,
            P::Sha256Mismatch {
                expected: "ab".repeat(32),
                actual: "cd".repeat(32),
            },
            P::IdReused {
                id: "QNG-2026-17".into(),
                before: "abababab".into(),
                now: "cdcdcdcd".into(),
            },
            P::ImportRefused {
                error: ErrorCode::File(super::FileCode::FileEmpty {
                    file: "QNG-2026-17.mp3".into(),
                }),
            },
            P::ImportFailed {
                detail: "ENOSPC".into(),
            },
        ]
    }
}

impl Say for InboxProblem {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use InboxProblem as P;
        match self {
            P::SidecarTooLarge { bytes, max } => pick_owned(
                lang,
                format!("tệp mô tả (JSON) dài {bytes} byte, quá giới hạn {max} byte"),
                format!("the sidecar (JSON) is {bytes} bytes, over the {max}-byte limit"),
            ),
            P::SidecarUnreadable { detail } => pick_owned(
                lang,
                format!("không đọc được tệp mô tả (JSON): {detail}"),
                format!("cannot read the sidecar (JSON): {detail}"),
            ),
            P::SidecarNotUtf8 => pick(
                lang,
                "tệp mô tả (JSON) không phải văn bản UTF-8",
                "the sidecar (JSON) is not UTF-8 text",
            ),
            P::SidecarNotJson { line, column } => pick_owned(
                lang,
                format!("tệp mô tả không đúng cú pháp JSON (dòng {line}, cột {column})"),
                format!("the sidecar is not valid JSON (line {line}, column {column})"),
            ),
            P::SidecarNotObject => pick(
                lang,
                "tệp mô tả phải là một đối tượng JSON {…}",
                "the sidecar must be a JSON object {…}",
            ),
            P::UnknownField { field } => pick_owned(
                lang,
                format!("trường `{field}` không có trong mẫu bản tin của tỉnh"),
                format!("field `{field}` is not part of the bulletin format"),
            ),
            P::FieldMissing { field } => pick_owned(
                lang,
                format!("thiếu trường bắt buộc `{field}`"),
                format!("required field `{field}` is missing"),
            ),
            P::FieldWrongType { field, expected } => {
                let (vi, en) = match expected.as_str() {
                    "object" => ("một đối tượng {…}", "an object {…}"),
                    _ => ("chuỗi văn bản", "text"),
                };
                pick_owned(
                    lang,
                    format!("trường `{field}` phải là {vi}"),
                    format!("field `{field}` must be {en}"),
                )
            }
            P::FieldTooLong { field, max } => pick_owned(
                lang,
                format!("trường `{field}` dài quá {max} ký tự"),
                format!("field `{field}` is longer than {max} characters"),
            ),
            P::FieldEmpty { field } => pick_owned(
                lang,
                format!("trường `{field}` trống"),
                format!("field `{field}` is empty"),
            ),
            P::BadId { id, max } => pick_owned(
                lang,
                format!(
                    "mã bản tin «{id}» chỉ được gồm chữ cái không dấu, chữ số và - _ . (tối đa {max} ký tự)"
                ),
                format!(
                    "bulletin id «{id}» may hold only ASCII letters, digits and - _ . (at most {max} characters)"
                ),
            ),
            P::BadLevel { value } => pick_owned(
                lang,
                format!(
                    "mức độ «{value}» không hợp lệ: dùng `normal` (thông thường), `priority` (ưu tiên) hoặc `emergency` (khẩn cấp)"
                ),
                format!("level «{value}» is not `normal`, `priority` or `emergency`"),
            ),
            P::BadTime { field, value } => pick_owned(
                lang,
                format!(
                    "trường `{field}` = «{value}» không đọc được: dùng ngày YYYY-MM-DD hoặc thời điểm RFC 3339 (2026-10-01T18:00:00+07:00)"
                ),
                format!(
                    "field `{field}` = «{value}» does not read: use a date YYYY-MM-DD or an RFC 3339 time (2026-10-01T18:00:00+07:00)"
                ),
            ),
            P::DatesReversed { from, until } => pick_owned(
                lang,
                format!("ngày bắt đầu hiệu lực {from} sau ngày hết hiệu lực {until}"),
                format!("valid_from {from} is after valid_until {until}"),
            ),
            P::BadEvery { value, range } => pick_owned(
                lang,
                format!(
                    "chu kỳ lặp «{value}» không hợp lệ: ghi như 2h, 90m, 1d, trong khoảng {}",
                    range.replace(" to ", " đến ")
                ),
                format!("repeat every «{value}» is not valid: write 2h, 90m, 1d, within {range}"),
            ),
            P::UntilTooFar { until, ahead } => pick_owned(
                lang,
                format!("lặp lại đến {until}: xa quá {ahead} kể từ bây giờ"),
                format!("repeat until {until} is more than {ahead} ahead"),
            ),
            P::RepeatNotEmergency => pick(
                lang,
                "chỉ bản tin khẩn cấp mới được lặp lại (`repeat`)",
                "only an emergency bulletin may `repeat`",
            ),
            P::BadSha256 { value } => pick_owned(
                lang,
                format!("mã sha256 «{value}» phải gồm 64 chữ số hệ mười sáu"),
                format!("sha256 «{value}» must be 64 hex digits"),
            ),
            P::AudioAndText => pick(
                lang,
                "bản tin có cả tệp âm thanh lẫn văn bản (text): không biết phát cái nào",
                "the bulletin has both an audio file and a text: which one should air?",
            ),
            P::Sha256Mismatch { expected, actual } => pick_owned(
                lang,
                format!(
                    "tệp âm thanh không khớp mã sha256 của tỉnh (cần {expected}, nhận được {actual}): tệp hỏng hoặc gửi nhầm"
                ),
                format!(
                    "the audio does not match the sidecar's sha256 (expected {expected}, got {actual}): damaged or the wrong file"
                ),
            ),
            P::IdReused { id, before, now } => pick_owned(
                lang,
                format!(
                    "mã bản tin «{id}» đã nhận trước đây với nội dung khác (sha256 {before}…, nay {now}…): bản đính chính phải có mã mới"
                ),
                format!(
                    "bulletin id «{id}» was received before with other content (sha256 {before}…, now {now}…): a correction needs a new id"
                ),
            ),
            P::ImportRefused { error } => pick_owned(
                lang,
                format!("không nhập được bản tin: {}", error.say(lang)),
                format!("the bulletin could not be imported: {}", error.say(lang)),
            ),
            P::ImportFailed { detail } => pick_owned(
                lang,
                format!("lỗi khi nhập bản tin: {detail}"),
                format!("importing the bulletin failed: {detail}"),
            ),
        }
    }
}

impl Say for crate::store::InboxAction {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use crate::store::InboxAction as A;
        match self {
            A::AiredAtOnce => pick(lang, "đã phát ngay (khẩn cấp)", "aired at once (emergency)"),
            A::Expired => pick(
                lang,
                "đến sau khi hết hiệu lực: đã lưu, không phát",
                "arrived after its validity: kept, not aired",
            ),
            A::Queued => pick(
                lang,
                "xếp đầu hàng chờ cho chương trình tới (ưu tiên)",
                "queued first for the next program (priority)",
            ),
            A::AwaitsApproval => pick(lang, "chờ duyệt", "awaits approval"),
            A::InLibrary => pick(
                lang,
                "trong thư viện, chờ đài xếp lịch",
                "in the library for the station to schedule",
            ),
        }
    }
}
