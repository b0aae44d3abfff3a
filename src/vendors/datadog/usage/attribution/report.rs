//! Hourly and monthly usage attribution as the API pages them: the time
//! rules (15 months back at most, data 72 hours behind the clock), the
//! records in a fixed order numbered from 1, and `next_record_id` as the
//! project's one cursor over that numbering.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use super::{
    Attribution, AttributionType, Breakdown, Field, HourlyUsageType, Measure, TagCombinations, Tags,
};
use crate::core::cursor::Cursor;
use crate::core::error::{EngineResult, bad_request};
use crate::core::series::hour_index;
use crate::vendors::datadog::model::{DatadogCaller, DatadogOrg, DatadogState};

/// Records per page of `hourly-attribution`.
pub const HOURLY_PAGE_SIZE: u64 = 5_000;
/// Records per page of `monthly-attribution`.
pub const MONTHLY_PAGE_SIZE: u64 = 5_000;
/// Usage of an hour is known this long after it.
const DATA_DELAY: Duration = Duration::hours(72);
/// The oldest month either endpoint serves, counted back from this one.
const MONTHS_KEPT: u32 = 15;

/// The latest hour with data: hours after `now − 72h` have none yet.
pub fn last_hour_with_data(now: DateTime<Utc>) -> DateTime<Utc> {
    let at = now - DATA_DELAY;
    DateTime::from_timestamp(at.timestamp().div_euclid(3600) * 3600, 0).unwrap_or(at)
}

/// The start of the oldest month that may be asked for.
pub fn oldest_start(now: DateTime<Utc>) -> DateTime<Utc> {
    month_start(first_of_month(now.date_naive()) - Months::new(MONTHS_KEPT))
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn month_start(first: NaiveDate) -> DateTime<Utc> {
    first.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// `<source_org_name>:::<tag 1>///<tag 2>`: tags are configured on the
/// parent org and inherited by its children.
fn tag_config_source(
    state: &DatadogState,
    org: &DatadogOrg,
    combinations: &TagCombinations,
) -> String {
    let source = org.parent.map_or(org, |parent| &state.orgs[parent]);
    let keys: Vec<&str> = combinations.keys().collect();
    format!("{}:::{}", source.name, keys.join("///"))
}

/// The parameters of `GET /api/v1/usage/hourly-attribution`.
#[derive(Debug, Clone)]
pub struct HourlyQuery {
    pub usage_type: HourlyUsageType,
    pub start_hr: DateTime<Utc>,
    /// Exclusive; the latest hour with data when absent.
    pub end_hr: Option<DateTime<Utc>>,
    pub tag_breakdown_keys: Vec<String>,
    pub include_descendants: bool,
    pub cursor: Cursor,
}

/// The parameters of `GET /api/v1/usage/monthly-attribution`.
#[derive(Debug, Clone)]
pub struct MonthlyQuery {
    /// The first day of the month.
    pub start_month: NaiveDate,
    /// Inclusive; the current month when absent.
    pub end_month: Option<NaiveDate>,
    pub fields: Vec<Field>,
    pub sort: Option<(Field, SortDirection)>,
    pub tag_breakdown_keys: Vec<String>,
    pub include_descendants: bool,
    pub cursor: Cursor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

/// Who a record is about: the org and the tag group.
#[derive(Debug, Clone)]
pub struct RecordOwner<'a> {
    pub org: &'a DatadogOrg,
    pub tag_config_source: String,
    /// `None` when the usage is not broken down by tags.
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone)]
pub struct HourlyRecord<'a> {
    pub hour: DateTime<Utc>,
    pub owner: RecordOwner<'a>,
    /// The group's usage, or for a `_percentage` usage type its share of
    /// the org's hour in percent.
    pub total_usage_sum: f64,
}

#[derive(Debug, Clone)]
pub struct MonthlyRecord<'a> {
    pub month: NaiveDate,
    pub owner: RecordOwner<'a>,
    /// The requested fields, in the order asked.
    pub values: Vec<(Field, f64)>,
    sort_value: f64,
}

/// One page of attribution records.
#[derive(Debug, Clone)]
pub struct AttributionPage<T> {
    pub records: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// The latest hour usage is computed for.
    pub updated_at: DateTime<Utc>,
}

