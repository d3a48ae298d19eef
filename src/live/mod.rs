//! Live broadcast (phát trực tiếp) from the station PC's microphone or line-in (issue 16): the
//! capture so far; its airing comes next.

pub mod capture;

pub use capture::{Capture, CaptureError};
