//! One typed operation list (`service::ops`): the CLI says the same whether it works through
//! the running daemon's API or, with no daemon, on the store itself. The real binary is run
//! both ways on one station and every reading command's output compared, JSON and tables.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::Path;
use std::time::{Duration, Instant};

use bin::{loaxa, text};
use live::{start, station, wav_bytes};
use serde_json::json;

/// What the operator reads: each command, as given, with what it printed.
const READS: &[&[&str]] = &[
    &["segment", "list", "--json"],
    &["segment", "list"],
    &["segment", "show", "1", "--json"],
    &["segment", "show", "2"],
    &["queue", "list", "--json"],
    &["queue", "list"],
    &["schedule", "--days", "2", "--json"],
    &["schedule", "--days", "2"],
    &["emergency", "list", "--json"],
    &["emergency", "list"],
    &["log", "--json"],
    &["log"],
    &["log", "--json", "--outcome", "completed", "--last", "1"],
    &[
        "log",
        "--json",
        "--search",
        "khẩn",
        "--program",
        "emergency",
    ],
    &["inbox", "--json"],
    &["inbox"],
];

fn read_all(config: &Path) -> Vec<String> {
    READS
        .iter()
        .map(|args| {
            let out = loaxa(config, args);
            assert!(
                out.status.success(),
                "loaxa {args:?}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            text(&out.stdout)
        })
        .collect()
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "waited 15 s for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_cli_says_the_same_through_the_daemon_and_without_it() {
    let mut live = start(station());
    let config = live.t.config_path();
    for (name, title) in [("a.wav", "Bản tin sáng"), ("b.wav", "Tin khẩn bão số 3")] {
        let bytes = wav_bytes(&live.t, name, 1.0);
        let (status, body) = live.upload(&[("topic", "cds"), ("title", title)], name, &bytes);
        assert_eq!(status, 201, "{body}");
    }
    // A library with a verdict of each kind, a queue, a log and an emergency repeat.
    let (status, body) = live.post("/queue", &json!({ "ids": [1] }));
    assert_eq!(status, 201, "{body}");
    let (status, body) = live.post(
        "/emergency",
        &json!({ "id": 2, "every": "2h", "until": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339() }),
    );
    assert_eq!(status, 202, "{body}");
    live::wait_now(&live, "the emergency aired", |now| {
        now["on_air"].is_null() && now["emergencies"].as_array().is_some_and(|e| e.len() == 1)
    });
    wait_for("the emergency's record closed", || {
        let (_, log) = live.get("/log");
        log.as_array()
            .is_some_and(|l| !l.is_empty() && l.iter().all(|r| !r["ended_at"].is_null()))
    });
    let announced = live.t.path("data/daemon.json");
    wait_for("daemon.json", || announced.is_file());

    // With the daemon holding the store, a local read would fail on its lock: these went
    // through the API.
    let through_daemon = read_all(&config);
    live.stop();
    assert!(!announced.exists(), "the daemon is gone");
    let on_the_store = read_all(&config);

    for ((args, remote), local) in READS.iter().zip(&through_daemon).zip(&on_the_store) {
        assert_eq!(
            remote, local,
            "loaxa {args:?}: through the daemon, then on the store"
        );
    }
    // And they said something: the library, the queue, the repeat and the records.
    assert_eq!(
        through_daemon[0].lines().count(),
        2,
        "{}",
        through_daemon[0]
    );
    assert!(
        through_daemon[0].contains("\"air_today\""),
        "{}",
        through_daemon[0]
    );
    assert_eq!(
        through_daemon[4].lines().count(),
        1,
        "{}",
        through_daemon[4]
    );
    assert_eq!(
        through_daemon[8].lines().count(),
        1,
        "{}",
        through_daemon[8]
    );
    assert!(
        through_daemon[10].contains("Tin khẩn bão số 3"),
        "{}",
        through_daemon[10]
    );
    assert_eq!(
        through_daemon[12].lines().count(),
        1,
        "{}",
        through_daemon[12]
    );
    assert_eq!(
        through_daemon[13].lines().count(),
        1,
        "{}",
        through_daemon[13]
    );
}
