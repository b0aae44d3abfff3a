//! The vendor list. Each vendor's folder holds everything that is that
//! vendor's (world model and rules, synthetic usage, handlers, error bodies,
//! scenario and snapshot sections); [`VendorApi`] is what the rest of the
//! server needs of it, and [`ALL`] is the one list the router, the fault
//! layer, the rate limiters, the journal, the metrics and the admin API go
//! through. `docs/adding-a-vendor.md` says how to add one.

pub mod datadog;
pub mod gcore;
pub mod grafana;

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::value::RawValue;

use crate::core::error::ScenarioError;
use crate::core::faults::rules::FaultRule;
use crate::core::ids::IdsState;
use crate::core::rate_limit::{Decision, RateLimitSpec};
use crate::core::store::Store;
use crate::core::world::World;

/// What the server needs of a vendor.
pub trait VendorApi: Sync {
    /// The vendor's name (`grafana`): in fault rules, the journal, the
    /// metrics and `/__admin/rate-limits/{vendor}`.
    fn name(&self) -> &'static str;

    /// The path prefixes the vendor owns (`/api/v1/usage`); a path belongs
    /// to the vendor with the longest prefix it is under.
    fn prefixes(&self) -> &'static [&'static str];

    /// The vendor's routes, with the store as their state.
    fn routes(&self, store: Arc<Store>) -> Router;

    /// Layers the vendor puts around the whole application (inside the
    /// journal, outside the fault layer and the fallbacks), for what must
    /// mark every answer on its paths; each checks the path itself.
    fn wrap(&self, app: Router, _store: Arc<Store>) -> Router {
        app
    }

    /// A path under the vendor that no route serves, in its error body.
    fn not_found(&self, path: &str) -> Response;

    /// A method a route of the vendor does not take, in its error body.
    fn method_not_allowed(&self, method: &Method, path: &str) -> Response;

    /// An error of any status in the vendor's error body: what the server
    /// refuses before any handler (a head too large, bytes that are not
    /// UTF-8, a body too slow or too large) and plain-text rejections.
    fn error(&self, status: StatusCode, message: &str) -> Response;

    /// An injected fault's error answer: the vendor's body and its retry
    /// hint (`Retry-After`, or Datadog's `X-RateLimit-*`).
    fn fault_error(
        &self,
        status: StatusCode,
        message: Option<&str>,
        retry_after_seconds: u64,
    ) -> Response;

    /// The OpenAPI document of what mockcloud serves of the vendor.
    fn openapi(&self) -> &'static str;

    /// The vendor's rate-limit rules in force.
    fn rate_limits<'w>(&self, world: &'w World) -> &'w [RateLimitSpec];

    fn rate_limits_mut<'w>(&self, world: &'w mut World) -> &'w mut Vec<RateLimitSpec>;

    /// The vendor's section of the state document (`crate::snapshot`).
    fn snapshot(&self, world: &World) -> Box<RawValue>;

    /// Reads the vendor's section of a state document; problems are located
    /// under the vendor's name.
    fn read_snapshot(&self, section: &RawValue) -> Result<Box<dyn Any + Send>, ScenarioError>;

    /// Rebuilds the vendor's section of `world` from what `read_snapshot`
    /// read; `ids` are where the id generators stand.
    fn restore(
        &self,
        section: Box<dyn Any + Send>,
        ids: &IdsState,
        world: &mut World,
    ) -> Result<(), ScenarioError>;

    /// Fields the vendor adds to `/__admin/health`.
    fn health(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }
}

/// Every vendor, in the order the admin API lists them.
pub static ALL: [&dyn VendorApi; 3] = [&grafana::Grafana, &datadog::Datadog, &gcore::Gcore];

/// The one place that says which vendor owns a path: `/api/v1/usage…` and
/// `/api/v2/usage…` are Datadog's, `/cloud…` Gcore's, the rest of `/api`
/// Grafana's; anything else (and `/__admin`) no vendor's.
pub fn owning(path: &str) -> Option<&'static dyn VendorApi> {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '-', '_']))
    };
    ALL.iter()
        .filter_map(|vendor| {
            let longest = vendor
                .prefixes()
                .iter()
                .filter(|prefix| under(prefix))
                .map(|prefix| prefix.len())
                .max()?;
            Some((longest, *vendor))
        })
        .max_by_key(|(longest, _)| *longest)
        .map(|(_, vendor)| vendor)
}

