//! Hourly usage of any metered quantity (hosts, GB ingested, sessions …):
//! a pure function of (seed, series, hour). A series has a size drawn once
//! from its hash; each hour varies around it with a daily cycle, a
//! weekday/weekend difference, slow growth and noise.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc};

use super::hash::{HASH_START, fnv1a, hash, hash_step, log_uniform, unit_interval};
use super::memo::Memo;

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
/// The same instant in hours since 1970.
const EPOCH_HOUR: i64 = EPOCH_SECONDS / 3600;
const HOURS_PER_30_DAYS: f64 = 720.0;

mod salt {
    pub const SIZE: u64 = 11;
    pub const PHASE: u64 = 12;
    pub const HOUR: u64 = 13;
}

/// The hour starting at (or containing) `at`, in hours since 1970.
pub fn hour_index(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600)
}

/// The instant hour `index` (hours since 1970) starts.
pub fn hour_start(index: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(index * 3600, 0).expect("an hour within chrono's range")
}

impl Series {
    /// A series named by `parts` (org id, usage type, tag values …) under `seed`.
    pub fn new(seed: u64, parts: &[&str], profile: Profile) -> Self {
        let key = parts.iter().fold(hash_step(HASH_START, seed), |h, part| {
            hash_step(h, fnv1a(part))
        });
        Series { key, profile }
    }

    /// The series' typical hourly value.
    pub fn size(&self) -> f64 {
        let (low, high) = self.profile.size;
        log_uniform(hash(&[self.key, salt::SIZE]), low, high)
    }

    /// The hour of the day (fractional) the series peaks at: its own.
    fn phase(&self) -> f64 {
        unit_interval(hash(&[self.key, salt::PHASE])) * 24.0
    }

    /// The daily cycle at `hour_of_day`, for a series peaking at `phase`.
    fn daily(&self, phase: f64, hour_of_day: i64) -> f64 {
        let angle = (hour_of_day as f64 - phase) / 24.0 * std::f64::consts::TAU;
        1.0 + self.profile.daily_swing * angle.cos()
    }

    /// The typical value of an hour on a weekday or a weekend day: size ×
    /// daily cycle × weekend factor, before growth and noise.
    fn level(&self, size: f64, daily: f64, weekend: bool) -> f64 {
        let weekday = if weekend { self.profile.weekend } else { 1.0 };
        size * daily * weekday
    }

    /// The hash every hour's noise is drawn from, all but the hour folded in.
    fn noise_key(&self) -> u64 {
        hash_step(hash_step(HASH_START, self.key), salt::HOUR)
    }

    /// The value during the hour starting at `hour` (minutes are ignored).
    pub fn at(&self, hour: DateTime<Utc>) -> f64 {
        let index = hour_index(hour);
        let (hour_of_day, weekend) = calendar(index);
        let level = self.level(self.size(), self.daily(self.phase(), hour_of_day), weekend);
        vary(&self.profile, self.noise_key(), level, index)
    }

    /// [`Series::at`] rounded, for quantities the vendor reports as integers.
    pub fn count_at(&self, hour: DateTime<Utc>) -> i64 {
        self.at(hour).round() as i64
    }

    /// The series made ready to read many hours.
    pub fn hourly(&self) -> Hourly {
        let (size, phase) = (self.size(), self.phase());
        let mut levels = [[0.0; 24]; 2];
        let [weekdays, weekends] = &mut levels;
        for (hour_of_day, (weekday, weekend)) in weekdays.iter_mut().zip(weekends).enumerate() {
            let daily = self.daily(phase, hour_of_day as i64);
            *weekday = self.level(size, daily, false);
            *weekend = self.level(size, daily, true);
        }
        Hourly {
            profile: self.profile,
            noise_key: self.noise_key(),
            levels,
        }
    }

    /// Everything the series' values depend on: a memo key.
    pub fn identity(&self) -> SeriesIdentity {
        SeriesIdentity {
            key: self.key,
            profile: self.profile.bits(),
        }
    }

    /// The sum and high-water mark of [`Series::count_at`] over the hours
    /// `[from, to)` (hours since 1970). Each month's part longer than a day
    /// is computed once per process and memoised; the figures are the
    /// hour-by-hour ones exactly, since they are sums of integers.
    pub fn counts(&self, from: i64, to: i64) -> Counts {
        self.counts_with(&mut None, from, to)
    }

    /// [`Series::counts`], reading hours through `hourly`, the series made
    /// ready (when it is `None`, it is made ready if an hour is read): for
    /// callers asking for many ranges of one series.
    pub fn counts_with(&self, hourly: &mut Option<Hourly>, from: i64, to: i64) -> Counts {
        let mut hourly_counts = |start, stop| {
            hourly
                .get_or_insert_with(|| self.hourly())
                .counts(start, stop)
        };
        month_pieces(from, to).fold(Counts::default(), |counts, (start, stop)| {
            let piece = if worth_memoising(start, stop) {
                let key = (self.identity(), start, stop);
                MONTHS.get_or_compute(key, || hourly_counts(start, stop))
            } else {
                hourly_counts(start, stop)
            };
            counts.and(piece)
        })
    }
}

