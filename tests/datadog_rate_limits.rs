//! Datadog's rate limits: `X-RateLimit-*` on every answer, per API key, 429
//! with Datadog's body over the limit, windows on the server clock.

mod common;

use common::*;
use serde_json::json;

const PATH: &str = "/api/v1/usage/billable-summary";

/// The default Datadog orgs and keys with a tight limit.
async fn limited(limit: u32, period_seconds: u32) -> mockcloud::MockCloud {
    let mut scenario: serde_json::Value =
        serde_json::from_str(include_str!("../scenarios/default.json")).unwrap();
    scenario["datadog"]["rate_limits"] =
        json!([{"name": "usage_metering", "limit": limit, "period_seconds": period_seconds}]);
    let server = start_scenario(scenario).await;
    server
        .clock()
        .freeze(Some("2026-06-15T12:00:00Z".parse().unwrap()));
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

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let server = limited(5, 60).await;
    let datadog = Datadog::new(&server);
    let ok = datadog.get(PATH).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    assert_eq!(header(&ok, "x-ratelimit-limit"), "5");
    assert_eq!(header(&ok, "x-ratelimit-period"), "60");
    assert_eq!(header(&ok, "x-ratelimit-remaining"), "4");
    assert_eq!(header(&ok, "x-ratelimit-reset"), "60");
    assert_eq!(header(&ok, "x-ratelimit-name"), "usage_metering");
    let bad = datadog.get(&format!("{PATH}?month=not-a-month")).await;
    assert_datadog_error(&bad, 400, "month");
    assert_eq!(header(&bad, "x-ratelimit-remaining"), "3");
}

#[tokio::test]
async fn over_the_limit_is_429_with_datadogs_body_until_the_window_resets() {
    let server = limited(3, 60).await;
    let datadog = Datadog::new(&server);
    for _ in 0..3 {
        assert_eq!(datadog.get(PATH).await.status, 200);
    }
    server.clock().advance(chrono::Duration::seconds(20));
    let refused = datadog.get(PATH).await;
    assert_datadog_error(&refused, 429, "Too many requests");
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&refused, "x-ratelimit-reset"), "40");
    // Another key has its own budget.
    let child = datadog.with_keys(
        Some("mock-dd-child-a-api-key"),
        Some("mock-dd-child-a-app-key"),
    );
    assert_eq!(child.get(PATH).await.status, 200);
    // The window follows the server clock.
    server.clock().advance(chrono::Duration::seconds(40));
    let again = datadog.get(PATH).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(header(&again, "x-ratelimit-remaining"), "2");
}

#[tokio::test]
async fn reset_clears_the_counters() {
    let server = limited(1, 3600).await;
    let datadog = Datadog::new(&server);
    assert_eq!(datadog.get(PATH).await.status, 200);
    assert_eq!(datadog.get(PATH).await.status, 429);
    server.reset();
    assert_eq!(datadog.get(PATH).await.status, 200);
}

#[tokio::test]
async fn missing_or_unknown_keys_are_403_forbidden() {
    let server = start_default().await;
    let datadog = Datadog::new(&server);
    for (api, app) in [
        (None, None),
        (Some(DD_API_KEY), None),
        (None, Some(DD_APP_KEY)),
        (Some("wrong"), Some(DD_APP_KEY)),
        (Some(DD_API_KEY), Some("wrong")),
        // Keys of two different orgs do not make a pair.
        (Some(DD_API_KEY), Some("mock-dd-child-a-app-key")),
    ] {
        let reply = datadog.with_keys(api, app).get(PATH).await;
        assert_datadog_error(&reply, 403, "Forbidden");
        assert_eq!(reply.body, json!({"errors": ["Forbidden"]}));
    }
}
