//! Where the world lives while the server runs: behind one `RwLock`, with
//! the rate limiter and the fault rules beside it. Every mutation validates
//! fully before it changes anything, under one write guard, so a change is
//! applied whole or not at all; guards are never held across an `.await`.
//! The store knows nothing of scenarios, vendors or HTTP.
//!
//! Beside the world it keeps answers rendered from it ([`Store::rendered`]):
//! a read answered again from an unchanged world is served the bytes it was
//! rendered to last time.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::changes::{Change, ChangeQueue};
use super::clock::Clock;
use super::faults::store::FaultStore;
use super::ids::IdsState;
use super::rate_limit::{Decision, RateLimitSpec, RateLimiter};
use super::world::World;

/// The most bytes of rendered answers kept; past it they are all dropped.
const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct Store {
    world: RwLock<World>,
    /// Counts write locks taken: the state file is saved when it moves.
    changes: AtomicU64,
    /// Counts the world's versions: moved under every write lock (and by
    /// every replacement), never by a change made beside the lock.
    version: AtomicU64,
    /// Answers rendered from the world at `version`.
    rendered: RwLock<Rendered>,
    /// Request counts per credential; cleared on reset.
    pub rate_limits: RateLimiter,
    /// Fault rules in force; reset and load restore the scenario's.
    pub faults: FaultStore,
    clock: Clock,
    started_at: DateTime<Utc>,
    /// Where the changes go when the world is kept in a state file.
    log: OnceLock<Arc<ChangeQueue>>,
}

/// The world, written: what the mutations recorded in
/// [`World::changes`](super::world::World) is queued for the log when the
/// guard drops, before the lock is released, so the log has the changes in
/// the order they were made.
pub struct WorldWriteGuard<'a> {
    world: Option<RwLockWriteGuard<'a, World>>,
    log: Option<&'a ChangeQueue>,
    ids: IdsState,
}

impl Deref for WorldWriteGuard<'_> {
    type Target = World;

    fn deref(&self) -> &World {
        self.world.as_ref().expect("held until dropped")
    }
}

impl DerefMut for WorldWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        self.world.as_mut().expect("held until dropped")
    }
}

impl Drop for WorldWriteGuard<'_> {
    fn drop(&mut self) {
        let (Some(mut world), Some(log)) = (self.world.take(), self.log) else {
            return;
        };
        let mut changes = world.changes.take();
        let ids = world.ids.state();
        if ids != self.ids {
            changes.push(Change::Ids { ids });
        }
        if !changes.is_empty() {
            log.push(changes);
        }
        drop(world);
    }
}

