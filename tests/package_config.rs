//! What the station PC's package ships and shows (issue 19), without installing it
//! (`tests/package.sh` installs it): the packaged config parses and airs nothing, its
//! commented demo program parses when switched on and names the package's files, the version
//! and build date reach `--version` and the page, and a station with no program tells the
//! page so (the page then shows the operator the next step).

#[path = "support/bin.rs"]
mod bin;
#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::path::{Path, PathBuf};

use live::{PROGRAMS, start};
use station::TestStation;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).expect("read a shipped file")
}

/// The packaged config as installed: `/etc/loaxa/loaxa.toml`, here in a temp folder (its
/// paths are absolute, so where it lies changes nothing).
fn packaged_config(text: &str) -> loaxa::config::Config {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("loaxa.toml");
    std::fs::write(&path, text).expect("write config");
    loaxa::config::load(&path).unwrap_or_else(|e| panic!("{}", e.render(loaxa::words::Lang::En)))
}

/// The config text with the commented `[[program]]` named `name` switched on.
fn with_program_on(text: &str, name: &str) -> String {
    let start = text
        .find(&format!("# [[program]]\n# name = \"{name}\""))
        .unwrap_or_else(|| panic!("no commented program {name}"));
    let block = &text[start..];
    let block = &block[..block.find("\n\n").unwrap_or(block.len())];
    let on: Vec<&str> = block
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    format!("{text}\n{}\n", on.join("\n"))
}

/// The packaged files' places (Cargo.toml's `[package.metadata.deb] assets`): source → dest.
fn assets() -> Vec<(String, String)> {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml");
    let assets = manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .expect("assets")
        .clone();
    assets
        .iter()
        .map(|a| {
            let a = a.as_array().expect("[source, dest, mode]");
            let s = |i: usize| a[i].as_str().expect("a string").to_string();
            (s(0), s(1))
        })
        .collect()
}

/// Where `dest` (`/usr/share/loaxa/demo/x.ogg`) comes from in the source tree.
fn source_of(dest: &Path) -> Option<PathBuf> {
    let dest = dest.strip_prefix("/").ok()?;
    assets().into_iter().find_map(|(src, to)| {
        let place = if to.ends_with('/') {
            Path::new(&to).join(Path::new(&src).file_name()?)
        } else {
            PathBuf::from(&to)
        };
        (place == dest).then(|| repo(&src))
    })
}

#[test]
fn the_packaged_config_parses_keeps_data_in_var_lib_and_airs_nothing() {
    let config = packaged_config(&read("contrib/deb/loaxa.toml"));
    assert!(
        config.programs.is_empty(),
        "a fresh install airs nothing until the operator adds a program"
    );
    assert_eq!(config.station.data_dir, Path::new("/var/lib/loaxa"));
    assert_eq!(
        config.station.playlists_dir,
        Path::new("/etc/loaxa/playlists")
    );
    assert_eq!(config.api.listen.to_string(), "127.0.0.1:8757");
}

#[test]
fn each_commented_program_of_the_packaged_config_parses_and_names_packaged_files() {
    let text = read("contrib/deb/loaxa.toml");
    for name in ["sang", "chieu", "demo"] {
        let config = packaged_config(&with_program_on(&text, name));
        assert_eq!(config.programs.len(), 1, "{name}");
        let p = &config.programs[0];
        for file in [&p.intro, &p.outro].into_iter().flatten() {
            let src = source_of(file)
                .unwrap_or_else(|| panic!("{name}: {} is not in the package", file.display()));
            assert!(src.is_file(), "{name}: {} missing", src.display());
        }
    }
}

#[test]
fn the_packaged_demo_playlist_names_files_the_package_installs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("demo.toml");
    std::fs::write(&path, read("contrib/deb/playlists/demo.toml")).expect("write");
    let list = loaxa::playlist::load(&path).unwrap_or_else(|d| panic!("{d:?}"));
    let mut files = 0;
    for entry in &list.entries {
        if let loaxa::playlist::Entry::File { path, .. } = entry {
            let src = source_of(path)
                .unwrap_or_else(|| panic!("{} is not in the package", path.display()));
            assert!(src.is_file(), "{}", src.display());
            files += 1;
        }
    }
    assert_eq!(files, 2);
}

#[test]
fn version_prints_the_version_and_the_build_date() {
    let out = bin::loaxa(Path::new("/nonexistent.toml"), &["--version"]);
    assert!(out.status.success(), "{out:?}");
    let text = bin::text(&out.stdout);
    let expected = format!("loaxa {} (", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    let date = text
        .trim()
        .trim_start_matches(&expected)
        .trim_end_matches(')');
    assert!(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "`{date}` is not a date: {text}"
    );
    assert_eq!(date, loaxa::version::BUILD_DATE);
}

#[test]
fn the_page_learns_the_version_the_build_date_and_that_no_program_is_on() {
    let live = start(TestStation::new(
        "",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    ));
    let (status, info) = live.get("/station");
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["built"], loaxa::version::BUILD_DATE);
    assert_eq!(info["programs"], 0);
    let config_path = info["config_path"].as_str().unwrap_or_default();
    assert!(config_path.ends_with("config/loaxa.toml"), "{info}");
    let (_, now) = live.get("/now");
    assert!(now["next"].is_null(), "{now}");
    // The page's rule (pages.js `onAirCard`): the next step shows only then.
    let pages = read("src/api/web/pages.js");
    assert!(pages.contains("!now.next && ctx.info.programs === 0"));

    let live = start(TestStation::new(
        PROGRAMS,
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    ));
    let (_, info) = live.get("/station");
    assert_eq!(info["programs"], 1, "{info}");
}
