//! Shared by the integration tests: an in-process server on port 0 and a
//! small Grafana client that returns (status, headers, JSON body).

pub mod grafana_spec;

use mockcloud::{Config, MockCloud, Scenario};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The default scenario's bootstrap token (every scope, org `mockorg`, id 1).
pub const BOOTSTRAP_TOKEN: &str = mockcloud::credentials::GRAFANA_TOKEN;

pub async fn start_default() -> MockCloud {
    MockCloud::start(Config::default())
        .await
        .expect("server starts")
}

pub async fn start_scenario(scenario: Value) -> MockCloud {
    let scenario = Scenario::from_json_value(scenario).expect("valid test scenario");
    MockCloud::start(Config::default().with_scenario(scenario))
        .await
        .expect("server starts")
}

/// A scenario with two orgs, each with an all-powerful token:
/// org 1 `alpha` (token `alpha-token`), org 2 `beta` (token `beta-token`),
/// both in regions `us` and `eu`.
pub fn two_org_scenario() -> Value {
    let org = |id: u64, slug: &str| {
        serde_json::json!({
            "id": id, "slug": slug, "name": slug,
            "access_policies": [{
                "name": format!("{slug}-admin"), "region": "us",
                "scopes": ["accesspolicies:read", "accesspolicies:write", "accesspolicies:delete"],
                "tokens": [{"name": format!("{slug}-admin-token"), "token": format!("{slug}-token")}]
            }]
        })
    };
    serde_json::json!({
        "name": "two-orgs",
        "grafana": {
            "regions": [
                {"id": 1, "slug": "us", "name": "US", "provider": "gcp"},
                {"id": 2, "slug": "eu", "name": "EU", "provider": "gcp"}
            ],
            "orgs": [org(1, "alpha"), org(2, "beta")]
        }
    })
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// `Value::Null` when the body is empty.
    pub body: Value,
    pub raw: String,
}

/// A Grafana Cloud API client bound to one token.
#[derive(Clone)]
pub struct Grafana {
    pub base_url: String,
    pub token: Option<String>,
    pub client: reqwest::Client,
}

impl Grafana {
    pub fn new(server: &MockCloud, token: &str) -> Self {
        Grafana {
            base_url: server.base_url(),
            token: Some(token.to_string()),
            client: reqwest::Client::new(),
        }
    }

    pub fn with_token(&self, token: Option<&str>) -> Self {
        Grafana {
            token: token.map(str::to_string),
            ..self.clone()
        }
    }

    /// `path_and_query` starts with `/api/...`.
    pub async fn send(&self, method: &str, path_and_query: &str, body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base_url, path_and_query));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request sent");
        into_reply(response).await
    }

    pub async fn send_raw(&self, method: &str, path_and_query: &str, body: String) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base_url, path_and_query))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        into_reply(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send("GET", path_and_query, None).await
    }

    pub async fn post(&self, path_and_query: &str, body: &Value) -> Reply {
        self.send("POST", path_and_query, Some(body)).await
    }

    pub async fn delete(&self, path_and_query: &str) -> Reply {
        self.send("DELETE", path_and_query, None).await
    }

    /// Creates a policy in `region` with the given scopes and an org realm
    /// for org 1; panics unless 200.
    pub async fn create_policy(&self, region: &str, name: &str, scopes: &[&str]) -> Value {
        let reply = self
            .post(
                &format!("/api/v1/accesspolicies?region={region}"),
                &serde_json::json!({
                    "name": name,
                    "scopes": scopes,
                    "realms": [{"type": "org", "identifier": "1"}]
                }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "create policy: {}", reply.raw);
        grafana_spec::assert_access_policy(&reply.body);
        reply.body
    }

    /// Creates a token for `policy_id`; panics unless 200. The reply holds `token`.
    pub async fn create_token(&self, region: &str, policy_id: &str, name: &str) -> Value {
        let reply = self
            .post(
                &format!("/api/v1/tokens?region={region}"),
                &serde_json::json!({"accessPolicyId": policy_id, "name": name}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "create token: {}", reply.raw);
        grafana_spec::assert_token_with_secret(&reply.body);
        reply.body
    }
}

/// `method` on an `/__admin` path as the admin API wants it: every change
/// (`POST`, `PUT`, `PATCH`) says `Content-Type: application/json`, with or
/// without a body; `token`, when given, as `Authorization: Bearer`.
pub async fn admin_send(
    server: &MockCloud,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let changes = !matches!(
        method,
        reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::DELETE
    );
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", server.base_url()));
    if changes || body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    into_reply(request.send().await.expect("request sent")).await
}

pub async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let raw = response.text().await.expect("body read");
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw).unwrap_or_else(|_| panic!("JSON body expected, got {raw:?}"))
    };
    Reply {
        status,
        headers,
        body,
        raw,
    }
}

