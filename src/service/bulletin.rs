//! Text bulletins: the operator's text read aloud by the station's speech engine and added
//! through the same import as any file (checks, loudness, sha256), keeping the text with the
//! segment. The CLI, the API and the page all come here (`ops::AddTextSegment`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::{operator_text, refused};
use super::{AddOutcome, SegmentMeta, Station};
use crate::model::{Priority, Segment, TextSource};
use crate::text;
use crate::words::RefusalCode;

/// A default title is the text's first words: this many at most…
const TITLE_WORDS: usize = 10;
/// …and this many characters.
const TITLE_CHARS: usize = 80;

/// A text bulletin to read aloud (`POST /segments/text`, `segment add --text`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBulletin {
    pub text: String,
    /// Default: `[tts] voice`.
    #[serde(default)]
    pub voice: Option<String>,
    /// Default: the text's first words.
    #[serde(default)]
    pub title: Option<String>,
    /// Default: `[station] default_topic`.
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// Whether a text bulletin was added or was already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddStatus {
    Added,
    /// The same text read by the same voice is already a segment (same sha256).
    AlreadyPresent,
}

/// The answer to a text bulletin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextAdded {
    pub status: AddStatus,
    pub segment: Segment,
}

impl Station {
    /// Reads `b.text` aloud and adds it as a segment. Everything the operator gave is
    /// checked before the engine runs; the WAV goes through [`Station::add_segments`].
    pub fn add_text_segment(&self, b: &TextBulletin) -> Result<TextAdded> {
        let text = operator_text("text", &b.text, text::MAX_BULLETIN)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(refused(RefusalCode::TtsTextEmpty));
        }
        let voice = self.offered_voice(b.voice.as_deref())?;
        let tts = &self.config.tts;
        let engine = crate::tts::engine_name(tts);
        let meta = SegmentMeta {
            title: Some(match &b.title {
                Some(t) => t.clone(),
                None => crate::tts::first_words(text, TITLE_WORDS, TITLE_CHARS),
            }),
            topic: self.bulletin_topic(b.topic.as_deref())?,
            unit: b.unit.clone(),
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            priority: b.priority.unwrap_or_default(),
            original_name: Some(format!("{engine}-{voice}.wav")),
            tts: Some(TextSource {
                text: text.to_string(),
                voice: voice.clone(),
                engine,
                engine_version: crate::tts::engine_version(tts),
            }),
        };
        // Refused before the engine runs, not after.
        let meta = self.check_meta(&meta)?;
        let wav = TempWav::new(&self.config.station.data_dir)?;
        crate::tts::render(tts, &crate::tts::normalize(text), &voice, wav.path())
            .map_err(refused)?;
        let result = self
            .add_segments(&[wav.path()], &meta)?
            .pop()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the import answered nothing")))?;
        Ok(match result {
            AddOutcome::Added(segment) => TextAdded {
                status: AddStatus::Added,
                segment,
            },
            AddOutcome::AlreadyPresent(segment) => TextAdded {
                status: AddStatus::AlreadyPresent,
                segment,
            },
        })
    }

    /// `voice`, or the default one, if the station offers it.
    fn offered_voice(&self, voice: Option<&str>) -> Result<String> {
        let tts = &self.config.tts;
        let voice = match voice {
            Some(v) => operator_text("voice", v, crate::config::MAX_VOICE)?,
            None => tts.voice.clone(),
        };
        if !tts.voices.contains(&voice) {
            return Err(refused(RefusalCode::TtsVoiceUnknown {
                voice,
                voices: tts.voices.clone(),
            }));
        }
        Ok(voice)
    }

    /// `topic`, or the station's default topic (checked against `[topics]` with the rest
    /// of the metadata).
    fn bulletin_topic(&self, topic: Option<&str>) -> Result<String> {
        match topic.or(self.config.station.default_topic.as_deref()) {
            Some(t) => Ok(t.to_string()),
            None => Err(refused(RefusalCode::TopicMissing {
                known: self.config.topics.keys().cloned().collect(),
            })),
        }
    }
}

/// A WAV the engine writes, in `data_dir/uploads` under the upload prefix (so one a power
/// cut leaves behind is swept at the next start); removed when dropped.
struct TempWav(PathBuf);

impl TempWav {
    fn new(data_dir: &Path) -> Result<TempWav> {
        let dir = data_dir.join("uploads");
        std::fs::create_dir_all(&dir)?;
        Ok(TempWav(crate::library::upload_temp_path(&dir, "tts.wav")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempWav {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.0.display(), error = %e, "cannot remove a speech temp file");
        }
    }
}
