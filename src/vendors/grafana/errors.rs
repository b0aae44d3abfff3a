//! Grafana Cloud's error body, rendered in one place: `{"code": "NotFound",
//! "message": "...", "statusCode": 404, "requestId": "..."}`, the four fields
//! the `ErrorPayload` of Grafana's published `openapi.json` requires
//! (`requestId` is the request's `X-Request-Id`, see `crate::core::request_id`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::error::EngineError;
use crate::core::http::BodyError;
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
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
            StatusCode::REQUEST_TIMEOUT => "RequestTimeout",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
            StatusCode::URI_TOO_LONG => "URITooLong",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            StatusCode::UNPROCESSABLE_ENTITY => "UnprocessableEntity",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "RequestHeaderFieldsTooLarge",
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

/// Which of Grafana's APIs an endpoint belongs to, and so how its errors
/// read: each endpoint's scope marker ([`super::scopes::Scope::Api`]) names
/// it, and its handler returns `Result<_, <Api>::Error>`, so every error
/// converted with `?` is rendered the API's way and no call site chooses.
pub trait Api: Send + Sync + 'static {
    type Error: From<GrafanaError> + From<EngineError> + From<BodyError> + IntoResponse + Send;
    /// Whether Grafana rate-limits the API's requests per token
    /// (`super::rate_limit`): counted before anything else is checked.
    const RATE_LIMITED: bool = false;
}

/// The access-policy and token API (`/api/v1/...`): invalid arguments
/// are 400 `BadRequest`.
pub enum AccessPolicyApi {}

impl Api for AccessPolicyApi {
    type Error = GrafanaError;
    const RATE_LIMITED: bool = true;
}

/// The instance, org and plugin endpoints (GCOM): invalid or missing
/// arguments are 409 "Invalid arguments: ..." (Grafana's published spec,
/// `ErrorConflict`), where the access-policy API answers 400.
pub enum Gcom {}

impl Api for Gcom {
    type Error = GcomError;
}

/// An error of a GCOM endpoint: a 400 becomes 409 "Invalid arguments: ...",
/// any other status is kept.
#[derive(Debug)]
pub struct GcomError(GrafanaError);

impl From<GrafanaError> for GcomError {
    fn from(error: GrafanaError) -> Self {
        if error.status == StatusCode::BAD_REQUEST {
            GcomError(GrafanaError::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!("Invalid arguments: {}", error.body.message),
            ))
        } else {
            GcomError(error)
        }
    }
}

impl From<EngineError> for GcomError {
    fn from(error: EngineError) -> Self {
        GrafanaError::from(error).into()
    }
}

impl From<BodyError> for GcomError {
    fn from(error: BodyError) -> Self {
        GrafanaError::from(error).into()
    }
}

impl IntoResponse for GcomError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// A refused request body, in Grafana's words.
impl From<BodyError> for GrafanaError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => GrafanaError::payload_too_large(format!(
                "request body larger than {} bytes",
                crate::core::http::MAX_BODY_BYTES
            )),
            BodyError::Invalid(message) => GrafanaError::bad_request(message),
        }
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
        let message = self.body.message.clone();
        let payload = ErrorPayload {
            code: self.body.code,
            message: self.body.message,
            status_code: self.status.as_u16(),
            request_id: request_id::current(),
        };
        crate::core::refused::mark((self.status, Json(payload)).into_response(), &message)
    }
}
