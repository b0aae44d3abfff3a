//! Datadog's error body, rendered in one place: `{"errors": ["..."]}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::error::EngineError;

#[derive(Debug)]
pub struct DatadogError {
    status: StatusCode,
    body: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    errors: Vec<String>,
}

impl DatadogError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        DatadogError {
            status,
            body: ErrorBody {
                errors: vec![message.into()],
            },
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        DatadogError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Datadog's 404 for a path it does not serve: `Not found`, then which.
    pub fn not_found(detail: impl std::fmt::Display) -> Self {
        DatadogError::new(StatusCode::NOT_FOUND, format!("Not found: {detail}"))
    }

    pub fn method_not_allowed(method: &axum::http::Method, path: &str) -> Self {
        DatadogError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method Not Allowed: {method} is not supported on {path}"),
        )
    }

    pub fn too_many_requests() -> Self {
        DatadogError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
    }
}

impl From<EngineError> for DatadogError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::BadRequest(m) => DatadogError::bad_request(m),
            // Datadog answers bad or missing keys with 403, not 401.
            EngineError::Unauthorized(m) | EngineError::Forbidden(m) => {
                DatadogError::new(StatusCode::FORBIDDEN, m)
            }
            EngineError::NotFound(m) => DatadogError::new(StatusCode::NOT_FOUND, m),
            EngineError::Conflict(m) => DatadogError::new(StatusCode::CONFLICT, m),
        }
    }
}

impl IntoResponse for DatadogError {
    fn into_response(self) -> Response {
        let message = self.body.errors.join("; ");
        crate::core::refused::mark((self.status, Json(self.body)).into_response(), &message)
    }
}
