//! `GET /api/v2/usage/historical_cost` and `GET /api/v2/usage/estimated_cost`:
//! cost by org and month (or day), as JSON:API `cost_by_org` resources.

use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::hourly_attribution::timestamp;
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::costs::{
    self, CostRecord, EstimatedQuery, HistoricalQuery, Period, View,
};

/// `CostByOrgResponse`.
#[derive(Debug, Serialize)]
pub struct CostByOrgResponse {
    data: Vec<CostByOrg>,
}

/// `CostByOrg`.
#[derive(Debug, Serialize)]
struct CostByOrg {
    attributes: CostByOrgAttributes,
    id: String,
    #[serde(rename = "type")]
    resource_type: &'static str,
}

/// `CostByOrgAttributes`.
#[derive(Debug, Serialize)]
struct CostByOrgAttributes {
    account_name: String,
    account_public_id: String,
    charges: Vec<ChargebackBreakdown>,
    date: String,
    org_name: String,
    public_id: String,
    region: String,
    total_cost: f64,
}

/// `ChargebackBreakdown`.
#[derive(Debug, Serialize)]
struct ChargebackBreakdown {
    charge_type: &'static str,
    cost: f64,
    product_name: &'static str,
}

/// Whole cents as the API's dollars.
fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn render(records: Vec<CostRecord>, view: View) -> CostByOrgResponse {
    CostByOrgResponse {
        data: records
            .into_iter()
            .map(|record| CostByOrg {
                id: record.id(view),
                resource_type: "cost_by_org",
                attributes: CostByOrgAttributes {
                    account_name: record.account.name.clone(),
                    account_public_id: record.account.public_id.clone(),
                    charges: record
                        .charges
                        .iter()
                        .map(|charge| ChargebackBreakdown {
                            charge_type: charge.charge_type.name(),
                            cost: dollars(charge.cents),
                            product_name: charge.product_name,
                        })
                        .collect(),
                    date: timestamp(record.date),
                    org_name: record.org.name.clone(),
                    public_id: record.org.public_id.clone(),
                    region: record.org.region.clone(),
                    total_cost: dollars(record.total_cents()),
                },
            })
            .collect(),
    }
}

/// `view`: `summary` (the default) or `sub-org`.
fn view(params: &Params) -> Result<View, DatadogError> {
    match params.given("view") {
        None | Some("summary") => Ok(View::Summary),
        Some("sub-org") => Ok(View::SubOrg),
        Some(other) => Err(DatadogError::bad_request(format!(
            "Invalid parameter view: expected summary or sub-org, got {other:?}"
        ))),
    }
}

/// Accepted and checked; the scenario has no partner-network accounts to add.
fn include_connected_accounts(params: &Params) -> Result<(), DatadogError> {
    params.flag("include_connected_accounts").map(|_| ())
}

impl FromParams for HistoricalQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        params.required("start_month")?;
        let query = HistoricalQuery {
            start_month: params.month("start_month")?.expect("required above"),
            end_month: params.month("end_month")?,
            view: view(params)?,
        };
        include_connected_accounts(params)?;
        Ok(query)
    }
}

impl FromParams for EstimatedQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        let (start, end) = match (params.month("start_month")?, params.day("start_date")?) {
            (Some(_), Some(_)) => {
                return Err(DatadogError::bad_request(
                    "Either start_month or start_date should be specified, but not both",
                ));
            }
            (None, None) => {
                return Err(DatadogError::bad_request(
                    "Missing required parameter: start_month or start_date",
                ));
            }
            (Some(month), None) => {
                if params.get("end_date").is_some() {
                    return Err(DatadogError::bad_request(
                        "Invalid parameter end_date: use end_month with start_month",
                    ));
                }
                (Period::Month(month), params.month("end_month")?)
            }
            (None, Some(day)) => {
                if params.get("end_month").is_some() {
                    return Err(DatadogError::bad_request(
                        "Invalid parameter end_month: use end_date with start_date",
                    ));
                }
                (Period::Day(day), params.day("end_date")?)
            }
        };
        let query = EstimatedQuery {
            start,
            end,
            view: view(params)?,
        };
        include_connected_accounts(params)?;
        Ok(query)
    }
}

/// `GET /api/v2/usage/historical_cost`.
pub enum HistoricalCostReport {}

impl UsageReport for HistoricalCostReport {
    type Query = HistoricalQuery;
    type Body = CostByOrgResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: HistoricalQuery,
    ) -> Result<CostByOrgResponse, DatadogError> {
        let records = costs::historical(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )?;
        Ok(render(records, query.view))
    }
}

/// `GET /api/v2/usage/estimated_cost`.
pub enum EstimatedCostReport {}

impl UsageReport for EstimatedCostReport {
    type Query = EstimatedQuery;
    type Body = CostByOrgResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: EstimatedQuery,
    ) -> Result<CostByOrgResponse, DatadogError> {
        let records = costs::estimated(
            world.sections.datadog(),
            world.seed,
            world.clock.now(),
            caller,
            &query,
        )?;
        Ok(render(records, query.view))
    }
}
