//! Gcore Cloud, served under `/cloud/v1` as on api.gcore.com.

pub mod errors;
mod extract;
pub mod model;
pub mod rate_limit;
pub mod usage;
mod usage_report;

use axum::Router;
use axum::middleware;
use axum::routing::post;

use crate::server::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/cloud/v1/usage_report", post(usage_report::get))
        .layer(middleware::from_fn_with_state(state, rate_limit::enforce))
}
