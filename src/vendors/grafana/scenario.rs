//! Grafana's section of a scenario file: regions, the plugin catalog, orgs
//! with their stacks, access policies and tokens, and rate limits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::generate::GenerateSpec;
use super::model::access_policies::{
    Attributes, Conditions, NewAccessPolicy, PolicyStatus, Realm, RealmType,
};
use super::model::api_keys::ApiKeyRole;
use super::model::plugins;
use super::model::stacks::NewStack;
use super::model::tokens::NewToken;
use super::model::{self as grafana, GrafanaCaller, GrafanaState, Grants, Org, Region};
use crate::core::error::ScenarioError;
use crate::core::rate_limit::RateLimitSpec;
use crate::core::world::World;

/// Grafana Cloud: the regions, the orgs (with their stacks, access policies
/// and tokens), the plugin catalog and the rate limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaScenario {
    /// The regions stacks and access policies live in (`us`, `eu`, ...).
    #[serde(default)]
    pub regions: Vec<RegionSpec>,
    /// The orgs, each with the stacks, policies and tokens it starts with.
    #[serde(default)]
    pub orgs: Vec<OrgSpec>,
    /// The plugin catalog stacks can install from.
    #[serde(default)]
    pub plugins: Vec<PluginSpec>,
    /// Rate limits per bearer token on the access-policy and token
    /// endpoints: Grafana's documented 600 per hour when absent, none for
    /// an empty list (as `PUT /__admin/rate-limits/grafana` with `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<Vec<RateLimitSpec>>,
}

/// A plugin of the catalog (grafana.com/grafana/plugins).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSpec {
    /// The catalog's numeric id.
    pub id: u64,
    /// `grafana-github-datasource`: what clients install it by.
    pub slug: String,
    /// The name the catalog shows (`GitHub`).
    pub name: String,
    /// Every published version, oldest first.
    pub versions: Vec<String>,
    /// The version installs default to; the last of `versions` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
}

/// A Grafana Cloud region (`GET /api/stack-regions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// Numeric id, unique among the regions.
    pub id: u64,
    /// `us`, `eu`, `prod-us-east-0`: what stacks and policies name it by.
    pub slug: String,
    /// `GCP US Central`.
    pub name: String,
    /// `United States`.
    #[serde(default)]
    pub description: String,
    /// The cloud it runs on: `gcp`, `aws`, `azure`.
    pub provider: String,
    /// `active` when omitted.
    #[serde(default = "active")]
    pub status: String,
    /// The name the Grafana Cloud UI shows (`publicName`); `name` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    /// `public` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Where the region sorts in pickers (`sortOrder`); its id when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<u64>,
    /// The cluster stacks of this region run on (`prod-us-central-0`);
    /// `prod-<slug>-0` when omitted. Instance URLs derive from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_slug: Option<String>,
    /// Defaults to the region id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<u64>,
    /// `createdAt`; load time when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// `updatedAt`; `created_at` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

fn active() -> String {
    "active".to_string()
}

/// A Grafana Cloud org and what it starts with. The scenario creates its
/// stacks, access policies and tokens through the API's own rules, so what
/// the API refuses the scenario does too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    /// Numeric id, unique among the orgs (realms name it).
    pub id: u64,
    /// Unique among the orgs (`GET /api/orgs/{slug}`).
    pub slug: String,
    /// The name the org is shown with.
    pub name: String,
    /// Region slugs the org may use; all of the scenario's regions when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// The org's plan; it caps the number of stacks.
    #[serde(default)]
    pub plan: Plan,
    /// Stack cap of a `contracted` plan (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_limit: Option<u32>,
    /// When the org was created; load time when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Loaded before the access policies, so stack realms can name them.
    #[serde(default)]
    pub stacks: Vec<StackSpec>,
    /// Access policies (with their tokens), after the stacks.
    #[serde(default)]
    pub access_policies: Vec<AccessPolicySpec>,
    /// Stacks, policies and tokens made up at load time, after the listed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateSpec>,
}

