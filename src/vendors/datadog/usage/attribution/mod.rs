//! Usage attribution: an org's hourly usage of a product, split over the
//! combinations of the tag values usage attribution is configured for.
//!
//! The org's total comes from the same figures `hourly_usage` reports
//! ([`crate::vendors::datadog::usage::hourly`]); each tag combination takes a share of it by
//! a weight drawn from the hash (its own size, wobbling a little from hour
//! to hour). Shares are whole units, rounded along the running total, so
//! the combinations always add up to the org's total exactly, and any grouping,
//! hour or month is a sum of integers: monthly attribution is the sum of
//! hourly attribution over the month, to the unit.

pub mod report;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};

use crate::core::hash::{fnv1a, hash, log_uniform, unit_interval};
use crate::core::memo::Memo;
use crate::core::series::{
    Counts, Hourly, SeriesIdentity, hour_index, month_pieces, worth_memoising,
};
use crate::vendors::datadog::usage::{UsageType, hourly, product_family, series};

/// Where an attribution usage type's org total comes from: the org's
/// `hourly_usage` figure for `usage_type` of `family`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Source {
    family: &'static str,
    usage_type: &'static str,
}

/// The org's `hourly_usage` figure of `usage_type` in `family`.
pub const fn metered(family: &'static str, usage_type: &'static str) -> Source {
    Source { family, usage_type }
}

/// A product usage attribution reports, named as its fields are:
/// `usage_type=infra_host_usage` hourly, `infra_host_usage` and
/// `infra_host_percentage` monthly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributionType {
    pub usage_field: &'static str,
    pub percentage_field: &'static str,
    /// The hourly `usage_type` that reports this product's usage, when
    /// hourly attribution takes one (mostly `usage_field`).
    pub hourly_usage: Option<&'static str>,
    /// The hourly `usage_type` that reports each tag group's share of the
    /// org's hour, in percent, for the few products that have one.
    pub hourly_percentage: Option<&'static str>,
    /// Whether monthly attribution's `fields` and `sort_name` take
    /// `usage_field` and `percentage_field`.
    pub monthly: bool,
    /// Whether `fields=*` returns `percentage_field` (the response model
    /// lacks a few percentages `fields` accepts).
    pub percentage_in_star: bool,
    source: Source,
}

/// A product with both monthly fields and its usage hourly under
/// `usage_field`.
pub const fn product(
    usage_field: &'static str,
    percentage_field: &'static str,
    source: Source,
) -> AttributionType {
    AttributionType {
        usage_field,
        percentage_field,
        hourly_usage: Some(usage_field),
        hourly_percentage: None,
        monthly: true,
        percentage_in_star: true,
        source,
    }
}

impl AttributionType {
    /// Hourly attribution names this product's usage `name`.
    pub const fn hourly_as(self, name: &'static str) -> Self {
        AttributionType {
            hourly_usage: Some(name),
            ..self
        }
    }

    /// Hourly attribution also takes `name`, the groups' percentages.
    pub const fn hourly_percentage(self, name: &'static str) -> Self {
        AttributionType {
            hourly_percentage: Some(name),
            ..self
        }
    }

    /// Monthly attribution does not take its fields.
    pub const fn hourly_only(self) -> Self {
        AttributionType {
            monthly: false,
            ..self
        }
    }

    /// `fields=*` leaves its percentage out.
    pub const fn percentage_not_in_star(self) -> Self {
        AttributionType {
            percentage_in_star: false,
            ..self
        }
    }
}

pub use crate::vendors::datadog::catalog::ATTRIBUTION_TYPES;

/// A `usage_type` of hourly attribution: which product, and whether it
/// reports the usage or each group's percentage of the org's hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourlyUsageType {
    pub name: &'static str,
    pub attribution_type: &'static AttributionType,
    pub measure: Measure,
}

/// Every `usage_type` hourly attribution takes, in catalogue order.
pub fn hourly_usage_types() -> impl Iterator<Item = HourlyUsageType> {
    ATTRIBUTION_TYPES.iter().flat_map(|t| {
        [
            (t.hourly_usage, Measure::Usage),
            (t.hourly_percentage, Measure::Percentage),
        ]
        .into_iter()
        .filter_map(move |(name, measure)| {
            name.map(|name| HourlyUsageType {
                name,
                attribution_type: t,
                measure,
            })
        })
    })
}

