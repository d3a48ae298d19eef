//! HLS live playlists: a playlist followed as it advances, its segments fetched in order and
//! unwrapped into one elementary stream (ADTS AAC, or MPEG audio from TS).
//!
//! [`open`] reads the playlist that answered (a master playlist picks its variant, see
//! [`playlist::choose`]), joins a live playlist three target durations before its end (RFC
//! 8216 §6.3.3: nearer the edge, a late segment starves the output), fetches the first
//! segment to learn the codec, and hands the rest to a worker thread. The worker reloads
//! the playlist every target duration (half of it after a reload that brought nothing new),
//! fetches each segment once, in order, while the reader still reads the previous one (one
//! segment ready ahead, one being fetched), and skips forward to the live edge when the
//! segments it wanted have left the playlist. A segment that answers 404 is skipped; three
//! failures in a row end the stream with the last error; a playlist that has not grown for
//! [`NetOptions::frozen`] ends it with [`SourceError::Frozen`]. A playlist with
//! `#EXT-X-ENDLIST` is read to its end, then the reader says end of file.
//!
//! A read waits for the worker at most [`NetOptions::frozen`] + a target duration + twice
//! [`NetOptions::stall`] (the worker reports a frozen or failing source itself well within
//! that; a live stream's reader legitimately waits up to a target duration for the next
//! segment, longer than the stall time), then fails with [`SourceError::Stalled`].
//!
//! Every fetch goes through [`Fetch`] and every wait through [`MonoClock`], so a test drives a
//! live playlist that advances, freezes or loses segments without network or real time
//! ([`VirtualClock`]).

pub mod playlist;
pub mod segment;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Codec, NetOptions, SourceError, Stream, Title, net, net::Response};
use playlist::{Media, Playlist};
use segment::Unwrapper;

/// The largest segment read (a 10 s segment at 320 kb/s in TS is ~450 KB).
const MAX_SEGMENT: usize = 16 << 20;
/// Failures in a row (segments, or reloads of the playlist) that end the stream.
const MAX_FAILURES: u32 = 3;
/// The longest single wait of the worker, so that it notices the reader is gone.
const NAP: Duration = Duration::from_millis(200);

/// Whether the answer is an HLS playlist (by content type or a path ending `.m3u8`).
pub fn is_playlist(response: &Response) -> bool {
    let path = response.url.split(['?', '#']).next().unwrap_or_default();
    path.to_ascii_lowercase().ends_with(".m3u8")
        || response.header("content-type").is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("mpegurl")
        })
}

/// Follows the playlist `response` carries, over the network and in real time.
pub fn open(response: Response, opts: &NetOptions) -> Result<Stream, SourceError> {
    let env = Env {
        fetch: Arc::new(NetFetch { opts: opts.clone() }),
        clock: Arc::new(RealClock::default()),
        stats: Stats::default(),
    };
    open_with(response, opts, env)
}

/// How the live reader reaches the world: fetches, time, and where it counts what happened.
#[derive(Clone)]
pub struct Env {
    pub fetch: Arc<dyn Fetch>,
    pub clock: Arc<dyn MonoClock>,
    pub stats: Stats,
}

/// One HTTP GET (a playlist or a segment).
pub trait Fetch: Send + Sync {
    fn get(&self, url: &str) -> Result<Response, SourceError>;
}

/// [`Fetch`] over the network.
pub struct NetFetch {
    pub opts: NetOptions,
}

impl Fetch for NetFetch {
    fn get(&self, url: &str) -> Result<Response, SourceError> {
        net::get(url, &self.opts, &[])
    }
}

/// Monotonic time for the live reader (not the station's wall clock).
pub trait MonoClock: Send + Sync {
    /// Time since an arbitrary start.
    fn now(&self) -> Duration;
    fn sleep(&self, d: Duration);
}

/// The machine's monotonic time.
#[derive(Debug)]
pub struct RealClock(Instant);

impl Default for RealClock {
    fn default() -> Self {
        RealClock(Instant::now())
    }
}

