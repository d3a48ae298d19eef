//! A full disk under the daemon: log writes fail mid-program. The station keeps airing, the
//! operator is warned, the records already written stay as they were, and the records of
//! the program aired meanwhile reach the log — in order, chained — once the disk takes
//! writes again. (The disk is made "full" by the store's fault-injection hook, which fails
//! every log and schedule write with ENOSPC, as sled reports a full disk.)

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/tmpfs.rs"]
mod tmpfs;
#[path = "support/wav.rs"]
mod wav;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loaxa::model::Outcome;
use process::Daemon;
use running::Running;
use serde_json::Value;
use station::{TestStation, local};
use tmpfs::Tmpfs;

const PROGRAMS: &str =
    "[[program]]\nname = \"sang\"\ncron = \"0 5,6 * * *\"\nplaylists = [\"p\"]\n";
const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n\
     [[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n\
     [[item]]\nfile = \"../media/c.wav\"\ntitle = \"C\"\n",
)];

#[tokio::test(start_paused = true)]
async fn a_full_disk_loses_no_record_and_stops_nothing() {
    let t = TestStation::new(PROGRAMS, PLAYLIST, local(2026, 5, 4, 4, 59, 0));
    for f in ["a", "b", "c"] {
        t.noise_file(&format!("media/{f}.wav"), 20.0);
    }
    let station = t.station();
    let store = station.store.clone();
    let d = Running::start(station);
    d.until(local(2026, 5, 4, 5, 10, 0)).await;
    let before = store.records(None, None).expect("records");
    assert_eq!(before.len(), 3);

    // The disk fills while A airs: A's start is written, its end is not.
    d.until(local(2026, 5, 4, 6, 0, 10)).await;
    store.inject_disk_full(true);
    d.until(local(2026, 5, 4, 6, 0, 30)).await;
    // On air all the same, and the operator is told.
    let status = d.handle.status();
    let on_air = status.on_air.as_ref().map(|o| o.title.clone());
    assert_eq!(on_air.as_deref(), Some("B"), "{status:?}");
    let said = station::warnings_in_english(&status.warnings);
    let warning = said
        .iter()
        .find(|w| w.starts_with("cannot write the broadcast log"))
        .unwrap_or_else(|| panic!("no warning: {:?}", status.warnings));
    assert!(warning.contains("No space left on device"), "{warning}");
    assert!(warning.contains("free disk space"), "{warning}");
    let now = store.records(None, None).expect("records");
    assert_eq!(&now[..3], &before[..]);
    assert_eq!(now.len(), 4, "only A's start: {now:?}");
    assert_eq!(now[3].reason.as_deref(), Some(loaxa::asrun::ON_AIR));

    // Space freed while C airs: C's end is the next write, and everything waiting goes first.
    d.until(local(2026, 5, 4, 6, 0, 50)).await;
    store.inject_disk_full(false);
    d.until(local(2026, 5, 4, 6, 1, 10)).await;
    let status = d.handle.status();
    assert!(
        !station::warnings_in_english(&status.warnings)
            .iter()
            .any(|w| w.starts_with("cannot write the broadcast log")),
        "{:?}",
        status.warnings
    );
    let records = d.stop().await;
    assert_eq!(
        &records[..3],
        &before[..],
        "records written before are untouched"
    );
    let six: Vec<(u64, &str, Outcome, u64)> = records[3..]
        .iter()
        .map(|r| (r.id, r.title.as_str(), r.outcome, r.played_ms))
        .collect();
    assert_eq!(
        six,
        [
            (4, "A", Outcome::Completed, 20_000),
            (5, "B", Outcome::Completed, 20_000),
            (6, "C", Outcome::Completed, 20_000),
        ]
    );
    assert!(
        records[3..]
            .iter()
            .all(|r| r.scheduled_at == local(2026, 5, 4, 6, 0, 0))
    );
    let report = store.verify_chain().expect("chain");
    assert!(report.intact(), "{report:?}");
}

// ---- a real full disk under the real binary ------------------------------------------------

