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
    type Query: FromParams + Send;
    type Body: Serialize;

    /// The answer to `query`, read from the world under a read guard.
    fn report(
        world: &World,
        caller: DatadogCaller,
        query: Self::Query,
    ) -> Result<Self::Body, DatadogError>;
}

/// The handler of the endpoint `R`: `get(report::handler::<HourlyUsage>)`.
pub async fn handler<R: UsageReport>(
    State(store): State<Arc<Store>>,
    caller: DatadogCaller,
    Query(query): Query<R::Query>,
) -> Result<Json<R::Body>, DatadogError> {
    let world = store.read();
    R::report(&world, caller, query).map(Json)
}
