//! Gcore Cloud's usage report: which resources of the inventory were seen
//! in a period, what each is billed, and the totals by type, region, billing
//! metric and the type's grouping attribute (flavor, volume type …).
//!
//! Time-billed types (`minutes`) count the minutes a resource existed in the
//! period and size-billed ones (`gbminutes`) multiply that by its size in
//! GiB: that is what Gcore bills them by, so no generator is needed. Metered
//! types (egress bytes, function GB-seconds, calls, traffic) come from the
//! hourly usage generator, keyed by the run's seed and the resource.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;

use crate::core::error::{EngineResult, bad_request};
use crate::core::series::{Profile, Series, hour_index, hour_start};
use crate::vendors::gcore::model::{Attribute, GcoreResource, Metering, ResourceType};

/// Report lines per page when `limit` is omitted.
pub const DEFAULT_LIMIT: u64 = 10;

/// The report's period: `[start, end)`, whole UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// From the beginning of `time_from`'s day to just before the beginning
    /// of `time_to`'s day, or through that day with `enable_last_day`.
    pub fn new(
        time_from: DateTime<Utc>,
        time_to: DateTime<Utc>,
        enable_last_day: bool,
    ) -> EngineResult<Period> {
        if time_to <= time_from {
            return Err(bad_request("time_to: must be after time_from"));
        }
        // Midnight by the calendar, not `duration_trunc`: that one works in
        // nanoseconds and fails outside the years 1677–2262.
        let midnight = |t: DateTime<Utc>| t.date_naive().and_time(NaiveTime::MIN).and_utc();
        let start = midnight(time_from);
        let mut end = midnight(time_to);
        if enable_last_day {
            end = end
                .checked_add_signed(Duration::days(1))
                .ok_or_else(|| bad_request("time_to: too far in the future"))?;
        }
        Ok(Period { start, end })
    }
}

/// `tags.condition_type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ConditionType {
    #[serde(rename = "AND")]
    And,
    #[default]
    #[serde(rename = "OR")]
    Or,
}

/// One of `tags.conditions`: a tag with this key (any key when omitted)
/// whose value equals `value` (`strict`) or contains it, ignoring case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TagCondition {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub strict: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TagFilter {
    #[serde(default)]
    pub condition_type: ConditionType,
    pub conditions: Vec<TagCondition>,
}

/// `schema_filter`: resources of `resource_type` whose `field` is one of
/// `values`; resources of other types are not affected.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SchemaFilter {
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    pub field: Attribute,
    pub values: Vec<String>,
}

/// What `order_by` and `sorting` sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    BillingValue,
    FirstSeen,
    LastName,
    LastSeen,
    Project,
    Region,
    Type,
}

