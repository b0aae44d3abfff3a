//! What Datadog usage costs: a list price per unit of every metered usage
//! type, the scenario's `datadog.prices` over it, and the cost reports of
//! `historical_cost` and `estimated_cost` built from them.
//!
//! Every cost is usage × price, and usage is [`crate::vendors::datadog::usage::hourly`] —
//! the figures `hourly_usage` reports — so costs agree with usage by
//! construction. Each charge is rounded to the cent once; every total is a
//! sum of those cents, so `total_cost` is exactly the sum of its charges and
//! an account's summary exactly the sum of its orgs.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use crate::core::error::{EngineResult, bad_request};
use crate::core::hash::{fnv1a, hash, unit_interval};
use crate::core::series::{Hourly, Series, hour_index};
use crate::vendors::datadog::catalog::LIST_PRICES;
use crate::vendors::datadog::model::{DatadogCaller, DatadogOrg, DatadogState};
use crate::vendors::datadog::usage::attribution::report::{last_hour_with_data, oldest_start};
use crate::vendors::datadog::usage::{
    Aggregation, PRODUCT_FAMILIES, UsageType, current_families, series,
};

/// The price list in force: the scenario's `datadog.prices` over the list
/// prices. A scenario key is `<family>.<usage_type>`, a product family (every
/// usage type of it) or a usage type (in every family); the most specific
/// wins, in that order.
#[derive(Debug, Clone, Copy)]
pub struct PriceList<'a> {
    overrides: &'a BTreeMap<String, f64>,
}

impl<'a> PriceList<'a> {
    pub fn new(overrides: &'a BTreeMap<String, f64>) -> Self {
        PriceList { overrides }
    }

    /// Price per unit of `usage_type` of `family`, in USD.
    pub fn price(&self, family: &str, usage_type: &str) -> f64 {
        [format!("{family}.{usage_type}"), family.to_string()]
            .iter()
            .chain(std::iter::once(&usage_type.to_string()))
            .find_map(|key| self.overrides.get(key).copied())
            .unwrap_or_else(|| list_price(family, usage_type))
    }
}

/// The built-in price of `usage_type` of `family`; 0 for one not listed.
pub fn list_price(family: &str, usage_type: &str) -> f64 {
    LIST_PRICES
        .iter()
        .find(|(f, u, _)| *f == family && *u == usage_type)
        .map_or(0.0, |(_, _, price)| *price)
}

/// Checks one `datadog.prices` entry: the key must name a product family,
/// a usage type or `<family>.<usage_type>`, the price be finite and ≥ 0.
pub fn check_price(key: &str, price: f64) -> Result<(), String> {
    let known = PRODUCT_FAMILIES.iter().any(|family| {
        family.name == key
            || family.usage_types.iter().any(|u| {
                u.name == key
                    || key
                        .strip_prefix(family.name)
                        .and_then(|rest| rest.strip_prefix('.'))
                        == Some(u.name)
            })
    });
    if !known {
        return Err(format!(
            "{key:?} is neither a product family, a usage type nor <family>.<usage_type>"
        ));
    }
    if !price.is_finite() || price < 0.0 {
        return Err(format!("price {price} must be a number ≥ 0"));
    }
    Ok(())
}

/// `charge_type` of a charge: a share of each product is covered by the
/// org's commitment, the rest billed on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChargeType {
    Committed,
    OnDemand,
}

impl ChargeType {
    pub fn name(self) -> &'static str {
        match self {
            ChargeType::Committed => "committed",
            ChargeType::OnDemand => "on_demand",
        }
    }
}

/// One product's cost of one charge type, in whole cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// The product family.
    pub product_name: &'static str,
    pub charge_type: ChargeType,
    pub cents: i64,
}

/// Costs of the hours `[from, to)`, all within one calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    #[cfg(test)]
    fn hours(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(Some(self.from), |h| Some(*h + Duration::hours(1)))
            .take_while(|h| *h < self.to)
    }

    fn month_hours(&self) -> i64 {
        let first = month_start(first_of_month(self.from.date_naive()));
        (month_start(first_of_month(self.from.date_naive()) + Months::new(1)) - first).num_hours()
    }
}

/// The units of `usage_type` billed for `window`. A count bills its sum.
/// A gauge bills its monthly average of hourly values; a part of a month
/// bills its share of that (the sum of its hours over the month's hours),
/// so the parts of a month add up to the month.
#[cfg(test)]
fn billed_units(
    seed: u64,
    public_id: &str,
    family: &str,
    usage_type: &UsageType,
    window: &Window,
) -> f64 {
    let series = series(seed, public_id, family, usage_type);
    units_of(usage_type, &series, &mut None, window)
}

