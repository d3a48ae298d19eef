//! Fills a station database with N synthetic as-run records (for `benches/export.sh`), and
//! optionally writes the same rows as a plain CSV for `sqlite3 .import`.
//!
//! `cargo run --release --example fill_log -- DB_DIR N [ROWS.csv]`
//!
//! The records look like a busy station's: two programs a day (intro, six items, outro),
//! four topics, five responsible units, Vietnamese titles, a few interrupted, failed and
//! skipped plays with reasons, an emergency now and then.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use loaxa::store::Store;

#[path = "../benches/support/store_fixture.rs"]
mod store_fixture;
use store_fixture::record;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fill_log DB_DIR N [ROWS.csv]";
    let dir = PathBuf::from(args.next().context(usage)?);
    let n: u64 = args.next().context(usage)?.parse().context(usage)?;
    let rows = args.next().map(PathBuf::from);
    let store = Store::open(&dir)?;
    let written = store.bulk_append_records((0..n).map(record))?;
    drop(store);
    if let Some(path) = rows {
        // The same rows as the export writes (English names, station times), for sqlite3.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let opts = loaxa::report::ExportOptions {
            lang: loaxa::report::Lang::En,
            ..Default::default()
        };
        let records = (0..n).map(|i| {
            let mut r = record(i);
            r.id = i + 1;
            Ok(r)
        });
        // Its header row (with the BOM) is skipped by `.import --skip 1`.
        loaxa::report::write_export(records, loaxa::report::ExportFormat::Csv, &opts, &mut out)?;
        out.flush()?;
    }
    eprintln!("{written} records appended to {}", dir.display());
    Ok(())
}
