//! The control API while programs air: the real daemon in-process (null output, real clock)
//! with a program every 3 s; an item uploaded and queued while one program is on air must air
//! exactly once, in the next program, and leave the queue empty.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use live::{start, wait_now, wav_bytes};
use serde_json::{Value, json};
use station::TestStation;

fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn an_item_uploaded_and_queued_during_a_program_airs_once_in_the_next_one() {
    let t = TestStation::new(
        "[[program]]\nname = \"moi-3-giay\"\ncron = \"*/3 * * * * *\"\nplaylists = [\"p\"]\n",
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/tin.wav\"\ntitle = \"Tin thường lệ\"\n",
        )],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.noise_file("media/tin.wav", 1.0);
    let bytes = wav_bytes(&t, "moi.wav", 1.0);
    let live = start(t);
    let test_start = Instant::now();

    // Catch a program at its start, so the upload and the queueing happen while it airs.
    wait_now(&live, "off air between programs", |s| s["on_air"].is_null());
    let on_air = wait_now(&live, "a program on air", |s| !s["on_air"].is_null())["on_air"].clone();
    assert_eq!(on_air["program"], "moi-3-giay", "{on_air}");
    let uploaded_at = Utc::now();
    let (status, added) = live.upload(
        &[("topic", "cds"), ("title", "Tin mới tải lên")],
        "moi.wav",
        &bytes,
    );
    assert_eq!(status, 201, "{added}");
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    let (status, queued) = live.post("/queue", &json!({ "ids": [id] }));
    assert_eq!(status, 201, "{queued}");
    let (status, queue) = live.get("/queue");
    assert_eq!(status, 200);
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    let (_, now) = live.get("/now");
    assert_eq!(
        now["on_air"]["started_at"], on_air["started_at"],
        "upload and queue done while the same item is on air: {now}"
    );
    let started = time(&on_air["started_at"]);

    // Wait for the program after the next one to have aired too: the item must not come back.
    let deadline = Instant::now() + Duration::from_secs(12);
    let log = loop {
        let (status, log) = live.get("/log");
        assert_eq!(status, 200, "{log}");
        let records = log.as_array().expect("records").clone();
        let mut after: Vec<DateTime<FixedOffset>> = records
            .iter()
            .map(|r| time(&r["scheduled_at"]))
            .filter(|s| *s > started)
            .collect();
        after.sort();
        after.dedup();
        let later_done = after.len() >= 2
            && records
                .iter()
                .filter(|r| time(&r["scheduled_at"]) == after[1])
                .all(|r| !r["ended_at"].is_null());
        if later_done {
            break records;
        }
        assert!(
            Instant::now() < deadline,
            "two programs after the upload did not air in 12 s: {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    let shown = serde_json::to_string_pretty(&log).expect("json");
    let mine: Vec<&Value> = log.iter().filter(|r| r["segment_id"] == id).collect();
    assert_eq!(mine.len(), 1, "aired exactly once:\n{shown}");
    let rec = mine[0];
    assert_eq!(rec["outcome"], "completed", "{rec}");
    assert_eq!(rec["program"], "moi-3-giay", "{rec}");
    let scheduled = time(&rec["scheduled_at"]);
    assert!(
        scheduled > uploaded_at,
        "aired in a program scheduled after the upload ({uploaded_at}): {rec}"
    );
    // The next program: the first fire after the one on air during the upload.
    let on_air_program = log
        .iter()
        .map(|r| time(&r["scheduled_at"]))
        .filter(|s| *s <= started)
        .max()
        .expect("the program on air during the upload is logged");
    let next = log
        .iter()
        .map(|r| time(&r["scheduled_at"]))
        .filter(|s| *s > on_air_program)
        .min()
        .expect("a later program");
    assert_eq!(
        scheduled, next,
        "in the next program after {on_air_program}:\n{shown}"
    );
    assert_eq!(
        (scheduled - on_air_program).num_seconds(),
        3,
        "programs are 3 s apart"
    );
    // In that program, the queued item airs before the playlist's.
    let next_program: Vec<&Value> = log
        .iter()
        .filter(|r| time(&r["scheduled_at"]) == next)
        .collect();
    assert_eq!(next_program.len(), 2, "{shown}");
    assert_eq!(next_program[0]["segment_id"], id, "{shown}");
    assert_eq!(next_program[1]["title"], "Tin thường lệ", "{shown}");

    let (status, queue) = live.get("/queue");
    assert_eq!(status, 200);
    assert_eq!(queue, json!([]), "the queue is empty afterwards");
    live.assert_alive();
    println!("took {:?}", test_start.elapsed());
}
