//! `[[program]] separator`: a short sound between consecutive items — never before the
//! intro or after the outro — logged with role `separator`, joined gaplessly, and counted
//! when a program is fitted into its `max_duration`.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use loaxa::model::{Outcome, OutputSpec, Role, SegmentId};
use running::Running;
use station::{TestStation, local};

const RATE: u32 = 48_000;

const PROGRAMS: &str = r#"
# These tests compare what aired with the files themselves: no loudness normalisation.
[audio]
normalise = false
[[program]]
name = "sang"
cron = "0 6 * * *"
intro = "../media/tune.wav"
outro = "../media/tune.wav"
separator = "../media/sep.wav"
playlists = ["ba"]
queue = false

[[program]]
name = "ngan"
cron = "0 7 * * *"
separator = "../media/sep.wav"
playlists = ["ba"]
queue = false
max_duration = "6s"
"#;

const BA: &str = "[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n[[item]]\nsegment = 3\n";

fn noise(t: &TestStation, rel: &str, secs: f64, seed: u64) -> Vec<f32> {
    let samples = wav::noise((secs * f64::from(RATE)) as usize, 2, seed, 0.4);
    wav::write_wav(&t.path(rel), RATE, 2, wav::Bits::F32, &samples);
    samples
}

#[tokio::test(start_paused = true)]
async fn the_separator_airs_between_items_only_and_counts_in_max_duration() {
    let t = TestStation::new(PROGRAMS, &[("ba.toml", BA)], local(2026, 3, 2, 5, 0, 0));
    let items: Vec<Vec<f32>> = (0..3)
        .map(|i| noise(&t, &format!("media/item{i}.wav"), 2.0, i + 1))
        .collect();
    let tune = noise(&t, "media/tune.wav", 1.0, 10);
    let sep = noise(&t, "media/sep.wav", 1.0, 11);
    let station = t.station();
    for i in 0..3 {
        let id = t.add(
            &station,
            &format!("media/item{i}.wav"),
            t.meta(&format!("tin {i}")),
        );
        assert_eq!(id, SegmentId(i + 1));
    }
    let air = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air.clone())));
    d.until(local(2026, 3, 2, 8, 0, 0)).await;
    let records = d.stop().await;

    let roles: Vec<(&str, Role, Outcome)> = records
        .iter()
        .map(|r| (r.program.as_str(), r.role, r.outcome))
        .collect();
    use Outcome::Completed as C;
    assert_eq!(
        roles,
        [
            ("sang", Role::Intro, C),
            ("sang", Role::Item, C),
            ("sang", Role::Separator, C),
            ("sang", Role::Item, C),
            ("sang", Role::Separator, C),
            ("sang", Role::Item, C),
            ("sang", Role::Outro, C),
            // 2 s + 1 s + 2 s fit in 6 s; a third item would need 3 s more (with its
            // separator), so it waits, and nothing is cut.
            ("ngan", Role::Item, C),
            ("ngan", Role::Separator, C),
            ("ngan", Role::Item, C),
        ],
        "{records:#?}"
    );
    let sep_record = &records[2];
    assert_eq!(sep_record.title, "sep");
    assert_eq!(sep_record.played_ms, 1000);
    assert!(sep_record.peak_dbfs.is_some() && !sep_record.silent);

    // Gapless, sample for sample: tune, item, sep, item, sep, item, tune; item, sep, item.
    let (rate, channels, out) = wav::read_wav_f32(&air);
    assert_eq!((rate, channels), (RATE, 2));
    let want: Vec<f32> = [
        &tune, &items[0], &sep, &items[1], &sep, &items[2], &tune, &items[0], &sep, &items[1],
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    assert_eq!(out.len(), want.len(), "no sample inserted or lost");
    assert!(
        out == want,
        "the output is the items and separators back to back"
    );

    // The separator is a station sound: counted apart from the news items in the report.
    let check = t
        .station_at(local(2026, 3, 2, 8, 0, 0).with_timezone(&chrono::Utc))
        .store
        .verify_chain()
        .expect("verify");
    assert!(check.intact(), "{check:?}");
}

#[test]
fn a_missing_separator_file_is_reported_with_its_line_and_column() {
    let t = TestStation::new(
        "\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nseparator = \"../media/khong-co.wav\"\n",
        &[],
        local(2026, 3, 2, 5, 0, 0),
    );
    let out = bin::loaxa(&t.config_path(), &["check"]);
    let stderr = bin::text(&out.stderr);
    let stdout = bin::text(&out.stdout);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    let config = t.config_path();
    let text = std::fs::read_to_string(&config).expect("config");
    let line = text
        .lines()
        .position(|l| l.starts_with("separator"))
        .expect("separator line")
        + 1;
    let want = format!("loaxa.toml:{line}:13: error: separator file");
    assert!(
        stderr.contains(&want) || stdout.contains(&want),
        "want `{want}` in:\n{stdout}\n{stderr}"
    );
}
