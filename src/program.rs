//! What a program will play when it fires: intro, queued segments, playlist items (with the
//! separator between two of them, if the program has one), outro — fitted to
//! `max_duration`, separators included, with everything that cannot air set aside with its
//! reason.
//!
//! Pure: what the station holds is read through [`PlanInputs`], which one function of the
//! service layer builds ([`crate::service::Station::plan_program`]) for the daemon at each
//! fire and for every preview, so what the preview shows is what airs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::config::Program;
use crate::model::{Outcome, Reason, Role, Segment, SegmentId};
use crate::playlist::{self, Entry, Order, Playlist};
use crate::store::QueueEntry;

/// Where a planned item came from (what to update when it has aired).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Intro,
    Outro,
    /// The program's separator, between two items.
    Separator,
    Queue {
        qid: u64,
    },
    Playlist {
        name: String,
        index: usize,
        rotate: bool,
    },
    /// Asked for by the operator (`loaxa play`).
    Manual,
    /// An emergency broadcast (`loaxa emergency`).
    Emergency,
    /// A relay program's window (tiếp sóng); `fallback`: the segments aired while no
    /// source plays, in order.
    Relay {
        fallback: Vec<SegmentId>,
    },
    /// A live airing from the station's input (`loaxa live start`); `by`: who started it.
    Live {
        by: String,
    },
}

