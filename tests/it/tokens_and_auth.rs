//! Grafana Cloud access-policy tokens (`/api/v1/tokens`) and how a bearer
//! token authenticates and authorizes a request, as the vendor docs
//! ("Authentication", "Access policies and tokens") describe them.

use crate::common::grafana_spec as spec;
use crate::common::*;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use mockcloud::MockCloud;
use serde_json::{Value, json};

/// The region the tests create their tokens in: the default scenario has no
/// tokens there, so lists start empty.
const EU: &str = "eu";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Grafana's timestamp format: `2022-06-08T22:05:46.959Z`.
fn grafana_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn assert_grafana_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("timestamp expected, got {value}"));
    assert_eq!(text.len(), 24, "timestamp {text:?}");
    assert!(
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3fZ").is_ok(),
        "timestamp {text:?} is not like 2022-06-08T22:05:46.959Z"
    );
}

fn str_of(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} expected in {value}"))
        .to_string()
}

fn id_of(value: &Value) -> String {
    str_of(value, "id")
}

/// The `field` of every item of a list reply (tokens or policies), in
/// order; the list checked against the spec. The two lists share the
/// envelope; an item with `accessPolicyId` is a token, any other a policy
/// (a token missing it fails the policy check).
fn item_fields(reply: &Reply, field: &str) -> Vec<String> {
    assert_eq!(reply.status, 200, "list: {}", reply.raw);
    spec::assert_cursor_list(&reply.body, |item| {
        if item.get("accessPolicyId").is_some() {
            spec::assert_token(item);
        } else {
            spec::assert_access_policy(item);
        }
    });
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items expected: {}", reply.raw))
        .iter()
        .map(|item| str_of(item, field))
        .collect()
}

fn item_names(reply: &Reply) -> Vec<String> {
    item_fields(reply, "name")
}

/// A server whose clock stands still until a test moves it.
async fn frozen_default() -> MockCloud {
    let server = start_default().await;
    server.clock().freeze(None);
    server
}

fn bootstrap(server: &MockCloud) -> Grafana {
    Grafana::new(server, BOOTSTRAP_TOKEN)
}

/// Creates a policy from a full body; panics unless 200.
async fn policy_with(grafana: &Grafana, region: &str, body: Value) -> Value {
    let reply = grafana
        .post(&format!("/api/v1/accesspolicies?region={region}"), &body)
        .await;
    assert_eq!(reply.status, 200, "create policy: {}", reply.raw);
    spec::assert_access_policy(&reply.body);
    reply.body
}

/// Creates a token from a full body; panics unless 200.
async fn token_with(grafana: &Grafana, region: &str, body: Value) -> Value {
    let reply = grafana
        .post(&format!("/api/v1/tokens?region={region}"), &body)
        .await;
    assert_eq!(reply.status, 200, "create token: {}", reply.raw);
    spec::assert_token_with_secret(&reply.body);
    reply.body
}

/// A policy with `scopes` in EU and one token for it; returns (policy, token).
async fn policy_and_token(grafana: &Grafana, name: &str, scopes: &[&str]) -> (Value, Value) {
    let policy = grafana.create_policy(EU, name, scopes).await;
    let token = grafana
        .create_token(EU, &id_of(&policy), &format!("{name}-token"))
        .await;
    (policy, token)
}

/// A client that authenticates with the token's secret.
fn as_token(server: &MockCloud, token: &Value) -> Grafana {
    Grafana::new(server, &str_of(token, "token"))
}

/// Sets a policy's status; scopes and realms are required on update.
async fn set_policy_status(grafana: &Grafana, region: &str, policy: &Value, status: &str) {
    let reply = grafana
        .post(
            &format!("/api/v1/accesspolicies/{}?region={region}", id_of(policy)),
            &json!({"scopes": policy["scopes"], "realms": policy["realms"], "status": status}),
        )
        .await;
    assert_eq!(reply.status, 200, "update policy: {}", reply.raw);
    spec::assert_access_policy(&reply.body);
    assert_eq!(reply.body["status"], status);
    let after = grafana
        .get(&format!(
            "/api/v1/accesspolicies/{}?region={region}",
            id_of(policy)
        ))
        .await;
    assert_eq!(after.body["status"], status, "{}", after.raw);
    spec::assert_access_policy(&after.body);
}

/// GET with an arbitrary (or no) Authorization header.
async fn get_with_authorization(server: &MockCloud, header: Option<&str>, path: &str) -> Reply {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base_url()));
    if let Some(value) = header {
        request = request.header("authorization", value);
    }
    into_reply(request.send().await.expect("request sent")).await
}

/// A token answer (get or update); a 200 carries the spec's token fields.
fn token_answer(reply: Reply) -> Reply {
    if reply.status == 200 {
        spec::assert_token(&reply.body);
    }
    reply
}

fn token_path(token: &Value, region: &str) -> String {
    format!("/api/v1/tokens/{}?region={region}", id_of(token))
}

async fn eu_token_names(grafana: &Grafana) -> Vec<String> {
    item_names(&grafana.get("/api/v1/tokens?region=eu").await)
}

// ---------------------------------------------------------------------------
// Create a token
// ---------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_token_returns_it_with_a_glc_secret() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&policy), "name": "mytoken"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_token_with_secret(&reply.body);
    let token = &reply.body;
    assert!(uuid::Uuid::parse_str(&id_of(token)).is_ok(), "{token}");
    assert_eq!(token["accessPolicyId"], policy["id"]);
    assert_eq!(token["name"], "mytoken");
    assert_eq!(
        token["displayName"], "mytoken",
        "displayName defaults to name"
    );
    assert!(
        str_of(token, "token").starts_with("glc_"),
        "secret {}",
        token["token"]
    );
    let now = grafana_time(server.clock().now());
    assert_grafana_timestamp(&token["createdAt"]);
    assert_eq!(token["createdAt"], now.as_str());
    assert_eq!(token["updatedAt"], now.as_str());
    assert!(token.get("expiresAt").is_none(), "no expiry asked: {token}");

    let stored = token_answer(grafana.get(&token_path(token, EU)).await);
    assert_eq!(stored.status, 200, "{}", stored.raw);
    assert_eq!(stored.body["id"], token["id"]);
    assert_eq!(stored.body["name"], "mytoken");
}

#[tokio::test]
async fn a_token_takes_its_display_name_and_expiry_and_echoes_them_in_grafana_format() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::days(7));
    let token = token_with(
        &grafana,
        EU,
        json!({
            "accessPolicyId": id_of(&policy),
            "name": "mytoken",
            "displayName": "My Token",
            "expiresAt": expires
        }),
    )
    .await;
    assert_eq!(token["displayName"], "My Token");
    assert_eq!(token["expiresAt"], expires.as_str());
    assert_grafana_timestamp(&token["expiresAt"]);

    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.status, 200, "{}", stored.raw);
    assert_eq!(stored.body["displayName"], "My Token");
    assert_eq!(stored.body["expiresAt"], expires.as_str());
}

#[tokio::test]
async fn an_expiry_with_an_offset_is_shown_back_in_utc() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let at = server.clock().now() + Duration::days(1);
    let with_offset = at
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    assert!(with_offset.ends_with("+02:00"));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "offset", "expiresAt": with_offset}),
    )
    .await;
    assert_eq!(token["expiresAt"], grafana_time(at).as_str());
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["expiresAt"], grafana_time(at).as_str());
}

