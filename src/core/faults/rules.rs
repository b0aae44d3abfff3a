//! Fault rules: which requests they match, what they do to them, and the
//! seeded draw that decides, request by request, which rules apply.
//!
//! ```json
//! {"seed": 7, "rules": [
//!   {"vendor": "grafana", "probability": 0.5, "continue": true,
//!    "effect": {"latency": {"log_normal": {"median_ms": 80, "sigma": 1.2}}}},
//!   {"operation": "GET /api/v1/usage/*", "effect": {"error": {"status": 429}}},
//!   {"method": "POST", "path": "/cloud/v1/*", "probability": 0.1, "effect": "drop"},
//!   {"path": "/api/instances*", "effect": {"dribble": {"chunk_bytes": 8, "delay_ms": 50}}}
//! ]}
//! ```

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::core::error::ScenarioError;
use crate::core::hash::{hash, unit_interval};

/// Long-tailed latencies are cut here unless a rule says otherwise, so one
/// unlucky draw cannot hang a test.
const DEFAULT_MAX_LATENCY_MS: u64 = 60_000;

/// The `faults` section of a scenario (or of a `--faults` file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsSpec {
    /// Seed of the draws; the run's seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Evaluated in order for every vendor request.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultsSpec {
    /// No seed and no rules.
    pub fn is_empty(&self) -> bool {
        self.seed.is_none() && self.rules.is_empty()
    }

    /// `{"seed": …, "rules": […]}` or a bare list of rules.
    pub fn from_json_str(text: &str, location: &str) -> Result<Self, ScenarioError> {
        let spec = if text.trim_start().starts_with('[') {
            FaultsSpec {
                seed: None,
                rules: parse_json(text, location)?,
            }
        } else {
            parse_json(text, location)?
        };
        spec.validate(location)?;
        Ok(spec)
    }

    /// Checks every rule; errors name the rule (`faults.rules[2].probability`).
    pub fn validate(&self, location: &str) -> Result<(), ScenarioError> {
        let mut ids = HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("{location}.rules[{i}]");
            rule.validate(&at)?;
            if let Some(id) = &rule.id
                && !ids.insert(id.as_str())
            {
                return Err(ScenarioError::at(
                    format!("{at}.id"),
                    format!("duplicate fault rule id {id:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// One rule: a request matches when every given matcher does; it then
/// applies with `probability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Names the rule in the admin API and the journal; `fault-N` when absent.
    /// 1-128 ASCII letters, digits, `-`, `_` and `.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Only requests on this vendor's paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// `GET`, `POST`, … (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Glob over the request path: `*` matches any run of characters, `/` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Glob over the operation, the method and route template:
    /// `GET /api/instances/{slug_or_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// From 0 (never) to 1 (always, the default).
    #[serde(default = "always")]
    pub probability: f64,
    /// Keep evaluating later rules after this one applies (latency, then an
    /// error); by default the first rule that applies is the last.
    #[serde(default, rename = "continue", skip_serializing_if = "is_false")]
    pub continue_evaluating: bool,
    /// What it does to a request it applies to.
    pub effect: Effect,
}

fn always() -> f64 {
    1.0
}

fn is_false(b: &bool) -> bool {
    !b
}

pub use crate::core::vendor::Vendor;

/// What an applying rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// Wait before answering.
    Latency(Latency),
    /// Answer with an error in the vendor's own body, without calling the handler.
    Error(ErrorFault),
    /// Close the connection without an answer, without calling the handler.
    Drop,
    /// Send the body in small chunks with a pause between them.
    Dribble(Dribble),
}

impl Effect {
    /// How the journal and metrics name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Effect::Latency(_) => "latency",
            Effect::Error(_) => "error",
            Effect::Drop => "drop",
            Effect::Dribble(_) => "dribble",
        }
    }
}

/// An added delay: `{"fixed_ms": 200}`, `{"uniform_ms": [100, 300]}`,
/// `{"log_normal": {"median_ms": 80, "sigma": 1.0}}` or
/// `{"pareto": {"scale_ms": 50, "shape": 1.5}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Always this many milliseconds.
    FixedMs(u64),
    /// Inclusive bounds.
    UniformMs(u64, u64),
    /// Log-normal around a median: most short, a long tail.
    LogNormal {
        /// The median delay.
        median_ms: f64,
        /// The spread of the delay's logarithm (0: always the median).
        sigma: f64,
        /// Cap (default 60 000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_ms: Option<u64>,
    },
    /// Pareto: at least `scale_ms`, a heavy tail.
    Pareto {
        /// The minimum delay.
        scale_ms: f64,
        /// Smaller is longer-tailed.
        shape: f64,
        /// Cap (default 60 000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_ms: Option<u64>,
    },
}

