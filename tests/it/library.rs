//! The library API a Rust test uses: a scenario built in code, and the typed
//! handles (faults, journal, rate limits, clock, reset, load, export and
//! import) instead of `/__admin` over HTTP.

use crate::common::*;

use chrono::Duration;
use mockcloud::scenario::{
    AccessPolicySpec, DatadogOrgSpec, GcoreProjectSpec, GcoreRegionSpec, OrgSpec, RateLimitSpec,
    RegionSpec, StackSpec, TokenSpec,
};
use mockcloud::{
    ChangeError, Config, Effect, ErrorFault, FaultRule, JournalFilter, MockCloud, Scenario, Vendor,
    credentials,
};
use serde_json::{Value, json};

const GCORE_REPORT: &str = "/cloud/v1/usage_report";
const DATADOG_BILLABLE: &str = "/api/v1/usage/billable-summary?month=2026-01";

/// One org `acme` with a stack and a token, a Datadog parent org and a
/// Gcore key: every vendor reachable, nothing written as JSON.
fn built_in_code() -> Scenario {
    let mut scenario = Scenario::new("built-in-code");
    scenario.seed = 42;
    scenario
        .grafana
        .regions
        .push(RegionSpec::new(1, "us", "GCP US Central", "gcp"));
    let mut org = OrgSpec::new(7, "acme", "Acme");
    org.stacks.push(StackSpec::new("acmestack", "us"));
    let mut policy = AccessPolicySpec::new(
        "ci",
        "us",
        ["accesspolicies:read", "accesspolicies:write", "stacks:read"],
    );
    policy
        .tokens
        .push(TokenSpec::new("ci-token", "acme-secret"));
    org.access_policies.push(policy);
    scenario.grafana.orgs.push(org);
    let mut datadog = DatadogOrgSpec::new("Acme DD", "acmedd0001");
    datadog.api_keys.push("acme-dd-api".into());
    datadog.application_keys.push("acme-dd-app".into());
    scenario.datadog.orgs.push(datadog);
    scenario.gcore.api_keys.push("acme-gcore".into());
    scenario.gcore.projects.push(GcoreProjectSpec {
        id: 1,
        name: "default".into(),
    });
    scenario.gcore.regions.push(GcoreRegionSpec {
        id: 76,
        name: "Luxembourg-2".into(),
    });
    scenario
}

async fn start(scenario: Scenario) -> MockCloud {
    MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect("server starts")
}

async fn gcore_report(server: &MockCloud, key: &str) -> Reply {
    let response = reqwest::Client::new()
        .post(format!("{}{GCORE_REPORT}", server.base_url()))
        .header("authorization", format!("APIKey {key}"))
        .json(&json!({
            "time_from": "2026-01-01T00:00:00Z",
            "time_to": "2026-02-01T00:00:00Z"
        }))
        .send()
        .await
        .expect("request sent");
    into_reply(response).await
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().expect("name"))
        .collect()
}

#[tokio::test]
async fn a_scenario_built_in_code_serves_every_vendor() {
    let server = start(built_in_code()).await;
    assert_eq!(server.scenario().name, "built-in-code");
    assert_eq!(server.seed(), 42);

    let grafana = Grafana::new(&server, "acme-secret");
    let policies = grafana.get("/api/v1/accesspolicies?region=us").await;
    assert_eq!(policies.status, 200, "{}", policies.raw);
    assert_eq!(names(&policies.body), ["ci"]);
    let stack = grafana.get("/api/instances/acmestack").await;
    assert_eq!(stack.status, 200, "{}", stack.raw);
    assert_eq!(stack.body["orgSlug"], "acme");
    assert_eq!(
        Grafana::new(&server, credentials::GRAFANA_TOKEN)
            .get("/api/v1/accesspolicies?region=us")
            .await
            .status,
        401,
        "the default scenario's token is not in this one"
    );

    let datadog = Datadog::new(&server).with_keys(Some("acme-dd-api"), Some("acme-dd-app"));
    assert_eq!(datadog.get(DATADOG_BILLABLE).await.status, 200);
    assert_eq!(gcore_report(&server, "acme-gcore").await.status, 200);
}

