//! `/__admin`: mockcloud's own endpoints, off every vendor's paths.

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

#[derive(Debug, Serialize)]
struct AdminError {
    error: String,
}

async fn reset(
    State(app): State<AppState>,
) -> Result<Json<ResetDone>, (StatusCode, Json<AdminError>)> {
    app.engine.reset().map_err(|e| {
        // The scenario loaded at start-up; only a bug makes it fail now.
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(AdminError {
                error: e.to_string(),
            }),
        )
    })?;
    Ok(Json(ResetDone {
        status: "reset",
        scenario: app.engine.scenario().name.clone(),
    }))
}
