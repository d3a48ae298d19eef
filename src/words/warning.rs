//! What the operator should look at: the daemon's status warnings and the schedule
//! preview's warnings, as codes with parameters (`{"code":"empty_program"}`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Reason, Say, pick, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Warning {
    /// The station clock reads a time before this build was made (`reads`: station time).
    ClockImplausible { reads: String },
    /// The sound output is unavailable; loaxa retries while a program is due.
    OutputUnavailable { detail: String },
    /// Log records wait in memory for the disk (`detail`: the write error).
    LogWaiting { detail: String, records: u64 },
    /// The database opened only on the disk reserve: the disk was full at start.
    StartedOnReserve { path: String, reserve_mib: u64 },
    /// The disk holding the data folder `path` has `free_mb` MB free, less than
    /// `[station] disk_warn_mb` (`warn_mb`); cleared when space is back.
    DiskLow {
        path: String,
        free_mb: u64,
        warn_mb: u64,
    },
    /// An emergency repeat out of range was removed at start (`detail`: which and why).
    RepeatDropped { detail: String },
    /// An item of the program will be skipped.
    ItemSkipped { title: String, reason: Reason },
    /// An item of the program cannot air (missing, broken).
    ItemCannotAir { title: String, reason: Reason },
    /// Items that do not fit in `max_duration` wait for a later program.
    Deferred { count: u64, titles: Vec<String> },
    /// The signature tunes alone are longer than `max_duration`.
    FrameTooLong { frame_s: u64, max_s: u64 },
    /// Nothing but the signature tune would air.
    EmptyProgram,
    /// A stream output (`[[stream]]`) cannot reach its server while the station airs;
    /// loaxa retries (the sound card airs regardless).
    StreamLost {
        stream: String,
        url: String,
        fault: crate::stream::SourceFault,
        detail: String,
    },
    /// The province's database (`[province] url`) has not taken this station's log:
    /// `link_fault` says why; `unsent` settled records wait and go when it works again.
    ProvinceLost {
        url: String,
        link_fault: crate::province::DbFault,
        detail: String,
        unsent: u64,
    },
    /// Bulletins from the province wait in the inbox's quarantine folder (`folder`) for the
    /// operator: `count` of them, the latest `file`. Cleared when the folder is emptied.
    InboxQuarantined {
        folder: String,
        count: u64,
        file: String,
    },
    /// The province's list of bulletins (`[province] inbox_url`) could not be fetched
    /// (`failed` 0), or `failed` of its bulletins could not: `pull_fault` says why (the
    /// first, named in `detail`). Cleared by a fetch that takes everything.
    InboxListFailed {
        url: String,
        pull_fault: crate::inbox::pull::PullFault,
        detail: String,
        failed: u64,
    },
}

impl Warning {
    /// The stable code (`empty_program`…).
    pub fn code(&self) -> String {
        super::code_of(self)
    }

    /// Whether `other` is the same kind of warning (replaced, not added, when it recurs).
    pub fn same_kind(&self, other: &Warning) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<Warning> {
        vec![
            Warning::ClockImplausible {
                reads: "2000-01-01 00:00".into(),
            },
            Warning::OutputUnavailable {
                detail: "E: hw:0".into(),
            },
            Warning::LogWaiting {
                detail: "ENOSPC".into(),
                records: 3,
            },
            Warning::StartedOnReserve {
                path: "/var/lib/loaxa".into(),
                reserve_mib: 64,
            },
            Warning::DiskLow {
                path: "/var/lib/loaxa".into(),
                free_mb: 312,
                warn_mb: 500,
            },
            Warning::RepeatDropped {
                detail: "#3".into(),
            },
            Warning::ItemSkipped {
                title: "Bản tin".into(),
                reason: Reason::NotApproved,
            },
            Warning::ItemCannotAir {
                title: "Bản tin".into(),
                reason: Reason::NotInLibrary { segment: 4 },
            },
            Warning::Deferred {
                count: 2,
                titles: vec!["Tin 1".into(), "Tin 2".into()],
            },
            Warning::FrameTooLong {
                frame_s: 90,
                max_s: 60,
            },
            Warning::EmptyProgram,
            Warning::StreamLost {
                stream: "loa-xa.mp3".into(),
                url: "http://127.0.0.1:8000/loa-xa.mp3".into(),
                fault: crate::stream::SourceFault::Connect,
                detail: "ECONNREFUSED".into(),
            },
            Warning::ProvinceLost {
                url: "postgres://ba_to:***@10.0.0.5/loaxa".into(),
                link_fault: crate::province::DbFault::Unreachable,
                detail: "ECONNREFUSED".into(),
                unsent: 42,
            },
            Warning::InboxQuarantined {
                folder: "/srv/loa/inbox/quarantine".into(),
                count: 2,
                file: "QNG-2026-17.json".into(),
            },
            Warning::InboxListFailed {
                url: "https://stttt.example.vn/loaxa/ban-tin.json".into(),
                pull_fault: crate::inbox::pull::PullFault::Status,
                detail: "404".into(),
                failed: 0,
            },
        ]
    }
}