impl MonoClock for RealClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Time that passes only by sleeping, at once (for tests: a minute of live playlist in
/// microseconds).
#[derive(Debug, Default)]
pub struct VirtualClock(Mutex<Duration>);

impl MonoClock for VirtualClock {
    fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep(&self, d: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }
}

/// What the live reader met, for the relay's record and for tests.
#[derive(Debug, Clone, Default)]
pub struct Stats(Arc<Mutex<Counts>>);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Segments fetched and passed on.
    pub segments: u64,
    /// Segments skipped because they failed (404, a broken answer).
    pub missing: u64,
    /// Segments skipped because they had left the playlist before their turn.
    pub behind: u64,
    /// Reloads of the playlist.
    pub reloads: u64,
    /// `#EXT-X-DISCONTINUITY` passed.
    pub discontinuities: u64,
    /// Faults inside MPEG-TS segments (see [`segment::Unwrapper::take_ts_faults`]).
    pub ts_faults: u64,
}

impl Stats {
    pub fn get(&self) -> Counts {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// [`open`] with the fetches, the clock and the counters given.
pub fn open_with(response: Response, opts: &NetOptions, env: Env) -> Result<Stream, SourceError> {
    let (url, media) = media_playlist(response, env.fetch.as_ref())?;
    let mut worker = Worker::new(url.clone(), media, opts, env);
    let first = worker.next_chunk()?.ok_or_else(|| SourceError::Malformed {
        url: url.clone(),
        detail: "the playlist ended without a segment".into(),
    })?;
    let codec = worker.unwrapper.codec().unwrap_or(Codec::Aac);
    let patience = opts.frozen + worker.media.target + opts.stall * 2;
    let (tx, rx) = sync_channel(1);
    let stop = Arc::new(AtomicBool::new(false));
    worker.stop = stop.clone();
    std::thread::Builder::new()
        .name("hls".into())
        .spawn(move || worker.run(tx))
        .map_err(|e| SourceError::Connect {
            url: url.clone(),
            detail: format!("cannot start the reader: {e}"),
        })?;
    let reader = LiveReader::new(rx, stop, patience, url.clone(), first);
    let title = reader.title.clone();
    Ok(Stream {
        reader: Box::new(reader),
        codec,
        title,
        url,
    })
}

/// The media playlist to follow and its URL: the one that answered, or the variant a master
/// playlist points to.
fn media_playlist(response: Response, fetch: &dyn Fetch) -> Result<(String, Media), SourceError> {
    let url = response.url.clone();
    match playlist::parse(&read_bounded(response, playlist::MAX_BYTES)?, &url)? {
        Playlist::Media(media) => Ok((url, media)),
        Playlist::Master(master) => {
            let variant = playlist::choose(&master).ok_or_else(|| SourceError::Unsupported {
                url: url.clone(),
                what: "an HLS stream without AAC audio".into(),
            })?;
            fetch_media(fetch, &variant)
        }
    }
}

/// The media playlist at `url` and the URL that answered (one level of master playlist
/// only: a master playlist here is malformed).
fn fetch_media(fetch: &dyn Fetch, url: &str) -> Result<(String, Media), SourceError> {
    let response = fetch.get(url)?;
    let answered = response.url.clone();
    let bytes = read_bounded(response, playlist::MAX_BYTES)?;
    match playlist::parse(&bytes, &answered)? {
        Playlist::Media(media) => Ok((answered, media)),
        Playlist::Master(_) => Err(SourceError::Malformed {
            url: answered,
            detail: "a master playlist where a media playlist was expected".into(),
        }),
    }
}

/// A body of at most `max` bytes.
fn read_bounded(response: Response, max: usize) -> Result<Vec<u8>, SourceError> {
    let mut bytes = Vec::new();
    let url = response.url;
    response
        .body
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match SourceError::from_io(&e) {
            Some(source) => source.clone(),
            None => SourceError::Malformed {
                url: url.clone(),
                detail: format!("read: {e}"),
            },
        })?;
    if bytes.len() > max {
        return Err(SourceError::Malformed {
            url,
            detail: format!("answer over {max} bytes"),
        });
    }
    Ok(bytes)
}

/// A segment's elementary bytes and its title.
struct Chunk {
    bytes: Vec<u8>,
    title: Option<String>,
}

/// Follows the playlist and fetches segments (see the module doc).
struct Worker {
    url: String,
    media: Media,
    /// The next segment to fetch.
    next_seq: u64,
    frozen: Duration,
    env: Env,
    unwrapper: Unwrapper,
    last_reload: Duration,
    reload_wait: Duration,
    /// When the playlist last grew.
    last_change: Duration,
    failures: u32,
    reload_failures: u32,
    stop: Arc<AtomicBool>,
}

impl Worker {
    fn new(url: String, media: Media, opts: &NetOptions, env: Env) -> Worker {
        let now = env.clock.now();
        let next_seq = if media.ended {
            media.media_sequence
        } else {
            media.live_edge()
        };
        Worker {
            url,
            reload_wait: media.target,
            media,
            next_seq,
            frozen: opts.frozen,
            env,
            unwrapper: Unwrapper::default(),
            last_reload: now,
            last_change: now,
            failures: 0,
            reload_failures: 0,
            stop: Arc::default(),
        }
    }

