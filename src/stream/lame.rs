//! MP3 encoding by LAME (Debian's `libmp3lame0`, linked dynamically: the library the
//! system keeps up to date, as for libopus). Constant bitrate, no Xing/LAME tag (a stream
//! has no end to write one at), no ID3 tag.
//!
//! The one other module with `unsafe` code besides `audio::opus`: the calls into LAME, each
//! with its safety argument; everything else stays under the crate's `unsafe_code = "deny"`.

#![allow(unsafe_code)]

use std::ffi::{c_float, c_int, c_uchar, c_void};
use std::ptr::NonNull;

#[repr(C)]
struct LameGlobalFlags {
    _private: [u8; 0],
}

/// `MPEG_mode` of `lame.h`.
const JOINT_STEREO: c_int = 1;
const MONO: c_int = 3;

#[link(name = "mp3lame")]
unsafe extern "C" {
    fn lame_init() -> *mut LameGlobalFlags;
    fn lame_close(gfp: *mut LameGlobalFlags) -> c_int;
    fn lame_set_in_samplerate(gfp: *mut LameGlobalFlags, rate: c_int) -> c_int;
    fn lame_set_out_samplerate(gfp: *mut LameGlobalFlags, rate: c_int) -> c_int;
    fn lame_set_num_channels(gfp: *mut LameGlobalFlags, channels: c_int) -> c_int;
    fn lame_set_mode(gfp: *mut LameGlobalFlags, mode: c_int) -> c_int;
    fn lame_set_brate(gfp: *mut LameGlobalFlags, kbps: c_int) -> c_int;
    fn lame_set_quality(gfp: *mut LameGlobalFlags, quality: c_int) -> c_int;
    fn lame_set_scale(gfp: *mut LameGlobalFlags, scale: c_float) -> c_int;
    fn lame_set_bWriteVbrTag(gfp: *mut LameGlobalFlags, write: c_int) -> c_int;
    fn lame_set_errorf(gfp: *mut LameGlobalFlags, f: *const c_void) -> c_int;
    fn lame_set_debugf(gfp: *mut LameGlobalFlags, f: *const c_void) -> c_int;
    fn lame_set_msgf(gfp: *mut LameGlobalFlags, f: *const c_void) -> c_int;
    fn lame_init_params(gfp: *mut LameGlobalFlags) -> c_int;
    fn lame_get_encoder_delay(gfp: *const LameGlobalFlags) -> c_int;
    fn lame_encode_buffer_ieee_float(
        gfp: *mut LameGlobalFlags,
        pcm_l: *const c_float,
        pcm_r: *const c_float,
        nsamples: c_int,
        mp3buf: *mut c_uchar,
        mp3buf_size: c_int,
    ) -> c_int;
    fn lame_encode_flush(gfp: *mut LameGlobalFlags, mp3buf: *mut c_uchar, size: c_int) -> c_int;
}

/// The bitrates MPEG-1 layer III allows (kbit/s); LAME takes these in CBR.
pub const BITRATES: &[u16] = &[
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
/// The sample rates the stream may be sent at (MPEG-1: 32, 44.1 and 48 kHz; MPEG-2: half).
pub const SAMPLE_RATES: &[u32] = &[16_000, 22_050, 24_000, 32_000, 44_100, 48_000];

/// The factor LAME 3.100's bitrate presets scale the input by (`abr_switch_map` in its
/// `presets.c`).
fn preset_scale(kbps: u16) -> f32 {
    match kbps {
        0..=176 => 0.95,
        177..=208 => 0.97,
        209..=240 => 0.98,
        _ => 1.0,
    }
}

/// What went wrong in LAME.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LameError {
    #[error("LAME cannot start an encoder (out of memory)")]
    Init,
    #[error(
        "LAME refuses the settings ({rate} Hz in, {out_rate} Hz out, {channels} channels, {kbps} kbit/s): code {code}"
    )]
    Params {
        rate: u32,
        out_rate: u32,
        channels: u16,
        kbps: u16,
        code: i32,
    },
    #[error("LAME failed to encode: code {0}")]
    Encode(i32),
}

/// One CBR MP3 encoder. Input is planar `f32` at full scale ±1.
pub struct Mp3Encoder {
    gfp: NonNull<LameGlobalFlags>,
    mono: bool,
}

// SAFETY: a LAME encoder has no thread affinity; all access goes through `&mut self`.
unsafe impl Send for Mp3Encoder {}

impl std::fmt::Debug for Mp3Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp3Encoder")
            .field("mono", &self.mono)
            .finish_non_exhaustive()
    }
}

