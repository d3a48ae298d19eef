//! The browser guard header by header, over raw TCP against the real daemon and API
//! (in-process): which `Host` names the station answers to (DNS rebinding), which writes it
//! refuses as cross-site or as ones a browser sends without asking (CSRF), that it never
//! answers CORS, and that the CLI — the real binary — still operates it. Also the two
//! HTTP details of the same round: a 401 names `Bearer`, an unreadable `Range` is ignored.
//! The same attacks from a real browser are in `browser_security.rs`.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use live::{Live, PROGRAMS, start, station, wav_bytes};
use serde_json::{Value, json};
use station::TestStation;

/// An answer read off the socket: status, head (lower-case), body.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.body))
    }

    /// A 403 from the guard: JSON whose error and hint say what and what to do.
    fn assert_refused(&self, what: &str, needle: &str) {
        assert_eq!(self.status, 403, "{what}: {}\n{}", self.head, self.body);
        let body = self.json();
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{what}: `{needle}` not in {body}");
        assert!(body["hint"].is_string(), "{what}: a hint: {body}");
    }
}

fn host_port(live: &Live) -> String {
    live.base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .to_string()
}

/// Sends `request` as written (lines joined with CRLF, `Connection: close` added).
fn raw(live: &Live, lines: &[&str], body: &str) -> Raw {
    let mut stream = TcpStream::connect(host_port(live)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut text = lines.join("\r\n");
    text.push_str("\r\nConnection: close\r\n");
    if !body.is_empty() {
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Raw {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// `METHOD path` with `Host: host` and more header lines.
fn send(live: &Live, method: &str, path: &str, host: &str, headers: &[&str], body: &str) -> Raw {
    let start = format!("{method} {path} HTTP/1.1");
    let host = format!("Host: {host}");
    let mut lines = vec![start.as_str(), host.as_str()];
    lines.extend_from_slice(headers);
    raw(live, &lines, body)
}

#[test]
fn only_this_stations_own_names_reach_the_page_and_the_api() {
    let live = start(station());
    let port = host_port(&live)
        .rsplit_once(':')
        .expect("port")
        .1
        .to_string();
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".into(),
        format!("localhost:{port}"),
        "LOCALHOST".into(),
        format!("[::1]:{port}"),
        format!("192.168.1.20:{port}"),
    ] {
        for path in ["/", "/api/v1/now"] {
            let answer = send(&live, "GET", path, &host, &[], "");
            assert_eq!(answer.status, 200, "Host {host}, {path}: {}", answer.body);
        }
    }
    // DNS rebinding: a name the attacker's DNS points at 127.0.0.1.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("loa-xa.local:{port}"),
    ] {
        for path in ["/", "/api/v1/segments", "/assets/app.js"] {
            send(&live, "GET", path, &host, &[], "").assert_refused(&host, "does not answer");
        }
        let skip = send(
            &live,
            "POST",
            "/api/v1/skip",
            &host,
            &["Content-Type: application/json"],
            "null",
        );
        skip.assert_refused(&host, "does not answer");
    }
    // HTTP/1.0 without a Host.
    raw(&live, &["GET /api/v1/now HTTP/1.0"], "").assert_refused("no Host", "no host");
    live.assert_alive();
}

#[test]
fn a_name_in_allowed_hosts_is_this_station() {
    let t = TestStation::with_api(
        PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
        "allowed_hosts = [\"loa-xa.local\"]",
    );
    let live = start(t);
    let port = host_port(&live)
        .rsplit_once(':')
        .expect("port")
        .1
        .to_string();
    for host in [format!("loa-xa.local:{port}"), "Loa-Xa.Local".into()] {
        let answer = send(&live, "GET", "/api/v1/now", &host, &[], "");
        assert_eq!(answer.status, 200, "Host {host}: {}", answer.body);
    }
    let other = format!("loa-xa.local.evil.example:{port}");
    send(&live, "GET", "/", &other, &[], "").assert_refused(&other, "does not answer");
}

#[test]
fn writes_from_another_site_or_that_a_browser_sends_unasked_are_refused() {
    let live = start(station());
    let host = host_port(&live);
    let own = format!("Origin: http://{host}");
    let bytes = wav_bytes(&live.t, "a.wav", 0.3);
    let (_, added) = live.upload(&[("topic", "cds")], "a.wav", &bytes);
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    let (_, queued) = live.post("/queue", &json!({ "ids": [id] }));
    let qid = queued[0]["qid"].as_u64().expect("qid");
    let multipart = "--b\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\ncds\r\n--b--\r\n";
    // What a form or a `no-cors` fetch on any page can send: refused before any handler.
    for (path, content_type, body) in [
        ("/skip", "text/plain", "x"),
        ("/stop", "application/x-www-form-urlencoded", "a=b"),
        ("/reload", "text/plain", ""),
        ("/queue", "text/plain", "{\"ids\":[1]}"),
        ("/emergency", "text/plain", "{\"id\":1}"),
        ("/play", "application/x-www-form-urlencoded", "ids=1"),
        ("/segments", "multipart/form-data; boundary=b", multipart),
    ] {
        let ct = format!("Content-Type: {content_type}");
        let answer = send(
            &live,
            "POST",
            &format!("/api/v1{path}"),
            &host,
            &[&ct, &own],
            body,
        );
        answer.assert_refused(&format!("{path} as {content_type}"), "must be JSON");
    }
    let bodyless = send(&live, "POST", "/api/v1/stop", &host, &[], "");
    bodyless.assert_refused("POST without a Content-Type", "no Content-Type");
    let delete = send(
        &live,
        "DELETE",
        &format!("/api/v1/queue/{qid}"),
        &host,
        &[],
        "",
    );
    delete.assert_refused("DELETE without the header", "X-Loaxa-Request");
    // JSON, but the browser says another site or origin sent it.
    let json = "Content-Type: application/json";
    for (what, header) in [
        ("cross-site", "Sec-Fetch-Site: cross-site"),
        ("another port of 127.0.0.1", "Sec-Fetch-Site: same-site"),
        ("another port", "Origin: http://127.0.0.1:1"),
        ("another name", "Origin: http://evil.example"),
        ("a sandboxed page", "Origin: null"),
    ] {
        let answer = send(
            &live,
            "POST",
            "/api/v1/skip",
            &host,
            &[json, header],
            "null",
        );
        answer.assert_refused(what, "comes from");
        let patch = send(
            &live,
            "PATCH",
            &format!("/api/v1/segments/{id}"),
            &host,
            &[json, header],
            "{\"title\":\"bị sửa\"}",
        );
        assert_eq!(patch.status, 403, "PATCH from {what}: {}", patch.body);
    }
    // Nothing of it acted: the item is queued, one segment, its title kept.
    let (_, queue) = live.get("/queue");
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    let (_, segments) = live.get("/segments");
    assert_eq!(segments.as_array().map(Vec::len), Some(1), "{segments}");
    assert_ne!(segments[0]["title"], "bị sửa");

    // The station's own page and scripts get through to the handlers.
    let fetch_site = "Sec-Fetch-Site: same-origin";
    let skip = send(
        &live,
        "POST",
        "/api/v1/skip",
        &host,
        &[json, &own, fetch_site],
        "null",
    );
    assert_eq!(skip.status, 409, "nothing on air to skip: {}", skip.body);
    let marked = "X-Loaxa-Request: 1";
    let reload = send(&live, "POST", "/api/v1/reload", &host, &[marked], "");
    assert_eq!(
        reload.status, 200,
        "reload with the header: {}",
        reload.body
    );
    let path = format!("/api/v1/queue/{qid}");
    let delete = send(&live, "DELETE", &path, &host, &[marked, &own], "");
    assert_eq!(
        delete.status, 204,
        "DELETE with the header: {}",
        delete.body
    );
}

#[test]
fn the_server_never_answers_cors() {
    let live = start(station());
    let host = host_port(&live);
    for path in ["/api/v1/skip", "/api/v1/segments", "/api/v1/queue/1"] {
        let preflight = send(
            &live,
            "OPTIONS",
            path,
            &host,
            &[
                "Origin: http://127.0.0.1:1",
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type, x-loaxa-request",
            ],
            "",
        );
        assert!(
            !(200..300).contains(&preflight.status),
            "a preflight to {path} fails: {}",
            preflight.head
        );
        assert!(
            !preflight.head.contains("access-control-"),
            "no CORS header: {}",
            preflight.head
        );
    }
    let get = send(
        &live,
        "GET",
        "/api/v1/now",
        &host,
        &["Origin: http://127.0.0.1:1"],
        "",
    );
    assert_eq!(get.status, 200);
    assert!(!get.head.contains("access-control-"), "{}", get.head);
}

#[test]
fn a_401_names_the_bearer_scheme_and_an_unreadable_range_is_ignored() {
    let hash = "ab".repeat(32);
    let t = TestStation::with_api(
        PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
        &format!("token_sha256 = \"{hash}\""),
    );
    let live = start(t);
    let host = host_port(&live);
    for auth in [None, Some("Authorization: Bearer sai")] {
        let headers: Vec<&str> = auth.into_iter().collect();
        let answer = send(&live, "GET", "/api/v1/now", &host, &headers, "");
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert!(
            answer
                .head
                .contains("\r\nwww-authenticate: bearer realm=\"loaxa\""),
            "{auth:?}: {}",
            answer.head
        );
    }

    let live = start(station());
    let host = host_port(&live);
    let bytes = wav_bytes(&live.t, "a.wav", 0.3);
    let (_, added) = live.upload(&[("topic", "cds")], "a.wav", &bytes);
    let id = added[0]["segment"]["id"].as_u64().expect("id");
    let len = bytes.len();
    let path = format!("/api/v1/segments/{id}/audio");
    for range in [
        "bytes=5-2",
        "items=0-1",
        "bytes=x-",
        "bytes=0-1,5-6",
        "bytes=-",
    ] {
        let header = format!("Range: {range}");
        let answer = send(&live, "GET", &path, &host, &[&header], "");
        assert_eq!(answer.status, 200, "{range} is ignored: {}", answer.head);
        assert!(
            answer.head.contains(&format!("content-length: {len}\r\n"))
                || answer.head.ends_with(&format!("content-length: {len}")),
            "{range}: the whole file: {}",
            answer.head
        );
    }
    let header = format!("Range: bytes={len}-");
    let answer = send(&live, "GET", &path, &host, &[&header], "");
    assert_eq!(answer.status, 416, "well-formed, past the end");
}

/// The real `loaxa` binary against the daemon, as the operator types it.
fn cli(live: &Live, args: &[&str]) -> String {
    // The API task announces the daemon in `daemon.json` a moment after it is bound: until
    // then the CLI would take the store for itself and find it locked.
    let announced = live.t.path("data/daemon.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !announced.is_file() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(live.t.config_path())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run loaxa");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "loaxa {args:?}: {said}");
    said
}

#[test]
fn the_cli_operates_the_station_through_the_guard() {
    let live = start(station());
    let _ = wav_bytes(&live.t, "ban-tin.wav", 2.0);
    let file = live.t.path("in/ban-tin.wav");
    let file = file.to_str().expect("utf-8 path");
    cli(
        &live,
        &[
            "segment",
            "add",
            file,
            "--topic",
            "cds",
            "--title",
            "Bản tin",
        ],
    );
    cli(&live, &["segment", "edit", "1", "--title", "Bản tin sửa"]);
    cli(&live, &["queue", "add", "1"]);
    let (_, queue) = live.get("/queue");
    let qid = queue[0]["qid"].as_u64().expect("queued").to_string();
    cli(&live, &["queue", "rm", &qid]);
    cli(&live, &["reload"]);
    cli(&live, &["play", "1", "--now"]);
    live::wait_now(&live, "on air", |now| now["on_air"].is_object());
    cli(&live, &["skip"]);
    let (_, segments) = live.get("/segments");
    assert_eq!(segments[0]["title"], "Bản tin sửa", "{segments}");
    let (_, queue) = live.get("/queue");
    assert_eq!(queue, json!([]));
    live::wait_now(&live, "skipped", |now| now["on_air"].is_null());
}
