//! An org's billed usage for one calendar month: per dimension, every stack
//! that lived during the month (deleted ones included), prorated by the
//! share of the month it lived, then included usage, overage and amount due.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{Dimension, MonthlyUsage, UsageKey, billing_id, fnv1a};
use crate::core::error::{EngineError, EngineResult};
use crate::core::world::World;
use crate::vendors::grafana::model::stacks::{Stack, StackId};
use crate::vendors::grafana::model::{GrafanaCaller, Org};

/// What a dimension includes for free and what it costs beyond that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Whole units: GB, series or users.
    pub included: u64,
    /// Dollars per `per` units of overage.
    pub price: f64,
    pub per: f64,
}

/// Grafana Cloud Pro's list prices.
pub fn default_rate(dimension: Dimension) -> Rate {
    match dimension {
        Dimension::Users => Rate {
            included: 3,
            price: 8.0,
            per: 1.0,
        },
        Dimension::Logs | Dimension::Traces => Rate {
            included: 50,
            price: 0.5,
            per: 1.0,
        },
        Dimension::Metrics => Rate {
            included: 10_000,
            price: 6.5,
            per: 1_000.0,
        },
    }
}

/// One calendar month, as billing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingMonth {
    pub year: i32,
    pub month: u32,
}

impl BillingMonth {
    /// 409 unless `month` is 1–12 and `year` a plausible year.
    pub fn new(year: i32, month: u32) -> EngineResult<Self> {
        if (1..=12).contains(&month) && (2000..=9999).contains(&year) {
            Ok(BillingMonth { year, month })
        } else {
            Err(wrong_parameters(format!(
                "month must be 1-12 and year 2000-9999, got month={month} year={year}"
            )))
        }
    }

    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .expect("a valid month")
    }

    /// The first instant of the next month.
    pub fn end(self) -> DateTime<Utc> {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        BillingMonth { year, month }.start()
    }

    /// `periodEnd` as Grafana shows it: the month's last second.
    pub fn last_second(self) -> DateTime<Utc> {
        self.end() - Duration::seconds(1)
    }

    /// `September 2024`.
    pub fn title(self) -> String {
        self.start().format("%B %Y").to_string()
    }
}

/// The 409 of a missing or malformed `month`/`year`.
pub fn wrong_parameters(why: impl std::fmt::Display) -> EngineError {
    EngineError::Conflict(format!("Wrong or missing parameters: {why}"))
}

/// One stack's line in a dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct StackUsage {
    pub id: u64,
    pub stack_id: StackId,
    pub stack_name: String,
    pub stack_slug: String,
    pub stack_labels: BTreeMap<String, String>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub is_prorated: bool,
    /// The share of the month the stack lived, 0–1.
    pub covered: f64,
    /// The full-month usage, before proration.
    pub full_month: MonthlyUsage,
    /// `full_month.billable() × covered`, rounded as Grafana shows it.
    pub total_usage: f64,
}

impl StackUsage {
    /// Ingested or queried GB, prorated like the total.
    pub fn prorated(&self, amount: f64) -> f64 {
        round_to(amount * self.covered, 6)
    }
}

