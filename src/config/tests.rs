//! Config scenarios: the shipped file, and each kind of mistake an operator makes, found at
//! the right line:column and reported all together.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const GOOD: &str = r#"
[station]
name = "Đài truyền thanh xã Bình Chương"
timezone = "Asia/Ho_Chi_Minh"
default_topic = "nq57"

[output]
device = "wav:air.wav"
channels = 1

[topics]
nq57 = "Nghị quyết 57-NQ/TW"

[[program]]
name = "sang"
cron = "30 5 * * *"
playlists = ["ban-tin-sang"]
max_duration = "1h30m"
intro = "nhac-hieu.ogg"
"#;

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/loaxa.toml")
}

fn errors(text: &str) -> Vec<Diagnostic> {
    parse(text, Path::new("/st/config/loaxa.toml"))
        .expect_err("config has errors")
        .diagnostics
}

/// (line, column, message) of each diagnostic.
fn positions(text: &str) -> Vec<(usize, usize, String)> {
    errors(text)
        .into_iter()
        .map(|d| (d.line, d.column, d.message))
        .collect()
}

fn one(text: &str) -> (usize, usize, String, Option<String>) {
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    let d = &all[0];
    (d.line, d.column, d.message.clone(), d.hint.clone())
}

#[test]
fn good_config_is_typed_and_paths_are_absolute() {
    let c = parse(GOOD, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.station.timezone, chrono_tz::Asia::Ho_Chi_Minh);
    assert_eq!(c.station.data_dir, Path::new("/st/data"));
    assert_eq!(c.station.playlists_dir, Path::new("/st/playlists"));
    assert_eq!(
        c.output.device,
        OutputSpec::Wav("/st/config/air.wav".into())
    );
    assert_eq!(c.output.channels, Some(1));
    assert_eq!(c.output.fade, DEFAULT_FADE);
    assert_eq!(
        c.topics.get(STATION_TOPIC).map(String::as_str),
        Some(STATION_TOPIC_TITLE)
    );
    let p = &c.programs[0];
    assert_eq!(p.cron.to_string(), "30 5 * * *");
    assert_eq!(p.max_duration, Some(Duration::from_secs(5400)));
    assert_eq!(
        p.intro.as_deref(),
        Some(Path::new("/st/config/nhac-hieu.ogg"))
    );
    assert!(p.queue && p.enabled);
    assert_eq!(p.spans.playlists, vec![(17, 14)]);
}

#[test]
fn shipped_config_parses() {
    let c = load(&shipped_path()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = c.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["sang", "chieu", "demo"]);
    assert_eq!(c.station.timezone, chrono_tz::Asia::Ho_Chi_Minh);
    assert_eq!(c.output.device, OutputSpec::Default);
    for slug in ["nq57", "bdhvs", "cds", "khcn", STATION_TOPIC] {
        assert!(c.topics.contains_key(slug), "{slug}");
    }
    // Its playlists exist and read cleanly (the audio may still be being produced).
    let problems: Vec<String> = check_files(&c)
        .iter()
        .map(ToString::to_string)
        .filter(|m| !m.contains(".ogg does not exist"))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The shipped config, playlists and (placeholder) audio in a temp station: all clean.
#[test]
fn shipped_station_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = |rel: &str| {
        let to = tmp.path().join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root.join(rel), to).expect("copy");
    };
    copy("config/loaxa.toml");
    for list in ["demo.toml", "ban-tin-sang.toml", "ban-tin-chieu.m3u8"] {
        copy(&format!("playlists/{list}"));
    }
    for audio in ["nhac-hieu", "ban-tin-1", "ban-tin-2"] {
        let p = tmp.path().join(format!("playlists/demo/{audio}.ogg"));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, b"placeholder").expect("write");
    }
    let c = load(&tmp.path().join("config/loaxa.toml")).unwrap_or_else(|e| panic!("{e}"));
    let problems = check_files(&c);
    assert!(problems.is_empty(), "{problems:#?}");
    // A missing playlist is reported where the config names it.
    std::fs::remove_file(tmp.path().join("playlists/ban-tin-chieu.m3u8")).expect("rm");
    std::fs::remove_file(tmp.path().join("playlists/demo/nhac-hieu.ogg")).expect("rm");
    let problems = check_files(&c);
    let text = std::fs::read_to_string(&c.path).expect("read");
    let line = 1 + text
        .lines()
        .position(|l| l.contains("[\"ban-tin-chieu\"]"))
        .expect("line");
    assert!(
        problems
            .iter()
            .any(|d| d.line == line && d.column == 14 && d.message.contains("ban-tin-chieu")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|d| d.message.contains("intro file")),
        "{problems:#?}"
    );
}

