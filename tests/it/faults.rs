//! Fault injection: rules from the scenario, the command line and
//! `/__admin/faults` that slow, fail, drop or dribble vendor answers, the
//! same way run after run for the same seed.

use std::time::{Duration, Instant};

use crate::common::*;
use mockcloud::{Config, FaultsSpec, MockCloud, Scenario};
use serde_json::{Value, json};

const POLICIES: &str = "/api/v1/accesspolicies?region=us";

/// The default scenario with these fault rules.
async fn start_with_faults(faults: Value) -> MockCloud {
    let mut scenario = Scenario::default_scenario();
    scenario.faults = FaultsSpec::from_json_str(&faults.to_string(), "faults").expect("valid");
    MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect("server starts")
}

async fn with_rules(rules: Value) -> MockCloud {
    start_with_faults(json!({"rules": rules})).await
}

async fn admin(server: &MockCloud, method: &str, path: &str, body: Option<Value>) -> Reply {
    admin_send(server, method, path, body.as_ref(), None).await
}

async fn timed<F: std::future::Future>(f: F) -> (F::Output, Duration) {
    let started = Instant::now();
    let output = f.await;
    (output, started.elapsed())
}

/// The statuses of `n` policy lists in a row (0 for a dropped connection).
async fn statuses(server: &MockCloud, n: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..n {
        let sent = client
            .get(format!("{}{POLICIES}", server.base_url()))
            .bearer_auth(BOOTSTRAP_TOKEN)
            .send()
            .await;
        statuses.push(sent.map_or(0, |r| r.status().as_u16()));
    }
    statuses
}

