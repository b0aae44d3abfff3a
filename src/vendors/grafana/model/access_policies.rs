//! Grafana Cloud access policies: validation, name uniqueness per
//! (org, region), keyset listing, and cascading delete of their tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::cidr::Cidr;
use super::lists::ListKey;
use super::{GrafanaCaller, GrafanaState, OrgId, RegionKey, validate_display_name, validate_name};
use crate::core::cursor::{Cursor, Page, page_of};
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::world::World;
use crate::vendors::grafana::snapshot::{log_policy, log_token};

/// What a realm names: the org, or one of its stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RealmType {
    /// `org`: `identifier` is the org id.
    Org,
    /// `stack`: `identifier` is a stack id.
    Stack,
}

impl RealmType {
    pub(crate) fn parse(raw: &str, param: &str) -> EngineResult<Self> {
        match raw {
            "org" => Ok(RealmType::Org),
            "stack" => Ok(RealmType::Stack),
            _ => Err(bad_request(format!(
                "{param} must be 'org' or 'stack', got {raw:?}"
            ))),
        }
    }
}

/// Whether a policy's tokens are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyStatus {
    /// Its tokens work (the default).
    #[default]
    Active,
    /// Its tokens are refused.
    Inactive,
}

impl PolicyStatus {
    pub(crate) fn parse(raw: &str, param: &str) -> EngineResult<Self> {
        match raw {
            "active" => Ok(PolicyStatus::Active),
            "inactive" => Ok(PolicyStatus::Inactive),
            _ => Err(bad_request(format!(
                "{param} must be 'active' or 'inactive', got {raw:?}"
            ))),
        }
    }
}

/// A label selector limiting what a realm grants (`{env="prod"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelPolicy {
    /// The selector, in Prometheus syntax.
    pub selector: String,
}

/// Where a policy applies: the org, or a stack, optionally narrowed by labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Realm {
    /// `org` or `stack` (`type` in JSON).
    #[serde(rename = "type")]
    pub realm_type: RealmType,
    /// The org's or the stack's id, as text.
    pub identifier: String,
    /// Label selectors narrowing the realm.
    #[serde(default)]
    pub label_policies: Vec<LabelPolicy>,
}

/// Conditions as clients send them: subnets still as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    /// `null` is an empty list, as the published spec allows it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub allowed_subnets: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// What an update does to an optional part of a policy (`conditions`,
/// `attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// The field was absent: keep what is there.
    #[default]
    Keep,
    /// `null` or `{}` (or, for conditions, `allowedSubnets: []`): remove it.
    Remove,
    Set(T),
}

pub type ConditionsChange = Change<Conditions>;
pub type AttributesChange = Change<Attributes>;

/// A policy's `attributes` (Grafana's `AuthAccessPolicy.attributes`): limits
/// the gateway passes on to the backends. Stored as sent once validated;
/// a member sent as `null` is not set, and an object left with no members
/// is dropped, so "nothing set" is one state (`None` on the policy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attributes {
    /// Limits on the Loki queries of the policy's tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loki_query_policy: Option<LokiQueryPolicy>,
    /// Which hosts private data source connect may reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdc_configuration: Option<PdcConfiguration>,
    /// Scopes the policy may sign (with `grafana-id-token:sign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_scopes: Option<Vec<String>>,
    /// Audience claims allowed in signed access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_audiences: Option<Vec<String>>,
}

/// Limits on the Loki queries of the policy's tokens. Durations are strings
/// in Prometheus' syntax (`10s`, `2w`, `1h30m`); counts are integers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LokiQueryPolicy {
    /// `queryTimeout`: a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_timeout: Option<String>,
    /// `maxEntriesLimitPerQuery`: a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries_limit_per_query: Option<i64>,
    /// `maxQueryLookback`: a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_lookback: Option<String>,
    /// `maxQueryLength`: a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_length: Option<String>,
    /// `maxQueryInterval`: a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_interval: Option<String>,
    /// `maxQueryTime`: a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_time: Option<String>,
    /// A byte size (`500MB`, `1.5GiB`, `1024`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_query_bytes_read: Option<String>,
    /// `minimumLabelsNumber`: a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_labels_number: Option<i64>,
    /// Label names every query must select on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_labels: Option<Vec<String>>,
}

/// Private data source connect (PDC) settings of a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdcConfiguration {
    /// `host:port`s Grafana may reach through PDC; absent: every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_hosts: Option<Vec<String>>,
}

