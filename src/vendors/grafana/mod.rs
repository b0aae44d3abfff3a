//! Grafana Cloud API ("GCOM"), served under `/api` as on grafana.com.

mod access_policies;
mod api;
mod api_keys;
#[doc(hidden)]
pub mod bench;
mod billed_usage;
pub mod errors;
mod extract;
pub mod generate;
pub(crate) mod hosted_grafana;
pub mod model;
mod orgs;
mod pagination;
mod plugins;
pub mod rate_limit;
mod regions;
pub mod scenario;
mod scopes;
pub mod snapshot;
mod stacks;
mod tokens;
pub mod usage;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::core::store::Store;
pub use api::Grafana;

pub(crate) fn routes() -> Router<Arc<Store>> {
    // Added to one router, not merged: merging inserts every route again.
    access_policy_routes(Router::new())
        .route("/api/stack-regions", get(regions::list))
        .route("/api/instances", get(stacks::list_all).post(stacks::create))
        .route(
            "/api/instances/{slug_or_id}",
            get(stacks::get).post(stacks::update).delete(stacks::delete),
        )
        .route("/api/orgs/{org}/instances", get(stacks::list))
        .route("/api/orgs/{org}", get(orgs::get))
        .route(
            "/api/orgs/{org}/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/api/orgs/{org}/api-keys/{name}",
            axum::routing::delete(api_keys::delete),
        )
        .route("/api/orgs/{org}/billed-usage", get(billed_usage::get))
        .route(
            "/api/instances/{slug_or_id}/connections",
            get(hosted_grafana::connections_of),
        )
        .route(
            "/api/instances/{slug_or_id}/restart",
            post(hosted_grafana::restart),
        )
        .route(
            "/api/instances/{slug_or_id}/api/auth/keys",
            post(hosted_grafana::create_api_key),
        )
        .route(
            "/api/instances/{slug_or_id}/datasources",
            get(hosted_grafana::data_sources),
        )
        .route(
            "/api/instances/{slug_or_id}/plugins",
            get(plugins::list).post(plugins::install),
        )
        .route(
            "/api/instances/{slug_or_id}/plugins/{plugin}",
            get(plugins::get)
                .post(plugins::update)
                .delete(plugins::uninstall),
        )
}

/// The access-policy and token endpoints (the ones Grafana rate-limits),
/// added to `router`.
fn access_policy_routes(router: Router<Arc<Store>>) -> Router<Arc<Store>> {
    router
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
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route(
            "/api/v1/tokens/{id}",
            get(tokens::get).post(tokens::update).delete(tokens::delete),
        )
}

pub use crate::core::clock::timestamp;
