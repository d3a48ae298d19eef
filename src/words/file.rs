//! Why a file cannot enter (or stay in) the library, as codes with their parameters: what
//! the operator meets when `segment add` or an upload refuses a file.
//!
//! Every text names the file, says what is wrong and ends with a fix; the conversion
//! command is a parameter (`convert`), never words, and is shown between backticks.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick_owned};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FileCode {
    /// The path names nothing.
    FileMissing { file: String },
    /// The path names a folder.
    FileIsFolder { file: String },
    /// The file cannot be read (`detail`: the system's reason).
    FileUnreadable { file: String, detail: String },
    /// 0 bytes.
    FileEmpty { file: String },
    /// No audio format recognised.
    FileNotAudio {
        file: String,
        detail: String,
        convert: String,
    },
    /// A container without an audio track.
    FileNoAudioTrack { file: String, convert: String },
    /// An audio format the station cannot play.
    FileUnsupported {
        file: String,
        detail: String,
        convert: String,
    },
    /// The container or stream is damaged.
    FileDamaged {
        file: String,
        detail: String,
        convert: String,
    },
    /// Too many packets do not decode.
    FileBadPackets {
        file: String,
        bad: u64,
        packets: u64,
        convert: String,
    },
    /// Nothing decodes.
    FileNoAudio { file: String, convert: String },
    /// Less decodes than the header announces.
    FileTruncated {
        file: String,
        decoded_ms: u64,
        declared_ms: u64,
    },
    /// The file changed while it was imported.
    FileChanged {
        file: String,
        expected: String,
        actual: String,
    },
    /// A stored media file is gone.
    MediaMissing { file: String },
    /// A stored media file no longer hashes to its sha256.
    MediaDamaged {
        file: String,
        expected: String,
        actual: String,
    },
    /// The check itself stopped (a bug).
    FileCheckFailed { file: String, detail: String },
    /// The disk is full while storing the file.
    FileDiskFull { file: String, folder: String },
    /// The media store failed while `action` (`writing`, `creating`…) the file.
    MediaStoreFailed {
        action: String,
        file: String,
        detail: String,
    },
}

impl FileCode {
    /// One of each variant, with sample parameters free of English words.
    pub fn samples() -> Vec<FileCode> {
        let file = || "/tmp/bản-tin.opus".to_string();
        let convert = || "ffmpeg -i bản-tin.opus -c:a libmp3lame -q:a 2 bản-tin.mp3".to_string();
        let detail = || "E: x".to_string();
        vec![
            FileCode::FileMissing { file: file() },
            FileCode::FileIsFolder { file: file() },
            FileCode::FileUnreadable {
                file: file(),
                detail: detail(),
            },
            FileCode::FileEmpty { file: file() },
            FileCode::FileNotAudio {
                file: file(),
                detail: detail(),
                convert: convert(),
            },
            FileCode::FileNoAudioTrack {
                file: file(),
                convert: convert(),
            },
            FileCode::FileUnsupported {
                file: file(),
                detail: "opus".into(),
                convert: convert(),
            },
            FileCode::FileDamaged {
                file: file(),
                detail: detail(),
                convert: convert(),
            },
            FileCode::FileBadPackets {
                file: file(),
                bad: 5,
                packets: 10,
                convert: convert(),
            },
            FileCode::FileNoAudio {
                file: file(),
                convert: convert(),
            },
            FileCode::FileTruncated {
                file: file(),
                decoded_ms: 1500,
                declared_ms: 125_000,
            },
            FileCode::FileChanged {
                file: file(),
                expected: "ab12".into(),
                actual: "cd34".into(),
            },
            FileCode::MediaMissing { file: file() },
            FileCode::MediaDamaged {
                file: file(),
                expected: "ab12".into(),
                actual: "cd34".into(),
            },
            FileCode::FileCheckFailed {
                file: file(),
                detail: detail(),
            },
            FileCode::FileDiskFull {
                file: file(),
                folder: "/tmp".into(),
            },
            FileCode::MediaStoreFailed {
                action: "writing".into(),
                file: file(),
                detail: detail(),
            },
        ]
    }

