//! `/api/instances…` and `/api/orgs/{org}/instances`: stacks, their
//! connectivity, restart, hosted-Grafana API keys and data sources.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::errors::GcomError;
use super::extract::{Authorized, Path};
use super::pagination::{GcomList, Link, WHOLE_LIST_PAGE_SIZE};
use super::scopes::{StacksDelete, StacksRead, StacksWrite};
use crate::core::clock::Shown;
use crate::core::cursor::Cursor;
use crate::core::error::{EngineError, bad_request};
use crate::core::http::{Text, json_answer, json_body, json_bytes, json_response, unserializable};
use crate::core::params::QueryParams;
use crate::core::store::Store;
use crate::core::world::World;
use crate::vendors::grafana::model::stacks::{
    LabelSelector, NewStack, Stack, StackChanges, StackFilter, StackId, StackOrder, StackPaging,
    StackStatus,
};
use crate::vendors::grafana::model::{GrafanaCaller, Org, Region};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateStack {
    name: String,
    slug: String,
    url: Option<String>,
    region: Option<String>,
    description: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    delete_protection: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateStack {
    name: Option<String>,
    description: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    delete_protection: Option<bool>,
}

/// Offsets that give each of a stack's backing instances its own id,
/// derived from the stack id so they stay consistent across calls.
pub(super) mod instance_id {
    pub const PROMETHEUS: u64 = 1_000_000;
    pub const GRAPHITE: u64 = 2_000_000;
    pub const LOGS: u64 = 3_000_000;
    pub const ALERTS: u64 = 4_000_000;
    pub const TRACES: u64 = 5_000_000;
    pub const PROFILES: u64 = 6_000_000;
    pub const AGENT_MANAGEMENT: u64 = 7_000_000;
}

/// About the size of a stack's JSON (4 KB in the default scenario).
const STACK_BYTES: usize = 4608;

/// A stack as the API shows it (`FormattedApiInstance`), borrowing from the
/// world: rendered while its guard is held ([`json_response`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackView<'a> {
    id: u64,
    org_id: u64,
    org_slug: &'a str,
    org_name: &'a str,
    org_created_at: Shown,
    #[serde(rename = "type")]
    stack_type: &'static str,
    name: &'a str,
    url: Text<StackUrl<'a>>,
    slug: &'a str,
    version: &'static str,
    description: &'a str,
    labels: &'a BTreeMap<String, String>,
    status: &'static str,
    gateway: &'static str,
    created_at: Shown,
    created_by: &'a str,
    updated_at: Option<Shown>,
    updated_by: &'a str,
    trial: u32,
    trial_expires_at: Option<Shown>,
    cluster_id: u64,
    cluster_slug: &'a str,
    cluster_name: &'a str,
    plan: &'static str,
    plan_name: &'static str,
    billing_start_date: Shown,
    billing_end_date: Option<Shown>,
    billing_active_users: u32,
    billing_grafana_active_users: u32,
    billing_on_call_active_users: u32,
    current_active_users: u32,
    current_active_admin_users: u32,
    current_active_editor_users: u32,
    current_active_viewer_users: u32,
    daily_user_cnt: u32,
    daily_admin_cnt: u32,
    daily_editor_cnt: u32,
    daily_viewer_cnt: u32,
    dashboard_cnt: u32,
    datasource_cnts: BTreeMap<&'static str, u32>,
    user_quota: i64,
    dashboard_quota: i64,
    alert_quota: i64,
    alert_cnt: u32,
    ssl: bool,
    custom_auth: bool,
    custom_domain: bool,
    support: bool,
    running_version: &'static str,
    machine_learning: u32,
    incident: u32,
    delete_protection: bool,
    hm_instance_prom_id: u64,
    hm_instance_prom_url: Text<ServiceUrl<'a>>,
    hm_instance_prom_name: Text<Suffixed<'a>>,
    hm_instance_prom_status: &'static str,
    hm_instance_prom_current_usage: f64,
    hm_instance_prom_current_active_series: f64,
    hm_instance_prom_billing_usage: f64,
    hm_instance_prom_cluster_id: u64,
    hm_instance_graphite_id: u64,
    hm_instance_graphite_url: Text<ServiceUrl<'a>>,
    hm_instance_graphite_name: Text<Suffixed<'a>>,
    hm_instance_graphite_type: &'static str,
    hm_instance_graphite_status: &'static str,
    hm_instance_graphite_current_usage: f64,
    hm_instance_graphite_billing_usage: f64,
    hm_instance_graphite_cluster_id: u64,
    hl_instance_id: u64,
    hl_instance_url: Text<ServiceUrl<'a>>,
    hl_instance_name: Text<Suffixed<'a>>,
    hl_instance_status: &'static str,
    hl_instance_current_usage: f64,
    hl_instance_billing_usage: f64,
    hl_instance_cluster_id: u64,
    am_instance_id: u64,
    am_instance_name: Text<Suffixed<'a>>,
    am_instance_url: Text<ServiceUrl<'a>>,
    am_instance_status: &'static str,
    am_instance_generator_url: Text<StackUrl<'a>>,
    am_instance_generator_url_datasource: &'static str,
    am_instance_cluster_id: u64,
    ht_instance_id: u64,
    ht_instance_url: Text<ServiceUrl<'a>>,
    ht_instance_name: Text<Suffixed<'a>>,
    ht_instance_status: &'static str,
    ht_instance_current_usage: f64,
    ht_instance_billing_usage: f64,
    ht_instance_cluster_id: u64,
    hp_instance_id: u64,
    hp_instance_url: Text<ServiceUrl<'a>>,
    hp_instance_name: Text<Suffixed<'a>>,
    hp_instance_status: &'static str,
    hp_instance_current_usage: f64,
    hp_instance_billing_usage: f64,
    hp_instance_cluster_id: u64,
    agent_management_instance_id: u64,
    agent_management_instance_url: Text<ServiceUrl<'a>>,
    agent_management_instance_name: Text<Suffixed<'a>>,
    agent_management_instance_status: &'static str,
    agent_management_instance_cluster_id: u64,
    region_id: u64,
    region_slug: &'a str,
    region_public_name: &'a str,
    provider: &'a str,
    provider_region: &'a str,
    region_assistant_url: Text<ServiceUrl<'a>>,
    region_hosted_exporters_api_url: Text<ServiceUrl<'a>>,
    region_insights_api_url: Text<ServiceUrl<'a>>,
    region_integrations_api_url: Text<ServiceUrl<'a>>,
    #[serde(rename = "regionLLMGatewayUrl")]
    region_llm_gateway_url: Text<ServiceUrl<'a>>,
    region_machine_learning_api_url: Text<ServiceUrl<'a>>,
    region_sigil_url: Text<ServiceUrl<'a>>,
    region_stack_state_service_url: Text<ServiceUrl<'a>>,
    region_synthetic_monitoring_api_url: Text<ServiceUrl<'a>>,
    k6_org_id: Option<u64>,
    machine_learning_logs_token: &'static str,
    usage_stats_id: Text<StackId>,
    links: [StackLink<'a>; 3],
}

/// `https://<service>-<cluster>.grafana.net`: every regional URL of a stack.
pub(super) fn service_url(service: &str, region: &Region) -> String {
    ServiceUrl {
        service,
        cluster: &region.cluster_slug,
    }
    .to_string()
}

/// `https://<service>-<cluster>.grafana.net`.
#[derive(Debug)]
pub struct ServiceUrl<'a> {
    service: &'a str,
    cluster: &'a str,
}

