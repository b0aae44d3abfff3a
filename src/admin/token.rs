//! The admin token: when the server is started with one (`--admin-token`,
//! `MOCKCLOUD_ADMIN_TOKEN`, `Config::with_admin_token`), every `/__admin`
//! endpoint but `health` wants it as `Authorization: Bearer TOKEN` or
//! `X-Admin-Token: TOKEN` (or the console's `mockcloud_admin` cookie, set
//! by its login form: HttpOnly, SameSite=Strict), and answers 401
//! `{"error": ...}` without it.
//! It runs after the Host and Origin checks and before the content-type
//! check (`guard`). An empty token never gets here: `MockCloud::start`
//! refuses it.

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::admin_error;

pub const ADMIN_TOKEN_HEADER: &str = "x-admin-token";

/// The cookie the console's login form sets (`crate::console`).
pub const ADMIN_TOKEN_COOKIE: &str = "mockcloud_admin";

/// 401 (with `WWW-Authenticate`) when a token is set and the request does
/// not present it.
pub fn refusal(app: &AppState, headers: &HeaderMap) -> Option<Response> {
    let expected = app.admin_token.as_deref()?;
    if holds_token(headers, expected) {
        return None;
    }
    let mut refused = admin_error(
        StatusCode::UNAUTHORIZED,
        "admin token required: send Authorization: Bearer <token> or X-Admin-Token: <token>",
    )
    .into_response();
    refused.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mockcloud-admin\""),
    );
    Some(refused)
}

/// Whether a request presents `expected` (in a header or the cookie).
pub fn holds_token(headers: &HeaderMap, expected: &str) -> bool {
    presented(headers).any(|given| same(given.as_bytes(), expected.as_bytes()))
}

/// The tokens a request presents, in either header or the console's cookie.
fn presented(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let header = headers
        .get(ADMIN_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let cookie = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == ADMIN_TOKEN_COOKIE)
        .map(|(_, value)| value.trim());
    bearer.into_iter().chain(header).chain(cookie)
}

/// Equality in time independent of where the first difference is.
pub fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}
