//! The axum application: every vendor's routes on one router, plus `/__admin`.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;

mod fault_layer;

use crate::engine::Engine;
use crate::vendors::Vendor;
use crate::vendors::grafana::errors::GrafanaError;
use crate::{admin, vendors};
use fault_layer::FaultLayer;

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
        .merge(vendors::datadog::routes())
        .merge(vendors::gcore::routes(state.clone()))
        .merge(admin::routes(state.clone()))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        // Faults wrap every vendor handler and fallback (the layer passes
        // /__admin through untouched); layers added after this one see the
        // `AppliedFault` extension on the responses it altered.
        .layer(FaultLayer::new(state.engine.clone()))
        // Around the faults and the fallbacks, so every answer under
        // Datadog's paths carries its rate-limit headers.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            vendors::datadog::rate_limit::enforce,
        ))
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

/// A known path asked with a method it does not take: the owning vendor's
/// 405 (every route belongs to a vendor or to `/__admin`).
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    match Vendor::owning(path) {
        Some(vendor) => vendor.method_not_allowed(&method, path),
        None => GrafanaError::method_not_allowed(format!("{method} is not supported on {path}"))
            .into_response(),
    }
}

/// A path no route serves: the owning vendor's 404, or a plain JSON 404 for
/// paths no vendor owns.
async fn unknown_route(uri: Uri) -> Response {
    let path = uri.path();
    match Vendor::owning(path) {
        Some(vendor) => vendor.not_found(path),
        None => GrafanaError::not_found(format!("no such endpoint: {path}")).into_response(),
    }
}
