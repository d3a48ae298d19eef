//! The codes of refusals and errors the operator meets (API answers, CLI errors), with their
//! parameters: `{"code":"no_segment","id":12}`.
//!
//! The specific codes are the ones an operator meets day to day; the generic ones
//! (`bad_request`, `not_found`…) carry the English text of a message that has no code of its
//! own yet as `detail`, under a Vietnamese heading.

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FileCode, Lang, Reason, RefusalCode, Say, pick, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ErrorCode {
    /// Skip or stop with nothing on air.
    NothingOnAir,
    /// The daemon is shutting down.
    DaemonStopping,
    /// A command that needs the daemon, and no daemon answers.
    DaemonNotRunning,
    /// There is no segment with this id.
    NoSegment { id: u64 },
    /// The segment may not air today (validity dates, approval).
    SegmentCannotAir {
        id: u64,
        title: String,
        reason: Reason,
    },
    /// Queued, the segment would never air.
    SegmentNeverAirs {
        id: u64,
        title: String,
        reason: Reason,
    },
    /// Play or queue without a segment id.
    NoSegmentGiven,
    /// There is no queue entry with this number.
    NoQueueEntry { qid: u64 },
    /// There is no emergency repeat with this number.
    NoEmergencyRepeat { id: u64 },
    /// A topic the station's `[topics]` does not list.
    UnknownTopic { topic: String, known: Vec<String> },
    /// An empty title.
    TitleEmpty,
    /// `valid_from` after `valid_until`.
    DatesReversed { from: NaiveDate, until: NaiveDate },
    /// The station's disk is full.
    DiskFull,
    /// The API needs a token and none was sent.
    TokenMissing,
    /// The token sent is wrong.
    TokenWrong,
    /// The upload is larger than `[api] max_upload_mb`.
    UploadTooLarge { limit_mb: u64 },
    /// No API route at this address.
    NoRoute { path: String },
    /// A request the station cannot take (400).
    BadRequest { detail: String },
    /// Something asked for does not exist (404).
    NotFound { detail: String },
    /// The request conflicts with the station's state (409).
    Conflict { detail: String },
    /// A body too large (413).
    TooLarge { detail: String },
    /// A body of the wrong type (415).
    UnsupportedMedia { detail: String },
    /// A file the station cannot air (422: not audio, damaged, unsupported).
    Unprocessable { detail: String },
    /// The station is busy or stopping (503).
    Unavailable { detail: String },
    /// The station failed (500): see the daemon's log.
    Internal { detail: String },
    /// The sound device named in `[output]` or `--output` does not exist; `available` lists
    /// the output devices there are, `card` whether any of them is a real sound card.
    NoSoundDevice {
        device: String,
        available: Vec<String>,
        card: bool,
    },
    /// A file refused by the import check or the media store, with its own code
    /// (`file_not_audio`…): serialised flat, like every other code.
    #[serde(untagged)]
    File(FileCode),
    /// A refusal of the service layer with its own code (`segment_in_use`…).
    #[serde(untagged)]
    Refused(RefusalCode),
}

impl ErrorCode {
    /// The stable code (`no_segment`…).
    pub fn code(&self) -> String {
        super::code_of(self)
    }

