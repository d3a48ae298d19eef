//! Fills a station database with N synthetic library segments (for `benches/startup.sh` and
//! `benches/idle.sh`: a library of 10 000 news items), written one by one as `segment add`
//! writes them (each flushed).
//!
//! `cargo run --release --example fill_segments -- DB_DIR N`
//!
//! Only the database rows are made: no media files (the daemon does not open a segment's
//! file until it airs it).

use std::path::PathBuf;

use anyhow::{Context, Result};
use loaxa::store::Store;

#[path = "../benches/support/store_fixture.rs"]
mod store_fixture;
use store_fixture::segment;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fill_segments DB_DIR N";
    let dir = PathBuf::from(args.next().context(usage)?);
    let n: u64 = args.next().context(usage)?.parse().context(usage)?;
    let store = Store::open(&dir)?;
    for i in 0..n {
        store.insert_segment(&segment(&store, i)?)?;
    }
    eprintln!("{n} segments added to {}", dir.display());
    Ok(())
}
