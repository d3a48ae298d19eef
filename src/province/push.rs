//! The station's side: store-and-forward of its broadcast log to the province.
//!
//! The local log stays the source of truth; the province gets a copy, in order, each record
//! once. Every push starts from the province's high-water mark (the last record it holds
//! for this station), so a station offline for days (a power cut, 4G down) sends what it
//! missed when it is back, in batches, and a push cut off halfway is simply done again:
//! records are keyed by (station, id) and a record already there is skipped — and checked to
//! be the same (same hash). Before sending, the record at the high-water mark is compared
//! with the local one: a province copy that is not this log's stops the push
//! ([`DbFault::Diverged`]) rather than mixing two logs.
//!
//! Only records that can no longer change are sent: every record but the last, which is
//! rewritten once when its play ends (see `store::asrun`), and the last one too once it is
//! settled (ended, or a record of something that never aired).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::db::{self, DbError, DbFault, DbUrl};
use crate::model::AsRunRecord;
use crate::store::Store;

/// Records sent in one statement by default.
pub const DEFAULT_BATCH: usize = 500;

/// Where and as whom the station pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: DbUrl,
    /// The commune's code at the province (`loaxa.stations.code`).
    pub station_code: String,
    /// Extra CA certificates (DER) the server's certificate may chain to.
    pub ca_certs: Vec<Vec<u8>>,
    pub batch: usize,
}

/// What the station says about itself every minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub station_time: DateTime<Utc>,
    pub station_name: String,
    /// The title of what is on air now.
    pub on_air: Option<String>,
    /// The status warnings' codes and parameters.
    pub warnings: serde_json::Value,
    /// `[topics]`: slug → label (the province report's labels).
    pub topics: serde_json::Value,
}

/// After a push: what the province holds and what is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    /// Records sent by this push.
    pub sent: u64,
    /// The last record the province holds for this station.
    pub province_has: u64,
    /// Settled records not yet at the province.
    pub unsent: u64,
}

/// A connection to the province and what is known of its copy.
pub struct Pusher {
    store: Arc<Store>,
    target: Target,
    client: Option<Client>,
    /// The province's last record for this station, and its hash (checked against ours).
    mark: Option<(u64, String)>,
    /// Segment id → sha256 of the JSON last sent (this connection's life).
    segments_sent: HashMap<u64, [u8; 32]>,
    /// Set when the province's copy is not this log: nothing is sent any more.
    diverged: Option<DbError>,
}

