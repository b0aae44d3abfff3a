//! What every Gcore handler does first: who is calling
//! (`Authorization: APIKey <key>`, the scheme word in any case, as Gcore's
//! docs write it both `APIKey` and `apikey`), and the JSON body.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::errors::GcoreError;
use crate::core::http::{parse_json_body, scheme_credential};
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

/// The request body as `T`; the error names the offending field.
pub fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, GcoreError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GcoreError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "request body too large",
            )
        } else {
            GcoreError::validation(rejection.body_text())
        }
    })?;
    parse_json_body(&body).map_err(GcoreError::validation)
}
