//! The half-year report's figures, folded from a stream of records in one pass.
//!
//! Definitions (also in the README):
//! - a **content play** is a record of role `item` whose topic is not `station`; signature
//!   tunes (intro/outro, topic `station`) are counted apart, never as content;
//! - a **broadcast** is a content play that `completed`; content plays that were
//!   `interrupted` after airing part of the item are counted in their own column, not as
//!   broadcasts;
//! - **minutes on air** are the `played_ms` of every content play (completed and interrupted:
//!   what listeners heard; failed and skipped plays have none);
//! - **distinct segments** are counted over content plays that aired, by segment id, else
//!   sha256, else title;
//! - **relays** (role `relay`, one record a relay window) are not news items: they are
//!   counted apart ([`Relays`]), never in the totals, topics, units or months (which count
//!   news items only), but they are in the programs and reasons tables like any play.
//!
//! Memory grows with the number of groups (topics, units, months, programs, reason texts,
//! distinct segments, emergency plays), never with the number of records.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::Period;
use crate::model::{AsRunRecord, Priority, Role};
use crate::relay::{Air, Fault, RelayProof};

/// The serde name of a value (`completed`, `catch_up`): how enums are compared and shown
/// without matching on variants the model may extend.
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Whether a record is content (a news item): not a signature tune, and not a record about a
/// whole program (missed, or nothing to play), which names no segment.
pub fn is_content(r: &AsRunRecord) -> bool {
    r.role == Role::Item
        && r.topic != crate::config::STATION_TOPIC
        && (r.segment_id.is_some() || !r.sha256.is_empty())
}

/// What the report is about.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMeta {
    pub station: String,
    #[serde(skip)]
    pub period: Period,
    /// `[topics]`: slug → label.
    pub topics: BTreeMap<String, String>,
    pub generated_at: DateTime<FixedOffset>,
}

/// Figures of one group (a topic, a unit, a month, or everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Content plays that completed.
    pub broadcasts: u64,
    /// Content plays cut after they started airing.
    pub interrupted: u64,
    /// Milliseconds on air of content plays (completed and interrupted).
    pub played_ms: u64,
    /// Distinct segments that aired.
    pub segments: u64,
}

impl Counts {
    /// Minutes on air, for display.
    pub fn minutes(&self) -> f64 {
        self.played_ms as f64 / 60_000.0
    }
}

/// One program's (chương trình) plays by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProgramCounts {
    pub name: String,
    /// Times the program was due (distinct scheduled times).
    pub runs: u64,
    /// Items due in it: content plays and relay windows, plus records of any role whose outcome is none of
    /// completed, interrupted, failed, skipped (e.g. a missed program).
    pub items: u64,
    /// By outcome name (`completed`, `interrupted`, `failed`, `skipped`, anything newer).
    pub outcomes: BTreeMap<String, u64>,
}

impl ProgramCounts {
    pub fn outcome(&self, name: &str) -> u64 {
        self.outcomes.get(name).copied().unwrap_or(0)
    }

    /// Plays whose outcome is none of the four known ones.
    pub fn other(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(k, _)| !KNOWN_OUTCOMES.contains(&k.as_str()))
            .map(|(_, v)| v)
            .sum()
    }
}

const KNOWN_OUTCOMES: [&str; 4] = ["completed", "interrupted", "failed", "skipped"];

/// An emergency (khẩn cấp) play.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencyPlay {
    pub at: DateTime<FixedOffset>,
    pub program: String,
    pub title: String,
    pub outcome: String,
    pub played_ms: u64,
}

/// A live broadcast's part on air (role `live`), for the *Phát trực tiếp* table.
#[derive(Debug, Clone, Serialize)]
pub struct LivePlay {
    pub at: DateTime<FixedOffset>,
    pub title: String,
    /// Who started it.
    pub by: String,
    pub priority: Priority,
    pub outcome: String,
    pub played_ms: u64,
    /// The air-check file's sha256 (empty when none was kept).
    pub sha256: String,
}

/// Relay (tiếp sóng) figures of one group (a program, or everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelayCounts {
    /// Relay windows that opened (records of role `relay` with their proof).
    pub windows: u64,
    /// Windows in which no source ever aired (only fallback or silence).
    pub no_source: u64,
    /// The windows' time on air (`played_ms`), ms.
    pub window_ms: u64,
    /// Relayed audio aired, ms.
    pub relayed_ms: u64,
    /// Fallback or silence aired instead of the relay, ms.
    pub dropout_ms: u64,
}