/// The hourly attribution `usage_type` named `name`.
pub fn hourly_usage_type(name: &str) -> Option<HourlyUsageType> {
    hourly_usage_types().find(|t| t.name == name)
}

/// What a monthly field reports of its attribution type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// `<type>_usage`: the usage summed over the month.
    Usage,
    /// `<type>_percentage`: the group's share of the org's month, in percent.
    Percentage,
}

/// A monthly attribution field (`infra_host_usage`, `infra_host_percentage`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub attribution_type: &'static AttributionType,
    pub measure: Measure,
}

impl Field {
    pub fn name(&self) -> &'static str {
        match self.measure {
            Measure::Usage => self.attribution_type.usage_field,
            Measure::Percentage => self.attribution_type.percentage_field,
        }
    }

    /// The field `fields` or `sort_name` names `name`.
    pub fn named(name: &str) -> Option<Field> {
        Field::supported().find(|f| f.name() == name)
    }

    /// Every field `fields` and `sort_name` take (but `*`).
    pub fn supported() -> impl Iterator<Item = Field> {
        ATTRIBUTION_TYPES
            .iter()
            .filter(|t| t.monthly)
            .flat_map(|t| {
                [Measure::Usage, Measure::Percentage].map(|measure| Field {
                    attribution_type: t,
                    measure,
                })
            })
    }

    /// The fields `*` asks for.
    pub fn all() -> Vec<Field> {
        Field::supported()
            .filter(|f| f.measure == Measure::Usage || f.attribution_type.percentage_in_star)
            .collect()
    }
}

/// Tag keys and values as the API shows them: `{"team": ["payments"]}`.
pub type Tags = BTreeMap<String, Vec<String>>;

/// Every combination of the configured tag values, the last key varying
/// fastest. With no tags configured there is one, empty, combination.
#[derive(Debug, Clone)]
pub struct TagCombinations<'a> {
    keys: Vec<(&'a str, &'a [String])>,
    /// A hash of each combination's `key:value` pairs: its identity in the
    /// generator, so a share does not move when another key is configured
    /// in a different order.
    identities: Vec<u64>,
}

impl<'a> TagCombinations<'a> {
    pub fn new(configured: &'a BTreeMap<String, Vec<String>>) -> Self {
        let keys: Vec<(&str, &[String])> = configured
            .iter()
            .map(|(key, values)| (key.as_str(), values.as_slice()))
            .collect();
        let count = keys.iter().map(|(_, values)| values.len()).product();
        let mut combinations = TagCombinations {
            keys,
            identities: Vec::with_capacity(count),
        };
        for combination in 0..count {
            let name: Vec<String> = combinations
                .digits(combination)
                .map(|(key, values, digit)| format!("{key}:{}", values[digit]))
                .collect();
            combinations.identities.push(fnv1a(&name.join(",")));
        }
        combinations
    }

    fn len(&self) -> usize {
        self.identities.len()
    }

    /// The configured keys, in the order `tag_config_source` lists them.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.keys.iter().map(|(key, _)| *key)
    }

    /// Each key of `combination` with its values and the index of its value.
    fn digits(&self, combination: usize) -> impl Iterator<Item = (&'a str, &'a [String], usize)> {
        let mut rest = combination;
        let mut digits: Vec<_> = self
            .keys
            .iter()
            .rev()
            .map(|(key, values)| {
                let digit = rest % values.len();
                rest /= values.len();
                (*key, *values, digit)
            })
            .collect();
        digits.reverse();
        digits.into_iter()
    }

    /// How `tag_breakdown_keys` groups the combinations.
    pub fn breakdown(&self, requested: &[String]) -> Breakdown<'a> {
        if requested.is_empty() {
            return Breakdown::total(self.len());
        }
        let mut positions: Vec<usize> = Vec::new();
        for key in requested {
            match self.keys.iter().position(|(k, _)| k == key) {
                Some(position) if !positions.contains(&position) => positions.push(position),
                Some(_) => {}
                None => return Breakdown::total(self.len()),
            }
        }
        let keys: Vec<(&'a str, &'a [String])> = positions.iter().map(|&p| self.keys[p]).collect();
        let group_of = (0..self.len())
            .map(|combination| {
                let digits: Vec<usize> = self.digits(combination).map(|(_, _, d)| d).collect();
                positions
                    .iter()
                    .fold(0, |group, &p| group * self.keys[p].1.len() + digits[p])
            })
            .collect();
        Breakdown {
            keys: Some(keys),
            group_of,
        }
    }
}