#[tokio::test]
async fn list_and_get_never_show_the_secret() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let secret = str_of(&token, "token");

    let listed = grafana.get("/api/v1/tokens?region=eu").await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(item_names(&listed), vec!["readers-token"]);
    assert!(
        listed.body["items"][0].get("token").is_none(),
        "{}",
        listed.raw
    );
    assert!(!listed.raw.contains(&secret), "list leaks the secret");

    let got = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(got.status, 200, "{}", got.raw);
    assert_eq!(got.body["id"], token["id"]);
    assert!(got.body.get("token").is_none(), "{}", got.raw);
    assert!(!got.raw.contains(&secret), "get leaks the secret");
}

#[tokio::test]
async fn every_token_gets_its_own_secret() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let one = grafana.create_token(EU, &id_of(&policy), "one").await;
    let two = grafana.create_token(EU, &id_of(&policy), "two").await;
    assert_ne!(one["token"], two["token"]);
    assert_ne!(one["id"], two["id"]);
    assert_eq!(eu_token_names(&grafana).await, vec!["one", "two"]);
}

// ---------------------------------------------------------------------------
// Create: 400s and 409
// ---------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_token_without_a_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let reply = grafana
        .post(
            "/api/v1/tokens",
            &json!({"accessPolicyId": id_of(&policy), "name": "noregion"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "region");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn creating_a_token_in_an_unknown_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let reply = grafana
        .post(
            "/api/v1/tokens?region=mars",
            &json!({"accessPolicyId": id_of(&policy), "name": "martian"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "mars");
    let list = grafana.get("/api/v1/tokens?region=mars").await;
    assert_grafana_error(&list, 400, "BadRequest", "region");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn a_token_name_outside_lowercase_digits_hyphens_underscores_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    for bad in ["MyToken", "my token", "", "tök", &"a".repeat(256)] {
        let reply = grafana
            .post(
                "/api/v1/tokens?region=eu",
                &json!({"accessPolicyId": id_of(&policy), "name": bad}),
            )
            .await;
        assert_grafana_error(&reply, 400, "BadRequest", "name");
    }
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn a_token_without_an_access_policy_id_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .post("/api/v1/tokens?region=eu", &json!({"name": "orphan"}))
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyId");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn an_access_policy_id_that_is_not_a_uuid_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": "not-a-uuid", "name": "orphan"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyId");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn an_access_policy_that_does_not_exist_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "short-lived", &["metrics:read"])
        .await;
    let deleted = grafana
        .delete(&format!(
            "/api/v1/accesspolicies/{}?region=eu",
            id_of(&policy)
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&policy), "name": "orphan"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", &id_of(&policy));
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn an_access_policy_of_another_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let us_policy = grafana
        .create_policy("us", "us-readers", &["metrics:read"])
        .await;
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&us_policy), "name": "crossing"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyId");
    assert!(eu_token_names(&grafana).await.is_empty());
    let us = grafana.get("/api/v1/tokens?region=us&name=crossing").await;
    assert!(item_names(&us).is_empty());
}

#[tokio::test]
async fn an_expiry_in_the_past_of_the_server_clock_is_400() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    // In the future by the wall clock, in the past by the server's.
    let expires = grafana_time(server.clock().now() + Duration::hours(1));
    server.clock().advance(Duration::hours(2));
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&policy), "name": "stale", "expiresAt": expires}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "expiresAt");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn an_expiry_that_is_not_a_date_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    for bad in [json!("tomorrow"), json!("2030-13-45"), json!(12345)] {
        let reply = grafana
            .post(
                "/api/v1/tokens?region=eu",
                &json!({"accessPolicyId": id_of(&policy), "name": "when", "expiresAt": bad}),
            )
            .await;
        assert_grafana_error(&reply, 400, "BadRequest", "expiresAt");
    }
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .send_raw("POST", "/api/v1/tokens?region=eu", "{not json".to_string())
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "JSON");
    let empty = grafana
        .send_raw("POST", "/api/v1/tokens?region=eu", String::new())
        .await;
    assert_grafana_error(&empty, 400, "BadRequest", "body");
    assert!(eu_token_names(&grafana).await.is_empty());
}

#[tokio::test]
async fn a_duplicate_token_name_in_the_same_org_and_region_is_409() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let one = grafana.create_policy(EU, "one", &["metrics:read"]).await;
    let two = grafana.create_policy(EU, "two", &["metrics:read"]).await;
    let first = grafana.create_token(EU, &id_of(&one), "shared").await;
    // Even under another policy: names are unique per (org, region).
    let reply = grafana
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&two), "name": "shared"}),
        )
        .await;
    assert_grafana_error(&reply, 409, "Conflict", "shared");
    let listed = grafana.get("/api/v1/tokens?region=eu&name=shared").await;
    assert_eq!(item_fields(&listed, "id"), vec![id_of(&first)]);
    assert_eq!(listed.body["items"][0]["accessPolicyId"], one["id"]);
}

#[tokio::test]
async fn the_same_token_name_may_be_used_in_another_region() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let eu = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let us = grafana
        .create_policy("us", "readers", &["metrics:read"])
        .await;
    let in_eu = grafana.create_token(EU, &id_of(&eu), "twin").await;
    let in_us = grafana.create_token("us", &id_of(&us), "twin").await;
    assert_ne!(in_eu["id"], in_us["id"]);
    let eu_list = grafana.get("/api/v1/tokens?region=eu&name=twin").await;
    assert_eq!(item_fields(&eu_list, "id"), vec![id_of(&in_eu)]);
    let us_list = grafana.get("/api/v1/tokens?region=us&name=twin").await;
    assert_eq!(item_fields(&us_list, "id"), vec![id_of(&in_us)]);
}

#[tokio::test]
async fn a_deleted_tokens_name_can_be_used_again() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let deleted = grafana.delete(&token_path(&token, EU)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);
    let again = grafana
        .create_token(EU, &id_of(&policy), "readers-token")
        .await;
    assert_ne!(again["id"], token["id"]);
    assert_eq!(eu_token_names(&grafana).await, vec!["readers-token"]);
}

// ---------------------------------------------------------------------------
// Get: 400 and 404
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_token_id_that_is_not_a_uuid_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let path = "/api/v1/tokens/not-a-uuid?region=eu";
    assert_grafana_error(&grafana.get(path).await, 400, "BadRequest", "tokenId");
    let update = grafana.post(path, &json!({"displayName": "x"})).await;
    assert_grafana_error(&update, 400, "BadRequest", "tokenId");
    assert_grafana_error(&grafana.delete(path).await, 400, "BadRequest", "tokenId");
}

#[tokio::test]
async fn an_unknown_token_id_is_404() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let unknown = uuid::Uuid::new_v4();
    let path = format!("/api/v1/tokens/{unknown}?region=eu");
    let get = grafana.get(&path).await;
    assert_grafana_error(&get, 404, "NotFound", &unknown.to_string());
    let update = grafana.post(&path, &json!({"displayName": "x"})).await;
    assert_grafana_error(&update, 404, "NotFound", &unknown.to_string());
    let delete = grafana.delete(&path).await;
    assert_grafana_error(&delete, 404, "NotFound", &unknown.to_string());
}

