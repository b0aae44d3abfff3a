//! The clock's range: instants outside 1970-01-01T00:00:00.000Z ..
//! 9999-12-31T23:59:59.999Z are refused by `/__admin/clock` with 400, and at
//! either end every endpoint of every vendor answers 2xx or 4xx, never 5xx.

use std::collections::BTreeSet;

use crate::common::*;
use chrono::{DateTime, Datelike, Duration, Utc};
use mockcloud::MockCloud;
use serde_json::{Value, json};

const EARLIEST: &str = "1970-01-01T00:00:00.000Z";
const LATEST: &str = "9999-12-31T23:59:59.999Z";

/// A request as sent, its status and its body as text (a 5xx need not be JSON).
async fn call(
    server: &MockCloud,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&Value>,
) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn admin(server: &MockCloud, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let reply = admin_send(server, method, path, body.as_ref(), None).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn the_admin_clock_refuses_instants_outside_its_range_with_400() {
    let server = start_default().await;
    let (status, _) = admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "2026-05-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 200);
    for at in [
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "+10000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
    ] {
        let (status, body) = admin(
            &server,
            "POST",
            "/__admin/clock/freeze",
            Some(json!({ "at": at })),
        )
        .await;
        assert_eq!(status, 400, "freeze at {at}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!(
                "outside the clock's range: {EARLIEST} to {LATEST}"
            )),
            "{error}"
        );
    }
    let (_, clock) = admin(&server, "GET", "/__admin/clock", None).await;
    assert_eq!(clock["now"], "2026-05-01T00:00:00.000Z", "nothing changed");

    for (at, seconds) in [
        (LATEST, 1),
        (EARLIEST, -1),
        (LATEST, i64::MAX / 1000),
        (EARLIEST, i64::MIN / 1000),
    ] {
        let (status, _) = admin(
            &server,
            "POST",
            "/__admin/clock/freeze",
            Some(json!({ "at": at })),
        )
        .await;
        assert_eq!(status, 200, "the ends are inside the range");
        let (status, body) = admin(
            &server,
            "POST",
            "/__admin/clock/advance",
            Some(json!({ "seconds": seconds })),
        )
        .await;
        assert_eq!(status, 400, "advance {seconds} s from {at}: {body}");
        let (_, clock) = admin(&server, "GET", "/__admin/clock", None).await;
        assert_eq!(clock["now"], at, "nothing changed");
    }
    // Seconds chrono cannot even hold are refused too.
    let (status, _) = admin(
        &server,
        "POST",
        "/__admin/clock/advance",
        Some(json!({"seconds": i64::MAX})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn after_a_refused_far_future_freeze_the_rate_limited_endpoints_still_answer() {
    let server = start_default().await;
    let (status, _) = admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "+262142-12-31T23:59:59Z"})),
    )
    .await;
    assert_eq!(status, 400);
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=eu").await.status,
        200
    );
    assert_eq!(
        Datadog::new(&server)
            .get("/api/v1/usage/billable-summary")
            .await
            .status,
        200
    );
}

/// What every pass needs from the world: created at the normal clock, so
/// that the ends of the range also meet objects stamped decades away.
struct Fixture {
    policy: String,
    token_id: String,
    token: String,
    stack: String,
}

const PLUGIN: &str = "grafana-github-datasource";

