//! What every Gcore handler does first: who is calling
//! (`Authorization: APIKey <key>`, the scheme word in any case, as Gcore's
//! docs write it both `APIKey` and `apikey`), and the JSON body parsed
//! into the request the endpoint wants.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::errors::GcoreError;
use crate::core::http::{BodyError, json_body, scheme_credential};
use crate::core::store::Store;

/// A caller holding one of the scenario's Gcore API keys.
#[derive(Debug, Clone, Copy)]
pub struct Caller;

impl FromRequestParts<Arc<Store>> for Caller {
    type Rejection = GcoreError;

    async fn from_request_parts(parts: &mut Parts, store: &Arc<Store>) -> Result<Self, GcoreError> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Err(GcoreError::not_authenticated());
        }
        let key = scheme_credential(&parts.headers, "apikey").ok_or_else(|| {
            GcoreError::authentication_failed(
                "Invalid Authorization header: send 'APIKey <your API token>'",
            )
        })?;
        store.read().sections.gcore().authenticate(key)?;
        Ok(Caller)
    }
}

/// A refused request body, in Gcore's words.
impl From<BodyError> for GcoreError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => GcoreError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "request body too large",
            ),
            BodyError::Invalid(message) => GcoreError::validation(message),
        }
    }
}

/// A request as an endpoint wants it, from the JSON body it was sent as.
pub trait FromBody: Sized {
    /// The body as sent; a wrong field is named in the 400.
    type Sent: DeserializeOwned;

    fn from_body(sent: Self::Sent) -> Result<Self, GcoreError>;
}

/// The request's JSON body, parsed and validated as `T` (after the caller
/// is authenticated: the body is read last).
pub struct Body<T>(pub T);

impl<T: FromBody> FromRequest<Arc<Store>> for Body<T> {
    type Rejection = GcoreError;

    async fn from_request(request: Request, store: &Arc<Store>) -> Result<Self, GcoreError> {
        let body = Bytes::from_request(request, store).await;
        Ok(Body(T::from_body(json_body(body)?)?))
    }
}
