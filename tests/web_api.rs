//! What the web page needs from the daemon, over loopback HTTP with the real daemon
//! in-process: its embedded files (no token, ETag and 304, no outside addresses), the
//! station's description, a segment's audio with byte ranges, the log's filters and the
//! report. The page itself is driven in a browser by `tests/browser.rs`.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use live::{Live, PROGRAMS, assert_error, start, station, wait_now, wav_bytes};
use serde_json::json;
use station::TestStation;

/// GET `url` (absolute) with extra headers: (status, headers, body bytes).
fn fetch(
    live: &Live,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let mut req = live.auth(live.agent.get(url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut answer = req.call().expect("the daemon answers");
    let status = answer.status().as_u16();
    let head = answer.headers().clone();
    let body = answer
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .expect("body");
    (status, head, body)
}

fn root(live: &Live) -> String {
    live.base.trim_end_matches("/api/v1").to_string()
}

fn header<'a>(h: &'a ureq::http::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[test]
fn the_page_is_served_from_the_binary_without_the_token_and_revalidates_by_etag() {
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(b"bi-mat")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let t = TestStation::with_api(
        PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
        &format!("token_sha256 = \"{hash}\""),
    );
    let live = start(t);
    let base = root(&live);
    for (path, content_type, bytes) in loaxa::api::web::ASSETS {
        let (status, head, body) = fetch(&live, &format!("{base}{path}"), &[]);
        assert_eq!(status, 200, "{path} without a token");
        assert_eq!(header(&head, "content-type"), *content_type, "{path}");
        assert_eq!(&body, bytes, "{path}: the embedded bytes");
        assert_eq!(header(&head, "cache-control"), "no-cache", "{path}");
        assert!(
            header(&head, "content-security-policy").contains("default-src 'self'"),
            "{path}"
        );
        let etag = header(&head, "etag").to_string();
        assert!(etag.len() > 10, "{path}: etag {etag:?}");
        let (again, head2, body2) =
            fetch(&live, &format!("{base}{path}"), &[("If-None-Match", &etag)]);
        assert_eq!(again, 304, "{path} revalidated");
        assert!(body2.is_empty());
        assert_eq!(header(&head2, "etag"), etag);
    }
    // The page names its own files only, and they are all served.
    let (_, _, html) = fetch(&live, &format!("{base}/"), &[]);
    let html = String::from_utf8(html).expect("UTF-8 page");
    assert!(html.contains("<html lang=\"vi\">"), "Vietnamese by default");
    for part in html.split("\"/assets/").skip(1) {
        let file = part.split('"').next().unwrap_or_default();
        let served = loaxa::api::web::ASSETS
            .iter()
            .any(|(p, _, _)| *p == format!("/assets/{file}"));
        assert!(
            served,
            "the page loads /assets/{file}, which is not embedded"
        );
    }
    // The data stays behind the token.
    assert_error(&live.get("/station"), 401, "needs an access token");
    assert_error(&live.get("/segments"), 401, "needs an access token");
    let (status, _, _) = fetch(&live, &format!("{base}/api/v1/segments/1/audio"), &[]);
    assert_eq!(status, 401);
    // An unknown address is a 404 with the hint, not the page.
    let (status, _, body) = fetch(&live, &format!("{base}/nope"), &[]);
    assert_eq!(status, 404);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("the web page is at /"), "{body}");
}

#[test]
fn the_station_describes_itself_for_the_page() {
    let live = start(station());
    let (status, info) = live.get("/station");
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["name"], "Đài thử nghiệm");
    assert_eq!(info["timezone"], "Asia/Ho_Chi_Minh");
    assert_eq!(info["topics"]["cds"], "Chuyển đổi số");
    assert_eq!(info["require_approval"], false);
    assert_eq!(info["token_required"], false);
    assert!(
        info["max_upload_bytes"].as_u64().unwrap_or(0) > 1 << 20,
        "{info}"
    );
}

