//! `hourly_usage` as the API pages it: one record per (hour, org, product
//! family), numbered from 1 hour by hour, so a page is computed from its
//! numbers alone and `page[next_record_id]` is the project's one cursor over
//! that numbering. Hours are the outer loop: when the clock moves on, new
//! hours are numbered after every existing record and a walk in progress
//! still sees each record once.

use chrono::{DateTime, Duration, Utc};

use crate::core::cursor::Cursor;
use crate::core::error::{EngineResult, bad_request};
use crate::core::hash::{fnv1a, hash};
use crate::vendors::datadog::model::{DatadogCaller, DatadogOrg, DatadogState};
use crate::vendors::datadog::usage::attribution::report::{last_hour_with_data, oldest_start};
use crate::vendors::datadog::usage::{
    PRODUCT_FAMILIES, ProductFamily, current_families, hourly, product_family,
};

/// `page[limit]` when absent, and its largest value.
pub const MAX_PAGE_LIMIT: u64 = 500;
/// The one version of every product family.
pub const FAMILY_VERSION: &str = "1.0.0";

/// The parameters of `GET /api/v2/usage/hourly_usage`.
#[derive(Debug, Clone)]
pub struct HourlyUsageQuery {
    pub start: DateTime<Utc>,
    /// Exclusive; the hour after the latest with data when absent.
    pub end: Option<DateTime<Utc>>,
    pub families: Vec<&'static ProductFamily>,
    pub include_descendants: bool,
    pub page_limit: u64,
    pub cursor: Cursor,
}

/// One org's usage of one product family during one hour.
#[derive(Debug, Clone)]
pub struct HourlyUsageRecord<'a> {
    pub hour: DateTime<Utc>,
    pub org: &'a DatadogOrg,
    /// The parent org the usage is billed to (the org itself if it has none).
    pub account: &'a DatadogOrg,
    pub family: &'static ProductFamily,
    /// `(usage_type, value)` in catalog order.
    pub measurements: Vec<(&'static str, i64)>,
}

impl HourlyUsageRecord<'_> {
    /// Stable across calls and servers: the same record, the same id.
    pub fn id(&self) -> String {
        format!(
            "{:016x}",
            hash(&[
                fnv1a(&self.org.public_id),
                fnv1a(self.family.name),
                self.hour.timestamp() as u64,
            ])
        )
    }
}

#[derive(Debug, Clone)]
pub struct HourlyUsagePage<'a> {
    pub records: Vec<HourlyUsageRecord<'a>>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// `filter[product_families]`: `all` is every current family (the
/// deprecated answer only when named); the result is in catalog order, each
/// family once.
pub fn product_families(names: &[String]) -> EngineResult<Vec<&'static ProductFamily>> {
    if names.is_empty() {
        return Err(bad_request(
            "Missing required parameter: filter[product_families]",
        ));
    }
    let mut wanted = Vec::new();
    for name in names {
        if name == "all" {
            return Ok(current_families().collect());
        }
        let family = product_family(name).ok_or_else(|| {
            bad_request(format!(
                "Invalid parameter filter[product_families]: unknown product family {name:?}"
            ))
        })?;
        wanted.push(family.name);
    }
    Ok(PRODUCT_FAMILIES
        .iter()
        .filter(|family| wanted.contains(&family.name))
        .collect())
}

/// `filter[versions]`: `product_family:version` items, each naming a
/// family of the catalog and its one version.
pub fn check_versions(items: &[String]) -> EngineResult<()> {
    for item in items {
        let invalid = |why: &str| {
            bad_request(format!(
                "Invalid parameter filter[versions]: {item:?} {why}"
            ))
        };
        let (family, version) = item
            .split_once(':')
            .ok_or_else(|| invalid("is not product_family:version"))?;
        if product_family(family).is_none() {
            return Err(invalid("names an unknown product family"));
        }
        if version != FAMILY_VERSION {
            return Err(invalid(&format!(
                "names an unknown version; {family} has only {FAMILY_VERSION}"
            )));
        }
    }
    Ok(())
}

/// `page[limit]`: between 1 and 500.
pub fn check_page_limit(limit: i64) -> EngineResult<u64> {
    u64::try_from(limit)
        .ok()
        .filter(|limit| (1..=MAX_PAGE_LIMIT).contains(limit))
        .ok_or_else(|| {
            bad_request(format!(
                "Invalid parameter page[limit]: must be between 1 and {MAX_PAGE_LIMIT}, got {limit}"
            ))
        })
}

/// The records of a query, addressed by number without computing others.
struct RecordGrid<'a, 'q> {
    first_hour: DateTime<Utc>,
    hours: u64,
    orgs: Vec<(&'a DatadogOrg, &'a DatadogOrg)>,
    families: &'q [&'static ProductFamily],
}

