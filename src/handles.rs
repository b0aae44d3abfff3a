//! Typed handles on a running server: what `/__admin` offers over HTTP
//! (fault rules, the request journal, rate limits), for a Rust test that
//! runs the server in-process. Each handle is a cheap clone that may move
//! into another task; every change takes effect at once, as the admin API's.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::admin::journal::{self, Entry};
use crate::core::error::EngineError;
use crate::core::faults::rules::FaultRule;
use crate::core::rate_limit::{self, RateLimitSpec};
use crate::core::vendor::Vendor;
use crate::engine::Engine;
use crate::vendors;

/// Why a handle refused a change; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeError {
    /// The input is invalid; the message says where (`rule.probability`).
    Invalid(String),
    /// Nothing has that id.
    NotFound(String),
    /// The id is taken.
    Conflict(String),
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::Invalid(m) | ChangeError::NotFound(m) | ChangeError::Conflict(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for ChangeError {}

impl From<EngineError> for ChangeError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(m) => ChangeError::NotFound(m),
            EngineError::Conflict(m) => ChangeError::Conflict(m),
            other => ChangeError::Invalid(other.to_string()),
        }
    }
}

/// The fault rules in force ([`MockCloud::faults`](crate::MockCloud::faults);
/// `/__admin/faults` over HTTP). Rules are evaluated in order for every
/// vendor request; [`MockCloud::reset`](crate::MockCloud::reset) brings back
/// the scenario's (and [`Config::faults`](crate::Config::faults)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mockcloud::{Config, Effect, FaultRule, MockCloud, Vendor};
///
/// let server = MockCloud::start(Config::default()).await?;
/// let added = server.faults().add(
///     FaultRule::new(Effect::error(503))
///         .with_id("down")
///         .for_vendor(Vendor::DATADOG),
/// )?;
/// assert_eq!(added.id(), "down");
/// assert_eq!(server.faults().list().len(), 1);
/// server.faults().remove("down")?;
/// assert!(server.faults().list().is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Faults {
    engine: Arc<Engine>,
}

impl Faults {
    pub(crate) fn new(engine: Arc<Engine>) -> Self {
        Faults { engine }
    }

    /// The rules in force, in evaluation order, each with its id.
    pub fn list(&self) -> Vec<FaultRule> {
        self.engine.faults.rules().to_vec()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<FaultRule> {
        self.engine.faults.get(id).ok()
    }

    /// Appends a rule (evaluated after the others) and returns it with its
    /// id: the one given, or `fault-N`.
    ///
    /// # Errors
    /// [`ChangeError::Invalid`] for a rule that does not validate,
    /// [`ChangeError::Conflict`] when its id is taken.
    pub fn add(&self, rule: FaultRule) -> Result<FaultRule, ChangeError> {
        known_vendor(&rule)?;
        Ok(self.engine.faults.add(rule)?)
    }

    /// Replaces rule `id` whole, keeping its id and its place in the order.
    ///
    /// # Errors
    /// [`ChangeError::NotFound`] when no rule has that id,
    /// [`ChangeError::Invalid`] for a rule that does not validate or names
    /// another id.
    pub fn replace(&self, id: &str, rule: FaultRule) -> Result<FaultRule, ChangeError> {
        known_vendor(&rule)?;
        Ok(self.engine.faults.replace(id, rule)?)
    }

    /// Removes rule `id` and returns it.
    ///
    /// # Errors
    /// [`ChangeError::NotFound`] when no rule has that id.
    pub fn remove(&self, id: &str) -> Result<FaultRule, ChangeError> {
        Ok(self.engine.faults.remove(id)?)
    }

    /// Removes every rule (until the next reset); returns how many there were.
    pub fn clear(&self) -> usize {
        let removed = self.engine.faults.rules().len();
        self.engine.faults.clear();
        removed
    }

    /// The seed of the draws (with the request number and the rule's index).
    pub fn seed(&self) -> u64 {
        self.engine.faults.seed()
    }

    /// Vendor requests numbered since start or the last reset.
    pub fn requests_seen(&self) -> u64 {
        self.engine.faults.requests_seen()
    }
}

/// The request journal ([`MockCloud::journal`](crate::MockCloud::journal);
/// `/__admin/journal` over HTTP): what every vendor request met, oldest
/// first, the newest [`Config::journal_capacity`](crate::Config::journal_capacity)
/// kept. Reset does not clear it; credentials never enter it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mockcloud::{Config, JournalFilter, MockCloud, Vendor};
///
/// let server = MockCloud::start(Config::default()).await?;
/// let url = format!("{}/api/v1/usage/billable-summary", server.base_url());
/// reqwest::get(url).await?; // no keys: Datadog answers 403
///
/// let refused = server
///     .journal()
///     .entries(&JournalFilter::new().vendor(Vendor::DATADOG).status(403));
/// assert_eq!(refused.len(), 1);
/// assert_eq!(refused[0].path, "/api/v1/usage/billable-summary");
/// assert_eq!(server.journal().clear(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Journal {
    journal: Arc<journal::Journal>,
}