/// Grafana Cloud plans, as far as they limit stacks: Free 1, Pro 3,
/// contracted as agreed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// One stack.
    Free,
    /// Three stacks.
    Pro,
    /// [`OrgSpec::stack_limit`] stacks (100 when unset); the default.
    #[default]
    Contracted,
}

/// A stack (hosted Grafana instance) of an org.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// Numeric id; the next free one when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// `mystack.grafana.net`.
    pub name: String,
    /// `mystack`: unique across orgs; instance URLs derive from it.
    pub slug: String,
    /// A region slug; `us` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A custom domain; `https://<slug>.grafana.net` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Labels, as the API takes them.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Refuses deletion until turned off.
    #[serde(default)]
    pub delete_protection: bool,
    /// When the stack was created (and billing started); load time if omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// An access policy of an org, with its tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicySpec {
    /// Unique per org and region.
    pub name: String,
    /// The name shown; `name` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The region slug the policy (and its tokens) live in.
    pub region: String,
    /// What its tokens may do (`stacks:read`, `accesspolicies:write`, ...).
    pub scopes: Vec<String>,
    /// Defaults to one realm: the org itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realms: Option<Vec<Realm>>,
    /// Where its tokens may be used from (`allowedSubnets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    /// As the API takes them (`lokiQueryPolicy`, `pdcConfiguration`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// `active` when omitted; the tokens of an inactive policy are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PolicyStatus>,
    /// Its tokens, with fixed secrets.
    #[serde(default)]
    pub tokens: Vec<TokenSpec>,
}

/// A token of an access policy, with a secret fixed by the scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// Unique per org and region.
    pub name: String,
    /// The name shown; `name` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The secret a client sends as `Authorization: Bearer <token>`.
    pub token: String,
    /// Refused from then on (on the server clock); never when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl PluginSpec {
    /// A plugin whose latest version is the last of `versions`.
    pub fn new(
        id: u64,
        slug: impl Into<String>,
        name: impl Into<String>,
        versions: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        PluginSpec {
            id,
            slug: slug.into(),
            name: name.into(),
            versions: versions.into_iter().map(Into::into).collect(),
            latest: None,
        }
    }
}

impl RegionSpec {
    /// An active public region; the optional fields take their defaults.
    pub fn new(
        id: u64,
        slug: impl Into<String>,
        name: impl Into<String>,
        provider: impl Into<String>,
    ) -> Self {
        RegionSpec {
            id,
            slug: slug.into(),
            name: name.into(),
            description: String::new(),
            provider: provider.into(),
            status: active(),
            public_name: None,
            visibility: None,
            sort_order: None,
            cluster_slug: None,
            cluster_id: None,
            created_at: None,
            updated_at: None,
        }
    }
}

impl OrgSpec {
    /// An org on the contracted plan, in every region of the scenario,
    /// with nothing in it yet.
    ///
    /// ```
    /// use mockcloud::scenario::{OrgSpec, Plan};
    ///
    /// let org = OrgSpec::new(2, "acme", "Acme");
    /// assert_eq!(org.plan, Plan::Contracted);
    /// assert!(org.stacks.is_empty() && org.access_policies.is_empty());
    /// ```
    pub fn new(id: u64, slug: impl Into<String>, name: impl Into<String>) -> Self {
        OrgSpec {
            id,
            slug: slug.into(),
            name: name.into(),
            regions: None,
            plan: Plan::default(),
            stack_limit: None,
            created_at: None,
            stacks: Vec::new(),
            access_policies: Vec::new(),
            generate: None,
        }
    }
}

