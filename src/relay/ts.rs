//! MPEG-TS to elementary audio: the step from an HLS `.ts` segment to the ADTS AAC (or MPEG
//! audio) bytes the decoder reads.
//!
//! Written here rather than taken from a crate: symphonia has no TS demuxer, and the one
//! maintained Rust TS reader (`mpeg2ts-reader`, 0.18) is a zero-copy framework built on
//! macros (`packet_filter_switch!`, `demux_context!`), marks its API unstable, brings four
//! dependencies, takes only whole 188-byte packets and leaves PES reassembly to the caller —
//! which is most of what this step is. One program, one audio stream, no video: the whole
//! step is PAT → PMT → the audio PID's PES payloads, about as long as the glue it would need.
//!
//! [`Demuxer`] is a streaming state machine: [`Demuxer::feed`] takes bytes in any chunking
//! (packets may be cut anywhere), [`Demuxer::take`] hands out the elementary bytes so far.
//! It resynchronises on the 0x47 sync byte (confirmed by the next packet's), checks the
//! PSI sections' CRC, follows the continuity counter of the audio PID, and drops a PES
//! packet that lost bytes (a gap, a corrupt packet) rather than pass half a frame on.

use super::Codec;

/// A transport stream packet's length.
pub const PACKET: usize = 188;
const SYNC: u8 = 0x47;
/// A PSI section is at most 1 024 bytes (ISO/IEC 13818-1 §2.4.4.11, `section_length` ≤ 1021).
const MAX_SECTION: usize = 1024;
/// A PES packet that declares no length (0) is passed on as it arrives; one that does is
/// at most 65 535 + 6 bytes.
const MAX_PES: usize = 65_536 + 6;

/// What the program map said about the audio.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Program {
    /// No program map read yet.
    #[default]
    Unknown,
    /// The first audio stream loaxa decodes.
    Audio {
        pid: u16,
        stream_type: u8,
        codec: Codec,
    },
    /// A program map without an audio stream loaxa decodes: its stream types.
    NoAudio { stream_types: Vec<u8> },
}

/// What went wrong in the stream so far (the caller logs it; none of it stops the demuxer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TsStats {
    /// Whole packets read.
    pub packets: u64,
    /// Times the sync byte was lost and found again.
    pub resyncs: u64,
    /// Bytes skipped while out of sync.
    pub junk_bytes: u64,
    /// Packets of the audio PID whose continuity counter skipped.
    pub cc_gaps: u64,
    /// Packets refused: transport error flag, scrambled, a bad adaptation field, a PSI
    /// section with a wrong CRC.
    pub bad_packets: u64,
    /// PES packets dropped because bytes of them were lost.
    pub dropped_pes: u64,
}

/// The audio stream's PES packet being reassembled.
#[derive(Debug, Default)]
enum Pes {
    /// Waiting for a packet that starts a PES (payload_unit_start).
    #[default]
    Idle,
    /// The PES header so far (it may be cut across TS packets).
    Header(Vec<u8>),
    /// Payload of a PES that declared its length: kept until it is whole.
    Bounded { body: Vec<u8>, remaining: usize },
    /// Payload of a PES without a length: passed on as it arrives.
    Unbounded,
}

/// A PSI section (PAT or PMT) being collected.
#[derive(Debug, Default)]
struct Section {
    pid: u16,
    bytes: Vec<u8>,
}

/// The streaming TS demuxer (see the module doc).
#[derive(Debug, Default)]
pub struct Demuxer {
    pending: Vec<u8>,
    synced: bool,
    pmt_pid: Option<u16>,
    program: Program,
    section: Option<Section>,
    last_cc: Option<u8>,
    pes: Pes,
    out: Vec<u8>,
    stats: TsStats,
}

impl Demuxer {
    pub fn new() -> Demuxer {
        Demuxer::default()
    }