    /// Sends chunks until the end, an error or the reader is gone.
    fn run(mut self, tx: SyncSender<Result<Chunk, SourceError>>) {
        loop {
            let next = self.next_chunk();
            let last = !matches!(next, Ok(Some(_)));
            let Some(item) = next.transpose() else {
                return; // the end: dropping `tx` tells the reader
            };
            if let Err(e) = &item {
                tracing::warn!("HLS {}: {e}", self.url);
            }
            if tx.send(item).is_err() || last {
                return;
            }
        }
    }

    /// The next segment's bytes; `None` at the end of a playlist that ended (or when the
    /// reader is gone).
    fn next_chunk(&mut self) -> Result<Option<Chunk>, SourceError> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if !self.media.ended && self.env.clock.now() >= self.last_reload + self.reload_wait {
                self.reload()?;
            }
            if let Some(seg) = self.media.segments.iter().find(|s| s.seq >= self.next_seq) {
                let seg = seg.clone();
                if let Some(chunk) = self.fetch_segment(&seg)? {
                    return Ok(Some(chunk));
                }
                continue;
            }
            if self.media.ended {
                return Ok(None);
            }
            self.wait_for_reload();
        }
    }

    /// Sleeps until the next reload is due, in naps so that a gone reader is noticed.
    fn wait_for_reload(&self) {
        let due = self.last_reload + self.reload_wait;
        while !self.stop.load(Ordering::Relaxed) {
            let now = self.env.clock.now();
            if now >= due {
                return;
            }
            self.env.clock.sleep((due - now).min(NAP));
        }
    }

    /// Fetches and unwraps `seg`; `None` when it is skipped (failed, not found).
    fn fetch_segment(&mut self, seg: &playlist::Segment) -> Result<Option<Chunk>, SourceError> {
        self.next_seq = seg.seq + 1;
        if seg.discontinuity {
            self.env.stats.add(|c| c.discontinuities += 1);
            self.unwrapper.gap();
        }
        let bytes = self
            .env
            .fetch
            .get(&seg.uri)
            .and_then(|r| read_bounded(r, MAX_SEGMENT))
            .and_then(|b| self.unwrapper.segment(&b, &seg.uri));
        match bytes {
            Ok(bytes) => {
                self.failures = 0;
                let ts_faults = self.unwrapper.take_ts_faults();
                self.env.stats.add(|c| {
                    c.segments += 1;
                    c.ts_faults += ts_faults;
                });
                Ok(Some(Chunk {
                    bytes,
                    title: seg.title.clone(),
                }))
            }
            // What cannot be aired at all is not retried.
            Err(e @ SourceError::Unsupported { .. }) => Err(e),
            Err(e) => {
                self.failures += 1;
                self.env.stats.add(|c| c.missing += 1);
                tracing::warn!("HLS segment skipped: {e}");
                self.unwrapper.gap();
                if self.failures >= MAX_FAILURES {
                    return Err(e);
                }
                Ok(None)
            }
        }
    }

    /// Reloads the playlist: notes whether it grew, skips forward if the next segment has
    /// left it, and fails when it has been frozen too long or failed too often.
    fn reload(&mut self) -> Result<(), SourceError> {
        let now = self.env.clock.now();
        self.last_reload = now;
        self.env.stats.add(|c| c.reloads += 1);
        match self.fetch_media()? {
            Some(media) => self.update(media, now),
            None => Ok(()),
        }
    }

    /// The playlist anew; `None` after a failure that is tried again half a target duration
    /// later (the third in a row is the error).
    fn fetch_media(&mut self) -> Result<Option<Media>, SourceError> {
        match fetch_media(self.env.fetch.as_ref(), &self.url) {
            Ok((_, media)) => {
                self.reload_failures = 0;
                Ok(Some(media))
            }
            Err(e @ SourceError::Unsupported { .. }) => Err(e),
            Err(e) => {
                self.reload_failures += 1;
                self.reload_wait = self.media.target / 2;
                if self.reload_failures >= MAX_FAILURES {
                    return Err(e);
                }
                tracing::warn!("HLS playlist reload failed: {e}");
                Ok(None)
            }
        }
    }

    /// Takes a reloaded playlist (see [`Worker::reload`]).
    fn update(&mut self, media: Media, now: Duration) -> Result<(), SourceError> {
        let grew = media.end() != self.media.end();
        if media.end() < self.media.end() {
            // The server started over (its sequence numbers went back): join it afresh.
            self.next_seq = media.live_edge();
            self.unwrapper.gap();
        }
        if grew {
            self.last_change = now;
        }
        self.reload_wait = if grew { media.target } else { media.target / 2 };
        self.media = media;
        if self.next_seq < self.media.media_sequence {
            self.catch_up();
        }
        let still = now.saturating_sub(self.last_change);
        if !grew && !self.media.ended && still >= self.frozen {
            return Err(SourceError::Frozen {
                url: self.url.clone(),
                secs: still.as_secs(),
            });
        }
        Ok(())
    }

    /// The segments wanted next have left the playlist: joins it again at the live edge.
    fn catch_up(&mut self) {
        let to = self.media.live_edge();
        let behind = to.saturating_sub(self.next_seq);
        tracing::warn!("HLS {}: fell behind, {behind} segments skipped", self.url);
        self.env.stats.add(|c| c.behind += behind);
        self.next_seq = to;
        self.unwrapper.gap();
    }
}

