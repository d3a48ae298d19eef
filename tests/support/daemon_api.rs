//! Talking to a running daemon from a test: its `/now`, waiting for a state, its log.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::Value;

use super::station::TestStation;

/// An HTTP client that hands back error statuses as answers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `GET /api/v1/now`.
pub fn now(agent: &ureq::Agent, base: &str) -> Value {
    let mut answer = agent
        .get(format!("{base}/api/v1/now"))
        .call()
        .expect("the API answers");
    serde_json::from_str(&answer.body_mut().read_to_string().expect("body")).expect("json")
}

/// Waits for `done(now)`, up to `secs`; returns the status that satisfied it.
pub fn wait_for(
    agent: &ureq::Agent,
    base: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let n = now(agent, base);
        if done(&n) {
            return n;
        }
        assert!(Instant::now() < deadline, "{what}: last status {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The log's records, read after the daemon stopped.
pub fn records(t: &TestStation) -> Vec<loaxa::model::AsRunRecord> {
    let config = loaxa::config::load(&t.config_path()).expect("config");
    let store = loaxa::store::Store::open(&config.station.data_dir.join("db")).expect("store");
    store.records(None, None).expect("records")
}