impl RelayCounts {
    /// A relay record without its proof never opened its window (a missed program): it is
    /// no window here (the programs table counts it).
    fn add(&mut self, r: &AsRunRecord) {
        let Some(p) = &r.relay else { return };
        self.windows += 1;
        self.window_ms += r.played_ms;
        self.no_source += u64::from(p.url.is_none());
        self.relayed_ms += p.relayed_ms;
        self.dropout_ms += p.dropout_ms;
    }

    /// [`dropout_share`] of these windows.
    pub fn dropout_share(&self) -> f64 {
        dropout_share(self.relayed_ms, self.dropout_ms)
    }
}

/// The share of a relay's aired time (relayed + dropout) that was dropout (fallback or
/// silence), 0–1; 0 when nothing aired.
pub fn dropout_share(relayed_ms: u64, dropout_ms: u64) -> f64 {
    let aired = relayed_ms.saturating_add(dropout_ms);
    if aired == 0 {
        0.0
    } else {
        dropout_ms as f64 / aired as f64
    }
}

/// The *Tiếp sóng* section: what the relays aired.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Relays {
    pub totals: RelayCounts,
    /// `(program, counts)`, by program name.
    pub by_program: Vec<(String, RelayCounts)>,
    /// `(source URL, relayed ms)`, by URL.
    pub by_source: Vec<(String, u64)>,
    /// `(fault, times met)`, most frequent first: the source failures the relays met
    /// (every retry counts), plus the failures a record did not keep as `None`.
    pub faults: Vec<(Option<Fault>, u64)>,
}

/// Folds relay records into [`Relays`].
#[derive(Default)]
struct RelayAcc {
    totals: RelayCounts,
    programs: BTreeMap<String, RelayCounts>,
    sources: BTreeMap<String, u64>,
    faults: Vec<(Option<Fault>, u64)>,
}

impl RelayAcc {
    fn add(&mut self, r: &AsRunRecord) {
        self.totals.add(r);
        self.programs.entry(r.program.clone()).or_default().add(r);
        let Some(proof) = &r.relay else { return };
        for (url, ms) in relayed_by_source(proof, r.played_ms) {
            *self.sources.entry(url).or_default() += ms;
        }
        for f in &proof.failures {
            self.count_fault(Some(&f.fault), 1);
        }
        if proof.failures_dropped > 0 {
            self.count_fault(None, proof.failures_dropped);
        }
    }

    /// A linear search: a station meets a handful of distinct faults.
    fn count_fault(&mut self, fault: Option<&Fault>, n: u64) {
        match self.faults.iter_mut().find(|(f, _)| f.as_ref() == fault) {
            Some((_, c)) => *c += n,
            None => self.faults.push((fault.cloned(), n)),
        }
    }

    fn finish(mut self) -> Relays {
        self.faults.sort_by_key(|f| std::cmp::Reverse(f.1));
        Relays {
            totals: self.totals,
            by_program: self.programs.into_iter().collect(),
            by_source: self.sources.into_iter().collect(),
            faults: self.faults,
        }
    }
}

/// Relayed time by source URL, from the switches: each source airs from its switch to the
/// next one (the last until the window's end, relayed + dropout, or `played_ms` when
/// that is longer). A record without switches gives all its relayed time to its URL.
fn relayed_by_source(proof: &RelayProof, played_ms: u64) -> Vec<(String, u64)> {
    let end = (proof.relayed_ms + proof.dropout_ms).max(played_ms);
    let mut out: Vec<(String, u64)> = Vec::new();
    for (i, sw) in proof.switches.iter().enumerate() {
        let Air::Source { url } = &sw.air else {
            continue;
        };
        let until = proof.switches.get(i + 1).map_or(end, |next| next.at_ms);
        let ms = until.saturating_sub(sw.at_ms);
        match out.iter_mut().find(|(u, _)| u == url) {
            Some((_, total)) => *total += ms,
            None => out.push((url.clone(), ms)),
        }
    }
    if out.is_empty()
        && let Some(url) = &proof.url
        && proof.relayed_ms > 0
    {
        out.push((url.clone(), proof.relayed_ms));
    }
    out
}