impl Pusher {
    pub fn new(store: Arc<Store>, target: Target) -> Pusher {
        Pusher {
            store,
            target,
            client: None,
            mark: None,
            segments_sent: HashMap::new(),
            diverged: None,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Whether a connection is open.
    pub fn connected(&self) -> bool {
        self.client.as_ref().is_some_and(|c| !c.is_closed())
    }

    /// Forgets the connection (the next call connects again).
    pub fn disconnect(&mut self) {
        self.client = None;
        self.mark = None;
    }

    /// The last settled record of the local log (see the module's words).
    pub fn settled_end(&self) -> Result<u64, DbError> {
        let last = self.store.last_record().map_err(local)?;
        Ok(match last {
            None => 0,
            Some(r) if r.started_at.is_some() && r.ended_at.is_none() => r.id - 1,
            Some(r) => r.id,
        })
    }

    /// Settled records the province does not hold yet (as far as last seen).
    pub fn unsent(&self) -> u64 {
        let has = self.mark.as_ref().map_or(0, |(id, _)| *id);
        self.settled_end().unwrap_or(0).saturating_sub(has)
    }

    async fn client(&mut self) -> Result<&Client, DbError> {
        if !self.connected() {
            self.client = None;
            self.mark = None;
            let client = db::connect(&self.target.url, &self.target.ca_certs).await?;
            let version = db::schema_version(&client).await?;
            if version < 1 {
                return Err(DbError::new(
                    DbFault::SchemaMissing,
                    "the database has no loaxa schema (run `loaxa province migrate`)",
                ));
            }
            let registered = client
                .query_opt(
                    "SELECT code FROM loaxa.stations WHERE code = $1",
                    &[&self.target.station_code],
                )
                .await?;
            if registered.is_none() {
                return Err(DbError::new(
                    DbFault::NotRegistered,
                    format!(
                        "station `{}` is not registered for login `{}`",
                        self.target.station_code,
                        self.target.url.user()
                    ),
                ));
            }
            self.segments_sent.clear();
            self.client = Some(client);
        }
        self.client
            .as_ref()
            .ok_or_else(|| DbError::new(DbFault::Unreachable, "not connected"))
    }

    /// Connects (the login, the schema, the station's registration) and reads the last
    /// record the province holds for this station, sending nothing (`loaxa check`).
    pub async fn probe(&mut self) -> Result<u64, DbError> {
        let code = self.target.station_code.clone();
        let result = async {
            let row = self
                .client()
                .await?
                .query_one(
                    "SELECT coalesce(max(id), 0) FROM loaxa.records WHERE station = $1",
                    &[&code],
                )
                .await?;
            Ok(u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0))
        }
        .await;
        if result.is_err() {
            self.disconnect();
        }
        result
    }

    /// Reads the province's high-water mark and checks it against the local log.
    async fn read_mark(&mut self) -> Result<(u64, String), DbError> {
        if let Some(m) = &self.mark {
            return Ok(m.clone());
        }
        let code = self.target.station_code.clone();
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id, hash FROM loaxa.records WHERE station = $1 ORDER BY id DESC LIMIT 1",
                &[&code],
            )
            .await?;
        let mark = match row {
            None => (0, String::new()),
            Some(row) => {
                let id: i64 = row.try_get(0)?;
                let hash: String = row.try_get(1)?;
                let id = u64::try_from(id).unwrap_or(0);
                self.check_same(id, &hash)?;
                (id, hash)
            }
        };
        self.mark = Some(mark.clone());
        Ok(mark)
    }

