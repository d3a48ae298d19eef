//! The CLI's side of the control API: finds the running daemon through `daemon.json` in the
//! data folder and makes blocking HTTP calls to it (plain HTTP, loopback or the LAN).
//!
//! Error answers carry `{"error", "hint"}`; they become the same `message\n  hint: fix`
//! errors the service layer gives when the CLI works on the store itself.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::wire::{AddResult, DaemonFile, ErrorBody, StationInfo};
use crate::api::{self, PREFIX};
use crate::service::SegmentMeta;
use crate::service::ops::{Method, Op, Wire};

/// Largest answer read (a long log as JSON).
const MAX_ANSWER: u64 = 512 * 1024 * 1024;

/// A connection to a running daemon's API.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(3)))
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            agent,
        }
    }

    /// The daemon named in `data_dir/daemon.json`, if it answers. A stale file (the daemon
    /// was killed) gives `None`: the caller then works on the store itself.
    pub fn discover(data_dir: &Path, token: Option<String>) -> Option<Client> {
        let text = std::fs::read_to_string(api::daemon_file(data_dir)).ok()?;
        let info: DaemonFile = serde_json::from_str(&text).ok()?;
        let client = Client::new(&info.api, token);
        // Any HTTP answer (even 401: wrong token) means the daemon holds the store.
        let probe: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(3)))
            .build()
            .into();
        probe
            .get(format!("{}{PREFIX}/health", client.base))
            .call()
            .ok()?;
        Some(client)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: &str, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let url = format!("{}{PREFIX}{path}", self.base);
        let builder = match method {
            "PATCH" => self.agent.patch(&url),
            _ => self.agent.post(&url),
        }
        .header(api::REQUEST_HEADER, "1")
        .header("Accept-Language", crate::words::cli_lang().to_string());
        match &self.token {
            Some(t) => builder.header("Authorization", format!("Bearer {t}")),
            None => builder,
        }
    }

    fn without_body(
        &self,
        method: &str,
        path: &str,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let url = format!("{}{PREFIX}{path}", self.base);
        // The API refuses a write without JSON or this header (a browser cannot send it to
        // another site); GETs carry it too, harmlessly.
        let builder = match method {
            "DELETE" => self.agent.delete(&url),
            _ => self.agent.get(&url),
        }
        .header(api::REQUEST_HEADER, "1")
        .header("Accept-Language", crate::words::cli_lang().to_string());
        match &self.token {
            Some(t) => builder.header("Authorization", format!("Bearer {t}")),
            None => builder,
        }
    }

    /// Sends one of the station's operations as the API takes it, and reads its answer.
    pub fn call<O: Op>(&self, op: &O) -> Result<O::Output> {
        let wire = Wire::of(op)?;
        let query: Vec<(&str, String)> = wire
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let method = O::METHOD.as_str();
        match (O::METHOD, wire.body) {
            (Method::Get, _) => self.get(&wire.path, &query),
            (Method::Delete, _) => self.delete(&wire.path, &query),
            (_, body) => self.send(method, &wire.path, &body.unwrap_or_default()),
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let mut req = self.without_body("GET", path);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.answer("GET", path, req.call())
    }

    /// `GET path` whose successful answer is read as a stream (exports), not parsed.
    pub fn get_stream(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let mut req = self.without_body("GET", path);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        let answer = req.call().map_err(|e| {
            anyhow!(
                "the daemon at {} did not answer GET {path}: {e}\n  hint: is `loaxa run` still running? its log says why it stopped",
                self.base
            )
        })?;
        if answer.status().is_success() {
            return Ok(answer);
        }
        // An error answer is small JSON: parse it like any other.
        self.answer::<serde_json::Value>("GET", path, Ok(answer))
            .and_then(|_| Err(anyhow!("the daemon refused GET {path}")))
    }

    pub fn delete<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let mut req = self.without_body("DELETE", path);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.answer("DELETE", path, req.call())
    }

    pub fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.answer(method, path, self.request(method, path).send_json(body))
    }

    /// Uploads files as one multipart form, streamed from disk.
    pub fn upload(
        &self,
        files: &[impl AsRef<Path>],
        meta: &SegmentMeta,
    ) -> Result<Vec<(String, Result<AddResult>)>> {
        let mut out = Vec::new();
        // The daemon cuts an upload off at its limit, which reads here as a dropped
        // connection: say what it is before sending.
        let limit = self
            .get::<StationInfo>("/station", &[])
            .ok()
            .map(|s| s.max_upload_bytes);
        // One request per file, so one bad file does not hide what happened to the others.
        for file in files {
            let file = file.as_ref();
            let name = crate::library::display_name(file);
            if let Some(e) = too_big(file, limit) {
                out.push((name, Err(e)));
                continue;
            }
            let result = self.upload_one(file, &name, meta);
            match result {
                Ok(mut results) => match results.pop() {
                    Some(r) => out.push((name, Ok(r))),
                    None => out.push((name, Err(anyhow!("the daemon answered without a result")))),
                },
                Err(e) => out.push((name, Err(e))),
            }
        }
        Ok(out)
    }

    fn upload_one(&self, file: &Path, name: &str, meta: &SegmentMeta) -> Result<Vec<AddResult>> {
        let boundary = format!("loaxa-{:016x}", fastrand::u64(..));
        let mut head = String::new();
        let mut field = |k: &str, v: &str| {
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        };
        field("topic", &meta.topic);
        if let Some(t) = &meta.title {
            field("title", t);
        }
        if let Some(u) = &meta.unit {
            field("unit", u);
        }
        if let Some(d) = meta.valid_from {
            field("valid_from", &d.to_string());
        }
        if let Some(d) = meta.valid_until {
            field("valid_until", &d.to_string());
        }
        field("priority", &meta.priority.to_string());
        let quoted = name.replace(['"', '\r', '\n'], "_");
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{quoted}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ));
        let tail = format!("\r\n--{boundary}--\r\n");
        // Same words as a local import for a missing or unreadable file.
        let audio = std::fs::File::open(file)
            .and_then(|f| {
                if f.metadata()?.is_dir() {
                    Err(std::io::Error::from(std::io::ErrorKind::IsADirectory))
                } else {
                    Ok(f)
                }
            })
            .map_err(|e| crate::library::ImportError::reading(file, e))?;
        let size = audio.metadata().map(|m| m.len()).unwrap_or(0);
        let length = head.len() as u64 + size + tail.len() as u64;
        let mut body = std::io::Cursor::new(head.into_bytes())
            .chain(audio)
            .chain(std::io::Cursor::new(tail.into_bytes()));
        let answer = self
            .request("POST", "/segments")
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("Content-Length", length.to_string())
            .send(ureq::SendBody::from_reader(&mut body));
        self.answer("POST", "/segments", answer)
    }

    fn answer<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T> {
        let mut answer = answer.map_err(|e| {
            anyhow!(
                "the daemon at {} did not answer {method} {path}: {e}\n  hint: is `loaxa run` still running? its log says why it stopped",
                self.base
            )
        })?;
        let status = answer.status();
        let bytes = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .with_context(|| format!("reading the daemon's answer to {method} {path}"))?;
        if status.is_success() {
            let bytes = if bytes.is_empty() {
                b"null".to_vec()
            } else {
                bytes
            };
            return serde_json::from_slice(&bytes)
                .with_context(|| format!("the daemon's answer to {method} {path} is not what this loaxa expects (different versions?)"));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            // In the language asked for (`Accept-Language`), like the CLI's own messages.
            Ok(ErrorBody {
                error,
                hint: Some(hint),
                ..
            }) => bail!("{error}\n  {}: {hint}", crate::cli::fmt::hint_word()),
            Ok(ErrorBody {
                error, hint: None, ..
            }) => bail!("{error}"),
            Err(_) => bail!(
                "the daemon answered {status} to {method} {path}: {}",
                String::from_utf8_lossy(&bytes).trim()
            ),
        }
    }
}

/// The refusal of a file larger than the daemon's upload limit, if it is.
fn too_big(file: &Path, limit: Option<u64>) -> Option<anyhow::Error> {
    let limit = limit?;
    let size = std::fs::metadata(file).ok()?.len();
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    (size > limit).then(|| {
        anyhow!(
            "{} is too big to upload: {:.1} MB, the daemon takes at most {:.0} MB\n  hint: compress it (`ffmpeg -i IN -ac 1 -b:a 64k OUT.mp3`), or raise [api] max_upload_mb in the daemon's config and restart it",
            file.display(),
            mb(size),
            mb(limit)
        )
    })
}
