//! `/api/orgs/{org}/api-keys`: the deprecated org API keys.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};

use super::errors::GcomError;
use super::extract::{Authorized, Path};
use super::pagination::{GcomList, Link};
use super::scopes::{ApiKeysDelete, ApiKeysRead, ApiKeysWrite};
use super::timestamp;
use crate::core::http::json_body;
use crate::core::store::Store;
use crate::vendors::grafana::model::Org;
use crate::vendors::grafana::model::api_keys::OrgApiKey;

#[derive(Debug, Deserialize)]
struct CreateApiKey {
    name: Option<String>,
    role: Option<String>,
}

/// An org API key as the API shows it; `token` only in the create reply.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    id: u64,
    org_id: u64,
    org_slug: String,
    org_name: String,
    instance_id: Option<u64>,
    name: String,
    role: &'static str,
    created_at: String,
    updated_at: Option<String>,
    first_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    links: Vec<Link>,
}

impl ApiKeyView {
    fn new(api_key: &OrgApiKey, org: &Org) -> Self {
        ApiKeyView {
            id: api_key.id,
            org_id: api_key.org_id,
            org_slug: org.slug.clone(),
            org_name: org.name.clone(),
            instance_id: None,
            name: api_key.name.clone(),
            role: api_key.role.as_str(),
            created_at: timestamp(api_key.created_at),
            updated_at: None,
            first_used: None,
            token: None,
            links: vec![
                Link::new(
                    "self",
                    format!("/orgs/{}/api-keys/{}", org.slug, api_key.name),
                ),
                Link::new("org", format!("/orgs/{}", org.slug)),
            ],
        }
    }
}

pub async fn list(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<ApiKeysRead>,
    Path(org): Path<String>,
) -> Result<Json<GcomList<ApiKeyView>>, GcomError> {
    let world = store.read();
    let org = world.require_org_path(&caller, &org)?;
    let items = world
        .list_org_api_keys(&caller)
        .into_iter()
        .map(|api_key| ApiKeyView::new(api_key, org))
        .collect();
    Ok(Json(GcomList::unpaged(
        items,
        "name",
        format!("/orgs/{}/api-keys", org.slug),
    )))
}

pub async fn create(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<ApiKeysWrite>,
    Path(org): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ApiKeyView>, GcomError> {
    let body: CreateApiKey = json_body(body)?;
    let mut world = store.write();
    let org = world.require_org_path(&caller, &org)?.clone();
    let api_key = world.create_org_api_key(
        &caller,
        body.name.as_deref().unwrap_or_default(),
        body.role.as_deref().unwrap_or_default(),
    )?;
    Ok(Json(ApiKeyView {
        token: Some(api_key.secret.clone()),
        ..ApiKeyView::new(&api_key, &org)
    }))
}

pub async fn delete(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<ApiKeysDelete>,
    Path((org, name)): Path<(String, String)>,
) -> Result<Json<bool>, GcomError> {
    let mut world = store.write();
    world.require_org_path(&caller, &org)?;
    world.delete_org_api_key(&caller, &name)?;
    Ok(Json(true))
}
