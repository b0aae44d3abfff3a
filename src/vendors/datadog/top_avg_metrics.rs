//! `GET /api/v1/usage/top_avg_metrics`: the org's metrics by average
//! timeseries per hour, over a month (to date) or a day.

use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::hourly_attribution::timestamp;
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::top_avg_metrics::{
    self, DEFAULT_LIMIT, MAX_LIMIT, Period, TopAvgMetricsQuery,
};

/// `UsageTopAvgMetricsResponse`.
#[derive(Debug, Serialize)]
pub struct UsageTopAvgMetricsResponse {
    metadata: UsageTopAvgMetricsMetadata,
    usage: Vec<UsageTopAvgMetricsHour>,
}

/// `UsageTopAvgMetricsMetadata`: `day` or `month`, whichever was asked.
#[derive(Debug, Serialize)]
struct UsageTopAvgMetricsMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    pagination: UsageTopAvgMetricsPagination,
}

#[derive(Debug, Serialize)]
struct UsageTopAvgMetricsPagination {
    limit: u64,
    next_record_id: Option<String>,
    /// `null` when every record fits on one page, as Datadog's recorded
    /// answers show; the count when there are pages to walk.
    total_number_of_records: Option<u64>,
}

/// `UsageTopAvgMetricsHour`.
#[derive(Debug, Serialize)]
struct UsageTopAvgMetricsHour {
    avg_metric_hour: i64,
    max_metric_hour: i64,
    metric_category: &'static str,
    metric_name: String,
}

impl FromParams for TopAvgMetricsQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        parse(params)
    }
}

fn parse(params: &Params) -> Result<TopAvgMetricsQuery, DatadogError> {
    let period = match (params.month("month")?, params.day("day")?) {
        (Some(month), None) => Period::Month(month),
        (None, Some(day)) => Period::Day(day),
        (Some(_), Some(_)) => {
            return Err(DatadogError::bad_request(
                "Either month or day should be specified, but not both",
            ));
        }
        (None, None) => {
            // Datadog's wording, as its recorded answers show.
            return Err(DatadogError::bad_request(
                "The parameter 'month/day' is required",
            ));
        }
    };
    let limit = match params.given("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                DatadogError::bad_request(format!(
                    "Invalid parameter limit: expected an integer between 1 and {MAX_LIMIT}, got {raw:?}"
                ))
            })?,
    };
    Ok(TopAvgMetricsQuery {
        period,
        names: params.list("names"),
        limit,
        cursor: params.cursor("next_record_id")?,
    })
}

/// `GET /api/v1/usage/top_avg_metrics`.
pub enum TopAvgMetricsReport {}

impl UsageReport for TopAvgMetricsReport {
    type Query = TopAvgMetricsQuery;
    type Body = UsageTopAvgMetricsResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: TopAvgMetricsQuery,
    ) -> Result<UsageTopAvgMetricsResponse, DatadogError> {
        let org = world.sections.datadog().org(caller);
        let page =
            top_avg_metrics::top_avg_metrics(world.seed, &org.public_id, world.clock.now(), &query);
        let midnight = |day: chrono::NaiveDate| {
            timestamp(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        };
        let (day, month) = match query.period {
            Period::Day(day) => (Some(midnight(day)), None),
            Period::Month(month) => (None, Some(midnight(month))),
        };
        Ok(UsageTopAvgMetricsResponse {
            metadata: UsageTopAvgMetricsMetadata {
                day,
                month,
                pagination: UsageTopAvgMetricsPagination {
                    limit: query.limit,
                    total_number_of_records: (page.total > query.limit).then_some(page.total),
                    next_record_id: page.next.map(|cursor| cursor.encode()),
                },
            },
            usage: page
                .records
                .into_iter()
                .map(|record| UsageTopAvgMetricsHour {
                    avg_metric_hour: record.avg_metric_hour,
                    max_metric_hour: record.max_metric_hour,
                    metric_category: record.category.name(),
                    metric_name: record.name,
                })
                .collect(),
        })
    }
}
