//! Audio decoding shared by import (probe + full decode) and playout.
//!
//! Everything that reads audio goes through [`FileDecoder`], so the import check and the
//! player agree on what a file contains: the same codecs, the same error handling, the same
//! notion of "the whole audio of the file" (played to the real end, whatever the header says).

mod decode;

pub use decode::{AudioInfo, DecodeError, FileDecoder, NO_AUDIO_DECODED, SAMPLE_RATES};
