//! The request journal (`/__admin/journal`), the Prometheus metrics
//! (`/__admin/metrics`) and the admin token that guards `/__admin`.

use crate::common::*;
use mockcloud::{Config, MockCloud};
use serde_json::{Value, json};

const POLICIES: &str = "/api/v1/accesspolicies?region=us";
const DD_PATH: &str = "/api/v1/usage/billable-summary";

/// `method` on an admin endpoint, with an optional admin token.
async fn admin(server: &MockCloud, method: &str, path: &str, token: Option<&str>) -> Reply {
    admin_send(server, method, path, None, token).await
}

async fn journal(server: &MockCloud, query: &str) -> Vec<Value> {
    let reply = admin(server, "GET", &format!("/__admin/journal{query}"), None).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    reply.body["entries"].as_array().expect("entries").clone()
}

async fn metrics(server: &MockCloud) -> String {
    let response = reqwest::get(format!("{}/__admin/metrics", server.base_url()))
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of the sample `series` (`name{labels}`), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().unwrap())
}

#[tokio::test]
async fn the_journal_records_each_vendor_request_oldest_first() {
    let server = start_default().await;
    server
        .clock()
        .freeze(Some("2026-06-15T12:00:00Z".parse().unwrap()));
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    assert_eq!(Datadog::new(&server).get(DD_PATH).await.status, 200);
    assert_eq!(grafana.get("/api/no-such-thing").await.status, 404);

    let entries = journal(&server, "").await;
    assert_eq!(
        entries.len(),
        3,
        "admin requests are not journaled: {entries:?}"
    );
    let first = &entries[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/api/v1/accesspolicies");
    assert_eq!(first["query"], "region=us");
    assert_eq!(first["status"], 200);
    assert_eq!(first["vendor"], "grafana");
    assert_eq!(first["operation"], "/api/v1/accesspolicies");
    assert_eq!(first["at"], "2026-06-15T12:00:00.000Z");
    assert!(first["latencyMs"].as_f64().unwrap() >= 0.0);
    assert_eq!(first["fault"], Value::Null);
    assert_eq!(entries[1]["vendor"], "datadog");
    assert_eq!(entries[1]["operation"], "/api/v1/usage/billable-summary");
    assert_eq!(entries[1]["query"], Value::Null);
    assert_eq!(entries[2]["status"], 404);
    assert_eq!(entries[2]["operation"], Value::Null, "no route matched");
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[tokio::test]
async fn the_journal_filters_by_vendor_path_status_and_limit() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let datadog = Datadog::new(&server);
    grafana.get(POLICIES).await;
    grafana.get("/api/v1/tokens?region=us").await;
    datadog.get(DD_PATH).await;
    datadog.with_keys(None, None).get(DD_PATH).await;
    grafana.with_token(None).get(POLICIES).await;

    let datadog_only = journal(&server, "?vendor=datadog").await;
    assert_eq!(datadog_only.len(), 2);
    assert!(datadog_only.iter().all(|e| e["vendor"] == "datadog"));
    let tokens = journal(&server, "?path=/tokens").await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["path"], "/api/v1/tokens");
    let refused = journal(&server, "?status=4xx").await;
    let statuses: Vec<_> = refused
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [403, 401]);
    assert_eq!(
        journal(&server, "?status=403&vendor=datadog").await.len(),
        1
    );
    let newest = journal(&server, "?limit=2").await;
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[1]["status"], 401, "newest last");
    assert_eq!(newest[0]["status"], 403);

    let bad = admin(&server, "GET", "/__admin/journal?status=teapot", None).await;
    assert_eq!(bad.status, 400, "{}", bad.raw);
    assert!(bad.body["error"].as_str().unwrap().contains("status"));
    let bad = admin(&server, "GET", "/__admin/journal?vendor=aws", None).await;
    assert_eq!(bad.status, 400, "{}", bad.raw);
}

