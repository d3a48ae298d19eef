//! A webhook receiver on loopback for the alert tests: answers each POST as told and keeps
//! what it got.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// How the receiver answers its Nth request.
type Answer = Arc<Mutex<Box<dyn Fn(usize) -> u16 + Send>>>;

/// A webhook receiver on loopback: answers each POST with the status `answer` gives it (by
/// the request's number) and keeps (status, body).
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<(u16, Value)>>>,
    answer: Answer,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let got: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
        let answer: Answer = Arc::new(Mutex::new(Box::new(|_| 200)));
        let (g, a) = (got.clone(), answer.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let n = g.lock().expect("got").len();
                let status = (a.lock().expect("answer"))(n);
                let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                g.lock().expect("got").push((status, json));
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got, answer }
    }

    pub fn answer(&self, f: impl Fn(usize) -> u16 + Send + 'static) {
        *self.answer.lock().expect("answer") = Box::new(f);
    }

    /// The events it took (answered 2xx), in order.
    pub fn taken(&self) -> Vec<Value> {
        self.got
            .lock()
            .expect("got")
            .iter()
            .filter(|(s, _)| (200..300).contains(s))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// (status, code, program) of every POST so far.
    pub fn seen(&self) -> Vec<(u16, String, String)> {
        self.got
            .lock()
            .expect("got")
            .iter()
            .map(|(s, v)| {
                (
                    *s,
                    v["code"].as_str().unwrap_or_default().to_string(),
                    v["program"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}
