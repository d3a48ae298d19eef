//! Icecast/SHOUTcast streams: the codec from `Content-Type` (or, when there is none, from
//! the first bytes), and the ICY metadata blocks taken out of the audio.
//!
//! With `icy-metaint: N` the server sends N audio bytes, then one length byte L, then
//! L × 16 bytes of metadata (`StreamTitle='…';StreamUrl='…';` padded with NULs), and again.
//! The reader here gives the decoder the audio bytes only and sets [`Stream::title`] from
//! each block that names a title. A block is at most 255 × 16 = 4080 bytes by construction,
//! so a hostile length byte cannot make it allocate more.

use std::io::Read;

use super::net::Response;
use super::{Codec, NetOptions, SourceError, Stream, Title};

/// The largest `icy-metaint` taken (servers use 8192–32768; Icecast's default is 16000).
pub const MAX_METAINT: usize = 1 << 20;
/// How many first bytes are looked at to guess the codec when there is no `Content-Type`.
const SNIFF: usize = 8 * 1024;

/// Opens an Icecast/SHOUTcast answer as a stream of MP3 or AAC.
pub fn open(response: Response, _opts: &NetOptions) -> Result<Stream, SourceError> {
    let Response { url, headers, body } = response;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let declared = codec_of_type(&url, header("content-type"))?;
    let title = Title::default();
    let reader: Box<dyn Read + Send> = match header("icy-metaint") {
        None => body,
        Some(text) => {
            let metaint = parse_metaint(text).ok_or_else(|| SourceError::Malformed {
                url: url.clone(),
                detail: format!("bad icy-metaint {text:?}"),
            })?;
            Box::new(MetaReader::new(body, metaint, title.clone()))
        }
    };
    let (codec, reader) = match declared {
        Some(codec) => (codec, reader),
        None => sniffed(&url, reader)?,
    };
    Ok(Stream {
        reader,
        codec,
        title,
        url,
    })
}

/// The codec a `Content-Type` names: `Ok(None)` when there is none (or only
/// `application/octet-stream`) and the bytes must tell; `Unsupported` for anything that
/// is not MP3 or AAC.
fn codec_of_type(url: &str, content_type: Option<&str>) -> Result<Option<Codec>, SourceError> {
    let Some(full) = content_type else {
        return Ok(None);
    };
    let mime = full.split(';').next().unwrap_or_default().trim();
    match mime.to_ascii_lowercase().as_str() {
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg" => Ok(Some(Codec::Mp3)),
        "audio/aac" | "audio/aacp" | "audio/x-aac" => Ok(Some(Codec::Aac)),
        "" | "application/octet-stream" => Ok(None),
        _ => Err(SourceError::Unsupported {
            url: url.to_string(),
            what: mime.chars().take(100).collect(),
        }),
    }
}

fn parse_metaint(text: &str) -> Option<usize> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_METAINT).contains(n))
}

/// Reads the first bytes, guesses the codec from them, and gives them back in front of the
/// rest.
fn sniffed(
    url: &str,
    mut reader: Box<dyn Read + Send>,
) -> Result<(Codec, Box<dyn Read + Send>), SourceError> {
    let mut head = Vec::with_capacity(SNIFF);
    let mut chunk = [0u8; 1024];
    // Only as much as it takes: a slow stream would otherwise hold the start back.
    let mut codec = None;
    while codec.is_none() && head.len() < SNIFF {
        let n = match reader.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(url, &e)),
        };
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
        codec = sniff(&head, false);
    }
    let codec = codec
        .or_else(|| sniff(&head, true))
        .ok_or_else(|| SourceError::Unsupported {
            url: url.to_string(),
            what: "audio of unknown type (no Content-Type, no MP3 or ADTS frames)".into(),
        })?;
    Ok((codec, Box::new(std::io::Cursor::new(head).chain(reader))))
}

/// A body read's failure as a source error: the one inside, or a connection failure.
fn read_error(url: &str, e: &std::io::Error) -> SourceError {
    match SourceError::from_io(e) {
        Some(source) => source.clone(),
        None => SourceError::Connect {
            url: url.to_string(),
            detail: e.to_string(),
        },
    }
}

