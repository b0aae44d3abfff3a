//! Gcore in the vendor list: what the server, faults, rate limits, journal
//! and admin API need of it.

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::value::{RawValue, to_raw_value};

use super::errors::GcoreError;
use crate::core::error::{ScenarioError, read_json_at};
use crate::core::ids::IdsState;
use crate::core::rate_limit::RateLimitSpec;
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::{VendorApi, retry_hint};

/// Gcore Cloud in the vendor list.
pub struct Gcore;

impl VendorApi for Gcore {
    fn name(&self) -> &'static str {
        "gcore"
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/cloud"]
    }

    fn routes(&self, store: Arc<Store>) -> Router {
        super::routes(store.clone()).with_state(store)
    }

    fn not_found(&self, path: &str) -> Response {
        GcoreError::not_found(format!("no such endpoint: {path}")).into_response()
    }

    fn method_not_allowed(&self, method: &Method, _path: &str) -> Response {
        GcoreError::method_not_allowed(method).into_response()
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        GcoreError::for_status(status, message).into_response()
    }

    fn fault_error(
        &self,
        status: StatusCode,
        message: Option<&str>,
        retry_after_seconds: u64,
    ) -> Response {
        let message = message.unwrap_or(status.canonical_reason().unwrap_or("Injected fault"));
        retry_hint(
            GcoreError::for_status(status, message).into_response(),
            retry_after_seconds,
        )
    }

    fn openapi(&self) -> &'static str {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/gcore.json"))
    }

    fn snapshot(&self, world: &World) -> Box<RawValue> {
        to_raw_value(&super::snapshot::of(world.sections.gcore()))
            .expect("a state section is plain data")
    }

    fn read_snapshot(&self, section: &RawValue) -> Result<Box<dyn Any + Send>, ScenarioError> {
        Ok(Box::new(read_json_at::<super::scenario::GcoreScenario>(
            self.name(),
            section,
        )?))
    }

    fn restore(
        &self,
        section: Box<dyn Any + Send>,
        _ids: &IdsState,
        world: &mut World,
    ) -> Result<(), ScenarioError> {
        let section = section
            .downcast::<super::scenario::GcoreScenario>()
            .expect("read by read_snapshot");
        let state = super::snapshot::restore(*section, world.seed)?;
        world.sections.insert(state);
        Ok(())
    }

    fn rate_limits<'w>(&self, world: &'w World) -> &'w [RateLimitSpec] {
        &world.sections.gcore().rate_limits
    }

    fn rate_limits_mut<'w>(&self, world: &'w mut World) -> &'w mut Vec<RateLimitSpec> {
        &mut world.sections.gcore_mut().rate_limits
    }
}

impl crate::core::vendor::Vendor {
    /// Gcore, by name (fault rules, rate limits, the journal).
    pub const GCORE: crate::core::vendor::Vendor = crate::core::vendor::Vendor::named("gcore");
}
