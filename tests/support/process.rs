//! The real `loaxa run` binary as a child process on an ALSA capture device, for tests of
//! the whole output path and of what a kill does.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The daemon; killed if the test ends without stopping it (a panic), so nothing is left
/// behind.
pub struct Daemon {
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    /// `loaxa -c CONFIG run` with alsa-lib reading only `alsa_conf`.
    pub fn spawn(config: &Path, alsa_conf: &Path) -> Daemon {
        Self::spawn_with_env(config, &[("ALSA_CONFIG_PATH", alsa_conf.as_os_str())])
    }

    /// `loaxa -c CONFIG run` with more environment variables.
    pub fn spawn_with_env(config: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Daemon {
        let mut command = Command::new(env!("CARGO_BIN_EXE_loaxa"));
        command.envs(env.iter().copied());
        Self::spawn_command(command, config)
    }

    /// `loaxa -c CONFIG run` started by `prlimit --nofile=SOFT:HARD` (util-linux), which sets
    /// the open-file limits and then becomes the daemon (same process id).
    pub fn spawn_with_nofile(config: &Path, soft: u64, hard: u64) -> Daemon {
        let found = Command::new("prlimit").arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "this test needs `prlimit` (Debian package util-linux)"
        );
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={soft}:{hard}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_loaxa"));
        Self::spawn_command(command, config)
    }

    /// `COMMAND -c CONFIG run`, COMMAND being `loaxa` or a wrapper that execs it.
    fn spawn_command(mut command: Command, config: &Path) -> Daemon {
        let mut child = command
            .arg("-c")
            .arg(config)
            .arg("run")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start loaxa run");
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line);
            }
        });
        Daemon {
            child: Some(child),
            lines,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("daemon").id()
    }

    /// Everything it wrote to stderr so far.
    pub fn said(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }

    pub fn assert_running(&mut self) {
        let child = self.child.as_mut().expect("daemon");
        if let Some(status) = child.try_wait().expect("poll daemon") {
            panic!("the daemon exited ({status}); it said:\n{}", self.said());
        }
    }

    /// Waits (at most 20 s) for the daemon to announce its control API in
    /// `DATA_DIR/daemon.json`; returns the address, `http://127.0.0.1:PORT`.
    pub fn api_address(&mut self, data_dir: &Path) -> String {
        let announced = data_dir.join("daemon.json");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.assert_running();
            assert!(Instant::now() < deadline, "no daemon.json after 20 s");
            if let Ok(text) = std::fs::read_to_string(&announced)
                && let Ok(file) = serde_json::from_str::<serde_json::Value>(&text)
            {
                return file["api"].as_str().expect("api address").to_string();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (`-INT`, `-TERM`) and waits for the exit, at most 15 s.
    pub fn signal_and_wait(&mut self, signal: &str) -> ExitStatus {
        let child = self.child.as_ref().expect("daemon");
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        self.wait()
    }

    /// Sends `signal` at once — no `kill` process in between, for tests of what a signal
    /// does at a precise moment.
    pub fn send(&self, signal: rustix::process::Signal) {
        let child = self.child.as_ref().expect("daemon");
        let pid = rustix::process::Pid::from_child(child);
        rustix::process::kill_process(pid, signal).expect("kill");
    }

    /// Waits for the exit, at most 15 s.
    pub fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("daemon");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("poll daemon") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no exit within 15 s; it said:\n{}", self.said());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGINT, then waits for a clean exit.
    pub fn stop(&mut self) {
        let status = self.signal_and_wait("-INT");
        assert_eq!(
            status.code(),
            Some(0),
            "clean stop on SIGINT:\n{}",
            self.said()
        );
    }

    /// SIGKILL: the process dies wherever it is, as in a power cut.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("daemon");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("daemon killed; it said:\n{}", self.said());
        }
    }
}

/// Writes an ALSA configuration (`template` with `@DIR@` replaced by `dir`) and the
/// executable scripts it pipes to into `dir`; returns the configuration's path, for
/// `ALSA_CONFIG_PATH`.
pub fn setup_alsa(dir: &Path, template: &str, scripts: &[(&str, &str)]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let abs = dir.to_str().expect("utf-8 temp path");
    let path = dir.join("asound.conf");
    std::fs::write(&path, template.replace("@DIR@", abs)).expect("write asound.conf");
    for (name, body) in scripts {
        let script = dir.join(name);
        std::fs::write(&script, body).expect("write script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}