#[test]
fn toml_syntax_error_has_position() {
    let (line, col, message, _) = one("[station]\nname = \"x\ntimezone = 1\n");
    assert_eq!((line, col), (2, 10), "{message}"); // where the string should have closed
    assert!(message.starts_with("TOML syntax"), "{message}");
}

#[test]
fn unknown_keys_suggest_the_closest() {
    let text =
        "[station]\nname = \"x\"\ntimezon = \"Asia/Ho_Chi_Minh\"\n\n[[programs]]\nname = \"a\"\n";
    let all = errors(text);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!((all[0].line, all[0].column), (3, 1));
    assert_eq!(all[0].hint.as_deref(), Some("did you mean `timezone`?"));
    assert_eq!((all[1].line, all[1].column), (5, 3));
    assert_eq!(all[1].hint.as_deref(), Some("did you mean `program`?"));
}

#[test]
fn wrong_types() {
    let text = "[station]\nname = 5\nrequire_approval = \"yes\"\n";
    let got = positions(text);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!((got[0].0, got[0].1), (2, 8));
    assert!(got[0].2.contains("must be text"), "{}", got[0].2);
    assert_eq!((got[1].0, got[1].1), (3, 20));
    assert!(got[1].2.contains("true or false"), "{}", got[1].2);
}

#[test]
fn bad_timezone() {
    let (line, col, message, hint) = one("[station]\nname = \"x\"\ntimezone = \"Asia/Hanoi\"\n");
    assert_eq!((line, col), (3, 12));
    assert_eq!(message, "unknown timezone \"Asia/Hanoi\"");
    assert!(hint.expect("hint").contains("Asia/Ho_Chi_Minh"));
}

#[test]
fn bad_cron_points_inside_the_string() {
    let text = "[station]\nname = \"x\"\n[[program]]\nname = \"a\"\ncron = \"0 6 * * 8\"\n";
    let (line, col, message, hint) = one(text);
    // `cron = "` is 8 characters; the `8` is the 9th character of the cron text.
    assert_eq!((line, col), (5, 17), "{message}");
    assert!(message.contains("day-of-week field `8`"), "{message}");
    assert!(hint.is_some());
    let (_, col, message, _) = one(&text.replace("0 6 * * 8", "0 6 * *"));
    assert_eq!(col, 9, "{message}");
}

#[test]
fn cron_that_never_fires() {
    let text = "[station]\nname = \"x\"\n[[program]]\nname = \"a\"\ncron = \"0 6 30 2 *\"\n";
    let (line, col, message, _) = one(text);
    assert_eq!((line, col), (5, 8));
    assert!(message.contains("never fires"), "{message}");
}

#[test]
fn duplicate_program_names() {
    let text = "[station]\nname = \"x\"\n[[program]]\nname = \"a\"\ncron = \"@daily\"\n[[program]]\nname = \"a\"\ncron = \"@hourly\"\n";
    let (line, col, message, _) = one(text);
    assert_eq!((line, col), (7, 8));
    assert!(message.contains("already used on line 4"), "{message}");
}

#[test]
fn unknown_default_topic() {
    let text = "[station]\nname = \"x\"\ndefault_topic = \"nq75\"\n[topics]\nnq57 = \"NQ 57\"\n";
    let (line, col, message, hint) = one(text);
    assert_eq!((line, col), (3, 17));
    assert!(message.contains("nq75"), "{message}");
    assert!(hint.expect("hint").contains("nq57"));
}

#[test]
fn bad_duration_channels_output_and_empty_program() {
    let text = r#"[station]
name = "x"
[output]
device = "wav:"
channels = 3
fade_ms = -1
[[program]]
name = "a"
cron = "@daily"
queue = false
max_duration = "30 minutes"
"#;
    let got = positions(text);
    let at: Vec<(usize, usize)> = got.iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
        at,
        vec![(4, 10), (5, 12), (6, 11), (8, 8), (11, 16)],
        "{got:#?}"
    );
    assert!(got[0].2.contains("output device"), "{}", got[0].2);
    assert!(got[1].2.contains("between 1 and 2"), "{}", got[1].2);
    assert!(got[3].2.contains("nothing to play"), "{}", got[3].2);
    assert!(got[4].2.contains("not a duration"), "{}", got[4].2);
}