#[test]
fn a_segments_audio_is_served_whole_and_by_byte_ranges() {
    let live = start(station());
    let bytes = wav_bytes(&live.t, "nghe thử.wav", 1.0);
    let (status, added) = live.upload(
        &[("topic", "cds"), ("title", "Nghe thử")],
        "nghe thử.wav",
        &bytes,
    );
    assert_eq!(status, 201, "{added}");
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    let url = live.url(&format!("/segments/{id}/audio"));

    let (status, head, whole) = fetch(&live, &url, &[]);
    assert_eq!(status, 200);
    assert_eq!(whole, bytes, "the file as uploaded");
    assert_eq!(header(&head, "content-type"), "audio/wav");
    assert_eq!(header(&head, "accept-ranges"), "bytes");

    let len = bytes.len();
    for (range, from, to) in [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, len),
        ("bytes=-44", len - 44, len),
        (&format!("bytes=10-{}", len + 1000) as &str, 10, len),
    ] {
        let (status, head, part) = fetch(&live, &url, &[("Range", range)]);
        assert_eq!(status, 206, "{range}");
        assert_eq!(part, bytes[from..to], "{range}");
        assert_eq!(
            header(&head, "content-range"),
            format!("bytes {from}-{}/{len}", to - 1),
            "{range}"
        );
    }
    let (status, head, _) = fetch(&live, &url, &[("Range", &format!("bytes={len}-"))]);
    assert_eq!(status, 416);
    assert_eq!(header(&head, "content-range"), format!("bytes */{len}"));
    assert_error(&live.get("/segments/999/audio"), 404, "999");
}

#[test]
fn the_log_filters_by_program_and_words_and_keeps_the_last_records() {
    let live = start(station());
    let mut ids = Vec::new();
    for (name, title) in [
        ("a.wav", "Lịch tiêm chủng thôn Phú Lộc"),
        ("b.wav", "Hướng dẫn dịch vụ công trực tuyến"),
    ] {
        let bytes = wav_bytes(&live.t, name, 0.3);
        let (status, added) = live.upload(
            &[("topic", "cds"), ("title", title), ("unit", "Trạm Y tế")],
            name,
            &bytes,
        );
        assert_eq!(status, 201, "{added}");
        ids.push(added[0]["segment"]["id"].as_u64().expect("id"));
    }
    let (status, played) = live.post("/play", &json!({ "ids": ids, "now": true }));
    assert_eq!(status, 202, "{played}");
    wait_now(&live, "both aired", |now| {
        now["on_air"].is_null() && {
            let (_, log) = live.get("/log");
            log.as_array()
                .is_some_and(|l| l.len() == 2 && l.iter().all(|r| r["ended_at"].is_string()))
        }
    });
    let titles = |path: &str| -> Vec<String> {
        let (status, log) = live.get(path);
        assert_eq!(status, 200, "{path}: {log}");
        log.as_array()
            .expect("records")
            .iter()
            .map(|r| r["title"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        titles("/log?q=ti%C3%AAm%20PH%C3%9A"),
        ["Lịch tiêm chủng thôn Phú Lộc"],
        "words, any case"
    );
    assert_eq!(
        titles("/log?q=y%20t%E1%BA%BF").len(),
        2,
        "words of the unit"
    );
    assert!(titles("/log?q=b%C3%A3o").is_empty());
    assert_eq!(
        titles("/log?limit=1"),
        ["Hướng dẫn dịch vụ công trực tuyến"],
        "the last one"
    );
    assert_eq!(titles("/log?program=manual").len(), 2, "played by hand");
    assert!(titles("/log?program=chieu").is_empty());
    let (status, _) = live.get("/log?limit=x");
    assert_eq!(status, 400);
}

#[test]
fn the_report_comes_as_printable_html_and_the_other_formats() {
    let live = start(station());
    let bytes = wav_bytes(&live.t, "bc.wav", 0.3);
    let (_, added) = live.upload(
        &[("topic", "nq57"), ("title", "Bản tin <b>báo cáo</b>")],
        "bc.wav",
        &bytes,
    );
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    live.post("/play", &json!({ "ids": [id], "now": true }));
    wait_now(&live, "aired", |now| {
        now["on_air"].is_null() && {
            let (_, log) = live.get("/log");
            log.as_array()
                .is_some_and(|l| l.iter().any(|r| r["outcome"] == "completed"))
        }
    });
    let (status, head, html) = fetch(&live, &live.url("/report?format=html&lang=vi"), &[]);
    assert_eq!(status, 200);
    assert!(header(&head, "content-type").starts_with("text/html"));
    let html = String::from_utf8(html).expect("UTF-8");
    assert!(
        html.contains("Đài thử nghiệm") && html.contains("Nghị quyết 57-NQ/TW"),
        "{html}"
    );
    assert!(!html.contains("<b>báo cáo</b>"), "titles are escaped");
    let (status, head, xlsx) = fetch(&live, &live.url("/report?period=2026-H1&format=xlsx"), &[]);
    assert_eq!(status, 200);
    assert!(header(&head, "content-disposition").contains("bao-cao-2026-H1.xlsx"));
    assert!(xlsx.starts_with(b"PK"), "an XLSX (zip) file");
    let (status, _, md) = fetch(
        &live,
        &live.url("/report?from=2020-01-01&to=2030-12-31&format=md&lang=en"),
        &[],
    );
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&md).contains("Summary"));
    let (status, err) = live.get("/report?period=2026-H3");
    assert_eq!(status, 400, "{err}");
    let (status, err) = live.get("/report?period=2026-H1&from=2026-01-01");
    assert_eq!(status, 400, "{err}");
    let (status, err) = live.get("/report?format=pdf");
    assert_eq!(status, 400, "{err}");
}

