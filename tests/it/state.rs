//! The whole world as JSON (`/__admin/state`) and kept on disk
//! (`--state-file`): a lossless round trip, refusal of bad documents, restarts,
//! crashes mid-save, and a shutdown that finishes in-flight requests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use mockcloud::{Config, MockCloud};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NOW: &str = "2026-06-20T12:00:00Z";

async fn frozen_server(seed: u64) -> MockCloud {
    let server = MockCloud::start(Config::default().with_seed(seed))
        .await
        .expect("server starts");
    server.clock().freeze(Some(NOW.parse().unwrap()));
    server
}

/// `GET /__admin/state` as text: the document exactly as served.
async fn export(base_url: &str) -> String {
    let response = reqwest::get(format!("{base_url}/__admin/state"))
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

async fn import(base_url: &str, document: String) -> Reply {
    let response = reqwest::Client::new()
        .put(format!("{base_url}/__admin/state"))
        .header("content-type", "application/json")
        .body(document)
        .send()
        .await
        .expect("request sent");
    into_reply(response).await
}

/// One of every kind of stored Grafana object, made through the API.
async fn populate(grafana: &Grafana) {
    let policy = grafana
        .create_policy("us", "ci", &["metrics:read", "stacks:read"])
        .await;
    let token = grafana
        .create_token("us", policy["id"].as_str().unwrap(), "ci-token")
        .await;
    let restricted = grafana
        .post(
            "/api/v1/accesspolicies?region=eu",
            &json!({
                "name": "office-only",
                "scopes": ["logs:read"],
                "realms": [{"type": "stack", "identifier": "456",
                            "labelPolicies": [{"selector": "{env=\"prod\"}"}]}],
                "conditions": {"allowedSubnets": ["10.0.0.0/8", "2001:db8::/32"]},
                "attributes": {
                    "lokiQueryPolicy": {"queryTimeout": "10s", "maxEntriesLimitPerQuery": 20},
                    "pdcConfiguration": {"limitedHosts": ["db.internal:5432"]}
                }
            }),
        )
        .await;
    assert_eq!(restricted.status, 200, "{}", restricted.raw);
    for (path, body) in [
        (
            "/api/instances",
            json!({"name": "teststack", "slug": "teststack", "region": "eu",
                   "labels": {"team": "core"}}),
        ),
        ("/api/instances", json!({"name": "gone", "slug": "gone"})),
        (
            "/api/instances/teststack/plugins",
            json!({"plugin": "grafana-clock-panel"}),
        ),
        (
            "/api/orgs/mockorg/api-keys",
            json!({"name": "legacy", "role": "Viewer"}),
        ),
        (
            "/api/instances/teststack/api/auth/keys",
            json!({"name": "ci", "role": "Admin"}),
        ),
    ] {
        let reply = grafana.post(path, &body).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
    }
    let deleted = grafana.delete("/api/instances/gone").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    // The new token is used: first and last use are stored with it.
    let used = grafana
        .with_token(token["token"].as_str())
        .get("/api/orgs/mockorg/instances")
        .await;
    assert_eq!(used.status, 200, "{}", used.raw);
}

/// What a client sees of every vendor, read-only.
async fn answers(server: &MockCloud) -> Vec<(String, u16, Value)> {
    let grafana = Grafana::new(server, BOOTSTRAP_TOKEN);
    let mut seen = Vec::new();
    for path in [
        "/api/v1/accesspolicies?region=us",
        "/api/v1/accesspolicies?region=eu",
        "/api/v1/tokens?region=us",
        "/api/orgs/mockorg",
        "/api/orgs/mockorg/instances",
        "/api/instances?orderBy=id&direction=desc",
        "/api/instances/teststack",
        "/api/instances/teststack/plugins",
        "/api/orgs/mockorg/api-keys",
        "/api/stack-regions",
        "/api/orgs/mockorg/billed-usage?month=6&year=2026",
    ] {
        let reply = grafana.get(path).await;
        seen.push((path.to_string(), reply.status.as_u16(), reply.body));
    }
    let datadog = Datadog::new(server);
    for path in [
        "/api/v2/usage/historical_cost?start_month=2026-04&end_month=2026-04&view=sub-org",
        "/api/v1/usage/monthly-attribution?start_month=2026-05&fields=*",
    ] {
        let reply = datadog.get(path).await;
        seen.push((path.to_string(), reply.status.as_u16(), reply.body));
    }
    let gcore = reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .header("authorization", "APIKey mock-gcore-key")
        .json(&json!({"time_from": "2026-01-01T00:00:00Z",
                      "time_to": "2026-02-01T00:00:00Z", "limit": 1000}))
        .send()
        .await
        .unwrap();
    let reply = into_reply(gcore).await;
    seen.push((
        "gcore usage_report".into(),
        reply.status.as_u16(),
        reply.body,
    ));
    seen
}

#[tokio::test]
async fn export_then_import_into_a_fresh_server_is_lossless() {
    let original = frozen_server(42).await;
    populate(&Grafana::new(&original, BOOTSTRAP_TOKEN)).await;
    // Rules changed at run time are state too, "no limits" included.
    let cleared = reqwest::Client::new()
        .delete(format!("{}/__admin/rate-limits/gcore", original.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    let document = export(&original.base_url()).await;
    let state: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(state["gcore"]["rate_limits"], json!([]));

    // Another seed: nothing but the import makes the two worlds alike.
    let copy = frozen_server(99).await;
    assert_ne!(export(&copy.base_url()).await, document);
    let reply = import(&copy.base_url(), document.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(
        export(&copy.base_url()).await,
        document,
        "export → import → export"
    );

    // Policy attributes are part of the document and come back with it.
    let policies = Grafana::new(&copy, BOOTSTRAP_TOKEN)
        .get("/api/v1/accesspolicies?region=eu&name=office-only")
        .await;
    assert_eq!(
        policies.body["items"][0]["attributes"],
        json!({"lokiQueryPolicy": {"queryTimeout": "10s", "maxEntriesLimitPerQuery": 20},
               "pdcConfiguration": {"limitedHosts": ["db.internal:5432"]}}),
        "{}",
        policies.raw
    );
    let (before, after) = (answers(&original).await, answers(&copy).await);
    for ((path, status, body), (_, copy_status, copy_body)) in before.iter().zip(&after) {
        assert_eq!(*status, 200, "{path}: {body}");
        assert_eq!((status, body), (copy_status, copy_body), "{path}");
    }
    // Ids and secrets continue the same sequence after the import.
    let (a, b) = (
        Grafana::new(&original, BOOTSTRAP_TOKEN),
        Grafana::new(&copy, BOOTSTRAP_TOKEN),
    );
    let (policy_a, policy_b) = (
        a.create_policy("us", "after", &["metrics:read"]).await,
        b.create_policy("us", "after", &["metrics:read"]).await,
    );
    assert_eq!(policy_a, policy_b);
    let key = json!({"name": "later", "role": "Admin"});
    let (key_a, key_b) = (
        a.post("/api/orgs/mockorg/api-keys", &key).await,
        b.post("/api/orgs/mockorg/api-keys", &key).await,
    );
    assert_eq!(key_a.body, key_b.body);
    assert_eq!(
        export(&original.base_url()).await,
        export(&copy.base_url()).await
    );
}

#[tokio::test]
async fn the_document_holds_every_kind_of_object() {
    let server = frozen_server(42).await;
    populate(&Grafana::new(&server, BOOTSTRAP_TOKEN)).await;
    let state: Value = serde_json::from_str(&export(&server.base_url()).await).unwrap();
    let grafana = &state["grafana"];
    let len = |key: &str| grafana[key].as_array().map_or(0, Vec::len);
    assert_eq!(len("access_policies"), 3);
    assert_eq!(len("tokens"), 2);
    assert!(
        grafana["tokens"][1]["secret"]
            .as_str()
            .unwrap()
            .starts_with("glc_")
    );
    assert_eq!(len("stacks"), 3);
    assert_eq!(grafana["deleted_stacks"][0]["slug"], "gone");
    assert_eq!(len("plugin_installations"), 1);
    assert_eq!(len("org_api_keys"), 1);
    assert_eq!(len("hosted_grafana_keys"), 1);
    assert_eq!(
        grafana["access_policies"][2]["allowed_subnets"],
        json!(["10.0.0.0/8", "2001:db8::/32"])
    );
    assert_eq!(
        grafana["access_policies"][2]["attributes"]["lokiQueryPolicy"]["queryTimeout"],
        "10s"
    );
    assert!(
        grafana["access_policies"][0].get("attributes").is_none(),
        "a policy without attributes stores none"
    );
    assert_eq!(
        state["datadog"]["orgs"][0]["api_keys"],
        json!(["mock-dd-api-key"])
    );
    assert_eq!(state["gcore"]["api_keys"], json!(["mock-gcore-key"]));
    assert!(state["ids"]["word_pos"].as_u64().unwrap() > 0);
    assert!(
        state.get("clock").is_none(),
        "the clock is not part of the world"
    );
}

#[tokio::test]
async fn a_bad_document_is_refused_whole_and_says_where() {
    let server = frozen_server(42).await;
    populate(&Grafana::new(&server, BOOTSTRAP_TOKEN)).await;
    let url = server.base_url();
    let before = export(&url).await;
    let good: Value = serde_json::from_str(&before).unwrap();

    let mut dangling = good.clone();
    // A valid change early in the document, a bad one later: neither applies.
    dangling["grafana"]["org_api_keys"] = json!([]);
    dangling["grafana"]["tokens"][1]["access_policy_id"] =
        json!("00000000-0000-4000-8000-000000000000");
    let mut duplicate_secret = good.clone();
    duplicate_secret["grafana"]["tokens"][1]["secret"] =
        good["grafana"]["tokens"][0]["secret"].clone();
    let mut unknown_field = good.clone();
    unknown_field["grafana"]["orgs"][0]["colour"] = json!("blue");
    let mut stale_counter = good.clone();
    stale_counter["ids"]["next_seq"] = json!(1);
    let mut newer = good.clone();
    newer["version"] = json!(2);
    let mut bad_attributes = good.clone();
    bad_attributes["grafana"]["access_policies"][2]["attributes"]["lokiQueryPolicy"]["queryTimeout"] =
        json!("ten seconds");

    for (document, location) in [
        (dangling.to_string(), "grafana.tokens[1].access_policy_id"),
        (duplicate_secret.to_string(), "grafana.tokens[1].secret"),
        (unknown_field.to_string(), "grafana.orgs[0]"),
        (stale_counter.to_string(), "ids.next_seq"),
        (newer.to_string(), "version"),
        (
            bad_attributes.to_string(),
            "grafana.access_policies[2].attributes",
        ),
        ("{\"version\": 1".to_string(), "(document)"),
        (String::new(), "(document)"),
    ] {
        let reply = import(&url, document).await;
        assert_eq!(reply.status, 400, "{}", reply.raw);
        let error = reply.body["error"].as_str().expect("an error message");
        assert!(error.contains(location), "{location}: {error}");
        assert!(
            reply.body["location"]
                .as_str()
                .unwrap()
                .starts_with(location),
            "{}",
            reply.raw
        );
        assert_eq!(
            export(&url).await,
            before,
            "nothing changed after {location}"
        );
    }
}

#[tokio::test]
async fn a_large_world_imports_past_the_vendor_body_limit() {
    let server = frozen_server(42).await;
    let url = server.base_url();
    let document = with_many_api_keys(&export(&url).await, 6000);
    assert!(document.len() > 1024 * 1024);
    let reply = import(&url, document).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let keys = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg/api-keys")
        .await;
    assert_eq!(keys.body["items"].as_array().unwrap().len(), 6000);
}

/// `document` with `count` more org API keys, to make saving it take a while.
fn with_many_api_keys(document: &str, count: u64) -> String {
    let mut state: Value = serde_json::from_str(document).unwrap();
    let first = state["ids"]["next_number"].as_u64().unwrap();
    let keys: Vec<Value> = (0..count)
        .map(|i| {
            json!({"id": first + i, "org_id": 1, "name": format!("bulk-{i:05}"),
                   "role": "Viewer", "created_at": NOW,
                   "secret": format!("bulk-secret-{i:05}-{}", "x".repeat(100))})
        })
        .collect();
    state["grafana"]["org_api_keys"] = Value::Array(keys);
    state["ids"]["next_number"] = json!(first + count);
    state.to_string()
}

// --- The binary with --state-file -------------------------------------------

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mockcloud-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mockcloud serve --port 0 --state-file PATH` and its base URL.
fn serve(state_file: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args([
            "serve",
            "--port",
            "0",
            "--log-level",
            "warn",
            "--state-file",
        ])
        .arg(state_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mockcloud starts");
    let url = listening_url(&mut child);
    (child, url)
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn grafana_at(url: &str) -> Grafana {
    Grafana {
        base_url: url.to_string(),
        token: Some(BOOTSTRAP_TOKEN.to_string()),
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn objects_survive_a_sigterm_and_restart() {
    let path = temp_dir("restart").join("state.json");
    let (mut child, url) = serve(&path);
    let grafana = grafana_at(&url);
    let policy = grafana
        .create_policy("us", "persisted", &["metrics:read"])
        .await;
    let key = grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "kept", "role": "Admin"}),
        )
        .await;
    assert_eq!(key.status, 200, "{}", key.raw);
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let (mut child, url) = serve(&path);
    let grafana = grafana_at(&url);
    let found = grafana
        .get(&format!(
            "/api/v1/accesspolicies/{}?region=us",
            policy["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(found.status, 200, "{}", found.raw);
    assert_eq!(found.body["name"], "persisted");
    let keys = grafana.get("/api/orgs/mockorg/api-keys").await;
    assert_eq!(keys.body["items"][0]["name"], "kept", "{}", keys.raw);
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_state_file_that_does_not_load_stops_the_start() {
    let path = temp_dir("corrupt").join("state.json");
    std::fs::write(&path, r#"{"version": 1, "seed": "x"}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0", "--state-file"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("seed"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"version": 1, "seed": "x"}"#,
        "left as it was"
    );
}

/// A small xorshift, seeded from the time: kills land somewhere new each run.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test]
async fn a_crash_at_any_moment_leaves_a_file_that_loads() {
    let dir = temp_dir("crash");
    let path = dir.join("state.json");
    let temporary = dir.join(".state.json.tmp");
    // A big world, so that a save takes long enough to be interrupted.
    let seed_server = frozen_server(42).await;
    let big = with_many_api_keys(&export(&seed_server.base_url()).await, 20_000);
    std::fs::write(&path, big).unwrap();

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut moments = Moments(u64::from(nanos) | 1);
    let mut keys_before = 20_000;
    for round in 0..6 {
        // Left by the last crash; it shows up again when a save starts.
        let _ = std::fs::remove_file(&temporary);
        let (mut child, url) = serve(&path);
        let grafana = grafana_at(&url);
        // A steady stream of changes, each one a reason to save.
        let writer = tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"name": format!("round-{round}-{i}"), "role": "Viewer"});
                let _ = grafana.post("/api/orgs/mockorg/api-keys", &body).await;
            }
        });
        if round % 2 == 0 {
            // Right in the middle of a save: the temporary file is there.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !temporary.exists() && Instant::now() < deadline {
                std::thread::yield_now();
            }
        } else {
            tokio::time::sleep(Duration::from_millis(100 + moments.next_millis(700))).await;
        }
        signal(&child, "-KILL");
        child.wait().unwrap();
        writer.abort();

        let text = std::fs::read_to_string(&path).expect("the state file is there");
        let state: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("round {round}: the state file is broken: {e}"));
        let keys = state["grafana"]["org_api_keys"].as_array().unwrap().len();
        assert!(
            keys >= keys_before,
            "round {round}: old or new state, never older"
        );
        keys_before = keys;
    }
    let (mut child, url) = serve(&path);
    let keys = grafana_at(&url).get("/api/orgs/mockorg/api-keys").await;
    assert_eq!(keys.status, 200);
    // The file's keys, and the acknowledged ones its log adds
    // (`durability.rs` checks that every one of those is there).
    assert!(keys.body["items"].as_array().unwrap().len() >= keys_before);
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// Sends the headers and the start of a body, leaving the request in flight.
async fn start_request(url: &str, path: &str, body: &str) -> tokio::net::TcpStream {
    let address = url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {BOOTSTRAP_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..1]).await.unwrap();
    // Let the server take the request in before anything else happens.
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_saves_and_exits() {
    let path = temp_dir("graceful").join("state.json");
    let (mut child, url) = serve(&path);
    let body = r#"{"name": "in-flight", "role": "Viewer"}"#;
    let mut stream = start_request(&url, "/api/orgs/mockorg/api-keys", body).await;
    let started = Instant::now();
    signal(&child, "-TERM");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body.as_bytes()[1..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(child.wait().unwrap().success());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("\"in-flight\""),
        "the request's change was saved"
    );
}

#[tokio::test]
async fn a_request_that_never_finishes_does_not_hold_up_shutdown() {
    let path = temp_dir("stuck").join("state.json");
    let (mut child, url) = serve(&path);
    let _stuck = start_request(&url, "/__admin/state", r#"{"never": "sent"}"#).await;
    let started = Instant::now();
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(path.exists(), "saved on the way out");
}

/// `state` without when tokens were used: recorded by reads, saved by
/// snapshots, not by the log.
fn without_token_uses(document: &str) -> Value {
    let mut state: Value = serde_json::from_str(document).unwrap();
    for token in state["grafana"]["tokens"].as_array_mut().unwrap() {
        token["first_used_at"] = Value::Null;
        token["last_used_at"] = Value::Null;
    }
    state
}

#[tokio::test]
async fn the_log_alone_brings_back_every_kind_of_change() {
    let dir = temp_dir("replay");
    let path = dir.join("state.json");
    let config = Config::default().with_seed(42).with_state_file(&path);
    let server = MockCloud::start(config).await.expect("server starts");
    server.clock().freeze(Some(NOW.parse().unwrap()));
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    populate(&grafana).await;
    // Updates and deletes of every kind, and rules changed at run time.
    let policy = grafana
        .create_policy("us", "doomed", &["metrics:read"])
        .await;
    let policy_id = policy["id"].as_str().unwrap();
    let token = grafana.create_token("us", policy_id, "doomed-token").await;
    let token_id = token["id"].as_str().unwrap();
    let kept = grafana.create_token("us", policy_id, "kept-token").await;
    for (method, path, body) in [
        (
            "POST",
            format!("/api/v1/tokens/{token_id}?region=us"),
            Some(json!({"displayName": "renamed"})),
        ),
        (
            "DELETE",
            format!("/api/v1/tokens/{}?region=us", kept["id"].as_str().unwrap()),
            None,
        ),
        (
            "POST",
            format!("/api/v1/accesspolicies/{policy_id}?region=us"),
            Some(json!({"displayName": "Doomed", "scopes": ["logs:read"],
                        "realms": [{"type": "org", "identifier": "1"}]})),
        ),
        (
            "DELETE",
            format!("/api/v1/accesspolicies/{policy_id}?region=us"),
            None,
        ),
        (
            "POST",
            "/api/instances/teststack".to_string(),
            Some(json!({"description": "changed"})),
        ),
        (
            "POST",
            "/api/instances/teststack/plugins/grafana-clock-panel".to_string(),
            Some(json!({"version": "latest"})),
        ),
        (
            "DELETE",
            "/api/orgs/mockorg/api-keys/legacy".to_string(),
            None,
        ),
        (
            "POST",
            "/api/orgs/mockorg/api-keys".to_string(),
            Some(json!({"name": "legacy", "role": "Editor"})),
        ),
    ] {
        let reply = grafana.send(method, &path, body.as_ref()).await;
        assert!(reply.status.is_success(), "{method} {path}: {}", reply.raw);
    }
    let cleared = reqwest::Client::new()
        .delete(format!("{}/__admin/rate-limits/datadog", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);

    // Every answer waited for its change to be in the log: a copy of the
    // files now is what a `kill -9` would leave.
    let copied = temp_dir("replay-copy").join("state.json");
    std::fs::copy(&path, &copied).unwrap();
    let log = std::fs::read(dir.join("state.json.log")).unwrap();
    assert!(
        log.len() > 1000,
        "the changes are in the log, not yet compacted"
    );
    std::fs::write(copied.with_extension("json.log"), log).unwrap();
    let copy = MockCloud::start(Config::default().with_seed(99).with_state_file(&copied))
        .await
        .expect("the copy starts");
    assert_eq!(
        without_token_uses(&export(&copy.base_url()).await),
        without_token_uses(&export(&server.base_url()).await)
    );
    copy.stop().await;
    server.stop().await;
}