    /// Whether the file itself is at fault (422), rather than the station (500, 507).
    pub fn is_the_files_fault(&self) -> bool {
        !matches!(
            self,
            FileCode::FileMissing { .. }
                | FileCode::FileIsFolder { .. }
                | FileCode::FileUnreadable { .. }
                | FileCode::FileDiskFull { .. }
                | FileCode::MediaStoreFailed { .. }
        )
    }
}

/// Milliseconds as operators read them: `1.50 s`, `2 min 05 s` (`1,50 giây`, `2 phút 05 giây`).
pub(crate) fn secs(lang: Lang, ms: u64) -> String {
    match (lang, ms < 60_000) {
        (Lang::En, true) => format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10),
        (Lang::En, false) => format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60),
        (Lang::Vi, true) => format!("{},{:02} giây", ms / 1000, (ms % 1000) / 10),
        (Lang::Vi, false) => format!("{} phút {:02} giây", ms / 60_000, (ms / 1000) % 60),
    }
}

/// The media store's action in Vietnamese (the English one is the stored parameter).
fn action_vi(action: &str) -> &'static str {
    match action {
        "writing" => "ghi",
        "creating" => "tạo",
        "renaming into" => "đổi tên thành",
        "syncing" => "đồng bộ",
        "flushing" => "ghi xuống đĩa",
        "storing" => "lưu",
        _ => "xử lý",
    }
}

