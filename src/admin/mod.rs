//! `/__admin`: mockcloud's own endpoints, off every vendor's paths.

pub mod capture;
mod clock;
mod faults;
pub mod guard;
pub mod journal;
pub mod metrics;
mod openapi;
mod rate_limits;
mod scenarios;
mod state;
pub(crate) mod token;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::core::clock::timestamp;
use crate::engine::Engine;

/// What the admin API and the journal reach: the engine (to reset, load,
/// export and import), the journal, the metrics and the admin token.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// What was asked and answered; not part of the world, so reset keeps it.
    pub journal: Arc<journal::Journal>,
    pub metrics: Arc<metrics::Metrics>,
    /// Whole exchanges, while the console's live view watches.
    pub captures: Arc<capture::Captures>,
    /// Wanted on `/__admin` (but health) when set.
    pub admin_token: Option<Arc<str>>,
    /// The names `/__admin` (but health) answers to (see `guard`).
    pub hosts: Arc<guard::Hosts>,
}

/// How the admin side runs (from `Config`).
#[derive(Debug, Clone)]
pub struct Options {
    /// Required on every endpoint but health, when set.
    pub token: Option<String>,
    /// The journal, made by `MockCloud::start`, which keeps a handle on it.
    pub journal: Arc<journal::Journal>,
    /// The server's own names, for the Host and Origin checks.
    pub hosts: guard::Hosts,
}

/// The admin API's routes. (The console's, under the same guards, are a
/// router of their own: `crate::console::routes`.)
pub fn routes(state: AppState) -> Router<AppState> {
    protected_routes()
        // One layer for the three guards (`guard::admin_api`).
        .route_layer(middleware::from_fn_with_state(state, guard::admin_api))
        // Health is exempt from all three: container health checks send
        // no token and whatever Host their probe uses.
        .route("/__admin/health", get(health))
}

fn protected_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/__admin/journal",
            get(journal::list).delete(journal::clear),
        )
        .route("/__admin/metrics", get(metrics::get))
        .route("/__admin/rate-limits", get(rate_limits::list))
        .route(
            "/__admin/rate-limits/{vendor}",
            axum::routing::put(rate_limits::replace).delete(rate_limits::clear),
        )
        .route("/__admin/reset", post(reset))
        .route(
            "/__admin/scenario",
            post(scenarios::load).layer(axum::extract::DefaultBodyLimit::max(
                scenarios::MAX_SCENARIO_BYTES,
            )),
        )
        .route(
            "/__admin/state",
            get(state::export)
                .put(state::import)
                .post(state::import)
                .layer(axum::extract::DefaultBodyLimit::max(state::MAX_STATE_BYTES)),
        )
        .route("/__admin/openapi/{file}", get(openapi::document))
        .route("/__admin/clock", get(clock::read))
        .route("/__admin/clock/freeze", post(clock::freeze))
        .route("/__admin/clock/advance", post(clock::advance))
        .route("/__admin/clock/resume", post(clock::resume))
        .route("/__admin/clock/real", post(clock::real))
        .route(
            "/__admin/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route(
            "/__admin/faults/{id}",
            get(faults::get)
                .put(faults::change)
                .post(faults::change)
                .delete(faults::remove),
        )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: &'static str,
    version: &'static str,
    scenario: String,
    seed: u64,
    started_at: String,
    now: String,
    /// What each vendor adds (Datadog: `datadogCatalog`, the official
    /// client whose catalogue of products mockcloud follows).
    #[serde(flatten)]
    vendors: serde_json::Map<String, serde_json::Value>,
}

async fn health(State(app): State<AppState>) -> Json<Health> {
    let engine = &app.engine;
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        scenario: engine.scenario().name.clone(),
        seed: engine.seed(),
        started_at: timestamp(engine.started_at()),
        now: timestamp(engine.clock().now()),
        vendors: crate::vendors::ALL
            .iter()
            .flat_map(|vendor| vendor.health())
            .map(|(key, value)| (key.to_string(), value.into()))
            .collect(),
    })
}

#[derive(Debug, Serialize)]
struct ResetDone {
    status: &'static str,
    scenario: String,
}

/// The admin API's error body: `{"error": "..."}`.
#[derive(Debug, Serialize)]
pub(crate) struct AdminError {
    error: String,
}

pub(crate) fn admin_error(
    status: StatusCode,
    error: impl Into<String>,
) -> (StatusCode, Json<AdminError>) {
    (
        status,
        Json(AdminError {
            error: error.into(),
        }),
    )
}

async fn reset(
    State(app): State<AppState>,
) -> Result<Json<ResetDone>, (StatusCode, Json<AdminError>)> {
    // The scenario loaded at start-up; only a bug makes it fail now. A
    // large world takes a while to build: on the blocking pool.
    let engine = app.engine.clone();
    crate::vendors::off_the_workers(move || engine.reset())
        .await
        .map_err(|e| admin_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(ResetDone {
        status: "reset",
        scenario: app.engine.scenario().name.clone(),
    }))
}
