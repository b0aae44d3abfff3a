//! Datadog Usage Metering, served under `/api/v1/usage` and `/api/v2/usage`
//! as on api.datadoghq.com.

mod api;
mod billable_summary;
pub mod catalog;
mod costs;
pub mod errors;
mod extract;
mod hourly_attribution;
mod hourly_usage;
pub mod model;
mod monthly_attribution;
pub mod rate_limit;
mod report;
pub mod scenario;
pub mod snapshot;
mod top_avg_metrics;
pub mod usage;

use std::sync::Arc;

use axum::Router;

use crate::core::store::Store;
pub use api::Datadog;

pub(crate) fn routes() -> Router<Arc<Store>> {
    Router::new()
        .route(
            "/api/v1/usage/hourly-attribution",
            axum::routing::get(report::handler::<hourly_attribution::HourlyAttributionReport>),
        )
        .route(
            "/api/v1/usage/monthly-attribution",
            axum::routing::get(report::handler::<monthly_attribution::MonthlyAttributionReport>),
        )
        .route(
            "/api/v2/usage/historical_cost",
            axum::routing::get(report::handler::<costs::HistoricalCostReport>),
        )
        .route(
            "/api/v2/usage/estimated_cost",
            axum::routing::get(report::handler::<costs::EstimatedCostReport>),
        )
        .route(
            "/api/v1/usage/top_avg_metrics",
            axum::routing::get(report::handler::<top_avg_metrics::TopAvgMetricsReport>),
        )
        .route(
            "/api/v2/usage/hourly_usage",
            axum::routing::get(report::handler::<hourly_usage::HourlyUsageReport>),
        )
        .route(
            "/api/v1/usage/billable-summary",
            axum::routing::get(report::handler::<billable_summary::BillableSummaryReport>),
        )
}
