//! `[alerts]`: faults reach the operator off the page. The real daemon on a simulated clock
//! POSTs its events to a loopback receiver: a failed play (a bulletin whose file went missing)
//! is sent once — retried after a 500, not sent again when the same program fails again
//! within `dedup`; an event the receiver could not take before the daemon stopped is sent
//! after the restart, with the program missed meanwhile; every text is Vietnamese.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webhook.rs"]
mod webhook;

use loaxa::model::{Outcome, OutputSpec};
use running::Running;
use station::{TestStation, local};
use webhook::Receiver;

const TIN: &str = "[[item]]\nsegment = 1\n";

#[tokio::test(start_paused = true)]
async fn faults_are_posted_once_retried_after_a_500_and_none_is_lost_across_a_restart() {
    let receiver = Receiver::start();
    // The first POST is refused (500): it is sent again.
    receiver.answer(|n| if n == 0 { 500 } else { 200 });
    let programs = format!(
        r#"
[alerts]
webhook = "{}"
dedup = "1h"

[[program]]
name = "sang"
cron = "0 10,15 5 * * *"
playlists = ["tin"]
queue = false

[[program]]
name = "trua"
cron = "0 20 5 * * *"
playlists = ["tin"]
queue = false

[[program]]
name = "bay-gio"
cron = "0 0 6 * * *"
playlists = ["tin"]
queue = false
"#,
        receiver.url
    );
    let t = TestStation::new(&programs, &[("tin.toml", TIN)], local(2026, 3, 2, 5, 0, 0));
    t.noise_file("media/tin.wav", 2.0);
    let station = t.station();
    t.add(&station, "media/tin.wav", t.meta("Bản tin sáng"));
    // The bulletin's stored file goes missing: every play of it fails.
    for entry in std::fs::read_dir(t.path("data/media")).expect("media") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "wav") {
            std::fs::remove_file(path).expect("remove");
        }
    }
    let air = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air.clone())));
    d.until(local(2026, 3, 2, 5, 17, 0)).await;
    // The receiver goes down (500 to all) before `trua` fails at 05:20.
    receiver.answer(|_| 500);
    d.until(local(2026, 3, 2, 5, 30, 0)).await;
    let records = d.stop().await;
    let failed: Vec<&str> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| r.program.as_str())
        .collect();
    assert_eq!(failed, ["sang", "sang", "trua"], "{records:#?}");

    // Back at 07:00 (the 06:00 program was missed meanwhile), the receiver up again.
    receiver.answer(|_| 200);
    let station = t.station_at(local(2026, 3, 2, 7, 0, 0).with_timezone(&chrono::Utc));
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air)));
    d.until(local(2026, 3, 2, 7, 5, 0)).await;
    let records = d.stop().await;
    assert!(
        records
            .iter()
            .any(|r| r.program == "bay-gio" && r.outcome == Outcome::Missed),
        "{records:#?}"
    );

    let seen = receiver.seen();
    let taken: Vec<(String, String)> = seen
        .iter()
        .filter(|(s, ..)| *s == 200)
        .map(|(_, c, p)| (c.clone(), p.clone()))
        .collect();
    assert_eq!(
        taken,
        [
            ("item_failed".to_string(), "sang".to_string()),
            ("item_failed".to_string(), "trua".to_string()),
            ("program_missed".to_string(), "bay-gio".to_string()),
        ],
        "each fault once, in order; sang's second failure within the hour not again: {seen:?}"
    );
    assert_eq!(seen[0].0, 500, "the first try was refused: {seen:?}");
    assert!(
        seen.iter()
            .filter(|(s, _, p)| *s == 500 && p == "trua")
            .count()
            >= 1,
        "trua's event was refused while the receiver was down: {seen:?}"
    );
    let got = receiver.got.lock().expect("got");
    let first = &got
        .iter()
        .find(|(s, _)| *s == 200)
        .expect("a taken event")
        .1;
    let text = first["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Bản tin sáng") && text.contains("không phát được"),
        "{first}"
    );
    assert!(
        first["text_en"]
            .as_str()
            .unwrap_or_default()
            .contains("failed to air")
    );
    let missed = &got
        .iter()
        .rev()
        .find(|(s, _)| *s == 200)
        .expect("the last")
        .1;
    assert!(
        missed["text"]
            .as_str()
            .is_some_and(|t| t.contains("chương trình bay-gio đã không được phát")),
        "{missed}"
    );
}

#[test]
fn a_webhook_that_is_not_an_address_is_refused_where_it_is_written() {
    let t = TestStation::new(
        "[alerts]\nwebhook = [\"https://bot.example.vn/loaxa\", \"bot.example.vn\"]\ndigest = true\ndigest_at = \"7h\"\n",
        &[],
        local(2026, 3, 2, 5, 0, 0),
    );
    let err = loaxa::config::load(&t.config_path()).expect_err("refused");
    let text = err.render(loaxa::words::Lang::Vi);
    assert!(
        text.contains("địa chỉ nhận cảnh báo `bot.example.vn` không dùng được"),
        "{text}"
    );
    assert!(
        text.contains("`digest_at = \"7h\"` không phải giờ trong ngày"),
        "{text}"
    );
}
