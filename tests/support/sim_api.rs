//! The real HTTP API in-process on a simulated clock: served by the paused tokio runtime
//! of the test, called from blocking threads (tokio does not move simulated time while one
//! runs, so nothing airs in the middle of a request).

#![allow(dead_code)]

use loaxa::daemon::{Shutdown, ShutdownSender};
use serde_json::Value;

use super::running::Running;

/// The real API on loopback, served by the paused runtime of the test. Each request runs on
/// a blocking thread: tokio does not move simulated time while one is running, so nothing
/// airs in the middle of a request.
pub struct Api {
    base: String,
    stop: ShutdownSender,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Api {
    pub async fn start(d: &Running) -> Api {
        let station = d.handle.station();
        let config = station.config.api.clone();
        let listener = loaxa::api::bind(&config).await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, shutdown) = Shutdown::new();
        let task = tokio::spawn(loaxa::api::serve_on(
            listener,
            d.handle.clone(),
            config,
            shutdown,
        ));
        Api {
            base: format!("http://{addr}/api/v1"),
            stop,
            task,
        }
    }

    pub async fn call(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_idle_connections(0)
                .build()
                .into();
            let answer = match (method, body) {
                ("GET", _) => agent.get(&url).call(),
                ("DELETE", _) => agent.delete(&url).header("X-Loaxa-Request", "1").call(),
                ("POST", Some(b)) => agent.post(&url).send_json(&b),
                ("PATCH", Some(b)) => agent.patch(&url).send_json(&b),
                ("UPLOAD", Some(Value::String(file))) => {
                    let (body, kind) = multipart(&file);
                    agent
                        .post(&url)
                        .header("Content-Type", kind)
                        .header("X-Loaxa-Request", "1")
                        .send(&body[..])
                }
                _ => panic!("{method} {url}: not a call this test makes"),
            };
            let mut answer = answer.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
            let status = answer.status().as_u16();
            let text = answer.body_mut().read_to_string().expect("body");
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (status, value)
        })
        .await
        .expect("request thread")
    }

    pub async fn ok(&self, method: &'static str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method, path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {value}"
        );
        value
    }

    pub async fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None).await
    }

    pub async fn patch(&self, id: u64, body: Value) -> Value {
        self.ok("PATCH", &format!("/segments/{id}"), Some(body))
            .await
    }

    /// The id of the library segment titled `title`.
    pub async fn id_of(&self, title: &str) -> u64 {
        let all = self.get("/segments").await;
        let ids: Vec<u64> = all
            .as_array()
            .expect("segments")
            .iter()
            .filter(|s| s["title"] == title)
            .map(|s| s["id"].as_u64().expect("id"))
            .collect();
        assert_eq!(ids.len(), 1, "one segment titled {title}: {all}");
        ids[0]
    }

    pub async fn stop(self) {
        self.stop.send(true).expect("API listening");
        self.task
            .await
            .expect("no panic")
            .expect("API ended cleanly");
    }
}

/// A `POST /segments` form: topic `cds`, the file's stem as title, and the file.
fn multipart(file: &str) -> (Vec<u8>, String) {
    let boundary = "loaxa-one-planner-3b9c";
    let path = std::path::Path::new(file);
    let name = path.file_name().expect("name").to_string_lossy();
    let stem = path.file_stem().expect("stem").to_string_lossy();
    let mut body = Vec::new();
    for (k, v) in [("topic", "cds"), ("title", &*stem)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: audio/wav\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&std::fs::read(path).expect("read upload"));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}
