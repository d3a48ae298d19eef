//! The as-run log's tamper evidence: every record carries the hash of the record before it.
//!
//! `hash = sha256(canonical(record))`, lower-case hex, where the canonical encoding is a
//! 15-byte tag naming its version followed by compact JSON of the record's fields in a fixed
//! order written out below (not the struct's order, so moving or adding a field to the struct
//! cannot silently change old hashes), times as RFC 3339 with nanoseconds and the record's own
//! offset, enums by their stored names, strings exactly as stored, levels as JSON numbers
//! (rounded to 0.1, so they read back bit for bit). `prev_hash` and `id` are inside, so a
//! record moved, renumbered or taken from another log breaks its link.
//!
//! Each record says which version hashed it (`hash_version`, 1 when absent) and is verified
//! with that one, so old logs still verify:
//! - `loaxa.asrun.v1\n` + `CanonicalV1`: every field of records written before the levels
//!   existed. A v1 record that carries levels is a break: v1 does not cover them.
//! - `loaxa.asrun.v2\n` + `CanonicalV2`: v1's fields in v1's order, then `hash_version` and
//!   the proof-of-air fields (`peak_dbfs`, `loudness_lufs`, `audible_ms`, `silent`).
//! - `loaxa.asrun.v3\n` + `CanonicalV3`: v2's fields in v2's order, then `relay` (a relay's
//!   proof, `null` for every other item; its fields in the order of
//!   [`crate::relay::RelayProof`]).
//! - `loaxa.asrun.v4\n` + `CanonicalV4`: v3's fields in v3's order, then `live` (a live
//!   airing's proof, `null` for every other item; its fields in the order of
//!   [`crate::model::LiveProof`]).
//! - `loaxa.asrun.v5\n` + `CanonicalV5`: v4's fields in v4's order, then `streams` (what
//!   each stream output carried: `[]` without streams; each entry's fields in the order of
//!   [`crate::stream::StreamCarriage`], `other_zone` only when true).
//! - `loaxa.asrun.v6\n` + `CanonicalV6`: v5's fields in v5's order, then `source` (where an
//!   inbound bulletin came from, `null` for the station's own items; its fields in the order
//!   of [`crate::model::InboundOrigin`]). The store writes every new record in this version
//!   ([`HASH_VERSION`]).
//!
//! Golden tests pin the bytes of each version; a test fails when `AsRunRecord` grows a field
//! the current version does not cover (then write `v3` and keep the others for old records).
//!
//! Record 1 links to [`GENESIS`]. Records written before the chain existed (empty `hash`) form
//! an unprotected prefix: the first chained record links to the hash the last of them *would*
//! have, so that one is covered, the ones before it are only counted. An unchained record
//! after a chained one is a break (a stripped hash).
//!
//! What the chain cannot see on its own: a rewrite of the whole log with recomputed hashes, or
//! the last records cut off. Both are caught against a hash kept outside the station ([`Anchor`]:
//! printed by `loaxa log verify`, copied into the report sent to the district, given back with
//! `--expect RECORD:HASH`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::from_be;
use super::{Result, Store, db_err};
use crate::model::{AsRunRecord, Outcome, Priority, Role, Trigger};

/// `prev_hash` of record 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain tags: the encoding's name and version.
const TAG_V1: &[u8] = b"loaxa.asrun.v1\n";
const TAG_V2: &[u8] = b"loaxa.asrun.v2\n";
const TAG_V3: &[u8] = b"loaxa.asrun.v3\n";
const TAG_V4: &[u8] = b"loaxa.asrun.v4\n";
const TAG_V5: &[u8] = b"loaxa.asrun.v5\n";
const TAG_V6: &[u8] = b"loaxa.asrun.v6\n";

/// The encoding the store hashes new records with.
pub const HASH_VERSION: u8 = 6;

/// The hashed view of a record, version 1. Field order here is the encoding's order.
#[derive(Serialize)]
struct CanonicalV1<'a> {
    id: u64,
    prev_hash: &'a str,
    program: &'a str,
    trigger: Trigger,
    role: Role,
    scheduled_at: String,
    started_at: Option<String>,
    ended_at: Option<String>,
    played_ms: u64,
    segment_id: Option<u64>,
    title: &'a str,
    topic: &'a str,
    unit: Option<&'a str>,
    sha256: &'a str,
    outcome: Outcome,
    reason: Option<&'a str>,
    output: &'a str,
    priority: Priority,
    approved_by: Option<&'a str>,
    approved_at: Option<String>,
}

