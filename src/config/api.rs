//! `[api]`: where the control API listens and who may use it.
//!
//! Only a hash of the access token is kept in the file (`token_sha256`), so the config can
//! be read by anyone on the machine without giving the token away. Listening beyond the
//! machine itself (a non-loopback address) without a token would let anyone on the network
//! stop the station, so it is refused.

use std::net::SocketAddr;

use super::walk::Table;
use super::{ApiConfig, DEFAULT_API_LISTEN, DEFAULT_MAX_UPLOAD_MB, Source};
use crate::words::ConfigProblem;

const API_KEYS: &[&str] = &["listen", "token_sha256", "max_upload_mb", "allowed_hosts"];

/// At most this many names in `allowed_hosts`.
const MAX_ALLOWED_HOSTS: usize = 32;

/// The defaults, for a file without `[api]`.
pub(super) fn default_api() -> ApiConfig {
    ApiConfig {
        listen: DEFAULT_API_LISTEN,
        token_sha256: None,
        max_upload: DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
        allowed_hosts: Vec::new(),
    }
}

pub(super) fn api(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<ApiConfig> {
    t.check_keys(src, API_KEYS);
    let mut ok = true;
    let listen = t.string(src, "listen");
    let addr = match &listen {
        None => DEFAULT_API_LISTEN,
        Some(s) => match s.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                ok = false;
                src.problem(
                    s.span(),
                    ConfigProblem::ListenNotAddress {
                        text: s.get_ref().clone(),
                    },
                );
                DEFAULT_API_LISTEN
            }
        },
    };
    let token = t.string(src, "token_sha256");
    let token_sha256 = match &token {
        None => None,
        Some(s) => match parse_sha256(s.get_ref()) {
            Some(h) => Some(h),
            None => {
                ok = false;
                src.problem(s.span(), ConfigProblem::TokenHashNotHex);
                None
            }
        },
    };
    if ok && token.is_none() && !addr.ip().is_loopback() {
        let span = listen.as_ref().map_or(t.span.clone(), |s| s.span());
        let addr = addr.to_string();
        src.problem(span, ConfigProblem::OpenWithoutToken { addr });
        ok = false;
    }
    let max_upload = match t.integer_in(src, "max_upload_mb", 1..=4096) {
        None => DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
        Some(Ok(mb)) => u64::try_from(mb).unwrap_or(DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024,
        Some(Err(())) => {
            ok = false;
            0
        }
    };
    let allowed_hosts = allowed_hosts(src, t, &mut ok);
    ok.then_some(ApiConfig {
        listen: addr,
        token_sha256,
        max_upload,
        allowed_hosts,
    })
}

/// `allowed_hosts = ["loa-xa.local", "dai.lan:8757"]`: the names (with or without a port)
/// the station answers to besides `localhost` and IP addresses; kept in lower case.
fn allowed_hosts(src: &mut Source<'_>, t: &Table<'_, '_>, ok: &mut bool) -> Vec<String> {
    let Some(items) = t.strings(src, "allowed_hosts") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.get_ref().trim();
        if i == MAX_ALLOWED_HOSTS {
            *ok = false;
            let max = MAX_ALLOWED_HOSTS as u64;
            src.problem(item.span(), ConfigProblem::TooManyAllowedHosts { max });
            break;
        }
        if !valid_host_name(name) {
            *ok = false;
            let name = name.to_string();
            src.problem(item.span(), ConfigProblem::NotAHostName { name });
            continue;
        }
        out.push(name.to_ascii_lowercase());
    }
    out
}

/// `name` or `name:port`: DNS labels of letters, digits and `-`, at most 253 characters.
fn valid_host_name(entry: &str) -> bool {
    let (name, port) = match entry.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (entry, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    let name = name.strip_suffix('.').unwrap_or(name);
    port_ok
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// 64 hex digits -> 32 bytes (either case; surrounding spaces tolerated).
pub fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = "[station]\nname = \"X\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\
        [output]\ndevice = \"null\"\n[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\n\
        playlists = []\n[api]\n";

    #[test]
    fn allowed_hosts_are_names_kept_in_lower_case() {
        let text = format!("{BASE}allowed_hosts = [\"Loa-Xa.local\", \"dai.lan:8757\"]\n");
        let c = crate::config::parse(&text, Path::new("/st/config/loaxa.toml")).expect("valid");
        assert_eq!(c.api.allowed_hosts, ["loa-xa.local", "dai.lan:8757"]);
        let none = crate::config::parse(BASE, Path::new("/st/config/loaxa.toml")).expect("valid");
        assert!(none.api.allowed_hosts.is_empty());
    }

    #[test]
    fn a_bad_allowed_host_is_named_at_its_place() {
        let line = BASE.lines().count() + 1;
        for (bad, col) in [
            ("\"http://loa-xa.local/\"", 18),
            ("\"*.lan\"", 18),
            ("\"\"", 18),
            ("\"a b\"", 18),
            ("\"loa-xa.local:0\"", 18),
            ("7", 18),
        ] {
            let text = format!("{BASE}allowed_hosts = [{bad}]\n");
            let err =
                crate::config::parse(&text, Path::new("/st/config/loaxa.toml")).expect_err(bad);
            let d = &err.diagnostics[0];
            assert_eq!((d.line, d.column), (line, col), "{bad}: {d:?}");
            assert!(d.message.contains("allowed_hosts"), "{bad}: {}", d.message);
        }
        let many: Vec<String> = (0..40).map(|i| format!("\"h{i}.lan\"")).collect();
        let text = format!("{BASE}allowed_hosts = [{}]\n", many.join(", "));
        let err =
            crate::config::parse(&text, Path::new("/st/config/loaxa.toml")).expect_err("too many");
        assert!(err.diagnostics[0].message.contains("more than 32"));
    }
}
