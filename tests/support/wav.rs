//! Test signals: deterministic noise and a tiny WAV writer (s16, s24, f32), so tests generate
//! their fixtures instead of shipping audio files. Shared by unit tests (`#[path]`) and
//! integration tests.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// Sample encoding of a generated WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    S16,
    S24,
    F32,
}

/// Non-periodic noise in `[-amp, amp]`, never exactly zero (so the first sample marks the
/// start when aligning a capture).
pub fn noise(frames: usize, channels: u16, seed: u64, amp: f32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..frames * usize::from(channels))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
            let v = (u * 2.0 - 1.0) * amp;
            if v == 0.0 { amp / 2.0 } else { v }
        })
        .collect()
}

/// Writes `samples` (interleaved, in [-1, 1]) as a WAV file.
pub fn write_wav(path: &Path, rate: u32, channels: u16, bits: Bits, samples: &[f32]) {
    let (tag, width): (u16, u16) = match bits {
        Bits::S16 => (1, 2),
        Bits::S24 => (1, 3),
        Bits::F32 => (3, 4),
    };
    let mut data = Vec::with_capacity(samples.len() * usize::from(width));
    for &s in samples {
        match bits {
            Bits::S16 => {
                data.extend_from_slice(&((s * 32767.0).round() as i16).to_le_bytes());
            }
            Bits::S24 => {
                let v = (s * 8_388_607.0).round() as i32;
                data.extend_from_slice(&v.to_le_bytes()[..3]);
            }
            Bits::F32 => data.extend_from_slice(&s.to_le_bytes()),
        }
    }
    let block_align = channels * width;
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&(width * 8).to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    let mut file = std::fs::File::create(path).expect("create test wav");
    file.write_all(&out).expect("write test wav");
}

/// Duplicates or drops channels the way rodio's channel converter does (mono -> both sides,
/// extra channels silent when upmixing more than mono, only the first ones kept when
/// downmixing).
pub fn convert_channels(samples: &[f32], from: u16, to: u16) -> Vec<f32> {
    let (from, to) = (usize::from(from), usize::from(to));
    let mut out = Vec::with_capacity(samples.len() / from * to);
    for frame in samples.chunks_exact(from) {
        for c in 0..to {
            out.push(if c < from {
                frame[c]
            } else if c == 1 {
                frame[0]
            } else {
                0.0
            });
        }
    }
    out
}
