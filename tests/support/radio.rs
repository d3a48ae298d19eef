//! A test radio: an in-process HTTP server on 127.0.0.1 (std threads and a `TcpListener`,
//! no internet) serving what a relay meets in the field, for the relay tests.
//!
//! Routes, added before or while it runs: a paced Icecast/SHOUTcast stream looping a file's
//! bytes with ICY metadata ([`Radio::icy_stream`], [`Radio::icy`]), fixed answers (bytes with
//! a content type, a redirect, a 404, raw bytes — [`Radio::answer`]), and answers made per
//! request by a closure ([`Radio::dynamic`], e.g. a live HLS playlist). Faults switch while
//! a client is connected ([`Radio::fault`]: stall, digital silence, drop; [`Radio::kick`]
//! drops the connections of a path once; [`Radio::refuse`] closes the listener so
//! connections are refused, and reopens it on the same port). [`Radio::start_tls`] serves
//! https with a certificate from a test CA ([`Radio::ca_der`] for `NetOptions::ca_certs`).
//! Requests are counted per path ([`Radio::connections`]) so tests can assert reconnects.
//!
//! Bounded in time: every thread polls a stop flag at least every 50 ms and writes with a
//! 1 s timeout, and dropping the `Radio` stops and joins them all (a [`Radio::dynamic`]
//! handler that sleeps holds its thread, and so the drop, that long).
//!
//! ```ignore
//! #[path = "support/radio.rs"]
//! mod radio;
//! use radio::{Answer, Fault, Icy, Radio};
//!
//! let radio = Radio::start();
//! let mut icy = Icy::new(std::fs::read("tests/fixtures/relay/chirp-128k-44k1.mp3")?, 128_000);
//! icy.metaint = Some(16000);
//! icy.titles = vec!["Thời sự".into(), "Bản tin".into()];
//! radio.icy("/vov1.mp3", icy);
//! radio.answer("/old", Answer::redirect(302, "/vov1.mp3"));
//! let start = std::time::Instant::now();
//! radio.dynamic("/hls/", move |path| Answer::bytes("application/vnd.apple.mpegurl",
//!     playlist_at(path, start.elapsed())));
//! // … open radio.url("/old") …; later, while it plays:
//! radio.fault("/vov1.mp3", Fault::Stall);
//! assert_eq!(radio.connections("/vov1.mp3"), 1);
//! ```

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often every loop looks at the stop flag and the faults.
const TICK: Duration = Duration::from_millis(10);
/// The longest request head the radio reads.
const MAX_REQUEST: usize = 16 * 1024;

/// One answer to a request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A status, headers and a body (sent with `Content-Length`, or chunked).
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        /// Sent with `Transfer-Encoding: chunked` in chunks of this size.
        chunked: Option<usize>,
    },
    /// These bytes exactly, then the connection is closed (broken or hostile heads).
    Raw(Vec<u8>),
}

impl Answer {
    /// 200 with `body` and its content type.
    pub fn bytes(content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
        Answer::Http {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            chunked: None,
        }
    }

