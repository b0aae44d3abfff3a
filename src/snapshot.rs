//! The whole mutable world as one JSON document: what `GET /__admin/state`
//! answers, `PUT /__admin/state` loads and `--state-file` keeps on disk.
//!
//! Stored objects are kept as they are, secrets included; indexes are not
//! stored but rebuilt on import. The server clock is not part of the world
//! and not part of a snapshot. Import validates the whole document and builds
//! a new world before it replaces the old one, so a bad document changes
//! nothing; export → import → export gives the same document.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::clock::Clock;
use crate::core::ids::{Ids, IdsState};
use crate::core::rate_limit;
use crate::engine::{Engine, World};
use crate::scenario::{
    DatadogOrgSpec, DatadogScenario, GcoreScenario, Plan, PluginSpec, RateLimitSpec, ScenarioError,
};
use crate::vendors::datadog::model::DatadogState;
use crate::vendors::gcore::model::{GcoreResource, GcoreResourceSpec, GcoreState, Metering};
use crate::vendors::grafana::model::access_policies::{
    AccessPolicy, Attributes, PolicyStatus, Realm,
};
use crate::vendors::grafana::model::api_keys::{ApiKeyRole, OrgApiKey};
use crate::vendors::grafana::model::cidr::Cidr;
use crate::vendors::grafana::model::hosted_grafana::HostedGrafanaKey;
use crate::vendors::grafana::model::plugins::{PluginInstallation, PluginState};
use crate::vendors::grafana::model::stacks::{Stack, StackId, StackStatus};
use crate::vendors::grafana::model::tokens::Token;
use crate::vendors::grafana::model::{GrafanaState, Org, OrgId, Region, validate_name};

