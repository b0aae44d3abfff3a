//! Grafana's section of the state document (`crate::snapshot`): every
//! stored object as it is, secrets included. Most records are the model
//! types themselves; the indexes are not stored but rebuilt on restore.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::core::error::ScenarioError;
use crate::core::ids::IdsState;
use crate::core::rate_limit::{self, RateLimitSpec};
use crate::core::world::World;
use crate::vendors::grafana::model::access_policies::{
    AccessPolicy, Attributes, PolicyStatus, Realm,
};
use crate::vendors::grafana::model::api_keys::{ApiKeyRole, OrgApiKey};
use crate::vendors::grafana::model::cidr::Cidr;
use crate::vendors::grafana::model::hosted_grafana::HostedGrafanaKey;
use crate::vendors::grafana::model::plugins::{PluginInstallation, PluginState};
use crate::vendors::grafana::model::stacks::{Stack, StackId, StackStatus};
use crate::vendors::grafana::model::tokens::Token;
use crate::vendors::grafana::model::{
    GrafanaState, Org, OrgId, Region, validate_key_name, validate_name,
};
use crate::vendors::grafana::scenario::PluginSpec;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaSnapshot {
    /// By slug.
    pub regions: Vec<Region>,
    /// By id.
    pub orgs: Vec<Org>,
    /// The plugin catalog, by id.
    pub plugins: Vec<PluginSpec>,
    /// Live stacks, by id.
    pub stacks: Vec<Stack>,
    /// Deleted stacks (kept for billing), in the order they were deleted.
    pub deleted_stacks: Vec<Stack>,
    /// By creation sequence.
    pub access_policies: Vec<AccessPolicyRecord>,
    /// By creation sequence; org and region are the policy's.
    pub tokens: Vec<Token>,
    /// By stack, then plugin.
    pub plugin_installations: Vec<PluginInstallation>,
    /// By org, then name.
    pub org_api_keys: Vec<OrgApiKeyRecord>,
    /// By stack, then name.
    pub hosted_grafana_keys: Vec<HostedGrafanaKeyRecord>,
    /// As in force: an empty list is no limit at all.
    pub rate_limits: Vec<RateLimitSpec>,
}

/// Kept apart from [`AccessPolicy`]: subnets are stored as text and parsed,
/// with their location, on restore.
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

/// Kept apart from [`OrgApiKey`]: the role is stored as text and checked,
/// after the org, on restore.
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

/// Kept apart from [`HostedGrafanaKey`]: the stack is the model's map key,
/// a field here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedGrafanaKeyRecord {
    pub stack_id: StackId,
    pub id: u64,
    pub name: String,
    pub key: String,
}

/// Grafana's section of the world as stored.
pub fn of(grafana: &GrafanaState) -> GrafanaSnapshot {
    // Spelled out so that a new part of the state fails to compile here
    // until the snapshot carries it (or says it is an index).
    let GrafanaState {
        orgs,
        regions,
        policies,
        policy_lists: _,
        policy_names: _,
        tokens,
        token_lists: _,
        token_names: _,
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
    // With the uses recorded outside the write lock merged in.
    let mut tokens: Vec<Token> = tokens.values().map(|t| token_use.applied(t)).collect();
    tokens.sort_by_key(|t| t.seq);
    let mut live: Vec<Stack> = stacks.values().cloned().collect();
    live.sort_by_key(|s| s.id);
    GrafanaSnapshot {
        regions: regions.values().cloned().collect(),
        orgs: orgs.values().cloned().collect(),
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
        stacks: live,
        deleted_stacks: deleted_stacks.clone(),
        access_policies: access_policies.into_iter().map(policy_record).collect(),
        tokens,
        plugin_installations: plugins.installations().cloned().collect(),
        org_api_keys: api_keys.values().map(org_api_key_record).collect(),
        hosted_grafana_keys: hosted_grafana_keys
            .iter()
            .map(|((stack_id, _), k)| hosted_grafana_key_record(*stack_id, k))
            .collect(),
        rate_limits: rate_limits.clone(),
    }
}

// --- The state file's log ---------------------------------------------------
//
// Each mutation says which records it touched; these look up what is stored
// of them now and record it (or that it is gone) in the form and the list
// the snapshot keeps it in, so that the log replays onto a snapshot.

/// Grafana's section of the state document.
pub const SECTION: &str = "grafana";

/// What is stored now of the access policy `id`.
pub(crate) fn log_policy(world: &mut World, id: Uuid) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "id": id });
    match world.sections.grafana().policies.get(&id) {
        Some(policy) => {
            let record = policy_record(policy);
            world
                .changes
                .upsert(SECTION, "access_policies", &key, &record)
        }
        None => world.changes.delete(SECTION, "access_policies", &key),
    }
}