impl Latency {
    /// The delay for two independent uniform draws in [0, 1).
    pub(crate) fn sample(&self, u1: f64, u2: f64) -> Duration {
        let capped = |ms: f64, max: Option<u64>| {
            let max = max.unwrap_or(DEFAULT_MAX_LATENCY_MS) as f64;
            Duration::from_secs_f64(ms.clamp(0.0, max) / 1000.0)
        };
        match *self {
            Latency::FixedMs(ms) => Duration::from_millis(ms),
            Latency::UniformMs(low, high) => {
                let span = (high - low + 1) as f64;
                Duration::from_millis(low + ((u1 * span) as u64).min(high - low))
            }
            Latency::LogNormal {
                median_ms,
                sigma,
                max_ms,
            } => {
                // Box–Muller; 1 - u keeps the logarithm finite.
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                capped(median_ms * (sigma * z).exp(), max_ms)
            }
            Latency::Pareto {
                scale_ms,
                shape,
                max_ms,
            } => capped(scale_ms / (1.0 - u1).powf(1.0 / shape), max_ms),
        }
    }

    fn validate(&self, at: &str) -> Result<(), ScenarioError> {
        let positive = |name: &str, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(ScenarioError::at(
                    format!("{at}.{name}"),
                    format!("must be a positive number, got {x}"),
                ))
            }
        };
        match *self {
            Latency::FixedMs(_) => Ok(()),
            Latency::UniformMs(low, high) if low > high => Err(ScenarioError::at(
                format!("{at}.uniform_ms"),
                format!("the low bound {low} is above the high bound {high}"),
            )),
            Latency::UniformMs(..) => Ok(()),
            Latency::LogNormal {
                median_ms, sigma, ..
            } => {
                positive("log_normal.median_ms", median_ms)?;
                if sigma.is_finite() && sigma >= 0.0 {
                    Ok(())
                } else {
                    Err(ScenarioError::at(
                        format!("{at}.log_normal.sigma"),
                        format!("must be 0 or more, got {sigma}"),
                    ))
                }
            }
            Latency::Pareto {
                scale_ms, shape, ..
            } => {
                positive("pareto.scale_ms", scale_ms)?;
                positive("pareto.shape", shape)
            }
        }
    }
}

/// An error answer; the body is the vendor's own error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFault {
    /// 400–599.
    pub status: u16,
    /// The status's reason phrase when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When to retry a 429 or 503 (`Retry-After`, or Datadog's
    /// `X-RateLimit-Reset`); 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// A slow body: `chunk_bytes` at a time, `delay_ms` between chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dribble {
    /// Bytes per chunk (at least 1).
    pub chunk_bytes: usize,
    /// Pause between chunks.
    pub delay_ms: u64,
}

/// Building rules in code: `FaultRule::new(effect)` matches every vendor
/// request, always; narrow it with the `for_`/`with_` methods.
///
/// ```
/// use mockcloud::{Effect, FaultRule, Latency, Vendor};
///
/// // Half of Grafana's POSTs under /api/v1 wait 200 ms, then later rules run.
/// let slow = FaultRule::new(Effect::Latency(Latency::FixedMs(200)))
///     .with_id("slow")
///     .for_vendor(Vendor::GRAFANA)
///     .with_method("POST")
///     .with_path("/api/v1/*")
///     .with_probability(0.5)
///     .and_continue();
/// assert_eq!(slow.id(), "slow");
/// ```
impl FaultRule {
    /// A rule applying `effect` to every vendor request.
    pub fn new(effect: Effect) -> Self {
        FaultRule {
            id: None,
            vendor: None,
            method: None,
            path: None,
            operation: None,
            probability: 1.0,
            continue_evaluating: false,
            effect,
        }
    }

    /// Names the rule (in the journal, and to change or remove it).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Only requests on `vendor`'s paths.
    pub fn for_vendor(mut self, vendor: Vendor) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Only requests with this method (any case).
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only requests whose path matches this glob (`*` matches anything).
    pub fn with_path(mut self, glob: impl Into<String>) -> Self {
        self.path = Some(glob.into());
        self
    }

    /// Only requests whose operation (`GET /api/instances/{slug_or_id}`)
    /// matches this glob.
    pub fn with_operation(mut self, glob: impl Into<String>) -> Self {
        self.operation = Some(glob.into());
        self
    }