/// [`billed_units`] of `series`, the series of `usage_type`, read through
/// `hourly` (made ready once for every window of a report).
fn units_of(
    usage_type: &UsageType,
    series: &Series,
    hourly: &mut Option<Hourly>,
    window: &Window,
) -> f64 {
    let sum = series
        .counts_with(hourly, hour_index(window.from), hour_index(window.to))
        .sum;
    match usage_type.aggregation {
        Aggregation::Count => sum as f64,
        Aggregation::Gauge => sum as f64 / window.month_hours() as f64,
    }
}

/// The share of a product's cost an org has committed to: its own, drawn
/// once from the hash, between 50% and 90%.
fn committed_share(seed: u64, public_id: &str, family: &str) -> f64 {
    0.5 + 0.4
        * unit_interval(hash(&[
            seed,
            fnv1a(public_id),
            fnv1a(family),
            fnv1a("committed"),
        ]))
}

/// An org's charges for `window`: per current product family (the
/// deprecated are billed under their successor) in catalog order, its
/// committed then its on-demand part.
#[cfg(test)]
fn org_charges(seed: u64, prices: PriceList, org: &DatadogOrg, window: &Window) -> Vec<Charge> {
    org_charges_by_window(seed, prices, org, std::slice::from_ref(window))
        .pop()
        .expect("one window")
}

/// [`org_charges`] for each of `windows`, each series made ready once.
fn org_charges_by_window(
    seed: u64,
    prices: PriceList,
    org: &DatadogOrg,
    windows: &[Window],
) -> Vec<Vec<Charge>> {
    let mut by_window: Vec<Vec<Charge>> = vec![Vec::new(); windows.len()];
    for family in current_families() {
        // Per usage type of the family: its price and its units per window.
        let priced: Vec<(f64, Vec<f64>)> = family
            .usage_types
            .iter()
            .map(|u| {
                let series = series(seed, &org.public_id, family.name, u);
                let mut hourly = None;
                let units = windows
                    .iter()
                    .map(|window| units_of(u, &series, &mut hourly, window))
                    .collect();
                (prices.price(family.name, u.name), units)
            })
            .collect();
        let share = committed_share(seed, &org.public_id, family.name);
        for (w, charges) in by_window.iter_mut().enumerate() {
            let dollars: f64 = priced.iter().map(|(price, units)| units[w] * price).sum();
            let cents = (dollars * 100.0).round() as i64;
            let committed = (cents as f64 * share).floor() as i64;
            charges.extend(
                [
                    (ChargeType::Committed, committed),
                    (ChargeType::OnDemand, cents - committed),
                ]
                .map(|(charge_type, cents)| Charge {
                    product_name: family.name,
                    charge_type,
                    cents,
                }),
            );
        }
    }
    by_window
}

/// `view`: the account's cost as one row, or one row per org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Summary,
    SubOrg,
}

/// One `cost_by_org` row: an org's (or with [`View::Summary`] the whole
/// account's) cost of a month or, for `estimated_cost` by date, a day.
#[derive(Debug, Clone)]
pub struct CostRecord<'a> {
    /// The start of the month (or day).
    pub date: DateTime<Utc>,
    pub org: &'a DatadogOrg,
    /// The parent org the org bills through (itself for a parent).
    pub account: &'a DatadogOrg,
    pub charges: Vec<Charge>,
}

impl CostRecord<'_> {
    pub fn total_cents(&self) -> i64 {
        self.charges.iter().map(|c| c.cents).sum()
    }

    /// Stable for the same org, date and view.
    pub fn id(&self, view: View) -> String {
        let view = match view {
            View::Summary => "summary",
            View::SubOrg => "sub-org",
        };
        format!(
            "{:016x}",
            hash(&[
                fnv1a(&self.org.public_id),
                self.date.timestamp() as u64,
                fnv1a(view)
            ])
        )
    }
}

/// The parameters of `GET /api/v2/usage/historical_cost`.
#[derive(Debug, Clone)]
pub struct HistoricalQuery {
    pub start_month: NaiveDate,
    /// The latest available month when absent.
    pub end_month: Option<NaiveDate>,
    pub view: View,
}

/// A month's cost is final, and served, from the 16th of the next month.
const FINAL_ON_DAY: u32 = 16;

/// Whether the cost of the month starting on `month` is known at `now`.
pub fn month_is_final(month: NaiveDate, now: DateTime<Utc>) -> bool {
    let next = first_of_month(month) + Months::new(1);
    let final_on = next.with_day(FINAL_ON_DAY).expect("every month has a 16th");
    month_start(final_on) <= now
}

