//! `/__admin/rate-limits`: every vendor's rate-limit rules, read and replaced
//! at run time. The rules live in the world, so `POST /__admin/reset` brings
//! back the scenario's; replacing a vendor's rules starts its windows afresh.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::{AdminError, admin_error};
use crate::core::http::parse_json_body;
use crate::core::rate_limit;
use crate::core::world::World;
use crate::scenario::RateLimitSpec;
use crate::vendors;

type AdminResult<T> = Result<Json<T>, (StatusCode, Json<AdminError>)>;

/// The vendor's rules in the world, or the admin API's 404.
fn rules_of<'w>(
    world: &'w mut World,
    vendor: &str,
) -> Result<&'w mut Vec<RateLimitSpec>, (StatusCode, Json<AdminError>)> {
    match vendors::named(vendor) {
        Some(vendor) => Ok(vendor.rate_limits_mut(world)),
        None => Err(admin_error(
            StatusCode::NOT_FOUND,
            format!("no such vendor {vendor:?}: one of {}", vendors::names()),
        )),
    }
}

/// `{"grafana": [...], "datadog": [...], "gcore": [...]}`.
pub async fn list(State(app): State<AppState>) -> Json<BTreeMap<&'static str, Vec<RateLimitSpec>>> {
    let world = app.engine.read();
    Json(
        vendors::ALL
            .iter()
            .map(|vendor| (vendor.name(), vendor.rate_limits(&world).to_vec()))
            .collect(),
    )
}

/// Replaces the vendor's rules with the body's list
/// (`[{"name", "limit", "period_seconds"}]`).
pub async fn replace(
    State(app): State<AppState>,
    Path(vendor): Path<String>,
    bytes: Bytes,
) -> AdminResult<Vec<RateLimitSpec>> {
    let rules: Vec<RateLimitSpec> =
        parse_json_body(&bytes).map_err(|e| admin_error(StatusCode::BAD_REQUEST, e))?;
    rate_limit::validate(&rules).map_err(|(at, problem)| {
        admin_error(
            StatusCode::BAD_REQUEST,
            format!("rate_limits{at}: {problem}"),
        )
    })?;
    set(&app, &vendor, rules)
}

/// No limits for the vendor until the next reset or change.
pub async fn clear(
    State(app): State<AppState>,
    Path(vendor): Path<String>,
) -> AdminResult<Vec<RateLimitSpec>> {
    set(&app, &vendor, Vec::new())
}

fn set(app: &AppState, vendor: &str, rules: Vec<RateLimitSpec>) -> AdminResult<Vec<RateLimitSpec>> {
    let mut world = app.engine.write();
    let current = rules_of(&mut world, vendor)?;
    *current = rules.clone();
    world.changes.set(vendor, "rate_limits", &rules);
    app.engine.rate_limits.clear_vendor(vendor);
    Ok(Json(rules))
}
