//! The service layer's refusals of an operator's request, as codes with their parameters:
//! a segment still in use, a program that takes no queue, values out of range.
//!
//! Durations and times are parameters in the forms the operator types (`2h`,
//! `2026-05-31 06:00`); commands are between backticks.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RefusalCode {
    /// An operator's text longer than its limit (`field`: `title`, `topic`, `unit`,
    /// `approver's name`, `program name`).
    TextTooLong {
        field: String,
        len: usize,
        max: usize,
    },
    /// A gain offset outside ±`max` dB (`gain` as the operator gave it).
    GainOutOfRange { gain: String, max: String },
    /// Approval without the approver's name.
    ApproverMissing,
    /// A zone name that is empty, too long, or has spaces or commas.
    BadZone { zone: String },
    /// More zones than a segment may name.
    TooManyZones { count: usize, max: usize },
    /// A program name the config does not have.
    NoProgram { name: String, known: Vec<String> },
    /// A program with `queue = false`.
    ProgramTakesNoQueue { name: String, config: String },
    /// No enabled program takes queued segments.
    NoQueueProgram { config: String },
    /// A timetable of more days than allowed.
    DaysOutOfRange { days: u32, max: u32 },
    /// Deleting a segment an emergency repeat is still to air.
    SegmentInRepeat {
        id: u64,
        title: String,
        repeat: u64,
        every: String,
        until: String,
    },
    /// Deleting a segment that is queued or named by playlists, without `--force`.
    SegmentInUse {
        id: u64,
        title: String,
        queued: usize,
        playlists: Vec<String>,
    },
    /// An emergency repeat's `every` outside `min`…`max`.
    RepeatEveryOutOfRange {
        every: String,
        min: String,
        max: String,
    },
    /// An emergency repeat's `until` in the past.
    RepeatUntilPast { until: String },
    /// An emergency repeat's `until` more than `ahead` from now (`latest`).
    RepeatUntilTooFar {
        until: String,
        ahead: String,
        latest: String,
    },
    /// `reload` with a config that has errors: the running one stays (`detail`: the
    /// config's diagnostics).
    ReloadRefused { detail: String },
    /// A text bulletin without words.
    TtsTextEmpty,
    /// A voice the station does not offer (`[tts] voices`).
    TtsVoiceUnknown { voice: String, voices: Vec<String> },
    /// The speech engine is not installed (`package`: the Debian package that has it).
    TtsNotInstalled { program: String, package: String },
    /// The program of `[tts] command` cannot be run.
    TtsCommandMissing { program: String, detail: String },
    /// The speech engine ran and failed (`detail`: its last words, or what was wrong).
    TtsFailed { program: String, detail: String },
    /// A voice of `[tts] voices` the installed engine does not have.
    TtsVoiceNotInEngine { voice: String, program: String },
    /// A segment added with neither a topic nor `[station] default_topic`.
    TopicMissing { known: Vec<String> },
    /// A text file that cannot be read.
    TextFileUnreadable { path: String, detail: String },
    /// A text file that is not UTF-8.
    TextFileNotUtf8 { path: String },
    /// `[live] input` names no capture device (`available`: the ones there are).
    LiveInputMissing {
        input: String,
        available: Vec<String>,
    },
    /// The capture device exists but did not open (busy, not a capture device).
    LiveInputUnavailable { input: String, detail: String },
    /// A live airing is on (or waiting) already.
    LiveAlreadyOn,
    /// `live stop` with no live airing on.
    LiveNotOn,
}

/// The hint every refusal of a repeat ends with.
fn repeat_hint(lang: Lang) -> Cow<'static, str> {
    pick(
        lang,
        "bản tin bão thường phát lặp lại mỗi 2 giờ cho đến khi bão qua",
        "storm bulletins repeat every 2h until the storm has passed",
    )
}

