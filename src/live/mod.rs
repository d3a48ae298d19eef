//! Live broadcast (phát trực tiếp) from the station PC's microphone or line-in (issue 16):
//! the capture ([`capture`]) and its airing as a program item ([`air`]).

pub mod air;
pub mod capture;

pub use air::{AirCheck, LiveEnd, LiveHandle, LivePart, LiveReader, LiveSpec, PartReport};
pub use capture::{Capture, CaptureError};
