//! systemd's notification protocol (`sd_notify(3)`), spoken directly over the datagram
//! socket systemd names in `NOTIFY_SOCKET`: `READY=1` once the daemon is up, `WATCHDOG=1`
//! while it is alive — and, while a program is on air, only while its audio progresses —
//! `STATUS=…` for `systemctl status`, and `STOPPING=1` on the way out. Without
//! `NOTIFY_SOCKET` (not started by systemd with `Type=notify`) it does nothing, and the idle
//! daemon keeps no timer: the watchdog only ticks when systemd asked for one
//! (`WatchdogSec=`, passed as `WATCHDOG_USEC`).

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Where notifications go, and how often the watchdog must hear from the daemon.
#[derive(Debug, Default)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
    /// When `WATCHDOG=1` was last sent (monotonic, tokio's clock).
    last_alive: Mutex<Option<Instant>>,
}

impl Notifier {
    /// The one systemd set up for this process, if any.
    pub fn from_env() -> Notifier {
        let path = std::env::var_os("NOTIFY_SOCKET");
        let usec = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        // WATCHDOG_PID, when set, names the process the watchdog is for.
        let ours = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .is_none_or(|pid| pid == std::process::id());
        let watchdog = usec.filter(|_| ours).map(Duration::from_micros);
        match path {
            Some(path) => Notifier::to(&path.to_string_lossy(), watchdog),
            None => Notifier::default(),
        }
    }

    /// Notifications to the socket at `path` (`@name`: the abstract namespace), with the
    /// watchdog expecting a sign of life every `watchdog`.
    pub fn to(path: &str, watchdog: Option<Duration>) -> Notifier {
        let addr = match path.strip_prefix('@') {
            Some(name) => abstract_addr(name),
            None => SocketAddr::from_pathname(path),
        };
        let target = addr.and_then(|addr| Ok((UnixDatagram::unbound()?, addr)));
        match target {
            Ok(target) => Notifier {
                target: Some(target),
                watchdog,
                last_alive: Mutex::new(None),
            },
            Err(e) => {
                tracing::warn!(socket = path, error = %e, "cannot use systemd's notification socket");
                Notifier::default()
            }
        }
    }

    /// How often to send `WATCHDOG=1`: half systemd's timeout, as `sd_watchdog_enabled(3)`
    /// advises. `None`: no watchdog.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.target.as_ref()?;
        self.watchdog.map(|w| w / 2)
    }

    /// When the next `WATCHDOG=1` is due (now, if none was sent yet); `None`: no watchdog.
    /// One schedule for the idle daemon and for programs, so the change from one to the
    /// other never stretches the gap.
    pub fn next_alive(&self) -> Option<Instant> {
        let every = self.watchdog_interval()?;
        let last = *self.last_alive.lock().unwrap_or_else(|e| e.into_inner());
        Some(last.map_or_else(Instant::now, |t| t + every))
    }

    fn send(&self, message: &str) {
        if let Some((socket, addr)) = &self.target
            && let Err(e) = socket.send_to_addr(message.as_bytes(), addr)
        {
            tracing::debug!(error = %e, message, "systemd notification not sent");
        }
    }

    pub fn ready(&self) {
        self.send("READY=1\nSTATUS=loaxa đang chạy (running)");
    }

    pub fn alive(&self) {
        *self.last_alive.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        self.send("WATCHDOG=1");
    }

    /// Skips one sign of life: the next is due an interval from now.
    pub fn withhold(&self) {
        *self.last_alive.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// A one-line status for `systemctl status` (no newlines).
    pub fn status(&self, text: &str) {
        if self.target.is_some() {
            self.send(&format!("STATUS={}", text.replace('\n', " ")));
        }
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }
}

#[cfg(target_os = "linux")]
fn abstract_addr(name: &str) -> std::io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name.as_bytes())
}

#[cfg(not(target_os = "linux"))]
fn abstract_addr(_name: &str) -> std::io::Result<SocketAddr> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "abstract socket names exist only on Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_socket_and_the_interval_is_half_the_timeout() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path)?;
        let n = Notifier::to(&path.to_string_lossy(), Some(Duration::from_secs(30)));
        assert_eq!(n.watchdog_interval(), Some(Duration::from_secs(15)));
        n.ready();
        n.alive();
        n.status("on air:\nA");
        n.stopping();
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        for _ in 0..4 {
            let len = listener.recv(&mut buf)?;
            got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        assert_eq!(
            got,
            [
                "READY=1\nSTATUS=loaxa đang chạy (running)",
                "WATCHDOG=1",
                "STATUS=on air: A",
                "STOPPING=1\nSTATUS=stopping"
            ]
        );
        Ok(())
    }

    #[test]
    fn without_systemd_nothing_is_sent_and_no_watchdog_ticks() {
        let n = Notifier::default();
        assert_eq!(n.watchdog_interval(), None);
        n.ready(); // no socket: nothing happens, nothing fails
    }
}
