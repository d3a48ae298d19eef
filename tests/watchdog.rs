//! systemd integration: `Type=notify` readiness, `STATUS=` lines, `STOPPING=1`, and a
//! watchdog tied to audio progress — while a program airs, the daemon tells systemd it is
//! alive only while audio goes out (or while the player is busy getting a lost output back),
//! so a hung output path or session is restarted by systemd.

#[path = "support/process.rs"]
mod process;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use loaxa::daemon::Notifier;
use loaxa::model::OutputSpec;
use loaxa::player::{FaultSwitch, OutputFormat, Player};
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str = "[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\n";
const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n\
     [[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n",
)];

/// Messages received so far, each with the station time it was seen at.
fn drain(socket: &UnixDatagram, at: DateTime<FixedOffset>, into: &mut Vec<(f64, String)>) {
    let mut buf = [0u8; 512];
    while let Ok(len) = socket.recv(&mut buf) {
        let secs = (at - local(2026, 5, 4, 6, 0, 0)).num_milliseconds() as f64 / 1000.0;
        into.push((secs, String::from_utf8_lossy(&buf[..len]).into_owned()));
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_output_stops_the_watchdog_until_the_player_takes_it_in_hand() {
    let t = TestStation::new(PROGRAMS, PLAYLIST, local(2026, 5, 4, 5, 59, 50));
    t.noise_file("media/a.wav", 20.0);
    t.noise_file("media/b.wav", 20.0);
    let sock_dir = tempfile::tempdir().expect("tempdir");
    let path = sock_dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).expect("bind");
    socket.set_nonblocking(true).expect("nonblocking");
    // WatchdogSec=2: a sign of life every second.
    let notifier = Notifier::to(&path.to_string_lossy(), Some(Duration::from_secs(2)));
    let switch = FaultSwitch::new();
    let player = Player::with_faults(OutputSpec::Null, OutputFormat::default(), switch.clone())
        .expect("null output");
    let d = Running::start_notifying(t.station(), player, notifier);
    let mut got = Vec::new();
    // 05:59:50 → 06:00:20 in quarter seconds; the output stalls at 06:00:05.
    let mut at = local(2026, 5, 4, 5, 59, 50);
    while at < local(2026, 5, 4, 6, 0, 20) {
        at += chrono::Duration::milliseconds(250);
        d.until(at).await;
        if at == local(2026, 5, 4, 6, 0, 5) {
            switch.stall();
        }
        drain(&socket, at, &mut got);
    }
    d.stop().await;
    drain(&socket, at, &mut got);
    assert!(
        got.first().is_some_and(|(_, m)| m.starts_with("READY=1")),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(_, m)| m == "STATUS=on air: sang — A"),
        "{got:?}"
    );
    let pings: Vec<f64> = got
        .iter()
        .filter(|(_, m)| m == "WATCHDOG=1")
        .map(|(t, _)| *t)
        .collect();
    // Idle before 06:00 and airing A until the stall: a ping every second.
    let before: Vec<f64> = pings.iter().copied().filter(|t| *t <= 5.0).collect();
    assert!(before.first().is_some_and(|t| *t <= -8.0), "{pings:?}");
    for w in before.windows(2) {
        assert!(
            w[1] - w[0] <= 1.25,
            "a ping missing before the stall: {pings:?}"
        );
    }
    // The stall: no audio goes out, so no ping — until the player declares the output
    // lost (3 s) and works on it; then the pings resume.
    let gap = pings
        .windows(2)
        .map(|w| (w[0], w[1]))
        .find(|(a, b)| b - a > 1.25)
        .unwrap_or_else(|| panic!("no silence in the pings during the stall: {pings:?}"));
    println!(
        "watchdog: last ping {:.2} s, next {:.2} s (stall at 5.00 s)",
        gap.0, gap.1
    );
    assert!(gap.0 >= 4.75 && gap.0 <= 7.25, "{pings:?}");
    assert!(
        gap.1 - gap.0 >= 2.0,
        "silent long enough for systemd to notice: {pings:?}"
    );
    assert!(
        gap.1 <= 9.25,
        "pings resume once the output is taken in hand: {pings:?}"
    );
    assert!(
        pings.iter().filter(|t| **t > gap.1).count() >= 5,
        "{pings:?}"
    );
    assert!(
        got.last().is_some_and(|(_, m)| m.starts_with("STOPPING=1")),
        "{got:?}"
    );
}

