//! Relay sources through `loaxa::relay::open` against the in-process test radio
//! (`tests/support/radio.rs`): Icecast/SHOUTcast streams with ICY metadata, http and https,
//! redirects, chunked bodies and the faults a relay meets. Loopback only.

#[path = "support/radio.rs"]
mod radio;
#[path = "support/test_ca.rs"]
mod test_ca;

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loaxa::relay::{Codec, NetOptions, SourceError, Stream, open};
use radio::{Answer, Fault, Icy, Radio};

const MP3: &[u8] = include_bytes!("fixtures/relay/chirp-128k-44k1.mp3");
const AAC: &[u8] = include_bytes!("fixtures/relay/chirp-96k-48k.aac");
const SILENCE: &[u8] = include_bytes!("fixtures/relay/silence-128k-44k1.mp3");

/// Samples per channel in the fixtures, measured with ffprobe (fixtures README).
const MP3_SAMPLES: u64 = 442_368;
const AAC_SAMPLES: u64 = 481_280;

/// 16× real time for the 128 kb/s fixture: its 10 s arrive in about 0.6 s.
const FAST_BPS: u64 = 128_000 * 16;

fn opts() -> NetOptions {
    NetOptions {
        connect: Duration::from_secs(2),
        stall: Duration::from_secs(1),
        ..NetOptions::default()
    }
}

fn open_ok(url: &str, opts: &NetOptions) -> Stream {
    match open(url, opts) {
        Ok(stream) => stream,
        Err(e) => panic!("open {url}: {e}"),
    }
}

/// Reads exactly `len` bytes with reads of the sizes given in turn, noting each title seen.
fn read_n(stream: &mut Stream, len: usize, sizes: &[usize]) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::with_capacity(len);
    let mut titles: Vec<String> = Vec::new();
    let mut buf = vec![0u8; sizes.iter().copied().max().unwrap_or(1)];
    let mut i = 0;
    while out.len() < len {
        let want = sizes[i % sizes.len()].min(len - out.len());
        i += 1;
        let n = stream
            .reader
            .read(&mut buf[..want])
            .expect("read the stream");
        assert!(n > 0, "the stream ended after {} bytes", out.len());
        out.extend_from_slice(&buf[..n]);
        if let Some(t) = stream.title.get()
            && titles.last() != Some(&t)
        {
            titles.push(t);
        }
    }
    (out, titles)
}

fn is_source_error(e: &std::io::Error, pred: impl Fn(&SourceError) -> bool) -> bool {
    SourceError::from_io(e).is_some_and(pred)
}

/// Decodes a stream to the end as the player does (`FileDecoder::open_stream`: symphonia
/// over a stream that cannot seek, the codec's extension as the hint) and returns the
/// samples per channel.
fn decoded_samples(stream: Stream) -> u64 {
    let mut decoder = loaxa::audio::FileDecoder::open_stream(
        &stream.url,
        stream.reader,
        stream.codec.extension(),
    )
    .expect("open the stream");
    let channels = usize::from(decoder.info().channels.max(1));
    let mut samples = 0u64;
    while let Some(block) = decoder.next_block().expect("decode") {
        samples += (block.len() / channels) as u64;
    }
    assert_eq!(decoder.bad_packets(), 0, "every packet decodes");
    samples
}

