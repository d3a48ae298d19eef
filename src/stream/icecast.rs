//! An Icecast source connection: `PUT /mount` with the source password (Icecast 2.4's HTTP
//! source protocol, as libshout speaks it), then the MP3 bytes as they are encoded; the
//! item on air goes to `/admin/metadata` (the stream title listeners' players show).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Connecting, the server's answer and a metadata update each give up after this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A write the server does not take within this ends the connection (a slow or dead server
/// is reconnected; the sound card never waits for it).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest mount name.
const MAX_MOUNT: usize = 200;

/// Where a stream goes: `icecast://source:PASSWORD@host:8000/loa-xa.mp3` (`http://` is taken
/// as the same).
#[derive(Clone, PartialEq, Eq)]
pub struct IcecastUrl {
    pub host: String,
    pub port: u16,
    /// Starts with `/`.
    pub mount: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for IcecastUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.public())
    }
}

/// Why a stream URL cannot be used (the config's words come from [`crate::words`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlProblem {
    /// Not `icecast://` (or `http://`).
    Scheme,
    /// No `user:password@` before the host.
    NoPassword,
    NoHost,
    BadPort,
    /// No mount after the host (`/loa-xa.mp3`), or one with spaces or controls.
    BadMount,
}

impl IcecastUrl {
    pub fn parse(text: &str) -> Result<IcecastUrl, UrlProblem> {
        let rest = text
            .strip_prefix("icecast://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or(UrlProblem::Scheme)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (userinfo, hostport) = authority.rsplit_once('@').ok_or(UrlProblem::NoPassword)?;
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (percent_decode(u), percent_decode(p)),
            None => ("source".to_string(), percent_decode(userinfo)),
        };
        if password.is_empty() {
            return Err(UrlProblem::NoPassword);
        }
        let user = if user.is_empty() {
            "source".into()
        } else {
            user
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
                (h, p.parse::<u16>().map_err(|_| UrlProblem::BadPort)?)
            }
            _ => (hostport, 8000),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlProblem::NoHost);
        }
        if port == 0 {
            return Err(UrlProblem::BadPort);
        }
        let mount = path.split(['?', '#']).next().unwrap_or_default();
        if mount.len() < 2
            || mount.len() > MAX_MOUNT
            || mount.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(UrlProblem::BadMount);
        }
        Ok(IcecastUrl {
            host: host.to_string(),
            port,
            mount: mount.to_string(),
            user,
            password,
        })
    }

    /// The listeners' address (no password): `http://host:8000/loa-xa.mp3`.
    pub fn public(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("http://{host}:{}{}", self.port, self.mount)
    }

    fn authorization(&self) -> String {
        format!(
            "Basic {}",
            base64(format!("{}:{}", self.user, self.password).as_bytes())
        )
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let addrs = (self.host.as_str(), self.port).to_socket_addrs()?;
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(s) => {
                    s.set_read_timeout(Some(CONNECT_TIMEOUT))?;
                    s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                    s.set_nodelay(true)?;
                    return Ok(s);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// What the stream says about itself to Icecast (its directory headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub name: String,
    pub description: String,
    pub bitrate: u16,
    pub channels: u16,
    pub sample_rate: u32,
}

/// What kind of failure a source connection met (the operator's words are chosen from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFault {
    /// No TCP connection (refused, unreachable, timed out, name unknown).
    Connect,
    /// 401: the password is wrong.
    Password,
    /// 403 and the like: the mount is taken by another source, or not allowed.
    Refused,
    /// The server answered something that is not HTTP, or nothing.
    Answer,
    /// The connection broke while sending (the server went away or stalled).
    Broken,
}

/// Why a source connection failed: the kind, and the system's or server's own words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceError {
    pub fault: SourceFault,
    pub detail: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::words::{Lang, Say};
        write!(f, "{}: {}", self.fault.say(Lang::En), self.detail)
    }
}

impl std::error::Error for SourceError {}