#[tokio::test]
async fn a_token_is_404_when_asked_for_in_another_region() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let reply = token_answer(grafana.get(&token_path(&token, "us")).await);
    assert_grafana_error(&reply, 404, "NotFound", &id_of(&token));
    let delete = grafana.delete(&token_path(&token, "us")).await;
    assert_grafana_error(&delete, 404, "NotFound", &id_of(&token));
    let still = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(still.status, 200, "{}", still.raw);
}

#[tokio::test]
async fn getting_a_token_without_a_region_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let reply = grafana
        .get(&format!("/api/v1/tokens/{}", id_of(&token)))
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "region");
    let list = grafana.get("/api/v1/tokens").await;
    assert_grafana_error(&list, 400, "BadRequest", "region");
}

// ---------------------------------------------------------------------------
// Update a token
// ---------------------------------------------------------------------------

#[tokio::test]
async fn updating_the_display_name_changes_it_and_moves_updated_at_only() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let created_at = token["createdAt"].clone();
    server.clock().advance(Duration::minutes(5));
    let later = grafana_time(server.clock().now());

    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"displayName": "My token"}))
            .await,
    );
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["displayName"], "My token");
    assert_eq!(reply.body["name"], "readers-token", "the name stays");
    assert_eq!(reply.body["createdAt"], created_at);
    assert_eq!(reply.body["updatedAt"], later.as_str());
    assert!(reply.body.get("token").is_none(), "{}", reply.raw);

    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["displayName"], "My token");
    assert_eq!(stored.body["createdAt"], created_at);
    assert_eq!(stored.body["updatedAt"], later.as_str());
}

#[tokio::test]
async fn updating_sets_an_expiry() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    assert!(token.get("expiresAt").is_none());
    let expires = grafana_time(server.clock().now() + Duration::days(30));
    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"expiresAt": expires}))
            .await,
    );
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["expiresAt"], expires.as_str());
    assert_eq!(
        reply.body["displayName"], "readers-token",
        "displayName kept"
    );
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["expiresAt"], expires.as_str());
}

#[tokio::test]
async fn updating_expires_at_to_null_removes_the_expiry() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["accesspolicies:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::days(1));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "mortal", "expiresAt": expires}),
    )
    .await;
    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"expiresAt": null}))
            .await,
    );
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(reply.body.get("expiresAt").is_none(), "{}", reply.raw);
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.status, 200);
    assert!(stored.body.get("expiresAt").is_none(), "{}", stored.raw);
    // It now outlives its old expiry.
    server.clock().advance(Duration::days(2));
    let used = as_token(&server, &token)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_eq!(item_names(&used), vec!["mortal"]);
}

#[tokio::test]
async fn an_update_without_expires_at_keeps_the_expiry() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::days(1));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "mortal", "expiresAt": expires}),
    )
    .await;
    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"displayName": "Renamed"}))
            .await,
    );
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["expiresAt"], expires.as_str());
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["expiresAt"], expires.as_str());
    assert_eq!(stored.body["displayName"], "Renamed");
}

#[tokio::test]
async fn an_update_with_a_past_expiry_is_400_and_changes_nothing() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let before = token_answer(grafana.get(&token_path(&token, EU)).await).body;
    server.clock().advance(Duration::minutes(1));
    let past = grafana_time(server.clock().now() - Duration::seconds(1));
    let reply = token_answer(
        grafana
            .post(
                &token_path(&token, EU),
                &json!({"displayName": "Should not stick", "expiresAt": past}),
            )
            .await,
    );
    assert_grafana_error(&reply, 400, "BadRequest", "expiresAt");
    let after = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(after.status, 200);
    assert_eq!(after.body, before, "nothing changed");
}

#[tokio::test]
async fn an_update_with_an_empty_display_name_is_400_and_changes_nothing() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let before = token_answer(grafana.get(&token_path(&token, EU)).await).body;
    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"displayName": ""}))
            .await,
    );
    assert_grafana_error(&reply, 400, "BadRequest", "displayName");
    let after = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(after.body, before);
}

// ---------------------------------------------------------------------------
// Delete a token
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deleting_a_token_is_204_with_an_empty_body_and_then_404() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let reply = grafana.delete(&token_path(&token, EU)).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.raw, "");
    let after = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_grafana_error(&after, 404, "NotFound", &id_of(&token));
    assert!(eu_token_names(&grafana).await.is_empty());
    let again = grafana.delete(&token_path(&token, EU)).await;
    assert_grafana_error(&again, 404, "NotFound", &id_of(&token));
}

#[tokio::test]
async fn a_deleted_tokens_secret_is_401() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let user = as_token(&server, &token);
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);
    let deleted = grafana.delete(&token_path(&token, EU)).await;
    assert_eq!(deleted.status, 204);
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Invalid credentials");
}

#[tokio::test]
async fn deleting_a_policy_deletes_its_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let deleted = grafana
        .delete(&format!(
            "/api/v1/accesspolicies/{}?region=eu",
            id_of(&policy)
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);
    let got = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_grafana_error(&got, 404, "NotFound", &id_of(&token));
    assert!(eu_token_names(&grafana).await.is_empty());
    let used = as_token(&server, &token)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_grafana_error(&used, 401, "InvalidCredentials", "Invalid credentials");
}

// ---------------------------------------------------------------------------
// List filters and pagination
// ---------------------------------------------------------------------------

#[tokio::test]
async fn listing_by_access_policy_id_shows_that_policys_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let a = grafana.create_policy(EU, "a", &["metrics:read"]).await;
    let b = grafana.create_policy(EU, "b", &["metrics:read"]).await;
    grafana.create_token(EU, &id_of(&a), "a-1").await;
    grafana.create_token(EU, &id_of(&b), "b-1").await;
    grafana.create_token(EU, &id_of(&a), "a-2").await;
    let reply = grafana
        .get(&format!(
            "/api/v1/tokens?region=eu&accessPolicyId={}",
            id_of(&a)
        ))
        .await;
    assert_eq!(item_names(&reply), vec!["a-1", "a-2"]);
    assert!(
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["accessPolicyId"] == a["id"])
    );
    let unknown = grafana
        .get(&format!(
            "/api/v1/tokens?region=eu&accessPolicyId={}",
            uuid::Uuid::new_v4()
        ))
        .await;
    assert!(item_names(&unknown).is_empty());
}

#[tokio::test]
async fn listing_by_access_policy_name_shows_that_policys_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let a = grafana.create_policy(EU, "alpha", &["metrics:read"]).await;
    let b = grafana.create_policy(EU, "bravo", &["metrics:read"]).await;
    grafana.create_token(EU, &id_of(&a), "a-1").await;
    grafana.create_token(EU, &id_of(&b), "b-1").await;
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyName=bravo")
        .await;
    assert_eq!(item_names(&reply), vec!["b-1"]);
    let none = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyName=charlie")
        .await;
    assert!(item_names(&none).is_empty());
}