/// A field's name in Vietnamese (the English one is the parameter).
fn field_vi(field: &str) -> &'static str {
    match field {
        "title" => "tiêu đề",
        "topic" => "chuyên mục",
        "unit" => "đơn vị",
        "approver's name" => "tên người duyệt",
        "program name" => "tên chương trình",
        "text" => "văn bản",
        "voice" => "tên giọng đọc",
        _ => "nội dung",
    }
}

impl RefusalCode {
    /// One of each variant, with sample parameters free of English words.
    pub fn samples() -> Vec<RefusalCode> {
        vec![
            RefusalCode::TextTooLong {
                field: "title".into(),
                len: 300,
                max: 200,
            },
            RefusalCode::GainOutOfRange {
                gain: "30".into(),
                max: "20".into(),
            },
            RefusalCode::ApproverMissing,
            RefusalCode::BadZone {
                zone: "thôn 1".into(),
            },
            RefusalCode::TooManyZones { count: 40, max: 32 },
            RefusalCode::NoProgram {
                name: "sang".into(),
                known: vec!["chieu".into()],
            },
            RefusalCode::ProgramTakesNoQueue {
                name: "sang".into(),
                config: "/etc/loaxa/loaxa.toml".into(),
            },
            RefusalCode::NoQueueProgram {
                config: "/etc/loaxa/loaxa.toml".into(),
            },
            RefusalCode::DaysOutOfRange { days: 999, max: 60 },
            RefusalCode::SegmentInRepeat {
                id: 12,
                title: "Bản tin".into(),
                repeat: 3,
                every: "2h".into(),
                until: "2026-05-31 06:00".into(),
            },
            RefusalCode::SegmentInUse {
                id: 12,
                title: "Bản tin".into(),
                queued: 2,
                playlists: vec!["sang".into()],
            },
            RefusalCode::RepeatEveryOutOfRange {
                every: "59s".into(),
                min: "1m".into(),
                max: "31d".into(),
            },
            RefusalCode::RepeatUntilPast {
                until: "2026-05-31 06:00 UTC".into(),
            },
            RefusalCode::RepeatUntilTooFar {
                until: "2028-05-31 06:00 UTC".into(),
                ahead: "366d".into(),
                latest: "2027-06-01 06:00 UTC".into(),
            },
            RefusalCode::ReloadRefused {
                detail: "loaxa.toml:3:1: E".into(),
            },
            RefusalCode::TtsTextEmpty,
            RefusalCode::TtsVoiceUnknown {
                voice: "vi-hue".into(),
                voices: vec!["vi".into(), "vi-vn-x-south".into()],
            },
            RefusalCode::TtsNotInstalled {
                program: "espeak-ng".into(),
                package: "espeak-ng".into(),
            },
            RefusalCode::TtsCommandMissing {
                program: "/opt/piper/piper".into(),
                detail: "ENOENT".into(),
            },
            RefusalCode::TtsFailed {
                program: "espeak-ng".into(),
                detail: "exit 1".into(),
            },
            RefusalCode::TtsVoiceNotInEngine {
                voice: "vi-hue".into(),
                program: "espeak-ng".into(),
            },
            RefusalCode::TopicMissing {
                known: vec!["cds".into()],
            },
            RefusalCode::TextFileUnreadable {
                path: "bản-tin.txt".into(),
                detail: "ENOENT".into(),
            },
            RefusalCode::LiveInputMissing {
                input: "alsa:hw:1,0".into(),
                available: vec!["alsa:default".into()],
            },
            RefusalCode::LiveInputUnavailable {
                input: "alsa:hw:1,0".into(),
                detail: "EBUSY".into(),
            },
            RefusalCode::LiveAlreadyOn,
            RefusalCode::LiveNotOn,
            RefusalCode::TextFileNotUtf8 {
                path: "bản-tin.txt".into(),
            },
        ]
    }

