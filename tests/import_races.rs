//! Imports at the same time and imports cut off, through the real binary and its API.
//!
//! Regressions: 20 identical uploads at once made two segments sharing one media file
//! (deleting one broke the other on air, and `loaxa check` said ok); a SIGKILL during an
//! upload left its temp file in `data/uploads/` forever.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::io::Write;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use loaxa::model::SegmentId;
use process::Daemon;
use serde_json::Value;
use station::{TestStation, local};

const NO_PROGRAMS: &str = "[[program]]\nname = \"sang\"\ncron = \"0 0 3 1 1 *\"\nplaylists = []\n";

fn test_station() -> TestStation {
    let t = TestStation::new(NO_PROGRAMS, &[], local(2026, 5, 4, 4, 59, 0));
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    t
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn upload(base: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let (content_type, body) = wav::upload_form(name, bytes);
    let mut answer = agent()
        .post(format!("{base}/api/v1/segments"))
        .header("X-Loaxa-Request", "1")
        // The English words (the code is checked too).
        .header("Accept-Language", "en")
        .header("Content-Type", content_type)
        .send(&body[..])
        .expect("the API answers");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn segments(base: &str) -> Vec<Value> {
    let mut answer = agent()
        .get(format!("{base}/api/v1/segments"))
        .call()
        .expect("the API answers");
    let text = answer.body_mut().read_to_string().expect("body");
    let list: Value = serde_json::from_str(&text).expect("JSON");
    list.as_array().expect("a list").clone()
}

#[test]
fn twenty_identical_uploads_and_eight_cli_adds_at_once_make_one_segment_each() {
    let t = test_station();
    t.noise_file("in/bản tin.wav", 3.0);
    t.noise_file("in/other.wav", 2.0);
    let bytes = std::fs::read(t.path("in/bản tin.wav")).expect("wav");
    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));

    let start = Arc::new(Barrier::new(20));
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..20)
            .map(|_| {
                let (start, base, bytes) = (start.clone(), &base, &bytes);
                s.spawn(move || {
                    start.wait();
                    upload(base, "bản tin.wav", bytes)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("upload thread"))
            .collect()
    });
    let added = answers
        .iter()
        .filter(|(s, b)| *s == 201 && b[0]["status"] == "added")
        .count();
    let present: Vec<&Value> = answers
        .iter()
        .filter(|(s, b)| *s == 200 && b[0]["status"] == "already_present")
        .map(|(_, b)| &b[0]["segment"]["id"])
        .collect();
    assert_eq!((added, present.len()), (1, 19), "{answers:#?}");
    let list = segments(&base);
    assert_eq!(list.len(), 1, "{list:#?}");
    assert!(
        present.iter().all(|id| **id == list[0]["id"]),
        "{answers:#?}"
    );
    assert_eq!(
        station::files_in(&t.path("data/media")),
        [list[0]["media_file"].as_str().expect("name")]
    );
    assert_eq!(
        station::files_in(&t.path("data/uploads")),
        Vec::<String>::new()
    );

    // The operator's CLI, eight at once (through the running daemon).
    let other = t.path("in/other.wav");
    let outputs: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (t, other) = (&t, &other);
                s.spawn(move || {
                    let file = other.to_str().expect("utf-8");
                    let out = bin::loaxa(
                        &t.config_path(),
                        &["segment", "add", file, "--topic", "cds"],
                    );
                    assert!(out.status.success(), "{}", bin::text(&out.stderr));
                    bin::text(&out.stdout)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("cli thread"))
            .collect()
    });
    let list = segments(&base);
    assert_eq!(list.len(), 2, "{list:#?}");
    let id = list[1]["id"].as_u64().expect("id");
    let added = outputs
        .iter()
        .filter(|o| o.contains("\tadded «other»"))
        .count();
    let told = format!("already in the library as #{id} «other»");
    let present = outputs.iter().filter(|o| o.contains(&told)).count();
    assert_eq!((added, present), (1, 7), "{outputs:#?}");
    assert_eq!(station::files_in(&t.path("data/media")).len(), 2);
    daemon.stop();
}

