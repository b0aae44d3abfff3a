//! The built-in scenarios, the scenario schema, `mockcloud scenario validate`
//! and `POST /__admin/scenario`.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{BOOTSTRAP_TOKEN, Datadog, Grafana, into_reply, start_default};
use mockcloud::{Config, MockCloud, Scenario};
use serde_json::{Value, json};

const BUILT_IN: [&str; 5] = ["default", "empty", "large", "flaky", "demo"];

async fn start_built_in(name: &str) -> MockCloud {
    let scenario = Scenario::built_in(name).expect("built-in scenario parses");
    MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect("built-in scenario starts")
}

async fn health(server: &MockCloud) -> Value {
    reqwest::get(format!("{}/__admin/health", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn admin_post(server: &MockCloud, path: &str, body: &Value) -> common::Reply {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    into_reply(response).await
}

fn items(reply: &common::Reply) -> &Vec<Value> {
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items list expected: {}", reply.raw))
}

// ---- the built-in scenarios ------------------------------------------------

#[tokio::test]
async fn every_built_in_scenario_starts_and_names_itself_in_health() {
    for name in BUILT_IN {
        let server = start_built_in(name).await;
        assert_eq!(health(&server).await["scenario"], name);
    }
    let listed: Vec<&str> = Scenario::built_in_names().collect();
    assert_eq!(listed, BUILT_IN);
}

#[tokio::test]
async fn empty_has_the_credentials_and_nothing_else() {
    let server = start_built_in("empty").await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stacks = grafana.get("/api/orgs/mockorg/instances").await;
    assert_eq!(stacks.status, 200, "{}", stacks.raw);
    assert!(items(&stacks).is_empty());
    let policies = grafana.get("/api/v1/accesspolicies?region=us").await;
    assert_eq!(items(&policies).len(), 1, "only the bootstrap policy");
    let datadog = Datadog::new(&server)
        .get("/api/v2/usage/hourly_usage?filter[timestamp][start]=2026-06-01T00&filter[product_families]=logs")
        .await;
    assert_eq!(datadog.status, 200, "{}", datadog.raw);
}

#[tokio::test]
async fn large_pages_through_twenty_thousand_access_policies_500_at_a_time() {
    let server = start_built_in("large").await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let first = grafana
        .get("/api/v1/accesspolicies?region=us&pageSize=500")
        .await;
    assert_eq!(first.status, 200, "{}", first.raw);
    assert_eq!(items(&first).len(), 500);
    let next = first.body["metadata"]["pagination"]["nextPage"]
        .as_str()
        .expect("a nextPage after the first 500")
        .to_string();
    let path = next.strip_prefix("https://grafana.com").unwrap_or(&next);
    let path = if path.starts_with("/api/") {
        path.to_string()
    } else {
        format!("/api{path}")
    };
    let second = grafana.get(&path).await;
    assert_eq!(second.status, 200, "{path}: {}", second.raw);
    assert_eq!(items(&second).len(), 500);
    let seen: BTreeSet<&str> = items(&first)
        .iter()
        .chain(items(&second))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 1000, "pages do not overlap");
}

#[tokio::test]
async fn large_generated_tokens_and_stacks_have_predictable_names() {
    let server = start_built_in("large").await;
    let generated = Grafana::new(&server, "mock-mockorg-token-12345-1");
    let stack = generated.get("/api/instances/mockorg01999").await;
    assert_eq!(stack.status, 200, "{}", stack.raw);
    assert_eq!(stack.body["regionSlug"], "us", "{}", stack.raw);
    let stacks = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg/instances")
        .await;
    assert_eq!(items(&stacks).len(), 2000);
}

#[tokio::test]
async fn demo_has_several_orgs_and_a_datadog_parent_with_children() {
    let server = start_built_in("demo").await;
    for org in ["acme", "globex", "initech"] {
        let grafana = Grafana::new(&server, &format!("mock-{org}-token"));
        let reply = grafana.get(&format!("/api/orgs/{org}/instances")).await;
        assert_eq!(reply.status, 200, "{org}: {}", reply.raw);
        assert!(!items(&reply).is_empty(), "{org} has stacks");
    }
    let dd =
        Datadog::new(&server).with_keys(Some("mock-dd-demo-api-key"), Some("mock-dd-demo-app-key"));
    let usage = dd
        .get("/api/v2/usage/hourly_usage?filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-01T02&filter[product_families]=infra_hosts&filter[include_descendants]=true")
        .await;
    assert_eq!(usage.status, 200, "{}", usage.raw);
    let orgs: BTreeSet<&str> = usage.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attributes"]["public_id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs.len(), 4, "the parent and three children: {orgs:?}");
}

#[tokio::test]
async fn flaky_limits_datadog_to_five_requests_a_minute() {
    let server = start_built_in("flaky").await;
    server
        .clock()
        .freeze(Some("2026-07-01T00:00:00Z".parse().unwrap()));
    let dd = Datadog::new(&server);
    let path = "/api/v2/usage/hourly_usage?filter[timestamp][start]=2026-06-01T00&filter[product_families]=logs";
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(dd.get(path).await.status.as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s != 429).count() <= 5,
        "{statuses:?}"
    );
}