/// The codec of a stream's first bytes: an ID3 tag or two MPEG layer III frames in a row
/// → MP3; two ADTS frames in a row → AAC. Two frames, not one sync word: 0xFFF turns up
/// in any data by chance. A frame whose successor is not in `bytes` yet counts only when
/// `complete` (no more bytes will come).
pub(crate) fn sniff(bytes: &[u8], complete: bool) -> Option<Codec> {
    if bytes.starts_with(b"ID3") {
        return Some(Codec::Mp3);
    }
    (0..bytes.len()).find_map(|at| {
        let (codec, len) = frame_at(&bytes[at..])?;
        match bytes.get(at + len..at + len + 7) {
            Some(next) => (frame_at(next)?.0 == codec).then_some(codec),
            None => complete.then_some(codec),
        }
    })
}

/// The codec and length of a frame header at the start of `b`, if one is there.
fn frame_at(b: &[u8]) -> Option<(Codec, usize)> {
    if b.len() < 7 || b[0] != 0xFF {
        return None;
    }
    if b[1] & 0xF6 == 0xF0 {
        // ADTS: 12-bit sync, layer 00; 13-bit frame length over bytes 3..6.
        let len =
            (usize::from(b[3] & 0x03) << 11) | (usize::from(b[4]) << 3) | usize::from(b[5] >> 5);
        let rate_index = (b[2] >> 2) & 0x0F;
        return (len >= 7 && rate_index < 13).then_some((Codec::Aac, len));
    }
    mp3_frame_len(b).map(|len| (Codec::Mp3, len))
}

/// The length of an MPEG audio layer III frame from its header.
fn mp3_frame_len(b: &[u8]) -> Option<usize> {
    const BITRATES_V1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const BITRATES_V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    if b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b[1] >> 3) & 0x03; // 00 = 2.5, 01 reserved, 10 = 2, 11 = 1
    let layer = (b[1] >> 1) & 0x03; // 01 = layer III
    let bitrate_index = usize::from(b[2] >> 4);
    let rate_index = usize::from((b[2] >> 2) & 0x03);
    if version == 0b01
        || layer != 0b01
        || bitrate_index == 0
        || bitrate_index == 15
        || rate_index == 3
    {
        return None;
    }
    let padding = u32::from((b[2] >> 1) & 0x01);
    let (kbps, rates, per_frame) = match version {
        0b11 => (BITRATES_V1[bitrate_index], [44_100, 48_000, 32_000], 144),
        0b10 => (BITRATES_V2[bitrate_index], [22_050, 24_000, 16_000], 72),
        _ => (BITRATES_V2[bitrate_index], [11_025, 12_000, 8_000], 72),
    };
    let len = per_frame * kbps * 1000 / rates[rate_index] + padding;
    usize::try_from(len).ok()
}

/// Where a [`MetaReader`] is in the interleaved stream.
#[derive(Debug)]
enum Phase {
    /// This many audio bytes before the next metadata block.
    Audio(usize),
    /// The block's length byte comes next.
    Length,
    /// Inside a block: its bytes so far and its full length.
    Meta(Vec<u8>, usize),
}

/// An ICY stream with the metadata blocks taken out; each block's title goes to `title`.
/// The position is kept across reads, so a read that fails (a stall) can be retried.
struct MetaReader<R> {
    inner: R,
    metaint: usize,
    phase: Phase,
    title: Title,
}

impl<R: Read> MetaReader<R> {
    fn new(inner: R, metaint: usize, title: Title) -> Self {
        MetaReader {
            inner,
            metaint,
            phase: Phase::Audio(metaint),
            title,
        }
    }

