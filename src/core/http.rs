//! HTTP helpers every vendor's handlers share: the credential of an
//! `Authorization` header, strict JSON bodies, `null`-aware fields, and
//! JSON answers rendered in place.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, BytesMut};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Larger bodies are refused with the vendor's 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The credential of an `Authorization: <scheme> <credential>` header
/// (scheme in any case), if the request has one.
pub fn scheme_credential<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(given, _)| given.eq_ignore_ascii_case(scheme))
        .map(|(_, credential)| credential.trim())
        .filter(|credential| !credential.is_empty())
}

/// Why a request's JSON body was refused; each vendor renders it.
#[derive(Debug)]
pub enum BodyError {
    /// Over the server's body limit.
    TooLarge,
    /// Unreadable or not the expected JSON; the message says why.
    Invalid(String),
}

/// The request body (as axum hands it over) parsed as `T`, strictly
/// ([`parse_json_body`]). Handlers call it once the caller is known to be
/// allowed to send it.
pub fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, BodyError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge
        } else {
            BodyError::Invalid(rejection.body_text())
        }
    })?;
    parse_json_body(&bytes).map_err(BodyError::Invalid)
}

/// Parses a JSON request body; the error names the field that was wrong
/// (`realms[0].type: unknown variant ...`).
pub fn parse_json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("request body is required: send a JSON object".to_string());
    }
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let value =
        serde_path_to_error::deserialize(super::strict_json::Strict(&json)).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                format!("invalid JSON body: {}", e.inner())
            } else {
                format!("invalid JSON body: {path}: {}", e.inner())
            }
        })?;
    Ok(value)
}

/// For fields where `null` means something other than absent: absent gives
/// `None` (with `#[serde(default)]`), `null` gives `Some(None)`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `value` as a JSON answer, as `axum::Json` renders it (`200`,
/// `content-type: application/json`; `500` if it cannot be serialized),
/// serialized now: a view borrowing from the world is rendered while the
/// guard is held. `capacity` is the size the body usually has (the buffer
/// then grows no more).
pub fn json_response<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Response {
    match json_bytes(value, capacity) {
        Ok(body) => json_answer(body),
        Err(e) => unserializable(e),
    }
}

/// `value` serialized, into a buffer of `capacity` bytes to start with.
pub fn json_bytes<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> Result<Bytes, serde_json::Error> {
    let mut body = BytesMut::with_capacity(capacity).writer();
    serde_json::to_writer(&mut body, value)?;
    Ok(body.into_inner().freeze())
}

/// A JSON body already serialized ([`json_bytes`]), as a `200` answer.
pub fn json_answer(body: Bytes) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// What `axum::Json` answers for a value it cannot serialize.
pub fn unserializable(e: serde_json::Error) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        e.to_string(),
    )
        .into_response()
}

/// Serialized as the string its `Display` writes, written in place: derived
/// names, URLs and ids in an answer are never built as `String`s.
#[derive(Debug, Clone, Copy)]
pub struct Text<T>(pub T);

impl<T: std::fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}
