//! What every Grafana handler does first: who is calling (bearer token,
//! client address), may they (scope, org), and the request's query and body.

use std::sync::Arc;

use std::net::SocketAddr;
use std::ops::Deref;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::errors::GrafanaError;
use crate::core::error::{EngineError, bad_request};
use crate::core::http::{parse_json_body, scheme_credential};
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::vendors::grafana::model::GrafanaCaller;

/// The authenticated caller of a Grafana endpoint.
pub struct Caller(pub GrafanaCaller);

impl Deref for Caller {
    type Target = GrafanaCaller;
    fn deref(&self) -> &GrafanaCaller {
        &self.0
    }
}

impl FromRequestParts<Arc<Store>> for Caller {
    type Rejection = GrafanaError;

    async fn from_request_parts(
        parts: &mut Parts,
        store: &Arc<Store>,
    ) -> Result<Self, GrafanaError> {
        let unauthorized = |why: &str| EngineError::Unauthorized(why.to_string());
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Err(unauthorized(
                "Login required: send Authorization: Bearer <cloud access policy token>",
            )
            .into());
        }
        let secret = scheme_credential(&parts.headers, "bearer").ok_or_else(|| {
            unauthorized("Invalid credentials: the Authorization header must be 'Bearer <token>'")
        })?;
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        // A read: the token's use is recorded beside the world.
        let caller = store.read().authenticate_grafana(secret, client)?;
        store.note_change();
        Ok(Caller(caller))
    }
}

/// Checks `scope`, parses the query string and checks its `orgId`.
pub fn authorize(
    caller: &Caller,
    scope: &str,
    query: Option<&str>,
) -> Result<QueryParams, GrafanaError> {
    authorize_any(caller, &[scope], query)
}

/// [`authorize`] for an endpoint that any one of `scopes` opens.
pub fn authorize_any(
    caller: &Caller,
    scopes: &[&str],
    query: Option<&str>,
) -> Result<QueryParams, GrafanaError> {
    caller.require_any_scope(scopes)?;
    let params = QueryParams::parse(query)?;
    let org_id = params.parse_with("orgId", |v| v.parse().ok(), "an integer org id")?;
    caller.require_org(org_id)?;
    Ok(params)
}

/// The `region` query parameter (empty when absent: the engine refuses it).
pub fn region(params: &QueryParams) -> &str {
    params.get("region").unwrap_or("")
}

/// Parses the body once the caller is known to be allowed to send it.
pub fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, GrafanaError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            GrafanaError::payload_too_large(format!(
                "request body larger than {} bytes",
                crate::server::MAX_BODY_BYTES
            ))
        } else {
            GrafanaError::bad_request(rejection.body_text())
        }
    })?;
    parse_json_body(&bytes).map_err(GrafanaError::bad_request)
}

/// The path's parameters, like axum's `Path`, but a parameter that is not
/// UTF-8 once percent-decoded (`/api/instances/%FF`) names nothing that
/// could exist: 404 in Grafana's error body, not axum's plain-text 400.
pub struct Path<T>(pub T);

impl<T> FromRequestParts<Arc<Store>> for Path<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = GrafanaError;

    async fn from_request_parts(
        parts: &mut Parts,
        store: &Arc<Store>,
    ) -> Result<Self, GrafanaError> {
        match axum::extract::Path::<T>::from_request_parts(parts, store).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(GrafanaError::not_found(format!(
                "Not found: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// A path id that must be a UUID.
pub fn path_uuid(raw: &str, what: &str) -> Result<Uuid, GrafanaError> {
    Uuid::parse_str(raw)
        .map_err(|_| bad_request(format!("{what} must be a UUID, got {raw:?}")).into())
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
