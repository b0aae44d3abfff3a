//! Synthetic usage: the one generator every usage figure comes from.
//!
//! A figure is a pure function of (seed, org, stack, dimension, day), built
//! from a hash rather than a random stream, so it does not depend on the
//! order in which anything was asked for: the same seed gives the same
//! numbers, run after run. Each stack gets a size (log-uniform between a
//! small and a large customer), then each day varies around it with a
//! weekday/weekend pattern, slow growth and a little noise.

pub mod billing;

use crate::core::hash::log_uniform;
pub use crate::core::hash::{fnv1a, hash, unit_interval};

use chrono::{Datelike, NaiveDate, Weekday};

/// A billed usage dimension, named by Grafana's `dimensionId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    /// `hg`: Grafana users.
    Users,
    /// `hl`: hosted logs, GB ingested.
    Logs,
    /// `hm`: hosted metrics, billable series.
    Metrics,
    /// `ht`: hosted traces, GB ingested.
    Traces,
}

impl Dimension {
    /// In `dimensionId` order.
    pub const ALL: [Dimension; 4] = [
        Dimension::Users,
        Dimension::Logs,
        Dimension::Metrics,
        Dimension::Traces,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Dimension::Users => "hg",
            Dimension::Logs => "hl",
            Dimension::Metrics => "hm",
            Dimension::Traces => "ht",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Users => "Grafana Users",
            Dimension::Logs => "Logs",
            Dimension::Metrics => "Metrics",
            Dimension::Traces => "Traces",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Dimension::Users => "user",
            Dimension::Logs | Dimension::Traces => "GB",
            Dimension::Metrics => "series",
        }
    }
}

/// Who a figure belongs to: the hash key, less the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageKey {
    pub seed: u64,
    pub org_id: u64,
    pub stack_id: u64,
    pub dimension: Dimension,
}

/// One day of one stack's usage in one dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyUsage {
    /// GB ingested (logs, traces), active series (metrics) or active users.
    pub value: f64,
}

/// A stack's usage over a whole calendar month, as if it lived all month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MonthlyUsage {
    Logs { ingest_gb: f64, query_gb: f64 },
    Metrics { active_series: u64, dpm: u64 },
    Users { grafana: u64, on_call: u64 },
    Traces { ingest_gb: f64 },
}

impl MonthlyUsage {
    /// The billable amount, in the dimension's unit.
    pub fn billable(&self) -> f64 {
        match *self {
            MonthlyUsage::Logs { ingest_gb, .. } => ingest_gb,
            // Billed on whichever is larger: series, or DPM over the 1 DPM
            // included per series.
            MonthlyUsage::Metrics { active_series, dpm } => active_series.max(dpm) as f64,
            MonthlyUsage::Users { grafana, on_call } => (grafana + on_call) as f64,
            MonthlyUsage::Traces { ingest_gb } => ingest_gb,
        }
    }
}

/// Hash salts for a stack's constant traits, apart from day-by-day values.
mod salt {
    pub const SIZE: u64 = 1;
    pub const QUERY_FACTOR: u64 = 2;
    pub const DPM_FACTOR: u64 = 3;
    pub const ON_CALL: u64 = 4;
    pub const DAY: u64 = 5;
    pub const ID: u64 = 6;
}

/// The day growth is counted from.
const EPOCH: (i32, u32, u32) = (2020, 1, 1);
/// Relative growth per day: about 15% a year.
const DAILY_GROWTH: f64 = 0.0004;

/// A ten-digit id, stable for the same parts (Grafana's billing ids look so).
pub fn billing_id(parts: &[u64]) -> u64 {
    1_000_000_000 + hash(&[&[salt::ID], parts].concat()) % 9_000_000_000
}

impl UsageKey {
    fn hash(&self, salt: u64, extra: u64) -> u64 {
        hash(&[
            self.seed,
            self.org_id,
            self.stack_id,
            fnv1a(self.dimension.id()),
            salt,
            extra,
        ])
    }

    /// The stack's typical day in this dimension.
    fn size(&self) -> f64 {
        let h = self.hash(salt::SIZE, 0);
        match self.dimension {
            Dimension::Logs => log_uniform(h, 0.5, 20.0),
            Dimension::Metrics => log_uniform(h, 2_000.0, 80_000.0),
            Dimension::Users => log_uniform(h, 2.0, 25.0),
            Dimension::Traces => log_uniform(h, 0.2, 10.0),
        }
    }

