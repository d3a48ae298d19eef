//! One planner: what the schedule preview (`GET /schedule`) shows for the next program is
//! what that program airs, after any edit made through the API while the daemon runs.
//!
//! The real daemon and its real HTTP API run in-process on a simulated clock; the test
//! edits a field, reads the preview, lets the program fire and compares the preview with the
//! as-run records of that program: the same items in the same order, with the same titles,
//! topics, units, levels and gains; the same items skipped.
//!
//! Regression (issue 14): `valid_until` set in the past on a playlist item was shown skipped
//! by the preview but aired by the next programs, because the daemon planned from playlist
//! files and segment facts it had loaded at start.

#[path = "support/running.rs"]
mod running;
#[path = "support/sim_api.rs"]
mod sim_api;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use chrono::{DateTime, FixedOffset};
use loaxa::model::{AsRunRecord, Outcome};
use running::Running;
use serde_json::{Value, json};
use sim_api::Api;
use station::{TestStation, local};

/// One item as the preview shows it and as the log has it.
#[derive(Debug, PartialEq)]
struct Item {
    role: String,
    title: String,
    segment_id: Option<u64>,
    topic: String,
    unit: Option<String>,
    priority: String,
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("a string: {v}"))
        .to_string()
}

fn preview_item(v: &Value) -> Item {
    Item {
        role: str_of(&v["role"]),
        title: str_of(&v["title"]),
        segment_id: v["segment_id"].as_u64(),
        topic: str_of(&v["topic"]),
        unit: v["unit"].as_str().map(str::to_string),
        priority: str_of(&v["priority"]),
    }
}

fn record_item(r: &AsRunRecord) -> Item {
    let v = serde_json::to_value(r).expect("record as JSON");
    Item {
        role: str_of(&v["role"]),
        title: r.title.clone(),
        segment_id: r.segment_id.map(|s| s.0),
        topic: r.topic.clone(),
        unit: r.unit.clone(),
        priority: str_of(&v["priority"]),
    }
}

/// What the preview says the program firing at `at` will play, and what it will not.
struct Preview {
    items: Vec<Item>,
    gains: Vec<f64>,
    not_aired: Vec<(String, String)>,
}

async fn preview(api: &Api, at: DateTime<FixedOffset>) -> Preview {
    let all = api.get("/schedule?days=1").await;
    let program = all
        .as_array()
        .expect("programs")
        .iter()
        .find(|p| DateTime::parse_from_rfc3339(p["at"].as_str().expect("at")) == Ok(at))
        .unwrap_or_else(|| panic!("no program at {at} in the preview: {all}"))
        .clone();
    let items = program["items"].as_array().expect("items");
    Preview {
        items: items.iter().map(preview_item).collect(),
        gains: items
            .iter()
            .map(|i| i["gain_db"].as_f64().expect("gain_db"))
            .collect(),
        not_aired: program["not_aired"]
            .as_array()
            .expect("not_aired")
            .iter()
            .map(|n| (str_of(&n["title"]), str_of(&n["outcome"])))
            .collect(),
    }
}