/// Usage grouped by the requested tag keys. Without a request, or when it
/// names a key usage attribution is not configured for, there is one group,
/// the total, and its tags are `null`.
#[derive(Debug, Clone)]
pub struct Breakdown<'a> {
    /// The requested keys and their values; `None` for the total.
    keys: Option<Vec<(&'a str, &'a [String])>>,
    /// The group of each tag combination.
    group_of: Vec<usize>,
}

impl<'a> Breakdown<'a> {
    fn total(combinations: usize) -> Self {
        Breakdown {
            keys: None,
            group_of: vec![0; combinations],
        }
    }

    pub fn is_total(&self) -> bool {
        self.keys.is_none()
    }

    pub fn group_count(&self) -> usize {
        match &self.keys {
            None => 1,
            Some(keys) => keys.iter().map(|(_, values)| values.len()).product(),
        }
    }

    /// The tags of group `group`: `None` (JSON `null`) for the total.
    pub fn tags(&self, group: usize) -> Option<Tags> {
        let keys = self.keys.as_ref()?;
        let mut rest = group;
        let mut tags = Tags::new();
        for (key, values) in keys.iter().rev() {
            tags.insert(key.to_string(), vec![values[rest % values.len()].clone()]);
            rest /= values.len();
        }
        Some(tags)
    }

    /// Per-combination values summed into groups.
    pub fn group(&self, per_combination: &[i64]) -> Vec<i64> {
        let mut groups = vec![0; self.group_count()];
        for (value, &group) in per_combination.iter().zip(&self.group_of) {
            groups[group] += value;
        }
        groups
    }
}

mod salt {
    pub const WEIGHT: u64 = 21;
    pub const WOBBLE: u64 = 22;
}

/// How far a combination's share moves from hour to hour (±10%).
const WOBBLE: f64 = 0.2;
/// Weights are whole numbers so that shares are exact.
const WEIGHT_SCALE: f64 = 1_000.0;

/// One org's usage of one attribution type, over its tag combinations.
fn metered_usage_type(family: &str, usage_type: &str) -> &'static UsageType {
    product_family(family)
        .and_then(|f| f.usage_types.iter().find(|t| t.name == usage_type))
        .expect("attribution sources name a metered usage type")
}

#[derive(Debug, Clone)]
pub struct Attribution {
    seed: u64,
    public_id: String,
    /// Where the org's hourly total is read: [`crate::vendors::datadog::usage::hourly`], as
    /// `hourly_usage` reports it.
    family: &'static str,
    usage_type: &'static UsageType,
    /// Per combination: its identity hash and its typical weight.
    weights: Vec<(u64, f64)>,
    /// Per combination, its identity hash: with the series, all a split
    /// depends on (the weights derive from it).
    keys: Arc<[u64]>,
}

/// A memoised month (or part) of splits: the series, the combinations and
/// the hours.
type SplitKey = (SeriesIdentity, Arc<[u64]>, i64, i64);

/// Whole months of per-combination usage, for the process: 16k months at
/// most (with the demo's 54 combinations about 1 kB each), the ones in use
/// kept. A generation holds the largest query's months (15 months × the
/// demo's 4 orgs × every attribution type), so repeating it never misses.
static SPLIT_MONTHS: LazyLock<Memo<SplitKey, Arc<[i64]>>> = LazyLock::new(|| Memo::new(8_192));