/// The hashed view of a record, version 2: version 1's fields, then the proof of air.
#[derive(Serialize)]
struct CanonicalV2<'a> {
    #[serde(flatten)]
    v1: CanonicalV1<'a>,
    hash_version: u8,
    peak_dbfs: Option<f64>,
    loudness_lufs: Option<f64>,
    audible_ms: Option<u64>,
    silent: bool,
}

/// The hashed view of a record, version 3: version 2's fields, then a relay's proof.
#[derive(Serialize)]
struct CanonicalV3<'a> {
    #[serde(flatten)]
    v2: CanonicalV2<'a>,
    relay: Option<&'a crate::relay::RelayProof>,
}

/// The hashed view of a record, version 4: version 3's fields, then a live airing's proof.
#[derive(Serialize)]
struct CanonicalV4<'a> {
    #[serde(flatten)]
    v3: CanonicalV3<'a>,
    live: Option<&'a crate::model::LiveProof>,
}

/// The hashed view of a record, version 5: version 4's fields, then the stream outputs'
/// carriage.
#[derive(Serialize)]
struct CanonicalV5<'a> {
    #[serde(flatten)]
    v4: CanonicalV4<'a>,
    streams: &'a [crate::stream::StreamCarriage],
}

/// The hashed view of a record, version 6: version 5's fields, then where an inbound
/// bulletin came from.
#[derive(Serialize)]
struct CanonicalV6<'a> {
    #[serde(flatten)]
    v5: CanonicalV5<'a>,
    source: Option<&'a crate::model::InboundOrigin>,
}

fn time(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)
}

/// The bytes that are hashed (`record.hash` is not part of them), in the version the record
/// names; a version this loaxa does not know is encoded as the current one (never the case
/// for a record it wrote; `verify_chain` reports such a record before hashing it).
pub fn canonical(r: &AsRunRecord) -> Vec<u8> {
    // Strings, numbers and enums only: serialising cannot fail.
    if r.hash_version == 1 {
        let mut out = TAG_V1.to_vec();
        serde_json::to_writer(&mut out, &v1(r)).unwrap_or_default();
        return out;
    }
    let v2 = CanonicalV2 {
        v1: v1(r),
        hash_version: r.hash_version,
        peak_dbfs: r.peak_dbfs,
        loudness_lufs: r.loudness_lufs,
        audible_ms: r.audible_ms,
        silent: r.silent,
    };
    let mut out;
    if r.hash_version == 2 {
        out = TAG_V2.to_vec();
        serde_json::to_writer(&mut out, &v2).unwrap_or_default();
        return out;
    }
    let v3 = CanonicalV3 {
        v2,
        relay: r.relay.as_ref(),
    };
    if r.hash_version == 3 {
        out = TAG_V3.to_vec();
        serde_json::to_writer(&mut out, &v3).unwrap_or_default();
        return out;
    }
    let v4 = CanonicalV4 {
        v3,
        live: r.live.as_ref(),
    };
    if r.hash_version == 4 {
        out = TAG_V4.to_vec();
        serde_json::to_writer(&mut out, &v4).unwrap_or_default();
        return out;
    }
    let v5 = CanonicalV5 {
        v4,
        streams: &r.streams,
    };
    if r.hash_version == 5 {
        out = TAG_V5.to_vec();
        serde_json::to_writer(&mut out, &v5).unwrap_or_default();
    } else {
        out = TAG_V6.to_vec();
        let view = CanonicalV6 {
            v5,
            source: r.source.as_ref(),
        };
        serde_json::to_writer(&mut out, &view).unwrap_or_default();
    }
    out
}

/// Fields of `r` that its hash version does not cover, if any (a v1 record with levels, a
/// v2 record with a relay proof).
pub(super) fn uncovered(r: &AsRunRecord) -> Vec<&'static str> {
    // (field, set, the first version that covers it)
    let fields = [
        ("peak_dbfs", r.peak_dbfs.is_some(), 2),
        ("loudness_lufs", r.loudness_lufs.is_some(), 2),
        ("audible_ms", r.audible_ms.is_some(), 2),
        ("silent", r.silent, 2),
        ("relay", r.relay.is_some(), 3),
        ("live", r.live.is_some(), 4),
        ("streams", !r.streams.is_empty(), 5),
        ("source", r.source.is_some(), 6),
    ];
    fields
        .into_iter()
        .filter(|(_, set, since)| *set && r.hash_version < *since)
        .map(|(name, ..)| name)
        .collect()
}