    /// Whether the thing asked for does not exist (404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RefusalCode::NoProgram { .. })
    }

    /// Whether the request conflicts with the station's state (409).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            RefusalCode::SegmentInRepeat { .. }
                | RefusalCode::SegmentInUse { .. }
                | RefusalCode::ReloadRefused { .. }
                | RefusalCode::LiveAlreadyOn
                | RefusalCode::LiveNotOn
                | RefusalCode::LiveInputMissing { .. }
                | RefusalCode::LiveInputUnavailable { .. }
        )
    }

    /// Whether the station cannot do it as installed (503): its speech engine is missing
    /// or failed.
    pub fn is_station_fault(&self) -> bool {
        matches!(
            self,
            RefusalCode::TtsNotInstalled { .. }
                | RefusalCode::TtsCommandMissing { .. }
                | RefusalCode::TtsFailed { .. }
        )
    }

    /// What to do about it, in `lang`.
    pub fn hint(&self, lang: Lang) -> Option<Cow<'static, str>> {
        Some(match self {
            RefusalCode::TextTooLong { field, max, .. } => pick_owned(
                lang,
                format!("hãy rút gọn {} còn nhiều nhất {max} ký tự", field_vi(field)),
                format!("shorten the {field} to at most {max} characters"),
            ),
            RefusalCode::BadZone { .. } | RefusalCode::TooManyZones { .. } => pick(
                lang,
                "ví dụ `--zones thon-1,thon-2`: tên ngắn, không dấu cách, cách nhau bằng dấu phẩy (nhiều nhất 32); `--zones \"\"` bỏ hết",
                "e.g. --zones thon-1,thon-2: short names without spaces, comma-separated (at most 32); --zones \"\" clears them",
            ),
            RefusalCode::GainOutOfRange { max, .. } => pick_owned(
                lang,
                format!(
                    "hãy cho một số dB trong khoảng -{max} đến {max}, ví dụ `--gain-db -3` (0 là bỏ chỉnh)"
                ),
                format!(
                    "give a number of dB between -{max} and {max}, e.g. --gain-db -3 (0 removes the offset)"
                ),
            ),
            RefusalCode::ApproverMissing => {
                pick(lang, "`--by \"Nguyễn Văn A\"`", "--by \"Nguyễn Văn A\"")
            }
            RefusalCode::NoProgram { known, .. } => pick_owned(
                lang,
                format!("các chương trình: {}", known.join(", ")),
                format!("programs are {}", known.join(", ")),
            ),
            RefusalCode::ProgramTakesNoQueue { .. } => pick(
                lang,
                "hãy chọn chương trình khác hoặc đặt `queue = true`",
                "choose another program or set queue = true",
            ),
            RefusalCode::NoQueueProgram { config } => pick_owned(
                lang,
                format!("hãy đặt `queue = true` cho một `[[program]]` trong {config}"),
                format!("set queue = true on a [[program]] in {config}"),
            ),
            RefusalCode::DaysOutOfRange { .. } => pick(lang, "ví dụ `--days 7`", "e.g. --days 7"),
            RefusalCode::SegmentInRepeat { repeat, .. } => pick_owned(
                lang,
                format!("hãy huỷ lượt lặp lại trước: `loaxa emergency cancel {repeat}`"),
                format!("cancel the repeat first: `loaxa emergency cancel {repeat}`"),
            ),
            RefusalCode::SegmentInUse { .. } => pick(
                lang,
                "hãy gỡ bản tin khỏi đó trước, hoặc dùng `--force`",
                "remove it from there first, or pass --force",
            ),
            RefusalCode::RepeatEveryOutOfRange { .. } | RefusalCode::RepeatUntilTooFar { .. } => {
                repeat_hint(lang)
            }
            RefusalCode::ReloadRefused { .. } => pick(
                lang,
                "sửa các lỗi trên (`loaxa check` kiểm tra cấu hình) rồi đọc lại",
                "fix the errors above (`loaxa check` checks the config), then reload",
            ),
            RefusalCode::RepeatUntilPast { .. } => pick(
                lang,
                "hãy cho một thời điểm sau bây giờ, theo giờ của đài (YYYY-MM-DD HH:MM)",
                "give a time after now, station time (YYYY-MM-DD HH:MM)",
            ),
            RefusalCode::TtsTextEmpty => pick(
                lang,
                "hãy gõ nội dung bản tin, ví dụ `--text \"Thông báo lịch tiêm phòng ngày 18/5\"`",
                "type the bulletin, e.g. --text \"Thông báo lịch tiêm phòng ngày 18/5\"",
            ),
            RefusalCode::TtsVoiceUnknown { voices, .. } => pick_owned(
                lang,
                format!(
                    "các giọng đọc của đài: {} (mục `[tts] voices` của cấu hình)",
                    voices.join(", ")
                ),
                format!(
                    "the station's voices are {} ([tts] voices in the config)",
                    voices.join(", ")
                ),
            ),
            RefusalCode::LiveInputMissing { available, .. } => {
                let list = available.join(", ");
                if available.is_empty() {
                    pick(
                        lang,
                        "máy không thấy micro hay đường vào nào: cắm micro (hoặc card âm thanh USB) rồi thử lại",
                        "no microphone or line-in is visible: plug one in (or a USB sound card) and try again",
                    )
                } else {
                    pick_owned(
                        lang,
                        format!(
                            "ghi một trong các thiết bị sau vào `input` của mục `[live]` trong cấu hình: {list}"
                        ),
                        format!("set input in [live] of the config to one of: {list}"),
                    )
                }
            }
            RefusalCode::LiveInputUnavailable { .. } => pick(
                lang,
                "đóng chương trình khác đang dùng micro (trình duyệt, phần mềm ghi âm) rồi thử lại; hoặc chọn thiết bị khác trong `[live] input`",
                "close the other program using the microphone (a browser, a recorder) and try again, or choose another device in [live] input",
            ),
            RefusalCode::LiveAlreadyOn => pick(
                lang,
                "dừng buổi phát trực tiếp đang diễn ra trước: `loaxa live stop`",
                "stop the live broadcast that is on first: `loaxa live stop`",
            ),
            RefusalCode::LiveNotOn => return None,
            RefusalCode::TtsNotInstalled { package, .. } => pick_owned(
                lang,
                format!("cài trên máy của đài: `sudo apt-get install {package}`"),
                format!("install it on the station's machine: `sudo apt-get install {package}`"),
            ),
            RefusalCode::TtsCommandMissing { .. } => pick(
                lang,
                "cài chương trình đó, hoặc sửa `command` trong mục `[tts]` của cấu hình (ghi đường dẫn đầy đủ)",
                "install that program, or correct command in [tts] of the config (give its full path)",
            ),
            RefusalCode::TtsFailed { .. } => pick(
                lang,
                "thử lại; nếu vẫn lỗi, chạy chương trình đọc văn bản bằng tay để xem lỗi, hoặc xem nhật ký của đài",
                "try again; if it fails again, run the speech program by hand to see its error, or see the daemon's log",
            ),
            RefusalCode::TtsVoiceNotInEngine { program, .. } => pick_owned(
                lang,
                format!(
                    "`{program} --voices=vi` liệt kê các giọng đã cài; sửa `voices` trong mục `[tts]` cho khớp"
                ),
                format!(
                    "`{program} --voices=vi` lists the voices installed; make [tts] voices match"
                ),
            ),
            RefusalCode::TopicMissing { known } => pick_owned(
                lang,
                format!("hãy chọn một chuyên mục: {}", known.join(", ")),
                format!("choose a topic: {}", known.join(", ")),
            ),
            RefusalCode::TextFileUnreadable { .. } => pick(
                lang,
                "kiểm tra đường dẫn và quyền đọc của tệp",
                "check the file's path and that it can be read",
            ),
            RefusalCode::TextFileNotUtf8 { .. } => pick(
                lang,
                "lưu lại tệp với bảng mã UTF-8 (trong Notepad: Lưu thành… → Mã hóa: UTF-8)",
                "save the file again as UTF-8 (Notepad: Save as… → Encoding: UTF-8)",
            ),
        })
    }
}

