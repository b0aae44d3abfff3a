//! Grafana Cloud API ("GCOM"), served under `/api` as on grafana.com.

mod access_policies;
pub mod errors;
mod extract;
mod pagination;
mod regions;
mod stacks;
mod tokens;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/accesspolicies",
            get(access_policies::list).post(access_policies::create),
        )
        .route(
            "/api/v1/accesspolicies/{id}",
            get(access_policies::get)
                .post(access_policies::update)
                .delete(access_policies::delete),
        )
        .route("/api/stack-regions", get(regions::list))
        .route("/api/instances", post(stacks::create))
        .route(
            "/api/instances/{slug_or_id}",
            get(stacks::get).post(stacks::update).delete(stacks::delete),
        )
        .route("/api/orgs/{org}/instances", get(stacks::list))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route(
            "/api/v1/tokens/{id}",
            get(tokens::get).post(tokens::update).delete(tokens::delete),
        )
}

/// Grafana's timestamp format: `2022-06-08T20:07:21.223Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
