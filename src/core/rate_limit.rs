//! Fixed-window rate limits per (rule, credential), on the server clock.
//! One mechanism for every vendor: each renders the decision its own way
//! (Datadog's `X-RateLimit-*` headers and 429 body, …).
//!
//! Memory is bounded by the world, not by traffic:
//! - vendors count only credentials their world knows (an unknown or
//!   missing one is refused before it could use a window), so the windows
//!   are at most (known credentials × rules);
//! - a window is keyed by its vendor and a 128-bit keyed digest of (rule
//!   name, credential), never the credential itself: each costs the same
//!   few dozen bytes whatever the credential's length;
//! - expired windows are swept whenever the count doubles, and at most
//!   [`MAX_WINDOWS`] are kept: past it, the window that ends first is
//!   forgotten (its credential starts a fresh one).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::faults::AppliedFault;
use serde::{Deserialize, Serialize};

use super::error::ScenarioError;

/// The most windows kept at once, every vendor together.
pub const MAX_WINDOWS: usize = 100_000;

/// Below this many windows, expired ones are left until the next count.
const SWEEP_FLOOR: usize = 1024;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<Windows>,
    /// Two independently keyed hashers: together a 128-bit digest no
    /// client can aim collisions at (the keys are random per process).
    digests: (RandomState, RandomState),
}

/// (vendor, digest of rule name and credential) → its current window.
type WindowKey = (&'static str, u128);

#[derive(Debug, Default)]
struct Windows {
    map: HashMap<WindowKey, Window>,
    /// The count at which expired windows are next swept.
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    /// `started` + the rule's period; `None` past the latest instant chrono
    /// has (the window then lasts as long as the clock stays there).
    ends: Option<DateTime<Utc>>,
    used: u32,
}

impl Window {
    fn starting(now: DateTime<Utc>, period: Duration) -> Self {
        Window {
            started: now,
            ends: now.checked_add_signed(period),
            used: 0,
        }
    }

    /// Whether the window still counts at `now` (a clock moved backwards
    /// past its start ends it too).
    fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.started <= now && self.ends.is_none_or(|ends| now < ends)
    }
}

