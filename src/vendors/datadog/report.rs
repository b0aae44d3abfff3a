//! What every Datadog usage endpoint does: authenticate, parse the query,
//! read the world, compute the report, render it. Each endpoint states only
//! its query and its rendering ([`UsageReport`]); [`handler`] does the rest.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Query};
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;

/// One usage endpoint: its query and its answer.
pub trait UsageReport: 'static {
    type Query: FromParams + Send + 'static;
    type Body: Serialize + Send + 'static;

    /// The answer to `query`, read from the world under a read guard.
    fn report(
        world: &World,
        caller: DatadogCaller,
        query: Self::Query,
    ) -> Result<Self::Body, DatadogError>;
}

/// The handler of the endpoint `R`: `get(report::handler::<HourlyUsage>)`.
/// A report can take many milliseconds of CPU (15 months of history, every
/// product), so it runs on the blocking pool, never on the async workers
/// that answer every other request (health checks included).
pub async fn handler<R: UsageReport>(
    State(store): State<Arc<Store>>,
    caller: DatadogCaller,
    Query(query): Query<R::Query>,
) -> Result<Json<R::Body>, DatadogError> {
    crate::vendors::off_the_workers(move || {
        let world = store.read();
        R::report(&world, caller, query)
    })
    .await
    .map(Json)
}
