//! The feed on in-memory sources paced by the wall clock (the network sources have their
//! own tests over a real loopback server): what airs, its switches and their reasons.

use std::io::Read;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use super::*;
use crate::relay::{Codec, SourceError, Stream, Title};

const RATE: u32 = 48_000;

/// A 16-bit PCM WAV of `secs` seconds, stereo, sample `f(frame)`.
fn wav(secs: f64, rate: u32, f: impl Fn(u64) -> f32) -> Vec<u8> {
    wav_frames(secs, rate, |i| {
        let s = (f(i).clamp(-1.0, 1.0) * 32767.0) as i16;
        (s, s)
    })
}

/// A 16-bit PCM WAV of `secs` seconds, stereo, frame `f(frame)` (left, right).
fn wav_frames(secs: f64, rate: u32, f: impl Fn(u64) -> (i16, i16)) -> Vec<u8> {
    let frames = (secs * f64::from(rate)) as u64;
    let data_len = u32::try_from(frames * 4).expect("small");
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let (l, r) = f(i);
        out.extend_from_slice(&l.to_le_bytes());
        out.extend_from_slice(&r.to_le_bytes());
    }
    out
}

fn tone(secs: f64, amplitude: f32) -> Vec<u8> {
    wav(secs, RATE, move |i| {
        amplitude * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin()
    })
}

/// Bytes delivered at `bytes_per_s` by the wall clock, then `end` (EOF when `None`).
struct Paced {
    data: Vec<u8>,
    pos: usize,
    start: Instant,
    bytes_per_s: f64,
    /// Bytes given at once at the start (the header, a server's burst).
    burst: usize,
    end: Option<SourceError>,
}

