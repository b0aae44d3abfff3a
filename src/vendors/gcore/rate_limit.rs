//! Gcore's rendering of the shared rate limiter: per API key, 429 with
//! Gcore's error body (`"exception_class": "Throttled"`) and `Retry-After`
//! over the limit.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::GcoreError;
use crate::app::AppState;

/// The limiter's name for Gcore's windows.
pub const VENDOR: &str = "gcore";

pub async fn enforce(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // Without a key the request is refused (401) before it can count.
    let Some(key) = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("apikey"))
        .map(|(_, key)| key.trim().to_string())
        .filter(|key| !key.is_empty())
    else {
        return next.run(request).await;
    };
    let (rules, now) = {
        let world = app.engine.read();
        (world.gcore.rate_limits.clone(), world.clock.now())
    };
    match app.engine.rate_limits.check_all(VENDOR, &rules, &key, now) {
        Some(decision) if !decision.allowed => {
            let mut refused = GcoreError::throttled(decision.reset_seconds).into_response();
            refused
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(decision.reset_seconds));
            refused.extensions_mut().insert(decision.as_fault());
            refused
        }
        _ => next.run(request).await,
    }
}