impl Attributes {
    /// Checks every member's value and drops empty objects: `None` when
    /// nothing is left (`{}`, `{"lokiQueryPolicy": {}}`).
    pub(crate) fn validated(self) -> EngineResult<Option<Attributes>> {
        let at = |field: &str| format!("attributes.{field}");
        let loki = match self.loki_query_policy {
            Some(loki) => loki.validated()?,
            None => None,
        };
        let pdc = self
            .pdc_configuration
            .filter(|pdc| pdc.limited_hosts.is_some());
        if let Some(hosts) = pdc.as_ref().and_then(|p| p.limited_hosts.as_ref()) {
            for (i, host) in hosts.iter().enumerate() {
                if host.is_empty() || host.chars().any(char::is_whitespace) {
                    return Err(bad_request(format!(
                        "{}[{i}] must be a host (and port) without spaces, got {host:?}",
                        at("pdcConfiguration.limitedHosts")
                    )));
                }
            }
        }
        if let Some(scopes) = &self.allowed_scopes {
            for (i, scope) in scopes.iter().enumerate() {
                if !is_scope(scope) {
                    return Err(bad_request(format!(
                        "{}[{i}]: {scope:?} is not a scope; scopes look like 'metrics:read'",
                        at("allowedScopes")
                    )));
                }
            }
        }
        if let Some(audiences) = &self.allowed_audiences
            && let Some(i) = audiences.iter().position(|a| a.trim().is_empty())
        {
            return Err(bad_request(format!(
                "{}[{i}] must not be empty",
                at("allowedAudiences")
            )));
        }
        let attributes = Attributes {
            loki_query_policy: loki,
            pdc_configuration: pdc,
            allowed_scopes: self.allowed_scopes,
            allowed_audiences: self.allowed_audiences,
        };
        Ok((attributes != Attributes::default()).then_some(attributes))
    }
}

impl LokiQueryPolicy {
    fn validated(self) -> EngineResult<Option<LokiQueryPolicy>> {
        let at = |field: &str| format!("attributes.lokiQueryPolicy.{field}");
        let durations = [
            ("queryTimeout", &self.query_timeout),
            ("maxQueryLookback", &self.max_query_lookback),
            ("maxQueryLength", &self.max_query_length),
            ("maxQueryInterval", &self.max_query_interval),
            ("maxQueryTime", &self.max_query_time),
        ];
        for (field, value) in durations {
            if let Some(value) = value
                && !is_prometheus_duration(value)
            {
                return Err(bad_request(format!(
                    "{} must be a duration such as \"10s\", \"5h\" or \"2w\" \
                     (units y, w, d, h, m, s, ms, largest first), got {value:?}",
                    at(field)
                )));
            }
        }
        if let Some(value) = &self.max_query_bytes_read
            && !is_byte_size(value)
        {
            return Err(bad_request(format!(
                "{} must be a byte size such as \"500MB\" or \"1GiB\", got {value:?}",
                at("maxQueryBytesRead")
            )));
        }
        let counts = [
            ("maxEntriesLimitPerQuery", self.max_entries_limit_per_query),
            ("minimumLabelsNumber", self.minimum_labels_number),
        ];
        for (field, value) in counts {
            if let Some(n) = value.filter(|n| *n < 0) {
                return Err(bad_request(format!(
                    "{} must be a non-negative integer, got {n}",
                    at(field)
                )));
            }
        }
        if let Some(labels) = &self.required_labels {
            for (i, label) in labels.iter().enumerate() {
                if !is_label_name(label) {
                    return Err(bad_request(format!(
                        "{}[{i}] must be a label name (letters, digits and '_', not starting \
                         with a digit), got {label:?}",
                        at("requiredLabels")
                    )));
                }
            }
        }
        Ok((self != LokiQueryPolicy::default()).then_some(self))
    }
}

/// Prometheus' duration syntax: `0`, or one or more `<digits><unit>` with
/// units `y w d h m s ms`, each at most once, largest first.
pub fn is_prometheus_duration(text: &str) -> bool {
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    if text == "0" {
        return true;
    }
    let mut rest = text;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        // `ms` before `m`: the longer unit wins.
        let Some(unit) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, unit)| rest.starts_with(**unit))
            .max_by_key(|(_, unit)| unit.len())
            .map(|(i, _)| i)
        else {
            return false;
        };
        rest = &rest[UNITS[unit].len()..];
        next_unit = unit + 1;
    }
    !text.is_empty()
}

/// A byte size: a number (decimals allowed), optionally followed by a unit
/// (`B`, `KB`/`KiB`, `MB`/`MiB`, … up to `EB`/`EiB`, in any case).
fn is_byte_size(text: &str) -> bool {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_len);
    let number_ok = !number.is_empty()
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.matches('.').count() <= 1;
    let unit = unit.trim_start_matches(' ').to_ascii_lowercase();
    let unit_ok = unit.is_empty()
        || unit == "b"
        || ["k", "m", "g", "t", "p", "e"].iter().any(|prefix| {
            unit.strip_prefix(prefix)
                .is_some_and(|tail| ["", "b", "i", "ib"].contains(&tail))
        });
    number_ok && unit_ok
}

