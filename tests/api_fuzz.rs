//! A property test that drives the HTTP API of the real daemon (in-process, real server on
//! loopback) for a bounded time with generated requests: any route of
//! `loaxa::api::ROUTES`, an arbitrary path parameter, an arbitrary query string, and a body
//! that is either an arbitrary JSON value or a valid body with one field mutated, removed
//! or added. Property: every request is answered (a panic drops the connection) and never
//! with a 5xx other than a declared 507; the daemon is alive at the end.
//!
//! `LOAXA_FUZZ_SECS` sets the time (default 20 s); `LOAXA_FUZZ_SEED` replays a run (the seed
//! is printed). Longer runs: `fuzz/fuzz_targets/api.rs`.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use live::{Live, start, station};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Number, Value, json};

/// Any JSON value, nested a few levels, with numbers and strings that reach the edges.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        edge_text().prop_map(Value::String),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A number spread evenly over its magnitude (0 to 2^64): as many near the edges of a
/// range (2^31, 2^53, 2^63) as near 10.
fn log_uniform() -> impl Strategy<Value = u64> {
    (0u32..64).prop_flat_map(|bits| 0..=(u64::MAX >> (63 - bits)))
}

/// Strings shaped like what the API reads: durations, dates, numbers, at and past the edges.
fn edge_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (log_uniform(), prop::sample::select(vec!["s", "m", "h", "d", "", "x"]))
            .prop_map(|(n, u)| format!("{n}{u}")),
        1 => (0u64..100_000, 0u64..100).prop_map(|(h, m)| format!("{h}h{m}m")),
        1 => (-300_000i64..300_000, 0u32..15, 0u32..40, 0u32..30, 0u32..70).prop_map(
            |(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
        ),
        1 => (-300_000i64..300_000, 0u32..15, 0u32..40)
            .prop_map(|(y, mo, d)| format!("{y:+05}-{mo:02}-{d:02}T00:00:00Z")),
        1 => (-300_000i64..300_000, 0u32..15, 0u32..40).prop_map(|(y, mo, d)| format!("{y}-{mo:02}-{d:02}")),
        1 => (-10_000i64..10_000, 0u8..4).prop_map(|(y, h)| format!("{y}-H{h}")),
        1 => Just("9".repeat(400)),
        1 => Just(String::new()),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(live::BODY_FIELDS.to_vec()).prop_map(str::to_string),
        "[a-z_]{1,12}",
    ]
}

/// A query string: a few `key=value` pairs, keys mostly the ones routes read.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "days", "from", "to", "topic", "outcome", "program", "q", "limit", "expect", "format",
            "lang", "sep", "period", "force",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,8}",
    ];
    let value = prop_oneof![
        edge_text(),
        any::<i64>().prop_map(|n| n.to_string()),
        ".{0,20}"
    ];
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A valid body for the routes that take one; segment 1 stands for the live segment
/// ([`retarget`]), `until` is a day ahead.
fn valid_body(path: &str, until: &str) -> Value {
    match path {
        "/emergency" => json!({ "id": 1, "every": "2h", "until": until }),
        "/play" | "/queue" => json!({ "ids": [1], "priority": "normal" }),
        "/segments/{id}/approve" => json!({ "by": "Nguyễn Văn A" }),
        "/segments/{id}" => json!({ "title": "Tin", "valid_until": "2027-01-01", "gain_db": 0 }),
        "/segments/text" => {
            json!({ "text": "UBND xã thông báo ngày 18/5", "voice": "vi", "topic": "cds" })
        }
        _ => json!({}),
    }
}

/// The body: an arbitrary value, or a valid one with one of its fields set to an edge value
/// (most often), a field removed, or a field added.
fn body(path: &'static str, until: String) -> impl Strategy<Value = Value> {
    let valid = valid_body(path, &until);
    let keys: Vec<String> = match &valid {
        Value::Object(m) if !m.is_empty() => m.keys().cloned().collect(),
        _ => vec!["id".into()],
    };
    let edge = prop_oneof![3 => edge_text().prop_map(Value::String), 1 => any_json()];
    let (v1, v2, v3) = (valid.clone(), valid.clone(), valid);
    prop_oneof![
        1 => any_json(),
        3 => (prop::sample::select(keys), edge).prop_map(move |(k, v)| {
            let mut b = v1.clone();
            b[k.as_str()] = v;
            b
        }),
        1 => (field_name(), any_json()).prop_map(move |(k, v)| {
            let mut b = v2.clone();
            b[k.as_str()] = v;
            b
        }),
        1 => field_name().prop_map(move |k| {
            let mut b = v3.clone();
            if let Value::Object(m) = &mut b {
                m.remove(&k);
            }
            b
        }),
    ]
}

