//! Rate limits per vendor, one mechanism: Grafana's 600 per hour on the
//! access-policy endpoints (429 `TooManyRequests` with `Retry-After`),
//! Gcore's 429, and the limits read and replaced through
//! `/__admin/rate-limits`; windows follow the server clock.

use crate::common::*;
use chrono::Duration;
use mockcloud::{MockCloud, Scenario};
use serde_json::{Value, json};

const POLICIES: &str = "/api/v1/accesspolicies?region=us";
const GCORE_KEY: &str = "mock-gcore-key";
const NOW: &str = "2026-06-15T12:00:00Z";

fn default_scenario() -> Value {
    serde_json::from_str(include_str!("../../scenarios/default.json")).unwrap()
}

/// The default scenario with `vendor`'s rate limits replaced.
async fn limited(vendor: &str, rules: Value) -> MockCloud {
    let mut scenario = default_scenario();
    scenario[vendor]["rate_limits"] = rules;
    let server = start_scenario(scenario).await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    server
}

fn header(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", reply.headers))
        .to_str()
        .unwrap()
        .to_string()
}

async fn admin(server: &MockCloud, method: &str, path: &str, body: Option<Value>) -> Reply {
    admin_send(server, method, path, body.as_ref(), None).await
}

async fn gcore_report(server: &MockCloud, key: &str) -> Reply {
    let body = json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-02-01T00:00:00Z"});
    let request = reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .header("authorization", format!("APIKey {key}"))
        .header("content-type", "application/json")
        .body(body.to_string());
    into_reply(request.send().await.expect("request sent")).await
}

#[tokio::test]
async fn grafana_access_policies_over_the_limit_are_429_with_retry_after_until_the_hour_ends() {
    let server = limited(
        "grafana",
        json!([{"name": "accesspolicies", "limit": 3, "period_seconds": 3600}]),
    )
    .await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    assert_eq!(grafana.get("/api/v1/tokens?region=us").await.status, 200);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    server.clock().advance(Duration::minutes(20));
    let refused = grafana.get(POLICIES).await;
    assert_grafana_error(&refused, 429, "TooManyRequests", "too many requests");
    assert_eq!(header(&refused, "retry-after"), "2400");
    // The token endpoints share the access-policy budget.
    assert_eq!(grafana.get("/api/v1/tokens?region=us").await.status, 429);
    // The window follows the server clock.
    server.clock().advance(Duration::minutes(40));
    assert_eq!(grafana.get(POLICIES).await.status, 200);
}

#[tokio::test]
async fn grafana_counts_per_token_and_only_on_the_access_policy_endpoints() {
    let mut scenario = two_org_scenario();
    scenario["grafana"]["rate_limits"] =
        json!([{"name": "accesspolicies", "limit": 1, "period_seconds": 3600}]);
    let server = start_scenario(scenario).await;
    let alpha = Grafana::new(&server, "alpha-token");
    assert_eq!(alpha.get(POLICIES).await.status, 200);
    assert_eq!(alpha.get(POLICIES).await.status, 429);
    let beta = alpha.with_token(Some("beta-token"));
    assert_eq!(
        beta.get(POLICIES).await.status,
        200,
        "another token, its own budget"
    );
    // Other Grafana endpoints are not limited.
    for _ in 0..3 {
        assert_eq!(alpha.get("/api/stack-regions").await.status, 200);
    }
    // Without a token: 401 first, never counted.
    let anonymous = alpha.with_token(None);
    assert_eq!(anonymous.get(POLICIES).await.status, 401);
}

#[tokio::test]
async fn grafana_admits_its_documented_600_requests_per_hour() {
    let server = start_default().await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for n in 1..=600 {
        let reply = grafana.get("/api/v1/tokens?region=us").await;
        assert_eq!(reply.status, 200, "request {n}: {}", reply.raw);
    }
    let refused = grafana.get(POLICIES).await;
    assert_grafana_error(&refused, 429, "TooManyRequests", "600");
    assert_eq!(header(&refused, "retry-after"), "3600");
    server.clock().advance(Duration::hours(1));
    assert_eq!(grafana.get(POLICIES).await.status, 200);
}