    /// A redirect (`status` 301, 302, 303, 307 or 308) to `location` as given.
    pub fn redirect(status: u16, location: &str) -> Answer {
        Answer::Http {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
            chunked: None,
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer::Http {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {status}\n").into_bytes(),
            chunked: None,
        }
    }

    pub fn not_found() -> Answer {
        Answer::status(404)
    }

    /// The same answer sent chunked, `size` bytes a chunk.
    pub fn chunked(self, size: usize) -> Answer {
        match self {
            Answer::Http {
                status,
                headers,
                body,
                ..
            } => Answer::Http {
                status,
                headers,
                body,
                chunked: Some(size.max(1)),
            },
            raw => raw,
        }
    }

    /// The same answer with one more header.
    pub fn with_header(self, name: &str, value: &str) -> Answer {
        match self {
            Answer::Http {
                status,
                mut headers,
                body,
                chunked,
            } => {
                headers.push((name.into(), value.into()));
                Answer::Http {
                    status,
                    headers,
                    body,
                    chunked,
                }
            }
            raw => raw,
        }
    }
}

/// A paced Icecast/SHOUTcast stream.
#[derive(Clone, Debug)]
pub struct Icy {
    /// The audio, looped.
    pub bytes: Arc<Vec<u8>>,
    /// The pace: audio bytes per second = `bitrate_bps / 8`.
    pub bitrate_bps: u64,
    /// `icy-metaint`: a metadata block after every this many audio bytes (`None`: no metadata).
    pub metaint: Option<usize>,
    /// Stream titles, one after another, each for `title_every`; looped.
    pub titles: Vec<String>,
    pub title_every: Duration,
    /// `ICY 200 OK` (SHOUTcast v1) instead of `HTTP/1.0 200 OK`.
    pub icy_status: bool,
    /// `None`: no `Content-Type` header.
    pub content_type: Option<String>,
    /// Audio bytes sent at once on connect, before the pace (Icecast's burst-on-connect).
    pub burst: usize,
    /// Sent as `Transfer-Encoding: chunked` (with an HTTP/1.1 head).
    pub chunked: bool,
}

impl Icy {
    /// An MP3 stream of `bytes` at `bitrate_bps`, `HTTP/1.0 200 OK`, no metadata.
    pub fn new(bytes: Vec<u8>, bitrate_bps: u64) -> Icy {
        Icy {
            bytes: Arc::new(bytes),
            bitrate_bps,
            metaint: None,
            titles: Vec::new(),
            title_every: Duration::from_secs(1),
            icy_status: false,
            content_type: Some("audio/mpeg".into()),
            burst: 0,
            chunked: false,
        }
    }
}

/// A fault on a path, switched while clients are connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Serve normally.
    None,
    /// Stop sending; keep the socket open.
    Stall,
    /// Keep the pace and the metadata, but send the silent MP3 frames given (looped)
    /// instead of the audio.
    Silence(Arc<Vec<u8>>),
    /// Close every connection of the path, and each new one right after its request.
    Drop,
}

type Handler = Arc<dyn Fn(&str) -> Answer + Send + Sync>;

#[derive(Clone)]
enum Route {
    Fixed(Answer),
    Icy(Icy),
    Dynamic(Handler),
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// Dynamic routes by path prefix, longest first.
    prefixes: Vec<(String, Handler)>,
    faults: HashMap<String, Fault>,
    /// Per path: how many times [`Radio::kick`] was called.
    kicks: HashMap<String, u64>,
    counts: HashMap<String, usize>,
    last_request: HashMap<String, String>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    refusing: AtomicBool,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fault(&self, path: &str) -> Fault {
        self.state()
            .faults
            .get(path)
            .cloned()
            .unwrap_or(Fault::None)
    }

    fn kicks(&self, path: &str) -> u64 {
        self.state().kicks.get(path).copied().unwrap_or(0)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.refusing.load(Ordering::SeqCst)
    }
}

/// The running test radio; dropping it stops every thread.
pub struct Radio {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The test CA's certificate, DER and PEM (https radios).
    ca: Option<(Vec<u8>, String)>,
    acceptor: Option<JoinHandle<()>>,
}

impl Radio {
    /// Starts an http radio on a free port of 127.0.0.1.
    pub fn start() -> Radio {
        Radio::launch(None, None)
    }

    /// Starts an https radio: a certificate for `localhost` and `127.0.0.1` signed by a
    /// fresh test CA, whose DER [`Radio::ca_der`] gives.
    pub fn start_tls() -> Radio {
        let (config, ca_der, ca_pem) = tls_server_config();
        Radio::launch(Some(Arc::new(config)), Some((ca_der, ca_pem)))
    }