/// `GET`/`POST` against the daemon's API; (status, JSON).
fn api(
    agent: &ureq::Agent,
    req: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, Value) {
    let _ = agent;
    let mut answer = req.expect("the API answers");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn upload(agent: &ureq::Agent, base: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let (content_type, body) = wav::upload_form(name, bytes);
    api(
        agent,
        agent
            .post(format!("{base}/api/v1/segments"))
            .header("X-Loaxa-Request", "1")
            .header("Content-Type", content_type)
            .send(&body[..]),
    )
}

/// Polls `GET /now` (real time, at most `secs`) until `done` holds; returns that status.
fn wait_now(
    agent: &ureq::Agent,
    base: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, now) = api(agent, agent.get(format!("{base}/api/v1/now")).call());
        assert_eq!(status, 200, "{now}");
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: last status {now}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until nothing is on air (seen twice, half a second apart: between two items of a
/// program the status may pass through "nothing" for an instant) and `also` holds.
fn wait_off_air(
    agent: &ureq::Agent,
    base: &str,
    secs: u64,
    what: &str,
    also: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let off = |n: &Value| n["on_air"].is_null() && also(n);
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        wait_now(agent, base, left, what, off);
        std::thread::sleep(Duration::from_millis(500));
        let (status, now) = api(agent, agent.get(format!("{base}/api/v1/now")).call());
        assert_eq!(status, 200, "{now}");
        if off(&now) {
            return now;
        }
    }
}

fn disk_warning(now: &Value) -> Option<String> {
    station::json_warnings_in_english(now)
        .into_iter()
        .find(|w| w.starts_with("cannot write the broadcast log"))
}

/// The real binary on a data folder on a real tmpfs, its program airing, the disk full.
struct Real {
    t: TestStation,
    disk: Tmpfs,
    daemon: Daemon,
    base: String,
    agent: ureq::Agent,
    air: PathBuf,
}

impl Real {
    /// Starts the daemon, fires its program and fills the disk while A airs.
    fn start_and_fill() -> Real {
        let playlist = REAL_ITEMS
            .iter()
            .map(|(t, _)| format!("[[item]]\nfile = \"../media/{t}.wav\"\ntitle = \"{t}\"\n"))
            .collect::<String>();
        let playlist = format!("topic = \"cds\"\n{playlist}");
        // Fires far away at first; set to a few seconds ahead once the daemon is up (reload).
        let far = "[[program]]\nname = \"sang\"\ncron = \"0 0 3 1 1 *\"\nplaylists = [\"p\"]\n";
        let t = TestStation::new(far, &[("p.toml", &playlist)], local(2026, 5, 4, 4, 59, 0));
        for (title, secs) in REAL_ITEMS {
            t.noise_file(&format!("media/{title}.wav"), secs);
        }
        let air = t.path("air.wav");
        t.set_output(&format!("device = \"wav:{}\"", air.display()));
        let disk = Tmpfs::mount(&t.path("data"), "12m");
        let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
        let base = daemon.api_address(&t.path("data"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();

        // The program fires 3 s from now (station time).
        let fire = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            + chrono::Duration::seconds(3);
        let cron = fire.format("%-S %-M %-H * * *").to_string();
        let config = std::fs::read_to_string(t.config_path()).expect("config");
        std::fs::write(t.config_path(), config.replace("0 0 3 1 1 *", &cron)).expect("config");
        daemon.send(rustix::process::Signal::HUP);
        wait_now(&agent, &base, 15, "A on air", |n| {
            n["on_air"]["title"] == "A"
        });

        // The disk fills while A airs. sled's file still has room in its last page for a
        // few small writes; an operator's edits use it up (each a real write: 507 once
        // refused).
        disk.fill();
        let mut refused = None;
        for n in 0..1000 {
            let (status, body) = api(
                &agent,
                agent
                    .patch(format!("{base}/api/v1/segments/3"))
                    .send_json(serde_json::json!({ "unit": format!("Xã {n}") })),
            );
            if status != 200 {
                refused = Some((status, body));
                break;
            }
        }
        let (status, body) = refused.expect("the full disk refuses an edit");
        assert_eq!(status, 507, "{body}");
        assert_eq!(body["code"], "disk_full", "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("đầy")),
            "in Vietnamese by default: {body}"
        );
        Real {
            t,
            disk,
            daemon,
            base,
            agent,
            air,
        }
    }
}

/// The log as the daemon's API gives it: (title, outcome).
fn real_log(agent: &ureq::Agent, base: &str) -> Vec<(String, String)> {
    {
        let (status, log) = api(agent, agent.get(format!("{base}/api/v1/log")).call());
        assert_eq!(status, 200, "{log}");
        log.as_array()
            .expect("records")
            .iter()
            .map(|r| {
                let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (field("title"), field("outcome"))
            })
            .collect()
    }
}

/// After a clean stop: `loaxa log verify` passes and the store holds A, B, C completed.
fn assert_log_complete(t: &TestStation) {
    {
        let out = bin::loaxa(&t.config_path(), &["log", "verify"]);
        assert!(
            out.status.success(),
            "{}{}",
            bin::text(&out.stdout),
            bin::text(&out.stderr)
        );
        let config = loaxa::config::load(&t.config_path()).expect("config");
        let station =
            station::open_when_free(config, std::sync::Arc::new(loaxa::clock::SystemClock));
        let records = station.store.records(None, None).expect("records");
        let rows: Vec<(&str, Outcome)> = records
            .iter()
            .map(|r| (r.title.as_str(), r.outcome))
            .collect();
        assert_eq!(
            rows,
            [
                ("A", Outcome::Completed),
                ("B", Outcome::Completed),
                ("C", Outcome::Completed)
            ],
            "{records:#?}"
        );
    }
}

fn completed() -> Vec<(String, String)> {
    REAL_ITEMS
        .iter()
        .map(|(t, _)| (t.to_string(), "completed".to_string()))
        .collect()
}

/// Items of the program: title, seconds.
const REAL_ITEMS: [(&str, f64); 3] = [("A", 4.0), ("B", 12.0), ("C", 4.0)];

#[test]
fn a_real_full_disk_under_the_real_binary_loses_no_record_and_needs_no_restart() {
    // Regression: sled's write error stuck after the disk filled, so the log never resumed
    // after space was freed, and a restart logged the aired program as `missed`; an upload
    // during the fault was answered 422 "not audio".
    let Real {
        t,
        disk,
        mut daemon,
        base,
        agent,
        air,
    } = Real::start_and_fill();
    let media_before = station::files_in(&t.path("data/media"));
    let segments = |agent: &ureq::Agent| {
        let (status, list) = api(agent, agent.get(format!("{base}/api/v1/segments")).call());
        assert_eq!(status, 200, "{list}");
        list.as_array().expect("list").len()
    };
    let segments_before = segments(&agent);
    let new_audio = {
        std::fs::create_dir_all(t.path("in")).expect("mkdir");
        t.noise_file("in/new.wav", 1.0);
        std::fs::read(t.path("in/new.wav")).expect("wav")
    };

    // An upload during the fault: 507 "disk full", and nothing left behind.
    let (status, body) = upload(&agent, &base, "bản tin mới.wav", &new_audio);
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["code"], "disk_full", "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains("ổ đĩa") && error.contains("đầy"), "{body}");
    assert!(
        body["hint"]
            .as_str()
            .is_some_and(|h| h.contains("giải phóng ổ đĩa")),
        "{body}"
    );
    assert_eq!(
        station::files_in(&t.path("data/uploads")),
        Vec::<String>::new()
    );
    assert_eq!(station::files_in(&t.path("data/media")), media_before);
    assert_eq!(segments(&agent), segments_before);
    // The operator's CLI says so too.
    let out = bin::loaxa(
        &t.config_path(),
        &[
            "segment",
            "add",
            t.path("in/new.wav").to_str().expect("utf-8"),
            "--topic",
            "cds",
        ],
    );
    let said = bin::text(&out.stderr) + &bin::text(&out.stdout);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("disk") && said.contains("full"), "{said}");
    assert!(!said.contains("still running"), "{said}");

    // On air all the same, and the operator is warned (GET /now and `loaxa now`).
    let now = wait_now(&agent, &base, 15, "a disk warning", |n| {
        disk_warning(n).is_some()
    });
    let warning = disk_warning(&now).expect("warning");
    assert!(warning.contains("No space left on device"), "{warning}");
    assert!(warning.contains("free disk space"), "{warning}");
    assert!(now["on_air"]["title"].is_string(), "still on air: {now}");
    let out = bin::loaxa(&t.config_path(), &["now"]);
    assert!(
        bin::text(&out.stdout).contains("No space left on device"),
        "{}",
        bin::text(&out.stdout)
    );

    // Space comes back while the program airs on: the log catches up, no restart.
    std::thread::sleep(Duration::from_secs(2));
    disk.free();
    let done = wait_off_air(
        &agent,
        &base,
        40,
        "the program ends and the log catches up",
        |n| disk_warning(n).is_none(),
    );
    let rows = real_log(&agent, &base);
    let want = completed();
    assert_eq!(
        rows, want,
        "every record reached the log without a restart ({done})"
    );

    // An upload once space is back is stored, with no orphan media file.
    let (status, body) = upload(&agent, &base, "bản tin mới.wav", &new_audio);
    assert_eq!(status, 201, "{body}");
    let (_, list) = api(&agent, agent.get(format!("{base}/api/v1/segments")).call());
    let mut used: Vec<String> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["media_file"].as_str().unwrap_or_default().to_string())
        .collect();
    used.sort();
    assert_eq!(
        station::files_in(&t.path("data/media")),
        used,
        "one media file per segment"
    );
    let said = daemon.said();
    assert!(said.contains("the database was reopened"), "{said}");
    daemon.stop();

    // The program aired in full: the wav holds all of it.
    let (rate, channels, samples) = wav::read_wav_f32(&air);
    let aired = samples.len() as f64 / f64::from(channels) / f64::from(rate);
    let planned: f64 = REAL_ITEMS.iter().map(|(_, s)| s).sum();
    assert!(
        (aired - planned).abs() < 0.5,
        "aired {aired:.2} s of {planned} s"
    );

    // A restart after the fault logs nothing as missed; the chain verifies.
    let _ = std::fs::remove_file(t.path("data/daemon.json"));
    let mut again = Daemon::spawn_with_env(&t.config_path(), &[]);
    again.api_address(&t.path("data"));
    std::thread::sleep(Duration::from_millis(500));
    again.stop();
    assert_log_complete(&t);
    drop(disk);
}

#[test]
fn a_stop_and_start_while_the_disk_is_still_full_keeps_every_record_and_logs_nothing_missed() {
    // Regression: records waiting in memory were lost at a stop on a full disk, and the
    // next start logged the program that had aired as `missed` ("loaxa was not running").
    let Real {
        t,
        disk,
        mut daemon,
        base,
        agent,
        ..
    } = Real::start_and_fill();
    wait_off_air(
        &agent,
        &base,
        40,
        "the program ends, its records waiting",
        |n| disk_warning(n).is_some(),
    );
    daemon.stop();
    let said = daemon.said();
    assert!(
        said.contains("log records the disk refused are kept for the next start"),
        "{said}"
    );
    assert!(!said.contains("broadcast log record not written"), "{said}");

    // Started again, the disk still full: it gets on air by releasing its disk reserve,
    // says so, and the kept records reach the log — none missed.
    assert!(
        t.path("data/disk-reserve").is_file(),
        "a reserve was set aside"
    );
    let _ = std::fs::remove_file(t.path("data/daemon.json"));
    let mut again = Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = again.api_address(&t.path("data"));
    assert!(
        !t.path("data/disk-reserve").exists(),
        "the reserve was released"
    );
    let now = wait_now(&agent, &base, 10, "the log catches up", |n| {
        disk_warning(n).is_none()
    });
    let warned = station::json_warnings_in_english(&now)
        .iter()
        .any(|w| w.contains("was full at start") && w.contains("free disk space"));
    assert!(warned, "{now}");
    assert_eq!(real_log(&agent, &base), completed());
    disk.free();
    again.stop();
    assert_log_complete(&t);
    drop(disk);
}