    /// What to do about it, in `lang`, when the code knows.
    pub fn hint(&self, lang: Lang) -> Option<Cow<'static, str>> {
        Some(match self {
            ErrorCode::NothingOnAir => pick(
                lang,
                "`loaxa now` (trang Đang phát) cho biết đang phát gì và khi nào có chương trình tiếp",
                "`loaxa now` shows what is on air and when the next program starts",
            ),
            ErrorCode::DaemonStopping => pick(
                lang,
                "khởi động lại bằng `loaxa run`",
                "start it again with `loaxa run`",
            ),
            ErrorCode::DaemonNotRunning => pick(
                lang,
                "khởi động bằng `loaxa run` (hoặc `systemctl start loaxa`) rồi thử lại",
                "start it with `loaxa run` (or `systemctl start loaxa`), then try again",
            ),
            ErrorCode::NoSegment { .. } | ErrorCode::NoSegmentGiven => pick(
                lang,
                "`loaxa segment list` (trang Bản tin) cho biết mã các bản tin",
                "`loaxa segment list` (GET /api/v1/segments) shows the ids",
            ),
            ErrorCode::SegmentCannotAir { .. } => pick(
                lang,
                "sửa ngày hiệu lực hoặc duyệt bản tin, rồi thử lại",
                "change its validity dates or approve it, then try again",
            ),
            ErrorCode::SegmentNeverAirs { .. } => {
                pick(lang, "hãy thêm bản tin mới hơn", "add a newer version")
            }
            ErrorCode::NoQueueEntry { .. } => pick(
                lang,
                "`loaxa queue list` cho biết số thứ tự trong hàng chờ",
                "`loaxa queue list` shows the numbers",
            ),
            ErrorCode::NoEmergencyRepeat { .. } => pick(
                lang,
                "`loaxa emergency list` cho biết các lượt phát khẩn cấp lặp lại sắp tới",
                "`loaxa emergency list` shows the repeats to come",
            ),
            ErrorCode::UnknownTopic { known, .. } => pick_owned(
                lang,
                format!("dùng một trong các chuyên mục: {}", known.join(", ")),
                format!("use one of {}", known.join(", ")),
            ),
            ErrorCode::TitleEmpty => pick(lang, "hãy đặt tiêu đề", "give it a title"),
            ErrorCode::DatesReversed { .. } => {
                pick(lang, "hãy đổi chỗ hai ngày", "swap the two dates")
            }
            ErrorCode::DiskFull => pick(
                lang,
                "giải phóng ổ đĩa của máy đài (`df -h` cho biết ổ nào đầy) rồi thử lại; đài vẫn phát \
                 trong lúc đó",
                "free disk space on the station PC (`df -h` shows which disk is full), then try \
                 again; the station keeps airing meanwhile",
            ),
            ErrorCode::TokenMissing | ErrorCode::TokenWrong => pick(
                lang,
                "nhập mã truy cập của đài (dòng lệnh: `LOAXA_TOKEN` hoặc `--token`)",
                "send Authorization: Bearer TOKEN (the CLI reads LOAXA_TOKEN or --token)",
            ),
            ErrorCode::UploadTooLarge { .. } => pick(
                lang,
                "nén tệp lại hoặc tăng `[api] max_upload_mb`",
                "compress it or raise [api] max_upload_mb",
            ),
            ErrorCode::Internal { .. } => pick(
                lang,
                "xem nhật ký của phần mềm (`journalctl -u loaxa`) để biết chi tiết",
                "see the daemon's log (journalctl -u loaxa) for details",
            ),
            ErrorCode::NoSoundDevice { card: true, .. } => pick(
                lang,
                "dùng một trong các tên trên (`aplay -L` liệt kê cùng các tên PCM)",
                "use one of the names above (`aplay -L` lists the same PCM names)",
            ),
            ErrorCode::NoSoundDevice { card: false, .. } => pick(
                lang,
                "máy không thấy card âm thanh nào: để phát vào tệp, dùng `--output wav:ĐƯỜNG_DẪN` \
                 (hoặc `raw:ĐƯỜNG_DẪN`, hoặc `null` chỉ để giữ giờ)",
                "no sound card is visible: to air into a file instead, use `--output wav:PATH` \
                 (or `raw:PATH`, or `null` to only keep time)",
            ),
            ErrorCode::NoRoute { .. }
            | ErrorCode::BadRequest { .. }
            | ErrorCode::NotFound { .. }
            | ErrorCode::Conflict { .. }
            | ErrorCode::TooLarge { .. }
            | ErrorCode::UnsupportedMedia { .. }
            | ErrorCode::Unprocessable { .. }
            | ErrorCode::Unavailable { .. }
            | ErrorCode::File(_) => return None,
            ErrorCode::Refused(r) => return r.hint(lang),
        })
    }

    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<ErrorCode> {
        let day = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap_or_default();
        let detail = || "E: x".to_string();
        vec![
            ErrorCode::NothingOnAir,
            ErrorCode::DaemonStopping,
            ErrorCode::DaemonNotRunning,
            ErrorCode::NoSegment { id: 12 },
            ErrorCode::SegmentCannotAir {
                id: 12,
                title: "Bản tin".into(),
                reason: Reason::NotApproved,
            },
            ErrorCode::SegmentNeverAirs {
                id: 12,
                title: "Bản tin".into(),
                reason: Reason::Expired { until: day },
            },
            ErrorCode::NoSegmentGiven,
            ErrorCode::NoQueueEntry { qid: 3 },
            ErrorCode::NoEmergencyRepeat { id: 2 },
            ErrorCode::UnknownTopic {
                topic: "abc".into(),
                known: vec!["cds".into()],
            },
            ErrorCode::TitleEmpty,
            ErrorCode::DatesReversed {
                from: day,
                until: day,
            },
            ErrorCode::DiskFull,
            ErrorCode::TokenMissing,
            ErrorCode::TokenWrong,
            ErrorCode::UploadTooLarge { limit_mb: 200 },
            ErrorCode::NoRoute {
                path: "/api/v1/x".into(),
            },
            ErrorCode::BadRequest { detail: detail() },
            ErrorCode::NotFound { detail: detail() },
            ErrorCode::Conflict { detail: detail() },
            ErrorCode::TooLarge { detail: detail() },
            ErrorCode::UnsupportedMedia { detail: detail() },
            ErrorCode::Unprocessable { detail: detail() },
            ErrorCode::Unavailable { detail: detail() },
            ErrorCode::Internal { detail: detail() },
            ErrorCode::NoSoundDevice {
                device: "default".into(),
                available: vec!["alsa:null".into()],
                card: false,
            },
        ]
        .into_iter()
        .chain(FileCode::samples().into_iter().map(ErrorCode::File))
        .chain(RefusalCode::samples().into_iter().map(ErrorCode::Refused))
        .collect()
    }

    /// The English message and hint as one text, `message\n  hint: fix`: how the service
    /// layer's errors read (and how the API's `from_text` splits them).
    pub fn english(&self) -> String {
        match self.hint(Lang::En) {
            Some(h) => format!("{}\n  hint: {h}", self.say(Lang::En)),
            None => self.say(Lang::En).into_owned(),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

impl std::error::Error for ErrorCode {}

impl Say for ErrorCode {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            ErrorCode::NothingOnAir => pick(
                lang,
                "hiện không có gì đang phát",
                "nothing is on air right now",
            ),
            ErrorCode::DaemonStopping => {
                pick(lang, "phần mềm đang tắt", "the daemon is shutting down")
            }
            ErrorCode::DaemonNotRunning => pick(
                lang,
                "phần mềm phát sóng chưa chạy",
                "the daemon is not running",
            ),
            ErrorCode::NoSegment { id } => pick_owned(
                lang,
                format!("không có bản tin số {id}"),
                format!("there is no segment {id}"),
            ),
            ErrorCode::SegmentCannotAir { id, title, reason } => pick_owned(
                lang,
                format!(
                    "bản tin số {id} «{title}» không phát được: {}",
                    reason.say(lang)
                ),
                format!("segment {id} «{title}» cannot air: {}", reason.say(lang)),
            ),
            ErrorCode::SegmentNeverAirs { id, title, reason } => pick_owned(
                lang,
                format!(
                    "bản tin số {id} «{title}» {}: sẽ không bao giờ được phát",
                    reason.say(lang)
                ),
                format!(
                    "segment {id} «{title}» {}: it would never air",
                    reason.say(lang)
                ),
            ),
            ErrorCode::NoSegmentGiven => pick(lang, "chưa chọn bản tin nào", "no segment given"),
            ErrorCode::NoQueueEntry { qid } => pick_owned(
                lang,
                format!("không có mục số {qid} trong hàng chờ"),
                format!("there is no queue entry {qid}"),
            ),
            ErrorCode::NoEmergencyRepeat { id } => pick_owned(
                lang,
                format!("không có lượt phát khẩn cấp lặp lại số {id}"),
                format!("there is no emergency repeat {id}"),
            ),
            ErrorCode::UnknownTopic { topic, .. } => pick_owned(
                lang,
                format!("chuyên mục «{topic}» không có trong cấu hình"),
                format!("unknown topic `{topic}`"),
            ),
            ErrorCode::TitleEmpty => pick(lang, "tiêu đề đang trống", "the title is empty"),
            ErrorCode::DatesReversed { from, until } => pick_owned(
                lang,
                format!(
                    "ngày bắt đầu hiệu lực {} sau ngày hết hiệu lực {}",
                    from.format("%d/%m/%Y"),
                    until.format("%d/%m/%Y")
                ),
                format!("valid from {from} is after valid until {until}"),
            ),
            ErrorCode::DiskFull => pick(
                lang,
                "ổ đĩa của máy đài đã đầy",
                "the disk is full (No space left on device)",
            ),
            ErrorCode::TokenMissing => pick(
                lang,
                "đài yêu cầu mã truy cập",
                "this station's API needs an access token",
            ),
            ErrorCode::TokenWrong => {
                pick(lang, "mã truy cập không đúng", "the access token is wrong")
            }
            ErrorCode::UploadTooLarge { limit_mb } => pick_owned(
                lang,
                format!("tệp tải lên vượt giới hạn {limit_mb} MB"),
                format!("the upload is larger than the limit of {limit_mb} MB"),
            ),
            ErrorCode::NoRoute { path } => pick_owned(
                lang,
                format!("không có địa chỉ {path}"),
                format!("there is no API route {path}"),
            ),
            ErrorCode::BadRequest { detail } => pick_owned(
                lang,
                format!("yêu cầu không hợp lệ ({detail})"),
                detail.clone(),
            ),
            ErrorCode::NotFound { detail } => {
                pick_owned(lang, format!("không tìm thấy ({detail})"), detail.clone())
            }
            ErrorCode::Conflict { detail } => pick_owned(
                lang,
                format!("không thực hiện được lúc này ({detail})"),
                detail.clone(),
            ),
            ErrorCode::TooLarge { detail } => pick_owned(
                lang,
                format!("dữ liệu gửi lên quá lớn ({detail})"),
                detail.clone(),
            ),
            ErrorCode::UnsupportedMedia { detail } => pick_owned(
                lang,
                format!("kiểu dữ liệu không được hỗ trợ ({detail})"),
                detail.clone(),
            ),
            ErrorCode::Unprocessable { detail } => pick_owned(
                lang,
                format!("tệp không phát được ({detail})"),
                detail.clone(),
            ),
            ErrorCode::Unavailable { detail } => pick_owned(
                lang,
                format!("đài tạm thời không đáp ứng được ({detail})"),
                detail.clone(),
            ),
            ErrorCode::Internal { detail } => {
                pick_owned(lang, format!("lỗi của phần mềm ({detail})"), detail.clone())
            }
            ErrorCode::NoSoundDevice {
                device, available, ..
            } => {
                let list = |none: &str| {
                    if available.is_empty() {
                        none.to_string()
                    } else {
                        available.join(", ")
                    }
                };
                pick_owned(
                    lang,
                    format!(
                        "không tìm thấy thiết bị âm thanh `{device}`; các thiết bị phát có: {}",
                        list("không có")
                    ),
                    format!(
                        "sound device `{device}` not found; available output devices: {}",
                        list("none")
                    ),
                )
            }
            ErrorCode::File(file) => file.say(lang),
            ErrorCode::Refused(r) => r.say(lang),
        }
    }
}