#[test]
fn icy_mp3_with_metadata_reads_the_files_bytes_and_its_titles() {
    let radio = Radio::start();
    let mut icy = Icy::new(MP3.to_vec(), FAST_BPS);
    // 16000 (Icecast's default) does not divide the file: blocks fall everywhere in it.
    icy.metaint = Some(16000);
    icy.titles = vec!["Bản tin sáng".into(), "Thời sự VOV1 — 'đặc biệt'".into()];
    icy.title_every = Duration::from_millis(200);
    radio.icy("/vov1.mp3", icy);
    let mut stream = open_ok(&radio.url("/vov1.mp3"), &opts());
    assert_eq!(stream.codec, Codec::Mp3);
    assert_eq!(stream.url, radio.url("/vov1.mp3"));
    // Small odd reads first (across block boundaries), then large ones; the file twice
    // (the radio loops it).
    let (bytes, titles) = read_n(&mut stream, MP3.len() * 2, &[1, 7, 333, 16001, 4096]);
    assert!(
        bytes[..MP3.len()] == *MP3,
        "first loop differs from the file"
    );
    assert!(
        bytes[MP3.len()..] == *MP3,
        "second loop differs from the file"
    );
    assert!(
        titles.contains(&"Bản tin sáng".to_string())
            && titles.contains(&"Thời sự VOV1 — 'đặc biệt'".to_string()),
        "both titles seen, quotes kept: {titles:?}"
    );
    assert!(
        titles.len() >= 3,
        "the title changed as it went: {titles:?}"
    );
    let request = radio.last_request("/vov1.mp3").expect("request");
    assert!(request.contains("Icy-MetaData: 1\r\n"), "{request}");
    assert!(request.contains("User-Agent: loaxa/"), "{request}");
    assert!(
        request.contains(&format!("Host: {}\r\n", radio.addr())),
        "{request}"
    );
    assert!(request.contains("Connection: close\r\n"), "{request}");
}

#[test]
fn shoutcast_icy_200_ok_head_is_accepted() {
    let radio = Radio::start();
    let mut icy = Icy::new(MP3.to_vec(), FAST_BPS);
    icy.icy_status = true;
    icy.metaint = Some(8192);
    icy.titles = vec!["SHOUTcast".into()];
    radio.icy("/;stream.mp3", icy);
    let mut stream = open_ok(&radio.url("/;stream.mp3"), &opts());
    let (bytes, _) = read_n(&mut stream, 50_000, &[4096]);
    assert!(bytes == MP3[..50_000]);
    assert_eq!(stream.title.get().as_deref(), Some("SHOUTcast"));
}

#[test]
fn aac_by_content_type_decodes_to_the_files_length() {
    let radio = Radio::start();
    radio.answer("/aac", Answer::bytes("audio/aacp", AAC));
    let stream = open_ok(&radio.url("/aac"), &opts());
    assert_eq!(stream.codec, Codec::Aac);
    let samples = decoded_samples(stream);
    eprintln!("AAC: decoded {samples} samples, the file has {AAC_SAMPLES}");
    assert!(
        samples.abs_diff(AAC_SAMPLES) <= 2048,
        "decoded {samples} samples, the file has {AAC_SAMPLES}"
    );
}

#[test]
fn mp3_stream_with_metadata_decodes_to_the_files_length() {
    let radio = Radio::start();
    // A stream cut at the file's end: Content-Length, metadata every 8192 bytes.
    let mut wire = Vec::new();
    for (i, piece) in MP3.chunks(8192).enumerate() {
        wire.extend_from_slice(piece);
        if piece.len() == 8192 {
            wire.extend_from_slice(&radio::metadata_block(&format!("part {i}")));
        }
    }
    radio.answer(
        "/mp3",
        Answer::bytes("audio/mpeg", wire).with_header("icy-metaint", "8192"),
    );
    let stream = open_ok(&radio.url("/mp3"), &opts());
    let title = stream.title.clone();
    let samples = decoded_samples(stream);
    eprintln!("MP3: decoded {samples} samples, the file has {MP3_SAMPLES}");
    assert!(
        samples.abs_diff(MP3_SAMPLES) <= 2304,
        "decoded {samples} samples, the file has {MP3_SAMPLES}"
    );
    assert_eq!(
        title.get(),
        Some(format!("part {}", MP3.len() / 8192 - 1)),
        "the last block's title"
    );
}