/// What is stored now of the token `id`, with its recorded uses.
pub(crate) fn log_token(world: &mut World, id: Uuid) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "id": id });
    let grafana = world.sections.grafana();
    match grafana.tokens.get(&id) {
        Some(token) => {
            let token = grafana.token_use.applied(token);
            world.changes.upsert(SECTION, "tokens", &key, &token)
        }
        None => world.changes.delete(SECTION, "tokens", &key),
    }
}

/// What is stored now of the live stack `id`; `deleted`: the stack was
/// deleted and is kept as `deleted`.
pub(crate) fn log_stack(world: &mut World, id: StackId, deleted: Option<&Stack>) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "id": id });
    match world.sections.grafana().stacks.get(&id) {
        Some(stack) => world.changes.upsert(SECTION, "stacks", &key, stack),
        None => world.changes.delete(SECTION, "stacks", &key),
    }
    if let Some(stack) = deleted {
        world.changes.upsert(SECTION, "deleted_stacks", &key, stack);
    }
}

/// What is stored now of the installation of `plugin_id` on `stack_id`.
pub(crate) fn log_installation(world: &mut World, stack_id: StackId, plugin_id: u64) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "stack_id": stack_id, "plugin_id": plugin_id });
    match world
        .sections
        .grafana()
        .plugins
        .installation(stack_id, plugin_id)
    {
        Some(installation) => {
            world
                .changes
                .upsert(SECTION, "plugin_installations", &key, installation)
        }
        None => world.changes.delete(SECTION, "plugin_installations", &key),
    }
}

/// What is stored now of the org API key `name` of `org_id`.
pub(crate) fn log_org_api_key(world: &mut World, org_id: OrgId, name: &str) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "org_id": org_id, "name": name });
    match world
        .sections
        .grafana()
        .api_keys
        .get(&(org_id, name.to_string()))
    {
        Some(k) => {
            let record = org_api_key_record(k);
            world.changes.upsert(SECTION, "org_api_keys", &key, &record)
        }
        None => world.changes.delete(SECTION, "org_api_keys", &key),
    }
}

/// What is stored now of the hosted-Grafana key `name` of `stack_id`.
pub(crate) fn log_hosted_grafana_key(world: &mut World, stack_id: StackId, name: &str) {
    if !world.changes.is_enabled() {
        return;
    }
    let key = json!({ "stack_id": stack_id, "name": name });
    match world
        .sections
        .grafana()
        .hosted_grafana_keys
        .get(&(stack_id, name.to_string()))
    {
        Some(k) => {
            let record = hosted_grafana_key_record(stack_id, k);
            world
                .changes
                .upsert(SECTION, "hosted_grafana_keys", &key, &record)
        }
        None => world.changes.delete(SECTION, "hosted_grafana_keys", &key),
    }
}

fn org_api_key_record(k: &OrgApiKey) -> OrgApiKeyRecord {
    OrgApiKeyRecord {
        id: k.id,
        org_id: k.org_id,
        name: k.name.clone(),
        role: k.role.as_str().to_string(),
        created_at: k.created_at,
        secret: k.secret.clone(),
    }
}

