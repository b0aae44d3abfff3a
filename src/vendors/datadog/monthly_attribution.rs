//! `GET /api/v1/usage/monthly-attribution`: monthly usage and its share
//! by tag group, per requested field.

use std::collections::BTreeMap;

use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::hourly_attribution::timestamp;
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::attribution::report::{
    self, MonthlyQuery, MonthlyRecord, SortDirection,
};
use crate::vendors::datadog::usage::attribution::{Field, Tags};

/// `MonthlyUsageAttributionResponse`.
#[derive(Debug, Serialize)]
pub struct MonthlyUsageAttributionResponse {
    metadata: MonthlyUsageAttributionMetadata,
    usage: Vec<MonthlyUsageAttributionBody>,
}

#[derive(Debug, Serialize)]
struct MonthlyUsageAttributionMetadata {
    aggregates: Vec<UsageAttributionAggregatesBody>,
    pagination: MonthlyUsageAttributionPagination,
}

/// One sum over every record of the query (all pages).
#[derive(Debug, Serialize)]
struct UsageAttributionAggregatesBody {
    agg_type: &'static str,
    field: &'static str,
    value: f64,
}

#[derive(Debug, Serialize)]
struct MonthlyUsageAttributionPagination {
    next_record_id: Option<String>,
}

/// `MonthlyUsageAttributionBody`: one tag group of one org for one month.
#[derive(Debug, Serialize)]
struct MonthlyUsageAttributionBody {
    month: String,
    org_name: String,
    public_id: String,
    region: String,
    tag_config_source: String,
    tags: Option<Tags>,
    updated_at: String,
    /// `MonthlyUsageAttributionValues`: only the requested fields.
    values: BTreeMap<&'static str, f64>,
}

/// `fields` and `sort_name` take documented field names or `*`.
fn field(name: &str, raw: &str) -> Result<Field, DatadogError> {
    Field::named(raw).ok_or_else(|| {
        DatadogError::bad_request(format!(
            "Invalid parameter {name}: {raw:?} is not a supported field"
        ))
    })
}

impl FromParams for MonthlyQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        parse(params)
    }
}

fn parse(params: &Params) -> Result<MonthlyQuery, DatadogError> {
    params.required("start_month")?;
    params.required("fields")?;
    let mut fields: Vec<Field> = Vec::new();
    for raw in params.list("fields").unwrap_or_default() {
        let wanted = if raw == "*" {
            Field::all()
        } else {
            vec![field("fields", &raw)?]
        };
        for f in wanted {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
    }
    if fields.is_empty() {
        return Err(DatadogError::bad_request(
            "Missing required parameter: fields",
        ));
    }
    let direction = match params.given("sort_direction") {
        None | Some("desc") => SortDirection::Desc,
        Some("asc") => SortDirection::Asc,
        Some(other) => {
            return Err(DatadogError::bad_request(format!(
                "Invalid parameter sort_direction: expected desc or asc, got {other:?}"
            )));
        }
    };
    let sort = match params.given("sort_name") {
        // `*` is documented among the sort names; it picks no one field.
        None | Some("*") => None,
        Some(raw) => Some((field("sort_name", raw)?, direction)),
    };
    Ok(MonthlyQuery {
        start_month: params.month("start_month")?.expect("required above"),
        end_month: params.month("end_month")?,
        fields,
        sort,
        tag_breakdown_keys: params.list("tag_breakdown_keys").unwrap_or_default(),
        include_descendants: params.flag("include_descendants")?.unwrap_or(true),
        cursor: params.cursor("next_record_id")?,
    })
}

/// `GET /api/v1/usage/monthly-attribution`.
pub enum MonthlyAttributionReport {}

impl UsageReport for MonthlyAttributionReport {
    type Query = MonthlyQuery;
    type Body = MonthlyUsageAttributionResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: MonthlyQuery,
    ) -> Result<MonthlyUsageAttributionResponse, DatadogError> {
        let report = report::monthly(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )?;
        let updated_at = timestamp(report.page.updated_at);
        let usage = report
            .page
            .records
            .into_iter()
            .map(|record: MonthlyRecord| MonthlyUsageAttributionBody {
                month: timestamp(
                    record
                        .month
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight")
                        .and_utc(),
                ),
                org_name: record.owner.org.name.clone(),
                public_id: record.owner.org.public_id.clone(),
                region: record.owner.org.region.clone(),
                tag_config_source: record.owner.tag_config_source,
                tags: record.owner.tags,
                updated_at: updated_at.clone(),
                values: record.values.iter().map(|(f, v)| (f.name(), *v)).collect(),
            })
            .collect();
        Ok(MonthlyUsageAttributionResponse {
            metadata: MonthlyUsageAttributionMetadata {
                aggregates: report
                    .aggregates
                    .iter()
                    .map(|(f, value)| UsageAttributionAggregatesBody {
                        agg_type: "sum",
                        field: f.name(),
                        value: *value,
                    })
                    .collect(),
                pagination: MonthlyUsageAttributionPagination {
                    next_record_id: report.page.next.map(|cursor| cursor.encode()),
                },
            },
            usage,
        })
    }
}
