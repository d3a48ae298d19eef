//! Opus, decoded by libopus (the reference decoder, Debian's `libopus0`), as a symphonia
//! audio decoder: symphonia reads the containers — Ogg (`.opus`, `.ogg`: phone voice notes,
//! Firefox's recordings) and WebM/Matroska (`.webm`: Chromium's recordings) — and hands the
//! Opus packets here. symphonia has no Opus decoder of its own.
//!
//! The container's identification header (`OpusHead`, RFC 7845 §5.1) gives the channels, the
//! output gain and the encoder's delay (pre-skip), which is dropped here: symphonia 0.6 keeps
//! it as the track's delay and trims no packet by it (in Ogg or WebM), so without this every
//! Opus file would air 6.5 ms of encoder priming first. The end padding reaches the decoder
//! as the packets' end trims (Ogg's granule position) and is applied as symphonia's own
//! decoders do (gapless); WebM's `DiscardPadding` symphonia does not pass on (a few ms of
//! trailing padding stay).
//!
//! The one module with `unsafe` code: four calls into libopus, each with its safety
//! argument; everything else stays under the crate's `unsafe_code = "deny"`.

#![allow(unsafe_code)]

use std::ptr::NonNull;

use audiopus_sys as ffi;
use symphonia::core::audio::{
    AsGenericAudioBufferRef, AudioBuffer, AudioSpec, GenericAudioBufferRef,
};
use symphonia::core::codecs::CodecInfo;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{
    AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult,
};
use symphonia::core::codecs::registry::{
    CodecRegistry, RegisterableAudioDecoder, SupportedAudioCodec,
};
use symphonia::core::errors::{Error, Result};
use symphonia::core::packet::PacketRef;

/// Opus always decodes at 48 kHz (RFC 7845 §5.1: the input rate is only informative).
const RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms.
const MAX_FRAMES: usize = 5_760;

/// The codecs loaxa decodes: symphonia's, and Opus.
pub fn codecs() -> &'static CodecRegistry {
    static REGISTRY: std::sync::OnceLock<CodecRegistry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<OpusDecoder>();
        registry
    })
}

/// The fields of an `OpusHead` the decoder needs.
#[derive(Debug, PartialEq)]
struct OpusHead {
    channels: u8,
    /// Frames of encoder delay at the start, to drop.
    pre_skip: u16,
    /// Output gain, dB (Q7.8 in the header).
    gain_db: f32,
    mapping_family: u8,
}

impl OpusHead {
    /// Parses the identification header (RFC 7845 §5.1).
    fn parse(bytes: &[u8]) -> Result<OpusHead> {
        if bytes.len() < 19 || &bytes[..8] != b"OpusHead" {
            return Err(Error::DecodeError("opus: no OpusHead header"));
        }
        if bytes[8] >> 4 != 0 {
            return Err(Error::Unsupported("opus: header version"));
        }
        Ok(OpusHead {
            channels: bytes[9],
            pre_skip: u16::from_le_bytes([bytes[10], bytes[11]]),
            gain_db: f32::from(i16::from_le_bytes([bytes[16], bytes[17]])) / 256.0,
            mapping_family: bytes[18],
        })
    }
}

/// A libopus decoder state, freed on drop.
struct Handle(NonNull<ffi::OpusDecoder>);

