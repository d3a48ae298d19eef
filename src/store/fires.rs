//! How far the daemon has accounted for the schedule, so fire times that pass while it is
//! down are found on the next start, and recorded once however often it restarts.

use chrono::{DateTime, Utc};

use super::{Result, Store, db_err};

const CHECKED_UNTIL: &[u8] = b"checked_until";

impl Store {
    /// Every fire time up to this instant has been dealt with (aired, logged or missed).
    pub fn checked_until(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .state
            .get(CHECKED_UNTIL)
            .map_err(db_err("reading the schedule position"))?
            .and_then(|v| std::str::from_utf8(&v).ok().map(str::to_string))
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    pub fn set_checked_until(&self, t: DateTime<Utc>) -> Result<()> {
        self.state
            .insert(CHECKED_UNTIL, t.to_rfc3339().as_bytes())
            .map_err(db_err("saving the schedule position"))?;
        self.flush()
    }

    /// Whether the fire of `program` at `at` already has its record (so a restart in the
    /// middle of writing misses does not write them twice).
    pub fn fire_accounted(&self, program: &str, at: DateTime<Utc>) -> Result<bool> {
        self.state
            .contains_key(fire_key(program, at))
            .map_err(db_err("reading accounted fires"))
    }

    pub fn mark_fire_accounted(&self, program: &str, at: DateTime<Utc>) -> Result<()> {
        self.state
            .insert(fire_key(program, at), &[])
            .map_err(db_err("saving accounted fires"))?;
        self.flush()
    }
}

fn fire_key(program: &str, at: DateTime<Utc>) -> Vec<u8> {
    format!("fire/{program}/{}", at.timestamp()).into_bytes()
}
