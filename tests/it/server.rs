//! The server as a whole: isolation, determinism, reset, unknown routes.

use crate::common::grafana_spec as spec;
use crate::common::*;
use mockcloud::{Config, MockCloud};
use serde_json::json;

async fn first_policy_id_created(seed: u64) -> String {
    let server = MockCloud::start(Config::default().with_seed(seed))
        .await
        .unwrap();
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let policy = grafana
        .create_policy("eu", "seeded", &["metrics:read"])
        .await;
    policy["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_another_seed_other_ids() {
    let a = first_policy_id_created(7).await;
    let b = first_policy_id_created(7).await;
    let c = first_policy_id_created(8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn two_servers_never_share_state() {
    let (one, two) = (start_default().await, start_default().await);
    assert_ne!(one.base_url(), two.base_url());
    Grafana::new(&one, BOOTSTRAP_TOKEN)
        .create_policy("eu", "only-on-one", &["metrics:read"])
        .await;
    let on_two = Grafana::new(&two, BOOTSTRAP_TOKEN)
        .get("/api/v1/accesspolicies?region=eu&name=only-on-one")
        .await;
    assert_eq!(on_two.status, 200);
    spec::assert_access_policy_list(&on_two.body);
    assert_eq!(on_two.body["items"], json!([]));
}

#[tokio::test]
async fn reset_returns_to_the_scenario_with_the_same_ids() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let before = grafana.get("/api/v1/accesspolicies?region=us").await.body;
    let created = grafana
        .create_policy("us", "temporary", &["metrics:read"])
        .await;
    server.reset();
    let after = grafana.get("/api/v1/accesspolicies?region=us").await.body;
    spec::assert_access_policy_list(&before);
    spec::assert_access_policy_list(&after);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&before), ids(&after));
    assert!(!ids(&after).contains(&created["id"].as_str().unwrap().to_string()));
    // Ids after a reset repeat those after start-up: the world is the same.
    let again = grafana
        .create_policy("us", "temporary", &["metrics:read"])
        .await;
    assert_eq!(again["id"], created["id"]);
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404_and_a_wrong_method_a_json_405() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = grafana.get("/api/v1/nothing-here").await;
    assert_grafana_error(&reply, 404, "NotFound", "/api/v1/nothing-here");
    let reply = grafana
        .send("PUT", "/api/v1/accesspolicies?region=us", None)
        .await;
    assert_grafana_error(&reply, 405, "MethodNotAllowed", "PUT");
}

#[tokio::test]
async fn stack_regions_lists_the_scenario_regions_in_id_order() {
    let server = start_default().await;
    let reply = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/stack-regions")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_region_list(&reply.body);
    let slugs: Vec<&str> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(&slugs[..4], ["us", "us-azure", "eu", "au"]);
    assert!(slugs.iter().any(|s| s.starts_with("prod-")));
    assert_eq!(reply.body["total"], slugs.len());
    assert_eq!(reply.body["items"][0]["name"], "GCP US Central");
    assert_eq!(reply.body["orderBy"], "id");
    let unauthenticated = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .with_token(None)
        .get("/api/stack-regions")
        .await;
    assert_grafana_error(&unauthenticated, 401, "InvalidCredentials", "");
}

