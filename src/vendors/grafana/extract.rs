//! What every Grafana handler states in its signature and gets done before
//! it runs: who is calling (bearer token, client address), may they (the
//! scope its [`Scope`] marker names, the `orgId` of the query), and the
//! query parsed into the type it asks for, every error rendered the way the
//! endpoint's API renders it ([`Api`]).

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, RawPathParamsRejection};
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::errors::{Api, GrafanaError};
use super::pagination::page_request;
use super::scopes::Scope;
use crate::core::cursor::Cursor;
use crate::core::error::{EngineError, bad_request};
use crate::core::http::scheme_credential;
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::grafana::model::GrafanaCaller;

/// Who is calling, from the bearer credential and the client's address; the
/// token's use is recorded beside the world, under a read guard.
fn authenticate(parts: &Parts, store: &Store) -> Result<GrafanaCaller, GrafanaError> {
    authenticate_in(parts, store, &store.read())
}

/// [`authenticate`] in a world already held.
fn authenticate_in(
    parts: &Parts,
    store: &Store,
    world: &World,
) -> Result<GrafanaCaller, GrafanaError> {
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
    let (caller, noted) = world.authenticate_grafana(secret, client)?;
    if noted {
        // The state file keeps the token's last use (to the second).
        store.note_change();
    }
    Ok(caller)
}

/// A caller the bearer credential authenticates, whatever its scopes (the
/// region list).
impl FromRequestParts<Arc<Store>> for GrafanaCaller {
    type Rejection = GrafanaError;

    async fn from_request_parts(
        parts: &mut Parts,
        store: &Arc<Store>,
    ) -> Result<Self, GrafanaError> {
        authenticate(parts, store)
    }
}

/// An authenticated caller holding one of `S`'s scopes, acting on its own
/// org (`orgId`), and the query parsed as `Q`; refused in `S`'s API's words.
///
/// In order: 401 without a valid credential, 404 for a path that is not
/// UTF-8 (see [`Path`]), 403 without the scope, the query's own errors, 403
/// for another org's `orgId`, then `Q`'s.
pub struct Authorized<S: Scope, Q = ()> {
    pub caller: GrafanaCaller,
    pub query: Q,
    scope: PhantomData<S>,
}

impl<S, Q> FromRequestParts<Arc<Store>> for Authorized<S, Q>
where
    S: Scope,
    Q: FromQuery + Send,
{
    /// The API's error, or the rate limit's 429 (with its headers).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, store: &Arc<Store>) -> Result<Self, Response> {
        // Counted first, whatever follows: a request over the limit is
        // refused before anything else is said of it.
        let refuse = |error: <S::Api as Api>::Error| error.into_response();
        // One read of the world for both (released before any await).
        let caller = {
            let world = store.read();
            if <S::Api as Api>::RATE_LIMITED
                && let Some(refusal) = super::rate_limit::refusal(store, &world, &parts.headers)
            {
                return Err(refusal);
            }
            authenticate_in(parts, store, &world).map_err(|e| refuse(e.into()))?
        };
        if let Some(not_found) = undecodable_path(parts, store).await {
            return Err(refuse(not_found.into()));
        }
        caller
            .require_any_scope(S::SCOPES)
            .map_err(|e| refuse(e.into()))?;
        let params = QueryParams::parse(parts.uri.query()).map_err(|e| refuse(e.into()))?;
        let org_id = params
            .parse_with("orgId", |v| v.parse().ok(), "an integer org id")
            .map_err(|e| refuse(e.into()))?;
        caller.require_org(org_id).map_err(|e| refuse(e.into()))?;
        let query = Q::from_query(params).map_err(|e| refuse(e.into()))?;
        Ok(Authorized {
            caller,
            query,
            scope: PhantomData,
        })
    }
}

/// A query string as a handler wants it, parsed once the caller may ask.
pub trait FromQuery: Sized {
    fn from_query(params: QueryParams) -> Result<Self, GrafanaError>;
}

/// Nothing beyond `orgId`: the query is otherwise ignored.
impl FromQuery for () {
    fn from_query(_: QueryParams) -> Result<Self, GrafanaError> {
        Ok(())
    }
}

/// The parameters as given, for a handler that reads them against the
/// world (the stack lists, billed usage).
impl FromQuery for QueryParams {
    fn from_query(params: QueryParams) -> Result<Self, GrafanaError> {
        Ok(params)
    }
}

/// The `region` query parameter of the access-policy API (empty when
/// absent: the engine refuses it).
pub struct Region(pub String);

impl FromQuery for Region {
    fn from_query(params: QueryParams) -> Result<Self, GrafanaError> {
        Ok(Region(params.get("region").unwrap_or("").to_string()))
    }
}

/// A list of the access-policy API: its region, its filter `F`, and the
/// page asked for (`pageSize`, `pageCursor`), with the parameters as given
/// for the next page's link.
pub struct ListQuery<F> {
    pub region: String,
    pub filter: F,
    pub cursor: Cursor,
    pub size: usize,
    pub params: QueryParams,
}

/// A list filter read from the query string.
pub trait FromFilter: Sized {
    fn from_filter(params: &QueryParams) -> Result<Self, GrafanaError>;
}

impl<F: FromFilter> FromQuery for ListQuery<F> {
    fn from_query(params: QueryParams) -> Result<Self, GrafanaError> {
        let filter = F::from_filter(&params)?;
        let (cursor, size) = page_request(&params)?;
        Ok(ListQuery {
            region: params.get("region").unwrap_or("").to_string(),
            filter,
            cursor,
            size,
            params,
        })
    }
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
            Err(rejection) => Err(not_found(&rejection)),
        }
    }
}

fn not_found(rejection: &PathRejection) -> GrafanaError {
    GrafanaError::not_found(format!("Not found: {}", rejection.body_text()))
}

/// The 404 of a path parameter that is not UTF-8: answered before the
/// scope is checked, as when the path was read ahead of it.
async fn undecodable_path(parts: &mut Parts, store: &Arc<Store>) -> Option<GrafanaError> {
    // Looked at without copying the parameters; read as text only to say
    // which one is not UTF-8.
    if !matches!(
        RawPathParams::from_request_parts(parts, store).await,
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(_))
    ) {
        // No parameters (a route without any), or all of them readable.
        return None;
    }
    match axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, store).await {
        Err(rejection @ PathRejection::FailedToDeserializePathParams(_)) => {
            Some(not_found(&rejection))
        }
        _ => None,
    }
}

/// A path id that must be a UUID.
pub fn path_uuid(raw: &str, what: &str) -> Result<Uuid, GrafanaError> {
    Uuid::parse_str(raw)
        .map_err(|_| bad_request(format!("{what} must be a UUID, got {raw:?}")).into())
}
