//! The axum application: every vendor's routes on one router, plus `/__admin`.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::state::Engine;
use crate::{admin, vendors};

/// Larger bodies are refused with the vendor's 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
}

pub fn router(engine: Arc<Engine>) -> Router {
    let state = AppState { engine };
    Router::new()
        .merge(vendors::grafana::routes())
        .merge(admin::routes())
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A bug must still answer (500), never drop the connection.
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

async fn unknown_route(uri: Uri) -> Response {
    vendors::grafana::errors::GrafanaError::not_found(format!(
        "no such endpoint: {}",
        uri.path()
    ))
    .into_response()
}