#[test]
fn several_errors_at_once_in_file_order() {
    let text = r#"[station]
name = "x"
timezone = "Asia/Hanoi"
colour = "red"
[[program]]
name = "sang"
cron = "60 * * * *"
[[program]]
name = "two words"
cron = "0 25 * * *"
max_duration = "1x"
"#;
    let got = positions(text);
    let lines: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(lines, vec![3, 4, 7, 9, 10, 11], "{got:#?}");
    let shown = errors(text)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        shown.contains("/st/config/loaxa.toml:3:12: error: unknown timezone"),
        "{shown}"
    );
}

#[test]
fn missing_station_name_and_cron() {
    let got = positions("[station]\n[[program]]\nname = \"a\"\n");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].2.contains("needs a `name`"));
    assert!(got[1].2.contains("needs a `cron`"));
}

#[test]
fn unreadable_file_is_one_diagnostic() {
    let err = load(Path::new("/nonexistent/loaxa.toml")).expect_err("missing");
    assert_eq!(err.diagnostics.len(), 1);
    assert!(
        err.to_string()
            .starts_with("/nonexistent/loaxa.toml: error: cannot read")
    );
}

#[test]
fn normalize_removes_dot_dot_without_touching_the_disk() {
    assert_eq!(
        normalize(Path::new("/a/config/../data")),
        Path::new("/a/data")
    );
    assert_eq!(normalize(Path::new("/a/./b/../../c")), Path::new("/c"));
    assert_eq!(normalize(Path::new("../x")), Path::new("../x"));
}

#[test]
fn api_section_defaults_to_loopback_without_token() {
    let c = parse(GOOD, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.api.listen, DEFAULT_API_LISTEN);
    assert_eq!(c.api.token_sha256, None);
    assert_eq!(c.api.max_upload, 200 * 1024 * 1024);
}

#[test]
fn api_section_reads_address_hash_and_upload_limit() {
    // sha256("bí mật") is not needed here: any 64 hex digits are a hash.
    let text = format!(
        "{GOOD}\n[api]\nlisten = \"0.0.0.0:9000\"\ntoken_sha256 = \"{}\"\nmax_upload_mb = 50\n",
        "AB".repeat(32)
    );
    let c = parse(&text, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.api.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.api.token_sha256, Some([0xab; 32]));
    assert_eq!(c.api.max_upload, 50 * 1024 * 1024);
    assert!(
        !format!("{:?}", c.api).contains("ab"),
        "the hash is not logged"
    );
}

