//! `/__admin/openapi/{vendor}.json`: the OpenAPI 3.1 documents in
//! `openapi/`, describing exactly the surface mockcloud serves.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::admin_error;

const DOCUMENTS: &[(&str, &str)] = &[
    ("datadog.json", include_str!("../../openapi/datadog.json")),
    ("gcore.json", include_str!("../../openapi/gcore.json")),
    ("grafana.json", include_str!("../../openapi/grafana.json")),
];

pub async fn document(Path(file): Path<String>) -> Response {
    match DOCUMENTS.iter().find(|(name, _)| *name == file) {
        Some((_, text)) => ([(header::CONTENT_TYPE, "application/json")], *text).into_response(),
        None => admin_error(
            StatusCode::NOT_FOUND,
            format!(
                "no OpenAPI document {file:?}; there are datadog.json, gcore.json and grafana.json"
            ),
        )
        .into_response(),
    }
}
