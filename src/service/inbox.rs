//! Taking a bulletin from the province's inbox (`[province] inbox`), one rule for the daemon
//! (which watches the folder) and the operator's list (`loaxa inbox`, `GET /inbox`).
//!
//! A bulletin goes through the same import as any file (checks, loudness, sha256) or, with
//! `text`, through the text bulletin's reading; it keeps its origin (id, sender, level),
//! which every log record of it carries. It is taken once: its id and content hash are
//! remembered, so the same bulletin dropped again changes nothing. An id that comes back
//! with other content is quarantined, not taken as a correction: a broadcast chain must not
//! let a resent id silently replace what may already have aired (CAP and the EAS likewise
//! give an update its own identifier); the province sends a correction under a new id.
//!
//! Levels: an emergency counts as approved by its sender and airs at once, with its repeats
//! (the daemon does that with what this returns); a priority one is queued ahead of
//! everything for the next program; a normal one joins the library for the commune to
//! schedule. `require_approval` holds normal and priority ones until approved (a priority
//! one is queued when it is). What cannot be taken is set aside in `quarantine/` with its
//! reason, never lost.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AddOutcome, SegmentMeta, Station, TextBulletin};
use crate::inbox::sidecar::{self, RepeatRule, Sidecar};
use crate::model::{Approval, InboundOrigin, Priority, Segment};
use crate::store::{InboxAction, InboxEntry, QuarantineEntry};
use crate::words::InboxProblem;

/// What became of a bulletin the daemon looked at.
#[derive(Debug, Clone)]
pub enum Taken {
    /// Imported; an emergency to air at once comes with its repeat.
    Imported {
        entry: InboxEntry,
        segment: Box<Segment>,
        repeat: Option<RepeatRule>,
    },
    /// The same bulletin (id and content) was taken before: its files are removed.
    AlreadyTaken(InboxEntry),
    /// Set aside in `quarantine/`.
    Quarantined(QuarantineEntry),
    /// Its audio has not arrived yet.
    Waiting,
    /// Its sidecar is gone (taken meanwhile, or moved away).
    Gone,
}

/// The operator's view of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    /// The folder (`None`: the station has no `[province] inbox`).
    pub folder: Option<String>,
    /// The bulletins taken, newest first.
    pub taken: Vec<InboxEntry>,
    /// The bulletins quarantined, newest first, each with whether its reason file is still
    /// in the quarantine folder.
    pub quarantined: Vec<QuarantinedView>,
    /// Sidecars in the folder not taken yet (their audio has not arrived).
    pub waiting: Vec<String>,
}

/// A quarantined bulletin, and whether it still waits in the folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantinedView {
    #[serde(flatten)]
    pub entry: QuarantineEntry,
    pub in_folder: bool,
}

/// Problems of a bulletin: set aside with these (the files named).
struct Refused(InboxProblem, Option<String>);

impl From<InboxProblem> for Refused {
    fn from(p: InboxProblem) -> Self {
        Refused(p, None)
    }
}

impl Station {
    /// The inbox folder, when the station has one.
    pub fn inbox_dir(&self) -> Option<&Path> {
        self.config.inbox.as_ref().map(|i| i.dir.as_path())
    }

