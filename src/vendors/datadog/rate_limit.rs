//! Datadog's rendering of the shared rate limiter: `X-RateLimit-Limit`,
//! `-Period`, `-Remaining`, `-Reset` and `-Name` on every answer under
//! Datadog's paths (errors, unknown paths and injected faults included), and
//! 429 `{"errors": ["Too many requests"]}` over the limit. Counted per API
//! key the world knows (an unknown one is refused with 403 and leaves
//! nothing behind); `Datadog::wrap` puts it around the fault layer and the
//! router.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::DatadogError;
use super::extract::API_KEY_HEADER;
use crate::core::rate_limit::Decision;
use crate::core::store::Store;
use crate::vendors;

/// The limiter's name for Datadog's windows.
pub const VENDOR: &str = "datadog";

pub async fn enforce(State(store): State<Arc<Store>>, request: Request, next: Next) -> Response {
    // Outside the fault layer: a refusal here is journaled with its route.
    crate::core::operation::note(&request);
    if vendors::owning(request.uri().path()).map(|vendor| vendor.name()) != Some(VENDOR) {
        return next.run(request).await;
    }
    let key = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    let known = key.filter(|key| store.read().sections.datadog().knows_api_key(key));
    let decision = match known {
        Some(key) => {
            store.count_request(VENDOR, |world| &world.sections.datadog().rate_limits, key)
        }
        // Without a key the world knows the request is refused (403) before
        // it can count; its headers show a fresh window of the first rule.
        None => store
            .read()
            .sections
            .datadog()
            .rate_limits
            .first()
            .map(Decision::fresh),
    }
    .unwrap_or_else(Decision::unlimited);
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        // Datadog's 429 carries the X-RateLimit-* headers, not Retry-After.
        crate::vendors::refusal(
            &decision,
            DatadogError::too_many_requests().into_response(),
            false,
        )
    };
    add_headers(response.headers_mut(), &decision);
    response
}

/// Adds the five headers, keeping any an injected 429 already set (its
/// `Remaining: 0` and `Reset`, which describe the fault, not the window).
fn add_headers(headers: &mut HeaderMap, decision: &Decision) {
    let mut add = |name: &'static str, value: HeaderValue| {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(value);
    };
    add("x-ratelimit-limit", HeaderValue::from(decision.limit));
    add(
        "x-ratelimit-period",
        HeaderValue::from(decision.period_seconds),
    );
    add(
        "x-ratelimit-remaining",
        HeaderValue::from(decision.remaining),
    );
    add(
        "x-ratelimit-reset",
        HeaderValue::from(decision.reset_seconds),
    );
    if let Ok(name) = HeaderValue::from_str(&decision.name) {
        add("x-ratelimit-name", name);
    }
}