#[test]
fn codec_sniffed_without_content_type() {
    let radio = Radio::start();
    for (path, bytes, codec) in [("/m", MP3, Codec::Mp3), ("/a", AAC, Codec::Aac)] {
        let mut icy = Icy::new(bytes.to_vec(), FAST_BPS);
        icy.content_type = None;
        icy.metaint = Some(1000);
        radio.icy(path, icy);
        let mut stream = open_ok(&radio.url(path), &opts());
        assert_eq!(stream.codec, codec, "{path}");
        let (read, _) = read_n(&mut stream, 20_000, &[4096]);
        assert!(
            read == bytes[..20_000],
            "{path}: the sniffed bytes are given back"
        );
    }
}

#[test]
fn chunked_bodies_are_unwrapped() {
    let radio = Radio::start();
    radio.answer("/static", Answer::bytes("audio/mpeg", MP3).chunked(1000));
    let mut stream = open_ok(&radio.url("/static"), &opts());
    let mut all = Vec::new();
    stream.reader.read_to_end(&mut all).expect("the whole body");
    assert!(
        all == MP3,
        "chunked body equals the file ({} bytes)",
        all.len()
    );

    // A live chunked stream with ICY metadata inside the chunks.
    let mut icy = Icy::new(MP3.to_vec(), FAST_BPS);
    icy.chunked = true;
    icy.metaint = Some(4000);
    icy.titles = vec!["chunked".into()];
    radio.icy("/live", icy);
    let mut stream = open_ok(&radio.url("/live"), &opts());
    let (bytes, titles) = read_n(&mut stream, 60_000, &[999]);
    assert!(bytes == MP3[..60_000]);
    assert_eq!(titles, vec!["chunked".to_string()]);
}

#[test]
fn redirects_relative_and_absolute_are_followed_and_bounded() {
    let radio = Radio::start();
    radio.answer("/live/stream.mp3", Answer::bytes("audio/mpeg", MP3));
    radio.answer("/live/old", Answer::redirect(302, "stream.mp3"));
    radio.answer("/go", Answer::redirect(301, "/live/old"));
    let mut stream = open_ok(&radio.url("/go"), &opts());
    assert_eq!(stream.url, radio.url("/live/stream.mp3"));
    let mut all = Vec::new();
    stream.reader.read_to_end(&mut all).expect("body");
    assert!(all == MP3);
    assert_eq!(radio.connections("/go"), 1);
    assert_eq!(radio.connections("/live/old"), 1);

    radio.answer("/loop", Answer::redirect(307, "/loop"));
    let mut o = opts();
    o.max_redirects = 3;
    match open(&radio.url("/loop"), &o) {
        Err(SourceError::Redirects { max: 3, .. }) => {}
        other => panic!("expected Redirects, got {other:?}"),
    }
    assert_eq!(
        radio.connections("/loop"),
        4,
        "the first request and three redirects"
    );

    radio.answer("/nowhere", Answer::status(302));
    assert!(matches!(
        open(&radio.url("/nowhere"), &opts()),
        Err(SourceError::Malformed { .. })
    ));
}

#[test]
fn https_with_the_test_ca_and_refused_without_it() {
    let tls = Radio::start_tls();
    let mut icy = Icy::new(MP3.to_vec(), FAST_BPS);
    icy.metaint = Some(16000);
    icy.titles = vec!["qua https".into()];
    tls.icy("/vov.mp3", icy);
    let trusted = NetOptions {
        ca_certs: vec![tls.ca_der()],
        ..opts()
    };
    let mut stream = open_ok(&tls.url("/vov.mp3"), &trusted);
    assert!(stream.url.starts_with("https://127.0.0.1:"));
    let (bytes, titles) = read_n(&mut stream, MP3.len(), &[4096]);
    assert!(bytes == MP3);
    assert_eq!(titles, vec!["qua https".to_string()]);

    match open(&tls.url("/vov.mp3"), &opts()) {
        Err(SourceError::Connect { detail, .. }) => {
            eprintln!("without the test CA: {detail}");
            assert!(detail.contains("certificate"), "{detail}")
        }
        other => panic!("expected Connect with a certificate detail, got {other:?}"),
    }

    // A name the certificate holds (localhost) works too; the plain radio redirects to https.
    let plain = Radio::start();
    let target = format!("https://localhost:{}/vov.mp3", tls.addr().port());
    plain.answer("/vov1", Answer::redirect(301, &target));
    let stream = open_ok(&plain.url("/vov1"), &trusted);
    assert_eq!(stream.url, target);
}

