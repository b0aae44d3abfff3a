//! Gcore Cloud usage report: `POST /cloud/v1/usage_report`.

use std::collections::BTreeMap;

use crate::common::*;
use mockcloud::{Config, MockCloud, Scenario};
use serde_json::{Value, json};

const PATH: &str = "/cloud/v1/usage_report";
const KEY: &str = "mock-gcore-key";
const NOW: &str = "2026-06-20T12:00:00Z";

async fn server() -> MockCloud {
    let server = start_default().await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    server
}

async fn post_with(server: &MockCloud, authorization: Option<&str>, body: String) -> Reply {
    let mut request = reqwest::Client::new()
        .post(format!("{}{PATH}", server.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    into_reply(request.send().await.expect("request sent")).await
}

async fn post(server: &MockCloud, body: Value) -> Reply {
    post_with(server, Some(&format!("APIKey {KEY}")), body.to_string()).await
}

async fn report(server: &MockCloud, body: Value) -> Value {
    let reply = post(server, body).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    reply.body
}

/// January 2026: every resource type of the default inventory is there.
fn january(extra: Value) -> Value {
    let mut body = json!({
        "time_from": "2026-01-01T00:00:00Z",
        "time_to": "2026-02-01T00:00:00Z",
        "limit": 1000
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

fn resources(body: &Value) -> &Vec<Value> {
    body["resources"].as_array().expect("resources list")
}

fn totals(body: &Value) -> &Vec<Value> {
    body["totals"].as_array().expect("totals list")
}

fn assert_gcore_error(reply: &Reply, status: u16, class: &str, needle: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.raw);
    assert_eq!(reply.body["exception_class"], class, "{}", reply.raw);
    assert!(
        reply.body["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 32)
    );
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "message {message:?} should mention {needle:?}"
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

// --- Authentication ---

#[tokio::test]
async fn a_request_without_a_key_is_401_not_authenticated() {
    let server = server().await;
    let reply = post_with(&server, None, january(json!({})).to_string()).await;
    assert_gcore_error(
        &reply,
        401,
        "NotAuthenticated",
        "credentials were not provided",
    );
}

#[tokio::test]
async fn an_unknown_key_or_another_scheme_is_401() {
    let server = server().await;
    let body = january(json!({})).to_string();
    let reply = post_with(&server, Some("APIKey wrong-key"), body.clone()).await;
    assert_gcore_error(&reply, 401, "AuthenticationFailed", "Bad permanent token");
    let reply = post_with(&server, Some(&format!("Bearer {KEY}")), body).await;
    assert_gcore_error(&reply, 401, "AuthenticationFailed", "APIKey");
}

#[tokio::test]
async fn the_apikey_scheme_word_is_matched_in_any_case() {
    let server = server().await;
    for scheme in ["APIKey", "apikey", "APIKEY"] {
        let reply = post_with(
            &server,
            Some(&format!("{scheme} {KEY}")),
            january(json!({})).to_string(),
        )
        .await;
        assert_eq!(reply.status, 200, "{scheme}: {}", reply.raw);
    }
}

// --- Period ---

#[tokio::test]
async fn the_period_runs_from_the_start_of_time_from_day_to_before_time_to_day() {
    let server = server().await;
    let body = report(
        &server,
        json!({
            "time_from": "2026-01-10T15:42:00Z",
            "time_to": "2026-01-12T08:00:00Z",
            "types": ["instance"], "limit": 100
        }),
    )
    .await;
    let web = resources(&body)
        .iter()
        .find(|r| r["last_name"] == "web-frontend-1")
        .unwrap();
    assert_eq!(web["first_seen"], "2026-01-10T00:00:30Z");
    assert_eq!(web["last_seen"], "2026-01-11T23:59:30Z");
    assert_eq!(web["billing_value"], 2.0 * 1440.0);
}

#[tokio::test]
async fn enable_last_day_includes_time_to_day() {
    let server = server().await;
    let body = report(
        &server,
        json!({
            "time_from": "2026-01-10T00:00:00Z",
            "time_to": "2026-01-12T00:00:00Z",
            "enable_last_day": true,
            "types": ["instance"], "limit": 100
        }),
    )
    .await;
    let web = resources(&body)
        .iter()
        .find(|r| r["last_name"] == "web-frontend-1")
        .unwrap();
    assert_eq!(web["last_seen"], "2026-01-12T23:59:30Z");
    assert_eq!(web["billing_value"], 3.0 * 1440.0);
}

#[tokio::test]
async fn time_to_not_after_time_from_is_400() {
    let server = server().await;
    for time_to in ["2026-01-10T00:00:00Z", "2026-01-09T00:00:00Z"] {
        let reply = post(
            &server,
            json!({"time_from": "2026-01-10T00:00:00Z", "time_to": time_to}),
        )
        .await;
        assert_gcore_error(&reply, 400, "ValidationError", "time_to");
    }
}

#[tokio::test]
async fn first_and_last_seen_clamp_to_the_period_and_the_resource_lifetime() {
    let server = server().await;
    // `batch-worker` is deleted 2026-06-15T12:30; `llm-finetune` lives Feb–Mar 2026.
    let body = report(
        &server,
        json!({"time_from": "2026-06-01", "time_to": "2026-06-19", "types": ["instance"], "limit": 100}),
    )
    .await;
    let worker = resources(&body)
        .iter()
        .find(|r| r["last_name"] == "batch-worker")
        .unwrap();
    assert_eq!(worker["first_seen"], "2026-06-01T00:00:30Z");
    assert_eq!(worker["last_seen"], "2026-06-15T12:29:30Z");
    assert_eq!(
        worker["billing_value"],
        (14.0 * 1440.0) + 12.0 * 60.0 + 30.0
    );
    let body = report(
        &server,
        json!({"time_from": "2026-01-01", "time_to": "2026-06-01", "types": ["ai_cluster"]}),
    )
    .await;
    let cluster = resources(&body)
        .iter()
        .find(|r| r["last_name"] == "llm-finetune")
        .unwrap();
    assert_eq!(cluster["first_seen"], "2026-02-01T00:00:30Z");
    assert_eq!(cluster["last_seen"], "2026-03-31T23:59:30Z");
}

#[tokio::test]
async fn nothing_is_reported_after_the_server_clock() {
    let server = server().await;
    // Frozen at 2026-06-20T12:00: the 20th is half reported, later days not at all.
    let body = report(
        &server,
        json!({"time_from": "2026-06-20", "time_to": "2026-07-01", "types": ["instance"], "limit": 100}),
    )
    .await;
    for resource in resources(&body) {
        assert_eq!(resource["last_seen"], "2026-06-20T11:59:30Z");
        assert_eq!(resource["billing_value"], 720.0);
    }
    let body = report(
        &server,
        json!({"time_from": "2026-07-01", "time_to": "2026-08-01"}),
    )
    .await;
    assert_eq!(body["count"], 0);
    assert!(totals(&body).is_empty());
}

// --- Billing ---

#[tokio::test]
async fn every_type_has_its_billing_unit() {
    let server = server().await;
    let body = report(&server, january(json!({}))).await;
    let expected: BTreeMap<&str, &str> = [
        ("ai_cluster", "minutes"),
        ("ai_virtual_cluster", "minutes"),
        ("backup", "gbminutes"),
        ("baremetal", "minutes"),
        ("basic_vm", "minutes"),
        ("containers", "GBS"),
        ("dbaas_postgresql_connection_pooler", "minutes"),
        ("dbaas_postgresql_cpu", "minutes"),
        ("dbaas_postgresql_memory", "gbminutes"),
        ("dbaas_postgresql_public_network", "minutes"),
        ("dbaas_postgresql_volume", "gbminutes"),
        ("egress_traffic", "bytes"),
        ("external_ip", "minutes"),
        ("file_share", "gbminutes"),
        ("floatingip", "minutes"),
        ("functions", "GBS"),
        ("functions_calls", "MLS"),
        ("functions_traffic", "GB"),
        ("image", "gbminutes"),
        ("inference", "minutes"),
        ("instance", "minutes"),
        ("load_balancer", "minutes"),
        ("log_index", "gbminutes"),
        ("snapshot", "gbminutes"),
        ("volume", "gbminutes"),
    ]
    .into();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for resource in resources(&body) {
        let kind = resource["type"].as_str().unwrap();
        seen.insert(kind, resource["billing_value_unit"].as_str().unwrap());
        assert!(
            resource["billing_value"].as_f64().unwrap() > 0.0,
            "{resource}"
        );
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn size_billed_types_count_gib_minutes() {
    let server = server().await;
    let body = report(
        &server,
        january(json!({"types": ["volume"], "schema_filter": {"type": "volume", "field": "last_name", "values": ["pg-data"]}})),
    )
    .await;
    let volume = &resources(&body)[0];
    assert_eq!(volume["last_size"], 536870912000u64);
    assert_eq!(volume["billing_value"], 500.0 * 31.0 * 1440.0);
    assert_eq!(volume["billing_metric_name"], "volume_standard_gbmin");
}

#[tokio::test]
async fn the_same_request_gives_the_same_report() {
    let server = server().await;
    let first = post(&server, january(json!({}))).await;
    let second = post(&server, january(json!({}))).await;
    assert_eq!(first.raw, second.raw);
    let other = start_default().await;
    other.clock().freeze(Some(NOW.parse().unwrap()));
    assert_eq!(post(&other, january(json!({}))).await.raw, first.raw);
}

// --- Totals and paging ---

/// What a total groups by, taken from a resource or total line.
fn total_key(line: &Value) -> String {
    let grouping = ["flavor", "instance_type", "file_share_type", "volume_type"];
    let group = match line["type"].as_str().unwrap() {
        "snapshot" | "volume" | "dbaas_postgresql_volume" => line["volume_type"].clone(),
        "file_share" => line["file_share_type"].clone(),
        "egress_traffic" => line["instance_type"].clone(),
        "inference" => Value::Null,
        _ => grouping
            .iter()
            .map(|g| line[*g].clone())
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
    };
    format!(
        "{}|{}|{}|{}",
        line["type"], line["region_id"], line["billing_metric_name"], group
    )
}

#[tokio::test]
async fn each_total_is_the_sum_of_the_resources_it_groups_over_all_pages() {
    let server = server().await;
    let everything = report(&server, january(json!({}))).await;
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    // The SDK has no total model for backups, so they have no total rows.
    for resource in resources(&everything)
        .iter()
        .filter(|r| r["type"] != "backup")
    {
        *sums.entry(total_key(resource)).or_default() +=
            resource["billing_value"].as_f64().unwrap();
    }
    // Totals of a one-line page still cover every matching resource.
    let page = report(&server, january(json!({"limit": 1}))).await;
    assert_eq!(resources(&page).len(), 1);
    assert_eq!(totals(&page), totals(&everything));
    assert_eq!(totals(&page).len(), sums.len());
    for total in totals(&page) {
        let sum = sums[&total_key(total)];
        let value = total["billing_value"].as_f64().unwrap();
        assert!(close(value, sum), "{total}: {value} vs {sum}");
        assert_eq!(total["region"], total["region_id"]);
    }
    // Instances of one flavor and region form one row.
    assert!(totals(&page).iter().any(|t| t["type"] == "instance"
        && t["flavor"] == "g1-standard-2-4"
        && t["billing_value_unit"] == "minutes"));
}

#[tokio::test]
async fn pages_concatenate_to_the_whole_report() {
    let server = server().await;
    let everything = report(&server, january(json!({}))).await;
    let count = everything["count"].as_u64().unwrap();
    assert_eq!(count as usize, resources(&everything).len());
    let mut paged = Vec::new();
    let mut offset = 0;
    while offset < count {
        let page = report(&server, january(json!({"limit": 7, "offset": offset}))).await;
        assert_eq!(page["count"], count);
        let expected = 7.min(count - offset) as usize;
        assert_eq!(resources(&page).len(), expected);
        paged.extend(resources(&page).iter().cloned());
        offset += 7;
    }
    assert_eq!(&paged, resources(&everything));
    let beyond = report(&server, january(json!({"limit": 5, "offset": count}))).await;
    assert!(resources(&beyond).is_empty());
    assert_eq!(beyond["count"], count);
}

#[tokio::test]
async fn limit_defaults_to_10_and_offset_to_0() {
    let server = server().await;
    let body = report(
        &server,
        json!({"time_from": "2026-01-01", "time_to": "2026-02-01"}),
    )
    .await;
    assert_eq!(resources(&body).len(), 10);
    let all = report(&server, january(json!({}))).await;
    assert_eq!(resources(&body)[..], resources(&all)[..10]);
}

#[tokio::test]
async fn limit_must_be_positive_and_offset_not_negative() {
    let server = server().await;
    for (body, field) in [
        (january(json!({"limit": 0})), "limit"),
        (january(json!({"limit": -5})), "limit"),
        (january(json!({"offset": -1})), "offset"),
    ] {
        let reply = post(&server, body).await;
        assert_gcore_error(&reply, 400, "ValidationError", field);
    }
}

// --- Filters ---

#[tokio::test]
async fn projects_regions_and_types_filter() {
    let server = server().await;
    let body = report(&server, january(json!({"projects": [17]}))).await;
    assert!(!resources(&body).is_empty());
    assert!(resources(&body).iter().all(|r| r["project_id"] == 17));
    let body = report(&server, january(json!({"regions": [4, 38]}))).await;
    assert!(!resources(&body).is_empty());
    assert!(
        resources(&body)
            .iter()
            .all(|r| r["region_id"] == 4 || r["region_id"] == 38)
    );
    assert!(
        totals(&body)
            .iter()
            .all(|t| t["region_id"] == 4 || t["region_id"] == 38)
    );
    let body = report(
        &server,
        january(json!({"types": ["egress_traffic", "instance"]})),
    )
    .await;
    assert!(
        resources(&body)
            .iter()
            .all(|r| r["type"] == "egress_traffic" || r["type"] == "instance")
    );
    assert_eq!(body["count"], 6);
    // `null` and empty lists filter nothing.
    let all = report(&server, january(json!({}))).await;
    let nulls = report(&server, january(json!({"projects": null, "regions": []}))).await;
    assert_eq!(all["count"], nulls["count"]);
}

#[tokio::test]
async fn a_schema_filter_narrows_its_own_type_only() {
    let server = server().await;
    let body = report(
        &server,
        january(json!({
            "types": ["egress_traffic", "instance"],
            "schema_filter": {"type": "instance", "field": "flavor", "values": ["g1-standard-2-4"]}
        })),
    )
    .await;
    let instances: Vec<_> = resources(&body)
        .iter()
        .filter(|r| r["type"] == "instance")
        .collect();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0]["flavor"], "g1-standard-2-4");
    assert_eq!(
        resources(&body)
            .iter()
            .filter(|r| r["type"] == "egress_traffic")
            .count(),
        3
    );
}

#[tokio::test]
async fn a_schema_filter_field_the_type_lacks_is_400() {
    let server = server().await;
    let reply = post(
        &server,
        january(json!({"schema_filter": {"type": "volume", "field": "flavor", "values": ["x"]}})),
    )
    .await;
    assert_gcore_error(&reply, 400, "ValidationError", "schema_filter.field");
    let reply = post(
        &server,
        january(json!({"schema_filter": {"type": "volume", "field": "colour", "values": ["x"]}})),
    )
    .await;
    assert_gcore_error(&reply, 400, "ValidationError", "schema_filter.field");
}

fn tags(condition_type: &str, conditions: Value) -> Value {
    january(json!({"tags": {"condition_type": condition_type, "conditions": conditions}}))
}

fn has_tag(resource: &Value, key: &str, value: &str) -> bool {
    resource["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|t| t[key] == value))
}

#[tokio::test]
async fn strict_tag_conditions_match_exactly_others_by_substring() {
    let server = server().await;
    let strict = report(
        &server,
        tags(
            "OR",
            json!([{"key": "os_version", "value": "22.04", "strict": true}]),
        ),
    )
    .await;
    assert!(strict["count"].as_u64().unwrap() >= 3);
    assert!(
        resources(&strict)
            .iter()
            .all(|r| has_tag(r, "os_version", "22.04"))
    );
    let none = report(
        &server,
        tags(
            "OR",
            json!([{"key": "os_version", "value": "22", "strict": true}]),
        ),
    )
    .await;
    assert_eq!(none["count"], 0);
    let loose = report(
        &server,
        tags(
            "OR",
            json!([{"key": "os_version", "value": "22", "strict": false}]),
        ),
    )
    .await;
    assert_eq!(loose["count"], strict["count"]);
}

#[tokio::test]
async fn tag_conditions_combine_with_or_and_and() {
    let server = server().await;
    let conditions = json!([
        {"key": "os_distro", "value": "ubuntu", "strict": true},
        {"key": "team", "value": "web", "strict": true}
    ]);
    let any = report(&server, tags("OR", conditions.clone())).await;
    let both = report(&server, tags("AND", conditions)).await;
    assert!(
        resources(&any)
            .iter()
            .all(|r| has_tag(r, "os_distro", "ubuntu") || has_tag(r, "team", "web"))
    );
    assert!(
        resources(&both)
            .iter()
            .all(|r| has_tag(r, "os_distro", "ubuntu") && has_tag(r, "team", "web"))
    );
    assert!(both["count"].as_u64().unwrap() >= 1);
    assert!(any["count"].as_u64().unwrap() > both["count"].as_u64().unwrap());
}

// --- Sorting ---

fn column<'a>(body: &'a Value, field: &str) -> Vec<&'a Value> {
    resources(body).iter().map(|r| &r[field]).collect()
}

#[tokio::test]
async fn order_by_sorts_by_each_field_and_direction() {
    let server = server().await;
    let body = report(
        &server,
        january(json!({"order_by": ["billing_value.desc"]})),
    )
    .await;
    let values: Vec<f64> = column(&body, "billing_value")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]));
    let body = report(
        &server,
        january(json!({"order_by": ["region.asc", "project.desc"]})),
    )
    .await;
    let keys: Vec<(u64, i64)> = resources(&body)
        .iter()
        .map(|r| {
            (
                r["region_id"].as_u64().unwrap(),
                -r["project_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    let body = report(&server, january(json!({"order_by": ["type.asc"]}))).await;
    let types: Vec<&str> = column(&body, "type")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(types.windows(2).all(|w| w[0] <= w[1]));
    for field in ["first_seen", "last_seen", "last_name"] {
        let reply = post(
            &server,
            january(json!({"order_by": [format!("{field}.desc")]})),
        )
        .await;
        assert_eq!(reply.status, 200, "{field}");
    }
    let reply = post(&server, january(json!({"order_by": ["billing_value.up"]}))).await;
    assert_gcore_error(&reply, 400, "ValidationError", "order_by[0]");
}

#[tokio::test]
async fn the_deprecated_sorting_objects_still_sort() {
    let server = server().await;
    let body = report(&server, january(json!({"sorting": [{"project": "desc"}]}))).await;
    let projects: Vec<u64> = column(&body, "project_id")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(projects.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(projects.first(), Some(&18));
    let reply = post(
        &server,
        january(json!({"sorting": [{"project": "sideways"}]})),
    )
    .await;
    assert_gcore_error(&reply, 400, "ValidationError", "sorting[0].project");
}

// --- Invalid bodies ---

#[tokio::test]
async fn invalid_bodies_are_400_naming_the_field() {
    let server = server().await;
    let cases = [
        (json!({"time_to": "2026-02-01"}), "time_from"),
        (january(json!({"time_from": "last tuesday"})), "time_from"),
        (january(json!({"limit": "ten"})), "limit"),
        (january(json!({"types": ["vm"]})), "types[0]"),
        (january(json!({"projects": ["a"]})), "projects[0]"),
        (
            january(json!({"enable_last_day": "yes"})),
            "enable_last_day",
        ),
        (
            january(json!({"tags": {"condition_type": "XOR", "conditions": []}})),
            "tags.condition_type",
        ),
        (
            january(json!({"schema_filter": {"type": "vm", "field": "flavor", "values": []}})),
            "schema_filter.type",
        ),
    ];
    for (body, field) in cases {
        let reply = post(&server, body).await;
        assert_gcore_error(&reply, 400, "ValidationError", field);
    }
    let reply = post_with(
        &server,
        Some(&format!("APIKey {KEY}")),
        "{\"time_from\":".into(),
    )
    .await;
    assert_gcore_error(&reply, 400, "ValidationError", "invalid JSON");
}

// --- Scenario ---

#[tokio::test]
async fn a_scenario_defines_the_inventory() {
    let server = start_scenario(json!({
        "name": "one-volume",
        "gcore": {
            "api_keys": ["k"],
            "projects": [{"id": 5, "name": "p"}],
            "regions": [{"id": 9, "name": "r"}],
            "resources": [{"type": "volume", "project_id": 5, "region_id": 9,
                           "created_at": "2025-01-01T00:00:00Z", "last_size": 1073741824u64}]
        }
    }))
    .await;
    let reply = post_with(
        &server,
        Some("APIKey k"),
        json!({"time_from": "2025-01-01", "time_to": "2025-01-02"}).to_string(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let volume = &reply.body["resources"][0];
    assert_eq!(volume["billing_value"], 1440.0);
    assert_eq!(volume["volume_type"], "standard");
    assert!(volume["uuid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(volume.get("flavor").is_none());
}

#[tokio::test]
async fn scenario_errors_name_the_resource_and_field() {
    let scenario = Scenario::from_json_value(json!({
        "name": "bad",
        "gcore": {
            "projects": [{"id": 5, "name": "p"}],
            "regions": [{"id": 9, "name": "r"}],
            "resources": [
                {"type": "volume", "project_id": 5, "region_id": 9},
                {"type": "instance", "project_id": 5, "region_id": 9}
            ]
        }
    }))
    .unwrap();
    let error = MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("gcore.resources[1].flavor"),
        "{error}"
    );
}

#[tokio::test]
async fn dates_beyond_the_nanosecond_range_are_a_report_not_a_crash() {
    let server = server().await;
    let wide = report(
        &server,
        json!({"time_from": "0349-10-30T13:38:20.6-18:16", "time_to": "2716-07-17T02:28:43-22:28", "limit": 1000}),
    )
    .await;
    // Nothing exists outside the inventory's lifetime, so the widest period
    // sees exactly what one spanning this century sees.
    let century = report(
        &server,
        json!({"time_from": "2000-01-01", "time_to": "2100-01-01", "limit": 1000}),
    )
    .await;
    assert!(wide["count"].as_u64().unwrap() > 0, "{wide}");
    assert_eq!(wide["count"], century["count"]);
    assert_eq!(wide["totals"], century["totals"]);
}

#[tokio::test]
async fn objects_sent_as_arrays_are_400() {
    let server = server().await;
    for body in [
        json!(["2026-01-01", "2026-02-01"]),
        january(json!({"tags": {"conditions": [[null, null]]}})),
        january(json!({"tags": ["OR", []]})),
        january(json!({"schema_filter": ["instance", "flavor", ["g1"]]})),
    ] {
        let reply = post(&server, body.clone()).await;
        assert_gcore_error(&reply, 400, "ValidationError", "invalid type: sequence");
    }
}
