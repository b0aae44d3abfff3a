//! Scenario files: the world mockcloud starts from (and returns to on reset).
//!
//! A scenario is JSON. The ones in `scenarios/` are compiled into the binary,
//! so `--scenario default` works from any directory and in the container
//! image; any other name is read as a path.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::core::error::ScenarioError;
pub use crate::core::rate_limit::RateLimitSpec;

use crate::vendors::grafana::model::access_policies::{
    Attributes, Conditions, PolicyStatus, Realm,
};

mod generate;
mod schema;
mod validate;

pub use generate::GenerateSpec;

/// The scenarios shipped in `scenarios/`, by name.
const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../scenarios/default.json")),
    ("empty", include_str!("../scenarios/empty.json")),
    ("large", include_str!("../scenarios/large.json")),
    ("flaky", include_str!("../scenarios/flaky.json")),
    ("demo", include_str!("../scenarios/demo.json")),
];

/// A parsed scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown by `/__admin/health`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed for ids and secrets; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub grafana: GrafanaScenario,
    #[serde(default)]
    pub datadog: DatadogScenario,
    #[serde(default)]
    pub gcore: GcoreScenario,
    /// Fault rules for the vendor endpoints, and the seed of their draws.
    #[serde(
        default,
        skip_serializing_if = "crate::core::faults::rules::FaultsSpec::is_empty"
    )]
    pub faults: crate::core::faults::rules::FaultsSpec,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaScenario {
    #[serde(default)]
    pub regions: Vec<RegionSpec>,
    #[serde(default)]
    pub orgs: Vec<OrgSpec>,
    /// The plugin catalog stacks can install from.
    #[serde(default)]
    pub plugins: Vec<PluginSpec>,
    /// Rate limits per bearer token on the access-policy and token
    /// endpoints; Grafana's documented 600 per hour when empty.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitSpec>,
}

/// A plugin of the catalog (grafana.com/grafana/plugins).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSpec {
    pub id: u64,
    /// `grafana-github-datasource`: what clients install it by.
    pub slug: String,
    pub name: String,
    /// Every published version, oldest first.
    pub versions: Vec<String>,
    /// The version installs default to; the last of `versions` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    pub id: u64,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub provider: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

fn active() -> String {
    "active".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    pub id: u64,
    pub slug: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Loaded before the access policies, so stack realms can name them.
    #[serde(default)]
    pub stacks: Vec<StackSpec>,
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
    Free,
    Pro,
    #[default]
    Contracted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// Numeric id; the next free one when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub name: String,
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub delete_protection: bool,
    /// When the stack was created (and billing started); load time if omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicySpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub region: String,
    pub scopes: Vec<String>,
    /// Defaults to one realm: the org itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realms: Option<Vec<Realm>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    /// As the API takes them (`lokiQueryPolicy`, `pdcConfiguration`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PolicyStatus>,
    #[serde(default)]
    pub tokens: Vec<TokenSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The secret a client sends as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Datadog: a parent org and its child orgs, their keys, what usage
/// attribution is configured to break down by, prices and rate limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogScenario {
    #[serde(default)]
    pub orgs: Vec<DatadogOrgSpec>,
    /// Usage-attribution tag keys and the values usage is spread over
    /// (`{"team": ["payments", "search"], "env": ["prod", "staging"]}`).
    #[serde(default)]
    pub attribution_tags: BTreeMap<String, Vec<String>>,
    /// Price per unit, by usage type or product family; the built-in price
    /// list fills the gaps.
    #[serde(default)]
    pub prices: BTreeMap<String, f64>,
    /// Rate limits per API key; a generous default when empty.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogOrgSpec {
    pub name: String,
    pub public_id: String,
    /// The parent org's `public_id`; the parent itself has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Datadog site region (`us`, `eu`, `us3`, …).
    #[serde(default = "default_datadog_region")]
    pub region: String,
    #[serde(default = "default_billing_plan")]
    pub billing_plan: String,
    #[serde(default)]
    pub api_keys: Vec<String>,
    #[serde(default)]
    pub application_keys: Vec<String>,
}

fn default_datadog_region() -> String {
    "us".to_string()
}

fn default_billing_plan() -> String {
    "Pro".to_string()
}

/// Gcore Cloud: the API keys, and the client's projects, regions and
/// resources the usage report bills.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcoreScenario {
    #[serde(default)]
    pub api_keys: Vec<String>,
    #[serde(default)]
    pub projects: Vec<crate::vendors::gcore::model::GcoreProjectSpec>,
    #[serde(default)]
    pub regions: Vec<crate::vendors::gcore::model::GcoreRegionSpec>,
    #[serde(default)]
    pub resources: Vec<crate::vendors::gcore::model::GcoreResourceSpec>,
    /// Rate limits per API key; a generous default when empty.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitSpec>,
}

impl Scenario {
    /// The scenario loaded when none is named.
    pub fn default_scenario() -> Self {
        Scenario::built_in("default").expect("the default scenario is valid JSON")
    }

    /// Names of the scenarios compiled into the binary.
    pub fn built_in_names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(name, _)| *name)
    }

    /// A scenario compiled into the binary, by name.
    pub fn built_in(name: &str) -> Result<Self, ScenarioError> {
        let (_, text) = BUILT_IN
            .iter()
            .find(|(known, _)| *known == name)
            .ok_or_else(|| {
                let known: Vec<_> = Scenario::built_in_names().collect();
                ScenarioError::at(
                    name,
                    format!(
                        "no such built-in scenario and no such file (built-in: {})",
                        known.join(", ")
                    ),
                )
            })?;
        Scenario::from_json_str(text, &format!("scenarios/{name}.json"))
    }

    /// `NAME|PATH` as the command line takes it: an existing file wins,
    /// otherwise a built-in name.
    pub fn resolve(name_or_path: &str) -> Result<Self, ScenarioError> {
        let path = Path::new(name_or_path);
        if path.is_file() {
            return Scenario::from_path(path);
        }
        Scenario::built_in(name_or_path)
    }

    pub fn from_path(path: &Path) -> Result<Self, ScenarioError> {
        let location = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::at(&location, e))?;
        Scenario::from_json_str(&text, &location)
    }

    /// Parses scenario JSON; errors name the JSON path of the bad field.
    pub fn from_json_str(text: &str, location: &str) -> Result<Self, ScenarioError> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                location.to_string()
            } else {
                format!("{location}: {path}")
            };
            ScenarioError::at(at, e.inner())
        })
    }

    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ScenarioError> {
        Scenario::from_json_str(&value.to_string(), "scenario")
    }
}
