//! `GET /api/v1/usage/hourly-attribution`: hourly usage by tag group.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::attribution::report::{self, HourlyQuery, HourlyRecord};
use crate::vendors::datadog::usage::attribution::{Tags, hourly_usage_type};

/// `HourlyUsageAttributionResponse`.
#[derive(Debug, Serialize)]
pub struct HourlyUsageAttributionResponse {
    metadata: HourlyUsageAttributionMetadata,
    usage: Vec<HourlyUsageAttributionBody>,
}

#[derive(Debug, Serialize)]
struct HourlyUsageAttributionMetadata {
    pagination: HourlyUsageAttributionPagination,
}

#[derive(Debug, Serialize)]
struct HourlyUsageAttributionPagination {
    next_record_id: Option<String>,
}

/// `HourlyUsageAttributionBody`: one tag group of one org for one hour.
#[derive(Debug, Serialize)]
struct HourlyUsageAttributionBody {
    hour: String,
    org_name: String,
    public_id: String,
    region: String,
    tag_config_source: String,
    tags: Option<Tags>,
    total_usage_sum: f64,
    updated_at: String,
    usage_type: &'static str,
}

pub(super) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl FromParams for HourlyQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        parse(params)
    }
}

fn parse(params: &Params) -> Result<HourlyQuery, DatadogError> {
    let raw_type = params.required("usage_type")?;
    let usage_type = hourly_usage_type(raw_type).ok_or_else(|| {
        DatadogError::bad_request(format!(
            "Invalid parameter usage_type: {raw_type:?} is not a supported usage type"
        ))
    })?;
    params.required("start_hr")?;
    Ok(HourlyQuery {
        usage_type,
        start_hr: params.hour("start_hr")?.expect("required above"),
        end_hr: params.hour("end_hr")?,
        tag_breakdown_keys: params.list("tag_breakdown_keys").unwrap_or_default(),
        include_descendants: params.flag("include_descendants")?.unwrap_or(true),
        cursor: params.cursor("next_record_id")?,
    })
}

/// `GET /api/v1/usage/hourly-attribution`.
pub enum HourlyAttributionReport {}

impl UsageReport for HourlyAttributionReport {
    type Query = HourlyQuery;
    type Body = HourlyUsageAttributionResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: HourlyQuery,
    ) -> Result<HourlyUsageAttributionResponse, DatadogError> {
        let page = report::hourly(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )?;
        let updated_at = timestamp(page.updated_at);
        let usage = page
            .records
            .into_iter()
            .map(|record: HourlyRecord| HourlyUsageAttributionBody {
                hour: timestamp(record.hour),
                org_name: record.owner.org.name.clone(),
                public_id: record.owner.org.public_id.clone(),
                region: record.owner.org.region.clone(),
                tag_config_source: record.owner.tag_config_source,
                tags: record.owner.tags,
                total_usage_sum: record.total_usage_sum,
                updated_at: updated_at.clone(),
                usage_type: query.usage_type.name,
            })
            .collect();
        Ok(HourlyUsageAttributionResponse {
            metadata: HourlyUsageAttributionMetadata {
                pagination: HourlyUsageAttributionPagination {
                    next_record_id: page.next.map(|cursor| cursor.encode()),
                },
            },
            usage,
        })
    }
}
