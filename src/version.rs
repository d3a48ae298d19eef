//! Which loaxa this is: its version and the day it was built (`build.rs`; `SOURCE_DATE_EPOCH`
//! makes the date reproducible). `loaxa --version`, the page's footer, `GET /station` and the
//! daemon's first log line all show these, so an operator reading any of them to a technician
//! names the same build.

/// The package version (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The build date, `YYYY-MM-DD` (UTC).
pub const BUILD_DATE: &str = env!("LOAXA_BUILD_DATE");

/// `0.1.0 (2026-05-01)`: what `loaxa --version` prints after the name.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LOAXA_BUILD_DATE"),
    ")"
);
