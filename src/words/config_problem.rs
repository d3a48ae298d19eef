//! What is wrong in a config or playlist file, as codes with parameters
//! (`{"code":"unknown_key","key":"timezon",…}`); the file, line and column stay in
//! [`crate::config::Diagnostic`]. Words (message and hint) are chosen at the edge.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick, pick_owned};

/// What is wrong with an address given as a relay source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum UrlProblem {
    /// Not `http://` or `https://`.
    Scheme,
    NoHost,
    BadPort {
        port: String,
    },
    /// A space or a control character inside.
    Space,
    /// `[` of an IPv6 address without its `]`.
    Ipv6Unclosed,
    TooLong {
        max: u64,
    },
}

impl crate::stream::UrlProblem {
    pub fn say(&self, lang: Lang) -> Cow<'static, str> {
        use crate::stream::UrlProblem as U;
        match self {
            U::Scheme => pick(
                lang,
                "địa chỉ phải bắt đầu bằng icecast:// (hoặc http://)",
                "it must start with icecast:// (or http://)",
            ),
            U::NoPassword => pick(
                lang,
                "thiếu mật khẩu nguồn (`source:MẬT_KHẨU@` trước tên máy chủ)",
                "the source password is missing (`source:PASSWORD@` before the host)",
            ),
            U::NoHost => pick(lang, "thiếu tên máy chủ", "the host name is missing"),
            U::BadPort => pick(
                lang,
                "cổng phải là số từ 1 đến 65535",
                "the port is not a number from 1 to 65535",
            ),
            U::BadMount => pick(
                lang,
                "thiếu điểm gắn sau tên máy chủ (ví dụ `/loa-xa.mp3`), hoặc điểm gắn có dấu cách",
                "the mount after the host is missing (e.g. `/loa-xa.mp3`), or has spaces",
            ),
        }
    }
}

impl UrlProblem {
    pub fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            UrlProblem::Scheme => pick(
                lang,
                "địa chỉ phải bắt đầu bằng http:// hoặc https://",
                "it must start with http:// or https://",
            ),
            UrlProblem::NoHost => pick(lang, "thiếu tên máy chủ", "the host name is missing"),
            UrlProblem::BadPort { port } => pick_owned(
                lang,
                format!("cổng `{port}` phải là số từ 1 đến 65535"),
                format!("port `{port}` is not a number from 1 to 65535"),
            ),
            UrlProblem::Space => pick(
                lang,
                "địa chỉ có dấu cách hoặc ký tự điều khiển",
                "it contains a space or a control character",
            ),
            UrlProblem::Ipv6Unclosed => pick(
                lang,
                "địa chỉ IPv6 thiếu dấu `]`",
                "an IPv6 address without its closing `]`",
            ),
            UrlProblem::TooLong { max } => pick_owned(
                lang,
                format!("địa chỉ dài quá {max} byte"),
                format!("it is longer than {max} bytes"),
            ),
        }
    }
}

impl std::fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.say(Lang::En))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ConfigProblem {
    /// The file cannot be read (`detail`: the system's error).
    CannotReadConfig { detail: String },
    /// TOML syntax error (`detail`: the toml parser's own message).
    TomlSyntax { detail: String },
    /// A key not allowed here; `section` is `[station]`… or `None` for the top level.
    UnknownKey {
        key: String,
        section: Option<String>,
        suggestion: Option<String>,
        allowed: String,
    },
    /// A text longer than its limit.
    TooLong { what: String, len: u64, max: u64 },
    /// A timezone that is not an IANA name.
    UnknownTimezone {
        name: String,
        suggestion: Option<String>,
    },
    /// `default_topic` names no topic of `[topics]`.
    DefaultTopicUnknown {
        topic: String,
        suggestion: Option<String>,
        known: String,
    },
    /// Two programs with one name.
    DuplicateProgram { name: String, line: u64 },
    /// A program name with spaces.
    ProgramNameNotOneWord { name: String },
    /// A program name the log keeps for itself.
    ReservedProgramName {
        name: String,
        reserved: Vec<String>,
        example: String,
    },
    /// A program with no playlist and no queue.
    NothingToPlay,
    /// A cron rule the parser refused (`detail`, `fix`: the parser's words).
    CronSyntax { problem: super::CronProblem },
    /// A cron rule that names no date that exists.
    CronNeverFires { text: String },
    /// A playlist named by a program is not in the playlists folder.
    PlaylistNotFound { name: String, dir: String },
    /// The intro, outro or separator file does not exist.
    FileMissing { key: String, path: String },
    /// A playlist entry's audio file does not exist.
    EntryFileMissing { path: String },
    /// A playlist entry names a topic the config does not define.
    EntryTopicUnknown { topic: String, config: String },
    /// A playlist file cannot be read (`detail`: the system's error).
    CannotReadPlaylist { detail: String },
    /// A playlist that is not UTF-8 text.
    PlaylistNotUtf8,
    /// A file in the playlists folder that is not a playlist.
    NotAPlaylistFile,
    /// The playlists folder cannot be read.
    CannotReadPlaylistsDir { detail: String },
    /// Two playlists with one name (`other`: the one kept).
    DuplicatePlaylist { name: String, other: String },
    /// A playlist order that is not known (`detail`: the order parser's words).
    BadOrder { detail: String },
    /// A negative segment id in a playlist.
    NegativeSegmentId { id: String },
    /// An `[[item]]` with both `segment` and `file`.
    ItemSegmentAndFile,
    /// An `[[item]]` whose `file` is empty.
    ItemFileEmpty,
    /// An `[[item]]` with neither `segment` nor `file`.
    ItemNamesNothing { line: u64 },
    /// An M3U `#LOAXA-…` directive loaxa does not know.
    UnknownDirective { directive: String },
    /// An M3U line that is a URL.
    UrlEntry { url: String },
    /// An M3U `#LOAXA-SEGMENT` value that is not an id (`detail`: the parser's words).
    BadSegmentId { bad: super::BadValue },
    /// The `[station]` section is missing.
    StationMissing,
    /// A section without its required key (`section`: `[station]`, `[[program]]`).
    KeyMissing { section: String, key: String },
    /// `after_emergency` names neither `resume` nor `requeue`.
    AfterEmergencyUnknown { value: String },
    /// A value of the wrong kind (`section`: as in [`ConfigProblem::UnknownKey`]).
    WrongType {
        key: String,
        section: Option<String>,
        want: ValueKind,
        found: ValueKind,
    },
    /// A duration that cannot be read (`key`: `max_duration`, `catch_up`…).
    BadDuration { key: String, text: String },
    /// A duration outside its range (`min`, `max` written as in the config: `1m`, `31d`).
    DurationOutOfRange {
        key: String,
        text: String,
        min: String,
        max: String,
    },
    /// A number outside its range (`value`, `min`, `max` written as numbers; `unit`: `LUFS`,
    /// `dB`… or empty).
    NumberOutOfRange {
        key: String,
        value: String,
        min: String,
        max: String,
        unit: String,
    },
    /// A whole number too large to be read at all (`section` as in [`ConfigProblem::UnknownKey`]).
    NumberTooLarge {
        key: String,
        section: String,
        text: String,
    },
    /// A cron rule whose times are all past (`first`: its first date, `YYYY-MM-DD`).
    CronInThePast { text: String, first: String },
    /// A playlist name with a folder or an extension, or none at all.
    PlaylistNameNotFileName { name: String },
    /// A relay source that is not an http(s) address (`detail`: what is wrong, technical).
    RelayUrl { url: String, problem: UrlProblem },
    /// An `[alerts] webhook` that is no http or https address.
    WebhookUrl { url: String, problem: UrlProblem },
    /// More webhooks than `max`.
    TooManyWebhooks { count: u64, max: u64 },
    /// A time of day that is not `HH:MM`.
    BadTimeOfDay { key: String, text: String },
    /// More relay sources than a program may list.
    TooManyRelayUrls { count: u64, max: u64 },
    /// A relay program's `topic` (for its recordings) names no topic of `[topics]`.
    ProgramTopicUnknown {
        topic: String,
        suggestion: Option<String>,
        known: String,
    },
    /// `record = true` with no `topic` on the program and no `default_topic`.
    RecordWithoutTopic,
    /// A relay program without `max_duration` (its window).
    RelayWithoutWindow,
    /// A relay program that also names playlists or takes the queue.
    RelayWithPlaylists,
    /// `fallback` or `record` on a program without `relay`.
    RelayOnlyKey,
    /// A topic slug with spaces, or empty.
    TopicSlugNotOneWord { slug: String },
    /// An `[output] device` that cannot be read (empty, or `wav:` without a path).
    BadOutputDevice { text: String },
    /// `[api] listen` that is not `address:port`.
    ListenNotAddress { text: String },
    /// `[api] token_sha256` that is not 64 hex digits.
    TokenHashNotHex,
    /// The API would listen beyond this machine (`addr`) without a token.
    OpenWithoutToken { addr: String },
    /// `[api] allowed_hosts` lists more than `max` names.
    TooManyAllowedHosts { max: u64 },
    /// An `[api] allowed_hosts` entry that is not a host name.
    NotAHostName { name: String },
    /// `[tts] engine` names an engine loaxa does not know (`known`: those it does).
    TtsEngineUnknown { engine: String, known: String },
    /// `[tts]` with both `engine` and `command`.
    TtsEngineAndCommand,
    /// `[tts] command` empty, too long, or with a word too long.
    TtsCommandShape { max_words: u64 },
    /// `[tts] command` that does not say where the WAV goes (`{out}`).
    TtsCommandWithoutOut,
    /// `[tts] voice` not among the voices offered.
    TtsVoiceNotOffered { voice: String, voices: String },
    /// `[tts] voices` empty or longer than `max`.
    TtsVoicesCount { max: u64 },
    /// A voice name that is empty or has spaces.
    TtsVoiceName { voice: String },
    /// A `[hooks]` command that is empty (`key`: `before_program`, `after_program`).
    HookEmpty { key: String },
    /// `[province] inbox = ""`.
    InboxEmpty,
    /// The inbox folder does not exist (`loaxa check`).
    InboxMissing { path: String },
    /// The inbox path is a file, not a folder (`loaxa check`).
    InboxNotAFolder { path: String },
    /// `[province] inbox_url` that cannot be used.
    InboxUrl { url: String, problem: UrlProblem },
    /// A `[[stream]]` URL that cannot be used (the password shown as `***`).
    StreamUrl {
        url: String,
        problem: crate::stream::UrlProblem,
    },
    /// A value that is not one of those listed (`allowed`, comma-separated).
    NotOneOf {
        key: String,
        value: String,
        allowed: String,
    },
    /// More `[[stream]]` sections than a station sends.
    TooManyStreams { count: u64, max: u64 },
    /// Two `[[stream]]` sections to the same server and mount.
    DuplicateStream { url: String },
    /// More zones than a list may name.
    TooManyZones { count: u64, max: u64 },
    /// A zone name that is empty, too long, or has spaces or commas.
    BadZone { zone: String },
    /// `[province] url` that cannot be used (the password shown as `***`).
    ProvinceUrl {
        url: String,
        problem: crate::province::DbUrlProblem,
    },
    /// `[province] station_code` that is not a station code.
    StationCode { value: String },
    /// One audio file in two playlists with another title or topic (`other`: the first
    /// place, `file:line`, whose title and topic the library keeps).
    FileTitleConflict {
        path: String,
        other: String,
        other_title: String,
        other_topic: String,
        title: String,
        topic: String,
    },
}

