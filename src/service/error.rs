//! Why the service layer refused an operation, typed, so the API answers with the right
//! status (404, 409, 400) without reading the wording. Messages carry their own hint line.

/// A refusal of an operator's request (as opposed to a failure of the station).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The thing asked for does not exist (segment id, queue number, program).
    #[error("{0}")]
    NotFound(String),
    /// It exists but is in use (a segment that is queued or in a playlist).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is wrong (unknown topic, dates the wrong way round, empty title).
    #[error("{0}")]
    Invalid(String),
    /// A refusal with its code: its words are chosen at the edge (API, CLI); its text here
    /// is the English one.
    #[error("{0}")]
    Code(crate::words::ErrorCode),
}

impl Refusal {
    /// The code of the refusal: its own, or a generic one holding the message.
    pub fn code(&self) -> crate::words::ErrorCode {
        use crate::words::ErrorCode;
        let message = |text: &str| {
            text.split_once("\n  hint: ")
                .map_or(text, |(m, _)| m)
                .trim()
                .to_string()
        };
        match self {
            Refusal::NotFound(t) => ErrorCode::NotFound { detail: message(t) },
            Refusal::Conflict(t) => ErrorCode::Conflict { detail: message(t) },
            Refusal::Invalid(t) => ErrorCode::BadRequest { detail: message(t) },
            Refusal::Code(c) => c.clone(),
        }
    }
}

/// An `anyhow::Error` holding a coded [`Refusal`].
pub(crate) fn refuse_code(code: crate::words::ErrorCode) -> anyhow::Error {
    anyhow::Error::from(Refusal::Code(code))
}

/// An `anyhow::Error` holding a coded refusal of the service layer.
pub(crate) fn refused(code: crate::words::RefusalCode) -> anyhow::Error {
    refuse_code(crate::words::ErrorCode::Refused(code))
}

/// Operator text through [`crate::text::bounded`] (clean, then at most `max` characters),
/// or an `Invalid` refusal naming the field and its limit: the one check every text an
/// operator or client gives the station goes through.
pub(crate) fn operator_text(field: &'static str, s: &str, max: usize) -> anyhow::Result<String> {
    crate::text::bounded(field, s, max).map_err(|e| {
        refused(crate::words::RefusalCode::TextTooLong {
            field: e.field.to_string(),
            len: e.len,
            max: e.max,
        })
    })
}

/// The typed code an error carries, if any (a service refusal, an import refusal, a code
/// from the daemon's API).
pub fn error_code(e: &anyhow::Error) -> Option<crate::words::ErrorCode> {
    use crate::words::ErrorCode;
    e.chain()
        .find_map(|c| match c.downcast_ref::<super::Refusal>() {
            Some(super::Refusal::Code(code)) => Some(code.clone()),
            _ => c.downcast_ref::<ErrorCode>().cloned().or_else(|| {
                c.downcast_ref::<crate::library::ImportError>()
                    .map(|i| ErrorCode::File(i.code()))
                    .or_else(|| {
                        c.downcast_ref::<crate::player::OutputError>()
                            .and_then(crate::player::OutputError::code)
                    })
            }),
        })
}
