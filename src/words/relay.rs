//! A relay's words: why a source went off air ([`Fault`]) and what aired at a switch
//! ([`Air`]). A fault's `detail` is the network's or decoder's own technical text: it stays
//! as given, inside the words.

use std::borrow::Cow;

use super::{Lang, Say, pick, pick_owned};
use crate::relay::{Air, Fault};

impl Say for Fault {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Fault::Connect { detail } => pick_owned(
                lang,
                format!("không kết nối được tới nguồn ({detail})"),
                format!("cannot connect to the source ({detail})"),
            ),
            Fault::Status { status } => pick_owned(
                lang,
                format!("máy chủ của nguồn trả về mã lỗi {status}"),
                format!("the source's server answered status {status}"),
            ),
            Fault::Stalled => pick(
                lang,
                "nguồn ngừng gửi dữ liệu",
                "the source stopped sending data",
            ),
            Fault::Underrun => pick(
                lang,
                "nguồn gửi dữ liệu không kịp, bộ đệm đã cạn",
                "the source sent too little: the buffer ran dry",
            ),
            Fault::Frozen => pick(
                lang,
                "danh sách phát trực tiếp của nguồn không còn cập nhật",
                "the source's live playlist stopped advancing",
            ),
            Fault::Silence => pick(
                lang,
                "nguồn im lặng quá thời gian cho phép",
                "the source went silent for too long",
            ),
            Fault::Ended => pick(
                lang,
                "máy chủ của nguồn đã kết thúc luồng phát",
                "the source's server ended the stream",
            ),
            Fault::Unreadable { detail } => pick_owned(
                lang,
                format!("không đọc được dữ liệu của nguồn ({detail})"),
                format!("what the source sends cannot be read ({detail})"),
            ),
        }
    }
}

impl Say for Air {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            Air::Source { url } => pick_owned(
                lang,
                format!("tiếp sóng từ {url}"),
                format!("relaying {url}"),
            ),
            Air::Fallback => pick(lang, "phát dự phòng", "fallback"),
            Air::Silence => pick(lang, "im lặng", "silence"),
        }
    }
}

/// One fault of each kind, with sample details (free of English words, so the vocabulary
/// test reads only the words around them).
pub fn fault_samples() -> Vec<Fault> {
    vec![
        Fault::Connect {
            detail: "ECONNREFUSED".into(),
        },
        Fault::Status { status: 404 },
        Fault::Stalled,
        Fault::Underrun,
        Fault::Frozen,
        Fault::Silence,
        Fault::Ended,
        Fault::Unreadable {
            detail: "ADTS 0xFFF1".into(),
        },
    ]
}

/// Each thing a relay can air.
pub fn air_samples() -> Vec<Air> {
    vec![
        Air::Source {
            url: "https://vov.vn/vov1.m3u8".into(),
        },
        Air::Fallback,
        Air::Silence,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The technical detail is kept as given, in both languages.
    #[test]
    fn details_stay_as_given() {
        let f = Fault::Connect {
            detail: "connection refused".into(),
        };
        assert!(f.say(Lang::Vi).contains("(connection refused)"));
        assert!(f.say(Lang::Vi).starts_with("không kết nối được"));
        assert!(f.say(Lang::En).contains("(connection refused)"));
        assert_eq!(
            Fault::Status { status: 404 }.say(Lang::Vi),
            "máy chủ của nguồn trả về mã lỗi 404"
        );
        assert_eq!(Air::Fallback.say(Lang::Vi), "phát dự phòng");
    }
}