#[tokio::test]
async fn the_default_credentials_are_the_named_constants() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, credentials::GRAFANA_TOKEN);
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=us").await.status,
        200
    );
    let org = grafana
        .get(&format!("/api/orgs/{}", credentials::GRAFANA_ORG_SLUG))
        .await;
    assert_eq!(org.status, 200, "{}", org.raw);
    for (api, app) in [
        (credentials::DATADOG_API_KEY, credentials::DATADOG_APP_KEY),
        (
            credentials::DATADOG_CHILD_A_API_KEY,
            credentials::DATADOG_CHILD_A_APP_KEY,
        ),
        (
            credentials::DATADOG_CHILD_B_API_KEY,
            credentials::DATADOG_CHILD_B_APP_KEY,
        ),
    ] {
        let reply = Datadog::new(&server)
            .with_keys(Some(api), Some(app))
            .get(DATADOG_BILLABLE)
            .await;
        assert_ne!(reply.status, 403, "{api}: {}", reply.raw);
    }
    assert_eq!(
        gcore_report(&server, credentials::GCORE_API_KEY)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_fault_added_by_handle_shows_in_the_answer_and_the_journal() {
    let server = start_default().await;
    let faults = server.faults();
    let added = faults
        .add(
            FaultRule::new(Effect::Error(ErrorFault {
                status: 503,
                message: Some("planned outage".into()),
                retry_after_seconds: Some(9),
            }))
            .with_id("outage")
            .for_vendor(Vendor::GCORE),
        )
        .expect("valid rule");
    assert_eq!(added.id(), "outage");
    assert_eq!(faults.list(), std::slice::from_ref(&added));
    assert_eq!(faults.get("outage"), Some(added));

    let reply = gcore_report(&server, credentials::GCORE_API_KEY).await;
    assert_eq!(reply.status, 503, "{}", reply.raw);
    assert!(reply.raw.contains("planned outage"), "{}", reply.raw);
    let datadog = Datadog::new(&server).with_keys(
        Some(credentials::DATADOG_API_KEY),
        Some(credentials::DATADOG_APP_KEY),
    );
    assert_eq!(
        datadog.get(DATADOG_BILLABLE).await.status,
        200,
        "other vendors untouched"
    );

    let journal = server.journal();
    let faulted = journal.entries(&JournalFilter::new().vendor(Vendor::GCORE));
    assert_eq!(faulted.len(), 1);
    let entry = &faulted[0];
    assert_eq!(
        (entry.method.as_str(), entry.path.as_str()),
        ("POST", GCORE_REPORT)
    );
    assert_eq!(entry.status, Some(503));
    assert_eq!(entry.vendor, Some(Vendor::GCORE));
    let fault = entry.fault.as_ref().expect("the fault is journaled");
    assert_eq!(
        (fault.rule.as_str(), fault.effect.as_str()),
        ("outage", "error")
    );
    assert_eq!(journal.all().len(), 2);
    assert_eq!(
        journal.entries(&JournalFilter::new().status_class(5)).len(),
        1
    );
    assert_eq!(
        journal.entries(&JournalFilter::new().method("get").limit(1))[0].vendor,
        Some(Vendor::DATADOG)
    );
    assert!(
        journal.all()[1].query.as_deref() == Some("month=2026-01"),
        "the query is kept"
    );
    assert_eq!(faults.requests_seen(), 2);

    assert_eq!(faults.remove("outage").expect("removed").id(), "outage");
    assert_eq!(
        gcore_report(&server, credentials::GCORE_API_KEY)
            .await
            .status,
        200
    );
    assert_eq!(journal.clear(), 3);
    assert!(journal.all().is_empty());
}

#[tokio::test]
async fn fault_handles_refuse_what_the_admin_api_refuses() {
    let server = start_default().await;
    let faults = server.faults();
    faults
        .add(FaultRule::new(Effect::Drop).with_id("drop"))
        .expect("valid");
    assert!(matches!(
        faults.add(FaultRule::new(Effect::Drop).with_id("drop")),
        Err(ChangeError::Conflict(_))
    ));
    assert!(matches!(
        faults.add(FaultRule::new(Effect::error(200))),
        Err(ChangeError::Invalid(_))
    ));
    assert!(matches!(
        faults.add(FaultRule::new(Effect::Drop).with_probability(2.0)),
        Err(ChangeError::Invalid(_))
    ));
    assert!(matches!(
        faults.remove("nope"),
        Err(ChangeError::NotFound(_))
    ));
    let replaced = faults
        .replace("drop", FaultRule::new(Effect::error(500)))
        .expect("replaced");
    assert_eq!(replaced.id(), "drop");
    assert_eq!(replaced.effect, Effect::error(500));
    let generated = faults.add(FaultRule::new(Effect::Drop)).expect("valid");
    assert!(generated.id().starts_with("fault-"), "{}", generated.id());
    assert_eq!(faults.clear(), 2);
    assert!(faults.list().is_empty());
}

#[tokio::test]
async fn rate_limits_set_by_handle_refuse_and_reset_restores_them() {
    let server = start_default().await;
    let limits = server.rate_limits();
    let scenario_rules = limits.get(Vendor::GCORE);
    assert!(!scenario_rules.is_empty(), "a generous default");

    limits
        .set(Vendor::GCORE, vec![RateLimitSpec::new("tight", 1, 60)])
        .expect("valid rules");
    assert_eq!(
        limits.get(Vendor::GCORE),
        [RateLimitSpec::new("tight", 1, 60)]
    );
    assert_eq!(
        gcore_report(&server, credentials::GCORE_API_KEY)
            .await
            .status,
        200
    );
    let refused = gcore_report(&server, credentials::GCORE_API_KEY).await;
    assert_eq!(refused.status, 429, "{}", refused.raw);
    let journaled = server
        .journal()
        .entries(&JournalFilter::new().vendor(Vendor::GCORE).status(429));
    let fault = journaled[0].fault.as_ref().expect("rate limit journaled");
    assert_eq!(
        (fault.rule.as_str(), fault.effect.as_str()),
        ("tight", "rate_limit")
    );

    // The server clock opens the next window without waiting.
    server.clock().advance(Duration::seconds(61));
    assert_eq!(
        gcore_report(&server, credentials::GCORE_API_KEY)
            .await
            .status,
        200
    );

    limits.clear(Vendor::GCORE);
    assert!(limits.get(Vendor::GCORE).is_empty());
    for _ in 0..3 {
        assert_eq!(
            gcore_report(&server, credentials::GCORE_API_KEY)
                .await
                .status,
            200
        );
    }

    assert!(matches!(
        limits.set(Vendor::GCORE, vec![RateLimitSpec::new("zero", 0, 60)]),
        Err(ChangeError::Invalid(_))
    ));
    assert!(matches!(
        limits.set(
            Vendor::DATADOG,
            vec![
                RateLimitSpec::new("a", 1, 60),
                RateLimitSpec::new("a", 2, 60)
            ]
        ),
        Err(ChangeError::Invalid(_))
    ));

    server.reset();
    assert_eq!(limits.get(Vendor::GCORE), scenario_rules);
}

#[tokio::test]
async fn reset_load_export_and_import_without_http() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, credentials::GRAFANA_TOKEN);
    let exported = server.export_state();
    grafana
        .create_policy("eu", "made-in-the-test", &["metrics:read"])
        .await;
    let listed = grafana.get("/api/v1/accesspolicies?region=eu").await;
    assert_eq!(names(&listed.body), ["made-in-the-test"]);
    server.faults().add(FaultRule::new(Effect::Drop)).unwrap();

    server.reset();
    let listed = grafana.get("/api/v1/accesspolicies?region=eu").await;
    assert!(names(&listed.body).is_empty(), "{}", listed.raw);
    assert!(server.faults().list().is_empty());
    assert_eq!(
        server.export_state()["grafana"]["access_policies"]
            .as_array()
            .map(Vec::len),
        exported["grafana"]["access_policies"]
            .as_array()
            .map(Vec::len),
        "reset returns to the scenario"
    );

    // A changed world travels to another server.
    grafana
        .create_policy("eu", "carried", &["metrics:read"])
        .await;
    let other = start_default().await;
    other
        .import_state(&server.export_state())
        .expect("valid state");
    let carried = Grafana::new(&other, credentials::GRAFANA_TOKEN)
        .get("/api/v1/accesspolicies?region=eu")
        .await;
    assert_eq!(names(&carried.body), ["carried"]);
    let mut bad = server.export_state();
    bad["grafana"] = json!("not a section");
    let error = other.import_state(&bad).expect_err("refused");
    assert!(error.location.contains("grafana"), "{error}");
    let still = Grafana::new(&other, credentials::GRAFANA_TOKEN)
        .get("/api/v1/accesspolicies?region=eu")
        .await;
    assert_eq!(
        names(&still.body),
        ["carried"],
        "a bad state changes nothing"
    );

    // Loading a scenario makes it what reset returns to.
    server.load_scenario(built_in_code()).expect("loads");
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=us").await.status,
        401
    );
    let acme = Grafana::new(&server, "acme-secret");
    assert_eq!(
        acme.get("/api/v1/accesspolicies?region=us").await.status,
        200
    );
    server.reset();
    assert_eq!(server.scenario().name, "built-in-code");
    assert_eq!(
        acme.get("/api/v1/accesspolicies?region=us").await.status,
        200
    );

    let mut broken = built_in_code();
    broken.grafana.orgs[0].stacks[0].region = Some("mars".into());
    let error = server.load_scenario(broken).expect_err("unknown region");
    assert!(error.location.starts_with("grafana.orgs[0]"), "{error}");
    assert_eq!(server.scenario().name, "built-in-code", "nothing changed");
}