impl Attribution {
    pub fn new(
        seed: u64,
        public_id: &str,
        attribution_type: &AttributionType,
        combinations: &TagCombinations,
    ) -> Self {
        let Source { family, usage_type } = attribution_type.source;
        let owner = hash(&[seed, fnv1a(public_id), fnv1a(attribution_type.usage_field)]);
        let weights = combinations
            .identities
            .iter()
            .map(|&identity| {
                let key = hash(&[owner, identity]);
                // Some teams run far more than others.
                (key, log_uniform(hash(&[key, salt::WEIGHT]), 1.0, 40.0))
            })
            .collect::<Vec<(u64, f64)>>();
        Attribution {
            seed,
            public_id: public_id.to_string(),
            family,
            usage_type: metered_usage_type(family, usage_type),
            keys: weights.iter().map(|(key, _)| *key).collect(),
            weights,
        }
    }

    /// The org's whole usage during the hour starting at `hour`.
    pub fn total(&self, hour: DateTime<Utc>) -> i64 {
        hourly(
            self.seed,
            &self.public_id,
            self.family,
            self.usage_type,
            hour,
        )
    }

    /// The org's whole usage over the hours `[from, to)` (hours since 1970).
    pub fn counts(&self, from: i64, to: i64) -> Counts {
        series(self.seed, &self.public_id, self.family, self.usage_type).counts(from, to)
    }

    /// The hour's usage of each tag combination; they add up to
    /// [`Attribution::total`].
    pub fn split(&self, hour: DateTime<Utc>) -> Vec<i64> {
        let mut shares = Vec::new();
        self.split_into(self.total(hour), hour_index(hour), &mut shares);
        shares
    }

    /// Each combination's usage over the hours `[from, to)` (hours since
    /// 1970): [`Attribution::split`] of every hour, summed. Each month's part
    /// longer than a day is computed once per process and memoised.
    pub fn split_counts(&self, from: i64, to: i64) -> Vec<i64> {
        let series = series(self.seed, &self.public_id, self.family, self.usage_type);
        let mut hourly: Option<Hourly> = None;
        let mut split_sum = |start, stop| {
            let hourly = hourly.get_or_insert_with(|| series.hourly());
            let mut sums = vec![0; self.weights.len().max(1)];
            let mut shares = Vec::new();
            for index in start..stop {
                self.split_into(hourly.count_at(index), index, &mut shares);
                for (sum, share) in sums.iter_mut().zip(&shares) {
                    *sum += share;
                }
            }
            sums
        };
        let mut sums = vec![0; self.weights.len().max(1)];
        for (start, stop) in month_pieces(from, to) {
            let piece: Arc<[i64]> = if worth_memoising(start, stop) {
                let key = (series.identity(), self.keys.clone(), start, stop);
                SPLIT_MONTHS.get_or_compute(key, || split_sum(start, stop).into())
            } else {
                split_sum(start, stop).into()
            };
            for (sum, value) in sums.iter_mut().zip(piece.iter()) {
                *sum += value;
            }
        }
        sums
    }

