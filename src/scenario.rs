//! Scenarios: the world mockcloud starts from (and returns to on reset).
//!
//! A scenario is JSON (`scenarios/default.json` is the reference; its JSON
//! Schema is [`Scenario::json_schema`]). The ones in `scenarios/` are
//! compiled in, so `--scenario default` works from any directory and in the
//! container image; any other name is read as a path.
//!
//! Every type of a scenario is here, so a Rust test can build one in code,
//! or start from a built-in one and change it:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mockcloud::scenario::{AccessPolicySpec, OrgSpec, Plan, StackSpec, TokenSpec};
//! use mockcloud::{Config, MockCloud, Scenario};
//!
//! let mut scenario = Scenario::default_scenario();
//! let mut org = OrgSpec::new(2, "acme", "Acme");
//! org.plan = Plan::Pro;
//! org.stacks.push(StackSpec::new("acme", "us"));
//! let mut policy = AccessPolicySpec::new("ci", "us", ["stacks:read"]);
//! policy.tokens.push(TokenSpec::new("ci-token", "acme-secret"));
//! org.access_policies.push(policy);
//! scenario.grafana.orgs.push(org);
//!
//! let server = MockCloud::start(Config::default().with_scenario(scenario)).await?;
//! let reply = reqwest::Client::new()
//!     .get(format!("{}/api/instances", server.base_url()))
//!     .bearer_auth("acme-secret")
//!     .send()
//!     .await?;
//! assert_eq!(reply.status(), 200);
//! # Ok(()) }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::core::clock::Clock;
pub use crate::core::error::ScenarioError;
pub use crate::core::faults::rules::{Dribble, Effect, ErrorFault, FaultRule, FaultsSpec, Latency};
pub use crate::core::rate_limit::RateLimitSpec;
use crate::core::world::World;

pub use crate::core::vendor::Vendor;

pub use crate::vendors::datadog::scenario::{DatadogOrgSpec, DatadogScenario};
pub use crate::vendors::gcore::model::{
    GcoreProjectSpec, GcoreRegionSpec, GcoreResourceSpec, InstanceType, ResourceType,
};
pub use crate::vendors::gcore::scenario::GcoreScenario;
pub use crate::vendors::grafana::generate::GenerateSpec;
pub use crate::vendors::grafana::model::access_policies::{
    Attributes, Conditions, LabelPolicy, LokiQueryPolicy, PdcConfiguration, PolicyStatus, Realm,
    RealmType,
};
pub use crate::vendors::grafana::scenario::{
    AccessPolicySpec, GrafanaScenario, OrgSpec, Plan, PluginSpec, RegionSpec, StackSpec, TokenSpec,
};

mod extends;
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

/// A scenario: a name, a seed, and each vendor's section.
///
/// Parse one ([`Scenario::from_json_str`], [`Scenario::resolve`]), take a
/// built-in one ([`Scenario::default_scenario`], [`Scenario::built_in`]) or
/// build one in code ([`Scenario::new`] and the public fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown by `/__admin/health`.
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed for ids and secrets; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Grafana Cloud: regions, orgs (stacks, access policies, tokens),
    /// the plugin catalog and rate limits.
    #[serde(default)]
    pub grafana: GrafanaScenario,
    /// Datadog: orgs and their keys, attribution tags, prices, rate limits.
    #[serde(default)]
    pub datadog: DatadogScenario,
    /// Gcore Cloud: API keys, projects, regions, resources, rate limits.
    #[serde(default)]
    pub gcore: GcoreScenario,
    /// Fault rules for the vendor endpoints, and the seed of their draws.
    #[serde(
        default,
        skip_serializing_if = "crate::core::faults::rules::FaultsSpec::is_empty"
    )]
    pub faults: FaultsSpec,
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
    /// An empty world named `name`: no vendor has any object or credential
    /// (every request is refused) until the sections are filled.
    ///
    /// ```
    /// use mockcloud::Scenario;
    /// use mockcloud::scenario::GcoreProjectSpec;
    ///
    /// let mut scenario = Scenario::new("mine");
    /// scenario.seed = 7;
    /// scenario.gcore.api_keys.push("my-gcore-key".into());
    /// scenario.gcore.projects.push(GcoreProjectSpec { id: 1, name: "default".into() });
    /// assert!(scenario.check_world().is_ok());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Scenario {
            name: name.into(),
            description: None,
            seed: 0,
            grafana: GrafanaScenario::default(),
            datadog: DatadogScenario::default(),
            gcore: GcoreScenario::default(),
            faults: FaultsSpec::default(),
        }
    }

    /// The scenario loaded when none is named (`scenarios/default.json`),
    /// whose credentials are in [`crate::credentials`]. Change it in code
    /// to start from it:
    ///
    /// ```
    /// use mockcloud::Scenario;
    /// use mockcloud::scenario::DatadogOrgSpec;
    ///
    /// let mut scenario = Scenario::default_scenario();
    /// let mut child = DatadogOrgSpec::new("Child C", "mockddchild0c");
    /// child.parent = Some("mockddorg0001".into());
    /// child.api_keys.push("child-c-api-key".into());
    /// scenario.datadog.orgs.push(child);
    /// assert!(scenario.check_world().is_ok());
    /// ```
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
        if path.is_file() || path.is_dir() {
            return Scenario::from_path(path);
        }
        Scenario::built_in(name_or_path)
    }

    /// Reads and parses a scenario file; a relative `extends` path is
    /// looked for beside it.
    pub fn from_path(path: &Path) -> Result<Self, ScenarioError> {
        let location = path.display().to_string();
        if path.is_dir() {
            return Err(ScenarioError::at(
                &location,
                "is a directory: name a scenario file (JSON) or a built-in scenario",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::at(&location, e))?;
        Scenario::from_json_in(&text, &location, path.parent())
    }

    /// Parses scenario JSON; errors name the JSON path of the bad field,
    /// after `location` (a file name, say).
    ///
    /// ```
    /// use mockcloud::Scenario;
    ///
    /// let scenario = Scenario::from_json_str(r#"{"name": "mine", "seed": 3}"#, "mine.json")?;
    /// assert_eq!((scenario.name.as_str(), scenario.seed), ("mine", 3));
    ///
    /// let error = Scenario::from_json_str(r#"{"name": "x", "sed": 3}"#, "x.json").unwrap_err();
    /// assert!(error.location.starts_with("x.json"));
    /// # Ok::<(), mockcloud::ScenarioError>(())
    /// ```
    pub fn from_json_str(text: &str, location: &str) -> Result<Self, ScenarioError> {
        Scenario::from_json_in(text, location, None)
    }

    /// [`Scenario::from_json_str`] for a document whose relative `extends`
    /// path is looked for in `dir` (the working directory when `None`).
    fn from_json_in(text: &str, location: &str, dir: Option<&Path>) -> Result<Self, ScenarioError> {
        let located = |path: String| {
            if path == "." {
                location.to_string()
            } else {
                format!("{location}: {path}")
            }
        };
        if let Some(document) = extends::resolve(text, location, dir)? {
            return serde_path_to_error::deserialize(document)
                .map_err(|e| ScenarioError::at(located(e.path().to_string()), e.inner()));
        }
        // Read straight first: tracking the path costs half as much again
        // (start-up reads the default scenario); read again to locate a
        // problem.
        serde_json::from_str(text).or_else(|_| {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de)
                .map_err(|e| ScenarioError::at(located(e.path().to_string()), e.inner()))
        })
    }

    /// Parses a scenario from JSON already parsed (`serde_json::json!`).
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ScenarioError> {
        Scenario::from_json_str(&value.to_string(), "scenario")
    }
}