/// The kinds of value a config key can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Text,
    WholeNumber,
    DecimalNumber,
    Number,
    TrueFalse,
    DateTime,
    List,
    ListOfTexts,
    Table,
    ListOfTables,
}

impl Say for ValueKind {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            ValueKind::Text => pick(lang, "chữ trong ngoặc kép", "text in quotes"),
            ValueKind::WholeNumber => pick(lang, "số nguyên", "a whole number"),
            ValueKind::DecimalNumber => pick(lang, "số thập phân", "a decimal number"),
            ValueKind::Number => pick(lang, "một số", "a number"),
            ValueKind::TrueFalse => pick(lang, "`true` hoặc `false`", "true or false"),
            ValueKind::DateTime => pick(lang, "ngày giờ", "a date/time"),
            ValueKind::List => pick(lang, "một danh sách", "a list"),
            ValueKind::ListOfTexts => pick(
                lang,
                "danh sách chữ, ví dụ `[\"a\", \"b\"]`",
                "a list of texts, e.g. [\"a\", \"b\"]",
            ),
            ValueKind::Table => pick(lang, "một mục (bảng)", "a table"),
            ValueKind::ListOfTables => pick(
                lang,
                "danh sách mục, viết `[[…]]`",
                "a list of tables, written [[…]]",
            ),
        }
    }
}