fn hosted_grafana_key_record(stack_id: StackId, k: &HostedGrafanaKey) -> HostedGrafanaKeyRecord {
    HostedGrafanaKeyRecord {
        stack_id,
        id: k.id,
        name: k.name.clone(),
        key: k.key.clone(),
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

/// Rebuilds Grafana's state, every index included, and checks that the
/// id generators (`ids`) stand above every id in use; the first problem
/// found is reported with its location.
pub fn restore(snapshot: GrafanaSnapshot, ids: &IdsState) -> Result<GrafanaState, ScenarioError> {
    let g = grafana_state(snapshot)?;
    let max_seq = g
        .policies
        .values()
        .map(|p| p.seq)
        .chain(g.tokens.values().map(|t| t.seq))
        .max()
        .unwrap_or(0);
    if ids.next_seq <= max_seq {
        return Err(ScenarioError::at(
            "ids.next_seq",
            format!("must be above every seq in use (the largest is {max_seq})"),
        ));
    }
    // Stacks are left out: a scenario may give them any id.
    let max_number = g
        .plugins
        .installations()
        .map(|i| i.id)
        .chain(g.api_keys.values().map(|k| k.id))
        .chain(g.hosted_grafana_keys.values().map(|k| k.id))
        .max()
        .unwrap_or(0);
    if ids.next_number <= max_number {
        return Err(ScenarioError::at(
            "ids.next_number",
            format!("must be above every numeric id in use (the largest is {max_number})"),
        ));
    }
    Ok(g)
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
    for (i, region) in snapshot.regions.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.regions[{i}].{field}");
        if g.regions.values().any(|existing| existing.id == region.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate region id {}", region.id),
            ));
        }
        if g.regions.contains_key(&region.slug) {
            return Err(ScenarioError::at(
                at("slug"),
                format!("duplicate region slug {:?}", region.slug),
            ));
        }
        g.regions.insert(region.slug.clone(), region);
    }
    for (i, org) in snapshot.orgs.into_iter().enumerate() {
        let at = |field: &str| format!("grafana.orgs[{i}].{field}");
        if g.orgs.contains_key(&org.id) {
            return Err(ScenarioError::at(
                at("id"),
                format!("duplicate org id {}", org.id),
            ));
        }
        if g.orgs.values().any(|existing| existing.slug == org.slug) {
            return Err(ScenarioError::at(
                at("slug"),
                format!("duplicate org slug {:?}", org.slug),
            ));
        }
        if let Some(j) = org.regions.iter().position(|r| !g.regions.contains_key(r)) {
            return Err(ScenarioError::at(
                format!("grafana.orgs[{i}].regions[{j}]"),
                format!("unknown region {:?}", org.regions[j]),
            ));
        }
        g.orgs.insert(org.id, org);
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
        if !g.plugins.restore_installation(p) {
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
        validate_key_name(&k.name).map_err(|e| ScenarioError::at(at("name"), e))?;
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
        validate_key_name(&k.name).map_err(|e| ScenarioError::at(at("name"), e))?;
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
    live: Vec<Stack>,
    deleted: Vec<Stack>,
) -> Result<(), ScenarioError> {
    let mut ids = HashSet::new();
    let lists = [
        ("stacks", live, StackStatus::Active),
        ("deleted_stacks", deleted, StackStatus::Deleted),
    ];
    for (list, stacks, status) in lists {
        for (i, mut stack) in stacks.into_iter().enumerate() {
            let at = |field: &str| format!("grafana.{list}[{i}].{field}");
            if !g.orgs.contains_key(&stack.org_id) {
                return Err(ScenarioError::at(
                    at("org_id"),
                    format!("no org {}", stack.org_id),
                ));
            }
            if !g.regions.contains_key(&stack.region) {
                return Err(ScenarioError::at(
                    at("region"),
                    format!("unknown region {:?}", stack.region),
                ));
            }
            if !ids.insert(stack.id) {
                return Err(ScenarioError::at(
                    at("id"),
                    format!("duplicate stack id {}", stack.id),
                ));
            }
            // Slugs are unique among live stacks; a deleted one frees its slug.
            if status == StackStatus::Active && g.stack_slugs.contains_key(&stack.slug) {
                return Err(ScenarioError::at(
                    at("slug"),
                    format!("duplicate stack slug {:?}", stack.slug),
                ));
            }
            stack.status = status;
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
    tokens: Vec<Token>,
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
        g.insert_policy(AccessPolicy {
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
        });
    }
    for (i, mut t) in tokens.into_iter().enumerate() {
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
        // Not stored with the token: the policy's.
        (t.org_id, t.region) = (policy.org_id, policy.region.clone());
        validate_name(&t.name).map_err(|e| ScenarioError::at(at("name"), e))?;
        let name_key = (t.org_id, t.region.clone(), t.name.clone());
        if g.token_names.contains_key(&name_key) {
            return Err(ScenarioError::at(
                at("name"),
                format!("duplicate token name {:?} in region {:?}", t.name, t.region),
            ));
        }
        if t.secret.is_empty() || g.token_secrets.contains_key(&t.secret) {
            return Err(ScenarioError::at(
                at("secret"),
                "secrets must be non-empty and unique",
            ));
        }
        g.insert_token(t);
    }
    Ok(())
}
