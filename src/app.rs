//! The axum application: every vendor's routes on one router, plus `/__admin`.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;

use crate::faults::layer::FaultLayer;
use crate::state::Engine;
use crate::vendors::grafana::errors::GrafanaError;
use crate::{admin, vendors};

/// Larger bodies are refused with the vendor's 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// What was asked and answered; not part of the world, so reset keeps it.
    pub journal: Arc<admin::journal::Journal>,
    pub metrics: Arc<admin::metrics::Metrics>,
    /// Wanted on `/__admin` (but health) when set.
    pub admin_token: Option<Arc<str>>,
}

pub fn router(engine: Arc<Engine>, options: admin::Options) -> Router {
    let state = AppState {
        engine,
        journal: Arc::new(admin::journal::Journal::new(options.journal_capacity)),
        metrics: Arc::default(),
        admin_token: options.token.map(Arc::from),
    };
    Router::new()
        .merge(vendors::grafana::routes(state.clone()))
        .merge(vendors::datadog::routes(state.clone()))
        .merge(vendors::gcore::routes(state.clone()))
        .merge(admin::routes(state.clone()))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        // Faults wrap every vendor handler and fallback (the layer passes
        // /__admin through untouched); layers added after this one see the
        // `AppliedFault` extension on the responses it altered.
        .layer(FaultLayer::new(state.engine.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A bug must still answer (500), never drop the connection.
        .layer(CatchPanicLayer::new())
        // Outermost: the journal and the metrics see every answer as sent,
        // faults, rate limits and panics included.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            admin::journal::observe,
        ))
        .with_state(state)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    GrafanaError::method_not_allowed(format!("{method} is not supported on {}", uri.path()))
        .into_response()
}

async fn unknown_route(uri: Uri) -> Response {
    GrafanaError::not_found(format!("no such endpoint: {}", uri.path())).into_response()
}
