//! The state engine: every vendor object lives here, with its behaviour
//! (validation, uniqueness, cursors), and nothing here knows about HTTP.
//!
//! The whole world sits behind one `RwLock`. Every mutation validates fully
//! before it changes anything, under one write guard, so a change is applied
//! whole or not at all; guards are never held across an `.await`.

use std::sync::{Arc, RwLock};

use crate::core::clock::Clock;
use crate::core::faults::store::FaultStore;
use crate::core::store::Store;
pub use crate::core::world::World;
use crate::scenario::{AccessPolicySpec, OrgSpec, Scenario, ScenarioError};
use crate::vendors::datadog::model::DatadogState;
use crate::vendors::gcore::model as gcore;
use crate::vendors::grafana::model::access_policies::{NewAccessPolicy, Realm, RealmType};
use crate::vendors::grafana::model::api_keys::ApiKeyRole;
use crate::vendors::grafana::model::plugins;
use crate::vendors::grafana::model::stacks::NewStack;
use crate::vendors::grafana::model::tokens::NewToken;
use crate::vendors::grafana::model::{
    self as grafana, GrafanaCaller, GrafanaState, Grants, Org, Region,
};

/// Stacks a `contracted` org may have when its scenario sets no limit.
const DEFAULT_CONTRACTED_STACK_LIMIT: u32 = 100;

impl World {
    /// Builds the world a scenario describes, through the same validated
    /// paths the API uses; any problem is reported with its location.
    pub fn from_scenario(
        scenario: &Scenario,
        seed: u64,
        clock: Clock,
    ) -> Result<World, ScenarioError> {
        scenario.faults.validate("faults")?;
        let mut world = World::new(seed, clock);
        world.sections.insert(GrafanaState::default());
        world
            .sections
            .insert(DatadogState::from_scenario(&scenario.datadog)?);
        world
            .sections
            .insert(gcore::GcoreState::from_scenario(&scenario.gcore, seed)?);
        world.sections.grafana_mut().plugins =
            plugins::PluginState::from_catalog(&scenario.grafana.plugins)?;
        world.sections.grafana_mut().rate_limits = crate::core::rate_limit::from_scenario(
            &scenario.grafana.rate_limits,
            "grafana.rate_limits",
            grafana::default_rate_limit(),
        )?;
        let now = world.clock.now();
        for (i, spec) in scenario.grafana.regions.iter().enumerate() {
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
        for (i, spec) in scenario.grafana.orgs.iter().enumerate() {
            world.load_org(spec, &format!("grafana.orgs[{i}]"))?;
        }
        Ok(world)
    }

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

/// The scenario the world was built from, and the seed it was built with.
#[derive(Debug, Clone)]
struct Loaded {
    scenario: Arc<Scenario>,
    seed: u64,
}

/// The store plus what its world was built from, so it can be rebuilt on
/// reset. Reads and writes of the world go through the store (`Deref`).
#[derive(Debug)]
pub struct Engine {
    store: Arc<Store>,
    /// Swapped whole by `load`; `reset` rebuilds from whatever it holds.
    loaded: RwLock<Loaded>,
    /// `--seed`: wins over every scenario's own seed, also after `load`.
    seed_override: Option<u64>,
}

impl std::ops::Deref for Engine {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Engine {
    /// `seed` overrides the scenario's own.
    pub fn new(scenario: Scenario, seed: Option<u64>, clock: Clock) -> Result<Self, ScenarioError> {
        let seed_override = seed;
        let seed = seed.unwrap_or(scenario.seed);
        let world = World::from_scenario(&scenario, seed, clock.clone())?;
        let faults = FaultStore::new(&scenario.faults, seed);
        Ok(Engine {
            store: Arc::new(Store::new(world, faults, clock)),
            loaded: RwLock::new(Loaded {
                scenario: Arc::new(scenario),
                seed,
            }),
            seed_override,
        })
    }

    /// The store the vendors' handlers read and write.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Back to the loaded scenario, ids and all.
    pub fn reset(&self) -> Result<(), ScenarioError> {
        // Held until the world is replaced, so a concurrent `load` cannot
        // be undone by a reset that read the previous scenario.
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let fresh = World::from_scenario(&loaded.scenario, loaded.seed, self.clock().clone())?;
        *self.write() = fresh;
        self.faults.load(&loaded.scenario.faults, loaded.seed);
        drop(loaded);
        self.rate_limits.clear();
        Ok(())
    }

    /// Replaces the world with `scenario`'s, which `reset` then returns to.
    /// The world is built first, so a bad scenario changes nothing.
    pub fn load(&self, scenario: Scenario) -> Result<(), ScenarioError> {
        let seed = self.seed_override.unwrap_or(scenario.seed);
        let fresh = World::from_scenario(&scenario, seed, self.clock().clone())?;
        let mut loaded = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        *self.write() = fresh;
        self.faults.load(&scenario.faults, seed);
        *loaded = Loaded {
            scenario: Arc::new(scenario),
            seed,
        };
        self.rate_limits.clear();
        Ok(())
    }

    fn loaded(&self) -> Loaded {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn scenario(&self) -> Arc<Scenario> {
        self.loaded().scenario
    }

    pub fn seed(&self) -> u64 {
        self.loaded().seed
    }
}