/// The page shows the planner's verdict on each segment (`air_today`) and the server's
/// half-years instead of deciding them again in JavaScript: the verdicts agree with what a
/// broadcast of the same segment is refused with.
#[test]
fn the_library_carries_the_planners_verdict_and_the_report_its_half_years() {
    use chrono::Datelike;
    let live = start(station());
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let (yesterday, tomorrow) = (
        day(today.pred_opt().expect("day")),
        day(today.succ_opt().expect("day")),
    );
    let mut ids = Vec::new();
    for (name, fields) in [
        ("het-han.wav", vec![("valid_until", yesterday.as_str())]),
        ("chua-toi.wav", vec![("valid_from", tomorrow.as_str())]),
        ("hom-nay.wav", vec![]),
        ("mat-tep.wav", vec![]),
    ] {
        let bytes = wav_bytes(&live.t, name, 0.3 + ids.len() as f64 * 0.1);
        let mut all = vec![("topic", "cds"), ("title", name)];
        all.extend(fields);
        let (status, added) = live.upload(&all, name, &bytes);
        assert_eq!(status, 201, "{added}");
        ids.push(added[0]["segment"]["id"].as_u64().expect("id"));
    }
    // The fourth loses its media file behind the daemon's back.
    let (_, gone) = live.get(&format!("/segments/{}", ids[3]));
    let media = gone["media_file"].as_str().expect("media_file").to_string();
    let path = live
        .t
        .path("data/media")
        .join(std::path::Path::new(&media).file_name().expect("name"));
    std::fs::remove_file(&path).expect("remove the media file");

    let (status, list) = live.get("/segments");
    assert_eq!(status, 200, "{list}");
    let verdict = |id: u64| {
        list.as_array()
            .expect("segments")
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["air_today"].clone())
            .expect("listed")
    };
    assert_eq!(
        verdict(ids[0]),
        json!({"state": "skip", "reason": {"code": "expired", "until": yesterday}})
    );
    assert_eq!(
        verdict(ids[1]),
        json!({"state": "skip", "reason": {"code": "not_valid_before", "from": tomorrow}})
    );
    assert_eq!(verdict(ids[2]), json!({"state": "yes"}));
    assert_eq!(verdict(ids[3])["state"], "fails");
    assert_eq!(verdict(ids[3])["reason"]["code"], "media_missing");
    // The same rule refuses a broadcast of each, with the same reason.
    for &id in &ids[..2] {
        let (status, refused) = live.post("/play", &json!({ "ids": [id] }));
        assert!(
            status == 409 || status == 422 || status == 400,
            "{status} {refused}"
        );
        assert_eq!(refused["reason"], verdict(id)["reason"], "{refused}");
    }

    // Half-years, by the province's rule written out here: H1 is 15/12 – 14/6, H2 15/6 – 14/12.
    let (m, d) = (today.month(), today.day());
    let (mut year, mut half) = if (m, d) >= (12, 15) {
        (today.year() + 1, 1)
    } else if (m, d) >= (6, 15) {
        (today.year(), 2)
    } else {
        (today.year(), 1)
    };
    let mut expected = Vec::new();
    for _ in 0..4 {
        let (from, to) = if half == 1 {
            (format!("{}-12-15", year - 1), format!("{year}-06-14"))
        } else {
            (format!("{year}-06-15"), format!("{year}-12-14"))
        };
        expected.push(json!({"period": format!("{year}-H{half}"), "from": from, "to": to}));
        (year, half) = if half == 2 { (year, 1) } else { (year - 1, 2) };
    }
    let (status, periods) = live.get("/report/periods");
    assert_eq!(status, 200, "{periods}");
    assert_eq!(periods, json!(expected));
}