impl Read for Paced {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.data.len() {
            return match self.end.take() {
                Some(e) => Err(e.into_io()),
                None => Ok(0),
            };
        }
        loop {
            let due = self.burst + (self.start.elapsed().as_secs_f64() * self.bytes_per_s) as usize;
            let due = due.min(self.data.len());
            if due > self.pos {
                let n = (due - self.pos).min(buf.len());
                buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// `data` (a WAV from [`wav`]) as a live stream: its header says it never ends, so the
/// decoder reads on into `end` as it would on a radio stream.
fn stream(url: &str, data: Vec<u8>, end: Option<SourceError>) -> Stream {
    stream_with_burst(url, data, end, RATE as usize / 2)
}

/// [`stream`] that gives `burst` frames at once on connection.
fn stream_with_burst(
    url: &str,
    mut data: Vec<u8>,
    end: Option<SourceError>,
    burst: usize,
) -> Stream {
    data[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    data[40..44].copy_from_slice(&0xFFFF_FFC0u32.to_le_bytes());
    Stream {
        reader: Box::new(Paced {
            data,
            pos: 0,
            start: Instant::now(),
            bytes_per_s: f64::from(RATE) * 4.0,
            burst: 44 + burst * 4,
            end,
        }),
        codec: Codec::Mp3,
        title: Title::default(),
        url: url.to_string(),
    }
}

fn spec(urls: &[&str], connect: Connect) -> FeedSpec {
    FeedSpec {
        urls: urls.iter().map(|u| u.to_string()).collect(),
        net: NetOptions::default(),
        rate: NonZero::new(RATE).expect("rate"),
        channels: NonZero::new(2).expect("channels"),
        window: Duration::from_secs(3),
        ends_at: None,
        fade_out: Duration::from_millis(200),
        silence: Duration::from_secs(1),
        prebuffer: Duration::from_millis(300),
        retry_first: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        target_lufs: None,
        ceiling_db: -1.0,
        fallback: Vec::new(),
        connect,
        record: None,
    }
}

/// Pulls the whole window in real time (as a sound card would), after `preroll`.
fn air(mut reader: FeedReader, preroll: Duration) -> (Vec<f32>, RelayProof) {
    std::thread::sleep(preroll);
    let start = Instant::now();
    let mut out = Vec::new();
    let mut frames = 0u64;
    while let Some(block) = reader.next_block() {
        out.extend_from_slice(block);
        frames += (block.len() / 2) as u64;
        let due = Duration::from_secs_f64(frames as f64 / f64::from(RATE));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let proof = reader.proof();
    (out, proof)
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

/// RMS of the output between `from` and `to` seconds.
fn rms_at(out: &[f32], from: f64, to: f64) -> f32 {
    let i = |t: f64| ((t * f64::from(RATE)) as usize * 2).min(out.len());
    rms(&out[i(from)..i(to)])
}

#[test]
fn a_working_source_airs_for_exactly_the_window_and_fades_out() {
    let connect: Connect = Arc::new(|url, _| Ok(stream(url, tone(10.0, 0.5), None)));
    let (out, proof) = air(
        start(spec(&["http://a/x.mp3"], connect)),
        Duration::from_millis(600),
    );
    assert_eq!(out.len(), 3 * RATE as usize * 2, "the window, to the frame");
    assert_eq!(proof.url.as_deref(), Some("http://a/x.mp3"));
    assert_eq!(
        proof.switches,
        vec![Switch {
            at_ms: 0,
            air: Air::Source {
                url: "http://a/x.mp3".into()
            },
            why: None
        }]
    );
    assert!(proof.dropout_ms == 0, "{proof:?}");
    assert!(proof.relayed_ms >= 2990, "{proof:?}");
    let level = rms_at(&out, 0.5, 2.5);
    assert!(
        (level - 0.5 / 2f32.sqrt()).abs() < 0.02,
        "the tone as sent: {level}"
    );
    let last = &out[out.len() - 2..];
    assert!(last.iter().all(|s| s.abs() < 0.01), "faded out: {last:?}");
    assert!(
        rms_at(&out, 2.9, 2.95) < level * 0.6,
        "the fade is under way"
    );
}

/// Frame `i` of a source whose frames count themselves: left `i mod 30 000`, right
/// `i div 30 000` (exact in 16 bits, and after the decoder's conversion to float).
fn counting(i: u64) -> (i16, i16) {
    let (low, high) = (i % 30_000, i / 30_000);
    (
        i16::try_from(low).expect("low"),
        i16::try_from(high).expect("high"),
    )
}

/// The source frame an output frame carries (see [`counting`]).
fn counted(frame: &[f32]) -> i64 {
    let v = |s: f32| (s * 32768.0).round() as i64;
    v(frame[1]) * 30_000 + v(frame[0])
}

#[test]
fn a_burst_is_cut_down_before_air_and_jitter_never_cuts_what_airs() {
    // Icecast's way: 1.5 s at once on connection, then paced; the feed is read 1.5 s after
    // it started (an early start), when 3 s are in: more than prebuffer + MAX_EXTRA.
    let connect: Connect = Arc::new(|url, _| {
        let burst = RATE as usize * 3 / 2;
        Ok(stream_with_burst(
            url,
            wav_frames(12.0, RATE, counting),
            None,
            burst,
        ))
    });
    let mut s = spec(&["http://a/x"], connect);
    s.window = Duration::from_secs(4);
    let begun = Instant::now();
    let (out, proof) = air(start(s), Duration::from_millis(1500));
    let waited = begun.elapsed().as_secs_f64() - 4.0;
    assert_eq!(proof.dropout_ms, 0, "{proof:#?}");
    let frames: Vec<i64> = out.chunks_exact(2).map(counted).collect();
    // What aired first is the newest prebuffer, not the oldest of the burst.
    let delivered = (1.5 + waited) * f64::from(RATE);
    let latency = (delivered - frames[0] as f64) / f64::from(RATE);
    assert!(
        (0.2..0.5).contains(&latency),
        "on air {latency:.3} s behind the source (prebuffer 0.3 s)"
    );
    // Every frame follows the one before (up to the fade-out of the last 200 ms).
    let faded = out.len() / 2 - RATE as usize / 5;
    let jumps: Vec<(usize, i64)> = frames[..faded]
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[1] != w[0] + 1)
        .map(|(n, w)| (n, w[1] - w[0]))
        .collect();
    assert!(
        jumps.is_empty(),
        "frames lost or repeated on air (at, by): {jumps:?}"
    );
}

#[test]
fn a_refused_first_source_gives_way_to_the_next_and_is_recorded() {
    let connect: Connect = Arc::new(|url, _| {
        if url.contains("down") {
            Err(SourceError::Connect {
                url: url.into(),
                detail: "connection refused".into(),
            })
        } else {
            Ok(stream(url, tone(10.0, 0.5), None))
        }
    });
    let (out, proof) = air(
        start(spec(&["http://down/x", "http://up/x"], connect)),
        Duration::from_millis(600),
    );
    assert_eq!(proof.url.as_deref(), Some("http://up/x"));
    assert_eq!(proof.failures.len(), 1, "{proof:?}");
    assert_eq!(proof.failures[0].url, "http://down/x");
    assert_eq!(
        proof.failures[0].fault,
        Fault::Connect {
            detail: "connection refused".into()
        }
    );
    assert!(rms_at(&out, 0.2, 2.5) > 0.3);
}

#[test]
fn a_stalled_source_is_covered_by_the_fallback_and_the_relay_comes_back() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fallback = tmp.path().join("fallback.wav");
    // The fallback is a quieter, lower tone: told apart from the relay by its level.
    std::fs::write(
        &fallback,
        wav(2.0, 44_100, |i| 0.1 * (i as f32 * 0.05).sin()),
    )
    .expect("write");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let connect: Connect = Arc::new(move |url, _| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            // One second of audio after the burst, then nothing: a stall.
            let stalled = SourceError::Stalled {
                url: url.into(),
                secs: 1,
            };
            Ok(stream(url, tone(1.0, 0.5), Some(stalled)))
        } else if n == 1 {
            Err(SourceError::Status {
                url: url.into(),
                status: 503,
            })
        } else {
            Ok(stream(url, tone(10.0, 0.5), None))
        }
    });
    let mut s = spec(&["http://a/x"], connect);
    s.window = Duration::from_secs(4);
    // Long enough a wait after the 503 for the buffer to run dry.
    s.retry_first = Duration::from_millis(1500);
    s.retry_max = Duration::from_millis(1500);
    s.fallback = vec![FallbackItem {
        path: fallback,
        gain: 1.0,
    }];
    let (out, proof) = air(start(s), Duration::from_millis(400));
    let kinds: Vec<(&Air, Option<&Fault>)> = proof
        .switches
        .iter()
        .map(|s| (&s.air, s.why.as_ref()))
        .collect();
    let source = Air::Source {
        url: "http://a/x".into(),
    };
    assert_eq!(
        kinds,
        vec![
            (&source, None),
            (&Air::Fallback, Some(&Fault::Stalled)),
            (&source, None)
        ],
        "{proof:#?}"
    );
    assert!(
        proof.dropout_ms > 100 && proof.relayed_ms > 1000,
        "{proof:?}"
    );
    assert_eq!(proof.dropout_ms + proof.relayed_ms, 4000, "{proof:?}");
    let faults: Vec<&Fault> = proof.failures.iter().map(|f| &f.fault).collect();
    assert_eq!(
        faults,
        vec![&Fault::Stalled, &Fault::Status { status: 503 }]
    );
    // The dropout aired the fallback, not silence.
    let off = proof.switches[1].at_ms as f64 / 1000.0;
    let on = proof.switches[2].at_ms as f64 / 1000.0;
    let fb = rms_at(&out, off + 0.05, on - 0.05);
    assert!(fb > 0.03 && fb < 0.1, "fallback level {fb} ({off}–{on} s)");
}

#[test]
fn digital_silence_longer_than_allowed_fails_the_source_and_silence_covers_without_fallback() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let connect: Connect = Arc::new(move |url, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        Ok(stream(url, wav(10.0, RATE, |_| 0.0), None))
    });
    let (out, proof) = air(
        start(spec(&["http://quiet/x"], connect)),
        Duration::from_millis(400),
    );
    assert!(
        proof.failures.iter().any(|f| f.fault == Fault::Silence),
        "{proof:#?}"
    );
    let airs: Vec<&Air> = proof.switches.iter().map(|s| &s.air).collect();
    assert_eq!(
        airs,
        vec![&Air::Silence],
        "a silent source never goes on air: {proof:#?}"
    );
    assert!(
        calls.load(Ordering::SeqCst) >= 2,
        "the source is tried again"
    );
    assert!(out.iter().all(|s| *s == 0.0));
}

