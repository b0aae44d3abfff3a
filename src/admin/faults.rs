//! `/__admin/faults`: list, add, change, remove and clear the fault rules in
//! force, while the server runs. `POST /__admin/reset` brings back the
//! scenario's rules.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::{AdminError, admin_error};
use crate::core::error::EngineError;
use crate::core::faults::rules::FaultRule;

type AdminResult<T> = Result<Json<T>, (StatusCode, Json<AdminError>)>;

#[derive(Debug, Serialize)]
pub struct FaultList {
    /// What the draws are keyed by, with the request number and rule index.
    seed: u64,
    /// Vendor requests numbered so far (since start or reset).
    requests: u64,
    rules: Vec<FaultRule>,
}

#[derive(Debug, Serialize)]
pub struct Cleared {
    removed: usize,
}

pub async fn list(State(app): State<AppState>) -> Json<FaultList> {
    let faults = &app.engine.faults;
    Json(FaultList {
        seed: faults.seed(),
        requests: faults.requests_seen(),
        rules: faults.rules().to_vec(),
    })
}

pub async fn get(State(app): State<AppState>, Path(id): Path<String>) -> AdminResult<FaultRule> {
    app.engine.faults.get(&id).map(Json).map_err(refused)
}

/// Appends a rule (evaluated after the others); answers it with its id.
pub async fn add(
    State(app): State<AppState>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<FaultRule>), (StatusCode, Json<AdminError>)> {
    let rule = parse(&bytes)?;
    let added = app.engine.faults.add(rule).map_err(refused)?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Replaces a rule whole, keeping its id and its place in the order.
pub async fn change(
    State(app): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AdminResult<FaultRule> {
    let rule = parse(&bytes)?;
    app.engine
        .faults
        .replace(&id, rule)
        .map(Json)
        .map_err(refused)
}

pub async fn remove(State(app): State<AppState>, Path(id): Path<String>) -> AdminResult<FaultRule> {
    app.engine.faults.remove(&id).map(Json).map_err(refused)
}

pub async fn clear(State(app): State<AppState>) -> Json<Cleared> {
    let removed = app.engine.faults.rules().len();
    app.engine.faults.clear();
    Json(Cleared { removed })
}

fn parse(bytes: &[u8]) -> Result<FaultRule, (StatusCode, Json<AdminError>)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| admin_error(StatusCode::BAD_REQUEST, "the body is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(admin_error(
            StatusCode::BAD_REQUEST,
            "request body is required: send a fault rule as JSON",
        ));
    }
    let rule = FaultRule::from_json_str(text, "rule")
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    crate::vendors::check_fault_vendors(std::slice::from_ref(&rule), "rule")
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(rule)
}

fn refused(error: EngineError) -> (StatusCode, Json<AdminError>) {
    let status = match error {
        EngineError::NotFound(_) => StatusCode::NOT_FOUND,
        EngineError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    admin_error(status, error.to_string())
}