    fn launch(tls: Option<Arc<rustls::ServerConfig>>, ca: Option<(Vec<u8>, String)>) -> Radio {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test radio");
        listener.set_nonblocking(true).expect("a polled listener");
        let addr = listener.local_addr().expect("radio address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            refusing: AtomicBool::new(false),
            tls,
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(listener, addr, &shared))
        };
        Radio {
            addr,
            shared,
            ca,
            acceptor: Some(acceptor),
        }
    }

    /// The URL of `path` (`/…`) on this radio.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The test CA's certificate (DER), for `NetOptions::ca_certs` (https radios only).
    pub fn ca_der(&self) -> Vec<u8> {
        self.ca
            .as_ref()
            .map(|(der, _)| der.clone())
            .expect("an https radio (Radio::start_tls)")
    }

    /// The test CA's certificate as PEM, for a `ca_file` (https radios only).
    pub fn ca_pem(&self) -> String {
        self.ca
            .as_ref()
            .map(|(_, pem)| pem.clone())
            .expect("an https radio (Radio::start_tls)")
    }

    /// Serves `answer` at `path` (the path without its query).
    pub fn answer(&self, path: &str, answer: Answer) -> &Radio {
        self.route(path, Route::Fixed(answer))
    }

    /// Serves a paced ICY stream at `path`.
    pub fn icy(&self, path: &str, icy: Icy) -> &Radio {
        self.route(path, Route::Icy(icy))
    }

    /// Serves `bytes` as a paced MP3 stream at `bitrate_bps`, with a metadata block every
    /// `metaint` bytes naming `titles` in turn, a second each.
    pub fn icy_stream(
        &self,
        path: &str,
        bytes: Vec<u8>,
        bitrate_bps: u64,
        metaint: Option<usize>,
        titles: &[&str],
    ) -> &Radio {
        let mut icy = Icy::new(bytes, bitrate_bps);
        icy.metaint = metaint;
        icy.titles = titles.iter().map(|t| t.to_string()).collect();
        self.icy(path, icy)
    }

    /// Answers every path starting with `prefix` by calling `handler` with the request's
    /// path (query included).
    pub fn dynamic(
        &self,
        prefix: &str,
        handler: impl Fn(&str) -> Answer + Send + Sync + 'static,
    ) -> &Radio {
        let mut state = self.shared.state();
        state.prefixes.retain(|(p, _)| p != prefix);
        state.prefixes.push((prefix.to_string(), Arc::new(handler)));
        state
            .prefixes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        self
    }

    fn route(&self, path: &str, route: Route) -> &Radio {
        self.shared.state().routes.insert(path.to_string(), route);
        self
    }

    /// Switches `path`'s fault, for its open connections too.
    pub fn fault(&self, path: &str, fault: Fault) -> &Radio {
        self.shared.state().faults.insert(path.to_string(), fault);
        self
    }

    /// Closes the connections of `path` open now, once (new ones are served).
    pub fn kick(&self, path: &str) {
        *self
            .shared
            .state()
            .kicks
            .entry(path.to_string())
            .or_default() += 1;
    }

    /// `true`: closes the listener and every connection (clients get "connection
    /// refused"); `false`: listens again on the same port.
    pub fn refuse(&self, on: bool) {
        self.shared.refusing.store(on, Ordering::SeqCst);
    }

    /// How many requests `path` (without query) has had.
    pub fn connections(&self, path: &str) -> usize {
        self.shared.state().counts.get(path).copied().unwrap_or(0)
    }

    /// The head of the last request to `path`, as received.
    pub fn last_request(&self, path: &str) -> Option<String> {
        self.shared.state().last_request.get(path).cloned()
    }
}

impl Drop for Radio {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Accepts until stopped; while refusing, holds no listener. Joins its handlers at the end.
fn accept_loop(listener: TcpListener, addr: SocketAddr, shared: &Arc<Shared>) {
    let mut listener = Some(listener);
    let mut handlers: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        handlers.retain(|h| !h.is_finished());
        if shared.refusing.load(Ordering::SeqCst) {
            listener = None;
            std::thread::sleep(TICK);
            continue;
        }
        let Some(open) = listener.as_ref() else {
            // Polled, so that the loop sees the stop and refuse flags.
            listener = TcpListener::bind(addr)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .ok();
            if listener.is_none() {
                std::thread::sleep(TICK);
            }
            continue;
        };
        match open.accept() {
            Ok((stream, _)) => {
                let shared = shared.clone();
                handlers.push(std::thread::spawn(move || serve(stream, &shared)));
            }
            Err(_) => std::thread::sleep(TICK),
        }
    }
    drop(listener);
    for handler in handlers {
        let _ = handler.join();
    }
}

/// A plain or TLS server connection.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
        }
    }
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

