//! HLS relay sources end to end, without network or real time: the live reader of
//! `loaxa::relay::hls` over the committed fixtures (the same AAC frames as ADTS segments and
//! as MPEG-TS segments, made once with ffmpeg), served by a fake fetcher on virtual time,
//! decoded by symphonia to the sample count ffmpeg measured.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loaxa::relay::hls::{self, Env, Fetch, MonoClock, Stats, VirtualClock};
use loaxa::relay::net::Response;
use loaxa::relay::{Codec, NetOptions, SourceError, Stream};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/relay/hls");
const HOST: &str = "http://radio.test";
/// One AAC frame: what a join of two segments may cost.
const FRAME: u64 = 1024;

/// The committed segments of one folder (`aac`, `ts`: the same AAC frames; `mp3`: MPEG audio
/// in TS), with ffmpeg's sample counts.
struct Fixture {
    kind: &'static str,
    segments: Vec<(String, Vec<u8>, u64)>,
}

impl Fixture {
    fn load(kind: &'static str) -> Fixture {
        let truth =
            std::fs::read_to_string(format!("{FIXTURES}/samples.tsv")).expect("samples.tsv");
        let counts: BTreeMap<String, u64> = truth
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (file, n) = l.split_once('\t')?;
                Some((file.to_string(), n.trim().parse().ok()?))
            })
            .collect();
        let segments = (0..)
            .map_while(|i| {
                let name = format!("{kind}/seg{i}.{}", extension(kind));
                let bytes = std::fs::read(format!("{FIXTURES}/{name}")).ok()?;
                Some((name.clone(), bytes, counts[&name]))
            })
            .collect::<Vec<_>>();
        assert!(segments.len() >= 3, "fixtures of {kind}");
        Fixture { kind, segments }
    }

    fn total(&self) -> u64 {
        self.segments.iter().map(|s| s.2).sum()
    }
}

/// The segments' file extension in a fixture folder.
fn extension(kind: &str) -> &'static str {
    match kind {
        "aac" => "aac",
        _ => "ts",
    }
}

/// A server of the fixture's segments: a VOD playlist (the one ffmpeg wrote), or a live one
/// that starts with `live_from` segments and gains one every 2 s of virtual time, with
/// `#EXT-X-ENDLIST` once all are out.
struct Server {
    fixture: Fixture,
    clock: Arc<VirtualClock>,
    live_from: Option<usize>,
    /// (segment, packet): a TS packet the server loses.
    lose: Option<(usize, usize)>,
    asked: Mutex<Vec<String>>,
}

impl Server {
    fn playlist_url(&self) -> String {
        format!("{HOST}/{}/index.m3u8", self.fixture.kind)
    }

    fn playlist(&self) -> String {
        let kind = self.fixture.kind;
        let Some(from) = self.live_from else {
            return std::fs::read_to_string(format!("{FIXTURES}/{kind}/index.m3u8")).expect("m3u8");
        };
        let grown = (self.clock.now().as_secs() / 2) as usize;
        let n = (from + grown).min(self.fixture.segments.len());
        let first = n.saturating_sub(4);
        let mut text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
        for (i, (_, _, samples)) in self.fixture.segments.iter().enumerate().take(n).skip(first) {
            let secs = *samples as f64 / 48_000.0;
            let ext = extension(kind);
            text += &format!("#EXTINF:{secs:.6},Thời sự {i}\nseg{i}.{ext}\n");
        }
        if n == self.fixture.segments.len() {
            text += "#EXT-X-ENDLIST\n";
        }
        text
    }
}

impl Server {
    /// Segment `i` as served: without the lost packet, if it is in this segment.
    fn damaged(&self, i: usize) -> Vec<u8> {
        let mut bytes = self.fixture.segments[i].1.clone();
        if let Some((_, packet)) = self.lose.filter(|(seg, _)| *seg == i) {
            bytes.drain(packet * 188..(packet + 1) * 188);
        }
        bytes
    }
}

impl Fetch for Server {
    fn get(&self, url: &str) -> Result<Response, SourceError> {
        self.asked.lock().expect("log").push(url.to_string());
        let body = if url == self.playlist_url() {
            self.playlist().into_bytes()
        } else {
            let name = url.strip_prefix(&format!("{HOST}/")).unwrap_or_default();
            let found = self.fixture.segments.iter().position(|(n, _, _)| n == name);
            found
                .map(|i| self.damaged(i))
                .ok_or_else(|| SourceError::Status {
                    url: url.to_string(),
                    status: 404,
                })?
        };
        Ok(Response {
            url: url.to_string(),
            headers: Vec::new(),
            body: Box::new(Cursor::new(body)),
        })
    }
}

fn open(kind: &'static str, live_from: Option<usize>) -> (Arc<Server>, Stats, Stream) {
    serve(Server {
        fixture: Fixture::load(kind),
        clock: Arc::new(VirtualClock::default()),
        live_from,
        lose: None,
        asked: Mutex::default(),
    })
}

fn serve(server: Server) -> (Arc<Server>, Stats, Stream) {
    let server = Arc::new(server);
    let stats = Stats::default();
    let env = Env {
        fetch: server.clone(),
        clock: server.clock.clone(),
        stats: stats.clone(),
    };
    let first = server.get(&server.playlist_url()).expect("playlist");
    let stream = hls::open_with(first, &NetOptions::default(), env).expect("open");
    (server, stats, stream)
}

