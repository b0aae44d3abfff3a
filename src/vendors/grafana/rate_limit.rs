//! Grafana's rendering of the shared rate limiter: the access-policy and
//! token endpoints admit 600 requests per hour per bearer token (Grafana's
//! documented limit; the scenario or `/__admin/rate-limits` may change it),
//! then answer 429 `{"code": "TooManyRequests", ...}` with `Retry-After`.
//! Only tokens and org API keys the world knows are counted: an unknown one
//! is refused (401) by the handler and leaves nothing behind.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::GrafanaError;
use crate::core::http::scheme_credential;
use crate::core::store::Store;

/// The limiter's name for Grafana's windows.
pub const VENDOR: &str = "grafana";

pub async fn enforce(State(store): State<Arc<Store>>, request: Request, next: Next) -> Response {
    // Without a bearer token the request is refused (401) before it can count.
    let Some(token) = scheme_credential(request.headers(), "bearer") else {
        return next.run(request).await;
    };
    if !store.read().sections.grafana().knows_secret(token) {
        return next.run(request).await;
    }
    match store.count_request(VENDOR, |world| &world.sections.grafana().rate_limits, token) {
        Some(decision) if !decision.allowed => {
            let body = GrafanaError::too_many_requests(format!(
                "Too many requests: the limit is {} requests per {} seconds ({}); retry in {} seconds",
                decision.limit, decision.period_seconds, decision.name, decision.reset_seconds
            ));
            crate::vendors::refusal(&decision, body.into_response(), true)
        }
        _ => next.run(request).await,
    }
}