#[test]
fn not_found_is_status_404() {
    let radio = Radio::start();
    match open(&radio.url("/missing.mp3"), &opts()) {
        Err(SourceError::Status { status: 404, url }) => {
            assert_eq!(url, radio.url("/missing.mp3"))
        }
        other => panic!("expected Status 404, got {other:?}"),
    }
    radio.answer("/busy", Answer::status(503));
    assert!(matches!(
        open(&radio.url("/busy"), &opts()),
        Err(SourceError::Status { status: 503, .. })
    ));
}

#[test]
fn refused_connections_are_connect_errors_and_the_radio_comes_back() {
    let radio = Radio::start();
    radio.icy_stream("/s.mp3", MP3.to_vec(), FAST_BPS, None, &[]);
    let mut stream = open_ok(&radio.url("/s.mp3"), &opts());
    read_n(&mut stream, 10_000, &[4096]);
    radio.refuse(true);
    // The listener closes within a few ticks (a connection made just before may be reset
    // or closed unanswered instead: wait for the refusal itself).
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match open(&radio.url("/s.mp3"), &opts()) {
            Err(SourceError::Connect { detail, .. })
                if detail.to_lowercase().contains("refused") =>
            {
                break;
            }
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => panic!("expected a refused connection, got {other:?}"),
        }
    }
    radio.refuse(false);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut back = loop {
        match open(&radio.url("/s.mp3"), &opts()) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("did not come back: {e}"),
        }
    };
    let (bytes, _) = read_n(&mut back, 10_000, &[4096]);
    assert!(
        bytes == MP3[..10_000],
        "a new connection starts the stream anew"
    );
    assert!(radio.connections("/s.mp3") >= 2);

    // Nothing listening at all.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    assert!(matches!(
        open(&format!("http://127.0.0.1:{port}/x.mp3"), &opts()),
        Err(SourceError::Connect { .. })
    ));
}

#[test]
fn a_stall_fails_the_read_with_timed_out_within_stall_plus_a_second() {
    let radio = Radio::start();
    let mut icy = Icy::new(MP3.to_vec(), 128_000);
    icy.metaint = Some(16000);
    radio.icy("/stall.mp3", icy);
    let o = opts();
    let mut stream = open_ok(&radio.url("/stall.mp3"), &o);
    read_n(&mut stream, 8_000, &[1000]);
    radio.fault("/stall.mp3", Fault::Stall);
    let stalled_at = Instant::now();
    let mut buf = [0u8; 4096];
    let err = loop {
        match stream.reader.read(&mut buf) {
            Ok(0) => panic!("EOF instead of a stall"),
            Ok(_) => assert!(stalled_at.elapsed() < o.stall, "bytes long after the stall"),
            Err(e) => break e,
        }
    };
    let took = stalled_at.elapsed();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(
        is_source_error(&err, |s| matches!(s, SourceError::Stalled { secs: 1, .. })),
        "{err}"
    );
    assert!(
        took >= o.stall && took <= o.stall + Duration::from_secs(1),
        "failed after {took:?}"
    );
    // The socket stays open: the radio still counts one connection, and it resumes.
    radio.fault("/stall.mp3", Fault::None);
    let (more, _) = read_n(&mut stream, 2_000, &[1000]);
    assert_eq!(more.len(), 2_000);
    assert_eq!(radio.connections("/stall.mp3"), 1);
}

