//! `POST /__admin/scenario`: load another scenario, by built-in name or as a
//! JSON body. It becomes what `reset` returns to; a bad one changes nothing.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::{AdminError, admin_error};
use crate::scenario::{Scenario, ScenarioError};

/// Scenario documents may be far larger than a vendor request.
pub(super) const MAX_SCENARIO_BYTES: usize = 64 * 1024 * 1024;

/// `{"name": "demo"}` or `{"scenario": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoadScenario {
    name: Option<String>,
    scenario: Option<Value>,
}

#[derive(Debug, Serialize)]
pub(super) struct Loaded {
    status: &'static str,
    scenario: String,
}

type Rejection = (StatusCode, Json<AdminError>);

pub(super) async fn load(
    State(app): State<AppState>,
    body: Result<Json<LoadScenario>, JsonRejection>,
) -> Result<Json<Loaded>, Rejection> {
    let Json(request) = body.map_err(|e| bad_request(e.body_text()))?;
    let scenario = match (request.name, request.scenario) {
        (Some(name), None) => Scenario::built_in(&name).map_err(|e| problems(vec![e]))?,
        (None, Some(body)) => parse_body(&body)?,
        _ => {
            return Err(bad_request(
                "give either \"name\" (a built-in scenario) or \"scenario\" (a scenario document)",
            ));
        }
    };
    let name = scenario.name.clone();
    // Building the world is the last check; until it passes nothing
    // changes. A large world takes a while: on the blocking pool.
    let engine = app.engine.clone();
    crate::vendors::off_the_workers(move || engine.load(scenario))
        .await
        .map_err(|e| problems(vec![e]))?;
    Ok(Json(Loaded {
        status: "loaded",
        scenario: name,
    }))
}

/// On failure, every problem the validator finds, not only serde's first.
fn parse_body(body: &Value) -> Result<Scenario, Rejection> {
    Scenario::from_json_value(body.clone()).map_err(|_| {
        let text = body.to_string();
        match Scenario::validate_json_str(&text, "scenario") {
            Err(all) => problems(all),
            Ok(_) => bad_request("scenario: invalid"),
        }
    })
}

fn problems(all: Vec<ScenarioError>) -> Rejection {
    let lines: Vec<String> = all.iter().map(ToString::to_string).collect();
    bad_request(lines.join("; "))
}

fn bad_request(message: impl Into<String>) -> Rejection {
    admin_error(StatusCode::BAD_REQUEST, message)
}