/// A monthly page and the sums over every page of the query.
#[derive(Debug, Clone)]
pub struct MonthlyReport<'a> {
    pub page: AttributionPage<MonthlyRecord<'a>>,
    pub aggregates: Vec<(Field, f64)>,
}

/// Positions `first..=last` (numbered from 1) of `total`, for a page.
fn page_bounds(cursor: Cursor, total: u64, page_size: u64) -> (u64, u64, Option<Cursor>) {
    let first = cursor.start_seq();
    let last = total.min(first.saturating_add(page_size - 1));
    let next = (last < total).then(|| Cursor::after(last));
    (first, last, next)
}

/// The caller's orgs, the tag combinations and how they are grouped.
struct Scope<'a> {
    orgs: Vec<&'a DatadogOrg>,
    combinations: TagCombinations<'a>,
    breakdown: Breakdown<'a>,
}

impl<'a> Scope<'a> {
    fn new(
        state: &'a DatadogState,
        caller: DatadogCaller,
        include_descendants: bool,
        keys: &[String],
    ) -> Self {
        let combinations = TagCombinations::new(&state.attribution_tags);
        let breakdown = combinations.breakdown(keys);
        Scope {
            orgs: state.orgs_in_scope(caller, include_descendants),
            combinations,
            breakdown,
        }
    }

    fn owner(&self, state: &DatadogState, org: &'a DatadogOrg, group: usize) -> RecordOwner<'a> {
        RecordOwner {
            org,
            tag_config_source: tag_config_source(state, org, &self.combinations),
            tags: self.breakdown.tags(group),
        }
    }

    /// The org's usage during `hours` (consecutive), per group: from the
    /// series' counts or the combinations' (whole months memoised).
    fn groups_between(&self, attribution: &Attribution, hours: &[DateTime<Utc>]) -> Vec<i64> {
        match (hours.first(), hours.last()) {
            (Some(first), Some(last)) if self.breakdown.is_total() => vec![
                attribution
                    .counts(hour_index(*first), hour_index(*last) + 1)
                    .sum,
            ],
            (Some(first), Some(last)) => self
                .breakdown
                .group(&attribution.split_counts(hour_index(*first), hour_index(*last) + 1)),
            _ => vec![0; self.breakdown.group_count()],
        }
    }

    /// The org's usage during `hour`, per group.
    fn groups_at(&self, attribution: &Attribution, hour: DateTime<Utc>) -> Vec<i64> {
        if self.breakdown.is_total() {
            vec![attribution.total(hour)]
        } else {
            self.breakdown.group(&attribution.split(hour))
        }
    }
}

fn check_start(name: &str, start: DateTime<Utc>, now: DateTime<Utc>) -> EngineResult<()> {
    let oldest = oldest_start(now);
    if start < oldest {
        return Err(bad_request(format!(
            "Invalid parameter {name}: usage is kept for {MONTHS_KEPT} months, the oldest start is {}",
            oldest.format("%Y-%m")
        )));
    }
    Ok(())
}

/// A page of hourly attribution. Records run hour by hour, then org, then
/// tag group, so hours whose data lands while a client pages come after
/// every record it has already seen.
pub fn hourly<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    query: &HourlyQuery,
) -> EngineResult<AttributionPage<HourlyRecord<'a>>> {
    check_start("start_hr", query.start_hr, now)?;
    if let Some(end) = query.end_hr
        && end < query.start_hr
    {
        return Err(bad_request(
            "start_hr [YYYY-MM-DDThh] must be before end_hr [YYYY-MM-DDThh]",
        ));
    }
    let updated_at = last_hour_with_data(now);
    let stop = query.end_hr.map_or(updated_at + Duration::hours(1), |end| {
        end.min(updated_at + Duration::hours(1))
    });
    let hours = ((stop - query.start_hr).num_hours()).max(0) as u64;

    let scope = Scope::new(
        state,
        caller,
        query.include_descendants,
        &query.tag_breakdown_keys,
    );
    let (orgs, groups) = (
        scope.orgs.len() as u64,
        scope.breakdown.group_count() as u64,
    );
    let (first, last, next) = page_bounds(query.cursor, hours * orgs * groups, HOURLY_PAGE_SIZE);

    let mut attributions: Vec<Option<Attribution>> = vec![None; scope.orgs.len()];
    let mut cached: Option<((u64, u64), Vec<f64>)> = None;
    let mut records = Vec::with_capacity((last + 1).saturating_sub(first) as usize);
    for seq in first..=last {
        let index = seq - 1;
        let (group, org_index, hour_index) = (
            index % groups,
            (index / groups) % orgs,
            index / (groups * orgs),
        );
        let org = scope.orgs[org_index as usize];
        let hour = query.start_hr + Duration::hours(hour_index as i64);
        let fresh = cached
            .as_ref()
            .is_none_or(|(at, _)| *at != (hour_index, org_index));
        if fresh {
            let attribution = attributions[org_index as usize].get_or_insert_with(|| {
                Attribution::new(
                    seed,
                    &org.public_id,
                    query.usage_type.attribution_type,
                    &scope.combinations,
                )
            });
            let groups = scope.groups_at(attribution, hour);
            let values = match query.usage_type.measure {
                Measure::Usage => groups.iter().map(|&v| v as f64).collect(),
                Measure::Percentage => percentages(&groups),
            };
            cached = Some(((hour_index, org_index), values));
        }
        let values = &cached.as_ref().expect("computed above").1;
        records.push(HourlyRecord {
            hour,
            owner: scope.owner(state, org, group as usize),
            total_usage_sum: values[group as usize],
        });
    }
    Ok(AttributionPage {
        records,
        next,
        updated_at,
    })
}