impl SourceError {
    pub fn new(fault: SourceFault, detail: impl std::fmt::Display) -> SourceError {
        SourceError {
            fault,
            detail: detail.to_string().chars().take(200).collect(),
        }
    }
}

/// The source connection's send buffer holds about this much audio: a server that stops
/// reading is found out (the write blocks, then times out) within it and [`WRITE_TIMEOUT`],
/// and no more than about twice this (Linux doubles the size asked) is in flight
/// unconfirmed when a connection breaks.
pub const SEND_BUFFER: Duration = Duration::from_secs(1);

/// Opens a source connection: the server has said yes when this returns.
pub fn open_source(url: &IcecastUrl, info: &StreamInfo) -> Result<TcpStream, SourceError> {
    let mut stream = url
        .connect()
        .map_err(|e| SourceError::new(SourceFault::Connect, e))?;
    let bytes = (usize::from(info.bitrate) * 1000 / 8)
        .saturating_mul(SEND_BUFFER.as_secs() as usize)
        .max(8192);
    // A failure leaves the system's default (a later stall is then found later).
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(&stream, bytes);
    let request = format!(
        "PUT {mount} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth}\r\n\
         User-Agent: loaxa/{version}\r\nContent-Type: audio/mpeg\r\nIce-Public: 0\r\n\
         Ice-Name: {name}\r\nIce-Description: {desc}\r\nIce-Bitrate: {kbps}\r\n\
         Ice-Audio-Info: bitrate={kbps};channels={channels};samplerate={rate}\r\n\r\n",
        mount = url.mount,
        host = url.host,
        port = url.port,
        auth = url.authorization(),
        version = env!("CARGO_PKG_VERSION"),
        name = header_text(&info.name),
        desc = header_text(&info.description),
        kbps = info.bitrate,
        channels = info.channels,
        rate = info.sample_rate,
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| SourceError::new(SourceFault::Broken, e))?;
    let status = read_status(&mut stream)?;
    match status.0 {
        200..=299 => Ok(stream),
        401 => Err(SourceError::new(SourceFault::Password, status.1)),
        _ => Err(SourceError::new(SourceFault::Refused, status.1)),
    }
}

/// The status line's code and text, and the headers read past.
fn read_status(stream: &mut TcpStream) -> Result<(u16, String), SourceError> {
    let mut reader = BufReader::new(stream.take(16 * 1024));
    let mut line = String::new();
    let answer = |detail: String| SourceError::new(SourceFault::Answer, detail);
    reader
        .read_line(&mut line)
        .map_err(|e| answer(e.to_string()))?;
    let line = line.trim_end().to_string();
    let mut parts = line.splitn(3, ' ');
    let (Some(proto), Some(code)) = (parts.next(), parts.next()) else {
        return Err(answer(format!(
            "`{}`",
            line.chars().take(80).collect::<String>()
        )));
    };
    if !proto.starts_with("HTTP/") && !proto.starts_with("ICE/") {
        return Err(answer(format!(
            "`{}`",
            line.chars().take(80).collect::<String>()
        )));
    }
    let code: u16 = code
        .parse()
        .map_err(|_| answer(format!("`{}`", line.chars().take(80).collect::<String>())))?;
    // The headers end with an empty line (Icecast sends a few); a bounded read.
    let mut header = String::new();
    for _ in 0..64 {
        header.clear();
        match reader.read_line(&mut header) {
            Ok(0) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
            Err(_) if code < 300 => break,
            Err(e) => return Err(answer(e.to_string())),
        }
    }
    Ok((code, line))
}

/// Tells the server the title now on air (`song`), in UTF-8.
pub fn update_metadata(url: &IcecastUrl, title: &str) -> Result<(), SourceError> {
    let query = serde_urlencoded::to_string([
        ("mount", url.mount.as_str()),
        ("mode", "updinfo"),
        ("song", title),
        ("charset", "UTF-8"),
    ])
    .unwrap_or_default();
    let mut stream = url
        .connect()
        .map_err(|e| SourceError::new(SourceFault::Connect, e))?;
    let request = format!(
        "GET /admin/metadata?{query} HTTP/1.0\r\nHost: {}:{}\r\nAuthorization: {}\r\n\
         User-Agent: loaxa/{}\r\n\r\n",
        url.host,
        url.port,
        url.authorization(),
        env!("CARGO_PKG_VERSION"),
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| SourceError::new(SourceFault::Broken, e))?;
    match read_status(&mut stream)? {
        (200..=299, _) => Ok(()),
        (401, status) => Err(SourceError::new(SourceFault::Password, status)),
        (_, status) => Err(SourceError::new(SourceFault::Refused, status)),
    }
}

