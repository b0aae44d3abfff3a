//! The whole mutable world as one JSON document: what `GET /__admin/state`
//! answers, `PUT /__admin/state` loads and `--state-file` keeps on disk.
//!
//! Stored objects are kept as they are, secrets included; indexes are not
//! stored but rebuilt on import. The server clock is not part of the world
//! and not part of a snapshot. Import validates the whole document and builds
//! a new world before it replaces the old one, so a bad document changes
//! nothing; export → import → export gives the same document. Each vendor
//! owns its section (`vendors/<vendor>/snapshot.rs`: `of` and `restore`,
//! reached through the vendor list); this module is the envelope around
//! them and names no vendor.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::core::clock::Clock;
use crate::core::error::{ScenarioError, read_json_at};
use crate::core::ids::{Ids, IdsState};
use crate::core::world::World;
use crate::vendors;

/// Bumped when the document's shape changes incompatibly.
pub const VERSION: u32 = 1;

/// A state document: the envelope (version, seed, ids) and each vendor's
/// section, in the vendor list's order, as the vendor wrote it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub version: u32,
    /// The run's seed: synthetic usage is a pure function of it.
    pub seed: u64,
    /// Where the id generators stand, so ids after an import continue the
    /// same sequence.
    pub ids: IdsState,
    sections: Vec<(&'static str, Box<RawValue>)>,
}

impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3 + self.sections.len()))?;
        map.serialize_entry("version", &self.version)?;
        map.serialize_entry("seed", &self.seed)?;
        map.serialize_entry("ids", &self.ids)?;
        for (name, section) in &self.sections {
            map.serialize_entry(name, section)?;
        }
        map.end()
    }
}

/// Parses a snapshot document; the error names where it is wrong
/// (`grafana.tokens[3].secret`).
pub fn parse(bytes: &[u8]) -> Result<Snapshot, ScenarioError> {
    let document = || "(document)".to_string();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScenarioError::at(document(), "the state document is empty"));
    }
    let mut fields: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(bytes).map_err(|e| ScenarioError::at(document(), e))?;
    let mut take = |name: &str| {
        fields
            .remove(name)
            .ok_or_else(|| ScenarioError::at(document(), format!("missing field `{name}`")))
    };
    let version = read_json_at("version", &take("version")?)?;
    let seed = read_json_at("seed", &take("seed")?)?;
    let ids = read_json_at("ids", &take("ids")?)?;
    let mut sections = Vec::new();
    for vendor in vendors::ALL {
        sections.push((vendor.name(), take(vendor.name())?));
    }
    if let Some(unknown) = fields.keys().next() {
        let expected: Vec<String> = ["version", "seed", "ids"]
            .into_iter()
            .chain(vendors::ALL.iter().map(|vendor| vendor.name()))
            .map(|name| format!("`{name}`"))
            .collect();
        return Err(ScenarioError::at(
            document(),
            format!(
                "unknown field `{unknown}`, expected one of {}",
                expected.join(", ")
            ),
        ));
    }
    Ok(Snapshot {
        version,
        seed,
        ids,
        sections,
    })
}

/// `world`'s state document as JSON, for the state file's log.
pub fn document(world: &World) -> Box<RawValue> {
    serde_json::value::to_raw_value(&Snapshot::of(world)).expect("the state serializes to JSON")
}

impl Snapshot {
    pub fn of(world: &World) -> Snapshot {
        Snapshot {
            version: VERSION,
            seed: world.seed,
            ids: world.ids.state(),
            sections: vendors::ALL
                .iter()
                .map(|vendor| (vendor.name(), vendor.snapshot(world)))
                .collect(),
        }
    }
}

impl World {
    /// Rebuilds a world, every index included, from a snapshot; the first
    /// problem found is reported with its location: every section is read
    /// before any is rebuilt, so a malformed section is reported first.
    pub fn from_snapshot(snapshot: Snapshot, clock: Clock) -> Result<World, ScenarioError> {
        let mut read = Vec::new();
        for (vendor, (_, section)) in vendors::ALL.iter().zip(&snapshot.sections) {
            read.push((*vendor, vendor.read_snapshot(section)?));
        }
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
            changes: Default::default(),
        };
        for (vendor, section) in read {
            vendor.restore(section, &snapshot.ids, &mut world)?;
        }
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
