use crate::common::grafana_spec as spec;
use crate::common::*;

// Grafana Cloud access policies (`/api/v1/accesspolicies`), as the vendor
// docs ("Access policies and tokens") describe them: create, list (filters
// and pagination), get, update and delete.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use mockcloud::MockCloud;
use serde_json::{Value, json};
use uuid::Uuid;

/// The region the tests count policies in: the default scenario's bootstrap
/// policy lives in `us`, so `eu` starts empty.
const EU: &str = "eu";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn bootstrap(server: &MockCloud) -> Grafana {
    Grafana::new(server, BOOTSTRAP_TOKEN)
}

fn policies_path(region: &str) -> String {
    format!("/api/v1/accesspolicies?region={region}")
}

fn policy_path(id: &str, region: &str) -> String {
    format!("/api/v1/accesspolicies/{id}?region={region}")
}

/// The smallest valid create body: one scope, the org realm of org 1.
fn minimal_body(name: &str) -> Value {
    json!({
        "name": name,
        "scopes": ["metrics:read"],
        "realms": [{"type": "org", "identifier": "1"}]
    })
}

/// The vendor docs' example request.
fn stack_readers_body() -> Value {
    json!({
        "name": "stack-readers",
        "displayName": "Stack Readers",
        "scopes": ["metrics:read", "logs:read", "traces:read", "alerts:read"],
        "realms": [{
            "type": "stack",
            "identifier": "123",
            "labelPolicies": [{"selector": "{env != \"dev\"}"}]
        }],
        "conditions": {"allowedSubnets": ["192.168.0.0/24", "10.1.2.99/32"]}
    })
}

/// A valid update body (every required field).
fn update_body() -> Value {
    json!({
        "scopes": ["metrics:read"],
        "realms": [{"type": "org", "identifier": "1"}]
    })
}

/// `body` with `field` set to `value`.
fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

/// `body` without `field`.
fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().expect("an object body").remove(field);
    body
}

/// Every policy answer below goes through `checked`: a 200 carries the
/// fields and types Grafana's published spec requires of a policy.
fn checked(reply: Reply) -> Reply {
    if reply.status == 200 {
        spec::assert_access_policy(&reply.body);
    }
    reply
}

async fn create(grafana: &Grafana, region: &str, body: &Value) -> Reply {
    checked(grafana.post(&policies_path(region), body).await)
}

/// Creates a policy from a full body; panics unless 200.
async fn create_ok(grafana: &Grafana, region: &str, body: &Value) -> Value {
    let reply = create(grafana, region, body).await;
    assert_eq!(reply.status, 200, "create policy: {}", reply.raw);
    reply.body
}

async fn get_policy(grafana: &Grafana, id: &str, region: &str) -> Reply {
    checked(grafana.get(&policy_path(id, region)).await)
}

async fn update(grafana: &Grafana, id: &str, region: &str, body: &Value) -> Reply {
    checked(grafana.post(&policy_path(id, region), body).await)
}

fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("id expected in {value}"))
        .to_string()
}

/// The items of a policy list, the list checked against the spec.
fn items(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "list: {}", reply.raw);
    spec::assert_access_policy_list(&reply.body);
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items expected: {}", reply.raw))
        .clone()
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_string())
        .collect()
}

/// Names of the policies a list query returns (one page of up to 500).
async fn listed_names(grafana: &Grafana, query: &str) -> Vec<String> {
    let reply = grafana
        .get(&format!("/api/v1/accesspolicies?{query}"))
        .await;
    names(&items(&reply))
}

/// Asserts what `region` lists, by name, in order.
async fn assert_region_lists(grafana: &Grafana, region: &str, expected: &[&str]) {
    let listed = listed_names(grafana, &format!("region={region}")).await;
    assert_eq!(listed, expected, "policies listed in region {region}");
}

fn assert_bad_request(reply: &Reply, needle: &str) {
    assert_grafana_error(reply, 400, "BadRequest", needle);
}

/// Grafana's timestamp format: `2022-06-08T20:07:21.223Z`, i.e.
/// `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`.
fn assert_grafana_timestamp(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("timestamp expected, got {value}"));
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    let matches = text.len() == shape.len()
        && text.chars().zip(shape.chars()).all(|(c, s)| match s {
            'd' => c.is_ascii_digit(),
            _ => c == s,
        });
    assert!(
        matches,
        "timestamp {text:?} is not like 2022-06-08T20:07:21.223Z"
    );
    text.parse().expect("a valid instant")
}

fn assert_uuid(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("id expected: {value}"));
    assert!(Uuid::parse_str(text).is_ok(), "id {text:?} is not a UUID");
    assert_eq!(text.len(), 36, "id {text:?} is not in hyphenated form");
}

/// Fetches the policy and asserts it is exactly `expected`.
async fn assert_policy_is(grafana: &Grafana, region: &str, expected: &Value) {
    let reply = get_policy(grafana, &id_of(expected), region).await;
    assert_eq!(reply.status, 200, "get policy: {}", reply.raw);
    assert_eq!(&reply.body, expected, "the stored policy");
}

async fn assert_policy_gone(grafana: &Grafana, id: &str, region: &str) {
    let reply = get_policy(grafana, id, region).await;
    assert_grafana_error(&reply, 404, "NotFound", id);
}

/// Sets the policy inactive (keeping its scopes and realms); returns the
/// updated policy.
async fn deactivate(grafana: &Grafana, policy: &Value) -> Value {
    let body = json!({
        "scopes": policy["scopes"],
        "realms": policy["realms"],
        "status": "inactive"
    });
    let reply = update(grafana, &id_of(policy), EU, &body).await;
    assert_eq!(reply.status, 200, "deactivate: {}", reply.raw);
    assert_eq!(reply.body["status"], "inactive");
    reply.body
}

/// A body of more than 1 MiB that would otherwise be a valid policy.
fn oversized_body() -> String {
    let body = with(
        minimal_body("too-big"),
        "displayName",
        json!("x".repeat(1024 * 1024 + 1)),
    );
    body.to_string()
}

/// One page of a list, with its pagination metadata checked for shape.
struct Page {
    items: Vec<Value>,
    page_size: u64,
    next_page: Option<String>,
    page_cursor: Option<String>,
}

async fn fetch_page(grafana: &Grafana, path_and_query: &str) -> Page {
    let reply = grafana.get(path_and_query).await;
    let items = items(&reply);
    let pagination = &reply.body["metadata"]["pagination"];
    let next_page = pagination["nextPage"].as_str().map(str::to_string);
    let page_cursor = pagination["pageCursor"].as_str().map(str::to_string);
    assert!(
        next_page.is_some() || pagination["nextPage"].is_null(),
        "nextPage is a string or null: {}",
        reply.raw
    );
    assert_eq!(
        next_page.is_some(),
        page_cursor.is_some(),
        "pageCursor and nextPage go together: {}",
        reply.raw
    );
    Page {
        items,
        page_size: pagination["pageSize"]
            .as_u64()
            .unwrap_or_else(|| panic!("pageSize expected: {}", reply.raw)),
        next_page,
        page_cursor,
    }
}

/// `nextPage` is the vendor path without the `/api` prefix.
fn api_path(next_page: &str) -> String {
    assert!(
        next_page.starts_with("/v1/accesspolicies?"),
        "nextPage {next_page:?} should be /v1/accesspolicies?..."
    );
    format!("/api{next_page}")
}

/// The query parameters of a `nextPage` path, decoded.
fn next_page_params(next_page: &str) -> HashMap<String, String> {
    let query = next_page.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.replace('+', " "))
        })
        .collect()
}

/// Walks every page from `first`, checking each page's size; returns the
/// pages' items in order.
async fn walk(grafana: &Grafana, first: &str, page_size: u64) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let page = fetch_page(grafana, &path).await;
        assert_eq!(page.page_size, page_size, "metadata.pagination.pageSize");
        assert!(
            page.items.len() as u64 <= page_size,
            "a page holds at most pageSize items"
        );
        pages.push(page.items);
        match page.next_page {
            Some(next) => path = api_path(&next),
            None => return pages,
        }
        assert!(pages.len() < 1000, "the walk does not end");
    }
}

/// Creates `names` in `region` in order; returns their ids.
async fn create_named(grafana: &Grafana, region: &str, names: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        ids.push(id_of(
            &create_ok(grafana, region, &minimal_body(name)).await,
        ));
    }
    ids
}

fn numbered(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i:03}")).collect()
}

// ---------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_policy_returns_every_field() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, EU, &stack_readers_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    let policy = &reply.body;
    assert_uuid(&policy["id"]);
    assert_eq!(policy["orgId"], "1");
    assert_eq!(policy["name"], "stack-readers");
    assert_eq!(policy["displayName"], "Stack Readers");
    assert_eq!(
        policy["scopes"],
        json!(["metrics:read", "logs:read", "traces:read", "alerts:read"])
    );
    assert_eq!(
        policy["realms"],
        json!([{
            "type": "stack",
            "identifier": "123",
            "labelPolicies": [{"selector": "{env != \"dev\"}"}]
        }])
    );
    assert_eq!(
        policy["conditions"],
        json!({"allowedSubnets": ["192.168.0.0/24", "10.1.2.99/32"]})
    );
    let created = assert_grafana_timestamp(&policy["createdAt"]);
    let updated = assert_grafana_timestamp(&policy["updatedAt"]);
    assert_eq!(
        created, updated,
        "a new policy was last updated when created"
    );
    assert_eq!(policy["status"], "active");
    let fields: HashSet<&str> = policy
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = [
        "id",
        "orgId",
        "name",
        "displayName",
        "scopes",
        "realms",
        "conditions",
        "createdAt",
        "updatedAt",
        "status",
    ]
    .into();
    assert_eq!(fields, expected, "fields of {}", reply.raw);
    assert_policy_is(&grafana, EU, policy).await;
}