// ---- the schema ------------------------------------------------------------

fn built_in_text(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_built_in_scenario_fits_the_schema() {
    for name in BUILT_IN {
        let document: Value = serde_json::from_str(&built_in_text(name)).unwrap();
        let problems = Scenario::schema_problems(&document, name);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

#[test]
fn what_serde_writes_fits_the_schema() {
    // Fields serde always writes (lists, maps, flags) must be in the schema.
    for name in BUILT_IN {
        let scenario = Scenario::built_in(name).unwrap();
        let written = serde_json::to_value(&scenario).unwrap();
        let problems = Scenario::schema_problems(&written, name);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

/// A document with every property the schema names, each with a value of
/// its type (the first alternative of a `oneOf`, the first of an `enum`).
fn every_property(schema: &Value, root: &Value) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").unwrap();
        return every_property(&root["$defs"][name], root);
    }
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let object = alternatives.iter().find(|a| a.get("properties").is_some());
        return every_property(object.unwrap_or(&alternatives[0]), root);
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        return allowed[0].clone();
    }
    let minimum = schema.get("minimum").and_then(Value::as_u64).unwrap_or(1);
    match schema["type"].as_str().unwrap() {
        "object" => match schema.get("properties").and_then(Value::as_object) {
            Some(properties) => properties
                .iter()
                .map(|(name, property)| (name.clone(), every_property(property, root)))
                .collect(),
            None => json!({"key": every_property(&schema["additionalProperties"], root)}),
        },
        "array" => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            let item = every_property(&schema["items"], root);
            Value::Array(vec![item; count as usize])
        }
        "string" if schema.get("format").is_some() => json!("2025-01-01T00:00:00Z"),
        "string" => json!("x"),
        "integer" => json!(minimum.max(1)),
        "number" => json!(0.5),
        "boolean" => json!(true),
        other => panic!("unexpected type {other}"),
    }
}

#[test]
fn every_property_the_schema_names_is_a_field_serde_reads() {
    let schema: Value = serde_json::from_str(Scenario::json_schema()).unwrap();
    let mut document = every_property(&schema, &schema);
    assert!(Scenario::schema_problems(&document, "generated").is_empty());
    // `extends` names a scenario that exists.
    document["extends"] = json!("empty");
    // deny_unknown_fields everywhere: a property serde lacks fails here.
    let parsed = Scenario::from_json_value(document.clone());
    assert!(parsed.is_ok(), "{parsed:?}\n{document:#}");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn the_schema_rejects_what_serde_rejects() {
    let document = json!({"name": "x", "grafana": {"orgs": [{"id": 1, "slug": "a", "name": "A", "regionz": []}]}});
    let problems = Scenario::schema_problems(&document, "doc");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].location, "doc: grafana.orgs[0].regionz");
    assert!(Scenario::from_json_value(document).is_err());
}

