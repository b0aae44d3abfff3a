//! Datadog's rate limits: `X-RateLimit-*` on every answer, per API key, 429
//! with Datadog's body over the limit, windows on the server clock.

use crate::common::*;
use serde_json::json;

const PATH: &str = "/api/v1/usage/billable-summary";

/// The default Datadog orgs and keys with a tight limit.
async fn limited(limit: u32, period_seconds: u32) -> mockcloud::MockCloud {
    let mut scenario: serde_json::Value =
        serde_json::from_str(include_str!("../../scenarios/default.json")).unwrap();
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

const RATE_LIMIT_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-period",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-name",
];

/// The five headers are there, numeric where they count, and consistent:
/// no more remaining than the limit, no longer to the reset than the period.
fn assert_rate_limit_headers(reply: &Reply, what: &str) {
    for name in RATE_LIMIT_HEADERS {
        assert!(
            reply.headers.contains_key(name),
            "{what}: {name} missing from {:?}",
            reply.headers
        );
    }
    let number = |name: &str| -> u64 {
        header(reply, name)
            .parse()
            .unwrap_or_else(|_| panic!("{what}: {name} is not a number"))
    };
    assert!(
        number("x-ratelimit-remaining") <= number("x-ratelimit-limit"),
        "{what}"
    );
    assert!(
        number("x-ratelimit-reset") <= number("x-ratelimit-period"),
        "{what}"
    );
    assert!(!header(reply, "x-ratelimit-name").is_empty(), "{what}");
}

async fn admin(
    server: &mockcloud::MockCloud,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> Reply {
    Grafana::new(server, "")
        .with_token(None)
        .send(method, path, Some(body))
        .await
}

#[tokio::test]
async fn errors_unknown_paths_wrong_methods_and_missing_keys_carry_the_headers_too() {
    let server = limited(50, 60).await;
    let datadog = Datadog::new(&server);
    let client = reqwest::Client::new();
    let not_found = datadog.get("/api/v2/usage/nope").await;
    assert_datadog_error(&not_found, 404, "/api/v2/usage/nope");
    assert_rate_limit_headers(&not_found, "unknown path");
    let wrong_method = into_reply(
        client
            .post(format!("{}{PATH}", server.base_url()))
            .header("DD-API-KEY", DD_API_KEY)
            .header("DD-APPLICATION-KEY", DD_APP_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_datadog_error(&wrong_method, 405, "POST");
    assert_rate_limit_headers(&wrong_method, "wrong method");
    let keyless = datadog.with_keys(None, None).get(PATH).await;
    assert_datadog_error(&keyless, 403, "Forbidden");
    assert_rate_limit_headers(&keyless, "no key");
    // Not counted: the keyless answer shows a fresh window.
    assert_eq!(header(&keyless, "x-ratelimit-remaining"), "50");
    // The keyed requests counted: two so far.
    let third = datadog.get(PATH).await;
    assert_eq!(header(&third, "x-ratelimit-remaining"), "47");
}

#[tokio::test]
async fn injected_faults_carry_the_headers() {
    let server = limited(50, 60).await;
    let datadog = Datadog::new(&server);
    let added = admin(
        &server,
        "POST",
        "/__admin/faults",
        &json!({"id": "down", "vendor": "datadog",
                "effect": {"error": {"status": 503}}}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.raw);
    let unavailable = datadog.get(PATH).await;
    assert_datadog_error(&unavailable, 503, "");
    assert_rate_limit_headers(&unavailable, "injected 503");
    assert_eq!(header(&unavailable, "x-ratelimit-name"), "usage_metering");
    let removed = admin(&server, "DELETE", "/__admin/faults/down", &json!(null)).await;
    assert!(removed.status.is_success(), "{}", removed.raw);

    let added = admin(
        &server,
        "POST",
        "/__admin/faults",
        &json!({"id": "busy", "vendor": "datadog",
                "effect": {"error": {"status": 429, "retry_after_seconds": 7}}}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.raw);
    let throttled = datadog.get(PATH).await;
    assert_datadog_error(&throttled, 429, "Too many requests");
    assert_rate_limit_headers(&throttled, "injected 429");
    // The fault's own figures win over the window's.
    assert_eq!(header(&throttled, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&throttled, "x-ratelimit-reset"), "7");
    assert_eq!(header(&throttled, "x-ratelimit-limit"), "50");
}

#[tokio::test]
async fn with_limits_lifted_the_headers_describe_an_unlimited_window() {
    let server = limited(2, 60).await;
    let datadog = Datadog::new(&server);
    let lifted = admin(&server, "PUT", "/__admin/rate-limits/datadog", &json!([])).await;
    assert!(lifted.status.is_success(), "{}", lifted.raw);
    for _ in 0..5 {
        let reply = datadog.get(PATH).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        assert_rate_limit_headers(&reply, "unlimited");
        assert_eq!(header(&reply, "x-ratelimit-name"), "unlimited");
        assert_eq!(
            header(&reply, "x-ratelimit-remaining"),
            header(&reply, "x-ratelimit-limit")
        );
    }
}