/// The reader side: the worker's chunks in order, its error at the end.
struct LiveReader {
    /// In a mutex only to make the reader `Sync` (symphonia's sources must be); never
    /// contended: reads take `&mut self`.
    rx: Mutex<Receiver<Result<Chunk, SourceError>>>,
    current: Vec<u8>,
    pos: usize,
    title: Title,
    stop: Arc<AtomicBool>,
    /// How long a read waits for the worker (see the module doc).
    patience: Duration,
    url: String,
    failed: Option<SourceError>,
    ended: bool,
}

impl LiveReader {
    /// The reader of what the worker sends on `rx`, starting with `first`.
    fn new(
        rx: Receiver<Result<Chunk, SourceError>>,
        stop: Arc<AtomicBool>,
        patience: Duration,
        url: String,
        first: Chunk,
    ) -> LiveReader {
        let mut reader = LiveReader {
            rx: Mutex::new(rx),
            current: Vec::new(),
            pos: 0,
            title: Title::default(),
            stop,
            patience,
            url,
            failed: None,
            ended: false,
        };
        reader.start(first);
        reader
    }

    fn start(&mut self, chunk: Chunk) {
        if chunk.title.is_some() && chunk.title != self.title.get() {
            self.title.set(chunk.title);
        }
        self.current = chunk.bytes;
        self.pos = 0;
    }
}