#[tokio::test]
async fn creating_a_policy_stamps_the_server_clock() {
    let server = start_default().await;
    let at: DateTime<Utc> = "2022-06-08T20:07:21.223Z".parse().unwrap();
    server.clock().freeze(Some(at));
    let grafana = bootstrap(&server);

    let policy = create_ok(&grafana, EU, &minimal_body("stamped")).await;

    assert_eq!(policy["createdAt"], "2022-06-08T20:07:21.223Z");
    assert_eq!(policy["updatedAt"], "2022-06-08T20:07:21.223Z");
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn creating_a_policy_without_display_name_uses_the_name() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, EU, &minimal_body("metrics-reader")).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["name"], "metrics-reader");
    assert_eq!(reply.body["displayName"], "metrics-reader");
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn creating_a_policy_without_conditions_shows_no_conditions() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, EU, &minimal_body("unrestricted")).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(
        reply.body.get("conditions").is_none(),
        "no conditions expected: {}",
        reply.raw
    );
    assert_eq!(
        reply.body["realms"],
        json!([{"type": "org", "identifier": "1", "labelPolicies": []}])
    );
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_subnet_list_has_no_conditions() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let body = with(
        minimal_body("no-subnets"),
        "conditions",
        json!({"allowedSubnets": []}),
    );

    let reply = create(&grafana, EU, &body).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(reply.body.get("conditions").is_none(), "{}", reply.raw);
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn a_null_subnet_list_is_no_conditions_on_create_and_removes_them_on_update() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let body = with(
        minimal_body("null-subnets"),
        "conditions",
        json!({"allowedSubnets": null}),
    );
    let reply = create(&grafana, EU, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(reply.body.get("conditions").is_none(), "{}", reply.raw);

    let restricted = create_ok(&grafana, EU, &stack_readers_body()).await;
    let id = restricted["id"].as_str().unwrap();
    assert!(restricted.get("conditions").is_some());
    let cleared = update(
        &grafana,
        id,
        EU,
        &with(update_body(), "conditions", json!({"allowedSubnets": null})),
    )
    .await;
    assert_eq!(cleared.status, 200, "{}", cleared.raw);
    assert!(cleared.body.get("conditions").is_none(), "{}", cleared.raw);
    assert_policy_is(&grafana, EU, &cleared.body).await;
}

#[tokio::test]
async fn a_realm_sent_as_an_array_of_its_fields_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let body = with(minimal_body("array-realm"), "realms", json!([["org", "1"]]));
    let reply = create(&grafana, EU, &body).await;
    assert_grafana_error(&reply, 400, "BadRequest", "realms[0]");
    let list = grafana.get(&policies_path(EU)).await;
    assert!(!list.raw.contains("array-realm"), "{}", list.raw);
}

#[tokio::test]
async fn creating_a_policy_accepts_ipv6_subnets() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let subnets = json!({"allowedSubnets": ["2001:db8::/32", "0.0.0.0/0"]});
    let body = with(minimal_body("v6"), "conditions", subnets.clone());

    let reply = create(&grafana, EU, &body).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["conditions"], subnets);
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn creating_a_policy_with_a_255_character_name_is_200() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let name = "a".repeat(255);

    let reply = create(&grafana, EU, &minimal_body(&name)).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["name"], name.as_str());
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn creating_a_policy_with_digits_hyphens_and_underscores_is_200() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, EU, &minimal_body("team_42-readers")).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["name"], "team_42-readers");
    assert_region_lists(&grafana, EU, &["team_42-readers"]).await;
}

#[tokio::test]
async fn creating_policies_gives_each_a_new_id() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let first = create_ok(&grafana, EU, &minimal_body("first")).await;
    let second = create_ok(&grafana, EU, &minimal_body("second")).await;

    assert_ne!(first["id"], second["id"]);
    assert_policy_is(&grafana, EU, &first).await;
    assert_policy_is(&grafana, EU, &second).await;
}

// ---------------------------------------------------------------------------
// Create: 400, 413
// ---------------------------------------------------------------------------

/// Posts `body` to `region`, expects a 400 naming `needle`, and checks that
/// nothing was created in `eu`.
async fn assert_create_rejected(body: &Value, region: &str, needle: &str) {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, region, body).await;

    assert_bad_request(&reply, needle);
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn creating_a_policy_without_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .post("/api/v1/accesspolicies", &minimal_body("regionless"))
        .await;

    assert_bad_request(&reply, "region");
    assert_eq!(
        listed_names(&grafana, "region=us&name=regionless").await,
        Vec::<String>::new()
    );
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_region_is_400() {
    assert_create_rejected(&minimal_body("empty-region"), "", "region").await;
}

#[tokio::test]
async fn creating_a_policy_in_an_unknown_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = create(&grafana, "mars", &minimal_body("martian")).await;

    assert_bad_request(&reply, "mars");
    let listing = grafana.get(&policies_path("mars")).await;
    assert_bad_request(&listing, "mars");
}

