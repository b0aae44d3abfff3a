//! Memory bounded by the world, not by traffic, and inputs refused before
//! they are kept: unknown credentials leave nothing in the rate limiter
//! (`mockcloud_rate_limit_windows`), key names and fault ids follow their
//! rules, and the journal redacts every credential-like query value.

use crate::common::*;
use futures_util::stream::{self, StreamExt};
use mockcloud::MockCloud;
use serde_json::{Value, json};

const POLICIES: &str = "/api/v1/accesspolicies?region=eu";
const DD_PATH: &str = "/api/v1/usage/billable-summary";
const GCORE_PATH: &str = "/cloud/v1/usage_report";

/// The limiter's window count, as `/__admin/metrics` reports it.
async fn windows(server: &MockCloud) -> u64 {
    let text = reqwest::get(format!("{}/__admin/metrics", server.base_url()))
        .await
        .expect("request sent")
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("# TYPE mockcloud_rate_limit_windows gauge\n"),
        "{text}"
    );
    text.lines()
        .find_map(|line| line.strip_prefix("mockcloud_rate_limit_windows "))
        .expect("the gauge's sample")
        .parse()
        .unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Vendor {
    Grafana,
    Datadog,
    Gcore,
}

/// One request to `vendor`'s rate-limited endpoint with `key`; its status.
async fn send(client: &reqwest::Client, base: &str, vendor: Vendor, key: &str) -> u16 {
    let request = match vendor {
        Vendor::Grafana => client
            .get(format!("{base}{POLICIES}"))
            .header("authorization", format!("Bearer {key}")),
        Vendor::Datadog => client
            .get(format!("{base}{DD_PATH}"))
            .header("dd-api-key", key)
            .header("dd-application-key", DD_APP_KEY),
        Vendor::Gcore => client
            .post(format!("{base}{GCORE_PATH}"))
            .header("authorization", format!("APIKey {key}"))
            .header("content-type", "application/json")
            .body(
                json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-02T00:00:00Z"})
                    .to_string(),
            ),
    };
    let response = request.send().await.expect("request sent");
    if let (Vendor::Datadog, 403) = (vendor, response.status().as_u16()) {
        // Refused keys still see a (fresh) window in the headers.
        assert_eq!(
            response.headers()["x-ratelimit-remaining"],
            response.headers()["x-ratelimit-limit"]
        );
    }
    response.status().as_u16()
}