impl Windows {
    /// Makes room for one more window at `now`: sweeps the expired ones
    /// when the count has doubled since the last sweep, then, at
    /// [`MAX_WINDOWS`], forgets the window that ends first.
    fn make_room(&mut self, now: DateTime<Utc>) {
        if self.map.len() >= self.sweep_at.max(SWEEP_FLOOR) {
            self.map.retain(|_, window| window.live_at(now));
            self.sweep_at = (self.map.len() * 2).clamp(SWEEP_FLOOR, MAX_WINDOWS);
        }
        if self.map.len() >= MAX_WINDOWS
            && let Some(first) = self
                .map
                .iter()
                .min_by_key(|(_, window)| window.ends.unwrap_or(DateTime::<Utc>::MAX_UTC))
                .map(|(key, _)| *key)
        {
            self.map.remove(&first);
        }
    }
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

/// What counting a request under a rule found, before it is told.
#[derive(Debug, Clone, Copy)]
struct Counted {
    allowed: bool,
    used: u32,
    reset_seconds: u32,
}

impl Counted {
    fn decision(self, rule: &RateLimitSpec) -> Decision {
        Decision {
            allowed: self.allowed,
            name: rule.name.clone(),
            limit: rule.limit,
            period_seconds: rule.period_seconds,
            // A limit lowered at run time may sit below what was used.
            remaining: rule.limit.saturating_sub(self.used),
            reset_seconds: self.reset_seconds,
        }
    }
}

impl RateLimiter {
    /// Counts one request by `credential` under `vendor`'s `rule` at `now`.
    /// Call it only for a credential the vendor's world knows: every call
    /// may keep a window until it expires.
    #[cfg(test)]
    pub fn check(
        &self,
        vendor: &'static str,
        rule: &RateLimitSpec,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Decision {
        self.count(vendor, rule, credential, now).decision(rule)
    }

    fn count(
        &self,
        vendor: &'static str,
        rule: &RateLimitSpec,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Counted {
        let period = Duration::seconds(i64::from(rule.period_seconds));
        let key = (vendor, self.digest(&rule.name, credential));
        let mut windows = self.lock();
        // Looked up once unless the windows are due for a sweep (making
        // room does nothing below that count).
        if windows.map.len() >= windows.sweep_at.max(SWEEP_FLOOR) && !windows.map.contains_key(&key)
        {
            windows.make_room(now);
        }
        let window = windows
            .map
            .entry(key)
            .or_insert_with(|| Window::starting(now, period));
        if !window.live_at(now) {
            *window = Window::starting(now, period);
        }
        let allowed = window.used < rule.limit;
        if allowed {
            window.used += 1;
        }
        let reset = window
            .ends
            .map_or(period, |ends| ends.signed_duration_since(now))
            .num_milliseconds();
        Counted {
            allowed,
            used: window.used,
            reset_seconds: u32::try_from(reset.saturating_add(999) / 1000).unwrap_or(u32::MAX),
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
        let mut shown: Option<(Counted, &RateLimitSpec)> = None;
        for rule in rules {
            let counted = self.count(vendor, rule, credential, now);
            if shown
                .as_ref()
                .is_none_or(|(first, _)| first.allowed && !counted.allowed)
            {
                shown = Some((counted, rule));
            }
        }
        shown.map(|(counted, rule)| counted.decision(rule))
    }

    /// Counts one request under each of `vendor`'s rules, as
    /// [`RateLimiter::check_all`] does, and tells only a refusal (the first
    /// rule that refuses): nothing is made for a request let through.
    pub fn refusal(
        &self,
        vendor: &'static str,
        rules: &[RateLimitSpec],
        credential: &str,
        now: DateTime<Utc>,
    ) -> Option<Decision> {
        let mut refused = None;
        for rule in rules {
            let counted = self.count(vendor, rule, credential, now);
            if !counted.allowed && refused.is_none() {
                refused = Some(counted.decision(rule));
            }
        }
        refused
    }

    /// Forgets `vendor`'s windows (its rules were replaced).
    pub fn clear_vendor(&self, vendor: &str) {
        self.lock().map.retain(|(v, _), _| *v != vendor);
    }

    /// Forgets every window (on reset).
    pub fn clear(&self) {
        *self.lock() = Windows::default();
    }

    /// How many windows are kept (`mockcloud_rate_limit_windows` in
    /// `/__admin/metrics`), expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// The fixed-size key of (rule name, credential).
    fn digest(&self, rule: &str, credential: &str) -> u128 {
        let half = |state: &RandomState| state.hash_one((rule, credential));
        (u128::from(half(&self.digests.0)) << 64) | u128::from(half(&self.digests.1))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        // Windows are plain values: a poisoned lock still holds valid data.
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
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
    rules: Option<&[RateLimitSpec]>,
    at: &str,
    default: RateLimitSpec,
) -> Result<Vec<RateLimitSpec>, ScenarioError> {
    let Some(rules) = rules else {
        return Ok(vec![default]);
    };
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

    /// `refusal` counts as `check_all` does and tells only its refusals.
    #[test]
    fn a_refusal_is_check_alls_decision_when_it_refuses() {
        let rules = [
            RateLimitSpec {
                name: "burst".into(),
                limit: 3,
                period_seconds: 60,
            },
            RateLimitSpec {
                name: "hourly".into(),
                limit: 2,
                period_seconds: 3600,
            },
        ];
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let (told, counted) = (RateLimiter::default(), RateLimiter::default());
        for second in 0..5 {
            let at = t0 + Duration::seconds(second);
            let all = counted.check_all("grafana", &rules, "t", at);
            let refusal = told.refusal("grafana", &rules, "t", at);
            match all {
                Some(decision) if !decision.allowed => assert_eq!(refusal, Some(decision)),
                _ => assert_eq!(refusal, None, "at {second}"),
            }
        }
        // Once both refuse, the first rule's refusal is told.
        let refused = told.refusal("grafana", &rules, "t", t0).expect("refused");
        assert_eq!(refused.name, "burst");
        assert_eq!(told.len(), counted.len());
    }

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

    #[test]
    fn the_ends_of_time_do_not_panic() {
        let limiter = RateLimiter::default();
        let rule = RateLimitSpec::new("usage", 1, u32::MAX);
        for at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let first = limiter.check("gcore", &rule, "k", at);
            assert!(first.allowed);
            assert!(!limiter.check("gcore", &rule, "k", at).allowed);
        }
        // Back from the far future: a fresh window, not a panic.
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert!(limiter.check("gcore", &rule, "k", t0).allowed);
    }

    #[test]
    fn windows_are_keyed_by_a_digest_whatever_the_credential() {
        let limiter = RateLimiter::default();
        let rule = RateLimitSpec::new("usage", 1, 60);
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let long = "k".repeat(100 * 1024);
        assert!(limiter.check("datadog", &rule, &long, t0).allowed);
        assert!(!limiter.check("datadog", &rule, &long, t0).allowed);
        assert!(limiter.check("datadog", &rule, &long[1..], t0).allowed);
        assert!(
            limiter.check("gcore", &rule, &long, t0).allowed,
            "per vendor"
        );
        assert_eq!(limiter.len(), 3);
        limiter.clear_vendor("datadog");
        assert_eq!(limiter.len(), 1);
    }

    #[test]
    fn expired_windows_are_swept_and_the_count_is_capped() {
        let limiter = RateLimiter::default();
        let rule = RateLimitSpec::new("usage", 5, 60);
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        for i in 0..SWEEP_FLOOR {
            limiter.check("gcore", &rule, &i.to_string(), t0);
        }
        assert_eq!(limiter.len(), SWEEP_FLOOR);
        // A minute later every window has expired: the next new one sweeps.
        limiter.check("gcore", &rule, "late", t0 + Duration::seconds(60));
        assert_eq!(limiter.len(), 1);
        for i in 0..MAX_WINDOWS + 10 {
            limiter.check("gcore", &rule, &i.to_string(), t0);
        }
        assert_eq!(limiter.len(), MAX_WINDOWS);
    }
}
