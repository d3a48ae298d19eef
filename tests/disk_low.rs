//! The disk nearly full, for real: the data folder on a small tmpfs (needs root, as CI runs
//! it; without it the test fails saying so), `disk_warn_mb = 4`, the real daemon on the
//! simulated clock with its real API and a loopback webhook receiver. `dd` leaves 2 MB free
//! while the station is idle — nothing is measured then (no timer wakes it); the next
//! program's log writes raise `disk_low` in `/api/v1/now` and one `disk_low` alert with the
//! MB free; a start on the full disk warns from the start; freeing the space and uploading a
//! bulletin clears the warning, no program airing.

#[path = "support/running.rs"]
mod running;
#[path = "support/sim_api.rs"]
mod sim_api;
#[path = "support/station.rs"]
mod station;
#[path = "support/tmpfs.rs"]
mod tmpfs;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webhook.rs"]
mod webhook;

use std::time::Duration;

use loaxa::model::{Outcome, Warning};
use loaxa::words::{Lang, Say};
use running::Running;
use serde_json::Value;
use sim_api::Api;
use station::{TestStation, local};
use tmpfs::Tmpfs;
use webhook::Receiver;

const MIB: u64 = 1 << 20;

/// The `disk_low` warning of a `/now` answer, if any.
fn disk_low(now: &Value) -> Option<Warning> {
    let warnings: Vec<Warning> =
        serde_json::from_value(now["warnings"].clone()).expect("warnings are codes");
    warnings
        .into_iter()
        .find(|w| matches!(w, Warning::DiskLow { .. }))
}

/// Lets simulated time run (10 s at most) until `done` holds for `/now`; returns that answer.
async fn now_until(api: &Api, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let now = api.get("/now").await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: {}", api.get("/now").await);
}

/// Lets simulated time run (10 s at most) until the receiver took an event coded `code`.
async fn alert(receiver: &Receiver, code: &str) -> Value {
    for _ in 0..100 {
        if let Some(event) = receiver.taken().into_iter().find(|e| e["code"] == code) {
            return event;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no `{code}` alert: {:?}", receiver.seen());
}

#[tokio::test(start_paused = true)]
async fn a_disk_nearly_full_is_warned_and_alerted_and_the_warning_goes_when_space_is_back() {
    let receiver = Receiver::start();
    let programs = format!(
        "[alerts]\nwebhook = \"{}\"\n\n[[program]]\nname = \"sang\"\ncron = \"0 10 5 * * *\"\n\
         playlists = [\"tin\"]\nqueue = false\n",
        receiver.url
    );
    let t = TestStation::with_station_keys(
        &programs,
        &[("tin.toml", "[[item]]\nsegment = 1\n")],
        local(2026, 5, 4, 5, 0, 0),
        "disk_warn_mb = 4",
    );
    let data = t.path("data");
    let disk = Tmpfs::mount(&data, "8m");
    t.noise_file("media/tin.wav", 2.0);
    let station = t.station();
    t.add(&station, "media/tin.wav", t.meta("Bản tin sáng"));
    let d = Running::start(station);
    let api = Api::start(&d).await;

    // Room enough at start: no warning.
    d.until(local(2026, 5, 4, 5, 1, 0)).await;
    assert_eq!(disk_low(&api.get("/now").await), None);
    let free = disk.free_bytes();
    assert!(
        free > 5 * MIB,
        "the tmpfs must leave more than the 4 MB threshold at start: {free} bytes free"
    );

    // The disk fills while the station is idle: dd leaves 2 MB.
    disk.fill_mib(free / MIB - 2);
    let left = disk.free_bytes();
    assert!((2 * MIB..3 * MIB).contains(&left), "{left} bytes left");
    // Idle, nothing is measured (no timer wakes the daemon).
    d.until(local(2026, 5, 4, 5, 9, 0)).await;
    assert_eq!(disk_low(&api.get("/now").await), None);

    // The program at 05:10 writes its log records: the disk is measured, the operator warned.
    d.until(local(2026, 5, 4, 5, 10, 5)).await;
    let now = now_until(&api, "a disk_low warning", |n| disk_low(n).is_some()).await;
    let warning = disk_low(&now).expect("warning");
    let Warning::DiskLow {
        path,
        free_mb,
        warn_mb,
    } = &warning
    else {
        unreachable!()
    };
    assert_eq!(path, &data.display().to_string());
    assert_eq!(*warn_mb, 4);
    assert!((1..=2).contains(free_mb), "{warning:?}");
    let vi = warning.say(Lang::Vi);
    assert!(
        vi.contains("sắp đầy") && vi.contains(&format!("chỉ còn {free_mb} MB trống")),
        "{vi}"
    );
    let en = warning.say(Lang::En);
    assert!(
        en.contains("is nearly full") && en.contains("free disk space"),
        "{en}"
    );

    // One alert, with the MB free.
    let event = alert(&receiver, "disk_low").await;
    let free_then = event["detail"]
        .as_str()
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("detail is the MB free: {event}"));
    assert!((1..=2).contains(&free_then), "{event}");
    let text = event["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("ổ đĩa sắp đầy") && text.contains(&format!("còn {free_then} MB trống")),
        "{event}"
    );
    assert!(
        event["text_en"]
            .as_str()
            .is_some_and(|t| t.contains("the disk is nearly full")),
        "{event}"
    );
    // The program aired and was logged all the same.
    d.until(local(2026, 5, 4, 5, 15, 0)).await;
    let codes: Vec<String> = receiver
        .seen()
        .into_iter()
        .map(|(_, code, _)| code)
        .collect();
    assert_eq!(codes, ["disk_low"], "one alert for the fault");
    api.stop().await;
    let records = d.stop().await;
    assert!(
        records
            .iter()
            .any(|r| r.program == "sang" && r.outcome == Outcome::Completed),
        "{records:#?}"
    );

    // Started again on the full disk: warned from the start, before anything airs.
    let station = t.station_at(local(2026, 5, 4, 5, 20, 0).with_timezone(&chrono::Utc));
    let d = Running::start(station);
    let api = Api::start(&d).await;
    assert!(
        disk_low(&api.get("/now").await).is_some(),
        "warned at start"
    );

    // Space freed while idle, then a bulletin uploaded: the warning goes, nothing aired.
    disk.free();
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    t.noise_file("in/tin-moi.wav", 1.0);
    let file = t.path("in/tin-moi.wav").display().to_string();
    api.ok("UPLOAD", "/segments", Some(Value::String(file)))
        .await;
    now_until(&api, "the warning gone after the upload", |n| {
        disk_low(n).is_none()
    })
    .await;
    api.stop().await;
    let after = d.stop().await;
    assert_eq!(after.len(), records.len(), "nothing aired: {after:#?}");
    drop(disk);
}