// ---- validation --------------------------------------------------------------

fn mockcloud() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mockcloud"))
}

fn write_temp(name: &str, body: &Value) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mockcloud-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body.to_string()).unwrap();
    path
}

/// Runs `mockcloud scenario validate FILE`: (success, stdout, stderr).
fn validate_cli(path: &std::path::Path) -> (bool, String, String) {
    let output = mockcloud()
        .args(["scenario", "validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn one_region() -> Value {
    json!([{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}])
}

#[test]
fn validate_says_ok_for_a_good_file_and_every_built_in() {
    let path = write_temp(
        "good.json",
        &json!({"name": "good", "grafana": {"regions": one_region()}}),
    );
    let (ok, stdout, _) = validate_cli(&path);
    assert!(ok);
    assert!(stdout.contains("ok"), "{stdout}");
    let output = mockcloud()
        .args(["scenario", "validate"])
        .args(BUILT_IN)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn validate_reports_an_unknown_field_with_its_path() {
    let path = write_temp(
        "unknown-field.json",
        &json!({"name": "bad", "grafana": {"orgs": [{"id": 1, "slug": "a", "name": "A", "regionz": []}]}}),
    );
    let (ok, _, stderr) = validate_cli(&path);
    assert!(!ok);
    assert!(stderr.contains("grafana.orgs[0].regionz"), "{stderr}");
    assert!(stderr.contains("unknown field"), "{stderr}");
}

#[test]
fn validate_reports_a_bad_region_reference() {
    let path = write_temp(
        "bad-region.json",
        &json!({"name": "bad", "grafana": {"regions": one_region(),
            "orgs": [{"id": 1, "slug": "a", "name": "A", "regions": ["mars"]}]}}),
    );
    let (ok, _, stderr) = validate_cli(&path);
    assert!(!ok);
    assert!(stderr.contains("grafana.orgs[0].regions"), "{stderr}");
    assert!(stderr.contains("\"mars\""), "{stderr}");
}

#[test]
fn validate_reports_a_duplicate_stack_slug() {
    let path = write_temp(
        "duplicate-slug.json",
        &json!({"name": "bad", "grafana": {"regions": one_region(),
            "orgs": [{"id": 1, "slug": "a", "name": "A",
                      "stacks": [{"name": "one", "slug": "same"}, {"name": "two", "slug": "same"}]}]}}),
    );
    let (ok, _, stderr) = validate_cli(&path);
    assert!(!ok);
    assert!(stderr.contains("grafana.orgs[0].stacks[1]"), "{stderr}");
    assert!(stderr.contains("slug"), "{stderr}");
}

#[test]
fn validate_reports_every_structural_problem_at_once() {
    let text = json!({"name": "bad", "colour": "red",
        "grafana": {"orgs": [{"id": 1, "slug": "a", "name": "A", "regionz": [],
                              "stacks": [{"name": "x", "slug": "x", "created_at": "yesterday"}]}]},
        "datadog": {"rate_limits": [{"name": "r", "limit": 0, "period_seconds": 60}]}})
    .to_string();
    let problems = Scenario::validate_json_str(&text, "bad.json").unwrap_err();
    let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(
        locations,
        [
            "bad.json: colour",
            "bad.json: datadog.rate_limits[0].limit",
            "bad.json: grafana.orgs[0].regionz",
            "bad.json: grafana.orgs[0].stacks[0].created_at",
        ]
    );
}

#[test]
fn validate_reports_an_engine_problem_in_each_org_and_vendor() {
    let text = json!({"name": "bad", "grafana": {"regions": one_region(), "orgs": [
            {"id": 1, "slug": "a", "name": "A", "regions": ["mars"]},
            {"id": 2, "slug": "b", "name": "B", "access_policies": [{"name": "p", "region": "eu", "scopes": []}]}]},
        "datadog": {"orgs": [{"name": "child", "public_id": "c1", "parent": "nope"}]}})
    .to_string();
    let problems = Scenario::validate_json_str(&text, "bad.json").unwrap_err();
    let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(
        locations,
        [
            "bad.json: datadog.orgs[0].parent",
            "bad.json: grafana.orgs[0].regions",
            "bad.json: grafana.orgs[1].access_policies[0]",
        ]
    );
}

#[test]
fn serve_refuses_a_bad_scenario_without_starting() {
    let path = write_temp(
        "serve-bad.json",
        &json!({"name": "bad", "grafana": {"regions": one_region(),
            "orgs": [{"id": 1, "slug": "a", "name": "A", "regions": ["mars"]}]}}),
    );
    let output = mockcloud()
        .args(["serve", "--port", "0", "--scenario", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no listening line");
    assert!(String::from_utf8_lossy(&output.stderr).contains("grafana.orgs[0].regions"));
}

// ---- POST /__admin/scenario --------------------------------------------------

#[tokio::test]
async fn loading_a_built_in_by_name_replaces_the_world() {
    let server = start_default().await;
    let loaded = admin_post(&server, "/__admin/scenario", &json!({"name": "demo"})).await;
    assert_eq!(loaded.status, 200, "{}", loaded.raw);
    assert_eq!(loaded.body["scenario"], "demo");
    assert_eq!(health(&server).await["scenario"], "demo");
    let acme = Grafana::new(&server, "mock-acme-token")
        .get("/api/orgs/acme/instances")
        .await;
    assert_eq!(acme.status, 200, "{}", acme.raw);
    let old = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/instances/mockstack")
        .await;
    assert_eq!(
        old.status, 401,
        "the default scenario's token is gone: {}",
        old.raw
    );
}

#[tokio::test]
async fn loading_a_scenario_body_replaces_the_world_and_reset_returns_to_it() {
    let server = start_default().await;
    let mut body = common::two_org_scenario();
    body["name"] = json!("from-body");
    let loaded = admin_post(&server, "/__admin/scenario", &json!({"scenario": body})).await;
    assert_eq!(loaded.status, 200, "{}", loaded.raw);
    assert_eq!(health(&server).await["scenario"], "from-body");

    let alpha = Grafana::new(&server, "alpha-token");
    alpha
        .create_policy("us", "made-after-load", &["stacks:read"])
        .await;
    assert_eq!(
        items(&alpha.get("/api/v1/accesspolicies?region=us").await).len(),
        2
    );
    let reset = admin_post(&server, "/__admin/reset", &json!({})).await;
    assert_eq!(reset.status, 200, "{}", reset.raw);
    assert_eq!(reset.body["scenario"], "from-body");
    assert_eq!(health(&server).await["scenario"], "from-body");
    assert_eq!(
        items(&alpha.get("/api/v1/accesspolicies?region=us").await).len(),
        1
    );
}

#[tokio::test]
async fn a_bad_scenario_is_400_with_its_location_and_changes_nothing() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    grafana.create_policy("us", "kept", &["stacks:read"]).await;
    let before = grafana.get("/api/v1/accesspolicies?region=us").await.body;

    let bad_body = json!({"scenario": {"name": "bad", "grafana": {"regions": one_region(),
        "orgs": [{"id": 1, "slug": "a", "name": "A", "regions": ["mars"]}]}}});
    let unknown_field = json!({"scenario": {"name": "bad", "colour": "red"}});
    let unknown_name = json!({"name": "no-such-scenario"});
    let neither = json!({});
    for (request, needle) in [
        (&bad_body, "grafana.orgs[0].regions"),
        (&unknown_field, "colour"),
        (&unknown_name, "no-such-scenario"),
        (&neither, "name"),
    ] {
        let reply = admin_post(&server, "/__admin/scenario", request).await;
        assert_eq!(reply.status, 400, "{request}: {}", reply.raw);
        let error = reply.body["error"].as_str().unwrap();
        assert!(
            error.contains(needle),
            "{error:?} should mention {needle:?}"
        );
    }
    assert_eq!(health(&server).await["scenario"], "default");
    assert_eq!(
        grafana.get("/api/v1/accesspolicies?region=us").await.body,
        before
    );
}

// ---- extends -----------------------------------------------------------------

#[tokio::test]
async fn a_scenario_extends_a_built_in_through_a_file_and_keeps_its_credentials() {
    let dir = std::env::temp_dir().join(format!("mockcloud-extends-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // base.json adds a Gcore key to the default scenario; mine.json, beside
    // it, extends base.json and adds another and a seed.
    std::fs::write(
        dir.join("base.json"),
        json!({"name": "base", "extends": "default", "gcore": {"api_keys": ["base-extra-key"]}})
            .to_string(),
    )
    .unwrap();
    let mine = dir.join("mine.json");
    std::fs::write(
        &mine,
        json!({"name": "mine", "extends": "base.json", "seed": 99,
               "gcore": {"api_keys": ["mine-extra-key"]}})
        .to_string(),
    )
    .unwrap();

    let (ok, stdout, stderr) = validate_cli(&mine);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), format!("{}: ok", mine.display()));

    let scenario = Scenario::from_path(&mine).unwrap();
    let default = Scenario::default_scenario();
    assert_eq!((scenario.name.as_str(), scenario.seed), ("mine", 99));
    let mut keys = default.gcore.api_keys.clone();
    keys.extend(["base-extra-key".to_string(), "mine-extra-key".to_string()]);
    assert_eq!(scenario.gcore.api_keys, keys);
    assert_eq!(scenario.grafana.orgs.len(), default.grafana.orgs.len());

    let server = MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .unwrap();
    assert_eq!(health(&server).await["scenario"], "mine");
    // The default scenario's credentials work, and so do the added keys.
    let policies = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/v1/accesspolicies?region=us")
        .await;
    assert_eq!(policies.status, 200, "{}", policies.raw);
    for key in [
        "base-extra-key",
        "mine-extra-key",
        default.gcore.api_keys[0].as_str(),
    ] {
        let reply = reqwest::Client::new()
            .post(format!("{}/cloud/v1/usage_report", server.base_url()))
            .header("Authorization", format!("APIKey {key}"))
            .json(&json!({"time_from": "2026-01-01T00:00:00", "time_to": "2026-01-02T00:00:00"}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{key}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn extends_problems_are_located_and_a_cycle_is_named() {
    let unknown = write_temp(
        "extends-unknown.json",
        &json!({"name": "x", "extends": "nope"}),
    );
    let (ok, _, stderr) = validate_cli(&unknown);
    assert!(!ok);
    assert!(stderr.contains("extends-unknown.json: extends"), "{stderr}");
    assert!(stderr.contains("neither a built-in scenario"), "{stderr}");

    write_temp(
        "cycle-a.json",
        &json!({"name": "a", "extends": "cycle-b.json"}),
    );
    let b = write_temp(
        "cycle-b.json",
        &json!({"name": "b", "extends": "cycle-a.json"}),
    );
    let (ok, _, stderr) = validate_cli(&b);
    assert!(!ok);
    assert!(stderr.contains("extends back to itself"), "{stderr}");

    // What the base contributes is checked like the rest.
    let bad = write_temp(
        "extends-bad-field.json",
        &json!({"name": "x", "extends": "default", "gcore": {"api_keyz": []}}),
    );
    let (ok, _, stderr) = validate_cli(&bad);
    assert!(!ok);
    assert!(stderr.contains("gcore.api_keyz"), "{stderr}");
}

#[test]
fn a_directory_is_named_as_one() {
    let dir = std::env::temp_dir();
    let (ok, _, stderr) = validate_cli(&dir);
    assert!(!ok);
    assert!(stderr.contains("is a directory"), "{stderr}");
    let output = mockcloud()
        .args(["serve", "--port", "0", "--scenario", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is a directory"), "{stderr}");
}