fn v1(r: &AsRunRecord) -> CanonicalV1<'_> {
    CanonicalV1 {
        id: r.id,
        prev_hash: &r.prev_hash,
        program: &r.program,
        trigger: r.trigger,
        role: r.role,
        scheduled_at: time(&r.scheduled_at),
        started_at: r.started_at.as_ref().map(time),
        ended_at: r.ended_at.as_ref().map(time),
        played_ms: r.played_ms,
        segment_id: r.segment_id.map(|s| s.0),
        title: &r.title,
        topic: &r.topic,
        unit: r.unit.as_deref(),
        sha256: &r.sha256,
        outcome: r.outcome,
        reason: r.reason.as_deref(),
        output: &r.output,
        priority: r.priority,
        approved_by: r.approved_by.as_deref(),
        approved_at: r.approved_at.as_ref().map(time),
    }
}

/// The hash `record` should carry: lower-case hex sha256 of [`canonical`].
pub fn record_hash(record: &AsRunRecord) -> String {
    hex_sha256(&canonical(record))
}

pub(super) fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        use fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// What the next record's `prev_hash` must be after `record`: its hash, or for a record
/// written before the chain existed, the hash it would have.
pub(super) fn link_of(record: &AsRunRecord) -> String {
    if record.hash.is_empty() {
        record_hash(record)
    } else {
        record.hash.clone()
    }
}

/// The outcome of [`Store::verify_chain`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Records read and found in order before the first break (all of them when intact).
    pub checked: u64,
    /// Of those, records written before the chain existed (ids `1..=unchained`): counted,
    /// not protected, except the last one, which the first chained record links to.
    pub unchained: u64,
    /// The last good record's id and hash (the value to keep outside the station).
    pub last_id: Option<u64>,
    pub last_hash: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<ChainBreak>,
    /// The anchor given to [`Store::verify_chain_with`], when its record was reached and matched.
    #[serde(default)]
    pub anchor: Option<Anchor>,
}

/// A record's hash written down outside the station (the last report, the paper book), given
/// as `ID:HASH` to check the log against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub id: u64,
    pub hash: String,
}

impl FromStr for Anchor {
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || crate::words::BadValue::Anchor { value: s.into() };
        let (id, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let id = id
            .trim()
            .trim_start_matches('#')
            .parse()
            .map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Anchor { id, hash })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.id, self.hash)
    }
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// The first place where the log is not what was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// The record at fault (for a gap: the first missing id).
    pub id: u64,
    pub problem: Problem,
}

/// Why a link is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The record's content no longer gives its stored hash.
    ContentChanged { stored: String, recomputed: String },
    /// The record does not link to the one before it (reordered, replaced, inserted).
    PrevHashMismatch { expected: String, found: String },
    /// Ids jump from `id - 1` to `next`: records `id..next` are gone.
    Missing { next: u64 },
    /// The stored bytes are not a record any more.
    Undecodable { error: String },
    /// The record says it is another id than the key it is stored under.
    WrongId { stored_as: u64, claims: u64 },
    /// A record without a hash after the chain began (its hash was stripped).
    Unchained { chain_began_at: u64 },
    /// The record names a hash version this loaxa does not know (written by a newer one,
    /// or the version was changed).
    UnknownVersion { version: u8 },
    /// The record carries fields its hash version does not cover (added after it was
    /// written).
    NotCovered { version: u8, fields: String },
    /// The record's hash is not the one written down outside the station.
    AnchorMismatch { expected: String, found: String },
    /// The record written down outside the station is no longer in the log.
    AnchorMissing { log_ends_at: u64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::words::Say::say(self, crate::words::Lang::En))
    }
}