    /// Looks at bulletin `stem` in `dir` and takes it, recognises it, sets it aside or lets
    /// it wait. An `Err` is the station's own failure (the database cannot be written): the
    /// files stay where they are and are looked at again at the next event or start.
    pub fn take_bulletin(&self, dir: &Path, stem: &str) -> Result<Taken> {
        let side = crate::inbox::sidecar_path(dir, stem);
        let bytes = match std::fs::read(&side) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Taken::Gone),
            Err(e) => {
                let problem = InboxProblem::SidecarUnreadable {
                    detail: e.to_string(),
                };
                return self.set_aside(dir, stem, None, problem);
            }
        };
        let audio = crate::inbox::audio_of(dir, stem);
        match self.take_parsed(&bytes, &side, audio.first()) {
            Ok(taken) => Ok(taken),
            Err(Step::Refused(refused)) => {
                let Refused(problem, id) = *refused;
                self.set_aside(dir, stem, id, problem)
            }
            Err(Step::Failed(e)) => Err(e),
        }
    }

    fn take_parsed(
        &self,
        bytes: &[u8],
        side: &Path,
        audio: Option<&PathBuf>,
    ) -> Result<Taken, Step> {
        let now = self.clock.now();
        let card = sidecar::parse(bytes, self.tz(), now).map_err(Refused::from)?;
        let with_id = |p: InboxProblem| Step::from(Refused(p, Some(card.id.clone())));
        let content = match (&card.text, audio) {
            (Some(_), Some(_)) => return Err(with_id(InboxProblem::AudioAndText)),
            (None, None) => return Ok(Taken::Waiting),
            (Some(text), None) => {
                let voice = card.voice.as_deref().unwrap_or(&self.config.tts.voice);
                hex(Sha256::digest(format!("{text}\n{voice}").as_bytes()).as_slice())
            }
            (None, Some(file)) => {
                let actual = file_sha256(file).map_err(|e| Step::Failed(e.into()))?;
                if let Some(expected) = &card.sha256
                    && *expected != actual
                {
                    return Err(with_id(InboxProblem::Sha256Mismatch {
                        expected: expected.clone(),
                        actual,
                    }));
                }
                actual
            }
        };
        if let Some(before) = self
            .store
            .inbox_entry(&card.id)
            .map_err(|e| Step::Failed(e.into()))?
        {
            if before.content_sha256 == content {
                remove_files(side, audio);
                return Ok(Taken::AlreadyTaken(before));
            }
            return Err(with_id(InboxProblem::IdReused {
                id: card.id.clone(),
                before: before.content_sha256[..8.min(before.content_sha256.len())].to_string(),
                now: content[..8].to_string(),
            }));
        }
        let segment =
            self.import_bulletin(&card, audio)
                .map_err(|e| match super::error_code(&e) {
                    Some(error) => with_id(InboxProblem::ImportRefused { error }),
                    None => Step::Failed(e),
                })?;
        let segment = self.mark_inbound(segment, &card).map_err(Step::Failed)?;
        let (action, repeat) = self.act_on(&card, &segment).map_err(Step::Failed)?;
        let mut files = vec![file_name(side)];
        files.extend(audio.map(|a| file_name(a)));
        let entry = InboxEntry {
            id: card.id.clone(),
            content_sha256: content,
            segment: segment.id,
            title: segment.title.clone(),
            source: card.source.clone(),
            level: card.level,
            action,
            received_at: now,
            files,
        };
        self.store
            .inbox_put(&entry)
            .map_err(|e| Step::Failed(e.into()))?;
        remove_files(side, audio);
        Ok(Taken::Imported {
            entry,
            segment: Box::new(segment),
            repeat,
        })
    }

    /// The import of the audio file, or the reading of the text.
    fn import_bulletin(&self, card: &Sidecar, audio: Option<&PathBuf>) -> Result<Segment> {
        if let Some(text) = &card.text {
            let added = self.add_text_segment(&TextBulletin {
                text: text.clone(),
                voice: card.voice.clone(),
                title: Some(card.title.clone()),
                topic: card.topic.clone(),
                unit: card.unit.clone(),
                valid_from: card.valid_from,
                valid_until: card.valid_until,
                priority: Some(card.level),
            })?;
            return Ok(added.segment);
        }
        let file = audio.ok_or_else(|| anyhow::anyhow!("no audio file"))?;
        let topic = card
            .topic
            .clone()
            .or_else(|| self.config.station.default_topic.clone())
            .unwrap_or_default();
        let meta = SegmentMeta {
            title: Some(card.title.clone()),
            topic,
            unit: card.unit.clone(),
            valid_from: card.valid_from,
            valid_until: card.valid_until,
            priority: card.level,
            original_name: None,
            tts: None,
        };
        let outcome = self
            .add_segments(&[file], &meta)?
            .pop()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the import answered nothing")))?;
        Ok(match outcome {
            AddOutcome::Added(s) | AddOutcome::AlreadyPresent(s) => s,
        })
    }

    /// Keeps the bulletin's origin on its segment; an emergency counts as approved by its
    /// sender. A segment the library already had (the same audio) keeps an origin it has.
    fn mark_inbound(&self, mut seg: Segment, card: &Sidecar) -> Result<Segment> {
        if seg.inbound.is_none() {
            seg.inbound = Some(InboundOrigin {
                bulletin: card.id.clone(),
                from: card.source.clone(),
                level: card.level,
            });
        }
        if card.level == Priority::Emergency && seg.approval == Approval::Pending {
            seg.approval = Approval::Approved {
                by: card.source.clone(),
                at: self.clock.now(),
            };
        }
        seg.priority = seg.priority.max(card.level);
        self.store.insert_segment(&seg)?;
        Ok(seg)
    }

    /// What the level asks for, as far as the store goes (the daemon airs emergencies).
    fn act_on(&self, card: &Sidecar, seg: &Segment) -> Result<(InboxAction, Option<RepeatRule>)> {
        let now = self.clock.now();
        let today = self.today();
        let pending = seg.approval == Approval::Pending;
        Ok(match card.level {
            Priority::Emergency => {
                let past = seg.valid_until.is_some_and(|u| u < today)
                    || card.repeat.is_some_and(|r| r.until <= now);
                if past {
                    (InboxAction::Expired, None)
                } else {
                    (InboxAction::AiredAtOnce, card.repeat)
                }
            }
            _ if pending => (InboxAction::AwaitsApproval, None),
            Priority::Priority => match self.queue_add(&[seg.id], None, Some(Priority::Priority)) {
                Ok(_) => (InboxAction::Queued, None),
                Err(e) => {
                    tracing::warn!(bulletin = %card.id, error = %format!("{e:#}"), "a priority bulletin could not be queued; it is in the library");
                    (InboxAction::InLibrary, None)
                }
            },
            Priority::Normal => (InboxAction::InLibrary, None),
        })
    }

    /// An inbound priority bulletin just approved: queued ahead of everything, once.
    pub(super) fn queue_approved_bulletin(&self, seg: &Segment) -> Result<()> {
        let Some(origin) = &seg.inbound else {
            return Ok(());
        };
        let Some(mut entry) = self.store.inbox_entry(&origin.bulletin)? else {
            return Ok(());
        };
        if entry.action != InboxAction::AwaitsApproval {
            return Ok(());
        }
        entry.action = InboxAction::InLibrary;
        if origin.level == Priority::Priority
            && self
                .queue_add(&[seg.id], None, Some(Priority::Priority))
                .is_ok()
        {
            entry.action = InboxAction::Queued;
        }
        self.store.inbox_put(&entry)?;
        Ok(())
    }

    /// Moves the bulletin's files into quarantine with the reason and remembers it.
    fn set_aside(
        &self,
        dir: &Path,
        stem: &str,
        id: Option<String>,
        problem: InboxProblem,
    ) -> Result<Taken> {
        let mut files = vec![crate::inbox::sidecar_path(dir, stem)];
        files.extend(crate::inbox::audio_of(dir, stem));
        files.retain(|f| f.exists());
        let now = self.clock.now();
        let aside = crate::inbox::set_aside(dir, stem, &files, &problem, self.local(now))?;
        let mut entry = QuarantineEntry {
            seq: 0,
            at: now,
            id,
            files: aside.files,
            reason_file: aside.reason_file,
            problem,
        };
        self.store.inbox_quarantined(&mut entry)?;
        Ok(Taken::Quarantined(entry))
    }

    /// The inbox as the operator sees it (`loaxa inbox`, `GET /inbox`).
    pub fn inbox_view(&self) -> Result<InboxView> {
        let dir = self.inbox_dir();
        let mut taken = self.store.inbox_entries()?;
        taken.sort_by_key(|e| std::cmp::Reverse(e.received_at));
        let q = dir.map(|d| d.join(crate::inbox::QUARANTINE));
        let mut quarantined: Vec<QuarantinedView> = self
            .store
            .inbox_quarantine()?
            .into_iter()
            .map(|entry| QuarantinedView {
                in_folder: q
                    .as_ref()
                    .is_some_and(|q| q.join(&entry.reason_file).is_file()),
                entry,
            })
            .collect();
        quarantined.reverse();
        let waiting = dir
            .map(crate::inbox::sidecars)
            .unwrap_or_default()
            .into_iter()
            .map(|stem| format!("{stem}.{}", crate::inbox::SIDECAR_EXT))
            .collect();
        Ok(InboxView {
            folder: dir.map(|d| d.display().to_string()),
            taken,
            quarantined,
            waiting,
        })
    }
}

/// Why a bulletin was not taken: its own problem, or the station's failure.
enum Step {
    Refused(Box<Refused>),
    Failed(anyhow::Error),
}

impl From<Refused> for Step {
    fn from(r: Refused) -> Self {
        Step::Refused(Box::new(r))
    }
}

impl From<InboxProblem> for Step {
    fn from(p: InboxProblem) -> Self {
        Step::Refused(Box::new(p.into()))
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The bulletin's files once taken: the media store and the database hold what they said.
fn remove_files(side: &Path, audio: Option<&PathBuf>) {
    for f in std::iter::once(side).chain(audio.map(PathBuf::as_path)) {
        if let Err(e) = std::fs::remove_file(f)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %f.display(), error = %e, "cannot remove a bulletin taken from the inbox");
        }
    }
}

fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(hasher.finalize().as_slice()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