impl<'a> RecordGrid<'a, '_> {
    fn total(&self) -> u64 {
        self.hours * self.orgs.len() as u64 * self.families.len() as u64
    }

    /// Record number `seq` (from 1): hour, then org, then family.
    fn record(&self, seed: u64, seq: u64) -> HourlyUsageRecord<'a> {
        let index = seq - 1;
        let families = self.families.len() as u64;
        let per_hour = self.orgs.len() as u64 * families;
        let hour = self.first_hour + Duration::hours((index / per_hour) as i64);
        let (org, account) = self.orgs[((index % per_hour) / families) as usize];
        let family = self.families[(index % families) as usize];
        HourlyUsageRecord {
            hour,
            org,
            account,
            family,
            measurements: family
                .usage_types
                .iter()
                .map(|usage_type| {
                    let value = hourly(seed, &org.public_id, family.name, usage_type, hour);
                    (usage_type.name, value)
                })
                .collect(),
        }
    }
}

/// One page of hourly usage. Hours after `now − 72h` have no data yet and
/// are left out; usage is kept for 15 months.
pub fn hourly_usage<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    query: &HourlyUsageQuery,
) -> EngineResult<HourlyUsagePage<'a>> {
    let oldest = oldest_start(now);
    if query.start < oldest {
        return Err(bad_request(format!(
            "Invalid parameter filter[timestamp][start]: usage is kept for 15 months, the oldest start is {}",
            oldest.format("%Y-%m-%dT%H")
        )));
    }
    if let Some(end) = query.end
        && end < query.start
    {
        // Datadog's wording, as its recorded answers show.
        return Err(bad_request(
            "start_hr [YYYY-MM-DDThh] must be before end_hr [YYYY-MM-DDThh]",
        ));
    }
    let after_data = last_hour_with_data(now) + Duration::hours(1);
    let end = query.end.map_or(after_data, |end| end.min(after_data));
    let grid = RecordGrid {
        first_hour: query.start,
        hours: u64::try_from((end - query.start).num_hours()).unwrap_or(0),
        orgs: state
            .orgs_in_scope(caller, query.include_descendants)
            .into_iter()
            .map(|org| (org, account_of(state, org)))
            .collect(),
        families: &query.families,
    };
    let total = grid.total();
    let first = query.cursor.start_seq();
    let last = total.min(first.saturating_add(query.page_limit - 1));
    Ok(HourlyUsagePage {
        records: (first..=last).map(|seq| grid.record(seed, seq)).collect(),
        next: (last < total).then(|| Cursor::after(last)),
    })
}

/// The parent org an org's usage is billed to.
pub fn account_of<'a>(state: &'a DatadogState, org: &'a DatadogOrg) -> &'a DatadogOrg {
    org.parent.map_or(org, |parent| &state.orgs[parent])
}

