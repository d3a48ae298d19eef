//! A real small disk for tests of a full (or nearly full) disk: a tmpfs mounted for one test
//! and filled with `dd`. Mounting needs root (CI runs as root): without it the test fails,
//! saying so — it never passes without having run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test, unmounted when dropped — also when the test fails.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    pub fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).expect("mkdir mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a tmpfs was refused ({}): this test needs root (CI runs as root) — {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs {
            dir: dir.to_path_buf(),
        }
    }

    /// Fills it with `dd` until the disk is full; returns what dd said.
    pub fn fill(&self) -> String {
        let said = self.dd(&[]);
        assert!(
            said.contains("No space left on device"),
            "dd should stop on a full disk: {said}"
        );
        said
    }

    /// Writes `mib` MiB of zeros with `dd` (a real write, not a sparse file).
    pub fn fill_mib(&self, mib: u64) {
        let said = self.dd(&[format!("count={mib}")]);
        assert!(!said.contains("No space left"), "dd {mib} MiB: {said}");
    }

    fn dd(&self, more: &[String]) -> String {
        let out = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", self.dir.join("filler").display()))
            .arg(if more.is_empty() { "bs=64k" } else { "bs=1M" })
            .args(more)
            .output()
            .expect("run dd");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Free bytes on it, as `statvfs` tells them to any program.
    pub fn free_bytes(&self) -> u64 {
        let st = rustix::fs::statvfs(&self.dir).expect("statvfs");
        st.f_bavail * st.f_frsize
    }

    /// Removes what [`Self::fill`] or [`Self::fill_mib`] wrote.
    pub fn free(&self) {
        std::fs::remove_file(self.dir.join("filler")).expect("rm filler");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let out = Command::new("umount").arg(&self.dir).output();
        if !out.is_ok_and(|o| o.status.success()) {
            // Still busy (a daemon killed a moment ago): detach it now, it goes when free.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}
