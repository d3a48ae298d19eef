//! Issue 13, findings 7 and 8: every text a person or a client gives the station is bounded
//! and cleaned where it comes in, and stored text never reaches a terminal as a command.
//!
//! - the HTTP API (multipart upload, PATCH, approve, queue) refuses an oversized text with a
//!   400/413 naming the field and its limit, before storing anything (a 1 MB form field is
//!   cut off as it arrives);
//! - the CLI refuses the same with the same message; control characters, escape sequences
//!   and bidi overrides are removed at input while Vietnamese (NFC or NFD) is kept;
//! - text stored before these rules (an ESC sequence in a title) prints as a visible escape
//!   in `segment list/show`, `log`, `queue` and error messages;
//! - the config and playlists: a name or title over its limit is an error at file:line:col.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use bin::{loaxa, text};
use live::{assert_error, read};
use loaxa::model::SegmentId;
use loaxa::store::Store;
use serde_json::{Value, json};
use station::TestStation;
use unicode_normalization::UnicodeNormalization;

/// A title with everything that must go: an ANSI colour, a terminal-title OSC sequence, a
/// C1 CSI, DEL, a right-to-left override and an isolate; in NFD.
fn dirty(title: &str) -> String {
    let nfd: String = title.nfd().collect();
    format!("\u{1b}[31m{nfd}\u{1b}]0;pwned\u{7}\u{9b}2J\u{7f}\u{202e}gpj.exe\u{2066}")
}

fn cleaned(title: &str) -> String {
    format!("[31m{title}]0;pwned2Jgpj.exe")
}

fn patch(l: &live::Live, path: &str, body: &Value) -> live::Answer {
    read(l.auth(l.agent.patch(l.url(path))).send_json(body))
}

#[test]
fn the_api_refuses_oversized_text_naming_the_field_and_its_limit() {
    let l = live::start(live::station());
    let wav = live::wav_bytes(&l.t, "a.wav", 0.5);

    // 1 MB in one form field: cut off as it arrives (at 16 KB).
    let huge = "a".repeat(1 << 20);
    let answer = l.upload(&[("topic", "cds"), ("title", &huge)], "a.wav", &wav);
    assert_error(&answer, 413, "`title`");
    // Over the limit in characters (NFC), under the byte cap.
    let long = "ả".repeat(501);
    let answer = l.upload(&[("topic", "cds"), ("title", &long)], "a.wav", &wav);
    assert_error(
        &answer,
        400,
        "title is 501 characters long; the limit is 500",
    );
    let answer = l.upload(
        &[("topic", "cds"), ("unit", &"Phòng ".repeat(40))],
        "a.wav",
        &wav,
    );
    assert_error(&answer, 400, "the limit is 200");
    let answer = l.upload(&[("topic", &"t".repeat(65))], "a.wav", &wav);
    assert_error(&answer, 400, "the limit is 64");
    let (status, list) = l.get("/segments");
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (200, Some(0)),
        "{list}"
    );
    assert!(l.uploads_left().is_empty(), "{:?}", l.uploads_left());

    // Near the limit, dirty and decomposed (over 500 code points in NFD): stored clean,
    // in NFC.
    let near_limit = "Bản tin số 1 ".repeat(36);
    let near_limit = near_limit.trim_end(); // 488 characters once cleaned
    let answer = l.upload(
        &[("topic", "cds"), ("title", &dirty(near_limit))],
        "a.wav",
        &wav,
    );
    assert_eq!(answer.0, 201, "{}", answer.1);
    let seg = &answer.1[0]["segment"];
    assert_eq!(seg["title"], cleaned(near_limit));
    let id = seg["id"].as_u64().expect("id");

    let path = format!("/segments/{id}");
    assert_error(
        &patch(&l, &path, &json!({"title": "x".repeat(501)})),
        400,
        "limit is 500",
    );
    assert_error(
        &patch(&l, &path, &json!({"unit": "x".repeat(201)})),
        400,
        "limit is 200",
    );
    let (status, seg) = patch(&l, &path, &json!({"title": dirty("Tin sửa")}));
    assert_eq!(status, 200, "{seg}");
    assert_eq!(seg["title"], cleaned("Tin sửa"));
    let answer = l.post(&format!("{path}/approve"), &json!({"by": "Ô".repeat(201)}));
    assert_error(&answer, 400, "approver's name is 201 characters long");
    let answer = l.post("/queue", &json!({"ids": [id], "program": "p".repeat(65)}));
    assert_error(&answer, 400, "program name is 65 characters long");
    let answer = l.post(
        &format!("{path}/approve"),
        &json!({"by": "\u{202e}Nguyễn Văn A\u{1b}[0m"}),
    );
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["approval"]["by"], "Nguyễn Văn A[0m");
    l.assert_alive();
}