/// Bumped when the document's shape changes incompatibly.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub version: u32,
    /// The run's seed: synthetic usage is a pure function of it.
    pub seed: u64,
    /// Where the id generators stand, so ids after an import continue the
    /// same sequence.
    pub ids: IdsState,
    pub grafana: GrafanaSnapshot,
    /// Datadog and Gcore in their scenario form, with every default filled.
    pub datadog: DatadogScenario,
    pub gcore: GcoreScenario,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaSnapshot {
    /// By slug.
    pub regions: Vec<RegionRecord>,
    /// By id.
    pub orgs: Vec<OrgRecord>,
    /// The plugin catalog, by id.
    pub plugins: Vec<PluginSpec>,
    /// Live stacks, by id.
    pub stacks: Vec<StackRecord>,
    /// Deleted stacks (kept for billing), in the order they were deleted.
    pub deleted_stacks: Vec<StackRecord>,
    /// By creation sequence.
    pub access_policies: Vec<AccessPolicyRecord>,
    /// By creation sequence; org and region are the policy's.
    pub tokens: Vec<TokenRecord>,
    /// By stack, then plugin.
    pub plugin_installations: Vec<PluginInstallationRecord>,
    /// By org, then name.
    pub org_api_keys: Vec<OrgApiKeyRecord>,
    /// By stack, then name.
    pub hosted_grafana_keys: Vec<HostedGrafanaKeyRecord>,
    /// As in force: an empty list is no limit at all.
    pub rate_limits: Vec<RateLimitSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRecord {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub provider: String,
    pub status: String,
    pub public_name: String,
    pub visibility: String,
    pub sort_order: u64,
    pub cluster_slug: String,
    pub cluster_id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgRecord {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub regions: Vec<String>,
    pub plan: Plan,
    pub stack_limit: u32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackRecord {
    pub id: StackId,
    pub org_id: OrgId,
    pub name: String,
    pub slug: String,
    pub custom_url: Option<String>,
    pub region: String,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub delete_protection: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: String,
    pub billing_start_date: DateTime<Utc>,
    pub billing_end_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicyRecord {
    pub id: Uuid,
    pub seq: u64,
    pub org_id: OrgId,
    pub region: String,
    pub name: String,
    pub display_name: String,
    pub scopes: Vec<String>,
    pub realms: Vec<Realm>,
    /// `null`: no restriction.
    pub allowed_subnets: Option<Vec<String>>,
    /// As the API shows them; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    pub status: PolicyStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    pub id: Uuid,
    pub seq: u64,
    pub access_policy_id: Uuid,
    pub name: String,
    pub display_name: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub first_used_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginInstallationRecord {
    pub id: u64,
    pub stack_id: StackId,
    pub plugin_id: u64,
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgApiKeyRecord {
    pub id: u64,
    pub org_id: OrgId,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedGrafanaKeyRecord {
    pub stack_id: StackId,
    pub id: u64,
    pub name: String,
    pub key: String,
}

/// Parses a snapshot document; the error names where it is wrong
/// (`grafana.tokens[3].secret`).
pub fn parse(bytes: &[u8]) -> Result<Snapshot, ScenarioError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScenarioError::at(
            "(document)",
            "the state document is empty",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let snapshot = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        // `.` (the root) or `?` (not parsed far enough to know where).
        let location = if path == "." || path == "?" {
            "(document)".to_string()
        } else {
            path
        };
        ScenarioError::at(location, e.inner())
    })?;
    de.end()
        .map_err(|e| ScenarioError::at("(document)", format!("trailing data: {e}")))?;
    Ok(snapshot)
}

impl Engine {
    pub fn export(&self) -> Snapshot {
        Snapshot::of(&self.read())
    }

    /// Replaces the world with the snapshot's, or changes nothing.
    pub fn import(&self, snapshot: Snapshot) -> Result<(), ScenarioError> {
        let world = World::from_snapshot(snapshot, self.clock().clone())?;
        *self.write() = world;
        Ok(())
    }
}

impl Snapshot {
    pub fn of(world: &World) -> Snapshot {
        // Spelled out so that a new part of the world fails to compile here
        // until the snapshot carries it.
        let World {
            ids,
            clock: _,
            seed,
            sections,
        } = world;
        let (grafana, datadog, gcore) = (sections.grafana(), sections.datadog(), sections.gcore());
        Snapshot {
            version: VERSION,
            seed: *seed,
            ids: ids.state(),
            grafana: GrafanaSnapshot::of(grafana),
            datadog: datadog_scenario(datadog),
            gcore: gcore_scenario(gcore),
        }
    }
}

impl GrafanaSnapshot {
    fn of(grafana: &GrafanaState) -> GrafanaSnapshot {
        let GrafanaState {
            orgs,
            regions,
            policies,
            policy_order: _,
            policy_names: _,
            tokens,
            token_order: _,
            token_names: _,
            tokens_by_policy: _,
            token_secrets: _,
            token_use,
            stacks,
            stack_slugs: _,
            stacks_by_name: _,
            stacks_by_id: _,
            deleted_stacks,
            hosted_grafana_keys,
            api_keys,
            api_key_secrets: _,
            plugins,
            rate_limits,
        } = grafana;
        let mut access_policies: Vec<&AccessPolicy> = policies.values().collect();
        access_policies.sort_by_key(|p| p.seq);
        let mut tokens: Vec<&Token> = tokens.values().collect();
        tokens.sort_by_key(|t| t.seq);
        let mut live: Vec<&Stack> = stacks.values().collect();
        live.sort_by_key(|s| s.id);
        GrafanaSnapshot {
            regions: regions.values().map(region_record).collect(),
            orgs: orgs.values().map(org_record).collect(),
            plugins: plugins
                .catalog()
                .map(|p| PluginSpec {
                    id: p.id,
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                    versions: p.versions.clone(),
                    latest: Some(p.latest_version.clone()),
                })
                .collect(),
            stacks: live.into_iter().map(stack_record).collect(),
            deleted_stacks: deleted_stacks.iter().map(stack_record).collect(),
            access_policies: access_policies.into_iter().map(policy_record).collect(),
            tokens: tokens
                .into_iter()
                .map(|token| token_record(&token_use.applied(token)))
                .collect(),
            plugin_installations: plugins
                .installations()
                .map(|i| PluginInstallationRecord {
                    id: i.id,
                    stack_id: i.stack_id,
                    plugin_id: i.plugin_id,
                    version: i.version.clone(),
                    created_at: i.created_at,
                    updated_at: i.updated_at,
                })
                .collect(),
            org_api_keys: api_keys
                .values()
                .map(|k| OrgApiKeyRecord {
                    id: k.id,
                    org_id: k.org_id,
                    name: k.name.clone(),
                    role: k.role.as_str().to_string(),
                    created_at: k.created_at,
                    secret: k.secret.clone(),
                })
                .collect(),
            hosted_grafana_keys: hosted_grafana_keys
                .iter()
                .map(|((stack_id, _), k)| HostedGrafanaKeyRecord {
                    stack_id: *stack_id,
                    id: k.id,
                    name: k.name.clone(),
                    key: k.key.clone(),
                })
                .collect(),
            rate_limits: rate_limits.clone(),
        }
    }
}

fn region_record(region: &Region) -> RegionRecord {
    let Region {
        id,
        slug,
        name,
        description,
        provider,
        status,
        public_name,
        visibility,
        sort_order,
        cluster_slug,
        cluster_id,
        created_at,
        updated_at,
    } = region.clone();
    RegionRecord {
        id,
        slug,
        name,
        description,
        provider,
        status,
        public_name,
        visibility,
        sort_order,
        cluster_slug,
        cluster_id,
        created_at,
        updated_at,
    }
}

fn org_record(org: &Org) -> OrgRecord {
    let Org {
        id,
        slug,
        name,
        regions,
        plan,
        stack_limit,
        created_at,
    } = org.clone();
    OrgRecord {
        id,
        slug,
        name,
        regions,
        plan,
        stack_limit,
        created_at,
    }
}

fn stack_record(stack: &Stack) -> StackRecord {
    let Stack {
        id,
        org_id,
        name,
        slug,
        custom_url,
        region,
        description,
        labels,
        delete_protection,
        // Implied by the list the stack is in.
        status: _,
        created_at,
        created_by,
        updated_at,
        updated_by,
        billing_start_date,
        billing_end_date,
    } = stack.clone();
    StackRecord {
        id,
        org_id,
        name,
        slug,
        custom_url,
        region,
        description,
        labels,
        delete_protection,
        created_at,
        created_by,
        updated_at,
        updated_by,
        billing_start_date,
        billing_end_date,
    }
}

fn policy_record(policy: &AccessPolicy) -> AccessPolicyRecord {
    let AccessPolicy {
        id,
        seq,
        org_id,
        region,
        name,
        display_name,
        scopes,
        realms,
        allowed_subnets,
        attributes,
        status,
        created_at,
        updated_at,
    } = policy.clone();
    AccessPolicyRecord {
        id,
        seq,
        org_id,
        region,
        name,
        display_name,
        scopes,
        realms,
        allowed_subnets: allowed_subnets
            .map(|subnets| subnets.iter().map(|c| c.as_str().to_string()).collect()),
        attributes,
        status,
        created_at,
        updated_at,
    }
}

fn token_record(token: &Token) -> TokenRecord {
    let Token {
        id,
        seq,
        // The policy's.
        org_id: _,
        region: _,
        access_policy_id,
        name,
        display_name,
        expires_at,
        first_used_at,
        last_used_at,
        created_at,
        updated_at,
        secret,
    } = token.clone();
    TokenRecord {
        id,
        seq,
        access_policy_id,
        name,
        display_name,
        expires_at,
        first_used_at,
        last_used_at,
        created_at,
        updated_at,
        secret,
    }
}

fn datadog_scenario(datadog: &DatadogState) -> DatadogScenario {
    let orgs = datadog
        .orgs
        .iter()
        .enumerate()
        .map(|(i, org)| {
            let (api_keys, application_keys) = datadog.keys_of(i);
            DatadogOrgSpec {
                name: org.name.clone(),
                public_id: org.public_id.clone(),
                parent: org.parent.map(|p| datadog.orgs[p].public_id.clone()),
                region: org.region.clone(),
                billing_plan: org.billing_plan.clone(),
                api_keys,
                application_keys,
            }
        })
        .collect();
    DatadogScenario {
        orgs,
        attribution_tags: datadog.attribution_tags.clone(),
        prices: datadog.prices.clone(),
        rate_limits: datadog.rate_limits.clone(),
    }
}

fn gcore_scenario(gcore: &GcoreState) -> GcoreScenario {
    GcoreScenario {
        api_keys: gcore.api_keys(),
        projects: gcore.projects.clone(),
        regions: gcore.regions.clone(),
        resources: gcore.resources.iter().map(resource_spec).collect(),
        rate_limits: gcore.rate_limits.clone(),
    }
}

/// A loaded resource as the spec that loads back to it: every default the
/// scenario left out is written in.
fn resource_spec(resource: &GcoreResource) -> GcoreResourceSpec {
    let GcoreResource {
        // The position in the list.
        index: _,
        resource_type,
        project_id,
        region_id,
        created_at,
        deleted_at,
        size_bytes,
        uuid,
        last_name,
        flavor,
        tags,
        // Both follow from the type and the size.
        last_size: _,
        size_unit: _,
        volume_type,
        attached_to_vm,
        source_volume_uuid,
        schedule_id,
        file_share_type,
        ip_address,
        network_id,
        port_id,
        subnet_id,
        vm_id,
        instance_name,
        instance_type,
    } = resource.clone();
    GcoreResourceSpec {
        resource_type: Some(resource_type),
        project_id: Some(project_id),
        region_id: Some(region_id),
        created_at,
        deleted_at,
        uuid,
        last_name,
        flavor,
        tags,
        // Only size-billed types take a size; the others use their default.
        last_size: (resource_type.metering() == Metering::SizeTime).then_some(size_bytes),
        volume_type,
        attached_to_vm,
        source_volume_uuid,
        schedule_id,
        file_share_type,
        ip_address,
        network_id,
        port_id,
        subnet_id,
        vm_id,
        instance_name,
        instance_type,
    }
}

impl World {
    /// Rebuilds a world, every index included, from a snapshot; the first
    /// problem found is reported with its location.
    pub fn from_snapshot(snapshot: Snapshot, clock: Clock) -> Result<World, ScenarioError> {
        if snapshot.version != VERSION {
            return Err(ScenarioError::at(
                "version",
                format!(
                    "this server reads state version {VERSION}, got {}",
                    snapshot.version
                ),
            ));
        }
        let grafana = grafana_state(snapshot.grafana)?;
        let ids = snapshot.ids;
        let max_seq = grafana
            .policies
            .values()
            .map(|p| p.seq)
            .chain(grafana.tokens.values().map(|t| t.seq))
            .max()
            .unwrap_or(0);
        if ids.next_seq <= max_seq {
            return Err(ScenarioError::at(
                "ids.next_seq",
                format!("must be above every seq in use (the largest is {max_seq})"),
            ));
        }
        // Stacks are left out: a scenario may give them any id.
        let max_number = grafana
            .plugins
            .installations()
            .map(|i| i.id)
            .chain(grafana.api_keys.values().map(|k| k.id))
            .chain(grafana.hosted_grafana_keys.values().map(|k| k.id))
            .max()
            .unwrap_or(0);
        if ids.next_number <= max_number {
            return Err(ScenarioError::at(
                "ids.next_number",
                format!("must be above every numeric id in use (the largest is {max_number})"),
            ));
        }
        let mut datadog = DatadogState::from_scenario(&snapshot.datadog)?;
        // A scenario without rules gets the default; a snapshot's list is
        // what was in force, empty included.
        datadog.rate_limits = snapshot.datadog.rate_limits;
        let mut gcore = GcoreState::from_scenario(&snapshot.gcore, snapshot.seed)?;
        gcore.rate_limits = snapshot.gcore.rate_limits;
        let mut world = World {
            ids: Ids::from_state(ids),
            clock,
            seed: snapshot.seed,
            sections: Default::default(),
        };
        world.sections.insert(grafana);
        world.sections.insert(datadog);
        world.sections.insert(gcore);
        Ok(world)
    }
}

fn grafana_state(snapshot: GrafanaSnapshot) -> Result<GrafanaState, ScenarioError> {
    rate_limit::validate(&snapshot.rate_limits).map_err(|(location, problem)| {
        ScenarioError::at(format!("grafana.rate_limits{location}"), problem)
    })?;
    let mut g = GrafanaState {
        plugins: PluginState::from_catalog(&snapshot.plugins)?,
        rate_limits: snapshot.rate_limits,
        ..GrafanaState::default()
    };
    for (i, r) in snapshot.regions.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.regions[{i}].{field}");
        if g.regions.values().any(|existing| existing.id == r.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate region id {}", r.id),
            ));
        }
        if g.regions.contains_key(&r.slug) {
            return Err(ScenarioError::at(
                at("slug"),
                format!("duplicate region slug {:?}", r.slug),
            ));
        }
        let region = Region {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            provider: r.provider,
            status: r.status,
            public_name: r.public_name,
            visibility: r.visibility,
            sort_order: r.sort_order,
            cluster_slug: r.cluster_slug,
            cluster_id: r.cluster_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        g.regions.insert(region.slug.clone(), region);
    }
    for (i, o) in snapshot.orgs.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.orgs[{i}].{field}");
        if g.orgs.contains_key(&o.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate org id {}", o.id),
            ));
        }
        if g.orgs.values().any(|existing| existing.slug == o.slug) {
            return Err(ScenarioError::at(
                at("slug"),
                format!("duplicate org slug {:?}", o.slug),
            ));
        }
        if let Some(j) = o.regions.iter().position(|r| !g.regions.contains_key(r)) {
            return Err(ScenarioError::at(
                format!("grafana.orgs[{i}].regions[{j}]"),
                format!("unknown region {:?}", o.regions[j]),
            ));
        }
        g.orgs.insert(
            o.id,
            Org {
                id: o.id,
                slug: o.slug,
                name: o.name,
                regions: o.regions,
                plan: o.plan,
                stack_limit: o.stack_limit,
                created_at: o.created_at,
            },
        );
    }
    load_stacks(&mut g, snapshot.stacks, snapshot.deleted_stacks)?;
    load_policies_and_tokens(&mut g, snapshot.access_policies, snapshot.tokens)?;
    let stack_exists = |g: &GrafanaState, id: StackId| {
        g.stacks.contains_key(&id) || g.deleted_stacks.iter().any(|s| s.id == id)
    };
    for (i, p) in snapshot.plugin_installations.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.plugin_installations[{i}].{field}");
        if !stack_exists(&g, p.stack_id) {
            return Err(ScenarioError::at(
                at("stack_id"),
                format!("no stack {}", p.stack_id),
            ));
        }
        let plugin = g
            .plugins
            .plugin(&p.plugin_id.to_string())
            .map_err(|_| ScenarioError::at(at("plugin_id"), "not in grafana.plugins"))?;
        if !plugin.versions.contains(&p.version) {
            return Err(ScenarioError::at(
                at("version"),
                format!("plugin {:?} has no version {:?}", plugin.slug, p.version),
            ));
        }
        let restored = g.plugins.restore_installation(PluginInstallation {
            id: p.id,
            stack_id: p.stack_id,
            plugin_id: p.plugin_id,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        });
        if !restored {
            return Err(ScenarioError::at(
                at("plugin_id"),
                "the plugin is already installed on this stack",
            ));
        }
    }
    for (i, k) in snapshot.org_api_keys.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.org_api_keys[{i}].{field}");
        if !g.orgs.contains_key(&k.org_id) {
            return Err(ScenarioError::at(
                at("org_id"),
                format!("no org {}", k.org_id),
            ));
        }
        let role = ApiKeyRole::parse(&k.role).map_err(|e| ScenarioError::at(at("role"), e))?;
        let key = (k.org_id, k.name.clone());
        if g.api_keys.contains_key(&key) {
            return Err(ScenarioError::at(
                at("name"),
                format!("duplicate API key name {:?} in org {}", k.name, k.org_id),
            ));
        }
        if k.secret.is_empty() || g.api_key_secrets.contains_key(&k.secret) {
            return Err(ScenarioError::at(
                at("secret"),
                "secrets must be non-empty and unique",
            ));
        }
        g.api_key_secrets.insert(k.secret.clone(), key.clone());
        g.api_keys.insert(
            key,
            OrgApiKey {
                id: k.id,
                org_id: k.org_id,
                name: k.name,
                role,
                created_at: k.created_at,
                secret: k.secret,
            },
        );
    }
    for (i, k) in snapshot.hosted_grafana_keys.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.hosted_grafana_keys[{i}].{field}");
        if !stack_exists(&g, k.stack_id) {
            return Err(ScenarioError::at(
                at("stack_id"),
                format!("no stack {}", k.stack_id),
            ));
        }
        let key = (k.stack_id, k.name.clone());
        if g.hosted_grafana_keys.contains_key(&key) {
            return Err(ScenarioError::at(
                at("name"),
                format!("duplicate key name {:?} in stack {}", k.name, k.stack_id),
            ));
        }
        g.hosted_grafana_keys.insert(
            key,
            HostedGrafanaKey {
                id: k.id,
                name: k.name,
                key: k.key,
            },
        );
    }
    Ok(g)
}