#[tokio::test]
async fn creating_a_policy_with_an_uppercase_name_is_400() {
    assert_create_rejected(&minimal_body("Readers"), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_spaces_in_the_name_is_400() {
    assert_create_rejected(&minimal_body("stack readers"), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_dot_in_the_name_is_400() {
    assert_create_rejected(&minimal_body("stack.readers"), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_256_character_name_is_400() {
    assert_create_rejected(&minimal_body(&"a".repeat(256)), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_name_is_400() {
    assert_create_rejected(&minimal_body(""), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_without_name_is_400() {
    assert_create_rejected(&without(minimal_body("x"), "name"), EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_display_name_is_400() {
    let body = with(minimal_body("blank-display"), "displayName", json!(""));
    assert_create_rejected(&body, EU, "displayName").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_256_character_display_name_is_400() {
    let body = with(
        minimal_body("long-display"),
        "displayName",
        json!("D".repeat(256)),
    );
    assert_create_rejected(&body, EU, "displayName").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_255_character_display_name_is_200() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let display = "Ü".repeat(255);
    let body = with(minimal_body("long-display"), "displayName", json!(display));

    let reply = create(&grafana, EU, &body).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["displayName"], display.as_str());
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn creating_a_policy_without_scopes_is_400() {
    assert_create_rejected(&without(minimal_body("x"), "scopes"), EU, "scopes").await;
}

#[tokio::test]
async fn creating_a_policy_with_no_scopes_is_400() {
    let body = with(minimal_body("no-scopes"), "scopes", json!([]));
    assert_create_rejected(&body, EU, "scopes").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_malformed_scope_is_400() {
    let body = with(minimal_body("bad-scope"), "scopes", json!(["metrics"]));
    assert_create_rejected(&body, EU, "metrics").await;
}

#[tokio::test]
async fn creating_a_policy_without_realms_is_400() {
    assert_create_rejected(&without(minimal_body("x"), "realms"), EU, "realms").await;
}

#[tokio::test]
async fn creating_a_policy_with_no_realms_is_400() {
    let body = with(minimal_body("no-realms"), "realms", json!([]));
    assert_create_rejected(&body, EU, "realms").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_unknown_realm_type_is_400() {
    let body = with(
        minimal_body("bad-realm"),
        "realms",
        json!([{"type": "team", "identifier": "1"}]),
    );
    assert_create_rejected(&body, EU, "realms[0].type").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_realm_without_identifier_is_400() {
    let body = with(
        minimal_body("bad-realm"),
        "realms",
        json!([{"type": "org"}]),
    );
    assert_create_rejected(&body, EU, "identifier").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_org_realm_of_another_org_is_400() {
    let body = with(
        minimal_body("foreign-org"),
        "realms",
        json!([{"type": "org", "identifier": "2"}]),
    );
    assert_create_rejected(&body, EU, "realms[0].identifier").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_non_numeric_stack_realm_is_400() {
    let body = with(
        minimal_body("bad-stack"),
        "realms",
        json!([{"type": "stack", "identifier": "my-stack"}]),
    );
    assert_create_rejected(&body, EU, "realms[0].identifier").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_label_selector_is_400() {
    let body = with(
        minimal_body("bad-selector"),
        "realms",
        json!([{"type": "stack", "identifier": "123", "labelPolicies": [{"selector": " "}]}]),
    );
    assert_create_rejected(&body, EU, "selector").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_subnet_without_prefix_is_400() {
    let body = with(
        minimal_body("no-prefix"),
        "conditions",
        json!({"allowedSubnets": ["10.0.0.1"]}),
    );
    assert_create_rejected(&body, EU, "10.0.0.1").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_33_bit_ipv4_prefix_is_400() {
    let body = with(
        minimal_body("long-prefix"),
        "conditions",
        json!({"allowedSubnets": ["192.168.0.0/24", "10.0.0.0/33"]}),
    );
    assert_create_rejected(&body, EU, "10.0.0.0/33").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_subnet_that_is_not_an_address_is_400() {
    let body = with(
        minimal_body("not-an-address"),
        "conditions",
        json!({"allowedSubnets": ["office/24"]}),
    );
    assert_create_rejected(&body, EU, "allowedSubnets").await;
}

#[tokio::test]
async fn creating_a_policy_with_malformed_json_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .send_raw(
            "POST",
            &policies_path(EU),
            r#"{"name": "broken", "scopes": ["metrics:read"],"#.to_string(),
        )
        .await;

    assert_bad_request(&reply, "JSON");
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn creating_a_policy_with_trailing_data_after_the_json_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let body = format!("{} {{}}", minimal_body("trailing"));

    let reply = grafana.send_raw("POST", &policies_path(EU), body).await;

    assert_bad_request(&reply, "JSON");
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn creating_a_policy_with_a_numeric_name_is_400() {
    let body = with(minimal_body("x"), "name", json!(42));
    assert_create_rejected(&body, EU, "name").await;
}

#[tokio::test]
async fn creating_a_policy_with_scopes_as_a_string_is_400() {
    let body = with(minimal_body("x"), "scopes", json!("metrics:read"));
    assert_create_rejected(&body, EU, "scopes").await;
}

#[tokio::test]
async fn creating_a_policy_with_a_json_array_body_is_400() {
    assert_create_rejected(&json!([minimal_body("x")]), EU, "JSON").await;
}

#[tokio::test]
async fn creating_a_policy_with_an_empty_body_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .send_raw("POST", &policies_path(EU), String::new())
        .await;

    assert_bad_request(&reply, "body");
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn creating_a_policy_with_a_body_over_1_mib_is_413() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .send_raw("POST", &policies_path(EU), oversized_body())
        .await;

    assert_grafana_error(&reply, 413, "PayloadTooLarge", "1048576");
    assert_region_lists(&grafana, EU, &[]).await;
}

// ---------------------------------------------------------------------------
// 401
// ---------------------------------------------------------------------------

#[tokio::test]
async fn listing_policies_without_authorization_is_401() {
    let server = start_default().await;
    let anonymous = bootstrap(&server).with_token(None);

    let reply = anonymous.get(&policies_path("us")).await;

    assert_grafana_error(&reply, 401, "InvalidCredentials", "Authorization");
}

#[tokio::test]
async fn listing_policies_with_an_unknown_token_is_401() {
    let server = start_default().await;
    let stranger = bootstrap(&server).with_token(Some("not-a-real-token"));

    let reply = stranger.get(&policies_path("us")).await;

    assert_grafana_error(&reply, 401, "InvalidCredentials", "credentials");
}

#[tokio::test]
async fn creating_a_policy_without_authorization_is_401_and_creates_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .with_token(None)
        .post(&policies_path(EU), &minimal_body("anonymous"))
        .await;

    assert_grafana_error(&reply, 401, "InvalidCredentials", "Authorization");
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn updating_and_deleting_with_an_unknown_token_is_401_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("guarded")).await;
    let id = id_of(&policy);
    let stranger = grafana.with_token(Some("not-a-real-token"));

    let updated = update(
        &stranger,
        &id,
        EU,
        &with(update_body(), "displayName", json!("Hijacked")),
    )
    .await;
    let deleted = stranger.delete(&policy_path(&id, EU)).await;
    let fetched = get_policy(&stranger, &id, EU).await;

    assert_grafana_error(&updated, 401, "InvalidCredentials", "credentials");
    assert_grafana_error(&deleted, 401, "InvalidCredentials", "credentials");
    assert_grafana_error(&fetched, 401, "InvalidCredentials", "credentials");
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn creating_a_policy_with_a_read_only_token_is_403_and_creates_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reader = create_ok(
        &grafana,
        EU,
        &with(
            minimal_body("reader"),
            "scopes",
            json!(["accesspolicies:read"]),
        ),
    )
    .await;
    let token = grafana
        .create_token(EU, &id_of(&reader), "reader-token")
        .await;
    let read_only = grafana.with_token(token["token"].as_str());

    let reply = create(&read_only, EU, &minimal_body("not-allowed")).await;

    assert_grafana_error(&reply, 403, "Forbidden", "accesspolicies:write");
    assert_eq!(listed_names(&read_only, "region=eu").await, ["reader"]);
}

#[tokio::test]
async fn deleting_a_policy_with_a_token_lacking_the_delete_scope_is_403() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let writer = create_ok(
        &grafana,
        EU,
        &with(
            minimal_body("writer"),
            "scopes",
            json!(["accesspolicies:read", "accesspolicies:write"]),
        ),
    )
    .await;
    let token = grafana
        .create_token(EU, &id_of(&writer), "writer-token")
        .await;
    let no_delete = grafana.with_token(token["token"].as_str());

    let reply = no_delete.delete(&policy_path(&id_of(&writer), EU)).await;

    assert_grafana_error(&reply, 403, "Forbidden", "accesspolicies:delete");
    assert_policy_is(&grafana, EU, &writer).await;
}

#[tokio::test]
async fn an_inactive_policys_token_is_401() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(
        &grafana,
        EU,
        &with(
            minimal_body("switched-off"),
            "scopes",
            json!(["accesspolicies:read"]),
        ),
    )
    .await;
    let token = grafana
        .create_token(EU, &id_of(&policy), "switched-off-token")
        .await;
    let holder = grafana.with_token(token["token"].as_str());
    let listed = holder.get(&policies_path(EU)).await;
    assert_eq!(listed.status, 200);
    spec::assert_access_policy_list(&listed.body);
    deactivate(&grafana, &policy).await;

    let reply = holder.get(&policies_path(EU)).await;

    assert_grafana_error(&reply, 401, "InvalidCredentials", "inactive");
}

// ---------------------------------------------------------------------------
// Get and 404
// ---------------------------------------------------------------------------

#[tokio::test]
async fn getting_a_policy_returns_what_create_returned() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = get_policy(&grafana, &id_of(&policy), EU).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body, policy);
}

#[tokio::test]
async fn getting_an_unknown_policy_is_404() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let id = Uuid::new_v4().to_string();

    let reply = get_policy(&grafana, &id, EU).await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
}

#[tokio::test]
async fn updating_an_unknown_policy_is_404_and_creates_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let id = Uuid::new_v4().to_string();

    let reply = update(&grafana, &id, EU, &update_body()).await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
    assert_policy_gone(&grafana, &id, EU).await;
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn deleting_an_unknown_policy_is_404() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let id = Uuid::new_v4().to_string();

    let reply = grafana.delete(&policy_path(&id, EU)).await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
}

#[tokio::test]
async fn getting_a_policy_from_another_region_is_404() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("european")).await;
    let id = id_of(&policy);

    let reply = get_policy(&grafana, &id, "us").await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn updating_a_policy_from_another_region_is_404_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("european")).await;
    let id = id_of(&policy);

    let reply = update(
        &grafana,
        &id,
        "us",
        &with(update_body(), "displayName", json!("American")),
    )
    .await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn deleting_a_policy_from_another_region_is_404_and_keeps_it() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("european")).await;
    let id = id_of(&policy);

    let reply = grafana.delete(&policy_path(&id, "us")).await;

    assert_grafana_error(&reply, 404, "NotFound", &id);
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn another_orgs_policy_is_404_and_never_listed() {
    let server = start_scenario(two_org_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let beta = Grafana::new(&server, "beta-token");
    let policy = create_ok(&alpha, EU, &minimal_body("alpha-only")).await;
    let id = id_of(&policy);

    let fetched = get_policy(&beta, &id, EU).await;
    let updated = update(&beta, &id, EU, &update_body()).await;
    let deleted = beta.delete(&policy_path(&id, EU)).await;

    assert_grafana_error(&fetched, 404, "NotFound", &id);
    assert_grafana_error(&updated, 404, "NotFound", &id);
    assert_grafana_error(&deleted, 404, "NotFound", &id);
    assert_region_lists(&beta, EU, &[]).await;
    assert_policy_is(&alpha, EU, &policy).await;
    // Names are unique per org: beta may use alpha's name.
    let beta_body = with(
        minimal_body("alpha-only"),
        "realms",
        json!([{"type": "org", "identifier": "2"}]),
    );
    let same_name = create(&beta, EU, &beta_body).await;
    assert_eq!(same_name.status, 200, "{}", same_name.raw);
    assert_eq!(same_name.body["orgId"], "2");
}

#[tokio::test]
async fn getting_a_policy_by_a_non_uuid_id_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = get_policy(&grafana, "stack-readers", EU).await;

    assert_bad_request(&reply, "UUID");
}

#[tokio::test]
async fn updating_a_policy_by_a_non_uuid_id_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = update(&grafana, "12345", EU, &update_body()).await;

    assert_bad_request(&reply, "UUID");
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn deleting_a_policy_by_a_non_uuid_id_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("kept")).await;

    let reply = grafana.delete(&policy_path("kept", EU)).await;

    assert_bad_request(&reply, "UUID");
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn getting_a_policy_without_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("needs-region")).await;

    let reply = grafana
        .get(&format!("/api/v1/accesspolicies/{}", id_of(&policy)))
        .await;

    assert_bad_request(&reply, "region");
}

// ---------------------------------------------------------------------------
// Name uniqueness (409)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_duplicate_name_in_the_same_region_is_409() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let first = create_ok(&grafana, EU, &minimal_body("twin")).await;

    let reply = create(
        &grafana,
        EU,
        &with(minimal_body("twin"), "displayName", json!("Second twin")),
    )
    .await;

    assert_grafana_error(&reply, 409, "Conflict", "twin");
    assert_region_lists(&grafana, EU, &["twin"]).await;
    assert_policy_is(&grafana, EU, &first).await;
}

#[tokio::test]
async fn creating_the_same_name_in_another_region_is_200() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let european = create_ok(&grafana, EU, &minimal_body("twin")).await;

    let reply = create(&grafana, "au", &minimal_body("twin")).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["name"], "twin");
    assert_ne!(reply.body["id"], european["id"]);
    assert_policy_is(&grafana, "au", &reply.body).await;
    assert_policy_is(&grafana, EU, &european).await;
}

#[tokio::test]
async fn a_deleted_policys_name_can_be_used_again() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let old = create_ok(&grafana, EU, &minimal_body("reborn")).await;
    let deleted = grafana.delete(&policy_path(&id_of(&old), EU)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);

    let reply = create(&grafana, EU, &minimal_body("reborn")).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_ne!(reply.body["id"], old["id"]);
    assert_region_lists(&grafana, EU, &["reborn"]).await;
}

#[tokio::test]
async fn one_hundred_concurrent_creates_of_one_name_give_one_200_and_99_409s() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let handles: Vec<tokio::task::JoinHandle<Reply>> = (0..100)
        .map(|i| {
            let grafana = grafana.clone();
            tokio::spawn(async move {
                let body = with(
                    minimal_body("contended"),
                    "displayName",
                    json!(format!("Attempt {i}")),
                );
                create(&grafana, EU, &body).await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for handle in handles {
        let reply = handle.await.expect("task finished");
        match reply.status.as_u16() {
            200 => winners.push(reply.body),
            409 => {
                assert_grafana_error(&reply, 409, "Conflict", "contended");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", reply.raw),
        }
    }

    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert_eq!(conflicts, 99);
    let listed = grafana
        .get(&format!("{}&name=contended", policies_path(EU)))
        .await;
    let listed = items(&listed);
    assert_eq!(listed, winners, "the list shows the winner and only it");
    assert_region_lists(&grafana, EU, &["contended"]).await;
}

// ---------------------------------------------------------------------------
// Update
// ---------------------------------------------------------------------------

#[tokio::test]
async fn updating_a_policy_changes_display_name_scopes_realms_and_status() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;
    let id = id_of(&policy);
    let changes = json!({
        "displayName": "Stack Writers",
        "scopes": ["metrics:write", "logs:write"],
        "realms": [
            {"type": "stack", "identifier": "456", "labelPolicies": [{"selector": "{team=\"a\"}"}]},
            {"type": "org", "identifier": "1"}
        ],
        "status": "inactive"
    });

    let reply = update(&grafana, &id, EU, &changes).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    let mut expected = policy.clone();
    expected["displayName"] = json!("Stack Writers");
    expected["scopes"] = json!(["metrics:write", "logs:write"]);
    expected["realms"] = json!([
        {"type": "stack", "identifier": "456", "labelPolicies": [{"selector": "{team=\"a\"}"}]},
        {"type": "org", "identifier": "1", "labelPolicies": []}
    ]);
    expected["status"] = json!("inactive");
    expected["updatedAt"] = reply.body["updatedAt"].clone();
    assert_eq!(reply.body, expected, "only the sent fields change");
    assert_policy_is(&grafana, EU, &expected).await;
}

#[tokio::test]
async fn updating_a_policy_moves_updated_at_but_not_created_at() {
    let server = start_default().await;
    server.clock().freeze(None);
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("clocked")).await;
    let created = assert_grafana_timestamp(&policy["createdAt"]);
    server.clock().advance(Duration::seconds(5));

    let reply = update(
        &grafana,
        &id_of(&policy),
        EU,
        &with(update_body(), "displayName", json!("Clocked")),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["createdAt"], policy["createdAt"]);
    let updated = assert_grafana_timestamp(&reply.body["updatedAt"]);
    assert_eq!(updated, created + Duration::seconds(5));
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn updating_a_policy_without_display_name_keeps_it() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = update(&grafana, &id_of(&policy), EU, &update_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["displayName"], "Stack Readers");
    assert_eq!(reply.body["scopes"], json!(["metrics:read"]));
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn updating_a_policy_back_to_active_reactivates_it() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("dormant")).await;
    let policy = deactivate(&grafana, &policy).await;

    let reply = update(
        &grafana,
        &id_of(&policy),
        EU,
        &with(update_body(), "status", json!("active")),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["status"], "active");
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn updating_a_policy_without_status_keeps_it() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("dormant")).await;
    let policy = deactivate(&grafana, &policy).await;

    let reply = update(&grafana, &id_of(&policy), EU, &update_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["status"], "inactive");
    assert_policy_is(&grafana, EU, &reply.body).await;
}

/// Creates the docs' example policy (with conditions), updates it with
/// `conditions` set to `value`, and checks they are gone.
async fn assert_update_removes_conditions(value: Value) {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;
    assert!(policy.get("conditions").is_some());
    let mut body = stack_readers_body();
    body.as_object_mut().unwrap().remove("name");
    body["conditions"] = value.clone();

    let reply = update(&grafana, &id_of(&policy), EU, &body).await;

    assert_eq!(reply.status, 200, "conditions {value}: {}", reply.raw);
    assert!(
        reply.body.get("conditions").is_none(),
        "conditions {value} should remove them: {}",
        reply.raw
    );
    let fetched = get_policy(&grafana, &id_of(&policy), EU).await;
    assert_eq!(fetched.status, 200, "{}", fetched.raw);
    assert!(
        fetched.body.get("conditions").is_none(),
        "conditions {value} should remove them for good: {}",
        fetched.raw
    );
    assert_eq!(fetched.body, reply.body);
}

#[tokio::test]
async fn updating_a_policy_with_empty_conditions_removes_them() {
    assert_update_removes_conditions(json!({})).await;
}

#[tokio::test]
async fn updating_a_policy_with_null_conditions_removes_them() {
    assert_update_removes_conditions(Value::Null).await;
}

#[tokio::test]
async fn updating_a_policy_with_no_allowed_subnets_removes_the_conditions() {
    assert_update_removes_conditions(json!({"allowedSubnets": []})).await;
}

#[tokio::test]
async fn updating_a_policy_without_conditions_keeps_them() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = update(&grafana, &id_of(&policy), EU, &update_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["conditions"], policy["conditions"]);
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn updating_a_policy_with_new_subnets_replaces_them() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;
    let subnets = json!({"allowedSubnets": ["192.168.99.100/32"]});

    let reply = update(
        &grafana,
        &id_of(&policy),
        EU,
        &with(update_body(), "conditions", subnets.clone()),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["conditions"], subnets);
    assert_policy_is(&grafana, EU, &reply.body).await;
}

#[tokio::test]
async fn updating_a_policy_adds_conditions_it_did_not_have() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("open")).await;
    let subnets = json!({"allowedSubnets": ["10.0.0.0/8"]});

    let reply = update(
        &grafana,
        &id_of(&policy),
        EU,
        &with(update_body(), "conditions", subnets.clone()),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["conditions"], subnets);
    assert_policy_is(&grafana, EU, &reply.body).await;
}

