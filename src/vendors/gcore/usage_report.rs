//! `POST /cloud/v1/usage_report`: the client's resources seen in a period,
//! what each is billed, and totals (the SDK's `cloud.usage_reports.get`).

use std::sync::Arc;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::errors::GcoreError;
use super::extract::{Body, Caller, FromBody};
use crate::core::store::Store;
use crate::vendors::gcore::model::ResourceType;
use crate::vendors::gcore::usage::{
    self, DEFAULT_LIMIT, Direction, Period, ReportLine, ReportTotal, SchemaFilter, SortField,
    SortKey, TagFilter, UsageReportQuery,
};

/// `UsageReportGetParams`.
#[derive(Debug, Deserialize)]
pub struct UsageReportRequest {
    time_from: String,
    time_to: String,
    #[serde(default)]
    enable_last_day: bool,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    order_by: Option<Vec<OrderBy>>,
    #[serde(default)]
    projects: Option<Vec<u64>>,
    #[serde(default)]
    regions: Option<Vec<u64>>,
    #[serde(default)]
    schema_filter: Option<SchemaFilter>,
    /// Deprecated in favour of `order_by`, which comes first when both are sent.
    #[serde(default)]
    sorting: Option<Vec<Sorting>>,
    #[serde(default)]
    tags: Option<TagFilter>,
    #[serde(default)]
    types: Option<Vec<ResourceType>>,
}

/// One of `order_by`: `field.asc` or `field.desc`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
struct OrderBy(SortKey);

impl TryFrom<String> for OrderBy {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let key = raw.rsplit_once('.').and_then(|(field, direction)| {
            let field = SortField::ALL.into_iter().find(|f| f.name() == field)?;
            let direction = match direction {
                "asc" => Direction::Asc,
                "desc" => Direction::Desc,
                _ => return None,
            };
            Some(SortKey { field, direction })
        });
        key.map(OrderBy).ok_or_else(|| {
            let fields: Vec<&str> = SortField::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown variant `{raw}`, expected `<field>.asc` or `<field>.desc` with field one of {}",
                fields.join(", ")
            )
        })
    }
}

/// One of the deprecated `sorting` objects: `{"project": "desc"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sorting {
    billing_value: Option<Direction>,
    first_seen: Option<Direction>,
    last_name: Option<Direction>,
    last_seen: Option<Direction>,
    project: Option<Direction>,
    region: Option<Direction>,
    #[serde(rename = "type")]
    resource_type: Option<Direction>,
}

impl Sorting {
    fn keys(&self) -> impl Iterator<Item = SortKey> {
        [
            (SortField::BillingValue, self.billing_value),
            (SortField::FirstSeen, self.first_seen),
            (SortField::LastName, self.last_name),
            (SortField::LastSeen, self.last_seen),
            (SortField::Project, self.project),
            (SortField::Region, self.region),
            (SortField::Type, self.resource_type),
        ]
        .into_iter()
        .filter_map(|(field, direction)| direction.map(|direction| SortKey { field, direction }))
    }
}

/// `UsageReport`.
#[derive(Debug, Serialize)]
pub struct UsageReport {
    count: u64,
    resources: Vec<Resource>,
    totals: Vec<Total>,
}

/// One of the SDK's `ResourceResource*Serializer` models: the attributes
/// its type lacks are left out.
#[derive(Debug, Serialize)]
struct Resource {
    billing_metric_name: String,
    billing_value: f64,
    billing_value_unit: &'static str,
    first_seen: String,
    last_seen: String,
    project_id: u64,
    region: u64,
    region_id: u64,
    #[serde(rename = "type")]
    resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flavor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attached_to_vm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_volume_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_share_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vm_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_type: Option<&'static str>,
}

/// One of the SDK's `TotalTotal*ReportItemSerializer` models.
#[derive(Debug, Serialize)]
struct Total {
    billing_metric_name: String,
    billing_value: f64,
    billing_value_unit: &'static str,
    region: u64,
    region_id: u64,
    #[serde(rename = "type")]
    resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flavor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_share_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume_type: Option<String>,
}

