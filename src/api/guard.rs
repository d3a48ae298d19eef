//! The browser guard: what keeps a web page on another site from operating the station
//! through the operator's own browser. Two rules, checked on every request before the token:
//!
//! - **Host** (DNS rebinding): a page on `evil.example` whose name is made to resolve to
//!   127.0.0.1 talks to the daemon "same-origin" from the browser's view; only the `Host`
//!   header tells it apart. So the `Host` must be `localhost`, an IP literal (which no DNS
//!   answer can rebind), or a name listed in `[api] allowed_hosts`. A request without one
//!   (HTTP/1.0) is refused too.
//! - **Cross-site writes** (CSRF): every request that may change something (any method but
//!   GET, HEAD and OPTIONS) is refused when the browser says it comes from another site
//!   (`Sec-Fetch-Site`, `Origin`), and must be one a browser never sends cross-site without
//!   asking first: `Content-Type: application/json` or the [`REQUEST_HEADER`] header (the
//!   page and the CLI send it; uploads are multipart, so they need it). A browser asks with a
//!   CORS preflight, which this server never grants: it answers no `Access-Control-*`.
//!
//! The API's GET routes only read, so a cross-site GET changes nothing, and without CORS
//! its answer is not readable by the page that sent it.

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// The header that marks a request as sent by a program that means it (the page, the CLI,
/// a script): a browser never adds it to a cross-site request without a preflight.
pub const REQUEST_HEADER: &str = "X-Loaxa-Request";

const HOST_HINT: &str = "open the station at http://127.0.0.1:8757/ or http://localhost:8757/ \
     (or its IP address); to use a name on the LAN, add it to [api] allowed_hosts = [\"loa-xa.local\"] \
     in the station config";

const CROSS_SITE_HINT: &str = "only the station's own page may change things: open it at the \
     daemon's address; scripts send no Origin/Sec-Fetch-Site of another site";

const NOT_JSON_HINT: &str = "send the body as JSON with -H 'Content-Type: application/json' \
     (bodyless commands too), or add -H 'X-Loaxa-Request: 1' (uploads)";

pub(super) async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match refusal(&req, &state.api.allowed_hosts) {
        None => next.run(req).await,
        Some(error) => {
            tracing::warn!(
                method = %req.method(),
                path = req.uri().path(),
                reason = %error.error,
                "request refused by the browser guard"
            );
            error.into_response()
        }
    }
}

/// Why `req` is refused, if it is.
fn refusal(req: &Request, allowed_hosts: &[String]) -> Option<ApiError> {
    let headers = req.headers();
    let host = match host_of(req) {
        Ok(host) => host,
        Err(error) => return Some(error),
    };
    if !host_allowed(&host, allowed_hosts) {
        return Some(forbidden(
            format!("this station does not answer to the name `{host}`"),
            HOST_HINT,
        ));
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    cross_site(headers, &host).or_else(|| not_deliberate(headers))
}

fn forbidden(error: String, hint: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, error, Some(hint))
}

/// The request's `Host` (or HTTP/2 authority); each one given must be the same.
fn host_of(req: &Request) -> Result<String, ApiError> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let from_header = match (hosts.next(), hosts.next()) {
        (Some(v), None) => Some(v.to_str().unwrap_or("").trim().to_string()),
        (None, _) => None,
        (Some(_), Some(_)) => {
            return Err(forbidden(
                "the request names several hosts".into(),
                HOST_HINT,
            ));
        }
    };
    let from_uri = req.uri().authority().map(|a| a.as_str().to_string());
    match (from_header, from_uri) {
        (Some(h), Some(u)) if !h.eq_ignore_ascii_case(&u) => Err(forbidden(
            format!("the request names two hosts, `{h}` and `{u}`"),
            HOST_HINT,
        )),
        (Some(h), _) | (None, Some(h)) => Ok(h),
        (None, None) => Err(forbidden(
            "the request names no host (HTTP/1.0 without a Host header)".into(),
            "use HTTP/1.1 (curl, a browser and the loaxa CLI do), which sends Host",
        )),
    }
}

/// `host[:port]` → (lower-case host without brackets or trailing dot, port).
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        (inside, after)
    } else {
        match authority.split_once(':') {
            Some((h, _)) => (h, &authority[h.len()..]),
            None => (authority, ""),
        }
    };
    let port = match port {
        "" => None,
        p => Some(p.strip_prefix(':')?.parse::<u16>().ok()?),
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let name_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    name_ok.then_some((host, port))
}

/// Whether `authority` (a `Host`) names this station: `localhost`, an IP literal, or a name
/// in `allowed` (`name` for any port, `name:port` for that port only).
pub(crate) fn host_allowed(authority: &str, allowed: &[String]) -> bool {
    let Some((host, port)) = split_authority(authority) else {
        return false;
    };
    if host == "localhost" || host.parse::<IpAddr>().is_ok() {
        return true;
    }
    allowed.iter().any(|entry| match split_authority(entry) {
        Some((name, None)) => name == host,
        Some((name, Some(p))) => name == host && port == Some(p),
        None => false,
    })
}