#[test]
fn the_real_binary_speaks_sd_notify() {
    let t = TestStation::new(
        "[[program]]\nname = \"s\"\ncron = \"*/2 * * * * *\"\nplaylists = [\"p\"]\n",
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n",
        )],
        local(2026, 5, 4, 5, 59, 50),
    );
    t.noise_file("media/a.wav", 1.0);
    let sock_dir = tempfile::tempdir().expect("tempdir");
    let path = sock_dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut daemon = process::Daemon::spawn_with_env(
        &t.config_path(),
        &[
            ("NOTIFY_SOCKET", path.as_os_str()),
            ("WATCHDOG_USEC", std::ffi::OsStr::new("1000000")),
        ],
    );
    let mut got: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    let mut buf = [0u8; 512];
    while std::time::Instant::now() < deadline {
        if let Ok(len) = socket.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
    }
    daemon.assert_running();
    let status = daemon.signal_and_wait("-TERM");
    assert_eq!(status.code(), Some(0), "{}", daemon.said());
    while let Ok(len) = socket.recv(&mut buf) {
        got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
    }
    assert!(
        got.first().is_some_and(|m| m.starts_with("READY=1")),
        "{got:?}"
    );
    let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
    // Every 0.5 s for 6 s, idle and on air alike (allow for start-up and a loaded machine).
    assert!(pings >= 6, "{pings} pings: {got:?}");
    assert!(got.iter().any(|m| m == "STATUS=on air: s — A"), "{got:?}");
    assert!(
        got.iter()
            .any(|m| m.starts_with("STATUS=idle; next: s at ")),
        "{got:?}"
    );
    assert!(
        got.last().is_some_and(|m| m.starts_with("STOPPING=1")),
        "{got:?}"
    );
}

/// systemd may stop (SIGTERM) or reload (SIGHUP) the daemon the moment it says `READY=1`,
/// and Ctrl-C (SIGINT) may come as soon: each must find its handler — a clean stop, exit 0,
/// or a reload — never the signal's default action (killed) or a lost signal (still
/// running). Before the fix, a stop sent at once was lost or killed the daemon in over half
/// the starts.
#[test]
fn a_signal_right_after_ready_is_handled() {
    use rustix::process::Signal;
    let t = TestStation::new(
        "[[program]]\nname = \"s\"\ncron = \"0 0 1 1 *\"\nplaylists = [\"p\"]\n",
        &[("p.toml", "topic = \"cds\"\n")],
        local(2026, 5, 4, 5, 59, 50),
    );
    let sock_dir = tempfile::tempdir().expect("tempdir");
    let path = sock_dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let ready = |daemon: &process::Daemon| {
        let mut buf = [0u8; 512];
        loop {
            let len = socket
                .recv(&mut buf)
                .unwrap_or_else(|e| panic!("no READY=1 ({e}); it said:\n{}", daemon.said()));
            if buf[..len].starts_with(b"READY=1") {
                return;
            }
        }
    };
    for round in 0..8 {
        for (name, signal) in [("SIGTERM", Signal::TERM), ("SIGINT", Signal::INT)] {
            let mut daemon = process::Daemon::spawn_with_env(
                &t.config_path(),
                &[("NOTIFY_SOCKET", path.as_os_str())],
            );
            ready(&daemon);
            daemon.send(signal);
            let status = daemon.wait();
            assert_eq!(
                status.code(),
                Some(0),
                "round {round}, {name} right after READY=1: {status}; it said:\n{}",
                daemon.said()
            );
            assert!(daemon.said().contains("loaxa stopped"), "{}", daemon.said());
        }
        let mut daemon = process::Daemon::spawn_with_env(
            &t.config_path(),
            &[("NOTIFY_SOCKET", path.as_os_str())],
        );
        ready(&daemon);
        daemon.send(Signal::HUP);
        std::thread::sleep(Duration::from_millis(300));
        daemon.assert_running();
        let status = daemon.signal_and_wait("-TERM");
        assert_eq!(status.code(), Some(0), "round {round}: {}", daemon.said());
        assert!(
            daemon
                .said()
                .contains("SIGHUP: config and playlists reloaded"),
            "{}",
            daemon.said()
        );
    }
}
