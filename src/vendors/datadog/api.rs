//! Datadog in the vendor list: what the server, faults, rate limits, journal
//! and admin API need of it.

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde_json::value::{RawValue, to_raw_value};

use super::errors::DatadogError;
use crate::core::error::{ScenarioError, read_json_at};
use crate::core::ids::IdsState;
use crate::core::rate_limit::RateLimitSpec;
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::VendorApi;

/// Datadog Usage Metering in the vendor list.
pub struct Datadog;

impl VendorApi for Datadog {
    fn name(&self) -> &'static str {
        "datadog"
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/api/v1/usage", "/api/v2/usage"]
    }

    fn routes(&self, store: Arc<Store>) -> Router {
        super::routes().with_state(store)
    }

    /// Every answer on Datadog's paths carries the rate-limit headers,
    /// faults, 404s and 405s included.
    fn wrap(&self, app: Router, store: Arc<Store>) -> Router {
        app.layer(middleware::from_fn_with_state(
            store,
            super::rate_limit::enforce,
        ))
    }

    fn not_found(&self, path: &str) -> Response {
        DatadogError::not_found(format!("no such endpoint: {path}")).into_response()
    }

    fn method_not_allowed(&self, method: &Method, path: &str) -> Response {
        DatadogError::method_not_allowed(method, path).into_response()
    }

    /// Datadog's 429 carries `X-RateLimit-*` (the fault's: nothing left
    /// until `retry_after_seconds`), not `Retry-After`.
    fn error(&self, status: StatusCode, message: &str) -> Response {
        DatadogError::new(status, message).into_response()
    }

    fn fault_error(
        &self,
        status: StatusCode,
        message: Option<&str>,
        retry_after_seconds: u64,
    ) -> Response {
        let mut response = match message {
            None if status == StatusCode::TOO_MANY_REQUESTS => {
                DatadogError::too_many_requests().into_response()
            }
            _ => DatadogError::new(
                status,
                message.unwrap_or(status.canonical_reason().unwrap_or("Injected fault")),
            )
            .into_response(),
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
            headers.insert("x-ratelimit-reset", HeaderValue::from(retry_after_seconds));
            headers.insert("x-ratelimit-name", HeaderValue::from_static("fault"));
        }
        response
    }

    fn openapi(&self) -> &'static str {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/datadog.json"))
    }

    fn health(&self) -> Vec<(&'static str, &'static str)> {
        vec![("datadogCatalog", super::catalog::CLIENT_VERSION)]
    }

    fn snapshot(&self, world: &World) -> Box<RawValue> {
        to_raw_value(&super::snapshot::of(world.sections.datadog()))
            .expect("a state section is plain data")
    }

    fn read_snapshot(&self, section: &RawValue) -> Result<Box<dyn Any + Send>, ScenarioError> {
        Ok(Box::new(read_json_at::<super::scenario::DatadogScenario>(
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
            .downcast::<super::scenario::DatadogScenario>()
            .expect("read by read_snapshot");
        let state = super::snapshot::restore(*section)?;
        world.sections.insert(state);
        Ok(())
    }

    fn rate_limits<'w>(&self, world: &'w World) -> &'w [RateLimitSpec] {
        &world.sections.datadog().rate_limits
    }

    fn rate_limits_mut<'w>(&self, world: &'w mut World) -> &'w mut Vec<RateLimitSpec> {
        &mut world.sections.datadog_mut().rate_limits
    }
}

impl crate::core::vendor::Vendor {
    /// Datadog, by name (fault rules, rate limits, the journal).
    pub const DATADOG: crate::core::vendor::Vendor = crate::core::vendor::Vendor::named("datadog");
}
