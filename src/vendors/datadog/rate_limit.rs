//! Datadog's rendering of the shared rate limiter: `X-RateLimit-Limit`,
//! `-Period`, `-Remaining`, `-Reset` and `-Name` on every answer, and 429
//! `{"errors": ["Too many requests"]}` over the limit. Counted per API key.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::DatadogError;
use super::extract::API_KEY_HEADER;
use crate::app::AppState;
use crate::faults::rate_limit::Decision;

/// The limiter's name for Datadog's windows.
pub const VENDOR: &str = "datadog";

pub async fn enforce(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // Without a key the request is refused (403) before it can count.
    let Some(key) = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return next.run(request).await;
    };
    let shown = app
        .engine
        .count_request(VENDOR, |world| &world.datadog.rate_limits, key);
    let mut response = match &shown {
        // Datadog's 429 carries the X-RateLimit-* headers, not Retry-After.
        Some(decision) if !decision.allowed => {
            decision.refusal(DatadogError::too_many_requests().into_response(), false)
        }
        _ => next.run(request).await,
    };
    if let Some(decision) = shown {
        add_headers(response.headers_mut(), &decision);
    }
    response
}

fn add_headers(headers: &mut HeaderMap, decision: &Decision) {
    let number = |n: u32| HeaderValue::from(n);
    headers.insert("x-ratelimit-limit", number(decision.limit));
    headers.insert("x-ratelimit-period", number(decision.period_seconds));
    headers.insert("x-ratelimit-remaining", number(decision.remaining));
    headers.insert("x-ratelimit-reset", number(decision.reset_seconds));
    if let Ok(name) = HeaderValue::from_str(&decision.name) {
        headers.insert("x-ratelimit-name", name);
    }
}
