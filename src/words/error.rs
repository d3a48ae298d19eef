//! The codes of the API's error answers, with their parameters.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Lang, Say, pick};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ErrorCode {
    /// Skip or stop with nothing on air.
    NothingOnAir,
}

impl ErrorCode {
    /// One of each variant, with sample parameters.
    pub fn samples() -> Vec<ErrorCode> {
        vec![ErrorCode::NothingOnAir]
    }
}

impl Say for ErrorCode {
    fn say(&self, lang: Lang) -> Cow<'static, str> {
        match self {
            ErrorCode::NothingOnAir => {
                pick(lang, "không có gì đang phát", "nothing is on air right now")
            }
        }
    }
}
