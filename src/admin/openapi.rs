//! `/__admin/openapi/{vendor}.json`: the OpenAPI 3.1 documents in
//! `openapi/` (one per vendor in the list), describing exactly the surface mockcloud serves.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::admin_error;
use crate::vendors;

pub async fn document(Path(file): Path<String>) -> Response {
    let vendor = file.strip_suffix(".json").and_then(vendors::named);
    match vendor {
        Some(vendor) => (
            [(header::CONTENT_TYPE, "application/json")],
            vendor.openapi(),
        )
            .into_response(),
        None => {
            let files: Vec<String> = vendors::ALL
                .iter()
                .map(|vendor| format!("{}.json", vendor.name()))
                .collect();
            admin_error(
                StatusCode::NOT_FOUND,
                format!(
                    "no OpenAPI document {file:?}; there are {}",
                    files.join(", ")
                ),
            )
            .into_response()
        }
    }
}