impl StackSpec {
    /// Stack `slug` (named `<slug>.grafana.net`) in `region`, with the next
    /// free id.
    pub fn new(slug: impl Into<String>, region: impl Into<String>) -> Self {
        let slug = slug.into();
        StackSpec {
            id: None,
            name: format!("{slug}.grafana.net"),
            slug,
            region: Some(region.into()),
            url: None,
            description: None,
            labels: Default::default(),
            delete_protection: false,
            created_at: None,
        }
    }
}

impl AccessPolicySpec {
    /// An active policy on the org itself, with no tokens yet.
    pub fn new(
        name: impl Into<String>,
        region: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        AccessPolicySpec {
            name: name.into(),
            display_name: None,
            region: region.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            realms: None,
            conditions: None,
            attributes: None,
            status: None,
            tokens: Vec::new(),
        }
    }
}

impl TokenSpec {
    /// A token that never expires, whose secret is `token`.
    pub fn new(name: impl Into<String>, token: impl Into<String>) -> Self {
        TokenSpec {
            name: name.into(),
            display_name: None,
            token: token.into(),
            expires_at: None,
        }
    }
}

/// Stacks a `contracted` org may have when its scenario sets no limit.
const DEFAULT_CONTRACTED_STACK_LIMIT: u32 = 100;

/// Builds Grafana's section of `world` from the scenario's, through the same
/// validated paths the API uses; problems are located under `grafana.`.
pub fn load(section: &GrafanaScenario, world: &mut World) -> Result<(), ScenarioError> {
    world.sections.insert(GrafanaState::default());
    world.sections.grafana_mut().plugins = plugins::PluginState::from_catalog(&section.plugins)?;
    world.sections.grafana_mut().rate_limits = crate::core::rate_limit::from_scenario(
        section.rate_limits.as_deref(),
        "grafana.rate_limits",
        grafana::default_rate_limit(),
    )?;
    let now = world.clock.now();
    for (i, spec) in section.regions.iter().enumerate() {
        let at = format!("grafana.regions[{i}]");
        if world
            .sections
            .grafana()
            .regions
            .values()
            .any(|r| r.id == spec.id)
        {
            return Err(ScenarioError::at(
                at,
                format!("duplicate region id {}", spec.id),
            ));
        }
        let region = Region {
            id: spec.id,
            slug: spec.slug.clone(),
            name: spec.name.clone(),
            description: spec.description.clone(),
            provider: spec.provider.clone(),
            status: spec.status.clone(),
            public_name: spec
                .public_name
                .clone()
                .unwrap_or_else(|| spec.name.clone()),
            visibility: spec
                .visibility
                .clone()
                .unwrap_or_else(|| "public".to_string()),
            sort_order: spec.sort_order.unwrap_or(spec.id),
            cluster_slug: spec
                .cluster_slug
                .clone()
                .unwrap_or_else(|| format!("prod-{}-0", spec.slug)),
            cluster_id: spec.cluster_id.unwrap_or(spec.id),
            created_at: spec.created_at.unwrap_or(now),
            updated_at: spec.updated_at.or(spec.created_at).unwrap_or(now),
        };
        if world
            .sections
            .grafana_mut()
            .regions
            .insert(spec.slug.clone(), region)
            .is_some()
        {
            return Err(ScenarioError::at(
                at,
                format!("duplicate region slug {:?}", spec.slug),
            ));
        }
    }
    for (i, spec) in section.orgs.iter().enumerate() {
        world.load_org(spec, &format!("grafana.orgs[{i}]"))?;
    }
    Ok(())
}