/// Three policies with one token each: an org realm, stack 123, stack 456.
async fn realm_fixture(grafana: &Grafana) {
    for (name, realm) in [
        ("org-wide", json!({"type": "org", "identifier": "1"})),
        ("stack-123", json!({"type": "stack", "identifier": "123"})),
        ("stack-456", json!({"type": "stack", "identifier": "456"})),
    ] {
        let policy = policy_with(
            grafana,
            EU,
            json!({"name": name, "scopes": ["metrics:read"], "realms": [realm]}),
        )
        .await;
        grafana
            .create_token(EU, &id_of(&policy), &format!("{name}-token"))
            .await;
    }
}

#[tokio::test]
async fn listing_by_realm_type_shows_tokens_of_policies_with_such_a_realm() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    realm_fixture(&grafana).await;
    let org = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=org")
        .await;
    assert_eq!(item_names(&org), vec!["org-wide-token"]);
    let stack = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=stack")
        .await;
    assert_eq!(
        item_names(&stack),
        vec!["stack-123-token", "stack-456-token"]
    );
}

#[tokio::test]
async fn listing_by_realm_type_and_identifier_shows_tokens_of_that_realm() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    realm_fixture(&grafana).await;
    let stack = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=stack&accessPolicyRealmIdentifier=123")
        .await;
    assert_eq!(item_names(&stack), vec!["stack-123-token"]);
    let org = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=org&accessPolicyRealmIdentifier=1")
        .await;
    assert_eq!(item_names(&org), vec!["org-wide-token"]);
    // The identifier belongs to the type: stack 1 is not org 1.
    let mismatch = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=stack&accessPolicyRealmIdentifier=1")
        .await;
    assert!(item_names(&mismatch).is_empty());
}

#[tokio::test]
async fn listing_by_name_shows_that_token() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    grafana.create_token(EU, &id_of(&policy), "first").await;
    let second = grafana.create_token(EU, &id_of(&policy), "second").await;
    let reply = grafana.get("/api/v1/tokens?region=eu&name=second").await;
    assert_eq!(item_fields(&reply, "id"), vec![id_of(&second)]);
    assert_eq!(
        reply.body["metadata"]["pagination"]["nextPage"],
        Value::Null
    );
    let none = grafana.get("/api/v1/tokens?region=eu&name=third").await;
    assert!(item_names(&none).is_empty());
}

/// Tokens expiring in 1 and 3 days, and one that never expires.
async fn expiry_fixture(server: &MockCloud, grafana: &Grafana) {
    let now = server.clock().now();
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    for (name, days) in [("soon", Some(1)), ("later", Some(3)), ("never", None)] {
        let mut body = json!({"accessPolicyId": id_of(&policy), "name": name});
        if let Some(days) = days {
            body["expiresAt"] = json!(grafana_time(now + Duration::days(days)));
        }
        token_with(grafana, EU, body).await;
    }
}

#[tokio::test]
async fn listing_by_expires_before_shows_tokens_expiring_before_that_time() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    expiry_fixture(&server, &grafana).await;
    let cut = grafana_time(server.clock().now() + Duration::days(2));
    let reply = grafana
        .get(&format!("/api/v1/tokens?region=eu&expiresBefore={cut}"))
        .await;
    assert_eq!(item_names(&reply), vec!["soon"]);
    let far = grafana_time(server.clock().now() + Duration::days(10));
    let both = grafana
        .get(&format!("/api/v1/tokens?region=eu&expiresBefore={far}"))
        .await;
    assert_eq!(item_names(&both), vec!["soon", "later"]);
}

#[tokio::test]
async fn listing_by_expires_after_shows_tokens_expiring_after_that_time() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    expiry_fixture(&server, &grafana).await;
    let cut = grafana_time(server.clock().now() + Duration::days(2));
    let reply = grafana
        .get(&format!("/api/v1/tokens?region=eu&expiresAfter={cut}"))
        .await;
    assert_eq!(item_names(&reply), vec!["later"]);
    let now = grafana_time(server.clock().now());
    let both = grafana
        .get(&format!("/api/v1/tokens?region=eu&expiresAfter={now}"))
        .await;
    assert_eq!(item_names(&both), vec!["soon", "later"]);
}

#[tokio::test]
async fn listing_by_access_policy_status_follows_the_policy() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    policy_and_token(&grafana, "on", &["metrics:read"]).await;
    let (off, _) = policy_and_token(&grafana, "off", &["metrics:read"]).await;
    let active = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyStatus=active")
        .await;
    assert_eq!(item_names(&active), vec!["on-token", "off-token"]);

    set_policy_status(&grafana, EU, &off, "inactive").await;
    let active = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyStatus=active")
        .await;
    assert_eq!(item_names(&active), vec!["on-token"]);
    let inactive = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyStatus=inactive")
        .await;
    assert_eq!(item_names(&inactive), vec!["off-token"]);
    // Without the filter both are listed.
    assert_eq!(
        eu_token_names(&grafana).await,
        vec!["on-token", "off-token"]
    );
}

#[tokio::test]
async fn filters_combine() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    realm_fixture(&grafana).await;
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=stack&accessPolicyName=stack-456")
        .await;
    assert_eq!(item_names(&reply), vec!["stack-456-token"]);
    let none = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=org&accessPolicyName=stack-456")
        .await;
    assert!(item_names(&none).is_empty());
}

#[tokio::test]
async fn a_realm_type_filter_other_than_org_or_stack_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmType=foo")
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyRealmType");
}

#[tokio::test]
async fn a_status_filter_other_than_active_or_inactive_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyStatus=foo")
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyStatus");
}

#[tokio::test]
async fn expiry_filters_that_are_not_dates_are_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let before = grafana
        .get("/api/v1/tokens?region=eu&expiresBefore=notadate")
        .await;
    assert_grafana_error(&before, 400, "BadRequest", "expiresBefore");
    let after = grafana
        .get("/api/v1/tokens?region=eu&expiresAfter=notadate")
        .await;
    assert_grafana_error(&after, 400, "BadRequest", "expiresAfter");
}

#[tokio::test]
async fn a_realm_identifier_without_a_realm_type_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyRealmIdentifier=1")
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyRealmType");
}

#[tokio::test]
async fn an_access_policy_id_filter_that_is_not_a_uuid_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .get("/api/v1/tokens?region=eu&accessPolicyId=nope")
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyId");
}

#[tokio::test]
async fn a_page_size_outside_1_to_500_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    for bad in ["0", "501", "-1", "ten"] {
        let reply = grafana
            .get(&format!("/api/v1/tokens?region=eu&pageSize={bad}"))
            .await;
        assert_grafana_error(&reply, 400, "BadRequest", "pageSize");
    }
    for good in ["1", "500"] {
        let reply = grafana
            .get(&format!("/api/v1/tokens?region=eu&pageSize={good}"))
            .await;
        assert_eq!(reply.status, 200, "pageSize={good}: {}", reply.raw);
        spec::assert_token_list(&reply.body);
        assert_eq!(
            reply.body["metadata"]["pagination"]["pageSize"],
            good.parse::<u64>().unwrap()
        );
    }
}

#[tokio::test]
async fn a_page_cursor_that_is_garbage_is_400() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let reply = grafana
        .get("/api/v1/tokens?region=eu&pageCursor=%25%25%25")
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "pageCursor");
}

