//! A small HTTP/1.1 GET client for streams (TO BE WRITTEN: helper "net").
//!
//! Interface (kept): `get` connects with `opts.connect`, sends a GET with the extra headers,
//! follows redirects up to `opts.max_redirects`, accepts `HTTP/1.x` and SHOUTcast's
//! `ICY 200 OK`, and returns the answer with a body reader that fails a read waiting longer
//! than `opts.stall` with `SourceError::Stalled` (as `into_io`). Chunked bodies are unwrapped.

use super::{NetOptions, SourceError};

/// A server's answer with status 200.
pub struct Response {
    /// The URL that answered, after redirects.
    pub url: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn std::io::Read + Send>,
}

impl Response {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn get(
    url: &str,
    _opts: &NetOptions,
    _headers: &[(&str, &str)],
) -> Result<Response, SourceError> {
    Err(SourceError::Connect {
        url: url.to_string(),
        detail: "not yet built".into(),
    })
}
