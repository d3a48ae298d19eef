//! Running a test in a child process against alsa-lib's `file` plugin
//! (`tests/support/alsa/asound.conf.in`): alsa-lib reads its configuration once per process,
//! so each scenario re-runs the test binary filtered to one `#[ignore]`d helper with
//! `ALSA_CONFIG_PATH` set; the parent fails if the child fails or does not run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set (to the capture folder) only in the child process.
pub const CHILD_ENV: &str = "LOAXA_ALSA_TEST_DIR";

fn capture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let abs = dir.path().to_str().expect("utf-8 temp path").to_string();
    let conf = include_str!("alsa/asound.conf.in").replace("@DIR@", &abs);
    std::fs::write(dir.path().join("asound.conf"), conf).expect("write asound.conf");
    for (name, text) in [
        ("pace.py", include_str!("alsa/pace.py")),
        ("stall.py", include_str!("alsa/stall.py")),
    ] {
        let script = dir.path().join(name);
        std::fs::write(&script, text).expect("write helper script");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("chmod helper script");
    }
    dir
}

/// Runs the ignored helper `test` in a child process with the capture config.
pub fn run_child(test: &str) {
    let dir = capture_dir();
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ALSA_CONFIG_PATH", dir.path().join("asound.conf"))
        .env(CHILD_ENV, dir.path())
        .output()
        .expect("run the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("--- child stdout ---\n{stdout}\n--- child stderr ---\n{stderr}");
    assert!(out.status.success(), "child test {test} failed");
    assert!(
        stdout.contains("1 passed"),
        "child test {test} did not run (filter matched nothing?)"
    );
}

/// The capture folder in the child; `None` (with a note) when run outside its parent.
pub fn child_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(CHILD_ENV).map(PathBuf::from);
    if dir.is_none() {
        eprintln!("helper test: runs only as a child of its parent test");
    }
    dir
}

/// Raw little-endian f32 (`cap_raw`).
pub fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .expect("capture file")
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Raw little-endian S16 (`cap_paced`), scaled to [-1, 1).
pub fn read_s16(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .expect("capture file")
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect()
}