impl fmt::Display for ServiceUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://{}-{}.grafana.net", self.service, self.cluster)
    }
}

/// `<slug>-<suffix>`: a backing instance's name.
#[derive(Debug)]
pub struct Suffixed<'a> {
    slug: &'a str,
    suffix: &'static str,
}

impl fmt::Display for Suffixed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.slug, self.suffix)
    }
}

/// [`Stack::url`].
#[derive(Debug)]
pub struct StackUrl<'a>(&'a Stack);

impl fmt::Display for StackUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.custom_url {
            Some(url) => f.write_str(url),
            None => write!(f, "https://{}.grafana.net", self.0.slug),
        }
    }
}

/// `<before><slug><after>`: a link of a stack.
#[derive(Debug)]
pub struct Href<'a> {
    before: &'static str,
    slug: &'a str,
    after: &'static str,
}

impl fmt::Display for Href<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.before, self.slug, self.after)
    }
}

/// A [`Link`] of a stack.
#[derive(Debug, Serialize)]
pub struct StackLink<'a> {
    rel: &'static str,
    href: Text<Href<'a>>,
}

impl<'a> StackView<'a> {
    pub fn new(stack: &'a Stack, org: &'a Org, region: &'a Region) -> Self {
        let url = || Text(StackUrl(stack));
        let cluster_id = region.cluster_id;
        let status = stack.status.as_str();
        let instance = |offset: u64| stack.id + offset;
        let named = |suffix: &'static str| {
            Text(Suffixed {
                slug: &stack.slug,
                suffix,
            })
        };
        let service_url = |service: &'static str, region: &'a Region| {
            Text(ServiceUrl {
                service,
                cluster: &region.cluster_slug,
            })
        };
        let link = |rel: &'static str, before: &'static str, slug: &'a str, after: &'static str| {
            StackLink {
                rel,
                href: Text(Href {
                    before,
                    slug,
                    after,
                }),
            }
        };
        StackView {
            id: stack.id,
            org_id: org.id,
            org_slug: &org.slug,
            org_name: &org.name,
            org_created_at: Shown(org.created_at),
            stack_type: "grafana",
            name: &stack.name,
            slug: &stack.slug,
            version: "stable",
            description: &stack.description,
            labels: &stack.labels,
            status,
            gateway: "istio",
            created_at: Shown(stack.created_at),
            created_by: &stack.created_by,
            updated_at: stack.updated_at.map(Shown),
            updated_by: &stack.updated_by,
            trial: 0,
            trial_expires_at: None,
            cluster_id,
            cluster_slug: &region.cluster_slug,
            cluster_name: &region.cluster_slug,
            plan: "gcloud",
            plan_name: "Grafana Cloud",
            billing_start_date: Shown(stack.billing_start_date),
            billing_end_date: stack.billing_end_date.map(Shown),
            billing_active_users: 0,
            billing_grafana_active_users: 0,
            billing_on_call_active_users: 0,
            current_active_users: 0,
            current_active_admin_users: 0,
            current_active_editor_users: 0,
            current_active_viewer_users: 0,
            daily_user_cnt: 0,
            daily_admin_cnt: 0,
            daily_editor_cnt: 0,
            daily_viewer_cnt: 0,
            dashboard_cnt: 0,
            datasource_cnts: BTreeMap::new(),
            user_quota: 10,
            dashboard_quota: -1,
            alert_quota: -1,
            alert_cnt: 0,
            ssl: true,
            custom_auth: true,
            custom_domain: stack.custom_url.is_some(),
            support: true,
            running_version: "",
            machine_learning: 0,
            incident: 0,
            delete_protection: stack.delete_protection,
            hm_instance_prom_id: instance(instance_id::PROMETHEUS),
            hm_instance_prom_url: service_url("prometheus", region),
            hm_instance_prom_name: named("prom"),
            hm_instance_prom_status: status,
            hm_instance_prom_current_usage: 0.0,
            hm_instance_prom_current_active_series: 0.0,
            hm_instance_prom_billing_usage: 0.0,
            hm_instance_prom_cluster_id: cluster_id,
            hm_instance_graphite_id: instance(instance_id::GRAPHITE),
            hm_instance_graphite_url: service_url("graphite", region),
            hm_instance_graphite_name: named("graphite"),
            hm_instance_graphite_type: "graphite-v5",
            hm_instance_graphite_status: status,
            hm_instance_graphite_current_usage: 0.0,
            hm_instance_graphite_billing_usage: 0.0,
            hm_instance_graphite_cluster_id: cluster_id,
            hl_instance_id: instance(instance_id::LOGS),
            hl_instance_url: service_url("logs", region),
            hl_instance_name: named("logs"),
            hl_instance_status: status,
            hl_instance_current_usage: 0.0,
            hl_instance_billing_usage: 0.0,
            hl_instance_cluster_id: cluster_id,
            am_instance_id: instance(instance_id::ALERTS),
            am_instance_name: named("alerts"),
            am_instance_url: service_url("alertmanager", region),
            am_instance_status: status,
            am_instance_generator_url: url(),
            am_instance_generator_url_datasource: "",
            am_instance_cluster_id: cluster_id,
            ht_instance_id: instance(instance_id::TRACES),
            ht_instance_url: service_url("tempo", region),
            ht_instance_name: named("traces"),
            ht_instance_status: status,
            ht_instance_current_usage: 0.0,
            ht_instance_billing_usage: 0.0,
            ht_instance_cluster_id: cluster_id,
            hp_instance_id: instance(instance_id::PROFILES),
            hp_instance_url: service_url("profiles", region),
            hp_instance_name: named("profiles"),
            hp_instance_status: status,
            hp_instance_current_usage: 0.0,
            hp_instance_billing_usage: 0.0,
            hp_instance_cluster_id: cluster_id,
            agent_management_instance_id: instance(instance_id::AGENT_MANAGEMENT),
            agent_management_instance_url: service_url("fleet-management", region),
            agent_management_instance_name: named("agent-management"),
            agent_management_instance_status: status,
            agent_management_instance_cluster_id: cluster_id,
            region_id: region.id,
            region_slug: &region.slug,
            region_public_name: &region.name,
            provider: &region.provider,
            provider_region: &region.description,
            region_assistant_url: service_url("assistant", region),
            region_hosted_exporters_api_url: service_url("hosted-exporters-api", region),
            region_insights_api_url: service_url("insights-api", region),
            region_integrations_api_url: service_url("integrations-api", region),
            region_llm_gateway_url: service_url("llm-gateway", region),
            region_machine_learning_api_url: service_url("machine-learning", region),
            region_sigil_url: service_url("sigil", region),
            region_stack_state_service_url: service_url("stack-state-service", region),
            region_synthetic_monitoring_api_url: service_url("synthetic-monitoring-api", region),
            k6_org_id: None,
            machine_learning_logs_token: "",
            usage_stats_id: Text(stack.id),
            links: [
                link("self", "/instances/", &stack.slug, ""),
                link("org", "/orgs/", &org.slug, ""),
                link("plugins", "/instances/", &stack.slug, "/plugins"),
            ],
            url: url(),
        }
    }
}

