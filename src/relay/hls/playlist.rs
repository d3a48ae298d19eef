//! m3u8 playlists (RFC 8216): master playlists (the variants and audio renditions of a
//! stream) and media playlists (the segments), read within bounds — a server is not trusted
//! to send a playlist of sensible size.
//!
//! Only what a relay needs is read; other tags are ignored, as the RFC asks of clients.
//! What loaxa cannot air is refused here with the reason: encrypted segments
//! (`#EXT-X-KEY` other than `NONE`), fragmented MP4 (`#EXT-X-MAP`) and byte ranges.

use std::time::Duration;

use crate::relay::SourceError;

/// The largest playlist read (a live playlist of thousands of segments is ~100 KB).
pub const MAX_BYTES: usize = 1 << 20;
pub const MAX_LINES: usize = 20_000;
pub const MAX_LINE: usize = 8 * 1024;
/// A segment title longer than this is cut (it becomes the relay's stream title).
const MAX_TITLE: usize = 200;
/// When a media playlist names no target duration (the RFC requires one).
const DEFAULT_TARGET: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq)]
pub enum Playlist {
    Master(Master),
    Media(Media),
}

/// A master playlist's choices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Master {
    pub variants: Vec<Variant>,
    /// `#EXT-X-MEDIA:TYPE=AUDIO` renditions that have their own playlist.
    pub audio: Vec<Rendition>,
}

/// One `#EXT-X-STREAM-INF` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variant {
    /// Absolute.
    pub uri: String,
    pub bandwidth: Option<u64>,
    /// The `CODECS` list, lower-cased (`mp4a.40.2`, `avc1.4d401f`…).
    pub codecs: Option<Vec<String>>,
    /// The `AUDIO` group of renditions it plays with.
    pub audio_group: Option<String>,
}

/// One `#EXT-X-MEDIA:TYPE=AUDIO` entry with a `URI`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    pub group: String,
    /// Absolute.
    pub uri: String,
    pub default: bool,
}

/// A media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub target: Duration,
    /// The sequence number of the first segment.
    pub media_sequence: u64,
    pub segments: Vec<Segment>,
    /// `#EXT-X-ENDLIST`: no segment will be added.
    pub ended: bool,
}

impl Media {
    /// One past the last segment's sequence number: what grows as a live playlist advances
    /// (also for an EVENT playlist, whose media sequence stays put).
    pub fn end(&self) -> u64 {
        self.media_sequence + self.segments.len() as u64
    }