/// Lets the program firing at `at` air, then checks its records against `want`. Returns,
/// for each item aired, (segment id, gain the preview showed, loudness measured on the
/// output).
async fn airs_as_previewed(
    d: &Running,
    at: DateTime<FixedOffset>,
    want: &Preview,
) -> Vec<(u64, f64, f64)> {
    d.until(at + chrono::Duration::minutes(10)).await;
    let records: Vec<AsRunRecord> = d
        .handle
        .station()
        .store
        .records(None, None)
        .expect("records")
        .into_iter()
        .filter(|r| r.scheduled_at == at)
        .collect();
    // Every item the program took on, in order: what aired, and what failed in its place.
    let aired: Vec<&AsRunRecord> = records
        .iter()
        .filter(|r| r.outcome != Outcome::Skipped)
        .collect();
    let not_aired: Vec<(String, String)> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped || r.outcome == Outcome::Failed)
        .map(|r| (r.title.clone(), str_of(&json!(r.outcome))))
        .collect();
    let got: Vec<Item> = aired.iter().map(|r| record_item(r)).collect();
    assert_eq!(
        got, want.items,
        "the program at {at} aired what the preview showed"
    );
    assert_eq!(
        not_aired, want.not_aired,
        "the program at {at} set aside what the preview showed"
    );
    aired
        .iter()
        .zip(&want.gains)
        .filter(|(r, _)| r.outcome != Outcome::Failed)
        .map(|(r, gain)| {
            assert_eq!(r.outcome, Outcome::Completed, "{}", r.title);
            let out = r.loudness_lufs.expect("output loudness measured");
            (r.segment_id.expect("a library segment").0, *gain, out)
        })
        .collect()
}

const PROGRAMS: &str = r#"
[[program]]
name = "tin"
cron = "0 * * * *"
playlists = ["p"]
intro = "../media/nhac-hieu.wav"
"#;

const PLAYLIST: &str = "topic = \"cds\"\n\
    [[item]]\nfile = \"../media/a.wav\"\ntitle = \"Tin A\"\n\
    [[item]]\nfile = \"../media/b.wav\"\ntitle = \"Tin B\"\n";

fn test_station(station_keys: &str) -> TestStation {
    let t = TestStation::with_station_keys(
        PROGRAMS,
        &[("p.toml", PLAYLIST)],
        local(2026, 10, 1, 5, 30, 0),
        station_keys,
    );
    t.noise_file("media/nhac-hieu.wav", 3.0);
    t.noise_file("media/a.wav", 6.0);
    t.noise_file("media/b.wav", 4.0);
    t
}

fn titles(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.title.as_str()).collect()
}

/// The regression of issue 14, on its own: the preview and the air agree that an expired
/// playlist item is skipped.
#[tokio::test(start_paused = true)]
async fn an_item_expired_through_the_api_is_skipped_by_the_next_program_as_previewed() {
    let t = test_station("");
    let d = Running::start(t.station());
    let api = Api::start(&d).await;
    d.until(local(2026, 10, 1, 5, 40, 0)).await;
    let b = api.id_of("Tin B").await;
    api.patch(b, json!({ "valid_until": "2026-09-30" })).await;
    let at = local(2026, 10, 1, 6, 0, 0);
    let want = preview(&api, at).await;
    assert_eq!(titles(&want.items), ["nhac-hieu", "Tin A"]);
    assert_eq!(want.not_aired, [("Tin B".into(), "skipped".into())]);
    airs_as_previewed(&d, at, &want).await;
    api.stop().await;
    d.stop().await;
}

/// One step of the walk: an edit made 20 minutes before the hour, and what the preview must
/// then show (titles aired, titles set aside with their outcome).
async fn step<F: std::future::Future<Output = ()>>(
    d: &Running,
    api: &Api,
    hour: u32,
    edit: impl FnOnce() -> F,
    aired: &[&str],
    not_aired: &[(&str, &str)],
) -> (Preview, Vec<(u64, f64, f64)>) {
    d.until(local(2026, 10, 1, hour - 1, 40, 0)).await;
    edit().await;
    let at = local(2026, 10, 1, hour, 0, 0);
    let want = preview(api, at).await;
    assert_eq!(titles(&want.items), aired, "the preview at {at}");
    let set_aside: Vec<(&str, &str)> = want
        .not_aired
        .iter()
        .map(|(t, o)| (t.as_str(), o.as_str()))
        .collect();
    assert_eq!(set_aside, not_aired, "set aside at {at}");
    let levels = airs_as_previewed(d, at, &want).await;
    (want, levels)
}

