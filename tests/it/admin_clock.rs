//! `/__admin/clock`: the one server clock, under a test's control.

use crate::common::*;
use serde_json::json;

async fn admin(
    server: &mockcloud::MockCloud,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    // The admin API needs no credentials without --admin-token.
    admin_send(server, method, path, body.as_ref(), None).await
}

#[tokio::test]
async fn freezing_at_an_instant_then_advancing_moves_only_by_the_step() {
    let server = start_default().await;
    let frozen = admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "2026-01-31T23:59:00Z"})),
    )
    .await;
    assert_eq!(frozen.status, 200, "{}", frozen.raw);
    assert_eq!(
        frozen.body,
        json!({"now": "2026-01-31T23:59:00.000Z", "frozen": true})
    );
    let advanced = admin(
        &server,
        "POST",
        "/__admin/clock/advance",
        Some(json!({"seconds": 120})),
    )
    .await;
    assert_eq!(advanced.body["now"], "2026-02-01T00:01:00.000Z");
    let read = admin(&server, "GET", "/__admin/clock", None).await;
    assert_eq!(read.body, advanced.body);
    let health = admin(&server, "GET", "/__admin/health", None).await;
    assert_eq!(health.body["now"], "2026-02-01T00:01:00.000Z");
    let resumed = admin(&server, "POST", "/__admin/clock/resume", None).await;
    assert_eq!(resumed.body["frozen"], false);
    assert!(resumed.body["now"].as_str().unwrap() >= "2026-02-01T00:01:00.000Z");
}

#[tokio::test]
async fn real_returns_to_the_wall_clock_and_reset_keeps_the_clock() {
    let server = start_default().await;
    let long_ago = json!({"at": "2021-06-01T00:00:00Z"});
    admin(&server, "POST", "/__admin/clock/freeze", Some(long_ago)).await;
    // Reset keeps the clock: a frozen clock rebuilds the same world.
    let reset = admin(&server, "POST", "/__admin/reset", None).await;
    assert_eq!(reset.status, 200, "{}", reset.raw);
    let read = admin(&server, "GET", "/__admin/clock", None).await;
    assert_eq!(
        read.body,
        json!({"now": "2021-06-01T00:00:00.000Z", "frozen": true})
    );
    // Resume runs on from 2021; real goes back to today.
    let resumed = admin(&server, "POST", "/__admin/clock/resume", None).await;
    assert!(
        resumed.body["now"].as_str().unwrap() < "2022",
        "{}",
        resumed.raw
    );
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let real = admin(&server, "POST", "/__admin/clock/real", None).await;
    assert_eq!(real.status, 200, "{}", real.raw);
    assert_eq!(real.body["frozen"], false);
    let now: chrono::DateTime<chrono::Utc> = real.body["now"].as_str().unwrap().parse().unwrap();
    assert!(now >= before && now <= chrono::Utc::now(), "{now}");
    // From an advance too.
    admin(
        &server,
        "POST",
        "/__admin/clock/advance",
        Some(json!({"seconds": 86400})),
    )
    .await;
    let real = admin(&server, "POST", "/__admin/clock/real", None).await;
    let now: chrono::DateTime<chrono::Utc> = real.body["now"].as_str().unwrap().parse().unwrap();
    assert!(now <= chrono::Utc::now(), "{now}");
}

#[tokio::test]
async fn the_clock_drives_token_expiry() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    admin(&server, "POST", "/__admin/clock/freeze", None).await;
    let now: chrono::DateTime<chrono::Utc> = server.clock().now();
    let policy = grafana
        .create_policy("eu", "expiring", &["accesspolicies:read"])
        .await;
    let token = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": policy["id"], "name": "soon",
                    "expiresAt": (now + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.raw);
    let user = grafana.with_token(token.body["token"].as_str());
    assert_eq!(
        user.get("/api/v1/accesspolicies?region=eu").await.status,
        200
    );
    admin(
        &server,
        "POST",
        "/__admin/clock/advance",
        Some(json!({"seconds": 3601})),
    )
    .await;
    let expired = user.get("/api/v1/accesspolicies?region=eu").await;
    assert_grafana_error(&expired, 401, "InvalidCredentials", "expired");
}

#[tokio::test]
async fn bad_clock_requests_are_400_and_change_nothing() {
    let server = start_default().await;
    admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "2026-05-01T00:00:00Z"})),
    )
    .await;
    for (path, body) in [
        ("/__admin/clock/freeze", json!({"at": "tomorrow"})),
        ("/__admin/clock/advance", json!({"seconds": "ten"})),
        ("/__admin/clock/advance", json!({"minutes": 3})),
    ] {
        let reply = admin(&server, "POST", path, Some(body)).await;
        assert_eq!(reply.status, 400, "{}", reply.raw);
        assert!(
            reply.body["error"]
                .as_str()
                .unwrap()
                .contains("invalid JSON body"),
            "{}",
            reply.raw
        );
    }
    let read = admin(&server, "GET", "/__admin/clock", None).await;
    assert_eq!(read.body["now"], "2026-05-01T00:00:00.000Z");
}

#[tokio::test]
async fn advancing_across_a_month_boundary_opens_the_new_month() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "2026-06-30T23:59:00Z"})),
    )
    .await;
    let july = "/api/orgs/mockorg/billed-usage?month=7&year=2026";
    assert_grafana_error(&grafana.get(july).await, 404, "NotFound", "");
    admin(
        &server,
        "POST",
        "/__admin/clock/advance",
        Some(json!({"seconds": 120})),
    )
    .await;
    let opened = grafana.get(july).await;
    assert_eq!(opened.status, 200, "{}", opened.raw);
    assert!(!opened.body["items"].as_array().unwrap().is_empty());
}
