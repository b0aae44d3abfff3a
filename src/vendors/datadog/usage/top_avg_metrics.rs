//! `top_avg_metrics`: an org's metrics and how many timeseries each had per
//! hour, on average and at most, over a month (to date) or a day.
//!
//! The metric names are a population drawn once per org from the seed;
//! each metric's hourly timeseries count is a [`Series`] of its own. The
//! records are ordered by average descending (then name) and numbered from
//! 1, and `next_record_id` is the project's one cursor over that numbering.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};

use crate::core::cursor::Cursor;
use crate::core::hash::{fnv1a, hash};
use crate::core::series::{Profile, Series, hour_index};
use crate::vendors::datadog::usage::attribution::report::last_hour_with_data;

/// Most metrics have a handful of timeseries; a few have thousands.
const TIMESERIES: Profile = Profile {
    size: (1.0, 20_000.0),
    daily_swing: 0.2,
    weekend: 0.85,
    monthly_growth: 0.02,
    noise: 0.1,
};

/// Metrics per org: between these, drawn from the seed.
const POPULATION: (u64, u64) = (250, 450);

pub const DEFAULT_LIMIT: u64 = 500;
pub const MAX_LIMIT: u64 = 5_000;

/// `metric_category` (`UsageMetricCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricCategory {
    /// Sent by an integration, under its namespace.
    Standard,
    Custom,
}

impl MetricCategory {
    pub fn name(self) -> &'static str {
        match self {
            MetricCategory::Standard => "standard",
            MetricCategory::Custom => "custom",
        }
    }
}

/// Integration namespaces: their metrics are `standard`.
const INTEGRATIONS: &[&str] = &["aws", "kubernetes", "postgresql", "redis", "nginx"];
/// Application namespaces: their metrics are `custom`.
const APPLICATIONS: &[&str] = &[
    "checkout",
    "payments",
    "search",
    "billing",
    "auth",
    "catalog",
    "shipping",
    "api",
    "web",
    "worker",
    "queue",
    "cache",
    "inventory",
    "orders",
    "notifications",
];
const SUBJECTS: &[&str] = &[
    "requests",
    "errors",
    "latency",
    "jobs",
    "sessions",
    "messages",
    "db.queries",
    "http.calls",
    "items",
    "retries",
    "connections",
    "events",
];
const MEASURES: &[&str] = &[
    "count", "duration", "p95", "p99", "bytes", "active", "failed", "queued", "rate", "size",
];

/// One metric of an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub category: MetricCategory,
}

/// The org's metrics, drawn from the seed: the same every time.
pub fn metrics(seed: u64, public_id: &str) -> Vec<Metric> {
    let key = hash(&[seed, fnv1a(public_id), fnv1a("top_avg_metrics")]);
    let (low, high) = POPULATION;
    let wanted = low + key % (high - low);
    let mut metrics: Vec<Metric> = Vec::new();
    let mut draw = 0u64;
    while (metrics.len() as u64) < wanted {
        draw += 1;
        let h = hash(&[key, draw]);
        let pick =
            |list: &[&'static str], shift: u32| list[((h >> shift) % list.len() as u64) as usize];
        // One metric in ten comes from an integration.
        let (namespace, category) = if (h >> 56).is_multiple_of(10) {
            (pick(INTEGRATIONS, 0), MetricCategory::Standard)
        } else {
            (pick(APPLICATIONS, 0), MetricCategory::Custom)
        };
        let name = format!("{namespace}.{}.{}", pick(SUBJECTS, 16), pick(MEASURES, 32));
        if metrics.iter().all(|m| m.name != name) {
            metrics.push(Metric { name, category });
        } else if draw > wanted * 20 {
            // Every combination taken: the population is as large as it gets.
            break;
        }
    }
    metrics
}

/// What to report on: a month (to date) or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(NaiveDate),
    Day(NaiveDate),
}

#[derive(Debug, Clone)]
pub struct TopAvgMetricsQuery {
    pub period: Period,
    /// Only these metrics, when given.
    pub names: Option<Vec<String>>,
    pub limit: u64,
    pub cursor: Cursor,
}

/// One metric's timeseries per hour over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopAvgMetric {
    pub name: String,
    pub category: MetricCategory,
    pub avg_metric_hour: i64,
    pub max_metric_hour: i64,
}

#[derive(Debug, Clone)]
pub struct TopAvgMetricsPage {
    pub records: Vec<TopAvgMetric>,
    pub next: Option<Cursor>,
    /// Records of the whole query, every page.
    pub total: u64,
}