/// Updates the docs' example policy with `body` (after 5 seconds), expects a
/// 400 naming `needle`, and checks the policy is exactly as before.
async fn assert_update_rejected(body: Value, needle: &str) {
    let server = start_default().await;
    server.clock().freeze(None);
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;
    server.clock().advance(Duration::seconds(5));

    let reply = update(&grafana, &id_of(&policy), EU, &body).await;

    assert_bad_request(&reply, needle);
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn updating_a_policy_with_an_invalid_subnet_is_400_and_changes_nothing() {
    let body = json!({
        "displayName": "Changed",
        "scopes": ["metrics:write"],
        "realms": [{"type": "org", "identifier": "1"}],
        "conditions": {"allowedSubnets": ["10.0.0.0/8", "10.0.0.1"]},
        "status": "inactive"
    });
    assert_update_rejected(body, "10.0.0.1").await;
}

#[tokio::test]
async fn updating_a_policy_with_an_org_realm_of_another_org_is_400_and_changes_nothing() {
    let body = json!({
        "displayName": "Changed",
        "scopes": ["metrics:write"],
        "realms": [{"type": "org", "identifier": "7"}],
        "conditions": {},
        "status": "inactive"
    });
    assert_update_rejected(body, "realms[0].identifier").await;
}

#[tokio::test]
async fn updating_a_policy_with_an_empty_display_name_is_400_and_changes_nothing() {
    assert_update_rejected(with(update_body(), "displayName", json!("")), "displayName").await;
}

#[tokio::test]
async fn updating_a_policy_without_scopes_is_400_and_changes_nothing() {
    assert_update_rejected(without(update_body(), "scopes"), "scopes").await;
}

#[tokio::test]
async fn updating_a_policy_with_no_scopes_is_400_and_changes_nothing() {
    assert_update_rejected(with(update_body(), "scopes", json!([])), "scopes").await;
}

#[tokio::test]
async fn updating_a_policy_without_realms_is_400_and_changes_nothing() {
    assert_update_rejected(without(update_body(), "realms"), "realms").await;
}

#[tokio::test]
async fn updating_a_policy_with_an_unknown_status_is_400_and_changes_nothing() {
    assert_update_rejected(with(update_body(), "status", json!("paused")), "status").await;
}

#[tokio::test]
async fn updating_a_policy_with_an_unknown_realm_type_is_400_and_changes_nothing() {
    assert_update_rejected(
        with(
            update_body(),
            "realms",
            json!([{"type": "galaxy", "identifier": "1"}]),
        ),
        "realms[0].type",
    )
    .await;
}

#[tokio::test]
async fn updating_a_policy_with_malformed_json_is_400_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = grafana
        .send_raw(
            "POST",
            &policy_path(&id_of(&policy), EU),
            r#"{"displayName": "Changed""#.to_string(),
        )
        .await;

    assert_bad_request(&reply, "JSON");
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn updating_a_policy_with_an_empty_body_is_400_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = grafana
        .send_raw("POST", &policy_path(&id_of(&policy), EU), String::new())
        .await;

    assert_bad_request(&reply, "body");
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn updating_a_policy_with_a_body_over_1_mib_is_413_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &stack_readers_body()).await;

    let reply = grafana
        .send_raw("POST", &policy_path(&id_of(&policy), EU), oversized_body())
        .await;

    assert_grafana_error(&reply, 413, "PayloadTooLarge", "1048576");
    assert_policy_is(&grafana, EU, &policy).await;
}