/// What a [`Series`]' values depend on, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesIdentity {
    key: u64,
    profile: [u64; 6],
}

/// Whether the hours `[start, stop)` are worth a memo entry: more than a
/// day's (a day's are read in microseconds).
pub fn worth_memoising(start: i64, stop: i64) -> bool {
    stop - start > 24
}

/// The hours `[from, to)` (hours since 1970) cut at month ends (UTC), in
/// order, as `(start, stop)`: whole months and the parts at either end.
pub fn month_pieces(from: i64, to: i64) -> impl Iterator<Item = (i64, i64)> {
    let mut start = from;
    std::iter::from_fn(move || {
        if start >= to {
            return None;
        }
        let piece = (start, month_of(start).1.min(to));
        start = piece.1;
        Some(piece)
    })
}

/// The hour of the day and whether the day is a Saturday or Sunday, of hour
/// `index` since 1970 (a Thursday).
fn calendar(index: i64) -> (i64, bool) {
    let days_after_sunday = (index.div_euclid(24) + 4).rem_euclid(7);
    (
        index.rem_euclid(24),
        days_after_sunday == 0 || days_after_sunday == 6,
    )
}

/// An hour's value from its typical level: growth since 2020 and the hour's
/// own noise.
fn vary(profile: &Profile, noise_key: u64, level: f64, index: i64) -> f64 {
    let hours_since_epoch = (index - EPOCH_HOUR).max(0);
    let growth = 1.0 + profile.monthly_growth * hours_since_epoch as f64 / HOURS_PER_30_DAYS;
    let jitter = unit_interval(hash_step(noise_key, hours_since_epoch as u64));
    let noise = 1.0 + profile.noise * (2.0 * jitter - 1.0);
    (level * growth * noise).max(0.0)
}

/// A [`Series`] made ready to read many hours: what does not change from
/// hour to hour (its size, daily cycle and weekend factor, the noise's hash
/// prefix) computed once. Reads the same values as [`Series::at`].
#[derive(Debug, Clone)]
pub struct Hourly {
    profile: Profile,
    noise_key: u64,
    /// The typical level by hour of the day, on weekdays (`[0]`) and
    /// weekend days (`[1]`).
    levels: [[f64; 24]; 2],
}

impl Hourly {
    /// The value during hour `index` (hours since 1970).
    pub fn at(&self, index: i64) -> f64 {
        let (hour_of_day, weekend) = calendar(index);
        let level = self.levels[usize::from(weekend)][hour_of_day as usize];
        vary(&self.profile, self.noise_key, level, index)
    }

    /// [`Hourly::at`] rounded.
    pub fn count_at(&self, index: i64) -> i64 {
        self.at(index).round() as i64
    }

    /// The counts of the hours `[from, to)`, hour by hour.
    pub fn counts(&self, from: i64, to: i64) -> Counts {
        (from..to).fold(Counts::default(), |counts, index| {
            counts.and(Counts::one(self.count_at(index)))
        })
    }
}

/// A sum of hourly counts, how many hours it covers and the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub hours: i64,
    pub sum: i64,
    /// 0 for no hours (counts are never negative).
    pub max: i64,
}

impl Counts {
    pub fn one(count: i64) -> Counts {
        Counts {
            hours: 1,
            sum: count,
            max: count,
        }
    }

    /// These hours and `other`'s together.
    pub fn and(self, other: Counts) -> Counts {
        Counts {
            hours: self.hours + other.hours,
            sum: self.sum + other.sum,
            max: self.max.max(other.max),
        }
    }
}

/// The first hour of the calendar month (UTC) holding hour `index`, and
/// the first hour of the next month.
fn month_of(index: i64) -> (i64, i64) {
    let day = hour_start(index).date_naive();
    let first = day.with_day(1).expect("every month has a first day");
    let next = first + Months::new(1);
    let hour_of = |date: NaiveDate| hour_index(date.and_time(NaiveTime::MIN).and_utc());
    (hour_of(first), hour_of(next))
}

/// Counts of months (or their parts) of any series, for the process, by
/// the series and the hours: 64k at most (about 6 MB), the ones in use kept.
static MONTHS: LazyLock<Memo<(SeriesIdentity, i64, i64), Counts>> =
    LazyLock::new(|| Memo::new(32_768));