    /// Takes the next bytes of the transport stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        while let Some(start) = self.next_packet(&mut at) {
            let mut packet = [0; PACKET];
            packet.copy_from_slice(&self.pending[start..start + PACKET]);
            self.packet(&packet);
            at = start + PACKET;
        }
        self.pending.drain(..at);
    }

    /// The end of the stream: a last packet waiting for its successor to confirm the sync is
    /// read, a PES that declared its length but is short is dropped.
    pub fn finish(&mut self) {
        let mut used = 0;
        if self.pending.len() >= PACKET && self.pending[0] == SYNC {
            let mut packet = [0; PACKET];
            packet.copy_from_slice(&self.pending[..PACKET]);
            self.packet(&packet);
            used = PACKET;
        }
        self.stats.junk_bytes += (self.pending.len() - used) as u64;
        self.pending.clear();
        self.abandon_pes();
    }

    /// The elementary bytes demultiplexed so far (and no longer kept).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The audio's codec, once the program map named it.
    pub fn codec(&self) -> Option<Codec> {
        match self.program {
            Program::Audio { codec, .. } => Some(codec),
            _ => None,
        }
    }

    pub fn stats(&self) -> TsStats {
        self.stats
    }

    /// Where the next whole packet starts in `pending` from `at`, resynchronising if needed;
    /// `None` when more bytes are needed (`at` is then moved past the junk). In sync, a
    /// packet is read as soon as it is whole (and its successor, if already here, starts with
    /// 0x47 too); out of sync, a 0x47 counts only when another follows 188 bytes later (or the
    /// bytes end there: see [`Demuxer::finish`]).
    fn next_packet(&mut self, at: &mut usize) -> Option<usize> {
        let data = &self.pending[*at..];
        if data.len() < PACKET {
            return None;
        }
        let confirmed = data.get(PACKET).is_none_or(|&b| b == SYNC);
        if self.synced && data[0] == SYNC && confirmed {
            return Some(*at);
        }
        if self.synced {
            self.synced = false;
            self.stats.resyncs += 1;
            self.abandon_pes();
        }
        let data = &self.pending[*at..];
        let found = (0..data.len() - PACKET).find(|&i| data[i] == SYNC && data[i + PACKET] == SYNC);
        let skip = found.unwrap_or(data.len() - PACKET);
        self.stats.junk_bytes += skip as u64;
        *at += skip;
        self.synced = found.is_some();
        found.map(|_| *at)
    }

    /// One whole packet.
    fn packet(&mut self, p: &[u8; PACKET]) {
        self.stats.packets += 1;
        let error = p[1] & 0x80 != 0;
        let start = p[1] & 0x40 != 0;
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        let scrambled = p[3] & 0xC0 != 0;
        let control = (p[3] >> 4) & 0x03;
        let cc = p[3] & 0x0F;
        if error || scrambled || control == 0 {
            self.bad(pid, error);
            return;
        }
        let (payload_at, discontinuity) = if control & 0x02 != 0 {
            let len = usize::from(p[4]);
            if 5 + len > PACKET || (control == 0x03 && 5 + len == PACKET) {
                self.bad(pid, false);
                return;
            }
            (5 + len, len > 0 && p[5] & 0x80 != 0)
        } else {
            (4, false)
        };
        if control & 0x01 == 0 {
            return; // adaptation field only (PCR, stuffing): no payload, no counter step
        }
        let payload = &p[payload_at..];
        if pid == 0 || Some(pid) == self.pmt_pid {
            self.psi(pid, start, payload);
        } else if self.audio_pid() == Some(pid) && self.continuity(cc, discontinuity) {
            self.audio(start, payload);
        }
    }

    /// A refused packet: if it was (or, with the error flag, may have been) the audio's,
    /// its PES lost bytes.
    fn bad(&mut self, pid: u16, error: bool) {
        self.stats.bad_packets += 1;
        if error || self.audio_pid() == Some(pid) {
            self.abandon_pes();
        }
    }

    fn audio_pid(&self) -> Option<u16> {
        match self.program {
            Program::Audio { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Follows the audio PID's continuity counter; false for a duplicate packet (ignored).
    /// A gap drops the PES being reassembled.
    fn continuity(&mut self, cc: u8, discontinuity: bool) -> bool {
        let expected = self.last_cc.map(|last| (last + 1) & 0x0F);
        let duplicate = self.last_cc == Some(cc) && !discontinuity;
        self.last_cc = Some(cc);
        if duplicate {
            return false;
        }
        if expected.is_some_and(|e| e != cc) && !discontinuity {
            self.stats.cc_gaps += 1;
            self.abandon_pes();
        }
        true
    }

    /// Drops a PES that cannot be whole any more (one passed on as it came stays passed on).
    fn abandon_pes(&mut self) {
        match std::mem::take(&mut self.pes) {
            Pes::Header(_) | Pes::Bounded { .. } => self.stats.dropped_pes += 1,
            Pes::Idle | Pes::Unbounded => {}
        }
    }

    /// A payload of the audio PID.
    fn audio(&mut self, start: bool, payload: &[u8]) {
        if start {
            self.abandon_pes();
            self.pes = Pes::Header(Vec::with_capacity(32));
        }
        match &mut self.pes {
            Pes::Idle => {}
            Pes::Header(header) => {
                header.extend_from_slice(payload);
                self.pes_header();
            }
            Pes::Bounded { .. } => self.pes_body(payload),
            Pes::Unbounded => self.out.extend_from_slice(payload),
        }
    }

    /// Reads the PES header once enough of it has arrived, then moves on to the body.
    fn pes_header(&mut self) {
        let Pes::Header(bytes) = &self.pes else {
            return;
        };
        if bytes.len() < 9 {
            return;
        }
        if bytes[..3] != [0, 0, 1] || bytes[6] & 0xC0 != 0x80 {
            self.abandon_pes();
            return;
        }
        let header_len = 9 + usize::from(bytes[8]);
        if bytes.len() < header_len {
            return;
        }
        let declared = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
        let rest = bytes[header_len..].to_vec();
        if declared == 0 {
            self.pes = Pes::Unbounded;
            self.out.extend_from_slice(&rest);
            return;
        }
        // `declared` counts the bytes after the length field: the 3 fixed header bytes too.
        let Some(body_len) = (declared + 6).checked_sub(header_len) else {
            self.abandon_pes();
            return;
        };
        self.pes = Pes::Bounded {
            body: Vec::with_capacity(body_len.min(MAX_PES)),
            remaining: body_len,
        };
        self.pes_body(&rest);
    }

    /// Payload of a bounded PES; a whole one goes out. Bytes past the declared end (a muxer
    /// bug) are ignored.
    fn pes_body(&mut self, payload: &[u8]) {
        let Pes::Bounded { body, remaining } = &mut self.pes else {
            return;
        };
        let n = payload.len().min(*remaining);
        body.extend_from_slice(&payload[..n]);
        *remaining -= n;
        if *remaining == 0 {
            let body = std::mem::take(body);
            self.out.extend_from_slice(&body);
            self.pes = Pes::Idle;
        }
    }

    /// A payload of the PAT or the PMT PID: collects one section, then reads it.
    fn psi(&mut self, pid: u16, start: bool, payload: &[u8]) {
        if start {
            let pointer = usize::from(payload[0]);
            let Some(section) = payload.get(1 + pointer..) else {
                self.stats.bad_packets += 1;
                return;
            };
            self.section = Some(Section {
                pid,
                bytes: section.to_vec(),
            });
        } else if let Some(s) = self.section.as_mut().filter(|s| s.pid == pid) {
            s.bytes.extend_from_slice(payload);
        } else {
            return;
        }
        let Some(s) = self.section.as_ref() else {
            return;
        };
        if s.bytes.len() < 3 {
            return;
        }
        let len = 3 + usize::from(u16::from_be_bytes([s.bytes[1], s.bytes[2]]) & 0x0FFF);
        if !(12..=MAX_SECTION).contains(&len) {
            self.section = None;
            self.stats.bad_packets += 1;
            return;
        }
        if s.bytes.len() < len {
            return;
        }
        let section = s.bytes[..len].to_vec();
        self.section = None;
        if crc32_mpeg2(&section) != 0 {
            self.stats.bad_packets += 1;
            return;
        }
        match section[0] {
            0x00 if pid == 0 => self.pat(&section),
            0x02 if Some(pid) == self.pmt_pid => self.pmt(&section),
            _ => {}
        }
    }

    /// The program association table: the first program's PMT PID.
    fn pat(&mut self, section: &[u8]) {
        let entries = &section[8..section.len() - 4];
        let pmt = entries.chunks_exact(4).find_map(|e| {
            let program = u16::from_be_bytes([e[0], e[1]]);
            (program != 0).then_some(u16::from_be_bytes([e[2], e[3]]) & 0x1FFF)
        });
        if pmt.is_some() {
            self.pmt_pid = pmt;
        }
    }

    /// The program map: the first AAC (ADTS) stream, else the first MPEG audio stream.
    fn pmt(&mut self, section: &[u8]) {
        let end = section.len() - 4;
        let info_len = usize::from(u16::from_be_bytes([section[10], section[11]]) & 0x0FFF);
        let mut at = 12 + info_len;
        let mut streams = Vec::new();
        while at + 5 <= end {
            let stream_type = section[at];
            let pid = u16::from_be_bytes([section[at + 1], section[at + 2]]) & 0x1FFF;
            let es_len =
                usize::from(u16::from_be_bytes([section[at + 3], section[at + 4]]) & 0x0FFF);
            streams.push((stream_type, pid));
            at += 5 + es_len;
        }
        let pick = |wanted: &[u8]| streams.iter().find(|(t, _)| wanted.contains(t)).copied();
        let chosen = pick(&[0x0F])
            .map(|(t, pid)| (t, pid, Codec::Aac))
            .or_else(|| pick(&[0x03, 0x04]).map(|(t, pid)| (t, pid, Codec::Mp3)));
        let program = match chosen {
            Some((stream_type, pid, codec)) => Program::Audio {
                pid,
                stream_type,
                codec,
            },
            None => Program::NoAudio {
                stream_types: streams.iter().map(|(t, _)| *t).collect(),
            },
        };
        if program != self.program {
            let old_pid = self.audio_pid();
            self.program = program;
            if self.audio_pid() != old_pid {
                self.abandon_pes();
                self.last_cc = None;
            }
        }
    }
}

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, no reflection, no final xor). Over a whole PSI
/// section including its CRC field the result is 0.
fn crc32_mpeg2(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Demultiplexes a whole transport stream at once (an HLS segment).
pub fn demux(ts: &[u8]) -> Demuxer {
    let mut d = Demuxer::new();
    d.feed(ts);
    d.finish();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/relay/hls");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
    }

    // --- a small muxer for synthetic streams --------------------------------------------

    const PMT_PID: u16 = 0x1000;
    const AUDIO_PID: u16 = 0x0100;

    /// A PSI section with its header's length and CRC.
    fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
        let len = 5 + body.len() + 4;
        let mut s = vec![table_id, 0xB0 | (len >> 8) as u8, len as u8];
        s.extend_from_slice(&id.to_be_bytes());
        s.extend_from_slice(&[0xC1, 0, 0]);
        s.extend_from_slice(body);
        let crc = crc32_mpeg2(&s);
        s.extend_from_slice(&crc.to_be_bytes());
        s
    }

    fn pat() -> Vec<u8> {
        let mut body = 1u16.to_be_bytes().to_vec();
        body.extend_from_slice(&(0xE000 | PMT_PID).to_be_bytes());
        let mut payload = vec![0];
        payload.extend(section(0x00, 1, &body));
        payload
    }

    fn pmt(streams: &[(u8, u16)]) -> Vec<u8> {
        let mut body = (0xE000 | AUDIO_PID).to_be_bytes().to_vec();
        body.extend_from_slice(&0xF000u16.to_be_bytes());
        for (t, pid) in streams {
            body.push(*t);
            body.extend_from_slice(&(0xE000 | pid).to_be_bytes());
            body.extend_from_slice(&0xF000u16.to_be_bytes());
        }
        let mut payload = vec![0];
        payload.extend(section(0x02, 1, &body));
        payload
    }

    /// A PES packet of audio with a PTS; `bounded` says whether it declares its length.
    fn pes(data: &[u8], bounded: bool) -> Vec<u8> {
        let len = if bounded { 3 + 5 + data.len() } else { 0 };
        let mut p = vec![0, 0, 1, 0xC0, (len >> 8) as u8, len as u8, 0x80, 0x80, 5];
        p.extend_from_slice(&[0x21, 0, 1, 0, 1]);
        p.extend_from_slice(data);
        p
    }

    /// Cuts one payload unit into TS packets, the last padded with adaptation stuffing.
    fn packets(pid: u16, unit: &[u8], cc: &mut u8) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, chunk) in unit.chunks(184).enumerate() {
            let start = if i == 0 { 0x40 } else { 0 };
            let mut p = vec![SYNC, start | (pid >> 8) as u8, pid as u8];
            if chunk.len() == 184 {
                p.push(0x10 | *cc);
            } else {
                let af = 183 - chunk.len();
                p.push(0x30 | *cc);
                p.push(af as u8);
                if af > 0 {
                    p.push(0);
                    p.extend(std::iter::repeat_n(0xFF, af - 1));
                }
            }
            p.extend_from_slice(chunk);
            assert_eq!(p.len(), PACKET);
            out.extend(p);
            *cc = (*cc + 1) & 0x0F;
        }
        out
    }

    /// An adaptation-field-only packet (a PCR carrier) on `pid`.
    fn adaptation_only(pid: u16, cc: u8) -> Vec<u8> {
        let mut p = vec![SYNC, (pid >> 8) as u8, pid as u8, 0x20 | cc, 183, 0x10];
        p.extend_from_slice(&[0, 0, 0, 0, 0x7E, 0]);
        p.resize(PACKET, 0xFF);
        p
    }

    /// ADTS-like frames with recognisable bytes (the demuxer does not read them).
    fn frames(n: usize, len: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| (0..len).map(|j| (i * 31 + j * 7) as u8).collect())
            .collect()
    }

    /// A stream: PAT, PMT, then one PES per frame, with an adaptation-only packet between.
    fn stream(frames: &[Vec<u8>], stream_type: u8, bounded: bool) -> Vec<u8> {
        let (mut c0, mut c1, mut ca) = (0, 0, 0);
        let mut ts = packets(0, &pat(), &mut c0);
        ts.extend(packets(
            PMT_PID,
            &pmt(&[(0x1B, 0x200), (stream_type, AUDIO_PID)]),
            &mut c1,
        ));
        for f in frames {
            ts.extend(packets(AUDIO_PID, &pes(f, bounded), &mut ca));
            ts.extend(adaptation_only(AUDIO_PID, (ca + 15) & 0x0F));
        }
        ts
    }

    // --- the fixture: what ffmpeg extracts ----------------------------------------------

    #[test]
    fn the_fixture_gives_what_ffmpeg_extracts() {
        let d = demux(&fixture("ts/seg0.ts"));
        assert_eq!(d.codec(), Some(Codec::Aac));
        let reference = fixture("ts/seg0.adts");
        let mut d = d;
        let got = d.take();
        assert_eq!(got.len(), reference.len());
        assert!(got == reference, "the ADTS bytes differ from ffmpeg's");
        let stats = d.stats();
        assert_eq!(
            (
                stats.resyncs,
                stats.cc_gaps,
                stats.bad_packets,
                stats.dropped_pes
            ),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn any_chunking_gives_the_same_bytes() {
        let ts = fixture("ts/seg0.ts");
        let whole = demux(&ts).take();
        for size in [1, 2, 7, 187, 188, 189, 376, 1000, 4096] {
            let mut d = Demuxer::new();
            let mut got = Vec::new();
            for chunk in ts.chunks(size) {
                d.feed(chunk);
                got.extend(d.take());
            }
            d.finish();
            got.extend(d.take());
            assert!(got == whole, "chunks of {size} bytes differ");
        }
    }

    #[test]
    fn a_split_at_every_offset_gives_the_same_bytes() {
        let ts = stream(&frames(6, 300), 0x0F, true);
        let whole = demux(&ts).take();
        assert_eq!(whole, frames(6, 300).concat());
        for cut in 0..=ts.len() {
            let mut d = Demuxer::new();
            d.feed(&ts[..cut]);
            let mut got = d.take();
            d.feed(&ts[cut..]);
            d.finish();
            got.extend(d.take());
            assert!(got == whole, "split at {cut} differs");
        }
    }

    #[test]
    fn a_pes_over_many_packets_and_adaptation_only_packets() {
        let big = frames(3, 5000);
        let ts = stream(&big, 0x0F, true);
        assert!(ts.len() > 80 * PACKET);
        let mut d = demux(&ts);
        assert_eq!(d.take(), big.concat());
        assert_eq!(d.stats().cc_gaps, 0);
    }

    #[test]
    fn pes_without_a_length_pass_on_as_they_arrive() {
        let f = frames(4, 700);
        let mut d = Demuxer::new();
        let ts = stream(&f, 0x0F, false);
        d.feed(&ts[..ts.len() / 2]);
        assert!(!d.take().is_empty(), "bytes wait for the PES end");
        let mut d = demux(&ts);
        assert_eq!(d.take(), f.concat());
    }

    #[test]
    fn mpeg_audio_is_reported_as_mp3_and_video_only_as_no_audio() {
        let mut d = demux(&stream(&frames(2, 100), 0x03, true));
        assert_eq!(d.codec(), Some(Codec::Mp3));
        assert_eq!(d.take(), frames(2, 100).concat());
        let d = demux(&stream(&frames(2, 100), 0x11, true));
        assert_eq!(
            d.program(),
            &Program::NoAudio {
                stream_types: vec![0x1B, 0x11]
            }
        );
        assert_eq!(d.codec(), None);
    }

    #[test]
    fn junk_between_packets_is_skipped() {
        let f = frames(5, 400);
        let ts = stream(&f, 0x0F, true);
        let mut damaged = b"HTTP junk".to_vec();
        let cut = 10 * PACKET;
        damaged.extend_from_slice(&ts[..cut]);
        damaged.extend_from_slice(&[0x47, 0x00, 0x47, 0x12, 0x99]);
        damaged.extend_from_slice(&ts[cut..]);
        let mut d = demux(&damaged);
        assert_eq!(d.take(), f.concat());
        let stats = d.stats();
        assert_eq!(stats.resyncs, 1);
        assert_eq!(stats.junk_bytes, 9 + 5);
    }

    #[test]
    fn a_lost_packet_drops_only_its_pes() {
        let f = frames(4, 400); // 3 packets per PES (+1 adaptation-only)
        let ts = stream(&f, 0x0F, true);
        // Packets: PAT, PMT, then per frame 3 PES packets and 1 adaptation-only one.
        let lost = 2 + 4 + 1; // the second packet of the second frame
        let mut damaged = ts[..lost * PACKET].to_vec();
        damaged.extend_from_slice(&ts[(lost + 1) * PACKET..]);
        let mut d = demux(&damaged);
        assert_eq!(d.take(), [&f[0][..], &f[2], &f[3]].concat());
        assert_eq!(d.stats().cc_gaps, 1);
        assert_eq!(d.stats().dropped_pes, 1);
    }

    #[test]
    fn a_packet_with_the_error_flag_drops_its_pes() {
        let f = frames(3, 400);
        let mut ts = stream(&f, 0x0F, true);
        let bad = 2 + 4 + 1;
        ts[bad * PACKET + 1] |= 0x80;
        let mut d = demux(&ts);
        assert_eq!(d.take(), [&f[0][..], &f[2]].concat());
        assert_eq!(d.stats().bad_packets, 1);
    }

    #[test]
    fn a_program_map_with_a_wrong_crc_is_not_believed() {
        let mut ts = stream(&frames(2, 100), 0x0F, true);
        ts[2 * PACKET - 10] ^= 0x01; // inside the PMT section (at the packet's end)
        let mut d = demux(&ts);
        assert_eq!(d.program(), &Program::Unknown);
        assert!(d.take().is_empty());
        assert!(d.stats().bad_packets >= 1);
    }

    #[test]
    fn garbage_never_panics_and_gives_nothing() {
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..50_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if x % 50 == 0 { SYNC } else { x as u8 }
            })
            .collect();
        let mut d = demux(&noise);
        assert!(d.take().is_empty());
        // A stream whose every byte is the sync byte, and one that stops mid-packet.
        let mut d = demux(&[SYNC; 5000]);
        assert!(d.take().is_empty());
        let ts = stream(&frames(2, 1000), 0x0F, true);
        let mut d = demux(&ts[..ts.len() - 300]);
        assert_eq!(d.take(), frames(1, 1000).concat());
    }
}