impl Say for ConfigProblem {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        use ConfigProblem as P;
        match self {
            P::CannotReadConfig { detail } => pick_owned(
                lang,
                format!("không đọc được tệp cấu hình: {detail}"),
                format!("cannot read the config file: {detail}"),
            ),
            P::TomlSyntax { detail } => pick_owned(
                lang,
                format!("cú pháp TOML sai: {detail}"),
                format!("TOML syntax: {detail}"),
            ),
            P::UnknownKey { key, section, .. } => match section {
                Some(s) => pick_owned(
                    lang,
                    format!("khoá `{key}` không có trong `{s}`"),
                    format!("unknown key `{key}` in {s}"),
                ),
                None => pick_owned(
                    lang,
                    format!("khoá `{key}` không hợp lệ ở đầu tệp"),
                    format!("unknown key `{key}` in the config file"),
                ),
            },
            P::TooLong { what, len, max } => pick_owned(
                lang,
                format!("`{what}` dài {len} ký tự; giới hạn là {max}"),
                format!("`{what}` is {len} characters long; the limit is {max}"),
            ),
            P::UnknownTimezone { name, .. } => pick_owned(
                lang,
                format!("múi giờ \"{name}\" không tồn tại"),
                format!("unknown timezone \"{name}\""),
            ),
            P::DefaultTopicUnknown { topic, .. } => pick_owned(
                lang,
                format!("default_topic \"{topic}\" không có trong [topics]"),
                format!("default_topic \"{topic}\" is not in [topics]"),
            ),
            P::DuplicateProgram { name, line } => pick_owned(
                lang,
                format!("tên chương trình \"{name}\" đã dùng ở dòng {line}"),
                format!("program name \"{name}\" is already used on line {line}"),
            ),
            P::ProgramNameNotOneWord { name } => pick_owned(
                lang,
                format!("tên chương trình \"{name}\" phải là một từ (không dấu cách)"),
                format!("program name \"{name}\" must be one word (no spaces)"),
            ),
            P::ReservedProgramName { name, .. } => pick_owned(
                lang,
                format!(
                    "tên chương trình \"{name}\" đã được dành riêng: nhật ký dùng nó cho các lần phát ngoài chương trình"
                ),
                format!(
                    "program name \"{name}\" is reserved: the log uses it for broadcasts outside programs"
                ),
            ),
            P::NothingToPlay => pick(
                lang,
                "chương trình này không có gì để phát: không có danh sách phát và `queue = false`",
                "this program has nothing to play: no playlists and queue = false",
            ),
            P::CronSyntax { problem } => pick_owned(
                lang,
                format!("lịch cron sai: {}", problem.say(lang)),
                format!("cron: {}", problem.say(lang)),
            ),
            P::CronNeverFires { text } => pick_owned(
                lang,
                format!("lịch cron `{text}` không bao giờ đến (ngày đó không có)"),
                format!("cron: `{text}` never fires (no such date)"),
            ),
            P::PlaylistNotFound { name, dir } => pick_owned(
                lang,
                format!("không thấy danh sách phát \"{name}\" trong {dir}"),
                format!("playlist \"{name}\" not found in {dir}"),
            ),
            P::FileMissing { key, path } => pick_owned(
                lang,
                format!("tệp {} {path} không tồn tại", role_vi(key)),
                format!("{key} file {path} does not exist"),
            ),
            P::EntryFileMissing { path } => pick_owned(
                lang,
                format!("tệp {path} không tồn tại"),
                format!("file {path} does not exist"),
            ),
            P::EntryTopicUnknown { topic, config } => pick_owned(
                lang,
                format!("chuyên mục \"{topic}\" không có trong [topics] của {config}"),
                format!("topic \"{topic}\" is not in [topics] of {config}"),
            ),
            P::CannotReadPlaylist { detail } => pick_owned(
                lang,
                format!("không đọc được danh sách phát: {detail}"),
                format!("cannot read the playlist: {detail}"),
            ),
            P::PlaylistNotUtf8 => pick(
                lang,
                "danh sách phát không phải văn bản UTF-8",
                "the playlist is not UTF-8 text",
            ),
            P::NotAPlaylistFile => {
                pick(lang, "không phải tệp danh sách phát", "not a playlist file")
            }
            P::CannotReadPlaylistsDir { detail } => pick_owned(
                lang,
                format!("không đọc được thư mục danh sách phát: {detail}"),
                format!("cannot read the playlists folder: {detail}"),
            ),
            P::DuplicatePlaylist { name, other } => pick_owned(
                lang,
                format!("một danh sách phát khác cũng tên \"{name}\": {other}"),
                format!("another playlist is also called \"{name}\": {other}"),
            ),
            P::BadOrder { detail } => {
                pick_owned(lang, format!("thứ tự phát sai: {detail}"), detail.clone())
            }
            P::NegativeSegmentId { id } => pick_owned(
                lang,
                format!("mã bản tin {id} không được âm"),
                format!("segment id {id} cannot be negative"),
            ),
            P::ItemSegmentAndFile => pick(
                lang,
                "một `[[item]]` chỉ ghi `segment` hoặc `file`, không ghi cả hai",
                "an [[item]] names either a `segment` or a `file`, not both",
            ),
            P::ItemFileEmpty => pick(lang, "`file` để trống", "`file` is empty"),
            P::ItemNamesNothing { line } => pick_owned(
                lang,
                format!("`[[item]]` này (dòng {line}) không ghi `segment` hay `file`"),
                format!("this [[item]] (line {line}) names no `segment` or `file`"),
            ),
            P::UnknownDirective { directive } => pick_owned(
                lang,
                format!("chỉ thị `#{directive}` không hợp lệ"),
                format!("unknown directive `#{directive}`"),
            ),
            P::UrlEntry { url } => pick_owned(
                lang,
                format!("`{url}` là địa chỉ mạng; loaxa chỉ phát tệp"),
                format!("`{url}` is a URL; loaxa plays files only"),
            ),
            P::BadSegmentId { bad } => bad.say(lang),
            P::StationMissing => pick(
                lang,
                "thiếu mục `[station]`",
                "the [station] section is missing",
            ),
            P::KeyMissing { section, key } => pick_owned(
                lang,
                format!("`{section}` cần khoá `{key}`"),
                format!("{section} needs a `{key}`"),
            ),
            P::AfterEmergencyUnknown { value } => pick_owned(
                lang,
                format!("after_emergency \"{value}\" không hợp lệ"),
                format!("after_emergency \"{value}\" is not known"),
            ),
            P::WrongType {
                key,
                section,
                want,
                found,
            } => {
                let (want, found) = (want.say(lang), found.say(lang));
                match section {
                    Some(s) => pick_owned(
                        lang,
                        format!("`{key}` trong `{s}` phải là {want}, không phải {found}"),
                        format!("`{key}` in {s} must be {want}, not {found}"),
                    ),
                    None => pick_owned(
                        lang,
                        format!("`{key}` phải là {want}, không phải {found}"),
                        format!("`{key}` in the config file must be {want}, not {found}"),
                    ),
                }
            }
            P::BadDuration { key, text } => pick_owned(
                lang,
                format!(
                    "{key}: `{text}` không phải khoảng thời gian: viết ngày, giờ, phút, giây như `90s`, `30m`, `1h30m` hoặc `2d`"
                ),
                format!(
                    "{key}: `{text}` is not a duration: write days, hours, minutes and seconds like `90s`, `30m`, `1h30m` or `2d`"
                ),
            ),
            P::DurationOutOfRange {
                key,
                text,
                min,
                max,
            } => pick_owned(
                lang,
                format!("{key}: `{text}` nằm ngoài khoảng cho phép: từ {min} đến {max}"),
                format!("{key}: `{text}` is out of range: allowed is {min} to {max}"),
            ),
            P::NumberOutOfRange {
                key,
                value,
                min,
                max,
                unit,
            } => pick_owned(
                lang,
                format!("{key} {value} phải nằm trong khoảng {min} đến {max} {unit}")
                    .trim_end()
                    .to_string(),
                format!("{key} {value} must be between {min} and {max} {unit}")
                    .trim_end()
                    .to_string(),
            ),
            P::NumberTooLarge { key, section, text } => pick_owned(
                lang,
                format!("`{key}` trong `{section}`: {text} quá lớn"),
                format!("`{key}` in {section}: {text} is far too large"),
            ),
            P::CronInThePast { text, first } => pick_owned(
                lang,
                format!(
                    "lịch cron `{text}` không bao giờ đến nữa (các thời điểm của nó đã qua, từ {first})"
                ),
                format!(
                    "cron: `{text}` never fires again (its times are in the past, from {first})"
                ),
            ),
            P::PlaylistNameNotFileName { name } => pick_owned(
                lang,
                format!(
                    "tên danh sách phát \"{name}\" phải là tên tệp, không kèm thư mục hay đuôi tệp"
                ),
                format!("playlist name \"{name}\" must be a file name without folder or extension"),
            ),
            P::RelayUrl { url, problem } => pick_owned(
                lang,
                format!(
                    "địa chỉ tiếp sóng `{url}` không dùng được: {}",
                    problem.say(lang)
                ),
                format!("relay source `{url}` cannot be used: {}", problem.say(lang)),
            ),
            P::WebhookUrl { url, problem } => pick_owned(
                lang,
                format!(
                    "địa chỉ nhận cảnh báo `{url}` không dùng được: {}",
                    problem.say(lang)
                ),
                format!("webhook `{url}` cannot be used: {}", problem.say(lang)),
            ),
            P::TooManyWebhooks { count, max } => pick_owned(
                lang,
                format!("`webhook` có {count} địa chỉ; được tối đa {max}"),
                format!("`webhook` lists {count} addresses; at most {max}"),
            ),
            P::BadTimeOfDay { key, text } => pick_owned(
                lang,
                format!("`{key} = \"{text}\"` không phải giờ trong ngày"),
                format!("`{key} = \"{text}\"` is not a time of day"),
            ),
            P::TooManyRelayUrls { count, max } => pick_owned(
                lang,
                format!("`relay` có {count} địa chỉ; một chương trình được tối đa {max}"),
                format!("`relay` lists {count} sources; a program may list at most {max}"),
            ),
            P::ProgramTopicUnknown { topic, .. } => pick_owned(
                lang,
                format!("chuyên mục `topic = \"{topic}\"` không có trong [topics]"),
                format!("topic \"{topic}\" is not in [topics]"),
            ),
            P::RecordWithoutTopic => pick(
                lang,
                "bản ghi tiếp sóng (`record = true`) cần một chuyên mục",
                "a relay's recordings (`record = true`) need a topic",
            ),
            P::RelayWithoutWindow => pick(
                lang,
                "chương trình tiếp sóng cần `max_duration`: thời lượng tiếp sóng",
                "a relay program needs `max_duration`: how long the relay lasts",
            ),
            P::RelayWithPlaylists => pick(
                lang,
                "chương trình tiếp sóng chỉ phát tín hiệu tiếp sóng: `playlists` và `queue` dành cho chương trình thường",
                "a relay program airs the relay only: `playlists` and `queue` belong to other programs",
            ),
            P::RelayOnlyKey => pick(
                lang,
                "`fallback` và `record` chỉ dùng cho chương trình tiếp sóng (có `relay`)",
                "`fallback` and `record` belong to relay programs (with `relay`)",
            ),
            P::TopicSlugNotOneWord { slug } => pick_owned(
                lang,
                format!("mã chuyên mục `{slug}` phải là một từ (không dấu cách)"),
                format!("topic slug `{slug}` must be one word"),
            ),
            P::BadOutputDevice { text } => pick_owned(
                lang,
                format!("thiết bị phát \"{text}\" không hợp lệ"),
                format!("output device \"{text}\" is not valid"),
            ),
            P::ListenNotAddress { text } => pick_owned(
                lang,
                format!("listen \"{text}\" không phải dạng địa chỉ:cổng"),
                format!("listen \"{text}\" is not an address:port"),
            ),
            P::TokenHashNotHex => pick(
                lang,
                "token_sha256 phải gồm 64 chữ số thập lục phân (mã băm sha256 của mã truy cập, không phải chính mã truy cập)",
                "token_sha256 must be 64 hex digits (the sha256 of the token, not the token itself)",
            ),
            P::OpenWithoutToken { addr } => pick_owned(
                lang,
                format!("API sẽ nghe ở {addr}, ra ngoài máy này, mà không có mã truy cập"),
                format!("the API would listen on {addr}, beyond this machine, without a token"),
            ),
            P::TooManyAllowedHosts { max } => pick_owned(
                lang,
                format!("allowed_hosts ghi hơn {max} tên"),
                format!("allowed_hosts lists more than {max} names"),
            ),
            P::NotAHostName { name } => pick_owned(
                lang,
                format!("allowed_hosts: \"{name}\" không phải tên máy"),
                format!("allowed_hosts: \"{name}\" is not a host name"),
            ),
            P::TtsEngineUnknown { engine, .. } => pick_owned(
                lang,
                format!("bộ đọc văn bản `{engine}` không có trong loaxa"),
                format!("unknown text-to-speech engine `{engine}`"),
            ),
            P::TtsEngineAndCommand => pick(
                lang,
                "mục [tts] có cả `engine` lẫn `command`: chỉ được chọn một",
                "[tts] has both engine and command: choose one",
            ),
            P::TtsCommandShape { max_words } => pick_owned(
                lang,
                format!(
                    "`command` phải là danh sách từ 1 đến {max_words} chữ, mỗi chữ ngắn hơn 1024 byte"
                ),
                format!("command must be a list of 1 to {max_words} words, each under 1024 bytes"),
            ),
            P::TtsCommandWithoutOut => pick(
                lang,
                "`command` không có `{out}`: loaxa không biết chương trình ghi tệp WAV vào đâu",
                "command has no {out}: loaxa cannot know where the program writes the WAV",
            ),
            P::TtsVoiceNotOffered { voice, .. } => pick_owned(
                lang,
                format!("giọng đọc «{voice}» không có trong danh sách `voices`"),
                format!("voice `{voice}` is not among the voices offered"),
            ),
            P::TtsVoicesCount { max } => pick_owned(
                lang,
                format!("`voices` phải có từ 1 đến {max} giọng đọc"),
                format!("voices must list 1 to {max} voices"),
            ),
            P::TtsVoiceName { voice } => pick_owned(
                lang,
                format!("tên giọng đọc «{voice}» phải là một từ (không rỗng, không dấu cách)"),
                format!("voice name `{voice}` must be one word (not empty, no spaces)"),
            ),
            P::HookEmpty { key } => pick_owned(
                lang,
                format!("lệnh `{key}` trong `[hooks]` trống"),
                format!("`{key}` in [hooks] is empty"),
            ),
            P::InboxEmpty => pick(
                lang,
                "`inbox` trong `[province]` trống",
                "`inbox` in [province] is empty",
            ),
            P::InboxMissing { path } => pick_owned(
                lang,
                format!("thư mục nhận bản tin của tỉnh {path} không tồn tại"),
                format!("the province's inbox folder {path} does not exist"),
            ),
            P::InboxNotAFolder { path } => pick_owned(
                lang,
                format!("{path} (thư mục nhận bản tin của tỉnh) là một tệp, không phải thư mục"),
                format!("{path} (the province's inbox) is a file, not a folder"),
            ),
            P::InboxUrl { url, problem } => pick_owned(
                lang,
                format!(
                    "địa chỉ danh sách bản tin của tỉnh `{url}` không dùng được: {}",
                    problem.say(lang)
                ),
                format!(
                    "the province's bulletin list `{url}` cannot be used: {}",
                    problem.say(lang)
                ),
            ),
            P::StreamUrl { url, problem } => pick_owned(
                lang,
                format!(
                    "địa chỉ phát luồng `{url}` không dùng được: {}",
                    problem.say(lang)
                ),
                format!(
                    "stream address `{url}` cannot be used: {}",
                    problem.say(lang)
                ),
            ),
            P::NotOneOf {
                key,
                value,
                allowed,
            } => pick_owned(
                lang,
                format!("`{key}` = {value} không hợp lệ; chọn một trong: {allowed}"),
                format!("`{key}` = {value} is not allowed; choose one of: {allowed}"),
            ),
            P::TooManyStreams { count, max } => pick_owned(
                lang,
                format!("có {count} mục `[[stream]]`, nhiều nhất {max}"),
                format!("{count} [[stream]] sections; at most {max}"),
            ),
            P::DuplicateStream { url } => pick_owned(
                lang,
                format!("hai mục `[[stream]]` cùng phát lên `{url}`"),
                format!("two [[stream]] sections send to `{url}`"),
            ),
            P::TooManyZones { count, max } => pick_owned(
                lang,
                format!("danh sách `zones` có {count} vùng, nhiều nhất {max}"),
                format!("`zones` lists {count} zones; at most {max}"),
            ),
            P::BadZone { zone } => pick_owned(
                lang,
                format!(
                    "tên vùng `{zone}` không hợp lệ (trống, quá dài, có dấu cách hoặc dấu phẩy)"
                ),
                format!(
                    "zone name `{zone}` is not valid (empty, too long, or with spaces or commas)"
                ),
            ),
            P::ProvinceUrl { url, problem } => pick_owned(
                lang,
                format!(
                    "địa chỉ cơ sở dữ liệu của tỉnh `{url}` không dùng được: {}",
                    problem.say(lang)
                ),
                format!(
                    "the province database address `{url}` cannot be used: {}",
                    problem.say(lang)
                ),
            ),
            P::StationCode { value: code } => pick_owned(
                lang,
                format!(
                    "mã đài `{code}` không hợp lệ: chỉ gồm chữ thường không dấu, số, `-` và `_`, tối đa 48 ký tự"
                ),
                format!(
                    "station code `{code}` is not valid: lower-case letters without accents, digits, `-` and `_`, at most 48"
                ),
            ),
            P::FileTitleConflict {
                path,
                other,
                other_title,
                other_topic,
                title,
                topic,
            } => pick_owned(
                lang,
                format!(
                    "{path} cũng có trong {other} với tiêu đề «{other_title}» (chuyên mục {other_topic}); ở đây là «{title}» (chuyên mục {topic})"
                ),
                format!(
                    "{path} is also in {other} as «{other_title}» (topic {other_topic}); here it is «{title}» (topic {topic})"
                ),
            ),
        }
    }
}