fn load_stacks(
    g: &mut GrafanaState,
    live: Vec<StackRecord>,
    deleted: Vec<StackRecord>,
) -> Result<(), ScenarioError> {
    let mut ids = HashSet::new();
    let lists = [
        ("stacks", live, StackStatus::Active),
        ("deleted_stacks", deleted, StackStatus::Deleted),
    ];
    for (list, records, status) in lists {
        for (i, s) in records.into_iter().enumerate() {
            let at = |field: &str| format!("grafana.{list}[{i}].{field}");
            if !g.orgs.contains_key(&s.org_id) {
                return Err(ScenarioError::at(
                    at("org_id"),
                    format!("no org {}", s.org_id),
                ));
            }
            if !g.regions.contains_key(&s.region) {
                return Err(ScenarioError::at(
                    at("region"),
                    format!("unknown region {:?}", s.region),
                ));
            }
            if !ids.insert(s.id) {
                return Err(ScenarioError::at(
                    at("id"),
                    format!("duplicate stack id {}", s.id),
                ));
            }
            // Slugs are unique among live stacks; a deleted one frees its slug.
            if status == StackStatus::Active && g.stack_slugs.contains_key(&s.slug) {
                return Err(ScenarioError::at(
                    at("slug"),
                    format!("duplicate stack slug {:?}", s.slug),
                ));
            }
            let stack = Stack {
                id: s.id,
                org_id: s.org_id,
                name: s.name,
                slug: s.slug,
                custom_url: s.custom_url,
                region: s.region,
                description: s.description,
                labels: s.labels,
                delete_protection: s.delete_protection,
                status,
                created_at: s.created_at,
                created_by: s.created_by,
                updated_at: s.updated_at,
                updated_by: s.updated_by,
                billing_start_date: s.billing_start_date,
                billing_end_date: s.billing_end_date,
            };
            match status {
                StackStatus::Active => g.insert_stack(stack),
                StackStatus::Deleted => g.deleted_stacks.push(stack),
            }
        }
    }
    Ok(())
}