impl crate::words::Say for ChainBreak {
    fn say(&self, lang: crate::words::Lang) -> std::borrow::Cow<'static, str> {
        let id = self.id;
        let before = id.saturating_sub(1);
        let (vi, en) = match &self.problem {
            Problem::ContentChanged { stored, recomputed } => (
                format!(
                    "bản ghi {id}: nội dung đã bị thay đổi sau khi ghi (mã băm lưu {stored}, tính lại {recomputed})"
                ),
                format!(
                    "record {id}: content changed after it was written (stored hash {stored}, recomputed {recomputed})"
                ),
            ),
            Problem::PrevHashMismatch { expected, found } if id == 1 => (
                format!(
                    "bản ghi {id}: prev_hash là {found}, nhưng bản ghi đầu tiên phải nối với {expected}"
                ),
                format!(
                    "record {id}: prev_hash is {found}, but the first record must link to {expected}"
                ),
            ),
            Problem::PrevHashMismatch { expected, found } => (
                format!(
                    "bản ghi {id}: prev_hash không khớp bản ghi {before} (bản ghi {before} có mã băm {expected}, bản ghi {id} ghi {found})"
                ),
                format!(
                    "record {id}: prev_hash does not match record {before} (record {before} hashes to {expected}, record {id} says {found})"
                ),
            ),
            Problem::Missing { next } if *next == id + 1 => (
                format!("thiếu bản ghi {id} (số thứ tự nhảy từ {before} lên {next})"),
                format!("record {id} is missing (ids jump from {before} to {next})"),
            ),
            Problem::Missing { next } => (
                format!(
                    "thiếu các bản ghi {id}–{} (số thứ tự nhảy từ {before} lên {next})",
                    next - 1
                ),
                format!(
                    "records {id}–{} are missing (ids jump from {before} to {next})",
                    next - 1
                ),
            ),
            Problem::Undecodable { error } => (
                format!("không đọc được bản ghi {id} (dữ liệu hỏng: {error})"),
                format!("record {id} cannot be decoded (damaged bytes: {error})"),
            ),
            Problem::WrongId { stored_as, claims } => (
                format!(
                    "bản ghi {stored_as} tự nhận là bản ghi {claims} (bị chuyển từ chỗ khác tới)"
                ),
                format!("record {stored_as} says it is record {claims} (moved from elsewhere)"),
            ),
            Problem::UnknownVersion { version } => (
                format!(
                    "bản ghi {id} ghi rằng nó được băm theo mã hoá v{version}, phiên bản loaxa này không biết"
                ),
                format!(
                    "record {id} says it was hashed with encoding v{version}, which this loaxa does not know"
                ),
            ),
            Problem::NotCovered { version, fields } => (
                format!(
                    "bản ghi {id} có trường {fields} mà mã băm của nó (mã hoá v{version}) không bao gồm (thêm vào sau khi ghi?)"
                ),
                format!(
                    "record {id} carries {fields}, which its hash (encoding v{version}) does not cover (added after it was written?)"
                ),
            ),
            Problem::AnchorMismatch { expected, found } => (
                format!(
                    "bản ghi {id}: mã băm {found} không phải {expected} đã ghi lại cho nó (nhật ký đã bị viết lại)"
                ),
                format!(
                    "record {id}: hash {found} is not the {expected} written down for it (the log was rewritten)"
                ),
            ),
            Problem::AnchorMissing { log_ends_at } => (
                format!(
                    "bản ghi {id} đã được ghi lại nhưng nhật ký chỉ đến bản ghi {log_ends_at} (các bản ghi đã bị cắt bỏ)"
                ),
                format!(
                    "record {id} was written down but the log ends at record {log_ends_at} (records were cut off)"
                ),
            ),
            Problem::Unchained { chain_began_at } => (
                format!(
                    "bản ghi {id} không có mã băm, nhưng chuỗi đã bắt đầu từ bản ghi {chain_began_at} (mã băm bị xoá?)"
                ),
                format!(
                    "record {id} has no hash, but the chain began at record {chain_began_at} (hash removed?)"
                ),
            ),
        };
        crate::words::pick_owned(lang, vi, en)
    }
}

/// Walks the chain one record at a time.
#[derive(Default)]
struct Walk {
    report: ChainReport,
    /// The link the next record must carry (`None` before the first record).
    link: Option<String>,
    chain_began_at: Option<u64>,
    anchor: Option<Anchor>,
}

type Step = std::result::Result<(), ChainBreak>;

fn brk(id: u64, problem: Problem) -> Step {
    Err(ChainBreak { id, problem })
}

