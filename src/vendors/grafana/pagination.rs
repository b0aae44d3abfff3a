//! The access-policy API's list envelope: `items` and
//! `metadata.pagination` with `pageSize`, `pageCursor` and `nextPage`.

use serde::Serialize;

use super::errors::GrafanaError;
use crate::core::cursor::{Cursor, Page};
use crate::core::params::QueryParams;

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

/// The older GCOM list envelope (`/api/stack-regions`, `/api/orgs/{org}/instances`,
/// plugins, API keys): everything on one page, with its ordering and links.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcomList<T> {
    pub items: Vec<T>,
    pub order_by: &'static str,
    pub direction: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub rel: &'static str,
    pub href: String,
}

impl Link {
    pub fn new(rel: &'static str, href: impl Into<String>) -> Self {
        Link {
            rel,
            href: href.into(),
        }
    }
}

/// The page size GCOM reports for unpaged lists.
pub const WHOLE_LIST_PAGE_SIZE: usize = 1_000_000;

impl<T> GcomList<T> {
    /// A list with the paging fields (`total`, `pages`, `pageSize`, `page`).
    pub fn paged(items: Vec<T>, order_by: &'static str, self_href: impl Into<String>) -> Self {
        GcomList {
            total: Some(items.len()),
            pages: Some(1),
            page_size: Some(WHOLE_LIST_PAGE_SIZE),
            page: Some(1),
            ..GcomList::unpaged(items, order_by, self_href)
        }
    }

    /// A list without paging fields (API keys).
    pub fn unpaged(items: Vec<T>, order_by: &'static str, self_href: impl Into<String>) -> Self {
        GcomList {
            items,
            order_by,
            direction: "asc",
            total: None,
            pages: None,
            page_size: None,
            page: None,
            links: vec![Link::new("self", self_href)],
        }
    }
}
