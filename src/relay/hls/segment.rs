//! From HLS segments to one clean elementary stream: MPEG-TS segments through the TS
//! demuxer, packed audio segments (`.aac`, `.mp3`) without the ID3 tag HLS puts at their
//! start, and AAC cut into whole ADTS frames.
//!
//! Why frame the ADTS again: segments join end to start, and a segment that is skipped
//! (404, fallen behind) or a TS packet that was lost leaves half a frame at a join. The
//! decoder's ADTS reader resyncs on any 0xFFF it meets, including one inside audio data;
//! handing it only whole frames whose successor starts where the header says keeps a
//! damaged join to one lost frame.

use crate::relay::{Codec, SourceError, ts};

/// The largest ADTS frame (13-bit length).
const MAX_FRAME: usize = 8191;

/// Unwraps a stream's segments in order.
#[derive(Debug, Default)]
pub struct Unwrapper {
    codec: Option<Codec>,
    demuxer: ts::Demuxer,
    framer: AdtsFramer,
    /// TS faults of the current demuxer already counted.
    ts_seen: u64,
    /// TS faults not yet taken by [`Unwrapper::take_ts_faults`].
    ts_faults: u64,
}

impl Unwrapper {
    /// The codec, once the first segment named it.
    pub fn codec(&self) -> Option<Codec> {
        self.codec
    }

    /// Bytes were lost before the next segment (a segment skipped, a discontinuity): what
    /// is half read is dropped, and the TS demuxer starts over.
    pub fn gap(&mut self) {
        self.demuxer = ts::Demuxer::new();
        self.ts_seen = 0;
        self.framer.reset();
    }

    /// TS faults met since the last call: continuity gaps, refused packets, lost sync and
    /// the PES packets dropped with them.
    pub fn take_ts_faults(&mut self) -> u64 {
        std::mem::take(&mut self.ts_faults)
    }

    /// The elementary bytes of the next segment (`url` names it in errors).
    pub fn segment(&mut self, bytes: &[u8], url: &str) -> Result<Vec<u8>, SourceError> {
        let (codec, elementary) = match sniff(bytes, url)? {
            Format::Ts => self.ts(bytes, url)?,
            Format::Packed { at, codec } => (codec, bytes[at..].to_vec()),
        };
        match self.codec {
            None => self.codec = Some(codec),
            Some(c) if c != codec => {
                return Err(SourceError::Malformed {
                    url: url.to_string(),
                    detail: format!("codec changed from {c:?} to {codec:?}"),
                });
            }
            Some(_) => {}
        }
        Ok(match codec {
            Codec::Aac => self.framer.push(&elementary),
            Codec::Mp3 => elementary,
        })
    }