impl World {
    fn load_org(&mut self, spec: &OrgSpec, at: &str) -> Result<(), ScenarioError> {
        let grafana = self.sections.grafana_mut();
        if grafana.orgs.contains_key(&spec.id) {
            return Err(ScenarioError::at(
                format!("{at}.id"),
                format!("duplicate org id {}", spec.id),
            ));
        }
        if grafana.orgs.values().any(|o| o.slug == spec.slug) {
            return Err(ScenarioError::at(
                format!("{at}.slug"),
                format!("duplicate org slug {:?}", spec.slug),
            ));
        }
        let regions = match &spec.regions {
            Some(regions) => {
                if let Some(unknown) = regions.iter().find(|r| !grafana.regions.contains_key(*r)) {
                    return Err(ScenarioError::at(
                        format!("{at}.regions"),
                        format!("unknown region {unknown:?}"),
                    ));
                }
                regions.clone()
            }
            None => grafana.regions.keys().cloned().collect(),
        };
        grafana.orgs.insert(
            spec.id,
            Org {
                id: spec.id,
                slug: spec.slug.clone(),
                name: spec.name.clone(),
                regions,
                plan: spec.plan,
                stack_limit: spec.stack_limit.unwrap_or(DEFAULT_CONTRACTED_STACK_LIMIT),
                created_at: spec.created_at.unwrap_or_else(|| self.clock.now()),
            },
        );
        // The scenario acts with the org's full authority.
        let owner = GrafanaCaller {
            org_id: spec.id,
            actor: "scenario".to_string(),
            grants: Grants::Role(ApiKeyRole::Admin),
            allowed_subnets: None,
        };
        let generated_stacks = spec
            .generate
            .as_ref()
            .map(|g| g.stacks(spec))
            .unwrap_or_default();
        let listed = spec.stacks.len();
        for (j, stack) in spec.stacks.iter().chain(&generated_stacks).enumerate() {
            let location = match j.checked_sub(listed) {
                None => format!("{at}.stacks[{j}]"),
                Some(n) => format!(
                    "{at}.generate.stacks (stack {:?})",
                    generated_stacks[n].slug
                ),
            };
            let new = NewStack {
                id: stack.id,
                name: stack.name.clone(),
                slug: stack.slug.clone(),
                url: stack.url.clone(),
                region: stack.region.clone(),
                description: stack.description.clone(),
                labels: stack.labels.clone(),
                delete_protection: stack.delete_protection,
                created_at: stack.created_at,
            };
            self.create_stack(&owner, new)
                .map_err(|e| ScenarioError::at(location, e))?;
        }
        for (j, policy) in spec.access_policies.iter().enumerate() {
            self.load_access_policy(&owner, policy, &format!("{at}.access_policies[{j}]"))?;
        }
        let generated_policies = spec.generate.as_ref().map(|g| g.access_policies(spec));
        for policy in generated_policies.iter().flatten() {
            let location = format!("{at}.generate.access_policies (policy {:?})", policy.name);
            self.load_access_policy(&owner, policy, &location)?;
        }
        Ok(())
    }

    fn load_access_policy(
        &mut self,
        owner: &GrafanaCaller,
        spec: &AccessPolicySpec,
        at: &str,
    ) -> Result<(), ScenarioError> {
        let realms = spec.realms.clone().unwrap_or_else(|| {
            vec![Realm {
                realm_type: RealmType::Org,
                identifier: owner.org_id.to_string(),
                label_policies: Vec::new(),
            }]
        });
        let policy = self
            .create_access_policy(
                owner,
                &spec.region,
                NewAccessPolicy {
                    name: spec.name.clone(),
                    display_name: spec.display_name.clone(),
                    scopes: spec.scopes.clone(),
                    realms,
                    conditions: spec.conditions.clone(),
                    attributes: spec.attributes.clone(),
                    status: spec.status,
                },
            )
            .map_err(|e| ScenarioError::at(at, e))?;
        for (k, token) in spec.tokens.iter().enumerate() {
            self.create_token(
                owner,
                &spec.region,
                NewToken {
                    access_policy_id: policy.id,
                    name: token.name.clone(),
                    display_name: token.display_name.clone(),
                    expires_at: token.expires_at,
                    secret: Some(token.token.clone()),
                },
            )
            .map_err(|e| ScenarioError::at(format!("{at}.tokens[{k}]"), e))?;
        }
        Ok(())
    }
}
