//! `GET /api/stack-regions`: the regions of the scenario.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::errors::GrafanaError;
use super::extract::Caller;
use super::timestamp;
use crate::app::AppState;
use crate::state::grafana::Region;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionView {
    id: u64,
    status: String,
    slug: String,
    name: String,
    description: String,
    provider: String,
    created_at: String,
    updated_at: String,
}

impl From<&Region> for RegionView {
    fn from(region: &Region) -> Self {
        RegionView {
            id: region.id,
            status: region.status.clone(),
            slug: region.slug.clone(),
            name: region.name.clone(),
            description: region.description.clone(),
            provider: region.provider.clone(),
            created_at: timestamp(region.created_at),
            updated_at: timestamp(region.updated_at),
        }
    }
}

/// The GCOM list envelope (`items`, `orderBy`, …) with every item on one page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionList {
    items: Vec<RegionView>,
    order_by: &'static str,
    direction: &'static str,
    total: usize,
    pages: usize,
    page_size: usize,
    page: usize,
    links: Vec<Link>,
}

#[derive(Debug, Serialize)]
pub struct Link {
    rel: &'static str,
    href: String,
}

pub async fn list(
    State(app): State<AppState>,
    _caller: Caller,
) -> Result<Json<RegionList>, GrafanaError> {
    let world = app.engine.read();
    let mut items: Vec<RegionView> = world
        .grafana
        .regions
        .values()
        .map(RegionView::from)
        .collect();
    items.sort_by_key(|region| region.id);
    Ok(Json(RegionList {
        total: items.len(),
        items,
        order_by: "id",
        direction: "asc",
        pages: 1,
        page_size: 1_000_000,
        page: 1,
        links: vec![Link {
            rel: "self",
            href: "/stack-regions".to_string(),
        }],
    }))
}
