//! The real `loaxa` binary, driven as an operator would: bad input gets a clear message and
//! changes nothing; a daemon killed mid-play leaves an honest record.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use bin::{loaxa, text};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use loaxa::asrun::{ON_AIR, STOPPED_UNEXPECTEDLY};
use loaxa::model::Outcome;
use station::TestStation;

fn empty_station() -> TestStation {
    TestStation::new(
        "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    )
}

#[test]
fn check_reports_config_mistakes_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"x\"\ntimezone = \"Asia/Hanoi\"\n\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * 8\"\nplaylists = []\n",
    )
    .expect("write");
    let out = loaxa(&config, &["check"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "check must fail on a bad config"
    );
    let err = text(&out.stderr);
    let shown = config.display().to_string();
    assert!(
        err.contains(&format!("{shown}:3:12")),
        "timezone position in:\n{err}"
    );
    assert!(
        err.contains(&format!("{shown}:7:")),
        "cron position in:\n{err}"
    );
    assert!(err.contains("hint"), "{err}");
}

#[test]
fn check_passes_on_a_good_station_and_shows_next_fires() {
    let t = empty_station();
    let out = loaxa(&t.config_path(), &["check"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("sang") && all.contains("05:30:00"), "{all}");
}

#[test]
fn a_minimal_config_without_a_playlists_folder_passes_check() {
    // The smallest station: a name and a data folder, no programs yet, no playlists folder.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(&config, "[station]\nname = \"Xã A\"\ndata_dir = \"data\"\n").expect("write");
    let out = loaxa(&config, &["check"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    // A program naming a playlist that is not there is still told so, where it names it.
    std::fs::write(
        &config,
        "[station]\nname = \"Xã A\"\ndata_dir = \"data\"\n\n[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = [\"ban-tin\"]\n",
    )
    .expect("write");
    let out = loaxa(&config, &["check"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ban-tin") && err.contains(&format!("{}:8:", config.display())),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_audio_is_refused_and_nothing_is_kept() {
    let t = empty_station();
    std::fs::write(t.path("media/bản tin.mp3"), "this is not audio").expect("write");
    let out = loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            &t.path("media/bản tin.mp3").to_string_lossy(),
            "--topic",
            "cds",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bản tin.mp3"), "names the file: {err}");
    let list = loaxa(&t.config_path(), &["segment", "list", "--json"]);
    assert_eq!(text(&list.stdout), "", "nothing was stored");
    let media = std::fs::read_dir(t.path("data/media"))
        .expect("media dir")
        .count();
    assert_eq!(media, 0, "no media file was kept");
}

#[test]
fn segment_add_json_gives_one_object_per_file_and_no_decoder_chatter() {
    let t = empty_station();
    t.noise_file("media/a.wav", 0.5);
    std::fs::write(t.path("media/b.mp3"), "this is not audio").expect("write");
    // An MP3 with 20 bytes of junk before its first frame: the decoder library notes it.
    let junk = t.path("media/c.mp3");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vbr-no-xing-44k1-mono.mp3"),
        &junk,
    )
    .expect("copy fixture");
    let files: Vec<String> = ["media/a.wav", "media/b.mp3", "media/a.wav", "media/c.mp3"]
        .iter()
        .map(|f| t.path(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["segment", "add", "--json", "--topic", "cds"];
    args.extend(files.iter().map(String::as_str));
    let out = loaxa(&t.config_path(), &args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "one file failed: {err}");
    assert!(
        !err.contains("symphonia") && !err.contains("junk"),
        "the decoders' own notes stay off the operator's terminal:\n{err}"
    );
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        outcomes,
        ["added", "error", "already_present", "added"],
        "{lines:#?}"
    );
    for (line, file) in lines.iter().zip(&files) {
        assert_eq!(line["file"], file.as_str());
    }
    assert_eq!(lines[0]["segment"]["id"], 1);
    assert_eq!(
        lines[2]["segment"]["id"], 1,
        "the duplicate names the segment it matches"
    );
    assert_eq!(lines[3]["segment"]["id"], 2);
    assert!(
        lines[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("b.mp3")),
        "{lines:#?}"
    );
    assert_eq!(lines[1]["code"]["code"], "file_not_audio", "{lines:#?}");
}

#[test]
fn the_same_file_added_twice_is_recognised() {
    let t = empty_station();
    t.noise_file("media/a.wav", 0.5);
    let file = t.path("media/a.wav").to_string_lossy().into_owned();
    let first = loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            &file,
            "--topic",
            "cds",
            "--title",
            "Chuyển đổi số",
        ],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).starts_with("1\t"),
        "prints the new id: {}",
        text(&first.stdout)
    );
    let second = loaxa(
        &t.config_path(),
        &["segment", "add", &file, "--topic", "cds"],
    );
    assert!(second.status.success());
    assert!(
        text(&second.stdout).contains("already in the library"),
        "{}",
        text(&second.stdout)
    );
    let unknown_topic = loaxa(
        &t.config_path(),
        &["segment", "add", &file, "--topic", "xyz"],
    );
    assert_eq!(unknown_topic.status.code(), Some(1));
    assert!(
        text(&unknown_topic.stderr).contains("cds"),
        "lists the known topics"
    );
}

/// Starts `loaxa run` and returns it with a channel of its stderr lines.
fn spawn_daemon(config: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(config)
        .arg("run")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start daemon");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!(
                "no `{needle}` from the daemon; it said:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[test]
fn a_daemon_killed_mid_play_leaves_an_interrupted_record_that_the_next_start_closes() {
    let t = TestStation::new(
        "[[program]]\nname = \"moi-giay\"\ncron = \"* * * * * *\"\nplaylists = [\"p\"]\n",
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/long.wav\"\n",
        )],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.noise_file("media/long.wav", 30.0);
    let (mut daemon, lines) = spawn_daemon(&t.config_path());
    wait_for(&lines, "on air");
    daemon.kill().expect("SIGKILL");
    daemon.wait().expect("reap");

    // The killed daemon's daemon.json is stale: commands notice and work on the store.
    let log = loaxa(&t.config_path(), &["log", "--json"]);
    assert!(log.status.success(), "{}", text(&log.stderr));
    let first: serde_json::Value =
        serde_json::from_str(text(&log.stdout).lines().next().expect("one record")).expect("json");
    assert_eq!(first["outcome"], "interrupted");
    assert_eq!(first["reason"], ON_AIR);
    assert!(first["ended_at"].is_null());

    let (mut daemon, lines) = spawn_daemon(&t.config_path());
    let said = wait_for(&lines, "next program");
    assert!(
        said.iter().any(|l| l.contains("closed plays left on air")),
        "the restart reports the interrupted play:\n{}",
        said.join("\n")
    );
    // While the daemon holds the database, commands go through its API.
    let busy = loaxa(&t.config_path(), &["segment", "list"]);
    assert!(busy.status.success(), "{}", text(&busy.stderr));
    daemon.kill().expect("SIGKILL");
    daemon.wait().expect("reap");

    // A killed daemon's pipe child may hold the database a moment longer.
    let store = station::store_when_free(&t.path("data/db"));
    let first = store
        .record(1)
        .expect("read")
        .expect("record 1 survived the kill");
    assert_eq!(first.outcome, Outcome::Interrupted);
    assert_eq!(first.reason.as_deref(), Some(STOPPED_UNEXPECTEDLY));
    assert_eq!(first.program, "moi-giay");
}

#[test]
fn removing_a_queued_segment_is_refused_unless_forced() {
    let t = empty_station();
    t.noise_file("media/a.wav", 0.5);
    let file = t.path("media/a.wav").to_string_lossy().into_owned();
    assert!(
        loaxa(
            &t.config_path(),
            &["segment", "add", &file, "--topic", "cds"]
        )
        .status
        .success()
    );
    let queued = loaxa(&t.config_path(), &["queue", "add", "1"]);
    assert!(queued.status.success(), "{}", text(&queued.stderr));
    let refused = loaxa(&t.config_path(), &["segment", "rm", "1"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("queued"),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        loaxa(&t.config_path(), &["segment", "show", "1"])
            .status
            .success(),
        "still there"
    );
    let forced = loaxa(&t.config_path(), &["segment", "rm", "1", "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let queue = loaxa(&t.config_path(), &["queue", "list", "--json"]);
    assert_eq!(text(&queue.stdout), "", "the queue entry went with it");
    let unknown = loaxa(&t.config_path(), &["queue", "add", "99"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("no segment 99"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn schedule_shows_what_each_program_will_play_with_warnings() {
    let t = station::two_items_too_long_for_their_program();
    let out = loaxa(&t.config_path(), &["schedule", "--days", "2", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let programs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(programs.len(), 2, "one program a day for two days");
    for p in &programs {
        assert_eq!(p["program"], "sang");
        assert!(
            p["at"].as_str().expect("time").contains("T06:00:00+07:00"),
            "{p}"
        );
        assert_eq!(
            p["items"].as_array().expect("items").len(),
            1,
            "only one 1.5 s item fits in 2 s"
        );
        assert_eq!(p["warnings"][0]["code"], "deferred", "{p}");
        assert_eq!(p["warnings"][0]["titles"][0], "Hai", "{p}");
    }
    // The preview is sequential order: the same first item each day.
    assert_eq!(programs[0]["items"][0]["title"], "Một");
    assert_eq!(programs[1]["items"][0]["title"], "Một");
}

#[test]
fn the_running_daemon_tells_the_operator_what_airs_in_vietnamese() {
    let t = empty_station();
    t.noise_file("media/a.wav", 0.6);
    let file = t.path("media/a.wav").to_string_lossy().into_owned();
    let added = loaxa(
        &t.config_path(),
        &[
            "segment", "add", &file, "--topic", "cds", "--title", "Tin A",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(t.config_path())
        .args(["run", "--output", "null"])
        .env("NO_COLOR", "1")
        .env_remove("LOAXA_LANG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start daemon");
    let stdout = daemon.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    wait_for(&lines, "chương trình tiếp theo: sang lúc");
    let played = loaxa(&t.config_path(), &["play", "1", "--now"]);
    assert!(played.status.success(), "{}", text(&played.stderr));
    wait_for(&lines, "▶ đang phát «Tin A» — chương trình manual, mục 1/1");
    let said = wait_for(&lines, "«Tin A»");
    assert!(
        said.iter()
            .any(|l| l.starts_with("✓ đã phát «Tin A», ") && l.ends_with(" giây")),
        "{}",
        said.join("\n")
    );
    daemon.kill().expect("SIGKILL");
    daemon.wait().expect("reap");
}
