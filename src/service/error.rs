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
}

/// `return Err(refuse!(Kind, "format", args))` — an `anyhow::Error` holding a [`Refusal`].
macro_rules! refuse {
    ($kind:ident, $($arg:tt)*) => {
        anyhow::Error::from($crate::service::Refusal::$kind(format!($($arg)*)))
    };
}
pub(crate) use refuse;

/// Operator text through [`crate::text::bounded`] (clean, then at most `max` characters),
/// or an `Invalid` refusal naming the field and its limit: the one check every text an
/// operator or client gives the station goes through.
pub(crate) fn operator_text(field: &'static str, s: &str, max: usize) -> anyhow::Result<String> {
    crate::text::bounded(field, s, max).map_err(|e| refuse!(Invalid, "{e}"))
}
