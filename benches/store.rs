//! In-process cost of the store's paths (criterion): appending one as-run record the way the
//! daemon logs a play (chained and flushed), reading the log back record by record (what
//! exports and reports do), and opening a station database (what start-up waits for).
//! `cargo bench --bench store`; the whole-process comparisons (start-up to `READY=1`, CSV
//! export against `sqlite3`) are `benches/station.sh` and `benches/export.sh`. Results in
//! BENCHMARKS.md ("The store").

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use loaxa::store::{Store, StoreError};

#[path = "support/store_fixture.rs"]
mod store_fixture;
use store_fixture::{record, segment};

/// Opens `dir`, waiting for sled's I/O threads of a store just dropped to let go of it.
fn open_when_free(dir: &Path) -> Store {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(dir) {
            Ok(store) => return store,
            Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("open {}: {e}", dir.display()),
        }
    }
}

/// A store with `segments` library segments and `records` log records.
fn filled(segments: u64, records: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("new store");
    for i in 0..segments {
        let seg = segment(&store, i).expect("segment");
        store.insert_segment(&seg).expect("insert");
    }
    store
        .bulk_append_records((0..records).map(record))
        .expect("records");
    drop(store);
    dir
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("new store");
    let mut i = 0;
    c.bench_function("append_record (chained, flushed)", |b| {
        b.iter(|| {
            let mut r = record(i);
            i += 1;
            store.append_record(&mut r).expect("append")
        });
    });
}

fn read(c: &mut Criterion) {
    const RECORDS: u64 = 20_000;
    let dir = filled(0, RECORDS);
    let store = open_when_free(dir.path());
    let mut group = c.benchmark_group("read log");
    group.throughput(Throughput::Elements(RECORDS));
    group.bench_function("records_iter, 20 000 records", |b| {
        b.iter(|| {
            let mut played_ms = 0;
            for r in store.records_iter(None, None) {
                played_ms += r.expect("record").played_ms;
            }
            played_ms
        });
    });
    group.finish();
}

fn open(c: &mut Criterion) {
    let mut group = c.benchmark_group("open store");
    group.sample_size(20);
    for (segments, records) in [(10_000, 0), (10_000, 60_000)] {
        let dir = filled(segments, records);
        let label = format!("{segments} segments + {records} records");
        group.bench_with_input(BenchmarkId::from_parameter(label), &dir, |b, dir| {
            b.iter(|| drop(open_when_free(dir.path())));
        });
    }
    group.finish();
}

criterion_group!(benches, append, read, open);
criterion_main!(benches);
