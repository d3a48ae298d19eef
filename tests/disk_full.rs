//! A full disk under the daemon: log writes fail mid-program. The station keeps airing, the
//! operator is warned, the records already written stay as they were, and the records of
//! the program aired meanwhile reach the log — in order, chained — once the disk takes
//! writes again. (The disk is made "full" by the store's fault-injection hook, which fails
//! every log and schedule write with ENOSPC, as sled reports a full disk.)

#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use loaxa::model::Outcome;
use running::Running;
use station::{TestStation, local};

const PROGRAMS: &str =
    "[[program]]\nname = \"sang\"\ncron = \"0 5,6 * * *\"\nplaylists = [\"p\"]\n";
const PLAYLIST: &[(&str, &str)] = &[(
    "p.toml",
    "topic = \"cds\"\n[[item]]\nfile = \"../media/a.wav\"\ntitle = \"A\"\n\
     [[item]]\nfile = \"../media/b.wav\"\ntitle = \"B\"\n\
     [[item]]\nfile = \"../media/c.wav\"\ntitle = \"C\"\n",
)];

#[tokio::test(start_paused = true)]
async fn a_full_disk_loses_no_record_and_stops_nothing() {
    let t = TestStation::new(PROGRAMS, PLAYLIST, local(2026, 5, 4, 4, 59, 0));
    for f in ["a", "b", "c"] {
        t.noise_file(&format!("media/{f}.wav"), 20.0);
    }
    let station = t.station();
    let store = station.store.clone();
    let d = Running::start(station);
    d.until(local(2026, 5, 4, 5, 10, 0)).await;
    let before = store.records(None, None).expect("records");
    assert_eq!(before.len(), 3);

    // The disk fills while A airs: A's start is written, its end is not.
    d.until(local(2026, 5, 4, 6, 0, 10)).await;
    store.inject_disk_full(true);
    d.until(local(2026, 5, 4, 6, 0, 30)).await;
    // On air all the same, and the operator is told.
    let status = d.handle.status();
    let on_air = status.on_air.as_ref().map(|o| o.title.clone());
    assert_eq!(on_air.as_deref(), Some("B"), "{status:?}");
    let warning = status
        .warnings
        .iter()
        .find(|w| w.starts_with("cannot write the broadcast log"))
        .unwrap_or_else(|| panic!("no warning: {:?}", status.warnings));
    assert!(warning.contains("No space left on device"), "{warning}");
    assert!(warning.contains("free disk space"), "{warning}");
    let now = store.records(None, None).expect("records");
    assert_eq!(&now[..3], &before[..]);
    assert_eq!(now.len(), 4, "only A's start: {now:?}");
    assert_eq!(now[3].reason.as_deref(), Some(loaxa::asrun::ON_AIR));

    // Space freed while C airs: C's end is the next write, and everything waiting goes first.
    d.until(local(2026, 5, 4, 6, 0, 50)).await;
    store.inject_disk_full(false);
    d.until(local(2026, 5, 4, 6, 1, 10)).await;
    let status = d.handle.status();
    assert!(
        !status
            .warnings
            .iter()
            .any(|w| w.starts_with("cannot write the broadcast log")),
        "{:?}",
        status.warnings
    );
    let records = d.stop().await;
    assert_eq!(
        &records[..3],
        &before[..],
        "records written before are untouched"
    );
    let six: Vec<(u64, &str, Outcome, u64)> = records[3..]
        .iter()
        .map(|r| (r.id, r.title.as_str(), r.outcome, r.played_ms))
        .collect();
    assert_eq!(
        six,
        [
            (4, "A", Outcome::Completed, 20_000),
            (5, "B", Outcome::Completed, 20_000),
            (6, "C", Outcome::Completed, 20_000),
        ]
    );
    assert!(
        records[3..]
            .iter()
            .all(|r| r.scheduled_at == local(2026, 5, 4, 6, 0, 0))
    );
    let report = store.verify_chain().expect("chain");
    assert!(report.intact(), "{report:?}");
}
