//! The province's side: what `loaxa province status` and `loaxa province report` read from
//! the central database. Every station's chain is verified here again, from record 1, with
//! the station's own hashing (`store::chain`): a record altered in the database (or at the
//! station after it was sent) is named by station and id.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use tokio_postgres::Client;

use super::db::DbError;
use crate::model::{AsRunRecord, Outcome};
use crate::report::{self, Period, ReportMeta, StationFigures};
use crate::store::ChainReport;
use crate::store::chain::{self, ChainBreak, Problem};

/// A registered station and its last heartbeat.
#[derive(Debug, Clone, Serialize)]
pub struct StationRow {
    pub code: String,
    pub name: String,
    pub beat: Option<Beat>,
}

/// A station's heartbeat row.
#[derive(Debug, Clone, Serialize)]
pub struct Beat {
    pub seen_at: DateTime<Utc>,
    pub station_time: DateTime<Utc>,
    pub version: String,
    pub station_name: String,
    pub on_air: Option<String>,
    pub warnings: serde_json::Value,
    pub topics: serde_json::Value,
    pub last_record: u64,
    pub unsent: u64,
}

/// One line of `loaxa province status`.
#[derive(Debug, Clone, Serialize)]
pub struct StationStatus {
    pub code: String,
    pub name: String,
    pub last_seen: Option<DateTime<Utc>>,
    /// Heard from within [`report::NOT_REPORTING_AFTER`].
    pub reporting: bool,
    pub on_air: Option<String>,
    pub version: Option<String>,
    /// The station's warnings at its last heartbeat (as its status had them).
    pub warnings: Vec<serde_json::Value>,
    /// Records the province holds for it.
    pub held: u64,
    /// The last of them.
    pub last_record: u64,
    /// How many records the station has that the province does not (from its heartbeat).
    pub behind: Option<u64>,
    pub chain: ChainReport,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The registered stations, by code, with their heartbeats.
pub async fn stations(client: &Client) -> Result<Vec<StationRow>, DbError> {
    let rows = client
        .query(
            "SELECT s.code, s.name, h.seen_at, h.station_time, h.version, h.station_name, \
                    h.on_air, h.warnings, h.topics, h.last_record, h.unsent \
             FROM loaxa.stations s LEFT JOIN loaxa.heartbeats h ON h.station = s.code \
             ORDER BY s.code",
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let seen: Option<DateTime<Utc>> = row.try_get(2)?;
            let beat = match seen {
                None => None,
                Some(seen_at) => Some(Beat {
                    seen_at,
                    station_time: row.try_get(3)?,
                    version: row.try_get(4)?,
                    station_name: row.try_get(5)?,
                    on_air: row.try_get(6)?,
                    warnings: row.try_get(7)?,
                    topics: row.try_get(8)?,
                    last_record: count(row.try_get(9)?),
                    unsent: count(row.try_get(10)?),
                }),
            };
            Ok(StationRow {
                code: row.try_get(0)?,
                name: row.try_get(1)?,
                beat,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
        .map_err(DbError::from)
}

/// A station's records at the province, in id order, its chain verified.
pub struct Held {
    pub records: Vec<AsRunRecord>,
    pub chain: ChainReport,
}

/// Reads and verifies every record the province holds for `code`.
pub async fn held(client: &Client, code: &str) -> Result<Held, DbError> {
    let rows = client
        .query(
            "SELECT id, hash, record::text FROM loaxa.records WHERE station = $1 ORDER BY id",
            &[&code],
        )
        .await?;
    let entries = rows
        .iter()
        .map(|row| Ok((count(row.try_get(0)?), row.try_get(1)?, row.try_get(2)?)))
        .collect::<Result<Vec<(u64, String, String)>, tokio_postgres::Error>>()?;
    let mut chain =
        chain::verify_entries(entries.iter().map(|(id, _, body)| (*id, body.as_bytes())));
    let mut records = Vec::with_capacity(entries.len());
    for (id, column, body) in &entries {
        let Ok(rec) = serde_json::from_str::<AsRunRecord>(body) else {
            // The chain walk named it already.
            continue;
        };
        // The hash column is what the station's next push compares with: it must be the
        // record's own.
        if chain.broken.is_none() && rec.hash != *column {
            chain.broken = Some(ChainBreak {
                id: *id,
                problem: Problem::ContentChanged {
                    stored: column.clone(),
                    recomputed: rec.hash.clone(),
                },
            });
        }
        records.push(rec);
    }
    Ok(Held { records, chain })
}

fn warning_list(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn name_of(s: &StationRow) -> String {
    match &s.beat {
        Some(b) if s.name.is_empty() => b.station_name.clone(),
        _ => s.name.clone(),
    }
}

/// Every station's state at `now`.
pub async fn status(client: &Client, now: DateTime<Utc>) -> Result<Vec<StationStatus>, DbError> {
    let mut out = Vec::new();
    for s in stations(client).await? {
        let held = held(client, &s.code).await?;
        let last_record = held.records.last().map_or(0, |r| r.id);
        out.push(StationStatus {
            name: name_of(&s),
            last_seen: s.beat.as_ref().map(|b| b.seen_at),
            reporting: s
                .beat
                .as_ref()
                .is_some_and(|b| now - b.seen_at <= report::NOT_REPORTING_AFTER),
            on_air: s.beat.as_ref().and_then(|b| b.on_air.clone()),
            version: s.beat.as_ref().map(|b| b.version.clone()),
            warnings: s
                .beat
                .as_ref()
                .map(|b| warning_list(&b.warnings))
                .unwrap_or_default(),
            held: held.records.len() as u64,
            last_record,
            behind: s
                .beat
                .as_ref()
                .map(|b| b.last_record.saturating_sub(last_record).max(b.unsent)),
            chain: held.chain,
            code: s.code,
        });
    }
    Ok(out)
}

/// The province report of `period` at `now`, `generated_at` in the province's time.
pub async fn province_report(
    client: &Client,
    period: Period,
    now: DateTime<Utc>,
    generated_at: DateTime<FixedOffset>,
) -> Result<report::ProvinceReport, DbError> {
    let mut figures = Vec::new();
    for s in stations(client).await? {
        let held = held(client, &s.code).await?;
        let last_broadcast = held
            .records
            .iter()
            .filter(|r| r.outcome == Outcome::Completed && report::is_content(r))
            .filter_map(|r| r.started_at)
            .max();
        let topics: BTreeMap<String, String> = s
            .beat
            .as_ref()
            .and_then(|b| serde_json::from_value(b.topics.clone()).ok())
            .unwrap_or_default();
        let name = name_of(&s);
        let meta = ReportMeta {
            station: name.clone(),
            period,
            topics,
            generated_at,
        };
        let held_count = held.records.len() as u64;
        figures.push(StationFigures {
            report: report::summarise(held.records, meta),
            code: s.code,
            name,
            held: held_count,
            last_seen: s.beat.as_ref().map(|b| b.seen_at),
            last_broadcast,
            chain: held.chain,
        });
    }
    Ok(report::province_report(period, generated_at, figures, now))
}

/// Registers station `code` (`name`) logging in as `login` with `password`: the login
/// role (member of `loaxa_station`, so row-level security keeps it to its own rows) and its
/// row. Run by the database's owner. An existing login gets the new password.
pub async fn add_station(
    client: &mut Client,
    code: &str,
    name: &str,
    login: &str,
    password: &str,
) -> Result<(), DbError> {
    let tx = client.transaction().await?;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&login])
        .await?
        .is_some();
    // Identifiers and passwords cannot be bound parameters in CREATE ROLE: quoted here.
    let role = quote_ident(login);
    let secret = quote_literal(password);
    if exists {
        tx.batch_execute(&format!("ALTER ROLE {role} LOGIN PASSWORD {secret}"))
            .await?;
    } else {
        tx.batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD {secret}"))
            .await?;
    }
    tx.batch_execute(&format!("GRANT loaxa_station TO {role}"))
        .await?;
    tx.execute(
        "INSERT INTO loaxa.stations (code, name, login) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, login = EXCLUDED.login",
        &[&code, &name, &login],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `"name"` with inner quotes doubled.
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled (standard_conforming_strings is on since 9.1).
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether `code` can be a station's code (`[a-z0-9][a-z0-9_-]{0,47}`, as the schema
/// checks).
pub fn code_ok(code: &str) -> bool {
    let b = code.as_bytes();
    (1..=48).contains(&b.len())
        && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}