#[test]
fn nothing_answers_the_whole_window_is_a_dropout_with_every_try_recorded() {
    let connect: Connect = Arc::new(|url, _| {
        Err(SourceError::Status {
            url: url.into(),
            status: 404,
        })
    });
    let (out, proof) = air(
        start(spec(&["http://a/x", "http://b/x"], connect)),
        Duration::ZERO,
    );
    assert_eq!(out.len(), 3 * RATE as usize * 2);
    assert_eq!(proof.url, None);
    assert_eq!(proof.relayed_ms, 0);
    assert_eq!(proof.dropout_ms, 3000);
    assert_eq!(proof.switches.len(), 1, "{proof:#?}");
    assert_eq!(proof.switches[0].air, Air::Silence);
    // Backoff: 100, 200, 400, 400… ms between rounds of two URLs: about 16 tries in 3 s,
    // never a busy loop.
    let tries = proof.failures.len();
    assert!((6..=30).contains(&tries), "{tries} tries: {proof:#?}");
}

/// Noise at a given RMS, deterministic.
fn noise(n: usize, amplitude: f32, seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| (rng.f32() * 2.0 - 1.0) * amplitude)
        .collect()
}

fn lufs(samples: &[f32]) -> f64 {
    let mut m = ebur128::EbuR128::new(2, RATE, ebur128::Mode::I).expect("meter");
    m.add_frames_f32(samples).expect("add");
    m.loudness_global().expect("loudness")
}

