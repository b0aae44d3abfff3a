//! Datadog: orgs and child orgs; hourly usage of a product family over a
//! range (a line per usage type); monthly costs by org and product,
//! historical or estimated, as stacked bars; top average metrics. Every
//! figure comes from the functions the Usage Metering handlers call
//! (`hourly_usage`, `costs::historical`, `costs::estimated`,
//! `top_avg_metrics`), on the blocking pool: a chart over months must not
//! stall other requests.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::charts::{self, Series};
use super::{Chrome, render};
use crate::admin::AppState;
use crate::core::cursor::Cursor;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::attribution::report::last_hour_with_data;
use crate::vendors::datadog::usage::costs::{self, EstimatedQuery, HistoricalQuery, Period, View};
use crate::vendors::datadog::usage::hourly::{HourlyUsageQuery, MAX_PAGE_LIMIT, hourly_usage};
use crate::vendors::datadog::usage::top_avg_metrics::{self, TopAvgMetricsQuery};
use crate::vendors::datadog::usage::{current_families, product_family};

/// Products drawn one by one in the cost chart; the rest are "other".
const PRODUCTS_SHOWN: usize = 8;

/// The page's query, all in the URL.
#[derive(Debug, Default, Deserialize)]
pub struct DatadogQuery {
    /// An org's public id: the hourly usage's and top metrics' org, and
    /// (its parent's account) the costs'.
    org: Option<String>,
    family: Option<String>,
    /// `YYYY-MM-DDTHH`, as `filter[timestamp][start]`.
    start: Option<String>,
    end: Option<String>,
    /// `historical` (default) or `estimated`.
    cost: Option<String>,
    /// `YYYY-MM`.
    start_month: Option<String>,
    end_month: Option<String>,
}

