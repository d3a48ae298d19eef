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

/// Reads a WAV file of 32-bit float samples (what the `wav:` output writes): its rate,
/// channel count and interleaved samples. Walks the RIFF chunks, so extra chunks (`fact`)
/// are skipped; panics with a message on anything else (a test helper).
pub fn read_wav_f32(path: &Path) -> (u32, u16, Vec<f32>) {
    let bytes = std::fs::read(path).expect("read wav");
    assert!(
        bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "{} is not a RIFF/WAVE file",
        path.display()
    );
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut format = None;
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32_at(pos + 4) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            assert_eq!(u16_at(body), 3, "not IEEE float samples");
            assert_eq!(u16_at(body + 14), 32, "not 32-bit samples");
            format = Some((u32_at(body + 4), u16_at(body + 2)));
        } else if id == b"data" {
            let (rate, channels) = format.expect("a fmt chunk before the data");
            let end = (body + len).min(bytes.len());
            let samples = bytes[body..end]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            return (rate, channels, samples);
        }
        pos = body + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

/// A `multipart/form-data` upload of `bytes` as `name` (topic `cds`), as the page sends it:
/// (the Content-Type header's value, the body).
pub fn upload_form(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "loaxa-test-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\ncds\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