impl Say for Warning {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Warning::ClockImplausible { reads } => pick_owned(
                lang,
                format!(
                    "đồng hồ máy đang chỉ {reads}, không thể đúng (pin BIOS hết?): hãy chỉnh lại giờ \
                     (timedatectl set-time, hoặc trong BIOS) — chương trình phát theo đồng hồ này"
                ),
                format!(
                    "the station clock reads {reads}, which cannot be right (dead BIOS battery?): set the \
                     correct time (timedatectl set-time, or the BIOS) — programs air by this clock"
                ),
            ),
            Warning::OutputUnavailable { detail } => pick_owned(
                lang,
                format!(
                    "đầu ra âm thanh không dùng được ({detail}); loaxa thử lại trong giờ có chương trình"
                ),
                format!(
                    "the sound output is unavailable: {detail} (loaxa tries it again while a program is due)"
                ),
            ),
            Warning::LogWaiting { detail, records } => pick_owned(
                lang,
                format!(
                    "không ghi được nhật ký phát sóng ({detail}); {records} bản ghi đang chờ trong bộ nhớ \
                     và sẽ được ghi lại — hãy giải phóng ổ đĩa của máy đài"
                ),
                format!(
                    "cannot write the broadcast log ({detail}); {records} record(s) wait in memory and are \
                     retried — free disk space on the station PC"
                ),
            ),
            Warning::StartedOnReserve { path, reserve_mib } => pick_owned(
                lang,
                format!(
                    "ổ đĩa chứa {path} đã đầy khi khởi động: loaxa đã dùng {reserve_mib} MiB dự phòng để \
                     phát sóng — hãy giải phóng ổ đĩa rồi khởi động lại loaxa"
                ),
                format!(
                    "the disk holding {path} was full at start: loaxa released its {reserve_mib} MiB reserve \
                     to get on air — free disk space on the station PC, then restart loaxa to set the \
                     reserve aside again"
                ),
            ),
            Warning::DiskLow {
                path,
                free_mb,
                warn_mb,
            } => pick_owned(
                lang,
                format!(
                    "ổ đĩa chứa {path} sắp đầy: chỉ còn {free_mb} MB trống (cảnh báo khi dưới \
                     {warn_mb} MB) — hãy giải phóng ổ đĩa của máy đài trước khi nhật ký phát sóng \
                     không ghi được nữa"
                ),
                format!(
                    "the disk holding {path} is nearly full: {free_mb} MB free (warned below \
                     {warn_mb} MB) — free disk space on the station PC before the broadcast log \
                     cannot be written"
                ),
            ),
            Warning::RepeatDropped { detail } => pick_owned(
                lang,
                format!(
                    "một lịch phát khẩn cấp lặp lại trong cơ sở dữ liệu vượt giới hạn và đã bị xoá \
                     (sẽ không phát): {detail}"
                ),
                format!(
                    "an emergency repeat in the database was out of range and was removed (it will not \
                     air): {detail}"
                ),
            ),
            Warning::ItemSkipped { title, reason } => pick_owned(
                lang,
                format!("bỏ qua: «{title}» — {}", reason.say(lang)),
                format!("skipped: «{title}» — {}", reason.say(lang)),
            ),
            Warning::ItemCannotAir { title, reason } => pick_owned(
                lang,
                format!("không phát được: «{title}» — {}", reason.say(lang)),
                format!("cannot air: «{title}» — {}", reason.say(lang)),
            ),
            Warning::Deferred { count, titles } => pick_owned(
                lang,
                format!(
                    "{count} bản tin vượt thời lượng tối đa, chờ chương trình sau: {}",
                    titles.join(", ")
                ),
                format!(
                    "{count} item(s) do not fit in max_duration and wait for a later program: {}",
                    titles.join(", ")
                ),
            ),
            Warning::FrameTooLong { frame_s, max_s } => pick_owned(
                lang,
                format!(
                    "riêng nhạc hiệu ({frame_s} giây) đã dài hơn thời lượng tối đa ({max_s} giây): \
                     chương trình sẽ bị cắt"
                ),
                format!(
                    "the signature tunes alone ({frame_s}s) are longer than max_duration ({max_s}s): the \
                     program will be cut"
                ),
            ),
            Warning::EmptyProgram => pick(
                lang,
                "chương trình rỗng: chỉ có nhạc hiệu được phát",
                "empty program: nothing but the signature tune would air",
            ),
            Warning::StreamLost {
                stream,
                url,
                fault,
                detail,
            } => pick_owned(
                lang,
                format!(
                    "luồng phát `{stream}` ({url}) không tới được máy chủ: {} ({detail}); loaxa đang \
                     thử lại, loa nối với máy đài vẫn phát",
                    fault.say(lang)
                ),
                format!(
                    "stream `{stream}` ({url}) cannot reach its server: {} ({detail}); loaxa retries, \
                     the sound card airs regardless",
                    fault.say(lang)
                ),
            ),
            Warning::ProvinceLost {
                url,
                link_fault,
                detail,
                unsent,
            } => pick_owned(
                lang,
                format!(
                    "chưa gửi được nhật ký lên cơ sở dữ liệu của tỉnh ({url}): {} ({detail}); \
                     {unsent} bản ghi đang chờ và sẽ được gửi khi kết nối lại, việc phát sóng không \
                     bị ảnh hưởng",
                    link_fault.say(lang)
                ),
                format!(
                    "the broadcast log has not reached the province's database ({url}): {} \
                     ({detail}); {unsent} record(s) wait and go when it works again, broadcasting is \
                     not affected",
                    link_fault.say(lang)
                ),
            ),
            Warning::InboxQuarantined {
                folder,
                count,
                file,
            } => pick_owned(
                lang,
                format!(
                    "{count} bản tin của tỉnh bị giữ lại trong {folder} (mới nhất: {file}): xem lý do \
                     bằng `loaxa inbox`, xử lý rồi xoá hoặc chuyển chúng khỏi thư mục đó"
                ),
                format!(
                    "{count} bulletin(s) from the province held in {folder} (latest: {file}): see why \
                     with `loaxa inbox`, deal with them, then delete or move them out of that folder"
                ),
            ),
            Warning::InboxListFailed {
                url,
                pull_fault,
                detail,
                ..
            } => pick_owned(
                lang,
                format!(
                    "chưa lấy được bản tin từ danh sách của tỉnh ({url}): {} ({detail}); loaxa tự \
                     thử lại, các chương trình vẫn phát",
                    pull_fault.say(lang)
                ),
                format!(
                    "bulletins could not be fetched from the province's list ({url}): {} ({detail}); \
                     loaxa tries again, programs air regardless",
                    pull_fault.say(lang)
                ),
            ),
        }
    }
}

