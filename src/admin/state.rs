//! `/__admin/state`: the whole world as one JSON document, to export and to
//! import back (`PUT` or `POST`). A bad document is refused whole with where
//! it is wrong, and the world is left as it was.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use crate::snapshot;
use crate::vendors::off_the_workers;

/// A whole world is far larger than any vendor request body.
pub const MAX_STATE_BYTES: usize = 512 * 1024 * 1024;

/// The document is built and written on the blocking pool: a large world
/// takes a while, and other requests go on meanwhile.
pub async fn export(State(app): State<AppState>) -> Response {
    let engine = app.engine.clone();
    let written = off_the_workers(move || serde_json::to_vec(&engine.export())).await;
    match written {
        Ok(bytes) => ([(CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => super::admin_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the state document: {e}"),
        )
        .into_response(),
    }
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
    let engine = app.engine.clone();
    off_the_workers(move || snapshot::parse(&body).and_then(|snapshot| engine.import(snapshot)))
        .await
        .map_err(|e| {
            let refused = Refused {
                error: format!("invalid state document: {e}"),
                location: e.location,
            };
            (StatusCode::BAD_REQUEST, Json(refused))
        })?;
    Ok(Json(Imported { status: "imported" }))
}
