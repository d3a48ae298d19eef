//! An upgrade across a store format change, as a package upgrade does it: a station folder
//! written by an older loaxa (`tests/fixtures/store-v5/store-v5.tar.gz`, made by
//! `make.sh` with loaxa built from commit ba4b4da: its log hashed with encoding v5, its
//! library from before segments kept their inbound origin) is opened by this loaxa. The old
//! records verify as they are (each with the encoding that hashed it), the library is there,
//! the report counts the old plays, and the daemon goes on writing the same chain in the
//! current encoding.

#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::Command;

fn loaxa(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .arg("-c")
        .arg(config)
        .args(args)
        .env("LOAXA_LANG", "vi")
        .output()
        .expect("loaxa");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn records(config: &Path) -> Vec<serde_json::Value> {
    let (code, out, err) = loaxa(config, &["log", "--json"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect()
}

#[test]
fn a_station_written_by_the_older_loaxa_opens_verifies_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v5/store-v5.tar.gz");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&fixture)
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar");
    assert!(status.success());
    let config = dir.path().join("station/config/loaxa.toml");

    let old = records(&config);
    assert!(old.len() >= 4, "the old log: {old:?}");
    assert!(
        old.iter()
            .all(|r| r["hash_version"] == 5 && r.get("source").is_none_or(|s| s.is_null())),
        "written by the older loaxa: {old:?}"
    );
    let last_old = old.last().expect("a record");
    let anchor = format!(
        "{}:{}",
        last_old["id"],
        last_old["hash"].as_str().expect("hash")
    );
    let (code, out, err) = loaxa(&config, &["log", "verify", "--expect", &anchor]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loaxa(&config, &["segment", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Bản tin chuyển đổi số") && out.contains("Tin khoa học"),
        "the library: {out}"
    );
    let (code, out, err) = loaxa(
        &config,
        &["report", "--from", "2020-01-01", "--to", "2099-12-31"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Chuyển đổi số"), "{out}");

    // The new daemon airs on the old store: the chain goes on, in the current encoding.
    let mut daemon = process::Daemon::spawn_with_env(&config, &[]);
    let data = dir.path().join("station/data");
    daemon.api_address(&data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(data.join("daemon.json")).is_ok() {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let n = Command::new(env!("CARGO_BIN_EXE_loaxa"))
            .arg("-c")
            .arg(&config)
            .args(["log", "--json"])
            .output()
            .expect("log");
        let new = String::from_utf8_lossy(&n.stdout)
            .lines()
            .filter(|l| {
                l.contains(&format!(
                    "\"hash_version\":{}",
                    loaxa::store::chain::HASH_VERSION
                ))
            })
            .filter(|l| l.contains("\"outcome\":\"completed\""))
            .count();
        if new >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing aired on the old store: {}",
            daemon.said()
        );
    }
    assert_eq!(daemon.signal_and_wait("-TERM").code(), Some(0));
    let all = records(&config);
    assert!(all.len() > old.len());
    for (a, b) in old.iter().zip(&all) {
        assert_eq!(a, b, "an old record changed");
    }
    let (code, out, err) = loaxa(&config, &["log", "verify", "--expect", &anchor]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("còn nguyên"), "{out}");
}
