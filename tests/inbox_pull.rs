//! Bulletins fetched from the province's published list (`[province] inbox_url`) through the
//! real daemon on a simulated clock: an https server on loopback with a certificate from a
//! test CA the station trusts through `ca_file` (the real TLS path), and a real web server
//! (Python's `http.server`) for the conditional GET a real server answers with 304.
//!
//! What is checked: the list's bulletins are laid in the folder and taken at their levels
//! (an emergency airs at once, a priority one is queued, a normal one joins the library);
//! the next fetch downloads no audio again, nor does a restart; a bulletin added to the list
//! is fetched on the next round; a list that cannot be had warns the operator — an
//! unreachable server only after the grace time, a broken list at once — and the warning goes
//! when the list is taken again; an entry with a name that leaves the folder is refused,
//! the others go on; a real server's 304 stops the round there; `loaxa check` reads the
//! list and says what it holds, or why not, in Vietnamese.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/radio.rs"]
mod radio;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/test_ca.rs"]
mod test_ca;
#[path = "support/wav.rs"]
mod wav;

use std::time::Duration;

use loaxa::inbox::pull::PullFault;
use loaxa::model::{Outcome, Warning};
use loaxa::store::InboxAction;
use radio::{Answer, Radio};
use running::{Running, settle};
use station::{TestStation, local};

const PROVINCE: &str = "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi";

/// Program `sang` at 06:00 (two 20 s items); the inbox fetches `list_url` every 5 minutes.
fn test_station(list_url: &str, extra: &str) -> TestStation {
    let t = TestStation::with_station_keys(
        &format!(
            "[province]\ninbox = \"../inbox\"\ninbox_url = \"{list_url}\"\n{extra}\n\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\n"
        ),
        &[(
            "p.toml",
            "topic = \"cds\"\n[[item]]\nsegment = 1\n[[item]]\nsegment = 2\n",
        )],
        local(2026, 10, 1, 5, 0, 0),
        "",
    );
    t.noise_file("media/a.wav", 20.0);
    t.noise_file("media/b.wav", 20.0);
    t
}

fn sidecar(id: &str, level: &str) -> Vec<u8> {
    format!(
        r#"{{"id": "{id}", "title": "Bản tin {id}", "topic": "cds", "level": "{level}", "source": "{PROVINCE}"}}"#
    )
    .into_bytes()
}

/// Serves bulletin `id` (3 s of noise) at `/tin/ID.json` and `/tin/ID.wav`.
fn publish(radio: &Radio, t: &TestStation, id: &str, level: &str) {
    let audio = format!("src-{id}.wav");
    t.noise_file(&audio, 3.0);
    radio.answer(
        &format!("/tin/{id}.json"),
        Answer::bytes("application/json", sidecar(id, level)),
    );
    radio.answer(
        &format!("/tin/{id}.wav"),
        Answer::bytes("audio/wav", std::fs::read(t.path(&audio)).expect("audio")),
    );
}

