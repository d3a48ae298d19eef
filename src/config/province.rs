//! `[province]`: the province's central database the station pushes its broadcast log to
//! (`url`, `station_code`), with its TLS roots and pacing. Without `url` nothing is sent.

use std::path::PathBuf;
use std::time::Duration;

use super::Source;
use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use crate::province::DbUrl;
use crate::words::ConfigProblem;

/// Checked by the caller for the whole table, with the inbox's keys.
pub(super) const PROVINCE_KEYS: &[&str] = &["url", "station_code", "ca_file", "heartbeat", "batch"];

/// The heartbeat's period: 10 s to an hour.
const HEARTBEAT: Bounds = Bounds::secs(10, 3600);
/// Default `heartbeat`: a minute.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(60);

/// `[province]` with a `url`: where the station's log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceLink {
    pub url: DbUrl,
    pub station_code: String,
    /// A PEM file of CA certificates the server's certificate may chain to (a province's
    /// own CA), beside Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    pub heartbeat: Duration,
    /// Records per statement.
    pub batch: usize,
}

pub(super) fn province(
    src: &mut Source<'_>,
    t: &Table<'_, '_>,
    ca_file: Option<PathBuf>,
) -> Option<Option<ProvinceLink>> {
    let mut ok = true;
    let url = t
        .text(src, "url", super::MAX_URL)
        .and_then(|u| match DbUrl::parse(u.get_ref()) {
            Ok(url) => Some(url),
            Err(problem) => {
                ok = false;
                src.problem(
                    u.span(),
                    ConfigProblem::ProvinceUrl {
                        url: crate::province::db::hide_password(u.get_ref()),
                        problem,
                    },
                );
                None
            }
        });
    let code = t.text(src, "station_code", 64).and_then(|c| {
        if crate::province::tools::code_ok(c.get_ref()) {
            Some(c.into_inner())
        } else {
            ok = false;
            src.problem(
                c.span(),
                ConfigProblem::StationCode {
                    value: c.get_ref().chars().take(64).collect(),
                },
            );
            None
        }
    });
    let heartbeat = bounded(src, t, "heartbeat", HEARTBEAT, &mut ok).unwrap_or(DEFAULT_HEARTBEAT);
    let batch = match t.integer_in(src, "batch", 1..=5000) {
        Some(Ok(n)) => usize::try_from(n).unwrap_or(crate::province::push::DEFAULT_BATCH),
        Some(Err(())) => {
            ok = false;
            crate::province::push::DEFAULT_BATCH
        }
        None => crate::province::push::DEFAULT_BATCH,
    };
    // One without the other sends nothing: say which is missing.
    for (has, missing) in [("url", "station_code"), ("station_code", "url")] {
        if t.has(has) && !t.has(missing) {
            ok = false;
            src.problem(
                t.span.clone(),
                ConfigProblem::KeyMissing {
                    key: missing.into(),
                    section: "[province]".into(),
                },
            );
        }
    }
    if !ok {
        return None;
    }
    Some(match (url, code) {
        (Some(url), Some(station_code)) => Some(ProvinceLink {
            url,
            station_code,
            ca_file,
            heartbeat,
            batch,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    const BASE: &str = "[station]\nname = \"Đài\"\n\n[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"p\"]\n";
    const URL: &str = "postgres://loaxa_ba_to:pw@10.0.0.5/loaxa?sslmode=require";

    fn parse(extra: &str) -> Result<super::super::Config, super::super::ConfigError> {
        super::super::parse(
            &format!("{BASE}{extra}"),
            Path::new("/st/config/loaxa.toml"),
        )
    }

    #[test]
    fn a_link_needs_its_address_and_code_and_takes_defaults() {
        let c = parse(&format!(
            "\n[province]\nurl = \"{URL}\"\nstation_code = \"ba-to\"\nca_file = \"tinh.pem\"\n"
        ))
        .expect("valid");
        let link = c.province.expect("a link");
        assert_eq!(link.station_code, "ba-to");
        assert_eq!(
            link.url.shown(),
            "postgres://loaxa_ba_to:***@10.0.0.5/loaxa?sslmode=require"
        );
        assert_eq!(
            link.ca_file.as_deref(),
            Some(Path::new("/st/config/tinh.pem"))
        );
        assert_eq!(link.heartbeat, Duration::from_secs(60));
        assert_eq!(link.batch, 500);
        assert_eq!(parse("").expect("valid").province, None);
        // The inbox alone sends nothing.
        let c = parse("\n[province]\ninbox = \"../inbox\"\n").expect("valid");
        assert_eq!(c.province, None);
    }

    #[test]
    fn mistakes_are_found_at_their_place_without_the_password() {
        for (extra, line, col, words) in [
            (
                format!("\n[province]\nurl = \"{URL}\"\n"),
                9,
                1,
                "station_code",
            ),
            (
                "\n[province]\nstation_code = \"ba-to\"\n".to_string(),
                9,
                1,
                "url",
            ),
            (
                format!("\n[province]\nurl = \"{URL}\"\nstation_code = \"Ba Tơ\"\n"),
                11,
                16,
                "Ba Tơ",
            ),
            (
                "\n[province]\nurl = \"http://a:pw@h/d\"\nstation_code = \"ba-to\"\n".to_string(),
                10,
                7,
                "postgres://",
            ),
            (
                format!(
                    "\n[province]\nurl = \"{URL}\"\nstation_code = \"ba-to\"\nheartbeat = \"2s\"\n"
                ),
                12,
                13,
                "heartbeat",
            ),
            (
                format!("\n[province]\nurl = \"{URL}\"\nstation_code = \"ba-to\"\nbatch = 0\n"),
                12,
                9,
                "batch",
            ),
        ] {
            let e = parse(&extra).expect_err(&extra);
            let d = &e.diagnostics[0];
            let said = d.render(crate::words::Lang::En);
            assert_eq!((d.line, d.column), (line, col), "{extra}: {said}");
            assert!(said.contains(words), "{extra}: {said}");
            assert!(!said.contains(":pw@"), "{said}");
        }
    }
}