impl SortField {
    pub const ALL: [SortField; 7] = [
        SortField::BillingValue,
        SortField::FirstSeen,
        SortField::LastName,
        SortField::LastSeen,
        SortField::Project,
        SortField::Region,
        SortField::Type,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortField::BillingValue => "billing_value",
            SortField::FirstSeen => "first_seen",
            SortField::LastName => "last_name",
            SortField::LastSeen => "last_seen",
            SortField::Project => "project",
            SortField::Region => "region",
            SortField::Type => "type",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub direction: Direction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsageReportQuery {
    pub period: Period,
    /// `None` or empty: every project.
    pub projects: Option<Vec<u64>>,
    pub regions: Option<Vec<u64>>,
    pub types: Option<Vec<ResourceType>>,
    pub schema_filter: Option<SchemaFilter>,
    pub tags: Option<TagFilter>,
    /// Most significant first; ties end in inventory order.
    pub order: Vec<SortKey>,
    pub limit: u64,
    pub offset: u64,
}

/// One resource's line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportLine<'a> {
    pub resource: &'a GcoreResource,
    pub billing_metric_name: String,
    pub billing_value: f64,
    pub billing_value_unit: &'static str,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// One row of `totals`: the sum over every matching resource with the same
/// type, region, billing metric and grouping attribute (backups have none:
/// the SDK has no total model for them).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTotal {
    pub resource_type: ResourceType,
    pub region_id: u64,
    pub billing_metric_name: String,
    pub billing_value: f64,
    pub billing_value_unit: &'static str,
    pub flavor: Option<String>,
    pub instance_type: Option<String>,
    pub file_share_type: Option<String>,
    pub volume_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport<'a> {
    /// Resources matching the filters, over all pages.
    pub count: u64,
    /// The requested page.
    pub resources: Vec<ReportLine<'a>>,
    pub totals: Vec<ReportTotal>,
}

/// The report over `inventory` for `query`, as of `now` (nothing is seen
/// after it).
pub fn usage_report<'a>(
    seed: u64,
    now: DateTime<Utc>,
    inventory: &'a [GcoreResource],
    query: &UsageReportQuery,
) -> EngineResult<UsageReport<'a>> {
    if query.limit == 0 {
        return Err(bad_request("limit: must be greater than 0"));
    }
    if let Some(filter) = &query.schema_filter {
        let allowed = filter.resource_type.schema_filter_fields();
        if !allowed.contains(&filter.field) {
            let names: Vec<String> = allowed.iter().map(|a| attribute_name(*a)).collect();
            return Err(bad_request(format!(
                "schema_filter.field: {} cannot filter {} resources (one of: {})",
                attribute_name(filter.field),
                filter.resource_type.name(),
                names.join(", ")
            )));
        }
    }
    let mut lines: Vec<ReportLine<'a>> = inventory
        .iter()
        .filter(|r| matches_filters(r, query))
        .filter_map(|r| report_line(seed, now, query.period, r))
        .collect();
    lines.sort_by(|a, b| compare(a, b, &query.order));
    let totals = totals(&lines);
    let count = lines.len() as u64;
    let start = usize::try_from(query.offset)
        .unwrap_or(usize::MAX)
        .min(lines.len());
    let end = usize::try_from(query.limit)
        .unwrap_or(usize::MAX)
        .saturating_add(start)
        .min(lines.len());
    let resources = lines.drain(start..end).collect();
    Ok(UsageReport {
        count,
        resources,
        totals,
    })
}

fn attribute_name(attribute: Attribute) -> String {
    serde_json::to_value(attribute)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn listed<T: PartialEq>(list: &Option<Vec<T>>, item: &T) -> bool {
    match list {
        Some(items) if !items.is_empty() => items.contains(item),
        _ => true,
    }
}

fn matches_filters(resource: &GcoreResource, query: &UsageReportQuery) -> bool {
    listed(&query.projects, &resource.project_id)
        && listed(&query.regions, &resource.region_id)
        && listed(&query.types, &resource.resource_type)
        && query
            .schema_filter
            .as_ref()
            .is_none_or(|f| matches_schema_filter(resource, f))
        && query
            .tags
            .as_ref()
            .is_none_or(|f| matches_tags(resource, f))
}

fn matches_schema_filter(resource: &GcoreResource, filter: &SchemaFilter) -> bool {
    if resource.resource_type != filter.resource_type {
        return true;
    }
    resource
        .attribute(filter.field)
        .is_some_and(|value| filter.values.contains(&value))
}

fn matches_tags(resource: &GcoreResource, filter: &TagFilter) -> bool {
    if filter.conditions.is_empty() {
        return true;
    }
    let holds = |condition: &TagCondition| {
        resource.tags.as_ref().is_some_and(|tags| {
            tags.iter()
                .any(|(key, value)| tag_matches(condition, key, value))
        })
    };
    match filter.condition_type {
        ConditionType::And => filter.conditions.iter().all(holds),
        ConditionType::Or => filter.conditions.iter().any(holds),
    }
}

fn tag_matches(condition: &TagCondition, key: &str, value: &str) -> bool {
    let key_ok = condition.key.as_deref().is_none_or(|k| k == key);
    let value_ok = condition.value.as_deref().is_none_or(|wanted| {
        if condition.strict {
            value == wanted
        } else {
            value.to_lowercase().contains(&wanted.to_lowercase())
        }
    });
    key_ok && value_ok
}

/// The resource's line, or `None` when it was not seen for a whole minute
/// of the period.
fn report_line<'a>(
    seed: u64,
    now: DateTime<Utc>,
    period: Period,
    resource: &'a GcoreResource,
) -> Option<ReportLine<'a>> {
    let seen_from = resource
        .created_at
        .map_or(period.start, |t| t.max(period.start));
    let seen_until = resource
        .deleted_at
        .map_or(period.end, |t| t.min(period.end))
        .min(now);
    let minutes = (seen_until - seen_from).num_minutes();
    if minutes < 1 {
        return None;
    }
    let resource_type = resource.resource_type;
    let billing_value = match resource_type.metering() {
        Metering::Uptime => minutes as f64,
        Metering::SizeTime => round3(resource.size_bytes as f64 / GIB * minutes as f64),
        Metering::Usage { unit } => {
            let metered = metered_usage(seed, resource, seen_from, seen_until);
            if unit == "bytes" {
                metered.round()
            } else {
                round3(metered)
            }
        }
    };
    // Usage is sampled once a minute, half way through it.
    let half_minute = Duration::seconds(30);
    Some(ReportLine {
        resource,
        billing_metric_name: billing_metric_name(resource),
        billing_value,
        billing_value_unit: resource_type.billing_unit(),
        first_seen: seen_from + half_minute,
        last_seen: seen_until - half_minute,
    })
}

