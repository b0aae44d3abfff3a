//! The access-policy API's list envelope: `items` and
//! `metadata.pagination` with `pageSize`, `pageCursor` and `nextPage`.

use serde::Serialize;

use super::errors::GrafanaError;
use crate::state::cursor::{Cursor, Page};
use crate::vendors::params::QueryParams;

pub const MAX_PAGE_SIZE: usize = 500;

#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub metadata: ListMetadata,
}

#[derive(Debug, Serialize)]
pub struct ListMetadata {
    pub pagination: Pagination,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page_size: usize,
    /// The cursor of the next page; `null` on the last page.
    pub page_cursor: Option<String>,
    /// The next page's path and query (filters kept); `null` on the last page.
    pub next_page: Option<String>,
}

/// `pageSize` (1–500, default 500) and `pageCursor` (empty: first page).
pub fn page_request(params: &QueryParams) -> Result<(Cursor, usize), GrafanaError> {
    let size = params
        .parse_with(
            "pageSize",
            |v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            },
            "an integer from 1 to 500",
        )?
        .unwrap_or(MAX_PAGE_SIZE);
    let cursor = Cursor::decode(params.get("pageCursor").unwrap_or(""), "pageCursor")?;
    Ok((cursor, size))
}

/// Renders a page; `path` is the list's path as the vendor shows it in
/// `nextPage` (`/v1/accesspolicies`).
pub fn list_response<E, T: From<E>>(
    page: Page<E>,
    page_size: usize,
    path: &str,
    params: &QueryParams,
) -> ListResponse<T> {
    let page_cursor = page.next.map(|cursor| cursor.encode());
    let next_page = page_cursor
        .as_ref()
        .map(|cursor| format!("{path}?{}", params.with("pageCursor", cursor)));
    ListResponse {
        items: page.items.into_iter().map(T::from).collect(),
        metadata: ListMetadata {
            pagination: Pagination {
                page_size,
                page_cursor,
                next_page,
            },
        },
    }
}