impl Journal {
    pub(crate) fn new(journal: Arc<journal::Journal>) -> Self {
        Journal { journal }
    }

    /// Every entry kept, oldest first.
    pub fn all(&self) -> Vec<JournalEntry> {
        self.entries(&JournalFilter::new())
    }

    /// The entries `filter` admits, oldest first (at most its `limit`
    /// newest).
    pub fn entries(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let mut found: Vec<JournalEntry> = self
            .journal
            .entries()
            .into_iter()
            .map(JournalEntry::from)
            .filter(|entry| filter.admits(entry))
            .collect();
        if let Some(limit) = filter.limit {
            found.drain(..found.len().saturating_sub(limit));
        }
        found
    }

    /// Forgets every entry; returns how many there were. Entry ids keep
    /// counting up.
    pub fn clear(&self) -> usize {
        self.journal.clear()
    }

    /// How many entries it keeps (the newest).
    pub fn capacity(&self) -> usize {
        self.journal.capacity()
    }
}

/// Which journal entries to return: every condition set must hold.
///
/// ```
/// use mockcloud::{JournalFilter, Vendor};
///
/// // The last ten Grafana 4xx answers on access policies.
/// let filter = JournalFilter::new()
///     .vendor(Vendor::GRAFANA)
///     .path("/api/v1/accesspolicies")
///     .status_class(4)
///     .limit(10);
/// # let _ = filter;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    vendor: Option<Vendor>,
    path: Option<String>,
    method: Option<String>,
    /// Inclusive status range.
    status: Option<(u16, u16)>,
    limit: Option<usize>,
}

impl JournalFilter {
    /// Admits every entry.
    pub fn new() -> Self {
        JournalFilter::default()
    }

    /// Requests on the vendor's paths.
    pub fn vendor(mut self, vendor: Vendor) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Requests whose path contains `part`.
    pub fn path(mut self, part: impl Into<String>) -> Self {
        self.path = Some(part.into());
        self
    }

    /// Requests with this method (any case).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Answers with this status (dropped connections have none).
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some((status, status));
        self
    }

    /// Answers in a class: `4` for 4xx.
    pub fn status_class(mut self, class: u16) -> Self {
        self.status = Some((class * 100, class * 100 + 99));
        self
    }

    /// At most this many entries, the newest.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    fn admits(&self, entry: &JournalEntry) -> bool {
        self.vendor
            .as_ref()
            .is_none_or(|v| entry.vendor.as_ref() == Some(v))
            && self.path.as_deref().is_none_or(|p| entry.path.contains(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&entry.method))
            && self
                .status
                .is_none_or(|(low, high)| entry.status.is_some_and(|s| (low..=high).contains(&s)))
    }
}

/// One answered vendor request, as the journal keeps it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JournalEntry {
    /// Counts up from 1 over the server's life (clearing does not restart it).
    pub id: u64,
    /// The client's `X-Request-Id`, or the one mockcloud gave the request.
    pub request_id: String,
    /// When the request arrived, on the server clock.
    pub at: DateTime<Utc>,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string as sent, credential values replaced by `REDACTED`.
    pub query: Option<String>,
    /// `None` when a fault dropped the connection: the client saw no status.
    pub status: Option<u16>,
    /// Time to the response head.
    pub latency: Duration,
    /// The vendor owning the path; `None` for paths no vendor owns.
    pub vendor: Option<Vendor>,
    /// The route template matched (`/api/v1/accesspolicies/{id}`); `None`
    /// for paths no route serves.
    pub operation: Option<String>,
    /// The fault rules (or rate limit) that changed the answer.
    pub fault: Option<JournalFault>,
}