/// Refuses a request the browser marks as coming from another site or origin.
fn cross_site(headers: &HeaderMap, host: &str) -> Option<ApiError> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("?");
        if !matches!(site, "same-origin" | "none") {
            return Some(forbidden(
                format!(
                    "the browser says this request comes from another site (Sec-Fetch-Site: {site})"
                ),
                CROSS_SITE_HINT,
            ));
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("?");
    (!same_origin(origin, host)).then(|| {
        forbidden(
            format!(
                "this request comes from the page of {origin}, not from the station's own page"
            ),
            CROSS_SITE_HINT,
        )
    })
}

/// Whether the `Origin` `origin` is the origin of the `Host` `host`: same host and port
/// (each scheme's default port when none is written). `null` never is.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    match (split_authority(authority), split_authority(host)) {
        (Some((oh, op)), Some((hh, hp))) => {
            oh == hh && op.unwrap_or(default) == hp.unwrap_or(default)
        }
        _ => false,
    }
}

/// Refuses a write a browser could send cross-site without a preflight (a form, or
/// `fetch` in `no-cors` mode): neither JSON nor carrying [`REQUEST_HEADER`].
fn not_deliberate(headers: &HeaderMap) -> Option<ApiError> {
    if headers.contains_key(REQUEST_HEADER) {
        return None;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return None;
    }
    let what = if content_type.is_empty() {
        "no Content-Type".to_string()
    } else {
        format!("Content-Type `{content_type}`")
    };
    Some(forbidden(
        format!(
            "a request that changes something must be JSON or carry {REQUEST_HEADER}; this one has {what}"
        ),
        NOT_JSON_HINT,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_ip_literals_and_listed_names_are_this_station() {
        let allowed = vec!["loa-xa.local".to_string(), "dai.lan:8757".to_string()];
        for ok in [
            "127.0.0.1:8757",
            "127.0.0.1",
            "localhost",
            "LocalHost:8757",
            "localhost.:8757",
            "[::1]:8757",
            "[::1]",
            "192.168.1.20:8757",
            "loa-xa.local",
            "LOA-XA.local:9000",
            "dai.lan:8757",
        ] {
            assert!(host_allowed(ok, &allowed), "{ok}");
        }
        for refused in [
            "evil.example:8757",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "dai.lan:9000",
            "dai.lan",
            "",
            "::1",
            "[::1",
            "127.0.0.1:99999",
            "127.0.0.1:x",
            "loa xa.local",
            "[evil]:80",
        ] {
            assert!(!host_allowed(refused, &allowed), "{refused}");
        }
    }

    #[test]
    fn origin_is_the_hosts_own_only() {
        assert!(same_origin("http://127.0.0.1:8757", "127.0.0.1:8757"));
        assert!(same_origin("http://LOCALHOST:8757", "localhost:8757"));
        assert!(same_origin("http://loa-xa.local", "loa-xa.local:80"));
        assert!(same_origin("https://loa-xa.example", "loa-xa.example"));
        assert!(!same_origin("http://127.0.0.1:9000", "127.0.0.1:8757"));
        assert!(!same_origin("http://localhost:8757", "127.0.0.1:8757"));
        assert!(!same_origin("null", "127.0.0.1:8757"));
        assert!(!same_origin("http://evil.example:8757", "127.0.0.1:8757"));
        assert!(!same_origin("file://", "127.0.0.1:8757"));
        assert!(!same_origin("https://127.0.0.1:8757", "127.0.0.1"));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn writes_must_be_json_or_marked() {
        assert!(not_deliberate(&headers(&[("content-type", "application/json")])).is_none());
        assert!(
            not_deliberate(&headers(&[(
                "content-type",
                "Application/JSON; charset=utf-8"
            )]))
            .is_none()
        );
        assert!(not_deliberate(&headers(&[("x-loaxa-request", "1")])).is_none());
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            let refused = headers(&[("content-type", ct)]);
            assert!(not_deliberate(&refused).is_some(), "{ct}");
        }
        assert!(not_deliberate(&HeaderMap::new()).is_some());
    }

    #[test]
    fn another_site_is_refused_whatever_it_sends() {
        let host = "127.0.0.1:8757";
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-origin")]), host).is_none());
        assert!(cross_site(&headers(&[("sec-fetch-site", "none")]), host).is_none());
        assert!(cross_site(&HeaderMap::new(), host).is_none());
        for site in ["same-site", "cross-site", "bogus"] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert!(cross_site(&h, host).is_some(), "{site}");
        }
        let other = headers(&[("origin", "http://127.0.0.1:9000")]);
        assert!(cross_site(&other, host).is_some());
        let own = headers(&[("origin", "http://127.0.0.1:8757")]);
        assert!(cross_site(&own, host).is_none());
    }
}