#[tokio::test]
async fn gcore_over_the_limit_is_429_with_gcores_body() {
    let mut scenario = default_scenario();
    scenario["gcore"]["rate_limits"] = json!([{"name": "api", "limit": 2, "period_seconds": 60}]);
    scenario["gcore"]["api_keys"] = json!([GCORE_KEY, "second-gcore-key"]);
    let server = start_scenario(scenario).await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    for _ in 0..2 {
        let ok = gcore_report(&server, GCORE_KEY).await;
        assert_eq!(ok.status, 200, "{}", ok.raw);
    }
    let refused = gcore_report(&server, GCORE_KEY).await;
    assert_eq!(refused.status, 429, "{}", refused.raw);
    assert_eq!(refused.body["exception_class"], "Throttled");
    assert_eq!(
        refused.body["message"],
        "Request was throttled. Expected available in 60 seconds."
    );
    assert!(
        refused.body["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(header(&refused, "retry-after"), "60");
    assert_eq!(
        gcore_report(&server, "second-gcore-key").await.status,
        200,
        "per key"
    );
    server.clock().advance(Duration::seconds(60));
    assert_eq!(gcore_report(&server, GCORE_KEY).await.status, 200);
}

#[tokio::test]
async fn the_admin_api_lists_every_vendors_limits() {
    let server = start_default().await;
    let reply = admin(&server, "GET", "/__admin/rate-limits", None).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(
        reply.body["grafana"],
        json!([{"name": "accesspolicies", "limit": 600, "period_seconds": 3600}])
    );
    assert_eq!(reply.body["datadog"][0]["name"], "usage_metering");
    assert_eq!(reply.body["gcore"][0]["period_seconds"], 3600);
}

#[tokio::test]
async fn limits_change_at_run_time_and_reset_restores_the_scenarios() {
    let server = start_default().await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let tight = json!([{"name": "tight", "limit": 1, "period_seconds": 60}]);
    let changed = admin(
        &server,
        "PUT",
        "/__admin/rate-limits/grafana",
        Some(tight.clone()),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.raw);
    assert_eq!(changed.body, tight);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    let refused = grafana.get(POLICIES).await;
    assert_grafana_error(&refused, 429, "TooManyRequests", "tight");
    assert_eq!(header(&refused, "retry-after"), "60");

    // No limits at all.
    let cleared = admin(&server, "DELETE", "/__admin/rate-limits/grafana", None).await;
    assert_eq!(cleared.body, json!([]));
    for _ in 0..3 {
        assert_eq!(grafana.get(POLICIES).await.status, 200);
    }

    // Datadog and Gcore through the same endpoint.
    admin(
        &server,
        "PUT",
        "/__admin/rate-limits/datadog",
        Some(tight.clone()),
    )
    .await;
    let datadog = Datadog::new(&server);
    assert_eq!(
        header(
            &datadog.get("/api/v1/usage/billable-summary").await,
            "x-ratelimit-name"
        ),
        "tight"
    );
    assert_eq!(
        datadog.get("/api/v1/usage/billable-summary").await.status,
        429
    );
    admin(
        &server,
        "PUT",
        "/__admin/rate-limits/gcore",
        Some(tight.clone()),
    )
    .await;
    assert_eq!(gcore_report(&server, GCORE_KEY).await.status, 200);
    assert_eq!(gcore_report(&server, GCORE_KEY).await.status, 429);

    let reset = admin(&server, "POST", "/__admin/reset", None).await;
    assert_eq!(reset.status, 200, "{}", reset.raw);
    let limits = admin(&server, "GET", "/__admin/rate-limits", None)
        .await
        .body;
    assert_eq!(limits["grafana"][0]["limit"], 600);
    assert_eq!(limits["datadog"][0]["name"], "usage_metering");
    assert_eq!(limits["gcore"][0]["name"], "api");
    assert_eq!(gcore_report(&server, GCORE_KEY).await.status, 200);
    assert_eq!(
        datadog.get("/api/v1/usage/billable-summary").await.status,
        200
    );
}

#[tokio::test]
async fn raising_a_limit_at_run_time_starts_a_fresh_window() {
    let server = limited(
        "grafana",
        json!([{"name": "accesspolicies", "limit": 1, "period_seconds": 3600}]),
    )
    .await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    grafana.get(POLICIES).await;
    assert_eq!(grafana.get(POLICIES).await.status, 429);
    let more = json!([{"name": "accesspolicies", "limit": 2, "period_seconds": 3600}]);
    admin(&server, "PUT", "/__admin/rate-limits/grafana", Some(more)).await;
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    assert_eq!(grafana.get(POLICIES).await.status, 429);
}

#[tokio::test]
async fn invalid_limits_are_refused_with_their_location() {
    let server = start_default().await;
    for (body, needle) in [
        (
            json!([{"name": "a", "limit": 0, "period_seconds": 60}]),
            "[0].limit",
        ),
        (
            json!([{"name": "a", "limit": 1, "period_seconds": 0}]),
            "[0].period_seconds",
        ),
        (
            json!([{"name": "a", "limit": 1, "period_seconds": 1}, {"name": "a", "limit": 2, "period_seconds": 2}]),
            "[1].name",
        ),
        (json!([{"name": "a", "limit": 1}]), "period_seconds"),
        (json!({"name": "a"}), "invalid JSON body"),
    ] {
        let reply = admin(&server, "PUT", "/__admin/rate-limits/grafana", Some(body)).await;
        assert_eq!(reply.status, 400, "{}", reply.raw);
        let error = reply.body["error"].as_str().unwrap();
        assert!(
            error.contains(needle),
            "{error:?} should mention {needle:?}"
        );
    }
    let unknown = admin(&server, "PUT", "/__admin/rate-limits/aws", Some(json!([]))).await;
    assert_eq!(unknown.status, 404, "{}", unknown.raw);
    // Nothing changed.
    let limits = admin(&server, "GET", "/__admin/rate-limits", None)
        .await
        .body;
    assert_eq!(limits["grafana"][0]["limit"], 600);
}

#[tokio::test]
async fn a_scenario_with_a_bad_limit_does_not_start() {
    let mut scenario = default_scenario();
    scenario["grafana"]["rate_limits"] = json!([{"name": "x", "limit": 0, "period_seconds": 60}]);
    let scenario = Scenario::from_json_value(scenario).unwrap();
    let error = MockCloud::start(mockcloud::Config::default().with_scenario(scenario))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("grafana.rate_limits[0].limit"),
        "{error}"
    );
}

#[tokio::test]
async fn an_empty_list_means_no_limits_in_a_scenario_as_through_the_admin_api() {
    // Absent: each vendor's default.
    let defaults = start_scenario(default_scenario()).await;
    let listed = admin(&defaults, "GET", "/__admin/rate-limits", None).await;
    for vendor in ["grafana", "datadog", "gcore"] {
        let rules = listed.body[vendor].as_array().unwrap();
        assert_eq!(rules.len(), 1, "{vendor}: {}", listed.raw);
    }
    // Empty in the scenario: none, as an empty PUT makes it.
    for vendor in ["grafana", "datadog", "gcore"] {
        let server = limited(vendor, json!([])).await;
        let listed = admin(&server, "GET", "/__admin/rate-limits", None).await;
        assert_eq!(listed.body[vendor], json!([]), "{}", listed.raw);

        let other = start_scenario(default_scenario()).await;
        let put = admin(
            &other,
            "PUT",
            &format!("/__admin/rate-limits/{vendor}"),
            Some(json!([])),
        )
        .await;
        assert_eq!(put.status, 200, "{}", put.raw);
        let listed_other = admin(&other, "GET", "/__admin/rate-limits", None).await;
        assert_eq!(listed_other.body[vendor], listed.body[vendor]);
    }
    // With none, Grafana's 600 an hour no longer applies.
    let server = limited("grafana", json!([])).await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for _ in 0..601 {
        let reply = grafana.get(POLICIES).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }
}

/// Over the limit, the 429 comes before anything else is checked of the
/// request (its scope, its query, the policy it names), and the journal
/// records each vendor's refusal with the route it matched.
#[tokio::test]
async fn a_refusal_comes_first_and_is_journaled_with_its_route() {
    let mut scenario = two_org_scenario();
    scenario["grafana"]["rate_limits"] =
        json!([{"name": "accesspolicies", "limit": 1, "period_seconds": 3600}]);
    let server = start_scenario(scenario).await;
    let alpha = Grafana::new(&server, "alpha-token");
    assert_eq!(alpha.get(POLICIES).await.status, 200);
    for path in [
        "/api/v1/accesspolicies/no-such-policy?region=us",
        "/api/v1/accesspolicies?region=us&orgId=not-a-number",
        "/api/v1/tokens?region=us&pageSize=0",
    ] {
        let refused = alpha.get(path).await;
        assert_grafana_error(&refused, 429, "TooManyRequests", "too many requests");
        assert!(refused.headers.contains_key("retry-after"), "{path}");
    }
    let datadog_server = limited(
        "datadog",
        json!([{"name": "usage", "limit": 1, "period_seconds": 3600}]),
    )
    .await;
    let datadog = Datadog::new(&datadog_server);
    let month = "/api/v1/usage/billable-summary?month=2026-01";
    assert_eq!(datadog.get(month).await.status, 200);
    assert_datadog_error(&datadog.get(month).await, 429, "Too many requests");

    let journal = |server: &MockCloud| server.journal().entries(&mockcloud::JournalFilter::new());
    let refused: Vec<_> = journal(&server)
        .into_iter()
        .chain(journal(&datadog_server))
        .filter(|entry| entry.status == Some(429))
        .collect();
    let routes: Vec<_> = refused
        .iter()
        .map(|entry| {
            (
                entry.vendor.as_ref().map(|v| v.name().to_string()),
                entry.operation.clone(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("grafana", "/api/v1/accesspolicies/{id}"),
            ("grafana", "/api/v1/accesspolicies"),
            ("grafana", "/api/v1/tokens"),
            ("datadog", "/api/v1/usage/billable-summary"),
        ]
        .map(|(vendor, route)| (Some(vendor.to_string()), Some(route.to_string())))
    );
}