/// Renders `stack` with its org and region from `world`.
pub fn stack_view<'a>(world: &'a World, stack: &'a Stack) -> StackView<'a> {
    let grafana = &world.sections.grafana();
    let org = grafana
        .orgs
        .get(&stack.org_id)
        .expect("a stack's org exists");
    StackView::new(stack, org, grafana.stack_region(stack))
}

pub async fn create(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksWrite>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GcomError> {
    let body: CreateStack = json_body(body)?;
    let new = NewStack {
        id: None,
        name: body.name,
        slug: body.slug,
        url: body.url,
        region: body.region,
        description: body.description,
        labels: body.labels,
        delete_protection: body.delete_protection,
        created_at: None,
    };
    let mut world = store.write();
    let stack = world.create_stack(&caller, new)?;
    Ok(json_response(&stack_view(&world, &stack), STACK_BYTES))
}

pub async fn get(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksRead>,
    Path(slug_or_id): Path<String>,
) -> Result<Response, GcomError> {
    let world = store.read();
    let stack = world.stack(&caller, &slug_or_id)?;
    let rendered = store.rendered(&world, ("grafana.stack", u128::from(stack.id)), |world| {
        json_bytes(&stack_view(world, stack), STACK_BYTES)
    });
    Ok(rendered.map_or_else(unserializable, json_answer))
}

pub async fn update(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksWrite>,
    Path(slug_or_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GcomError> {
    let body: UpdateStack = json_body(body)?;
    let changes = StackChanges {
        name: body.name,
        description: body.description,
        labels: body.labels,
        delete_protection: body.delete_protection,
    };
    let mut world = store.write();
    let stack = world.update_stack(&caller, &slug_or_id, changes)?;
    Ok(json_response(&stack_view(&world, &stack), STACK_BYTES))
}

pub async fn delete(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksDelete>,
    Path(slug_or_id): Path<String>,
) -> Result<Response, GcomError> {
    let mut world = store.write();
    let stack = world.delete_stack(&caller, &slug_or_id)?;
    debug_assert_eq!(stack.status, StackStatus::Deleted);
    Ok(json_response(&stack_view(&world, &stack), STACK_BYTES))
}

pub async fn list(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: params,
        ..
    }: Authorized<StacksRead, QueryParams>,
    Path(org_slug_or_id): Path<String>,
) -> Result<Response, GcomError> {
    let world = store.read();
    world.require_org_path(&caller, &org_slug_or_id)?;
    let one = |name: &str| params.non_empty(name).map(|v| vec![v.to_string()]);
    let filter = StackFilter {
        names: one("name"),
        slugs: one("slug"),
        regions: one("region"),
        ids: params.parse_with(
            "id",
            |v| v.parse().ok().map(|id| vec![id]),
            "a numeric stack id",
        )?,
        ..StackFilter::default()
    };
    let stacks = world.list_stacks(&caller, &filter);
    let items: Vec<StackView> = stacks
        .iter()
        .map(|stack| stack_view(&world, stack))
        .collect();
    let bytes = STACK_BYTES * items.len() + 256;
    Ok(json_response(
        &GcomList::paged(items, "name", "/instances"),
        bytes,
    ))
}

/// `GET /api/instances`: the list envelope of the org's stack list, with
/// `cursor` and `nextCursor` when paged by cursor.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceList<'a> {
    #[serde(flatten)]
    list: GcomList<StackView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<u64>,
    /// `null` on the last page of a cursor walk.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<Option<u64>>,
}

/// Grafana's `orderBy` values: the ones mockcloud stacks differ on, and
/// the counters that are equal for all of them (ordered by id).
const ORDER_BY: [(&str, StackOrder); 12] = [
    ("id", StackOrder::Id),
    ("name", StackOrder::Name),
    ("createdAt", StackOrder::CreatedAt),
    ("version", StackOrder::Id),
    ("runningVersion", StackOrder::Id),
    ("billingActiveUsers", StackOrder::Id),
    ("billingGrafanaActiveUsers", StackOrder::Id),
    ("billingOnCallActiveUsers", StackOrder::Id),
    ("currentActiveUsers", StackOrder::Id),
    ("currentActiveAdminUsers", StackOrder::Id),
    ("currentActiveEditorUsers", StackOrder::Id),
    ("currentActiveViewerUsers", StackOrder::Id),
];

/// A comma-separated list, also given by repeating the parameter
/// (`slugIn=a,b` or `slugIn=a&slugIn=b`); empty items are skipped and an
/// empty list is no filter.
fn text_list(params: &QueryParams, name: &str) -> Option<Vec<String>> {
    let values: Vec<String> = params
        .get_all(name)
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Both filters: the values of `a` that `b` allows.
fn narrow<T: PartialEq>(a: Option<Vec<T>>, b: Option<Vec<T>>) -> Option<Vec<T>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.into_iter().filter(|v| b.contains(v)).collect()),
        (a, b) => a.or(b),
    }
}

