//! Gcore: the inventory by project, region and type, filtered like the usage
//! report; billing totals by type over a period as a chart and a table,
//! from `usage_report`, the function `POST /cloud/v1/usage_report` calls.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;

use super::charts::{self, Series};
use super::{Chrome, render};
use crate::admin::AppState;
use crate::core::world::World;
use crate::vendors::gcore::model::{Attribute, ResourceType};
use crate::vendors::gcore::usage::{
    ConditionType, Period, SchemaFilter, TagCondition, TagFilter, UsageReportQuery, usage_report,
};

/// The page's query, all in the URL; empty means every one.
#[derive(Debug, Default, Deserialize)]
pub struct GcoreQuery {
    project: Option<String>,
    region: Option<String>,
    #[serde(rename = "type")]
    resource_type: Option<String>,
    /// `YYYY-MM-DD`: the report's `time_from` and (inclusive) last day.
    from: Option<String>,
    to: Option<String>,
    /// A tag condition as the usage report's `tags` take it, strict:
    /// `key=value`, or `key` for any value.
    tag: Option<String>,
    /// The usage report's `schema_filter` on the chosen type: one of the
    /// type's fields, and the values it may have (comma-separated).
    field: Option<String>,
    values: Option<String>,
    /// The unit charted (totals of different units do not add up): the
    /// most common one by default.
    unit: Option<String>,
}

#[derive(Template)]
#[template(path = "gcore.html")]
struct GcorePage {
    chrome: Chrome,
    projects: Vec<(u64, String)>,
    regions: Vec<(u64, String)>,
    types: Vec<&'static str>,
    project: String,
    region: String,
    resource_type: String,
    from: String,
    to: String,
    tag: String,
    /// The fields the chosen type may be filtered by (none without a type).
    fields: Vec<String>,
    field: String,
    values: String,
    units: Vec<&'static str>,
    unit: String,
    count: u64,
    resources: Vec<ResourceRow>,
    chart: String,
    totals: Vec<TotalRow>,
    problem: Option<String>,
}

struct ResourceRow {
    name: String,
    resource_type: &'static str,
    project: String,
    region: String,
    metric: String,
    value: f64,
    unit: &'static str,
    first_seen: String,
    last_seen: String,
}

struct TotalRow {
    resource_type: &'static str,
    region: String,
    metric: String,
    value: f64,
    unit: &'static str,
    group: String,
}

pub async fn page(State(app): State<AppState>, Query(query): Query<GcoreQuery>) -> Response {
    let chrome = Chrome::of(&app, "/__admin/ui/gcore");
    let engine = app.engine.clone();
    let page = crate::vendors::off_the_workers(move || {
        let world = engine.read();
        build(&world, chrome, query)
    })
    .await;
    render(&page)
}

/// A field's name as the usage report's `schema_filter` spells it.
fn field_name(field: Attribute) -> String {
    serde_json::to_value(field)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The page's field filter as the report's `schema_filter`: none without a
/// field; a field needs a type (the filter names one) and values.
fn schema_filter(
    resource_type: Option<ResourceType>,
    field: &str,
    values: &str,
) -> Result<Option<SchemaFilter>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    let Some(resource_type) = resource_type else {
        return Err(format!(
            "a field filter ({field}) applies to one type: choose a type"
        ));
    };
    let allowed = resource_type.schema_filter_fields();
    let parsed: Option<Attribute> =
        serde_json::from_value(serde_json::Value::String(field.to_string())).ok();
    let Some(field) = parsed.filter(|f| allowed.contains(f)) else {
        let names: Vec<String> = allowed.into_iter().map(field_name).collect();
        return Err(format!(
            "{field} cannot filter {} resources (one of: {})",
            resource_type.name(),
            names.join(", ")
        ));
    };
    let values: Vec<String> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if values.is_empty() {
        return Err("give the field's values (comma-separated)".to_string());
    }
    Ok(Some(SchemaFilter {
        resource_type,
        field,
        values,
    }))
}

fn type_name(resource_type: ResourceType) -> &'static str {
    resource_type.name()
}