impl Mp3Encoder {
    /// An encoder taking `in_rate` Hz and sending `out_rate` Hz at `kbps`, mono or joint
    /// stereo. LAME resamples when the rates differ.
    pub fn new(in_rate: u32, out_rate: u32, mono: bool, kbps: u16) -> Result<Self, LameError> {
        // SAFETY: lame_init has no preconditions; it returns null only when out of memory.
        let gfp = NonNull::new(unsafe { lame_init() }).ok_or(LameError::Init)?;
        let encoder = Mp3Encoder { gfp, mono };
        let p = gfp.as_ptr();
        let to_int = |v: u32| c_int::try_from(v).unwrap_or(c_int::MAX);
        // SAFETY: `p` is a live encoder from lame_init, not yet initialised; these setters
        // only store values (null report functions silence LAME's own printing to stderr).
        let code = unsafe {
            lame_set_errorf(p, std::ptr::null());
            lame_set_debugf(p, std::ptr::null());
            lame_set_msgf(p, std::ptr::null());
            lame_set_in_samplerate(p, to_int(in_rate));
            lame_set_out_samplerate(p, to_int(out_rate));
            lame_set_num_channels(p, if mono { 1 } else { 2 });
            lame_set_mode(p, if mono { MONO } else { JOINT_STEREO });
            lame_set_brate(p, c_int::from(kbps));
            // 5: LAME's "good quality, fast" (its default is 3, twice the CPU for a voice
            // station's needs).
            lame_set_quality(p, 5);
            // LAME's CBR/ABR presets multiply the input by 0.95–0.98 by bitrate (up to
            // −0.45 dB, headroom against decoders' clipping): undone, so the stream carries
            // what the card airs at its level (the station's limiter already keeps it under
            // its ceiling).
            lame_set_scale(p, 1.0 / preset_scale(kbps));
            lame_set_bWriteVbrTag(p, 0);
            lame_init_params(p)
        };
        if code < 0 {
            return Err(LameError::Params {
                rate: in_rate,
                out_rate,
                channels: if mono { 1 } else { 2 },
                kbps,
                code,
            });
        }
        Ok(encoder)
    }

    /// Frames of priming LAME puts before the first input frame (at the output rate).
    pub fn delay(&self) -> u32 {
        // SAFETY: a getter on a live, initialised encoder.
        let d = unsafe { lame_get_encoder_delay(self.gfp.as_ptr()) };
        u32::try_from(d).unwrap_or(0)
    }

    /// Encodes `left` (and `right`, ignored when mono; must be as long as `left`),
    /// appending whatever MP3 frames are complete to `out`.
    pub fn encode(
        &mut self,
        left: &[f32],
        right: &[f32],
        out: &mut Vec<u8>,
    ) -> Result<(), LameError> {
        let right = if self.mono || right.len() != left.len() {
            left
        } else {
            right
        };
        for (l, r) in left.chunks(8192).zip(right.chunks(8192)) {
            // lame.h: worst case 1.25 * samples + 7200 bytes.
            let room = l.len() * 5 / 4 + 7200;
            out.reserve(room);
            let spare = out.spare_capacity_mut();
            let size = c_int::try_from(spare.len().min(room)).unwrap_or(c_int::MAX);
            let n = c_int::try_from(l.len()).unwrap_or(0);
            // SAFETY: `l` and `r` hold `n` floats each; `spare` has `size` writable bytes,
            // which LAME does not exceed; it writes the returned count from their start.
            let written = unsafe {
                lame_encode_buffer_ieee_float(
                    self.gfp.as_ptr(),
                    l.as_ptr(),
                    r.as_ptr(),
                    n,
                    spare.as_mut_ptr().cast::<c_uchar>(),
                    size,
                )
            };
            let written = usize::try_from(written).map_err(|_| LameError::Encode(written))?;
            // SAFETY: LAME initialised `written` bytes of the spare capacity.
            unsafe { out.set_len(out.len() + written) };
        }
        Ok(())
    }

    /// Encodes what LAME still holds (padded to whole frames), appending it to `out`.
    pub fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), LameError> {
        out.reserve(7200);
        let spare = out.spare_capacity_mut();
        let size = c_int::try_from(spare.len()).unwrap_or(c_int::MAX);
        // SAFETY: `spare` has `size` writable bytes; LAME writes the returned count.
        let written = unsafe {
            lame_encode_flush(
                self.gfp.as_ptr(),
                spare.as_mut_ptr().cast::<c_uchar>(),
                size,
            )
        };
        let written = usize::try_from(written).map_err(|_| LameError::Encode(written))?;
        // SAFETY: LAME initialised `written` bytes of the spare capacity.
        unsafe { out.set_len(out.len() + written) };
        Ok(())
    }
}

impl Drop for Mp3Encoder {
    fn drop(&mut self) {
        // SAFETY: the encoder is live and closed once, here.
        unsafe {
            lame_close(self.gfp.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 kHz tone encoded and decoded again by symphonia (an independent decoder): the
    /// length and the tone's level survive.
    #[test]
    fn a_tone_encodes_to_mp3_that_decodes_to_the_same_tone() {
        let rate = 48_000;
        let tone: Vec<f32> = (0..rate * 2)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin())
            .collect();
        let mut enc = Mp3Encoder::new(rate, rate, true, 64).expect("encoder");
        let mut mp3 = Vec::new();
        enc.encode(&tone, &[], &mut mp3).expect("encode");
        enc.flush(&mut mp3).expect("flush");
        // 64 kbit/s for 2 s is 16 000 bytes, give or take a frame.
        assert!((15_000..17_500).contains(&mp3.len()), "{} bytes", mp3.len());
        let mut dec = crate::audio::FileDecoder::open_stream(
            "tone.mp3",
            Box::new(std::io::Cursor::new(mp3)),
            "mp3",
        )
        .expect("decodes");
        assert_eq!(dec.info().channels, 1);
        let mut decoded = Vec::new();
        while let Some(block) = dec.next_block().expect("decodes") {
            decoded.extend_from_slice(block);
        }
        let delay = enc.delay() as usize;
        assert!(
            decoded.len() >= tone.len(),
            "{} < {}",
            decoded.len(),
            tone.len()
        );
        let body = &decoded[delay + 4800..delay + tone.len() - 4800];
        let rms = (body.iter().map(|s| s * s).sum::<f32>() / body.len() as f32).sqrt();
        // At its level: within 0.05 dB (LAME's own presets would take 0.45 dB off).
        let db = 20.0 * (rms / (0.5 / 2f32.sqrt())).log10();
        assert!(db.abs() < 0.05, "the tone comes back {db:+.3} dB off");
    }
}
