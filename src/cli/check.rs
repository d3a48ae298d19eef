//! `loaxa check`: validate everything a broadcast depends on, before it is due.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use super::fmt;
use crate::clock::{SharedClock, SystemClock};
use crate::config;
use crate::playlist::Entry;
use crate::service::{Catalog, Station, catalog::Import};
use crate::store::{Store, StoreError};
use crate::text;

pub fn check(path: &Path) -> Result<i32> {
    let config = match config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", text::message_for_terminal(&e.render(fmt::lang())));
            return Ok(1);
        }
    };
    let mut problems = 0;
    for d in config::check_files(&config) {
        eprintln!("{}", text::message_for_terminal(&d.render(fmt::lang())));
        problems += 1;
    }
    let clock: SharedClock = Arc::new(SystemClock);
    // While the daemon runs it holds the database: check against an empty one instead.
    let mut daemon_running = false;
    let station = match Station::open(config.clone(), clock.clone()) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.downcast_ref::<StoreError>(),
                Some(StoreError::Locked { .. })
            ) =>
        {
            outln!(
                "{}",
                fmt::t(
                    "ghi chú: phần mềm đang chạy; không kiểm tra mã bản tin trong thư viện",
                    "note: the daemon is running; library segment ids are not checked"
                )
            );
            daemon_running = true;
            let media = crate::library::MediaStore::open(config.station.data_dir.join("media"))?;
            Station {
                config,
                store: Arc::new(Store::temporary()?),
                media,
                clock: clock.clone(),
            }
        }
        Err(e) => return Err(e),
    };
    let catalog = Catalog::load(&station, Import::No);
    for d in &catalog.diagnostics {
        eprintln!("{}", text::message_for_terminal(&d.render(fmt::lang())));
        problems += 1;
    }
    for (file, reason) in catalog.file_problems() {
        eprintln!(
            "{}: {}: {}",
            fmt::safe(&file.display().to_string()),
            fmt::t("lỗi: không phát được", "error: cannot air"),
            text::message_for_terminal(&fmt::say(reason))
        );
        problems += 1;
    }
    for pl in catalog.playlists.values() {
        for entry in &pl.entries {
            if let Entry::Segment { id, line } = entry
                && !daemon_running
                && station.store.segment(*id)?.is_none()
            {
                let code = crate::words::ErrorCode::NoSegment { id: id.0 };
                eprintln!(
                    "{}:{line}: {}: {}\n  {}: {}",
                    pl.path.display(),
                    fmt::t("lỗi", "error"),
                    fmt::say(&code),
                    fmt::hint_word(),
                    code.hint(fmt::lang()).unwrap_or_default()
                );
                problems += 1;
            }
        }
    }
    if !daemon_running {
        for problem in station.library_problems()? {
            eprintln!("{}: {problem}", fmt::t("thư viện: lỗi", "library: error"));
            problems += 1;
        }
    }
    outln!(
        "{}: {} {}, {} {}, {} {}",
        path.display(),
        station.config.programs.len(),
        fmt::t("chương trình", "program(s)"),
        catalog.playlists.len(),
        fmt::t("danh sách phát", "playlist(s)"),
        fmt::t("múi giờ", "timezone"),
        station.tz()
    );
    for p in &station.config.programs {
        let next: Vec<String> = station.next_fires(p, 3).iter().map(fmt::time).collect();
        let state = if p.enabled {
            ""
        } else {
            fmt::t(" (đã tắt)", " (disabled)")
        };
        outln!(
            "  {}{state}  `{}`  {}: {}",
            p.name,
            p.cron,
            fmt::t("lần phát tới", "next"),
            next.join(", ")
        );
    }
    probe_relays(&station.config)?;
    check_tts(&station.config);
    check_live(&station.config)?;
    check_hooks(&station.config)?;
    probe_streams(&station.config)?;
    probe_province(&station, daemon_running)?;
    probe_inbox_list(&station.config)?;
    for url in &station.config.alerts.webhooks {
        outln!(
            "  {}: {}",
            fmt::t("gửi cảnh báo tới", "alerts go to"),
            fmt::safe(url)
        );
    }
    if problems > 0 {
        eprintln!(
            "{problems} {}",
            fmt::t("vấn đề cần sửa", "problem(s) found")
        );
        Ok(1)
    } else {
        outln!("{}", fmt::t("tốt", "ok"));
        Ok(0)
    }
}