    /// Applies with this probability (0 to 1), drawn from the fault seed.
    pub fn with_probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }

    /// Keeps evaluating later rules after this one applies.
    pub fn and_continue(mut self) -> Self {
        self.continue_evaluating = true;
        self
    }
}

impl Effect {
    /// An error answer with `status`, in the vendor's own error body.
    pub fn error(status: u16) -> Self {
        Effect::Error(ErrorFault {
            status,
            message: None,
            retry_after_seconds: None,
        })
    }
}

/// The longest fault rule id, in characters.
pub const MAX_ID_LEN: usize = 128;

/// A fault rule id: 1-128 ASCII letters, digits, `-`, `_` and `.` (what
/// a path segment, a metrics label and a log line carry unescaped). The
/// problem never echoes the id.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".to_string());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "must be at most {MAX_ID_LEN} characters, got {}",
            id.chars().count()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "must be ASCII letters, digits, '-', '_' and '.', found {c:?}"
        ));
    }
    Ok(())
}

impl FaultRule {
    /// Parses one rule (`--fault '<json>'`, an admin request body).
    pub fn from_json_str(text: &str, location: &str) -> Result<Self, ScenarioError> {
        let rule: FaultRule = parse_json(text, location)?;
        rule.validate(location)?;
        Ok(rule)
    }

    /// Checks the rule; errors are located under `at` (`rules[0].probability`).
    pub fn validate(&self, at: &str) -> Result<(), ScenarioError> {
        if let Some(id) = &self.id {
            check_id(id).map_err(|problem| ScenarioError::at(format!("{at}.id"), problem))?;
        }
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(ScenarioError::at(
                format!("{at}.probability"),
                format!("must be between 0 and 1, got {}", self.probability),
            ));
        }
        if let Some(method) = &self.method
            && !is_http_token(method)
        {
            return Err(ScenarioError::at(
                format!("{at}.method"),
                format!("not an HTTP method: {method:?}"),
            ));
        }
        for (name, glob) in [("path", &self.path), ("operation", &self.operation)] {
            if glob.as_deref() == Some("") {
                return Err(ScenarioError::at(
                    format!("{at}.{name}"),
                    "must not be empty (omit it to match any)",
                ));
            }
        }
        let at = format!("{at}.effect");
        match &self.effect {
            Effect::Latency(latency) => latency.validate(&format!("{at}.latency")),
            Effect::Error(error) if !(400..=599).contains(&error.status) => Err(ScenarioError::at(
                format!("{at}.error.status"),
                format!("must be an error status (400-599), got {}", error.status),
            )),
            Effect::Dribble(dribble) if dribble.chunk_bytes == 0 => Err(ScenarioError::at(
                format!("{at}.dribble.chunk_bytes"),
                "must be at least 1",
            )),
            _ => Ok(()),
        }
    }

    /// The rule's id (assigned on load, so present at run time).
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    pub(crate) fn matches(&self, request: &RequestFacts<'_>) -> bool {
        self.vendor
            .as_ref()
            .is_none_or(|v| Some(v.name()) == request.vendor)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(request.method))
            && self.path.as_deref().is_none_or(|p| glob(p, request.path))
            && self
                .operation
                .as_deref()
                .is_none_or(|o| request.operation.is_some_and(|op| glob(o, op)))
    }
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The name of the vendor that owns the path.
    pub vendor: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    /// `None` when no route matched.
    pub operation: Option<&'a str>,
}

/// What the applying rules add up to for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// The sum of every applying latency.
    pub latency: Duration,
    /// The first applying error or drop replaces the answer.
    pub replacement: Option<Effect>,
    /// The first applying dribble slows whatever answer is sent.
    pub dribble: Option<Dribble>,
    /// `(rule id, effect kind)` in order.
    pub applied: Vec<(String, &'static str)>,
}

impl FaultPlan {
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty()
    }
}

/// Decides which rules apply to the `request_number`th request. Every draw
/// is a hash of (seed, request number, rule index, purpose), so the same
/// requests in the same order meet the same faults, whatever else runs.
pub fn plan(
    rules: &[FaultRule],
    seed: u64,
    request_number: u64,
    request: &RequestFacts<'_>,
) -> FaultPlan {
    let draw = |index: usize, purpose: u64| {
        unit_interval(hash(&[seed, request_number, index as u64, purpose]))
    };
    let mut plan = FaultPlan::default();
    for (index, rule) in rules.iter().enumerate() {
        // A rule whose dice miss is passed over like one that does not match.
        if !rule.matches(request) || draw(index, 0) >= rule.probability {
            continue;
        }
        plan.applied
            .push((rule.id().to_string(), rule.effect.kind()));
        match &rule.effect {
            Effect::Latency(latency) => {
                plan.latency += latency.sample(draw(index, 1), draw(index, 2));
            }
            Effect::Error(_) | Effect::Drop => {
                plan.replacement.get_or_insert_with(|| rule.effect.clone());
            }
            Effect::Dribble(dribble) => {
                plan.dribble.get_or_insert_with(|| dribble.clone());
            }
        }
        if !rule.continue_evaluating {
            break;
        }
    }
    plan
}