// SAFETY: a libopus decoder state is plain memory owned by this handle alone; libopus keeps
// no thread-local or shared state, so the state may move between threads and `&Handle`
// gives no access (decoding takes `&mut`).
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Handle {
    fn new(channels: u8) -> Result<Handle> {
        let mut error = 0;
        // SAFETY: `error` is a valid out-pointer; the rate and channel count are ones libopus
        // accepts (48 kHz; 1 or 2, checked by the caller) and it reports anything else there.
        let state =
            unsafe { ffi::opus_decoder_create(RATE as i32, i32::from(channels), &raw mut error) };
        match NonNull::new(state) {
            Some(state) if error == ffi::OPUS_OK => Ok(Handle(state)),
            _ => Err(Error::DecodeError("opus: the decoder could not be created")),
        }
    }

    /// Decodes one packet into `pcm` (interleaved); the frames decoded.
    fn decode(&mut self, packet: &[u8], pcm: &mut [f32], channels: usize) -> Result<usize> {
        let len = i32::try_from(packet.len())
            .map_err(|_| Error::DecodeError("opus: packet too large"))?;
        let room = i32::try_from(pcm.len() / channels).unwrap_or(i32::MAX);
        // SAFETY: `packet` is valid for `len` bytes; `pcm` holds `room` frames of `channels`
        // samples, and libopus writes at most `room` frames; the state is live (owned).
        let frames = unsafe {
            ffi::opus_decode_float(
                self.0.as_ptr(),
                packet.as_ptr(),
                len,
                pcm.as_mut_ptr(),
                room,
                0,
            )
        };
        usize::try_from(frames).map_err(|_| Error::DecodeError("opus: corrupt packet"))
    }

    fn reset(&mut self) {
        // SAFETY: the state is live; OPUS_RESET_STATE takes no argument.
        unsafe {
            ffi::opus_decoder_ctl(self.0.as_ptr(), ffi::OPUS_RESET_STATE);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: created by opus_decoder_create and freed once, here.
        unsafe { ffi::opus_decoder_destroy(self.0.as_ptr()) }
    }
}

/// symphonia's audio decoder for Opus, over libopus.
pub struct OpusDecoder {
    params: AudioCodecParameters,
    opts: AudioDecoderOptions,
    handle: Handle,
    channels: usize,
    /// The header's output gain as a factor (1.0 for 0 dB).
    gain: f32,
    /// Frames of the pre-skip still to drop (from the stream's start).
    skip_left: usize,
    pcm: Vec<f32>,
    buf: AudioBuffer<f32>,
}

impl OpusDecoder {
    fn try_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> Result<Self> {
        let head = OpusHead::parse(params.extra_data.as_deref().unwrap_or_default())?;
        // Mapping family 0 is mono or stereo in one stream; the surround families need the
        // multistream decoder, which no voice note or browser recording uses.
        if head.mapping_family != 0 || !(1..=2).contains(&head.channels) {
            return Err(Error::Unsupported(
                "opus: only mono and stereo (channel mapping family 0) are decoded",
            ));
        }
        let channels = params
            .channels
            .clone()
            .filter(|c| c.count() == usize::from(head.channels))
            .ok_or(Error::DecodeError(
                "opus: the channels do not match the header",
            ))?;
        let spec = AudioSpec::new(RATE, channels);
        Ok(OpusDecoder {
            params: params.clone(),
            opts: *opts,
            handle: Handle::new(head.channels)?,
            channels: usize::from(head.channels),
            gain: 10f32.powf(head.gain_db / 20.0),
            skip_left: usize::from(head.pre_skip),
            pcm: vec![0.0; MAX_FRAMES * usize::from(head.channels)],
            buf: AudioBuffer::new(spec, MAX_FRAMES),
        })
    }

    fn decode_inner(&mut self, packet: &PacketRef<'_>) -> Result<()> {
        self.buf.clear();
        let frames = self
            .handle
            .decode(packet.data, &mut self.pcm, self.channels)?;
        let (pcm, channels, gain) = (&self.pcm, self.channels, self.gain);
        self.buf.render_with(Some(frames), |i, planes| {
            for (c, plane) in planes.iter_mut().enumerate() {
                plane[i] = pcm[i * channels + c] * gain;
            }
            Ok(())
        })?;
        if self.opts.gapless {
            let trim = |d: symphonia::core::units::Duration| {
                usize::try_from(d.get()).unwrap_or(usize::MAX)
            };
            // The pre-skip, unless the container trims it already (a later symphonia may).
            let start = trim(packet.trim_start).max(self.skip_left.min(frames));
            self.skip_left = self.skip_left.saturating_sub(frames);
            let end = trim(packet.trim_end).min(frames.saturating_sub(start));
            self.buf.trim(start.min(frames), end);
        }
        Ok(())
    }
}

impl AudioDecoder for OpusDecoder {
    fn reset(&mut self) {
        // After a seek: the stream goes on from elsewhere, its start (and pre-skip) is past.
        self.handle.reset();
        self.skip_left = 0;
    }

    fn codec_info(&self) -> &CodecInfo {
        &Self::supported_codecs()[0].info
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> Result<GenericAudioBufferRef<'_>> {
        if let Err(e) = self.decode_inner(packet) {
            self.buf.clear();
            return Err(e);
        }
        Ok(self.buf.as_generic_audio_buffer_ref())
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for OpusDecoder {
    fn try_registry_new(
        params: &AudioCodecParameters,
        opts: &AudioDecoderOptions,
    ) -> Result<Box<dyn AudioDecoder>> {
        Ok(Box::new(OpusDecoder::try_new(params, opts)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        const OPUS: [SupportedAudioCodec; 1] = [SupportedAudioCodec {
            id: CODEC_ID_OPUS,
            info: CodecInfo {
                short_name: "opus",
                long_name: "Opus (libopus)",
                profiles: &[],
            },
        }];
        &OPUS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(channels: u8, gain: i16, family: u8) -> Vec<u8> {
        let mut h = b"OpusHead".to_vec();
        h.extend([1, channels]);
        h.extend(312u16.to_le_bytes());
        h.extend(48_000u32.to_le_bytes());
        h.extend(gain.to_le_bytes());
        h.push(family);
        h
    }

    #[test]
    fn the_header_gives_channels_gain_and_family() {
        assert_eq!(
            OpusHead::parse(&head(2, -256 * 3, 0)).expect("head"),
            OpusHead {
                channels: 2,
                pre_skip: 312,
                gain_db: -3.0,
                mapping_family: 0
            }
        );
        assert!(OpusHead::parse(b"OpusHead").is_err(), "too short");
        assert!(OpusHead::parse(&head(1, 0, 0)[1..]).is_err(), "no magic");
        let mut v2 = head(1, 0, 0);
        v2[8] = 0x10;
        assert!(
            OpusHead::parse(&v2).is_err(),
            "a major version it does not know"
        );
    }
}