fn positive(params: &QueryParams, name: &str) -> Result<Option<usize>, EngineError> {
    params.parse_with(
        name,
        |v| v.parse::<usize>().ok().filter(|n| *n >= 1),
        "a positive integer",
    )
}

struct InstancesQuery {
    filter: StackFilter,
    order_by: &'static str,
    order: StackOrder,
    descending: bool,
    paging: StackPaging,
}

fn instances_query(
    world: &World,
    caller: &GrafanaCaller,
    params: &QueryParams,
) -> Result<InstancesQuery, EngineError> {
    if let Some(slug) = params.non_empty("orgSlug") {
        let own = &world
            .sections
            .grafana()
            .orgs
            .get(&caller.org_id)
            .expect("the caller's org")
            .slug;
        if slug != own {
            return Err(EngineError::Forbidden(format!(
                "this token belongs to org {own:?} and cannot list the stacks of org {slug:?}"
            )));
        }
    }
    let id = params.parse_with("id", |v| v.parse::<StackId>().ok(), "a numeric stack id")?;
    let id_in = params
        .get_all("idIn")
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.parse::<StackId>().map_err(|_| {
                bad_request(format!(
                    "idIn must be numeric stack ids separated by commas, got {v:?}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let id_in = params.get("idIn").is_some().then_some(id_in);
    let mut labels = Vec::new();
    for selector in params.get_all("labels").flat_map(|v| v.split(',')) {
        if !selector.is_empty() {
            labels.push(LabelSelector::parse(selector)?);
        }
    }
    let one = |name: &str| params.non_empty(name).map(|v| vec![v.to_string()]);
    let filter = StackFilter {
        names: narrow(one("name"), text_list(params, "nameIn")),
        slugs: narrow(one("slug"), text_list(params, "slugIn")),
        regions: narrow(one("region"), text_list(params, "regionIn")),
        ids: narrow(id.map(|id| vec![id]), id_in),
        status: params.non_empty("status").map(str::to_string),
        labels,
    };
    let order_names: Vec<&str> = ORDER_BY.iter().map(|(name, _)| *name).collect();
    let order_by = params.parse_with(
        "orderBy",
        |v| ORDER_BY.iter().find(|(name, _)| *name == v).copied(),
        &format!("one of {}", order_names.join(", ")),
    )?;
    let descending = params
        .parse_with(
            "direction",
            |v| match v {
                "asc" => Some(false),
                "desc" => Some(true),
                _ => None,
            },
            "'asc' or 'desc'",
        )?
        .unwrap_or(false);
    let size = positive(params, "pageSize")?.unwrap_or(WHOLE_LIST_PAGE_SIZE);
    let page = positive(params, "page")?;
    let cursor = params.parse_with(
        "cursor",
        |v| v.parse::<u64>().ok(),
        "a stack id (0: the first page)",
    )?;
    let (paging, default_order) = match (page, cursor) {
        (Some(_), Some(_)) => {
            return Err(bad_request(
                "page and cursor are two ways of paging: send one of them",
            ));
        }
        (_, Some(after)) => (
            StackPaging::Cursor {
                after: Cursor::after(after),
                size,
            },
            ("id", StackOrder::Id),
        ),
        (page, None) => (
            StackPaging::Pages {
                page: page.unwrap_or(1),
                size,
            },
            ("name", StackOrder::Name),
        ),
    };
    let (order_by, order) = order_by.unwrap_or(default_order);
    Ok(InstancesQuery {
        filter,
        order_by,
        order,
        descending,
        paging,
    })
}

pub async fn list_all(
    State(store): State<Arc<Store>>,
    Authorized {
        caller,
        query: params,
        ..
    }: Authorized<StacksRead, QueryParams>,
) -> Result<Response, GcomError> {
    let world = store.read();
    let q = instances_query(&world, &caller, &params)?;
    let listing = world.query_stacks(&caller, &q.filter, q.order, q.descending, q.paging)?;
    let size = match q.paging {
        StackPaging::Pages { size, .. } | StackPaging::Cursor { size, .. } => size,
    };
    let mut links = vec![Link::new("self", "/instances")];
    let (cursor, next_cursor) = match q.paging {
        StackPaging::Pages { page, .. } => {
            if listing.more {
                let next = (page + 1).to_string();
                links.push(Link::new(
                    "next",
                    format!("/instances?{}", params.with("page", &next)),
                ));
            }
            (None, None)
        }
        StackPaging::Cursor { after, .. } => {
            let next = listing.next.map(|c| c.after_seq());
            if let Some(next) = next {
                let next = next.to_string();
                links.push(Link::new(
                    "next",
                    format!("/instances?{}", params.with("cursor", &next)),
                ));
            }
            (Some(after.after_seq()), Some(next))
        }
    };
    let items: Vec<StackView> = listing
        .items
        .iter()
        .map(|stack| stack_view(&world, stack))
        .collect();
    let bytes = STACK_BYTES * items.len() + 512;
    let list = GcomList {
        items,
        order_by: q.order_by,
        direction: if q.descending { "desc" } else { "asc" },
        total: Some(listing.total),
        pages: Some(listing.total.div_ceil(size).max(1)),
        page_size: Some(size),
        page: Some(listing.page),
        links,
    };
    Ok(json_response(
        &InstanceList {
            list,
            cursor,
            next_cursor,
        },
        bytes,
    ))
}