    /// Splits `total`, the usage of hour `index` (since 1970), into
    /// `shares`, one per combination.
    fn split_into(&self, total: i64, index: i64, shares: &mut Vec<i64>) {
        shares.clear();
        if self.weights.len() <= 1 {
            shares.resize(self.weights.len().max(1), total);
            return;
        }
        let hour_key = hash(&[salt::WOBBLE, index as u64]);
        shares.extend(self.weights.iter().map(|&(key, typical)| {
            let wobble = 1.0 + WOBBLE * (unit_interval(hash(&[key ^ hour_key])) - 0.5);
            (typical * wobble * WEIGHT_SCALE).round().max(1.0) as i64
        }));
        let sum = shares.iter().sum::<i64>();
        // Each combination takes what brings the running total to its
        // cumulative weight's part, rounded down: the shares are whole,
        // within one unit of exact, and add up to `total`. The products fit
        // in 64 bits unless a total is huge; 128 bits then.
        let wide = total.checked_mul(sum).is_none();
        let (mut cumulative, mut handed_out) = (0_i64, 0_i64);
        for share in shares.iter_mut() {
            cumulative += *share;
            let up_to = if wide {
                (i128::from(total) * i128::from(cumulative) / i128::from(sum)) as i64
            } else {
                total * cumulative / sum
            };
            *share = up_to - handed_out;
            handed_out = up_to;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    fn hour(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn every_source_is_a_metered_usage_type_and_names_are_unique() {
        let no_tags = BTreeMap::new();
        let combos = TagCombinations::new(&no_tags);
        for (i, t) in ATTRIBUTION_TYPES.iter().enumerate() {
            // Panics if the source is not in the product catalog.
            Attribution::new(1, "org", t, &combos);
            assert_eq!(
                t.usage_field.strip_suffix("_usage"),
                t.percentage_field.strip_suffix("_percentage")
            );
            assert!(
                ATTRIBUTION_TYPES[..i]
                    .iter()
                    .all(|o| o.usage_field != t.usage_field)
            );
        }
        let hourly: Vec<&str> = hourly_usage_types().map(|t| t.name).collect();
        for (i, name) in hourly.iter().enumerate() {
            assert!(!hourly[..i].contains(name), "{name} twice");
        }
        let supported: Vec<&str> = Field::supported().map(|f| f.name()).collect();
        for (i, name) in supported.iter().enumerate() {
            assert!(!supported[..i].contains(name), "{name} twice");
            assert_eq!(Field::named(name).unwrap().name(), *name);
        }
        // The sizes of the client's enums (datadog-api-client 2.62.0):
        // HourlyUsageAttributionUsageType has 89 values,
        // MonthlyUsageAttributionSupportedMetrics 171 with `*`, and its
        // response model lacks two of those percentages.
        assert_eq!(hourly.len(), 89);
        assert_eq!(supported.len(), 170);
        assert_eq!(Field::all().len(), 168);
        assert!(Field::all().iter().all(|f| supported.contains(&f.name())));
        assert_eq!(
            Field::named("snmp_percentage").unwrap().measure,
            Measure::Percentage
        );
        // Fields Datadog has removed are gone.
        for removed in [
            "indexed_logs_usage",
            "estimated_indexed_logs_usage",
            "estimated_ingested_logs_percentage",
        ] {
            assert!(Field::named(removed).is_none(), "{removed}");
            assert!(hourly_usage_type(removed).is_none(), "{removed}");
        }
        // Hourly-only products are not monthly fields.
        assert!(hourly_usage_type("ci_code_coverage_committers_usage").is_some());
        assert!(Field::named("ci_code_coverage_committers_usage").is_none());
        assert_eq!(
            hourly_usage_type("error_tracking_percentage")
                .unwrap()
                .measure,
            Measure::Percentage
        );
        assert!(Field::named("snmp").is_none());
    }

    #[test]
    fn combinations_split_the_org_total_exactly() {
        let tags = config(&[("env", &["prod", "staging"]), ("team", &["a", "b", "c"])]);
        let combos = TagCombinations::new(&tags);
        assert_eq!(combos.len(), 6);
        for t in ATTRIBUTION_TYPES {
            let attribution = Attribution::new(7, "org1", t, &combos);
            for h in 0..48 {
                let at = hour("2026-03-01T00:00:00Z") + chrono::Duration::hours(h);
                let split = attribution.split(at);
                assert_eq!(split.iter().sum::<i64>(), attribution.total(at));
                assert!(split.iter().all(|&v| v >= 0));
            }
        }
    }

    /// The split as first written, all in 128-bit arithmetic: the oracle.
    fn reference_split(attribution: &Attribution, total: i64, index: i64) -> Vec<i64> {
        if attribution.weights.len() <= 1 {
            return vec![total; attribution.weights.len().max(1)];
        }
        let hour_key = hash(&[salt::WOBBLE, index as u64]);
        let mut shares: Vec<i64> = attribution
            .weights
            .iter()
            .map(|&(key, typical)| {
                let wobble = 1.0 + WOBBLE * (unit_interval(hash(&[key ^ hour_key])) - 0.5);
                (typical * wobble * WEIGHT_SCALE).round().max(1.0) as i64
            })
            .collect();
        let sum = i128::from(shares.iter().sum::<i64>());
        let (mut cumulative, mut handed_out) = (0_i128, 0_i64);
        for share in &mut shares {
            cumulative += i128::from(*share);
            let up_to = (i128::from(total) * cumulative / sum) as i64;
            *share = up_to - handed_out;
            handed_out = up_to;
        }
        shares
    }

    #[test]
    fn splits_equal_the_128_bit_oracle_for_small_and_huge_totals() {
        let tags = config(&[("env", &["prod", "staging"]), ("team", &["a", "b", "c"])]);
        let combos = TagCombinations::new(&tags);
        let attribution = Attribution::new(7, "org1", &ATTRIBUTION_TYPES[0], &combos);
        let mut shares = Vec::new();
        for total in [
            0,
            1,
            999,
            123_456_789,
            i64::MAX / 1_000,
            i64::MAX / 3,
            i64::MAX,
        ] {
            for index in [0, 490_000, 500_123] {
                attribution.split_into(total, index, &mut shares);
                assert_eq!(
                    shares,
                    reference_split(&attribution, total, index),
                    "{total}"
                );
            }
        }
    }

    #[test]
    fn memoised_split_months_equal_the_hour_by_hour_splits() {
        let tags = config(&[("env", &["prod", "staging"]), ("team", &["a", "b", "c"])]);
        let combos = TagCombinations::new(&tags);
        // Across a leap February's end, a whole month, a part of a day.
        let ranges = [
            ("2028-02-27T05:00:00Z", "2028-03-02T01:00:00Z"),
            ("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"),
            ("2026-04-30T20:00:00Z", "2026-05-01T03:00:00Z"),
        ];
        for t in ATTRIBUTION_TYPES.iter().step_by(7) {
            let attribution = Attribution::new(7, "org1", t, &combos);
            // Twice: computed, then served from the memo.
            for _ in 0..2 {
                for (from, to) in ranges {
                    let (from, to) = (hour(from), hour(to));
                    let mut expected = vec![0; combos.len()];
                    let mut at = from;
                    while at < to {
                        for (sum, share) in expected.iter_mut().zip(attribution.split(at)) {
                            *sum += share;
                        }
                        at += chrono::Duration::hours(1);
                    }
                    let memoised = attribution.split_counts(hour_index(from), hour_index(to));
                    assert_eq!(memoised, expected, "{} {from}..{to}", t.usage_field);
                }
            }
        }
    }

    #[test]
    fn org_totals_are_the_hourly_usage_figures() {
        let no_tags = BTreeMap::new();
        let combos = TagCombinations::new(&no_tags);
        let at = hour("2026-03-04T10:00:00Z");
        for t in ATTRIBUTION_TYPES {
            let Source { family, usage_type } = t.source;
            let hourly_usage = crate::vendors::datadog::usage::hourly(
                3,
                "org9",
                family,
                metered_usage_type(family, usage_type),
                at,
            );
            assert_eq!(
                Attribution::new(3, "org9", t, &combos).total(at),
                hourly_usage,
                "{}",
                t.usage_field
            );
        }
    }

    #[test]
    fn breakdown_groups_by_the_requested_keys() {
        let tags = config(&[("env", &["prod", "staging"]), ("team", &["a", "b", "c"])]);
        let combos = TagCombinations::new(&tags);
        let by_team = combos.breakdown(&["team".to_string()]);
        assert_eq!(by_team.group_count(), 3);
        assert_eq!(by_team.tags(1), Some(config(&[("team", &["b"])])));
        // Combinations: (prod,a) (prod,b) (prod,c) (staging,a) …
        assert_eq!(by_team.group(&[1, 2, 3, 10, 20, 30]), vec![11, 22, 33]);
        let both = combos.breakdown(&["team".to_string(), "env".to_string()]);
        assert_eq!(both.group_count(), 6);
        assert_eq!(
            both.tags(1),
            Some(config(&[("team", &["a"]), ("env", &["staging"])]))
        );
        let unknown = combos.breakdown(&["team".to_string(), "owner".to_string()]);
        assert!(unknown.is_total());
        assert_eq!(unknown.tags(0), None);
        assert_eq!(unknown.group(&[1, 2, 3, 10, 20, 30]), vec![66]);
        assert!(combos.breakdown(&[]).is_total());
    }
}