/// The finished figures.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub meta: ReportMeta,
    /// Records in the period (every role and outcome).
    pub records: u64,
    /// The period's last record as `RECORD:HASH`: written into the signed report, it lets
    /// `loaxa log verify --expect` prove later that the log was not rewritten since.
    pub anchor: Option<String>,
    pub totals: Counts,
    /// `(slug, label, counts)`, by slug; the label is the slug when `[topics]` lacks it.
    pub by_topic: Vec<(String, String, Counts)>,
    /// `(unit, counts)`, by unit; `""` for items that name no unit.
    pub by_unit: Vec<(String, Counts)>,
    /// `(YYYY-MM, counts)`, in order.
    pub by_month: Vec<(String, Counts)>,
    pub programs: Vec<ProgramCounts>,
    /// `(outcome, reason, count)` of every play that did not complete, most frequent first;
    /// reason `""` when none was given.
    pub reasons: Vec<(String, String, u64)>,
    /// Completed emergency broadcasts.
    pub emergency_broadcasts: u64,
    /// Every emergency content play, in log order.
    pub emergencies: Vec<EmergencyPlay>,
    /// Signature tunes: completed plays and time on air (not content).
    pub signature: Counts,
    /// Plays (any role) that aired but went out silent (`silent` in the log).
    #[serde(default)]
    pub silent: u64,
    /// The relays (tiếp sóng), apart from the news items.
    pub relays: Relays,
    /// The live broadcasts (phát trực tiếp), apart from the news items, in log order.
    #[serde(default)]
    pub lives: Vec<LivePlay>,
}

#[derive(Default)]
struct Acc {
    counts: Counts,
    seen: HashSet<String>,
}

impl Acc {
    fn add(&mut self, r: &AsRunRecord, outcome: &str) {
        match outcome {
            "completed" => self.counts.broadcasts += 1,
            "interrupted" if r.played_ms > 0 => self.counts.interrupted += 1,
            _ => {}
        }
        self.counts.played_ms += r.played_ms;
        if outcome == "completed" || r.played_ms > 0 {
            self.seen.insert(segment_key(r));
        }
    }

    fn finish(mut self) -> Counts {
        self.counts.segments = self.seen.len() as u64;
        self.counts
    }
}

fn segment_key(r: &AsRunRecord) -> String {
    match (&r.segment_id, r.sha256.is_empty()) {
        (Some(id), _) => format!("id:{id}"),
        (None, false) => format!("sha256:{}", r.sha256),
        (None, true) => format!("title:{}", r.title),
    }
}

/// A reason as grouped: a known reason by its code and parameters (its stored form, so the
/// prose of an earlier build and the code of this one count together), other text trimmed
/// with inner whitespace (newlines too) collapsed. Rendered in the report's language by
/// [`crate::words::reason_text`].
fn reason_key(reason: Option<&str>) -> String {
    reason
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|s| crate::words::Reason::from_stored(&s).map_or(s, |r| r.stored()))
        .unwrap_or_default()
}

/// The day a record counts on: its start, or its schedule when it never started, in the
/// station time it was logged in.
fn day_of(r: &AsRunRecord) -> NaiveDate {
    r.started_at.unwrap_or(r.scheduled_at).date_naive()
}

