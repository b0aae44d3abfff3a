//! Fixed-window rate limits per (rule, credential), on the server clock.
//! One mechanism for every vendor: each renders the decision its own way
//! (Datadog's `X-RateLimit-*` headers and 429 body, …).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::scenario::RateLimitSpec;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, String), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    used: u32,
}

/// What one request met under one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub name: String,
    pub limit: u32,
    pub period_seconds: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_seconds: u32,
}

impl RateLimiter {
    /// Counts one request by `credential` under `rule` at `now`.
    pub fn check(&self, rule: &RateLimitSpec, credential: &str, now: DateTime<Utc>) -> Decision {
        let period = Duration::seconds(i64::from(rule.period_seconds));
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows
            .entry((rule.name.clone(), credential.to_string()))
            .or_insert(Window {
                started: now,
                used: 0,
            });
        // A clock moved backwards starts a fresh window too.
        if now >= window.started + period || now < window.started {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        let allowed = window.used < rule.limit;
        if allowed {
            window.used += 1;
        }
        let reset = (window.started + period - now).num_milliseconds();
        Decision {
            allowed,
            name: rule.name.clone(),
            limit: rule.limit,
            period_seconds: rule.period_seconds,
            remaining: rule.limit - window.used,
            reset_seconds: u32::try_from((reset + 999) / 1000).unwrap_or(u32::MAX),
        }
    }

    /// Forgets every window (on reset).
    pub fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_the_limit_then_refuses_until_it_resets() {
        let limiter = RateLimiter::default();
        let rule = RateLimitSpec {
            name: "usage".into(),
            limit: 2,
            period_seconds: 60,
        };
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(limiter.check(&rule, "k", t0).remaining, 1);
        assert!(limiter.check(&rule, "k", t0).allowed);
        let refused = limiter.check(&rule, "k", t0 + Duration::seconds(10));
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.reset_seconds), (0, 50));
        assert!(limiter.check(&rule, "other", t0).allowed, "per credential");
        assert!(
            limiter
                .check(&rule, "k", t0 + Duration::seconds(60))
                .allowed
        );
    }
}
