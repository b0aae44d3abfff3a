//! A bounded memo of pure computations: figures computed once and served
//! again, without ever growing past a fixed number of entries.
//!
//! A key must name everything its value depends on (the series' hash, its
//! profile, the month …), so an entry can never be stale: a reset, another
//! scenario or another seed asks for other keys. The memo is shared by every
//! server of the process for that reason.
//!
//! Entries live in two generations: lookups promote what they find into the
//! young one, and when it is full the old generation is dropped and the
//! young one takes its place. Memory stays under two generations' worth;
//! what is asked for often stays.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

pub struct Memo<K, V> {
    generations: Mutex<Generations<K, V>>,
    per_generation: usize,
}

struct Generations<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// A memo that keeps at most `2 × per_generation` entries.
    pub fn new(per_generation: usize) -> Self {
        Memo {
            generations: Mutex::new(Generations {
                young: HashMap::new(),
                old: HashMap::new(),
            }),
            per_generation: per_generation.max(1),
        }
    }

    /// The value of `key`, computed by `compute` when the memo does not
    /// have it. The lock is never held while computing: two callers asking
    /// for the same new key may both compute it, and get the same value.
    pub fn get_or_compute(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(value) = self.get(&key) {
            return value;
        }
        let value = compute();
        self.lock().insert(key, value.clone(), self.per_generation);
        value
    }

    fn get(&self, key: &K) -> Option<V> {
        let mut generations = self.lock();
        if let Some(value) = generations.young.get(key) {
            return Some(value.clone());
        }
        let (key, value) = generations.old.remove_entry(key)?;
        generations.insert(key, value.clone(), self.per_generation);
        Some(value)
    }

    /// How many entries the memo holds now.
    #[cfg(test)]
    fn len(&self) -> usize {
        let generations = self.lock();
        generations.young.len() + generations.old.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations<K, V>> {
        // A panic while holding the lock leaves whole entries only.
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Hash + Eq, V> Generations<K, V> {
    fn insert(&mut self, key: K, value: V, per_generation: usize) {
        if self.young.len() >= per_generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn computes_once_and_serves_again() {
        let memo = Memo::new(8);
        let calls = Cell::new(0);
        let square = |x: u64| {
            calls.set(calls.get() + 1);
            x * x
        };
        assert_eq!(memo.get_or_compute(3, || square(3)), 9);
        assert_eq!(memo.get_or_compute(3, || square(3)), 9);
        assert_eq!(calls.get(), 1);
        assert_eq!(memo.get_or_compute(4, || square(4)), 16);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn never_holds_more_than_two_generations_and_keeps_what_is_used() {
        let memo = Memo::new(10);
        for key in 0..1_000u64 {
            memo.get_or_compute(key, || key + 1);
            // Key 0 is asked for all the time: it stays.
            assert_eq!(memo.get_or_compute(0, || unreachable!("0 is kept")), 1);
            assert!(memo.len() <= 20, "{} entries", memo.len());
        }
        // An old key was dropped and is computed again, to the same value.
        let recomputed = Cell::new(false);
        let value = memo.get_or_compute(5, || {
            recomputed.set(true);
            6
        });
        assert_eq!(value, 6);
        assert!(recomputed.get());
    }
}