fn station() -> TestStation {
    TestStation::new(live::PROGRAMS, &[], station::local(2026, 3, 1, 0, 0, 0))
}

#[test]
fn the_cli_refuses_long_text_and_stores_text_without_control_characters() {
    let t = station();
    t.noise_file("media/a.wav", 0.5);
    let file = t.path("media/a.wav").to_string_lossy().into_owned();
    let long = "ế".repeat(501);
    let out = loaxa(
        &t.config_path(),
        &["segment", "add", &file, "--topic", "cds", "--title", &long],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("title is 501 characters long; the limit is 500"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let list = loaxa(&t.config_path(), &["segment", "list", "--json"]);
    assert_eq!(text(&list.stdout), "", "nothing was stored");

    let title = "Phường Đống Đa: tiêm chủng ở trẻ";
    let out = loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            &file,
            "--topic",
            "cds",
            "--title",
            &dirty(title),
            "--unit",
            "\u{7}Phòng Văn hóa\u{0b}",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list = loaxa(&t.config_path(), &["segment", "list", "--json"]);
    let seg: Value = serde_json::from_slice(&list.stdout).expect("one JSON line");
    assert_eq!(seg["title"], cleaned(title));
    assert_eq!(seg["unit"], "Phòng Văn hóa");
    let out = loaxa(
        &t.config_path(),
        &["segment", "approve", "1", "--by", &"A".repeat(201)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the limit is 200"),
        "{}",
        text(&out.stderr)
    );
}

/// Bytes a terminal would act on: ESC, BEL, the C1 CSI (U+009B) and a bidi override.
fn assert_inert(what: &str, out: &[u8]) {
    let shown = text(out);
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!shown.contains(bad), "{what} prints {bad:?} raw: {shown:?}");
    }
}

#[test]
fn stored_text_with_escape_sequences_prints_as_visible_escapes() {
    let t = station();
    t.noise_file("media/a.wav", 0.5);
    let file = t.path("media/a.wav").to_string_lossy().into_owned();
    let out = loaxa(
        &t.config_path(),
        &["segment", "add", &file, "--topic", "cds", "--title", "x"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // As an older loaxa stored them: an escape sequence that clears the screen and sets
    // the terminal's title, a C1 CSI, a bidi override, and a 100 000-character unit.
    let evil = "Tin \u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}cba";
    {
        let store = Store::open(&t.path("data/db")).expect("store");
        let mut seg = store
            .segment(SegmentId(1))
            .expect("read")
            .expect("segment 1");
        seg.title = evil.into();
        seg.unit = Some("đ".repeat(100_000));
        store.insert_segment(&seg).expect("write");
        let at = station::local(2026, 3, 1, 5, 30, 0);
        let mut rec = loaxa::model::AsRunRecord {
            id: 0,
            program: "sang\u{1b}[1m".into(),
            trigger: loaxa::model::Trigger::Schedule,
            role: loaxa::model::Role::Item,
            scheduled_at: at,
            started_at: None,
            ended_at: None,
            played_ms: 0,
            segment_id: Some(SegmentId(1)),
            title: evil.into(),
            topic: "cds".into(),
            unit: None,
            sha256: "ab".into(),
            outcome: loaxa::model::Outcome::Failed,
            reason: Some("lỗi \u{1b}[5m".into()),
            output: "null".into(),
            priority: loaxa::model::Priority::Normal,
            approved_by: None,
            approved_at: None,
            peak_dbfs: None,
            loudness_lufs: None,
            audible_ms: None,
            silent: false,
            relay: None,
            live: None,
            streams: Vec::new(),
            source: None,
            hash_version: 2,
            prev_hash: String::new(),
            hash: String::new(),
        };
        store.append_record(&mut rec).expect("append");
    }
    let escaped = "Tin \\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}cba";
    for args in [
        vec!["segment", "list"],
        vec!["segment", "show", "1"],
        vec!["log"],
        vec!["queue", "add", "1"],
        vec!["queue", "list"],
    ] {
        let out = loaxa(&t.config_path(), &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_inert(&format!("{args:?}"), &out.stdout);
        assert!(
            text(&out.stdout).contains(escaped),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    // The report printed on the terminal (Markdown) quotes the failure's reason.
    let out = loaxa(
        &t.config_path(),
        &["report", "--from", "2026-03-01", "--to", "2026-03-31"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_inert("report", &out.stdout);
    assert!(
        text(&out.stdout).contains("lỗi \\u{1b}[5m"),
        "{}",
        text(&out.stdout)
    );
    // An error message quoting the title (it is queued) is escaped too.
    let out = loaxa(&t.config_path(), &["segment", "rm", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_inert("segment rm", &out.stderr);
    assert!(text(&out.stderr).contains(escaped), "{}", text(&out.stderr));
    // The old, over-long unit still lists, exports and reports.
    let export = loaxa(&t.config_path(), &["log", "export", "--format", "csv"]);
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    let show = loaxa(&t.config_path(), &["segment", "show", "1"]);
    assert!(text(&show.stdout).contains(&"đ".repeat(100_000)));
}

#[test]
fn names_and_titles_over_their_limit_in_the_config_and_playlists_are_errors_at_their_place() {
    let long_title = "Chương trình ".repeat(16);
    let long_title = long_title.trim(); // 207 characters
    let programs = format!(
        "[[program]]\nname = \"sang\"\ntitle = \"{long_title}\"\ncron = \"30 5 * * *\"\nplaylists = [\"tin\", \"m3u\"]\n"
    );
    let item_title = "Bản tin ".repeat(63);
    let item_title = item_title.trim(); // 503 characters
    let t = TestStation::new(
        &programs,
        &[
            (
                "tin.toml",
                &format!(
                    "topic = \"cds\"\n\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"{item_title}\"\n"
                ),
            ),
            (
                "m3u.m3u",
                &format!("#EXTM3U\n#LOAXA-TOPIC:cds\n#EXTINF:1,{item_title}\n../media/a.wav\n"),
            ),
        ],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.noise_file("media/a.wav", 0.5);
    let out = loaxa(&t.config_path(), &["check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let config = t.config_path().display().to_string();
    let lines = std::fs::read_to_string(t.config_path()).expect("config");
    let line = lines
        .lines()
        .position(|l| l.starts_with("title = \"Chương"))
        .expect("title line")
        + 1;
    assert!(
        err.contains(&format!("{config}:{line}:9"))
            && err.contains("`title` is 207 characters long; the limit is 200"),
        "{err}"
    );
    // With the program's title fixed, the playlists are read: their titles are checked too.
    std::fs::write(t.config_path(), lines.replace(long_title, "Sáng")).expect("config");
    let out = loaxa(&t.config_path(), &["check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let toml = t.path("playlists/tin.toml").display().to_string();
    assert!(
        err.contains(&format!("{toml}:5:9"))
            && err.contains("is 503 characters long; the limit is 500"),
        "{err}"
    );
    let m3u = t.path("playlists/m3u.m3u").display().to_string();
    assert!(err.contains(&format!("{m3u}:3:1")), "{err}");
    assert!(
        !err.contains("the limit is 200"),
        "the program title was fixed: {err}"
    );
}