    /// The province's record `id` has `hash`: it must be this log's record `id`.
    fn check_same(&mut self, id: u64, hash: &str) -> Result<(), DbError> {
        let ours = self.store.record(id).map_err(local)?;
        let problem = match ours {
            None => Some(format!(
                "the province holds record {id} of station `{}`, but this station's log has no record {id}",
                self.target.station_code
            )),
            Some(r) if r.hash != hash => Some(format!(
                "record {id} of station `{}` differs: the province holds hash {hash}, this station's log {}",
                self.target.station_code, r.hash
            )),
            Some(_) => None,
        };
        match problem {
            Some(detail) => {
                let e = DbError::new(DbFault::Diverged, detail);
                self.diverged = Some(e.clone());
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Sends every settled record the province lacks, in id order, `batch` at a time, then
    /// the library facts that changed. A failure leaves what was sent sent; the next push
    /// goes on from there.
    pub async fn push(&mut self) -> Result<Pushed, DbError> {
        if let Some(e) = &self.diverged {
            return Err(e.clone());
        }
        let result = self.push_inner().await;
        if let Err(e) = &result
            && !matches!(e.fault, DbFault::Diverged)
        {
            // A statement cut off: the connection may be dead; connect again next time.
            self.disconnect();
        }
        result
    }

    async fn push_inner(&mut self) -> Result<Pushed, DbError> {
        let (mut has, _) = self.read_mark().await?;
        let end = self.settled_end()?;
        let mut sent = 0;
        while has < end {
            let last = end.min(has + self.target.batch.max(1) as u64);
            let records = self.store.records_range(has + 1, last).map_err(local)?;
            if records.is_empty() {
                break;
            }
            let n = self.send_records(&records).await?;
            sent += n;
            let tail = &records[records.len() - 1];
            has = tail.id;
            self.mark = Some((tail.id, tail.hash.clone()));
        }
        self.send_segments().await?;
        Ok(Pushed {
            sent,
            province_has: has,
            unsent: end.saturating_sub(has),
        })
    }

    /// One statement; records already there are skipped, and checked to be ours.
    async fn send_records(&mut self, records: &[AsRunRecord]) -> Result<u64, DbError> {
        let mut ids = Vec::with_capacity(records.len());
        let mut ats = Vec::with_capacity(records.len());
        let mut hashes = Vec::with_capacity(records.len());
        let mut prevs = Vec::with_capacity(records.len());
        let mut bodies = Vec::with_capacity(records.len());
        for r in records {
            ids.push(i64::try_from(r.id).unwrap_or(i64::MAX));
            ats.push(r.started_at.unwrap_or(r.scheduled_at).with_timezone(&Utc));
            hashes.push(r.hash.clone());
            prevs.push(r.prev_hash.clone());
            bodies.push(serde_json::to_string(r).unwrap_or_default());
        }
        let code = self.target.station_code.clone();
        let client = self.client().await?;
        let inserted = client
            .execute(
                "INSERT INTO loaxa.records (station, id, at, hash, prev_hash, record) \
                 SELECT $1, r.id, r.at, r.hash, r.prev_hash, r.body::jsonb \
                 FROM unnest($2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) \
                      AS r(id, at, hash, prev_hash, body) \
                 ON CONFLICT (station, id) DO NOTHING",
                &[&code, &ids, &ats, &hashes, &prevs, &bodies],
            )
            .await?;
        if inserted < records.len() as u64 {
            // Some were there already (another push of this log got there first): they
            // must be the same records.
            let rows = client
                .query(
                    "SELECT id, hash FROM loaxa.records WHERE station = $1 AND id = ANY($2)",
                    &[&code, &ids],
                )
                .await?;
            let theirs = rows
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<HashMap<i64, String>, tokio_postgres::Error>>()?;
            for (id, hash) in ids.iter().zip(&hashes) {
                if theirs.get(id).is_some_and(|h| h != hash) {
                    let their = theirs.get(id).cloned().unwrap_or_default();
                    self.check_same(u64::try_from(*id).unwrap_or(0), &their)?;
                }
            }
        }
        Ok(inserted)
    }

    /// The library's segments whose facts changed since last sent (all of them after a
    /// new connection; the province keeps what it had when nothing changed).
    async fn send_segments(&mut self) -> Result<(), DbError> {
        let segments = self.store.segments().map_err(local)?;
        let mut changed = Vec::new();
        for s in segments {
            let body = serde_json::to_string(&s).unwrap_or_default();
            let digest: [u8; 32] = Sha256::digest(body.as_bytes()).into();
            if self.segments_sent.get(&s.id.0) != Some(&digest) {
                changed.push((s, body, digest));
            }
        }
        for chunk in changed.chunks(self.target.batch.max(1)) {
            let ids: Vec<i64> = chunk
                .iter()
                .map(|(s, ..)| i64::try_from(s.id.0).unwrap_or(i64::MAX))
                .collect();
            let sha: Vec<&str> = chunk.iter().map(|(s, ..)| s.sha256.as_str()).collect();
            let titles: Vec<&str> = chunk.iter().map(|(s, ..)| s.title.as_str()).collect();
            let topics: Vec<&str> = chunk.iter().map(|(s, ..)| s.topic.as_str()).collect();
            let units: Vec<Option<&str>> = chunk.iter().map(|(s, ..)| s.unit.as_deref()).collect();
            let bodies: Vec<&str> = chunk.iter().map(|(_, b, _)| b.as_str()).collect();
            let code = self.target.station_code.clone();
            self.client()
                .await?
                .execute(
                    "INSERT INTO loaxa.segments (station, id, sha256, title, topic, unit, segment) \
                     SELECT $1, s.id, s.sha256, s.title, s.topic, s.unit, s.body::jsonb \
                     FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                          AS s(id, sha256, title, topic, unit, body) \
                     ON CONFLICT (station, id) DO UPDATE SET sha256 = EXCLUDED.sha256, \
                          title = EXCLUDED.title, topic = EXCLUDED.topic, unit = EXCLUDED.unit, \
                          segment = EXCLUDED.segment, updated_at = now() \
                     WHERE loaxa.segments.segment IS DISTINCT FROM EXCLUDED.segment",
                    &[&code, &ids, &sha, &titles, &topics, &units, &bodies],
                )
                .await?;
            for (s, _, digest) in chunk {
                self.segments_sent.insert(s.id.0, *digest);
            }
        }
        Ok(())
    }

    /// The station's heartbeat row: seen now (the province's clock), with what it says.
    pub async fn heartbeat(&mut self, beat: &Heartbeat) -> Result<(), DbError> {
        let result = self.heartbeat_inner(beat).await;
        if result.is_err() {
            self.disconnect();
        }
        result
    }

    async fn heartbeat_inner(&mut self, beat: &Heartbeat) -> Result<(), DbError> {
        let last = i64::try_from(self.store.next_record_id().saturating_sub(1)).unwrap_or(0);
        let unsent = i64::try_from(self.unsent()).unwrap_or(0);
        let code = self.target.station_code.clone();
        let version = env!("CARGO_PKG_VERSION");
        self.client()
            .await?
            .execute(
                "INSERT INTO loaxa.heartbeats (station, seen_at, station_time, version, \
                     station_name, on_air, warnings, topics, last_record, unsent) \
                 VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (station) DO UPDATE SET seen_at = now(), \
                     station_time = EXCLUDED.station_time, version = EXCLUDED.version, \
                     station_name = EXCLUDED.station_name, on_air = EXCLUDED.on_air, \
                     warnings = EXCLUDED.warnings, topics = EXCLUDED.topics, \
                     last_record = EXCLUDED.last_record, unsent = EXCLUDED.unsent",
                &[
                    &code,
                    &beat.station_time,
                    &version,
                    &beat.station_name,
                    &beat.on_air,
                    &beat.warnings,
                    &beat.topics,
                    &last,
                    &unsent,
                ],
            )
            .await?;
        Ok(())
    }
}

/// The extra CA certificates of a PEM file (`[province] ca_file`; none when unset), as DER.
pub fn ca_certs(path: Option<&std::path::Path>) -> Result<Vec<Vec<u8>>, DbError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let certs: Result<Vec<CertificateDer<'static>>, _> =
        CertificateDer::pem_file_iter(path).and_then(|it| it.collect());
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(certs.into_iter().map(|c| c.to_vec()).collect()),
        Ok(_) => Err(DbError::new(
            DbFault::Tls,
            format!("{} holds no PEM certificate", path.display()),
        )),
        Err(e) => Err(DbError::new(
            DbFault::Tls,
            format!("reading the CA certificates in {}: {e}", path.display()),
        )),
    }
}

/// A failure of the local store while pushing (the log cannot be read).
fn local(e: crate::store::StoreError) -> DbError {
    DbError::new(DbFault::Other, format!("reading this station's log: {e}"))
}

/// What the station's link to the province is doing (the status, `loaxa now`, the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Connecting for the first time since start.
    Connecting,
    /// Every settled record is at the province.
    UpToDate,
    /// Records are being sent.
    Sending,
    /// The last try failed; another follows.
    Retrying,
    /// Nothing is sent until someone looks (the province's copy is not this log).
    Stopped,
}

/// The link's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    pub station_code: String,
    /// The address without its password.
    pub url: String,
    pub phase: Phase,
    /// The last record the province holds for this station.
    pub province_has: u64,
    /// Settled records not at the province yet.
    pub unsent: u64,
    /// The last time the province answered.
    pub last_contact: Option<DateTime<Utc>>,
    /// Failing since (the first failure of the current run of them).
    pub failing_since: Option<DateTime<Utc>>,
    pub error: Option<DbError>,
}
