//! `/api/v1/accesspolicies`: create, list, get, update, delete.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
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
use crate::vendors::grafana::model::access_policies::{
    AccessPolicy, AccessPolicyChanges, AccessPolicyFilter, Attributes, AttributesChange,
    Conditions, ConditionsChange, NewAccessPolicy, PolicyStatus, Realm, RealmType,
};

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
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesWrite, Region>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AccessPolicyView>, GrafanaError> {
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
    let policy = store.write().create_access_policy(&caller, &region, new)?;
    Ok(Json(policy.into()))
}

impl FromFilter for AccessPolicyFilter {
    fn from_filter(params: &QueryParams) -> Result<Self, GrafanaError> {
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
        Ok(AccessPolicyFilter {
            name: params.non_empty("name").map(str::to_string),
            realm_type,
            realm_identifier,
            status: params
                .get("status")
                .map(|raw| PolicyStatus::parse(raw, "status"))
                .transpose()?,
        })
    }
}

pub async fn list(
    State(store): State<Arc<Store>>,
    Authorized { caller, query, .. }: Authorized<AccessPoliciesRead, ListQuery<AccessPolicyFilter>>,
) -> Result<Json<ListResponse<AccessPolicyView>>, GrafanaError> {
    let page = store.read().list_access_policies(
        &caller,
        &query.region,
        &query.filter,
        query.cursor,
        query.size,
    )?;
    Ok(Json(list_response(
        page,
        query.size,
        "/v1/accesspolicies",
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
) -> Result<Json<AccessPolicyView>, GrafanaError> {
    let id = path_uuid(&id, "accessPolicyId")?;
    let policy = store.read().access_policy(&caller, &region, id)?.clone();
    Ok(Json(policy.into()))
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
) -> Result<Json<AccessPolicyView>, GrafanaError> {
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
        .update_access_policy(&caller, &region, id, changes)?;
    Ok(Json(policy.into()))
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
    let id = path_uuid(&id, "accessPolicyId")?;
    store.write().delete_access_policy(&caller, &region, id)?;
    Ok(StatusCode::NO_CONTENT)
}
