//! The access check: with `[api] token_sha256` set, every request must carry
//! `Authorization: Bearer TOKEN` whose sha256 matches. Compared in constant time, so the
//! answer's timing says nothing about how much of a guess was right. Only `/api/v1` is
//! guarded: the web page's own files carry no station data, and the page must load to ask
//! for the token.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::words::ErrorCode;

pub(super) async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.api.token_sha256 else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path != super::PREFIX && !path.starts_with(&format!("{}/", super::PREFIX)) {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let refusal = match given {
        Some(token) if matches(token.trim(), &expected) => return next.run(req).await,
        Some(_) => ApiError {
            code: Box::new(ErrorCode::TokenWrong),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the access token is wrong",
                Some(
                    "use the token whose sha256 is [api] token_sha256 in the station config (LOAXA_TOKEN or --token)",
                ),
            )
        },
        None => ApiError::coded(StatusCode::UNAUTHORIZED, ErrorCode::TokenMissing),
    };
    // RFC 9110 §11.6.1: a 401 names the scheme it wants.
    let mut response = refusal.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"loaxa\""),
    );
    response
}

/// sha256(token) == expected, in constant time.
pub(crate) fn matches(token: &str, expected: &[u8; 32]) -> bool {
    let digest = Sha256::digest(token.as_bytes());
    digest
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_matches_its_hash_only() {
        // printf %s 'bí mật' | sha256sum
        let hash = sha2::Sha256::digest("bí mật".as_bytes());
        let expected: [u8; 32] = hash.into();
        assert!(super::matches("bí mật", &expected));
        assert!(!super::matches("bi mat", &expected));
        assert!(!super::matches("", &expected));
    }
    use sha2::Digest as _;
}
