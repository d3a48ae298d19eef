//! `[tts]`: the engine that reads text bulletins aloud, its default voice and the voices
//! offered. Every key has a default; the section may be left out.

use crate::words::ConfigProblem;

use super::walk::{Table, bounded_at};
use super::{Source, TtsConfig, TtsEngine};

const TTS_KEYS: &[&str] = &["engine", "command", "voice", "voices"];

/// The engines known by name.
const ENGINES: &[&str] = &["espeak-ng"];

/// The longest voice name, and the most voices a station may offer.
pub const MAX_VOICE: usize = 64;
const MAX_VOICES: usize = 32;
/// The most words of a `command`, and the longest of them.
const MAX_COMMAND_WORDS: usize = 32;
const MAX_COMMAND_WORD: usize = 1024;

/// espeak-ng's Vietnamese voices: northern, central, southern.
pub const ESPEAK_VOICES: &[&str] = &["vi", "vi-vn-x-central", "vi-vn-x-south"];

/// What a file without `[tts]` gets.
pub(super) fn default_tts() -> TtsConfig {
    TtsConfig {
        engine: TtsEngine::EspeakNg,
        voice: ESPEAK_VOICES[0].to_string(),
        voices: ESPEAK_VOICES.iter().map(|v| v.to_string()).collect(),
    }
}

pub(super) fn tts(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<TtsConfig> {
    t.check_keys(src, TTS_KEYS);
    let mut ok = true;
    let mut out = default_tts();
    if let Some(engine) = t.string(src, "engine")
        && !ENGINES.contains(&engine.get_ref().as_str())
    {
        src.problem(
            engine.span(),
            ConfigProblem::TtsEngineUnknown {
                engine: engine.get_ref().clone(),
                known: ENGINES.join(", "),
            },
        );
        ok = false;
    }
    if let Some(command) = command(src, t, &mut ok) {
        if let Some(span) = t.span_of("engine") {
            src.problem(span, ConfigProblem::TtsEngineAndCommand);
            ok = false;
        }
        out.engine = TtsEngine::Command(command);
    }
    if let Some(voices) = voices(src, t, &mut ok) {
        out.voices = voices;
    }
    match t.string(src, "voice") {
        Some(voice) => {
            let voice = bounded_at(src, "voice", voice, MAX_VOICE);
            if !out.voices.contains(voice.get_ref()) {
                src.problem(
                    voice.span(),
                    ConfigProblem::TtsVoiceNotOffered {
                        voice: voice.get_ref().clone(),
                        voices: out.voices.join(", "),
                    },
                );
                ok = false;
            }
            out.voice = voice.into_inner();
        }
        // A command's own voices: the first one is the default.
        None => out.voice = out.voices.first().cloned().unwrap_or_default(),
    }
    ok.then_some(out)
}

/// `command = ["piper", "--model", "…", "--output_file", "{out}"]`: a program and its
/// arguments, naming `{out}` (where it writes the WAV).
fn command(src: &mut Source<'_>, t: &Table<'_, '_>, ok: &mut bool) -> Option<Vec<String>> {
    let words = t.strings(src, "command")?;
    let span = t.span_of("command").unwrap_or(0..0);
    let too_long = words.iter().any(|w| w.get_ref().len() > MAX_COMMAND_WORD);
    let names_out = words.iter().any(|w| w.get_ref().contains("{out}"));
    let problem = if words.is_empty() || words.len() > MAX_COMMAND_WORDS || too_long {
        Some(ConfigProblem::TtsCommandShape {
            max_words: MAX_COMMAND_WORDS as u64,
        })
    } else if !names_out {
        Some(ConfigProblem::TtsCommandWithoutOut)
    } else {
        None
    };
    if let Some(problem) = problem {
        src.problem(span, problem);
        *ok = false;
        return None;
    }
    Some(words.into_iter().map(|w| w.into_inner()).collect())
}

/// `voices = ["vi", …]`: one or more names without spaces.
fn voices(src: &mut Source<'_>, t: &Table<'_, '_>, ok: &mut bool) -> Option<Vec<String>> {
    let items = t.strings(src, "voices")?;
    let span = t.span_of("voices").unwrap_or(0..0);
    if items.is_empty() || items.len() > MAX_VOICES {
        src.problem(
            span,
            ConfigProblem::TtsVoicesCount {
                max: MAX_VOICES as u64,
            },
        );
        *ok = false;
        return None;
    }
    let mut voices = Vec::new();
    for item in items {
        let voice = bounded_at(src, "voice", item, MAX_VOICE);
        if voice.get_ref().is_empty() || voice.get_ref().chars().any(char::is_whitespace) {
            src.problem(
                voice.span(),
                ConfigProblem::TtsVoiceName {
                    voice: voice.get_ref().clone(),
                },
            );
            *ok = false;
        }
        voices.push(voice.into_inner());
    }
    Some(voices)
}