#[tokio::test]
async fn credentials_never_reach_the_journal() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    grafana
        .get("/api/v1/accesspolicies?region=us&api_key=grafana-query-secret&token=tok-secret")
        .await;
    Datadog::new(&server)
        .get(&format!(
            "{DD_PATH}?application_key=dd-query-secret&dd-api-key=dd-query-secret-2"
        ))
        .await;
    reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .header("authorization", "APIKey mock-gcore-key")
        .body("{}")
        .send()
        .await
        .unwrap();

    let raw = admin(&server, "GET", "/__admin/journal", None).await.raw;
    for secret in [
        BOOTSTRAP_TOKEN,
        DD_API_KEY,
        DD_APP_KEY,
        "mock-gcore-key",
        "grafana-query-secret",
        "tok-secret",
        "dd-query-secret",
    ] {
        assert!(!raw.contains(secret), "{secret} leaked into {raw}");
    }
    let entries = journal(&server, "").await;
    assert_eq!(
        entries[0]["query"],
        "region=us&api_key=REDACTED&token=REDACTED"
    );
    assert_eq!(
        entries[1]["query"],
        "application_key=REDACTED&dd-api-key=REDACTED"
    );
}

#[tokio::test]
async fn the_journal_keeps_only_the_newest_entries_and_can_be_cleared() {
    let server = MockCloud::start(Config::default().with_journal_capacity(5))
        .await
        .unwrap();
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for _ in 0..8 {
        grafana.get(POLICIES).await;
    }
    let reply = admin(&server, "GET", "/__admin/journal", None).await;
    assert_eq!(reply.body["capacity"], 5);
    let ids: Vec<u64> = reply.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4, 5, 6, 7, 8]);

    let cleared = admin(&server, "DELETE", "/__admin/journal", None).await;
    assert_eq!(cleared.status, 200, "{}", cleared.raw);
    assert_eq!(cleared.body, json!({"status": "cleared", "cleared": 5}));
    assert!(journal(&server, "").await.is_empty());
    grafana.get(POLICIES).await;
    assert_eq!(journal(&server, "").await[0]["id"], 9, "ids keep counting");
}

#[tokio::test]
async fn metrics_count_requests_by_vendor_operation_and_status() {
    let server = start_default().await;
    let text = metrics(&server).await;
    for family in [
        "# TYPE mockcloud_requests_total counter",
        "# TYPE mockcloud_faults_total counter",
        "# TYPE mockcloud_request_duration_seconds histogram",
        "# HELP mockcloud_requests_total ",
    ] {
        assert!(text.contains(family), "{family} missing from {text}");
    }
    let ok = r#"mockcloud_requests_total{vendor="grafana",operation="/api/v1/accesspolicies",status="200"}"#;
    let forbidden = r#"mockcloud_requests_total{vendor="datadog",operation="/api/v1/usage/billable-summary",status="403"}"#;
    assert_eq!(sample(&text, ok), 0.0);

    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    grafana.get(POLICIES).await;
    grafana.get(POLICIES).await;
    Datadog::new(&server)
        .with_keys(None, None)
        .get(DD_PATH)
        .await;

    let text = metrics(&server).await;
    assert_eq!(sample(&text, ok), 2.0);
    assert_eq!(sample(&text, forbidden), 1.0);
    let count = r#"mockcloud_request_duration_seconds_count{vendor="grafana",operation="/api/v1/accesspolicies"}"#;
    assert_eq!(sample(&text, count), 2.0);
    let inf = r#"mockcloud_request_duration_seconds_bucket{vendor="grafana",operation="/api/v1/accesspolicies",le="+Inf"}"#;
    assert_eq!(sample(&text, inf), 2.0);
    // The first scrape is counted too, under the admin vendor.
    let scrapes =
        r#"mockcloud_requests_total{vendor="admin",operation="/__admin/metrics",status="200"}"#;
    assert_eq!(sample(&text, scrapes), 1.0);
}

