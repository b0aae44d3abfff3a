//! The axum application: every vendor's routes on one router, plus `/__admin`.

use std::sync::Arc;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;

pub mod connections;
mod fault_layer;

use crate::admin::{self, AppState};
use crate::engine::Engine;
use crate::vendors;
use fault_layer::FaultLayer;

pub use crate::core::http::MAX_BODY_BYTES;

pub fn router(engine: Arc<Engine>, options: admin::Options) -> Router {
    let state = AppState {
        engine,
        journal: options.journal,
        metrics: Arc::default(),
        admin_token: options.token.map(Arc::from),
        hosts: Arc::new(options.hosts),
    };
    let store = state.engine.store().clone();
    let mut app = Router::new();
    for vendor in vendors::ALL {
        app = app.merge(vendor.routes(store.clone()));
    }
    let app = app
        .merge(admin::routes(state.clone()).with_state(state.clone()))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        // Faults wrap every vendor handler and fallback (the layer passes
        // /__admin through untouched); layers added after this one see the
        // `AppliedFault` extension on the responses it altered.
        .layer(FaultLayer::new(store.clone()));
    // Around the faults and the fallbacks, so what a vendor marks every
    // answer with (Datadog's rate-limit headers) is on all of them.
    let app = vendors::ALL
        .iter()
        .fold(app, |app, vendor| vendor.wrap(app, store.clone()));
    app.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A bug must still answer (500), never drop the connection.
        .layer(CatchPanicLayer::new())
        // Every error in its owner's shape, 408 for a body too slow.
        .layer(middleware::from_fn(shape_errors))
        // Outermost: the journal and the metrics see every answer as sent,
        // faults, rate limits and panics included.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            admin::journal::observe,
        ))
        // A line per request on stderr, when the binary writes logs.
        .layer(crate::logs::layer())
}

/// A known path asked with a method it does not take: the owning vendor's
/// 405 (every route belongs to a vendor or to `/__admin`).
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    match vendors::owning(path) {
        Some(vendor) => vendor.method_not_allowed(&method, path),
        None => unowned_error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not supported on {path}"),
        ),
    }
}

/// A path no route serves: the owning vendor's 404, or a plain JSON 404 for
/// paths no vendor owns.
async fn unknown_route(uri: Uri) -> Response {
    let path = uri.path();
    match vendors::owning(path) {
        Some(vendor) => vendor.not_found(path),
        None => unowned_error(StatusCode::NOT_FOUND, format!("no such endpoint: {path}")),
    }
}

/// The answer on a path no vendor owns: a plain JSON error
/// (`{"code": "NotFound", "message": "..."}`), the shape the fault layer
/// uses there too.
pub fn unowned_error(status: StatusCode, message: impl Into<String>) -> Response {
    let code: String = status
        .canonical_reason()
        .unwrap_or("Error")
        .split_whitespace()
        .collect();
    (
        status,
        Json(json!({"code": code, "message": message.into(), "statusCode": status.as_u16()})),
    )
        .into_response()
}

/// An error of any status in the shape of `path`'s owner: the vendor's
/// error body, the admin API's `{"error": ...}`, or [`unowned_error`].
pub fn error_for(path: &str, status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    if path == "/__admin" || path.starts_with("/__admin/") {
        return admin::admin_error(status, message).into_response();
    }
    match vendors::owning(path) {
        Some(vendor) => vendor.error(status, &message),
        None => unowned_error(status, message),
    }
}

/// Bodies of plain-text errors are longer than this only by mistake.
const MAX_PLAIN_ERROR_BYTES: usize = 16 * 1024;

/// Makes every error answer JSON in the shape of the path's owner: a request
/// whose body missed its deadline is answered 408, and an error that is not
/// JSON (axum's extractor rejections: a body over the limit, a path that is
/// not UTF-8 once decoded, ...) is rendered again with its text as the
/// message. Injected faults are left as they are.
async fn shape_errors(request: axum::extract::Request, next: middleware::Next) -> Response {
    let path = request.uri().path().to_string();
    let body_timeout = request
        .extensions()
        .get::<connections::BodyTimeout>()
        .cloned();
    let response = next.run(request).await;
    if let Some(timeout) = body_timeout
        && timeout.expired()
        && !response.status().is_success()
    {
        return error_for(
            &path,
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "request body not received within {} ms (--body-timeout)",
                timeout.after.as_millis()
            ),
        );
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if !(status.is_client_error() || status.is_server_error())
        || is_json
        || response
            .extensions()
            .get::<crate::core::faults::AppliedFault>()
            .is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_PLAIN_ERROR_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => status.canonical_reason().unwrap_or("Error").to_string(),
        text => text.to_string(),
    };
    let mut shaped = error_for(&path, status, message);
    for name in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            shaped.headers_mut().insert(name, value.clone());
        }
    }
    shaped
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::core::clock::Clock;
    use crate::engine::Engine;
    use crate::scenario::Scenario;

    /// An authenticated Grafana read records the token's use without the
    /// world's write lock: it completes while another reader holds the world.
    #[test]
    fn an_authenticated_read_runs_while_the_world_is_held_for_reading() {
        let engine = Engine::new(Scenario::default_scenario(), None, Clock::default()).unwrap();
        let store = engine.store().clone();
        let changes = store.changes();
        let held = store.read();
        let (done, finished) = mpsc::channel();
        let app = crate::vendors::grafana::routes(store.clone()).with_state(store.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let request = Request::get("/api/v1/tokens?region=us")
                .header("authorization", "Bearer mock-grafana-token")
                .body(Body::empty())
                .unwrap();
            let response = runtime.block_on(app.oneshot(request)).unwrap();
            let _ = done.send(response.status());
        });
        let status = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("the read waited for the world's write lock");
        assert_eq!(status, StatusCode::OK);
        drop(held);
        // The use is recorded (and counted, so the state file is saved).
        assert!(store.changes() > changes);
        let world = store.read();
        let grafana = world.sections.grafana();
        let used = grafana
            .tokens
            .values()
            .filter(|t| grafana.token_use.applied(t).last_used_at.is_some())
            .count();
        assert_eq!(used, 1);
    }
}