// ---------------------------------------------------------------------------
// Delete
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deleting_a_policy_is_204_with_an_empty_body() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("doomed")).await;
    let id = id_of(&policy);

    let reply = grafana.delete(&policy_path(&id, EU)).await;

    assert_eq!(reply.status, 204);
    assert_eq!(reply.raw, "", "a 204 has no body");
    assert_policy_gone(&grafana, &id, EU).await;
    assert_region_lists(&grafana, EU, &[]).await;
}

#[tokio::test]
async fn deleting_a_policy_twice_is_404_the_second_time() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(&grafana, EU, &minimal_body("doomed")).await;
    let id = id_of(&policy);
    let first = grafana.delete(&policy_path(&id, EU)).await;
    assert_eq!(first.status, 204, "{}", first.raw);

    let second = grafana.delete(&policy_path(&id, EU)).await;

    assert_grafana_error(&second, 404, "NotFound", &id);
    assert_policy_gone(&grafana, &id, EU).await;
}

#[tokio::test]
async fn deleting_a_policy_keeps_the_others() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let names = numbered("keep", 3);
    let ids = create_named(&grafana, EU, &names).await;

    let reply = grafana.delete(&policy_path(&ids[1], EU)).await;

    assert_eq!(reply.status, 204, "{}", reply.raw);
    assert_region_lists(&grafana, EU, &["keep-000", "keep-002"]).await;
    assert_policy_gone(&grafana, &ids[1], EU).await;
}

#[tokio::test]
async fn deleting_a_policy_deletes_its_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = create_ok(
        &grafana,
        EU,
        &with(
            minimal_body("with-tokens"),
            "scopes",
            json!(["accesspolicies:read"]),
        ),
    )
    .await;
    let policy_id = id_of(&policy);
    let token = grafana.create_token(EU, &policy_id, "doomed-token").await;
    let token_id = id_of(&token);
    let secret = token["token"].as_str().expect("token secret").to_string();
    let holder = grafana.with_token(Some(&secret));
    let before = holder.get(&policies_path("us")).await;
    assert_eq!(before.status, 200, "the token works before: {}", before.raw);
    spec::assert_access_policy_list(&before.body);
    let token_before = grafana
        .get(&format!("/api/v1/tokens/{token_id}?region={EU}"))
        .await;
    assert_eq!(token_before.status, 200, "{}", token_before.raw);
    spec::assert_token(&token_before.body);

    let reply = grafana.delete(&policy_path(&policy_id, EU)).await;

    assert_eq!(reply.status, 204, "{}", reply.raw);
    assert_eq!(reply.raw, "");
    let token_after = grafana
        .get(&format!("/api/v1/tokens/{token_id}?region={EU}"))
        .await;
    assert_grafana_error(&token_after, 404, "NotFound", &token_id);
    let tokens = grafana
        .get(&format!(
            "/api/v1/tokens?region={EU}&accessPolicyId={policy_id}"
        ))
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.raw);
    spec::assert_token_list(&tokens.body);
    assert_eq!(tokens.body["items"], json!([]), "no tokens left");
    let after = holder.get(&policies_path("us")).await;
    assert_grafana_error(&after, 401, "InvalidCredentials", "credentials");
}

#[tokio::test]
async fn deleting_a_policy_keeps_other_policies_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let doomed = create_ok(&grafana, EU, &minimal_body("doomed")).await;
    let kept = create_ok(&grafana, EU, &minimal_body("kept")).await;
    grafana
        .create_token(EU, &id_of(&doomed), "doomed-token")
        .await;
    let kept_token = grafana.create_token(EU, &id_of(&kept), "kept-token").await;

    let reply = grafana.delete(&policy_path(&id_of(&doomed), EU)).await;

    assert_eq!(reply.status, 204, "{}", reply.raw);
    let fetched = grafana
        .get(&format!(
            "/api/v1/tokens/{}?region={EU}",
            id_of(&kept_token)
        ))
        .await;
    assert_eq!(fetched.status, 200, "{}", fetched.raw);
    spec::assert_token(&fetched.body);
    assert_eq!(fetched.body["accessPolicyId"], kept["id"]);
}

// ---------------------------------------------------------------------------
// List and filters
// ---------------------------------------------------------------------------

#[tokio::test]
async fn listing_an_empty_region_returns_no_items_and_no_next_page() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana.get(&policies_path(EU)).await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_access_policy_list(&reply.body);
    assert_eq!(
        reply.body,
        json!({
            "items": [],
            "metadata": {"pagination": {"pageSize": 500, "pageCursor": null, "nextPage": null}}
        })
    );
}

#[tokio::test]
async fn the_bootstrap_policy_is_listed_in_us() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana.get(&policies_path("us")).await;

    let listed = items(&reply);
    assert_eq!(names(&listed), ["mock-bootstrap"]);
    assert_eq!(listed[0]["orgId"], "1");
    assert_eq!(listed[0]["status"], "active");
}

#[tokio::test]
async fn listing_policies_shows_them_in_creation_order_as_get_shows_them() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let first = create_ok(&grafana, EU, &minimal_body("zulu")).await;
    let second = create_ok(&grafana, EU, &stack_readers_body()).await;
    let third = create_ok(&grafana, EU, &minimal_body("alpha")).await;

    let reply = grafana.get(&policies_path(EU)).await;

    assert_eq!(items(&reply), vec![first, second, third]);
    assert_eq!(
        reply.body["metadata"]["pagination"]["nextPage"],
        Value::Null
    );
}

#[tokio::test]
async fn listing_policies_by_name_returns_only_that_policy() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    create_named(&grafana, EU, &numbered("named", 3)).await;
    let wanted = create_ok(&grafana, EU, &minimal_body("wanted")).await;

    let reply = grafana
        .get(&format!("{}&name=wanted", policies_path(EU)))
        .await;

    assert_eq!(items(&reply), vec![wanted]);
    assert_eq!(
        reply.body["metadata"]["pagination"]["nextPage"],
        Value::Null
    );
}

#[tokio::test]
async fn listing_policies_by_an_unknown_name_returns_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    create_named(&grafana, EU, &numbered("named", 2)).await;

    let reply = grafana
        .get(&format!("{}&name=nobody", policies_path(EU)))
        .await;

    assert_eq!(items(&reply), Vec::<Value>::new());
}

#[tokio::test]
async fn listing_policies_by_realm_type() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let stack_realm = |id: &str| json!([{"type": "stack", "identifier": id}]);
    create_ok(&grafana, EU, &minimal_body("org-one")).await;
    create_ok(
        &grafana,
        EU,
        &with(minimal_body("stack-one"), "realms", stack_realm("123")),
    )
    .await;
    create_ok(&grafana, EU, &minimal_body("org-two")).await;
    create_ok(
        &grafana,
        EU,
        &with(minimal_body("stack-two"), "realms", stack_realm("456")),
    )
    .await;

    let stacks = listed_names(&grafana, "region=eu&realmType=stack").await;
    let orgs = listed_names(&grafana, "region=eu&realmType=org").await;

    assert_eq!(stacks, ["stack-one", "stack-two"]);
    assert_eq!(orgs, ["org-one", "org-two"]);
}

#[tokio::test]
async fn listing_policies_by_realm_type_and_identifier() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let realms = |ids: &[&str]| {
        Value::Array(
            ids.iter()
                .map(|id| json!({"type": "stack", "identifier": id}))
                .collect(),
        )
    };
    create_ok(
        &grafana,
        EU,
        &with(minimal_body("stack-123"), "realms", realms(&["123"])),
    )
    .await;
    create_ok(
        &grafana,
        EU,
        &with(minimal_body("stack-456"), "realms", realms(&["456"])),
    )
    .await;
    create_ok(
        &grafana,
        EU,
        &with(
            minimal_body("both-stacks"),
            "realms",
            realms(&["456", "123"]),
        ),
    )
    .await;
    create_ok(&grafana, EU, &minimal_body("org-1")).await;

    let on_123 = listed_names(&grafana, "region=eu&realmType=stack&realmIdentifier=123").await;
    let on_org_1 = listed_names(&grafana, "region=eu&realmType=org&realmIdentifier=1").await;
    let on_org_123 = listed_names(&grafana, "region=eu&realmType=org&realmIdentifier=123").await;

    assert_eq!(on_123, ["stack-123", "both-stacks"]);
    assert_eq!(on_org_1, ["org-1"]);
    assert_eq!(on_org_123, Vec::<String>::new());
}

#[tokio::test]
async fn listing_policies_by_status() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let ids = create_named(&grafana, EU, &numbered("status", 3)).await;
    let deactivated = update(
        &grafana,
        &ids[1],
        EU,
        &with(update_body(), "status", json!("inactive")),
    )
    .await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.raw);

    let inactive = listed_names(&grafana, "region=eu&status=inactive").await;
    let active = listed_names(&grafana, "region=eu&status=active").await;
    let all = listed_names(&grafana, "region=eu").await;

    assert_eq!(inactive, ["status-001"]);
    assert_eq!(active, ["status-000", "status-002"]);
    assert_eq!(all, ["status-000", "status-001", "status-002"]);
}

