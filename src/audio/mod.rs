//! Audio decoding shared by import (probe + full decode) and playout, and the loudness
//! arithmetic both sides share.
//!
//! Everything that reads audio goes through [`FileDecoder`], so the import check and the
//! player agree on what a file contains: the same codecs, the same error handling, the same
//! notion of "the whole audio of the file" (played to the real end, whatever the header says).
//! [`LoudnessMeter`] measures a file while import decodes it; [`playout_gain`] turns the
//! measurement and the station's `[audio]` settings into the gain the player applies.

mod decode;
mod gain;
mod leveller;
mod loudness;
mod open;
mod opus;
mod packets;

pub use decode::{AudioInfo, DecodeError, FileDecoder, NO_AUDIO_DECODED, SAMPLE_RATES};
pub use gain::{LevelSettings, MAX_NORMALISATION_DB, PlayoutGain, SegmentLevel, playout_gain};
pub(crate) use leveller::Leveller;
pub use loudness::{
    Loudness, LoudnessMeter, SoundSpan, TRIM_MARGIN_MS, db_to_linear, linear_to_db,
};
