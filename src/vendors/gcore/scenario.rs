//! Gcore's section of a scenario file.

use serde::{Deserialize, Serialize};

use crate::core::rate_limit::RateLimitSpec;

/// Gcore Cloud: the API keys, and the client's projects, regions and
/// resources the usage report bills.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcoreScenario {
    /// What clients send as `Authorization: APIKey <key>`.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// The client's projects, by id.
    #[serde(default)]
    pub projects: Vec<crate::vendors::gcore::model::GcoreProjectSpec>,
    /// The regions resources live in, by id.
    #[serde(default)]
    pub regions: Vec<crate::vendors::gcore::model::GcoreRegionSpec>,
    /// The inventory the usage report bills, in report order.
    #[serde(default)]
    pub resources: Vec<crate::vendors::gcore::model::GcoreResourceSpec>,
    /// Rate limits per API key: a generous default when absent, none for
    /// an empty list (as `PUT /__admin/rate-limits/gcore` with `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<Vec<RateLimitSpec>>,
}

/// Builds Gcore's section of `world` from the scenario's (resources drawn
/// from the run's seed).
pub fn load(
    section: &GcoreScenario,
    world: &mut crate::core::world::World,
) -> Result<(), crate::core::error::ScenarioError> {
    let state = super::model::GcoreState::from_scenario(section, world.seed)?;
    world.sections.insert(state);
    Ok(())
}
