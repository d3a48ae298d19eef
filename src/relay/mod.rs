//! Relay (tiếp sóng): the sources a relay program airs — Icecast/SHOUTcast HTTP streams (MP3,
//! AAC in ADTS, ICY metadata) and HLS live playlists (AAC in ADTS or in MPEG-TS segments) —
//! read from the network as a plain byte stream of one codec for the decoder.
//!
//! [`open`] connects to a URL (http or https with rustls, redirects followed) and returns a
//! [`Stream`]: a blocking reader of the audio's elementary bytes (ICY metadata taken out,
//! HLS segments fetched in order and unwrapped to ADTS), the decoder's format hint and the
//! stream title as it changes. A read that waits longer than [`NetOptions::stall`] fails
//! with [`std::io::ErrorKind::TimedOut`]; a live playlist that stops advancing fails its
//! reader with [`SourceError::Frozen`] (inside an [`std::io::Error`]). The caller (the relay
//! item in the player) decides what to do: switch to the next URL, the fallback, retry.

pub mod feed;
pub mod hls;
pub mod icy;
pub mod net;
pub mod proof;
pub(crate) mod record;
pub mod ts;

use std::io::Read;
use std::sync::{Arc, Mutex};

pub use proof::{Air, Failure, Fault, RelayProof, Switch};

use crate::words::UrlProblem;
use std::time::Duration;

/// How sources are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetOptions {
    /// To connect (and the TLS handshake), per address tried.
    pub connect: Duration,
    /// The longest a read may wait for a byte (response head or body) before the source
    /// counts as stalled.
    pub stall: Duration,
    /// Redirects followed (301, 302, 303, 307, 308) before giving up.
    pub max_redirects: u8,
    /// A live HLS playlist whose media sequence has not advanced for this long is frozen.
    pub frozen: Duration,
    /// Extra trusted root certificates (DER) beside Mozilla's, e.g. a province's own CA.
    pub ca_certs: Vec<Vec<u8>>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            connect: Duration::from_secs(5),
            stall: Duration::from_secs(5),
            max_redirects: 5,
            frozen: Duration::from_secs(30),
            ca_certs: Vec::new(),
        }
    }
}

/// The stream title as the source last said it (ICY `StreamTitle`, HLS `#EXTINF` title).
#[derive(Debug, Clone, Default)]
pub struct Title(Arc<Mutex<Option<String>>>);

impl Title {
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, title: Option<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = title;
    }
}

/// The decoder's format of a stream's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// MPEG audio layer III frames.
    Mp3,
    /// AAC in ADTS frames.
    Aac,
}

impl Codec {
    /// The file extension symphonia's probe takes as a hint.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Mp3 => "mp3",
            Codec::Aac => "aac",
        }
    }
}

/// An open source.
pub struct Stream {
    /// The audio's elementary bytes, in order.
    pub reader: Box<dyn std::io::Read + Send>,
    pub codec: Codec,
    pub title: Title,
    /// The URL that answered, after redirects.
    pub url: String,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("codec", &self.codec)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a source cannot be aired. Every variant names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Not an `http://` or `https://` URL, or one that does not parse.
    #[error("{url}: not an http or https address ({detail})")]
    BadUrl { url: String, detail: String },
    /// Name not found, connection refused or timed out, TLS failure.
    #[error("{url}: cannot connect ({detail})")]
    Connect { url: String, detail: String },
    /// The server answered with a status other than 200.
    #[error("{url}: the server answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: more than {max} redirects")]
    Redirects { url: String, max: u8 },
    /// Nothing arrived for the stall time.
    #[error("{url}: nothing arrived for {secs} s")]
    Stalled { url: String, secs: u64 },
    /// A live playlist whose media sequence stopped advancing.
    #[error("{url}: the playlist has not advanced for {secs} s")]
    Frozen { url: String, secs: u64 },
    /// A format loaxa does not relay (e.g. `audio/ogg`), or a playlist without audio.
    #[error("{url}: cannot relay {what}")]
    Unsupported { url: String, what: String },
    /// The server sent something that does not read (a broken header, playlist, segment).
    #[error("{url}: {detail}")]
    Malformed { url: String, detail: String },
}

impl SourceError {
    /// Wraps the error for a reader's `read` (kind `TimedOut` for a stall).
    pub fn into_io(self) -> std::io::Error {
        let kind = match self {
            SourceError::Stalled { .. } => std::io::ErrorKind::TimedOut,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, self)
    }

    /// The source error inside an I/O error from a [`Stream`]'s reader, if it is one.
    pub fn from_io(e: &std::io::Error) -> Option<&SourceError> {
        e.get_ref()?.downcast_ref::<SourceError>()
    }
}

/// Opens `url`: an HLS playlist (a path ending `.m3u8`, or an `application/vnd.apple.mpegurl`
/// / `audio/mpegurl` answer) is followed live; anything else is read as an Icecast/SHOUTcast
/// stream of MP3 or AAC.
pub fn open(url: &str, opts: &NetOptions) -> Result<Stream, SourceError> {
    let response = net::get(url, opts, &[("Icy-MetaData", "1")])?;
    if hls::is_playlist(&response) {
        hls::open(response, opts)
    } else {
        icy::open(response, opts)
    }
}

/// Whether `url` can name a relay source: `http://` or `https://`, a host, a port from 1 to
/// 65535 if any, no spaces or control characters, at most [`crate::config::MAX_URL`] bytes.
/// The config's check; what the server answers is the source's own matter.
pub fn check_url(url: &str) -> Result<(), UrlProblem> {
    if url.len() > crate::config::MAX_URL {
        return Err(UrlProblem::TooLong {
            max: crate::config::MAX_URL as u64,
        });
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlProblem::Space);
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or(UrlProblem::Scheme)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => return Err(UrlProblem::Ipv6Unclosed),
        },
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return Err(UrlProblem::NoHost);
    }
    if let Some(port) = port
        && port.parse::<u16>().ok().is_none_or(|p| p == 0)
    {
        return Err(UrlProblem::BadPort {
            port: port.chars().take(20).collect(),
        });
    }
    Ok(())
}

/// What a source answered when probed: its codec and the URL that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub codec: Codec,
    pub url: String,
}

/// Whether `url` answers as a relay source now: it opens and its first audio bytes arrive
/// within the timeouts of `opts`. What `loaxa check` asks of each source.
pub fn probe(url: &str, opts: &NetOptions) -> Result<Probe, Fault> {
    let mut stream = open(url, opts).map_err(|e| Fault::of(&e))?;
    let mut first = [0u8; 512];
    match stream.reader.read(&mut first) {
        Ok(0) => Err(Fault::Ended),
        Ok(_) => Ok(Probe {
            codec: stream.codec,
            url: stream.url,
        }),
        Err(e) => Err(SourceError::from_io(&e).map_or(
            Fault::Connect {
                detail: e.to_string(),
            },
            Fault::of,
        )),
    }
}