impl ConfigProblem {
    /// The fix to suggest, if there is one.
    pub fn hint(&self, lang: Lang) -> Option<Cow<'static, str>> {
        use ConfigProblem as P;
        Some(match self {
            P::CannotReadConfig { .. } => pick(
                lang,
                "chỉ đúng tệp bằng --config, hoặc chép config/loaxa.toml từ mã nguồn loaxa",
                "pass the right file with --config, or copy config/loaxa.toml from the loaxa sources",
            ),
            P::TomlSyntax { .. } => pick(
                lang,
                "xem lại dấu ngoặc kép quanh chữ, dấu `=` giữa khoá và giá trị, và [ngoặc vuông] của tên mục",
                "check quotes around text, `=` between key and value, and [brackets] of section names",
            ),
            P::UnknownKey {
                suggestion: Some(near),
                ..
            } => pick_owned(
                lang,
                format!("có phải ý bạn là `{near}`?"),
                format!("did you mean `{near}`?"),
            ),
            P::UnknownKey {
                section, allowed, ..
            } => match section {
                Some(s) => pick_owned(
                    lang,
                    format!("các khoá dùng được trong `{s}`: {allowed}"),
                    format!("keys allowed in {s}: {allowed}"),
                ),
                None => pick_owned(
                    lang,
                    format!("các khoá dùng được ở đầu tệp: {allowed}"),
                    format!("keys allowed in the config file: {allowed}"),
                ),
            },
            P::TooLong { max, .. } => pick_owned(
                lang,
                format!("rút ngắn còn tối đa {max} ký tự"),
                format!("shorten it to at most {max} characters"),
            ),
            P::UnknownTimezone {
                suggestion: Some(near),
                ..
            } => pick_owned(
                lang,
                format!("có phải ý bạn là \"{near}\"? Việt Nam là \"Asia/Ho_Chi_Minh\" (tên IANA)"),
                format!("did you mean \"{near}\"? Vietnam is \"Asia/Ho_Chi_Minh\" (IANA names)"),
            ),
            P::UnknownTimezone { .. } => pick(
                lang,
                "dùng tên IANA, ví dụ \"Asia/Ho_Chi_Minh\"",
                "use an IANA name such as \"Asia/Ho_Chi_Minh\"",
            ),
            P::DefaultTopicUnknown {
                suggestion: Some(near),
                ..
            } => pick_owned(
                lang,
                format!("có phải ý bạn là \"{near}\"? chuyên mục được khai báo trong [topics]"),
                format!("did you mean \"{near}\"? topics are defined in [topics]"),
            ),
            P::DefaultTopicUnknown { known, .. } => pick_owned(
                lang,
                format!("thêm nó vào [topics] hoặc dùng một trong: {known}"),
                format!("add it to [topics] or use one of: {known}"),
            ),
            P::DuplicateProgram { .. } => pick(
                lang,
                "mỗi `[[program]]` cần một tên riêng",
                "every [[program]] needs its own name",
            ),
            P::ProgramNameNotOneWord { .. } => pick(
                lang,
                "dùng tên ngắn như \"sang\" và để tên dài trong `title`",
                "use a short name such as \"sang\" and put the long one in `title`",
            ),
            P::ReservedProgramName {
                reserved, example, ..
            } => pick_owned(
                lang,
                format!(
                    "chọn tên khác (không phải {}), ví dụ \"{example}\"",
                    reserved.join(" hoặc ")
                ),
                format!(
                    "choose another name (not {}), e.g. \"{example}\"",
                    reserved.join(" or ")
                ),
            ),
            P::NothingToPlay => pick(
                lang,
                "thêm `playlists = [\"ban-tin-sang\"]` hoặc đặt `queue = true`",
                "add playlists = [\"ban-tin-sang\"] or set queue = true",
            ),
            P::CronSyntax { problem } => problem.hint(lang),
            P::CronNeverFires { .. } => pick(
                lang,
                "xem lại trường ngày trong tháng và tháng: `0 6 28 2 *` là ngày 28 tháng 2",
                "check the day-of-month and month fields: `0 6 28 2 *` is 28 February",
            ),
            P::PlaylistNotFound { name, .. } => pick_owned(
                lang,
                format!("tạo {name}.toml hoặc {name}.m3u8 ở đó, hoặc sửa tên trong `playlists`"),
                format!("create {name}.toml or {name}.m3u8 there, or fix the name in `playlists`"),
            ),
            P::FileMissing { .. } => pick(
                lang,
                "đường dẫn tính từ thư mục của tệp cấu hình này",
                "paths are relative to the folder of this config file",
            ),
            P::EntryFileMissing { .. } => pick(
                lang,
                "đường dẫn tính từ thư mục của tệp danh sách phát",
                "paths are relative to the folder of the playlist file",
            ),
            P::EntryTopicUnknown { .. } => pick(
                lang,
                "thêm nó vào [topics] trong cấu hình, hoặc sửa mã chuyên mục",
                "add it to [topics] in the config, or fix the slug",
            ),
            P::CannotReadPlaylist { .. } => return None,
            P::PlaylistNotUtf8 => pick(
                lang,
                "lưu nó dưới dạng UTF-8 (danh sách .m3u8); tiếng Việt cần vậy",
                "save it as UTF-8 (an .m3u8 playlist); Vietnamese needs it",
            ),
            P::NotAPlaylistFile => pick(
                lang,
                "danh sách phát có đuôi .toml, .m3u8 hoặc .m3u",
                "playlists end in .toml, .m3u8 or .m3u",
            ),
            P::CannotReadPlaylistsDir { .. } => pick(
                lang,
                "đặt `playlists_dir` trong mục [station] của cấu hình",
                "set [station] playlists_dir in the config",
            ),
            P::DuplicatePlaylist { .. } => pick(
                lang,
                "đổi tên hoặc bỏ một trong hai; tệp này bị bỏ qua",
                "rename or remove one of them; this one is ignored",
            ),
            P::BadOrder { .. } => pick(lang, "ví dụ: `order = \"rotate\"`", "order = \"rotate\""),
            P::NegativeSegmentId { .. } => pick(
                lang,
                "xem mã bằng `loaxa segment list`",
                "ids are shown by `loaxa segment list`",
            ),
            P::ItemSegmentAndFile => pick(
                lang,
                "tách thành hai `[[item]]`",
                "split it into two [[item]]s",
            ),
            P::ItemFileEmpty => return None,
            P::ItemNamesNothing { .. } => pick(
                lang,
                "ví dụ: `segment = 12`, hoặc `file = \"demo/ban-tin-1.ogg\"`",
                "segment = 12, or file = \"demo/ban-tin-1.ogg\"",
            ),
            P::UnknownDirective { .. } => pick(
                lang,
                "loaxa đọc `#LOAXA-TOPIC:`, `#LOAXA-UNIT:`, `#LOAXA-ORDER:` và `#LOAXA-SEGMENT:`",
                "loaxa reads #LOAXA-TOPIC:, #LOAXA-UNIT:, #LOAXA-ORDER: and #LOAXA-SEGMENT:",
            ),
            P::UrlEntry { .. } => pick(
                lang,
                "tải tệp về và ghi đường dẫn của nó ở đây",
                "download the file and write its path here",
            ),
            P::BadSegmentId { .. } => pick(lang, "ví dụ: `#LOAXA-SEGMENT:12`", "#LOAXA-SEGMENT:12"),
            P::WrongType { .. } => return None,
            P::StationMissing => pick(
                lang,
                "mở đầu tệp bằng `[station]` và `name = \"Đài truyền thanh xã ...\"`",
                "start the file with [station] and name = \"Đài truyền thanh xã ...\"",
            ),
            P::KeyMissing { key, .. } if key == "cron" => pick(
                lang,
                "`cron = \"30 5 * * *\"` phát lúc 05:30 hằng ngày",
                "cron = \"30 5 * * *\" airs at 05:30 every day",
            ),
            P::KeyMissing { section, .. } if section == "[station]" => pick(
                lang,
                "ví dụ `name = \"Đài truyền thanh xã Bình Chương\"`",
                "name = \"Đài truyền thanh xã Bình Chương\"",
            ),
            P::KeyMissing { .. } => pick(lang, "ví dụ `name = \"sang\"`", "name = \"sang\""),
            P::AfterEmergencyUnknown { .. } => pick(
                lang,
                "dùng `\"resume\"` (phát lại bản tin bị ngắt) hoặc `\"requeue\"` (đưa nó vào hàng chờ của chương trình kế tiếp)",
                "use \"resume\" (replay the interrupted item) or \"requeue\" (queue it for the next program)",
            ),
            P::BadDuration { key, .. } => duration_example(lang, key),
            P::DurationOutOfRange { key, min, max, .. } => {
                let example = duration_example(lang, key);
                pick_owned(
                    lang,
                    format!("{key} phải nằm trong khoảng {min} đến {max}; {example}"),
                    format!("{key} must lie within {min} to {max}; e.g. {example}"),
                )
            }
            P::NumberOutOfRange { key, .. } => return number_example(lang, key),
            P::NumberTooLarge { .. } => pick(
                lang,
                "ghi một số nguyên nhỏ (khoảng cho phép của từng khoá có trong README)",
                "write a small whole number (the key's range is in the README)",
            ),
            P::CronInThePast { .. } => pick(
                lang,
                "xem lại trường năm, hoặc bỏ nó đi: `0 0 6 * * * *` phát lúc 06:00 hằng ngày",
                "check the year field, or leave it out: `0 0 6 * * * *` fires every day at 06:00",
            ),
            P::PlaylistNameNotFileName { .. } => pick(
                lang,
                "`\"ban-tin-sang\"` đọc tệp `playlists/ban-tin-sang.toml` (hoặc .m3u / .m3u8)",
                "\"ban-tin-sang\" reads playlists/ban-tin-sang.toml (or .m3u / .m3u8)",
            ),
            P::BadTimeOfDay { key, .. } => pick_owned(
                lang,
                format!("viết giờ:phút theo giờ của đài, ví dụ `{key} = \"07:00\"`"),
                format!("write hours:minutes, station time, e.g. {key} = \"07:00\""),
            ),
            P::WebhookUrl { .. } | P::TooManyWebhooks { .. } => pick(
                lang,
                "ví dụ `webhook = \"https://bot.example.vn/loaxa\"`, hoặc một danh sách `webhook = [\"…\", \"…\"]` (nhiều nhất 8)",
                "e.g. webhook = \"https://bot.example.vn/loaxa\", or a list webhook = [\"…\", \"…\"] (at most 8)",
            ),
            P::RelayUrl { .. } => pick(
                lang,
                "viết địa chỉ đầy đủ, ví dụ `\"https://example.vn/vov1.m3u8\"` hoặc `\"http://192.0.2.10:8000/vov1.mp3\"`",
                "write the whole address, e.g. \"https://example.vn/vov1.m3u8\" or \"http://192.0.2.10:8000/vov1.mp3\"",
            ),
            P::TooManyRelayUrls { .. } => pick(
                lang,
                "giữ vài địa chỉ dự phòng tốt nhất; địa chỉ được thử lần lượt",
                "keep the few best backup sources; they are tried in order",
            ),
            P::ProgramTopicUnknown {
                suggestion: Some(near),
                ..
            } => pick_owned(
                lang,
                format!("có phải ý bạn là \"{near}\"? chuyên mục được khai báo trong [topics]"),
                format!("did you mean \"{near}\"? topics are defined in [topics]"),
            ),
            P::ProgramTopicUnknown { known, .. } => pick_owned(
                lang,
                format!("thêm nó vào [topics] hoặc dùng một trong: {known}"),
                format!("add it to [topics] or use one of: {known}"),
            ),
            P::RecordWithoutTopic => pick(
                lang,
                "thêm `topic = \"khcn\"` vào chương trình, hoặc `default_topic` vào [station]",
                "add topic = \"khcn\" to the program, or default_topic to [station]",
            ),
            P::RelayWithoutWindow => pick(
                lang,
                "thêm `max_duration = \"30m\"` (tiếp sóng 30 phút kể từ giờ phát)",
                "add max_duration = \"30m\" (relay for 30 minutes from the fire time)",
            ),
            P::RelayWithPlaylists => pick(
                lang,
                "đưa danh sách vào `fallback = [\"ban-tin-sang\"]` để phát khi mất tín hiệu, hoặc tạo một chương trình riêng",
                "put the playlists in fallback = [\"ban-tin-sang\"] to air them while no source plays, or make another program",
            ),
            P::RelayOnlyKey => pick(
                lang,
                "thêm `relay = [\"https://…\"]`, hoặc bỏ `fallback`/`record`",
                "add relay = [\"https://…\"], or remove fallback/record",
            ),
            P::TopicSlugNotOneWord { .. } => pick(
                lang,
                "dùng mã ngắn, ví dụ `nq57 = \"Nghị quyết 57-NQ/TW\"`",
                "use short slugs such as nq57 = \"Nghị quyết 57-NQ/TW\"",
            ),
            P::BadOutputDevice { .. } => pick(
                lang,
                "`device = \"default\"` phát ra card âm thanh; `\"null\"` bỏ âm thanh đi; `\"wav:ĐƯỜNG_DẪN\"` ghi ra tệp, ví dụ `\"wav:/tmp/air.wav\"`",
                "device = \"default\" plays on the sound card; \"null\" discards the audio; \"wav:PATH\" records to a file, e.g. \"wav:/tmp/air.wav\"",
            ),
            P::ListenNotAddress { .. } => pick(
                lang,
                "`listen = \"127.0.0.1:8757\"` (chỉ máy này) hoặc `\"0.0.0.0:8757\"` (cả mạng, cần mã truy cập)",
                "listen = \"127.0.0.1:8757\" (this machine only) or \"0.0.0.0:8757\" (the network, with a token)",
            ),
            P::TokenHashNotHex => token_hint(lang),
            P::OpenWithoutToken { .. } => {
                let how = token_hint(lang);
                pick_owned(
                    lang,
                    format!("thêm `token_sha256` vào [api] ({how}), hoặc nghe ở 127.0.0.1"),
                    format!("add token_sha256 to [api] ({how}), or listen on 127.0.0.1"),
                )
            }
            P::TooManyAllowedHosts { .. } => pick(
                lang,
                "chỉ ghi những tên dùng để mở trang điều hành của đài",
                "list only the names the station's page is opened with",
            ),
            P::NotAHostName { .. } => pick(
                lang,
                "chỉ ghi tên máy, như trên thanh địa chỉ của trình duyệt nhưng bỏ http:// và đường dẫn: `\"loa-xa.local\"` hoặc `\"loa-xa.local:8757\"`",
                "write the name alone, as in the browser's address bar without http:// or a path: \"loa-xa.local\" or \"loa-xa.local:8757\"",
            ),
            P::TtsEngineUnknown { .. } | P::TtsEngineAndCommand => pick(
                lang,
                "dùng `engine = \"espeak-ng\"` (mặc định), hoặc một chương trình khác: `command = [\"piper\", \"--model\", \"/đường/dẫn/vi.onnx\", \"--output_file\", \"{out}\"]`",
                "use engine = \"espeak-ng\" (the default), or another program: command = [\"piper\", \"--model\", \"/path/vi.onnx\", \"--output_file\", \"{out}\"]",
            ),
            P::TtsCommandShape { .. } | P::TtsCommandWithoutOut => pick(
                lang,
                "ví dụ `command = [\"piper\", \"--model\", \"/đường/dẫn/vi.onnx\", \"--output_file\", \"{out}\"]`: văn bản được đưa vào đầu vào chuẩn, `{voice}` được thay bằng giọng đọc",
                "e.g. command = [\"piper\", \"--model\", \"/path/vi.onnx\", \"--output_file\", \"{out}\"]: the text comes on standard input, {voice} is replaced by the voice",
            ),
            P::TtsVoiceNotOffered { voices, .. } => pick_owned(
                lang,
                format!("chọn một trong: {voices}, hoặc thêm giọng này vào `voices`"),
                format!("choose one of {voices}, or add it to voices"),
            ),
            P::TtsVoicesCount { .. } | P::TtsVoiceName { .. } => pick(
                lang,
                "ví dụ `voices = [\"vi\", \"vi-vn-x-central\", \"vi-vn-x-south\"]` (giọng Bắc, Trung, Nam của espeak-ng)",
                "e.g. voices = [\"vi\", \"vi-vn-x-central\", \"vi-vn-x-south\"] (espeak-ng's northern, central and southern voices)",
            ),
            P::StreamUrl { .. } | P::DuplicateStream { .. } | P::TooManyStreams { .. } => pick(
                lang,
                "ví dụ `url = \"icecast://source:MẬT_KHẨU@192.168.1.10:8000/loa-xa.mp3\"` (mỗi điểm gắn một mục, nhiều nhất 8)",
                "e.g. url = \"icecast://source:PASSWORD@192.168.1.10:8000/loa-xa.mp3\" (one section per mount, at most 8)",
            ),
            P::NotOneOf { .. } => pick(
                lang,
                "viết đúng một trong các giá trị đã nêu",
                "write one of the values listed",
            ),
            P::ProvinceUrl { .. } => pick(
                lang,
                "ví dụ `url = \"postgres://xa_ba_to:MẬT_KHẨU@csdl.tinh.vn:5432/loaxa?sslmode=require\"` (tài khoản riêng của đài do tỉnh cấp)",
                "e.g. url = \"postgres://xa_ba_to:PASSWORD@db.province.vn:5432/loaxa?sslmode=require\" (the station's own login from the province)",
            ),
            P::StationCode { .. } => pick(
                lang,
                "dùng mã tỉnh cấp cho xã, ví dụ `station_code = \"ba-to\"`",
                "use the code the province gave the commune, e.g. station_code = \"ba-to\"",
            ),
            P::TooManyZones { .. } | P::BadZone { .. } => pick(
                lang,
                "ví dụ `zones = [\"thon-1\", \"thon-2\"]`: tên ngắn, không dấu cách",
                "e.g. zones = [\"thon-1\", \"thon-2\"]: short names without spaces",
            ),
            P::InboxEmpty => pick(
                lang,
                "ghi thư mục nhận bản tin, ví dụ `inbox = \"../inbox\"` (tính từ thư mục của tệp cấu hình), hoặc bỏ dòng này",
                "write the folder bulletins arrive in, e.g. inbox = \"../inbox\" (relative to this config file's folder), or remove the line",
            ),
            P::InboxMissing { path } => pick_owned(
                lang,
                format!(
                    "tạo nó: `mkdir -p {path}` (loaxa run cũng tự tạo khi khởi động), rồi cho phần mềm đồng bộ của tỉnh ghi vào đó"
                ),
                format!(
                    "create it: `mkdir -p {path}` (loaxa run also creates it at start), and point the province's sync tool at it"
                ),
            ),
            P::InboxNotAFolder { .. } => pick(
                lang,
                "chọn một thư mục cho `inbox`, hoặc đổi tên tệp đang nằm ở đó",
                "name a folder in `inbox`, or rename the file that is there",
            ),
            P::InboxUrl { .. } => pick(
                lang,
                "viết địa chỉ đầy đủ mà tỉnh cung cấp, ví dụ `inbox_url = \"https://stttt.example.vn/loaxa/ban-tin.json\"`",
                "write the whole address the province gives, e.g. inbox_url = \"https://stttt.example.vn/loaxa/ban-tin.json\"",
            ),
            P::HookEmpty { .. } => pick(
                lang,
                "ghi lệnh cần chạy, ví dụ `before_program = \"usbrelay HURTM_1=1\"` (bật amply), hoặc bỏ dòng này",
                "write the command to run, e.g. before_program = \"usbrelay HURTM_1=1\" (amplifier on), or remove the line",
            ),
            P::FileTitleConflict { .. } => pick(
                lang,
                "mỗi tệp là một bản tin trong thư viện và giữ tiêu đề, chuyên mục đầu tiên: hãy ghi cùng tiêu đề và chuyên mục ở cả hai nơi",
                "one file is one segment in the library and keeps the first title and topic: use the same title and topic in both places",
            ),
        })
    }

    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<ConfigProblem> {
        use ConfigProblem as P;
        vec![
            P::CannotReadConfig {
                detail: "ENOENT".into(),
            },
            P::TomlSyntax { detail: "x".into() },
            P::UnknownKey {
                key: "timezon".into(),
                section: Some("[station]".into()),
                suggestion: Some("timezone".into()),
                allowed: "name".into(),
            },
            P::UnknownKey {
                key: "xyz".into(),
                section: None,
                suggestion: None,
                allowed: "station".into(),
            },
            P::TooLong {
                what: "name".into(),
                len: 300,
                max: 200,
            },
            P::UnknownTimezone {
                name: "Asia/Hanoi".into(),
                suggestion: None,
            },
            P::UnknownTimezone {
                name: "Asia/Ho_Chi_Mih".into(),
                suggestion: Some("Asia/Saigon".into()),
            },
            P::DefaultTopicUnknown {
                topic: "nq".into(),
                suggestion: Some("nq57".into()),
                known: "nq57".into(),
            },
            P::DefaultTopicUnknown {
                topic: "zz".into(),
                suggestion: None,
                known: "nq57".into(),
            },
            P::DuplicateProgram {
                name: "sang".into(),
                line: 3,
            },
            P::ProgramNameNotOneWord {
                name: "sang som".into(),
            },
            P::ReservedProgramName {
                name: "thu-cong".into(),
                reserved: vec!["thu-cong".into(), "khan-cap".into()],
                example: "thu-cong-xa".into(),
            },
            P::NothingToPlay,
            P::CronSyntax {
                problem: super::CronProblem::FieldCount {
                    text: "30 5 *".into(),
                    count: 3,
                },
            },
            P::CronNeverFires {
                text: "0 6 31 2 *".into(),
            },
            P::PlaylistNotFound {
                name: "sang".into(),
                dir: "/srv/playlists".into(),
            },
            P::FileMissing {
                key: "intro".into(),
                path: "/srv/nhac.mp3".into(),
            },
            P::EntryFileMissing {
                path: "/srv/bai.mp3".into(),
            },
            P::EntryTopicUnknown {
                topic: "nq".into(),
                config: "/etc/loaxa.toml".into(),
            },
            P::CannotReadPlaylist {
                detail: "EACCES".into(),
            },
            P::PlaylistNotUtf8,
            P::NotAPlaylistFile,
            P::CannotReadPlaylistsDir {
                detail: "ENOENT".into(),
            },
            P::DuplicatePlaylist {
                name: "sang".into(),
                other: "/srv/sang.m3u8".into(),
            },
            P::BadOrder {
                detail: "`xyz`".into(),
            },
            P::NegativeSegmentId { id: "-3".into() },
            P::ItemSegmentAndFile,
            P::ItemFileEmpty,
            P::ItemNamesNothing { line: 4 },
            P::UnknownDirective {
                directive: "LOAXA-X".into(),
            },
            P::UrlEntry {
                url: "http://x.vn/b.mp3".into(),
            },
            P::BadSegmentId {
                bad: super::BadValue::SegmentId { value: "x".into() },
            },
            P::StationMissing,
            P::KeyMissing {
                section: "[[program]]".into(),
                key: "cron".into(),
            },
            P::KeyMissing {
                section: "[station]".into(),
                key: "name".into(),
            },
            P::KeyMissing {
                section: "[[program]]".into(),
                key: "name".into(),
            },
            P::AfterEmergencyUnknown {
                value: "tiep".into(),
            },
            P::WrongType {
                key: "fade_ms".into(),
                section: Some("[output]".into()),
                want: ValueKind::WholeNumber,
                found: ValueKind::Text,
            },
            P::WrongType {
                key: "station".into(),
                section: None,
                want: ValueKind::Table,
                found: ValueKind::ListOfTexts,
            },
            P::BadDuration {
                key: "max_duration".into(),
                text: "ba phut".into(),
            },
            P::DurationOutOfRange {
                key: "catch_up".into(),
                text: "90d".into(),
                min: "1m".into(),
                max: "31d".into(),
            },
            P::NumberOutOfRange {
                key: "target_lufs".into(),
                value: "16".into(),
                min: "-40".into(),
                max: "-5".into(),
                unit: "LUFS".into(),
            },
            P::NumberOutOfRange {
                key: "sample_rate".into(),
                value: "7".into(),
                min: "8000".into(),
                max: "384000".into(),
                unit: String::new(),
            },
            P::NumberTooLarge {
                key: "fade_ms".into(),
                section: "[output]".into(),
                text: "99999999999999999999".into(),
            },
            P::CronInThePast {
                text: "0 0 6 * * * 2020".into(),
                first: "2020-01-01".into(),
            },
            P::PlaylistNameNotFileName {
                name: "pl/sang.toml".into(),
            },
            P::RelayUrl {
                url: "ftp://vov.vn/vov1".into(),
                problem: UrlProblem::Scheme,
            },
            P::WebhookUrl {
                url: "bot.example.vn".into(),
                problem: UrlProblem::Scheme,
            },
            P::TooManyWebhooks { count: 9, max: 8 },
            P::BadTimeOfDay {
                key: "digest_at".into(),
                text: "7h".into(),
            },
            P::RelayUrl {
                url: "http://:80/".into(),
                problem: UrlProblem::NoHost,
            },
            P::RelayUrl {
                url: "http://h:0/".into(),
                problem: UrlProblem::BadPort { port: "0".into() },
            },
            P::RelayUrl {
                url: "http://h/a b".into(),
                problem: UrlProblem::Space,
            },
            P::RelayUrl {
                url: "http://[::1/".into(),
                problem: UrlProblem::Ipv6Unclosed,
            },
            P::RelayUrl {
                url: "http://h/…".into(),
                problem: UrlProblem::TooLong { max: 2048 },
            },
            P::TooManyRelayUrls { count: 9, max: 8 },
            P::ProgramTopicUnknown {
                topic: "kh".into(),
                suggestion: Some("khcn".into()),
                known: "khcn".into(),
            },
            P::ProgramTopicUnknown {
                topic: "zz".into(),
                suggestion: None,
                known: "khcn".into(),
            },
            P::RecordWithoutTopic,
            P::RelayWithoutWindow,
            P::RelayWithPlaylists,
            P::RelayOnlyKey,
            P::TopicSlugNotOneWord {
                slug: "nq 57".into(),
            },
            P::BadOutputDevice {
                text: "wav:".into(),
            },
            P::ListenNotAddress {
                text: "localhost".into(),
            },
            P::TokenHashNotHex,
            P::OpenWithoutToken {
                addr: "0.0.0.0:8757".into(),
            },
            P::TooManyAllowedHosts { max: 32 },
            P::NotAHostName {
                name: "*.lan".into(),
            },
            P::TtsEngineUnknown {
                engine: "festival".into(),
                known: "espeak-ng".into(),
            },
            P::TtsEngineAndCommand,
            P::TtsCommandShape { max_words: 32 },
            P::TtsCommandWithoutOut,
            P::TtsVoiceNotOffered {
                voice: "vi-hue".into(),
                voices: "vi, vi-vn-x-central".into(),
            },
            P::TtsVoicesCount { max: 32 },
            P::TtsVoiceName {
                voice: "vi bac".into(),
            },
            P::HookEmpty {
                key: "before_program".into(),
            },
            P::InboxEmpty,
            P::InboxMissing {
                path: "/srv/loa/inbox".into(),
            },
            P::InboxNotAFolder {
                path: "/srv/loa/inbox".into(),
            },
            P::InboxUrl {
                url: "ftp://stttt.example.vn/ban-tin.json".into(),
                problem: UrlProblem::Scheme,
            },
            P::StreamUrl {
                url: "rtmp://source:***@127.0.0.1/a".into(),
                problem: crate::stream::UrlProblem::Scheme,
            },
            P::NotOneOf {
                key: "bitrate".into(),
                value: "100".into(),
                allowed: "32, 64, 128".into(),
            },
            P::TooManyStreams { count: 9, max: 8 },
            P::DuplicateStream {
                url: "http://127.0.0.1:8000/a.mp3".into(),
            },
            P::TooManyZones { count: 40, max: 32 },
            P::BadZone {
                zone: "thon 1".into(),
            },
            P::ProvinceUrl {
                url: "mysql://xa:***@10.0.0.5/loaxa".into(),
                problem: crate::province::DbUrlProblem::Scheme,
            },
            P::StationCode {
                value: "Ba Tơ".into(),
            },
            P::FileTitleConflict {
                path: "/srv/bai.mp3".into(),
                other: "/srv/sang.toml:3".into(),
                other_title: "Bản tin sáng".into(),
                other_topic: "nq57".into(),
                title: "Bản tin chiều".into(),
                topic: "cds".into(),
            },
        ]
        .into_iter()
        .chain(
            super::CronProblem::samples()
                .into_iter()
                .map(|problem| P::CronSyntax { problem }),
        )
        .collect()
    }
}

