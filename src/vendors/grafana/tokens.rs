//! `/api/v1/tokens`: create (the only answer that shows the secret), list,
//! get, update, delete.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::errors::GrafanaError;
use super::extract::{Authorized, FromFilter, ListQuery, Path, Region, path_uuid};
use super::pagination::{ListResponse, list_response};
use super::scopes::{AccessPoliciesDelete, AccessPoliciesRead, AccessPoliciesWrite};
use super::timestamp;
use crate::core::http::{json_body, nullable};
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::vendors::grafana::model::access_policies::{PolicyStatus, RealmType};
use crate::vendors::grafana::model::tokens::{NewToken, Token, TokenChanges, TokenFilter};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateToken {
    access_policy_id: Uuid,
    name: String,
    display_name: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateToken {
    display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    expires_at: Option<Option<DateTime<Utc>>>,
}

/// A token as list and get show it: never the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    id: Uuid,
    org_id: String,
    access_policy_id: Uuid,
    name: String,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// The create answer: the token and, this once, its secret.
#[derive(Debug, Serialize)]
pub struct TokenWithSecretView {
    #[serde(flatten)]
    view: TokenView,
    token: String,
}

impl From<Token> for TokenView {
    fn from(token: Token) -> Self {
        TokenView {
            id: token.id,
            org_id: token.org_id.to_string(),
            access_policy_id: token.access_policy_id,
            name: token.name,
            display_name: token.display_name,
            expires_at: token.expires_at.map(timestamp),
            first_used_at: token.first_used_at.map(timestamp),
            last_used_at: token.last_used_at.map(timestamp),
            created_at: timestamp(token.created_at),
            updated_at: timestamp(token.updated_at),
        }
    }
}

impl From<Token> for TokenWithSecretView {
    fn from(mut token: Token) -> Self {
        let secret = std::mem::take(&mut token.secret);
        TokenWithSecretView {
            view: token.into(),
            token: secret,
        }
    }
}

pub async fn create(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesWrite, Region>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TokenWithSecretView>, GrafanaError> {
    let body: CreateToken = json_body(body)?;
    let new = NewToken {
        access_policy_id: body.access_policy_id,
        name: body.name,
        display_name: body.display_name,
        expires_at: body.expires_at,
        secret: None,
    };
    let token = store.write().create_token(&caller, &region, new)?;
    Ok(Json(token.into()))
}

impl FromFilter for TokenFilter {
    fn from_filter(params: &QueryParams) -> Result<Self, GrafanaError> {
        token_filter(params)
    }
}

fn token_filter(params: &QueryParams) -> Result<TokenFilter, GrafanaError> {
    let uuid = |v: &str| Uuid::parse_str(v).ok();
    let time = |v: &str| DateTime::parse_from_rfc3339(v).ok().map(|t| t.to_utc());
    let mut access_policy_ids: Option<Vec<Uuid>> = params.parse_with(
        "accessPolicyIds",
        |v| v.split(',').map(|id| uuid(id.trim())).collect(),
        "a comma-separated list of UUIDs",
    )?;
    if let Some(id) = params.parse_with("accessPolicyId", uuid, "a UUID")? {
        access_policy_ids.get_or_insert_with(Vec::new).push(id);
    }
    let realm_type = params
        .get("accessPolicyRealmType")
        .map(|raw| RealmType::parse(raw, "accessPolicyRealmType"))
        .transpose()?;
    let realm_identifier = params
        .non_empty("accessPolicyRealmIdentifier")
        .map(str::to_string);
    if realm_identifier.is_some() && realm_type.is_none() {
        return Err(GrafanaError::bad_request(
            "accessPolicyRealmIdentifier requires accessPolicyRealmType",
        ));
    }
    Ok(TokenFilter {
        access_policy_ids,
        access_policy_name: params.non_empty("accessPolicyName").map(str::to_string),
        access_policy_realm_type: realm_type,
        access_policy_realm_identifier: realm_identifier,
        access_policy_status: params
            .get("accessPolicyStatus")
            .map(|raw| PolicyStatus::parse(raw, "accessPolicyStatus"))
            .transpose()?,
        name: params.non_empty("name").map(str::to_string),
        expires_before: params.parse_with("expiresBefore", time, "an ISO 8601 UTC time")?,
        expires_after: params.parse_with("expiresAfter", time, "an ISO 8601 UTC time")?,
        include_expired: params.parse_with(
            "includeExpired",
            |v| v.parse().ok(),
            "true or false",
        )?,
    })
}

pub async fn list(
    State(store): State<Arc<Store>>,
    Authorized { caller, query, .. }: Authorized<AccessPoliciesRead, ListQuery<TokenFilter>>,
) -> Result<Json<ListResponse<TokenView>>, GrafanaError> {
    let page = store.read().list_tokens(
        &caller,
        &query.region,
        &query.filter,
        query.cursor,
        query.size,
    )?;
    Ok(Json(list_response(
        page,
        query.size,
        "/v1/tokens",
        &query.params,
    )))
}

pub async fn get(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesRead, Region>,
    Path(id): Path<String>,
) -> Result<Json<TokenView>, GrafanaError> {
    let id = path_uuid(&id, "tokenId")?;
    let token = store.read().token(&caller, &region, id)?;
    Ok(Json(token.into()))
}

pub async fn update(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesWrite, Region>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TokenView>, GrafanaError> {
    let id = path_uuid(&id, "tokenId")?;
    let body: UpdateToken = json_body(body)?;
    let changes = TokenChanges {
        display_name: body.display_name,
        expires_at: body.expires_at,
    };
    let token = store.write().update_token(&caller, &region, id, changes)?;
    Ok(Json(token.into()))
}

pub async fn delete(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesDelete, Region>,
    Path(id): Path<String>,
) -> Result<StatusCode, GrafanaError> {
    let id = path_uuid(&id, "tokenId")?;
    store.write().delete_token(&caller, &region, id)?;
    Ok(StatusCode::NO_CONTENT)
}
