//! HLS over the real network client: a live playlist served by the loopback test radio,
//! advancing every two seconds over MPEG-TS segments (made once with ffmpeg), followed by
//! `loaxa::relay::open` and decoded; then the playlist freezes and the reader says so.

#[path = "support/radio.rs"]
mod radio;
#[path = "support/test_ca.rs"]
mod test_ca;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use loaxa::relay::{Codec, NetOptions};
use radio::{Answer, Radio};

const SEGMENTS: [&[u8]; 6] = [
    include_bytes!("fixtures/relay/hls/ts/seg0.ts"),
    include_bytes!("fixtures/relay/hls/ts/seg1.ts"),
    include_bytes!("fixtures/relay/hls/ts/seg2.ts"),
    include_bytes!("fixtures/relay/hls/ts/seg3.ts"),
    include_bytes!("fixtures/relay/hls/ts/seg4.ts"),
    include_bytes!("fixtures/relay/hls/ts/seg5.ts"),
];

/// A live playlist of three 2 s segments whose media sequence advances with the wall clock
/// (segment `n` is fixture `n % 6`), until `frozen` is set.
fn live_playlist(start: Instant, frozen: &AtomicBool, frozen_at: &std::sync::Mutex<u64>) -> String {
    let mut seq = start.elapsed().as_secs() / 2;
    let mut at = frozen_at.lock().unwrap_or_else(|e| e.into_inner());
    if frozen.load(Ordering::SeqCst) {
        seq = *at;
    } else {
        *at = seq;
    }
    let mut text = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{seq}\n"
    );
    for n in seq..seq + 3 {
        text.push_str(&format!("#EXTINF:2.005,Thời sự\nseg{n}.ts\n"));
    }
    text
}

#[test]
fn a_live_hls_playlist_over_http_is_relayed_and_a_frozen_one_is_noticed() {
    let radio = Radio::start();
    let start = Instant::now();
    let frozen = Arc::new(AtomicBool::new(false));
    let frozen_at = Arc::new(std::sync::Mutex::new(0u64));
    {
        let (frozen, frozen_at) = (frozen.clone(), frozen_at.clone());
        radio.dynamic("/hls/", move |path| {
            if path.ends_with(".m3u8") {
                return Answer::bytes(
                    "application/vnd.apple.mpegurl",
                    live_playlist(start, &frozen, &frozen_at),
                );
            }
            let n: Option<usize> = path
                .strip_prefix("/hls/seg")
                .and_then(|p| p.strip_suffix(".ts"))
                .and_then(|n| n.parse().ok());
            match n {
                Some(n) => Answer::bytes("video/mp2t", SEGMENTS[n % SEGMENTS.len()].to_vec()),
                None => Answer::not_found(),
            }
        });
    }
    let opts = NetOptions {
        frozen: Duration::from_secs(5),
        ..NetOptions::default()
    };
    let stream = loaxa::relay::open(&radio.url("/hls/live.m3u8"), &opts).expect("open");
    assert_eq!(stream.codec, Codec::Aac);
    let title = stream.title.clone();
    let mut decoder =
        loaxa::audio::FileDecoder::open_stream(&stream.url, stream.reader, "aac").expect("decode");
    let rate = decoder.info().sample_rate;
    let channels = usize::from(decoder.info().channels);
    assert_eq!((rate, channels), (48_000, 2));

    // Six seconds of audio arrive, at the live pace.
    let mut frames = 0u64;
    while frames < 6 * 48_000 {
        let block = decoder
            .next_block()
            .expect("decodes")
            .expect("not at the end");
        frames += (block.len() / channels) as u64;
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "too slow: {frames} frames"
        );
    }
    assert_eq!(title.get().as_deref(), Some("Thời sự"));

    // The playlist stops advancing: the reader fails as frozen, within its time.
    frozen.store(true, Ordering::SeqCst);
    let froze = Instant::now();
    let error = loop {
        match decoder.next_block() {
            Ok(Some(_)) => assert!(froze.elapsed() < Duration::from_secs(30), "never noticed"),
            Ok(None) => panic!("the stream ended instead of failing as frozen"),
            Err(e) => break e,
        }
    };
    let waited = froze.elapsed();
    assert!(
        waited < Duration::from_secs(5 + 2 + 6),
        "frozen noticed after {waited:?}"
    );
    let text = error.to_string();
    assert!(text.contains("has not advanced"), "{text}");
    // The segments were fetched once each (no segment twice).
    let fetched: usize = (0..12)
        .map(|n| radio.connections(&format!("/hls/seg{n}.ts")))
        .sum();
    assert!(fetched >= 3, "{fetched}");
    for n in 0..12 {
        assert!(
            radio.connections(&format!("/hls/seg{n}.ts")) <= 1,
            "seg{n} fetched twice"
        );
    }
}
