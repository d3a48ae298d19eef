//! The HTTP API on arbitrary requests: the real daemon and server, started once in this
//! process on loopback (null output, one airable segment), get a route of
//! `loaxa::api::ROUTES` chosen by the first byte and, from the rest of the input split at
//! newlines, a path parameter, a query string and a body (sent as JSON). Every request must
//! be answered, never with a 5xx other than a declared 507. A panic in the daemon either
//! aborts the process or leaves the next request unanswered: both are crashes here.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

/// The base URL of the daemon's API, started on first use.
fn api() -> &'static str {
    static API: OnceLock<String> = OnceLock::new();
    API.get_or_init(start)
}

fn start() -> String {
    let dir = std::env::temp_dir().join(format!("loaxa-fuzz-api-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("media")).expect("temp folder");
    let config = format!(
        "[station]\nname = \"Fuzz\"\ndata_dir = \"{}\"\n[output]\ndevice = \"null\"\n\
         [api]\nlisten = \"127.0.0.1:0\"\n[topics]\ncds = \"Chuyển đổi số\"\n\
         [[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nqueue = true\n",
        dir.join("data").display()
    );
    let path = dir.join("loaxa.toml");
    std::fs::write(&path, config).expect("config");
    let wav = dir.join("media/tin.wav");
    std::fs::write(&wav, tiny_wav()).expect("wav");
    let config = loaxa::config::load(&path).expect("valid config");
    let api = config.api.clone();
    let clock: loaxa::clock::SharedClock = Arc::new(loaxa::clock::SystemClock);
    let station = loaxa::service::Station::open(config, clock).expect("station");
    let meta = loaxa::service::SegmentMeta {
        topic: "cds".into(),
        ..Default::default()
    };
    station.add_segments(&[wav], &meta).expect("segment");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (_stop, shutdown) = loaxa::daemon::Shutdown::new();
            let listener = loaxa::api::bind(&api).await.expect("bind");
            tx.send(listener.local_addr().expect("address")).expect("fuzzer waiting");
            let (handle, daemon) = loaxa::daemon::start(
                station,
                Some(loaxa::model::OutputSpec::Null),
                shutdown.clone(),
            )
            .expect("daemon starts");
            tokio::spawn(loaxa::api::serve_on(listener, handle, api, shutdown));
            daemon.await.expect("daemon ends cleanly");
        });
        panic!("the daemon ended");
    });
    format!("http://{}/api/v1", rx.recv().expect("API bound"))
}

/// A WAV of 0.2 s of a quiet square wave, 8 kHz mono 16-bit.
fn tiny_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..1600).map(|i| if i % 20 < 10 { 3000 } else { -3000 }).collect();
    let data = (samples.len() * 2) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for v in [16u32, 0x0001_0001, 8000, 16000] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0x0010_0002u32.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'=' | b'&' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let routes = loaxa::api::ROUTES;
    let (method, path) = routes[usize::from(pick) % routes.len()];
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\n');
    let (param, query, body) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let filled = match (path.find('{'), path.find('}')) {
        (Some(a), Some(b)) => format!("{}{}{}", &path[..a], encode(param), &path[b + 1..]),
        _ => path.to_string(),
    };
    let url = format!("{}{filled}?{}", api(), encode(query));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .build()
        .into();
    let sent_by = "X-Loaxa-Request";
    let json = "application/json";
    let answer = match method {
        "GET" => agent.get(&url).header(sent_by, "1").call(),
        "DELETE" => agent.delete(&url).header(sent_by, "1").call(),
        "PATCH" => agent.patch(&url).header(sent_by, "1").content_type(json).send(body),
        _ => agent.post(&url).header(sent_by, "1").content_type(json).send(body),
    };
    let mut answer = answer.unwrap_or_else(|e| panic!("{method} {url}: no answer ({e})"));
    let status = answer.status().as_u16();
    let _ = answer.body_mut().with_config().limit(64 << 20).read_to_vec();
    assert!(status < 500 || status == 507, "{method} {url} {body}: {status}");
});