impl Say for FileCode {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            FileCode::FileMissing { file } => pick_owned(
                lang,
                format!(
                    "không có tệp {file}; hãy kiểm tra đường dẫn (tên có dấu cách thì đặt trong ngoặc kép)"
                ),
                format!("{file} does not exist; check the path (quote names with spaces)"),
            ),
            FileCode::FileIsFolder { file } => pick_owned(
                lang,
                format!(
                    "{file} là một thư mục, không phải tệp âm thanh; hãy nhập từng tệp bên trong"
                ),
                format!(
                    "{file} is a folder, not an audio file; import the files inside it one by one"
                ),
            ),
            FileCode::FileUnreadable { file, detail } => pick_owned(
                lang,
                format!(
                    "không đọc được {file} ({detail}); hãy kiểm tra quyền đọc tệp của tài khoản chạy loaxa"
                ),
                format!(
                    "cannot read {file}: {detail}; check that the file is readable by the user running loaxa"
                ),
            ),
            FileCode::FileEmpty { file } => pick_owned(
                lang,
                format!("{file} rỗng (0 byte); có lẽ sao chép hoặc tải về bị lỗi, hãy lấy lại tệp"),
                format!(
                    "{file} is empty (0 bytes); the copy or download probably failed, get the file again"
                ),
            ),
            FileCode::FileNotAudio {
                file,
                detail,
                convert,
            } => pick_owned(
                lang,
                format!(
                    "{file} không phải tệp âm thanh loaxa nhận ra ({detail}); nếu tệp phát được ở phần mềm khác, hãy chuyển đổi: `{convert}`"
                ),
                format!(
                    "{file} is not an audio file loaxa recognises ({detail}); if it plays elsewhere, convert it: `{convert}`"
                ),
            ),
            FileCode::FileNoAudioTrack { file, convert } => pick_owned(
                lang,
                format!(
                    "{file} không có kênh âm thanh (chỉ có hình?); hãy tách lấy âm thanh: `{convert}`"
                ),
                format!(
                    "{file} has no audio track (a video or picture only?); extract the sound: `{convert}`"
                ),
            ),
            FileCode::FileUnsupported {
                file,
                detail,
                convert,
            } => pick_owned(
                lang,
                format!(
                    "{file}: định dạng âm thanh này không phát được ({detail}); loaxa phát MP3, WAV, OGG Vorbis, Opus (OGG, WebM), FLAC và M4A (AAC), hãy chuyển đổi: `{convert}`"
                ),
                format!(
                    "{file}: this audio format cannot be played ({detail}); loaxa plays MP3, WAV, OGG Vorbis, Opus (OGG, WebM), FLAC and M4A (AAC), convert it: `{convert}`"
                ),
            ),
            FileCode::FileDamaged {
                file,
                detail,
                convert,
            } => pick_owned(
                lang,
                format!(
                    "{file} bị hỏng ({detail}); hãy lấy lại tệp từ nguồn, hoặc thử cứu tệp: `{convert}`"
                ),
                format!(
                    "{file} is damaged ({detail}); get the file again from its source, or try to rescue it: `{convert}`"
                ),
            ),
            FileCode::FileBadPackets {
                file,
                bad,
                packets,
                convert,
            } => pick_owned(
                lang,
                format!(
                    "{file} bị hỏng: {bad} trên {packets} gói âm thanh không giải mã được (sẽ phát thành khoảng lặng hoặc tiếng rè); hãy lấy lại tệp, hoặc thử cứu tệp: `{convert}`"
                ),
                format!(
                    "{file} is damaged: {bad} of {packets} audio packets cannot be decoded (would air as gaps or noise); get the file again, or try to rescue it: `{convert}`"
                ),
            ),
            FileCode::FileNoAudio { file, convert } => pick_owned(
                lang,
                format!(
                    "{file} không có âm thanh phát được (không giải mã được gì: tệp rỗng, bị cắt dở hoặc hỏng); hãy lấy lại tệp từ nguồn, hoặc nếu tệp phát được ở phần mềm khác, hãy chuyển đổi: `{convert}`"
                ),
                format!(
                    "{file} contains no playable audio (nothing decodes: the file is empty, cut off or damaged); get the file again from its source, or if it plays in other software, convert it: `{convert}`"
                ),
            ),
            FileCode::FileTruncated {
                file,
                decoded_ms,
                declared_ms,
            } => pick_owned(
                lang,
                format!(
                    "{file} bị cắt dở hoặc hỏng: chỉ giải mã được {} trên {} mà phần đầu tệp ghi; hãy lấy lại tệp đầy đủ từ nguồn",
                    secs(lang, *decoded_ms),
                    secs(lang, *declared_ms)
                ),
                format!(
                    "{file} is cut off or damaged: only {} of the {} its header announces can be decoded; get the complete file again from its source",
                    secs(lang, *decoded_ms),
                    secs(lang, *declared_ms)
                ),
            ),
            FileCode::FileChanged {
                file,
                expected,
                actual,
            } => pick_owned(
                lang,
                format!(
                    "{file} đã thay đổi trong lúc nhập (sha256 {actual}, cần {expected}); hãy chờ sao chép xong rồi nhập lại"
                ),
                format!(
                    "{file} changed while it was being imported (sha256 {actual}, expected {expected}); wait until it is fully copied, then import it again"
                ),
            ),
            FileCode::MediaMissing { file } => pick_owned(
                lang,
                format!("tệp {file} đã mất khỏi kho âm thanh; hãy nhập lại tệp gốc"),
                format!(
                    "media file {file} is missing from the media store; import the original file again"
                ),
            ),
            FileCode::MediaDamaged {
                file,
                expected,
                actual,
            } => pick_owned(
                lang,
                format!(
                    "tệp {file} trong kho âm thanh bị hỏng (sha256 {actual}, cần {expected}); hãy kiểm tra ổ đĩa rồi nhập lại tệp gốc"
                ),
                format!(
                    "media file {file} is damaged in the media store (sha256 {actual}, expected {expected}); check the disk, then import the original file again"
                ),
            ),
            FileCode::FileCheckFailed { file, detail } => pick_owned(
                lang,
                format!(
                    "{file}: loaxa dừng giữa chừng khi kiểm tra tệp này ({detail}); chưa nhập gì. Đây là lỗi của loaxa: hãy báo lỗi kèm tệp"
                ),
                format!(
                    "{file}: loaxa stopped while checking this file ({detail}); nothing of it was imported. This is a loaxa bug: please report it with the file"
                ),
            ),
            FileCode::FileDiskFull { file, folder } => pick_owned(
                lang,
                format!(
                    "ổ đĩa đã đầy: không lưu được {file}; hãy giải phóng ổ đĩa của máy đài (`df -h {folder}`) rồi nhập lại tệp"
                ),
                format!(
                    "the disk is full (No space left on device): cannot store {file}; free disk space on the station PC (`df -h {folder}`), then import the file again"
                ),
            ),
            FileCode::MediaStoreFailed {
                action,
                file,
                detail,
            } => pick_owned(
                lang,
                format!(
                    "kho âm thanh: không {} được {file} ({detail}); hãy kiểm tra dung lượng trống và quyền của thư mục dữ liệu",
                    action_vi(action)
                ),
                format!(
                    "media store: {action} {file}: {detail}; check free disk space and permissions of the data folder"
                ),
            ),
        }
    }
}