    /// The sequence number a live reader joins at (see [`live_start`]).
    pub fn live_edge(&self) -> u64 {
        self.media_sequence + live_start(self) as u64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub seq: u64,
    /// Absolute.
    pub uri: String,
    pub duration: Duration,
    /// The `#EXTINF` title, if any.
    pub title: Option<String>,
    /// A `#EXT-X-DISCONTINUITY` comes before it.
    pub discontinuity: bool,
}

/// Reads a playlist that `url` answered with.
pub fn parse(bytes: &[u8], url: &str) -> Result<Playlist, SourceError> {
    let malformed = |detail: String| SourceError::Malformed {
        url: url.to_string(),
        detail,
    };
    let unsupported = |what: &str| SourceError::Unsupported {
        url: url.to_string(),
        what: what.to_string(),
    };
    if bytes.len() > MAX_BYTES {
        return Err(malformed(format!("playlist over {MAX_BYTES} bytes")));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("playlist not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().map(str::trim);
    if lines.next() != Some("#EXTM3U") {
        return Err(malformed("not an m3u8 playlist (no #EXTM3U)".into()));
    }
    let mut state = Reading::default();
    for (n, line) in lines.enumerate() {
        if n + 1 >= MAX_LINES {
            return Err(malformed(format!("playlist over {MAX_LINES} lines")));
        }
        if line.len() > MAX_LINE {
            return Err(malformed(format!("line {} over {MAX_LINE} bytes", n + 2)));
        }
        state.line(line, url).map_err(|e| match e {
            LineError::Unsupported(what) => unsupported(what),
            LineError::Malformed(detail) => malformed(format!("line {}: {detail}", n + 2)),
        })?;
    }
    Ok(state.finish())
}

enum LineError {
    Unsupported(&'static str),
    Malformed(String),
}

/// The parser's state between lines.
#[derive(Default)]
struct Reading {
    master: Master,
    target: Option<Duration>,
    media_sequence: u64,
    segments: Vec<Segment>,
    ended: bool,
    /// Tags that apply to the next URI line.
    next_inf: Option<(Duration, Option<String>)>,
    next_variant: Option<Variant>,
    next_discontinuity: bool,
}

impl Reading {
    fn line(&mut self, line: &str, base: &str) -> Result<(), LineError> {
        if line.is_empty() || (line.starts_with('#') && !line.starts_with("#EXT")) {
            return Ok(()); // blank or a comment
        }
        let Some(tag) = line.strip_prefix('#') else {
            return self.uri(line, base);
        };
        let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
        match name {
            "EXTINF" => self.next_inf = Some(extinf(value)?),
            "EXT-X-TARGETDURATION" => {
                let secs: u64 = number(value)?;
                self.target = Some(Duration::from_secs(secs.clamp(1, 3600)));
            }
            "EXT-X-MEDIA-SEQUENCE" => self.media_sequence = number(value)?,
            "EXT-X-DISCONTINUITY" => self.next_discontinuity = true,
            "EXT-X-ENDLIST" => self.ended = true,
            "EXT-X-KEY" => {
                let method = attribute(value, "METHOD").unwrap_or_default();
                if !method.eq_ignore_ascii_case("NONE") {
                    return Err(LineError::Unsupported("encrypted HLS"));
                }
            }
            "EXT-X-MAP" => return Err(LineError::Unsupported("fMP4 HLS (EXT-X-MAP)")),
            "EXT-X-BYTERANGE" => return Err(LineError::Unsupported("HLS byte ranges")),
            "EXT-X-STREAM-INF" => self.next_variant = Some(variant(value)),
            "EXT-X-MEDIA" => self.rendition(value, base),
            _ => {}
        }
        Ok(())
    }

    /// A URI line: a variant's playlist or a segment.
    fn uri(&mut self, line: &str, base: &str) -> Result<(), LineError> {
        let uri = resolve(base, line);
        if let Some(mut v) = self.next_variant.take() {
            v.uri = uri;
            self.master.variants.push(v);
            return Ok(());
        }
        let (duration, title) = self
            .next_inf
            .take()
            .ok_or_else(|| LineError::Malformed("a segment without #EXTINF".into()))?;
        self.segments.push(Segment {
            seq: self.media_sequence + self.segments.len() as u64,
            uri,
            duration,
            title,
            discontinuity: std::mem::take(&mut self.next_discontinuity),
        });
        Ok(())
    }

    fn rendition(&mut self, value: &str, base: &str) {
        let is_audio = attribute(value, "TYPE").is_some_and(|t| t == "AUDIO");
        if let (true, Some(group), Some(uri)) = (
            is_audio,
            attribute(value, "GROUP-ID"),
            attribute(value, "URI"),
        ) {
            self.master.audio.push(Rendition {
                group,
                uri: resolve(base, &uri),
                default: attribute(value, "DEFAULT").is_some_and(|d| d == "YES"),
            });
        }
    }

    fn finish(self) -> Playlist {
        if !self.master.variants.is_empty() {
            return Playlist::Master(self.master);
        }
        let longest = self.segments.iter().map(|s| s.duration).max();
        let target = self
            .target
            .or(longest.map(|d| {
                Duration::from_secs(d.as_secs_f64().ceil() as u64).max(Duration::from_secs(1))
            }))
            .unwrap_or(DEFAULT_TARGET);
        Playlist::Media(Media {
            target,
            media_sequence: self.media_sequence,
            segments: self.segments,
            ended: self.ended,
        })
    }
}

fn number(value: &str) -> Result<u64, LineError> {
    value
        .trim()
        .parse()
        .map_err(|_| LineError::Malformed(format!("not a number: {value:.40}")))
}

/// `#EXTINF:<duration>,[<title>]` (some servers put attributes after the duration).
fn extinf(value: &str) -> Result<(Duration, Option<String>), LineError> {
    let (duration, title) = value.split_once(',').unwrap_or((value, ""));
    let duration = duration.split_whitespace().next().unwrap_or_default();
    let secs: f64 = duration
        .parse()
        .map_err(|_| LineError::Malformed(format!("not a duration: {duration:.40}")))?;
    let secs = if secs.is_finite() {
        secs.clamp(0.0, 3600.0)
    } else {
        0.0
    };
    let title = crate::text::clean(title);
    let title = (!title.is_empty()).then(|| crate::text::truncate(&title, MAX_TITLE).into_owned());
    Ok((Duration::from_secs_f64(secs), title))
}

fn variant(value: &str) -> Variant {
    Variant {
        uri: String::new(),
        bandwidth: attribute(value, "BANDWIDTH").and_then(|b| b.parse().ok()),
        codecs: attribute(value, "CODECS").map(|c| {
            c.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty())
                .collect()
        }),
        audio_group: attribute(value, "AUDIO"),
    }
}

/// The value of `name` in an attribute list (`A=1,B="x,y",C=z`), quotes removed.
pub fn attribute(list: &str, name: &str) -> Option<String> {
    let mut rest = list;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            let next = quoted[end + 1..].trim_start_matches(|c| c != ',');
            (&quoted[..end], next)
        } else {
            after.split_once(',').map_or((after, ""), |(v, n)| (v, n))
        };
        if key.trim() == name {
            return Some(value.trim().to_string());
        }
        rest = next.strip_prefix(',').unwrap_or(next);
    }
    None
}

/// `uri` made absolute against the playlist's own URL (RFC 3986 §5.2, for the forms
/// playlists use: absolute, scheme-relative, host-relative and path-relative, with `..`).
pub fn resolve(base: &str, uri: &str) -> String {
    let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return uri.to_string();
    }
    let base = base.split(['?', '#']).next().unwrap_or(base);
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(no_scheme) = uri.strip_prefix("//") {
        return format!("{scheme}://{no_scheme}");
    }
    let (authority, base_path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let (path, query) = uri
        .split_once('?')
        .map_or((uri, None), |(p, q)| (p, Some(q)));
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{path}")
    };
    let mut out = format!("{scheme}://{authority}{}", remove_dots(&joined));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A path without `.` and `..` segments.
fn remove_dots(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    parts.push("");
                }
            }
            ".." => {
                if parts.len() > 1 {
                    parts.pop();
                }
                if last {
                    parts.push("");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// What a master playlist offers for a relay: the variant (or its audio rendition) whose
/// playlist to follow. Audio-only variants first, AAC-LC (`mp4a.40.2`, what the decoder
/// fully decodes) before other AAC profiles, then the lowest bandwidth (a commune's link is
/// often slow); variants whose known codecs hold no audio loaxa decodes are left out.
pub fn choose(master: &Master) -> Option<String> {
    let audio = |c: &str| c.starts_with("mp4a") || c == "mp3";
    let candidates = master.variants.iter().filter(|v| match &v.codecs {
        Some(codecs) => codecs.iter().any(|c| audio(c)),
        None => true,
    });
    let rank = |v: &&Variant| {
        let codecs = v.codecs.as_deref().unwrap_or_default();
        let audio_only = !codecs.is_empty() && codecs.iter().all(|c| audio(c));
        let lc = codecs.iter().any(|c| c == "mp4a.40.2");
        (!audio_only, !lc, v.bandwidth.unwrap_or(u64::MAX))
    };
    let best = candidates.min_by_key(rank)?;
    let rendition = best.audio_group.as_ref().and_then(|group| {
        let in_group = || master.audio.iter().filter(move |r| &r.group == group);
        in_group().find(|r| r.default).or_else(|| in_group().next())
    });
    Some(rendition.map_or(&best.uri, |r| &r.uri).clone())
}

/// Where a live playlist is joined: the last segment that starts at least three target
/// durations before the playlist's end (RFC 8216 §6.3.3), or the first one.
pub fn live_start(media: &Media) -> usize {
    let hold = media.target * 3;
    let mut from_end = Duration::ZERO;
    for (i, seg) in media.segments.iter().enumerate().rev() {
        from_end += seg.duration;
        if from_end >= hold {
            return i;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://radio.test/live/vov1/index.m3u8?token=abc";

    fn media(text: &str) -> Media {
        match parse(text.as_bytes(), BASE) {
            Ok(Playlist::Media(m)) => m,
            other => panic!("not a media playlist: {other:?}"),
        }
    }

    #[test]
    fn a_media_playlist() {
        let m = media(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:2680\n\
             #EXT-X-KEY:METHOD=NONE\n\
             #EXTINF:5.995,Thời sự 6 giờ\nseg2680.ts\n\
             # a comment\n\n\
             #EXT-X-DISCONTINUITY\n#EXTINF:6.0,\n/abs/seg2681.ts?x=1\n\
             #EXTINF:4 tvg-id=\"x\",Tên\r\nhttp://cdn.test/seg2682.aac\n#EXT-X-ENDLIST\n",
        );
        assert_eq!(m.target, Duration::from_secs(6));
        assert_eq!(m.media_sequence, 2680);
        assert!(m.ended);
        assert_eq!(m.end(), 2683);
        let s = &m.segments;
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].seq, s[2].seq), (2680, 2682));
        assert_eq!(s[0].uri, "https://radio.test/live/vov1/seg2680.ts");
        assert_eq!(s[1].uri, "https://radio.test/abs/seg2681.ts?x=1");
        assert_eq!(s[2].uri, "http://cdn.test/seg2682.aac");
        assert_eq!(s[0].duration, Duration::from_millis(5995));
        assert_eq!(s[0].title.as_deref(), Some("Thời sự 6 giờ"));
        assert_eq!(s[1].title, None);
        assert_eq!(s[2].title.as_deref(), Some("Tên"));
        assert_eq!(
            s.iter().map(|s| s.discontinuity).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    #[test]
    fn a_master_playlist_and_its_choice() {
        let text = "#EXTM3U\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Tiếng Việt\",DEFAULT=YES,URI=\"audio/vi.m3u8\"\n\
            #EXT-X-STREAM-INF:BANDWIDTH=1500000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720\n\
            hd/index.m3u8\n\
            #EXT-X-STREAM-INF:BANDWIDTH=96000,CODECS=\"mp4a.40.5\"\n\
            he/index.m3u8\n\
            #EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS=\"mp4a.40.2\"\n\
            lc/index.m3u8\n\
            #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001f\",AUDIO=\"aud\"\n\
            sd/index.m3u8\n";
        let Ok(Playlist::Master(master)) = parse(text.as_bytes(), BASE) else {
            panic!("not a master playlist");
        };
        assert_eq!(master.variants.len(), 4);
        assert_eq!(master.variants[0].bandwidth, Some(1_500_000));
        assert_eq!(
            master.variants[0].codecs.as_deref(),
            Some(&["avc1.64001f".to_string(), "mp4a.40.2".to_string()][..])
        );
        assert_eq!(master.audio.len(), 1);
        assert_eq!(
            master.audio[0].uri,
            "https://radio.test/live/vov1/audio/vi.m3u8"
        );
        // Audio-only AAC-LC wins over a cheaper HE-AAC and over video.
        assert_eq!(
            choose(&master).as_deref(),
            Some("https://radio.test/live/vov1/lc/index.m3u8")
        );

        // Only video with a separate audio rendition: the rendition.
        let video_and_rendition = Master {
            variants: vec![master.variants[3].clone()],
            audio: master.audio.clone(),
        };
        // Known codecs without audio are left out…
        assert_eq!(choose(&video_and_rendition), None);
        // …unless the codecs are not said.
        let mut unknown = video_and_rendition.clone();
        unknown.variants[0].codecs = None;
        assert_eq!(
            choose(&unknown).as_deref(),
            Some("https://radio.test/live/vov1/audio/vi.m3u8")
        );
        // Without audio-only variants: the lowest bandwidth with AAC.
        let low = Variant {
            uri: "https://radio.test/low.m3u8".into(),
            bandwidth: Some(400_000),
            ..master.variants[0].clone()
        };
        let mixed = Master {
            variants: vec![master.variants[0].clone(), low],
            audio: vec![],
        };
        assert_eq!(
            choose(&mixed).as_deref(),
            Some("https://radio.test/low.m3u8")
        );
    }

    #[test]
    fn relative_uris() {
        let cases = [
            ("seg1.ts", "https://radio.test/live/vov1/seg1.ts"),
            ("./seg1.ts", "https://radio.test/live/vov1/seg1.ts"),
            ("../vov2/seg1.ts", "https://radio.test/live/vov2/seg1.ts"),
            ("../../../../x.ts", "https://radio.test/x.ts"),
            ("/a/b.ts?k=v", "https://radio.test/a/b.ts?k=v"),
            ("//cdn.test/c.ts", "https://cdn.test/c.ts"),
            ("HTTP://Other.test/d.ts", "HTTP://Other.test/d.ts"),
        ];
        for (uri, want) in cases {
            assert_eq!(resolve(BASE, uri), want, "{uri}");
        }
        assert_eq!(
            resolve("http://radio.test", "a.ts"),
            "http://radio.test/a.ts"
        );
    }

    #[test]
    fn encrypted_fmp4_and_byte_ranges_are_refused() {
        for (tag, what) in [
            ("#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\"", "encrypted HLS"),
            ("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"", "encrypted HLS"),
            ("#EXT-X-MAP:URI=\"init.mp4\"", "fMP4 HLS (EXT-X-MAP)"),
            ("#EXT-X-BYTERANGE:1000@0", "HLS byte ranges"),
        ] {
            let text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n{tag}\n#EXTINF:2,\na.ts\n");
            assert_eq!(
                parse(text.as_bytes(), BASE),
                Err(SourceError::Unsupported {
                    url: BASE.into(),
                    what: what.into()
                })
            );
        }
    }

    #[test]
    fn bounds_and_broken_playlists() {
        let malformed =
            |text: &[u8]| matches!(parse(text, BASE), Err(SourceError::Malformed { .. }));
        assert!(malformed(b"<html>404</html>"));
        assert!(malformed(b"\xff\xfe#EXTM3U"));
        assert!(malformed(b"#EXTM3U\n#EXTINF:abc,\na.ts\n"));
        assert!(malformed(b"#EXTM3U\na.ts\n"), "a segment without #EXTINF");
        assert!(malformed(b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n"));
        let long_line = format!("#EXTM3U\n#EXTINF:2,{}\na.ts\n", "x".repeat(MAX_LINE + 1));
        assert!(malformed(long_line.as_bytes()));
        let many_lines = format!("#EXTM3U\n{}", "#EXT-X-FOO\n".repeat(MAX_LINES));
        assert!(malformed(many_lines.as_bytes()));
        let big = format!("#EXTM3U\n{}", "#\n".repeat(MAX_BYTES / 2));
        assert!(malformed(big.as_bytes()));
        // Within bounds, a BOM and CRLF are fine; no target duration: the longest segment.
        let m = media("\u{feff}#EXTM3U\r\n#EXTINF:3.2,\r\na.ts\r\n");
        assert_eq!(m.target, Duration::from_secs(4));
        assert!(!m.ended);
    }

    #[test]
    fn damaged_playlists_never_panic() {
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:7\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"../ä/vi.m3u8\"\n\
            #EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp4a.40.2\",AUDIO=\"a\"\nlow/ạ.m3u8\n\
            #EXTINF:5.5,Thời sự\nseg7.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:6,\n//cdn/seg8.ts\n";
        const NOISE: &[u8] = b"\n,=\":#/.?x\xc3\xa4-0";
        let clean = text.as_bytes();
        let mut x = 0x2545_F491u32;
        for round in 0..3000 {
            let mut bytes = clean.to_vec();
            for _ in 0..1 + round % 4 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let at = x as usize % bytes.len();
                bytes[at] = NOISE[(x >> 8) as usize % NOISE.len()];
            }
            if let Ok(Playlist::Master(m)) = parse(&bytes, BASE) {
                let _ = choose(&m);
            } else if let Ok(Playlist::Media(m)) = parse(&bytes, BASE) {
                let _ = live_start(&m);
            }
        }
    }

    #[test]
    fn attribute_lists() {
        let list = "BANDWIDTH=64000,CODECS=\"mp4a.40.2,mp4a.40.5\",NAME=\"a=b\",X=1";
        assert_eq!(attribute(list, "BANDWIDTH").as_deref(), Some("64000"));
        assert_eq!(
            attribute(list, "CODECS").as_deref(),
            Some("mp4a.40.2,mp4a.40.5")
        );
        assert_eq!(attribute(list, "NAME").as_deref(), Some("a=b"));
        assert_eq!(attribute(list, "X").as_deref(), Some("1"));
        assert_eq!(attribute(list, "Y"), None);
        assert_eq!(attribute("A=\"unterminated", "A"), None);
    }

    #[test]
    fn the_live_edge_is_three_target_durations_back() {
        let seg = |seq: u64, secs: u64| Segment {
            seq,
            uri: String::new(),
            duration: Duration::from_secs(secs),
            title: None,
            discontinuity: false,
        };
        let mut m = Media {
            target: Duration::from_secs(6),
            media_sequence: 0,
            segments: (0..10).map(|i| seg(i, 6)).collect(),
            ended: false,
        };
        assert_eq!(live_start(&m), 7);
        m.media_sequence = 100;
        assert_eq!(m.live_edge(), 107);
        m.segments = vec![seg(0, 6), seg(1, 6)];
        assert_eq!(live_start(&m), 0);
        m.segments = (0..10).map(|i| seg(i, 4)).collect(); // 18 s back needs five
        assert_eq!(live_start(&m), 5);
    }
}