/// Asks every relay source of the enabled programs whether it answers now (all at once, a few
/// seconds at most). A source down now is a warning, not a problem of the config: it may be
/// back by its hour, and the relay tries the next one.
fn probe_relays(config: &config::Config) -> Result<()> {
    let opts = crate::relay::NetOptions {
        connect: PROBE_TIMEOUT,
        stall: PROBE_TIMEOUT,
        ..config.relay.net()
    };
    let sources: Vec<(&str, &str)> = config
        .programs
        .iter()
        .filter(|p| p.enabled)
        .flat_map(|p| p.relay.iter().map(|u| (p.name.as_str(), u.as_str())))
        .collect();
    let answers: Vec<_> = std::thread::scope(|scope| {
        let probes: Vec<_> = sources
            .iter()
            .map(|(_, url)| scope.spawn(|| crate::relay::probe(url, &opts)))
            .collect();
        probes
            .into_iter()
            .map(|p| {
                p.join().unwrap_or_else(|_| {
                    Err(crate::relay::Fault::Unreadable {
                        detail: "the probe failed".into(),
                    })
                })
            })
            .collect()
    });
    for ((program, url), answer) in sources.iter().zip(answers) {
        let url = fmt::safe(url);
        match answer {
            Ok(probe) => outln!(
                "  {program}: {} {url} {} ({})",
                fmt::t("nguồn tiếp sóng", "relay source"),
                fmt::t("trả lời", "answers"),
                probe.codec.extension().to_ascii_uppercase()
            ),
            Err(fault) => eprintln!(
                "{}: {program}: {} {url} {}: {}",
                fmt::t("cảnh báo", "warning"),
                fmt::t("nguồn tiếp sóng", "relay source"),
                fmt::t("không trả lời", "does not answer"),
                fmt::say(&fault)
            ),
        }
    }
    Ok(())
}

/// Connects to the province's database (`[province] url`) as the station will, and says
/// what it holds of this station's log. Unreachable now is a warning: the log waits and goes
/// when it is back; a refused login or a station not registered is a warning too, with
/// what to do.
fn probe_province(station: &Station, daemon_running: bool) -> Result<()> {
    let Some(link) = &station.config.province else {
        return Ok(());
    };
    let what = format!(
        "{} ({}, {} `{}`)",
        fmt::t("cơ sở dữ liệu của tỉnh", "the province's database"),
        fmt::safe(link.url.shown()),
        fmt::t("mã đài", "station code"),
        link.station_code
    );
    let answer = crate::province::push::ca_certs(link.ca_file.as_deref()).and_then(|ca| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                crate::province::DbError::new(crate::province::DbFault::Other, e.to_string())
            })?;
        let mut pusher = crate::province::Pusher::new(
            station.store.clone(),
            crate::province::Target {
                url: link.url.clone(),
                station_code: link.station_code.clone(),
                ca_certs: ca,
                batch: link.batch,
            },
        );
        let has = runtime.block_on(pusher.probe())?;
        Ok((has, pusher.settled_end().unwrap_or(0)))
    });
    match answer {
        Ok((has, _)) if daemon_running => outln!(
            "  {what}: {} {has}",
            fmt::t(
                "kết nối được; tỉnh đã nhận đến bản ghi",
                "reachable; the province holds up to record"
            )
        ),
        Ok((has, end)) => outln!(
            "  {what}: {} {has}, {} {}",
            fmt::t(
                "kết nối được; tỉnh đã nhận đến bản ghi",
                "reachable; the province holds up to record"
            ),
            fmt::t("chưa gửi", "unsent"),
            end.saturating_sub(has)
        ),
        Err(e) => warn_fault(&what, &e.fault, &e.detail),
    }
    Ok(())
}

/// `warning: WHAT: FAULT (DETAIL)` on stderr.
fn warn_fault(what: &str, fault: &impl crate::words::Say, detail: &str) {
    eprintln!(
        "{}: {what}: {} ({})",
        fmt::t("cảnh báo", "warning"),
        fmt::say(fault),
        fmt::safe(detail)
    );
}

/// Reads the province's list of bulletins (`[province] inbox_url`) as the daemon will, and
/// says how many it names. Unreadable now is a warning: the daemon tries again.
fn probe_inbox_list(config: &config::Config) -> Result<()> {
    let Some(pull) = config.inbox.as_ref().and_then(|i| i.pull.as_ref()) else {
        return Ok(());
    };
    let what = format!(
        "{} ({})",
        fmt::t("danh sách bản tin của tỉnh", "the province's bulletin list"),
        fmt::safe(&pull.url)
    );
    let answer =
        crate::inbox::pull::net_options(pull.ca_file.as_deref(), PROBE_TIMEOUT, PROBE_TIMEOUT)
            .and_then(|opts| crate::inbox::pull::count_listed(&pull.url, &opts));
    match answer {
        Ok(n) => outln!(
            "  {what}: {} {n} {}",
            fmt::t("đọc được;", "readable;"),
            fmt::t("bản tin", "bulletin(s)")
        ),
        Err(e) => warn_fault(&what, &e.fault, &e.detail),
    }
    Ok(())
}

