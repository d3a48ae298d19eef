//! The operator's web page (trang điều hành): plain HTML, CSS and one hand-written ES module,
//! embedded in the binary so the page works offline, with no CDN and no build step.
//!
//! The files live in `src/api/web/`; [`ASSETS`] names each with its address and type. They
//! are served without the API token (they hold no station data: the page asks for the token
//! and sends it to `/api/v1`), with a content hash as `ETag` and `Cache-Control: no-cache`,
//! so a browser revalidates cheaply (304) and never runs a page older than the daemon.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

/// One embedded file: (address, content type, bytes).
pub type Asset = (&'static str, &'static str, &'static [u8]);

/// Every embedded file of the page.
pub const ASSETS: &[Asset] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("web/index.html"),
    ),
    (
        "/assets/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("web/app.js"),
    ),
    (
        "/assets/pages.js",
        "text/javascript; charset=utf-8",
        include_bytes!("web/pages.js"),
    ),
    (
        "/assets/i18n.js",
        "text/javascript; charset=utf-8",
        include_bytes!("web/i18n.js"),
    ),
    (
        "/assets/app.css",
        "text/css; charset=utf-8",
        include_bytes!("web/app.css"),
    ),
    (
        "/assets/icon.svg",
        "image/svg+xml",
        include_bytes!("web/icon.svg"),
    ),
];

/// The page may load only its own files and talk only to its own daemon; audio may also come
/// from `blob:` (a segment fetched with the token).
const CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self' blob:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `"<first 16 bytes of sha256, hex>"` per asset, in [`ASSETS`] order.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, _, bytes)| {
            let digest = Sha256::digest(bytes);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            HeaderValue::from_str(&format!("\"{hex}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
        })
        .collect()
});

/// Total bytes of the embedded page.
pub fn embedded_bytes() -> usize {
    ASSETS.iter().map(|(_, _, b)| b.len()).sum()
}

/// The page's routes (no token needed; see the module doc).
pub(super) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new();
    for (i, (path, _, _)) in ASSETS.iter().enumerate() {
        router = router.route(path, get(move |headers: HeaderMap| serve(i, headers)));
    }
    router
}

async fn serve(i: usize, headers: HeaderMap) -> Response {
    let (Some((_, content_type, bytes)), Some(etag)) = (ASSETS.get(i), ETAGS.get(i)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        *bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_distinct_address_and_an_etag() {
        let mut paths: Vec<_> = ASSETS.iter().map(|a| a.0).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), ASSETS.len());
        assert_eq!(ETAGS.len(), ASSETS.len());
        assert!(ASSETS.iter().all(|a| !a.2.is_empty()));
    }

    #[test]
    fn the_page_loads_no_outside_file() {
        for (path, _, bytes) in ASSETS {
            // The SVG's XML namespace is a name, not a fetch.
            let text = String::from_utf8_lossy(bytes).replace("http://www.w3.org/", "");
            for outside in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(outside), "{path} refers to {outside}");
            }
        }
    }
}