#[tokio::test]
async fn the_default_page_is_500_with_no_next_page() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let reply = grafana.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["readers-token"]);
    let pagination = &reply.body["metadata"]["pagination"];
    assert_eq!(pagination["pageSize"], 500);
    assert_eq!(pagination["nextPage"], Value::Null);
}

/// Follows `nextPage` from `first`; returns every page's item ids.
async fn walk_pages(grafana: &Grafana, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let reply = grafana.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
        pages.push(item_fields(&reply, "id"));
        match &reply.body["metadata"]["pagination"]["nextPage"] {
            Value::Null => break,
            Value::String(next) => {
                assert!(next.starts_with("/v1/tokens?"), "nextPage {next:?}");
                assert!(next.contains("region=eu"), "nextPage {next:?}");
                assert!(next.contains("pageCursor="), "nextPage {next:?}");
                path = format!("/api{next}");
            }
            other => panic!("nextPage must be a string or null, got {other}"),
        }
        assert!(pages.len() < 20, "pagination does not end");
    }
    pages
}

#[tokio::test]
async fn paging_with_page_size_2_returns_each_token_once() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let mut created = Vec::new();
    for i in 0..5 {
        let token = grafana
            .create_token(EU, &id_of(&policy), &format!("t{i}"))
            .await;
        created.push(id_of(&token));
    }
    let first = grafana.get("/api/v1/tokens?region=eu&pageSize=2").await;
    assert_eq!(first.body["metadata"]["pagination"]["pageSize"], 2);
    let next = str_of(&first.body["metadata"]["pagination"], "nextPage");
    assert!(next.contains("pageSize=2"), "nextPage {next:?}");

    let pages = walk_pages(&grafana, "/api/v1/tokens?region=eu&pageSize=2").await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(pages.concat(), created);
}

#[tokio::test]
async fn paging_keeps_the_filter() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let a = grafana.create_policy(EU, "a", &["metrics:read"]).await;
    let b = grafana.create_policy(EU, "b", &["metrics:read"]).await;
    let mut of_a = Vec::new();
    for i in 0..3 {
        of_a.push(id_of(
            &grafana
                .create_token(EU, &id_of(&a), &format!("a-{i}"))
                .await,
        ));
        grafana
            .create_token(EU, &id_of(&b), &format!("b-{i}"))
            .await;
    }
    let pages = walk_pages(
        &grafana,
        "/api/v1/tokens?region=eu&accessPolicyName=a&pageSize=2",
    )
    .await;
    assert_eq!(pages.concat(), of_a);
    let pages = walk_pages(
        &grafana,
        &format!(
            "/api/v1/tokens?region=eu&accessPolicyId={}&pageSize=1",
            id_of(&a)
        ),
    )
    .await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.concat(), of_a);
}

#[tokio::test]
async fn a_token_created_while_paging_does_not_repeat_earlier_ones() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let mut created = Vec::new();
    for i in 0..3 {
        let token = grafana
            .create_token(EU, &id_of(&policy), &format!("t{i}"))
            .await;
        created.push(id_of(&token));
    }
    let first = grafana.get("/api/v1/tokens?region=eu&pageSize=2").await;
    let mut seen = item_fields(&first, "id");
    let late = grafana.create_token(EU, &id_of(&policy), "late").await;
    created.push(id_of(&late));
    let next = str_of(&first.body["metadata"]["pagination"], "nextPage");
    for page in walk_pages(&grafana, &format!("/api{next}")).await {
        seen.extend(page);
    }
    assert_eq!(seen, created);
}

// ---------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_authorization_is_401() {
    let server = start_default().await;
    let reply = get_with_authorization(&server, None, "/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Bearer");
}

#[tokio::test]
async fn an_unknown_bearer_token_is_401() {
    let server = start_default().await;
    let reply =
        get_with_authorization(&server, Some("Bearer nonsense"), "/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Invalid credentials");
}

#[tokio::test]
async fn basic_authorization_is_401() {
    let server = start_default().await;
    let reply =
        get_with_authorization(&server, Some("Basic xyz"), "/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Bearer");
    // Even with the bootstrap secret behind the wrong scheme.
    let reply = get_with_authorization(
        &server,
        Some(&format!("Basic {BOOTSTRAP_TOKEN}")),
        "/api/v1/tokens?region=eu",
    )
    .await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Bearer");
}

#[tokio::test]
async fn an_empty_bearer_token_is_401() {
    let server = start_default().await;
    let reply = get_with_authorization(&server, Some("Bearer "), "/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "Bearer");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let server = start_default().await;
    let reply = get_with_authorization(
        &server,
        Some(&format!("bearer {BOOTSTRAP_TOKEN}")),
        "/api/v1/tokens?region=us",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(item_names(&reply), vec!["mock-bootstrap-token"]);
}

#[tokio::test]
async fn a_new_token_authenticates_at_once_with_its_policys_scopes() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let reader = as_token(&server, &token);
    let tokens = reader.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&tokens), vec!["readers-token"]);
    let one = reader.get(&token_path(&token, EU)).await;
    assert_eq!(one.status, 200, "{}", one.raw);
    spec::assert_token(&one.body);
    assert_eq!(one.body["id"], token["id"]);
    let policies = reader.get("/api/v1/accesspolicies?region=eu").await;
    assert_eq!(item_names(&policies), vec!["readers"]);
}

#[tokio::test]
async fn a_read_only_token_cannot_create_a_token() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let reply = as_token(&server, &token)
        .post(
            "/api/v1/tokens?region=eu",
            &json!({"accessPolicyId": id_of(&policy), "name": "sneaky"}),
        )
        .await;
    assert_grafana_error(&reply, 403, "Forbidden", "accesspolicies:write");
    assert_eq!(eu_token_names(&grafana).await, vec!["readers-token"]);
}

#[tokio::test]
async fn a_read_only_token_cannot_update_a_token() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let reply = as_token(&server, &token)
        .post(&token_path(&token, EU), &json!({"displayName": "Hijacked"}))
        .await;
    assert_grafana_error(&reply, 403, "Forbidden", "accesspolicies:write");
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["displayName"], "readers-token");
}

#[tokio::test]
async fn a_read_only_token_cannot_delete_a_token() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let reply = as_token(&server, &token)
        .delete(&token_path(&token, EU))
        .await;
    assert_grafana_error(&reply, 403, "Forbidden", "accesspolicies:delete");
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.status, 200, "{}", stored.raw);
}

#[tokio::test]
async fn a_token_without_an_accesspolicies_scope_cannot_list_tokens() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "metrics", &["metrics:read"]).await;
    let user = as_token(&server, &token);
    let list = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&list, 403, "Forbidden", "accesspolicies:read");
    let one = user.get(&token_path(&token, EU)).await;
    assert_grafana_error(&one, 403, "Forbidden", "accesspolicies:read");
}

#[tokio::test]
async fn a_write_token_can_create_tokens_that_work() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(
        &grafana,
        "admins",
        &["accesspolicies:read", "accesspolicies:write"],
    )
    .await;
    let admin = as_token(&server, &token);
    let child = admin.create_token(EU, &id_of(&policy), "child").await;
    let by_child = as_token(&server, &child)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_eq!(item_names(&by_child), vec!["admins-token", "child"]);
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["accesspolicies:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::hours(1));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "brief", "expiresAt": expires}),
    )
    .await;
    let user = as_token(&server, &token);
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);

    server.clock().advance(Duration::hours(2));
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "expired");
    // The expired token is still there to see and delete.
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.status, 200, "{}", stored.raw);
    assert_eq!(stored.body["expiresAt"], expires.as_str());
}

