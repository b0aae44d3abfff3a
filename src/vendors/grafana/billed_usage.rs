//! `GET /api/orgs/{org}/billed-usage?month=&year=`: the month's bill per
//! dimension, broken down by stack, with Grafana's invoice notes.

use std::sync::Arc;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::errors::{GcomError, GrafanaError};
use super::extract::{Authorized, Path};
use super::pagination::GcomList;
use super::scopes::BillingRead;
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::vendors::grafana::usage::billing::{
    BillingMonth, DimensionUsage, Rate, StackUsage, wrong_parameters,
};
use crate::vendors::grafana::usage::{Dimension, MonthlyUsage};

/// Billing periods show whole seconds: `2024-09-01T00:00:00Z`.
fn period(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BilledUsageView {
    id: u64,
    dimension_id: &'static str,
    dimension_name: &'static str,
    unit: &'static str,
    included_usage: u64,
    total_usage: f64,
    overage: u64,
    org_rates: OrgRates,
    amount_due: f64,
    period_start: String,
    period_end: String,
    description: String,
    notes: String,
    usages: Vec<StackUsageView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrgRates {
    tiers: Vec<Tier>,
    #[serde(rename = "includedDPM", skip_serializing_if = "Option::is_none")]
    included_dpm: Option<u32>,
}

#[derive(Debug, Serialize)]
struct Tier {
    min: u64,
    rate: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StackUsageView {
    id: u64,
    stack_id: u64,
    period_start: String,
    period_end: String,
    total_usage: f64,
    is_prorated: bool,
    #[serde(flatten)]
    figures: Figures,
    stack_name: String,
    stack_labels: BTreeMap<String, String>,
}

/// The per-dimension fields of a stack's line.
#[derive(Debug, Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Figures {
    Ingest {
        ingest_usage: f64,
        query_usage: f64,
    },
    Series {
        active_series: u64,
        dpm: u64,
    },
    Users {
        grafana_usage: u64,
        on_call_usage: u64,
    },
    IngestOnly {
        ingest_usage: f64,
    },
}

impl StackUsageView {
    fn new(usage: &StackUsage) -> Self {
        let figures = match usage.full_month {
            MonthlyUsage::Logs { query_gb, .. } => Figures::Ingest {
                ingest_usage: usage.total_usage,
                query_usage: usage.prorated(query_gb),
            },
            MonthlyUsage::Metrics { active_series, dpm } => Figures::Series { active_series, dpm },
            MonthlyUsage::Users { grafana, on_call } => Figures::Users {
                grafana_usage: grafana,
                on_call_usage: on_call,
            },
            MonthlyUsage::Traces { .. } => Figures::IngestOnly {
                ingest_usage: usage.total_usage,
            },
        };
        StackUsageView {
            id: usage.id,
            stack_id: usage.stack_id,
            period_start: period(usage.period_start),
            period_end: period(usage.period_end),
            total_usage: usage.total_usage,
            is_prorated: usage.is_prorated,
            figures,
            stack_name: usage.stack_name.clone(),
            stack_labels: usage.stack_labels.clone(),
        }
    }
}

/// `$100.50`.
fn dollars(amount: f64) -> String {
    format!("${amount:.2}")
}

/// GB as the notes show them: `251.021`.
fn gigabytes(x: f64) -> String {
    format!("{x:.3}")
}

/// Series and users as the notes show them: whole series, users to the
/// hundredth (a prorated stack's users can be fractional).
fn count(dimension: Dimension, x: f64) -> String {
    if dimension == Dimension::Metrics {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// The invoice text, in Grafana's words, stating the item's own figures.
fn notes(item: &DimensionUsage) -> String {
    let Rate {
        included,
        price,
        per,
    } = item.rate;
    let due = dollars(item.amount_due);
    let mut text = String::from("Per-instance Usage\n");
    for usage in &item.usages {
        let prorated_line = |text: &mut String| {
            if usage.is_prorated {
                let _ = writeln!(
                    text,
                    "   Usage pro-rated {} - {}: {}",
                    usage.period_start.date_naive(),
                    usage.period_end.date_naive(),
                    count(item.dimension, usage.total_usage)
                );
            }
        };
        match usage.full_month {
            MonthlyUsage::Logs { .. } | MonthlyUsage::Traces { .. } => {
                let suffix = if item.dimension == Dimension::Logs {
                    "logs"
                } else {
                    "traces"
                };
                let _ = writeln!(
                    text,
                    " - {}-{suffix} - Usage: {}GB",
                    usage.stack_slug,
                    gigabytes(usage.total_usage)
                );
            }
            MonthlyUsage::Metrics { active_series, dpm } => {
                let _ = writeln!(
                    text,
                    " - {}-prom - Series: {active_series}, DPM: {dpm}, Usage: {}",
                    usage.stack_slug,
                    usage.full_month.billable()
                );
                prorated_line(&mut text);
            }
            MonthlyUsage::Users { .. } => {
                let _ = writeln!(
                    text,
                    " - {} - Total Unique Users: {}",
                    usage.stack_name,
                    usage.full_month.billable()
                );
                prorated_line(&mut text);
            }
        }
    }
    let overage = item.overage;
    let _ = match item.dimension {
        Dimension::Logs | Dimension::Traces => write!(
            text,
            "\nIncluded Usage: {included}GB\nTotal Usage: {}GB\n\
             Usage in excess of {included}GB: {overage}GB @ ${price}/GB = {due}\n",
            gigabytes(item.total_usage)
        ),
        Dimension::Metrics => write!(
            text,
            "\nIncluded Usage: {included}\nTotal Usage: {}\n\
             Usage in excess of {included}: {overage} @ ${price:.2}/{per} = {due}\n",
            count(Dimension::Metrics, item.total_usage)
        ),
        Dimension::Users => write!(
            text,
            "\nIncluded Users: {included}\nTotal Unique Users: {}\n\
             Users in excess of {included}: {overage} @ ${price}/User = {due}\n",
            count(Dimension::Users, item.total_usage)
        ),
    };
    let _ = write!(text, "Total Usage Amount: {due}");
    text
}

fn description(dimension: Dimension, month: BillingMonth) -> String {
    let product = match dimension {
        Dimension::Users => "Grafana",
        Dimension::Logs => "Logs",
        Dimension::Metrics => "Metrics",
        Dimension::Traces => "Traces",
    };
    format!("Hosted {product} Usage - {}", month.title())
}

impl BilledUsageView {
    fn new(item: &DimensionUsage, month: BillingMonth) -> Self {
        BilledUsageView {
            id: item.id,
            dimension_id: item.dimension.id(),
            dimension_name: item.dimension.name(),
            unit: item.dimension.unit(),
            included_usage: item.rate.included,
            total_usage: item.total_usage,
            overage: item.overage,
            org_rates: OrgRates {
                tiers: vec![Tier {
                    min: item.rate.included,
                    rate: item.rate.price,
                }],
                included_dpm: (item.dimension == Dimension::Metrics).then_some(1),
            },
            amount_due: item.amount_due,
            period_start: period(month.start()),
            period_end: period(month.last_second()),
            description: description(item.dimension, month),
            notes: notes(item),
            usages: item.usages.iter().map(StackUsageView::new).collect(),
        }
    }
}

/// `month` and `year`, both required integers; 409 otherwise.
fn billing_month(params: &QueryParams) -> Result<BillingMonth, GrafanaError> {
    let (Some(month), Some(year)) = (params.non_empty("month"), params.non_empty("year")) else {
        return Err(wrong_parameters("month and year are required").into());
    };
    let (Ok(month), Ok(year)) = (month.trim().parse::<u32>(), year.trim().parse::<i32>()) else {
        return Err(wrong_parameters(format!(
            "month and year must be integers, got month={month:?} year={year:?}"
        ))
        .into());
    };
    Ok(BillingMonth::new(year, month)?)
}

pub async fn get(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: params,
        ..
    }: Authorized<BillingRead, QueryParams>,
    Path(org): Path<String>,
) -> Result<Json<GcomList<BilledUsageView>>, GcomError> {
    let world = store.read();
    let org = world.require_org_path(&caller, &org)?;
    let month = billing_month(&params)?;
    let bill = world.billed_usage(&caller, org, month)?;
    let items = bill
        .items
        .iter()
        .map(|item| BilledUsageView::new(item, month))
        .collect();
    Ok(Json(GcomList::paged(
        items,
        "dimensionId",
        format!("/orgs/{}/billed-usage", org.slug),
    )))
}
