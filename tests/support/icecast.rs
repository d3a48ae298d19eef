//! A real Icecast server (Debian's `icecast2`) on loopback for the stream-output tests: a
//! config of its own in a temp folder, run as `nobody` (icecast2 refuses root), killed and
//! started again on the same port on demand; and a listener that reads a mount.

#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "hackme-src";

pub struct Icecast {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Icecast {
    /// Starts icecast2 on a free loopback port and waits until it answers.
    pub fn start() -> Icecast {
        let found = Command::new("icecast2").arg("-v").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "this test needs Icecast (Debian package icecast2, installed by .ci/run)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log");
        std::fs::create_dir(&log).expect("log dir");
        use std::os::unix::fs::PermissionsExt;
        for p in [dir.path(), log.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let config = format!(
            "<icecast><limits><clients>20</clients><sources>4</sources>\
             <source-timeout>10</source-timeout><burst-on-connect>0</burst-on-connect></limits>\
             <authentication><source-password>{PASSWORD}</source-password>\
             <admin-user>admin</admin-user><admin-password>adminpw</admin-password></authentication>\
             <hostname>127.0.0.1</hostname><listen-socket><port>{port}</port>\
             <bind-address>127.0.0.1</bind-address></listen-socket>\
             <paths><basedir>/usr/share/icecast2</basedir><logdir>{}</logdir>\
             <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>\
             <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>\
             </icecast>",
            log.display()
        );
        let path = dir.path().join("icecast.xml");
        std::fs::write(&path, config).expect("icecast config");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut ice = Icecast {
            port,
            dir,
            child: None,
        };
        ice.restart();
        ice
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("icecast.xml")
    }

    /// `icecast://source:PASSWORD@127.0.0.1:PORT/MOUNT`
    pub fn source_url(&self, mount: &str) -> String {
        format!("icecast://source:{PASSWORD}@127.0.0.1:{}{mount}", self.port)
    }

    pub fn listen_url(&self, mount: &str) -> String {
        format!("http://127.0.0.1:{}{mount}", self.port)
    }

    /// Starts the server (again), on the same port, and waits until it answers.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let root = rustix::process::geteuid().is_root();
        let mut command = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--", "icecast2", "-c"]);
            c
        } else {
            let mut c = Command::new("icecast2");
            c.arg("-c");
            c
        };
        let child = command
            .arg(self.config())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start icecast2");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "icecast2 did not answer on port {}: {}",
                self.port,
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server at once (SIGKILL to its process group): every connection drops.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pgid) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
            }
            let _ = child.wait();
            // The port is free again once the listening socket is gone.
            let deadline = Instant::now() + Duration::from_secs(5);
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/error.log")).unwrap_or_default()
    }

    /// The server's status (`/status-json.xsl`): the source on `mount`, if any.
    pub fn source(&self, mount: &str) -> Option<serde_json::Value> {
        let body = ureq::get(format!("http://127.0.0.1:{}/status-json.xsl", self.port))
            .call()
            .ok()?
            .body_mut()
            .read_to_string()
            .ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let sources = match &v["icestats"]["source"] {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        sources
            .into_iter()
            .find(|s| s["listenurl"].as_str().is_some_and(|u| u.ends_with(mount)))
    }

    /// Waits (at most `secs`) until a source is on `mount`.
    pub fn wait_for_source(&self, mount: &str, secs: u64) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.source(mount) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "no source on {mount} within {secs} s: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Icecast {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a listener got: each chunk with the wall time it arrived (seconds since the epoch).
pub type Chunks = Vec<(f64, Vec<u8>)>;

/// A listener reading a mount.
pub struct Listener {
    pub chunks: Arc<Mutex<Chunks>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    pub fn start(url: &str) -> Listener {
        let chunks: Arc<Mutex<Chunks>> = Arc::default();
        let stop: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let (c, s, url) = (chunks.clone(), stop.clone(), url.to_string());
        let thread = std::thread::spawn(move || {
            let answer = ureq::get(&url).call().expect("the mount answers");
            let mut body = answer.into_body().into_reader();
            let mut buf = vec![0u8; 4096];
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                match body.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => c.lock().expect("chunks").push((wall(), buf[..n].to_vec())),
                }
            }
        });
        Listener {
            chunks,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops reading (at the next chunk) and returns what came.
    pub fn finish(mut self) -> Chunks {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_secs(3);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::mem::take(&mut *self.chunks.lock().expect("chunks"))
    }
}

pub fn wall() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

/// Decodes MP3 bytes (symphonia, through loaxa's decoder) to mono samples and their rate.
pub fn decode_mp3(bytes: &[u8]) -> (u32, Vec<f32>) {
    let mut dec = loaxa::audio::FileDecoder::open_stream(
        "stream.mp3",
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        "mp3",
    )
    .expect("the stream decodes");
    let (rate, channels) = (dec.info().sample_rate, usize::from(dec.info().channels));
    let mut out = Vec::new();
    while let Ok(Some(block)) = dec.next_block() {
        out.extend(
            block
                .chunks_exact(channels)
                .map(|f| f.iter().sum::<f32>() / channels as f32),
        );
    }
    (rate, out)
}

pub fn config_dir(ice: &Icecast) -> &Path {
    ice.dir.path()
}