/// ISO 8601, with or without a zone (none means UTC), or a bare date.
fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>, GcoreError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.to_utc());
    }
    let bare = raw.strip_suffix('Z').unwrap_or(raw);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(bare, format) {
            return Ok(naive.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(GcoreError::validation(format!(
        "{field}: expected an ISO 8601 date-time such as 2023-01-01T00:00:00Z, got {raw:?}"
    )))
}

impl FromBody for UsageReportQuery {
    type Sent = UsageReportRequest;

    fn from_body(sent: UsageReportRequest) -> Result<Self, GcoreError> {
        parse(sent)
    }
}

fn parse(request: UsageReportRequest) -> Result<UsageReportQuery, GcoreError> {
    let period = Period::new(
        parse_instant("time_from", &request.time_from)?,
        parse_instant("time_to", &request.time_to)?,
        request.enable_last_day,
    )?;
    let mut order: Vec<SortKey> = request
        .order_by
        .unwrap_or_default()
        .into_iter()
        .map(|OrderBy(key)| key)
        .collect();
    order.extend(request.sorting.iter().flatten().flat_map(Sorting::keys));
    Ok(UsageReportQuery {
        period,
        projects: request.projects,
        regions: request.regions,
        types: request.types,
        schema_filter: request.schema_filter,
        tags: request.tags,
        order,
        limit: request.limit.unwrap_or(DEFAULT_LIMIT),
        offset: request.offset.unwrap_or(0),
    })
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn render_resource(line: ReportLine) -> Resource {
    let r = line.resource;
    Resource {
        billing_metric_name: line.billing_metric_name,
        billing_value: line.billing_value,
        billing_value_unit: line.billing_value_unit,
        first_seen: timestamp(line.first_seen),
        last_seen: timestamp(line.last_seen),
        project_id: r.project_id,
        region: r.region_id,
        region_id: r.region_id,
        resource_type: r.resource_type.name(),
        uuid: r.uuid.clone(),
        last_name: r.last_name.clone(),
        flavor: r.flavor.clone(),
        // Gcore lists tags as one-entry objects.
        tags: r.tags.as_ref().map(|tags| {
            tags.iter()
                .map(|(key, value)| BTreeMap::from([(key.clone(), value.clone())]))
                .collect()
        }),
        last_size: r.last_size,
        size_unit: r.size_unit,
        volume_type: r.volume_type.clone(),
        attached_to_vm: r.attached_to_vm.clone(),
        source_volume_uuid: r.source_volume_uuid.clone(),
        schedule_id: r.schedule_id.clone(),
        file_share_type: r.file_share_type.clone(),
        ip_address: r.ip_address.clone(),
        network_id: r.network_id.clone(),
        port_id: r.port_id.clone(),
        subnet_id: r.subnet_id.clone(),
        vm_id: r.vm_id.clone(),
        instance_name: r.instance_name.clone(),
        instance_type: r.instance_type.map(|t| t.name()),
    }
}

fn render_total(total: ReportTotal) -> Total {
    Total {
        billing_metric_name: total.billing_metric_name,
        billing_value: total.billing_value,
        billing_value_unit: total.billing_value_unit,
        region: total.region_id,
        region_id: total.region_id,
        resource_type: total.resource_type.name(),
        flavor: total.flavor,
        instance_type: total.instance_type,
        file_share_type: total.file_share_type,
        volume_type: total.volume_type,
    }
}

pub async fn get(
    State(store): State<Arc<Store>>,
    _caller: Caller,
    Body(query): Body<UsageReportQuery>,
) -> Result<Json<UsageReport>, GcoreError> {
    // Long periods cost CPU in proportion: off the async workers. The
    // error is rendered here, where the request's id is known.
    let report = crate::vendors::off_the_workers(move || {
        let world = store.read();
        let report = usage::usage_report(
            world.seed,
            world.clock.now(),
            &world.sections.gcore().resources,
            &query,
        )?;
        Ok::<_, crate::core::error::EngineError>(UsageReport {
            count: report.count,
            resources: report.resources.into_iter().map(render_resource).collect(),
            totals: report.totals.into_iter().map(render_total).collect(),
        })
    })
    .await?;
    Ok(Json(report))
}
