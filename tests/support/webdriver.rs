//! A small W3C WebDriver client over `ureq` for the browser tests: Debian's `chromedriver`
//! started on a free port, driving headless `chromium` with a fresh profile. Only what the
//! tests use: navigate, find, click, type, read, run a script, screenshot.
//!
//! Missing `chromium` or `chromedriver` fails the test with the install command: the browser
//! tests are never skipped silently.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The first of `names` found on `PATH` (or an absolute path that exists).
fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        if Path::new(name).is_absolute() {
            return Path::new(name).exists().then(|| PathBuf::from(name));
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// chromedriver, killed on drop, and one browser session on it.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    pub downloads: PathBuf,
    _profile: tempfile::TempDir,
}

pub type Element = String;

impl Browser {
    /// Starts chromedriver and a headless chromium window of `width`×`height` CSS pixels.
    pub fn start(downloads: &Path, width: u32, height: u32) -> Browser {
        Self::start_with(downloads, width, height, &[])
    }

    /// [`Browser::start`] with more chromium switches (`--host-resolver-rules=…`).
    pub fn start_with(downloads: &Path, width: u32, height: u32, extra: &[String]) -> Browser {
        let install = "install them with `sudo apt-get install -y chromium chromium-driver` \
                       (.ci/run does); the browser tests need a real browser";
        let chromium = std::env::var_os("LOAXA_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| which(&["chromium", "chromium-browser", "google-chrome"]))
            .unwrap_or_else(|| panic!("chromium is not installed: {install}"));
        let chromedriver = std::env::var_os("LOAXA_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| which(&["chromedriver", "/usr/lib/chromium/chromedriver"]))
            .unwrap_or_else(|| panic!("chromedriver is not installed: {install}"));
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = agent
                .get(format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready after 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("browser profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--lang=vi".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let args: Vec<String> = args.into_iter().chain(extra.iter().cloned()).collect();
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": args,
                    "prefs": {
                        "download.default_directory": downloads,
                        "download.prompt_for_download": false,
                        "download.directory_upgrade": true,
                        "safebrowsing.enabled": false,
                    },
                },
            }}
        });
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            downloads: downloads.to_path_buf(),
            _profile: profile,
        };
        let answer = browser.call("POST", "/session", Some(caps));
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session from chromedriver: {answer}"))
            .to_string();
        browser
    }

    /// One WebDriver command; panics with the driver's message on an error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let answer = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut answer = answer.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = answer.status().as_u16();
        let value: Value = answer.body_mut().read_json().unwrap_or(Value::Null);
        assert!(
            status < 400,
            "WebDriver {method} {path} answered {status}: {}",
            value["value"]["message"]
        );
        value["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn set_size(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value;
    /// a returned promise is awaited.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The first element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let found = self.session_call(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found.as_array()?.first()?[ELEMENT]
            .as_str()
            .map(str::to_string)
    }

    /// Waits (up to `secs`) for `css` to match.
    pub fn wait(&self, css: &str, secs: u64) -> Element {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` not on the page after {secs} s; the page says:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (up to `secs`) until the text of `css` satisfies `ok`; returns the text.
    pub fn wait_text(&self, css: &str, secs: u64, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            // Read in one script call: the page re-renders every second, so an element
            // found in one command can be gone by the next ("stale element").
            let text = self
                .run(
                    "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                    json!([css]),
                )
                .as_str()
                .unwrap_or_default()
                .to_string();
            if ok(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: `{css}` says {text:?} after {secs} s; the page says:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn click(&self, el: &Element) {
        self.session_call("POST", &format!("/element/{el}/click"), None);
    }

    /// Types `text` into `el` (for a file input: the file's absolute path).
    pub fn type_into(&self, el: &Element, text: &str) {
        self.session_call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn text(&self, el: &Element) -> String {
        self.session_call("GET", &format!("/element/{el}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The visible text of the whole page (for failure messages).
    pub fn page_text(&self) -> String {
        self.run(
            "return location.href + ' ready=' + document.body.dataset.ready + ' page=' \
             + document.getElementById('main')?.dataset.page + ' main=' + document.getElementById('main').innerHTML.slice(0, 400) + '\\n' + document.body.innerText;",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Chooses `value` in the `<select>` matching `css`, as the operator would.
    pub fn choose(&self, css: &str, value: &str) {
        let option = self.wait(&format!("{css} option[value=\"{value}\"]"), 5);
        self.click(&option);
    }

    /// Saves a PNG of the window to `path`.
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.session_call("GET", "/screenshot", None);
        let png = decode_base64(b64.as_str().expect("screenshot as base64"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = self.agent.delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (what WebDriver sends screenshots in).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (d << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
    assert_eq!(decode_base64("YWJj"), b"abc");
}