#[tokio::test]
async fn listing_policies_combines_filters() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let stack = json!([{"type": "stack", "identifier": "456"}]);
    create_ok(
        &grafana,
        EU,
        &with(minimal_body("stack-active"), "realms", stack.clone()),
    )
    .await;
    let body = with(minimal_body("stack-inactive"), "realms", stack);
    deactivate(&grafana, &create_ok(&grafana, EU, &body).await).await;
    deactivate(
        &grafana,
        &create_ok(&grafana, EU, &minimal_body("org-inactive")).await,
    )
    .await;

    let listed = listed_names(&grafana, "region=eu&realmType=stack&status=inactive").await;
    let by_name = listed_names(&grafana, "region=eu&name=stack-active&status=inactive").await;

    assert_eq!(listed, ["stack-inactive"]);
    assert_eq!(by_name, Vec::<String>::new());
}

#[tokio::test]
async fn a_policy_in_eu_is_never_listed_in_us() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let european = create_ok(&grafana, EU, &minimal_body("european")).await;

    let us = listed_names(&grafana, "region=us").await;
    let us_by_name = listed_names(&grafana, "region=us&name=european").await;
    let eu = listed_names(&grafana, "region=eu").await;

    assert_eq!(us, ["mock-bootstrap"]);
    assert_eq!(us_by_name, Vec::<String>::new());
    assert_eq!(eu, ["european"]);
    assert_policy_is(&grafana, EU, &european).await;
}

// ---------------------------------------------------------------------------
// List: 400
// ---------------------------------------------------------------------------

async fn assert_list_rejected(query: &str, needle: &str) {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .get(&format!("/api/v1/accesspolicies?{query}"))
        .await;

    assert_bad_request(&reply, needle);
}

#[tokio::test]
async fn listing_policies_without_region_is_400() {
    assert_list_rejected("", "region").await;
}

#[tokio::test]
async fn listing_policies_in_an_unknown_region_is_400() {
    assert_list_rejected("region=mars", "mars").await;
}

#[tokio::test]
async fn listing_policies_with_page_size_0_is_400() {
    assert_list_rejected("region=eu&pageSize=0", "pageSize").await;
}

#[tokio::test]
async fn listing_policies_with_page_size_501_is_400() {
    assert_list_rejected("region=eu&pageSize=501", "pageSize").await;
}

#[tokio::test]
async fn listing_policies_with_a_non_numeric_page_size_is_400() {
    assert_list_rejected("region=eu&pageSize=abc", "pageSize").await;
}

#[tokio::test]
async fn listing_policies_with_a_negative_page_size_is_400() {
    assert_list_rejected("region=eu&pageSize=-1", "pageSize").await;
}

#[tokio::test]
async fn listing_policies_with_page_size_500_is_200() {
    let server = start_default().await;
    let grafana = bootstrap(&server);

    let reply = grafana
        .get(&format!("{}&pageSize=500", policies_path(EU)))
        .await;

    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["metadata"]["pagination"]["pageSize"], 500);
    assert_eq!(items(&reply), Vec::<Value>::new());
}

#[tokio::test]
async fn listing_policies_with_a_malformed_page_cursor_is_400() {
    assert_list_rejected("region=eu&pageCursor=not-a-cursor!", "pageCursor").await;
}

#[tokio::test]
async fn listing_policies_with_a_cursor_that_is_not_ours_is_400() {
    // Valid base64url ("nope"), but not a cursor this server hands out.
    assert_list_rejected("region=eu&pageCursor=bm9wZQ", "pageCursor").await;
}

#[tokio::test]
async fn listing_policies_with_realm_identifier_without_realm_type_is_400() {
    assert_list_rejected("region=eu&realmIdentifier=123", "realmType").await;
}

#[tokio::test]
async fn listing_policies_with_an_unknown_realm_type_is_400() {
    assert_list_rejected("region=eu&realmType=team", "realmType").await;
}

#[tokio::test]
async fn listing_policies_with_an_unknown_status_is_400() {
    assert_list_rejected("region=eu&status=deleted", "status").await;
}

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

#[tokio::test]
async fn paging_through_seven_policies_two_at_a_time() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let names = numbered("paged", 7);
    let ids = create_named(&grafana, EU, &names).await;

    let mut pages = Vec::new();
    let mut path = format!("{}&pageSize=2", policies_path(EU));
    loop {
        let page = fetch_page(&grafana, &path).await;
        assert_eq!(page.page_size, 2, "every page reports pageSize 2");
        match page.next_page {
            Some(next) => {
                assert_eq!(page.items.len(), 2, "a page before the last is full");
                let params = next_page_params(&next);
                assert_eq!(params.get("region").map(String::as_str), Some(EU));
                assert_eq!(params.get("pageSize").map(String::as_str), Some("2"));
                assert_eq!(params.get("pageCursor"), page.page_cursor.as_ref());
                pages.push(page.items);
                path = api_path(&next);
            }
            None => {
                assert!(page.page_cursor.is_none());
                pages.push(page.items);
                break;
            }
        }
    }

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 2, 1]);
    let seen: Vec<Value> = pages.into_iter().flatten().collect();
    assert_eq!(ids_of(&seen), ids, "every policy once, in creation order");
}

#[tokio::test]
async fn paging_ends_without_an_empty_page_when_the_last_page_is_full() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let ids = create_named(&grafana, EU, &numbered("even", 4)).await;

    let pages = walk(&grafana, &format!("{}&pageSize=2", policies_path(EU)), 2).await;

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2], "the last full page has nextPage null");
    let seen: Vec<Value> = pages.into_iter().flatten().collect();
    assert_eq!(ids_of(&seen), ids);
}

#[tokio::test]
async fn paging_keeps_the_filters_in_next_page() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let stack = json!([{"type": "stack", "identifier": "123"}]);
    let mut stack_ids = Vec::new();
    for i in 0..5 {
        create_ok(&grafana, EU, &minimal_body(&format!("org-{i}"))).await;
        let body = with(minimal_body(&format!("stack-{i}")), "realms", stack.clone());
        stack_ids.push(id_of(&create_ok(&grafana, EU, &body).await));
    }
    // Same realm, other region: never part of the walk.
    create_ok(
        &grafana,
        "au",
        &with(minimal_body("stack-au"), "realms", stack),
    )
    .await;

    let mut path = format!(
        "{}&realmType=stack&realmIdentifier=123&status=active&pageSize=2",
        policies_path(EU)
    );
    let mut seen = Vec::new();
    loop {
        let page = fetch_page(&grafana, &path).await;
        assert_eq!(page.page_size, 2);
        seen.extend(page.items);
        let Some(next) = page.next_page else { break };
        let params = next_page_params(&next);
        for (key, value) in [
            ("region", EU),
            ("realmType", "stack"),
            ("realmIdentifier", "123"),
            ("status", "active"),
            ("pageSize", "2"),
        ] {
            assert_eq!(
                params.get(key).map(String::as_str),
                Some(value),
                "nextPage {next:?} keeps {key}"
            );
        }
        path = api_path(&next);
    }

    assert_eq!(ids_of(&seen), stack_ids);
}

#[tokio::test]
async fn an_empty_page_cursor_is_the_first_page() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let ids = create_named(&grafana, EU, &numbered("cursor", 3)).await;

    let without_cursor = grafana
        .get(&format!("{}&pageSize=2", policies_path(EU)))
        .await;
    let with_empty_cursor = grafana
        .get(&format!("{}&pageSize=2&pageCursor=", policies_path(EU)))
        .await;

    assert_eq!(ids_of(&items(&with_empty_cursor)), ids[..2]);
    assert_eq!(
        with_empty_cursor.body["items"],
        without_cursor.body["items"]
    );
    assert_eq!(
        with_empty_cursor.body["metadata"]["pagination"]["pageCursor"],
        without_cursor.body["metadata"]["pagination"]["pageCursor"]
    );
}

#[tokio::test]
async fn a_page_cursor_stays_valid_after_its_last_policy_is_deleted() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let ids = create_named(&grafana, EU, &numbered("gone", 5)).await;
    let first = fetch_page(&grafana, &format!("{}&pageSize=2", policies_path(EU))).await;
    assert_eq!(ids_of(&first.items), ids[..2]);
    let deleted = grafana.delete(&policy_path(&ids[1], EU)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);

    let second = fetch_page(&grafana, &api_path(&first.next_page.expect("a next page"))).await;

    assert_eq!(ids_of(&second.items), ids[2..4]);
}