#[test]
fn a_stall_before_the_head_fails_open_with_stalled() {
    let radio = Radio::start();
    radio.dynamic("/slow", |_| {
        std::thread::sleep(Duration::from_millis(1800));
        Answer::bytes("audio/mpeg", MP3)
    });
    let started = Instant::now();
    match open(&radio.url("/slow"), &opts()) {
        Err(SourceError::Stalled { secs: 1, .. }) => {}
        other => panic!("expected Stalled, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(1800));
}

/// A dropped socket reads as the end of the stream (`Ok(0)`), not as an error: the radio
/// closes the TCP connection in order (FIN, or TLS close_notify), between two writes, so
/// no metadata block is cut, and a live stream has no length to fall short of. The player
/// tells a live stream's end from a file's: for a relay, any end is a dropout.
#[test]
fn a_dropped_socket_reads_as_the_end_of_the_stream() {
    let radio = Radio::start();
    let mut icy = Icy::new(MP3.to_vec(), 128_000 * 4);
    icy.metaint = Some(16000);
    radio.icy("/drop.mp3", icy);
    let mut stream = open_ok(&radio.url("/drop.mp3"), &opts());
    read_n(&mut stream, 20_000, &[4096]);
    radio.kick("/drop.mp3");
    let dropped_at = Instant::now();
    let mut rest = Vec::new();
    let end = stream.reader.read_to_end(&mut rest);
    assert!(end.is_ok(), "EOF, not an error: {end:?}");
    assert!(dropped_at.elapsed() < Duration::from_secs(1));
    // The next connection is served (kick is once), and counted.
    let mut again = open_ok(&radio.url("/drop.mp3"), &opts());
    read_n(&mut again, 1_000, &[1000]);
    assert_eq!(radio.connections("/drop.mp3"), 2);

    // A persistent drop: every connection closes right after its request.
    radio.fault("/drop.mp3", Fault::Drop);
    match open(&radio.url("/drop.mp3"), &opts()) {
        Err(SourceError::Connect { detail, .. }) => assert!(detail.contains("closed"), "{detail}"),
        other => panic!("expected Connect, got {other:?}"),
    }
}

#[test]
fn digital_silence_fault_sends_the_silent_frames() {
    let radio = Radio::start();
    let mut icy = Icy::new(MP3.to_vec(), FAST_BPS);
    icy.metaint = Some(16000);
    radio.icy("/s.mp3", icy);
    let mut stream = open_ok(&radio.url("/s.mp3"), &opts());
    read_n(&mut stream, 1_000, &[1000]);
    radio.fault("/s.mp3", Fault::Silence(Arc::new(SILENCE.to_vec())));
    // Whatever was already paced out is the chirp; then the silence loops from its start.
    let (bytes, _) = read_n(&mut stream, 400_000, &[4096]);
    let from = bytes
        .windows(64)
        .position(|w| w == &SILENCE[..64])
        .expect("the silence starts");
    let tail = &bytes[from..];
    for (i, piece) in tail.chunks(SILENCE.len()).enumerate() {
        assert!(piece == &SILENCE[..piece.len()], "silence loop {i} differs");
    }
    assert!(tail.len() > SILENCE.len() * 5);
}

#[test]
fn unsupported_content_types_are_named() {
    let radio = Radio::start();
    radio.answer("/ogg", Answer::bytes("audio/ogg", &b"OggS\0\0\0\0"[..]));
    radio.answer(
        "/html",
        Answer::bytes("text/html; charset=utf-8", &b"<html></html>"[..]),
    );
    radio.answer(
        "/junk",
        Answer::bytes("application/octet-stream", vec![0u8; 9000]),
    );
    for (path, what) in [("/ogg", "audio/ogg"), ("/html", "text/html")] {
        match open(&radio.url(path), &opts()) {
            Err(SourceError::Unsupported { what: w, .. }) => assert_eq!(w, what),
            other => panic!("{path}: expected Unsupported, got {other:?}"),
        }
    }
    assert!(matches!(
        open(&radio.url("/junk"), &opts()),
        Err(SourceError::Unsupported { .. })
    ));
}

#[test]
fn hostile_heads_are_malformed_without_panic() {
    let radio = Radio::start();
    let mut flood = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..200 {
        flood.extend_from_slice(format!("X-Flood-{i}: y\r\n").as_bytes());
    }
    flood.extend_from_slice(b"\r\n");
    radio.answer("/flood", Answer::Raw(flood));
    let mut huge = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 64 * 1024));
    radio.answer("/huge", Answer::Raw(huge));
    radio.answer(
        "/garbage",
        Answer::Raw(b"\x16\x03\x01 not http at all\r\n\r\n".to_vec()),
    );
    radio.answer(
        "/metaint",
        Answer::Raw(
            b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-metaint: 99999999999\r\n\r\nxx"
                .to_vec(),
        ),
    );
    radio.answer(
        "/length",
        Answer::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: -5\r\n\r\n".to_vec(),
        ),
    );
    for path in ["/flood", "/huge", "/garbage", "/metaint", "/length"] {
        match open(&radio.url(path), &opts()) {
            Err(SourceError::Malformed { detail, .. }) => assert!(!detail.is_empty()),
            other => panic!("{path}: expected Malformed, got {other:?}"),
        }
    }
    let long = format!("{}/{}", radio.url(""), "a".repeat(10_000));
    assert!(matches!(
        open(&long, &opts()),
        Err(SourceError::BadUrl { .. })
    ));
    assert!(matches!(
        open("ftp://127.0.0.1/x", &opts()),
        Err(SourceError::BadUrl { .. })
    ));
}

