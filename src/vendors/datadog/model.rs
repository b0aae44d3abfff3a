//! Datadog's share of the world: a parent org and its child orgs, the API
//! and application keys that identify a caller, the usage-attribution tag
//! configuration, prices and rate limits. Usage itself is never stored: it
//! is computed on demand by `crate::vendors::grafana::usage`.

use std::collections::{BTreeMap, HashMap};

use super::scenario::DatadogScenario;
use crate::core::error::ScenarioError;
use crate::core::error::{EngineError, EngineResult};
use crate::core::rate_limit;
use crate::core::rate_limit::RateLimitSpec;
use crate::core::world::World;

#[derive(Debug, Clone)]
pub struct DatadogOrg {
    pub name: String,
    pub public_id: String,
    /// Index of the parent org in `DatadogState::orgs`.
    pub parent: Option<usize>,
    pub region: String,
    pub billing_plan: String,
}

#[derive(Debug, Clone, Default)]
pub struct DatadogState {
    /// Parents before their children, in scenario order.
    pub orgs: Vec<DatadogOrg>,
    api_keys: HashMap<String, usize>,
    application_keys: HashMap<String, usize>,
    /// Tag key → the values usage is attributed to.
    pub attribution_tags: BTreeMap<String, Vec<String>>,
    /// Price per unit, by usage type or product family.
    pub prices: BTreeMap<String, f64>,
    pub rate_limits: Vec<RateLimitSpec>,
}

/// Who is calling, as established from `DD-API-KEY` and `DD-APPLICATION-KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatadogCaller {
    pub org: usize,
}

/// Requests per hour per key when the scenario sets no limit: high enough
/// that trying the API never meets it.
const DEFAULT_RATE_LIMIT: u32 = 10_000;
pub const RATE_LIMIT_NAME: &str = "usage_metering";

impl DatadogState {
    pub fn from_scenario(scenario: &DatadogScenario) -> Result<Self, ScenarioError> {
        let mut state = DatadogState {
            attribution_tags: scenario.attribution_tags.clone(),
            prices: scenario.prices.clone(),
            rate_limits: rate_limit::from_scenario(
                scenario.rate_limits.as_deref(),
                "datadog.rate_limits",
                RateLimitSpec {
                    name: RATE_LIMIT_NAME.to_string(),
                    limit: DEFAULT_RATE_LIMIT,
                    period_seconds: 3600,
                },
            )?,
            ..DatadogState::default()
        };
        for (i, spec) in scenario.orgs.iter().enumerate() {
            let at = format!("datadog.orgs[{i}]");
            if state.orgs.iter().any(|o| o.public_id == spec.public_id) {
                return Err(ScenarioError::at(
                    format!("{at}.public_id"),
                    format!("duplicate public_id {:?}", spec.public_id),
                ));
            }
            let parent = match &spec.parent {
                None => None,
                Some(parent) => {
                    let index = state
                        .orgs
                        .iter()
                        .position(|o| o.public_id == *parent && o.parent.is_none())
                        .ok_or_else(|| {
                            ScenarioError::at(
                                format!("{at}.parent"),
                                format!("{parent:?} is not a parent org listed before this one"),
                            )
                        })?;
                    Some(index)
                }
            };
            for (keys, kind, map) in [
                (&spec.api_keys, "api_keys", &mut state.api_keys),
                (
                    &spec.application_keys,
                    "application_keys",
                    &mut state.application_keys,
                ),
            ] {
                for key in keys {
                    if map.insert(key.clone(), i).is_some() {
                        return Err(ScenarioError::at(
                            format!("{at}.{kind}"),
                            format!("key {key:?} is used twice"),
                        ));
                    }
                }
            }
            state.orgs.push(DatadogOrg {
                name: spec.name.clone(),
                public_id: spec.public_id.clone(),
                parent,
                region: spec.region.clone(),
                billing_plan: spec.billing_plan.clone(),
            });
        }
        for (key, values) in &state.attribution_tags {
            if values.is_empty() {
                return Err(ScenarioError::at(
                    format!("datadog.attribution_tags.{key}"),
                    "list at least one tag value",
                ));
            }
        }
        for (key, price) in &state.prices {
            crate::vendors::datadog::usage::costs::check_price(key, *price)
                .map_err(|problem| ScenarioError::at(format!("datadog.prices.{key}"), problem))?;
        }
        Ok(state)
    }

    /// Whether `api_key` is one of the world's API keys (what the rate
    /// limiter counts by).
    pub fn knows_api_key(&self, api_key: &str) -> bool {
        self.api_keys.contains_key(api_key)
    }

    /// The caller behind a key pair: both must be known and of the same org.
    pub fn authenticate(
        &self,
        api_key: Option<&str>,
        application_key: Option<&str>,
    ) -> EngineResult<DatadogCaller> {
        let forbidden = || EngineError::Forbidden("Forbidden".to_string());
        let org = api_key
            .and_then(|key| self.api_keys.get(key))
            .ok_or_else(forbidden)?;
        let app_org = application_key
            .and_then(|key| self.application_keys.get(key))
            .ok_or_else(forbidden)?;
        if org != app_org {
            return Err(forbidden());
        }
        Ok(DatadogCaller { org: *org })
    }

    /// The API and application keys of `orgs[org]`, sorted (for snapshots).
    pub(crate) fn keys_of(&self, org: usize) -> (Vec<String>, Vec<String>) {
        let of = |keys: &HashMap<String, usize>| {
            let mut mine: Vec<String> = keys
                .iter()
                .filter(|(_, o)| **o == org)
                .map(|(key, _)| key.clone())
                .collect();
            mine.sort();
            mine
        };
        (of(&self.api_keys), of(&self.application_keys))
    }

    pub fn org(&self, caller: DatadogCaller) -> &DatadogOrg {
        &self.orgs[caller.org]
    }

    /// The caller's org and, with `include_descendants`, its child orgs.
    pub fn orgs_in_scope(
        &self,
        caller: DatadogCaller,
        include_descendants: bool,
    ) -> Vec<&DatadogOrg> {
        self.orgs
            .iter()
            .enumerate()
            .filter(|(i, org)| {
                *i == caller.org || (include_descendants && org.parent == Some(caller.org))
            })
            .map(|(_, org)| org)
            .collect()
    }
}

impl World {
    pub fn authenticate_datadog(
        &self,
        api_key: Option<&str>,
        application_key: Option<&str>,
    ) -> EngineResult<DatadogCaller> {
        self.sections
            .datadog()
            .authenticate(api_key, application_key)
    }
}

impl crate::core::world::Sections {
    /// datadog's section of the world.
    pub fn datadog(&self) -> &DatadogState {
        self.get::<DatadogState>()
    }

    pub fn datadog_mut(&mut self) -> &mut DatadogState {
        self.get_mut::<DatadogState>()
    }
}