/// Creates pass `pass`'s policy, token and stack (with a plugin) in 2026.
async fn fixture(server: &MockCloud, pass: usize) -> Fixture {
    let (status, _) = admin(
        server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({"at": "2026-05-01T12:00:00Z"})),
    )
    .await;
    assert_eq!(status, 200);
    let grafana = Grafana::new(server, BOOTSTRAP_TOKEN);
    let policy = grafana
        .create_policy(
            "eu",
            &format!("edge-policy-{pass}"),
            &["accesspolicies:read", "stacks:read"],
        )
        .await;
    let policy = policy["id"].as_str().unwrap().to_string();
    let token = grafana
        .create_token("eu", &policy, &format!("edge-token-{pass}"))
        .await;
    let stack = format!("edgestack{pass}");
    let created = grafana
        .post("/api/instances", &json!({"name": stack, "slug": stack}))
        .await;
    assert_eq!(created.status, 200, "{}", created.raw);
    let installed = grafana
        .post(
            &format!("/api/instances/{stack}/plugins"),
            &json!({"plugin": PLUGIN}),
        )
        .await;
    assert_eq!(installed.status, 200, "{}", installed.raw);
    Fixture {
        policy,
        token_id: token["id"].as_str().unwrap().to_string(),
        token: token["token"].as_str().unwrap().to_string(),
        stack,
    }
}

/// Method, path and query, headers, JSON body.
type Request<'a> = (
    &'static str,
    String,
    &'a [(&'static str, String)],
    Option<Value>,
);

