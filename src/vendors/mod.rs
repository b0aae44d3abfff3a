//! One module per vendor: routes in its `mod.rs`, a handler file per
//! resource, and one `errors.rs` that renders the vendor's error bodies.

pub mod datadog;
pub mod gcore;
pub mod grafana;

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// A vendor mockcloud emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Grafana,
    Datadog,
    Gcore,
}

impl Vendor {
    pub const ALL: [Vendor; 3] = [Vendor::Grafana, Vendor::Datadog, Vendor::Gcore];

    /// The one place that says which vendor owns a path: `/api/v1/usage…`
    /// and `/api/v2/usage…` are Datadog's, `/cloud…` Gcore's, the rest of
    /// `/api` Grafana's; anything else (and `/__admin`) no vendor's. The
    /// router's fallbacks, the fault layer, the rate limiters, the journal
    /// and the metrics all ask here.
    pub fn owning(path: &str) -> Option<Vendor> {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '-', '_']))
        };
        if under("/api/v1/usage") || under("/api/v2/usage") {
            Some(Vendor::Datadog)
        } else if under("/cloud") {
            Some(Vendor::Gcore)
        } else if under("/api") {
            Some(Vendor::Grafana)
        } else {
            None
        }
    }

    /// The vendor's name in fault rules, the journal and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Grafana => "grafana",
            Vendor::Datadog => "datadog",
            Vendor::Gcore => "gcore",
        }
    }

    /// The answer to a path under this vendor that no route serves, in the
    /// vendor's own error body.
    pub fn not_found(self, path: &str) -> Response {
        let message = format!("no such endpoint: {path}");
        match self {
            Vendor::Grafana => grafana::errors::GrafanaError::not_found(message).into_response(),
            Vendor::Datadog => datadog::errors::DatadogError::not_found(message).into_response(),
            Vendor::Gcore => gcore::errors::GcoreError::not_found(message).into_response(),
        }
    }

    /// The answer to a method a route of this vendor does not take, in the
    /// vendor's own error body.
    pub fn method_not_allowed(self, method: &Method, path: &str) -> Response {
        match self {
            Vendor::Grafana => grafana::errors::GrafanaError::method_not_allowed(format!(
                "{method} is not supported on {path}"
            ))
            .into_response(),
            Vendor::Datadog => {
                datadog::errors::DatadogError::method_not_allowed(method, path).into_response()
            }
            Vendor::Gcore => gcore::errors::GcoreError::method_not_allowed(method).into_response(),
        }
    }
}

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

/// Parses a JSON request body; the error names the field that was wrong
/// (`realms[0].type: unknown variant ...`).
pub fn parse_json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("request body is required: send a JSON object".to_string());
    }
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let value =
        serde_path_to_error::deserialize(crate::core::strict_json::Strict(&json)).map_err(|e| {
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
