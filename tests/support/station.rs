//! A throw-away station for integration tests: config, playlists and generated audio in a
//! temp folder, a simulated clock, null output, and the real daemon.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use loaxa::clock::SimClock;
use loaxa::daemon::{self, Shutdown};
use loaxa::model::SegmentId;
use loaxa::service::{AddOutcome, SegmentMeta, Station};

use super::wav;

/// Station time (UTC+7) as a fixed-offset instant.
pub fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .expect("valid offset")
        .with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid local time")
}

/// Opens the station, waiting (real time, at most 10 s) while the database is still held:
/// after a crash — a killed daemon's pipe child, or sled's I/O threads finishing a write
/// after a simulated one — it is let go a moment later.
pub fn open_when_free(config: loaxa::config::Config, clock: loaxa::clock::SharedClock) -> Station {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Station::open(config.clone(), clock.clone()) {
            Ok(station) => return station,
            Err(e)
                if std::time::Instant::now() < deadline
                    && matches!(
                        e.downcast_ref::<loaxa::store::StoreError>(),
                        Some(loaxa::store::StoreError::Locked { .. })
                    ) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open station: {e:#}"),
        }
    }
}

/// Opens the store in `dir`, waiting (real time, at most 10 s) while sled's threads of a
/// handle just dropped still hold its lock.
pub fn store_when_free(dir: &Path) -> loaxa::store::Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match loaxa::store::Store::open(dir) {
            Ok(store) => return store,
            Err(loaxa::store::StoreError::Locked { .. })
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open store {}: {e}", dir.display()),
        }
    }
}

/// Program `sang` at 06:00 with `max_duration = "2s"` over playlist `p` of two 1.5 s items
/// («Một», «Hai»): the second never fits, so every preview warns.
pub fn two_items_too_long_for_their_program() -> TestStation {
    let t = TestStation::new(
        "[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\nmax_duration = \"2s\"\n",
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"Một\"\n[[item]]\nfile = \"../media/b.wav\"\ntitle = \"Hai\"\n",
        )],
        local(2026, 3, 1, 0, 0, 0),
    );
    t.noise_file("media/a.wav", 1.5);
    t.noise_file("media/b.wav", 1.5);
    t
}

pub struct TestStation {
    pub dir: tempfile::TempDir,
    start: DateTime<Utc>,
}

impl TestStation {
    /// `programs`: `[[program]]` tables; `playlists`: (file name, contents).
    pub fn new(programs: &str, playlists: &[(&str, &str)], start: DateTime<FixedOffset>) -> Self {
        Self::with_keys(programs, playlists, start, "", "")
    }

    /// Like [`Self::new`], with extra `[output]` keys (e.g. `sample_rate = 8000`: a file
    /// output at the test files' own format is cheap to simulate for a long time).
    pub fn with_output_keys(
        programs: &str,
        playlists: &[(&str, &str)],
        start: DateTime<FixedOffset>,
        output_keys: &str,
    ) -> Self {
        Self::with_all_keys(programs, playlists, start, "", "", output_keys)
    }

    /// Like [`Self::new`], with extra `[station]` keys (e.g. `require_approval = true`).
    pub fn with_station_keys(
        programs: &str,
        playlists: &[(&str, &str)],
        start: DateTime<FixedOffset>,
        station_keys: &str,
    ) -> Self {
        Self::with_keys(programs, playlists, start, station_keys, "")
    }

    /// [`TestStation::new`] with more `[api]` lines (`token_sha256 = ...`, `max_upload_mb = 1`).
    pub fn with_api(
        programs: &str,
        playlists: &[(&str, &str)],
        start: DateTime<FixedOffset>,
        api: &str,
    ) -> Self {
        Self::with_keys(programs, playlists, start, "", api)
    }

    fn with_keys(
        programs: &str,
        playlists: &[(&str, &str)],
        start: DateTime<FixedOffset>,
        station_keys: &str,
        api: &str,
    ) -> Self {
        Self::with_all_keys(programs, playlists, start, station_keys, api, "")
    }