fn build(world: &World, chrome: Chrome, query: GcoreQuery) -> GcorePage {
    let gcore = world.sections.gcore();
    let now = world.clock.now();
    let projects: Vec<(u64, String)> = gcore
        .projects
        .iter()
        .map(|p| (p.id, p.name.clone()))
        .collect();
    let regions: Vec<(u64, String)> = gcore
        .regions
        .iter()
        .map(|r| (r.id, r.name.clone()))
        .collect();
    let mut types: Vec<ResourceType> = gcore.resources.iter().map(|r| r.resource_type).collect();
    types.sort();
    types.dedup();
    let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let project = given(&query.project).and_then(|p| p.parse::<u64>().ok());
    let region = given(&query.region).and_then(|r| r.parse::<u64>().ok());
    let resource_type: Option<ResourceType> = given(&query.resource_type)
        .and_then(|t| serde_json::from_value(serde_json::Value::String(t)).ok());
    let today = now.date_naive();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("a month");
    let from = given(&query.from)
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or(first);
    let to = given(&query.to)
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let name_of = |list: &[(u64, String)], id: u64| {
        list.iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| id.to_string(), |(_, n)| format!("{n} ({id})"))
    };
    let mut page = GcorePage {
        chrome,
        projects: projects.clone(),
        regions: regions.clone(),
        types: types.iter().map(|t| type_name(*t)).collect(),
        project: project.map(|p| p.to_string()).unwrap_or_default(),
        region: region.map(|r| r.to_string()).unwrap_or_default(),
        resource_type: resource_type
            .map(|t| type_name(t).to_string())
            .unwrap_or_default(),
        from: from.to_string(),
        to: to.to_string(),
        tag: given(&query.tag).unwrap_or_default(),
        fields: resource_type
            .map(|t| {
                t.schema_filter_fields()
                    .into_iter()
                    .map(field_name)
                    .collect()
            })
            .unwrap_or_default(),
        field: given(&query.field).unwrap_or_default(),
        values: given(&query.values).unwrap_or_default(),
        units: Vec::new(),
        unit: String::new(),
        count: 0,
        resources: Vec::new(),
        chart: String::new(),
        totals: Vec::new(),
        problem: None,
    };
    let period = match Period::new(
        from.and_time(NaiveTime::MIN).and_utc(),
        to.and_time(NaiveTime::MIN).and_utc(),
        true,
    ) {
        Ok(period) => period,
        Err(e) => {
            page.problem = Some(e.to_string());
            return page;
        }
    };
    let schema_filter = match schema_filter(resource_type, &page.field, &page.values) {
        Ok(filter) => filter,
        Err(problem) => {
            page.problem = Some(problem);
            return page;
        }
    };
    let report_query = UsageReportQuery {
        period,
        projects: project.map(|p| vec![p]),
        regions: region.map(|r| vec![r]),
        types: resource_type.map(|t| vec![t]),
        schema_filter,
        tags: given(&query.tag).map(|tag| {
            let (key, value) = match tag.split_once('=') {
                Some((key, value)) => (key.trim().to_string(), Some(value.trim().to_string())),
                None => (tag.trim().to_string(), None),
            };
            TagFilter {
                condition_type: ConditionType::And,
                conditions: vec![TagCondition {
                    key: Some(key),
                    value,
                    strict: true,
                }],
            }
        }),
        order: Vec::new(),
        limit: 1000,
        offset: 0,
    };
    let report = match usage_report(world.seed, now, &gcore.resources, &report_query) {
        Ok(report) => report,
        Err(e) => {
            page.problem = Some(e.to_string());
            return page;
        }
    };
    page.count = report.count;
    page.resources = report
        .resources
        .iter()
        .map(|line| ResourceRow {
            name: line
                .resource
                .last_name
                .clone()
                .or_else(|| line.resource.uuid.clone())
                .unwrap_or_default(),
            resource_type: type_name(line.resource.resource_type),
            project: name_of(&projects, line.resource.project_id),
            region: name_of(&regions, line.resource.region_id),
            metric: line.billing_metric_name.clone(),
            value: line.billing_value,
            unit: line.billing_value_unit,
            first_seen: line.first_seen.format("%Y-%m-%d %H:%M").to_string(),
            last_seen: line.last_seen.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect();
    page.totals = report
        .totals
        .iter()
        .map(|total| TotalRow {
            resource_type: type_name(total.resource_type),
            region: name_of(&regions, total.region_id),
            metric: total.billing_metric_name.clone(),
            value: total.billing_value,
            unit: total.billing_value_unit,
            group: [
                &total.flavor,
                &total.instance_type,
                &total.file_share_type,
                &total.volume_type,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        })
        .collect();
    // The chart: the totals of one unit summed by type, a bar each,
    // stacked by region.
    let mut units: Vec<(&'static str, usize)> = Vec::new();
    for total in &report.totals {
        match units
            .iter_mut()
            .find(|(u, _)| *u == total.billing_value_unit)
        {
            Some((_, n)) => *n += 1,
            None => units.push((total.billing_value_unit, 1)),
        }
    }
    let most_common = units.iter().max_by_key(|(_, n)| *n).map(|(u, _)| *u);
    units.sort();
    let unit = given(&query.unit)
        .and_then(|wanted| units.iter().find(|(u, _)| *u == wanted).map(|(u, _)| *u))
        .or(most_common)
        .unwrap_or("");
    let mut categories: Vec<&'static str> = Vec::new();
    let mut by_region: BTreeMap<String, BTreeMap<&'static str, f64>> = BTreeMap::new();
    for total in report
        .totals
        .iter()
        .filter(|t| t.billing_value_unit == unit)
    {
        let category = type_name(total.resource_type);
        if !categories.contains(&category) {
            categories.push(category);
        }
        *by_region
            .entry(name_of(&regions, total.region_id))
            .or_default()
            .entry(category)
            .or_default() += total.billing_value;
    }
    let series: Vec<Series> = by_region
        .into_iter()
        .map(|(region, values)| Series {
            name: region,
            values: categories
                .iter()
                .map(|c| values.get(c).copied().unwrap_or(0.0))
                .collect(),
        })
        .collect();
    let labels: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
    page.chart = charts::stacked_bars(
        &format!("Billing totals in {unit} by type and region, {from} to {to}"),
        &labels,
        &series,
        charts::short_number,
    );
    page.units = units.into_iter().map(|(u, _)| u).collect();
    page.unit = unit.to_string();
    page
}
