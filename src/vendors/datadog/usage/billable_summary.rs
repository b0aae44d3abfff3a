//! `billable-summary`: a month of each org's hourly usage, summed up per
//! billable usage key. Every figure is a summary of
//! [`hourly`](fn@crate::vendors::datadog::usage::hourly) over the
//! month's hours that have data, so it equals what `hourly_usage` returns
//! for the same hours.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};

use crate::core::error::{EngineResult, bad_request};
use crate::core::series::{Counts, hour_index};
use crate::vendors::datadog::catalog::BILLABLE_KEYS;
use crate::vendors::datadog::model::{DatadogCaller, DatadogOrg, DatadogState};
use crate::vendors::datadog::usage::attribution::report::{last_hour_with_data, oldest_start};
use crate::vendors::datadog::usage::hourly::account_of;
use crate::vendors::datadog::usage::{Aggregation, UsageType, product_family, series};

/// A billable usage key of `UsageBillableSummaryKeys` and the hourly series
/// it summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillableKey {
    pub key: &'static str,
    pub family: &'static str,
    pub usage_type: &'static str,
    pub usage_unit: &'static str,
}

pub const fn key(
    key: &'static str,
    family: &'static str,
    usage_type: &'static str,
    usage_unit: &'static str,
) -> BillableKey {
    BillableKey {
        key,
        family,
        usage_type,
        usage_unit,
    }
}

/// How a key turns a month of hourly values into one billable figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    Sum,
    Average,
    /// The 99th-percentile hour (nearest rank): the high-water mark with
    /// the busiest 1% of hours forgiven.
    Top99p,
    Maximum,
}

impl BillableKey {
    pub fn usage_type(&self) -> &'static UsageType {
        product_family(self.family)
            .and_then(|family| {
                family
                    .usage_types
                    .iter()
                    .find(|usage_type| usage_type.name == self.usage_type)
            })
            .unwrap_or_else(|| panic!("{} maps to no usage type", self.key))
    }

    /// A count bills its sum; a gauge (hosts, containers, committers) bills
    /// its hourly average, since hosts summed over hours are host-hours, not
    /// hosts. Keys that name their summary get it: `_average` averages either
    /// kind, `_top99p` and `_maximum` take a gauge's high-water mark.
    pub fn summary(&self) -> Summary {
        let name = self.key;
        if name.ends_with("_top99p") {
            Summary::Top99p
        } else if name.ends_with("_maximum") {
            Summary::Maximum
        } else if name.ends_with("_average") {
            Summary::Average
        } else {
            match self.usage_type().aggregation {
                Aggregation::Count => Summary::Sum,
                Aggregation::Gauge => Summary::Average,
            }
        }
    }
}

impl Summary {
    /// `values` are the hours with data, in order; at least one.
    pub fn of(self, values: &[i64]) -> i64 {
        match self {
            Summary::Sum => values.iter().sum(),
            Summary::Average => {
                (values.iter().sum::<i64>() as f64 / values.len() as f64).round() as i64
            }
            Summary::Top99p => {
                let mut sorted = values.to_vec();
                sorted.sort_unstable();
                let rank = (values.len() * 99).div_ceil(100).max(1);
                sorted[rank - 1]
            }
            Summary::Maximum => values.iter().copied().max().unwrap_or(0),
        }
    }

    /// [`Summary::of`] the hours `counts` sums up, at least one; `None` for
    /// [`Summary::Top99p`], which needs the hours themselves.
    pub fn of_counts(self, counts: Counts) -> Option<i64> {
        match self {
            Summary::Sum => Some(counts.sum),
            Summary::Average => Some((counts.sum as f64 / counts.hours as f64).round() as i64),
            Summary::Top99p => None,
            Summary::Maximum => Some(counts.max),
        }
    }
}