/// Calls every operation of every vendor (several ways where the clock
/// matters) at the clock's current instant; each must answer below 500.
/// Returns the (method, route template) pairs the journal saw served.
async fn every_endpoint(
    server: &MockCloud,
    fixture: &Fixture,
    pass: usize,
) -> BTreeSet<(String, String)> {
    let (_, clock) = admin(server, "GET", "/__admin/clock", None).await;
    let now: DateTime<Utc> = clock["now"].as_str().unwrap().parse().unwrap();
    admin(server, "DELETE", "/__admin/journal", None).await;
    let bearer = |token: &str| vec![("authorization", format!("Bearer {token}"))];
    let admin_token = bearer(BOOTSTRAP_TOKEN);
    let user_token = bearer(&fixture.token);
    let dd = vec![
        ("dd-api-key", DD_API_KEY.to_string()),
        ("dd-application-key", DD_APP_KEY.to_string()),
    ];
    let gcore = vec![(
        "authorization",
        format!("APIKey {}", mockcloud::credentials::GCORE_API_KEY),
    )];
    let Fixture {
        policy,
        token_id,
        stack,
        ..
    } = fixture;
    let day_before = now.checked_sub_signed(Duration::days(1)).unwrap_or(now);
    let hour = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H").to_string();
    let month = |t: DateTime<Utc>| t.format("%Y-%m").to_string();
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let later = |d: Duration| now.checked_add_signed(d).map_or_else(|| rfc(now), rfc);

    let mut requests: Vec<Request> = Vec::new();
    let mut add = |method: &'static str, path: String, headers, body: Option<Value>| {
        requests.push((method, path, headers, body));
    };
    // Grafana: access policies and tokens (rate limited), as the bootstrap
    // token and as a token created in 2026.
    for headers in [&admin_token, &user_token] {
        add(
            "GET",
            "/api/v1/accesspolicies?region=eu".into(),
            headers,
            None,
        );
        add(
            "GET",
            format!("/api/v1/accesspolicies/{policy}?region=eu"),
            headers,
            None,
        );
        add("GET", "/api/v1/tokens?region=eu".into(), headers, None);
        add(
            "GET",
            format!("/api/v1/tokens/{token_id}?region=eu"),
            headers,
            None,
        );
    }
    add(
        "POST",
        "/api/v1/accesspolicies?region=eu".into(),
        &admin_token,
        Some(
            json!({"name": format!("edge-{pass}"), "scopes": ["stacks:read"],
                    "realms": [{"type": "org", "identifier": "1"}]}),
        ),
    );
    add(
        "POST",
        format!("/api/v1/accesspolicies/{policy}?region=eu"),
        &admin_token,
        Some(json!({"displayName": "Edge", "scopes": ["stacks:read"],
                    "realms": [{"type": "org", "identifier": "1"}]})),
    );
    for (i, expires) in [
        None,
        Some(later(Duration::hours(1))),
        Some(later(Duration::days(-1))),
        Some(LATEST.to_string()),
        Some("+262142-12-31T23:59:59Z".to_string()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"accessPolicyId": policy, "name": format!("edge-{pass}-{i}")});
        if let Some(expires) = expires {
            body["expiresAt"] = json!(expires);
        }
        add(
            "POST",
            "/api/v1/tokens?region=eu".into(),
            &admin_token,
            Some(body),
        );
    }
    add(
        "POST",
        format!("/api/v1/tokens/{token_id}?region=eu"),
        &admin_token,
        Some(json!({"displayName": "Edge"})),
    );
    // Grafana: stacks, orgs, keys, billed usage, plugins.
    for path in [
        "/api/stack-regions".to_string(),
        "/api/instances".to_string(),
        format!("/api/instances/{stack}"),
        "/api/orgs/mockorg/instances".to_string(),
        "/api/orgs/mockorg".to_string(),
        "/api/orgs/mockorg/api-keys".to_string(),
        format!("/api/instances/{stack}/connections"),
        format!("/api/instances/{stack}/datasources"),
        format!("/api/instances/{stack}/plugins"),
        format!("/api/instances/{stack}/plugins/{PLUGIN}"),
    ] {
        add("GET", path, &admin_token, None);
    }
    for t in [now, day_before] {
        add(
            "GET",
            format!(
                "/api/orgs/mockorg/billed-usage?month={}&year={}",
                t.month(),
                t.year()
            ),
            &admin_token,
            None,
        );
    }
    add(
        "GET",
        "/api/orgs/mockorg/billed-usage?month=10&year=2026".into(),
        &admin_token,
        None,
    );
    add(
        "POST",
        "/api/instances".into(),
        &admin_token,
        Some(json!({"name": format!("edge{pass}"), "slug": format!("edge{pass}")})),
    );
    add(
        "POST",
        format!("/api/instances/{stack}"),
        &admin_token,
        Some(json!({"description": "at the edge"})),
    );
    add(
        "POST",
        "/api/orgs/mockorg/api-keys".into(),
        &admin_token,
        Some(json!({"name": format!("edge-{pass}"), "role": "Viewer"})),
    );
    add(
        "POST",
        format!("/api/instances/{stack}/restart"),
        &admin_token,
        None,
    );
    for (i, ttl) in [json!(null), json!(3600), json!(i64::MAX)]
        .into_iter()
        .enumerate()
    {
        add(
            "POST",
            format!("/api/instances/{stack}/api/auth/keys"),
            &admin_token,
            Some(
                json!({"name": format!("edge-{pass}-{i}"), "role": "Viewer", "secondsToLive": ttl}),
            ),
        );
    }
    add(
        "POST",
        format!("/api/instances/{stack}/plugins/{PLUGIN}"),
        &admin_token,
        Some(json!({"version": "1.3.1"})),
    );
    add(
        "DELETE",
        format!("/api/instances/{stack}/plugins/{PLUGIN}"),
        &admin_token,
        None,
    );
    add(
        "POST",
        format!("/api/instances/{stack}/plugins"),
        &admin_token,
        Some(json!({"plugin": PLUGIN})),
    );
    // Datadog: every usage endpoint, at the clock's hour and month, the
    // day before, and in 2026.
    for t in [now, day_before] {
        let (hour, month) = (hour(t), month(t));
        for path in [
            format!("/api/v1/usage/hourly-attribution?start_hr={hour}&usage_type=infra_host_usage"),
            format!("/api/v1/usage/monthly-attribution?start_month={month}&fields=*"),
            format!("/api/v2/usage/historical_cost?start_month={month}"),
            format!("/api/v2/usage/estimated_cost?start_month={month}"),
            format!("/api/v1/usage/top_avg_metrics?month={month}"),
            format!(
                "/api/v2/usage/hourly_usage?filter[timestamp][start]={hour}&filter[product_families]=infra_hosts,logs"
            ),
            format!("/api/v1/usage/billable-summary?month={month}"),
        ] {
            add("GET", path, &dd, None);
        }
    }
    for path in [
        "/api/v1/usage/hourly-attribution?start_hr=2026-11-01T00&usage_type=infra_host_usage",
        "/api/v1/usage/monthly-attribution?start_month=2026-09&fields=*",
        "/api/v2/usage/historical_cost?start_month=2026-09",
        "/api/v2/usage/estimated_cost",
        "/api/v1/usage/top_avg_metrics",
        "/api/v2/usage/hourly_usage?filter[timestamp][start]=2026-11-01T00&filter[product_families]=infra_hosts,logs",
        "/api/v1/usage/billable-summary",
    ] {
        add("GET", path.to_string(), &dd, None);
    }
    // Gcore: the report over the last day, the last month, and in 2026.
    let month_before = now.checked_sub_signed(Duration::days(31)).unwrap_or(now);
    for (from, to) in [
        (rfc(day_before), rfc(now)),
        (rfc(month_before), later(Duration::days(1))),
        (
            "2026-01-01T00:00:00Z".to_string(),
            "2026-02-01T00:00:00Z".to_string(),
        ),
    ] {
        add(
            "POST",
            "/cloud/v1/usage_report".into(),
            &gcore,
            Some(json!({"time_from": from, "time_to": to})),
        );
    }
    // Deletions last.
    add(
        "DELETE",
        format!("/api/orgs/mockorg/api-keys/edge-{pass}"),
        &admin_token,
        None,
    );
    add(
        "DELETE",
        format!("/api/v1/tokens/{token_id}?region=eu"),
        &admin_token,
        None,
    );
    add(
        "DELETE",
        format!("/api/v1/accesspolicies/{policy}?region=eu"),
        &admin_token,
        None,
    );
    add(
        "DELETE",
        format!("/api/instances/edge{pass}"),
        &admin_token,
        None,
    );

    for (method, path, headers, body) in &requests {
        let (status, raw) = call(server, method, path, headers, body.as_ref()).await;
        assert!(
            (200..500).contains(&status),
            "{method} {path} at {now}: {status} {raw}"
        );
    }
    let (_, journal) = admin(server, "GET", "/__admin/journal", None).await;
    journal["entries"]
        .as_array()
        .expect("journal entries")
        .iter()
        .filter_map(|entry| {
            Some((
                entry["method"].as_str()?.to_string(),
                path_template(entry["operation"].as_str()?),
            ))
        })
        .collect()
}