/// Monthly attribution: every record of the query is computed (sorting
/// and the aggregates need them all), then the page is cut out. Records run
/// month by month, then org, then tag group, unless a sort is asked for.
pub fn monthly<'a>(
    state: &'a DatadogState,
    seed: u64,
    now: DateTime<Utc>,
    caller: DatadogCaller,
    query: &MonthlyQuery,
) -> EngineResult<MonthlyReport<'a>> {
    check_start("start_month", month_start(query.start_month), now)?;
    if let Some(end) = query.end_month
        && end < query.start_month
    {
        return Err(bad_request(
            "Invalid parameter end_month: it must not be before start_month",
        ));
    }
    let updated_at = last_hour_with_data(now);
    let data_stop = updated_at + Duration::hours(1);
    let end_month = query
        .end_month
        .unwrap_or_else(|| first_of_month(now.date_naive()));

    let scope = Scope::new(
        state,
        caller,
        query.include_descendants,
        &query.tag_breakdown_keys,
    );
    let mut types: Vec<&'static AttributionType> = Vec::new();
    for field in query.fields.iter().chain(query.sort.iter().map(|(f, _)| f)) {
        if !types
            .iter()
            .any(|t| std::ptr::eq(*t, field.attribution_type))
        {
            types.push(field.attribution_type);
        }
    }

    // Per org, per attribution type: the same every month.
    let attributions: Vec<Vec<Attribution>> = scope
        .orgs
        .iter()
        .map(|org| {
            types
                .iter()
                .map(|t| Attribution::new(seed, &org.public_id, t, &scope.combinations))
                .collect()
        })
        .collect();
    let mut records = Vec::new();
    let mut month = query.start_month;
    while month <= end_month && month_start(month) < data_stop {
        let next_month = month + Months::new(1);
        let hours = month_hours(month_start(month), month_start(next_month).min(data_stop));
        for (org, attributions) in scope.orgs.iter().zip(&attributions) {
            // Per attribution type: each group's month, and the org's.
            let sums: Vec<(Vec<i64>, i64)> = attributions
                .iter()
                .map(|attribution| {
                    let groups = scope.groups_between(attribution, &hours);
                    let org_total = groups.iter().sum();
                    (groups, org_total)
                })
                .collect();
            let value_of = |field: &Field, group: usize| {
                let position = types
                    .iter()
                    .position(|t| std::ptr::eq(*t, field.attribution_type))
                    .expect("every field's type is summed");
                let (groups, org_total) = &sums[position];
                match field.measure {
                    Measure::Usage => groups[group] as f64,
                    Measure::Percentage if *org_total == 0 => 0.0,
                    Measure::Percentage => groups[group] as f64 * 100.0 / *org_total as f64,
                }
            };
            for group in 0..scope.breakdown.group_count() {
                records.push(MonthlyRecord {
                    month,
                    owner: scope.owner(state, org, group),
                    values: query
                        .fields
                        .iter()
                        .map(|f| (*f, value_of(f, group)))
                        .collect(),
                    sort_value: query.sort.map_or(0.0, |(f, _)| value_of(&f, group)),
                });
            }
        }
        month = next_month;
    }

    match query.sort.map(|(_, direction)| direction) {
        Some(SortDirection::Asc) => records.sort_by(|a, b| a.sort_value.total_cmp(&b.sort_value)),
        Some(SortDirection::Desc) => records.sort_by(|a, b| b.sort_value.total_cmp(&a.sort_value)),
        None => {}
    }
    let aggregates = query
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| (*field, records.iter().map(|r| r.values[i].1).sum()))
        .collect();
    let (first, last, next) = page_bounds(query.cursor, records.len() as u64, MONTHLY_PAGE_SIZE);
    let page: Vec<MonthlyRecord> = records
        .into_iter()
        .skip((first - 1) as usize)
        .take((last + 1).saturating_sub(first) as usize)
        .collect();
    Ok(MonthlyReport {
        page: AttributionPage {
            records: page,
            next,
            updated_at,
        },
        aggregates,
    })
}