    /// How much lower a weekend day runs than a weekday.
    fn weekend_factor(&self) -> f64 {
        match self.dimension {
            Dimension::Logs | Dimension::Traces => 0.6,
            // Series stay registered over the weekend; people go home.
            Dimension::Metrics => 0.9,
            Dimension::Users => 0.35,
        }
    }

    pub fn daily(&self, day: NaiveDate) -> DailyUsage {
        let epoch = NaiveDate::from_ymd_opt(EPOCH.0, EPOCH.1, EPOCH.2).expect("valid date");
        let age = (day - epoch).num_days().max(0) as f64;
        let weekday = match day.weekday() {
            Weekday::Sat | Weekday::Sun => self.weekend_factor(),
            _ => 1.0,
        };
        let noise = 0.9 + 0.2 * unit_interval(self.hash(salt::DAY, day.num_days_from_ce() as u64));
        DailyUsage {
            value: self.size() * (1.0 + DAILY_GROWTH * age) * weekday * noise,
        }
    }

    /// The whole calendar month, every day of it.
    pub fn monthly(&self, year: i32, month: u32) -> MonthlyUsage {
        let days: Vec<f64> = days_of_month(year, month)
            .map(|day| self.daily(day).value)
            .collect();
        let sum: f64 = days.iter().sum();
        let max = days.iter().copied().fold(0.0, f64::max);
        let mean = sum / days.len() as f64;
        match self.dimension {
            Dimension::Logs => {
                let query_factor = 2.0 + 6.0 * unit_interval(self.hash(salt::QUERY_FACTOR, 0));
                MonthlyUsage::Logs {
                    ingest_gb: sum,
                    query_gb: sum * query_factor,
                }
            }
            Dimension::Metrics => {
                let dpm_factor = 0.8 + 2.2 * unit_interval(self.hash(salt::DPM_FACTOR, 0));
                MonthlyUsage::Metrics {
                    active_series: mean.round() as u64,
                    dpm: (mean * dpm_factor).round() as u64,
                }
            }
            Dimension::Users => MonthlyUsage::Users {
                grafana: max.round().max(1.0) as u64,
                on_call: self.hash(salt::ON_CALL, 0) % 4,
            },
            Dimension::Traces => MonthlyUsage::Traces { ingest_gb: sum },
        }
    }
}

/// Every day of a calendar month.
pub fn days_of_month(year: i32, month: u32) -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    first
        .iter_days()
        .take_while(move |day| day.month() == month)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u64, dimension: Dimension) -> UsageKey {
        UsageKey {
            seed,
            org_id: 1,
            stack_id: 100_001,
            dimension,
        }
    }

    #[test]
    fn same_inputs_same_usage() {
        let k = key(7, Dimension::Logs);
        assert_eq!(k.monthly(2024, 9), key(7, Dimension::Logs).monthly(2024, 9));
        assert_ne!(k.monthly(2024, 9), key(8, Dimension::Logs).monthly(2024, 9));
    }

    #[test]
    fn weekends_run_lower_than_weekdays() {
        let k = key(1, Dimension::Logs);
        let (mut weekday, mut weekend) = (Vec::new(), Vec::new());
        for day in days_of_month(2024, 9) {
            match day.weekday() {
                Weekday::Sat | Weekday::Sun => weekend.push(k.daily(day).value),
                _ => weekday.push(k.daily(day).value),
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&weekend) < 0.8 * mean(&weekday));
    }

    #[test]
    fn usage_grows_slowly() {
        let k = key(1, Dimension::Metrics);
        let series = |year| match k.monthly(year, 3) {
            MonthlyUsage::Metrics { active_series, .. } => active_series as f64,
            other => panic!("{other:?}"),
        };
        let growth = series(2025) / series(2024);
        assert!((1.05..1.3).contains(&growth), "growth {growth}");
    }

    #[test]
    fn months_have_their_days() {
        assert_eq!(days_of_month(2024, 2).count(), 29);
        assert_eq!(days_of_month(2024, 9).count(), 30);
        assert_eq!(days_of_month(2024, 12).count(), 31);
    }
}