/// Whether an Icecast server answers at `url` (`loaxa check`): a plain GET of its root,
/// which takes no mount and tells nobody. The password is tried for real only on air.
pub fn probe(url: &IcecastUrl) -> Result<String, SourceError> {
    let mut stream = url
        .connect()
        .map_err(|e| SourceError::new(SourceFault::Connect, e))?;
    let request = format!(
        "GET / HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: loaxa/{}\r\n\r\n",
        url.host,
        url.port,
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| SourceError::new(SourceFault::Broken, e))?;
    let mut head = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut head);
    let head = String::from_utf8_lossy(&head);
    if !head.starts_with("HTTP/") {
        let first: String = head
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        return Err(SourceError::new(SourceFault::Answer, first));
    }
    let server = head
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("server")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    Ok(server)
}

/// A header value on one line, bounded, in ASCII: Icecast reads its source's headers as
/// Latin-1, so Vietnamese letters lose their marks here ("Đài thử nghiệm" → "Dai thu
/// nghiem") rather than turning into mojibake in players' directories. (The stream title
/// goes with `charset=UTF-8` and keeps them.)
fn header_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter_map(|c| match c {
            'đ' => Some('d'),
            'Đ' => Some('D'),
            c if c.is_ascii() && !c.is_control() => Some(c),
            _ => None,
        })
        .take(200)
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            let b = u8::try_from(h * 16 + l).unwrap_or(b'?');
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(TABLE[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_with_their_defaults_and_refusals() {
        let u =
            IcecastUrl::parse("icecast://source:hackme@127.0.0.1:8001/loa-xa.mp3").expect("reads");
        assert_eq!(
            (u.host.as_str(), u.port, u.mount.as_str()),
            ("127.0.0.1", 8001, "/loa-xa.mp3")
        );
        assert_eq!((u.user.as_str(), u.password.as_str()), ("source", "hackme"));
        assert_eq!(u.public(), "http://127.0.0.1:8001/loa-xa.mp3");
        assert!(
            !format!("{u:?}").contains("hackme"),
            "the password is never printed"
        );
        let u = IcecastUrl::parse("http://p%40ss@radio.example/a").expect("reads");
        assert_eq!(
            (u.user.as_str(), u.password.as_str(), u.port),
            ("source", "p@ss", 8000)
        );
        for (bad, problem) in [
            ("rtmp://s:p@h/a", UrlProblem::Scheme),
            ("icecast://h:8000/a", UrlProblem::NoPassword),
            ("icecast://s:@h/a", UrlProblem::NoPassword),
            ("icecast://s:p@:8000/a", UrlProblem::NoHost),
            ("icecast://s:p@h:99999/a", UrlProblem::BadPort),
            ("icecast://s:p@h:0/a", UrlProblem::BadPort),
            ("icecast://s:p@h:8000", UrlProblem::BadMount),
            ("icecast://s:p@h:8000/", UrlProblem::BadMount),
            ("icecast://s:p@h:8000/a b", UrlProblem::BadMount),
        ] {
            assert_eq!(IcecastUrl::parse(bad), Err(problem), "{bad}");
        }
    }

    #[test]
    fn headers_are_ascii_without_the_marks() {
        assert_eq!(
            header_text("Đài truyền thanh xã\r\nX: y"),
            "Dai truyen thanh xaX: y"
        );
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (text, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            ("source:hackme", "c291cmNlOmhhY2ttZQ=="),
        ] {
            assert_eq!(base64(text.as_bytes()), want);
        }
    }
}