/// The vendor of that name (`/__admin/rate-limits/{vendor}`).
pub fn named(name: &str) -> Option<&'static dyn VendorApi> {
    ALL.iter().copied().find(|vendor| vendor.name() == name)
}

/// The vendors' names, for messages.
pub fn names() -> String {
    ALL.iter()
        .map(|vendor| vendor.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `work` on tokio's blocking pool; a panic in it stays a panic (the
/// server's catch-panic layer answers 500), as if it had run in place.
///
/// At most one heavy task per core but one runs at a time (one on a
/// single core); the rest wait their turn without using a thread. So
/// however many clients loop on heavy reports, a core is left to the
/// async workers and light requests (health checks) keep their latency.
pub async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static HEAVY: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    });
    let _turn = HEAVY
        .acquire()
        .await
        .expect("the semaphore is never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

/// A vendor's 429 as the refusal of a rate-limit `decision`: marked for the
/// journal and the metrics, with `Retry-After` where the vendor sends it.
pub fn refusal(decision: &Decision, mut response: Response, retry_after: bool) -> Response {
    if retry_after {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(decision.reset_seconds),
        );
    }
    response.extensions_mut().insert(decision.as_fault());
    response
}

/// `Retry-After` on a 429 or 503, as Grafana and Gcore send it.
pub fn retry_hint(mut response: Response, retry_after_seconds: u64) -> Response {
    if matches!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after_seconds),
        );
    }
    response
}

/// Refuses fault rules naming a vendor that is not in the list (the core
/// knows vendors only by name); `location` as in the rules' other errors.
pub fn check_fault_vendors(rules: &[FaultRule], location: &str) -> Result<(), ScenarioError> {
    for (i, rule) in rules.iter().enumerate() {
        if let Some(vendor) = &rule.vendor
            && named(vendor.name()).is_none()
        {
            return Err(ScenarioError::at(
                format!("{location}[{i}].vendor"),
                format!("unknown vendor {:?}: one of {}", vendor.name(), names()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(path: &str) -> Option<&'static str> {
        owning(path).map(|vendor| vendor.name())
    }

    #[test]
    fn the_vendor_comes_from_the_path() {
        assert_eq!(owner("/api/v1/usage/hourly-attribution"), Some("datadog"));
        assert_eq!(owner("/api/v2/usage/hourly_usage"), Some("datadog"));
        assert_eq!(owner("/cloud/v1/usage_report"), Some("gcore"));
        assert_eq!(owner("/api/v1/accesspolicies"), Some("grafana"));
        assert_eq!(owner("/api/instances"), Some("grafana"));
        assert_eq!(owner("/api/v1/usagex"), Some("grafana"));
        assert_eq!(owner("/__admin/health"), None);
        assert_eq!(owner("/nothing"), None);
    }

    #[test]
    fn every_vendor_is_listed_once_under_its_own_name() {
        for (i, vendor) in ALL.iter().enumerate() {
            assert_eq!(named(vendor.name()).map(|v| v.name()), Some(vendor.name()));
            assert!(ALL[..i].iter().all(|other| other.name() != vendor.name()));
            serde_json::from_str::<serde_json::Value>(vendor.openapi())
                .expect("the vendor's OpenAPI document is JSON");
        }
    }

    #[test]
    fn a_fault_rule_for_an_unknown_vendor_is_refused_where_it_is() {
        let rules = crate::core::faults::rules::FaultsSpec::from_json_str(
            r#"{"rules": [{"effect": "drop", "vendor": "gcore"}, {"effect": "drop", "vendor": "aws"}]}"#,
            "faults",
        )
        .unwrap()
        .rules;
        let error = check_fault_vendors(&rules, "faults.rules").unwrap_err();
        assert!(
            error.to_string().starts_with("faults.rules[1].vendor:"),
            "{error}"
        );
        assert!(check_fault_vendors(&rules[..1], "faults.rules").is_ok());
    }
}
