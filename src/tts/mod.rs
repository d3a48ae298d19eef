//! Text bulletins read aloud offline: the text is written out for the ear ([`normalize`]),
//! then an engine (espeak-ng by default, or the program of `[tts] command`) writes it as a
//! WAV file, which is imported like any other file.
//!
//! espeak-ng is deterministic: the same text and voice give the same bytes, so the library
//! recognises a bulletin added twice by its sha256 as it does a file.

pub mod normalize;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::config::{TtsConfig, TtsEngine};
use crate::words::RefusalCode;

pub use normalize::{first_words, normalize};

/// The Debian package (and program) of the default engine.
pub const ESPEAK: &str = "espeak-ng";

/// The longest a synthesis may take: 20 000 characters take espeak-ng a few seconds; a
/// program that hangs must not hold the import for ever.
const TIMEOUT: Duration = Duration::from_secs(300);

/// The most of the engine's error output kept for the message.
const MAX_DETAIL: usize = 300;

/// The program that reads aloud under this config.
pub fn engine_name(tts: &TtsConfig) -> String {
    match &tts.engine {
        TtsEngine::EspeakNg => ESPEAK.to_string(),
        TtsEngine::Command(words) => words.first().cloned().unwrap_or_default(),
    }
}

/// The engine's program and arguments to read with `voice` into `out`.
fn command_line(tts: &TtsConfig, voice: &str, out: &Path) -> Vec<String> {
    let out = out.to_string_lossy();
    match &tts.engine {
        TtsEngine::EspeakNg => [
            ESPEAK,
            "-b",
            "1",
            "-v",
            voice,
            "-w",
            out.as_ref(),
            "--stdin",
        ]
        .map(str::to_string)
        .to_vec(),
        TtsEngine::Command(words) => words
            .iter()
            .map(|w| w.replace("{out}", &out).replace("{voice}", voice))
            .collect(),
    }
}

/// Reads `text` (already [`normalize`]d) with `voice` into the WAV file `out`. A refusal
/// names what is missing or what the engine said.
pub fn render(tts: &TtsConfig, text: &str, voice: &str, out: &Path) -> Result<(), RefusalCode> {
    let words = command_line(tts, voice, out);
    let program = engine_name(tts);
    let (first, args) = words.split_first().ok_or_else(|| failed(&program, "—"))?;
    let child = Command::new(first)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| cannot_start(tts, &program, &e))?;
    let (status, stderr) =
        run_with_input(child, text.as_bytes()).map_err(|e| failed(&program, &e.to_string()))?;
    if !status.success() {
        return Err(failed(&program, &last_words(&stderr, &status)));
    }
    match std::fs::metadata(out) {
        // 44 bytes is a WAV header alone.
        Ok(m) if m.len() > 44 => Ok(()),
        Ok(m) => Err(failed(
            &program,
            &format!("{}: {} B", out.display(), m.len()),
        )),
        Err(e) => Err(failed(&program, &format!("{}: {e}", out.display()))),
    }
}

/// The refusal for an engine that could not be started.
fn cannot_start(tts: &TtsConfig, program: &str, e: &std::io::Error) -> RefusalCode {
    match (&tts.engine, e.kind()) {
        (TtsEngine::EspeakNg, std::io::ErrorKind::NotFound) => RefusalCode::TtsNotInstalled {
            program: ESPEAK.into(),
            package: ESPEAK.into(),
        },
        _ => RefusalCode::TtsCommandMissing {
            program: program.to_string(),
            detail: e.to_string(),
        },
    }
}

fn failed(program: &str, detail: &str) -> RefusalCode {
    RefusalCode::TtsFailed {
        program: program.to_string(),
        detail: detail.to_string(),
    }
}

/// The end of the engine's error output, short and clean (its exit status when it said
/// nothing).
fn last_words(stderr: &[u8], status: &ExitStatus) -> String {
    let text = crate::text::clean(&String::from_utf8_lossy(stderr));
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(MAX_DETAIL);
    let tail: String = text.chars().skip(skip).collect();
    if tail.is_empty() {
        status.to_string()
    } else {
        tail
    }
}

/// Feeds `input` to the child and collects its error output, each on a thread of its own
/// (a child that reads no input or writes much must not block us), and waits at most
/// [`TIMEOUT`]. Returns its exit status and its error output.
fn run_with_input(mut child: Child, input: &[u8]) -> std::io::Result<(ExitStatus, Vec<u8>)> {
    let stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A child that exits without reading its input is judged by its status.
            let _ = stdin.write_all(&input);
        }
    });
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stderr) = stderr {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if kept.len() < 64 * 1024 {
                    kept.extend_from_slice(&buf[..n]);
                }
            }
        }
        kept
    });
    let status = wait_at_most(&mut child, TIMEOUT)?;
    let _ = writer.join();
    let stderr = reader.join().unwrap_or_default();
    Ok((status, stderr))
}

/// Waits for the child; kills it after `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> std::io::Result<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer after {} s", limit.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The engine's version: espeak-ng's as it tells it (`espeak-ng --version`: `1.51`); for a
/// command, which loaxa cannot ask, what identifies it as surely — `sha256:` and 16 hex
/// digits of the hashes of its program and of every argument that names a file (a Piper
/// voice model): another program build or another voice gives another version. `None` when
/// it cannot be told.
pub fn engine_version(tts: &TtsConfig) -> Option<String> {
    if let TtsEngine::Command(words) = &tts.engine {
        return command_version(words);
    }
    let out = Command::new(ESPEAK)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    espeak_version(&String::from_utf8_lossy(&out.stdout))
}

