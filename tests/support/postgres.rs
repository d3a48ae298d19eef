//! A throw-away PostgreSQL cluster (Debian's `postgresql`) on loopback for the province
//! tests: `initdb` in a temp folder as the `postgres` user (PostgreSQL refuses root),
//! password logins over TCP (scram-sha-256), optionally TLS with a certificate from a fresh
//! test CA; stopped and started again on the same port on demand (`pg_ctl -m fast stop`: a
//! province server going away).

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ADMIN_PASSWORD: &str = "province-admin-pw";

pub struct Postgres {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    running: bool,
    /// The test CA's certificate (PEM) when the server speaks TLS.
    pub ca_pem: Option<String>,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    found.retain(|p| p.join("initdb").exists());
    found.sort();
    found.pop().expect(
        "this test needs PostgreSQL (Debian package postgresql, installed by .ci/run): no /usr/lib/postgresql/*/bin/initdb",
    )
}

/// Runs `program args` as the `postgres` user; panics with its output when it fails.
fn as_postgres(program: &Path, args: &[&str]) -> String {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("runuser (the tests run as root, as CI does)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?} failed: {text}",
        program.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn chown_postgres(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown postgres {}", path.display());
}

impl Postgres {
    /// A cluster without TLS.
    pub fn start() -> Postgres {
        Self::start_with(false)
    }

    /// A cluster that speaks TLS with a certificate for 127.0.0.1 from a fresh test CA
    /// ([`Self::ca_pem`]).
    pub fn start_tls() -> Postgres {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Postgres {
        let bin = bin_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::Builder::new()
            .prefix("loaxa-pg")
            .tempdir_in("/tmp")
            .expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, ADMIN_PASSWORD).expect("password file");
        let mut ca_pem = None;
        if tls {
            let (ca, cert, key) = certificates();
            std::fs::write(dir.path().join("server.crt"), cert).expect("cert");
            std::fs::write(dir.path().join("server.key"), key).expect("key");
            std::fs::set_permissions(
                dir.path().join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("chmod key");
            ca_pem = Some(ca);
        }
        chown_postgres(dir.path());
        let data = dir.path().join("data");
        as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={}", pw.display()),
                "-E",
                "UTF8",
                "--no-locale",
            ],
        );
        let mut pg = Postgres {
            port,
            dir,
            bin,
            running: false,
            ca_pem,
        };
        pg.restart();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub fn restart(&mut self) {
        let mut opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        if self.ca_pem.is_some() {
            opts.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
                self.dir.path().display()
            ));
        }
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data().display().to_string(),
                "-o",
                &opts,
                "-l",
                &self.dir.path().join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
        self.running = true;
    }

    /// Stops the server (`pg_ctl -m fast`: clients are cut off).
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        self.running = false;
    }

    /// Runs SQL as the superuser over the Unix socket; returns psql's unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        as_postgres(
            &self.bin.join("psql"),
            &[
                "-h",
                &self.dir.path().display().to_string(),
                "-p",
                &self.port.to_string(),
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atq",
                "-c",
                sql,
            ],
        )
    }

    /// A new database.
    pub fn create_db(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
    }

    /// The superuser's address of `db` (over TCP, with its password; without TLS, which
    /// the server also takes).
    pub fn admin_url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{ADMIN_PASSWORD}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        let tls = if self.ca_pem.is_some() {
            "?sslmode=require"
        } else {
            "?sslmode=disable"
        };
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{db}{tls}",
            self.port
        )
    }

    /// The psql binary (for the benchmark's `\copy`).
    pub fn psql_bin(&self) -> PathBuf {
        self.bin.join("psql")
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args([
                    "-D",
                    &self.data().display().to_string(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ])
                .output();
        }
    }
}

/// A test CA (PEM), and a server certificate for 127.0.0.1 and localhost signed by it with
/// its key (PEM).
fn certificates() -> (String, String, String) {
    let super::test_ca::TestCerts { ca, cert, key } =
        super::test_ca::issue("loaxa test province CA");
    (ca.pem(), cert.pem(), key.serialize_pem())
}