/// Serves one connection: reads the request, counts it, answers by route.
fn serve(tcp: TcpStream, shared: &Arc<Shared>) {
    let _ = tcp.set_nonblocking(false);
    let _ = tcp.set_read_timeout(Some(TICK * 5));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = tcp.set_nodelay(true);
    let mut conn = match &shared.tls {
        None => Conn::Plain(tcp),
        Some(config) => match rustls::ServerConnection::new(config.clone()) {
            Ok(tls) => Conn::Tls(Box::new(rustls::StreamOwned::new(tls, tcp))),
            Err(_) => return,
        },
    };
    let Some(head) = read_request(&mut conn, shared) else {
        return;
    };
    let target = head
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let path = target.split('?').next().unwrap_or("/").to_string();
    let route = {
        let mut state = shared.state();
        *state.counts.entry(path.clone()).or_default() += 1;
        state.last_request.insert(path.clone(), head);
        state.routes.get(&path).cloned().or_else(|| {
            state
                .prefixes
                .iter()
                .find(|(p, _)| path.starts_with(p.as_str()))
                .map(|(_, h)| Route::Dynamic(h.clone()))
        })
    };
    if shared.fault(&path) == Fault::Drop {
        return close(conn);
    }
    let _ = match route {
        None => send_answer(&mut conn, &Answer::not_found()),
        Some(Route::Fixed(answer)) => send_answer(&mut conn, &answer),
        Some(Route::Dynamic(handler)) => send_answer(&mut conn, &handler(&target)),
        Some(Route::Icy(icy)) => send_icy(&mut conn, &icy, &path, shared),
    };
    close(conn);
}

fn close(mut conn: Conn) {
    if let Conn::Tls(tls) = &mut conn {
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }
    let _ = conn.tcp().shutdown(Shutdown::Both);
}

/// The request head, or `None` if the client went away, sent too much, or the radio stops.
fn read_request(conn: &mut Conn, shared: &Shared) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + Duration::from_secs(5);
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if shared.stopping() || Instant::now() > deadline || head.len() > MAX_REQUEST {
            return None;
        }
        match conn.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn send_answer(conn: &mut Conn, answer: &Answer) -> std::io::Result<()> {
    match answer {
        Answer::Raw(bytes) => conn.write_all(bytes)?,
        Answer::Http {
            status,
            headers,
            body,
            chunked,
        } => {
            let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(*status));
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            match chunked {
                Some(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
                None => head.push_str(&format!("Content-Length: {}\r\n", body.len())),
            }
            head.push_str("Connection: close\r\n\r\n");
            conn.write_all(head.as_bytes())?;
            match chunked {
                Some(size) => {
                    for piece in body.chunks(*size) {
                        write_chunk(conn, piece)?;
                    }
                    conn.write_all(b"0\r\n\r\n")?;
                }
                None => conn.write_all(body)?,
            }
        }
    }
    conn.flush()
}

fn write_chunk(conn: &mut Conn, piece: &[u8]) -> std::io::Result<()> {
    if piece.is_empty() {
        return Ok(());
    }
    conn.write_all(format!("{:x}\r\n", piece.len()).as_bytes())?;
    conn.write_all(piece)?;
    conn.write_all(b"\r\n")
}

/// The ICY head for `icy`.
fn icy_head(icy: &Icy) -> String {
    let mut head = String::from(match (icy.icy_status, icy.chunked) {
        (true, _) => "ICY 200 OK\r\n",
        (false, true) => "HTTP/1.1 200 OK\r\n",
        (false, false) => "HTTP/1.0 200 OK\r\n",
    });
    if let Some(t) = &icy.content_type {
        head.push_str(&format!("Content-Type: {t}\r\n"));
    }
    head.push_str("icy-name: Loaxa test radio\r\nicy-br: ");
    head.push_str(&(icy.bitrate_bps / 1000).to_string());
    head.push_str("\r\n");
    if let Some(n) = icy.metaint {
        head.push_str(&format!("icy-metaint: {n}\r\n"));
    }
    if icy.chunked {
        head.push_str("Transfer-Encoding: chunked\r\n");
    }
    head.push_str("Cache-Control: no-cache\r\n\r\n");
    head
}

/// A metadata block: the length byte and `StreamTitle='…';` padded to 16 bytes.
pub fn metadata_block(title: &str) -> Vec<u8> {
    let text = format!("StreamTitle='{title}';");
    let len = text.len().div_ceil(16).min(255);
    let mut block = vec![len as u8];
    block.extend_from_slice(text.as_bytes());
    block.resize(1 + len * 16, 0);
    block
}