/// Final monthly costs from `start_month` to `end_month`; months whose cost
/// is not final yet are left out (the doc promises them by the 16th of the
/// next month, and says nothing of refusing to be asked early).
pub fn historical<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    query: &HistoricalQuery,
) -> EngineResult<Vec<CostRecord<'a>>> {
    let oldest = oldest_start(now);
    if month_start(query.start_month) < oldest {
        return Err(bad_request(format!(
            "Invalid parameter start_month: cost is kept for 15 months, the oldest start_month is {}",
            oldest.format("%Y-%m")
        )));
    }
    if let Some(end) = query.end_month
        && end < query.start_month
    {
        return Err(bad_request(
            "Invalid parameter end_month: it must not be before start_month",
        ));
    }
    let mut windows = Vec::new();
    let mut month = first_of_month(query.start_month);
    while query.end_month.is_none_or(|end| month <= end) && month_is_final(month, now) {
        let next = month + Months::new(1);
        windows.push(Window {
            from: month_start(month),
            to: month_start(next),
        });
        month = next;
    }
    Ok(report(state, seed, caller, &windows, query.view))
}

/// Where `estimated_cost` starts: a month gives monthly rows, a day daily ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(NaiveDate),
    Day(NaiveDate),
}

/// The parameters of `GET /api/v2/usage/estimated_cost`.
#[derive(Debug, Clone)]
pub struct EstimatedQuery {
    pub start: Period,
    /// Inclusive, of the same kind as `start`; up to now when absent.
    pub end: Option<NaiveDate>,
    pub view: View,
}

/// Month-to-date costs of the current and previous month, from the hours
/// with data (up to 72 hours behind the clock).
pub fn estimated<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    query: &EstimatedQuery,
) -> EngineResult<Vec<CostRecord<'a>>> {
    let (name, start, daily) = match query.start {
        Period::Month(month) => ("start_month", first_of_month(month), false),
        Period::Day(day) => ("start_date", day, true),
    };
    let this_month = first_of_month(now.date_naive());
    let previous_month = this_month - Months::new(1);
    if start < previous_month {
        return Err(bad_request(format!(
            "Invalid parameter {name}: estimated cost covers the current and previous month only, the earliest is {}",
            previous_month.format(if daily { "%Y-%m-%d" } else { "%Y-%m" })
        )));
    }
    if start > now.date_naive() {
        return Err(bad_request(format!(
            "Invalid parameter {name}: it must not be in the future"
        )));
    }
    let end_name = if daily { "end_date" } else { "end_month" };
    // Exclusive end of the requested range.
    let requested_end = match query.end {
        Some(end) if end < start => {
            return Err(bad_request(format!(
                "Invalid parameter {end_name}: it must not be before {name}"
            )));
        }
        Some(end) if daily => month_start(end + Duration::days(1)),
        Some(end) => month_start(first_of_month(end) + Months::new(1)),
        None => now,
    };
    let data_stop = last_hour_with_data(now) + Duration::hours(1);
    let stop = requested_end.min(data_stop);

    let mut windows = Vec::new();
    let mut from = month_start(start);
    while from < stop {
        let day = from.date_naive();
        let next = if daily {
            day + Duration::days(1)
        } else {
            first_of_month(day) + Months::new(1)
        };
        let to = month_start(next).min(stop);
        windows.push(Window { from, to });
        from = month_start(next);
    }
    Ok(report(state, seed, caller, &windows, query.view))
}

