//! The tower layer that injects faults around the vendors' handlers: it
//! numbers each request, asks the rules what it meets, and then waits,
//! answers with the vendor's own error, drops the connection, or dribbles
//! the body. `server::router` puts it around every route; `/__admin` passes
//! through untouched.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tower::{Layer, Service};

use crate::core::faults::AppliedFault;
use crate::core::faults::rules::{Dribble, Effect, ErrorFault, RequestFacts};
use crate::core::store::Store;
use crate::vendors;

/// A dribbled body is read whole first; larger bodies than this are sent as is.
const MAX_DRIBBLED_BODY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct FaultLayer {
    store: Arc<Store>,
}

impl FaultLayer {
    pub fn new(store: Arc<Store>) -> Self {
        FaultLayer { store }
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            store: self.store.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FaultService<S> {
    inner: S,
    store: Arc<Store>,
}

type Faulted = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The route's own future when no fault applies (the usual case: nothing
/// boxed), or the faulted answer's.
type ResponseFuture<F> = futures_util::future::Either<F, Faulted>;

impl<S> Service<Request> for FaultService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        use futures_util::future::Either;
        // Innermost around every route: the front learns the route here.
        crate::core::operation::note(&request);
        let path = request.uri().path();
        // Without rules (the usual case) the request is only numbered, and
        // the service made ready answers it at once.
        if path.starts_with("/__admin") || self.store.faults.pass_without_rules() {
            return Either::Left(self.inner.call(request));
        }
        // The ready service answers this request; the clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let vendor = vendors::owning(path);
        let operation = request
            .extensions()
            .get::<MatchedPath>()
            .map(|matched| format!("{} {}", request.method(), matched.as_str()));
        let plan = self.store.faults.plan_next(&RequestFacts {
            vendor: vendor.map(|vendor| vendor.name()),
            method: request.method().as_str(),
            path,
            operation: operation.as_deref(),
        });
        if plan.is_empty() {
            return Either::Left(inner.call(request));
        }
        Either::Right(Box::pin(async move {
            if !plan.latency.is_zero() {
                tokio::time::sleep(plan.latency).await;
            }
            let mut response = match &plan.replacement {
                Some(Effect::Drop) => dropped_connection(),
                Some(Effect::Error(error)) => vendor_error(vendor, error),
                _ => inner.call(request).await?,
            };
            if let Some(dribble) = &plan.dribble {
                response = dribbled(response, dribble).await;
            }
            let (rules, effects): (Vec<_>, Vec<_>) = plan.applied.into_iter().unzip();
            response.extensions_mut().insert(AppliedFault {
                rule: rules.join("+"),
                effect: effects.join("+"),
            });
            Ok(response)
        }))
    }
}

/// A response whose body fails on its first poll: hyper then closes the
/// connection before writing the head, so the client sees no status at all.
fn dropped_connection() -> Response {
    let failing = stream::once(async {
        Err::<Bytes, _>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fault: connection dropped",
        ))
    });
    Body::from_stream(failing).into_response()
}

/// The owning vendor's own error body and retry hint; a plain JSON error on
/// paths no vendor owns.
fn vendor_error(vendor: Option<&dyn vendors::VendorApi>, error: &ErrorFault) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = error.retry_after_seconds.unwrap_or(1);
    match vendor {
        Some(vendor) => vendor.fault_error(status, error.message.as_deref(), retry_after),
        None => super::unowned_error(
            status,
            error
                .message
                .clone()
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("Injected fault").into()),
        ),
    }
}

/// The same body, `chunk_bytes` at a time with `delay_ms` between chunks.
async fn dribbled(response: Response, dribble: &Dribble) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_DRIBBLED_BODY_BYTES).await else {
        return dropped_connection();
    };
    let chunk_bytes = dribble.chunk_bytes.max(1);
    let delay = Duration::from_millis(dribble.delay_ms);
    let chunks = stream::unfold(0usize, move |sent| {
        let bytes = bytes.clone();
        async move {
            if sent >= bytes.len() {
                return None;
            }
            if sent > 0 {
                tokio::time::sleep(delay).await;
            }
            let end = (sent + chunk_bytes).min(bytes.len());
            Some((Ok::<_, Infallible>(bytes.slice(sent..end)), end))
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;
    use crate::core::clock::Clock;
    use crate::engine::Engine;
    use crate::scenario::Scenario;

    async fn through_faults(rules: &str) -> Response {
        let mut scenario = Scenario::default_scenario();
        scenario.faults =
            crate::core::faults::rules::FaultsSpec::from_json_str(rules, "faults").unwrap();
        let engine = Engine::new(scenario, None, Clock::default()).unwrap();
        let handler = tower::service_fn(|_: Request| async {
            Ok::<_, Infallible>("handled".into_response())
        });
        let request = Request::get("/api/v1/accesspolicies")
            .body(Body::empty())
            .unwrap();
        FaultLayer::new(engine.store().clone())
            .layer(handler)
            .oneshot(request)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn every_altered_response_says_which_rules_did_what() {
        let response = through_faults(
            r#"[{"id": "slow", "continue": true, "effect": {"latency": {"fixed_ms": 1}}},
                {"id": "down", "effect": {"error": {"status": 503}}}]"#,
        )
        .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.extensions().get::<AppliedFault>(),
            Some(&AppliedFault {
                rule: "slow+down".into(),
                effect: "latency+error".into()
            })
        );
        let dropped = through_faults(r#"[{"effect": "drop"}]"#).await;
        assert_eq!(
            dropped
                .extensions()
                .get::<AppliedFault>()
                .map(|f| f.effect.as_str()),
            Some("drop")
        );
        let untouched = through_faults(r#"[{"vendor": "gcore", "effect": "drop"}]"#).await;
        assert!(untouched.extensions().get::<AppliedFault>().is_none());
    }
}