/// One dimension's item of the bill.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionUsage {
    pub id: u64,
    pub dimension: Dimension,
    pub rate: Rate,
    pub total_usage: f64,
    /// Whole units beyond the included usage.
    pub overage: u64,
    /// Dollars, to the cent.
    pub amount_due: f64,
    pub usages: Vec<StackUsage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BilledUsage {
    pub month: BillingMonth,
    pub items: Vec<DimensionUsage>,
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// Decimals a dimension's usage is shown with.
fn decimals(dimension: Dimension) -> i32 {
    match dimension {
        Dimension::Logs | Dimension::Traces => 6,
        Dimension::Metrics | Dimension::Users => 2,
    }
}

/// The bill of one org's `stacks` for `month`; a pure function of its inputs.
pub fn bill(seed: u64, org_id: u64, stacks: &[&Stack], month: BillingMonth) -> BilledUsage {
    let (start, end) = (month.start(), month.end());
    let month_seconds = (end - start).num_seconds() as f64;
    let month_key = (month.year as u64) * 100 + u64::from(month.month);
    let items = Dimension::ALL
        .into_iter()
        .map(|dimension| {
            let dimension_key = fnv1a(dimension.id());
            let usages: Vec<StackUsage> = stacks
                .iter()
                .filter_map(|stack| {
                    let from = stack.billing_start_date.max(start);
                    let until = stack.billing_end_date.map_or(end, |e| e.min(end));
                    if from >= until {
                        return None;
                    }
                    let covered = (until - from).num_milliseconds() as f64 / 1000.0 / month_seconds;
                    let key = UsageKey {
                        seed,
                        org_id,
                        stack_id: stack.id,
                        dimension,
                    };
                    let full_month = key.monthly(month.year, month.month);
                    Some(StackUsage {
                        id: billing_id(&[seed, org_id, month_key, dimension_key, stack.id]),
                        stack_id: stack.id,
                        stack_name: stack.name.clone(),
                        stack_slug: stack.slug.clone(),
                        stack_labels: stack.labels.clone(),
                        period_start: from,
                        period_end: until.min(month.last_second()),
                        is_prorated: covered < 1.0,
                        covered,
                        full_month,
                        total_usage: round_to(full_month.billable() * covered, decimals(dimension)),
                    })
                })
                .collect();
            let rate = default_rate(dimension);
            let total_usage = round_to(
                usages.iter().map(|u| u.total_usage).sum(),
                decimals(dimension),
            );
            let overage = (total_usage - rate.included as f64).round().max(0.0) as u64;
            DimensionUsage {
                id: billing_id(&[seed, org_id, month_key, dimension_key]),
                dimension,
                rate,
                total_usage,
                overage,
                amount_due: round_to(overage as f64 * rate.price / rate.per, 2),
                usages,
            }
        })
        .collect();
    BilledUsage { month, items }
}

impl World {
    /// The caller's org's billed usage for `month`; 404 for a month that has
    /// not started yet.
    pub fn billed_usage(
        &self,
        caller: &GrafanaCaller,
        org: &Org,
        month: BillingMonth,
    ) -> EngineResult<BilledUsage> {
        caller.require_org(Some(org.id))?;
        if month.start() > self.clock.now() {
            return Err(EngineError::NotFound(format!(
                "no billed usage for {}: the month has not started yet",
                month.title()
            )));
        }
        let grafana = &self.sections.grafana();
        let mut stacks: Vec<&Stack> = grafana
            .stacks
            .values()
            .chain(grafana.deleted_stacks.iter())
            .filter(|stack| stack.org_id == org.id)
            .collect();
        // Stacks live in a HashMap: order them so the bill is reproducible.
        stacks.sort_by_key(|stack| stack.id);
        Ok(bill(self.seed, org.id, &stacks, month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::grafana::model::stacks::StackStatus;

    fn stack(id: StackId, from: &str, until: Option<&str>) -> Stack {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        Stack {
            id,
            org_id: 1,
            name: format!("s{id}"),
            slug: format!("s{id}"),
            custom_url: None,
            region: "us".into(),
            description: String::new(),
            labels: BTreeMap::new(),
            delete_protection: false,
            status: StackStatus::Active,
            created_at: at(from),
            created_by: String::new(),
            updated_at: None,
            updated_by: String::new(),
            billing_start_date: at(from),
            billing_end_date: until.map(at),
        }
    }

    const SEPTEMBER: BillingMonth = BillingMonth {
        year: 2024,
        month: 9,
    };

    #[test]
    fn a_stack_created_on_the_20th_pays_for_11_of_30_days() {
        let all_month = bill(1, 1, &[&stack(7, "2024-08-01T00:00:00Z", None)], SEPTEMBER);
        let late = bill(1, 1, &[&stack(7, "2024-09-20T00:00:00Z", None)], SEPTEMBER);
        for (full, part) in all_month.items.iter().zip(&late.items) {
            let (full, part) = (&full.usages[0], &part.usages[0]);
            assert!(!full.is_prorated && part.is_prorated);
            let ratio = part.total_usage / full.total_usage;
            assert!((ratio - 11.0 / 30.0).abs() < 0.01, "ratio {ratio}");
        }
    }

    #[test]
    fn overage_and_amount_due_follow_the_total() {
        let stacks = [
            stack(1, "2024-01-01T00:00:00Z", None),
            stack(2, "2024-09-10T12:00:00Z", Some("2024-09-15T00:00:00Z")),
        ];
        let refs: Vec<&Stack> = stacks.iter().collect();
        for item in bill(3, 1, &refs, SEPTEMBER).items {
            let sum: f64 = item.usages.iter().map(|u| u.total_usage).sum();
            assert!((sum - item.total_usage).abs() < 1e-6);
            let overage = (item.total_usage - item.rate.included as f64)
                .round()
                .max(0.0);
            assert_eq!(item.overage as f64, overage);
            let due = round_to(overage * item.rate.price / item.rate.per, 2);
            assert_eq!(item.amount_due, due);
        }
    }

    #[test]
    fn stacks_outside_the_month_are_not_billed() {
        let gone = stack(1, "2024-01-01T00:00:00Z", Some("2024-08-31T00:00:00Z"));
        let later = stack(2, "2024-10-01T00:00:00Z", None);
        let bill = bill(1, 1, &[&gone, &later], SEPTEMBER);
        assert!(bill.items.iter().all(|item| item.usages.is_empty()));
    }
}
