//! What `loaxa run` tells the person at the station PC, in their language: the next
//! program, each item as it goes on air, and how it ended (with the reason when it did not
//! air in full). Written to stdout, apart from the journal's lines on stderr, and driven
//! only by the daemon's own changes (no timer: an idle station prints nothing).

use std::sync::Arc;

use tokio::sync::watch;

use super::fmt;
use crate::daemon::control::Status;
use crate::model::{AsRunRecord, Outcome, Role};
use crate::service::Station;

/// What was last said: the item on air (its start and segment) and the next program.
type Said = (Option<(String, u64)>, Option<String>);

/// Prints each change of what is on air and what comes next, and each item's end, until
/// the daemon's channels close.
pub async fn follow(station: Arc<Station>, mut status: watch::Receiver<Status>) {
    let mut log = station.store.watch_log();
    log.mark_unchanged();
    let mut last: Said = (None, None);
    let mut said_end = 0u64;
    loop {
        let now = status.borrow_and_update().clone();
        last = say_status(&station, &now, last);
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            changed = log.changed() => {
                if changed.is_err() {
                    return;
                }
                let id = *log.borrow_and_update();
                if id > said_end
                    && let Ok(Some(rec)) = station.store.record(id)
                    && rec.ended_at.is_some()
                {
                    said_end = id;
                    line(ended_line(&rec));
                }
            }
        }
    }
}

/// Prints what changed since `last`; returns what is now said.
fn say_status(station: &Station, now: &Status, last: Said) -> Said {
    let t = fmt::t;
    let on_air = now
        .on_air
        .as_ref()
        .map(|a| (a.started_at.to_rfc3339(), a.segment_id.0));
    if on_air != last.0
        && let Some(a) = &now.on_air
    {
        line(format!(
            "{} «{}» — {} {}, {} {}/{}",
            t("▶ đang phát", "▶ on air"),
            fmt::safe(&a.title),
            t("chương trình", "program"),
            fmt::safe(&a.program),
            t("mục", "item"),
            a.index + 1,
            a.count
        ));
    }
    let next = now.next.as_ref().map(|n| {
        format!(
            "{} {} {}",
            fmt::safe(&n.program),
            t("lúc", "at"),
            fmt::time(&station.local(n.at))
        )
    });
    if next != last.1
        && let Some(next) = &next
    {
        line(format!(
            "{} {next}",
            t("chương trình tiếp theo:", "next program:")
        ));
    }
    (on_air, next)
}

/// `✓ đã phát «title», 7,6 giây`, or the outcome with its reason.
fn ended_line(rec: &AsRunRecord) -> String {
    let role = match rec.role {
        Role::Item => String::new(),
        other => format!(" ({})", fmt::say(&other)),
    };
    let secs = format!("{:.1}", rec.played_ms as f64 / 1000.0);
    let secs = match fmt::lang() {
        crate::words::Lang::Vi => format!("{} giây", secs.replace('.', ",")),
        crate::words::Lang::En => format!("{secs} s"),
    };
    let mark = if rec.outcome == Outcome::Completed {
        "✓"
    } else {
        "✗"
    };
    let mut line = format!(
        "{mark} {} «{}»{role}, {secs}",
        fmt::say(&rec.outcome),
        fmt::safe(&rec.title)
    );
    if let Some(reason) = rec.reason.as_deref().filter(|r| !r.is_empty()) {
        line.push_str(&format!(": {}", fmt::reason(reason)));
    }
    line
}

/// One line to stdout; a closed or full stdout never stops the station.
fn line(text: String) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}
