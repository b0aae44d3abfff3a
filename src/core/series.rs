//! Hourly usage of any metered quantity (hosts, GB ingested, sessions …):
//! a pure function of (seed, series, hour). A series has a size drawn once
//! from its hash; each hour varies around it with a daily cycle, a
//! weekday/weekend difference, slow growth and noise.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};

use super::hash::{fnv1a, hash, log_uniform, unit_interval};

/// How a quantity behaves over time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// The smallest and largest typical hourly value a series may get.
    pub size: (f64, f64),
    /// 0 for a flat line (hosts that never sleep); 0.5 when the quietest
    /// hour is half the busiest.
    pub daily_swing: f64,
    /// A weekend hour relative to a weekday hour.
    pub weekend: f64,
    /// Relative growth per 30 days.
    pub monthly_growth: f64,
    /// Relative hour-to-hour noise (0.1 = ±10%).
    pub noise: f64,
}

impl Profile {
    /// Things that stay up: hosts, containers, functions.
    pub const STEADY: Profile = Profile {
        size: (5.0, 400.0),
        daily_swing: 0.15,
        weekend: 0.9,
        monthly_growth: 0.01,
        noise: 0.05,
    };
    /// Sessions of real users (RUM): tens to thousands an hour.
    pub const SESSIONS: Profile = Profile {
        size: (20.0, 5_000.0),
        daily_swing: 0.7,
        weekend: 0.5,
        monthly_growth: 0.02,
        noise: 0.15,
    };
    /// Scheduled checks (synthetics): steady, tens to thousands an hour.
    pub const CHECKS: Profile = Profile {
        size: (20.0, 3_000.0),
        daily_swing: 0.0,
        weekend: 1.0,
        monthly_growth: 0.01,
        noise: 0.02,
    };
    /// Bytes ingested or scanned: 100 MB to 20 GB an hour.
    pub const BYTES: Profile = Profile {
        size: (1e8, 2e10),
        daily_swing: 0.5,
        weekend: 0.6,
        monthly_growth: 0.02,
        noise: 0.15,
    };
    /// Things people start now and then: workflow executions, AI
    /// investigations, mobile test runs. One to a couple of thousand an hour.
    pub const RUNS: Profile = Profile {
        size: (1.0, 2_000.0),
        daily_swing: 0.5,
        weekend: 0.6,
        monthly_growth: 0.03,
        noise: 0.2,
    };
    /// Events kept in storage (Flex Logs): millions to billions, growing
    /// slowly and barely moving from hour to hour.
    pub const STORED: Profile = Profile {
        size: (1e6, 5e9),
        daily_swing: 0.02,
        weekend: 1.0,
        monthly_growth: 0.02,
        noise: 0.01,
    };
    /// A handful of seats, slots or published apps: one to a few dozen.
    pub const SEATS: Profile = Profile {
        size: (1.0, 40.0),
        daily_swing: 0.0,
        weekend: 1.0,
        monthly_growth: 0.01,
        noise: 0.0,
    };
    /// Things people cause: requests, log lines, spans, events.
    pub const TRAFFIC: Profile = Profile {
        size: (1_000.0, 5_000_000.0),
        daily_swing: 0.6,
        weekend: 0.55,
        monthly_growth: 0.02,
        noise: 0.15,
    };
}

/// One metered series: whose, what, and how it behaves.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    key: u64,
    profile: Profile,
}

/// Growth is counted from this instant (2020-01-01T00:00:00Z).
const EPOCH_SECONDS: i64 = 1_577_836_800;
const HOURS_PER_30_DAYS: f64 = 720.0;

mod salt {
    pub const SIZE: u64 = 11;
    pub const PHASE: u64 = 12;
    pub const HOUR: u64 = 13;
}

impl Series {
    /// A series named by `parts` (org id, usage type, tag values …) under `seed`.
    pub fn new(seed: u64, parts: &[&str], profile: Profile) -> Self {
        let mut keys = vec![seed];
        keys.extend(parts.iter().map(|part| fnv1a(part)));
        Series {
            key: hash(&keys),
            profile,
        }
    }

    /// The series' typical hourly value.
    pub fn size(&self) -> f64 {
        let (low, high) = self.profile.size;
        log_uniform(hash(&[self.key, salt::SIZE]), low, high)
    }

    /// The value during the hour starting at `hour` (minutes are ignored).
    pub fn at(&self, hour: DateTime<Utc>) -> f64 {
        let p = &self.profile;
        let hours_since_epoch = ((hour.timestamp() - EPOCH_SECONDS) / 3600).max(0);
        // Each series peaks at its own hour of the day.
        let phase = unit_interval(hash(&[self.key, salt::PHASE])) * 24.0;
        let angle = (f64::from(hour.hour()) - phase) / 24.0 * std::f64::consts::TAU;
        let daily = 1.0 + p.daily_swing * angle.cos();
        let weekday = match hour.weekday() {
            Weekday::Sat | Weekday::Sun => p.weekend,
            _ => 1.0,
        };
        let growth = 1.0 + p.monthly_growth * hours_since_epoch as f64 / HOURS_PER_30_DAYS;
        let jitter = unit_interval(hash(&[self.key, salt::HOUR, hours_since_epoch as u64]));
        let noise = 1.0 + p.noise * (2.0 * jitter - 1.0);
        (self.size() * daily * weekday * growth * noise).max(0.0)
    }

    /// [`Series::at`] rounded, for quantities the vendor reports as integers.
    pub fn count_at(&self, hour: DateTime<Utc>) -> i64 {
        self.at(hour).round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_same_series_and_hour_give_the_same_value() {
        let a = Series::new(1, &["org", "infra_host_usage"], Profile::STEADY);
        let b = Series::new(1, &["org", "infra_host_usage"], Profile::STEADY);
        let at = hour("2026-03-04T10:00:00Z");
        assert_eq!(a.at(at), b.at(at));
        let other_seed = Series::new(2, &["org", "infra_host_usage"], Profile::STEADY);
        assert_ne!(a.at(at), other_seed.at(at));
    }

    #[test]
    fn weekends_run_lower_and_values_stay_positive() {
        let series = Series::new(7, &["org", "logs"], Profile::TRAFFIC);
        let weekday: f64 = (0..24)
            .map(|h| series.at(hour("2026-03-04T00:00:00Z") + chrono::Duration::hours(h)))
            .sum();
        let weekend: f64 = (0..24)
            .map(|h| series.at(hour("2026-03-07T00:00:00Z") + chrono::Duration::hours(h)))
            .sum();
        assert!(weekend < weekday, "{weekend} < {weekday}");
        assert!(weekend > 0.0);
    }
}