#[tokio::test]
async fn a_rate_limit_refusal_shows_as_a_fault_in_the_journal_and_the_metrics() {
    let mut scenario: Value =
        serde_json::from_str(include_str!("../../scenarios/default.json")).unwrap();
    scenario["grafana"]["rate_limits"] =
        json!([{"name": "accesspolicies", "limit": 1, "period_seconds": 3600}]);
    let server = start_scenario(scenario).await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    assert_eq!(grafana.get(POLICIES).await.status, 429);

    let refused = journal(&server, "?status=429").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0]["fault"],
        json!({"rule": "accesspolicies", "effect": "rate_limit"})
    );
    let text = metrics(&server).await;
    let faults =
        r#"mockcloud_faults_total{vendor="grafana",rule="accesspolicies",effect="rate_limit"}"#;
    assert_eq!(sample(&text, faults), 1.0);
}

#[tokio::test]
async fn the_admin_token_guards_every_admin_endpoint_but_health() {
    let server = MockCloud::start(Config::default().with_admin_token("admin-s3cret"))
        .await
        .unwrap();
    for (method, path) in [
        ("GET", "/__admin/journal"),
        ("DELETE", "/__admin/journal"),
        ("GET", "/__admin/metrics"),
        ("GET", "/__admin/rate-limits"),
        ("GET", "/__admin/clock"),
        ("POST", "/__admin/reset"),
    ] {
        for token in [None, Some("wrong")] {
            let refused = admin(&server, method, path, token).await;
            assert_eq!(refused.status, 401, "{method} {path}: {}", refused.raw);
            assert!(
                refused.body["error"]
                    .as_str()
                    .unwrap()
                    .contains("admin token"),
                "{}",
                refused.raw
            );
        }
        // With a JSON content type on the POST, as every change needs.
        let allowed = reqwest::Client::new()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", server.base_url()),
            )
            .bearer_auth("admin-s3cret")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), 200, "{method} {path}");
    }
    let by_header = reqwest::Client::new()
        .get(format!("{}/__admin/journal", server.base_url()))
        .header("x-admin-token", "admin-s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    assert_eq!(
        admin(&server, "GET", "/__admin/health", None).await.status,
        200
    );
    // The vendors' APIs do not want it.
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
}

#[tokio::test]
async fn without_an_admin_token_the_admin_api_is_open() {
    let server = start_default().await;
    assert_eq!(
        admin(&server, "GET", "/__admin/journal", None).await.status,
        200
    );
}

#[tokio::test]
async fn faults_applied_show_in_the_journal_and_the_metrics() {
    let mut scenario: Value =
        serde_json::from_str(include_str!("../../scenarios/default.json")).unwrap();
    scenario["faults"] = json!({"rules": [
        {"id": "dd-down", "vendor": "datadog", "effect": {"error": {"status": 503}}},
        {"id": "gcore-gone", "vendor": "gcore", "effect": "drop"}
    ]});
    let server = start_scenario(scenario).await;
    assert_eq!(Datadog::new(&server).get(DD_PATH).await.status, 503);
    let dropped = reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .send()
        .await;
    assert!(dropped.is_err(), "no answer at all");

    let entries = journal(&server, "").await;
    assert_eq!(entries[0]["status"], 503);
    assert_eq!(entries[0]["fault"]["rule"], "dd-down");
    assert_eq!(
        entries[1]["status"],
        Value::Null,
        "the client saw no status"
    );
    assert_eq!(entries[1]["fault"]["rule"], "gcore-gone");
    let text = metrics(&server).await;
    let effect = entries[0]["fault"]["effect"].as_str().unwrap();
    let faults =
        format!(r#"mockcloud_faults_total{{vendor="datadog",rule="dd-down",effect="{effect}"}}"#);
    assert_eq!(sample(&text, &faults), 1.0, "{text}");
    let dropped = r#"mockcloud_requests_total{vendor="gcore",operation="/cloud/v1/usage_report",status="dropped"}"#;
    assert_eq!(sample(&text, dropped), 1.0, "{text}");
}
