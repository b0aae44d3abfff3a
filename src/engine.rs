//! The engine: the store (`core::store`) plus the scenario its world was
//! built from, so reset and load can rebuild it. Nothing here names a vendor
//! or knows about HTTP.

use std::sync::{Arc, RwLock};

use crate::core::clock::Clock;
use crate::core::faults::store::FaultStore;
use crate::core::store::Store;
pub use crate::core::world::World;
use crate::scenario::{Scenario, ScenarioError};
use crate::snapshot::Snapshot;

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
    /// `seed` overrides the scenario's own. (The server starts with
    /// [`Engine::starting`], building the world beside its routers.)
    #[cfg(test)]
    pub fn new(scenario: Scenario, seed: Option<u64>, clock: Clock) -> Result<Self, ScenarioError> {
        let engine = Engine::starting(seed, clock);
        let world = World::from_scenario(
            &scenario,
            engine.seed_for(&scenario),
            engine.clock().clone(),
        )?;
        engine.install(scenario, world);
        Ok(engine)
    }

    /// An engine whose world is still being built: empty (no vendor
    /// section), no fault rule, until [`Engine::install`] puts in the
    /// world of `scenario` built with [`Engine::seed_for`]'s seed. Start-up
    /// builds the routers meanwhile; nothing may serve it before.
    pub fn starting(seed: Option<u64>, clock: Clock) -> Self {
        let placeholder = Scenario::new("");
        let seed_value = seed.unwrap_or(placeholder.seed);
        Engine {
            store: Arc::new(Store::new(
                World::new(seed_value, clock.clone()),
                FaultStore::default(),
                clock,
            )),
            loaded: RwLock::new(Loaded {
                scenario: Arc::new(placeholder),
                seed: seed_value,
            }),
            seed_override: seed,
        }
    }

    /// The seed `scenario`'s world is built with: `--seed` when given.
    pub fn seed_for(&self, scenario: &Scenario) -> u64 {
        self.seed_override.unwrap_or(scenario.seed)
    }

    /// Completes [`Engine::starting`]: `world` is `scenario`'s, built with
    /// [`Engine::seed_for`]'s seed (`World::from_scenario`).
    pub fn install(&self, scenario: Scenario, world: World) {
        let seed = world.seed;
        debug_assert_eq!(seed, self.seed_for(&scenario));
        self.store.install(world);
        self.faults.load(&scenario.faults, seed);
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Loaded {
            scenario: Arc::new(scenario),
            seed,
        };
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
        self.replace(fresh, crate::snapshot::document);
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
        self.replace(fresh, crate::snapshot::document);
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

impl Engine {
    /// The world as a state document (`/__admin/state`, `--state-file`).
    pub fn export(&self) -> Snapshot {
        Snapshot::of(&self.read())
    }

    /// Replaces the world with the snapshot's, or changes nothing.
    pub fn import(&self, snapshot: Snapshot) -> Result<(), ScenarioError> {
        let world = World::from_snapshot(snapshot, self.clock().clone())?;
        self.replace(world, crate::snapshot::document);
        Ok(())
    }
}
