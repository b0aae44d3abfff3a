//! `GET /api/v2/usage/hourly_usage`: hourly usage by product family, as
//! JSON:API `usage_timeseries` resources.

use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::hourly_attribution::timestamp;
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::hourly::{
    self, HourlyUsageQuery, HourlyUsageRecord, MAX_PAGE_LIMIT,
};

/// `HourlyUsageResponse`.
#[derive(Debug, Serialize)]
pub struct HourlyUsageResponse {
    data: Vec<HourlyUsage>,
    meta: HourlyUsageMetadata,
}

/// `HourlyUsage`.
#[derive(Debug, Serialize)]
struct HourlyUsage {
    attributes: HourlyUsageAttributes,
    id: String,
    #[serde(rename = "type")]
    resource_type: &'static str,
}

/// `HourlyUsageAttributes`.
#[derive(Debug, Serialize)]
struct HourlyUsageAttributes {
    account_name: String,
    account_public_id: String,
    measurements: Vec<HourlyUsageMeasurement>,
    org_name: String,
    product_family: &'static str,
    public_id: String,
    region: String,
    timestamp: String,
}

/// `HourlyUsageMeasurement`.
#[derive(Debug, Serialize)]
struct HourlyUsageMeasurement {
    usage_type: &'static str,
    value: i64,
}

/// `HourlyUsageMetadata`.
#[derive(Debug, Serialize)]
struct HourlyUsageMetadata {
    pagination: HourlyUsagePagination,
}

/// `HourlyUsagePagination`: `next_record_id` is null on the last page.
#[derive(Debug, Serialize)]
struct HourlyUsagePagination {
    next_record_id: Option<String>,
}

impl FromParams for HourlyUsageQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        parse(params)
    }
}

fn parse(params: &Params) -> Result<HourlyUsageQuery, DatadogError> {
    params.required("filter[timestamp][start]")?;
    let start = params
        .hour("filter[timestamp][start]")?
        .expect("required above");
    let end = params.hour("filter[timestamp][end]")?;
    params.required("filter[product_families]")?;
    let families =
        hourly::product_families(&params.list("filter[product_families]").unwrap_or_default())?;
    hourly::check_versions(&params.list("filter[versions]").unwrap_or_default())?;
    let include_descendants = params.flag("filter[include_descendants]")?.unwrap_or(false);
    // Accepted and checked, as the official clients may send them; the
    // scenario has no connected accounts, and usage is not broken down.
    params.flag("filter[include_connected_accounts]")?;
    params.flag("filter[include_breakdown]")?;
    let page_limit = match params.given("page[limit]") {
        None => MAX_PAGE_LIMIT,
        Some(raw) => hourly::check_page_limit(raw.parse().map_err(|_| {
            DatadogError::bad_request(format!(
                "Invalid parameter page[limit]: expected an integer, got {raw:?}"
            ))
        })?)?,
    };
    let cursor = params.cursor("page[next_record_id]")?;
    Ok(HourlyUsageQuery {
        start,
        end,
        families,
        include_descendants,
        page_limit,
        cursor,
    })
}

fn render(record: HourlyUsageRecord) -> HourlyUsage {
    HourlyUsage {
        id: record.id(),
        resource_type: "usage_timeseries",
        attributes: HourlyUsageAttributes {
            account_name: record.account.name.clone(),
            account_public_id: record.account.public_id.clone(),
            measurements: record
                .measurements
                .iter()
                .map(|&(usage_type, value)| HourlyUsageMeasurement { usage_type, value })
                .collect(),
            org_name: record.org.name.clone(),
            product_family: record.family.name,
            public_id: record.org.public_id.clone(),
            region: record.org.region.clone(),
            timestamp: timestamp(record.hour),
        },
    }
}

/// `GET /api/v2/usage/hourly_usage`.
pub enum HourlyUsageReport {}

impl UsageReport for HourlyUsageReport {
    type Query = HourlyUsageQuery;
    type Body = HourlyUsageResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: HourlyUsageQuery,
    ) -> Result<HourlyUsageResponse, DatadogError> {
        let page = hourly::hourly_usage(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )?;
        Ok(HourlyUsageResponse {
            data: page.records.into_iter().map(render).collect(),
            meta: HourlyUsageMetadata {
                pagination: HourlyUsagePagination {
                    next_record_id: page.next.map(|cursor| cursor.encode()),
                },
            },
        })
    }
}