/// Every field an operator edits through the API (approval, validity, gain, title, topic,
/// unit, priority), the playlist file itself and the queue: after each edit the preview of
/// the next program is exactly what that program airs.
#[tokio::test(start_paused = true)]
async fn after_every_kind_of_edit_the_next_program_airs_what_the_preview_showed() {
    let t = test_station("require_approval = true");
    t.noise_file("media/c.wav", 2.0);
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    t.noise_file("in/tin-d.wav", 2.5);
    let d = Running::start(t.station());
    let api = Api::start(&d).await;
    let skipped = "skipped";
    let intro = "nhac-hieu";
    // Output loudness minus the previewed gain, per segment: constant if the gain the
    // preview shows is the gain the item airs at.
    let mut own: std::collections::HashMap<u64, f64> = Default::default();
    let mut check_gains = |levels: Vec<(u64, f64, f64)>| {
        for (id, gain, out) in levels {
            let base = *own.entry(id).or_insert(out - gain);
            assert!(
                ((out - gain) - base).abs() < 0.3,
                "segment {id}: aired at {out} LUFS with a previewed gain of {gain} dB; \
                 earlier programs put it at {base} + gain"
            );
        }
    };

    // Approval required: the imported playlist items wait for it.
    let (_, levels) = step(
        &d,
        &api,
        6,
        || async {},
        &[intro],
        &[("Tin A", skipped), ("Tin B", skipped)],
    )
    .await;
    check_gains(levels);
    let a = api.id_of("Tin A").await;
    let b = api.id_of("Tin B").await;
    let approve = |id: u64| {
        let api = &api;
        async move {
            api.ok(
                "POST",
                &format!("/segments/{id}/approve"),
                Some(json!({ "by": "Nguyễn Văn A" })),
            )
            .await;
        }
    };
    let (_, levels) = step(
        &d,
        &api,
        7,
        || approve(a),
        &[intro, "Tin A"],
        &[("Tin B", skipped)],
    )
    .await;
    check_gains(levels);
    let (_, levels) = step(&d, &api, 8, || approve(b), &[intro, "Tin A", "Tin B"], &[]).await;
    check_gains(levels);

    // Validity dates.
    let patch = |id: u64, body: Value| {
        let api = &api;
        async move {
            api.patch(id, body).await;
        }
    };
    let (_, levels) = step(
        &d,
        &api,
        9,
        || patch(b, json!({ "valid_until": "2026-09-30" })),
        &[intro, "Tin A"],
        &[("Tin B", skipped)],
    )
    .await;
    check_gains(levels);
    let (_, levels) = step(
        &d,
        &api,
        10,
        || async {
            patch(b, json!({ "valid_until": null })).await;
            patch(a, json!({ "valid_from": "2026-12-01" })).await;
        },
        &[intro, "Tin B"],
        &[("Tin A", skipped)],
    )
    .await;
    check_gains(levels);
    let (before, levels) = step(
        &d,
        &api,
        11,
        || patch(a, json!({ "valid_from": null })),
        &[intro, "Tin A", "Tin B"],
        &[],
    )
    .await;
    check_gains(levels);

    // Gain offset: the preview's gain moves by the offset, and so does the air.
    let (after, levels) = step(
        &d,
        &api,
        12,
        || patch(a, json!({ "gain_db": -6.0 })),
        &[intro, "Tin A", "Tin B"],
        &[],
    )
    .await;
    assert!(
        (after.gains[1] - before.gains[1] + 6.0).abs() < 1e-9,
        "A's gain {} dB, was {} dB",
        after.gains[1],
        before.gains[1]
    );
    assert_eq!(after.gains[2], before.gains[2], "B's gain is unchanged");
    check_gains(levels);

    // Title, topic and unit, and the priority level.
    let (p, levels) = step(
        &d,
        &api,
        13,
        || async {
            patch(b, json!({ "title": "Tin B (bản sửa)" })).await;
            patch(a, json!({ "topic": "nq57", "unit": "UBND xã" })).await;
        },
        &[intro, "Tin A", "Tin B (bản sửa)"],
        &[],
    )
    .await;
    assert_eq!(
        (p.items[1].topic.as_str(), p.items[1].unit.as_deref()),
        ("nq57", Some("UBND xã"))
    );
    check_gains(levels);
    let (p, levels) = step(
        &d,
        &api,
        14,
        || patch(b, json!({ "priority": "priority" })),
        &[intro, "Tin A", "Tin B (bản sửa)"],
        &[],
    )
    .await;
    assert_eq!(p.items[2].priority, "priority");
    check_gains(levels);

    // The playlist file itself, edited on disk: a new order and a new file, which the
    // library does not hold yet (it is imported pending approval).
    let playlist = t.path("playlists/p.toml");
    let (_, levels) = step(
        &d,
        &api,
        15,
        || async {
            std::fs::write(
                &playlist,
                "topic = \"cds\"\n\
                 [[item]]\nfile = \"../media/b.wav\"\ntitle = \"Tin B\"\n\
                 [[item]]\nfile = \"../media/c.wav\"\ntitle = \"Tin C\"\n\
                 [[item]]\nfile = \"../media/a.wav\"\ntitle = \"Tin A\"\n",
            )
            .expect("write playlist");
            let shown = api.get("/playlists/p").await;
            let files: Vec<&str> = shown["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .map(|e| e["title"].as_str().expect("title"))
                .collect();
            assert_eq!(files, ["Tin B", "Tin C", "Tin A"], "{shown}");
        },
        // The files keep the segments (and titles) the library has for them.
        &[intro, "Tin B (bản sửa)", "Tin A"],
        &[("Tin C", skipped)],
    )
    .await;
    check_gains(levels);
    let c = api.id_of("Tin C").await;
    let (_, levels) = step(
        &d,
        &api,
        16,
        || approve(c),
        &[intro, "Tin B (bản sửa)", "Tin C", "Tin A"],
        &[],
    )
    .await;
    check_gains(levels);

    // The queue: an upload queued airs first; one queued and removed does not air.
    let upload = t.path("in/tin-d.wav").display().to_string();
    let (_, levels) = step(
        &d,
        &api,
        17,
        || async {
            let added = api
                .ok("UPLOAD", "/segments", Some(Value::String(upload)))
                .await;
            let id = added[0]["segment"]["id"].as_u64().expect("id");
            approve(id).await;
            api.ok("POST", "/queue", Some(json!({ "ids": [id] }))).await;
        },
        &[intro, "tin-d", "Tin B (bản sửa)", "Tin C", "Tin A"],
        &[],
    )
    .await;
    check_gains(levels);
    let (_, levels) = step(
        &d,
        &api,
        18,
        || async {
            let id = api.id_of("tin-d").await;
            let queued = api.ok("POST", "/queue", Some(json!({ "ids": [id] }))).await;
            let qid = queued[0]["qid"].as_u64().expect("qid");
            api.ok("DELETE", &format!("/queue/{qid}"), None).await;
        },
        &[intro, "Tin B (bản sửa)", "Tin C", "Tin A"],
        &[],
    )
    .await;
    check_gains(levels);

    // A media file lost from the store: the preview says the item will fail, and it fails
    // in its place.
    let (_, levels) = step(
        &d,
        &api,
        19,
        || async {
            let seg = api.get(&format!("/segments/{b}")).await;
            let media = d.handle.station().media_path(&str_of(&seg["media_file"]));
            std::fs::remove_file(&media).expect("remove the stored file");
        },
        &[intro, "Tin B (bản sửa)", "Tin C", "Tin A"],
        &[("Tin B (bản sửa)", "failed")],
    )
    .await;
    check_gains(levels);

    api.stop().await;
    let records = d.stop().await;
    assert_eq!(
        records.iter().filter(|r| r.title == "tin-d").count(),
        1,
        "the queued upload aired once"
    );
}

/// The daemon re-reads the playlists and looks up every file they name before each
/// program: with 200 file entries that costs little next to a program (printed; bounded
/// loosely, the machine is shared).
#[tokio::test(start_paused = true)]
async fn re_reading_two_hundred_playlist_files_before_a_program_is_cheap() {
    use loaxa::service::{Catalog, catalog::Import};
    let n = 200;
    let mut playlist = String::from("topic = \"cds\"\n");
    for i in 0..n {
        playlist.push_str(&format!(
            "[[item]]\nfile = \"../media/t{i:03}.wav\"\ntitle = \"Tin {i}\"\n"
        ));
    }
    let t = TestStation::new(
        PROGRAMS
            .replace("intro = \"../media/nhac-hieu.wav\"\n", "")
            .as_str(),
        &[("p.toml", &playlist)],
        local(2026, 10, 1, 5, 30, 0),
    );
    for i in 0..n {
        // Lengths of their own: the library keeps one segment per content.
        t.noise_file(&format!("media/t{i:03}.wav"), 0.05 + i as f64 / 8000.0);
    }
    let station = t.station();
    let mut catalog = Catalog::load(&station, Import::Yes);
    assert!(
        catalog.file_problems().is_empty(),
        "{:?}",
        catalog.file_problems()
    );
    assert_eq!(station.store.segments().expect("segments").len(), n);
    let mut took = Vec::new();
    for _ in 0..21 {
        let start = std::time::Instant::now();
        let new = catalog.refresh(&station, Import::Yes);
        took.push(start.elapsed());
        assert!(new.is_empty(), "{new:?}");
    }
    took.sort();
    let median = took[took.len() / 2];
    println!(
        "refresh of a playlist of {n} files: median {:.2} ms, max {:.2} ms (21 runs)",
        median.as_secs_f64() * 1e3,
        took[took.len() - 1].as_secs_f64() * 1e3
    );
    assert_eq!(
        station.store.segments().expect("segments").len(),
        n,
        "nothing imported twice"
    );
    assert!(median < std::time::Duration::from_millis(500), "{median:?}");
}

/// A shuffled playlist airs in the order the preview showed: the order is drawn from the
/// program and its fire time, the same in the daemon and in every preview.
#[tokio::test(start_paused = true)]
async fn a_shuffled_playlist_airs_in_the_order_the_preview_showed() {
    let mut playlist = String::from("topic = \"cds\"\norder = \"shuffle\"\n");
    for i in 0..6 {
        playlist.push_str(&format!(
            "[[item]]\nfile = \"../media/s{i}.wav\"\ntitle = \"Tin {i}\"\n"
        ));
    }
    let t = TestStation::new(
        PROGRAMS
            .replace("intro = \"../media/nhac-hieu.wav\"\n", "")
            .as_str(),
        &[("p.toml", &playlist)],
        local(2026, 10, 1, 5, 30, 0),
    );
    for i in 0..6 {
        t.noise_file(&format!("media/s{i}.wav"), 1.0 + f64::from(i) / 10.0);
    }
    let d = Running::start(t.station());
    let api = Api::start(&d).await;
    d.until(local(2026, 10, 1, 5, 40, 0)).await;
    let mut previews = Vec::new();
    for hour in 6..9 {
        previews.push(preview(&api, local(2026, 10, 1, hour, 0, 0)).await);
    }
    let orders: Vec<Vec<&str>> = previews.iter().map(|p| titles(&p.items)).collect();
    println!("shuffled orders previewed: {orders:?}");
    assert!(
        orders.windows(2).any(|w| w[0] != w[1]),
        "three programs in one order: not shuffled? {orders:?}"
    );
    for (hour, want) in (6..9).zip(&previews) {
        airs_as_previewed(&d, local(2026, 10, 1, hour, 0, 0), want).await;
    }
    api.stop().await;
    d.stop().await;
}
