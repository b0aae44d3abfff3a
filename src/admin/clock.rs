//! `/__admin/clock`: read, freeze, advance and resume the one server clock,
//! so a test can expire a token or cross a month without waiting. The clock
//! shows 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z: a freeze or an
//! advance that would leave that range is refused with 400 and changes
//! nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::{AdminError, admin_error};
use crate::core::clock::timestamp;
use crate::core::http::parse_json_body;

type AdminResult<T> = Result<Json<T>, (StatusCode, Json<AdminError>)>;

#[derive(Debug, Serialize)]
pub struct ClockView {
    now: String,
    frozen: bool,
}

fn view(app: &AppState) -> Json<ClockView> {
    let clock = app.engine.clock();
    Json(ClockView {
        now: timestamp(clock.now()),
        frozen: clock.is_frozen(),
    })
}

/// An optional JSON body: empty means `T::default()`.
fn body<T: for<'de> Deserialize<'de> + Default>(
    bytes: &[u8],
) -> Result<T, (StatusCode, Json<AdminError>)> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json_body(bytes).map_err(|e| admin_error(StatusCode::BAD_REQUEST, e))
}

pub async fn read(State(app): State<AppState>) -> Json<ClockView> {
    view(&app)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    /// The instant to stop at; now when absent.
    at: Option<DateTime<Utc>>,
}

pub async fn freeze(State(app): State<AppState>, bytes: Bytes) -> AdminResult<ClockView> {
    let Freeze { at } = body(&bytes)?;
    app.engine
        .clock()
        .try_freeze(at)
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(view(&app))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// How far to move, in seconds (negative moves back).
    seconds: i64,
}

pub async fn advance(State(app): State<AppState>, bytes: Bytes) -> AdminResult<ClockView> {
    let Advance { seconds } = body(&bytes)?;
    let by = Duration::try_seconds(seconds).ok_or_else(|| {
        admin_error(
            StatusCode::BAD_REQUEST,
            format!("seconds out of range: {seconds}"),
        )
    })?;
    app.engine
        .clock()
        .try_advance(by)
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(view(&app))
}

pub async fn resume(State(app): State<AppState>) -> Json<ClockView> {
    app.engine.clock().resume();
    view(&app)
}

/// Back to real time, from frozen or moved.
pub async fn real(State(app): State<AppState>) -> Json<ClockView> {
    app.engine.clock().real();
    view(&app)
}
