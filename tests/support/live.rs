//! The real daemon and its control API in-process, on their own runtime thread, with a
//! small blocking HTTP client to drive them as the CLI would.

#![allow(dead_code)]

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use loaxa::clock::{SharedClock, SystemClock};
use loaxa::daemon::{self, Shutdown, ShutdownSender};
use loaxa::model::OutputSpec;
use loaxa::service::Station;
use serde_json::Value;

use super::station::{self, TestStation};

pub const PROGRAMS: &str = "[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = []\n";

/// The daemon and its API, running on their own runtime thread until dropped.
pub struct Live {
    pub t: TestStation,
    pub base: String,
    pub agent: ureq::Agent,
    pub token: Option<String>,
    stop: Option<ShutdownSender>,
    thread: Option<JoinHandle<()>>,
}

pub fn start(t: TestStation) -> Live {
    let config = loaxa::config::load(&t.config_path()).expect("test config is valid");
    let clock: SharedClock = Arc::new(SystemClock);
    let station = Station::open(config, clock).expect("open station");
    start_station(t, station)
}

/// [`start`] on a station the test opened itself (to keep its store, or its clock).
pub fn start_station(t: TestStation, station: Station) -> Live {
    let api = station.config.api.clone();
    let (stop, shutdown) = Shutdown::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = loaxa::api::bind(&api).await.expect("bind");
            tx.send(listener.local_addr().expect("address"))
                .expect("test waiting");
            let (handle, daemon) = daemon::start(station, Some(OutputSpec::Null), shutdown.clone())
                .expect("daemon starts");
            let server = tokio::spawn(loaxa::api::serve_on(listener, handle, api, shutdown));
            daemon.await.expect("daemon ends cleanly");
            server.await.expect("no panic").expect("API ends cleanly");
        });
    });
    let addr = rx.recv().expect("API bound");
    Live {
        t,
        base: format!("http://{addr}/api/v1"),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
        token: None,
        stop: Some(stop),
        thread: Some(thread),
    }
}

impl Live {
    /// Stops the daemon and waits for it to end; the station's folder stays until drop.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the daemon thread panicked");
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

pub type Answer = (u16, Value);

pub fn read(answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut answer = answer.expect("the API answers");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, value)
}

impl Live {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The token, if any, and `Accept-Language: en`: the behaviour tests read the English
    /// words (`tests/vocabulary.rs` checks the Vietnamese default).
    pub fn auth<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let req = req.header("Accept-Language", "en");
        match &self.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        read(self.auth(self.agent.get(self.url(path))).call())
    }

    /// With `X-Loaxa-Request`, as the CLI sends it (a bodyless write needs it).
    pub fn delete(&self, path: &str) -> Answer {
        let req = self.agent.delete(self.url(path));
        read(self.auth(req).header("X-Loaxa-Request", "1").call())
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        read(self.auth(self.agent.post(self.url(path))).send_json(body))
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        read(
            self.auth(self.agent.post(self.url(path)))
                .header("Content-Type", content_type)
                .header("X-Loaxa-Request", "1")
                .send(body),
        )
    }

    /// `POST /segments` with `fields` and one file part.
    pub fn upload(&self, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Answer {
        let boundary = "loaxa-test-boundary-7f3a";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: audio/wav\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.post_raw(
            "/segments",
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
        )
    }

    pub fn assert_alive(&self) {
        let (status, health) = self.get("/health");
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["ok"], true);
        assert_eq!(health["station"], "Đài thử nghiệm");
    }

    pub fn uploads_left(&self) -> Vec<String> {
        station::files_in(&self.t.path("data/uploads"))
    }
}

pub fn station() -> TestStation {
    TestStation::new(PROGRAMS, &[], station::local(2026, 3, 1, 0, 0, 0))
}

/// A WAV of `secs` seconds of noise, as bytes.
pub fn wav_bytes(t: &TestStation, name: &str, secs: f64) -> Vec<u8> {
    let rel = format!("in/{name}");
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    t.noise_file(&rel, secs);
    std::fs::read(t.path(&rel)).expect("read wav")
}

pub fn assert_error(answer: &Answer, status: u16, needle: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    let error = answer.1["error"].as_str().unwrap_or_default();
    assert!(error.contains(needle), "`{needle}` not in: {}", answer.1);
}

/// Polls `GET /now` until `done` says so (bounded: the daemon plays in real time).
pub fn wait_now(live: &Live, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, now) = live.get("/now");
        assert_eq!(status, 200);
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: last status {now}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every field any JSON body of the API reads (the boundary walk and the fuzz aim at them).
pub const BODY_FIELDS: &[&str] = &[
    "id",
    "ids",
    "every",
    "until",
    "now",
    "priority",
    "program",
    "by",
    "title",
    "topic",
    "unit",
    "valid_from",
    "valid_until",
    "gain_db",
    "text",
    "voice",
];

/// An airable segment: `id` if it is still there and undated, else a new upload (the API
/// walk and fuzz edit and delete segments), so each request meets a real one.
pub fn ensure_segment(live: &Live, id: &mut u64) {
    let (status, seg) = live.get(&format!("/segments/{id}"));
    // Edits may have dated it out of the air (valid_until in the past): a fresh one then.
    if status == 200 && seg["valid_from"].is_null() && seg["valid_until"].is_null() {
        return;
    }
    let name = format!("tin{id}.wav");
    // A length of its own: the noise's seed is the sum of the name's bytes, so `tin11` and
    // `tin20` would be the same bytes, and the library keeps one segment per content.
    let wav = wav_bytes(&live.t, &name, 0.3 + *id as f64 / 1000.0);
    let (status, added) = live.upload(&[("topic", "cds"), ("title", "Tin")], &name, &wav);
    assert_eq!(status, 201, "{added}");
    *id = added[0]["segment"]["id"].as_u64().expect("id");
}

/// A client that opens a connection per request: a connection the server closed after
/// answering (a body the route did not read) is never reused.
pub fn fresh_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .build()
        .into()
}

/// Panics anywhere in the process (the daemon runs in it), counted by [`count_panics`].
pub static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts every later panic in [`PANICS`] (and still prints it).
pub fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        previous(info);
    }));
}
