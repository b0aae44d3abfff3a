//! `mockcloud scenario validate`: everything `serve` would refuse, as many
//! problems at once as can be found.
//!
//! Structure comes from the schema (every violation); what only the engine
//! knows (references, uniqueness, plan limits) from building the world. The
//! engine stops at its first problem, so each vendor and each Grafana org is
//! built on its own to find one problem in each.

use std::path::Path;

use serde_json::Value;

use super::schema::{self, SCHEMA};
use super::{DatadogScenario, GcoreScenario, GrafanaScenario, Scenario, ScenarioError};
use crate::core::clock::Clock;
use crate::engine::World;

impl Scenario {
    /// `scenarios/schema.json`: the JSON Schema (draft 2020-12) of scenario files.
    pub fn json_schema() -> &'static str {
        SCHEMA
    }

    /// Every place `document` breaks `scenarios/schema.json`, located as
    /// `LOCATION: json.path`; empty when it fits.
    pub fn schema_problems(document: &Value, location: &str) -> Vec<ScenarioError> {
        structural_problems(document, location)
    }

    /// `NAME|PATH` as `serve --scenario` takes it: an existing file wins,
    /// otherwise a built-in name.
    pub fn validate_name_or_path(name_or_path: &str) -> Result<Scenario, Vec<ScenarioError>> {
        let path = Path::new(name_or_path);
        if path.is_file() || path.is_dir() {
            return Scenario::validate_file(path);
        }
        let scenario = Scenario::built_in(name_or_path).map_err(|e| vec![e])?;
        scenario.check_world()?;
        Ok(scenario)
    }

    /// Reads, parses and builds the scenario at `path`; `Ok` only when
    /// `mockcloud serve --scenario PATH` would start.
    pub fn validate_file(path: &Path) -> Result<Scenario, Vec<ScenarioError>> {
        let location = path.display().to_string();
        if path.is_dir() {
            return Err(vec![ScenarioError::at(
                &location,
                "is a directory: name a scenario file (JSON) or a built-in scenario",
            )]);
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| vec![ScenarioError::at(&location, e)])?;
        Scenario::validate_json_in(&text, &location, path.parent())
    }

    /// As [`Scenario::validate_file`], for scenario JSON read from `location`.
    pub fn validate_json_str(text: &str, location: &str) -> Result<Scenario, Vec<ScenarioError>> {
        Scenario::validate_json_in(text, location, None)
    }

    fn validate_json_in(
        text: &str,
        location: &str,
        dir: Option<&Path>,
    ) -> Result<Scenario, Vec<ScenarioError>> {
        let document: Value = match super::extends::resolve(text, location, dir) {
            Ok(Some(document)) => document,
            Ok(None) => {
                serde_json::from_str(text).map_err(|e| vec![ScenarioError::at(location, e)])?
            }
            Err(e) => return Err(vec![e]),
        };
        let scenario = Scenario::from_json_in(text, location, dir).map_err(|first| {
            let all = structural_problems(&document, location);
            // The schema and serde agree on every file we know; should they
            // ever disagree, serde's verdict is the one `serve` acts on.
            if all.is_empty() { vec![first] } else { all }
        })?;
        scenario.check_world().map_err(|problems| {
            problems
                .into_iter()
                .map(|e| ScenarioError::at(format!("{location}: {}", e.location), e.message))
                .collect::<Vec<_>>()
        })?;
        Ok(scenario)
    }

    /// Builds the world this scenario describes, reporting what stops it.
    pub fn check_world(&self) -> Result<(), Vec<ScenarioError>> {
        let mut problems: Vec<ScenarioError> = Vec::new();
        let mut build =
            |part: &Scenario, rename: &dyn Fn(String) -> String| match World::from_scenario(
                part,
                part.seed,
                Clock::default(),
            ) {
                Ok(_) => true,
                Err(mut e) => {
                    e.location = rename(e.location);
                    if !problems.contains(&e) {
                        problems.push(e);
                    }
                    false
                }
            };
        let same = |location: String| location;
        let alone = |change: &dyn Fn(&mut Scenario)| {
            let mut part = self.clone();
            part.grafana = GrafanaScenario::default();
            part.datadog = DatadogScenario::default();
            part.gcore = GcoreScenario::default();
            change(&mut part);
            part
        };
        let mut all_ok = build(&alone(&|p| p.datadog = self.datadog.clone()), &same);
        all_ok &= build(&alone(&|p| p.gcore = self.gcore.clone()), &same);
        let grafana_base = GrafanaScenario {
            orgs: Vec::new(),
            ..self.grafana.clone()
        };
        let base_ok = build(&alone(&|p| p.grafana = grafana_base.clone()), &same);
        all_ok &= base_ok;
        if base_ok && self.grafana.orgs.len() > 1 {
            for (i, org) in self.grafana.orgs.iter().enumerate() {
                let mut grafana = grafana_base.clone();
                grafana.orgs.push(org.clone());
                let own_index = |location: String| match location.strip_prefix("grafana.orgs[0]") {
                    Some(rest) => format!("grafana.orgs[{i}]{rest}"),
                    None => location,
                };
                all_ok &= build(&alone(&|p| p.grafana = grafana.clone()), &own_index);
            }
        }
        if all_ok {
            // Conflicts between orgs only show when they are built together.
            build(self, &same);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn structural_problems(document: &Value, location: &str) -> Vec<ScenarioError> {
    let schema: Value = serde_json::from_str(SCHEMA).expect("scenarios/schema.json is JSON");
    schema::check(&schema, document)
        .into_iter()
        .map(|v| {
            let at = if v.path.is_empty() {
                location.to_string()
            } else {
                format!("{location}: {}", v.path)
            };
            ScenarioError::at(at, v.message)
        })
        .collect()
}