#[test]
fn the_largest_metadata_block_is_taken_out_exactly() {
    let radio = Radio::start();
    // Length byte 255: 4080 bytes of metadata, the most the format allows, with a title
    // inside and junk after it; between audio pieces of 500 bytes.
    let mut block = vec![255u8];
    let text = b"StreamTitle='dai';StreamUrl='";
    block.extend_from_slice(text);
    block.extend(std::iter::repeat_n(b'x', 255 * 16 - text.len()));
    let mut wire =
        b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-metaint: 500\r\n\r\n".to_vec();
    let audio = &MP3[..5_000];
    for piece in audio.chunks(500) {
        wire.extend_from_slice(piece);
        wire.extend_from_slice(&block);
    }
    radio.answer("/big-meta", Answer::Raw(wire));
    let mut stream = open_ok(&radio.url("/big-meta"), &opts());
    let mut all = Vec::new();
    stream.reader.read_to_end(&mut all).expect("to the end");
    assert!(all == audio, "audio only ({} bytes)", all.len());
    assert_eq!(stream.title.get().as_deref(), Some("dai"));
}

#[test]
fn content_length_is_honoured_and_a_short_body_is_an_error() {
    let radio = Radio::start();
    let mut more =
        b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: 4000\r\n\r\n".to_vec();
    more.extend_from_slice(&MP3[..6000]);
    radio.answer("/more", Answer::Raw(more));
    let mut stream = open_ok(&radio.url("/more"), &opts());
    let mut all = Vec::new();
    stream.reader.read_to_end(&mut all).expect("4000 bytes");
    assert!(
        all == MP3[..4000],
        "cut at Content-Length ({} bytes)",
        all.len()
    );

    let mut short =
        b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: 9000\r\n\r\n".to_vec();
    short.extend_from_slice(&MP3[..4000]);
    radio.answer("/short", Answer::Raw(short));
    let mut stream = open_ok(&radio.url("/short"), &opts());
    let err = stream
        .reader
        .read_to_end(&mut Vec::new())
        .expect_err("closed before Content-Length");
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
}