impl Say for crate::inbox::pull::PullFault {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use crate::inbox::pull::PullFault as F;
        match self {
            F::Unreachable => pick(
                lang,
                "không kết nối được máy chủ của tỉnh (mất mạng, máy chủ tắt, hoặc sai địa chỉ)",
                "cannot reach the province's server (no network, the server is down, or a wrong address)",
            ),
            F::Status => pick(
                lang,
                "máy chủ của tỉnh trả lời lỗi (sai địa chỉ `inbox_url`?)",
                "the province's server answered with an error (a wrong `inbox_url`?)",
            ),
            F::BadList => pick(
                lang,
                "danh sách bản tin của tỉnh không đúng dạng: báo cho tỉnh",
                "the province's list of bulletins is not in the expected form: tell the province",
            ),
            F::File => pick(
                lang,
                "có tệp bản tin không tải được: báo cho tỉnh nếu lỗi còn lặp lại",
                "a bulletin's file could not be fetched: tell the province if it persists",
            ),
            F::Disk => pick(
                lang,
                "không ghi được vào thư mục nhận bản tin (ổ đĩa đầy hoặc thiếu quyền)",
                "cannot write to the inbox folder (the disk is full or permission is missing)",
            ),
            F::Certificate => pick(
                lang,
                "không đọc được tệp chứng chỉ `ca_file`",
                "cannot read the certificate file `ca_file`",
            ),
        }
    }
}

impl Say for crate::stream::Phase {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use crate::stream::Phase as P;
        match self {
            P::Idle => pick(lang, "nghỉ", "idle"),
            P::Connecting => pick(lang, "đang kết nối", "connecting"),
            P::OnAir => pick(lang, "đang phát", "on air"),
            P::Retrying => pick(lang, "mất kết nối, đang thử lại", "lost, retrying"),
        }
    }
}

impl Say for crate::stream::SourceFault {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use crate::stream::SourceFault as F;
        match self {
            F::Connect => pick(lang, "không kết nối được", "cannot connect"),
            F::Password => pick(
                lang,
                "máy chủ từ chối mật khẩu nguồn",
                "the server refused the source password",
            ),
            F::Refused => pick(
                lang,
                "máy chủ từ chối điểm gắn (đang có nguồn khác phát lên đó?)",
                "the server refused the mount (another source on it?)",
            ),
            F::Answer => pick(lang, "máy chủ trả lời sai", "the server answered wrongly"),
            F::Broken => pick(
                lang,
                "kết nối bị đứt khi đang gửi",
                "the connection broke while sending",
            ),
        }
    }
}
