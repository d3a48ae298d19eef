//! HLS live playlists (TO BE WRITTEN: helper "hls").
use super::{NetOptions, SourceError, Stream, net::Response};

/// Whether the answer is an HLS playlist (by content type or a path ending `.m3u8`).
pub fn is_playlist(response: &Response) -> bool {
    let path = response.url.split(['?', '#']).next().unwrap_or_default();
    path.to_ascii_lowercase().ends_with(".m3u8")
        || response.header("content-type").is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("mpegurl")
        })
}

pub fn open(response: Response, _opts: &NetOptions) -> Result<Stream, SourceError> {
    Err(SourceError::Unsupported {
        url: response.url,
        what: "HLS (not yet built)".into(),
    })
}
