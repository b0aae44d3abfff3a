//! Datadog Usage Metering, served under `/api/v1/usage` and `/api/v2/usage`
//! as on api.datadoghq.com.

pub mod errors;
mod extract;
mod rate_limit;

use axum::Router;
use axum::middleware;

use crate::app::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        // Every Datadog answer carries the rate-limit headers, 429s included.
        .layer(middleware::from_fn_with_state(state, rate_limit::enforce))
}