#[test]
fn an_upload_cut_off_by_a_kill_leaves_no_temp_file_after_the_next_start() {
    let t = test_station();
    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let addr = base.trim_start_matches("http://").to_string();
    // Half an upload: the head and 256 KiB of a 1 MiB file, then silence.
    let (content_type, body) = wav::upload_form("long.wav", &vec![0u8; 1 << 20]);
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        conn,
        "POST /api/v1/segments HTTP/1.1\r\nHost: {addr}\r\nX-Loaxa-Request: 1\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("send head");
    conn.write_all(&body[..256 << 10]).expect("send part");
    conn.flush().expect("flush");
    let uploads = t.path("data/uploads");
    let deadline = Instant::now() + Duration::from_secs(10);
    while station::files_in(&uploads).is_empty() {
        assert!(Instant::now() < deadline, "no temp file while uploading");
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon.kill();
    drop(conn);
    let left = station::files_in(&uploads);
    assert_eq!(left.len(), 1, "the kill leaves the temp file: {left:?}");

    // The killed daemon's announcement is stale: wait for the new one's.
    std::fs::remove_file(t.path("data/daemon.json")).expect("rm daemon.json");
    let mut again = Daemon::spawn_with_env(&t.config_path(), &[]);
    again.api_address(&t.path("data"));

    assert_eq!(
        station::files_in(&uploads),
        Vec::<String>::new(),
        "swept at start"
    );
    assert!(
        again.said().contains("removed uploads a stop cut off"),
        "{}",
        again.said()
    );
    again.stop();
}

#[test]
fn a_media_file_two_segments_share_stays_until_the_last_goes_and_check_reports_it() {
    let t = test_station();
    t.noise_file("in/a.wav", 2.0);
    let config = loaxa::config::load(&t.config_path()).expect("config");
    let station = station::open_when_free(config.clone(), Arc::new(loaxa::clock::SystemClock));
    let first = t.add(&station, "in/a.wav", t.meta("A"));
    // A library damaged by the old race: a second segment on the same media file.
    let mut twin = station
        .store
        .segment(first)
        .expect("read")
        .expect("present");
    twin.id = station.store.next_segment_id().expect("id");
    twin.title = "A again".into();
    station.store.insert_segment(&twin).expect("insert");
    let media = station.media_path(&twin.media_file);
    drop(station);

    let out = bin::loaxa(&t.config_path(), &["check"]);
    let said = bin::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "segments {first}, {} share one media file",
            twin.id
        )),
        "{said}"
    );

    let out = bin::loaxa(&t.config_path(), &["segment", "rm", &first.to_string()]);
    assert!(out.status.success(), "{}", bin::text(&out.stderr));
    assert!(
        media.is_file(),
        "the twin still airs from {}",
        media.display()
    );
    let out = bin::loaxa(&t.config_path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", bin::text(&out.stderr));

    // A media file gone from the store is reported too.
    std::fs::remove_file(&media).expect("rm");
    let out = bin::loaxa(&t.config_path(), &["check"]);
    let said = bin::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("segment {}", twin.id)) && said.contains("is missing"),
        "{said}"
    );

    let out = bin::loaxa(&t.config_path(), &["segment", "rm", &twin.id.to_string()]);
    assert!(out.status.success(), "{}", bin::text(&out.stderr));
    let _: SegmentId = twin.id;
}

#[test]
fn upload_errors_give_the_real_reason_and_the_operators_own_file_name() {
    // Regressions: an oversized file sent by the CLI said "is `loaxa run` still running?";
    // the conversion hint of an upload named the daemon's temp file.
    let t = TestStation::with_api(
        NO_PROGRAMS,
        &[],
        local(2026, 5, 4, 4, 59, 0),
        "max_upload_mb = 1",
    );
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    t.noise_file("in/dài quá.wav", 70.0); // 1.1 MB
    let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));

    let big = t.path("in/dài quá.wav");
    let out = bin::loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            big.to_str().expect("utf-8"),
            "--topic",
            "cds",
        ],
    );
    let said = bin::text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("dài quá.wav is too big to upload: 1.1 MB, the daemon takes at most 1 MB"),
        "{said}"
    );
    assert!(said.contains("max_upload_mb"), "{said}");
    assert!(!said.contains("still running"), "{said}");

    let (status, body) = upload(
        &base,
        "bản tin.opus",
        b"this is not audio at all, just text",
    );
    assert_eq!(status, 422, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("bản tin.opus is not an audio file"),
        "{body}"
    );
    assert!(
        error.contains("`ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'`"),
        "{body}"
    );
    assert!(!error.contains("upload-"), "{body}");
    // Its own code, the operator's file name and the conversion command as parameters.
    assert_eq!(body["code"], "file_not_audio", "{body}");
    assert_eq!(body["file"], "bản tin.opus", "{body}");
    assert_eq!(
        body["convert"], "ffmpeg -i 'bản tin.opus' -c:a libmp3lame -q:a 2 'bản tin.mp3'",
        "{body}"
    );
    assert_eq!(
        station::files_in(&t.path("data/uploads")),
        Vec::<String>::new()
    );
    daemon.stop();
}
