//! Gcore's error body, rendered in one place.
//!
//! Shape from Gcore's REST API docs ("Error handling",
//! gcore.com/docs/developer-tools/rest-api/error-handling): every error is
//! `{"exception_class": ..., "message": ..., "request_id": ...}`; request
//! body problems are `ValidationError` (400), and every authentication
//! failure is 401 ("Authentication credentials were not provided." without a
//! header, `"Bad permanent token: <start of the key>"` for an unknown key). The
//! official SDK only maps status codes to exception types, so it accepts any
//! body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::error::EngineError;
use crate::core::request_id;

#[derive(Debug)]
pub struct GcoreError {
    status: StatusCode,
    body: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    exception_class: &'static str,
    message: String,
    request_id: String,
}

impl GcoreError {
    pub fn new(
        status: StatusCode,
        exception_class: &'static str,
        message: impl Into<String>,
    ) -> Self {
        // The request's own id (its `X-Request-Id`), as in the journal.
        let request_id = request_id::current();
        GcoreError {
            status,
            body: ErrorBody {
                exception_class,
                message: message.into(),
                request_id,
            },
        }
    }

    /// A request body Gcore refuses; `message` names the field.
    pub fn validation(message: impl std::fmt::Display) -> Self {
        GcoreError::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!("Validation Error: {message}"),
        )
    }

    /// No `Authorization` header at all.
    pub fn not_authenticated() -> Self {
        GcoreError::new(
            StatusCode::UNAUTHORIZED,
            "NotAuthenticated",
            "Authentication credentials were not provided.",
        )
    }

    /// Any error status (injected faults), with the matching exception class.
    pub fn for_status(status: StatusCode, message: impl Into<String>) -> Self {
        let exception_class = match status {
            StatusCode::BAD_REQUEST => "ValidationError",
            StatusCode::UNAUTHORIZED => "AuthenticationFailed",
            StatusCode::FORBIDDEN => "ForbiddenError",
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
            StatusCode::REQUEST_TIMEOUT => "RequestTimeout",
            StatusCode::CONFLICT => "ConflictError",
            StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
            StatusCode::URI_TOO_LONG => "RequestURITooLong",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "RequestHeaderFieldsTooLarge",
            StatusCode::TOO_MANY_REQUESTS => "Throttled",
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
            s if s.is_server_error() => "InternalServerError",
            _ => "APIException",
        };
        GcoreError::new(status, exception_class, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        GcoreError::new(StatusCode::NOT_FOUND, "NotFoundError", message)
    }

    /// A method the endpoint does not take, worded as Gcore's framework
    /// (Django REST framework) words it.
    pub fn method_not_allowed(method: &axum::http::Method) -> Self {
        GcoreError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("Method \"{method}\" not allowed."),
        )
    }

    pub fn authentication_failed(message: impl Into<String>) -> Self {
        GcoreError::new(StatusCode::UNAUTHORIZED, "AuthenticationFailed", message)
    }

    /// Over a rate limit (429), worded as Gcore's API framework (Django REST
    /// framework, whose exception names these are) words it.
    pub fn throttled(wait_seconds: u32) -> Self {
        GcoreError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Throttled",
            format!("Request was throttled. Expected available in {wait_seconds} seconds."),
        )
    }
}

impl From<EngineError> for GcoreError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::BadRequest(m) => GcoreError::validation(m),
            EngineError::Unauthorized(m) => GcoreError::authentication_failed(m),
            EngineError::Forbidden(m) => {
                GcoreError::new(StatusCode::FORBIDDEN, "ForbiddenError", m)
            }
            EngineError::NotFound(m) => GcoreError::new(StatusCode::NOT_FOUND, "NotFoundError", m),
            EngineError::Conflict(m) => GcoreError::new(StatusCode::CONFLICT, "ConflictError", m),
        }
    }
}

impl IntoResponse for GcoreError {
    fn into_response(self) -> Response {
        let message = self.body.message.clone();
        crate::core::refused::mark((self.status, Json(self.body)).into_response(), &message)
    }
}
