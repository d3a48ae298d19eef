//! A file's packets as the decoder should see them: for MPEG audio, a length header (Xing,
//! Info, VBRI) that counts fewer frames than the file holds is found out and ignored.
//!
//! symphonia marks the packets of an MPEG audio stream past the header's frame count as
//! padding to trim (gapless playback), so a file joined after one with such a header (a
//! cut-and-paste edit, a tool that appends) would decode, and air, only as far as the first
//! part's header says. Here a packet that lies wholly past the header's end is held back: if
//! the stream ends after it, it was the encoder's padding and is dropped as symphonia meant;
//! if more audio follows, the header undercounts, and from there on every packet decodes
//! whole (the packet that straddled the header's end has already lost up to one frame, within
//! the one-frame tolerance `tests/decoding_truth.rs` allows).

use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatReader;
use symphonia::core::packet::Packet;
use symphonia::core::units::Duration;

pub(super) struct Packets {
    reader: Box<dyn FormatReader>,
    /// For MPEG audio with a length header: the frame count it states, where symphonia's end
    /// trims begin (a header that may undercount). `None`: nothing to watch.
    header_end: Option<i64>,
    /// The header undercounted: no more end trims.
    untrimmed: bool,
    /// A packet wholly past the header's end, until we know whether more audio follows.
    held: Option<Packet>,
    /// The packet that came after [`Self::held`], to hand out next.
    queued: Option<Packet>,
}

impl Packets {
    /// `header_end`: see the field (pass it for MPEG audio only).
    pub(super) fn new(reader: Box<dyn FormatReader>, header_end: Option<u64>) -> Packets {
        Packets {
            reader,
            header_end: header_end.and_then(|n| i64::try_from(n).ok()),
            untrimmed: false,
            held: None,
            queued: None,
        }
    }

    /// The next packet, or `None` at the end of the stream.
    pub(super) fn next(&mut self) -> Result<Option<Packet>, SymError> {
        loop {
            if let Some(packet) = self.queued.take() {
                return Ok(Some(packet));
            }
            let Some(mut packet) = self.reader.next_packet().inspect_err(|_| {
                self.held = None; // the stream ended after it: it was padding
            })?
            else {
                self.held = None;
                return Ok(None);
            };
            let Some(header_end) = self.header_end else {
                return Ok(Some(packet));
            };
            if self.untrimmed {
                packet.trim_end = Duration::ZERO;
                return Ok(Some(packet));
            }
            if let Some(mut held) = self.held.take() {
                tracing::debug!(
                    "the MPEG audio header counts fewer frames than the file holds; decoding them all"
                );
                self.untrimmed = true;
                held.trim_end = Duration::ZERO;
                packet.trim_end = Duration::ZERO;
                self.queued = Some(packet);
                return Ok(Some(held));
            }
            // Wholly past the header's end: it starts there or later. (Not `dur == 0`:
            // symphonia 0.6.1 leaves a trimmed packet's `dur` at its full length.)
            if packet.pts.get() >= header_end && packet.trim_end > Duration::ZERO {
                self.held = Some(packet);
                continue;
            }
            return Ok(Some(packet));
        }
    }
}