#[tokio::test]
async fn ten_thousand_unknown_keys_per_vendor_leave_the_limiter_unchanged() {
    let server = start_default().await;
    let base = server.base_url();
    let client = reqwest::Client::new();
    let known = [
        (Vendor::Grafana, BOOTSTRAP_TOKEN),
        (Vendor::Datadog, DD_API_KEY),
        (Vendor::Gcore, mockcloud::credentials::GCORE_API_KEY),
    ];
    // Known credentials are counted: one window each (one rule each).
    for (vendor, key) in known {
        assert_eq!(send(&client, &base, vendor, key).await, 200, "{vendor:?}");
    }
    let before = windows(&server).await;
    assert_eq!(before, 3, "one window per known credential and rule");
    for (vendor, refused) in [
        (Vendor::Grafana, 401),
        (Vendor::Datadog, 403),
        (Vendor::Gcore, 401),
    ] {
        let statuses: Vec<u16> = stream::iter(0..10_000)
            .map(|i| {
                let (client, base) = (client.clone(), base.clone());
                async move { send(&client, &base, vendor, &format!("unknown-{vendor:?}-{i}")).await }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        assert!(
            statuses.iter().all(|s| *s == refused),
            "{vendor:?}: every unknown key is refused with {refused}"
        );
        // Long keys cost nothing either (within the 64 KiB request head).
        let long = "k".repeat(32 * 1024);
        for i in 0..20 {
            let key = format!("{i}{long}");
            assert_eq!(send(&client, &base, vendor, &key).await, refused);
        }
        assert_eq!(windows(&server).await, before, "{vendor:?}");
    }
    // The known credentials still have their windows (and their counts).
    for (vendor, key) in known {
        assert_eq!(send(&client, &base, vendor, key).await, 200, "{vendor:?}");
    }
    assert_eq!(windows(&server).await, before);
}

#[tokio::test]
async fn a_deleted_token_is_no_longer_counted() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let policy = grafana
        .create_policy("eu", "counted", &["accesspolicies:read"])
        .await;
    let token = grafana
        .create_token("eu", policy["id"].as_str().unwrap(), "counted")
        .await;
    let user = grafana.with_token(token["token"].as_str());
    assert_eq!(user.get(POLICIES).await.status, 200);
    // The bootstrap token's window and the new token's.
    let counted = windows(&server).await;
    assert_eq!(counted, 2);
    let deleted = grafana
        .delete(&format!(
            "/api/v1/tokens/{}?region=eu",
            token["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.raw);
    assert_eq!(user.get(POLICIES).await.status, 401);
    assert_eq!(windows(&server).await, counted, "no new window");
}

/// Names no key may have: empty, blank, NUL, a newline, right-to-left
/// override, a bidirectional isolate, zero-width space, the byte-order
/// mark, and 256 or 300k characters.
fn refused_names() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "name is required"),
        ("   ".to_string(), "name is required"),
        ("a\u{0}b".to_string(), "U+0000"),
        ("line\nbreak".to_string(), "U+000A"),
        ("evil\u{202E}txt.exe".to_string(), "U+202E"),
        ("iso\u{2067}late".to_string(), "U+2067"),
        ("zero\u{200B}width".to_string(), "U+200B"),
        ("\u{FEFF}bom".to_string(), "U+FEFF"),
        ("x".repeat(256), "at most 255 characters"),
        ("x".repeat(300_000), "at most 255 characters"),
    ]
}

#[tokio::test]
async fn org_api_key_names_follow_the_rule() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for (name, needle) in refused_names() {
        let reply = grafana
            .post(
                "/api/orgs/mockorg/api-keys",
                &json!({"name": name, "role": "Viewer"}),
            )
            .await;
        assert_grafana_error(&reply, 409, "Conflict", needle);
        assert!(reply.raw.len() < 1000, "the name is not echoed");
    }
    for name in ["SRE", "ci key", "Équipe données", &"é".repeat(255)] {
        let reply = grafana
            .post(
                "/api/orgs/mockorg/api-keys",
                &json!({"name": name, "role": "Viewer"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.raw);
    }
    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn hosted_grafana_key_names_follow_the_rule() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stack = grafana
        .post("/api/instances", &json!({"name": "keys", "slug": "keys"}))
        .await;
    assert_eq!(stack.status, 200, "{}", stack.raw);
    for (name, needle) in refused_names() {
        let reply = grafana
            .post(
                "/api/instances/keys/api/auth/keys",
                &json!({"name": name, "role": "Admin"}),
            )
            .await;
        assert_eq!(reply.status.as_u16() / 100, 4, "{}", reply.raw);
        assert!(reply.raw.contains(needle), "{needle}: {}", reply.raw);
        assert!(reply.raw.len() < 1000, "the name is not echoed");
    }
    let reply = grafana
        .post(
            "/api/instances/keys/api/auth/keys",
            &json!({"name": "CI key", "role": "Admin"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
}

#[tokio::test]
async fn imported_state_follows_the_key_name_rule() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let created = grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "fine", "role": "Viewer"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.raw);
    let base = server.base_url();
    let client = reqwest::Client::new();
    let mut state: Value = client
        .get(format!("{base}/__admin/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = find_key(&mut state, "org_api_keys").expect("org_api_keys in the state");
    keys[0]["name"] = json!("bad\u{202E}name");
    let imported = client
        .post(format!("{base}/__admin/state"))
        .header("content-type", "application/json")
        .body(state.to_string())
        .send()
        .await
        .unwrap();
    let status = imported.status().as_u16();
    let text = imported.text().await.unwrap();
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("org_api_keys[0].name"), "{text}");
}

/// The first value under `key`, however deep.
fn find_key<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    match value {
        Value::Object(map) => {
            if map.contains_key(key) {
                return map.get_mut(key);
            }
            map.values_mut().find_map(|v| find_key(v, key))
        }
        Value::Array(items) => items.iter_mut().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

#[tokio::test]
async fn fault_ids_follow_the_rule() {
    let server = start_default().await;
    let client = reqwest::Client::new();
    let add = |id: Value| {
        let client = client.clone();
        let url = format!("{}/__admin/faults", server.base_url());
        async move {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(json!({"id": id, "effect": "drop"}).to_string())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    for id in [
        String::new(),
        " ".to_string(),
        "a b".to_string(),
        "nul\u{0}".to_string(),
        "rlo\u{202E}".to_string(),
        "slash/id".to_string(),
        "é".to_string(),
        "x".repeat(129),
        "x".repeat(300_000),
    ] {
        let (status, text) = add(json!(id)).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("rule.id"), "{text}");
        assert!(text.len() < 1000, "the id is not echoed");
    }
    for id in ["slow", "Grafana.down_2", &"x".repeat(128)] {
        let (status, text) = add(json!(id)).await;
        assert_eq!(status, 201, "{id}: {text}");
    }
}

#[tokio::test]
async fn the_journal_redacts_every_credential_like_query_value() {
    let server = start_default().await;
    let datadog = Datadog::new(&server);
    let secrets = [
        "password",
        "passwd",
        "pwd",
        "session",
        "sessionId",
        "sig",
        "jwt",
        "bearer",
        "api_key",
        "token",
        "client_secret",
        "auth",
        "X-Amz-Signature",
        "cookie",
    ];
    let query: Vec<String> = secrets
        .iter()
        .map(|name| format!("{name}=hunter2"))
        .collect();
    let reply = datadog
        .get(&format!("{DD_PATH}?{}&month=2026-01", query.join("&")))
        .await;
    assert!(reply.status.as_u16() < 500, "{}", reply.raw);
    let journal: Value = reqwest::get(format!("{}/__admin/journal", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recorded = journal["entries"][0]["query"].as_str().unwrap().to_string();
    assert!(!recorded.contains("hunter2"), "{recorded}");
    for name in secrets {
        assert!(recorded.contains(&format!("{name}=REDACTED")), "{recorded}");
    }
    assert!(recorded.ends_with("&month=2026-01"), "{recorded}");
    // No header is journaled, credentials or not.
    let text = journal.to_string();
    for header_value in [DD_API_KEY, DD_APP_KEY] {
        assert!(!text.contains(header_value), "{text}");
    }
}