fn load_policies_and_tokens(
    g: &mut GrafanaState,
    policies: Vec<AccessPolicyRecord>,
    tokens: Vec<TokenRecord>,
) -> Result<(), ScenarioError> {
    // Policies and tokens draw from one sequence: every seq is distinct.
    let mut seqs = HashSet::new();
    for (i, p) in policies.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.access_policies[{i}].{field}");
        if g.policies.contains_key(&p.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate policy id {}", p.id),
            ));
        }
        if !seqs.insert(p.seq) {
            return Err(ScenarioError::at(
                at("seq"),
                format!("duplicate seq {}", p.seq),
            ));
        }
        let org = g
            .orgs
            .get(&p.org_id)
            .ok_or_else(|| ScenarioError::at(at("org_id"), format!("no org {}", p.org_id)))?;
        if !org.regions.contains(&p.region) {
            return Err(ScenarioError::at(
                at("region"),
                format!("region {:?} is not available to org {}", p.region, p.org_id),
            ));
        }
        validate_name(&p.name).map_err(|e| ScenarioError::at(at("name"), e))?;
        let name_key = (p.org_id, p.region.clone(), p.name.clone());
        if g.policy_names.contains_key(&name_key) {
            return Err(ScenarioError::at(
                at("name"),
                format!(
                    "duplicate policy name {:?} in region {:?}",
                    p.name, p.region
                ),
            ));
        }
        let allowed_subnets = match p.allowed_subnets {
            None => None,
            Some(subnets) if subnets.is_empty() => {
                return Err(ScenarioError::at(
                    at("allowed_subnets"),
                    "an empty list restricts nothing: use null",
                ));
            }
            Some(subnets) => Some(
                subnets
                    .iter()
                    .enumerate()
                    .map(|(j, s)| {
                        Cidr::parse(s).map_err(|e| {
                            ScenarioError::at(format!("{}[{j}]", at("allowed_subnets")), e)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let attributes = match p.attributes {
            Some(a) => a
                .validated()
                .map_err(|e| ScenarioError::at(at("attributes"), e))?,
            None => None,
        };
        g.policy_names.insert(name_key, p.id);
        g.policy_order
            .insert((p.org_id, p.region.clone(), p.seq), p.id);
        g.policies.insert(
            p.id,
            AccessPolicy {
                id: p.id,
                seq: p.seq,
                org_id: p.org_id,
                region: p.region,
                name: p.name,
                display_name: p.display_name,
                scopes: p.scopes,
                realms: p.realms,
                allowed_subnets,
                attributes,
                status: p.status,
                created_at: p.created_at,
                updated_at: p.updated_at,
            },
        );
    }
    for (i, t) in tokens.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.tokens[{i}].{field}");
        if g.tokens.contains_key(&t.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate token id {}", t.id),
            ));
        }
        if !seqs.insert(t.seq) {
            return Err(ScenarioError::at(
                at("seq"),
                format!("duplicate seq {}", t.seq),
            ));
        }
        let policy = g.policies.get(&t.access_policy_id).ok_or_else(|| {
            ScenarioError::at(
                at("access_policy_id"),
                format!("no access policy {}", t.access_policy_id),
            )
        })?;
        let (org_id, region) = (policy.org_id, policy.region.clone());
        validate_name(&t.name).map_err(|e| ScenarioError::at(at("name"), e))?;
        let name_key = (org_id, region.clone(), t.name.clone());
        if g.token_names.contains_key(&name_key) {
            return Err(ScenarioError::at(
                at("name"),
                format!("duplicate token name {:?} in region {region:?}", t.name),
            ));
        }
        if t.secret.is_empty() || g.token_secrets.contains_key(&t.secret) {
            return Err(ScenarioError::at(
                at("secret"),
                "secrets must be non-empty and unique",
            ));
        }
        g.token_names.insert(name_key, t.id);
        g.token_order.insert((org_id, region.clone(), t.seq), t.id);
        g.tokens_by_policy.insert((t.access_policy_id, t.seq), t.id);
        g.token_secrets.insert(t.secret.clone(), t.id);
        g.tokens.insert(
            t.id,
            Token {
                id: t.id,
                seq: t.seq,
                org_id,
                region,
                access_policy_id: t.access_policy_id,
                name: t.name,
                display_name: t.display_name,
                expires_at: t.expires_at,
                first_used_at: t.first_used_at,
                last_used_at: t.last_used_at,
                created_at: t.created_at,
                updated_at: t.updated_at,
                secret: t.secret,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_default_world_round_trips() {
        let world = World::from_scenario(&Scenario::default_scenario(), 7, Clock::default())
            .expect("the default scenario loads");
        let exported = serde_json::to_string(&Snapshot::of(&world)).unwrap();
        let snapshot = parse(exported.as_bytes()).unwrap();
        let rebuilt = World::from_snapshot(snapshot, Clock::default()).unwrap();
        assert_eq!(
            serde_json::to_string(&Snapshot::of(&rebuilt)).unwrap(),
            exported
        );
    }
}