#[tokio::test]
async fn paging_while_others_write_returns_every_original_policy_exactly_once() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    // 60 originals, with a deletable extra after every fourth one (so page
    // boundaries fall on originals and extras alike).
    let mut originals = Vec::new();
    let mut extras = Vec::new();
    for i in 0..60 {
        let policy = create_ok(&grafana, EU, &minimal_body(&format!("original-{i:03}"))).await;
        originals.push(id_of(&policy));
        if i % 4 == 1 {
            let extra = create_ok(&grafana, EU, &minimal_body(&format!("extra-{i:03}"))).await;
            extras.push(id_of(&extra));
        }
    }
    let original_set: HashSet<String> = originals.iter().cloned().collect();

    let mut seen: Vec<String> = Vec::new();
    let mut seen_set: HashSet<String> = HashSet::new();
    let mut deleted: HashSet<String> = HashSet::new();
    let mut created_during_walk: Vec<String> = Vec::new();
    let mut path = format!("{}&pageSize=7", policies_path(EU));
    let mut round = 0;
    loop {
        let page = fetch_page(&grafana, &path).await;
        assert_eq!(page.page_size, 7);
        for id in ids_of(&page.items) {
            assert!(!deleted.contains(&id), "deleted policy {id} was listed");
            assert!(seen_set.insert(id.clone()), "policy {id} listed twice");
            seen.push(id);
        }
        let Some(next) = page.next_page else { break };
        path = api_path(&next);

        // Writes between page fetches: two creates, and deletes of one
        // extra not seen yet and one already seen (never an original).
        for k in 0..2 {
            let body = minimal_body(&format!("during-{round:02}-{k}"));
            created_during_walk.push(id_of(&create_ok(&grafana, EU, &body).await));
        }
        // The not-yet-seen one is taken from far ahead of the cursor.
        let not_seen = extras
            .iter()
            .rev()
            .find(|id| !seen_set.contains(*id) && !deleted.contains(*id))
            .cloned();
        let already_seen = extras
            .iter()
            .chain(created_during_walk.iter())
            .find(|id| seen_set.contains(*id) && !deleted.contains(*id))
            .cloned();
        for id in not_seen.into_iter().chain(already_seen) {
            let reply = grafana.delete(&policy_path(&id, EU)).await;
            assert_eq!(reply.status, 204, "{}", reply.raw);
            deleted.insert(id);
        }
        round += 1;
        assert!(round < 100, "the walk does not end");
    }

    let seen_originals: Vec<&String> = seen
        .iter()
        .filter(|id| original_set.contains(*id))
        .collect();
    assert_eq!(
        seen_originals,
        originals.iter().collect::<Vec<_>>(),
        "every original exactly once, in creation order"
    );
    assert!(
        deleted.iter().any(|id| !seen_set.contains(id)),
        "the test deleted policies before the walk reached them"
    );
    // Every other policy that was never deleted was reached too: extras
    // existed throughout, and those created during the walk sort after
    // every page already returned.
    for id in extras.iter().chain(created_during_walk.iter()) {
        assert!(
            deleted.contains(id) || seen_set.contains(id),
            "policy {id} was never deleted but was missed"
        );
    }
}

#[tokio::test]
async fn paging_while_tasks_write_concurrently_returns_every_original_policy_exactly_once() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let originals = create_named(&grafana, EU, &numbered("steady", 60)).await;

    // A writer that keeps creating and deleting its own policies while the
    // reader walks the pages.
    let writer = {
        let grafana = grafana.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..40 {
                let body = minimal_body(&format!("churn-{i:03}"));
                mine.push(id_of(&create_ok(&grafana, EU, &body).await));
                if i % 2 == 1 {
                    let id = mine.remove(0);
                    let reply = grafana.delete(&policy_path(&id, EU)).await;
                    assert_eq!(reply.status, 204, "{}", reply.raw);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut path = format!("{}&pageSize=7", policies_path(EU));
    loop {
        let page = fetch_page(&grafana, &path).await;
        assert_eq!(page.page_size, 7);
        seen.extend(ids_of(&page.items));
        let Some(next) = page.next_page else { break };
        path = api_path(&next);
        tokio::task::yield_now().await;
    }
    writer.await.expect("writer finished");

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no policy listed twice");
    let original_set: HashSet<&String> = originals.iter().collect();
    let seen_originals: Vec<&String> = seen.iter().filter(|id| original_set.contains(id)).collect();
    assert_eq!(seen_originals, originals.iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_typed_list_parameter_sent_empty_is_400_and_free_text_is_no_filter() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    for (path, name) in [
        ("/api/v1/accesspolicies?region=us&status=", "status"),
        ("/api/v1/accesspolicies?region=us&realmType=", "realmType"),
        ("/api/v1/accesspolicies?region=us&pageSize=", "pageSize"),
        ("/api/v1/accesspolicies?region=us&orgId=", "orgId"),
        (
            "/api/v1/tokens?region=us&accessPolicyStatus=",
            "accessPolicyStatus",
        ),
        ("/api/v1/tokens?region=us&includeExpired=", "includeExpired"),
        ("/api/v1/tokens?region=us&expiresBefore=", "expiresBefore"),
        ("/api/v1/tokens?region=us&accessPolicyId=", "accessPolicyId"),
    ] {
        let reply = grafana.get(path).await;
        assert_grafana_error(&reply, 400, "BadRequest", name);
    }
    let everything = grafana.get("/api/v1/accesspolicies?region=us").await;
    let unfiltered = grafana.get("/api/v1/accesspolicies?region=us&name=").await;
    assert_eq!(everything.status, 200, "{}", everything.raw);
    spec::assert_access_policy_list(&everything.body);
    assert_eq!(unfiltered.body, everything.body);
    let stacks = grafana.get("/api/orgs/mockorg/instances?id=").await;
    assert_grafana_error(&stacks, 409, "Conflict", "id");
}

// ---------------------------------------------------------------------------
// Attributes (`AuthAccessPolicy.attributes`)
// ---------------------------------------------------------------------------

/// Every member Grafana's published spec gives `attributes`, each with a
/// value of its type.
fn full_attributes() -> Value {
    json!({
        "lokiQueryPolicy": {
            "queryTimeout": "10s",
            "maxEntriesLimitPerQuery": 20,
            "maxQueryLookback": "30d",
            "maxQueryLength": "7d",
            "maxQueryInterval": "1h30m",
            "maxQueryTime": "2w",
            "maxQueryBytesRead": "500MB",
            "minimumLabelsNumber": 2,
            "requiredLabels": ["app", "namespace"]
        },
        "pdcConfiguration": {"limitedHosts": ["mysql.example.com:3306"]},
        "allowedScopes": ["metrics:read", "logs:read"],
        "allowedAudiences": ["https://example.com"]
    })
}

/// The types Grafana's published spec gives the members of `attributes`
/// in an `AuthAccessPolicy` response: `lokiQueryPolicy` is an object whose
/// durations (`queryTimeout`, `maxQueryLookback`, `maxQueryLength`, …) are
/// strings and whose `maxEntriesLimitPerQuery` / `minimumLabelsNumber` are
/// integers, `requiredLabels` a list of strings; `pdcConfiguration` an
/// object whose `limitedHosts` is a list of strings; `allowedScopes` and
/// `allowedAudiences` lists of strings. None of them is required.
fn assert_attributes_typed(attributes: &Value) {
    let object = attributes
        .as_object()
        .unwrap_or_else(|| panic!("attributes is an object: {attributes}"));
    let strings = |value: &Value, what: &str| {
        let list = value
            .as_array()
            .unwrap_or_else(|| panic!("{what} is an array: {value}"));
        assert!(list.iter().all(Value::is_string), "{what}: {value}");
    };
    for (member, value) in object {
        match member.as_str() {
            "lokiQueryPolicy" => {
                for (field, v) in value.as_object().expect("lokiQueryPolicy is an object") {
                    match field.as_str() {
                        "queryTimeout" | "maxQueryLookback" | "maxQueryLength"
                        | "maxQueryInterval" | "maxQueryTime" | "maxQueryBytesRead" => {
                            assert!(v.is_string(), "{field}: {v}")
                        }
                        "maxEntriesLimitPerQuery" | "minimumLabelsNumber" => {
                            assert!(v.is_i64() || v.is_u64(), "{field} is an integer: {v}")
                        }
                        "requiredLabels" => strings(v, field),
                        other => panic!("lokiQueryPolicy has no member {other:?}"),
                    }
                }
            }
            "pdcConfiguration" => {
                for (field, v) in value.as_object().expect("pdcConfiguration is an object") {
                    assert_eq!(field, "limitedHosts");
                    strings(v, field);
                }
            }
            "allowedScopes" | "allowedAudiences" => strings(value, member),
            other => panic!("attributes has no member {other:?}"),
        }
    }
}

/// What Grafana's published spec says of an `AuthAccessPolicy` response:
/// `name`, `scopes` and `realms` are required; `id` is a UUID string,
/// `orgId`, `displayName` and `status` strings, `createdAt` / `updatedAt`
/// date-time strings, `scopes` a list of strings, each realm an object
/// with string `type` and `identifier` and a `labelPolicies` list of
/// objects with a string `selector`; `conditions.allowedSubnets` a list of
/// strings; `attributes` as [`assert_attributes_typed`] says.
fn assert_policy_typed(policy: &Value) {
    for required in ["name", "scopes", "realms"] {
        assert!(
            policy.get(required).is_some(),
            "{required} is required: {policy}"
        );
    }
    assert_uuid(&policy["id"]);
    for field in ["orgId", "name", "displayName", "status"] {
        assert!(policy[field].is_string(), "{field} is a string: {policy}");
    }
    assert_grafana_timestamp(&policy["createdAt"]);
    assert_grafana_timestamp(&policy["updatedAt"]);
    let scopes = policy["scopes"].as_array().expect("scopes is an array");
    assert!(scopes.iter().all(Value::is_string), "{policy}");
    for realm in policy["realms"].as_array().expect("realms is an array") {
        assert!(
            realm["type"].is_string() && realm["identifier"].is_string(),
            "{realm}"
        );
        for label_policy in realm["labelPolicies"].as_array().expect("labelPolicies") {
            assert!(label_policy["selector"].is_string(), "{label_policy}");
        }
    }
    if let Some(conditions) = policy.get("conditions") {
        let subnets = conditions["allowedSubnets"]
            .as_array()
            .expect("allowedSubnets");
        assert!(subnets.iter().all(Value::is_string), "{conditions}");
    }
    if let Some(attributes) = policy.get("attributes") {
        assert_attributes_typed(attributes);
    }
}

/// The policy as `GET`, and as an item of the region's list (whose
/// envelope the spec requires to hold `items` and
/// `metadata.pagination.pageSize`, a number).
async fn read_both_ways(grafana: &Grafana, id: &str) -> (Value, Value) {
    let got = get_policy(grafana, id, EU).await;
    assert_eq!(got.status, 200, "{}", got.raw);
    let list = grafana.get(&policies_path(EU)).await;
    assert!(
        list.body["metadata"]["pagination"]["pageSize"].is_number(),
        "{}",
        list.raw
    );
    let listed = items(&list)
        .into_iter()
        .find(|p| id_of(p) == id)
        .expect("the policy is listed");
    (got.body, listed)
}

#[tokio::test]
async fn attributes_round_trip_through_create_get_list_and_update() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let attributes = full_attributes();
    let body = with(
        minimal_body("loki-limited"),
        "attributes",
        attributes.clone(),
    );
    let created = create_ok(&grafana, EU, &body).await;
    assert_eq!(created["attributes"], attributes, "create answers them");
    assert_attributes_typed(&created["attributes"]);
    assert_policy_typed(&created);
    let id = id_of(&created);
    let (got, listed) = read_both_ways(&grafana, &id).await;
    assert_policy_typed(&got);
    assert_policy_typed(&listed);
    assert_eq!(got, created, "get shows what create answered");
    assert_eq!(listed, created, "the list shows it too");

    // An update that leaves attributes out keeps them.
    let kept = update(
        &grafana,
        &id,
        EU,
        &with(update_body(), "displayName", json!("x")),
    )
    .await;
    assert_eq!(kept.status, 200, "{}", kept.raw);
    assert_eq!(kept.body["attributes"], attributes);
    assert_policy_typed(&kept.body);
    assert_eq!(
        read_both_ways(&grafana, &id).await.0["attributes"],
        attributes
    );

    // An update that sends them replaces them whole.
    let narrower = json!({"lokiQueryPolicy": {"queryTimeout": "1m"}});
    let replaced = update(
        &grafana,
        &id,
        EU,
        &with(update_body(), "attributes", narrower.clone()),
    )
    .await;
    assert_eq!(replaced.status, 200, "{}", replaced.raw);
    assert_eq!(replaced.body["attributes"], narrower);
    let (got, listed) = read_both_ways(&grafana, &id).await;
    assert_eq!(
        (&got["attributes"], &listed["attributes"]),
        (&narrower, &narrower)
    );

    // `null` and `{}` both clear them, as with conditions.
    for clear in [Value::Null, json!({})] {
        let set = update(
            &grafana,
            &id,
            EU,
            &with(update_body(), "attributes", attributes.clone()),
        )
        .await;
        assert_eq!(set.body["attributes"], attributes, "{}", set.raw);
        let cleared = update(
            &grafana,
            &id,
            EU,
            &with(update_body(), "attributes", clear.clone()),
        )
        .await;
        assert_eq!(cleared.status, 200, "{}", cleared.raw);
        assert!(
            cleared.body.get("attributes").is_none(),
            "{clear}: {}",
            cleared.raw
        );
        let (got, listed) = read_both_ways(&grafana, &id).await;
        assert!(got.get("attributes").is_none(), "{clear}: {got}");
        assert!(listed.get("attributes").is_none(), "{clear}: {listed}");
    }
}

#[tokio::test]
async fn attributes_with_nothing_set_are_no_attributes() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    for (i, attributes) in [
        Value::Null,
        json!({}),
        json!({"lokiQueryPolicy": {}}),
        json!({"lokiQueryPolicy": {"queryTimeout": null}, "pdcConfiguration": {"limitedHosts": null}}),
    ]
    .into_iter()
    .enumerate()
    {
        let body = with(minimal_body(&format!("empty-{i}")), "attributes", attributes.clone());
        let created = create_ok(&grafana, EU, &body).await;
        assert!(created.get("attributes").is_none(), "{attributes}: {created}");
    }
    // A member sent as null is not set; the others are kept.
    let body = with(
        minimal_body("partly-null"),
        "attributes",
        json!({"lokiQueryPolicy": {"queryTimeout": "5m", "maxQueryLength": null}}),
    );
    let created = create_ok(&grafana, EU, &body).await;
    assert_eq!(
        created["attributes"],
        json!({"lokiQueryPolicy": {"queryTimeout": "5m"}})
    );
}

#[tokio::test]
async fn prometheus_durations_and_byte_sizes_are_accepted() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    for (i, duration) in [
        "0",
        "10s",
        "2w",
        "5h",
        "1y2w3d4h5m6s7ms",
        "1h30m",
        "500ms",
        "90m",
    ]
    .into_iter()
    .enumerate()
    {
        let bytes = ["1024", "500MB", "1.5GiB", "10 kb"][i % 4];
        let attributes =
            json!({"lokiQueryPolicy": {"queryTimeout": duration, "maxQueryBytesRead": bytes}});
        let body = with(
            minimal_body(&format!("d{i}")),
            "attributes",
            attributes.clone(),
        );
        let created = create_ok(&grafana, EU, &body).await;
        assert_eq!(created["attributes"], attributes);
    }
}