/// Samples per channel decoded from the stream as the player reads it
/// (`FileDecoder::open_stream`), with its rate and channel count.
fn decode(stream: Stream) -> (u64, u32, usize) {
    let mut decoder = loaxa::audio::FileDecoder::open_stream(
        &stream.url,
        stream.reader,
        stream.codec.extension(),
    )
    .expect("open the stream");
    let (rate, channels) = (
        decoder.info().sample_rate,
        usize::from(decoder.info().channels),
    );
    let mut samples = 0u64;
    while let Some(block) = decoder.next_block().expect("decode") {
        samples += (block.len() / channels.max(1)) as u64;
    }
    assert_eq!(decoder.bad_packets(), 0, "every packet decodes");
    (samples, rate, channels)
}

/// The decoded length equals ffmpeg's within one AAC frame per join of two segments.
fn assert_samples(got: u64, want: u64, segments: usize) {
    let slack = FRAME * segments.saturating_sub(1) as u64;
    eprintln!("decoded {got} samples, ffmpeg {want}");
    assert!(
        got.abs_diff(want) <= slack,
        "decoded {got} samples, ffmpeg {want} (± {slack})"
    );
}

#[test]
fn ts_segments_decode_to_ffmpegs_sample_count() {
    let (server, stats, stream) = open("ts", None);
    assert_eq!(stream.codec, Codec::Aac);
    let (samples, rate, channels) = decode(stream);
    assert_eq!((rate, channels), (48_000, 2));
    assert_samples(
        samples,
        server.fixture.total(),
        server.fixture.segments.len(),
    );
    assert_eq!(stats.get().segments, server.fixture.segments.len() as u64);
}

#[test]
fn adts_segments_decode_to_ffmpegs_sample_count() {
    let (server, _, stream) = open("aac", None);
    assert_eq!(stream.codec, Codec::Aac);
    let (samples, rate, channels) = decode(stream);
    assert_eq!((rate, channels), (48_000, 2));
    assert_samples(
        samples,
        server.fixture.total(),
        server.fixture.segments.len(),
    );
}

#[test]
fn both_kinds_give_the_same_audio_bytes() {
    let read = |kind| {
        let (_, _, mut stream) = open(kind, None);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stream.reader, &mut bytes).expect("read");
        bytes
    };
    let (ts, aac) = (read("ts"), read("aac"));
    assert!(!ts.is_empty());
    assert!(ts == aac, "TS gave {} bytes, ADTS {}", ts.len(), aac.len());
}

#[test]
fn a_live_ts_playlist_is_followed_to_its_end() {
    // Five segments out, the last four listed (8 s): the join is three target durations
    // (6 s) back, at segment 1; the rest arrive one every 2 s.
    let (server, stats, stream) = open("ts", Some(5));
    let title = stream.title.clone();
    let (samples, _, _) = decode(stream);
    let segments = &server.fixture.segments[1..];
    let want: u64 = segments.iter().map(|s| s.2).sum();
    assert_samples(samples, want, segments.len());
    let asked = server.asked.lock().expect("log").clone();
    let fetched: Vec<&String> = asked.iter().filter(|u| u.ends_with(".ts")).collect();
    let expected: Vec<String> = (1..server.fixture.segments.len())
        .map(|i| format!("{HOST}/ts/seg{i}.ts"))
        .collect();
    assert_eq!(
        fetched,
        expected.iter().collect::<Vec<_>>(),
        "in order, each once"
    );
    assert_eq!(
        stats.get().reloads,
        2,
        "at 2 s and 4 s, then the list ended"
    );
    assert_eq!(title.get().as_deref(), Some("Thời sự 6"));
    assert_eq!(server.clock.now(), Duration::from_secs(4));
}

#[test]
fn a_lost_ts_packet_costs_its_pes_not_the_stream() {
    let (server, stats, stream) = serve(Server {
        fixture: Fixture::load("ts"),
        clock: Arc::new(VirtualClock::default()),
        live_from: None,
        lose: Some((2, 40)),
        asked: Mutex::default(),
    });
    let (samples, _, _) = decode(stream);
    let total = server.fixture.total();
    let lost = (total - samples) / FRAME;
    assert_eq!((total - samples) % FRAME, 0, "whole frames only");
    // ffmpeg puts up to ~15 frames (2 930 bytes) in one PES packet.
    assert!((1..=16).contains(&lost), "{lost} frames lost");
    assert!(stats.get().ts_faults >= 1);
    assert_eq!(stats.get().segments, server.fixture.segments.len() as u64);
}

#[test]
fn mpeg_audio_in_ts_is_relayed_as_mp3() {
    let (server, _, stream) = open("mp3", None);
    assert_eq!(stream.codec, Codec::Mp3);
    let (samples, rate, channels) = decode(stream);
    assert_eq!((rate, channels), (48_000, 2));
    let want = server.fixture.total();
    // MP3 frames are 1 152 samples; symphonia and ffmpeg may differ by the decoder delay
    // of the first frame.
    let slack = 1152 * server.fixture.segments.len() as u64;
    eprintln!("decoded {samples} samples, ffmpeg {want}");
    assert!(
        samples.abs_diff(want) <= slack,
        "decoded {samples}, ffmpeg {want}"
    );
}