/// Asks every stream output's Icecast server whether it answers now (all at once). A
/// server down now is a warning: the stream connects when a program airs, and retries.
fn probe_streams(config: &config::Config) -> Result<()> {
    let answers: Vec<_> = std::thread::scope(|scope| {
        let probes: Vec<_> = config
            .streams
            .iter()
            .map(|s| scope.spawn(|| crate::stream::icecast::probe(&s.url)))
            .collect();
        probes
            .into_iter()
            .map(|p| {
                p.join().unwrap_or_else(|_| {
                    Err(crate::stream::SourceError::new(
                        crate::stream::SourceFault::Answer,
                        "the probe failed",
                    ))
                })
            })
            .collect()
    });
    for (spec, answer) in config.streams.iter().zip(answers) {
        let what = format!(
            "{} `{}` ({}, {} kbit/s {}{})",
            fmt::t("luồng phát", "stream"),
            spec.name,
            fmt::safe(&spec.url.public()),
            spec.bitrate,
            if spec.mono { "mono" } else { "stereo" },
            if spec.zones.is_empty() {
                String::new()
            } else {
                format!(", {}: {}", fmt::t("vùng", "zones"), spec.zones.join(", "))
            }
        );
        match answer {
            Ok(server) => outln!(
                "  {what}: {} {}",
                fmt::t("máy chủ trả lời", "the server answers"),
                fmt::safe(&server)
            ),
            Err(e) => eprintln!(
                "{}: {what}: {} ({})",
                fmt::t("cảnh báo", "warning"),
                fmt::say(&e.fault),
                fmt::safe(&e.detail)
            ),
        }
    }
    Ok(())
}

/// Whether the live input is there: a warning, not a problem (the station airs its programs
/// without a microphone; `loaxa live start` is refused until it is plugged in).
fn check_live(config: &config::Config) -> Result<()> {
    let input = &config.live.input;
    if crate::live::capture::exists(input) {
        outln!(
            "  {}: {}",
            fmt::t("micro phát trực tiếp", "live input"),
            fmt::safe(input)
        );
        return Ok(());
    }
    warn(&crate::words::RefusalCode::LiveInputMissing {
        input: input.clone(),
        available: crate::live::capture::devices(),
    });
    Ok(())
}

/// The amplifier's hooks: what runs when, and a warning when a hook's program is not there
/// (the first word of a plain command; a shell construct is taken as written).
fn check_hooks(config: &config::Config) -> Result<()> {
    let hooks = &config.hooks;
    let fmt_d = |d: std::time::Duration| crate::config::duration::format_duration(d);
    for (command, when) in [
        (
            &hooks.before_program,
            format!(
                "{} {}",
                fmt_d(hooks.lead),
                fmt::t("trước mỗi chương trình", "before each program")
            ),
        ),
        (
            &hooks.after_program,
            format!(
                "{} {}",
                fmt_d(hooks.hold),
                fmt::t("sau khi phát xong", "after the station falls silent")
            ),
        ),
    ] {
        let Some(command) = command else { continue };
        outln!(
            "  {} ({when}): {}",
            fmt::t("lệnh điều khiển amply", "amplifier hook"),
            fmt::safe(command)
        );
        let first = command.split_whitespace().next().unwrap_or_default();
        let plain = first
            .chars()
            .all(|c| c.is_alphanumeric() || "/._-+".contains(c));
        if plain && !first.contains('=') && crate::tts::resolve(first).is_none() {
            eprintln!(
                "{}: {}: «{}»",
                fmt::t("cảnh báo", "warning"),
                fmt::t(
                    "không tìm thấy chương trình của lệnh điều khiển amply",
                    "the amplifier hook's program is not found"
                ),
                fmt::safe(first)
            );
        }
    }
    Ok(())
}

/// A warning with its hint, in the terminal's language.
fn warn(problem: &crate::words::RefusalCode) {
    eprintln!(
        "{}: {}\n  {}: {}",
        fmt::t("cảnh báo", "warning"),
        fmt::say(problem),
        fmt::hint_word(),
        problem.hint(fmt::lang()).unwrap_or_default()
    );
}

/// Whether text bulletins can be read: a warning, not a problem of the config (the station
/// airs its files without an engine).
fn check_tts(config: &config::Config) {
    for problem in crate::tts::engine_problems(&config.tts) {
        warn(&problem);
    }
}

/// How long `check` waits for a relay source.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