#[tokio::test]
async fn the_default_scenario_is_editable_in_code() {
    let mut scenario = Scenario::default_scenario();
    scenario.grafana.orgs[0].access_policies[0]
        .tokens
        .push(TokenSpec::new("second", "second-secret"));
    scenario.gcore.api_keys.push("another-gcore-key".into());
    let server = start(scenario).await;
    let grafana = Grafana::new(&server, "second-secret");
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=us").await.status,
        200
    );
    assert_eq!(
        Grafana::new(&server, credentials::GRAFANA_TOKEN)
            .get("/api/v1/accesspolicies?region=us")
            .await
            .status,
        200
    );
    assert_eq!(gcore_report(&server, "another-gcore-key").await.status, 200);
}

#[tokio::test]
async fn a_scenario_read_while_the_server_starts_serves_the_same_world() {
    // The world of a scenario read by `start_loading` (on a thread of its
    // own, beside the routers) is the world `start` builds from it, with
    // the configured fault rules and seed folded in the same way.
    let rule: FaultRule = serde_json::from_str(
        r#"{"id": "down", "vendor": "gcore", "effect": {"error": {"status": 503}}}"#,
    )
    .unwrap();
    let config = || {
        let mut config = Config::default().with_seed(11);
        config.faults.rules.push(rule.clone());
        config
    };
    let mut started = config();
    started.scenario = Scenario::built_in("demo").unwrap();
    let started = MockCloud::start(started).await.unwrap();
    let loaded = MockCloud::start_loading(config(), || Scenario::resolve("demo"))
        .await
        .unwrap();
    assert_eq!(loaded.scenario().name, "demo");
    assert_eq!(loaded.seed(), 11);
    // The same world, but for the instants objects were made at ("now").
    let state = |server: &MockCloud| made_now_blanked(server.export_state());
    assert_eq!(state(&loaded), state(&started));
    let ids = |server: &MockCloud| -> Vec<String> {
        server
            .faults()
            .list()
            .iter()
            .map(|r| r.id().to_string())
            .collect()
    };
    assert_eq!(ids(&loaded), ["down"]);
    let reply = gcore_report(&loaded, credentials::GCORE_API_KEY).await;
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    // Reset returns to what was read, faults included.
    loaded.reset();
    assert_eq!(state(&loaded), state(&started));
    assert_eq!(ids(&loaded), ["down"]);
}