impl Profile {
    /// Every field, bit for bit: a memo key.
    fn bits(&self) -> [u64; 6] {
        [
            self.size.0.to_bits(),
            self.size.1.to_bits(),
            self.daily_swing.to_bits(),
            self.weekend.to_bits(),
            self.monthly_growth.to_bits(),
            self.noise.to_bits(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    use chrono::{Timelike, Weekday};

    /// The formula as it was first written, hour by hour with chrono's
    /// calendar: the oracle the prepared and memoised readings must equal
    /// bit for bit.
    fn reference_at(seed: u64, parts: &[&str], p: Profile, hour: DateTime<Utc>) -> f64 {
        let mut keys = vec![seed];
        keys.extend(parts.iter().map(|part| fnv1a(part)));
        let key = hash(&keys);
        let hours_since_epoch = ((hour.timestamp() - EPOCH_SECONDS) / 3600).max(0);
        let phase = unit_interval(hash(&[key, salt::PHASE])) * 24.0;
        let angle = (f64::from(hour.hour()) - phase) / 24.0 * std::f64::consts::TAU;
        let daily = 1.0 + p.daily_swing * angle.cos();
        let weekday = match hour.weekday() {
            Weekday::Sat | Weekday::Sun => p.weekend,
            _ => 1.0,
        };
        let growth = 1.0 + p.monthly_growth * hours_since_epoch as f64 / HOURS_PER_30_DAYS;
        let jitter = unit_interval(hash(&[key, salt::HOUR, hours_since_epoch as u64]));
        let noise = 1.0 + p.noise * (2.0 * jitter - 1.0);
        let size = log_uniform(hash(&[key, salt::SIZE]), p.size.0, p.size.1);
        (size * daily * weekday * growth * noise).max(0.0)
    }

    const PROFILES: [Profile; 8] = [
        Profile::STEADY,
        Profile::SESSIONS,
        Profile::CHECKS,
        Profile::BYTES,
        Profile::RUNS,
        Profile::STORED,
        Profile::SEATS,
        Profile::TRAFFIC,
    ];

    #[test]
    fn every_reading_equals_the_formula_bit_for_bit() {
        // Before 1970, before and after 2020's growth epoch, leap days, the
        // far future.
        let starts = [
            "1969-12-30T00:00:00Z",
            "2019-12-31T20:00:00Z",
            "2024-02-28T00:00:00Z",
            "2026-12-02T05:00:00Z",
            "9999-12-30T00:00:00Z",
        ];
        for (p, profile) in PROFILES.iter().enumerate() {
            for seed in [0, 7, u64::MAX] {
                let parts = ["org", "family", ["a", "b", "c"][p % 3]];
                let series = Series::new(seed, &parts, *profile);
                let prepared = series.hourly();
                for start in starts {
                    for h in 0..48 {
                        let at = hour(start) + chrono::Duration::hours(h);
                        let expected = reference_at(seed, &parts, *profile, at);
                        assert_eq!(series.at(at).to_bits(), expected.to_bits(), "{at}");
                        assert_eq!(prepared.at(hour_index(at)).to_bits(), expected.to_bits());
                        // Minutes are ignored.
                        let later = at + chrono::Duration::minutes(59);
                        assert_eq!(series.at(later).to_bits(), expected.to_bits());
                    }
                }
            }
        }
    }

    /// Counts hour by hour, the way every report first computed them.
    fn hour_by_hour(series: &Series, from: &str, to: &str) -> Counts {
        let (from, to) = (hour(from), hour(to));
        let values: Vec<i64> =
            std::iter::successors(Some(from), |h| Some(*h + chrono::Duration::hours(1)))
                .take_while(|h| *h < to)
                .map(|h| series.count_at(h))
                .collect();
        Counts {
            hours: values.len() as i64,
            sum: values.iter().sum(),
            max: values.iter().copied().max().unwrap_or(0),
        }
    }

    #[test]
    fn memoised_months_equal_the_hour_by_hour_counts() {
        // Whole months, parts of months, across month and year ends, leap
        // and common Februaries, an empty range, and again once memoised.
        let ranges = [
            ("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
            ("2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z"),
            ("2024-02-28T13:00:00Z", "2024-03-02T07:00:00Z"),
            ("2025-09-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            ("2025-11-17T05:00:00Z", "2026-02-03T19:00:00Z"),
            ("2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z"),
            ("2026-05-05T05:00:00Z", "2026-05-05T05:00:00Z"),
            ("1969-11-01T00:00:00Z", "1970-02-01T00:00:00Z"),
        ];
        for profile in PROFILES {
            let series = Series::new(3, &["org", "memo"], profile);
            for _ in 0..2 {
                for (from, to) in ranges {
                    let memoised = series.counts(hour_index(hour(from)), hour_index(hour(to)));
                    assert_eq!(memoised, hour_by_hour(&series, from, to), "{from}..{to}");
                }
            }
        }
    }

    #[test]
    fn the_memo_tells_series_seeds_and_profiles_apart() {
        let month = (
            hour_index(hour("2026-01-01T00:00:00Z")),
            hour_index(hour("2026-02-01T00:00:00Z")),
        );
        let sum = |seed, profile| {
            Series::new(seed, &["org", "x"], profile)
                .counts(month.0, month.1)
                .sum
        };
        let a = sum(1, Profile::STEADY);
        assert_ne!(a, sum(2, Profile::STEADY));
        assert_ne!(
            a,
            sum(
                1,
                Profile {
                    noise: 0.06,
                    ..Profile::STEADY
                }
            )
        );
        assert_eq!(a, sum(1, Profile::STEADY));
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