/// For `benches/datadog_hourly.rs`: the page of `page_limit` records after
/// record `after` of one org's `hourly_usage` of every product family over
/// `[start, end)`. Returns the records on the page and whether more follow.
pub fn one_org_page(
    seed: u64,
    now: DateTime<Utc>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    page_limit: u64,
    after: u64,
) -> (usize, bool) {
    let mut state = DatadogState::default();
    state.orgs.push(DatadogOrg {
        name: "Bench Org".to_string(),
        public_id: "benchorg0001".to_string(),
        parent: None,
        region: "us".to_string(),
        billing_plan: "Pro".to_string(),
    });
    let query = HourlyUsageQuery {
        start,
        end: Some(end),
        families: current_families().collect(),
        include_descendants: false,
        page_limit,
        cursor: Cursor::after(after),
    };
    let page = hourly_usage(&state, seed, now, DatadogCaller { org: 0 }, &query)
        .expect("a valid bench query");
    (page.records.len(), page.next.is_some())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

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
        state.orgs = vec![org("parent", None), org("child", Some(0))];
        state
    }

    fn query(start: &str, end: Option<&str>, families: &[&str]) -> HourlyUsageQuery {
        let names: Vec<String> = families.iter().map(|f| f.to_string()).collect();
        HourlyUsageQuery {
            start: at(start),
            end: end.map(at),
            families: product_families(&names).unwrap(),
            include_descendants: true,
            page_limit: MAX_PAGE_LIMIT,
            cursor: Cursor::first_page(),
        }
    }

    fn walk(state: &DatadogState, query: &mut HourlyUsageQuery) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let page = hourly_usage(state, 1, now(), DatadogCaller { org: 0 }, query).unwrap();
            seen.extend(
                page.records
                    .iter()
                    .map(|r| format!("{} {} {}", r.hour, r.org.public_id, r.family.name)),
            );
            match page.next {
                Some(next) => query.cursor = next,
                None => return seen,
            }
        }
    }

    #[test]
    fn all_is_every_family_and_names_come_back_in_catalog_order() {
        let all = product_families(&["all".to_string()]).unwrap();
        assert_eq!(all.len(), current_families().count());
        assert!(all.iter().all(|family| !family.deprecated));
        let two = product_families(&["logs".to_string(), "infra_hosts".to_string()]).unwrap();
        let names: Vec<&str> = two.iter().map(|f| f.name).collect();
        assert_eq!(names, ["infra_hosts", "logs"]);
        let err = product_families(&["logs".to_string(), "nope".to_string()]).unwrap_err();
        assert!(err.message().contains("\"nope\""), "{err}");
    }

    #[test]
    fn versions_name_a_family_and_its_one_version() {
        assert!(check_versions(&["infra_hosts:1.0.0".to_string()]).is_ok());
        for bad in ["infra_hosts", "infra_hosts:2.0.0", "nope:1.0.0"] {
            assert!(check_versions(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_limit_is_between_1_and_500() {
        assert_eq!(check_page_limit(1), Ok(1));
        assert_eq!(check_page_limit(500), Ok(500));
        for bad in [0, 501, -1] {
            assert!(check_page_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_record_per_hour_org_and_family_each_once_over_pages() {
        let state = state();
        let mut q = query(
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T05:00:00Z"),
            &["logs", "infra_hosts", "rum"],
        );
        q.page_limit = 7;
        let records = walk(&state, &mut q);
        assert_eq!(records.len(), 5 * 2 * 3);
        assert_eq!(records.iter().collect::<BTreeSet<_>>().len(), records.len());
        let mut unpaged = query(
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T05:00:00Z"),
            &["logs", "infra_hosts", "rum"],
        );
        assert_eq!(walk(&state, &mut unpaged), records);
    }

    #[test]
    fn hours_after_now_minus_72h_have_no_data() {
        let state = state();
        let q = query("2026-06-12T10:00:00Z", None, &["iot"]);
        let page = hourly_usage(&state, 1, now(), DatadogCaller { org: 0 }, &q).unwrap();
        let last = page.records.iter().map(|r| r.hour).max().unwrap();
        assert_eq!(last, at("2026-06-12T12:00:00Z"));
        assert_eq!(page.records.len(), 3 * 2);
    }

    #[test]
    fn measurements_are_the_one_hourly_function() {
        let state = state();
        let q = query(
            "2026-06-01T03:00:00Z",
            Some("2026-06-01T04:00:00Z"),
            &["dbm"],
        );
        let page = hourly_usage(&state, 9, now(), DatadogCaller { org: 0 }, &q).unwrap();
        let record = &page.records[0];
        let family = product_family("dbm").unwrap();
        for (usage_type, (name, value)) in family.usage_types.iter().zip(&record.measurements) {
            assert_eq!(usage_type.name, *name);
            assert_eq!(
                *value,
                hourly(9, "parent0001", "dbm", usage_type, record.hour)
            );
        }
    }

    #[test]
    fn time_rules() {
        let state = state();
        let caller = DatadogCaller { org: 0 };
        let old = query("2025-02-28T23:00:00Z", None, &["iot"]);
        assert!(hourly_usage(&state, 1, now(), caller, &old).is_err());
        let oldest = query(
            "2025-03-01T00:00:00Z",
            Some("2025-03-01T01:00:00Z"),
            &["iot"],
        );
        assert!(hourly_usage(&state, 1, now(), caller, &oldest).is_ok());
        let backwards = query(
            "2026-06-02T00:00:00Z",
            Some("2026-06-01T00:00:00Z"),
            &["iot"],
        );
        assert!(hourly_usage(&state, 1, now(), caller, &backwards).is_err());
        let future = query("2026-07-01T00:00:00Z", None, &["iot"]);
        let page = hourly_usage(&state, 1, now(), caller, &future).unwrap();
        assert!(page.records.is_empty() && page.next.is_none());
    }

    #[test]
    fn a_walk_in_progress_survives_the_clock_moving_on() {
        let state = state();
        let caller = DatadogCaller { org: 0 };
        let mut q = query("2026-06-12T00:00:00Z", None, &["iot"]);
        q.page_limit = 4;
        let first = hourly_usage(&state, 1, now(), caller, &q).unwrap();
        q.cursor = first.next.unwrap();
        q.page_limit = MAX_PAGE_LIMIT;
        let later = now() + Duration::hours(5);
        let rest = hourly_usage(&state, 1, later, caller, &q).unwrap();
        assert_eq!(rest.records[0].hour, at("2026-06-12T02:00:00Z"));
        // 00:00 to 12:00 then, 00:00 to 17:00 now: two orgs an hour.
        assert_eq!(first.records.len() + rest.records.len(), 18 * 2);
    }
}