#[derive(Debug)]
struct Request {
    method: &'static str,
    path: String,
    body: Value,
}

fn request(until: String) -> impl Strategy<Value = Request> {
    // Routes that read a body come up three times as often: they have the most to read.
    let routes: Vec<(&str, &str)> = loaxa::api::ROUTES
        .iter()
        .flat_map(|&(m, p)| {
            std::iter::repeat_n((m, p), if m == "POST" || m == "PATCH" { 3 } else { 1 })
        })
        .collect();
    let route = prop::sample::select(routes);
    route.prop_flat_map(move |(method, path)| {
        let param = prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            (0u64..4).prop_map(|n| n.to_string()),
            "[a-z0-9%.-]{0,30}",
        ];
        (param, query(), body(path, until.clone())).prop_map(move |(p, q, body)| {
            let filled = match (path.find('{'), path.find('}')) {
                (Some(a), Some(b)) => format!("{}{}{}", &path[..a], encode(&p), &path[b + 1..]),
                _ => path.to_string(),
            };
            Request {
                method,
                path: if q.is_empty() {
                    filled
                } else {
                    format!("{filled}?{q}")
                },
                body,
            }
        })
    })
}

/// Points segment 1 of a generated request at the live segment `id`: the path's
/// `/segments/1`, and `id: 1` / `ids: [1]` in the body.
fn retarget(req: &mut Request, id: u64) {
    let rest = req.path.strip_prefix("/segments/1").map(str::to_string);
    if let Some(rest) = rest.filter(|r| r.is_empty() || r.starts_with(['/', '?'])) {
        req.path = format!("/segments/{id}{rest}");
    }
    if let Value::Object(m) = &mut req.body {
        if m.get("id") == Some(&json!(1)) {
            m.insert("id".into(), json!(id));
        }
        if let Some(Value::Array(ids)) = m.get_mut("ids") {
            for v in ids.iter_mut().filter(|v| **v == json!(1)) {
                *v = json!(id);
            }
        }
    }
}

/// Sends `req`; `Err` describes a failure of the property.
fn send(live: &Live, req: &Request) -> Result<u16, String> {
    let url = live.url(&req.path);
    let agent = live::fresh_agent();
    let agent = &agent;
    // The header the CLI and the page send: each request reaches its handler (what is
    // tested here) rather than the browser guard.
    let sent_by = "X-Loaxa-Request";
    let answer = match req.method {
        "GET" => agent.get(&url).header(sent_by, "1").call(),
        "DELETE" => agent.delete(&url).header(sent_by, "1").call(),
        "PATCH" => agent.patch(&url).header(sent_by, "1").send_json(&req.body),
        _ => agent.post(&url).header(sent_by, "1").send_json(&req.body),
    };
    if live::PANICS.load(Ordering::SeqCst) > 0 {
        return Err("a panic in the process".into());
    }
    let mut answer = answer.map_err(|e| format!("no answer: {e}"))?;
    let status = answer.status().as_u16();
    let _ = answer
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec();
    if status >= 500 && status != 507 {
        return Err(format!("status {status}"));
    }
    Ok(status)
}

#[test]
fn the_api_answers_arbitrary_requests_without_a_panic_or_a_5xx() {
    let secs = std::env::var("LOAXA_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("LOAXA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("LOAXA_FUZZ_SEED={seed}");
    live::count_panics();
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);

    let live = start(station());
    let tz: chrono_tz::Tz = "Asia/Ho_Chi_Minh".parse().expect("zone");
    let until = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let strategy = request(until);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut counts = std::collections::BTreeMap::<u16, u64>::new();
    let (mut n, mut id) = (0u64, 0u64);
    while Instant::now() < deadline {
        if n % 20 == 0 {
            live::ensure_segment(&live, &mut id);
        }
        let mut req = strategy.new_tree(&mut runner).expect("a request").current();
        retarget(&mut req, id);
        n += 1;
        match send(&live, &req) {
            Ok(status) => *counts.entry(status).or_default() += 1,
            Err(e) => panic!(
                "request {n} (LOAXA_FUZZ_SEED={seed}): {e}\n{} {}\n{}",
                req.method, req.path, req.body
            ),
        }
    }
    println!("{n} requests in {secs} s; answers by status: {counts:?}");
    assert!(n > 100, "only {n} requests in {secs} s");
    live.assert_alive();
}
