//! Gcore Cloud, served under `/cloud/v1` as on api.gcore.com.

mod api;
pub mod errors;
mod extract;
pub mod model;
pub mod rate_limit;
pub mod scenario;
pub mod snapshot;
pub mod usage;
mod usage_report;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::post;

use crate::core::store::Store;
pub use api::Gcore;

pub(crate) fn routes(store: Arc<Store>) -> Router<Arc<Store>> {
    Router::new()
        .route("/cloud/v1/usage_report", post(usage_report::get))
        .layer(middleware::from_fn_with_state(store, rate_limit::enforce))
}