/// Folds `records` into the report of `meta.period` (records outside it are ignored).
pub fn summarise(records: impl IntoIterator<Item = AsRunRecord>, meta: ReportMeta) -> Report {
    let mut total = Acc::default();
    let mut signature = Acc::default();
    let mut topics: BTreeMap<String, Acc> = BTreeMap::new();
    let mut units: BTreeMap<String, Acc> = BTreeMap::new();
    let mut months: BTreeMap<String, Acc> = BTreeMap::new();
    let mut programs: BTreeMap<String, (ProgramCounts, Option<DateTime<FixedOffset>>)> =
        BTreeMap::new();
    let mut reasons: HashMap<(String, String), u64> = HashMap::new();
    let mut emergencies = Vec::new();
    let mut emergency_broadcasts = 0;
    let mut silent = 0;
    let mut relays = RelayAcc::default();
    let mut lives = Vec::new();
    let mut n = 0;
    let mut anchor: Option<(u64, String)> = None;

    for r in records {
        let day = day_of(&r);
        if !meta.period.contains(day) {
            continue;
        }
        n += 1;
        if !r.hash.is_empty() && anchor.as_ref().is_none_or(|(id, _)| r.id > *id) {
            anchor = Some((r.id, r.hash.clone()));
        }
        let outcome = r.outcome.to_string();
        let content = is_content(&r);
        let relay = r.role == Role::Relay;
        let live = r.role == Role::Live;
        silent += u64::from(r.silent);

        let (prog, last_run) = programs.entry(r.program.clone()).or_insert_with(|| {
            let p = ProgramCounts {
                name: r.program.clone(),
                ..ProgramCounts::default()
            };
            (p, None)
        });
        if *last_run != Some(r.scheduled_at) {
            prog.runs += 1;
            *last_run = Some(r.scheduled_at);
        }
        if content || relay || live || !KNOWN_OUTCOMES.contains(&outcome.as_str()) {
            prog.items += 1;
            *prog.outcomes.entry(outcome.clone()).or_default() += 1;
        }
        if outcome != "completed" {
            *reasons
                .entry((outcome.clone(), reason_key(r.reason.as_deref())))
                .or_default() += 1;
        }

        if relay {
            relays.add(&r);
            continue;
        }
        if live {
            lives.push(LivePlay {
                at: r.started_at.unwrap_or(r.scheduled_at),
                title: r.title.clone(),
                by: r.live.as_ref().map(|l| l.by.clone()).unwrap_or_default(),
                priority: r.priority,
                outcome,
                played_ms: r.played_ms,
                sha256: r.sha256.clone(),
            });
            continue;
        }
        if !content {
            signature.add(&r, &outcome);
            continue;
        }
        total.add(&r, &outcome);
        topics.entry(r.topic.clone()).or_default().add(&r, &outcome);
        units
            .entry(r.unit.clone().unwrap_or_default())
            .or_default()
            .add(&r, &outcome);
        months
            .entry(day.format("%Y-%m").to_string())
            .or_default()
            .add(&r, &outcome);
        if r.priority == Priority::Emergency {
            if outcome == "completed" {
                emergency_broadcasts += 1;
            }
            emergencies.push(EmergencyPlay {
                at: r.started_at.unwrap_or(r.scheduled_at),
                program: r.program.clone(),
                title: r.title.clone(),
                outcome,
                played_ms: r.played_ms,
            });
        }
    }

    let mut reasons: Vec<_> = reasons.into_iter().map(|((o, r), c)| (o, r, c)).collect();
    reasons.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Report {
        records: n,
        anchor: anchor.map(|(id, hash)| format!("{id}:{hash}")),
        totals: total.finish(),
        by_topic: topics
            .into_iter()
            .map(|(slug, acc)| {
                let label = meta
                    .topics
                    .get(&slug)
                    .cloned()
                    .unwrap_or_else(|| slug.clone());
                (slug, label, acc.finish())
            })
            .collect(),
        by_unit: units.into_iter().map(|(u, a)| (u, a.finish())).collect(),
        by_month: months.into_iter().map(|(m, a)| (m, a.finish())).collect(),
        programs: programs.into_values().map(|(p, _)| p).collect(),
        reasons,
        emergency_broadcasts,
        emergencies,
        signature: signature.finish(),
        silent,
        relays: relays.finish(),
        lives,
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::Switch;

    fn proof(switches: Vec<Switch>) -> RelayProof {
        RelayProof {
            url: Some("http://a/x.mp3".into()),
            relayed_ms: 50_000,
            dropout_ms: 10_000,
            switches,
            ..RelayProof::default()
        }
    }

    fn to(url: &str, at_ms: u64) -> Switch {
        Switch {
            at_ms,
            air: Air::Source { url: url.into() },
            why: None,
        }
    }

    /// Each source airs from its switch to the next; the last one to the window's end.
    #[test]
    fn relayed_time_is_split_by_source_at_the_switches() {
        let fallback = Switch {
            at_ms: 20_000,
            air: Air::Fallback,
            why: Some(Fault::Ended),
        };
        let p = proof(vec![
            to("http://a/x.mp3", 0),
            fallback,
            to("http://b/y.mp3", 30_000),
        ]);
        assert_eq!(
            relayed_by_source(&p, 60_000),
            [
                ("http://a/x.mp3".to_string(), 20_000),
                ("http://b/y.mp3".to_string(), 30_000)
            ]
        );
        // A record without switches: its relayed time, to its URL.
        assert_eq!(
            relayed_by_source(&proof(Vec::new()), 60_000),
            [("http://a/x.mp3".to_string(), 50_000)]
        );
        let none = RelayProof {
            dropout_ms: 60_000,
            ..RelayProof::default()
        };
        assert!(relayed_by_source(&none, 60_000).is_empty());
    }
}