/// `*` matches any run of characters (`/` included); everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and where in `text` it currently ends.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

fn parse_json<T: for<'de> Deserialize<'de>>(
    text: &str,
    location: &str,
) -> Result<T, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            location.to_string()
        } else {
            format!("{location}.{path}")
        };
        ScenarioError::at(at, e.inner())
    })?;
    de.end()
        .map_err(|e| ScenarioError::at(location, format!("trailing data: {e}")))?;
    Ok(value)
}

/// An HTTP method is a token (RFC 9110): letters, digits and a few marks.
fn is_http_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultRule {
        FaultRule::from_json_str(json, "rule").unwrap()
    }

    fn facts<'a>(method: &'a str, path: &'a str, operation: Option<&'a str>) -> RequestFacts<'a> {
        RequestFacts {
            vendor: Some("grafana"),
            method,
            path,
            operation,
        }
    }

    #[test]
    fn globs_match_any_run_of_characters() {
        assert!(glob("/api/*", "/api/v1/accesspolicies"));
        assert!(glob("*/tokens*", "/api/v1/tokens/abc"));
        assert!(glob("/api/instances", "/api/instances"));
        assert!(!glob("/api/instances", "/api/instances/1"));
        assert!(glob("GET /api/*/{id}", "GET /api/v1/tokens/{id}"));
        assert!(!glob("/a*b", "/a/c"));
        assert!(glob("*", ""));
    }

    #[test]
    fn long_tailed_latencies_are_capped_and_uniform_ones_stay_in_bounds() {
        let pareto = Latency::Pareto {
            scale_ms: 10.0,
            shape: 1.0,
            max_ms: Some(500),
        };
        assert_eq!(pareto.sample(0.0, 0.0), Duration::from_millis(10));
        assert_eq!(pareto.sample(0.999_999, 0.0), Duration::from_millis(500));
        let uniform = Latency::UniformMs(100, 200);
        assert_eq!(uniform.sample(0.0, 0.0), Duration::from_millis(100));
        assert_eq!(uniform.sample(0.999_999, 0.0), Duration::from_millis(200));
        let log_normal = Latency::LogNormal {
            median_ms: 100.0,
            sigma: 0.0,
            max_ms: None,
        };
        assert_eq!(log_normal.sample(0.3, 0.7), Duration::from_millis(100));
    }

    #[test]
    fn the_first_applying_rule_wins_unless_it_continues() {
        let latency = rule(r#"{"id": "slow", "effect": {"latency": {"fixed_ms": 5}}}"#);
        let error = rule(r#"{"id": "boom", "effect": {"error": {"status": 503}}}"#);
        let request = facts("GET", "/api/instances", None);
        let first = plan(&[latency.clone(), error.clone()], 1, 0, &request);
        assert_eq!(first.applied, vec![("slow".to_string(), "latency")]);
        let continuing = FaultRule {
            continue_evaluating: true,
            ..latency
        };
        let both = plan(&[continuing, error.clone()], 1, 0, &request);
        assert_eq!(both.latency, Duration::from_millis(5));
        assert_eq!(both.replacement, Some(error.effect));
    }

    #[test]
    fn bad_rules_are_reported_where_they_are() {
        let error = |json: &str| {
            FaultsSpec::from_json_str(json, "faults")
                .unwrap_err()
                .to_string()
        };
        assert!(
            error(r#"{"rules": [{"probability": 2, "effect": "drop"}]}"#)
                .starts_with("faults.rules[0].probability:")
        );
        assert!(
            error(r#"{"rules": [{"effect": {"error": {"status": 200}}}]}"#)
                .starts_with("faults.rules[0].effect.error.status:")
        );
        assert!(
            error(r#"{"rules": [{"effect": {"latency": {"uniform_ms": [9, 1]}}}]}"#)
                .starts_with("faults.rules[0].effect.latency.uniform_ms:")
        );
        assert!(
            error(r#"{"rules": [{"effect": "drop", "id": "a"}, {"effect": "drop", "id": "a"}]}"#)
                .starts_with("faults.rules[1].id:")
        );
    }
}
