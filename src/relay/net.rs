//! A small blocking HTTP/1.1 GET client for streams.
//!
//! [`get`] connects with `opts.connect` per resolved address, speaks TLS through rustls
//! (the `ring` provider, Mozilla's roots from `webpki-roots` plus [`NetOptions::ca_certs`]),
//! sends one GET, follows redirects (301, 302, 303, 307, 308; relative `Location` too) up to
//! `opts.max_redirects`, accepts `HTTP/1.x` and SHOUTcast v1's `ICY 200 OK`, and returns a
//! 200 answer with a body reader that unwraps `Transfer-Encoding: chunked`, honours
//! `Content-Length`, and fails a read that waits longer than `opts.stall` with
//! [`SourceError::Stalled`] (through [`SourceError::into_io`], kind `TimedOut`).
//!
//! Why hand-written and not ureq (a dependency already, used by the CLI): ureq 3's timeouts
//! are deadlines counted from the call's start, not an idle time per read, so a live stream
//! that plays for hours either gets cut or never notices a stall; and ureq refuses the
//! `ICY 200 OK` status line that SHOUTcast v1 servers still send.
//!
//! Everything read from the network is bounded: the URL ([`MAX_URL`]), the response head
//! ([`MAX_HEAD`], [`MAX_HEADERS`]) and a chunk's size line ([`MAX_CHUNK_LINE`]). Name
//! resolution uses the system resolver, which has its own timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::{NetOptions, SourceError};

/// The longest URL taken, given or from a `Location` header.
pub const MAX_URL: usize = 4096;
/// The longest response head (status line and headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// The most headers in a response.
pub const MAX_HEADERS: usize = 64;
/// The longest chunk size line (hex size and extensions) or trailer line of a chunked body.
pub const MAX_CHUNK_LINE: usize = 1024;

const USER_AGENT: &str = concat!("loaxa/", env!("CARGO_PKG_VERSION"));

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

/// GETs `url` with the extra `headers`, following redirects; see the module doc.
pub fn get(
    url: &str,
    opts: &NetOptions,
    headers: &[(&str, &str)],
) -> Result<Response, SourceError> {
    let mut target = Url::parse(url)?;
    let mut redirects = 0u8;
    loop {
        match exchange(&target, opts, headers)? {
            Answer::Ok(response) => return Ok(response),
            Answer::Redirect(location) => {
                if redirects >= opts.max_redirects {
                    return Err(SourceError::Redirects {
                        url: target.text,
                        max: opts.max_redirects,
                    });
                }
                redirects += 1;
                target = target.join(&location)?;
            }
        }
    }
}

/// `reference` resolved against `base` as a redirect's `Location` is (absolute,
/// scheme-relative, absolute path, or relative to `base`'s folder): for a list that names
/// its files relative to itself.
pub fn resolve(base: &str, reference: &str) -> Result<String, SourceError> {
    Ok(Url::parse(base)?.join(reference)?.text)
}

/// One request's outcome: the answer, or where it redirects.
enum Answer {
    Ok(Response),
    Redirect(String),
}

/// Connects to `url`, sends the GET and reads the answer's head.
fn exchange(url: &Url, opts: &NetOptions, headers: &[(&str, &str)]) -> Result<Answer, SourceError> {
    let mut conn = connect(url, opts)?;
    let request = request_text(url, headers);
    conn.write_all(request.as_bytes())
        .and_then(|()| conn.flush())
        .map_err(|e| url.connect_error(&e))?;
    let (head, rest) = read_head(&mut conn, url, opts)?;
    match head.status {
        200 => {
            let body = body_reader(url, opts, &head.headers, rest, conn)?;
            Ok(Answer::Ok(Response {
                url: url.text.clone(),
                headers: head.headers,
                body,
            }))
        }
        301 | 302 | 303 | 307 | 308 => match header(&head.headers, "location") {
            Some(location) => Ok(Answer::Redirect(location.to_string())),
            None => Err(url.malformed(format!("redirect {} without Location", head.status))),
        },
        status => Err(SourceError::Status {
            url: url.text.clone(),
            status,
        }),
    }
}