/// One billable key of one org for the month.
#[derive(Debug, Clone, PartialEq)]
pub struct BillableUsage {
    pub key: &'static BillableKey,
    pub org_billable_usage: i64,
    /// The sum of `org_billable_usage` over the account's orgs.
    pub account_billable_usage: i64,
    pub percentage_in_account: f64,
    pub elapsed_usage_hours: i64,
    pub first_billable_usage_hour: DateTime<Utc>,
    pub last_billable_usage_hour: DateTime<Utc>,
}

/// One org's month.
#[derive(Debug, Clone)]
pub struct OrgBillableSummary<'a> {
    pub org: &'a DatadogOrg,
    pub account: &'a DatadogOrg,
    /// The orgs of the account: the parent and its children.
    pub num_orgs: u64,
    pub start_date: DateTime<Utc>,
    /// The last hour summarised (`start_date` before any has data).
    pub end_date: DateTime<Utc>,
    /// The share of the month's hours that have data.
    pub ratio_in_month: f64,
    /// Empty until the month has an hour with data.
    pub usage: Vec<BillableUsage>,
}

/// The month starting on `month` (its first day) for the caller's org and,
/// for a parent org, its children. Percentages are of the whole account.
pub fn billable_summary<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    month: NaiveDate,
) -> EngineResult<Vec<OrgBillableSummary<'a>>> {
    let start = month.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let oldest = oldest_start(now);
    if start < oldest {
        return Err(bad_request(format!(
            "Invalid parameter month: usage is kept for 15 months, the oldest month is {}",
            oldest.format("%Y-%m")
        )));
    }
    let month_end = (month + Months::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let end = month_end.min(last_hour_with_data(now) + Duration::hours(1));
    let hours: Vec<DateTime<Utc>> =
        std::iter::successors(Some(start), |h| Some(*h + Duration::hours(1)))
            .take_while(|h| *h < end)
            .collect();
    let shown = state.orgs_in_scope(caller, true);
    let account = account_of(state, state.org(caller));
    let account_orgs: Vec<&DatadogOrg> = state
        .orgs
        .iter()
        .filter(|org| std::ptr::eq(account_of(state, org), account))
        .collect();

    // Each account org's figure per key: sums, averages and maxima from the
    // series' counts (whole months memoised), the 99th percentile from the
    // hours' values, computed once per series.
    let (from, to) = (hour_index(start), hour_index(end));
    let figures: Vec<Vec<i64>> = if hours.is_empty() {
        Vec::new()
    } else {
        account_orgs
            .iter()
            .map(|org| {
                let mut values: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
                BILLABLE_KEYS
                    .iter()
                    .map(|key| {
                        let series = series(seed, &org.public_id, key.family, key.usage_type());
                        let summary = key.summary();
                        summary
                            .of_counts(series.counts(from, to))
                            .unwrap_or_else(|| {
                                let values = values
                                    .entry((key.family, key.usage_type))
                                    .or_insert_with(|| {
                                        let hourly = series.hourly();
                                        (from..to).map(|h| hourly.count_at(h)).collect()
                                    });
                                summary.of(values)
                            })
                    })
                    .collect()
            })
            .collect()
    };
    let account_totals: Vec<i64> = (0..BILLABLE_KEYS.len())
        .map(|k| figures.iter().map(|org| org[k]).sum())
        .collect();

    let month_hours = (month_end - start).num_hours() as f64;
    Ok(shown
        .into_iter()
        .map(|org| {
            let o = account_orgs
                .iter()
                .position(|a| std::ptr::eq(*a, org))
                .expect("the caller's orgs are of its account");
            let usage = figures
                .get(o)
                .map(|org_figures| {
                    BILLABLE_KEYS
                        .iter()
                        .zip(org_figures.iter().zip(&account_totals))
                        .map(|(key, (&org_usage, &account_usage))| BillableUsage {
                            key,
                            org_billable_usage: org_usage,
                            account_billable_usage: account_usage,
                            percentage_in_account: if account_usage == 0 {
                                0.0
                            } else {
                                org_usage as f64 / account_usage as f64 * 100.0
                            },
                            elapsed_usage_hours: hours.len() as i64,
                            first_billable_usage_hour: hours[0],
                            last_billable_usage_hour: hours[hours.len() - 1],
                        })
                        .collect()
                })
                .unwrap_or_default();
            OrgBillableSummary {
                org,
                account,
                num_orgs: account_orgs.len() as u64,
                start_date: start,
                end_date: hours.last().copied().unwrap_or(start),
                ratio_in_month: hours.len() as f64 / month_hours,
                usage,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::datadog::usage::hourly;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        at("2026-06-15T12:00:00Z")
    }

    fn org(name: &str, parent: Option<usize>) -> DatadogOrg {
        DatadogOrg {
            name: name.to_string(),
            public_id: format!("{name}0001"),
            parent,
            region: "us".to_string(),
            billing_plan: "Pro".to_string(),
        }
    }

    fn state() -> DatadogState {
        let mut state = DatadogState::default();
        state.orgs = vec![
            org("parent", None),
            org("childa", Some(0)),
            org("childb", Some(0)),
        ];
        state
    }

    fn may() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
    }

    #[test]
    fn every_key_names_a_usage_type_of_the_catalog_once() {
        for (i, key) in BILLABLE_KEYS.iter().enumerate() {
            key.usage_type();
            assert!(
                BILLABLE_KEYS[..i].iter().all(|k| k.key != key.key),
                "{} twice",
                key.key
            );
        }
    }

    #[test]
    fn summaries_follow_the_key_and_the_kind_of_usage() {
        let by_name = |name: &str| BILLABLE_KEYS.iter().find(|k| k.key == name).unwrap();
        assert_eq!(by_name("logs_ingested_sum").summary(), Summary::Sum);
        assert_eq!(by_name("infra_host_sum").summary(), Summary::Average);
        assert_eq!(by_name("infra_host_top99p").summary(), Summary::Top99p);
        assert_eq!(by_name("ci_testing_maximum").summary(), Summary::Maximum);
        assert_eq!(
            by_name("dbm_normalized_queries_average").summary(),
            Summary::Average
        );
        let hours: Vec<i64> = (1..=200).collect();
        assert_eq!(Summary::Sum.of(&hours), 20_100);
        assert_eq!(Summary::Average.of(&hours), 101);
        assert_eq!(Summary::Top99p.of(&hours), 198);
        assert_eq!(Summary::Maximum.of(&hours), 200);
        assert_eq!(Summary::Top99p.of(&[7]), 7);
    }

    #[test]
    fn a_past_month_sums_every_hour_of_it() {
        let state = state();
        let summaries =
            billable_summary(&state, 3, now(), DatadogCaller { org: 0 }, may()).unwrap();
        assert_eq!(summaries.len(), 3);
        let parent = &summaries[0];
        assert_eq!(parent.ratio_in_month, 1.0);
        assert_eq!(parent.end_date, at("2026-05-31T23:00:00Z"));
        let logs = parent
            .usage
            .iter()
            .find(|u| u.key.key == "logs_ingested_sum")
            .unwrap();
        let usage_type = logs.key.usage_type();
        let expected: i64 = (0..31 * 24)
            .map(|h| {
                let hour = at("2026-05-01T00:00:00Z") + Duration::hours(h);
                hourly(3, "parent0001", "logs", usage_type, hour)
            })
            .sum();
        assert_eq!(logs.org_billable_usage, expected);
        assert_eq!(logs.elapsed_usage_hours, 31 * 24);
        // Every key summarises its hourly usage.
        for usage in &parent.usage {
            let usage_type = usage.key.usage_type();
            let hours: Vec<i64> = (0..31 * 24)
                .map(|h| {
                    let hour = at("2026-05-01T00:00:00Z") + Duration::hours(h);
                    hourly(3, "parent0001", usage.key.family, usage_type, hour)
                })
                .collect();
            assert_eq!(
                usage.org_billable_usage,
                usage.key.summary().of(&hours),
                "{}",
                usage.key.key
            );
        }
        assert_eq!(parent.usage.len(), BILLABLE_KEYS.len());
    }

    /// Every key of every org of `month` as `now` sees it, against the
    /// summary of its hours' values computed one by one.
    fn check_against_hour_by_hour(now: DateTime<Utc>, month: NaiveDate) {
        let state = state();
        let summaries = billable_summary(&state, 11, now, DatadogCaller { org: 0 }, month).unwrap();
        for summary in &summaries {
            let hours: Vec<DateTime<Utc>> =
                std::iter::successors(Some(summary.start_date), |h| Some(*h + Duration::hours(1)))
                    .take_while(|h| *h <= summary.end_date)
                    .collect();
            assert!(!summary.usage.is_empty());
            for usage in &summary.usage {
                let values: Vec<i64> = hours
                    .iter()
                    .map(|h| {
                        let usage_type = usage.key.usage_type();
                        hourly(11, &summary.org.public_id, usage.key.family, usage_type, *h)
                    })
                    .collect();
                assert_eq!(usage.elapsed_usage_hours, values.len() as i64);
                assert_eq!(
                    usage.org_billable_usage,
                    usage.key.summary().of(&values),
                    "{} {month}",
                    usage.key.key
                );
            }
        }
    }

    #[test]
    fn memoised_months_equal_the_hour_by_hour_summaries() {
        // Twice each: computed, then served from the memo.
        for _ in 0..2 {
            // A leap February, whole.
            let leap = NaiveDate::from_ymd_opt(2028, 2, 1).unwrap();
            check_against_hour_by_hour(at("2028-03-20T00:00:00Z"), leap);
            // The same February while its data still comes in (its last
            // hour with data is the 28th, 17:00).
            check_against_hour_by_hour(at("2028-02-28T20:00:00Z"), leap);
            // The current month, and the oldest month usage is kept for.
            check_against_hour_by_hour(now(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
            check_against_hour_by_hour(now(), NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        }
        let too_old = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        assert!(billable_summary(&state(), 11, now(), DatadogCaller { org: 0 }, too_old).is_err());
    }

    #[test]
    fn the_current_month_stops_72_hours_before_now() {
        let state = state();
        let june = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let summaries = billable_summary(&state, 3, now(), DatadogCaller { org: 0 }, june).unwrap();
        let usage = &summaries[0].usage[0];
        assert_eq!(usage.last_billable_usage_hour, at("2026-06-12T12:00:00Z"));
        assert_eq!(usage.elapsed_usage_hours, 11 * 24 + 13);
        let july = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let summaries = billable_summary(&state, 3, now(), DatadogCaller { org: 0 }, july).unwrap();
        assert!(summaries.iter().all(|s| s.usage.is_empty()));
    }

    #[test]
    fn percentages_of_the_account_add_up_to_100() {
        let state = state();
        let summaries =
            billable_summary(&state, 3, now(), DatadogCaller { org: 0 }, may()).unwrap();
        for (i, key) in BILLABLE_KEYS.iter().enumerate() {
            let total: f64 = summaries
                .iter()
                .map(|s| s.usage[i].percentage_in_account)
                .sum();
            assert!((total - 100.0).abs() < 1e-9, "{} {total}", key.key);
        }
        // A child sees itself, with its share of the whole account.
        let child = billable_summary(&state, 3, now(), DatadogCaller { org: 1 }, may()).unwrap();
        assert_eq!(child.len(), 1);
        assert_eq!(child[0].usage[0], summaries[1].usage[0]);
        assert_eq!(child[0].account.public_id, "parent0001");
    }

    #[test]
    fn months_older_than_15_are_refused() {
        let state = state();
        let old = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        assert!(billable_summary(&state, 3, now(), DatadogCaller { org: 0 }, old).is_err());
    }
}
