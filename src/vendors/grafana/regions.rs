//! `GET /api/stack-regions`: the regions of the scenario.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::errors::GrafanaError;
use super::pagination::GcomList;
use super::timestamp;
use crate::core::store::Store;
use crate::vendors::grafana::model::{GrafanaCaller, Region};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionView {
    id: u64,
    status: String,
    visibility: String,
    slug: String,
    name: String,
    public_name: String,
    description: String,
    provider: String,
    created_at: String,
    updated_at: String,
    sort_order: u64,
}

impl From<&Region> for RegionView {
    fn from(region: &Region) -> Self {
        RegionView {
            id: region.id,
            status: region.status.clone(),
            visibility: region.visibility.clone(),
            slug: region.slug.clone(),
            name: region.name.clone(),
            public_name: region.public_name.clone(),
            description: region.description.clone(),
            provider: region.provider.clone(),
            created_at: timestamp(region.created_at),
            updated_at: timestamp(region.updated_at),
            sort_order: region.sort_order,
        }
    }
}

pub async fn list(
    State(store): State<Arc<Store>>,
    _caller: GrafanaCaller,
) -> Result<Json<GcomList<RegionView>>, GrafanaError> {
    let world = store.read();
    let mut items: Vec<RegionView> = world
        .sections
        .grafana()
        .regions
        .values()
        .map(RegionView::from)
        .collect();
    items.sort_by_key(|region| region.id);
    Ok(Json(GcomList::paged(items, "id", "/stack-regions")))
}