#[tokio::test]
async fn a_token_expires_at_exactly_its_expiry() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["accesspolicies:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::hours(1));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "brief", "expiresAt": expires}),
    )
    .await;
    let user = as_token(&server, &token);
    server
        .clock()
        .advance(Duration::hours(1) - Duration::milliseconds(1));
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);
    server.clock().advance(Duration::milliseconds(1));
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "expired");
}

#[tokio::test]
async fn extending_an_expired_tokens_expiry_lets_it_in_again() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["accesspolicies:read"])
        .await;
    let expires = grafana_time(server.clock().now() + Duration::hours(1));
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "brief", "expiresAt": expires}),
    )
    .await;
    let user = as_token(&server, &token);
    server.clock().advance(Duration::hours(2));
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 401);
    let extended = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"expiresAt": null}))
            .await,
    );
    assert_eq!(extended.status, 200, "{}", extended.raw);
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["brief"]);
}

#[tokio::test]
async fn a_token_of_an_inactive_policy_is_401() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let user = as_token(&server, &token);
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);
    set_policy_status(&grafana, EU, &policy, "inactive").await;
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "inactive");
}

#[tokio::test]
async fn a_token_of_a_reactivated_policy_works_again() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let user = as_token(&server, &token);
    set_policy_status(&grafana, EU, &policy, "inactive").await;
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 401);
    set_policy_status(&grafana, EU, &policy, "active").await;
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["readers-token"]);
}

#[tokio::test]
async fn a_token_follows_its_policys_scopes_as_they_change() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let user = as_token(&server, &token);
    let before = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&before, 403, "Forbidden", "accesspolicies:read");
    let updated = grafana
        .post(
            &format!("/api/v1/accesspolicies/{}?region=eu", id_of(&policy)),
            &json!({"scopes": ["accesspolicies:read"], "realms": policy["realms"]}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    spec::assert_access_policy(&updated.body);
    let after = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&after), vec!["readers-token"]);
}

/// A read-only policy restricted to `subnets`, and a client for its token.
async fn subnet_client(server: &MockCloud, subnets: &[&str]) -> Grafana {
    let grafana = bootstrap(server);
    let policy = policy_with(
        &grafana,
        EU,
        json!({
            "name": "fenced",
            "scopes": ["accesspolicies:read"],
            "realms": [{"type": "org", "identifier": "1"}],
            "conditions": {"allowedSubnets": subnets}
        }),
    )
    .await;
    assert_eq!(policy["conditions"]["allowedSubnets"], json!(subnets));
    let token = grafana.create_token(EU, &id_of(&policy), "fenced").await;
    as_token(server, &token)
}

#[tokio::test]
async fn a_token_used_from_outside_its_allowed_subnets_is_403() {
    let server = start_default().await;
    let user = subnet_client(&server, &["10.0.0.0/8"]).await;
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_grafana_error(&reply, 403, "Forbidden", "allowedSubnets");
    assert!(reply.raw.contains("127.0.0.1"), "{}", reply.raw);
}

#[tokio::test]
async fn a_request_refused_for_its_subnet_does_not_count_as_a_use() {
    let server = start_default().await;
    let user = subnet_client(&server, &["10.0.0.0/8"]).await;
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 403);
    let listed = bootstrap(&server)
        .get("/api/v1/tokens?region=eu&name=fenced")
        .await;
    let token = &listed.body["items"][0];
    assert_eq!(token["name"], "fenced", "{}", listed.raw);
    assert!(token.get("firstUsedAt").is_none(), "{token}");
    assert!(token.get("lastUsedAt").is_none(), "{token}");
}

#[tokio::test]
async fn a_token_used_from_inside_its_allowed_subnets_is_200() {
    let server = start_default().await;
    let user = subnet_client(&server, &["127.0.0.0/8"]).await;
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["fenced"]);
}

#[tokio::test]
async fn ipv6_and_ipv4_subnets_together_admit_a_matching_ipv4_client() {
    let server = start_default().await;
    let user = subnet_client(&server, &["::1/128", "127.0.0.1/32"]).await;
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["fenced"]);
}

#[tokio::test]
async fn removing_the_subnet_condition_lets_the_token_in() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let user = subnet_client(&server, &["10.0.0.0/8"]).await;
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 403);
    let policy = &grafana
        .get("/api/v1/accesspolicies?region=eu&name=fenced")
        .await
        .body["items"][0];
    let updated = grafana
        .post(
            &format!("/api/v1/accesspolicies/{}?region=eu", id_of(policy)),
            &json!({"scopes": policy["scopes"], "realms": policy["realms"], "conditions": null}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    spec::assert_access_policy(&updated.body);
    assert!(updated.body.get("conditions").is_none(), "{}", updated.raw);
    let reply = user.get("/api/v1/tokens?region=eu").await;
    assert_eq!(item_names(&reply), vec!["fenced"]);
}

// ---------------------------------------------------------------------------
// Usage: firstUsedAt and lastUsedAt
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_token_never_used_has_no_first_or_last_used_at() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    assert!(token.get("firstUsedAt").is_none(), "{token}");
    assert!(token.get("lastUsedAt").is_none(), "{token}");
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.status, 200);
    assert!(stored.body.get("firstUsedAt").is_none(), "{}", stored.raw);
    assert!(stored.body.get("lastUsedAt").is_none(), "{}", stored.raw);
}

#[tokio::test]
async fn using_a_token_sets_first_and_last_used_at() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let user = as_token(&server, &token);

    server.clock().advance(Duration::minutes(1));
    let first_use = grafana_time(server.clock().now());
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_grafana_timestamp(&stored.body["firstUsedAt"]);
    assert_eq!(stored.body["firstUsedAt"], first_use.as_str());
    assert_eq!(stored.body["lastUsedAt"], first_use.as_str());
    assert_eq!(
        stored.body["updatedAt"], token["updatedAt"],
        "use is not an update"
    );

    server.clock().advance(Duration::minutes(1));
    let second_use = grafana_time(server.clock().now());
    assert_eq!(user.get("/api/v1/tokens?region=eu").await.status, 200);
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert_eq!(stored.body["firstUsedAt"], first_use.as_str());
    assert_eq!(stored.body["lastUsedAt"], second_use.as_str());
}

#[tokio::test]
async fn a_token_sees_its_own_use_in_its_listing() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    let reply = as_token(&server, &token)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_eq!(item_names(&reply), vec!["readers-token"]);
    let now = grafana_time(server.clock().now());
    assert_eq!(reply.body["items"][0]["lastUsedAt"], now.as_str());
}

#[tokio::test]
async fn a_refused_secret_does_not_count_as_use() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "readers", &["accesspolicies:read"]).await;
    set_policy_status(&grafana, EU, &policy, "inactive").await;
    let reply = as_token(&server, &token)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_eq!(reply.status, 401);
    let stored = token_answer(grafana.get(&token_path(&token, EU)).await);
    assert!(stored.body.get("firstUsedAt").is_none(), "{}", stored.raw);
    assert!(stored.body.get("lastUsedAt").is_none(), "{}", stored.raw);
}

