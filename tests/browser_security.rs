//! Attacks on the station through the operator's own browser, in a real headless Chromium
//! against the real `loaxa run` binary: nothing a page on another site does acts on the
//! station, and the station's own page still works.
//!
//! - Cross-site request forgery: a page served by the test from another loopback port (the
//!   same *site* as the daemon, another origin) auto-submits forms (`text/plain`, urlencoded,
//!   multipart with a real WAV) and sends `fetch` in `no-cors` mode and with preflights to
//!   every route that changes something.
//! - DNS rebinding: Chromium resolves `evil.example` to 127.0.0.1
//!   (`--host-resolver-rules`), loads `http://evil.example:DAEMON_PORT/` and calls the API
//!   from there, same-origin from the browser's view.
//!
//! Afterwards the daemon's real state is read back: the long item still on air since the
//! same instant (not skipped, stopped or cut by an emergency), the queue, the library and
//! the log as before, no reload; the daemon's log shows each attack request refused.
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`).

#[path = "support/live.rs"]
mod live;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use live::{PROGRAMS, read};
use process::Daemon;
use serde_json::{Value, json};
use station::TestStation;
use webdriver::Browser;

const REFUSED: &str = "request refused by the browser guard";
const TITLE_Q: &str = "Lịch tiêm chủng thôn Phú Lộc";

/// The daemon under attack, with a long item on air and another queued.
struct Station {
    t: TestStation,
    daemon: Daemon,
    base: String,
    agent: ureq::Agent,
    long: u64,
    short: u64,
    qid: u64,
    /// `GET /now`'s `on_air` and `GET /log` before the attack.
    on_air: Value,
    log: Value,
    short_wav: Vec<u8>,
}

impl Station {
    fn start() -> Station {
        let t = TestStation::new(PROGRAMS, &[], station::local(2026, 3, 1, 0, 0, 0));
        std::fs::create_dir_all(t.path("in")).expect("mkdir");
        t.noise_file("in/dai.wav", 120.0);
        t.noise_file("in/ngan.wav", 0.5);
        t.noise_file("in/tiem-chung.wav", 0.5);
        let mut daemon = Daemon::spawn_with_env(&t.config_path(), &[]);
        let base = daemon.api_address(&t.path("data"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut s = Station {
            short_wav: std::fs::read(t.path("in/ngan.wav")).expect("read"),
            t,
            daemon,
            base,
            agent,
            long: 0,
            short: 0,
            qid: 0,
            on_air: Value::Null,
            log: Value::Null,
        };
        s.long = s.upload("dai.wav", "Bản tin dài");
        s.short = s.upload("ngan.wav", "Tin ngắn");
        let (status, played) = s.post("/play", json!({ "ids": [s.long], "now": true }));
        assert_eq!(status, 202, "{played}");
        let (status, queued) = s.post("/queue", json!({ "ids": [s.short] }));
        assert_eq!(status, 201, "{queued}");
        s.qid = queued[0]["qid"].as_u64().expect("qid");
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.get("/now")["on_air"]["segment_id"] != s.long {
            assert!(Instant::now() < deadline, "the long item never aired");
            std::thread::sleep(Duration::from_millis(20));
        }
        s.on_air = s.get("/now")["on_air"].clone();
        // The long item's record, opened as it began.
        s.log = s.get("/log");
        assert_eq!(s.log.as_array().map(Vec::len), Some(1), "{}", s.log);
        s
    }

    fn get(&self, path: &str) -> Value {
        let (status, value) = read(self.agent.get(format!("{}/api/v1{path}", self.base)).call());
        assert_eq!(status, 200, "GET {path}: {value}");
        value
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        read(
            self.agent
                .post(format!("{}/api/v1{path}", self.base))
                .send_json(body),
        )
    }

    fn upload(&self, name: &str, title: &str) -> u64 {
        let bytes = std::fs::read(self.t.path(&format!("in/{name}"))).expect("read wav");
        let mut body = format!(
            "--b0\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\ncds\r\n\
             --b0\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n\
             --b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n--b0--\r\n");
        let (status, added) = read(
            self.agent
                .post(format!("{}/api/v1/segments", self.base))
                .header("Content-Type", "multipart/form-data; boundary=b0")
                .header("X-Loaxa-Request", "1")
                .send(&body[..]),
        );
        assert_eq!(status, 201, "{added}");
        added[0]["segment"]["id"].as_u64().expect("id")
    }

    fn port(&self) -> &str {
        self.base.rsplit_once(':').expect("port").1
    }

    /// Waits (at most 15 s) until the daemon has refused at least `n` requests.
    fn wait_refused(&self, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let refused = self.daemon.said().matches(REFUSED).count();
            if refused >= n || Instant::now() > deadline {
                return refused;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Nothing acted: the same item on air since the same instant, the queue, library and
    /// log as before, no reload.
    fn assert_untouched(&mut self) {
        self.daemon.assert_running();
        let now = self.get("/now");
        assert_eq!(now["on_air"], self.on_air, "not skipped, stopped or cut");
        let queue = self.get("/queue");
        let queued: Vec<&Value> = queue.as_array().expect("queue").iter().collect();
        assert_eq!(queued.len(), 1, "the queue: {queue}");
        assert_eq!(queued[0]["qid"], self.qid, "the queue: {queue}");
        let segments = self.get("/segments");
        let ids: Vec<&Value> = segments
            .as_array()
            .expect("list")
            .iter()
            .map(|s| &s["id"])
            .collect();
        assert_eq!(ids, [self.long, self.short], "the library");
        assert_eq!(self.get("/log"), self.log, "nothing aired or was cut");
        assert!(
            !self.daemon.said().contains("config and playlists reloaded"),
            "reloaded: {}",
            self.daemon.said()
        );
    }
}

fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The attacker's page: every write the browser lets a page send to another origin.
fn hostile_page(s: &Station) -> String {
    include_str!("support/hostile.html")
        .replace("@API@", &format!("{}/api/v1", s.base))
        .replace("@SHORT@", &s.short.to_string())
        .replace("@QID@", &s.qid.to_string())
        .replace("@WAV@", &base64(&s.short_wav))
}

/// Serves `page` to every request on a free loopback port (another origin than the
/// daemon's); returns the port. The thread ends with the test process.
fn serve(page: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = &stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    port
}

/// Runs the page's attack and returns what each request came to.
fn attack(browser: &Browser) -> Value {
    browser.run(
        "return new Promise(ok => { const look = () => window.attackDone
            ? ok(window.attackDone) : setTimeout(look, 50); look(); });",
        json!([]),
    )
}

#[test]
fn a_page_on_another_port_cannot_operate_the_station() {
    let mut s = Station::start();
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = Browser::start(downloads.path(), 1280, 900);
    let hostile = serve(hostile_page(&s));
    browser.goto(&format!("http://127.0.0.1:{hostile}/"));
    let results = attack(&browser);
    let forms = results["forms"].as_u64().expect("forms sent");
    let sent = results["sent"].as_array().expect("fetches").len() as u64;
    assert!(forms >= 21 && sent >= 21, "the page attacked: {results}");
    // The preflighted requests never leave the browser: the preflight gets no CORS answer.
    for (what, outcome) in results["preflighted"].as_object().expect("preflighted") {
        assert!(
            outcome.as_str().is_some_and(|o| o.starts_with("TypeError")),
            "{what} was blocked by its preflight: {outcome}"
        );
    }
    let refused = s.wait_refused((forms + sent) as usize);
    s.assert_untouched();
    assert!(
        refused >= (forms + sent) as usize,
        "each form and no-cors fetch reached the daemon and was refused: {refused} of {}\n{}",
        forms + sent,
        s.daemon.said()
    );

    // The station's own page still works: upload an item and queue it there.
    let page = s.base.clone();
    browser.goto(&format!("{page}/#library"));
    browser.wait("body[data-ready] main[data-page=\"library\"] h1", 10);
    let file = s.t.path("in/tiem-chung.wav");
    browser.type_into(&browser.wait("#up-file", 5), &file.display().to_string());
    browser.type_into(&browser.wait("#up-title", 5), TITLE_Q);
    browser.choose("#up-topic", "cds");
    browser.click(&browser.wait("#upload-form button[type=submit]", 5));
    let said = browser.wait_text("#upload-results", 20, "upload", |t| t.contains(TITLE_Q));
    assert!(said.contains("Đã thêm"), "uploaded from the page: {said}");
    let segments = s.get("/segments");
    let q = segments
        .as_array()
        .and_then(|l| l.iter().find(|x| x["title"] == TITLE_Q))
        .and_then(|x| x["id"].as_u64())
        .unwrap_or_else(|| panic!("{TITLE_Q} in the library: {segments}"));
    browser.goto(&format!("{page}/#queue"));
    browser.wait("body[data-ready] main[data-page=\"queue\"] h1", 10);
    browser.choose("#q-seg", &q.to_string());
    browser.click(&browser.wait("#queue-form button[type=submit]", 5));
    browser.wait_text("#queue-rows", 10, "queued from the page", |t| {
        t.contains(TITLE_Q)
    });
    let queue = s.get("/queue");
    assert!(
        queue
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["segment"] == q)),
        "{queue}"
    );
}

#[test]
fn a_rebound_name_cannot_operate_the_station() {
    let mut s = Station::start();
    let downloads = tempfile::tempdir().expect("downloads");
    let rules = "--host-resolver-rules=MAP evil.example 127.0.0.1".to_string();
    let browser = Browser::start_with(downloads.path(), 1280, 900, &[rules]);
    browser.goto(&format!("http://evil.example:{}/", s.port()));
    // From that document, every call is same-origin for the browser.
    let statuses = browser.run(
        include_str!("support/rebound.js"),
        json!([s.short, s.qid, base64(&s.short_wav)]),
    );
    let statuses = statuses.as_object().expect("statuses");
    let refused = s.wait_refused(statuses.len() + 1);
    s.assert_untouched();
    assert!(statuses.len() >= 9, "{statuses:?}");
    for (call, status) in statuses {
        assert_eq!(status, 403, "{call} from evil.example: {status}");
    }
    assert!(refused > statuses.len(), "the page and each call refused");
    let shown = browser.run("return document.body.innerText;", json!([]));
    assert!(
        shown
            .as_str()
            .is_some_and(|t| t.contains("does not answer to the name")),
        "the page under a rebound name is refused: {shown}"
    );
    // Under its own address the page loads.
    browser.goto(&format!("{}/#now", s.base));
    browser.wait("body[data-ready] main[data-page=\"now\"] h1", 10);
    browser.wait_text("#on-air-title", 5, "on air", |t| t == "Bản tin dài");
}