async fn gcore_report(server: &MockCloud) -> Reply {
    let response = reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .header("Authorization", "APIKey mock-gcore-key")
        .json(&json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-02T00:00:00Z"}))
        .send()
        .await
        .expect("request sent");
    into_reply(response).await
}

#[tokio::test]
async fn a_fixed_latency_delays_the_answer_but_not_its_content() {
    let server = with_rules(json!([{"effect": {"latency": {"fixed_ms": 300}}}])).await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let (reply, took) = timed(grafana.get(POLICIES)).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(reply.body["items"].is_array(), "{}", reply.raw);
    assert!(took >= Duration::from_millis(300), "took {took:?}");
}

#[tokio::test]
async fn uniform_and_long_tailed_latencies_stay_within_their_bounds() {
    for latency in [
        json!({"uniform_ms": [150, 250]}),
        json!({"pareto": {"scale_ms": 150, "shape": 1.2, "max_ms": 400}}),
        json!({"log_normal": {"median_ms": 150, "sigma": 0, "max_ms": 400}}),
    ] {
        let server = with_rules(json!([{"effect": {"latency": latency}}])).await;
        let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
        let (reply, took) = timed(grafana.get(POLICIES)).await;
        assert_eq!(reply.status, 200);
        assert!(
            took >= Duration::from_millis(150),
            "{latency}: took {took:?}"
        );
        assert!(took < Duration::from_secs(5), "{latency}: took {took:?}");
    }
}

#[tokio::test]
async fn a_grafana_error_has_grafanas_body_and_retry_after() {
    let server = with_rules(json!([
        {"effect": {"error": {"status": 503, "retry_after_seconds": 7}}}
    ]))
    .await;
    let reply = Grafana::new(&server, BOOTSTRAP_TOKEN).get(POLICIES).await;
    assert_grafana_error(&reply, 503, "ServiceUnavailable", "service unavailable");
    assert_eq!(reply.headers["retry-after"], "7");
}

#[tokio::test]
async fn a_datadog_429_has_datadogs_body_and_rate_limit_reset() {
    let server = with_rules(json!([
        {"vendor": "datadog", "effect": {"error": {"status": 429, "retry_after_seconds": 9}}}
    ]))
    .await;
    let reply = Datadog::new(&server)
        .get("/api/v1/usage/top_avg_metrics?month=2026-01")
        .await;
    assert_datadog_error(&reply, 429, "Too many requests");
    assert_eq!(reply.headers["x-ratelimit-reset"], "9");
    assert_eq!(reply.headers["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn a_gcore_error_has_gcores_body_and_retry_after() {
    let server = with_rules(json!([
        {"vendor": "gcore", "effect": {"error": {"status": 429, "message": "slow down"}}}
    ]))
    .await;
    let reply = gcore_report(&server).await;
    assert_eq!(reply.status, 429, "{}", reply.raw);
    assert_eq!(reply.body["exception_class"], "Throttled");
    assert_eq!(reply.body["message"], "slow down");
    assert!(reply.body["request_id"].is_string(), "{}", reply.raw);
    assert_eq!(reply.headers["retry-after"], "1");
}

#[tokio::test]
async fn a_dropped_connection_gives_the_client_no_status_at_all() {
    let server = with_rules(json!([{"path": "/api/v1/*", "effect": "drop"}])).await;
    let sent = reqwest::Client::new()
        .get(format!("{}{POLICIES}", server.base_url()))
        .bearer_auth(BOOTSTRAP_TOKEN)
        .send()
        .await;
    let error = sent.expect_err("no answer");
    assert!(error.status().is_none(), "{error:?}");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    // The server itself is fine: the next connection gets its answer.
    let health = admin(&server, "GET", "/__admin/health", None).await;
    assert_eq!(health.status, 200);
}

#[tokio::test]
async fn a_dribbled_body_arrives_complete_and_late() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let expected = grafana.get(POLICIES).await.raw;
    let rule = json!({"effect": {"dribble": {"chunk_bytes": 64, "delay_ms": 20}}});
    admin(&server, "POST", "/__admin/faults", Some(rule)).await;
    let (reply, took) = timed(grafana.get(POLICIES)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.raw, expected);
    let pauses = expected.len().div_ceil(64) as u32 - 1;
    assert!(pauses >= 2, "body too small to dribble: {expected}");
    assert!(took >= Duration::from_millis(20) * pauses, "took {took:?}");
}

#[tokio::test]
async fn probability_zero_never_applies_and_one_always_does() {
    let never = with_rules(json!([
        {"probability": 0, "effect": {"error": {"status": 500}}}
    ]))
    .await;
    assert_eq!(statuses(&never, 20).await, vec![200; 20]);
    let always = with_rules(json!([
        {"probability": 1, "effect": {"error": {"status": 500}}}
    ]))
    .await;
    assert_eq!(statuses(&always, 20).await, vec![500; 20]);
}

#[tokio::test]
async fn the_first_applying_rule_wins() {
    let server = with_rules(json!([
        {"effect": {"latency": {"fixed_ms": 200}}},
        {"effect": {"error": {"status": 503}}}
    ]))
    .await;
    let (reply, took) = timed(Grafana::new(&server, BOOTSTRAP_TOKEN).get(POLICIES)).await;
    assert_eq!(reply.status, 200, "only the latency applies");
    assert!(took >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_rule_that_continues_lets_later_rules_apply_too() {
    let server = with_rules(json!([
        {"continue": true, "effect": {"latency": {"fixed_ms": 200}}},
        {"effect": {"error": {"status": 503}}},
        {"effect": {"error": {"status": 500}}}
    ]))
    .await;
    let (reply, took) = timed(Grafana::new(&server, BOOTSTRAP_TOKEN).get(POLICIES)).await;
    assert_eq!(reply.status, 503, "latency, then the first error");
    assert!(took >= Duration::from_millis(200));
}

#[tokio::test]
async fn rules_match_by_vendor_method_path_and_operation() {
    let server = with_rules(json!([
        {"vendor": "datadog", "effect": {"error": {"status": 502}}},
        {"method": "DELETE", "effect": {"error": {"status": 503}}},
        {"path": "/api/stack-regions*", "effect": {"error": {"status": 504}}},
        {"operation": "GET /api/instances/{slug_or_id}", "effect": {"error": {"status": 500}}}
    ]))
    .await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    let datadog = Datadog::new(&server)
        .get("/api/v1/usage/top_avg_metrics?month=2026-01")
        .await;
    assert_eq!(datadog.status, 502);
    assert_eq!(
        grafana
            .delete("/api/v1/accesspolicies/nope?region=us")
            .await
            .status,
        503
    );
    assert_eq!(grafana.get("/api/stack-regions").await.status, 504);
    assert_eq!(grafana.get("/api/instances/123").await.status, 500);
    // Same template, other method: no match.
    let other = grafana
        .send("POST", "/api/instances/123", Some(&json!({})))
        .await;
    assert_ne!(other.status, 500, "{}", other.raw);
    assert_eq!(gcore_report(&server).await.status, 200);
}

#[tokio::test]
async fn the_same_seed_meets_the_same_faults_in_the_same_order() {
    let faults = |seed: u64| {
        json!({"seed": seed, "rules": [
            {"probability": 0.5, "effect": {"error": {"status": 503}}}
        ]})
    };
    let first = statuses(&start_with_faults(faults(42)).await, 40).await;
    let second = statuses(&start_with_faults(faults(42)).await, 40).await;
    assert_eq!(first, second);
    let faulted = first.iter().filter(|&&s| s == 503).count();
    assert!((5..=35).contains(&faulted), "{first:?}");
    let other_seed = statuses(&start_with_faults(faults(43)).await, 40).await;
    assert_ne!(first, other_seed);
}

#[tokio::test]
async fn reset_replays_the_same_faults() {
    let server = start_with_faults(json!({"seed": 5, "rules": [
        {"probability": 0.5, "effect": {"error": {"status": 503}}}
    ]}))
    .await;
    let before = statuses(&server, 20).await;
    assert_eq!(
        admin(&server, "POST", "/__admin/reset", None).await.status,
        200
    );
    assert_eq!(statuses(&server, 20).await, before);
}

#[tokio::test]
async fn the_admin_api_lists_adds_changes_removes_and_clears_rules() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let empty = admin(&server, "GET", "/__admin/faults", None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["rules"], json!([]));

    let added = admin(
        &server,
        "POST",
        "/__admin/faults",
        Some(json!({"vendor": "grafana", "effect": {"error": {"status": 503}}})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.raw);
    let id = added.body["id"].as_str().expect("an id").to_string();
    assert_eq!(grafana.get(POLICIES).await.status, 503);

    let listed = admin(&server, "GET", "/__admin/faults", None).await;
    assert_eq!(listed.body["rules"], json!([added.body]));
    let one = admin(&server, "GET", &format!("/__admin/faults/{id}"), None).await;
    assert_eq!(one.body, added.body);

    let changed = admin(
        &server,
        "PUT",
        &format!("/__admin/faults/{id}"),
        Some(json!({"effect": {"error": {"status": 500}}})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.raw);
    assert_eq!(changed.body["id"], id);
    assert_eq!(grafana.get(POLICIES).await.status, 500);

    let removed = admin(&server, "DELETE", &format!("/__admin/faults/{id}"), None).await;
    assert_eq!(removed.status, 200);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    let gone = admin(&server, "DELETE", &format!("/__admin/faults/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert!(gone.body["error"].as_str().unwrap().contains(&id));

    for status in [500, 502] {
        let rule = json!({"effect": {"error": {"status": status}}});
        admin(&server, "POST", "/__admin/faults", Some(rule)).await;
    }
    let cleared = admin(&server, "DELETE", "/__admin/faults", None).await;
    assert_eq!(cleared.body["removed"], 2);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
}

#[tokio::test]
async fn the_admin_api_refuses_bad_rules_and_duplicate_ids() {
    let server = start_default().await;
    let bad = admin(
        &server,
        "POST",
        "/__admin/faults",
        Some(json!({"probability": 1.5, "effect": "drop"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["error"].as_str().unwrap().contains("probability"),
        "{}",
        bad.raw
    );
    let rule = json!({"id": "slow", "effect": {"latency": {"fixed_ms": 1}}});
    let first = admin(&server, "POST", "/__admin/faults", Some(rule.clone())).await;
    assert_eq!(first.body["id"], "slow");
    let again = admin(&server, "POST", "/__admin/faults", Some(rule)).await;
    assert_eq!(again.status, 409);
    let unknown = admin(
        &server,
        "PUT",
        "/__admin/faults/nope",
        Some(json!({"effect": "drop"})),
    )
    .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn reset_restores_the_scenarios_rules() {
    let server = with_rules(json!([
        {"id": "down", "effect": {"error": {"status": 503}}}
    ]))
    .await;
    admin(&server, "DELETE", "/__admin/faults", None).await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 200);
    admin(&server, "POST", "/__admin/reset", None).await;
    let listed = admin(&server, "GET", "/__admin/faults", None).await;
    assert_eq!(listed.body["rules"][0]["id"], "down");
    assert_eq!(grafana.get(POLICIES).await.status, 503);
}

#[tokio::test]
async fn a_bad_rule_in_the_scenario_is_reported_where_it_is() {
    let mut scenario = Scenario::default_scenario();
    scenario.faults = serde_json::from_value(json!({"rules": [
        {"effect": "drop"},
        {"effect": {"latency": {"uniform_ms": [500, 100]}}}
    ]}))
    .unwrap();
    let error = MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains("faults.rules[1].effect.latency.uniform_ms"),
        "{text}"
    );
}

#[tokio::test]
async fn the_admin_api_is_never_faulted() {
    let server = with_rules(json!([
        {"path": "*", "effect": {"error": {"status": 503}}}
    ]))
    .await;
    assert_eq!(
        admin(&server, "GET", "/__admin/health", None).await.status,
        200
    );
    assert_eq!(
        admin(&server, "GET", "/__admin/faults", None).await.status,
        200
    );
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    assert_eq!(grafana.get(POLICIES).await.status, 503);
}

mod cli {
    use std::process::{Child, Command, Stdio};

    use super::*;

    struct Serving(Child);

    impl Drop for Serving {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn serve(args: &[&str]) -> (Serving, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mockcloud starts");
        let url = listening_url(&mut child);
        (Serving(child), url)
    }

    async fn status(url: &str, path: &str) -> u16 {
        reqwest::Client::new()
            .get(format!("{url}{path}"))
            .bearer_auth(BOOTSTRAP_TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn fault_rules_come_from_the_command_line_and_a_file() {
        let file =
            std::env::temp_dir().join(format!("mockcloud-faults-{}.json", std::process::id()));
        std::fs::write(
            &file,
            json!({"seed": 3, "rules": [
                {"id": "regions-down", "path": "/api/stack-regions", "effect": {"error": {"status": 502}}}
            ]})
            .to_string(),
        )
        .unwrap();
        let rule =
            json!({"method": "GET", "path": "/api/v1/*", "effect": {"error": {"status": 503}}});
        let (_server, url) = serve(&[
            "--faults",
            file.to_str().unwrap(),
            "--fault",
            &rule.to_string(),
        ]);
        assert_eq!(status(&url, POLICIES).await, 503);
        assert_eq!(status(&url, "/api/stack-regions").await, 502);
        let listed: Value = reqwest::get(format!("{url}/__admin/faults"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["seed"], 3);
        assert_eq!(listed["rules"][0]["id"], "regions-down");
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn a_bad_fault_rule_stops_the_server_with_its_location() {
        let output = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
            .args([
                "serve",
                "--port",
                "0",
                "--fault",
                r#"{"effect": "explode"}"#,
            ])
            .output()
            .expect("mockcloud runs");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--fault[0].effect"), "{stderr}");
    }
}