    /// Reads the length byte and the block; `Ok(false)` at a clean end of the stream
    /// (where the length byte would be).
    fn skip_metadata(&mut self) -> std::io::Result<bool> {
        loop {
            match &mut self.phase {
                Phase::Audio(_) => return Ok(true),
                Phase::Length => {
                    let mut byte = [0u8; 1];
                    if self.inner.read(&mut byte)? == 0 {
                        return Ok(false);
                    }
                    let len = usize::from(byte[0]) * 16;
                    self.phase = if len == 0 {
                        Phase::Audio(self.metaint)
                    } else {
                        Phase::Meta(Vec::with_capacity(len), len)
                    };
                }
                Phase::Meta(block, len) => {
                    let at = block.len();
                    block.resize(*len, 0);
                    let n = match self.inner.read(&mut block[at..]) {
                        Ok(n) => n,
                        Err(e) => {
                            block.truncate(at);
                            return Err(e);
                        }
                    };
                    block.truncate(at + n);
                    if n == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "stream ended inside an ICY metadata block",
                        ));
                    }
                    if block.len() == *len {
                        if let Some(title) = stream_title(block) {
                            self.title.set(title);
                        }
                        self.phase = Phase::Audio(self.metaint);
                    }
                }
            }
        }
    }
}

impl<R: Read> Read for MetaReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.phase {
                Phase::Audio(0) => self.phase = Phase::Length,
                Phase::Audio(left) => {
                    let want = buf.len().min(left);
                    let n = self.inner.read(&mut buf[..want])?;
                    if n > 0 {
                        self.phase = Phase::Audio(left - n);
                    }
                    return Ok(n);
                }
                _ => {
                    if !self.skip_metadata()? {
                        return Ok(0);
                    }
                }
            }
        }
    }
}

/// The `StreamTitle` of a metadata block: `None` when the block names none (the title stays
/// as it was), `Some(None)` for an empty title, `Some(Some(text))` otherwise. A title may
/// hold quotes (`'It's'`): it ends at the first `';` (or the block's last `'`). Text that
/// is not UTF-8 reads as Latin-1 when that gives no control characters, else lossily.
pub(crate) fn stream_title(block: &[u8]) -> Option<Option<String>> {
    const KEY: &[u8] = b"StreamTitle='";
    let end = block.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let block = &block[..end];
    let start = block.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = &block[start..];
    let len = rest
        .windows(2)
        .position(|w| w == b"';")
        .or_else(|| rest.iter().rposition(|&b| b == b'\''))
        .unwrap_or(rest.len());
    let text = decode_text(&rest[..len]);
    let text = text.trim();
    Some((!text.is_empty()).then(|| text.to_string()))
}