/// Sends `method path` with no credentials.
async fn bare(server: &MockCloud, method: &str, path: &str) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    into_reply(
        reqwest::Client::new()
            .request(method, format!("{}{path}", server.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_under_datadog_answer_in_datadogs_body() {
    let server = start_default().await;
    for (method, path, status, needle) in [
        ("GET", "/api/v2/usage/nope", 404, "/api/v2/usage/nope"),
        ("GET", "/api/v1/usage/nope", 404, "/api/v1/usage/nope"),
        ("POST", "/api/v1/usage/billable-summary", 405, "POST"),
        ("DELETE", "/api/v2/usage/hourly_usage", 405, "DELETE"),
    ] {
        let reply = bare(&server, method, path).await;
        assert_datadog_error(&reply, status, needle);
        assert!(reply.body.get("code").is_none(), "{}", reply.raw);
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_under_gcore_answer_in_gcores_body() {
    let server = start_default().await;
    for (method, path, status, class) in [
        ("GET", "/cloud/v1/nope", 404, "NotFoundError"),
        ("GET", "/cloud/v2/anything", 404, "NotFoundError"),
        ("GET", "/cloud/v1/usage_report", 405, "MethodNotAllowed"),
    ] {
        let reply = bare(&server, method, path).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.raw);
        assert_eq!(reply.body["exception_class"], class, "{}", reply.raw);
        assert!(reply.body["message"].is_string(), "{}", reply.raw);
        assert!(reply.body["request_id"].is_string(), "{}", reply.raw);
        assert!(reply.body.get("code").is_none(), "{}", reply.raw);
    }
    let wrong_method = bare(&server, "GET", "/cloud/v1/usage_report").await;
    assert!(
        wrong_method.body["message"]
            .as_str()
            .unwrap()
            .contains("\"GET\""),
        "{}",
        wrong_method.raw
    );
}

#[tokio::test]
async fn paths_no_vendor_owns_get_a_plain_json_404_journalled_as_other() {
    let server = start_default().await;
    let reply = bare(&server, "GET", "/nothing/here").await;
    assert_eq!(reply.status, 404, "{}", reply.raw);
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("/nothing/here")
    );
    let journal = bare(&server, "GET", "/__admin/journal?vendor=other").await;
    assert_eq!(journal.status, 200, "{}", journal.raw);
    let paths: Vec<&str> = journal.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/nothing/here"]);
}

#[tokio::test]
async fn the_journal_and_faults_agree_with_the_router_on_the_owning_vendor() {
    let server = start_default().await;
    for (path, vendor) in [
        ("/api/v2/usage/nope", "datadog"),
        ("/cloud/v1/nope", "gcore"),
        ("/api/nope", "grafana"),
    ] {
        bare(&server, "GET", path).await;
        let journal = bare(&server, "GET", &format!("/__admin/journal?path={path}")).await;
        assert_eq!(journal.body["entries"][0]["vendor"], vendor, "{path}");
    }
    // A fault on a vendor's unknown path renders in that vendor's body.
    let added = Grafana::new(&server, "")
        .with_token(None)
        .send(
            "POST",
            "/__admin/faults",
            Some(&json!({"vendor": "gcore", "effect": {"error": {"status": 503}}})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.raw);
    let faulted = bare(&server, "GET", "/cloud/v1/nope").await;
    assert_eq!(faulted.status, 503, "{}", faulted.raw);
    assert_eq!(faulted.body["exception_class"], "ServiceUnavailable");
}

#[tokio::test]
async fn every_grafana_error_carries_status_code_and_the_request_id_the_client_sent() {
    let server = start_default().await;
    let client = reqwest::Client::new();
    // One failing call per endpoint family, and the fallbacks.
    let calls: [(&str, &str, u16); 12] = [
        ("GET", "/api/v1/accesspolicies?region=nowhere", 400),
        ("GET", "/api/v1/accesspolicies/nosuch?region=us", 400),
        ("GET", "/api/v1/tokens/nosuch?region=us", 400),
        ("GET", "/api/instances/nosuch", 404),
        ("GET", "/api/instances/nosuch/connections", 404),
        ("GET", "/api/instances/nosuch/plugins", 404),
        ("GET", "/api/instances/nosuch/datasources", 404),
        ("GET", "/api/orgs/nosuch", 404),
        ("GET", "/api/orgs/nosuch/api-keys", 404),
        (
            "GET",
            "/api/orgs/nosuch/billed-usage?year=2026&month=1",
            404,
        ),
        ("GET", "/api/no-such-endpoint", 404),
        ("PUT", "/api/stack-regions", 405),
    ];
    for (i, (method, path, status)) in calls.into_iter().enumerate() {
        let sent_id = format!("client-trace-{i}");
        let reply = into_reply(
            client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{}{path}", server.base_url()),
                )
                .bearer_auth(BOOTSTRAP_TOKEN)
                .header("X-Request-Id", &sent_id)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.raw);
        assert_eq!(reply.headers["x-request-id"], sent_id.as_str(), "{path}");
        assert_eq!(reply.body["requestId"], sent_id, "{path}: {}", reply.raw);
        assert_eq!(reply.body["statusCode"], status, "{path}: {}", reply.raw);
        assert!(reply.body["code"].is_string(), "{path}: {}", reply.raw);
        assert!(reply.body["message"].is_string(), "{path}: {}", reply.raw);
        // The failing call is found in the journal by the same id.
        let journal = bare(&server, "GET", "/__admin/journal?limit=1").await;
        assert_eq!(journal.body["entries"][0]["requestId"], sent_id, "{path}");
    }
    // Without a client id each request gets its own, the same in header and body.
    let (a, b) = (
        bare(&server, "GET", "/api/orgs/nosuch").await,
        bare(&server, "GET", "/api/orgs/nosuch").await,
    );
    for reply in [&a, &b] {
        assert_grafana_error(reply, 401, "InvalidCredentials", "");
    }
    assert_ne!(a.body["requestId"], b.body["requestId"]);
}

/// The table of documented exceptions to the spec's required fields and
/// types names only schemas and fields the checks know, each with a reason.
#[test]
fn the_documented_spec_exceptions_name_known_fields_with_a_reason() {
    spec::assert_exceptions_are_known();
}

#[tokio::test]
async fn health_names_the_datadog_client_the_catalogue_follows() {
    let server = start_default().await;
    let health = bare(&server, "GET", "/__admin/health").await;
    assert_eq!(health.status, 200, "{}", health.raw);
    let pinned = include_str!("../sdk/requirements.txt")
        .lines()
        .find(|line| line.starts_with("datadog-api-client=="))
        .expect("the SDK tests pin the Datadog client");
    assert_eq!(health.body["datadogCatalog"], pinned, "{}", health.raw);
    assert_eq!(health.body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_heavy_usage_reports_run() {
    let server = start_default().await;
    server
        .clock()
        .freeze(Some("2026-06-15T12:00:00Z".parse().unwrap()));
    let path = "/api/v2/usage/historical_cost?start_month=2025-04&view=sub-org";
    let alone = Datadog::new(&server).get(path).await;
    assert_eq!(alone.status, 200, "{}", alone.raw);
    let heavy: Vec<_> = (0..3)
        .map(|_| {
            let datadog = Datadog::new(&server);
            tokio::spawn(async move { datadog.get(path).await })
        })
        .collect();
    // Health is answered while the reports run (they run off the workers).
    let health = bare(&server, "GET", "/__admin/health").await;
    assert_eq!(health.status, 200, "{}", health.raw);
    assert_eq!(health.body["status"], "ok");
    for report in heavy {
        let report = report.await.unwrap();
        assert_eq!(report.status, 200, "{}", report.raw);
        assert_eq!(report.body, alone.body, "the same answer under load");
    }
}

#[tokio::test]
async fn on_one_connection_thread_health_answers_while_heavy_reports_run() {
    let server = MockCloud::start(Config::default().with_connection_limits(
        mockcloud::ConnectionLimits {
            threads: 1,
            ..mockcloud::ConnectionLimits::default()
        },
    ))
    .await
    .unwrap();
    server
        .clock()
        .freeze(Some("2026-06-15T12:00:00Z".parse().unwrap()));
    let path = "/api/v2/usage/historical_cost?start_month=2025-04&view=sub-org";
    let alone = Datadog::new(&server).get(path).await;
    assert_eq!(alone.status, 200, "{}", alone.raw);
    let heavy: Vec<_> = (0..3)
        .map(|_| {
            let datadog = Datadog::new(&server);
            tokio::spawn(async move { datadog.get(path).await })
        })
        .collect();
    // Every connection shares the one thread: the reports run beside it.
    let health = bare(&server, "GET", "/__admin/health").await;
    assert_eq!(health.status, 200, "{}", health.raw);
    for report in heavy {
        let report = report.await.unwrap();
        assert_eq!(report.status, 200, "{}", report.raw);
        assert_eq!(report.body, alone.body, "the same answer on one thread");
    }
}

#[tokio::test]
async fn health_answers_while_a_large_world_is_exported_and_rebuilt() {
    let scenario = mockcloud::Scenario::built_in("large").unwrap();
    let server = MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .unwrap();
    let base = server.base_url();
    let client = reqwest::Client::new();
    let export = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let response = client
                .get(format!("{base}/__admin/state"))
                .send()
                .await
                .unwrap();
            (response.status(), response.bytes().await.unwrap())
        })
    };
    let reset = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            client
                .post(format!("{base}/__admin/reset"))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Both run on the blocking pool: health is answered meanwhile.
    let health = bare(&server, "GET", "/__admin/health").await;
    assert_eq!(health.status, 200, "{}", health.raw);
    let (status, document) = export.await.unwrap();
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_slice(&document).unwrap();
    assert!(
        document["grafana"]["access_policies"]
            .as_array()
            .is_some_and(|policies| policies.len() >= 20_000),
        "the large world's policies are exported"
    );
    assert_eq!(reset.await.unwrap(), 200);
}
