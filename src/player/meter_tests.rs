//! The meter against known signals and against an independent BS.1770 implementation (the
//! `ebur128` crate, mode I).

use std::f64::consts::PI;
use std::time::Duration;

use super::*;

fn sine(rate: u32, channels: u16, secs: f64, freq: f64, amp: f64) -> Vec<f32> {
    let frames = (f64::from(rate) * secs) as usize;
    let mut out = Vec::with_capacity(frames * usize::from(channels));
    for i in 0..frames {
        let v = (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32;
        out.extend(std::iter::repeat_n(v, usize::from(channels)));
    }
    out
}

fn noise(samples: usize, seed: u64, amp: f32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..samples)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

fn measure(channels: u16, rate: u32, samples: &[f32]) -> Levels {
    let mut m = Meter::new(channels, rate);
    for &s in samples {
        m.push(s);
    }
    m.levels()
}

fn reference(channels: u16, rate: u32, samples: &[f32]) -> f64 {
    let mut r =
        ebur128::EbuR128::new(u32::from(channels), rate, ebur128::Mode::I).expect("ebur128 state");
    r.add_frames_f32(samples).expect("frames");
    r.loudness_global().expect("loudness")
}

#[test]
fn a_minus_23_dbfs_sine_reads_minus_23_lufs_in_stereo() {
    // EBU Tech 3341 case 1: 1 kHz at -23 dBFS on both channels is -23.0 LUFS.
    let amp = 10f64.powf(-23.0 / 20.0);
    let levels = measure(2, 48_000, &sine(48_000, 2, 20.0, 1000.0, amp));
    assert_eq!(levels.peak_dbfs, -23.0);
    let lufs = levels.loudness_lufs.expect("loud enough to gate in");
    assert!((lufs + 23.0).abs() <= 0.1, "{lufs}");
    assert_eq!(levels.audible, Duration::from_secs(20));
    assert_eq!(levels.measured, Duration::from_secs(20));
    assert!(!levels.silent(Duration::from_secs(20)));
}

#[test]
fn digital_silence_is_floored_and_flagged() {
    let levels = measure(2, 44_100, &vec![0.0; 2 * 44_100 * 3]);
    assert_eq!(levels.peak_dbfs, FLOOR_DBFS);
    assert_eq!(levels.loudness_lufs, None);
    assert_eq!(levels.audible, Duration::ZERO);
    assert_eq!(levels.measured, Duration::from_secs(3));
    assert!(levels.silent(Duration::from_secs(3)));
    // Nothing aired: nothing to flag.
    assert!(!levels.silent(Duration::ZERO));
}

#[test]
fn audible_time_counts_blocks_above_the_threshold() {
    // 1.25 s of noise at -20 dBFS, then 2 s at -70 dBFS (hiss below the threshold).
    let mut s = noise(2 * 60_000, 3, 0.17);
    s.extend(noise(2 * 96_000, 4, 0.000_55));
    let levels = measure(2, 48_000, &s);
    assert_eq!(levels.audible, Duration::from_millis(1300), "{levels:?}");
    assert_eq!(levels.measured, Duration::from_millis(3250));
    assert!(!levels.silent(levels.measured));
    // A long quiet tail makes it silent: under a tenth of the time had sound.
    assert!(levels.silent(Duration::from_secs(14)));
}

#[test]
fn loudness_is_gated_like_bs1770() {
    // 10 s at -20 dBFS then 10 s at -80: the quiet half is below the absolute gate.
    let amp = 10f64.powf(-20.0 / 20.0);
    let mut s = sine(48_000, 2, 10.0, 1000.0, amp);
    s.extend(sine(48_000, 2, 10.0, 1000.0, amp / 1000.0));
    let levels = measure(2, 48_000, &s);
    let lufs = levels.loudness_lufs.expect("gated in");
    // Not -30 (the plain mean of both halves): only the loud half counts, less the three
    // blocks that straddle the change (inside the relative gate, a little quieter).
    assert!((lufs + 20.0).abs() <= 0.2, "{lufs}");
    let reference = reference(2, 48_000, &s);
    assert!((lufs - reference).abs() <= 0.1, "{lufs} vs {reference}");
}

#[test]
fn loudness_agrees_with_the_ebur128_crate_at_every_format() {
    for (channels, rate, amp) in [
        (2u16, 44_100u32, 0.6f32),
        (1, 22_050, 0.3),
        (2, 48_000, 0.05),
        (1, 48_000, 0.9),
    ] {
        let mut s = noise(usize::from(channels) * rate as usize * 6, 9, amp);
        // A quieter second half: the relative gate has something to do.
        let half = s.len() / 2;
        s[half..].iter_mut().for_each(|v| *v *= 0.02);
        let ours = measure(channels, rate, &s)
            .loudness_lufs
            .expect("loud enough");
        let theirs = reference(channels, rate, &s);
        println!("{channels} ch {rate} Hz: {ours} LUFS, ebur128 {theirs:.3}");
        assert!((ours - theirs).abs() <= 0.15, "{ours} vs {theirs}");
    }
}

#[test]
fn rounded_levels_survive_json_unchanged() {
    // The log's hash covers these values: what is written must read back bit for bit.
    for tenth in -1200..=100 {
        let v = f64::from(tenth) / 10.0;
        let text = serde_json::to_string(&v).expect("json");
        let back: f64 = serde_json::from_str(&text).expect("parse");
        assert_eq!(back.to_bits(), v.to_bits(), "{text}");
        assert_eq!(round1(v).to_bits(), v.to_bits());
    }
}