impl Read for LiveReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.current.len() {
            if let Some(e) = &self.failed {
                return Err(e.clone().into_io());
            }
            if self.ended || buf.is_empty() {
                return Ok(0);
            }
            let rx = self.rx.get_mut().unwrap_or_else(|e| e.into_inner());
            match rx.recv_timeout(self.patience) {
                Ok(Ok(chunk)) => self.start(chunk),
                Ok(Err(e)) => self.failed = Some(e),
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
                Err(RecvTimeoutError::Timeout) => {
                    self.failed = Some(SourceError::Stalled {
                        url: self.url.clone(),
                        secs: self.patience.as_secs(),
                    });
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for LiveReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const TARGET: Duration = Duration::from_secs(2);

    /// A live server on virtual time: segment `k` exists from `(k - initial + 1) × TARGET`;
    /// the playlist lists the last `window` of them.
    struct FakeLive {
        clock: Arc<VirtualClock>,
        initial: u64,
        window: u64,
        /// The playlist stops growing at this time.
        freeze_at: Option<Duration>,
        /// `#EXT-X-ENDLIST` once this many segments exist.
        end_after: Option<u64>,
        /// Segments that answer 404.
        missing: Vec<u64>,
        /// From this time on, this many more segments exist (the window leaps ahead).
        leap: Option<(Duration, u64)>,
        /// From this time on, the playlist does not answer.
        down_from: Option<Duration>,
        /// What was asked, when.
        log: Mutex<Vec<(Duration, String)>>,
    }

    impl FakeLive {
        fn new(clock: &Arc<VirtualClock>) -> FakeLive {
            FakeLive {
                clock: clock.clone(),
                initial: 10,
                window: 6,
                freeze_at: None,
                end_after: None,
                missing: Vec::new(),
                leap: None,
                down_from: None,
                log: Mutex::default(),
            }
        }

        fn available(&self) -> u64 {
            let now = self.clock.now();
            let t = self.freeze_at.map_or(now, |f| now.min(f));
            let mut n = self.initial + (t.as_millis() / TARGET.as_millis()) as u64;
            if let Some((_, more)) = self.leap.filter(|(at, _)| now >= *at) {
                n += more;
            }
            self.end_after.map_or(n, |end| n.min(end))
        }

        fn playlist(&self) -> String {
            let n = self.available();
            let first = n.saturating_sub(self.window);
            let mut text = format!(
                "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:{first}\n",
                TARGET.as_secs()
            );
            for k in first..n {
                text += &format!("#EXTINF:2.000,Bản tin số {k}\nseg{k}.aac\n");
            }
            if self.end_after.is_some_and(|end| n >= end) {
                text += "#EXT-X-ENDLIST\n";
            }
            text
        }

        fn requests(&self) -> Vec<(Duration, String)> {
            self.log.lock().expect("log").clone()
        }

        fn segment_requests(&self) -> Vec<u64> {
            self.requests()
                .iter()
                .filter_map(|(_, u)| u.strip_prefix("http://radio.test/hls/seg"))
                .filter_map(|s| s.strip_suffix(".aac")?.parse().ok())
                .collect()
        }

        fn playlist_times(&self) -> Vec<Duration> {
            self.requests()
                .iter()
                .filter(|(_, u)| u.ends_with(".m3u8"))
                .map(|(t, _)| *t)
                .collect()
        }

        /// The first answer, as `open` gets it from `net::get`.
        fn first(&self) -> Response {
            self.get(LIVE).expect("playlist")
        }
    }

    const LIVE: &str = "http://radio.test/hls/live.m3u8";

    fn answer(url: &str, body: Vec<u8>) -> Response {
        Response {
            url: url.to_string(),
            headers: vec![(
                "content-type".into(),
                "application/vnd.apple.mpegurl".into(),
            )],
            body: Box::new(Cursor::new(body)),
        }
    }

    /// Three ADTS frames whose payload bytes are the segment's number.
    fn segment_bytes(k: u64) -> Vec<u8> {
        (0..3)
            .flat_map(|_| segment::adts_frame(&[k as u8; 20]))
            .collect()
    }

    impl Fetch for FakeLive {
        fn get(&self, url: &str) -> Result<Response, SourceError> {
            self.log
                .lock()
                .expect("log")
                .push((self.clock.now(), url.to_string()));
            if url == LIVE && self.down_from.is_some_and(|t| self.clock.now() >= t) {
                return Err(SourceError::Connect {
                    url: url.to_string(),
                    detail: "connection refused".into(),
                });
            }
            if url == LIVE {
                return Ok(answer(url, self.playlist().into_bytes()));
            }
            let k: Option<u64> = url
                .strip_prefix("http://radio.test/hls/seg")
                .and_then(|s| s.strip_suffix(".aac")?.parse().ok());
            match k {
                Some(k) if k < self.available() && !self.missing.contains(&k) => {
                    Ok(answer(url, segment_bytes(k)))
                }
                _ => Err(SourceError::Status {
                    url: url.to_string(),
                    status: 404,
                }),
            }
        }
    }

    fn opts() -> NetOptions {
        NetOptions {
            frozen: Duration::from_secs(8),
            ..NetOptions::default()
        }
    }

    fn start(fake: FakeLive) -> (Arc<FakeLive>, Env, Result<Stream, SourceError>) {
        let fake = Arc::new(fake);
        let env = Env {
            fetch: fake.clone(),
            clock: fake.clock.clone(),
            stats: Stats::default(),
        };
        let stream = open_with(fake.first(), &opts(), env.clone());
        (fake, env, stream)
    }

    /// The segment numbers the reader gave (from the frames' payload), and how it ended.
    fn read_all(stream: &mut Stream) -> (Vec<u64>, Option<std::io::Error>) {
        let mut bytes = Vec::new();
        let mut buf = [0; 100];
        let end = loop {
            match stream.reader.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
                Err(e) => break Some(e),
            }
        };
        assert_eq!(bytes.len() % 27, 0, "whole frames");
        let mut seqs: Vec<u64> = bytes.chunks(27).map(|f| u64::from(f[7])).collect();
        seqs.dedup();
        (seqs, end)
    }

    #[test]
    fn joins_at_the_live_edge_and_follows_to_the_end() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.end_after = Some(20);
        let (fake, env, stream) = start(fake);
        let mut stream = stream.expect("open");
        assert_eq!(stream.codec, Codec::Aac);
        let (seqs, end) = read_all(&mut stream);
        assert!(end.is_none(), "{end:?}");
        // Segments 4..=9 listed at first; 7, 8, 9 are the last three target durations.
        assert_eq!(seqs, (7..20).collect::<Vec<_>>());
        assert_eq!(
            fake.segment_requests(),
            (7..20).collect::<Vec<_>>(),
            "each once"
        );
        assert_eq!(env.stats.get().segments, 13);
        assert_eq!(stream.title.get().as_deref(), Some("Bản tin số 19"));
    }

