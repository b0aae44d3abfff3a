//! `/api/v1/accesspolicies`: create, list, get, update, delete.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::errors::GrafanaError;
use super::extract::{Caller, Path, authorize, json_body, path_uuid, region};
use super::pagination::{ListResponse, list_response, page_request};
use super::timestamp;
use crate::core::http::nullable;
use crate::core::store::Store;
use crate::vendors::grafana::model::access_policies::{
    AccessPolicy, AccessPolicyChanges, AccessPolicyFilter, Attributes, AttributesChange,
    Conditions, ConditionsChange, NewAccessPolicy, PolicyStatus, Realm, RealmType,
};

const READ: &str = "accesspolicies:read";
const WRITE: &str = "accesspolicies:write";
const DELETE: &str = "accesspolicies:delete";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccessPolicy {
    name: String,
    display_name: Option<String>,
    scopes: Vec<String>,
    realms: Vec<Realm>,
    conditions: Option<Conditions>,
    /// `null` is no attributes.
    attributes: Option<Attributes>,
    status: Option<PolicyStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateAccessPolicy {
    display_name: Option<String>,
    scopes: Vec<String>,
    realms: Vec<Realm>,
    #[serde(default, deserialize_with = "nullable")]
    conditions: Option<Option<Conditions>>,
    #[serde(default, deserialize_with = "nullable")]
    attributes: Option<Option<Attributes>>,
    status: Option<PolicyStatus>,
}

/// An access policy as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyView {
    id: Uuid,
    org_id: String,
    name: String,
    display_name: String,
    scopes: Vec<String>,
    realms: Vec<Realm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conditions: Option<Conditions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Attributes>,
    created_at: String,
    updated_at: String,
    status: PolicyStatus,
}

impl From<AccessPolicy> for AccessPolicyView {
    fn from(policy: AccessPolicy) -> Self {
        AccessPolicyView {
            conditions: policy.conditions(),
            attributes: policy.attributes,
            id: policy.id,
            org_id: policy.org_id.to_string(),
            name: policy.name,
            display_name: policy.display_name,
            scopes: policy.scopes,
            realms: policy.realms,
            created_at: timestamp(policy.created_at),
            updated_at: timestamp(policy.updated_at),
            status: policy.status,
        }
    }
}

pub async fn create(
    State(store): State<Arc<Store>>,
    caller: Caller,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AccessPolicyView>, GrafanaError> {
    let params = authorize(&caller, WRITE, query.as_deref())?;
    let body: CreateAccessPolicy = json_body(body)?;
    let new = NewAccessPolicy {
        name: body.name,
        display_name: body.display_name,
        scopes: body.scopes,
        realms: body.realms,
        conditions: body.conditions,
        attributes: body.attributes,
        status: body.status,
    };
    let policy = store
        .write()
        .create_access_policy(&caller, region(&params), new)?;
    Ok(Json(policy.into()))
}

pub async fn list(
    State(store): State<Arc<Store>>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<ListResponse<AccessPolicyView>>, GrafanaError> {
    let params = authorize(&caller, READ, query.as_deref())?;
    let realm_type = params
        .get("realmType")
        .map(|raw| RealmType::parse(raw, "realmType"))
        .transpose()?;
    let realm_identifier = params.non_empty("realmIdentifier").map(str::to_string);
    if realm_identifier.is_some() && realm_type.is_none() {
        return Err(GrafanaError::bad_request(
            "realmIdentifier requires realmType",
        ));
    }
    let filter = AccessPolicyFilter {
        name: params.non_empty("name").map(str::to_string),
        realm_type,
        realm_identifier,
        status: params
            .get("status")
            .map(|raw| PolicyStatus::parse(raw, "status"))
            .transpose()?,
    };
    let (cursor, size) = page_request(&params)?;
    let page =
        store
            .read()
            .list_access_policies(&caller, region(&params), &filter, cursor, size)?;
    Ok(Json(list_response(
        page,
        size,
        "/v1/accesspolicies",
        &params,
    )))
}

pub async fn get(
    State(store): State<Arc<Store>>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<AccessPolicyView>, GrafanaError> {
    let params = authorize(&caller, READ, query.as_deref())?;
    let id = path_uuid(&id, "accessPolicyId")?;
    let policy = store
        .read()
        .access_policy(&caller, region(&params), id)?
        .clone();
    Ok(Json(policy.into()))
}

pub async fn update(
    State(store): State<Arc<Store>>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AccessPolicyView>, GrafanaError> {
    let params = authorize(&caller, WRITE, query.as_deref())?;
    let id = path_uuid(&id, "accessPolicyId")?;
    let body: UpdateAccessPolicy = json_body(body)?;
    let conditions = match body.conditions {
        None => ConditionsChange::Keep,
        Some(None) => ConditionsChange::Remove,
        Some(Some(c)) if c.allowed_subnets.is_empty() => ConditionsChange::Remove,
        Some(Some(c)) => ConditionsChange::Set(c),
    };
    // `{}` (or nothing left once empty members are dropped) removes them
    // too: the engine stores no empty attributes.
    let attributes = match body.attributes {
        None => AttributesChange::Keep,
        Some(None) => AttributesChange::Remove,
        Some(Some(a)) => AttributesChange::Set(a),
    };
    let changes = AccessPolicyChanges {
        display_name: body.display_name,
        scopes: body.scopes,
        realms: body.realms,
        conditions,
        attributes,
        status: body.status,
    };
    let policy = store
        .write()
        .update_access_policy(&caller, region(&params), id, changes)?;
    Ok(Json(policy.into()))
}

pub async fn delete(
    State(store): State<Arc<Store>>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, GrafanaError> {
    let params = authorize(&caller, DELETE, query.as_deref())?;
    let id = path_uuid(&id, "accessPolicyId")?;
    store
        .write()
        .delete_access_policy(&caller, region(&params), id)?;
    Ok(StatusCode::NO_CONTENT)
}
