//! `[hooks]`: the amplifier follows the schedule. The real daemon on a simulated clock runs
//! real shell hooks that write down what they were told: `before_program` `lead` before each
//! fire (not again for a program back to back), `after_program` `hold` after the station fell
//! silent, an emergency switching the amplifier on at once; a hook that fails or hangs (killed
//! at its timeout) is logged and the programs air regardless; hooks never overlap.

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::{Duration, Instant};

use loaxa::model::{Outcome, OutputSpec};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = r#"
[[program]]
name = "sang"
cron = "0 6 * * *"
playlists = ["tin"]
queue = false

[[program]]
name = "sang-2"
cron = "0 1 6 * * *"
playlists = ["tin"]
queue = false

[[program]]
name = "bay-gio"
cron = "0 7 * * *"
playlists = ["tin"]
queue = false
"#;

const TIN: &str = "[[item]]\nsegment = 1\n";

/// A station with the three programs above, a 2 s bulletin, and `[hooks]` made of `hooks`
/// (with `@LOG@` replaced by the hooks' log file).
fn station(hooks: &str) -> (TestStation, std::path::PathBuf) {
    let t = TestStation::new("", &[("tin.toml", TIN)], local(2026, 3, 2, 5, 0, 0));
    let log = t.path("hooks.log");
    let config = std::fs::read_to_string(t.config_path()).expect("config");
    let hooks = hooks.replace("@LOG@", &log.display().to_string());
    std::fs::write(
        t.config_path(),
        format!("{config}\n[hooks]\n{hooks}\n{PROGRAMS}"),
    )
    .expect("config");
    t.noise_file("media/tin.wav", 2.0);
    (t, log)
}

/// The hooks' log: one line per run, `HOOK PROGRAM AT NOW` (times as station `HH:MM:SS`).
fn lines(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split(' ')
                .map(|w| match w.find('T') {
                    Some(i) if w.len() > 19 => w[i + 1..i + 9].to_string(),
                    _ => w.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

const WRITE: &str = r#"echo "$LOAXA_HOOK ${LOAXA_PROGRAM:--} $LOAXA_AT $LOAXA_NOW" >> "@LOG@""#;

#[tokio::test(start_paused = true)]
async fn the_amplifier_goes_on_ahead_of_the_programs_and_off_after_them() {
    let hooks = format!(
        "before_program = '{WRITE}'\nafter_program = '{WRITE}'\nlead = \"10s\"\nhold = \"2m\"\ntimeout = \"5s\"\n"
    );
    let (t, log) = station(&hooks);
    let station = t.station();
    let id = t.add(&station, "media/tin.wav", t.meta("Bản tin"));
    let air = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air)));
    // An emergency at 07:05, with the amplifier off since 07:02.
    d.until(local(2026, 3, 2, 7, 5, 0)).await;
    d.handle.emergency(id, None).await.expect("emergency");
    d.until(local(2026, 3, 2, 7, 10, 0)).await;
    let records = d.stop().await;
    assert!(
        records.iter().all(|r| r.outcome == Outcome::Completed),
        "{records:#?}"
    );
    assert_eq!(records.len(), 4, "{records:#?}");
    assert_eq!(
        lines(&log),
        [
            // 10 s ahead of 06:00.
            "before_program sang 06:00:00 05:59:50",
            // sang-2 at 06:01 falls within sang's hold: the amplifier stays on; off 2 min
            // after sang-2's 2 s.
            "after_program - 06:03:02 06:03:02",
            "before_program bay-gio 07:00:00 06:59:50",
            "after_program - 07:02:02 07:02:02",
            // An emergency does not wait: on at once, off after its hold.
            "before_program emergency 07:05:00 07:05:00",
            "after_program - 07:07:02 07:07:02",
        ]
    );

    // Stopped with the amplifier on (inside a hold), the station switches it off first.
    let (t, log) = self::station(&hooks);
    let opened = t.station();
    t.add(&opened, "media/tin.wav", t.meta("Bản tin"));
    let air = t.path("air.wav");
    let d = Running::start_with_output(opened, Some(OutputSpec::Wav(air)));
    d.until(local(2026, 3, 2, 6, 0, 30)).await;
    d.stop().await;
    assert_eq!(
        lines(&log),
        [
            "before_program sang 06:00:00 05:59:50",
            "after_program - 06:00:30 06:00:30",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_or_hanging_hook_is_stopped_and_the_programs_air_regardless() {
    // `sang`'s hook fails, `bay-gio`'s hangs (killed at the 1 s timeout, with its `sleep`);
    // the after hooks still run, one at a time, in order.
    let script = format!(
        r#"case "$LOAXA_PROGRAM" in sang) echo "relay not found" >&2; exit 3;; bay-gio) sleep 30;; esac; {WRITE}"#
    );
    let hooks = format!(
        "before_program = '{script}'\nafter_program = '{WRITE}'\nlead = \"10s\"\nhold = \"30s\"\ntimeout = \"1s\"\n"
    );
    let (t, log) = station(&hooks);
    let station = t.station();
    t.add(&station, "media/tin.wav", t.meta("Bản tin"));
    let air = t.path("air.wav");
    let began = Instant::now();
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(air)));
    d.until(local(2026, 3, 2, 7, 10, 0)).await;
    let records = d.stop().await;
    // The hanging hook did not hold the station (the daemon's stop waits for the runner,
    // which killed `sleep 30` after 1 s).
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "took {:?}",
        began.elapsed()
    );
    let aired: Vec<(&str, Outcome)> = records
        .iter()
        .map(|r| (r.program.as_str(), r.outcome))
        .collect();
    assert_eq!(
        aired,
        [
            ("sang", Outcome::Completed),
            ("sang-2", Outcome::Completed),
            ("bay-gio", Outcome::Completed)
        ]
    );
    assert_eq!(
        lines(&log),
        [
            // sang's before hook failed (no line); its program aired all the same.
            "after_program - 06:00:32 06:00:32",
            "before_program sang-2 06:01:00 06:00:50",
            "after_program - 06:01:32 06:01:32",
            // bay-gio's before hook hung and was killed (no line); the after hook ran.
            "after_program - 07:00:32 07:00:32",
        ]
    );
}

#[test]
fn a_hook_without_a_command_is_refused_where_it_is_written() {
    let (t, _) = station("before_program = \"  \"\nlead = \"20m\"\n");
    let err = loaxa::config::load(&t.config_path()).expect_err("refused");
    let text = err.render(loaxa::words::Lang::Vi);
    assert!(
        text.contains("lệnh `before_program` trong `[hooks]` trống"),
        "{text}"
    );
    assert!(
        text.contains("lead: `20m` nằm ngoài khoảng cho phép: từ 0s đến 10m"),
        "the lead out of range too: {text}"
    );
    // Each at its place, file:line:col.
    assert!(
        text.contains("loaxa.toml:23:18: lỗi: lệnh `before_program`"),
        "{text}"
    );
}