fn list(entries: &[&str]) -> Answer {
    let items: Vec<String> = entries
        .iter()
        .map(|e| format!(r#"{{"sidecar": "{e}.json", "audio": "{e}.wav"}}"#))
        .collect();
    Answer::bytes(
        "application/json",
        format!("{{\"bulletins\": [{}]}}", items.join(", ")),
    )
}

fn list_warning(daemon: &Running) -> Option<(PullFault, String, u64)> {
    daemon
        .handle
        .status()
        .warnings
        .iter()
        .find_map(|w| match w {
            Warning::InboxListFailed {
                pull_fault,
                detail,
                failed,
                ..
            } => Some((*pull_fault, detail.clone(), *failed)),
            _ => None,
        })
}

#[tokio::test(start_paused = true)]
async fn the_provinces_list_is_fetched_over_https_once_and_taken_at_its_levels() {
    let radio = Radio::start_tls();
    let t = test_station(&radio.url("/tin/ban-tin.json"), "ca_file = \"ca.pem\"");
    std::fs::write(t.path("config/ca.pem"), radio.ca_pem()).expect("ca");
    for id in ["N-1", "E-1"] {
        publish(
            &radio,
            &t,
            id,
            if id == "E-1" { "emergency" } else { "normal" },
        );
    }
    radio.answer(
        "/tin/ban-tin.json",
        list(&["N-1", "E-1"]).with_header("ETag", "\"v1\""),
    );
    let station = t.station();
    for (file, title) in [("media/a.wav", "A"), ("media/b.wav", "B")] {
        t.add(&station, file, t.meta(title));
    }
    let daemon = Running::start(station);
    let store = daemon.handle.station().store.clone();
    let entry = |id: &str| store.inbox_entry(id).expect("store");
    settle("the list's bulletins", || {
        entry("N-1").is_some() && entry("E-1").is_some()
    })
    .await;
    assert_eq!(entry("N-1").map(|e| e.action), Some(InboxAction::InLibrary));
    assert_eq!(
        entry("E-1").map(|e| e.action),
        Some(InboxAction::AiredAtOnce)
    );
    assert_eq!(entry("E-1").map(|e| e.source), Some(PROVINCE.to_string()));
    assert_eq!(list_warning(&daemon), None);
    // The emergency airs at once, with its source in the log.
    daemon.until(local(2026, 10, 1, 5, 0, 10)).await;
    let aired = store
        .records(None, None)
        .expect("records")
        .into_iter()
        .find(|r| r.source.as_ref().is_some_and(|s| s.bulletin == "E-1"))
        .expect("the emergency aired");
    assert_eq!(aired.program, "emergency");
    assert_eq!(aired.outcome, Outcome::Completed);
    assert!(
        aired.started_at.expect("started") < local(2026, 10, 1, 5, 0, 1),
        "at once: {:?}",
        aired.started_at
    );
    // No hidden part file is left, and what was taken left the folder.
    settle("the folder emptied", || {
        station::files_in(&t.path("inbox"))
            .iter()
            .all(|f| f == "quarantine")
    })
    .await;
    assert_eq!(radio.connections("/tin/N-1.wav"), 1);
    assert_eq!(radio.connections("/tin/E-1.wav"), 1);
    assert_eq!(radio.connections("/tin/ban-tin.json"), 1);

    // The next rounds: the list is asked again (with its ETag), the sidecars too, no audio.
    tokio::time::sleep(Duration::from_secs(5 * 60 + 1)).await;
    settle("the second round", || {
        radio.connections("/tin/N-1.json") >= 2
    })
    .await;
    let asked = radio.last_request("/tin/ban-tin.json").expect("asked");
    assert!(
        asked.to_ascii_lowercase().contains("if-none-match: \"v1\""),
        "{asked}"
    );
    assert_eq!(radio.connections("/tin/N-1.wav"), 1);
    assert_eq!(radio.connections("/tin/E-1.wav"), 1);

    // A priority bulletin added to the list is fetched on the next round and queued.
    publish(&radio, &t, "P-1", "priority");
    radio.answer(
        "/tin/ban-tin.json",
        list(&["N-1", "E-1", "P-1"]).with_header("ETag", "\"v2\""),
    );
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    settle("the priority bulletin", || entry("P-1").is_some()).await;
    assert_eq!(entry("P-1").map(|e| e.action), Some(InboxAction::Queued));
    assert_eq!(radio.connections("/tin/N-1.wav"), 1);

    // The server goes away: no warning for a short outage, one after the grace time.
    radio.refuse(true);
    tokio::time::sleep(Duration::from_secs(10 * 60)).await;
    assert_eq!(
        list_warning(&daemon),
        None,
        "a 10-minute outage says nothing"
    );
    tokio::time::sleep(Duration::from_secs(27 * 60)).await;
    settle("the outage warning", || list_warning(&daemon).is_some()).await;
    let (fault, detail, _) = list_warning(&daemon).expect("warned");
    assert_eq!(fault, PullFault::Unreachable, "{detail}");
    assert!(detail.contains("ban-tin.json"), "{detail}");
    radio.refuse(false);
    settle("the server to listen again", || {
        std::net::TcpStream::connect(radio.addr()).is_ok()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    settle("the warning to go", || list_warning(&daemon).is_none()).await;

    // A broken list warns at once; an entry naming a file outside the folder is refused
    // and the others still go.
    radio.answer(
        "/tin/ban-tin.json",
        Answer::bytes("text/html", "<html>404</html>"),
    );
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    settle("the broken list's warning", || {
        list_warning(&daemon).is_some_and(|(f, _, _)| f == PullFault::BadList)
    })
    .await;
    publish(&radio, &t, "N-2", "normal");
    radio.answer(
        "/tin/ban-tin.json",
        Answer::bytes(
            "application/json",
            r#"{"bulletins": [{"sidecar": "..%2Fescape.json"}, {"sidecar": "N-2.json", "audio": "N-2.wav"}]}"#,
        ),
    );
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    settle("the good entry", || entry("N-2").is_some()).await;
    settle("the bad entry's warning", || {
        list_warning(&daemon)
            .is_some_and(|(f, d, n)| f == PullFault::BadList && n == 1 && d.contains("escape"))
    })
    .await;
    assert!(!t.path("escape.json").exists());
    assert_eq!(radio.connections("/tin/escape.json"), 0);

    // A restart fetches no audio again: the station remembers what it laid in the folder.
    radio.answer("/tin/ban-tin.json", list(&["N-1", "E-1", "P-1", "N-2"]));
    let at = daemon.now();
    let records = daemon.stop().await;
    assert!(
        records.iter().any(|r| r.outcome == Outcome::Completed
            && r.source.as_ref().is_some_and(|s| s.bulletin == "E-1")),
        "the emergency aired whole"
    );
    drop(store);
    let sidecars_before = radio.connections("/tin/N-2.json");
    let daemon = Running::start(t.station_at(at));
    settle("the round after the restart", || {
        radio.connections("/tin/N-2.json") > sidecars_before
    })
    .await;
    settle("no warning", || list_warning(&daemon).is_none()).await;
    for id in ["N-1", "E-1", "P-1", "N-2"] {
        assert_eq!(radio.connections(&format!("/tin/{id}.wav")), 1, "{id}");
    }
    daemon.stop().await;
}

/// A real web server (Python's `http.server`, which answers `If-Modified-Since` with 304)
/// serving a folder: the second round asks for the list with the date the server gave, gets
/// 304, and asks for nothing else.
#[tokio::test(start_paused = true)]
async fn a_real_web_servers_304_ends_the_round() {
    use std::io::BufRead;
    let site = tempfile::tempdir().expect("site");
    std::fs::write(
        site.path().join("ban-tin.json"),
        r#"{"bulletins": [{"sidecar": "R-1.json", "audio": "R-1.wav"}]}"#,
    )
    .expect("list");
    std::fs::write(site.path().join("R-1.json"), sidecar("R-1", "normal")).expect("sidecar");
    let mut server = std::process::Command::new("python3")
        .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
        .current_dir(site.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 -m http.server (Debian's python3)");
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the server's first line");
    let port: u16 = first
        .split("port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a port in {first:?}"));
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let log = log.clone();
        let stderr = server.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                log.lock().expect("log").push(line);
            }
        })
    };
    let requests = |path: &str| -> Vec<String> {
        log.lock()
            .expect("log")
            .iter()
            .filter(|l| l.contains(&format!("\"GET {path} ")))
            .cloned()
            .collect()
    };

    let t = test_station(&format!("http://127.0.0.1:{port}/ban-tin.json"), "");
    t.noise_file("src.wav", 3.0);
    std::fs::copy(t.path("src.wav"), site.path().join("R-1.wav")).expect("audio");
    let daemon = Running::start(t.station());
    let store = daemon.handle.station().store.clone();
    settle("the bulletin", || {
        store.inbox_entry("R-1").expect("store").is_some()
    })
    .await;
    assert_eq!(requests("/R-1.wav").len(), 1);
    tokio::time::sleep(Duration::from_secs(5 * 60 + 1)).await;
    settle("the second round", || requests("/ban-tin.json").len() >= 2).await;
    let lists = requests("/ban-tin.json");
    assert!(lists[0].contains("\" 200 "), "{lists:?}");
    assert!(lists[1].contains("\" 304 "), "not modified: {lists:?}");
    assert_eq!(requests("/R-1.json").len(), 1, "nothing else asked");
    assert_eq!(requests("/R-1.wav").len(), 1);
    assert_eq!(list_warning(&daemon), None);
    daemon.stop().await;
    server.kill().expect("kill the server");
    server.wait().expect("wait");
    reader.join().expect("log reader");
}

/// `loaxa check` reads the list as the daemon will (trusting `ca_file`) and says how many
/// bulletins it names; a list it cannot have is a warning, with why, in Vietnamese.
#[test]
fn check_reads_the_list_and_says_why_not() {
    let radio = Radio::start_tls();
    let t = test_station(&radio.url("/tin/ban-tin.json"), "ca_file = \"ca.pem\"");
    std::fs::create_dir_all(t.path("inbox")).expect("inbox");
    std::fs::write(t.path("config/ca.pem"), radio.ca_pem()).expect("ca");
    radio.answer("/tin/ban-tin.json", list(&["N-1", "E-1"]));
    let out = bin::loaxa_in("vi", &t.config_path(), &["check"]);
    let said = bin::text(&out.stdout);
    assert!(
        said.contains("danh sách bản tin của tỉnh") && said.contains("đọc được; 2 bản tin"),
        "{said}\n{}",
        bin::text(&out.stderr)
    );
    radio.answer("/tin/ban-tin.json", Answer::not_found());
    let out = bin::loaxa_in("vi", &t.config_path(), &["check"]);
    let warned = bin::text(&out.stderr);
    assert!(
        warned.contains("cảnh báo")
            && warned.contains("máy chủ của tỉnh trả lời lỗi")
            && warned.contains("404"),
        "{warned}"
    );
    // Without the province's CA the server is not trusted.
    std::fs::write(
        t.config_path(),
        std::fs::read_to_string(t.config_path())
            .expect("config")
            .replace("ca_file = \"ca.pem\"", ""),
    )
    .expect("config");
    radio.answer("/tin/ban-tin.json", list(&["N-1"]));
    let out = bin::loaxa_in("vi", &t.config_path(), &["check"]);
    let warned = bin::text(&out.stderr);
    assert!(
        warned.contains("không kết nối được máy chủ của tỉnh")
            && warned.to_lowercase().contains("certificate"),
        "{warned}"
    );
}
