//! `loaxa check`: validate everything a broadcast depends on, before it is due.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use super::fmt;
use crate::clock::{SharedClock, SystemClock};
use crate::config;
use crate::playlist::Entry;
use crate::service::{Catalog, Station, catalog::Import};
use crate::store::{Store, StoreError};
use crate::text;

pub fn check(path: &Path) -> Result<i32> {
    let config = match config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", text::message_for_terminal(&e.to_string()));
            return Ok(1);
        }
    };
    let mut problems = 0;
    for d in config::check_files(&config) {
        eprintln!("{}", text::message_for_terminal(&d.to_string()));
        problems += 1;
    }
    let clock: SharedClock = Arc::new(SystemClock);
    // While the daemon runs it holds the database: check against an empty one instead.
    let mut daemon_running = false;
    let station = match Station::open(config.clone(), clock.clone()) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.downcast_ref::<StoreError>(),
                Some(StoreError::Locked { .. })
            ) =>
        {
            outln!("note: the daemon is running; library segment ids are not checked");
            daemon_running = true;
            let media = crate::library::MediaStore::open(config.station.data_dir.join("media"))?;
            Station {
                config,
                store: Arc::new(Store::temporary()?),
                media,
                clock: clock.clone(),
            }
        }
        Err(e) => return Err(e),
    };
    let catalog = Catalog::load(&station, Import::No);
    for d in &catalog.diagnostics {
        eprintln!("{}", text::message_for_terminal(&d.to_string()));
        problems += 1;
    }
    for (file, reason) in catalog.file_problems() {
        eprintln!(
            "{}: error: cannot air: {}",
            fmt::safe(&file.display().to_string()),
            text::message_for_terminal(reason)
        );
        problems += 1;
    }
    for pl in catalog.playlists.values() {
        for entry in &pl.entries {
            if let Entry::Segment { id, line } = entry
                && !daemon_running
                && station.store.segment(*id)?.is_none()
            {
                eprintln!(
                    "{}:{line}: error: segment {id} is not in the library\n  hint: `loaxa segment list` shows the ids",
                    pl.path.display()
                );
                problems += 1;
            }
        }
    }
    if !daemon_running {
        for problem in station.library_problems()? {
            eprintln!("library: error: {problem}");
            problems += 1;
        }
    }
    outln!(
        "{}: {} program(s), {} playlist(s), timezone {}",
        path.display(),
        station.config.programs.len(),
        catalog.playlists.len(),
        station.tz()
    );
    for p in &station.config.programs {
        let next: Vec<String> = station.next_fires(p, 3).iter().map(fmt::time).collect();
        let state = if p.enabled { "" } else { " (disabled)" };
        outln!(
            "  {}{state}  `{}`  next: {}",
            p.name,
            p.cron,
            next.join(", ")
        );
    }
    if problems > 0 {
        eprintln!("{problems} problem(s) found");
        Ok(1)
    } else {
        outln!("ok");
        Ok(0)
    }
}