const GIB: f64 = (1u64 << 30) as f64;

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn billing_metric_name(resource: &GcoreResource) -> String {
    let type_name = resource.resource_type.name();
    if let Some(flavor) = &resource.flavor {
        return format!("{flavor}_min");
    }
    match resource.resource_type.metering() {
        Metering::Uptime => format!("{type_name}_min"),
        Metering::SizeTime => {
            match resource
                .volume_type
                .as_ref()
                .or(resource.file_share_type.as_ref())
            {
                Some(kind) => format!("{type_name}_{kind}_gbmin"),
                None => format!("{type_name}_gbmin"),
            }
        }
        Metering::Usage { unit } => match resource.instance_type {
            Some(instance_type) => format!("{type_name}_{}", instance_type.name()),
            None => format!("{type_name}_{}", unit.to_lowercase()),
        },
    }
}

/// How a metered type's hourly figure behaves, in its billing unit.
fn usage_profile(resource_type: ResourceType) -> Profile {
    let size = match resource_type {
        ResourceType::EgressTraffic => (5.0e7, 5.0e10),
        ResourceType::Containers => (200.0, 50_000.0),
        ResourceType::Functions => (10.0, 20_000.0),
        ResourceType::FunctionsCalls => (0.001, 2.0),
        _ => (0.01, 50.0),
    };
    Profile {
        size,
        ..Profile::TRAFFIC
    }
}

