//! The operator's operations, in one place: the CLI calls these today, the HTTP API and the
//! web page will call the same functions tomorrow. Nothing here prints; results are values.

mod bulletin;
pub mod catalog;
mod edit;
mod emergency;
mod error;
mod inbox;
mod log;
pub mod ops;
mod planner;
mod queue;
mod segments;
mod timetable;
mod verdict;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::library::MediaStore;
use crate::store::Store;

pub use bulletin::{AddStatus, TextAdded, TextBulletin};
pub use catalog::Catalog;
pub use edit::SegmentPatch;
pub use emergency::{check_repeat, first_repeat, next_slot, repeat_problem};
pub use error::{Refusal, error_code};
pub use inbox::{InboxView, QuarantinedView, Taken};
pub use log::{LogQuery, with_coded_reason};
pub use segments::{AddOutcome, SegmentMeta};
pub use timetable::{NotAiredEntry, PlannedEntry, ScheduledProgram, Warning};
pub use verdict::{AirToday, PeriodChoice, SegmentView};

/// An open station: its config, database and media folder.
#[derive(Debug)]
pub struct Station {
    pub config: Config,
    pub store: Arc<Store>,
    pub media: MediaStore,
    pub clock: SharedClock,
}

impl Station {
    /// Opens the database and media store under the config's `data_dir`.
    pub fn open(config: Config, clock: SharedClock) -> Result<Station> {
        let data = &config.station.data_dir;
        std::fs::create_dir_all(data)
            .with_context(|| format!("creating the data folder {}", data.display()))?;
        let store = Store::open(&data.join("db"))?;
        let media = MediaStore::open(data.join("media"))
            .with_context(|| format!("opening the media folder in {}", data.display()))?;
        // Holding the database, nobody else can be uploading: what is there was cut off.
        let uploads = data.join("uploads");
        match crate::library::sweep(&uploads, crate::library::UPLOAD_PREFIX) {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(files = n, folder = %uploads.display(), "removed uploads a stop cut off")
            }
            Err(e) => {
                tracing::warn!(folder = %uploads.display(), error = %e, "cannot sweep cut-off uploads")
            }
        }
        Ok(Station {
            config,
            store: Arc::new(store),
            media,
            clock,
        })
    }

    /// The station's time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.config.station.timezone
    }

    /// `t` as the station's local time with its offset (how the log shows times).
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.tz()).fixed_offset()
    }

    /// Today's date at the station.
    pub fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.tz()).date_naive()
    }

    /// Where a segment's audio lives.
    pub fn media_path(&self, media_file: &str) -> PathBuf {
        self.media.path_of(media_file)
    }

    /// Midnight at the start of `day`, station time.
    pub fn start_of_day(&self, day: NaiveDate) -> DateTime<FixedOffset> {
        let naive = day.and_time(chrono::NaiveTime::MIN);
        naive
            .and_local_timezone(self.tz())
            .earliest()
            .map_or_else(|| naive.and_utc().fixed_offset(), |t| t.fixed_offset())
    }
}

impl Station {
    /// As-run records of the station days `from..=to` (either bound open), in id order.
    pub fn log(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<crate::model::AsRunRecord>> {
        let (from, to) = self.day_bounds(from, to);
        Ok(self.store.records(from, to)?)
    }

    /// The instants `[from, to)` of the station days `from..=to` (either bound open).
    pub fn day_bounds(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>) {
        let from = from.map(|d| self.start_of_day(d));
        let to = to.and_then(|d| d.succ_opt()).map(|d| self.start_of_day(d));
        (from, to)
    }
}
