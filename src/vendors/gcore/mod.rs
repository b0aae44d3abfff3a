//! Gcore Cloud, served under `/cloud/v1` as on api.gcore.com.

pub mod errors;
mod extract;
mod usage_report;

use axum::Router;
use axum::routing::post;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/cloud/v1/usage_report", post(usage_report::get))
}
