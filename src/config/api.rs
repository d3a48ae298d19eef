//! `[api]`: where the control API listens and who may use it.
//!
//! Only a hash of the access token is kept in the file (`token_sha256`), so the config can
//! be read by anyone on the machine without giving the token away. Listening beyond the
//! machine itself (a non-loopback address) without a token would let anyone on the network
//! stop the station, so it is refused.

use std::net::SocketAddr;

use super::walk::Table;
use super::{ApiConfig, DEFAULT_API_LISTEN, DEFAULT_MAX_UPLOAD_MB, Source};

const API_KEYS: &[&str] = &["listen", "token_sha256", "max_upload_mb"];

const TOKEN_HINT: &str = "choose a token, then write its hash: printf %s 'TOKEN' | sha256sum \
     and put the 64 hex digits in token_sha256 = \"...\"";

/// The defaults, for a file without `[api]`.
pub(super) fn default_api() -> ApiConfig {
    ApiConfig {
        listen: DEFAULT_API_LISTEN,
        token_sha256: None,
        max_upload: DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
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
                src.error(
                    s.span(),
                    format!("listen \"{}\" is not an address:port", s.get_ref()),
                    Some("listen = \"127.0.0.1:8757\" (this machine only) or \"0.0.0.0:8757\" (the network, with a token)".into()),
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
                src.error(
                    s.span(),
                    "token_sha256 must be 64 hex digits (the sha256 of the token, not the token itself)",
                    Some(TOKEN_HINT.into()),
                );
                None
            }
        },
    };
    if ok && token.is_none() && !addr.ip().is_loopback() {
        let span = listen.as_ref().map_or(t.span.clone(), |s| s.span());
        src.error(
            span,
            format!("the API would listen on {addr}, beyond this machine, without a token"),
            Some(format!(
                "add token_sha256 to [api] ({TOKEN_HINT}), or listen on 127.0.0.1"
            )),
        );
        ok = false;
    }
    let hint = format!("max_upload_mb = {DEFAULT_MAX_UPLOAD_MB}");
    let max_upload = match t.integer_in(src, "max_upload_mb", 1..=4096, &hint) {
        None => DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
        Some(Ok(mb)) => u64::try_from(mb).unwrap_or(DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024,
        Some(Err(())) => {
            ok = false;
            0
        }
    };
    ok.then_some(ApiConfig {
        listen: addr,
        token_sha256,
        max_upload,
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
