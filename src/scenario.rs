//! Scenario files: the world mockcloud starts from (and returns to on reset).
//!
//! A scenario is JSON. The ones in `scenarios/` are compiled into the binary,
//! so `--scenario default` works from any directory and in the container
//! image; any other name is read as a path.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::core::clock::Clock;
pub use crate::core::error::ScenarioError;
pub use crate::core::rate_limit::RateLimitSpec;
use crate::core::world::World;

pub use crate::vendors::datadog::scenario::DatadogScenario;
pub use crate::vendors::gcore::scenario::GcoreScenario;
pub use crate::vendors::grafana::scenario::GrafanaScenario;

mod schema;
mod validate;

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

impl World {
    /// Builds the world a scenario describes, through the same validated
    /// paths the API uses; any problem is reported with its location. One
    /// line per vendor: each builds its own section.
    pub fn from_scenario(
        scenario: &Scenario,
        seed: u64,
        clock: Clock,
    ) -> Result<World, ScenarioError> {
        scenario.faults.validate("faults")?;
        crate::vendors::check_fault_vendors(&scenario.faults.rules, "faults.rules")?;
        let mut world = World::new(seed, clock);
        crate::vendors::datadog::scenario::load(&scenario.datadog, &mut world)?;
        crate::vendors::gcore::scenario::load(&scenario.gcore, &mut world)?;
        crate::vendors::grafana::scenario::load(&scenario.grafana, &mut world)?;
        Ok(world)
    }
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
