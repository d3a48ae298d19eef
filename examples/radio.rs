//! A loopback test radio for the relay benchmark (`benches/relay.sh`): the tests' radio
//! (`tests/support/radio.rs`) serving, for SECONDS, an Icecast MP3 stream at `/vov1.mp3`
//! (the chirp fixture looped at 128 kb/s, ICY titles) and an HLS live playlist at
//! `/hls/live.m3u8` (the MPEG-TS fixture segments looped, a new 2 s segment every 2 s).
//! Prints its base URL, then serves.
//!
//!     cargo run --release --example radio -- 120

#[path = "../tests/support/radio.rs"]
mod radio;
#[path = "../tests/support/test_ca.rs"]
mod test_ca;

use std::time::{Duration, Instant};

use radio::{Answer, Icy, Radio};

const CHIRP: &[u8] = include_bytes!("../tests/fixtures/relay/chirp-128k-44k1.mp3");
const SEGMENTS: [&[u8]; 6] = [
    include_bytes!("../tests/fixtures/relay/hls/ts/seg0.ts"),
    include_bytes!("../tests/fixtures/relay/hls/ts/seg1.ts"),
    include_bytes!("../tests/fixtures/relay/hls/ts/seg2.ts"),
    include_bytes!("../tests/fixtures/relay/hls/ts/seg3.ts"),
    include_bytes!("../tests/fixtures/relay/hls/ts/seg4.ts"),
    include_bytes!("../tests/fixtures/relay/hls/ts/seg5.ts"),
];

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let radio = Radio::start();
    let mut icy = Icy::new(CHIRP.to_vec(), 128_000);
    icy.metaint = Some(16_000);
    icy.titles = vec!["Thời sự".into(), "Bản tin".into()];
    radio.icy("/vov1.mp3", icy);
    let start = Instant::now();
    radio.dynamic("/hls/", move |path| {
        if path.ends_with(".m3u8") {
            let seq = start.elapsed().as_secs() / 2;
            let mut text = format!(
                "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{seq}\n"
            );
            for n in seq..seq + 3 {
                text.push_str(&format!("#EXTINF:2.005,\nseg{n}.ts\n"));
            }
            return Answer::bytes("application/vnd.apple.mpegurl", text);
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
    println!("{}", radio.url(""));
    std::thread::sleep(Duration::from_secs(secs));
}