    #[test]
    fn reloads_every_target_duration_and_half_of_it_after_no_change() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.end_after = Some(16);
        let (fake, _env, stream) = start(fake);
        read_all(&mut stream.expect("open"));
        let times = fake.playlist_times();
        assert!(times.len() >= 6, "{times:?}");
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap == TARGET || gap == TARGET / 2, "{times:?}");
        }
        // The segments appear every 2 s, exactly when a reload is due: no half waits needed
        // after the first reload.
        assert!(times.windows(2).filter(|p| p[1] - p[0] == TARGET).count() >= 4);
    }

    #[test]
    fn a_missing_segment_is_skipped_and_counted() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.end_after = Some(16);
        fake.missing = vec![12];
        let (_fake, env, stream) = start(fake);
        let (seqs, end) = read_all(&mut stream.expect("open"));
        assert!(end.is_none());
        assert_eq!(seqs, vec![7, 8, 9, 10, 11, 13, 14, 15]);
        assert_eq!(env.stats.get().missing, 1);
    }

    #[test]
    fn three_failures_in_a_row_end_the_stream() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.missing = vec![9, 10, 11];
        let (_fake, _env, stream) = start(fake);
        let (seqs, end) = read_all(&mut stream.expect("open"));
        assert_eq!(seqs, vec![7, 8]);
        let end = end.expect("an error");
        assert!(matches!(
            SourceError::from_io(&end),
            Some(SourceError::Status { status: 404, .. })
        ));
    }

    #[test]
    fn a_frozen_playlist_fails_the_reader() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.freeze_at = Some(Duration::from_secs(6)); // segments up to 10 + 3 - 1 = 12
        let (fake, _env, stream) = start(fake);
        let mut stream = stream.expect("open");
        let (seqs, end) = read_all(&mut stream);
        assert_eq!(
            seqs,
            (7..13).collect::<Vec<_>>(),
            "what came before is aired"
        );
        let end = end.expect("an error");
        let Some(SourceError::Frozen { url, secs }) = SourceError::from_io(&end) else {
            panic!("not frozen: {end}");
        };
        assert_eq!(url, LIVE);
        assert_eq!(*secs, 8);
        let now = clock.now();
        assert_eq!(now, Duration::from_secs(6 + 8));
        // Every target duration while it grows, every half after a reload without change.
        let times = fake.playlist_times();
        assert_eq!(
            times.iter().map(|t| t.as_secs()).collect::<Vec<_>>(),
            vec![0, 2, 4, 6, 8, 9, 10, 11, 12, 13, 14]
        );
        // The error stays.
        let again = stream.reader.read(&mut [0; 10]).expect_err("still frozen");
        assert!(matches!(
            SourceError::from_io(&again),
            Some(SourceError::Frozen { .. })
        ));
    }

    #[test]
    fn a_playlist_that_stops_answering_ends_the_stream_after_three_tries() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.down_from = Some(Duration::from_secs(3));
        let (fake, _env, stream) = start(fake);
        let (seqs, end) = read_all(&mut stream.expect("open"));
        assert_eq!(seqs, vec![7, 8, 9, 10], "what was listed is aired");
        let end = end.expect("an error");
        assert!(matches!(
            SourceError::from_io(&end),
            Some(SourceError::Connect { .. })
        ));
        // Reloads at 2 s (fine), 4 s, 5 s and 6 s (refused: half a target duration apart).
        let times = fake.playlist_times();
        assert_eq!(
            times.iter().map(|t| t.as_secs()).collect::<Vec<_>>(),
            vec![0, 2, 4, 5, 6]
        );
    }

    #[test]
    fn a_reader_that_fell_behind_skips_to_the_live_edge() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.leap = Some((Duration::from_secs(3), 30));
        fake.end_after = Some(50);
        let (fake, env, stream) = start(fake);
        let (seqs, end) = read_all(&mut stream.expect("open"));
        assert!(end.is_none());
        // At 4 s the playlist lists 36..=41, the reader wants 11: it joins at 39.
        assert!(seqs.starts_with(&[7, 8, 9]), "{seqs:?}");
        let jump = seqs
            .windows(2)
            .position(|p| p[1] != p[0] + 1)
            .expect("a jump");
        assert_eq!(seqs[jump + 1], 39, "{seqs:?}");
        assert_eq!(*seqs.last().expect("some"), 49);
        assert!(env.stats.get().behind >= 20);
        let fetched = fake.segment_requests();
        let mut unique = fetched.clone();
        unique.dedup();
        assert_eq!(fetched, unique, "no segment twice");
    }

    #[test]
    fn an_ended_playlist_is_read_from_its_start_without_reloads() {
        let clock = Arc::new(VirtualClock::default());
        let mut fake = FakeLive::new(&clock);
        fake.initial = 5;
        fake.end_after = Some(5);
        fake.window = 10;
        let (_fake, env, stream) = start(fake);
        let (seqs, end) = read_all(&mut stream.expect("open"));
        assert!(end.is_none());
        assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
        assert_eq!(env.stats.get().reloads, 0);
    }

    #[test]
    fn the_next_segments_are_fetched_while_one_is_read() {
        let clock = Arc::new(VirtualClock::default());
        let (fake, _env, stream) = start(FakeLive::new(&clock));
        let mut stream = stream.expect("open");
        let mut first = [0; 10];
        stream.reader.read_exact(&mut first).expect("read");
        // The reader is inside segment 7: 8 waits in the channel, 9 is fetched meanwhile.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fake.segment_requests().contains(&9) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(fake.segment_requests(), vec![7, 8, 9]);
    }

    #[test]
    fn a_master_playlist_leads_to_its_audio_variant() {
        struct Master(FakeLive);
        impl Fetch for Master {
            fn get(&self, url: &str) -> Result<Response, SourceError> {
                match url {
                    "http://radio.test/master.m3u8" => Ok(answer(
                        url,
                        b"#EXTM3U\n\
                          #EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS=\"avc1.4d401f,mp4a.40.2\"\n\
                          video/live.m3u8\n\
                          #EXT-X-STREAM-INF:BANDWIDTH=70000,CODECS=\"mp4a.40.2\"\n\
                          hls/live.m3u8\n"
                            .to_vec(),
                    )),
                    _ => self.0.get(url),
                }
            }
        }
        let clock = Arc::new(VirtualClock::default());
        let mut live = FakeLive::new(&clock);
        live.end_after = Some(12);
        let fake = Arc::new(Master(live));
        let env = Env {
            fetch: fake.clone(),
            clock: clock.clone(),
            stats: Stats::default(),
        };
        let first = fake.get("http://radio.test/master.m3u8").expect("master");
        let mut stream = open_with(first, &opts(), env).expect("open");
        assert_eq!(stream.url, LIVE);
        let (seqs, _) = read_all(&mut stream);
        assert_eq!(seqs, vec![7, 8, 9, 10, 11]);
    }

    #[test]
    fn an_ended_playlist_without_segments_is_refused_at_open() {
        let clock = Arc::new(VirtualClock::default());
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n";
        let env = Env {
            fetch: Arc::new(FakeLive::new(&clock)),
            clock,
            stats: Stats::default(),
        };
        let err = open_with(answer(LIVE, text.into()), &opts(), env).expect_err("refused");
        assert!(matches!(err, SourceError::Malformed { .. }), "{err}");
    }

    #[test]
    fn an_encrypted_playlist_is_refused_at_open() {
        let clock = Arc::new(VirtualClock::default());
        let fake = FakeLive::new(&clock);
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:2,\nseg1.aac\n";
        let env = Env {
            fetch: Arc::new(fake),
            clock,
            stats: Stats::default(),
        };
        let err = open_with(answer(LIVE, text.into()), &opts(), env).expect_err("refused");
        assert_eq!(
            err,
            SourceError::Unsupported {
                url: LIVE.into(),
                what: "encrypted HLS".into()
            }
        );
    }

    #[test]
    fn the_reader_is_sync_for_the_decoder() {
        fn sync<T: Send + Sync>() {}
        sync::<LiveReader>();
    }

    #[test]
    fn a_read_that_waits_past_its_patience_fails_as_stalled() {
        /// Answers the playlist, the first segment, then hangs on every segment.
        struct Hanging(FakeLive);
        impl Fetch for Hanging {
            fn get(&self, url: &str) -> Result<Response, SourceError> {
                if url.ends_with("seg8.aac") {
                    std::thread::sleep(Duration::from_secs(3));
                }
                self.0.get(url)
            }
        }
        let clock = Arc::new(VirtualClock::default());
        let fake = Arc::new(Hanging(FakeLive::new(&clock)));
        let env = Env {
            fetch: fake.clone(),
            clock,
            stats: Stats::default(),
        };
        let opts = NetOptions {
            frozen: Duration::from_millis(100),
            stall: Duration::from_millis(100),
            ..NetOptions::default()
        };
        let mut stream = open_with(fake.0.first(), &opts, env).expect("open");
        let started = Instant::now();
        let (seqs, end) = read_all(&mut stream);
        let waited = started.elapsed();
        assert_eq!(seqs, vec![7]);
        let end = end.expect("an error");
        assert_eq!(end.kind(), std::io::ErrorKind::TimedOut);
        assert!(matches!(
            SourceError::from_io(&end),
            Some(SourceError::Stalled { .. })
        ));
        // Patience: frozen + the target duration (2 s) + twice the stall time.
        assert!(waited >= Duration::from_millis(2300), "{waited:?}");
        assert!(waited < Duration::from_millis(2900), "{waited:?}");
    }

    #[test]
    fn the_worker_stops_when_the_reader_is_dropped() {
        let clock = Arc::new(VirtualClock::default());
        let (fake, _env, stream) = start(FakeLive::new(&clock));
        drop(stream);
        std::thread::sleep(Duration::from_millis(200));
        let asked = fake.requests().len();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(fake.requests().len(), asked, "still fetching");
    }
}