/// A Prometheus label name.
fn is_label_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone)]
pub struct AccessPolicy {
    pub id: Uuid,
    pub seq: u64,
    pub org_id: OrgId,
    pub region: RegionKey,
    pub name: String,
    pub display_name: String,
    pub scopes: Vec<String>,
    pub realms: Vec<Realm>,
    /// Parsed once at write time; `None` means no restriction.
    pub allowed_subnets: Option<Vec<Cidr>>,
    /// Validated, never empty: `None` when nothing is set.
    pub attributes: Option<Attributes>,
    pub status: PolicyStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewAccessPolicy {
    pub name: String,
    pub display_name: Option<String>,
    pub scopes: Vec<String>,
    pub realms: Vec<Realm>,
    pub conditions: Option<Conditions>,
    pub attributes: Option<Attributes>,
    pub status: Option<PolicyStatus>,
}

#[derive(Debug, Clone)]
pub struct AccessPolicyChanges {
    pub display_name: Option<String>,
    pub scopes: Vec<String>,
    pub realms: Vec<Realm>,
    pub conditions: ConditionsChange,
    pub attributes: AttributesChange,
    pub status: Option<PolicyStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessPolicyFilter {
    pub name: Option<String>,
    pub realm_type: Option<RealmType>,
    pub realm_identifier: Option<String>,
    pub status: Option<PolicyStatus>,
}

impl AccessPolicyFilter {
    pub(crate) fn matches(&self, policy: &AccessPolicy) -> bool {
        self.name.as_ref().is_none_or(|n| *n == policy.name)
            && self.status.is_none_or(|s| s == policy.status)
            && (self.realm_type.is_none()
                || policy.realms.iter().any(|realm| {
                    Some(realm.realm_type) == self.realm_type
                        && self
                            .realm_identifier
                            .as_ref()
                            .is_none_or(|id| *id == realm.identifier)
                }))
    }
}

/// `resource:action`, both of `a-z0-9-_.*`.
fn is_scope(scope: &str) -> bool {
    scope.split_once(':').is_some_and(|(resource, action)| {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.*".contains(c))
        };
        ok(resource) && ok(action)
    })
}

fn validate_scopes(scopes: &[String]) -> EngineResult<()> {
    if scopes.is_empty() {
        return Err(bad_request("scopes must list at least one scope"));
    }
    for scope in scopes {
        if !is_scope(scope) {
            return Err(bad_request(format!(
                "scopes: {scope:?} is not a scope; scopes look like 'metrics:read'"
            )));
        }
    }
    Ok(())
}

fn validate_realms(grafana: &GrafanaState, org_id: OrgId, realms: &[Realm]) -> EngineResult<()> {
    if realms.is_empty() {
        return Err(bad_request("realms must list at least one realm"));
    }
    for (i, realm) in realms.iter().enumerate() {
        let identifier = realm.identifier.as_str();
        match realm.realm_type {
            RealmType::Org if identifier != org_id.to_string() => {
                return Err(bad_request(format!(
                    "realms[{i}].identifier: an org realm must name this org ({org_id}), got {identifier:?}"
                )));
            }
            RealmType::Stack if identifier.parse::<u64>().is_err() => {
                return Err(bad_request(format!(
                    "realms[{i}].identifier: a stack realm takes a numeric stack id, got {identifier:?}"
                )));
            }
            RealmType::Stack if grafana.org_stack(org_id, identifier).is_err() => {
                return Err(bad_request(format!(
                    "realms[{i}].identifier: the org has no stack with id {identifier}"
                )));
            }
            _ => {}
        }
        if let Some(j) = realm
            .label_policies
            .iter()
            .position(|p| p.selector.trim().is_empty())
        {
            return Err(bad_request(format!(
                "realms[{i}].labelPolicies[{j}].selector must not be empty"
            )));
        }
    }
    Ok(())
}

/// `None` for no conditions (including an empty subnet list).
fn parse_conditions(conditions: &Conditions) -> EngineResult<Option<Vec<Cidr>>> {
    if conditions.allowed_subnets.is_empty() {
        return Ok(None);
    }
    let subnets = conditions
        .allowed_subnets
        .iter()
        .map(|s| Cidr::parse(s))
        .collect::<EngineResult<Vec<_>>>()?;
    Ok(Some(subnets))
}

impl World {
    pub fn create_access_policy(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        new: NewAccessPolicy,
    ) -> EngineResult<AccessPolicy> {
        let org_id = caller.org_id;
        let region = self.sections.grafana().org_region(org_id, region)?;
        validate_name(&new.name)?;
        let display_name = new.display_name.unwrap_or_else(|| new.name.clone());
        validate_display_name(&display_name)?;
        validate_scopes(&new.scopes)?;
        validate_realms(self.sections.grafana(), org_id, &new.realms)?;
        let allowed_subnets = match &new.conditions {
            Some(c) => parse_conditions(c)?,
            None => None,
        };
        let attributes = match new.attributes {
            Some(a) => a.validated()?,
            None => None,
        };
        let name_key = (org_id, region.clone(), new.name.clone());
        if self.sections.grafana().policy_names.contains_key(&name_key) {
            return Err(EngineError::Conflict(format!(
                "an access policy named {:?} already exists in region {region:?}",
                new.name
            )));
        }
        let now = self.clock.now();
        let policy = AccessPolicy {
            id: self.ids.uuid(),
            seq: self.ids.seq(),
            org_id,
            region: region.clone(),
            name: new.name,
            display_name,
            scopes: new.scopes,
            realms: new.realms,
            allowed_subnets,
            attributes,
            status: new.status.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        self.sections.grafana_mut().insert_policy(policy.clone());
        log_policy(self, policy.id);
        Ok(policy)
    }

    pub fn access_policy(
        &self,
        caller: &GrafanaCaller,
        region: &str,
        id: Uuid,
    ) -> EngineResult<&AccessPolicy> {
        let region = self.sections.grafana().org_region(caller.org_id, region)?;
        self.sections
            .grafana()
            .policies
            .get(&id)
            .filter(|p| p.org_id == caller.org_id && p.region == region)
            .ok_or_else(|| not_found(id, &region))
    }

    /// A page of the caller's policies in the region: the one named, or
    /// those of the list the realm filter names, with the status asked for
    /// (see [`super::lists`] for what each filter costs).
    pub fn list_access_policies(
        &self,
        caller: &GrafanaCaller,
        region: &str,
        filter: &AccessPolicyFilter,
        cursor: Cursor,
        limit: usize,
    ) -> EngineResult<Page<AccessPolicy>> {
        let org_id = caller.org_id;
        let grafana = self.sections.grafana();
        let region = grafana.org_region(org_id, region)?;
        let policies = &grafana.policies;
        // A name is unique per (org, region): answer from the name index.
        if let Some(name) = &filter.name {
            let found = grafana
                .policy_names
                .get(&(org_id, region, name.clone()))
                .and_then(|id| policies.get(id))
                .filter(|p| filter.matches(p) && p.seq >= cursor.start_seq())
                .cloned();
            return Ok(Page {
                items: found.into_iter().collect(),
                next: None,
            });
        }
        let list = ListKey::of_realm_filter(
            org_id,
            region,
            filter.realm_type,
            filter.realm_identifier.as_deref(),
        );
        let status = filter.status;
        let found = grafana
            .policy_lists
            .matching(
                &list,
                cursor.start_seq(),
                |statuses| statuses.may_hold(status),
                |entry| status.is_none_or(|s| s == entry.status),
            )
            .map(|(seq, entry)| (seq, policies[&entry.id].clone()));
        Ok(page_of(found, limit))
    }

    pub fn update_access_policy(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        id: Uuid,
        changes: AccessPolicyChanges,
    ) -> EngineResult<AccessPolicy> {
        let current = self.access_policy(caller, region, id)?;
        if let Some(display_name) = &changes.display_name {
            validate_display_name(display_name)?;
        }
        validate_scopes(&changes.scopes)?;
        validate_realms(self.sections.grafana(), caller.org_id, &changes.realms)?;
        let allowed_subnets = match &changes.conditions {
            ConditionsChange::Keep => current.allowed_subnets.clone(),
            ConditionsChange::Remove => None,
            ConditionsChange::Set(c) => parse_conditions(c)?,
        };
        let attributes = match changes.attributes {
            AttributesChange::Keep => current.attributes.clone(),
            AttributesChange::Remove => None,
            AttributesChange::Set(a) => a.validated()?,
        };
        // Everything is validated: from here on the change cannot fail.
        let mut policy = current.clone();
        if let Some(display_name) = changes.display_name {
            policy.display_name = display_name;
        }
        policy.scopes = changes.scopes;
        policy.realms = changes.realms;
        policy.allowed_subnets = allowed_subnets;
        policy.attributes = attributes;
        if let Some(status) = changes.status {
            policy.status = status;
        }
        policy.updated_at = self.clock.now();
        self.sections.grafana_mut().replace_policy(policy.clone());
        log_policy(self, id);
        Ok(policy)
    }

    /// Deletes the policy and every token it holds.
    pub fn delete_access_policy(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        id: Uuid,
    ) -> EngineResult<()> {
        self.access_policy(caller, region, id)?;
        let token_ids = self.sections.grafana_mut().remove_policy(id);
        for token_id in token_ids {
            log_token(self, token_id);
        }
        log_policy(self, id);
        Ok(())
    }
}

fn not_found(id: Uuid, region: &str) -> EngineError {
    EngineError::NotFound(format!("access policy {id} not found in region {region:?}"))
}