/// Where a paced ICY stream is.
struct IcyCursor {
    /// Position in the audio (looped).
    at: usize,
    /// Position in the silence (looped).
    silent_at: usize,
    /// Audio bytes until the next metadata block.
    to_meta: usize,
    /// The title last sent in a block.
    sent_title: Option<String>,
}

/// Sends the stream at its pace until the client goes, the path is dropped or the radio
/// stops.
fn send_icy(conn: &mut Conn, icy: &Icy, path: &str, shared: &Shared) -> std::io::Result<()> {
    conn.write_all(icy_head(icy).as_bytes())?;
    conn.flush()?;
    let start = Instant::now();
    let kicks = shared.kicks(path);
    let mut cursor = IcyCursor {
        at: 0,
        silent_at: 0,
        to_meta: icy.metaint.unwrap_or(usize::MAX),
        sent_title: None,
    };
    let per_second = (icy.bitrate_bps / 8).max(1) as f64;
    let mut sent = 0usize;
    let mut stalled_for = Duration::ZERO;
    let mut last = Instant::now();
    while !shared.stopping() && shared.kicks(path) == kicks {
        let fault = shared.fault(path);
        let now = Instant::now();
        if fault == Fault::Stall {
            // The pace resumes where it stopped, not with a burst for the stall.
            stalled_for += now - last;
        }
        last = now;
        match fault {
            Fault::Drop => break,
            Fault::Stall => {}
            Fault::None | Fault::Silence(_) => {
                let played = (now - start).saturating_sub(stalled_for).as_secs_f64();
                let due = icy.burst + (played * per_second) as usize;
                if due > sent {
                    let silence = match &fault {
                        Fault::Silence(s) => Some(s.as_slice()),
                        _ => None,
                    };
                    let wire = icy_piece(icy, &mut cursor, due - sent, silence, played);
                    if icy.chunked {
                        write_chunk(conn, &wire)?;
                    } else {
                        conn.write_all(&wire)?;
                    }
                    conn.flush()?;
                    sent = due;
                }
            }
        }
        std::thread::sleep(TICK);
    }
    Ok(())
}

/// The next `count` audio bytes on the wire, with metadata blocks where they fall.
fn icy_piece(
    icy: &Icy,
    cursor: &mut IcyCursor,
    mut count: usize,
    silence: Option<&[u8]>,
    played_secs: f64,
) -> Vec<u8> {
    let mut wire = Vec::with_capacity(count + 64);
    while count > 0 {
        let take = count.min(cursor.to_meta);
        for _ in 0..take {
            let byte = match silence {
                Some(s) if !s.is_empty() => {
                    let b = s[cursor.silent_at % s.len()];
                    cursor.silent_at += 1;
                    b
                }
                _ => {
                    let b = icy.bytes[cursor.at % icy.bytes.len().max(1)];
                    cursor.at += 1;
                    b
                }
            };
            wire.push(byte);
        }
        count -= take;
        cursor.to_meta -= take;
        if cursor.to_meta == 0 {
            wire.extend_from_slice(&next_block(icy, cursor, played_secs));
            cursor.to_meta = icy.metaint.unwrap_or(usize::MAX);
        }
    }
    wire
}

/// The metadata block due now: the title when it changed, else an empty block (length 0),
/// as Icecast sends them.
fn next_block(icy: &Icy, cursor: &mut IcyCursor, played_secs: f64) -> Vec<u8> {
    if icy.titles.is_empty() {
        return vec![0];
    }
    let every = icy.title_every.as_secs_f64().max(0.001);
    let index = (played_secs / every) as usize % icy.titles.len();
    let title = &icy.titles[index];
    if cursor.sent_title.as_deref() == Some(title.as_str()) {
        return vec![0];
    }
    cursor.sent_title = Some(title.clone());
    metadata_block(title)
}

/// A server config with a certificate for `localhost` and 127.0.0.1 signed by a fresh test
/// CA; returns it and the CA's DER and PEM.
fn tls_server_config() -> (rustls::ServerConfig, Vec<u8>, String) {
    let super::test_ca::TestCerts { ca, cert, key } = super::test_ca::issue("loaxa test CA");
    let ca_der = ca.der().to_vec();
    let ca_pem = ca.pem();
    let chain = vec![cert.der().clone(), ca.der().clone()];
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key_der)
    .expect("server certificate and key");
    (config, ca_der, ca_pem)
}