// ---------------------------------------------------------------------------
// Org isolation
// ---------------------------------------------------------------------------

/// Two orgs; alpha owns a policy and a token in `us`.
async fn alpha_owns_a_token(server: &MockCloud) -> (Grafana, Grafana, Value, Value) {
    let alpha = Grafana::new(server, "alpha-token");
    let beta = Grafana::new(server, "beta-token");
    let policy = alpha
        .create_policy("us", "alpha-readers", &["accesspolicies:read"])
        .await;
    let token = alpha
        .create_token("us", &id_of(&policy), "alpha-secret")
        .await;
    (alpha, beta, policy, token)
}

#[tokio::test]
async fn another_orgs_token_is_404_and_absent_from_lists() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, _, token) = alpha_owns_a_token(&server).await;
    let reply = beta.get(&token_path(&token, "us")).await;
    assert_grafana_error(&reply, 404, "NotFound", &id_of(&token));
    let listed = beta.get("/api/v1/tokens?region=us").await;
    assert_eq!(item_names(&listed), vec!["beta-admin-token"]);
    let by_name = beta.get("/api/v1/tokens?region=us&name=alpha-secret").await;
    assert!(item_names(&by_name).is_empty());
    let alphas = alpha.get("/api/v1/tokens?region=us").await;
    assert_eq!(
        item_names(&alphas),
        vec!["alpha-admin-token", "alpha-secret"]
    );
}

#[tokio::test]
async fn another_orgs_token_cannot_be_listed_by_its_policy() {
    let server = start_scenario(two_org_scenario()).await;
    let (_, beta, policy, _) = alpha_owns_a_token(&server).await;
    let by_id = beta
        .get(&format!(
            "/api/v1/tokens?region=us&accessPolicyId={}",
            id_of(&policy)
        ))
        .await;
    assert!(item_names(&by_id).is_empty(), "{}", by_id.raw);
    let by_name = beta
        .get("/api/v1/tokens?region=us&accessPolicyName=alpha-readers")
        .await;
    assert!(item_names(&by_name).is_empty(), "{}", by_name.raw);
}

#[tokio::test]
async fn another_orgs_token_cannot_be_updated() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, _, token) = alpha_owns_a_token(&server).await;
    let before = alpha.get(&token_path(&token, "us")).await.body;
    let reply = beta
        .post(&token_path(&token, "us"), &json!({"displayName": "Pwned"}))
        .await;
    assert_grafana_error(&reply, 404, "NotFound", &id_of(&token));
    let after = alpha.get(&token_path(&token, "us")).await;
    assert_eq!(after.status, 200);
    spec::assert_token(&after.body);
    assert_eq!(after.body, before);
}

#[tokio::test]
async fn another_orgs_token_cannot_be_deleted() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, _, token) = alpha_owns_a_token(&server).await;
    let reply = beta.delete(&token_path(&token, "us")).await;
    assert_grafana_error(&reply, 404, "NotFound", &id_of(&token));
    let after = alpha.get(&token_path(&token, "us")).await;
    assert_eq!(after.status, 200, "{}", after.raw);
    spec::assert_token(&after.body);
    assert_eq!(after.body["name"], "alpha-secret");
    let works = as_token(&server, &token)
        .get("/api/v1/tokens?region=us")
        .await;
    assert_eq!(works.status, 200, "{}", works.raw);
    spec::assert_token_list(&works.body);
}

#[tokio::test]
async fn another_orgs_policy_is_404_for_get_update_and_delete() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, policy, _) = alpha_owns_a_token(&server).await;
    let path = format!("/api/v1/accesspolicies/{}?region=us", id_of(&policy));
    let before = alpha.get(&path).await.body;

    let get = beta.get(&path).await;
    assert_grafana_error(&get, 404, "NotFound", &id_of(&policy));
    let update = beta
        .post(
            &path,
            &json!({
                "scopes": ["accesspolicies:write"],
                "realms": [{"type": "org", "identifier": "2"}],
                "status": "inactive"
            }),
        )
        .await;
    assert_grafana_error(&update, 404, "NotFound", &id_of(&policy));
    let delete = beta.delete(&path).await;
    assert_grafana_error(&delete, 404, "NotFound", &id_of(&policy));
    let listed = beta.get("/api/v1/accesspolicies?region=us").await;
    assert_eq!(item_names(&listed), vec!["beta-admin"]);

    let after = alpha.get(&path).await;
    assert_eq!(after.status, 200, "{}", after.raw);
    spec::assert_access_policy(&after.body);
    assert_eq!(after.body, before);
}

#[tokio::test]
async fn a_token_cannot_be_created_for_another_orgs_policy() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, policy, _) = alpha_owns_a_token(&server).await;
    let reply = beta
        .post(
            "/api/v1/tokens?region=us",
            &json!({"accessPolicyId": id_of(&policy), "name": "intruder"}),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "accessPolicyId");
    let in_beta = beta.get("/api/v1/tokens?region=us").await;
    assert_eq!(item_names(&in_beta), vec!["beta-admin-token"]);
    let in_alpha = alpha
        .get(&format!(
            "/api/v1/tokens?region=us&accessPolicyId={}",
            id_of(&policy)
        ))
        .await;
    assert_eq!(item_names(&in_alpha), vec!["alpha-secret"]);
}

#[tokio::test]
async fn two_orgs_may_use_the_same_token_name() {
    let server = start_scenario(two_org_scenario()).await;
    let (alpha, beta, _, alpha_token) = alpha_owns_a_token(&server).await;
    let beta_policy = policy_with(
        &beta,
        "us",
        json!({
            "name": "alpha-readers",
            "scopes": ["accesspolicies:read"],
            "realms": [{"type": "org", "identifier": "2"}]
        }),
    )
    .await;
    assert_eq!(beta_policy["orgId"], "2");
    let beta_token = beta
        .create_token("us", &id_of(&beta_policy), "alpha-secret")
        .await;
    assert_ne!(beta_token["id"], alpha_token["id"]);
    let a = alpha
        .get("/api/v1/tokens?region=us&name=alpha-secret")
        .await;
    assert_eq!(item_fields(&a, "id"), vec![id_of(&alpha_token)]);
    let b = beta.get("/api/v1/tokens?region=us&name=alpha-secret").await;
    assert_eq!(item_fields(&b, "id"), vec![id_of(&beta_token)]);
}

#[tokio::test]
async fn an_org_realm_must_name_the_callers_org() {
    let server = start_scenario(two_org_scenario()).await;
    let beta = Grafana::new(&server, "beta-token");
    let reply = beta
        .post(
            "/api/v1/accesspolicies?region=us",
            &json!({
                "name": "wrong-org",
                "scopes": ["metrics:read"],
                "realms": [{"type": "org", "identifier": "1"}]
            }),
        )
        .await;
    assert_grafana_error(&reply, 400, "BadRequest", "realms[0].identifier");
    let listed = beta
        .get("/api/v1/accesspolicies?region=us&name=wrong-org")
        .await;
    assert!(item_names(&listed).is_empty());
}