#[tokio::test]
async fn a_scenario_that_fails_to_read_or_to_build_does_not_start() {
    let unread = MockCloud::start_loading(Config::default(), || Scenario::resolve("no-such")).await;
    match unread {
        Err(mockcloud::StartError::Scenario(e)) => {
            assert!(e.to_string().contains("no-such"), "{e}")
        }
        other => panic!(
            "an unknown scenario should not start: {:?}",
            other.map(|s| s.base_url())
        ),
    }
    let unbuilt = MockCloud::start_loading(Config::default(), || {
        let mut scenario = Scenario::default_scenario();
        let twin = scenario.grafana.orgs[0].clone();
        scenario.grafana.orgs.push(twin);
        Ok(scenario)
    })
    .await;
    match unbuilt {
        Err(mockcloud::StartError::Scenario(e)) => {
            assert!(e.location.starts_with("grafana.orgs"), "{e}")
        }
        other => panic!(
            "a duplicate org should not start: {:?}",
            other.map(|s| s.base_url())
        ),
    }
}

/// `value` with each instant of the last minute (an object made at start
/// or reset) replaced by `"now"`.
fn made_now_blanked(value: Value) -> Value {
    match value {
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(at) if (chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60 => {
                Value::String("now".into())
            }
            _ => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(made_now_blanked).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, field)| (name, made_now_blanked(field)))
                .collect(),
        ),
        other => other,
    }
}
