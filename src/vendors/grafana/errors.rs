//! Grafana Cloud's error body, rendered in one place: `{"code": "NotFound",
//! "message": "...", "statusCode": 404, "requestId": "..."}`, the four fields
//! the `ErrorPayload` of Grafana's published `openapi.json` requires
//! (`requestId` is the request's `X-Request-Id`, see `crate::core::request_id`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::error::EngineError;
use crate::core::request_id;

#[derive(Debug)]
pub struct GrafanaError {
    status: StatusCode,
    body: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl GrafanaError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GrafanaError {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
            },
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        GrafanaError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        GrafanaError::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        GrafanaError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        GrafanaError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", message)
    }

    /// Any error status (injected faults): the code is the reason phrase in
    /// the spec's style (`TooManyRequests`, `ServiceUnavailable`).
    pub fn for_status(status: StatusCode, message: impl Into<String>) -> Self {
        let code = match status {
            StatusCode::BAD_REQUEST => "BadRequest",
            StatusCode::UNAUTHORIZED => "InvalidCredentials",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "NotFound",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
            StatusCode::BAD_GATEWAY => "BadGateway",
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
            StatusCode::GATEWAY_TIMEOUT => "GatewayTimeout",
            s if s.is_server_error() => "InternalServerError",
            _ => "BadRequest",
        };
        GrafanaError::new(status, code, message)
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        GrafanaError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", message)
    }
}

/// The instance, org and plugin endpoints answer invalid or missing
/// arguments with 409 "Invalid arguments: ..." (Grafana's published spec,
/// `ErrorConflict`), where the access-policy API answers 400.
pub fn gcom(error: impl Into<GrafanaError>) -> GrafanaError {
    let error = error.into();
    if error.status == StatusCode::BAD_REQUEST {
        GrafanaError::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!("Invalid arguments: {}", error.body.message),
        )
    } else {
        error
    }
}

impl From<EngineError> for GrafanaError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::BadRequest(m) => GrafanaError::bad_request(m),
            EngineError::Unauthorized(m) => {
                GrafanaError::new(StatusCode::UNAUTHORIZED, "InvalidCredentials", m)
            }
            EngineError::Forbidden(m) => GrafanaError::new(StatusCode::FORBIDDEN, "Forbidden", m),
            EngineError::NotFound(m) => GrafanaError::not_found(m),
            EngineError::Conflict(m) => GrafanaError::new(StatusCode::CONFLICT, "Conflict", m),
        }
    }
}

/// What goes on the wire: the body plus the status and the request's id.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorPayload {
    code: &'static str,
    message: String,
    status_code: u16,
    request_id: String,
}

impl IntoResponse for GrafanaError {
    fn into_response(self) -> Response {
        let payload = ErrorPayload {
            code: self.body.code,
            message: self.body.message,
            status_code: self.status.as_u16(),
            request_id: request_id::current(),
        };
        (self.status, Json(payload)).into_response()
    }
}
