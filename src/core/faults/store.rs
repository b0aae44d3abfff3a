//! The fault rules in force, changed at run time through `/__admin/faults`,
//! and the count of vendor requests that keys every draw.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::rules::{FaultPlan, FaultRule, FaultsSpec, RequestFacts, plan};
use crate::core::error::{EngineError, EngineResult};

#[derive(Debug, Default)]
pub struct FaultStore {
    active: Mutex<Active>,
    /// Vendor requests seen since start or reset: the draws' request number.
    requests: AtomicU64,
    /// How many rules are in force, set under the lock with every change: a
    /// request skips the lock (and describing itself) when there are none.
    in_force: AtomicUsize,
}

#[derive(Debug, Default)]
struct Active {
    seed: u64,
    /// Replaced whole on every change, so a request evaluates one snapshot.
    rules: Arc<Vec<FaultRule>>,
    next_id: u64,
}

impl FaultStore {
    /// Replaces every rule with the spec's and starts counting requests
    /// from 0 again, so a reset run meets the faults the first run met.
    pub fn load(&self, spec: &FaultsSpec, run_seed: u64) {
        let mut active = self.active();
        *active = Active {
            seed: spec.seed.unwrap_or(run_seed),
            rules: Arc::default(),
            next_id: 1,
        };
        // Given ids are reserved first, so a generated one never collides.
        let given: Vec<&str> = spec.rules.iter().filter_map(|r| r.id.as_deref()).collect();
        let mut rules: Vec<FaultRule> = Vec::with_capacity(spec.rules.len());
        for rule in &spec.rules {
            let id = active.claim_id(rule.id.as_deref(), |id| {
                given.contains(&id) || rules.iter().any(|r| r.id() == id)
            });
            rules.push(FaultRule {
                id: Some(id),
                ..rule.clone()
            });
        }
        self.in_force.store(rules.len(), Ordering::Release);
        active.rules = Arc::new(rules);
        self.requests.store(0, Ordering::SeqCst);
    }

    pub fn seed(&self) -> u64 {
        self.active().seed
    }

    pub fn requests_seen(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn rules(&self) -> Arc<Vec<FaultRule>> {
        self.active().rules.clone()
    }

    pub fn get(&self, id: &str) -> EngineResult<FaultRule> {
        self.active()
            .rules
            .iter()
            .find(|r| r.id() == id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    /// Appends a rule; its id is the one given (409 if taken) or `fault-N`.
    pub fn add(&self, rule: FaultRule) -> EngineResult<FaultRule> {
        rule.validate("rule")
            .map_err(|e| EngineError::BadRequest(e.to_string()))?;
        let mut active = self.active();
        if let Some(id) = &rule.id
            && active.rules.iter().any(|r| r.id() == id)
        {
            return Err(EngineError::Conflict(format!(
                "a fault rule with id {id:?} exists"
            )));
        }
        let taken = active.rules.clone();
        let id = active.claim_id(rule.id.as_deref(), |id| taken.iter().any(|r| r.id() == id));
        let added = FaultRule {
            id: Some(id),
            ..rule
        };
        Arc::make_mut(&mut active.rules).push(added.clone());
        self.in_force.store(active.rules.len(), Ordering::Release);
        Ok(added)
    }

    /// Replaces rule `id` in place, keeping its id and position.
    pub fn replace(&self, id: &str, rule: FaultRule) -> EngineResult<FaultRule> {
        rule.validate("rule")
            .map_err(|e| EngineError::BadRequest(e.to_string()))?;
        if let Some(other) = &rule.id
            && other != id
        {
            return Err(EngineError::BadRequest(format!(
                "the body's id {other:?} is not the rule's id {id:?}"
            )));
        }
        let mut active = self.active();
        let rules = Arc::make_mut(&mut active.rules);
        let slot = rules
            .iter_mut()
            .find(|r| r.id() == id)
            .ok_or_else(|| not_found(id))?;
        *slot = FaultRule {
            id: Some(id.to_string()),
            ..rule
        };
        Ok(slot.clone())
    }

    pub fn remove(&self, id: &str) -> EngineResult<FaultRule> {
        let mut active = self.active();
        let rules = Arc::make_mut(&mut active.rules);
        let index = rules
            .iter()
            .position(|r| r.id() == id)
            .ok_or_else(|| not_found(id))?;
        let removed = rules.remove(index);
        self.in_force.store(rules.len(), Ordering::Release);
        Ok(removed)
    }

    pub fn clear(&self) {
        let mut active = self.active();
        active.rules = Arc::default();
        self.in_force.store(0, Ordering::Release);
    }

    /// Numbers a request that can meet no fault because no rule is in
    /// force, and says so; false when there are rules ([`plan_next`]
    /// numbers the request then).
    ///
    /// [`plan_next`]: FaultStore::plan_next
    pub fn pass_without_rules(&self) -> bool {
        if self.in_force.load(Ordering::Acquire) != 0 {
            return false;
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Numbers the request and decides the faults it meets.
    pub fn plan_next(&self, request: &RequestFacts<'_>) -> FaultPlan {
        let (rules, seed) = {
            let active = self.active();
            (active.rules.clone(), active.seed)
        };
        let number = self.requests.fetch_add(1, Ordering::SeqCst);
        plan(&rules, seed, number, request)
    }

    fn active(&self) -> MutexGuard<'_, Active> {
        // Every change is one assignment, so a poisoned lock holds whole data.
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Active {
    fn claim_id(&mut self, wanted: Option<&str>, taken: impl Fn(&str) -> bool) -> String {
        if let Some(id) = wanted {
            return id.to_string();
        }
        loop {
            let id = format!("fault-{}", self.next_id);
            self.next_id += 1;
            if !taken(&id) {
                return id;
            }
        }
    }
}

fn not_found(id: &str) -> EngineError {
    EngineError::NotFound(format!("no fault rule with id {id:?}"))
}