/// What keeps this config's engine from reading, found without reading anything (for
/// `loaxa check`): espeak-ng not installed or without an offered voice, or the program of a
/// command not found.
pub fn engine_problems(tts: &TtsConfig) -> Vec<RefusalCode> {
    match &tts.engine {
        TtsEngine::EspeakNg => {
            let Some(installed) = espeak_voices() else {
                return vec![RefusalCode::TtsNotInstalled {
                    program: ESPEAK.into(),
                    package: ESPEAK.into(),
                }];
            };
            tts.voices
                .iter()
                .filter(|v| !installed.contains(&v.to_lowercase()))
                .map(|v| RefusalCode::TtsVoiceNotInEngine {
                    voice: v.clone(),
                    program: ESPEAK.into(),
                })
                .collect()
        }
        TtsEngine::Command(words) => {
            let program = words.first().cloned().unwrap_or_default();
            match which(&program) {
                true => Vec::new(),
                false => vec![RefusalCode::TtsCommandMissing {
                    program,
                    // The words the system has for it, as when it is run.
                    detail: std::io::Error::from_raw_os_error(2).to_string(),
                }],
            }
        }
    }
}

/// The Vietnamese voices espeak-ng has (`espeak-ng --voices=vi`, lower case), or `None`
/// when it does not run.
fn espeak_voices() -> Option<Vec<String>> {
    let out = Command::new(ESPEAK)
        .arg("--voices=vi")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    Some(voice_names(&String::from_utf8_lossy(&out.stdout)))
}

/// The `Language` column of `espeak-ng --voices` (after its header line).
fn voice_names(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(str::to_lowercase)
        .collect()
}

/// Whether `program` names a file that exists, as written or on the `PATH`.
fn which(program: &str) -> bool {
    resolve(program).is_some()
}

/// The file `program` names, as written or on the `PATH`.
pub(crate) fn resolve(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| program.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A command engine's version: its program's and its file arguments' hashes, hashed.
fn command_version(words: &[String]) -> Option<String> {
    use sha2::Digest;
    let program = resolve(words.first()?)?;
    let files = std::iter::once(program).chain(
        words[1..]
            .iter()
            .filter(|w| !w.contains('{'))
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_file()),
    );
    let mut all = sha2::Sha256::new();
    for file in files {
        let (hash, _) = crate::library::sha256_file(&file).ok()?;
        all.update(hash.as_bytes());
    }
    let hex: String = all
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(format!("sha256:{hex}"))
}

/// `eSpeak NG text-to-speech: 1.51  Data at: …` → `1.51`.
fn espeak_version(text: &str) -> Option<String> {
    let after = text.split_once(':')?.1.trim_start();
    let version: String = after.split_whitespace().next()?.chars().take(40).collect();
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_engine_is_versioned_by_its_program_and_its_model() {
        let dir = tempfile::tempdir().expect("tmp");
        let (program, model) = (dir.path().join("piper"), dir.path().join("vi.onnx"));
        std::fs::write(&program, b"engine build 1").expect("program");
        std::fs::write(&model, b"voice model A").expect("model");
        let words = |p: &Path, m: &Path| {
            vec![
                p.display().to_string(),
                "--model".into(),
                m.display().to_string(),
                "--output_file".into(),
                "{out}".into(),
            ]
        };
        let first = command_version(&words(&program, &model)).expect("a version");
        assert!(
            first.starts_with("sha256:") && first.len() == 7 + 16,
            "{first}"
        );
        assert_eq!(
            command_version(&words(&program, &model)),
            Some(first.clone())
        );
        std::fs::write(&model, b"voice model B").expect("model");
        let other_voice = command_version(&words(&program, &model)).expect("a version");
        assert_ne!(other_voice, first, "another voice model, another version");
        std::fs::write(&program, b"engine build 2").expect("program");
        assert_ne!(command_version(&words(&program, &model)), Some(other_voice));
        assert_eq!(command_version(&["khong-co-chuong-trinh-nay".into()]), None);
    }

    #[test]
    fn espeak_version_is_read_from_its_banner() {
        assert_eq!(
            espeak_version(
                "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data\n"
            )
            .as_deref(),
            Some("1.51")
        );
        assert_eq!(espeak_version(""), None);
        assert_eq!(espeak_version("x:"), None);
    }

    #[test]
    fn the_voices_are_read_from_the_listing() {
        let listing =
            "Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  vi              --/M      Vietnamese_(Northern) aav/vi
 5  vi-vn-x-central --/M      Vietnamese_(Central) aav/vi-VN-x-central
";
        assert_eq!(voice_names(listing), ["vi", "vi-vn-x-central"]);
        assert!(voice_names("").is_empty());
    }

    #[test]
    fn a_command_gets_its_out_and_voice() {
        let tts = TtsConfig {
            engine: TtsEngine::Command(vec![
                "piper".into(),
                "--speaker".into(),
                "{voice}".into(),
                "--output_file".into(),
                "{out}".into(),
            ]),
            voice: "vi".into(),
            voices: vec!["vi".into()],
        };
        assert_eq!(
            command_line(&tts, "vi", Path::new("/d/x.wav")),
            ["piper", "--speaker", "vi", "--output_file", "/d/x.wav"]
        );
    }

    #[test]
    fn a_missing_program_is_named() {
        let tts = TtsConfig {
            engine: TtsEngine::Command(vec!["/nonexistent/tts".into(), "{out}".into()]),
            voice: "vi".into(),
            voices: vec!["vi".into()],
        };
        let err = render(&tts, "x", "vi", Path::new("/tmp/none.wav")).expect_err("refused");
        assert!(
            matches!(&err, RefusalCode::TtsCommandMissing { program, .. } if program == "/nonexistent/tts"),
            "{err:?}"
        );
    }
}