impl Say for RefusalCode {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            RefusalCode::TextTooLong { field, len, max } => pick_owned(
                lang,
                format!("{} dài {len} ký tự; giới hạn là {max}", field_vi(field)),
                format!("the {field} is {len} characters long; the limit is {max}"),
            ),
            RefusalCode::BadZone { zone } => pick_owned(
                lang,
                format!(
                    "tên vùng `{zone}` không hợp lệ (trống, quá dài, có dấu cách hoặc dấu phẩy)"
                ),
                format!(
                    "zone name `{zone}` is not valid (empty, too long, or with spaces or commas)"
                ),
            ),
            RefusalCode::TooManyZones { count, max } => pick_owned(
                lang,
                format!("có {count} vùng, nhiều nhất {max}"),
                format!("{count} zones; at most {max}"),
            ),
            RefusalCode::GainOutOfRange { gain, .. } => pick_owned(
                lang,
                format!("mức chỉnh âm lượng {gain} dB nằm ngoài khoảng cho phép"),
                format!("gain offset {gain} dB is out of range"),
            ),
            RefusalCode::ApproverMissing => {
                pick(lang, "hãy ghi tên người duyệt", "say who approves it")
            }
            RefusalCode::NoProgram { name, .. } => pick_owned(
                lang,
                format!("không có chương trình «{name}»"),
                format!("there is no program `{name}`"),
            ),
            RefusalCode::ProgramTakesNoQueue { name, config } => pick_owned(
                lang,
                format!(
                    "chương trình «{name}» không nhận bản tin xếp hàng (`queue = false` trong {config})"
                ),
                format!(
                    "program `{name}` does not take queued segments (queue = false in {config})"
                ),
            ),
            RefusalCode::NoQueueProgram { .. } => pick(
                lang,
                "không có chương trình đang bật nào nhận bản tin xếp hàng",
                "no enabled program takes queued segments",
            ),
            RefusalCode::DaysOutOfRange { days, max } => pick_owned(
                lang,
                format!(
                    "{days} ngày nằm ngoài khoảng cho phép: lịch phát xem được từ 1 đến {max} ngày"
                ),
                format!("{days} days is out of range: the timetable covers 1 to {max} days"),
            ),
            RefusalCode::SegmentInRepeat {
                id,
                title,
                repeat,
                every,
                until,
            } => pick_owned(
                lang,
                format!(
                    "bản tin số {id} «{title}» vẫn còn phát khẩn cấp lặp lại (lượt số {repeat}, mỗi {every} đến {until}): không xoá được, kể cả với `--force`"
                ),
                format!(
                    "segment {id} «{title}» is still to air as emergency repeat {repeat} (every {every} until {until}): it cannot be deleted, not even with --force"
                ),
            ),
            RefusalCode::SegmentInUse {
                id,
                title,
                queued,
                playlists,
            } => {
                let (mut vi, mut en) = (Vec::new(), Vec::new());
                if *queued > 0 {
                    vi.push(format!("đang xếp {queued} lần trong hàng chờ"));
                    en.push(format!("queued {queued} time(s)"));
                }
                if !playlists.is_empty() {
                    vi.push(format!("có trong danh sách phát {}", playlists.join(", ")));
                    en.push(format!("named in playlist(s) {}", playlists.join(", ")));
                }
                pick_owned(
                    lang,
                    format!("bản tin số {id} «{title}» {}", vi.join(" và ")),
                    format!("segment {id} «{title}» is {}", en.join(" and ")),
                )
            }
            RefusalCode::RepeatEveryOutOfRange { every, min, max } => pick_owned(
                lang,
                format!("khoảng lặp lại «{every}» nằm ngoài khoảng cho phép: từ {min} đến {max}"),
                format!("`every` `{every}` is out of range: allowed is {min} to {max}"),
            ),
            RefusalCode::RepeatUntilPast { until } => pick_owned(
                lang,
                format!("thời điểm kết thúc {until} đã qua"),
                format!("`until` {until} is in the past"),
            ),
            RefusalCode::RepeatUntilTooFar {
                until,
                ahead,
                latest,
            } => pick_owned(
                lang,
                format!(
                    "thời điểm kết thúc {until} quá xa: chỉ được tối đa {ahead} kể từ bây giờ ({latest})"
                ),
                format!(
                    "`until` {until} is too far ahead: allowed is up to {ahead} from now ({latest})"
                ),
            ),
            RefusalCode::ReloadRefused { detail } => pick_owned(
                lang,
                format!("cấu hình mới có lỗi; cấu hình đang chạy được giữ nguyên:\n{detail}"),
                format!("the new config has errors; the running one stays:\n{detail}"),
            ),
            RefusalCode::TtsTextEmpty => pick(
                lang,
                "bản tin văn bản trống: không có gì để đọc",
                "the text bulletin is empty: there is nothing to read",
            ),
            RefusalCode::TtsVoiceUnknown { voice, voices } => pick_owned(
                lang,
                format!(
                    "đài không có giọng đọc «{voice}»; các giọng có: {}",
                    voices.join(", ")
                ),
                format!(
                    "the station has no voice `{voice}`; its voices are {}",
                    voices.join(", ")
                ),
            ),
            RefusalCode::TtsNotInstalled { program, package } => pick_owned(
                lang,
                format!("Chưa cài {program}: `sudo apt-get install {package}`"),
                format!("{program} is not installed: `sudo apt-get install {package}`"),
            ),
            RefusalCode::TtsCommandMissing { program, detail } => pick_owned(
                lang,
                format!("không chạy được chương trình đọc văn bản `{program}` ({detail})"),
                format!("cannot run the speech program `{program}` ({detail})"),
            ),
            RefusalCode::TtsFailed { program, detail } => pick_owned(
                lang,
                format!("chương trình đọc văn bản `{program}` bị lỗi: {detail}"),
                format!("the speech program `{program}` failed: {detail}"),
            ),
            RefusalCode::TtsVoiceNotInEngine { voice, program } => pick_owned(
                lang,
                format!("{program} không có giọng đọc «{voice}»"),
                format!("{program} has no voice `{voice}`"),
            ),
            RefusalCode::TopicMissing { .. } => pick(
                lang,
                "chưa chọn chuyên mục, và cấu hình không có `default_topic`",
                "no topic given, and the config has no default_topic",
            ),
            RefusalCode::TextFileUnreadable { path, detail } => pick_owned(
                lang,
                format!("không đọc được tệp văn bản {path}: {detail}"),
                format!("cannot read the text file {path}: {detail}"),
            ),
            RefusalCode::TextFileNotUtf8 { path } => pick_owned(
                lang,
                format!("tệp {path} không phải văn bản UTF-8"),
                format!("{path} is not UTF-8 text"),
            ),
            RefusalCode::LiveInputMissing { input, .. } => pick_owned(
                lang,
                format!("không có micro hay đường vào «{input}»"),
                format!("there is no capture device `{input}`"),
            ),
            RefusalCode::LiveInputUnavailable { input, detail } => pick_owned(
                lang,
                format!("không mở được micro «{input}»: {detail}"),
                format!("the capture device `{input}` cannot be opened: {detail}"),
            ),
            RefusalCode::LiveAlreadyOn => pick(
                lang,
                "đang có một buổi phát trực tiếp",
                "a live broadcast is already on",
            ),
            RefusalCode::LiveNotOn => pick(
                lang,
                "không có buổi phát trực tiếp nào đang diễn ra",
                "no live broadcast is on",
            ),
        }
    }
}