/// Every (method, route template) the vendors' published documents list.
async fn documented_operations(server: &MockCloud) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for vendor in ["datadog", "gcore", "grafana"] {
        let (_, document) = admin(
            server,
            "GET",
            &format!("/__admin/openapi/{vendor}.json"),
            None,
        )
        .await;
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    operations.insert((method.to_uppercase(), path_template(path)));
                }
            }
        }
    }
    operations
}

#[tokio::test]
async fn at_either_end_of_the_range_every_endpoint_answers_without_a_server_error() {
    let server = start_default().await;
    let documented = documented_operations(&server).await;
    for (pass, at) in [EARLIEST, LATEST].into_iter().enumerate() {
        let fixture = fixture(&server, pass).await;
        let (status, body) = admin(
            &server,
            "POST",
            "/__admin/clock/freeze",
            Some(json!({ "at": at })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["now"], at);
        let served = every_endpoint(&server, &fixture, pass).await;
        let missed: Vec<_> = documented.difference(&served).collect();
        assert!(
            missed.is_empty(),
            "operations not called at {at}: {missed:?}"
        );
    }
    // A clock running from the latest instant stays there, still answering.
    admin(
        &server,
        "POST",
        "/__admin/clock/freeze",
        Some(json!({ "at": LATEST })),
    )
    .await;
    let (status, body) = admin(&server, "POST", "/__admin/clock/resume", None).await;
    assert_eq!((status, body["now"].as_str()), (200, Some(LATEST)));
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=eu").await.status,
        200
    );
}