/// The Vietnamese name of a program's `intro`/`outro`/`separator` key.
fn role_vi(key: &str) -> String {
    match key {
        "intro" => "nhạc hiệu mở đầu (`intro`)".into(),
        "outro" => "nhạc hiệu kết thúc (`outro`)".into(),
        "separator" => "nhạc chuyển tiếp (`separator`)".into(),
        other => format!("`{other}`"),
    }
}

/// An example of a duration key, in `lang`.
fn duration_example(lang: Lang, key: &str) -> Cow<'static, str> {
    match key {
        "catch_up" => pick(
            lang,
            "ví dụ `catch_up = \"skip\"` (mặc định) hoặc một khoảng như `\"20m\"`",
            "catch_up = \"skip\" (default) or a grace window such as \"20m\"",
        ),
        _ => pick(
            lang,
            "ví dụ `max_duration = \"30m\"`",
            "max_duration = \"30m\"",
        ),
    }
}

/// How to write `[api] token_sha256`, in `lang`.
fn token_hint(lang: Lang) -> Cow<'static, str> {
    pick(
        lang,
        "chọn một mã truy cập rồi ghi mã băm của nó: `printf %s 'MÃ' | sha256sum`, và đặt 64 chữ số đó vào `token_sha256 = \"...\"`",
        "choose a token, then write its hash: printf %s 'TOKEN' | sha256sum and put the 64 hex digits in token_sha256 = \"...\"",
    )
}

