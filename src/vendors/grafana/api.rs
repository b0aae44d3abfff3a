//! Grafana in the vendor list: what the server, faults, rate limits, journal
//! and admin API need of it.

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::value::{RawValue, to_raw_value};

use super::errors::GrafanaError;
use crate::core::error::{ScenarioError, read_json_at};
use crate::core::ids::IdsState;
use crate::core::rate_limit::RateLimitSpec;
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::{VendorApi, retry_hint};

/// Grafana Cloud in the vendor list.
pub struct Grafana;

impl VendorApi for Grafana {
    fn name(&self) -> &'static str {
        "grafana"
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/api"]
    }

    fn routes(&self, store: Arc<Store>) -> Router {
        super::routes().with_state(store)
    }

    fn not_found(&self, path: &str) -> Response {
        GrafanaError::not_found(format!("no such endpoint: {path}")).into_response()
    }

    fn method_not_allowed(&self, method: &Method, path: &str) -> Response {
        GrafanaError::method_not_allowed(format!("{method} is not supported on {path}"))
            .into_response()
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        GrafanaError::for_status(status, message).into_response()
    }

    fn fault_error(
        &self,
        status: StatusCode,
        message: Option<&str>,
        retry_after_seconds: u64,
    ) -> Response {
        let message = message.unwrap_or(status.canonical_reason().unwrap_or("Injected fault"));
        retry_hint(
            GrafanaError::for_status(status, message).into_response(),
            retry_after_seconds,
        )
    }

    fn openapi(&self) -> &'static str {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/grafana.json"))
    }

    fn snapshot(&self, world: &World) -> Box<RawValue> {
        to_raw_value(&super::snapshot::of(world.sections.grafana()))
            .expect("a state section is plain data")
    }

    fn read_snapshot(&self, section: &RawValue) -> Result<Box<dyn Any + Send>, ScenarioError> {
        Ok(Box::new(read_json_at::<super::snapshot::GrafanaSnapshot>(
            self.name(),
            section,
        )?))
    }

    fn restore(
        &self,
        section: Box<dyn Any + Send>,
        ids: &IdsState,
        world: &mut World,
    ) -> Result<(), ScenarioError> {
        let section = section
            .downcast::<super::snapshot::GrafanaSnapshot>()
            .expect("read by read_snapshot");
        let state = super::snapshot::restore(*section, ids)?;
        world.sections.insert(state);
        Ok(())
    }

    fn rate_limits<'w>(&self, world: &'w World) -> &'w [RateLimitSpec] {
        &world.sections.grafana().rate_limits
    }

    fn rate_limits_mut<'w>(&self, world: &'w mut World) -> &'w mut Vec<RateLimitSpec> {
        &mut world.sections.grafana_mut().rate_limits
    }
}

impl crate::core::vendor::Vendor {
    /// Grafana, by name (fault rules, rate limits, the journal).
    pub const GRAFANA: crate::core::vendor::Vendor = crate::core::vendor::Vendor::named("grafana");
}