/// The rows for `windows`, in date order; with [`View::SubOrg`] the caller's
/// org then its child orgs for each date.
fn report<'a>(
    state: &'a DatadogState,
    seed: u64,
    caller: DatadogCaller,
    windows: &[Window],
    view: View,
) -> Vec<CostRecord<'a>> {
    let prices = PriceList::new(&state.prices);
    let caller_org = state.org(caller);
    let account_of = |org: &'a DatadogOrg| org.parent.map_or(org, |parent| &state.orgs[parent]);
    let orgs = state.orgs_in_scope(caller, true);
    // Per org, its charges of every window; then rows window by window.
    let mut charges: Vec<std::vec::IntoIter<Vec<Charge>>> = orgs
        .iter()
        .map(|org| org_charges_by_window(seed, prices, org, windows).into_iter())
        .collect();
    let mut records = Vec::new();
    for window in windows {
        let per_org: Vec<CostRecord<'a>> = orgs
            .iter()
            .zip(charges.iter_mut())
            .map(|(&org, charges)| CostRecord {
                date: window.from,
                org,
                account: account_of(org),
                charges: charges.next().expect("a row per window"),
            })
            .collect();
        match view {
            View::SubOrg => records.extend(per_org),
            View::Summary => {
                let mut charges = per_org[0].charges.clone();
                for record in &per_org[1..] {
                    for (sum, charge) in charges.iter_mut().zip(&record.charges) {
                        sum.cents += charge.cents;
                    }
                }
                records.push(CostRecord {
                    date: window.from,
                    org: caller_org,
                    account: account_of(caller_org),
                    charges,
                });
            }
        }
    }
    records
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn month_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::datadog::usage::hourly;

    fn org(public_id: &str) -> DatadogOrg {
        DatadogOrg {
            name: public_id.to_string(),
            public_id: public_id.to_string(),
            parent: None,
            region: "us".to_string(),
            billing_plan: "Pro".to_string(),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn month(text: &str) -> Window {
        let from = at(text);
        let to = month_start(from.date_naive() + Months::new(1));
        Window { from, to }
    }

    fn cents_of(charges: &[Charge], product: &str) -> i64 {
        charges
            .iter()
            .filter(|c| c.product_name == product)
            .map(|c| c.cents)
            .sum()
    }

    #[test]
    fn every_usage_type_has_a_list_price() {
        for family in PRODUCT_FAMILIES {
            for usage_type in family.usage_types {
                assert!(
                    LIST_PRICES
                        .iter()
                        .any(|(f, u, _)| *f == family.name && *u == usage_type.name),
                    "{}.{}",
                    family.name,
                    usage_type.name
                );
            }
        }
        for (family, usage_type, _) in LIST_PRICES {
            assert!(check_price(&format!("{family}.{usage_type}"), 1.0).is_ok());
        }
    }

    #[test]
    fn scenario_prices_override_the_most_specific_first() {
        let overrides: BTreeMap<String, f64> = [
            ("infra_hosts.host_count".to_string(), 1.0),
            ("infra_hosts".to_string(), 2.0),
            ("host_count".to_string(), 3.0),
        ]
        .into();
        let prices = PriceList::new(&overrides);
        assert_eq!(prices.price("infra_hosts", "host_count"), 1.0);
        assert_eq!(prices.price("infra_hosts", "apm_host_count"), 2.0);
        assert_eq!(prices.price("cspm", "host_count"), 3.0);
        assert_eq!(prices.price("cspm", "aws_host_count"), 7.5);
    }

    #[test]
    fn bad_price_keys_and_values_are_refused() {
        assert!(check_price("infra_hosts", 18.0).is_ok());
        assert!(check_price("host_count", 18.0).is_ok());
        assert!(check_price("cspm.host_count", 0.0).is_ok());
        assert!(check_price("cspm.func_count", 1.0).is_err());
        assert!(check_price("nonsense", 1.0).is_err());
        assert!(check_price("infra_hosts", -1.0).is_err());
        assert!(check_price("infra_hosts", f64::NAN).is_err());
    }

    #[test]
    fn cost_is_monthly_usage_times_price() {
        let window = month("2026-03-01T00:00:00Z");
        let family = crate::vendors::datadog::usage::product_family("network_hosts").unwrap();
        let host_count = &family.usage_types[0];
        let hours: Vec<i64> = window
            .hours()
            .map(|h| hourly(5, "o1", "network_hosts", host_count, h))
            .collect();
        assert_eq!(hours.len(), 31 * 24);
        // A gauge bills its monthly average of hourly values.
        let average = hours.iter().sum::<i64>() as f64 / hours.len() as f64;
        let overrides: BTreeMap<String, f64> = [("network_hosts".to_string(), 10.0)].into();
        let charges = org_charges(5, PriceList::new(&overrides), &org("o1"), &window);
        assert_eq!(
            cents_of(&charges, "network_hosts"),
            (average * 10.0 * 100.0).round() as i64
        );

        // A count bills its sum.
        let family = crate::vendors::datadog::usage::product_family("synthetics_api").unwrap();
        let calls: i64 = window
            .hours()
            .map(|h| hourly(5, "o1", "synthetics_api", &family.usage_types[0], h))
            .sum();
        let overrides: BTreeMap<String, f64> = [("synthetics_api".to_string(), 0.001)].into();
        let charges = org_charges(5, PriceList::new(&overrides), &org("o1"), &window);
        assert_eq!(
            cents_of(&charges, "synthetics_api"),
            (calls as f64 * 0.001 * 100.0).round() as i64
        );
    }

    #[test]
    fn every_family_costs_its_usage_times_its_list_prices() {
        let window = month("2026-04-01T00:00:00Z");
        let empty = BTreeMap::new();
        let charges = org_charges(2, PriceList::new(&empty), &org("o2"), &window);
        let month_hours = 30.0 * 24.0;
        for family in current_families() {
            let dollars: f64 = family
                .usage_types
                .iter()
                .map(|u| {
                    let sum: i64 = window
                        .hours()
                        .map(|h| hourly(2, "o2", family.name, u, h))
                        .sum();
                    let units = match u.aggregation {
                        Aggregation::Count => sum as f64,
                        Aggregation::Gauge => sum as f64 / month_hours,
                    };
                    units * list_price(family.name, u.name)
                })
                .sum();
            assert_eq!(
                cents_of(&charges, family.name),
                (dollars * 100.0).round() as i64,
                "{}",
                family.name
            );
            assert!(dollars > 0.0, "{} costs nothing", family.name);
        }
        assert!(charges.iter().all(|c| c.product_name != "audit_logs"));
    }

    #[test]
    fn memoised_usage_equals_hour_by_hour_for_every_usage_type() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let now = at("2028-03-20T00:00:00Z");
        let oldest = oldest_start(now);
        let windows = [
            // A leap February; its last two days; a day at a year's end.
            month("2028-02-01T00:00:00Z"),
            Window {
                from: at("2028-02-28T05:00:00Z"),
                to: at("2028-03-01T00:00:00Z"),
            },
            Window {
                from: at("2027-12-31T00:00:00Z"),
                to: at("2028-01-01T00:00:00Z"),
            },
            // The oldest month cost is kept for.
            Window {
                from: oldest,
                to: month_start(first_of_month(oldest.date_naive()) + Months::new(1)),
            },
        ];
        // Twice: computed, then served from the memo.
        for _ in 0..2 {
            for family in PRODUCT_FAMILIES {
                for usage_type in family.usage_types {
                    for window in &windows {
                        let sum: i64 = window
                            .hours()
                            .map(|h| hourly(8, "o8", family.name, usage_type, h))
                            .sum();
                        let expected = match usage_type.aggregation {
                            Aggregation::Count => sum as f64,
                            Aggregation::Gauge => sum as f64 / window.month_hours() as f64,
                        };
                        let billed = billed_units(8, "o8", family.name, usage_type, window);
                        assert_eq!(billed.to_bits(), expected.to_bits(), "{}", usage_type.name);
                    }
                }
            }
        }
    }

    #[test]
    fn committed_and_on_demand_add_up_to_the_product() {
        let empty = BTreeMap::new();
        let charges = org_charges(
            1,
            PriceList::new(&empty),
            &org("o1"),
            &month("2026-03-01T00:00:00Z"),
        );
        assert_eq!(charges.len(), 2 * current_families().count());
        let infra = cents_of(&charges, "infra_hosts");
        let committed = charges
            .iter()
            .find(|c| c.product_name == "infra_hosts" && c.charge_type == ChargeType::Committed)
            .unwrap()
            .cents;
        assert!(committed >= infra / 2 && committed <= infra * 9 / 10 + 1);
        assert!(charges.iter().all(|c| c.cents >= 0));
    }

    #[test]
    fn the_days_of_a_month_add_up_to_the_month() {
        let empty = BTreeMap::new();
        let prices = PriceList::new(&empty);
        let whole = org_charges(3, prices, &org("o1"), &month("2026-02-01T00:00:00Z"));
        let mut days = vec![0i64; whole.len()];
        for d in 0..28 {
            let from = at("2026-02-01T00:00:00Z") + Duration::days(d);
            let window = Window {
                from,
                to: from + Duration::days(1),
            };
            for (sum, c) in days
                .iter_mut()
                .zip(org_charges(3, prices, &org("o1"), &window))
            {
                *sum += c.cents;
            }
        }
        let total_whole: i64 = whole.iter().map(|c| c.cents).sum();
        let total_days: i64 = days.iter().sum();
        // Each day's charges are rounded to the cent on their own.
        assert!((total_whole - total_days).abs() <= whole.len() as i64 * 28);
        assert!(total_whole > 0);
    }

    #[test]
    fn a_month_is_final_on_the_16th_of_the_next() {
        let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(!month_is_final(march, at("2026-04-15T23:59:59Z")));
        assert!(month_is_final(march, at("2026-04-16T00:00:00Z")));
        let december = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        assert!(month_is_final(december, at("2026-01-16T00:00:00Z")));
    }
}