impl Origin {
    pub fn role(&self) -> Role {
        match self {
            Origin::Intro => Role::Intro,
            Origin::Outro => Role::Outro,
            Origin::Separator => Role::Separator,
            Origin::Relay { .. } => Role::Relay,
            Origin::Live { .. } => Role::Live,
            Origin::Queue { .. } | Origin::Playlist { .. } | Origin::Manual | Origin::Emergency => {
                Role::Item
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedItem {
    pub segment: Segment,
    pub origin: Origin,
}

/// A due item that will not air, and why (logged as skipped or failed).
#[derive(Debug, Clone)]
pub struct NotAired {
    pub origin: Origin,
    pub segment: Option<Segment>,
    pub title: String,
    pub outcome: Outcome,
    pub reason: Reason,
}

impl NotAired {
    /// Whether it can never air (missing, or expired), as opposed to not yet (not approved,
    /// not valid yet): a queued item of the first kind leaves the queue.
    pub fn never(&self, day: NaiveDate) -> bool {
        match &self.segment {
            None => true,
            Some(seg) => seg.valid_until.is_some_and(|until| until < day),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<PlannedItem>,
    pub not_aired: Vec<NotAired>,
    /// Items left for a later program because they did not fit in `max_duration`.
    pub deferred: Vec<String>,
    /// Planned items (in `items`) that will fail when they come to air (their media file
    /// is missing): they keep their place, and their failure is logged in it.
    pub will_fail: Vec<NotAired>,
}

/// Whether a segment may air on a day, and if not, how it is set aside. One rule, for the
/// daemon and every preview: [`crate::service::Station::may_air`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MayAir {
    Yes,
    /// Not on this day (outside its validity dates, not approved): logged as skipped.
    Skip(Reason),
    /// It is planned, but it will fail when it comes to air (its media file is missing).
    Fails(Reason),
}

impl Plan {
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.items.iter().map(|i| i.segment.duration_ms).sum())
    }
}

/// What the plan reads from the station, as it is when the plan is made.
pub struct PlanInputs<'a> {
    pub playlists: &'a BTreeMap<String, Playlist>,
    pub queue: &'a [QueueEntry],
    pub day: NaiveDate,
    /// A library segment by id.
    pub segment: &'a (dyn Fn(SegmentId) -> Option<Segment> + Sync),
    /// The segment a file stands for (playlist file entry, intro, outro, separator), or why
    /// it cannot air.
    pub file: &'a (dyn Fn(&Path) -> Result<Segment, Reason> + Sync),
    /// Whether a segment may air on a day.
    pub may_air: &'a (dyn Fn(&Segment, NaiveDate) -> MayAir + Sync),
    pub cursor: &'a (dyn Fn(&str) -> usize + Sync),
}

pub fn plan(program: &Program, inputs: &PlanInputs<'_>, rng: &mut fastrand::Rng) -> Plan {
    let mut plan = Plan::default();
    let intro = program.intro.as_ref().map(|p| (p, Origin::Intro));
    let outro = program.outro.as_ref().map(|p| (p, Origin::Outro));
    let mut frame = Vec::new();
    for (path, origin) in intro.into_iter().chain(outro) {
        match (inputs.file)(path) {
            Ok(seg) => frame.push(PlannedItem {
                segment: seg,
                origin,
            }),
            Err(reason) => plan.not_aired.push(NotAired {
                title: crate::library::display_name(path),
                origin,
                segment: None,
                outcome: Outcome::Failed,
                reason,
            }),
        }
    }
    let frame_ms: u64 = frame.iter().map(|i| i.segment.duration_ms).sum();
    let mut budget_ms = program
        .max_duration
        .map(|d| (d.as_millis() as u64).saturating_sub(frame_ms));
    let separator = program
        .separator
        .as_ref()
        .and_then(|path| match (inputs.file)(path) {
            Ok(seg) => Some(seg),
            Err(reason) => {
                plan.not_aired.push(NotAired {
                    title: crate::library::display_name(path),
                    origin: Origin::Separator,
                    segment: None,
                    outcome: Outcome::Failed,
                    reason,
                });
                None
            }
        });
    // What an item costs on top of its own length: the separator before it, unless first.
    let sep_ms = separator.as_ref().map_or(0, |s| s.duration_ms);
    let extra = |body: &Vec<PlannedItem>| if body.is_empty() { 0 } else { sep_ms };

    let mut body = Vec::new();
    if !program.relay.is_empty() {
        // The window is what the intro and outro leave of `max_duration` (none left: the
        // program is its signature tunes only).
        let window_ms = budget_ms.unwrap_or(0);
        if window_ms > 0 {
            let fallback = fallback(program, inputs);
            body.push(PlannedItem {
                segment: relay_segment(program, window_ms),
                origin: Origin::Relay { fallback },
            });
        }
    }
    if program.queue {
        for entry in inputs.queue {
            if entry.program.as_deref().is_some_and(|p| p != program.name) {
                continue;
            }
            let origin = Origin::Queue { qid: entry.qid };
            let Some(seg) = (inputs.segment)(entry.segment) else {
                plan.not_aired.push(missing(entry.segment, origin));
                continue;
            };
            let cost = extra(&body);
            if let Admit::Taken(item) = admit(&mut plan, &mut budget_ms, inputs, seg, origin, cost)
            {
                body.push(*item);
            }
        }
    }
    'playlists: for name in &program.playlists {
        let Some(pl) = inputs.playlists.get(name) else {
            plan.not_aired.push(NotAired {
                origin: Origin::Playlist {
                    name: name.clone(),
                    index: 0,
                    rotate: false,
                },
                segment: None,
                title: format!("playlist {name}"),
                outcome: Outcome::Failed,
                reason: Reason::PlaylistNotFound {
                    playlist: name.clone(),
                },
            });
            continue;
        };
        let rotate = pl.order == Order::Rotate;
        let cursor = if rotate { (inputs.cursor)(name) } else { 0 };
        for index in playlist::play_order(pl.order, pl.entries.len(), cursor, rng) {
            let origin = Origin::Playlist {
                name: name.clone(),
                index,
                rotate,
            };
            let seg = match &pl.entries[index] {
                Entry::Segment { id, .. } => match (inputs.segment)(*id) {
                    Some(seg) => seg,
                    None => {
                        plan.not_aired.push(missing(*id, origin));
                        continue;
                    }
                },
                Entry::File { path, title, .. } => match (inputs.file)(path) {
                    Ok(seg) => seg,
                    Err(reason) => {
                        plan.not_aired.push(NotAired {
                            origin,
                            segment: None,
                            title: title.clone(),
                            outcome: Outcome::Failed,
                            reason,
                        });
                        continue;
                    }
                },
            };
            let cost = extra(&body);
            match admit(&mut plan, &mut budget_ms, inputs, seg, origin, cost) {
                Admit::Taken(item) => body.push(*item),
                Admit::NotToday => {}
                // Keep playlist order: what does not fit waits for the next program.
                Admit::DoesNotFit => break 'playlists,
            }
        }
    }
    let (intro, outro): (Vec<_>, Vec<_>) =
        frame.into_iter().partition(|i| i.origin == Origin::Intro);
    let mut joined = Vec::with_capacity(body.len() * 2);
    for item in body {
        if let (Some(seg), false) = (&separator, joined.is_empty()) {
            joined.push(PlannedItem {
                segment: seg.clone(),
                origin: Origin::Separator,
            });
        }
        joined.push(item);
    }
    plan.items = intro.into_iter().chain(joined).chain(outro).collect();
    plan
}

/// The segments of a relay program's fallback playlists that may air today, in playlist
/// order (the relay's dropouts loop over them; what cannot air today is left out).
fn fallback(program: &Program, inputs: &PlanInputs<'_>) -> Vec<SegmentId> {
    let mut out = Vec::new();
    for name in &program.fallback {
        let Some(pl) = inputs.playlists.get(name) else {
            continue;
        };
        for entry in &pl.entries {
            let seg = match entry {
                Entry::Segment { id, .. } => (inputs.segment)(*id),
                Entry::File { path, .. } => (inputs.file)(path).ok(),
            };
            if let Some(seg) = seg
                && (inputs.may_air)(&seg, inputs.day) == MayAir::Yes
            {
                out.push(seg.id);
            }
        }
    }
    out
}

/// A live airing as a program item: its title, the station's topic, the longest it may
/// last; no library segment and no file (its record gets the air-check file's hash).
pub fn live_segment(title: &str, max_ms: u64, priority: crate::model::Priority) -> Segment {
    Segment {
        title: title.to_string(),
        container: "live".into(),
        original_name: String::new(),
        priority,
        ..relay_segment_of(title, max_ms)
    }
}

/// The relay window as a program item: the program's title, the station's topic, the
/// window's length; no library segment and no file (its record has no segment id or hash).
pub fn relay_segment(program: &Program, window_ms: u64) -> Segment {
    let title = program.title.as_deref().unwrap_or(&program.name);
    Segment {
        original_name: program.relay.first().cloned().unwrap_or_default(),
        ..relay_segment_of(title, window_ms)
    }
}

/// A program item that is no library segment (a relay window, a live airing).
fn relay_segment_of(title: &str, length_ms: u64) -> Segment {
    Segment {
        id: SegmentId(0),
        title: title.to_string(),
        topic: crate::config::STATION_TOPIC.to_string(),
        unit: None,
        valid_from: None,
        valid_until: None,
        sha256: String::new(),
        media_file: String::new(),
        original_name: String::new(),
        container: "relay".into(),
        codec: String::new(),
        sample_rate: 0,
        channels: 0,
        duration_ms: length_ms,
        added_at: chrono::DateTime::UNIX_EPOCH,
        priority: crate::model::Priority::Normal,
        approval: crate::model::Approval::default(),
        level: crate::model::Level {
            loudness_measured: true,
            ..Default::default()
        },
        tts: None,
        zones: Vec::new(),
        inbound: None,
    }
}

enum Admit {
    Taken(Box<PlannedItem>),
    /// Outside its validity dates: noted in `not_aired`.
    NotToday,
    /// Longer than the time left: noted in `deferred`.
    DoesNotFit,
}

/// Takes `seg` into the program if it may air today and fits the time left, with
/// `extra_ms` aired before it (the separator).
fn admit(
    plan: &mut Plan,
    budget_ms: &mut Option<u64>,
    inputs: &PlanInputs<'_>,
    seg: Segment,
    origin: Origin,
    extra_ms: u64,
) -> Admit {
    let fails = match (inputs.may_air)(&seg, inputs.day) {
        MayAir::Yes => None,
        MayAir::Skip(reason) => {
            plan.not_aired.push(skipped(seg, origin, reason));
            return Admit::NotToday;
        }
        MayAir::Fails(reason) => Some(reason),
    };
    if !fits(budget_ms, seg.duration_ms + extra_ms) {
        plan.deferred.push(seg.title);
        return Admit::DoesNotFit;
    }
    if let Some(reason) = fails {
        plan.will_fail.push(NotAired {
            title: seg.title.clone(),
            segment: Some(seg.clone()),
            origin: origin.clone(),
            outcome: Outcome::Failed,
            reason,
        });
    }
    Admit::Taken(Box::new(PlannedItem {
        segment: seg,
        origin,
    }))
}

fn fits(budget_ms: &mut Option<u64>, cost_ms: u64) -> bool {
    match budget_ms {
        None => true,
        Some(left) if *left >= cost_ms => {
            *left -= cost_ms;
            true
        }
        Some(_) => false,
    }
}

fn skipped(seg: Segment, origin: Origin, reason: Reason) -> NotAired {
    NotAired {
        title: seg.title.clone(),
        segment: Some(seg),
        origin,
        outcome: Outcome::Skipped,
        reason,
    }
}

fn missing(id: SegmentId, origin: Origin) -> NotAired {
    NotAired {
        origin,
        segment: None,
        title: format!("segment {id}"),
        outcome: Outcome::Failed,
        reason: Reason::NotInLibrary { segment: id.0 },
    }
}
