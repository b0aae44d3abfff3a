//! Datadog's section of a scenario file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::rate_limit::RateLimitSpec;

/// Datadog: a parent org and its child orgs, their keys, what usage
/// attribution is configured to break down by, prices and rate limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogScenario {
    /// The parent org first, then its children.
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
    /// Rate limits per API key: a generous default when absent, none for
    /// an empty list (as `PUT /__admin/rate-limits/datadog` with `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<Vec<RateLimitSpec>>,
}

/// A Datadog org (the parent, or one of its children) and its keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatadogOrgSpec {
    /// The org's name, as usage reports show it.
    pub name: String,
    /// Unique among the orgs (`abc123`).
    pub public_id: String,
    /// The parent org's `public_id`; the parent itself has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Datadog site region (`us`, `eu`, `us3`, …).
    #[serde(default = "default_datadog_region")]
    pub region: String,
    /// `Pro` when omitted.
    #[serde(default = "default_billing_plan")]
    pub billing_plan: String,
    /// What clients send as `DD-API-KEY`.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// What clients send as `DD-APPLICATION-KEY`.
    #[serde(default)]
    pub application_keys: Vec<String>,
}

impl DatadogOrgSpec {
    /// A parent org (set [`parent`](DatadogOrgSpec::parent) for a child) in
    /// region `us` on the `Pro` plan, with no keys yet.
    pub fn new(name: impl Into<String>, public_id: impl Into<String>) -> Self {
        DatadogOrgSpec {
            name: name.into(),
            public_id: public_id.into(),
            parent: None,
            region: default_datadog_region(),
            billing_plan: default_billing_plan(),
            api_keys: Vec::new(),
            application_keys: Vec::new(),
        }
    }
}

fn default_datadog_region() -> String {
    "us".to_string()
}

fn default_billing_plan() -> String {
    "Pro".to_string()
}

/// Builds Datadog's section of `world` from the scenario's.
pub fn load(
    section: &DatadogScenario,
    world: &mut crate::core::world::World,
) -> Result<(), crate::core::error::ScenarioError> {
    world
        .sections
        .insert(super::model::DatadogState::from_scenario(section)?);
    Ok(())
}