/// A good value of a ranged number key, in `lang` (`None` for a key without an example).
fn number_example(lang: Lang, key: &str) -> Option<Cow<'static, str>> {
    Some(match key {
        "target_lufs" => pick(
            lang,
            "`target_lufs = -16` hợp với tiếng nói qua loa (độ lớn tính bằng số âm: -16 lớn hơn -23)",
            "target_lufs = -16 suits speech on loudspeakers (loudness is negative: -16 is louder than -23)",
        ),
        "true_peak_ceiling_dbtp" => pick(
            lang,
            "`true_peak_ceiling_dbtp = -1` giữ mọi đỉnh thấp hơn mức méo tiếng 1 dB",
            "true_peak_ceiling_dbtp = -1 keeps every peak 1 dB below clipping",
        ),
        "master_gain_db" => pick(
            lang,
            "`master_gain_db = 0` phát đúng mức chuẩn; -6 giảm mức còn một nửa",
            "master_gain_db = 0 airs at the target; -6 halves the level",
        ),
        "trim_silence_db" => pick(
            lang,
            "`trim_silence_db = -50` cắt phần nhỏ hơn -50 dBFS ở đầu và cuối tệp; `false` giữ nguyên tệp",
            "trim_silence_db = -50 trims what is quieter than -50 dBFS; false keeps files whole",
        ),
        "max_upload_mb" => pick_owned(
            lang,
            format!(
                "ví dụ `max_upload_mb = {}`",
                crate::config::DEFAULT_MAX_UPLOAD_MB
            ),
            format!("max_upload_mb = {}", crate::config::DEFAULT_MAX_UPLOAD_MB),
        ),
        "sample_rate" => pick(
            lang,
            "dùng 44100 hoặc 48000, hoặc bỏ khoá này để dùng tần số của chính thiết bị",
            "use 44100 or 48000, or leave it out to use the device's own rate",
        ),
        "channels" => pick(
            lang,
            "`channels = 2` (âm thanh nổi) hoặc `1` (đơn kênh)",
            "channels = 2 (stereo) or 1 (mono)",
        ),
        "fade_ms" => pick(lang, "ví dụ `fade_ms = 200`", "fade_ms = 200"),
        "buffer_ms" => pick(
            lang,
            "`buffer_ms = 20` (tăng lên nếu tiếng bị giật)",
            "buffer_ms = 20 (raise it if the sound stutters)",
        ),
        _ => return None,
    })
}
