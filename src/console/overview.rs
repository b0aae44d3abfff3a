//! Overview: the scenario, seed, clock, uptime, request counts, and for each
//! vendor its base URL, credentials and a snippet for its official client.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::response::Response;

use super::{Chrome, Started, render};
use crate::admin::AppState;

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    chrome: Chrome,
    description: String,
    seed: u64,
    started_at: String,
    uptime: String,
    requests: Vec<(&'static str, u64)>,
    vendors: Vec<VendorCard>,
}

struct VendorCard {
    name: &'static str,
    title: &'static str,
    page: &'static str,
    base_url: String,
    /// (what it is, the value to copy).
    credentials: Vec<(String, String)>,
    snippet_label: &'static str,
    snippet: String,
}

pub async fn page(
    State(app): State<AppState>,
    Extension(Started(started)): Extension<Started>,
    headers: HeaderMap,
) -> Response {
    let base_url = headers.get(HOST).and_then(|h| h.to_str().ok()).map_or_else(
        || "http://localhost:8080".to_string(),
        |h| format!("http://{h}"),
    );
    let scenario = app.engine.scenario();
    let grafana_token = scenario
        .grafana
        .orgs
        .iter()
        .flat_map(|org| &org.access_policies)
        .flat_map(|policy| &policy.tokens)
        .map(|token| token.token.clone())
        .next();
    let datadog = scenario.datadog.orgs.first();
    let dd_api = datadog.and_then(|org| org.api_keys.first().cloned());
    let dd_app = datadog.and_then(|org| org.application_keys.first().cloned());
    let gcore_key = scenario.gcore.api_keys.first().cloned();
    let or_none = |v: &Option<String>| {
        v.clone()
            .unwrap_or_else(|| "(none in this scenario)".into())
    };

    let grafana_snippet = format!(
        "curl -H 'Authorization: Bearer {}' \\\n  '{base_url}/api/v1/accesspolicies?region=us'",
        or_none(&grafana_token)
    );
    let datadog_snippet = format!(
        "from datetime import datetime\n\n\
         from datadog_api_client import ApiClient, Configuration\n\
         from datadog_api_client.v1.api.usage_metering_api import UsageMeteringApi\n\n\
         configuration = Configuration(host=\"{base_url}\")\n\
         configuration.api_key[\"apiKeyAuth\"] = \"{}\"\n\
         configuration.api_key[\"appKeyAuth\"] = \"{}\"\n\
         with ApiClient(configuration) as client:\n    \
         print(UsageMeteringApi(client).get_usage_billable_summary(month=datetime(2026, 1, 1)))",
        or_none(&dd_api),
        or_none(&dd_app)
    );
    let gcore_snippet = format!(
        "from gcore import Gcore\n\n\
         client = Gcore(api_key=\"{}\", base_url=\"{base_url}\")\n\
         report = client.cloud.usage_reports.get(\n    \
         time_from=\"2026-01-01T00:00:00Z\", time_to=\"2026-02-01T00:00:00Z\")\n\
         print(report.count, report.totals)",
        or_none(&gcore_key)
    );
    let vendors = vec![
        VendorCard {
            name: "grafana",
            title: "Grafana Cloud",
            page: "/__admin/ui/grafana",
            base_url: base_url.clone(),
            credentials: vec![("Bearer token".into(), or_none(&grafana_token))],
            snippet_label: "curl",
            snippet: grafana_snippet,
        },
        VendorCard {
            name: "datadog",
            title: "Datadog Usage Metering",
            page: "/__admin/ui/datadog",
            base_url: base_url.clone(),
            credentials: vec![
                ("DD-API-KEY".into(), or_none(&dd_api)),
                ("DD-APPLICATION-KEY".into(), or_none(&dd_app)),
            ],
            snippet_label: "Python, datadog-api-client",
            snippet: datadog_snippet,
        },
        VendorCard {
            name: "gcore",
            title: "Gcore Cloud usage report",
            page: "/__admin/ui/gcore",
            base_url,
            credentials: vec![("APIKey".into(), or_none(&gcore_key))],
            snippet_label: "Python, gcore",
            snippet: gcore_snippet,
        },
    ];
    let uptime = started.elapsed().as_secs();
    render(&Overview {
        chrome: Chrome::of(&app, "/__admin/ui/"),
        description: scenario.description.clone().unwrap_or_default(),
        seed: app.engine.seed(),
        started_at: crate::core::clock::timestamp(app.engine.started_at()),
        uptime: format!(
            "{}h {:02}m {:02}s",
            uptime / 3600,
            uptime / 60 % 60,
            uptime % 60
        ),
        requests: request_counts(&app.metrics.render()),
        vendors,
    })
}

/// Requests answered per vendor, summed from `mockcloud_requests_total`
/// (the metrics the admin API serves).
fn request_counts(exposition: &str) -> Vec<(&'static str, u64)> {
    let mut counts: Vec<(&'static str, u64)> = crate::vendors::ALL
        .iter()
        .map(|vendor| (vendor.name(), 0))
        .chain([("admin", 0)])
        .collect();
    for line in exposition.lines() {
        let Some(rest) = line.strip_prefix("mockcloud_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let value = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        for (name, count) in &mut counts {
            if labels.contains(&format!("vendor=\"{name}\"")) {
                *count += value;
            }
        }
    }
    counts
}