#[test]
fn api_bad_address_and_bad_hash_are_reported_at_their_place() {
    let base_lines = GOOD.lines().count();
    let text = format!("{GOOD}[api]\nlisten = \"localhost\"\ntoken_sha256 = \"secret\"\n");
    let found = positions(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!((found[0].0, found[0].1), (base_lines + 2, 10));
    assert!(found[0].2.contains("not an address"), "{}", found[0].2);
    assert_eq!((found[1].0, found[1].1), (base_lines + 3, 16));
    assert!(found[1].2.contains("64 hex digits"), "{}", found[1].2);
}

#[test]
fn api_beyond_loopback_without_token_is_refused_with_the_hash_command() {
    let base_lines = GOOD.lines().count();
    let text = format!("{GOOD}[api]\nlisten = \"0.0.0.0:8757\"\n");
    let (line, col, message, hint) = one(&text);
    assert_eq!((line, col), (base_lines + 2, 10));
    assert!(message.contains("without a token"), "{message}");
    assert!(hint.unwrap_or_default().contains("sha256sum"));
}

#[test]
fn api_upload_limit_must_be_sane() {
    let text = format!("{GOOD}[api]\nmax_upload_mb = 0\n");
    let (_, _, message, _) = one(&text);
    assert!(message.contains("max_upload_mb"), "{message}");
}

#[test]
fn disk_warning_threshold_defaults_to_500_mb_and_is_bounded_where_written() {
    let c = parse(GOOD, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.station.disk_warn_mb, DEFAULT_DISK_WARN_MB);
    assert_eq!(DEFAULT_DISK_WARN_MB, 500);
    let text = GOOD.replace("timezone =", "disk_warn_mb = 0\ntimezone =");
    let c = parse(&text, Path::new("/st/config/loaxa.toml")).expect("0: off");
    assert_eq!(c.station.disk_warn_mb, 0);
    for bad in ["-1", "20000000", "\"500MB\""] {
        let text = GOOD.replace("timezone =", &format!("disk_warn_mb = {bad}\ntimezone ="));
        let (line, col, message, _) = one(&text);
        assert_eq!((line, col), (4, 16), "{bad}: {message}");
        assert!(message.contains("disk_warn_mb"), "{bad}: {message}");
    }
}

#[test]
fn audio_section_defaults_suit_speech_on_loudspeakers() {
    let c = parse(GOOD, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.audio.target_lufs, -16.0);
    assert_eq!(c.audio.true_peak_ceiling_dbtp, -1.0);
    assert_eq!(c.audio.master_gain_db, 0.0);
    assert_eq!(c.audio.trim_silence_db, None);
}

#[test]
fn audio_section_reads_whole_and_decimal_numbers_and_trim_switches() {
    let text = format!(
        "{GOOD}[audio]\ntarget_lufs = -18.5\ntrue_peak_ceiling_dbtp = -2\nmaster_gain_db = 1.5\ntrim_silence_db = -45\n"
    );
    let c = parse(&text, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(
        (
            c.audio.target_lufs,
            c.audio.true_peak_ceiling_dbtp,
            c.audio.master_gain_db,
            c.audio.trim_silence_db
        ),
        (-18.5, -2.0, 1.5, Some(-45.0))
    );
    let on = format!("{GOOD}[audio]\ntrim_silence_db = true\n");
    let c = parse(&on, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.audio.trim_silence_db, Some(DEFAULT_TRIM_DB));
    let off = format!("{GOOD}[audio]\ntrim_silence_db = false\n");
    let c = parse(&off, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.audio.trim_silence_db, None);
}

/// Each bad `[audio]` value is reported at its own line:column, with a hint naming a good one.
#[test]
fn audio_bad_values_are_reported_at_their_place_with_a_fix() {
    let base = GOOD.lines().count();
    for (line, col, needle, hint) in [
        (
            "target_lufs = 16",
            15,
            "target_lufs 16 must be between -40 and -5",
            "-16",
        ),
        ("target_lufs = \"loud\"", 15, "must be a number", ""),
        (
            "true_peak_ceiling_dbtp = 3",
            26,
            "true_peak_ceiling_dbtp 3 must be between -20 and 0",
            "-1",
        ),
        (
            "true_peak_ceiling_dbtp = nan",
            26,
            "true_peak_ceiling_dbtp NaN",
            "-1",
        ),
        (
            "master_gain_db = 40",
            18,
            "master_gain_db 40 must be between -40 and 20",
            "0",
        ),
        (
            "trim_silence_db = -5",
            19,
            "trim_silence_db -5 must be between -90 and -20",
            "false",
        ),
        ("trim_silence_db = \"-50\"", 19, "must be a number", ""),
        (
            "target_lufs_db = -16",
            1,
            "unknown key `target_lufs_db` in [audio]",
            "target_lufs",
        ),
    ] {
        let text = format!("{GOOD}[audio]\n{line}\n");
        let (l, c, message, h) = one(&text);
        assert_eq!((l, c), (base + 2, col), "{line}: {message}");
        assert!(message.contains(needle), "{line}: {message}");
        assert!(h.unwrap_or_default().contains(hint), "{line}: hint");
    }
}

const RELAY_STATION: &str =
    "[station]\nname = \"x\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n[topics]\nkhcn = \"KH&CN\"\n";

#[test]
fn a_relay_program_reads_its_sources_window_and_fallback() {
    let text = format!(
        r#"{RELAY_STATION}[[program]]
name = "vov1-sang"
title = "Tiếp sóng Thời sự VOV1"
cron = "0 6 * * *"
relay = ["https://radio.example.vn/vov1/playlist.m3u8", "http://[2001:db8::1]:8000/vov1.mp3"]
max_duration = "30m"
fallback = ["ban-tin-sang"]
record = true
topic = "khcn"
"#
    );
    let c = parse(&text, Path::new("/st/config/loaxa.toml")).expect("valid");
    let p = &c.programs[0];
    assert_eq!(p.relay.len(), 2);
    assert_eq!(p.fallback, vec!["ban-tin-sang".to_string()]);
    assert!(p.record);
    assert!(!p.queue, "a relay program takes no queued segments");
    assert_eq!(p.max_duration, Some(Duration::from_secs(1800)));
    assert_eq!(p.spans.fallback, vec![(12, 13)]);
    assert_eq!(p.topic.as_deref(), Some("khcn"));
}

#[test]
fn relay_mistakes_are_found_at_their_place() {
    let text = format!(
        r#"{RELAY_STATION}[[program]]
name = "a"
cron = "0 6 * * *"
relay = ["ftp://vov.vn/x", "http://:80/x", "http://h:99999/x", "https://ok.example/x"]
[[program]]
name = "b"
cron = "0 7 * * *"
relay = ["http://h/x"]
max_duration = "10m"
playlists = ["p"]
[[program]]
name = "c"
cron = "0 8 * * *"
playlists = ["p"]
fallback = ["q"]
"#
    );
    let got = positions(&text);
    let at: Vec<(usize, usize)> = got.iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
        at,
        vec![(7, 8), (9, 10), (9, 28), (9, 44), (15, 13), (20, 12)],
        "{got:#?}"
    );
    assert!(got[0].2.contains("max_duration"), "{}", got[0].2);
    assert!(got[1].2.contains("http:// or https://"), "{}", got[1].2);
    assert!(got[2].2.contains("host name is missing"), "{}", got[2].2);
    assert!(got[3].2.contains("99999"), "{}", got[3].2);
    assert!(got[4].2.contains("relay only"), "{}", got[4].2);
    assert!(
        got[5].2.contains("belong to relay programs"),
        "{}",
        got[5].2
    );
}

#[test]
fn a_relay_program_lists_at_most_eight_sources() {
    let urls = (0..9)
        .map(|i| format!("\"http://h{i}.example/x\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "{RELAY_STATION}[[program]]\nname = \"a\"\ncron = \"0 6 * * *\"\nmax_duration = \"5m\"\nrelay = [{urls}]\n"
    );
    let (_, _, message, hint) = one(&text);
    assert!(
        message.contains("9 sources") && message.contains("at most 8"),
        "{message}"
    );
    assert!(hint.is_some());
}

#[test]
fn a_recorded_relay_needs_a_known_topic() {
    let program = |extra: &str| {
        format!(
            "{RELAY_STATION}[[program]]\nname = \"a\"\ncron = \"0 6 * * *\"\nmax_duration = \"5m\"\nrelay = [\"http://h/x\"]\nrecord = true\n{extra}"
        )
    };
    let (line, _, message, hint) = one(&program(""));
    assert_eq!(line, 11);
    assert!(message.contains("need a topic"), "{message}");
    assert!(hint.is_some_and(|h| h.contains("default_topic")));
    let (_, _, message, hint) = one(&program("topic = \"khc\"\n"));
    assert!(message.contains("\"khc\" is not in [topics]"), "{message}");
    assert!(hint.is_some_and(|h| h.contains("did you mean \"khcn\"")));
    let with_default = program("").replace("[topics]", "default_topic = \"khcn\"\n[topics]");
    let c = parse(&with_default, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert!(c.programs[0].record && c.programs[0].topic.is_none());
}

#[test]
fn tts_defaults_to_espeak_ng_and_its_three_vietnamese_voices() {
    let c = parse(GOOD, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(c.tts.engine, TtsEngine::EspeakNg);
    assert_eq!(c.tts.voice, "vi");
    assert_eq!(c.tts.voices, ["vi", "vi-vn-x-central", "vi-vn-x-south"]);
    let text = format!(
        "{GOOD}\n[tts]\ncommand = [\"piper\", \"--output_file\", \"{{out}}\"]\nvoices = [\"a\", \"b\"]\n"
    );
    let c = parse(&text, Path::new("/st/config/loaxa.toml")).expect("valid");
    assert_eq!(
        c.tts.engine,
        TtsEngine::Command(vec!["piper".into(), "--output_file".into(), "{out}".into()])
    );
    assert_eq!(c.tts.voice, "a", "the first voice is the default");
}

#[test]
fn tts_mistakes_are_found_at_their_place_with_a_fix() {
    let text = format!(
        "{GOOD}\n[tts]\nengine = \"festival\"\nvoice = \"vi-hue\"\nvoices = [\"vi\", \"vi bac\"]\ncommand = [\"piper\"]\nspeed = 2\n"
    );
    let all = errors(&text);
    let at = |line: usize| {
        all.iter()
            .find(|d| d.line == line)
            .unwrap_or_else(|| panic!("nothing on line {line}: {all:#?}"))
    };
    let first = GOOD.lines().count() + 2;
    assert!(at(first + 1).message.contains("festival"), "{all:#?}");
    assert!(
        at(first + 1)
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("espeak-ng"))
    );
    assert!(at(first + 2).message.contains("vi-hue"), "{all:#?}");
    assert!(at(first + 3).message.contains("vi bac"), "{all:#?}");
    assert!(at(first + 4).message.contains("{out}"), "{all:#?}");
    assert!(at(first + 5).message.contains("speed"), "{all:#?}");
}