    fn with_all_keys(
        programs: &str,
        playlists: &[(&str, &str)],
        start: DateTime<FixedOffset>,
        station_keys: &str,
        api: &str,
        output_keys: &str,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["config", "playlists", "media"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        let config = format!(
            r#"[station]
name = "Đài thử nghiệm"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "../data"
playlists_dir = "../playlists"
{station_keys}

[output]
device = "null"
{output_keys}

[api]
listen = "127.0.0.1:0"            # a free port: tests run side by side
{api}

[topics]
cds = "Chuyển đổi số"
nq57 = "Nghị quyết 57-NQ/TW"
bdhvs = "Bình dân học vụ số"
khcn = "Khoa học, công nghệ và đổi mới sáng tạo"
{programs}"#
        );
        std::fs::write(dir.path().join("config/loaxa.toml"), config).expect("write config");
        for (name, text) in playlists {
            std::fs::write(dir.path().join("playlists").join(name), text).expect("write playlist");
        }
        TestStation {
            dir,
            start: start.with_timezone(&Utc),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("config/loaxa.toml")
    }

    /// Replaces the config's `device = "null"` with `output` (the `[output]` lines of a
    /// sound device, e.g. `device = "alsa:cap_paced"\nsample_rate = 44100`).
    pub fn set_output(&self, output: &str) {
        let config = std::fs::read_to_string(self.config_path()).expect("config");
        assert!(config.contains("device = \"null\""), "{config}");
        std::fs::write(
            self.config_path(),
            config.replace("device = \"null\"", output),
        )
        .expect("write config");
    }

    /// Writes `secs` of 8 kHz mono noise (exact length) at `rel`.
    pub fn noise_file(&self, rel: &str, secs: f64) {
        let frames = (secs * 8000.0).round() as usize;
        let seed = rel.bytes().map(u64::from).sum::<u64>();
        let samples = wav::noise(frames, 1, seed, 0.5);
        wav::write_wav(&self.path(rel), 8000, 1, wav::Bits::S16, &samples);
    }

    /// Opens the station on a simulated clock starting at the test's start time.
    /// Must be called inside the (paused) tokio runtime.
    pub fn station(&self) -> Station {
        self.station_at(self.start)
    }

    /// Opens the station on a simulated clock starting at `start` (e.g. after a restart).
    pub fn station_at(&self, start: DateTime<Utc>) -> Station {
        self.station_and_clock(start).0
    }

    /// Like [`Self::station_at`], with a handle on the clock to step its wall time.
    pub fn station_and_clock(&self, start: DateTime<Utc>) -> (Station, SimClock) {
        let config = loaxa::config::load(&self.config_path()).expect("test config is valid");
        let clock = SimClock::starting_at(start);
        let station = open_when_free(config, Arc::new(clock.clone()));
        (station, clock)
    }

    pub fn meta(&self, title: &str) -> SegmentMeta {
        SegmentMeta {
            title: Some(title.into()),
            topic: "cds".into(),
            ..SegmentMeta::default()
        }
    }

    /// Imports one file and returns its id.
    pub fn add(&self, station: &Station, rel: &str, meta: SegmentMeta) -> SegmentId {
        let mut results = station
            .add_segments(&[self.path(rel)], &meta)
            .expect("valid meta");
        match results.pop().expect("one result").expect("import succeeds") {
            AddOutcome::Added(seg) => seg.id,
            AddOutcome::AlreadyPresent(seg) => panic!("{rel} was already present as {}", seg.id),
        }
    }

    /// Runs the real daemon for `span` of simulated time, then shuts it down cleanly.
    pub async fn run_for(&self, station: Station, span: chrono::Duration) {
        let (tx, shutdown) = Shutdown::new();
        let daemon = tokio::spawn(daemon::run(station, None, shutdown));
        tokio::time::sleep(span.to_std().expect("positive span")).await;
        tx.send(true).expect("daemon listening");
        daemon
            .await
            .expect("daemon task did not panic")
            .expect("daemon ended cleanly");
    }

    pub fn dir_path(&self) -> &Path {
        self.dir.path()
    }
}

/// The names of the files in `dir`, sorted (none when it does not exist).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `records` with their reasons in English words (the log keeps codes): what the
/// behaviour tests compare with.
pub fn in_english(records: Vec<loaxa::model::AsRunRecord>) -> Vec<loaxa::model::AsRunRecord> {
    records
        .into_iter()
        .map(|mut r| {
            r.reason = r
                .reason
                .map(|why| loaxa::words::reason_text(loaxa::words::Lang::En, &why).into_owned());
            r
        })
        .collect()
}

/// Status warnings (codes with parameters) in English words.
pub fn warnings_in_english(warnings: &[loaxa::model::Warning]) -> Vec<String> {
    use loaxa::words::Say;
    warnings
        .iter()
        .map(|w| w.say(loaxa::words::Lang::En).into_owned())
        .collect()
}

/// The `warnings` of a `/now` answer in English words.
pub fn json_warnings_in_english(now: &serde_json::Value) -> Vec<String> {
    let list: Vec<loaxa::model::Warning> =
        serde_json::from_value(now["warnings"].clone()).unwrap_or_default();
    warnings_in_english(&list)
}
