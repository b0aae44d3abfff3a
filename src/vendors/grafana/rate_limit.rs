//! Grafana's rendering of the shared rate limiter: the access-policy and
//! token endpoints admit 600 requests per hour per bearer token (Grafana's
//! documented limit; the scenario or `/__admin/rate-limits` may change it),
//! then answer 429 `{"code": "TooManyRequests", ...}` with `Retry-After`.
//! Only tokens and org API keys the world knows are counted: an unknown one
//! is refused (401) by the handler and leaves nothing behind.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use tower::{Layer, Service};

use super::errors::GrafanaError;
use crate::core::http::scheme_credential;
use crate::core::rate_limit::Decision;
use crate::core::store::Store;

/// The limiter's name for Grafana's windows.
pub const VENDOR: &str = "grafana";

/// Counts every request to the routes it is put on, and refuses those over
/// the limit before their handler runs. A plain layer, not a middleware
/// function: it runs on every access-policy request, and answers what it
/// lets through with the handler's own future.
#[derive(Debug, Clone)]
pub struct Enforce {
    store: Arc<Store>,
}

impl Enforce {
    pub fn new(store: Arc<Store>) -> Self {
        Enforce { store }
    }
}

impl<S> Layer<S> for Enforce {
    type Service = Enforced<S>;

    fn layer(&self, inner: S) -> Enforced<S> {
        Enforced {
            inner,
            store: self.store.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Enforced<S> {
    inner: S,
    store: Arc<Store>,
}

impl<S> Service<Request> for Enforced<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match count(&self.store, &request) {
            Some(decision) if !decision.allowed => {
                let body = GrafanaError::too_many_requests(format!(
                    "Too many requests: the limit is {} requests per {} seconds ({}); retry in {} seconds",
                    decision.limit, decision.period_seconds, decision.name, decision.reset_seconds
                ));
                Either::Left(ready(Ok(crate::vendors::refusal(
                    &decision,
                    body.into_response(),
                    true,
                ))))
            }
            // The service made ready answers it.
            _ => Either::Right(self.inner.call(request)),
        }
    }
}

/// Counts the request under Grafana's rules, by its bearer token; `None`
/// when it is not counted: without a bearer token or with one the world
/// does not know, it is refused (401) before it can count.
fn count(store: &Store, request: &Request) -> Option<Decision> {
    let token = scheme_credential(request.headers(), "bearer")?;
    let world = store.read();
    let grafana = world.sections.grafana();
    if !grafana.knows_secret(token) {
        return None;
    }
    store
        .rate_limits
        .check_all(VENDOR, &grafana.rate_limits, token, world.clock.now())
}
