//! The axum application: every vendor's routes on one router, plus `/__admin`.
//!
//! What every request goes through is layered once, around the router, not
//! around each of its routes: axum clones a route's whole stack of layers on
//! every call, so a layer added per route costs every layer beneath it an
//! allocation on every request. Per route there are only the fault layer
//! (which also tells the front the route matched: `core::operation`) and
//! each vendor's own layers (`VendorApi::wrap`, on the router of the
//! requests it owns).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use serde_json::json;
use tower::{Layer, Service};

pub mod connections;
mod fault_layer;
mod threads;

use crate::admin::capture::Capture;
use crate::admin::journal::{Observed, vendor_of};
use crate::admin::{self, AppState};
use crate::core::store::Store;
use crate::engine::Engine;
use crate::vendors;
use fault_layer::FaultLayer;

pub use crate::core::http::MAX_BODY_BYTES;

pub fn router(engine: Arc<Engine>, options: admin::Options) -> App {
    let state = AppState {
        engine,
        journal: options.journal,
        metrics: Arc::default(),
        captures: Arc::default(),
        admin_token: options.token.map(Arc::from),
        hosts: Arc::new(options.hosts),
    };
    let store = state.engine.store();
    // Around the faults and the fallbacks, what a vendor marks every
    // answer with (Datadog's rate-limit headers).
    let vendors = vendors::ALL
        .iter()
        .map(|vendor| {
            let app = finish(vendor.routes(store.clone()), store);
            (vendor.name(), Routed::new(vendor.wrap(app, store.clone())))
        })
        .collect();
    let unowned = Routed::new(finish(
        admin::routes(state.clone()).with_state(state.clone()),
        store,
    ));
    App::Front(Front(Arc::new(FrontState {
        vendors,
        console: Console {
            started: Instant::now(),
            routed: OnceLock::new(),
        },
        unowned,
        state,
    })))
}

/// Each owner's requests meet only its own routes (the front picks the
/// router by the path's owner): smaller trees to build at start-up and to
/// match per request. Faults wrap every handler and fallback (the layer
/// passes /__admin through untouched); layers added after it see the
/// `AppliedFault` extension on the responses it altered.
fn finish(app: Router, store: &Arc<Store>) -> Router {
    app.fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(FaultLayer::new(store.clone()))
}

/// The console's router, built when the console is first asked for: most
/// servers never are (tests, sidecars), and building it would cost every
/// start a tenth of a millisecond.
struct Console {
    /// Since when the console's overview counts the uptime.
    started: Instant,
    routed: OnceLock<Routed>,
}

impl Console {
    fn routed(&self, state: &AppState) -> &Routed {
        self.routed.get_or_init(|| {
            let routes = crate::console::routes(state.clone(), self.started);
            Routed::new(finish(
                routes.with_state(state.clone()),
                state.engine.store(),
            ))
        })
    }
}

/// The application as the connections serve it: the front itself (no
/// router around it to pass through on every request), or the front
/// under outer layers ([`App::layered`]).
#[derive(Clone)]
pub enum App {
    Front(Front),
    Layered(Router),
}

impl App {
    /// The application under `layer` (outermost): made a router first.
    pub fn layered(self, layer: impl FnOnce(Router) -> Router) -> App {
        let router = match self {
            App::Front(front) => Router::new().fallback_service(front),
            App::Layered(router) => router,
        };
        App::Layered(layer(router))
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::Either<
        <Front as Service<Request>>::Future,
        <Router as Service<Request>>::Future,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self {
            App::Front(front) => front.poll_ready(cx),
            App::Layered(router) => Service::<Request>::poll_ready(router, cx),
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        use futures_util::future::Either;
        match self {
            App::Front(front) => Either::Left(front.call(request)),
            App::Layered(router) => Either::Right(router.call(request)),
        }
    }
}

/// The router of a vendor's requests (or of the rest), and the same with
/// the body limit, for the requests that have a body (the limit is a
/// request extension: a request without a body is spared making it).
#[derive(Clone)]
struct Routed {
    app: Router,
    limited: <DefaultBodyLimit as Layer<Router>>::Service,
}

impl Routed {
    fn new(app: Router) -> Self {
        Routed {
            limited: DefaultBodyLimit::max(MAX_BODY_BYTES).layer(app.clone()),
            app,
        }
    }

