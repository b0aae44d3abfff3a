//! Datadog's metered products: the product families of `hourly_usage`, the
//! usage types each one measures, and the one function every Datadog usage
//! figure comes from. Billable summary, costs and attribution all derive
//! from [`hourly`], so they agree with each other by construction.

pub mod attribution;
pub mod billable_summary;
pub mod costs;
pub mod hourly;
pub mod top_avg_metrics;

use chrono::{DateTime, Utc};

use crate::core::series::{Profile, Series};

/// How a usage type adds up over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Things present at once (hosts, containers): a month bills their
    /// average or high-water mark.
    Gauge,
    /// Things that happen (events, GB, sessions): a month bills their sum.
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageType {
    /// `measurements[].usage_type` in `hourly_usage`.
    pub name: &'static str,
    pub aggregation: Aggregation,
    pub profile: Profile,
    /// The series this usage type reads, as `(family, usage type)`, when it
    /// is a figure another family already reports (APM hosts appear under
    /// `infra_hosts` and `application_performance_monitoring`): both then
    /// report the same numbers. `None`: its own series.
    pub same_as: Option<(&'static str, &'static str)>,
}

impl UsageType {
    /// This usage type reads the series of `usage_type` of `family`.
    pub const fn same_as(self, family: &'static str, usage_type: &'static str) -> UsageType {
        UsageType {
            same_as: Some((family, usage_type)),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductFamily {
    /// `product_family` in `hourly_usage` (`filter[product_families]`).
    pub name: &'static str,
    pub usage_types: &'static [UsageType],
    /// Still answered when named, but no longer part of `all` (nor billed:
    /// its successor family carries the usage).
    pub deprecated: bool,
}

impl ProductFamily {
    pub const fn deprecated(self) -> ProductFamily {
        ProductFamily {
            deprecated: true,
            ..self
        }
    }
}

/// A gauge of hosts, containers, devices …: [`Profile::STEADY`].
pub const fn gauge(name: &'static str) -> UsageType {
    gauge_of(name, Profile::STEADY)
}

/// A gauge with its own magnitude.
pub const fn gauge_of(name: &'static str, profile: Profile) -> UsageType {
    UsageType {
        name,
        aggregation: Aggregation::Gauge,
        profile,
        same_as: None,
    }
}

/// A count of events, spans, queries …: [`Profile::TRAFFIC`].
pub const fn count(name: &'static str) -> UsageType {
    count_of(name, Profile::TRAFFIC)
}

/// A count with its own magnitude (`Profile::SESSIONS`, `BYTES`, …).
pub const fn count_of(name: &'static str, profile: Profile) -> UsageType {
    UsageType {
        name,
        aggregation: Aggregation::Count,
        profile,
        same_as: None,
    }
}

pub const fn family(name: &'static str, usage_types: &'static [UsageType]) -> ProductFamily {
    ProductFamily {
        name,
        usage_types,
        deprecated: false,
    }
}

pub use crate::vendors::datadog::catalog::PRODUCT_FAMILIES;

/// The families `filter[product_families]=all` means: every one but the
/// deprecated, in the documented order.
pub fn current_families() -> impl Iterator<Item = &'static ProductFamily> {
    PRODUCT_FAMILIES.iter().filter(|family| !family.deprecated)
}

pub fn product_family(name: &str) -> Option<&'static ProductFamily> {
    PRODUCT_FAMILIES.iter().find(|family| family.name == name)
}

/// The hourly value of `usage_type` of `family` for the org `public_id`
/// during the hour starting at `hour`: an integer, as the API's int64.
pub fn hourly(
    seed: u64,
    public_id: &str,
    family: &str,
    usage_type: &UsageType,
    hour: DateTime<Utc>,
) -> i64 {
    series(seed, public_id, family, usage_type).count_at(hour)
}

/// The series [`hourly`] reads, for reading many hours at once
/// ([`Series::hourly`]) or summing them ([`Series::counts`], whole months
/// memoised).
pub fn series(seed: u64, public_id: &str, family: &str, usage_type: &UsageType) -> Series {
    let (family, name) = usage_type.same_as.unwrap_or((family, usage_type.name));
    Series::new(seed, &[public_id, family, name], usage_type.profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_unique_and_have_usage_types() {
        for (i, family) in PRODUCT_FAMILIES.iter().enumerate() {
            assert!(!family.usage_types.is_empty(), "{}", family.name);
            assert!(
                PRODUCT_FAMILIES[..i].iter().all(|f| f.name != family.name),
                "{} twice",
                family.name
            );
        }
        assert!(product_family("infra_hosts").is_some());
        assert!(product_family("all").is_none());
    }
}
