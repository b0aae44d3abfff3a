//! The one server clock. Everything time-dependent (createdAt, token expiry,
//! later usage delays and rate-limit windows) reads it, so tests can move time
//! instead of waiting for it.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, DurationRound, Utc};

#[derive(Debug, Default)]
struct ClockState {
    /// Added to the wall clock while running.
    offset: Duration,
    /// When set, `now()` answers this instant until resumed.
    frozen_at: Option<DateTime<Utc>>,
}

/// A cheaply clonable handle on the server clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
}

impl Clock {
    /// The current instant, truncated to milliseconds: the precision every
    /// vendor timestamp is rendered with, so what we store is what we show.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.lock();
        let instant = match state.frozen_at {
            Some(frozen) => frozen,
            None => Utc::now() + state.offset,
        };
        truncate_to_millis(instant)
    }

    /// Stops time at `at` (or at the current instant).
    pub fn freeze(&self, at: Option<DateTime<Utc>>) {
        let now = self.now();
        self.lock().frozen_at = Some(truncate_to_millis(at.unwrap_or(now)));
    }

    /// Moves time forward (or backward, for a negative duration), frozen or not.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        match state.frozen_at.as_mut() {
            Some(frozen) => *frozen += by,
            None => state.offset += by,
        }
    }

    /// Lets a frozen clock run again from the instant it shows.
    pub fn resume(&self) {
        let mut state = self.lock();
        if let Some(frozen) = state.frozen_at.take() {
            state.offset = frozen - Utc::now();
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.lock().frozen_at.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        // The state is two plain values: a poisoned lock still holds valid data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

/// Grafana's timestamp format: `2022-06-08T20:07:21.223Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        let at = "2026-01-31T23:59:59.500Z".parse().unwrap();
        clock.freeze(Some(at));
        assert_eq!(clock.now(), at);
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now().to_rfc3339(), "2026-02-01T00:00:00.500+00:00");
        clock.resume();
        assert!(!clock.is_frozen());
        assert!(clock.now() >= at + Duration::seconds(1));
    }
}