    fn call(&self, request: Request) -> axum::routing::future::RouteFuture<Infallible> {
        if http_body::Body::is_end_stream(request.body()) {
            self.app.clone().call(request)
        } else {
            self.limited.clone().call(request)
        }
    }
}

/// What every request meets first: the journal and the metrics (outermost:
/// they see every answer as sent, faults, rate limits and panics
/// included), then every error put in its owner's shape, then a panic
/// caught (a bug must still answer, 500, never drop the connection), then
/// the router of the path's owner.
#[derive(Clone)]
pub struct Front(Arc<FrontState>);

struct FrontState {
    state: AppState,
    /// By vendor name (vendors are unit types: their addresses can be one).
    vendors: Vec<(&'static str, Routed)>,
    /// `/__admin/ui` and below.
    console: Console,
    /// The rest: `/__admin`, and the paths no one owns.
    unowned: Routed,
}

impl Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let front = self.0.clone();
        Box::pin(async move { Ok(front.answer(request).await) })
    }
}

impl FrontState {
    async fn answer(&self, request: Request) -> Response {
        let path = request.uri().path();
        let owner = vendors::owning(path);
        let console = owner.is_none() && crate::console::owns(path);
        let observed = Observed::start(&self.state, &request, vendor_of(path));
        let (request, capture) = Capture::start(&self.state, &observed, request);
        // What an error answer needs of the request, kept before it goes.
        let uri = request.uri().clone();
        let body_timeout = request
            .extensions()
            .get::<connections::BodyTimeout>()
            .cloned();
        let routed = match owner {
            Some(owner) => self
                .vendors
                .iter()
                .find(|(vendor, _)| *vendor == owner.name())
                .map_or(&self.unowned, |(_, routed)| routed),
            None if console => self.console.routed(&self.state),
            None => &self.unowned,
        };
        let answer = async move {
            let response = AssertUnwindSafe(async move { routed.call(request).await })
                .catch_unwind()
                .await
                .map_or_else(
                    |_| panicked(),
                    |answered| answered.unwrap_or_else(|e| match e {}),
                );
            shape_error(uri.path(), body_timeout, response).await
        };
        let (mut response, operation) = crate::core::request_id::scope(
            observed.request_id().clone(),
            crate::core::operation::scope(answer),
        )
        .await;
        capture.finish(&mut response);
        observed.finish(&self.state, &mut response, operation.as_ref());
        response
    }
}

/// What a request whose handler panicked is answered before its owner's
/// shape is put on it.
fn panicked() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        "Service panicked",
    )
        .into_response()
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
/// not UTF-8 once decoded, a panic, ...) is rendered again with its text as
/// the message. Injected faults are left as they are.
async fn shape_error(
    path: &str,
    body_timeout: Option<connections::BodyTimeout>,
    response: Response,
) -> Response {
    if let Some(timeout) = body_timeout
        && timeout.expired()
        && !response.status().is_success()
    {
        return error_for(
            path,
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "request body not received within {} ms (--body-timeout)",
                timeout.after.as_millis()
            ),
        );
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if is_json
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
    let mut shaped = error_for(path, status, message);
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
        let app = crate::vendors::grafana::routes().with_state(store.clone());
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

    /// A handler that panics is answered 500 in its path owner's shape, and
    /// the journal still sees the request and the route it matched.
    #[tokio::test]
    async fn a_panic_is_answered_and_journaled() {
        use super::{Front, FrontState, Routed, fault_layer};
        use crate::admin::{AppState, guard::Hosts, journal::Journal};

        let engine = Engine::new(Scenario::default_scenario(), None, Clock::default()).unwrap();
        let state = AppState {
            engine: std::sync::Arc::new(engine),
            journal: std::sync::Arc::new(Journal::new(10)),
            metrics: std::sync::Arc::default(),
            captures: std::sync::Arc::default(),
            admin_token: None,
            hosts: std::sync::Arc::new(
                Hosts::new("127.0.0.1:1".parse().unwrap(), "127.0.0.1", &[]).unwrap(),
            ),
        };
        let boom: axum::Router = axum::Router::new().route(
            "/boom/{id}",
            axum::routing::get(|| async {
                if true {
                    panic!("boom");
                }
            }),
        );
        let front = Front(std::sync::Arc::new(FrontState {
            state: state.clone(),
            vendors: Vec::new(),
            console: super::Console {
                started: std::time::Instant::now(),
                routed: std::sync::OnceLock::new(),
            },
            unowned: Routed::new(
                boom.layer(fault_layer::FaultLayer::new(state.engine.store().clone())),
            ),
        }));
        let request = Request::get("/boom/1").body(Body::empty()).unwrap();
        let response = front.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().contains_key("x-request-id"));
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["message"], "Service panicked", "{body}");
        let entries = state.journal.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].status, Some(500));
        assert_eq!(entries[0].operation.as_deref(), Some("/boom/{id}"));
    }
}