/// What changed an answer: `rule` names the rules applied (or the rate
/// limit), `effect` their kinds (`latency`, `error`, `drop`, `dribble`,
/// `rate_limit`), each joined with `+` in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalFault {
    /// The ids of the rules applied (or the rate limit's name), `+`-joined.
    pub rule: String,
    /// What each did, `+`-joined.
    pub effect: String,
}

impl From<Entry> for JournalEntry {
    fn from(entry: Entry) -> Self {
        JournalEntry {
            id: entry.id,
            request_id: entry.request_id,
            at: DateTime::parse_from_rfc3339(&entry.at)
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_default(),
            method: entry.method,
            path: entry.path,
            query: entry.query,
            status: entry.status,
            latency: Duration::from_secs_f64(entry.latency_ms.max(0.0) / 1000.0),
            vendor: vendors::named(entry.vendor).map(|vendor| Vendor::named(vendor.name())),
            operation: entry.operation,
            fault: entry.fault.map(|f| JournalFault {
                rule: f.rule,
                effect: f.effect,
            }),
        }
    }
}

/// Every vendor's rate-limit rules ([`MockCloud::rate_limits`](crate::MockCloud::rate_limits);
/// `/__admin/rate-limits` over HTTP). Limits count per credential in fixed
/// windows on the server clock; reset brings back the scenario's rules.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mockcloud::scenario::RateLimitSpec;
/// use mockcloud::{Config, MockCloud, Vendor};
///
/// let server = MockCloud::start(Config::default()).await?;
/// server
///     .rate_limits()
///     .set(Vendor::GCORE, vec![RateLimitSpec::new("report", 2, 60)])?;
/// assert_eq!(server.rate_limits().get(Vendor::GCORE)[0].limit, 2);
/// server.reset();
/// assert_ne!(server.rate_limits().get(Vendor::GCORE)[0].name, "report");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimits {
    engine: Arc<Engine>,
}

impl RateLimits {
    pub(crate) fn new(engine: Arc<Engine>) -> Self {
        RateLimits { engine }
    }

    /// The vendor's rules in force; empty means no limit.
    pub fn get(&self, vendor: Vendor) -> Vec<RateLimitSpec> {
        vendors::named(vendor.name())
            .map(|api| api.rate_limits(&self.engine.read()).to_vec())
            .unwrap_or_default()
    }

    /// Replaces the vendor's rules, starting its windows afresh.
    ///
    /// # Errors
    /// [`ChangeError::Invalid`] when a rule is unnamed, named twice, or has
    /// a zero limit or period.
    pub fn set(&self, vendor: Vendor, rules: Vec<RateLimitSpec>) -> Result<(), ChangeError> {
        rate_limit::validate(&rules)
            .map_err(|(at, problem)| ChangeError::Invalid(format!("rate_limits{at}: {problem}")))?;
        let api = vendors::named(vendor.name()).ok_or_else(|| {
            ChangeError::NotFound(format!(
                "no such vendor {:?}: one of {}",
                vendor.name(),
                vendors::names()
            ))
        })?;
        let mut world = self.engine.write();
        world.changes.set(api.name(), "rate_limits", &rules);
        *api.rate_limits_mut(&mut world) = rules;
        self.engine.rate_limits.clear_vendor(vendor.name());
        Ok(())
    }

    /// No limits for the vendor until the next reset or change.
    pub fn clear(&self, vendor: Vendor) {
        self.set(vendor, Vec::new())
            .expect("no rules are always valid");
    }
}

/// A rule may only name a vendor of the list.
fn known_vendor(rule: &FaultRule) -> Result<(), ChangeError> {
    vendors::check_fault_vendors(std::slice::from_ref(rule), "rule")
        .map_err(|e| ChangeError::Invalid(e.to_string()))
}