#[tokio::test]
async fn attributes_of_the_wrong_type_are_400_and_change_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let loki = |field: &str, value: Value| json!({"lokiQueryPolicy": {field: value}});
    let cases = [
        (json!("10s"), "attributes"),
        (json!([]), "attributes"),
        (loki("queryTimeout", json!(10)), "queryTimeout"),
        (loki("queryTimeout", json!("10 seconds")), "queryTimeout"),
        (loki("queryTimeout", json!("")), "queryTimeout"),
        (loki("maxQueryLookback", json!("1h1h")), "maxQueryLookback"),
        (loki("maxQueryLength", json!("5m1h")), "maxQueryLength"),
        (loki("maxQueryLength", json!("7")), "maxQueryLength"),
        (loki("maxQueryInterval", json!("1.5h")), "maxQueryInterval"),
        (loki("maxQueryTime", json!(true)), "maxQueryTime"),
        (
            loki("maxEntriesLimitPerQuery", json!("20")),
            "maxEntriesLimitPerQuery",
        ),
        (
            loki("maxEntriesLimitPerQuery", json!(20.5)),
            "maxEntriesLimitPerQuery",
        ),
        (
            loki("maxEntriesLimitPerQuery", json!(-1)),
            "maxEntriesLimitPerQuery",
        ),
        (
            loki("minimumLabelsNumber", json!("2")),
            "minimumLabelsNumber",
        ),
        (
            loki("maxQueryBytesRead", json!("lots")),
            "maxQueryBytesRead",
        ),
        (loki("maxQueryBytesRead", json!(1024)), "maxQueryBytesRead"),
        (loki("requiredLabels", json!("app")), "requiredLabels"),
        (loki("requiredLabels", json!(["1app"])), "requiredLabels"),
        (loki("noSuchLimit", json!("1s")), "noSuchLimit"),
        (json!({"lokiQueryPolicy": "10s"}), "lokiQueryPolicy"),
        (
            json!({"pdcConfiguration": {"limitedHosts": "db:5432"}}),
            "limitedHosts",
        ),
        (
            json!({"pdcConfiguration": {"limitedHosts": ["two words"]}}),
            "limitedHosts",
        ),
        (json!({"pdcConfiguration": {"hosts": []}}), "hosts"),
        (json!({"allowedScopes": ["not a scope"]}), "allowedScopes"),
        (json!({"allowedAudiences": [""]}), "allowedAudiences"),
        (json!({"somethingElse": {}}), "somethingElse"),
    ];
    let policy = create_ok(
        &grafana,
        EU,
        &with(minimal_body("target"), "attributes", full_attributes()),
    )
    .await;
    let id = id_of(&policy);
    for (i, (attributes, needle)) in cases.into_iter().enumerate() {
        let body = with(
            minimal_body(&format!("bad-{i}")),
            "attributes",
            attributes.clone(),
        );
        let reply = create(&grafana, EU, &body).await;
        assert_bad_request(&reply, needle);
        let reply = update(
            &grafana,
            &id,
            EU,
            &with(update_body(), "attributes", attributes),
        )
        .await;
        assert_bad_request(&reply, needle);
    }
    assert_region_lists(&grafana, EU, &["target"]).await;
    assert_policy_is(&grafana, EU, &policy).await;
}

#[tokio::test]
async fn a_scenario_policy_brings_its_attributes() {
    let attributes =
        json!({"lokiQueryPolicy": {"queryTimeout": "30s", "maxEntriesLimitPerQuery": 100}});
    let scenario = |attributes: Value| {
        json!({
            "name": "attributes",
            "grafana": {
                "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
                "orgs": [{"id": 1, "slug": "one", "name": "One", "access_policies": [{
                    "name": "admin", "region": "us", "scopes": ["accesspolicies:read"],
                    "attributes": attributes,
                    "tokens": [{"name": "admin-token", "token": "one-token"}]
                }]}]
            }
        })
    };
    let server = start_scenario(scenario(attributes.clone())).await;
    let grafana = Grafana::new(&server, "one-token");
    let list = grafana.get(&policies_path("us")).await;
    assert_eq!(items(&list)[0]["attributes"], attributes, "{}", list.raw);
    for bad in [
        json!({"lokiQueryPolicy": {"queryTimeout": 30}}),
        json!({"lokiQueryPolicy": {"queryTimeout": "thirty seconds"}}),
        json!({"rateLimit": 5}),
    ] {
        // Types are checked when the file is read, values when the world is built.
        let error = match mockcloud::Scenario::from_json_value(scenario(bad.clone())) {
            Err(error) => error.to_string(),
            Ok(parsed) => {
                let config = mockcloud::Config::default().with_scenario(parsed);
                match MockCloud::start(config).await {
                    Err(error) => error.to_string(),
                    Ok(_) => panic!("{bad}: a bad scenario does not load"),
                }
            }
        };
        assert!(error.contains("attributes"), "{bad}: {error}");
    }
}