#[test]
fn the_leveller_brings_a_quiet_relay_to_the_target_without_pumping_or_clipping() {
    let rate = NonZero::new(RATE).expect("rate");
    let ch = NonZero::new(2).expect("ch");
    let mut l = Leveller::new(ch, rate, -16.0, -1.0).expect("leveller");
    // 30 s of speech-like noise (its level changes every 300 ms) about 15 dB under the
    // target, in 10 ms chunks; one shout (30 dB louder, 200 ms) at 25 s.
    let chunk = RATE as usize / 100 * 2;
    let mut out = Vec::new();
    let mut gains = Vec::new();
    for i in 0..3000u64 {
        let shout = (2500..2520).contains(&i);
        let amplitude = if shout {
            0.9
        } else if (i / 30) % 2 == 0 {
            0.05
        } else {
            0.025
        };
        let mut buf = noise(chunk, amplitude, i);
        let before = rms(&buf);
        l.apply(&mut buf);
        gains.push(20.0 * f64::from(rms(&buf) / before).log10());
        out.extend_from_slice(&buf);
    }
    let second = |s: usize| &out[s * RATE as usize * 2..(s + 1) * RATE as usize * 2];
    let start = lufs(second(0));
    assert!(start < -22.0, "starts near the level received: {start}");
    let settled = lufs(&out[15 * RATE as usize * 2..25 * RATE as usize * 2]);
    assert!((settled - -16.0).abs() < 2.0, "levelled: {settled} LUFS");
    let range = |g: &[f64]| {
        let (lo, hi) = g
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), g| (lo.min(*g), hi.max(*g)));
        hi - lo
    };
    assert!(
        range(&gains[1500..2500]) < 2.0,
        "no pumping with the speech's level"
    );
    // From the limiter's release on (half a second after the shout).
    let after_shout = range(&gains[2570..3000]);
    assert!(
        after_shout < 3.0,
        "one shout barely moves the gain: {after_shout:.1} dB"
    );
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let peak = out.iter().fold(0f32, |m, s| m.max(s.abs()));
    assert!(
        peak <= ceiling + 1e-4,
        "peak {peak} over the ceiling {ceiling}"
    );
}
