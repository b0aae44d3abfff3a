//! `/__admin`: mockcloud's own endpoints, off every vendor's paths.

mod clock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::app::AppState;
use crate::vendors::grafana::timestamp;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__admin/health", get(health))
        .route("/__admin/reset", post(reset))
        .route("/__admin/clock", get(clock::read))
        .route("/__admin/clock/freeze", post(clock::freeze))
        .route("/__admin/clock/advance", post(clock::advance))
        .route("/__admin/clock/resume", post(clock::resume))
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
    // The scenario loaded at start-up; only a bug makes it fail now.
    app.engine
        .reset()
        .map_err(|e| admin_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(ResetDone {
        status: "reset",
        scenario: app.engine.scenario().name.clone(),
    }))
}