/// The request's text: the GET line, our headers, the caller's.
fn request_text(url: &Url, headers: &[(&str, &str)]) -> String {
    let mut text = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n",
        url.path,
        url.host_header()
    );
    for (name, value) in headers {
        // The caller's headers are constants; a line break would split the request.
        if !name.contains(['\r', '\n']) && !value.contains(['\r', '\n']) {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    text.push_str("\r\n");
    text
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

// ---- URLs ----------------------------------------------------------------------------

/// An `http` or `https` URL, split as the client needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Url {
    /// The whole URL as given (without its fragment), for errors and `Response::url`.
    text: String,
    tls: bool,
    /// The host without IPv6 brackets.
    host: String,
    port: u16,
    /// Path and query, starting with `/`.
    path: String,
}

impl Url {
    fn parse(text: &str) -> Result<Url, SourceError> {
        let bad = |detail: &str| SourceError::BadUrl {
            url: text.chars().take(200).collect(),
            detail: detail.to_string(),
        };
        if text.len() > MAX_URL {
            return Err(bad("too long"));
        }
        if text.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad("spaces or control characters"));
        }
        let text = text.split('#').next().unwrap_or_default();
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(text, "http://") {
            (false, rest)
        } else if let Some(rest) = strip_prefix_ci(text, "https://") {
            (true, rest)
        } else {
            return Err(bad("not http:// or https://"));
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("user name in the address"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("bad host or port"))?;
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(Url {
            text: text.to_string(),
            tls,
            host,
            port: port.unwrap_or(if tls { 443 } else { 80 }),
            path,
        })
    }

    /// Resolves a `Location` against this URL: absolute, scheme-relative (`//host/…`),
    /// absolute path, query-only, or relative to this path's folder.
    fn join(&self, location: &str) -> Result<Url, SourceError> {
        let location = location.trim();
        let scheme = if self.tls { "https:" } else { "http:" };
        let origin = format!("{scheme}//{}", self.host_header());
        let absolute = if strip_prefix_ci(location, "http://").is_some()
            || strip_prefix_ci(location, "https://").is_some()
        {
            location.to_string()
        } else if location.starts_with("//") {
            format!("{scheme}{location}")
        } else if location.starts_with('/') {
            format!("{origin}{location}")
        } else if location.starts_with('?') {
            let path = self.path.split('?').next().unwrap_or("/");
            format!("{origin}{path}{location}")
        } else {
            let path = self.path.split('?').next().unwrap_or("/");
            let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{origin}{folder}{location}")
        };
        Url::parse(&absolute)
    }

    /// `host` or `host:port` for the `Host` header (the port only when not the default).
    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.tls { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    fn connect_error(&self, e: &dyn std::fmt::Display) -> SourceError {
        SourceError::Connect {
            url: self.text.clone(),
            detail: e.to_string(),
        }
    }

    fn malformed(&self, detail: String) -> SourceError {
        SourceError::Malformed {
            url: self.text.clone(),
            detail,
        }
    }

    fn stalled(&self, opts: &NetOptions) -> SourceError {
        SourceError::Stalled {
            url: self.text.clone(),
            secs: opts.stall.as_secs_f64().ceil() as u64,
        }
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` → the host (no brackets) and the port.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (v6, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && (host.contains(':')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
    if !host_ok {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
    };
    Some((host.to_ascii_lowercase(), port))
}

// ---- Connections ---------------------------------------------------------------------

/// A plain or TLS connection.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
        }
    }
}

/// Resolves the host, connects to the first address that answers within `opts.connect`,
/// and does the TLS handshake (within `opts.connect` per read) for https.
fn connect(url: &Url, opts: &NetOptions) -> Result<Conn, SourceError> {
    let tcp = connect_tcp(url, opts)?;
    set_timeouts(&tcp, opts.connect).map_err(|e| url.connect_error(&e))?;
    let conn = if url.tls {
        Conn::Tls(Box::new(tls_handshake(url, opts, tcp)?))
    } else {
        Conn::Plain(tcp)
    };
    set_timeouts(conn.tcp(), opts.stall).map_err(|e| url.connect_error(&e))?;
    Ok(conn)
}

fn connect_tcp(url: &Url, opts: &NetOptions) -> Result<TcpStream, SourceError> {
    let addrs: Vec<SocketAddr> = match url.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, url.port)],
        Err(_) => (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|e| url.connect_error(&format!("name not found: {e}")))?
            .collect(),
    };
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, opts.connect) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => url.connect_error(&e),
        None => url.connect_error(&"name has no address"),
    })
}

fn set_timeouts(tcp: &TcpStream, wait: Duration) -> std::io::Result<()> {
    // A zero duration is refused by the socket calls; a millisecond is the floor.
    let wait = Some(wait.max(Duration::from_millis(1)));
    tcp.set_read_timeout(wait)?;
    tcp.set_write_timeout(wait)
}

fn tls_handshake(
    url: &Url,
    opts: &NetOptions,
    mut tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, SourceError> {
    let config = tls_config(&opts.ca_certs).map_err(|e| url.connect_error(&e))?;
    let name = match url.host.parse::<IpAddr>() {
        Ok(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
        Err(_) => rustls::pki_types::ServerName::try_from(url.host.clone())
            .map_err(|e| url.connect_error(&e))?,
    };
    let mut tls = rustls::ClientConnection::new(config, name).map_err(|e| url.connect_error(&e))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).map_err(|e| {
            if is_timeout(&e) {
                url.connect_error(&"TLS handshake timed out")
            } else {
                url.connect_error(&format!("TLS: {e}"))
            }
        })?;
    }
    Ok(rustls::StreamOwned::new(tls, tcp))
}

/// The client's TLS settings: the ring provider, Mozilla's roots and the extra ones.
pub(crate) fn tls_config(extra_roots: &[Vec<u8>]) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra_roots {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|e| format!("extra CA certificate: {e}"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Whether an I/O error is a read or write timeout (`WouldBlock` on Unix, `TimedOut` on
/// Windows).
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

// ---- The response head ---------------------------------------------------------------

/// A parsed response head.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

/// Reads until the head is complete; returns it and the body bytes read past it.
fn read_head(
    conn: &mut Conn,
    url: &Url,
    opts: &NetOptions,
) -> Result<(Head, Vec<u8>), SourceError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = match conn.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if is_timeout(&e) => return Err(url.stalled(opts)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(url.connect_error(&e)),
        };
        if n == 0 {
            return Err(url.connect_error(&"closed before the answer"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some((head, len)) = parse_head(&buf).map_err(|d| url.malformed(d))? {
            let rest = buf.split_off(len);
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(url.malformed(format!("response head over {} KiB", MAX_HEAD / 1024)));
        }
    }
}

/// Parses a response head from the start of `buf`: `Ok(None)` while incomplete, else the
/// head and its length in `buf`. SHOUTcast's `ICY 200 OK` reads as `HTTP/1.0 200 OK`.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, String> {
    const ICY: &[u8] = b"ICY ";
    const AS_HTTP: &[u8] = b"HTTP/1.0 ";
    if buf.len() < ICY.len() && ICY.starts_with(buf) {
        return Ok(None);
    }
    let rewritten;
    let (text, shift) = if buf.starts_with(ICY) {
        rewritten = [AS_HTTP, &buf[ICY.len()..]].concat();
        (rewritten.as_slice(), AS_HTTP.len() - ICY.len())
    } else {
        (buf, 0)
    };
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(text) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(format!("more than {MAX_HEADERS} headers"));
        }
        Err(e) => return Err(format!("bad response head: {e}")),
    };
    let status = response.code.unwrap_or_default();
    let headers = response
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    Ok(Some((Head { status, headers }, len - shift)))
}

// ---- The body ------------------------------------------------------------------------

/// The body's reader: the bytes read past the head, then the connection, unwrapped from
/// chunked or cut at `Content-Length`.
fn body_reader(
    url: &Url,
    opts: &NetOptions,
    headers: &[(String, String)],
    rest: Vec<u8>,
    conn: Conn,
) -> Result<Box<dyn Read + Send>, SourceError> {
    let raw = BufReader::new(Body {
        rest: std::io::Cursor::new(rest),
        conn,
        url: url.text.clone(),
        stall: url.stalled(opts),
    });
    let chunked = header(headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Ok(Box::new(Chunked::new(raw, url.text.clone())));
    }
    match header(headers, "content-length") {
        None => Ok(Box::new(raw)),
        Some(len) => match len.parse::<u64>() {
            Ok(len) => Ok(Box::new(Limited {
                inner: raw,
                left: len,
            })),
            Err(_) => Err(url.malformed(format!("bad Content-Length {len:?}"))),
        },
    }
}

/// The connection's bytes after the head, with a stall turned into [`SourceError::Stalled`].
struct Body {
    rest: std::io::Cursor<Vec<u8>>,
    conn: Conn,
    url: String,
    stall: SourceError,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        match self.conn.read(buf) {
            Err(e) if is_timeout(&e) => Err(self.stall.clone().into_io()),
            // rustls reports a peer that closed without close_notify as UnexpectedEof: for a
            // stream that ended, the end is what matters (the caller sees a short stream).
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(SourceError::Connect {
                url: self.url.clone(),
                detail: e.to_string(),
            }
            .into_io()),
            ok => ok,
        }
    }
}

/// A body of `Content-Length` bytes: ends there, and a connection closed before is an error
/// (a stream cut short must not look complete).
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before Content-Length",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Where a chunked body's reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Next: a size line.
    Size,
    /// Inside a chunk, this many bytes left.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// The last chunk and its trailers were read.
    Done,
}

/// `Transfer-Encoding: chunked` unwrapped.
struct Chunked<R> {
    inner: R,
    state: ChunkState,
    url: String,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R, url: String) -> Self {
        Chunked {
            inner,
            state: ChunkState::Size,
            url,
        }
    }

    fn malformed(&self, detail: &str) -> std::io::Error {
        SourceError::Malformed {
            url: self.url.clone(),
            detail: format!("chunked body: {detail}"),
        }
        .into_io()
    }

    /// One line (without its line end), at most [`MAX_CHUNK_LINE`] bytes.
    fn line(&mut self) -> std::io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let limit = MAX_CHUNK_LINE as u64 + 2;
        (&mut self.inner).take(limit).read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            return Err(if line.len() as u64 >= limit {
                self.malformed("line too long")
            } else {
                self.malformed("cut short")
            });
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(line)
    }

    /// Moves past size lines, chunk ends and trailers to data or the end.
    fn advance(&mut self) -> std::io::Result<()> {
        loop {
            match self.state {
                ChunkState::Data(_) | ChunkState::Done => return Ok(()),
                ChunkState::DataEnd => {
                    if !self.line()?.is_empty() {
                        return Err(self.malformed("no line end after a chunk"));
                    }
                    self.state = ChunkState::Size;
                }
                ChunkState::Size => {
                    let line = self.line()?;
                    let size = parse_chunk_size(&line).ok_or_else(|| self.malformed("bad size"))?;
                    if size == 0 {
                        // Trailers until an empty line; bounded by their count.
                        for _ in 0..MAX_HEADERS {
                            if self.line()?.is_empty() {
                                self.state = ChunkState::Done;
                                return Ok(());
                            }
                        }
                        return Err(self.malformed("too many trailers"));
                    }
                    self.state = ChunkState::Data(size);
                }
            }
        }
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.advance()?;
        let ChunkState::Data(left) = self.state else {
            return Ok(0);
        };
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(self.malformed("cut short"));
        }
        let left = left - n as u64;
        self.state = if left == 0 {
            ChunkState::DataEnd
        } else {
            ChunkState::Data(left)
        };
        Ok(n)
    }
}

/// A chunk size line's size: hex digits, then optional `;extensions` and spaces.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let hex = text.split(';').next()?.trim();
    if hex.is_empty() || hex.len() > 15 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_refuse() {
        let u = Url::parse("https://Radio.example.vn/live/vov1.mp3?x=1#frag").expect("url");
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (true, "radio.example.vn", 443, "/live/vov1.mp3?x=1")
        );
        assert_eq!(u.text, "https://Radio.example.vn/live/vov1.mp3?x=1");
        let u = Url::parse("http://127.0.0.1:8000").expect("url");
        assert_eq!((u.port, u.path.as_str()), (8000, "/"));
        assert_eq!(u.host_header(), "127.0.0.1:8000");
        let u = Url::parse("http://[::1]:8000/a").expect("v6");
        assert_eq!(
            (u.host.as_str(), u.host_header()),
            ("::1", "[::1]:8000".into())
        );
        for bad in [
            "ftp://x/y",
            "http://",
            "http://host:99999/",
            "http://host:0/",
            "http://us:pw@host/",
            "http://ho st/",
            "http://[zz]/",
            "vov1.mp3",
        ] {
            assert!(
                matches!(Url::parse(bad), Err(SourceError::BadUrl { .. })),
                "{bad} should be refused"
            );
        }
        let long = format!("http://h/{}", "a".repeat(MAX_URL));
        assert!(matches!(Url::parse(&long), Err(SourceError::BadUrl { .. })));
    }

    #[test]
    fn locations_resolve_against_the_url() {
        let base = Url::parse("http://h:8000/live/a/stream.mp3?q=1").expect("url");
        let cases = [
            ("https://other/x", "https://other/x"),
            ("//other:9/y", "http://other:9/y"),
            ("/root", "http://h:8000/root"),
            ("b.mp3", "http://h:8000/live/a/b.mp3"),
            ("?q=2", "http://h:8000/live/a/stream.mp3?q=2"),
        ];
        for (location, want) in cases {
            assert_eq!(
                base.join(location).expect(location).text,
                want,
                "{location}"
            );
        }
    }

    #[test]
    fn heads_parse_http_and_icy() {
        let http = b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nicy-metaint: 16000\r\n\r\nBODY";
        let (head, len) = parse_head(http).expect("ok").expect("complete");
        assert_eq!(head.status, 200);
        assert_eq!(
            head.headers,
            vec![
                ("content-type".into(), "audio/mpeg".into()),
                ("icy-metaint".into(), "16000".into())
            ]
        );
        assert_eq!(&http[len..], b"BODY");
        let icy = b"ICY 200 OK\r\nicy-name: VOV1\r\n\r\n\xff\xfb";
        let (head, len) = parse_head(icy).expect("ok").expect("complete");
        assert_eq!(head.status, 200);
        assert_eq!(
            &icy[len..],
            b"\xff\xfb",
            "the length counts the original ICY line"
        );
        // Bare line feeds, as some SHOUTcast v1 servers send.
        let (head, _) = parse_head(b"ICY 404 Not Found\nicy-notice1: x\n\n")
            .expect("ok")
            .expect("complete");
        assert_eq!(head.status, 404);
    }

    #[test]
    fn heads_incomplete_or_broken() {
        assert_eq!(parse_head(b"IC").expect("partial"), None);
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n").expect("partial"),
            None
        );
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
        let mut flood = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            flood.extend_from_slice(format!("x-{i}: y\r\n").as_bytes());
        }
        flood.extend_from_slice(b"\r\n");
        let err = parse_head(&flood).expect_err("flood");
        assert!(err.contains("headers"), "{err}");
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"FF;name=value"), Some(255));
        assert_eq!(parse_chunk_size(b"0"), Some(0));
        assert_eq!(parse_chunk_size(b"10 "), Some(16));
        for bad in [&b""[..], b"xyz", b"-1", b"ffffffffffffffff1", b"\xff"] {
            assert_eq!(parse_chunk_size(bad), None, "{bad:?}");
        }
    }

    fn unchunk(wire: &[u8], read_size: usize) -> std::io::Result<Vec<u8>> {
        let mut reader = Chunked::new(std::io::Cursor::new(wire.to_vec()), "http://t/".into());
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_size];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn chunked_bodies_unwrap() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
        for size in [1, 3, 64] {
            assert_eq!(unchunk(wire, size).expect("body"), b"hello 0123456789");
        }
        // Cut inside a chunk, missing CRLF after data, an endless size line.
        assert!(unchunk(b"5\r\nhel", 4).is_err());
        assert!(unchunk(b"5\r\nhelloX\r\n0\r\n\r\n", 4).is_err());
        let endless = vec![b'1'; MAX_CHUNK_LINE * 4];
        let err = unchunk(&endless, 4).expect_err("endless line");
        assert!(
            matches!(
                SourceError::from_io(&err),
                Some(SourceError::Malformed { .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn sized_bodies_end_and_notice_a_cut() {
        let mut r = Limited {
            inner: std::io::Cursor::new(b"abcdef".to_vec()),
            left: 4,
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("four bytes");
        assert_eq!(out, b"abcd");
        let mut r = Limited {
            inner: std::io::Cursor::new(b"ab".to_vec()),
            left: 4,
        };
        let err = r.read_to_end(&mut Vec::new()).expect_err("short");
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