#[derive(Template)]
#[template(path = "datadog.html")]
struct DatadogPage {
    chrome: Chrome,
    orgs: Vec<OrgRow>,
    org: String,
    families: Vec<&'static str>,
    family: String,
    start: String,
    end: String,
    hourly_chart: String,
    hourly_summary: Vec<(String, i64, i64)>,
    cost: String,
    start_month: String,
    end_month: String,
    cost_chart: String,
    cost_rows: Vec<CostRow>,
    top_month: String,
    top_metrics: Vec<(String, &'static str, i64, i64)>,
    problems: Vec<String>,
}

struct OrgRow {
    name: String,
    public_id: String,
    parent: String,
    region: String,
    billing_plan: String,
}

struct CostRow {
    date: String,
    org: String,
    total: String,
}

pub async fn page(State(app): State<AppState>, Query(query): Query<DatadogQuery>) -> Response {
    let chrome = Chrome::of(&app, "/__admin/ui/datadog");
    let engine = app.engine.clone();
    let page = crate::vendors::off_the_workers(move || {
        let world = engine.read();
        build(&world, chrome, query)
    })
    .await;
    render(&page)
}

const HOUR: &str = "%Y-%m-%dT%H";

fn parse_hour(raw: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(&format!("{raw}:00"), "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc())
}

fn parse_month(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").ok()
}

fn build(world: &World, chrome: Chrome, query: DatadogQuery) -> DatadogPage {
    let state = world.sections.datadog();
    let now = world.clock.now();
    let mut problems = Vec::new();
    let orgs = state
        .orgs
        .iter()
        .map(|org| OrgRow {
            name: org.name.clone(),
            public_id: org.public_id.clone(),
            parent: org
                .parent
                .map(|p| state.orgs[p].public_id.clone())
                .unwrap_or_default(),
            region: org.region.clone(),
            billing_plan: org.billing_plan.clone(),
        })
        .collect();
    let org_index = query
        .org
        .as_deref()
        .and_then(|id| state.orgs.iter().position(|o| o.public_id == id))
        .unwrap_or(0);
    let org = state.orgs.get(org_index);
    let family = query
        .family
        .clone()
        .filter(|f| product_family(f).is_some())
        .unwrap_or_else(|| "infra_hosts".to_string());

    let default_end = last_hour_with_data(now) + Duration::hours(1);
    let end = query
        .end
        .as_deref()
        .and_then(parse_hour)
        .unwrap_or(default_end);
    let start = query
        .start
        .as_deref()
        .and_then(parse_hour)
        .unwrap_or(end - Duration::days(7));

    let (mut hourly_chart, mut hourly_summary) = (String::new(), Vec::new());
    if let Some(org) = org {
        let caller = DatadogCaller { org: org_index };
        match hourly(world, caller, start, end, &family) {
            Ok((labels, series)) => {
                hourly_summary = series
                    .iter()
                    .map(|s| {
                        let sum = s.values.iter().sum::<f64>() as i64;
                        let max = s.values.iter().copied().fold(0.0, f64::max) as i64;
                        (s.name.clone(), sum, max)
                    })
                    .collect();
                hourly_chart =
                    charts::lines(&format!("{family}, hourly, {}", org.name), &labels, &series);
            }
            Err(problem) => problems.push(problem),
        }
    }

    let estimated = query.cost.as_deref() == Some("estimated");
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("a month");
    let default_start = if estimated {
        this_month
    } else {
        this_month - chrono::Months::new(6)
    };
    let start_month = query
        .start_month
        .as_deref()
        .and_then(parse_month)
        .unwrap_or(default_start);
    let end_month = query.end_month.as_deref().and_then(parse_month);
    let (mut cost_chart, mut cost_rows) = (String::new(), Vec::new());
    if let Some(org) = org {
        // Costs are the account's: the parent's, with every child org.
        let caller = DatadogCaller {
            org: org.parent.unwrap_or(org_index),
        };
        let records = if estimated {
            costs::estimated(
                state,
                world.seed,
                now,
                caller,
                &EstimatedQuery {
                    start: Period::Month(start_month),
                    end: end_month,
                    view: View::SubOrg,
                },
            )
        } else {
            costs::historical(
                state,
                world.seed,
                now,
                caller,
                &HistoricalQuery {
                    start_month,
                    end_month,
                    view: View::SubOrg,
                },
            )
        };
        match records {
            Ok(records) => {
                let categories: Vec<String> = records
                    .iter()
                    .map(|r| format!("{} {}", r.date.format("%Y-%m"), r.org.name))
                    .collect();
                let mut by_product: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
                for (i, record) in records.iter().enumerate() {
                    for charge in &record.charges {
                        by_product
                            .entry(charge.product_name)
                            .or_insert_with(|| vec![0.0; records.len()])[i] +=
                            charge.cents as f64 / 100.0;
                    }
                }
                let mut products: Vec<(&str, Vec<f64>)> = by_product.into_iter().collect();
                products.sort_by(|a, b| {
                    let total = |v: &Vec<f64>| v.iter().sum::<f64>();
                    total(&b.1).total_cmp(&total(&a.1))
                });
                let mut series: Vec<Series> = Vec::new();
                let mut other = vec![0.0; records.len()];
                for (k, (name, values)) in products.into_iter().enumerate() {
                    if k < PRODUCTS_SHOWN {
                        series.push(Series {
                            name: name.to_string(),
                            values,
                        });
                    } else {
                        other.iter_mut().zip(values).for_each(|(o, v)| *o += v);
                    }
                }
                if other.iter().any(|v| *v != 0.0) {
                    series.push(Series {
                        name: "other".into(),
                        values: other,
                    });
                }
                cost_rows = records
                    .iter()
                    .map(|r| CostRow {
                        date: r.date.format("%Y-%m").to_string(),
                        org: r.org.name.clone(),
                        total: format!("{:.2}", r.total_cents() as f64 / 100.0),
                    })
                    .collect();
                cost_chart = charts::stacked_bars(
                    &format!(
                        "{} cost by org and product ($)",
                        if estimated { "Estimated" } else { "Historical" }
                    ),
                    &categories,
                    &series,
                    charts::dollars,
                );
            }
            Err(e) => problems.push(e.to_string()),
        }
    }

    let mut top = Vec::new();
    if let Some(org) = org {
        let page = top_avg_metrics::top_avg_metrics(
            world.seed,
            &org.public_id,
            now,
            &TopAvgMetricsQuery {
                period: top_avg_metrics::Period::Month(this_month),
                names: None,
                limit: 10,
                cursor: Cursor::first_page(),
            },
        );
        top = page
            .records
            .into_iter()
            .map(|m| {
                (
                    m.name,
                    m.category.name(),
                    m.avg_metric_hour,
                    m.max_metric_hour,
                )
            })
            .collect();
    }

    DatadogPage {
        chrome,
        orgs,
        org: org.map(|o| o.public_id.clone()).unwrap_or_default(),
        families: current_families().map(|f| f.name).collect(),
        family,
        start: start.format(HOUR).to_string(),
        end: end.format(HOUR).to_string(),
        hourly_chart,
        hourly_summary,
        cost: if estimated { "estimated" } else { "historical" }.to_string(),
        start_month: start_month.format("%Y-%m").to_string(),
        end_month: end_month
            .map(|m| m.format("%Y-%m").to_string())
            .unwrap_or_default(),
        cost_chart,
        cost_rows,
        top_month: this_month.format("%Y-%m").to_string(),
        top_metrics: top,
        problems,
    }
}

/// The family's hourly usage over `[start, end)`, read page by page as a
/// client would: (hour labels, a series per usage type).
fn hourly(
    world: &World,
    caller: DatadogCaller,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    family: &str,
) -> Result<(Vec<String>, Vec<Series>), String> {
    let family = product_family(family).ok_or("unknown product family")?;
    let mut query = HourlyUsageQuery {
        start,
        end: Some(end),
        families: vec![family],
        include_descendants: false,
        page_limit: MAX_PAGE_LIMIT,
        cursor: Cursor::first_page(),
    };
    let mut labels = Vec::new();
    let mut series: Vec<Series> = family
        .usage_types
        .iter()
        .map(|t| Series {
            name: t.name.to_string(),
            values: Vec::new(),
        })
        .collect();
    loop {
        let page = hourly_usage(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )
        .map_err(|e| e.to_string())?;
        for record in &page.records {
            labels.push(record.hour.format("%m-%d %Hh").to_string());
            for (one, (_, value)) in series.iter_mut().zip(&record.measurements) {
                one.values.push(*value as f64);
            }
        }
        match page.next {
            Some(next) => query.cursor = next,
            None => break,
        }
    }
    Ok((labels, series))
}
