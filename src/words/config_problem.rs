//! What is wrong in a config or playlist file, as codes with parameters
//! (`{"code":"unknown_key","key":"timezon",…}`); the file, line and column stay in
//! [`crate::config::Diagnostic`]. Words (message and hint) are chosen at the edge.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick, pick_owned};

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
    CronSyntax { detail: String, fix: String },
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
                    format!("khoá `{key}` không có trong {s}"),
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
            P::CronSyntax { detail, .. } => pick_owned(
                lang,
                format!("lịch cron sai: {detail}"),
                format!("cron: {detail}"),
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
                    format!("các khoá dùng được trong {s}: {allowed}"),
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
            P::CronSyntax { fix, .. } => Cow::Owned(fix.clone()),
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
                detail: "`61`".into(),
                fix: "0-59".into(),
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
        ]
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
