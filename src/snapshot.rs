//! The whole mutable world as one JSON document: what `GET /__admin/state`
//! answers, `PUT /__admin/state` loads and `--state-file` keeps on disk.
//!
//! Stored objects are kept as they are, secrets included; indexes are not
//! stored but rebuilt on import. The server clock is not part of the world
//! and not part of a snapshot. Import validates the whole document and builds
//! a new world before it replaces the old one, so a bad document changes
//! nothing; export → import → export gives the same document. Each vendor
//! owns its section (`vendors/<vendor>/snapshot.rs`: `of` and `restore`);
//! this module is the envelope around them.

use serde::{Deserialize, Serialize};

use crate::core::clock::Clock;
use crate::core::ids::{Ids, IdsState};
use crate::engine::{Engine, World};
use crate::scenario::{DatadogScenario, GcoreScenario, ScenarioError};
use crate::vendors::datadog::snapshot as datadog;
use crate::vendors::gcore::snapshot as gcore;
use crate::vendors::grafana::snapshot::{self as grafana, GrafanaSnapshot};

/// Bumped when the document's shape changes incompatibly.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub version: u32,
    /// The run's seed: synthetic usage is a pure function of it.
    pub seed: u64,
    /// Where the id generators stand, so ids after an import continue the
    /// same sequence.
    pub ids: IdsState,
    pub grafana: GrafanaSnapshot,
    /// Datadog and Gcore in their scenario form, with every default filled.
    pub datadog: DatadogScenario,
    pub gcore: GcoreScenario,
}

/// Parses a snapshot document; the error names where it is wrong
/// (`grafana.tokens[3].secret`).
pub fn parse(bytes: &[u8]) -> Result<Snapshot, ScenarioError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScenarioError::at(
            "(document)",
            "the state document is empty",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let snapshot = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        // `.` (the root) or `?` (not parsed far enough to know where).
        let location = if path == "." || path == "?" {
            "(document)".to_string()
        } else {
            path
        };
        ScenarioError::at(location, e.inner())
    })?;
    de.end()
        .map_err(|e| ScenarioError::at("(document)", format!("trailing data: {e}")))?;
    Ok(snapshot)
}

impl Engine {
    pub fn export(&self) -> Snapshot {
        Snapshot::of(&self.read())
    }

    /// Replaces the world with the snapshot's, or changes nothing.
    pub fn import(&self, snapshot: Snapshot) -> Result<(), ScenarioError> {
        let world = World::from_snapshot(snapshot, self.clock().clone())?;
        *self.write() = world;
        Ok(())
    }
}

impl Snapshot {
    pub fn of(world: &World) -> Snapshot {
        // Spelled out so that a new part of the world fails to compile here
        // until the snapshot carries it.
        let World {
            ids,
            clock: _,
            seed,
            sections,
        } = world;
        Snapshot {
            version: VERSION,
            seed: *seed,
            ids: ids.state(),
            grafana: grafana::of(sections.grafana()),
            datadog: datadog::of(sections.datadog()),
            gcore: gcore::of(sections.gcore()),
        }
    }
}

impl World {
    /// Rebuilds a world, every index included, from a snapshot; the first
    /// problem found is reported with its location.
    pub fn from_snapshot(snapshot: Snapshot, clock: Clock) -> Result<World, ScenarioError> {
        if snapshot.version != VERSION {
            return Err(ScenarioError::at(
                "version",
                format!(
                    "this server reads state version {VERSION}, got {}",
                    snapshot.version
                ),
            ));
        }
        let mut world = World {
            ids: Ids::from_state(snapshot.ids),
            clock,
            seed: snapshot.seed,
            sections: Default::default(),
        };
        // Grafana's section also checks the id generators against its ids.
        let grafana = grafana::restore(snapshot.grafana, &snapshot.ids)?;
        world.sections.insert(grafana);
        world.sections.insert(datadog::restore(snapshot.datadog)?);
        world
            .sections
            .insert(gcore::restore(snapshot.gcore, snapshot.seed)?);
        Ok(world)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_default_world_round_trips() {
        let world = World::from_scenario(&Scenario::default_scenario(), 7, Clock::default())
            .expect("the default scenario loads");
        let exported = serde_json::to_string(&Snapshot::of(&world)).unwrap();
        let snapshot = parse(exported.as_bytes()).unwrap();
        let rebuilt = World::from_snapshot(snapshot, Clock::default()).unwrap();
        assert_eq!(
            serde_json::to_string(&Snapshot::of(&rebuilt)).unwrap(),
            exported
        );
    }

    /// Written by the code before each vendor owned its section (one of
    /// every kind of stored object): it still loads, and exports unchanged.
    #[test]
    fn a_stored_document_loads_and_exports_byte_for_byte() {
        let document = include_str!("../tests/fixtures/state-v1.json").trim_end();
        let snapshot = parse(document.as_bytes()).unwrap();
        let world = World::from_snapshot(snapshot, Clock::default()).unwrap();
        assert_eq!(
            serde_json::to_string(&Snapshot::of(&world)).unwrap(),
            document
        );
    }
}
