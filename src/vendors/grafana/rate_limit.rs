//! Grafana's rendering of the shared rate limiter: the access-policy and
//! token endpoints admit 600 requests per hour per bearer token (Grafana's
//! documented limit; the scenario or `/__admin/rate-limits` may change it),
//! then answer 429 `{"code": "TooManyRequests", ...}` with `Retry-After`.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::GrafanaError;
use crate::app::AppState;

/// The limiter's name for Grafana's windows.
pub const VENDOR: &str = "grafana";

pub async fn enforce(State(app): State<AppState>, request: Request, next: Next) -> Response {
    // Without a bearer token the request is refused (401) before it can count.
    let Some(token) = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|token| !token.is_empty())
    else {
        return next.run(request).await;
    };
    let (rules, now) = {
        let world = app.engine.read();
        (world.grafana.rate_limits.clone(), world.clock.now())
    };
    match app
        .engine
        .rate_limits
        .check_all(VENDOR, &rules, &token, now)
    {
        Some(decision) if !decision.allowed => {
            let mut refused = GrafanaError::too_many_requests(format!(
                "Too many requests: the limit is {} requests per {} seconds ({}); retry in {} seconds",
                decision.limit, decision.period_seconds, decision.name, decision.reset_seconds
            ))
            .into_response();
            refused
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(decision.reset_seconds));
            refused.extensions_mut().insert(decision.as_fault());
            refused
        }
        _ => next.run(request).await,
    }
}