fn decode_text(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let latin1_printable = bytes.iter().all(|&b| !(0x80..0xA0).contains(&b));
    if latin1_printable {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_blocks() {
        let t = |b: &[u8]| stream_title(b);
        assert_eq!(
            t(b"StreamTitle='Th\xe1\xbb\x9di s\xe1\xbb\xb1 VOV1';StreamUrl='';\0\0\0"),
            Some(Some("Thời sự VOV1".into()))
        );
        assert_eq!(
            t(b"StreamTitle='It's 6 o'clock';"),
            Some(Some("It's 6 o'clock".into()))
        );
        assert_eq!(t(b"StreamTitle='';\0\0"), Some(None));
        assert_eq!(t(b"StreamTitle='   ';"), Some(None));
        assert_eq!(t(b"StreamUrl='http://x';\0"), None, "no title: unchanged");
        assert_eq!(t(b"StreamTitle='no end"), Some(Some("no end".into())));
        assert_eq!(
            t(b"StreamTitle='Caf\xe9 Noir';"),
            Some(Some("Café Noir".into())),
            "Latin-1"
        );
        assert_eq!(
            t(b"StreamTitle='x\x81\xffy';"),
            Some(Some("x\u{fffd}\u{fffd}y".into())),
            "neither UTF-8 nor printable Latin-1: lossy"
        );
        assert_eq!(t(b""), None);
    }

    /// Interleaves `audio` with a metadata block every `metaint` bytes.
    fn interleave(audio: &[u8], metaint: usize, blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, piece) in audio.chunks(metaint).enumerate() {
            out.extend_from_slice(piece);
            if piece.len() == metaint {
                let block = blocks.get(i % blocks.len().max(1)).copied().unwrap_or(b"");
                let len = block.len().div_ceil(16);
                out.push(len as u8);
                out.extend_from_slice(block);
                out.resize(out.len() + len * 16 - block.len(), 0);
            }
        }
        out
    }

    #[test]
    fn metadata_is_taken_out_for_any_read_size() {
        let audio: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let wire = interleave(
            &audio,
            1000,
            &[b"StreamTitle='A';", b"", b"StreamTitle='B';"],
        );
        for size in [1, 7, 999, 1000, 1001, 4096] {
            let title = Title::default();
            let mut r = MetaReader::new(std::io::Cursor::new(wire.clone()), 1000, title.clone());
            let mut out = Vec::new();
            let mut buf = vec![0u8; size];
            loop {
                let n = r.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, audio, "read size {size}");
            assert_eq!(
                title.get().as_deref(),
                Some("A"),
                "the last block (10th) is A"
            );
        }
    }

    #[test]
    fn a_stream_cut_inside_a_block_fails() {
        let mut wire = vec![1u8; 100];
        wire.push(4);
        wire.extend_from_slice(b"StreamTitle='cut");
        let mut r = MetaReader::new(std::io::Cursor::new(wire), 100, Title::default());
        let err = r.read_to_end(&mut Vec::new()).expect_err("cut");
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn content_types() {
        let c = |t| codec_of_type("http://x/", Some(t));
        assert_eq!(c("audio/mpeg"), Ok(Some(Codec::Mp3)));
        assert_eq!(c("Audio/MP3; charset=x"), Ok(Some(Codec::Mp3)));
        assert_eq!(c("audio/aacp"), Ok(Some(Codec::Aac)));
        assert_eq!(c("audio/x-aac"), Ok(Some(Codec::Aac)));
        assert_eq!(c("application/octet-stream"), Ok(None));
        assert_eq!(codec_of_type("http://x/", None), Ok(None));
        assert_eq!(
            c("audio/ogg"),
            Err(SourceError::Unsupported {
                url: "http://x/".into(),
                what: "audio/ogg".into()
            })
        );
        assert!(c("text/html; charset=utf-8").is_err());
    }

    #[test]
    fn metaint_bounds() {
        assert_eq!(parse_metaint("16000"), Some(16000));
        assert_eq!(parse_metaint(" 8192 "), Some(8192));
        for bad in ["0", "-1", "x", "99999999999", "1048577"] {
            assert_eq!(parse_metaint(bad), None, "{bad}");
        }
    }

    #[test]
    fn sniffing_frames() {
        // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding: 417 bytes.
        let mut mp3 = Vec::new();
        for _ in 0..3 {
            let mut frame = vec![0u8; 417];
            frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x44]);
            mp3.extend_from_slice(&frame);
        }
        assert_eq!(mp3_frame_len(&mp3), Some(417));
        assert_eq!(sniff(&mp3, false), Some(Codec::Mp3));
        assert_eq!(
            sniff(&mp3[..420], false),
            None,
            "undecided: the second frame is not all there yet"
        );
        assert_eq!(sniff(&mp3[..420], true), Some(Codec::Mp3), "all there is");
        let mut junk_then_mp3 = vec![0x00, 0xFF, 0xFB, 0x12, 0x34];
        junk_then_mp3.extend_from_slice(&mp3);
        assert_eq!(sniff(&junk_then_mp3, false), Some(Codec::Mp3));
        // ADTS, 48 kHz, frame length 300.
        let mut aac = Vec::new();
        for _ in 0..3 {
            let mut frame = vec![0u8; 300];
            let len = 300usize;
            frame[..7].copy_from_slice(&[
                0xFF,
                0xF1,
                0x4C,
                0x80 | ((len >> 11) & 0x03) as u8,
                ((len >> 3) & 0xFF) as u8,
                (((len & 0x07) << 5) as u8) | 0x1F,
                0xFC,
            ]);
            aac.extend_from_slice(&frame);
        }
        assert_eq!(sniff(&aac, false), Some(Codec::Aac));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0", false), Some(Codec::Mp3));
        assert_eq!(sniff(b"<html><body>not audio</body></html>", true), None);
        // One sync word followed by something else is not a stream.
        let mut lone = mp3[..417].to_vec();
        lone.extend_from_slice(&[0u8; 600]);
        assert_eq!(sniff(&lone, true), None);
    }
}
