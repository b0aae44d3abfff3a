//! Fixed-window rate limits per (rule, credential), on the server clock.
//! One mechanism for every vendor: each renders the decision its own way
//! (Datadog's `X-RateLimit-*` headers and 429 body, …).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::faults::AppliedFault;
use serde::{Deserialize, Serialize};

use super::error::ScenarioError;

#[derive(Debug, Default)]
pub struct RateLimiter {
    /// (vendor, rule name, credential) → its current window.
    windows: Mutex<HashMap<(&'static str, String, String), Window>>,
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

impl Decision {
    /// What a request that is not counted (it carries no credential) is
    /// told of `rule`: a fresh window.
    pub fn fresh(rule: &RateLimitSpec) -> Self {
        Decision {
            allowed: true,
            name: rule.name.clone(),
            limit: rule.limit,
            period_seconds: rule.period_seconds,
            remaining: rule.limit,
            reset_seconds: rule.period_seconds,
        }
    }

    /// What a request is told when its vendor has no limits: a window that
    /// never fills (the largest int32, so every client parses it).
    pub fn unlimited() -> Self {
        const NEVER_FILLS: u32 = i32::MAX as u32;
        Decision {
            allowed: true,
            name: "unlimited".to_string(),
            limit: NEVER_FILLS,
            period_seconds: 60,
            remaining: NEVER_FILLS,
            reset_seconds: 60,
        }
    }

    /// How a refusal shows in the journal and the metrics.
    pub fn as_fault(&self) -> AppliedFault {
        AppliedFault {
            rule: self.name.clone(),
            effect: "rate_limit".to_string(),
        }
    }
}

impl RateLimiter {
    /// Counts one request by `credential` under `vendor`'s `rule` at `now`.
    pub fn check(
        &self,
        vendor: &'static str,
        rule: &RateLimitSpec,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Decision {
        let period = Duration::seconds(i64::from(rule.period_seconds));
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows
            .entry((vendor, rule.name.clone(), credential.to_string()))
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
            // A limit lowered at run time may sit below what was used.
            remaining: rule.limit.saturating_sub(window.used),
            reset_seconds: u32::try_from((reset + 999) / 1000).unwrap_or(u32::MAX),
        }
    }

    /// Counts one request under each of `vendor`'s rules. The decision to
    /// show is the first refusal, or else the first rule's; `None` without
    /// rules.
    pub fn check_all(
        &self,
        vendor: &'static str,
        rules: &[RateLimitSpec],
        credential: &str,
        now: DateTime<Utc>,
    ) -> Option<Decision> {
        let decisions: Vec<Decision> = rules
            .iter()
            .map(|rule| self.check(vendor, rule, credential, now))
            .collect();
        decisions
            .iter()
            .find(|d| !d.allowed)
            .or_else(|| decisions.first())
            .cloned()
    }

    /// Forgets `vendor`'s windows (its rules were replaced).
    pub fn clear_vendor(&self, vendor: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(v, _, _), _| *v != vendor);
    }

    /// Forgets every window (on reset).
    pub fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Checks a vendor's rules, as a scenario or the admin API gives them:
/// each named, names unique, limit and period positive. The error names the
/// rule's index (`[1].limit`).
pub fn validate(rules: &[RateLimitSpec]) -> Result<(), (String, String)> {
    for (i, rule) in rules.iter().enumerate() {
        if rule.name.trim().is_empty() {
            return Err((format!("[{i}].name"), "name a rule".to_string()));
        }
        if rules[..i].iter().any(|r| r.name == rule.name) {
            return Err((
                format!("[{i}].name"),
                format!("duplicate rule name {:?}", rule.name),
            ));
        }
        if rule.limit == 0 {
            return Err((format!("[{i}].limit"), "must be positive".to_string()));
        }
        if rule.period_seconds == 0 {
            return Err((
                format!("[{i}].period_seconds"),
                "must be positive".to_string(),
            ));
        }
    }
    Ok(())
}

/// A vendor's rules from its scenario section, or `default` when it sets
/// none; problems are located under `at` (`grafana.rate_limits`).
pub fn from_scenario(
    rules: &[RateLimitSpec],
    at: &str,
    default: RateLimitSpec,
) -> Result<Vec<RateLimitSpec>, ScenarioError> {
    if rules.is_empty() {
        return Ok(vec![default]);
    }
    validate(rules)
        .map_err(|(location, problem)| ScenarioError::at(format!("{at}{location}"), problem))?;
    Ok(rules.to_vec())
}

/// At most `limit` requests per `period_seconds` per credential, reported
/// under `name` (`X-RateLimit-Name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Unique among the vendor's rules.
    pub name: String,
    /// Requests allowed per window and credential.
    pub limit: u32,
    /// The window's length.
    pub period_seconds: u32,
}

impl RateLimitSpec {
    /// At most `limit` requests per `period_seconds` per credential.
    pub fn new(name: impl Into<String>, limit: u32, period_seconds: u32) -> Self {
        RateLimitSpec {
            name: name.into(),
            limit,
            period_seconds,
        }
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
        assert_eq!(limiter.check("datadog", &rule, "k", t0).remaining, 1);
        assert!(limiter.check("datadog", &rule, "k", t0).allowed);
        let refused = limiter.check("datadog", &rule, "k", t0 + Duration::seconds(10));
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.reset_seconds), (0, 50));
        assert!(
            limiter.check("datadog", &rule, "other", t0).allowed,
            "per credential"
        );
        assert!(
            limiter
                .check("datadog", &rule, "k", t0 + Duration::seconds(60))
                .allowed
        );
    }
}
