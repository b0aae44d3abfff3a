//! A stack's hosted Grafana as GCOM exposes it: restart, API keys, data
//! sources, and the connectivity endpoint.

use std::sync::Arc;

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};

use super::errors::GcomError;
use super::extract::{Authorized, Path};
use super::scopes::{StacksRead, StacksWrite};
use super::stacks::{instance_id, service_url};
use super::timestamp;
use crate::core::http::json_body;
use crate::core::store::Store;
use crate::vendors::grafana::model::Region;
use crate::vendors::grafana::model::stacks::Stack;

/// `POST /api/instances/{stack}/restart` answers `true`.
pub async fn restart(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksWrite>,
    Path(stack): Path<String>,
) -> Result<Json<bool>, GcomError> {
    store.read().stack(&caller, &stack)?;
    Ok(Json(true))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateKey {
    name: String,
    role: String,
    seconds_to_live: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct NewKeyView {
    id: u64,
    name: String,
    key: String,
}

pub async fn create_api_key(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksWrite>,
    Path(stack): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<NewKeyView>, GcomError> {
    let body: CreateKey = json_body(body)?;
    let key = store.write().create_hosted_grafana_key(
        &caller,
        &stack,
        &body.name,
        &body.role,
        body.seconds_to_live,
    )?;
    Ok(Json(NewKeyView {
        id: key.id,
        name: key.name,
        key: key.key,
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSourceView {
    id: u64,
    instance_id: u64,
    name: String,
    #[serde(rename = "type")]
    source_type: &'static str,
    access: &'static str,
    grafana_org_id: u64,
    url: String,
    password: &'static str,
    user: &'static str,
    database: &'static str,
    basic_auth: u8,
    basic_auth_user: String,
    with_credentials: u8,
    is_default: u8,
    json_data: BTreeMap<&'static str, &'static str>,
    version: u32,
    editable: u8,
    delete: u8,
    created_at: String,
    updated_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DataSourceList {
    items: Vec<DataSourceView>,
}

/// One data source Grafana Cloud provisions in every stack.
struct Provisioned {
    name: String,
    source_type: &'static str,
    url: String,
    basic_auth_user: u64,
    json_data: &'static [(&'static str, &'static str)],
}

/// The names and types of the stack's data sources, as
/// `GET /api/instances/{stack}/datasources` lists them (for the console).
pub(crate) fn data_source_names(stack: &Stack, region: &Region) -> Vec<(String, &'static str)> {
    provisioned_data_sources(stack, region)
        .into_iter()
        .map(|source| (source.name, source.source_type))
        .collect()
}

/// The data sources Grafana Cloud provisions in every stack, pointing at the
/// stack's own metrics, logs, traces and profiles instances.
fn provisioned_data_sources(stack: &Stack, region: &Region) -> Vec<DataSourceView> {
    const PROMETHEUS_JSON: &[(&str, &str)] =
        &[("timeInterval", "60s"), ("prometheusType", "Mimir")];
    let own = |suffix: &str, source_type, service: &str, path: &str, offset: u64, json_data| {
        Provisioned {
            name: format!("grafanacloud-{}-{suffix}", stack.slug),
            source_type,
            url: format!("{}{path}", service_url(service, region)),
            basic_auth_user: stack.id + offset,
            json_data,
        }
    };
    let sources = [
        Provisioned {
            name: "grafanacloud-usage".to_string(),
            source_type: "prometheus",
            url: "https://billing.grafana.net/api/prom".to_string(),
            basic_auth_user: stack.org_id,
            json_data: PROMETHEUS_JSON,
        },
        own(
            "prom",
            "prometheus",
            "prometheus",
            "/api/prom",
            instance_id::PROMETHEUS,
            PROMETHEUS_JSON,
        ),
        own(
            "logs",
            "loki",
            "logs",
            "",
            instance_id::LOGS,
            &[("timeout", "300")],
        ),
        own("traces", "tempo", "tempo", "", instance_id::TRACES, &[]),
        own(
            "profiles",
            "grafana-pyroscope-datasource",
            "profiles",
            "",
            instance_id::PROFILES,
            &[],
        ),
    ];
    sources
        .into_iter()
        .enumerate()
        .map(|(i, source)| DataSourceView {
            id: stack.id * 10 + i as u64,
            instance_id: stack.id,
            name: source.name,
            source_type: source.source_type,
            access: "proxy",
            grafana_org_id: 1,
            url: source.url,
            password: "",
            user: "",
            database: "",
            basic_auth: 1,
            basic_auth_user: source.basic_auth_user.to_string(),
            with_credentials: 0,
            is_default: u8::from(i == 1),
            json_data: source.json_data.iter().copied().collect(),
            version: 1,
            editable: 1,
            delete: 0,
            created_at: timestamp(stack.created_at),
            updated_at: None,
        })
        .collect()
}

pub async fn data_sources(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksRead>,
    Path(stack): Path<String>,
) -> Result<Json<DataSourceList>, GcomError> {
    let world = store.read();
    let stack = world.stack(&caller, &stack)?;
    let region = world.sections.grafana().stack_region(stack);
    Ok(Json(DataSourceList {
        items: provisioned_data_sources(stack, region),
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionsView {
    private_connectivity_info: PrivateConnectivityInfo,
    influx_url: String,
    otlp_http_url: Option<String>,
    #[serde(rename = "otlpMultiAZ")]
    otlp_multi_az: bool,
    oncall_api_url: String,
    synthetic_monitoring_api_url: String,
    app_platform: AppPlatform,
}

#[derive(Debug, Serialize)]
pub struct PrivateConnectivityInfo {
    tenants: Vec<Tenant>,
    /// Only where the region offers private endpoints (AWS): left out, not
    /// null, elsewhere, as Grafana's published spec has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    otlp: Option<PrivateEndpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdc: Option<Pdc>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    #[serde(rename = "type")]
    tenant_type: &'static str,
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<PrivateEndpoint>,
    #[serde(rename = "ipAllowListCNAME")]
    ip_allow_list_cname: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpoint {
    #[serde(rename = "privateDNS")]
    private_dns: String,
    service_name: String,
}

#[derive(Debug, Serialize)]
pub struct Pdc {
    api: PrivateEndpoint,
    gateway: PrivateEndpoint,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPlatform {
    url: String,
    ca_data: String,
}

fn connections(stack: &Stack, region: &Region) -> ConnectionsView {
    let cluster = &region.cluster_slug;
    // PrivateLink endpoints exist only in AWS regions.
    let private = |service: &str| {
        (region.provider == "aws").then(|| PrivateEndpoint {
            private_dns: format!("{service}-{cluster}.vpce.grafana.net"),
            service_name: format!("com.amazonaws.vpce.{cluster}.vpce-svc-{service}"),
        })
    };
    let tenant = |tenant_type: &'static str, offset: u64, service: &str| Tenant {
        tenant_type,
        id: stack.id + offset,
        info: private(service),
        ip_allow_list_cname: Some(format!("src-ips.{service}-{cluster}.grafana.net")),
    };
    let pdc = match (
        private("private-datasource-connect-api"),
        private("private-datasource-connect"),
    ) {
        (Some(api), Some(gateway)) => Some(Pdc { api, gateway }),
        _ => None,
    };
    ConnectionsView {
        private_connectivity_info: PrivateConnectivityInfo {
            tenants: vec![
                tenant("prometheus", instance_id::PROMETHEUS, "prometheus"),
                tenant("graphite", instance_id::GRAPHITE, "prometheus"),
                tenant("logs", instance_id::LOGS, "logs"),
                tenant("traces", instance_id::TRACES, "tempo"),
                tenant("profiles", instance_id::PROFILES, "profiles"),
                tenant("alerts", instance_id::ALERTS, "alertmanager"),
                Tenant {
                    tenant_type: "grafana",
                    id: stack.id,
                    info: None,
                    ip_allow_list_cname: None,
                },
            ],
            otlp: private("otlp-gateway"),
            pdc,
        },
        influx_url: service_url("influx", region),
        otlp_http_url: Some(service_url("otlp-gateway", region)),
        otlp_multi_az: false,
        oncall_api_url: format!("{}/oncall", service_url("oncall", region)),
        synthetic_monitoring_api_url: service_url("synthetic-monitoring-api", region),
        app_platform: AppPlatform {
            url: service_url("app-platform-apiserver", region),
            ca_data: format!("mockcloud-ca-{}", stack.slug),
        },
    }
}

pub async fn connections_of(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StacksRead>,
    Path(stack): Path<String>,
) -> Result<Json<ConnectionsView>, GcomError> {
    let world = store.read();
    let stack = world.stack(&caller, &stack)?;
    Ok(Json(connections(
        stack,
        world.sections.grafana().stack_region(stack),
    )))
}
