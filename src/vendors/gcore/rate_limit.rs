//! Gcore's rendering of the shared rate limiter: per API key, 429 with
//! Gcore's error body (`"exception_class": "Throttled"`) and `Retry-After`
//! over the limit. Only the scenario's keys are counted: an unknown one is
//! refused (401) by the handler and leaves nothing behind.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::GcoreError;
use crate::core::http::scheme_credential;
use crate::core::store::Store;

/// The limiter's name for Gcore's windows.
pub const VENDOR: &str = "gcore";

pub async fn enforce(State(store): State<Arc<Store>>, request: Request, next: Next) -> Response {
    // Without a key the request is refused (401) before it can count.
    let Some(key) = scheme_credential(request.headers(), "apikey") else {
        return next.run(request).await;
    };
    if store.read().sections.gcore().authenticate(key).is_err() {
        return next.run(request).await;
    }
    match store.count_request(VENDOR, |world| &world.sections.gcore().rate_limits, key) {
        Some(decision) if !decision.allowed => crate::vendors::refusal(
            &decision,
            GcoreError::throttled(decision.reset_seconds).into_response(),
            true,
        ),
        _ => next.run(request).await,
    }
}