    fn ts(&mut self, bytes: &[u8], url: &str) -> Result<(Codec, Vec<u8>), SourceError> {
        self.demuxer.feed(bytes);
        let elementary = self.demuxer.take();
        let s = self.demuxer.stats();
        let faults = s.cc_gaps + s.bad_packets + s.resyncs + s.dropped_pes;
        self.ts_faults += faults.saturating_sub(self.ts_seen);
        self.ts_seen = faults;
        match self.demuxer.program() {
            ts::Program::Audio { codec, .. } => Ok((*codec, elementary)),
            ts::Program::NoAudio { stream_types } => Err(SourceError::Unsupported {
                url: url.to_string(),
                what: format!(
                    "MPEG-TS without AAC or MPEG audio (stream types {stream_types:02x?})"
                ),
            }),
            ts::Program::Unknown => Err(SourceError::Malformed {
                url: url.to_string(),
                detail: "MPEG-TS segment without a program map".into(),
            }),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Format {
    Ts,
    /// Packed audio: the audio starts at `at` (after ID3 tags).
    Packed {
        at: usize,
        codec: Codec,
    },
}

/// What a segment holds, by its bytes (servers name segments anything).
fn sniff(bytes: &[u8], url: &str) -> Result<Format, SourceError> {
    let ts = bytes.first() == Some(&0x47)
        && bytes.len() >= ts::PACKET
        && bytes.get(ts::PACKET).is_none_or(|&b| b == 0x47);
    if ts {
        return Ok(Format::Ts);
    }
    if matches!(bytes.get(4..8), Some(b"ftyp" | b"styp" | b"moof" | b"sidx")) {
        return Err(SourceError::Unsupported {
            url: url.to_string(),
            what: "fMP4 HLS".into(),
        });
    }
    let at = skip_id3(bytes);
    let head = bytes.get(at..at + 2).unwrap_or_default();
    let codec = match head {
        [0xFF, b] if b & 0xF6 == 0xF0 => Codec::Aac,
        [0xFF, b] if b & 0xE0 == 0xE0 && (b >> 1) & 0x03 == 0x01 => Codec::Mp3,
        _ => {
            return Err(SourceError::Malformed {
                url: url.to_string(),
                detail: "segment is neither MPEG-TS nor ADTS AAC nor MP3".into(),
            });
        }
    };
    Ok(Format::Packed { at, codec })
}

/// Where the bytes start after any ID3v2 tags (HLS packed audio opens each segment with one,
/// carrying its timestamp).
fn skip_id3(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(h) = bytes.get(at..at + 10).filter(|h| h.starts_with(b"ID3")) {
        let size = h[6..10]
            .iter()
            .fold(0usize, |n, &b| (n << 7) | usize::from(b & 0x7F));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        at = (at + 10 + size + footer).min(bytes.len());
    }
    at
}

/// Cuts bytes into whole ADTS frames (see the module doc).
#[derive(Debug, Default)]
pub struct AdtsFramer {
    pending: Vec<u8>,
    /// Bytes dropped as not part of a frame.
    pub skipped: u64,
}

impl AdtsFramer {
    /// The whole frames `bytes` complete; a frame cut at the end waits for the next call.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::with_capacity(self.pending.len());
        let mut at = 0;
        while self.pending.len() - at >= 7 {
            let rest = &self.pending[at..];
            match frame_len(rest) {
                Some(len) if rest.len() < len => break,
                Some(len) if rest.len() < len + 2 || is_sync(&rest[len..]) => {
                    out.extend_from_slice(&rest[..len]);
                    at += len;
                }
                _ => {
                    at += 1;
                    self.skipped += 1;
                }
            }
        }
        self.pending.drain(..at);
        out
    }

    /// Drops a frame half read.
    pub fn reset(&mut self) {
        self.skipped += self.pending.len() as u64;
        self.pending.clear();
    }
}

/// An ADTS sync word with layer 0.
fn is_sync(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0xFF && b[1] & 0xF6 == 0xF0
}

/// The length of the ADTS frame whose header starts `h` (at least 7 bytes), if it is one.
fn frame_len(h: &[u8]) -> Option<usize> {
    if !is_sync(h) || (h[2] >> 2) & 0x0F > 12 {
        return None;
    }
    let len = (usize::from(h[3] & 0x03) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
    let header = if h[1] & 0x01 == 0 { 9 } else { 7 };
    (len > header && len <= MAX_FRAME).then_some(len)
}

/// An ADTS frame (AAC-LC, 48 kHz, stereo, no CRC) with `payload`.
#[cfg(test)]
pub(crate) fn adts_frame(payload: &[u8]) -> Vec<u8> {
    let len = 7 + payload.len();
    let mut f = vec![
        0xFF,
        0xF1,
        (1 << 6) | (3 << 2),
        (2 << 6) | ((len >> 11) & 0x03) as u8,
        (len >> 3) as u8,
        ((len & 0x07) << 5) as u8 | 0x1F,
        0xFC,
    ];
    f.extend_from_slice(payload);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: u8) -> Vec<Vec<u8>> {
        (0..n).map(|i| adts_frame(&[i; 40])).collect()
    }

    #[test]
    fn whole_frames_pass_in_any_chunking() {
        let all = frames(10).concat();
        for size in [1, 3, 7, 46, 47, 48, 100, 1000] {
            let mut f = AdtsFramer::default();
            let out: Vec<u8> = all.chunks(size).flat_map(|c| f.push(c)).collect();
            assert_eq!(out, all, "chunks of {size}");
            assert_eq!(f.skipped, 0);
        }
    }

    #[test]
    fn junk_and_a_cut_frame_are_dropped() {
        let fr = frames(4);
        let mut damaged = b"junk\xFF\xF1".to_vec();
        damaged.extend_from_slice(&fr[0]);
        damaged.extend_from_slice(&fr[1][..20]); // cut: the next frame follows at once
        damaged.extend_from_slice(&fr[2]);
        damaged.extend_from_slice(&fr[3]);
        let mut f = AdtsFramer::default();
        let out = f.push(&damaged);
        assert_eq!(out, [&fr[0][..], &fr[2], &fr[3]].concat());
        assert_eq!(f.skipped, 6 + 20);
    }

    #[test]
    fn reset_drops_a_half_frame() {
        let fr = frames(2);
        let mut f = AdtsFramer::default();
        assert!(f.push(&fr[0][..30]).is_empty());
        f.reset();
        assert_eq!(f.push(&fr[1]), fr[1]);
    }

    #[test]
    fn packed_audio_loses_its_id3_tag() {
        let mut seg = b"ID3\x04\x00\x00\x00\x00\x00\x05hello".to_vec();
        seg.extend(frames(3).concat());
        assert_eq!(
            sniff(&seg, "u"),
            Ok(Format::Packed {
                at: 15,
                codec: Codec::Aac
            })
        );
        let mut u = Unwrapper::default();
        assert_eq!(u.segment(&seg, "u"), Ok(frames(3).concat()));
        assert_eq!(u.codec(), Some(Codec::Aac));
    }

    #[test]
    fn segments_are_recognised_by_their_bytes() {
        assert_eq!(
            sniff(&[0xFF, 0xFB, 0x90, 0x00], "u"),
            Ok(Format::Packed {
                at: 0,
                codec: Codec::Mp3
            })
        );
        assert!(matches!(
            sniff(b"\0\0\0\x18ftypiso5", "u"),
            Err(SourceError::Unsupported { .. })
        ));
        assert!(matches!(
            sniff(b"<html>not found</html>", "u"),
            Err(SourceError::Malformed { .. })
        ));
        // A tag that claims more than there is.
        assert!(sniff(b"ID3\x04\x00\x00\x7F\x7F\x7F\x7F", "u").is_err());
    }

    /// Segments with random bytes changed, cut or repeated never panic, and what comes out
    /// of AAC is whole ADTS frames.
    #[test]
    fn damaged_segments_never_panic() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/relay/hls");
        let mut x = 0x9E37_79B9u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as usize
        };
        for name in ["ts/seg1.ts", "aac/seg1.aac", "mp3/seg0.ts"] {
            let clean = std::fs::read(format!("{dir}/{name}")).expect("fixture");
            for round in 0..60 {
                let mut bytes = clean.clone();
                for _ in 0..1 + round % 20 {
                    let at = next() % bytes.len();
                    bytes[at] = next() as u8;
                }
                let cut = next() % bytes.len();
                if round % 3 == 0 {
                    bytes.truncate(cut);
                } else if round % 3 == 1 {
                    let piece = bytes[cut..].to_vec();
                    bytes.extend_from_slice(&piece[..piece.len().min(500)]);
                }
                let mut u = Unwrapper::default();
                let Ok(out) = u.segment(&bytes, name) else {
                    continue;
                };
                if u.codec() == Some(Codec::Aac) {
                    let mut at = 0;
                    while at < out.len() {
                        let len = frame_len(&out[at..]).expect("a whole frame");
                        at += len;
                    }
                    assert_eq!(at, out.len());
                }
            }
        }
    }

    #[test]
    fn a_codec_change_is_refused() {
        let mut u = Unwrapper::default();
        u.segment(&frames(2).concat(), "a").expect("aac");
        let mp3 = [0xFF, 0xFB, 0x90, 0x00, 0, 0];
        assert!(matches!(
            u.segment(&mp3, "b"),
            Err(SourceError::Malformed { .. })
        ));
    }
}