/// A page of the org's metrics by hourly average, largest first. Hours
/// after the latest with data (72 hours behind `now`) count for nothing; a
/// period without any has no records.
pub fn top_avg_metrics(
    seed: u64,
    public_id: &str,
    now: DateTime<Utc>,
    query: &TopAvgMetricsQuery,
) -> TopAvgMetricsPage {
    let (from, to) = match query.period {
        Period::Month(month) => (month, month + Months::new(1)),
        Period::Day(day) => (day, day + Duration::days(1)),
    };
    let from = hour_index(midnight(from));
    let to = hour_index(midnight(to).min(last_hour_with_data(now) + Duration::hours(1)));

    let mut records: Vec<TopAvgMetric> = if to <= from {
        Vec::new()
    } else {
        metrics(seed, public_id)
            .into_iter()
            .filter(|m| {
                query
                    .names
                    .as_ref()
                    .is_none_or(|names| names.contains(&m.name))
            })
            .map(|metric| {
                let series = Series::new(
                    seed,
                    &[public_id, "top_avg_metrics", &metric.name],
                    TIMESERIES,
                );
                let counts = series.counts(from, to);
                TopAvgMetric {
                    avg_metric_hour: (counts.sum as f64 / counts.hours as f64).round() as i64,
                    max_metric_hour: counts.max,
                    name: metric.name,
                    category: metric.category,
                }
            })
            .collect()
    };
    records.sort_by(|a, b| {
        b.avg_metric_hour
            .cmp(&a.avg_metric_hour)
            .then_with(|| a.name.cmp(&b.name))
    });

    let total = records.len() as u64;
    // Records are numbered from 1; the cursor is the last number shown.
    let first = query.cursor.start_seq();
    let last = first.saturating_add(query.limit - 1).min(total);
    let page: Vec<TopAvgMetric> = records
        .into_iter()
        .skip((first - 1) as usize)
        .take(query.limit as usize)
        .collect();
    TopAvgMetricsPage {
        next: (last < total).then(|| Cursor::after(last)),
        records: page,
        total,
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-06-20T12:00:00Z".parse().unwrap()
    }

    fn query(limit: u64, cursor: Cursor) -> TopAvgMetricsQuery {
        TopAvgMetricsQuery {
            period: Period::Month(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()),
            names: None,
            limit,
            cursor,
        }
    }

    #[test]
    fn the_population_is_fixed_by_the_seed_and_unique() {
        let a = metrics(1, "org");
        assert_eq!(a, metrics(1, "org"));
        assert_ne!(a, metrics(2, "org"));
        assert!(a.len() >= POPULATION.0 as usize, "{}", a.len());
        for (i, m) in a.iter().enumerate() {
            assert!(a[..i].iter().all(|o| o.name != m.name), "{} twice", m.name);
        }
        assert!(a.iter().any(|m| m.category == MetricCategory::Standard));
    }

    #[test]
    fn pages_walk_every_record_once_largest_first() {
        let all = top_avg_metrics(1, "org", now(), &query(MAX_LIMIT, Cursor::first_page()));
        assert!(all.next.is_none());
        assert_eq!(all.total, all.records.len() as u64);
        assert!(
            all.records
                .windows(2)
                .all(|w| w[0].avg_metric_hour >= w[1].avg_metric_hour)
        );
        assert!(
            all.records
                .iter()
                .all(|r| r.max_metric_hour >= r.avg_metric_hour)
        );

        let mut walked = Vec::new();
        let mut cursor = Cursor::first_page();
        loop {
            let page = top_avg_metrics(1, "org", now(), &query(37, cursor));
            assert_eq!(page.total, all.total);
            walked.extend(page.records);
            match page.next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        assert_eq!(walked, all.records);
    }

    #[test]
    fn averages_and_maxima_equal_the_hour_by_hour_ones() {
        // A leap February whole, then while its data still comes in; a day.
        let leap = Period::Month(NaiveDate::from_ymd_opt(2028, 2, 1).unwrap());
        let day = Period::Day(NaiveDate::from_ymd_opt(2028, 2, 29).unwrap());
        let cases = [
            ("2028-03-10T00:00:00Z", leap),
            ("2028-02-27T03:00:00Z", leap),
            ("2028-03-10T00:00:00Z", day),
        ];
        // Twice: computed, then served from the memo.
        for (now, period) in cases.iter().chain(cases.iter()) {
            let now: DateTime<Utc> = now.parse().unwrap();
            let mut q = query(MAX_LIMIT, Cursor::first_page());
            q.period = *period;
            let page = top_avg_metrics(4, "org", now, &q);
            let (first, end) = match period {
                Period::Month(m) => (midnight(*m), midnight(*m + Months::new(1))),
                Period::Day(d) => (midnight(*d), midnight(*d + Duration::days(1))),
            };
            let end = end.min(last_hour_with_data(now) + Duration::hours(1));
            assert!(!page.records.is_empty());
            for record in &page.records {
                let series = Series::new(4, &["org", "top_avg_metrics", &record.name], TIMESERIES);
                let counts: Vec<i64> =
                    std::iter::successors(Some(first), |h| Some(*h + Duration::hours(1)))
                        .take_while(|h| *h < end)
                        .map(|h| series.count_at(h))
                        .collect();
                let average = counts.iter().sum::<i64>() as f64 / counts.len() as f64;
                assert_eq!(
                    record.avg_metric_hour,
                    average.round() as i64,
                    "{}",
                    record.name
                );
                assert_eq!(record.max_metric_hour, *counts.iter().max().unwrap());
            }
        }
    }

    #[test]
    fn a_period_without_data_has_no_records() {
        let mut q = query(10, Cursor::first_page());
        q.period = Period::Day(NaiveDate::from_ymd_opt(2026, 6, 19).unwrap());
        let page = top_avg_metrics(1, "org", now(), &q);
        assert!(page.records.is_empty());
        assert_eq!(page.total, 0);
    }
}