impl Walk {
    /// Checks the record stored under key `id` with bytes `value`; `Err` is the first break.
    fn step(&mut self, id: u64, value: &[u8]) -> Step {
        let expected_id = self.report.last_id.unwrap_or(0) + 1;
        if id < expected_id {
            let error = "its key is not a record id".to_string();
            return brk(expected_id, Problem::Undecodable { error });
        }
        if id > expected_id {
            return brk(expected_id, Problem::Missing { next: id });
        }
        let rec: AsRunRecord = match serde_json::from_slice(value) {
            Ok(rec) => rec,
            Err(e) => {
                let error = e.to_string();
                return brk(id, Problem::Undecodable { error });
            }
        };
        if rec.id != id {
            let problem = Problem::WrongId {
                stored_as: id,
                claims: rec.id,
            };
            return brk(id, problem);
        }
        self.check_link(&rec)?;
        let link = link_of(&rec);
        if let Some(anchor) = self.anchor.as_ref().filter(|a| a.id == id) {
            if anchor.hash != link {
                let problem = Problem::AnchorMismatch {
                    expected: anchor.hash.clone(),
                    found: link,
                };
                return brk(id, problem);
            }
            self.report.anchor = Some(anchor.clone());
        }
        self.report.checked += 1;
        self.report.last_id = Some(id);
        self.report.last_hash = Some(link.clone());
        self.link = Some(link);
        Ok(())
    }

    /// The record's own hash and its link to the one before.
    fn check_link(&mut self, rec: &AsRunRecord) -> Step {
        let id = rec.id;
        if rec.hash.is_empty() {
            if let Some(chain_began_at) = self.chain_began_at {
                return brk(id, Problem::Unchained { chain_began_at });
            }
            self.report.unchained += 1;
            return Ok(());
        }
        if !(1..=HASH_VERSION).contains(&rec.hash_version) {
            let version = rec.hash_version;
            return brk(id, Problem::UnknownVersion { version });
        }
        let fields = uncovered(rec);
        if !fields.is_empty() {
            let problem = Problem::NotCovered {
                version: rec.hash_version,
                fields: fields.join(", "),
            };
            return brk(id, problem);
        }
        let recomputed = record_hash(rec);
        if recomputed != rec.hash {
            let problem = Problem::ContentChanged {
                stored: rec.hash.clone(),
                recomputed,
            };
            return brk(id, problem);
        }
        let expected = self.link.clone().unwrap_or_else(|| GENESIS.to_string());
        if rec.prev_hash != expected {
            let problem = Problem::PrevHashMismatch {
                expected,
                found: rec.prev_hash.clone(),
            };
            return brk(id, problem);
        }
        self.chain_began_at.get_or_insert(id);
        Ok(())
    }

    /// After the last record: a record written down outside must not have been cut off.
    fn finish(&self) -> Step {
        let end = self.report.last_id.unwrap_or(0);
        match &self.anchor {
            Some(a) if a.id > end => brk(a.id, Problem::AnchorMissing { log_ends_at: end }),
            _ => Ok(()),
        }
    }
}

/// Checks a copy of a log kept elsewhere (the province's): `(id, record JSON)` in id order,
/// from record 1, as [`Store::verify_chain`] checks the station's own log.
pub fn verify_entries<B: AsRef<[u8]>>(entries: impl IntoIterator<Item = (u64, B)>) -> ChainReport {
    let mut walk = Walk::default();
    for (id, bytes) in entries {
        if let Err(b) = walk.step(id, bytes.as_ref()) {
            walk.report.broken = Some(b);
            return walk.report;
        }
    }
    walk.report
}

impl Store {
    /// Checks the whole as-run log, in id order, and reports the first broken link.
    /// `Err` only when the database cannot be read at all.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        self.verify_chain_with(None)
    }

    /// [`Store::verify_chain`], and record `anchor.id` must have the hash written down
    /// outside the station earlier: this catches a log rewritten with recomputed hashes and
    /// records cut off at the end, which the chain alone cannot.
    pub fn verify_chain_with(&self, anchor: Option<Anchor>) -> Result<ChainReport> {
        let mut walk = Walk {
            anchor,
            ..Walk::default()
        };
        for kv in self.h()?.asrun.iter() {
            let (k, v) = kv.map_err(db_err("reading the broadcast log"))?;
            if let Err(b) = walk.step(from_be(&k), &v) {
                walk.report.broken = Some(b);
                return Ok(walk.report);
            }
        }
        if let Err(b) = walk.finish() {
            walk.report.broken = Some(b);
        }
        Ok(walk.report)
    }
}
