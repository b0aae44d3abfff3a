//! `/api/v1/accesspolicies`: create, list, get, update, delete.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::errors::GrafanaError;
use super::extract::{Authorized, FromFilter, ListQuery, Path, Region, path_uuid};
use super::pagination::{ListResponse, list_response};
use super::scopes::{AccessPoliciesDelete, AccessPoliciesRead, AccessPoliciesWrite};
use crate::core::clock::Shown;
use crate::core::http::{
    Text, json_answer, json_body, json_bytes, json_response, nullable, unserializable,
};
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::vendors::grafana::model::OrgId;
use crate::vendors::grafana::model::access_policies::{
    AccessPolicy, AccessPolicyChanges, AccessPolicyFilter, Attributes, AttributesChange,
    Conditions, ConditionsChange, NewAccessPolicy, PolicyStatus, Realm, RealmType,
};
use crate::vendors::grafana::model::cidr::Cidr;

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

/// An access policy as the API shows it, borrowing from the policy: a read
/// renders it while the world's guard is held ([`json_response`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyView<'a> {
    id: Uuid,
    org_id: Text<OrgId>,
    name: &'a str,
    display_name: &'a str,
    scopes: &'a [String],
    realms: &'a [Realm],
    #[serde(skip_serializing_if = "Option::is_none")]
    conditions: Option<ConditionsView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<&'a Attributes>,
    created_at: Shown,
    updated_at: Shown,
    status: PolicyStatus,
}

/// [`AccessPolicy::conditions`], from the parsed subnets' text.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConditionsView<'a> {
    allowed_subnets: Subnets<'a>,
}

#[derive(Debug)]
struct Subnets<'a>(&'a [Cidr]);

impl Serialize for Subnets<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Cidr::as_str))
    }
}

impl<'a> From<&'a AccessPolicy> for AccessPolicyView<'a> {
    fn from(policy: &'a AccessPolicy) -> Self {
        AccessPolicyView {
            id: policy.id,
            org_id: Text(policy.org_id),
            name: &policy.name,
            display_name: &policy.display_name,
            scopes: &policy.scopes,
            realms: &policy.realms,
            conditions: policy
                .allowed_subnets
                .as_deref()
                .map(|subnets| ConditionsView {
                    allowed_subnets: Subnets(subnets),
                }),
            attributes: policy.attributes.as_ref(),
            created_at: Shown(policy.created_at),
            updated_at: Shown(policy.updated_at),
            status: policy.status,
        }
    }
}

/// A policy of a list page, shown as [`AccessPolicyView`].
#[derive(Debug)]
pub struct ListedPolicy(AccessPolicy);

impl From<AccessPolicy> for ListedPolicy {
    fn from(policy: AccessPolicy) -> Self {
        ListedPolicy(policy)
    }
}

impl Serialize for ListedPolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        AccessPolicyView::from(&self.0).serialize(serializer)
    }
}

/// About the size of a policy's JSON.
const POLICY_BYTES: usize = 1024;

pub async fn create(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: Region(region),
        ..
    }: Authorized<AccessPoliciesWrite, Region>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GrafanaError> {
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
    Ok(json_response(
        &AccessPolicyView::from(&policy),
        POLICY_BYTES,
    ))
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
) -> Result<Json<ListResponse<ListedPolicy>>, GrafanaError> {
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
) -> Result<Response, GrafanaError> {
    let id = path_uuid(&id, "accessPolicyId")?;
    let world = store.read();
    let policy = world.access_policy(&caller, &region, id)?;
    let rendered = store.rendered(&world, ("grafana.policy", policy.id.as_u128()), |_| {
        json_bytes(&AccessPolicyView::from(policy), POLICY_BYTES)
    });
    Ok(rendered.map_or_else(unserializable, json_answer))
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
) -> Result<Response, GrafanaError> {
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
    Ok(json_response(
        &AccessPolicyView::from(&policy),
        POLICY_BYTES,
    ))
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
