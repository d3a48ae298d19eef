//! Icecast/SHOUTcast streams (TO BE WRITTEN: helper "net").
use super::{NetOptions, SourceError, Stream, net::Response};

pub fn open(response: Response, _opts: &NetOptions) -> Result<Stream, SourceError> {
    Err(SourceError::Unsupported {
        url: response.url,
        what: "streams (not yet built)".into(),
    })
}