/// Each group's share of their sum, in percent; all 0 when the sum is.
fn percentages(groups: &[i64]) -> Vec<f64> {
    let total: i64 = groups.iter().sum();
    groups
        .iter()
        .map(|&v| {
            if total == 0 {
                0.0
            } else {
                v as f64 * 100.0 / total as f64
            }
        })
        .collect()
}

fn month_hours(start: DateTime<Utc>, stop: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let count = (stop - start).num_hours().max(0);
    (0..count).map(|h| start + Duration::hours(h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::datadog::scenario::DatadogScenario;

    fn state() -> DatadogState {
        let scenario: DatadogScenario = serde_json::from_value(serde_json::json!({
            "orgs": [
                {"name": "Parent", "public_id": "parent0001", "api_keys": ["k"], "application_keys": ["a"]},
                {"name": "Child", "public_id": "child00001", "parent": "parent0001"}
            ],
            "attribution_tags": {"team": ["a", "b", "c"], "env": ["prod", "staging"]}
        }))
        .unwrap();
        DatadogState::from_scenario(&scenario).unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-06-15T12:00:00Z".parse().unwrap()
    }

    fn hourly_query(start: &str, end: &str, keys: &[&str]) -> HourlyQuery {
        HourlyQuery {
            usage_type: crate::vendors::datadog::usage::attribution::hourly_usage_type(
                "infra_host_usage",
            )
            .unwrap(),
            start_hr: start.parse().unwrap(),
            end_hr: Some(end.parse().unwrap()),
            tag_breakdown_keys: keys.iter().map(|k| k.to_string()).collect(),
            include_descendants: true,
            cursor: Cursor::first_page(),
        }
    }

    fn walk_hourly<'a>(state: &'a DatadogState, mut query: HourlyQuery) -> Vec<HourlyRecord<'a>> {
        let mut all = Vec::new();
        loop {
            let page = hourly(state, 9, now(), DatadogCaller { org: 0 }, &query).unwrap();
            all.extend(page.records);
            match page.next {
                Some(next) => query.cursor = next,
                None => return all,
            }
        }
    }

    #[test]
    fn a_month_of_attribution_is_the_sum_of_its_hours() {
        let state = state();
        let field = Field::named("infra_host_usage").unwrap();
        let report = monthly(
            &state,
            9,
            now(),
            DatadogCaller { org: 0 },
            &MonthlyQuery {
                start_month: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
                end_month: Some(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()),
                fields: vec![field],
                sort: None,
                tag_breakdown_keys: vec!["team".to_string()],
                include_descendants: true,
                cursor: Cursor::first_page(),
            },
        )
        .unwrap();
        assert_eq!(report.page.records.len(), 2 * 3);
        let hours = walk_hourly(
            &state,
            hourly_query("2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", &["team"]),
        );
        assert_eq!(hours.len(), 31 * 24 * 2 * 3);
        for record in &report.page.records {
            let summed: f64 = hours
                .iter()
                .filter(|h| {
                    h.owner.org.public_id == record.owner.org.public_id
                        && h.owner.tags == record.owner.tags
                })
                .map(|h| h.total_usage_sum)
                .sum();
            assert_eq!(record.values[0].1, summed);
        }
    }

    /// Monthly attribution is the sum of hourly attribution for every
    /// product of the catalogue, and hourly percentages split each org's
    /// hour into 100.
    #[test]
    fn every_product_s_month_is_the_sum_of_its_hours() {
        let state = state();
        // June has data up to 2026-06-02T12:00: 37 hours.
        let early_june: DateTime<Utc> = "2026-06-05T12:00:00Z".parse().unwrap();
        let caller = DatadogCaller { org: 0 };
        let june = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let report = monthly(
            &state,
            9,
            early_june,
            caller,
            &MonthlyQuery {
                start_month: june,
                end_month: Some(june),
                fields: Field::supported().collect(),
                sort: None,
                tag_breakdown_keys: vec!["team".to_string()],
                include_descendants: true,
                cursor: Cursor::first_page(),
            },
        )
        .unwrap();
        assert_eq!(report.page.records.len(), 2 * 3);
        for usage_type in crate::vendors::datadog::usage::attribution::hourly_usage_types() {
            let mut query = hourly_query("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z", &["team"]);
            query.usage_type = usage_type;
            let page = hourly(&state, 9, early_june, caller, &query).unwrap();
            assert!(page.next.is_none());
            assert_eq!(page.records.len(), 37 * 2 * 3, "{}", usage_type.name);
            match usage_type.measure {
                Measure::Percentage => {
                    for chunk in page.records.chunks(3) {
                        let sum: f64 = chunk.iter().map(|r| r.total_usage_sum).sum();
                        assert!((sum - 100.0).abs() < 1e-9, "{} {sum}", usage_type.name);
                    }
                }
                Measure::Usage if usage_type.attribution_type.monthly => {
                    let field = Field::named(usage_type.attribution_type.usage_field).unwrap();
                    for record in &report.page.records {
                        let summed: f64 = page
                            .records
                            .iter()
                            .filter(|h| {
                                h.owner.org.public_id == record.owner.org.public_id
                                    && h.owner.tags == record.owner.tags
                            })
                            .map(|h| h.total_usage_sum)
                            .sum();
                        let (_, monthly) = record.values.iter().find(|(f, _)| *f == field).unwrap();
                        assert_eq!(*monthly, summed, "{}", usage_type.name);
                    }
                    let total: f64 = page.records.iter().map(|h| h.total_usage_sum).sum();
                    assert!(total > 0.0, "{}", usage_type.name);
                }
                Measure::Usage => {}
            }
        }
        // Each org's percentages of each field add up to 100.
        for field in Field::supported().filter(|f| f.measure == Measure::Percentage) {
            for org in ["parent0001", "child00001"] {
                let sum: f64 = report
                    .page
                    .records
                    .iter()
                    .filter(|r| r.owner.org.public_id == org)
                    .map(|r| r.values.iter().find(|(f, _)| *f == field).unwrap().1)
                    .sum();
                assert!((sum - 100.0).abs() < 1e-9, "{} {org} {sum}", field.name());
            }
        }
    }

    #[test]
    fn hours_after_now_minus_72h_have_no_data() {
        let state = state();
        let records = walk_hourly(
            &state,
            hourly_query("2026-06-12T10:00:00Z", "2026-06-13T00:00:00Z", &[]),
        );
        let hours: Vec<String> = records
            .iter()
            .map(|r| r.hour.format("%H").to_string())
            .collect();
        assert_eq!(hours, ["10", "10", "11", "11", "12", "12"]);
    }

    #[test]
    fn the_oldest_start_is_fifteen_months_back() {
        assert_eq!(
            oldest_start(now()),
            "2025-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
