//! Where exports and reports read from: the store's log, streamed, between two station days.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::model::AsRunRecord;
use crate::store::{Result, Store};

/// Midnight at the start of `day` in `tz`.
pub fn start_of_day(tz: Tz, day: NaiveDate) -> DateTime<FixedOffset> {
    let naive = day.and_time(NaiveTime::MIN);
    naive
        .and_local_timezone(tz)
        .earliest()
        .map_or_else(|| naive.and_utc().fixed_offset(), |t| t.fixed_offset())
}

/// The log records of station days `from..=to` (either bound open), in id order, one at a
/// time: the same selection as `loaxa log --from --to`.
pub fn records(
    store: &Store,
    tz: Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> impl Iterator<Item = Result<AsRunRecord>> + Send + 'static {
    let (from, to) = bounds(tz, from, to);
    store.records_iter(from, to)
}

/// Station days `from..=to` as the instants `[from, to)`.
pub fn bounds(
    tz: Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>) {
    let from = from.map(|d| start_of_day(tz, d));
    let to = to.and_then(|d| d.succ_opt()).map(|d| start_of_day(tz, d));
    (from, to)
}