/// What a rendered answer is of: a kind (`grafana.stack`) and an id.
pub type RenderKey = (&'static str, u128);

#[derive(Debug, Default)]
struct Rendered {
    /// The world version the answers were rendered from.
    version: u64,
    bytes: usize,
    answers: HashMap<RenderKey, Bytes>,
}

impl Store {
    pub fn new(world: World, faults: FaultStore, clock: Clock) -> Self {
        Store {
            world: RwLock::new(world),
            changes: AtomicU64::new(0),
            version: AtomicU64::new(0),
            rendered: RwLock::default(),
            rate_limits: RateLimiter::default(),
            faults,
            started_at: clock.now(),
            clock,
            log: OnceLock::new(),
        }
    }

    /// From now on, every change to the world is queued on `log`.
    pub fn attach_log(&self, log: Arc<ChangeQueue>) {
        let _ = self.log.set(log);
    }

    /// Counts one request by `credential` under `vendor`'s rate-limit rules
    /// (`rules` picks them out of the world) at the server clock's now.
    pub fn count_request(
        &self,
        vendor: &'static str,
        rules: impl FnOnce(&World) -> &[RateLimitSpec],
        credential: &str,
    ) -> Option<Decision> {
        let world = self.read();
        self.rate_limits
            .check_all(vendor, rules(&world), credential, world.clock.now())
    }

    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        // Mutations validate before they write, so even after a panic the
        // world behind a poisoned lock is consistent.
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Every mutation goes through here, so this is where changes are
    /// counted; counted once the lock is held, so whoever sees the count
    /// move and then reads sees the change.
    pub fn write(&self) -> WorldWriteGuard<'_> {
        let mut world = self.world.write().unwrap_or_else(|e| e.into_inner());
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.version.fetch_add(1, Ordering::Release);
        let log = self.log.get().map(|log| &**log);
        world.changes.enable(log.is_some());
        // Left by a mutation that failed after recording (it validates
        // first, so nothing was changed): never logged.
        world.changes.take();
        let ids = world.ids.state();
        WorldWriteGuard {
            world: Some(world),
            log,
            ids,
        }
    }

    /// Replaces the world whole (reset, scenario load, import); the log gets
    /// `document(&world)`, the new world's state document.
    /// Puts the first world in, before anything has read or changed the
    /// store (start-up builds it beside the routers): no change is
    /// counted or logged.
    pub fn install(&self, world: World) {
        debug_assert!(self.log.get().is_none(), "installed before any state file");
        *self.world.write().unwrap_or_else(|e| e.into_inner()) = world;
    }

    pub fn replace(&self, world: World, document: impl FnOnce(&World) -> Box<RawValue>) {
        let mut guard = self.world.write().unwrap_or_else(|e| e.into_inner());
        *guard = world;
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.version.fetch_add(1, Ordering::Release);
        if let Some(log) = self.log.get() {
            log.push(vec![Change::Replace {
                document: document(&guard),
            }]);
        }
    }

    /// The answer `key` rendered from `world` (a read guard of this store,
    /// held by the caller): kept from an earlier call if the world has not
    /// changed since, else `render(world)`'s, then kept (unless it failed).
    /// Only for answers that are a function of the world alone (not of the
    /// clock, the caller or anything kept beside the world).
    pub fn rendered<E>(
        &self,
        world: &RwLockReadGuard<'_, World>,
        key: RenderKey,
        render: impl FnOnce(&World) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        // No writer runs while `world` is held: the version is the world's.
        let version = self.version.load(Ordering::Acquire);
        {
            let kept = self.rendered.read().unwrap_or_else(|e| e.into_inner());
            if kept.version == version
                && let Some(answer) = kept.answers.get(&key)
            {
                return Ok(answer.clone());
            }
        }
        let answer = render(world)?;
        let mut kept = self.rendered.write().unwrap_or_else(|e| e.into_inner());
        if kept.version != version || kept.bytes + answer.len() > MAX_RENDERED_BYTES {
            *kept = Rendered {
                version,
                ..Rendered::default()
            };
        }
        kept.bytes += answer.len();
        if let Some(replaced) = kept.answers.insert(key, answer.clone()) {
            kept.bytes -= replaced.len();
        }
        Ok(answer)
    }

    /// Counts a change made beside the write lock (a vendor recording, under
    /// a read guard, something it keeps behind its own lock, such as when a
    /// token was last used), so that the state file is saved again. Called
    /// once the change is made, so whoever sees the count move sees it.
    pub fn note_change(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times the world has been changed.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario::Scenario;

    #[test]
    fn a_rendered_answer_is_kept_until_the_world_changes() {
        let engine = Engine::new(Scenario::default_scenario(), None, Clock::default()).unwrap();
        let store = engine.store();
        let renders = std::cell::Cell::new(0);
        let render = |_: &World| {
            renders.set(renders.get() + 1);
            Ok::<_, ()>(Bytes::from(format!("render {}", renders.get())))
        };
        let read = || store.rendered(&store.read(), ("test", 1), render);
        assert_eq!(read().unwrap(), "render 1");
        assert_eq!(read().unwrap(), "render 1", "kept");
        assert_eq!(
            store.rendered(&store.read(), ("test", 2), render).unwrap(),
            "render 2",
            "another key is rendered"
        );
        drop(store.write());
        assert_eq!(read().unwrap(), "render 3", "rendered again after a write");
        store.note_change();
        assert_eq!(
            read().unwrap(),
            "render 3",
            "a change beside the world keeps it"
        );
        let failed = store.rendered(&store.read(), ("test", 3), |_| Err::<Bytes, _>("no"));
        assert_eq!(failed, Err("no"));
    }
}