/// The generator's hourly figures over `[from, until)`, each hour weighted
/// by the part of it inside the window.
fn metered_usage(
    seed: u64,
    resource: &GcoreResource,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> f64 {
    let key = resource.series_key();
    let series = Series::new(
        seed,
        &["gcore", resource.resource_type.name(), &key],
        usage_profile(resource.resource_type),
    )
    .hourly();
    // Hour by hour in order (the sum's order is kept, so figures stay what
    // they were), the first and last weighted by their part inside.
    let mut total = 0.0;
    let mut index = hour_index(from);
    loop {
        let at = hour_start(index);
        if at >= until {
            break;
        }
        let inside = ((at + Duration::hours(1)).min(until) - at.max(from)).num_seconds() as f64;
        total += series.at(index) * inside / 3600.0;
        index += 1;
    }
    total
}

fn compare(a: &ReportLine, b: &ReportLine, order: &[SortKey]) -> Ordering {
    for key in order {
        let ordering = match key.field {
            SortField::BillingValue => a.billing_value.total_cmp(&b.billing_value),
            SortField::FirstSeen => a.first_seen.cmp(&b.first_seen),
            SortField::LastSeen => a.last_seen.cmp(&b.last_seen),
            SortField::LastName => a.resource.display_name().cmp(b.resource.display_name()),
            SortField::Project => a.resource.project_id.cmp(&b.resource.project_id),
            SortField::Region => a.resource.region_id.cmp(&b.resource.region_id),
            SortField::Type => a
                .resource
                .resource_type
                .name()
                .cmp(b.resource.resource_type.name()),
        };
        let ordering = match key.direction {
            Direction::Asc => ordering,
            Direction::Desc => ordering.reverse(),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a.resource.index.cmp(&b.resource.index)
}

fn totals(lines: &[ReportLine]) -> Vec<ReportTotal> {
    let mut rows: BTreeMap<(&'static str, u64, String, Option<String>), ReportTotal> =
        BTreeMap::new();
    for line in lines
        .iter()
        .filter(|l| l.resource.resource_type.has_totals())
    {
        let resource = line.resource;
        let grouping = resource.resource_type.total_grouping();
        let group = grouping.and_then(|attribute| resource.attribute(attribute));
        let key = (
            resource.resource_type.name(),
            resource.region_id,
            line.billing_metric_name.clone(),
            group.clone(),
        );
        let row = rows.entry(key).or_insert_with(|| {
            let grouped = |attribute: Attribute| {
                (grouping == Some(attribute))
                    .then(|| group.clone())
                    .flatten()
            };
            ReportTotal {
                resource_type: resource.resource_type,
                region_id: resource.region_id,
                billing_metric_name: line.billing_metric_name.clone(),
                billing_value: 0.0,
                billing_value_unit: line.billing_value_unit,
                flavor: grouped(Attribute::Flavor),
                instance_type: grouped(Attribute::InstanceType),
                file_share_type: grouped(Attribute::FileShareType),
                volume_type: grouped(Attribute::VolumeType),
            }
        });
        row.billing_value += line.billing_value;
    }
    rows.into_values()
        .map(|mut row| {
            row.billing_value = round3(row.billing_value);
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::gcore::model::GcoreState;
    use crate::vendors::gcore::scenario::GcoreScenario;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn inventory() -> Vec<GcoreResource> {
        let scenario: GcoreScenario = serde_json::from_value(serde_json::json!({
            "projects": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
            "regions": [{"id": 76, "name": "Luxembourg-2"}, {"id": 38, "name": "Frankfurt"}],
            "resources": [
                {"type": "instance", "project_id": 1, "region_id": 76, "flavor": "g1-standard-2-4",
                 "tags": {"os_version": "22.04"}},
                {"type": "instance", "project_id": 2, "region_id": 76, "flavor": "g1-standard-2-4",
                 "created_at": "2024-07-10T12:00:00Z", "deleted_at": "2024-07-11T00:00:00Z"},
                {"type": "volume", "project_id": 1, "region_id": 38, "last_size": 10737418240u64},
                {"type": "egress_traffic", "project_id": 1, "region_id": 38},
                {"type": "functions_calls", "project_id": 2, "region_id": 38}
            ]
        }))
        .unwrap();
        GcoreState::from_scenario(&scenario, 3).unwrap().resources
    }

    fn july() -> UsageReportQuery {
        UsageReportQuery {
            period: Period::new(
                at("2024-07-01T00:00:00Z"),
                at("2024-08-01T00:00:00Z"),
                false,
            )
            .unwrap(),
            projects: None,
            regions: None,
            types: None,
            schema_filter: None,
            tags: None,
            order: Vec::new(),
            limit: 100,
            offset: 0,
        }
    }

    const NOW: &str = "2025-01-01T00:00:00Z";

    #[test]
    fn the_period_runs_from_the_first_day_to_before_the_last() {
        let p = Period::new(
            at("2024-07-01T15:00:00Z"),
            at("2024-07-03T09:00:00Z"),
            false,
        )
        .unwrap();
        assert_eq!(
            (p.start, p.end),
            (at("2024-07-01T00:00:00Z"), at("2024-07-03T00:00:00Z"))
        );
        let p = Period::new(at("2024-07-01T15:00:00Z"), at("2024-07-03T09:00:00Z"), true).unwrap();
        assert_eq!(p.end, at("2024-07-04T00:00:00Z"));
        assert!(
            Period::new(
                at("2024-07-03T00:00:00Z"),
                at("2024-07-03T00:00:00Z"),
                false
            )
            .is_err()
        );
    }

    #[test]
    fn uptime_size_and_metered_billing() {
        let inventory = inventory();
        let report = usage_report(3, at(NOW), &inventory, &july()).unwrap();
        assert_eq!(report.count, 5);
        let whole_month = 31 * 24 * 60;
        assert_eq!(report.resources[0].billing_value, whole_month as f64);
        assert_eq!(
            report.resources[0].billing_metric_name,
            "g1-standard-2-4_min"
        );
        assert_eq!(report.resources[0].first_seen, at("2024-07-01T00:00:30Z"));
        assert_eq!(report.resources[0].last_seen, at("2024-07-31T23:59:30Z"));
        // Created and deleted inside the period: seen for its 12 hours.
        assert_eq!(report.resources[1].billing_value, 720.0);
        assert_eq!(report.resources[1].first_seen, at("2024-07-10T12:00:30Z"));
        assert_eq!(report.resources[2].billing_value, 10.0 * whole_month as f64);
        assert_eq!(report.resources[2].billing_value_unit, "gbminutes");
        assert!(report.resources[3].billing_value > 0.0);
        assert_eq!(report.resources[3].billing_value_unit, "bytes");
        let again = usage_report(3, at(NOW), &inventory, &july()).unwrap();
        assert_eq!(again, report);
    }

    #[test]
    fn totals_group_by_type_region_metric_and_flavor_over_all_pages() {
        let inventory = inventory();
        let query = UsageReportQuery { limit: 1, ..july() };
        let report = usage_report(3, at(NOW), &inventory, &query).unwrap();
        assert_eq!(report.resources.len(), 1);
        let instances: Vec<_> = report
            .totals
            .iter()
            .filter(|t| t.resource_type == ResourceType::Instance)
            .collect();
        assert_eq!(instances.len(), 1);
        assert_eq!(instances[0].billing_value, (31 * 24 * 60 + 720) as f64);
        assert_eq!(instances[0].flavor.as_deref(), Some("g1-standard-2-4"));
    }

    #[test]
    fn nothing_is_seen_after_now() {
        let inventory = inventory();
        let report = usage_report(3, at("2024-06-01T00:00:00Z"), &inventory, &july()).unwrap();
        assert_eq!(report.count, 0);
        assert!(report.totals.is_empty());
    }

    #[test]
    fn tag_conditions_strict_and_loose() {
        let inventory = inventory();
        let with = |strict: bool, value: &str| UsageReportQuery {
            tags: Some(TagFilter {
                condition_type: ConditionType::Or,
                conditions: vec![TagCondition {
                    key: Some("os_version".to_string()),
                    value: Some(value.to_string()),
                    strict,
                }],
            }),
            ..july()
        };
        let count = |q: UsageReportQuery| usage_report(3, at(NOW), &inventory, &q).unwrap().count;
        assert_eq!(count(with(true, "22.04")), 1);
        assert_eq!(count(with(true, "22")), 0);
        assert_eq!(count(with(false, "22")), 1);
    }

    #[test]
    fn a_schema_filter_field_must_belong_to_its_type() {
        let inventory = inventory();
        let query = UsageReportQuery {
            schema_filter: Some(SchemaFilter {
                resource_type: ResourceType::Volume,
                field: Attribute::Flavor,
                values: vec!["x".to_string()],
            }),
            ..july()
        };
        let error = usage_report(3, at(NOW), &inventory, &query).unwrap_err();
        assert!(
            error.message().starts_with("schema_filter.field"),
            "{error}"
        );
    }
}
