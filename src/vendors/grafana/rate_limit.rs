//! Grafana's rendering of the shared rate limiter: the access-policy and
//! token endpoints admit 600 requests per hour per bearer token (Grafana's
//! documented limit; the scenario or `/__admin/rate-limits` may change it),
//! then answer 429 `{"code": "TooManyRequests", ...}` with `Retry-After`.
//! Only tokens and org API keys the world knows are counted: an unknown one
//! is refused (401) by the handler and leaves nothing behind.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::errors::GrafanaError;
use crate::core::http::scheme_credential;
use crate::core::rate_limit::Decision;
use crate::core::store::Store;
use crate::core::world::World;

/// The limiter's name for Grafana's windows.
pub const VENDOR: &str = "grafana";

/// Counts a request to the access-policy API and answers its 429 when it
/// is over the limit. Asked by the API's extractor (`extract::Authorized`,
/// for every API marked `RATE_LIMITED`) before anything else: not a layer
/// around the routes, which every request would pay a level of for.
pub fn refusal(store: &Store, world: &World, headers: &HeaderMap) -> Option<Response> {
    let decision = count(store, world, headers)?;
    let body = GrafanaError::too_many_requests(format!(
        "Too many requests: the limit is {} requests per {} seconds ({}); retry in {} seconds",
        decision.limit, decision.period_seconds, decision.name, decision.reset_seconds
    ));
    Some(crate::vendors::refusal(
        &decision,
        body.into_response(),
        true,
    ))
}

/// Counts the request under Grafana's rules, by its bearer token, and
/// tells the refusal if it is over a limit; `None` when it is let through
/// or not counted: without a bearer token or with one the world does not
/// know, it is refused (401) before it can count.
fn count(store: &Store, world: &World, headers: &HeaderMap) -> Option<Decision> {
    let token = scheme_credential(headers, "bearer")?;
    let grafana = world.sections.grafana();
    if !grafana.knows_secret(token) {
        return None;
    }
    store
        .rate_limits
        .refusal(VENDOR, &grafana.rate_limits, token, world.clock.now())
}
