//! The vendor list. Each vendor's folder holds everything that is that
//! vendor's (world model and rules, synthetic usage, handlers, error bodies,
//! scenario and snapshot sections); [`VendorApi`] is what the rest of the
//! server needs of it, and [`ALL`] is the one list the router, the fault
//! layer, the rate limiters, the journal, the metrics and the admin API go
//! through. `docs/adding-a-vendor.md` says how to add one.

pub mod datadog;
pub mod gcore;
pub mod grafana;

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::core::rate_limit::RateLimitSpec;
use crate::core::store::Store;
pub use crate::core::vendor::Vendor;
use crate::core::world::World;

/// What the server needs of a vendor.
pub trait VendorApi: Sync {
    fn id(&self) -> Vendor;

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

/// The vendor `id` names.
pub fn get(id: Vendor) -> &'static dyn VendorApi {
    *ALL.iter()
        .find(|vendor| vendor.id() == id)
        .expect("every vendor is in the list")
}

/// The vendor of that name (`/__admin/rate-limits/{vendor}`).
pub fn named(name: &str) -> Option<&'static dyn VendorApi> {
    ALL.iter()
        .copied()
        .find(|vendor| vendor.id().name() == name)
}

/// The vendors' names, for messages.
pub fn names() -> String {
    ALL.iter()
        .map(|vendor| vendor.id().name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(path: &str) -> Option<Vendor> {
        owning(path).map(|vendor| vendor.id())
    }

    #[test]
    fn the_vendor_comes_from_the_path() {
        assert_eq!(
            owner("/api/v1/usage/hourly-attribution"),
            Some(Vendor::Datadog)
        );
        assert_eq!(owner("/api/v2/usage/hourly_usage"), Some(Vendor::Datadog));
        assert_eq!(owner("/cloud/v1/usage_report"), Some(Vendor::Gcore));
        assert_eq!(owner("/api/v1/accesspolicies"), Some(Vendor::Grafana));
        assert_eq!(owner("/api/instances"), Some(Vendor::Grafana));
        assert_eq!(owner("/api/v1/usagex"), Some(Vendor::Grafana));
        assert_eq!(owner("/__admin/health"), None);
        assert_eq!(owner("/nothing"), None);
    }

    #[test]
    fn every_vendor_is_listed_once_under_its_own_name() {
        for (i, vendor) in ALL.iter().enumerate() {
            assert_eq!(get(vendor.id()).id(), vendor.id());
            assert_eq!(named(vendor.id().name()).map(|v| v.id()), Some(vendor.id()));
            assert!(ALL[..i].iter().all(|other| other.id() != vendor.id()));
            serde_json::from_str::<serde_json::Value>(vendor.openapi())
                .expect("the vendor's OpenAPI document is JSON");
        }
    }
}
