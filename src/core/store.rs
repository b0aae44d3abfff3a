//! Where the world lives while the server runs: behind one `RwLock`, with
//! the rate limiter and the fault rules beside it. Every mutation validates
//! fully before it changes anything, under one write guard, so a change is
//! applied whole or not at all; guards are never held across an `.await`.
//! The store knows nothing of scenarios, vendors or HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

use super::clock::Clock;
use super::faults::store::FaultStore;
use super::rate_limit::{Decision, RateLimitSpec, RateLimiter};
use super::world::World;

#[derive(Debug)]
pub struct Store {
    world: RwLock<World>,
    /// Counts write locks taken: the state file is saved when it moves.
    changes: AtomicU64,
    /// Request counts per credential; cleared on reset.
    pub rate_limits: RateLimiter,
    /// Fault rules in force; reset and load restore the scenario's.
    pub faults: FaultStore,
    clock: Clock,
    started_at: DateTime<Utc>,
}

impl Store {
    pub fn new(world: World, faults: FaultStore, clock: Clock) -> Self {
        Store {
            world: RwLock::new(world),
            changes: AtomicU64::new(0),
            rate_limits: RateLimiter::default(),
            faults,
            started_at: clock.now(),
            clock,
        }
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
    pub fn write(&self) -> RwLockWriteGuard<'_, World> {
        let world = self.world.write().unwrap_or_else(|e| e.into_inner());
        self.changes.fetch_add(1, Ordering::SeqCst);
        world
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
