//! `GET /api/v1/usage/billable-summary`: a month of billable usage per org
//! of the account.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::errors::DatadogError;
use super::extract::{FromParams, Params};
use super::hourly_attribution::timestamp;
use super::report::UsageReport;
use crate::core::world::World;
use crate::vendors::datadog::model::DatadogCaller;
use crate::vendors::datadog::usage::billable_summary::{self, BillableUsage, OrgBillableSummary};

/// `UsageBillableSummaryResponse`.
#[derive(Debug, Serialize)]
pub struct UsageBillableSummaryResponse {
    usage: Vec<UsageBillableSummaryHour>,
}

/// `UsageBillableSummaryHour`: one org's month.
#[derive(Debug, Serialize)]
struct UsageBillableSummaryHour {
    account_name: String,
    account_public_id: String,
    billing_plan: String,
    end_date: String,
    num_orgs: u64,
    org_name: String,
    public_id: String,
    ratio_in_month: f64,
    region: String,
    start_date: String,
    /// `UsageBillableSummaryKeys`: billable key → its summary.
    usage: BTreeMap<&'static str, UsageBillableSummaryBody>,
}

/// `UsageBillableSummaryBody`.
#[derive(Debug, Serialize)]
struct UsageBillableSummaryBody {
    account_billable_usage: i64,
    elapsed_usage_hours: i64,
    first_billable_usage_hour: String,
    last_billable_usage_hour: String,
    org_billable_usage: i64,
    percentage_in_account: f64,
    usage_unit: &'static str,
}

fn render_usage(usage: &BillableUsage) -> UsageBillableSummaryBody {
    UsageBillableSummaryBody {
        account_billable_usage: usage.account_billable_usage,
        elapsed_usage_hours: usage.elapsed_usage_hours,
        first_billable_usage_hour: timestamp(usage.first_billable_usage_hour),
        last_billable_usage_hour: timestamp(usage.last_billable_usage_hour),
        org_billable_usage: usage.org_billable_usage,
        percentage_in_account: usage.percentage_in_account,
        usage_unit: usage.key.usage_unit,
    }
}

fn render(summary: OrgBillableSummary) -> UsageBillableSummaryHour {
    UsageBillableSummaryHour {
        account_name: summary.account.name.clone(),
        account_public_id: summary.account.public_id.clone(),
        billing_plan: summary.org.billing_plan.clone(),
        end_date: timestamp(summary.end_date),
        num_orgs: summary.num_orgs,
        org_name: summary.org.name.clone(),
        public_id: summary.org.public_id.clone(),
        ratio_in_month: summary.ratio_in_month,
        region: summary.org.region.clone(),
        start_date: timestamp(summary.start_date),
        usage: summary
            .usage
            .iter()
            .map(|usage| (usage.key.key, render_usage(usage)))
            .collect(),
    }
}

/// `month` (the current one when absent).
pub struct BillableSummaryQuery {
    month: Option<NaiveDate>,
}

impl FromParams for BillableSummaryQuery {
    fn from_params(params: &Params) -> Result<Self, DatadogError> {
        let month = params.month("month")?;
        // Accepted and checked; the scenario has no connected accounts to add.
        params.flag("include_connected_accounts")?;
        Ok(BillableSummaryQuery { month })
    }
}

/// `GET /api/v1/usage/billable-summary`.
pub enum BillableSummaryReport {}

impl UsageReport for BillableSummaryReport {
    type Query = BillableSummaryQuery;
    type Body = UsageBillableSummaryResponse;

    fn report(
        world: &World,
        caller: DatadogCaller,
        query: BillableSummaryQuery,
    ) -> Result<UsageBillableSummaryResponse, DatadogError> {
        let now = world.clock.now();
        let month = query.month.unwrap_or_else(|| {
            now.date_naive()
                .with_day(1)
                .expect("every month has a first day")
        });
        let summaries = billable_summary::billable_summary(
            world.sections.datadog(),
            world.seed,
            now,
            caller,
            month,
        )?;
        Ok(UsageBillableSummaryResponse {
            usage: summaries.into_iter().map(render).collect(),
        })
    }
}