#[tokio::test]
async fn naming_another_org_in_org_id_is_403() {
    let server = start_scenario(two_org_scenario()).await;
    let beta = Grafana::new(&server, "beta-token");
    let reply = beta.get("/api/v1/tokens?region=us&orgId=1").await;
    assert_grafana_error(&reply, 403, "Forbidden", "org");
    let own = beta.get("/api/v1/tokens?region=us&orgId=2").await;
    assert_eq!(item_names(&own), vec!["beta-admin-token"]);
}

#[tokio::test]
async fn an_api_created_token_belongs_to_its_policys_org() {
    let server = start_scenario(two_org_scenario()).await;
    let (_, _, policy, token) = alpha_owns_a_token(&server).await;
    assert_eq!(token["orgId"], "1");
    assert_eq!(policy["orgId"], "1");
    let user = as_token(&server, &token);
    let own = user.get("/api/v1/tokens?region=us").await;
    assert_eq!(item_names(&own), vec!["alpha-admin-token", "alpha-secret"]);
    let other = user.get("/api/v1/tokens?region=us&orgId=2").await;
    assert_grafana_error(&other, 403, "Forbidden", "org");
}

// ---------------------------------------------------------------------------
// mockcloud's own endpoints
// ---------------------------------------------------------------------------

#[tokio::test]
async fn reset_brings_back_the_scenario() {
    let server = start_default().await;
    let grafana = bootstrap(&server);
    let (policy, token) = policy_and_token(&grafana, "temporary", &["accesspolicies:read"]).await;

    let reply = admin_send(&server, "POST", "/__admin/reset", None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["status"], "reset");
    assert_eq!(reply.body["scenario"], "default");

    let gone = grafana
        .get(&format!(
            "/api/v1/accesspolicies/{}?region=eu",
            id_of(&policy)
        ))
        .await;
    assert_grafana_error(&gone, 404, "NotFound", &id_of(&policy));
    assert!(eu_token_names(&grafana).await.is_empty());
    let us = grafana.get("/api/v1/tokens?region=us").await;
    assert_eq!(item_names(&us), vec!["mock-bootstrap-token"]);
    let old_secret = as_token(&server, &token)
        .get("/api/v1/tokens?region=eu")
        .await;
    assert_grafana_error(
        &old_secret,
        401,
        "InvalidCredentials",
        "Invalid credentials",
    );
}

#[tokio::test]
async fn reset_restores_a_scenario_token_that_was_deleted() {
    let server = start_scenario(two_org_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let listed = alpha.get("/api/v1/tokens?region=us").await;
    let own = listed.body["items"][0].clone();
    assert_eq!(own["name"], "alpha-admin-token");
    let deleted = alpha.delete(&token_path(&own, "us")).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        alpha.get("/api/v1/tokens?region=us").await.status,
        401,
        "the token deleted itself"
    );
    let reply = admin_send(&server, "POST", "/__admin/reset", None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["scenario"], "two-orgs");
    let again = alpha.get("/api/v1/tokens?region=us").await;
    assert_eq!(item_names(&again), vec!["alpha-admin-token"]);
}

#[tokio::test]
async fn health_is_ok() {
    let server = start_default().await;
    let reply = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .with_token(None)
        .get("/__admin/health")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(reply.body["status"], "ok");
    assert_eq!(reply.body["scenario"], "default");
    assert_grafana_timestamp(&reply.body["now"]);
}

#[tokio::test]
async fn health_shows_the_server_clock() {
    let server = frozen_default().await;
    server.clock().advance(Duration::days(3));
    let reply = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .with_token(None)
        .get("/__admin/health")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
    assert_eq!(
        reply.body["now"],
        grafana_time(server.clock().now()).as_str()
    );
}

#[tokio::test]
async fn an_expiry_is_kept_to_the_millisecond_it_is_shown_with() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let policy = grafana
        .create_policy(EU, "readers", &["metrics:read"])
        .await;
    let at = server.clock().now() + Duration::days(1) + Duration::microseconds(456);
    let precise = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let token = token_with(
        &grafana,
        EU,
        json!({"accessPolicyId": id_of(&policy), "name": "precise", "expiresAt": precise}),
    )
    .await;
    let shown = str_of(&token, "expiresAt");
    assert_eq!(shown, grafana_time(at));
    // What the API shows is what it filters on: not after, not before itself.
    for filter in ["expiresAfter", "expiresBefore"] {
        let reply = grafana
            .get(&format!("/api/v1/tokens?region=eu&{filter}={shown}"))
            .await;
        assert!(item_names(&reply).is_empty(), "{filter}: {}", reply.raw);
    }
}

#[tokio::test]
async fn an_updated_expiry_is_kept_to_the_millisecond_it_is_shown_with() {
    let server = frozen_default().await;
    let grafana = bootstrap(&server);
    let (_, token) = policy_and_token(&grafana, "readers", &["metrics:read"]).await;
    let at = server.clock().now() + Duration::days(1) + Duration::microseconds(456);
    let precise = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let reply = token_answer(
        grafana
            .post(&token_path(&token, EU), &json!({"expiresAt": precise}))
            .await,
    );
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let shown = str_of(&reply.body, "expiresAt");
    assert_eq!(shown, grafana_time(at));
    for filter in ["expiresAfter", "expiresBefore"] {
        let reply = grafana
            .get(&format!("/api/v1/tokens?region=eu&{filter}={shown}"))
            .await;
        assert!(item_names(&reply).is_empty(), "{filter}: {}", reply.raw);
    }
}

/// A scenario whose only token expires at `expires_at`.
fn expiring_scenario(expires_at: &str) -> Value {
    json!({
        "name": "expiring",
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": [{
                "id": 1, "slug": "solo", "name": "solo",
                "access_policies": [{
                    "name": "solo-admin", "region": "us",
                    "scopes": ["accesspolicies:read"],
                    "tokens": [{"name": "solo-token", "token": "solo-secret", "expires_at": expires_at}]
                }]
            }]
        }
    })
}

#[tokio::test]
async fn reset_after_a_scenario_token_expired_still_works_and_the_token_stays_expired() {
    let expires = grafana_time(Utc::now() + Duration::hours(1));
    let server = start_scenario(expiring_scenario(&expires)).await;
    let solo = Grafana::new(&server, "solo-secret");
    assert_eq!(solo.get("/api/v1/tokens?region=us").await.status, 200);
    server.clock().advance(Duration::hours(2));
    let expired = solo.get("/api/v1/tokens?region=us").await;
    assert_grafana_error(&expired, 401, "InvalidCredentials", "expired");

    let reply = admin_send(&server, "POST", "/__admin/reset", None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["status"], "reset");
    let still = solo.get("/api/v1/tokens?region=us").await;
    assert_grafana_error(&still, 401, "InvalidCredentials", "expired");
}

#[tokio::test]
async fn a_scenario_may_describe_a_token_that_has_already_expired() {
    let expired = grafana_time(Utc::now() - Duration::days(1));
    let server = start_scenario(expiring_scenario(&expired)).await;
    let reply = Grafana::new(&server, "solo-secret")
        .get("/api/v1/tokens?region=us")
        .await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "expired");
}
