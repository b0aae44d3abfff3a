//! The axum application: every vendor's routes on one router, plus `/__admin`.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::state::Engine;
use crate::vendors::grafana::errors::GrafanaError;
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
        .merge(vendors::datadog::routes(state.clone()))
        .merge(vendors::gcore::routes())
        .merge(admin::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A bug must still answer (500), never drop the connection.
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    GrafanaError::method_not_allowed(format!("{method} is not supported on {}", uri.path()))
        .into_response()
}

async fn unknown_route(uri: Uri) -> Response {
    GrafanaError::not_found(format!("no such endpoint: {}", uri.path())).into_response()
}
