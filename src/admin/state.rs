//! `/__admin/state`: the whole world as one JSON document, to export and to
//! import back (`PUT` or `POST`). A bad document is refused whole with where
//! it is wrong, and the world is left as it was.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use crate::snapshot::{self, Snapshot};

/// A whole world is far larger than any vendor request body.
pub const MAX_STATE_BYTES: usize = 512 * 1024 * 1024;

pub async fn export(State(app): State<AppState>) -> Json<Snapshot> {
    Json(app.engine.export())
}

#[derive(Debug, Serialize)]
pub struct Imported {
    status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Refused {
    error: String,
    /// The JSON path of the problem (`grafana.tokens[3].secret`).
    location: String,
}

pub async fn import(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<Json<Imported>, (StatusCode, Json<Refused>)> {
    snapshot::parse(&body)
        .and_then(|snapshot| app.engine.import(snapshot))
        .map_err(|e| {
            let refused = Refused {
                error: format!("invalid state document: {e}"),
                location: e.location,
            };
            (StatusCode::BAD_REQUEST, Json(refused))
        })?;
    Ok(Json(Imported { status: "imported" }))
}