/// Asserts a Grafana error: status, `code`, and a message mentioning `needle`.
pub fn assert_grafana_error(reply: &Reply, status: u16, code: &str, needle: &str) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.raw);
    assert_eq!(reply.body["code"], code, "body: {}", reply.raw);
    grafana_spec::assert_error_payload(&reply.body);
    // The four fields of Grafana's ErrorPayload: statusCode repeats the
    // status, requestId is the request's X-Request-Id.
    assert_eq!(reply.body["statusCode"], status, "body: {}", reply.raw);
    let request_id = reply
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("X-Request-Id on every answer");
    assert_eq!(reply.body["requestId"], request_id, "body: {}", reply.raw);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(
        message.to_lowercase().contains(&needle.to_lowercase()),
        "message {message:?} should mention {needle:?}"
    );
}

/// The default scenario's Datadog keys (parent org `mockddorg0001`).
pub const DD_API_KEY: &str = mockcloud::credentials::DATADOG_API_KEY;
pub const DD_APP_KEY: &str = mockcloud::credentials::DATADOG_APP_KEY;

/// A Datadog client bound to one key pair.
#[derive(Clone)]
pub struct Datadog {
    pub base_url: String,
    pub api_key: Option<String>,
    pub app_key: Option<String>,
    pub client: reqwest::Client,
}

impl Datadog {
    pub fn new(server: &MockCloud) -> Self {
        Datadog {
            base_url: server.base_url(),
            api_key: Some(DD_API_KEY.to_string()),
            app_key: Some(DD_APP_KEY.to_string()),
            client: reqwest::Client::new(),
        }
    }

    pub fn with_keys(&self, api_key: Option<&str>, app_key: Option<&str>) -> Self {
        Datadog {
            api_key: api_key.map(str::to_string),
            app_key: app_key.map(str::to_string),
            ..self.clone()
        }
    }

    /// `path_and_query` starts with `/api/v1/usage/...` or `/api/v2/usage/...`.
    pub async fn get(&self, path_and_query: &str) -> Reply {
        let mut request = self
            .client
            .get(format!("{}{}", self.base_url, path_and_query));
        if let Some(key) = &self.api_key {
            request = request.header("DD-API-KEY", key);
        }
        if let Some(key) = &self.app_key {
            request = request.header("DD-APPLICATION-KEY", key);
        }
        into_reply(request.send().await.expect("request sent")).await
    }
}

/// Asserts a Datadog error: status and `{"errors": [...]}` mentioning `needle`.
pub fn assert_datadog_error(reply: &Reply, status: u16, needle: &str) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.raw);
    let errors = reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors list expected: {}", reply.raw));
    assert!(!errors.is_empty(), "{}", reply.raw);
    let text = errors
        .iter()
        .filter_map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.to_lowercase().contains(&needle.to_lowercase()),
        "errors {text:?} should mention {needle:?}"
    );
}

/// A route template with its parameters' names left out, so that
/// `/api/orgs/{org}` and `/api/orgs/{orgSlug}` compare equal.
pub fn path_template(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// The base URL from the first line a `mockcloud serve` child prints
/// ("mockcloud listening on http://127.0.0.1:PORT"); its stdout must be piped.
pub fn listening_url(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .expect("a line on stdout");
    line.trim()
        .strip_prefix("mockcloud listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

/// Set to `1` (`.ci/run` does) to make a missing external environment fail
/// the tests that need it instead of skipping them.
pub const REQUIRE_EXTERNAL: &str = "MOCKCLOUD_REQUIRE_EXTERNAL";

/// The one decision for tests that drive an external tool (the official
/// Python SDKs, Node and Datadog's TypeScript client, schemathesis,
/// openapi-spec-validator): `found` is the tool, or what is missing.
///
/// When it is missing, the test named `test` is skipped: this prints
/// `SKIPPED <test>: <missing>; run bash .ci/run` on the process's standard
/// error (written directly, so the test harness does not swallow it) and
/// returns `None`, on which the test returns and passes. With
/// `MOCKCLOUD_REQUIRE_EXTERNAL=1` it panics instead (`<test> cannot run:
/// <missing>; …`), so CI never passes a suite it could not run.
pub fn external<T>(test: &str, found: Result<T, String>) -> Option<T> {
    use std::io::Write;
    let missing = match found {
        Ok(tool) => return Some(tool),
        Err(missing) => missing,
    };
    let required =
        std::env::var(REQUIRE_EXTERNAL).is_ok_and(|value| !value.is_empty() && value != "0");
    if required {
        panic!(
            "{test} cannot run: {missing}; run bash .ci/run \
             ({REQUIRE_EXTERNAL} is set: a missing environment fails, it is not skipped)"
        );
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {missing}; run bash .ci/run"
    );
    None
}

/// `.venv/bin/<tool>` in the crate's directory, where `.ci/run` installs
/// tests/sdk/requirements.txt, or what is missing.
pub fn venv_tool(tool: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(tool);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "no .venv/bin/{tool} (tests/sdk/requirements.txt installed into .venv)"
        ))
    }
}
