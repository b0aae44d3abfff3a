//! The guard on `/__admin`: a web page the user visits cannot drive it
//! (cross-site `text/plain` POSTs, a foreign `Origin`) nor read it through
//! DNS rebinding (a foreign `Host`); health and the vendors' endpoints are
//! untouched.

use crate::common::*;
use mockcloud::{Config, MockCloud, StartError};
use serde_json::Value;

const RULE: &str = r#"{"id": "down", "vendor": "gcore", "effect": {"error": {"status": 503}}}"#;

/// `method` on `path` with exactly the headers given (reqwest adds no
/// content type of its own when the body is a string).
async fn raw(
    server: &MockCloud,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    into_reply(request.send().await.expect("request sent")).await
}

/// The admin's error shape: `{"error": "..."}` mentioning `needle`.
fn assert_admin_error(reply: &Reply, status: u16, needle: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.raw);
    let object = reply.body.as_object().expect("a JSON object");
    assert_eq!(object.len(), 1, "{}", reply.raw);
    let error = reply.body["error"].as_str().expect("error is a string");
    assert!(
        error.to_lowercase().contains(&needle.to_lowercase()),
        "{error:?} should mention {needle:?}"
    );
}

async fn fault_ids(server: &MockCloud) -> Vec<Value> {
    let faults = admin_send(server, "GET", "/__admin/faults", None, None).await;
    faults.body["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].clone())
        .collect()
}

#[tokio::test]
async fn changes_must_be_json_whatever_the_body() {
    let server = start_default().await;
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| ("content-type", ct))
            .into_iter()
            .collect();
        let added = raw(&server, "POST", "/__admin/faults", &headers, Some(RULE)).await;
        assert_admin_error(&added, 415, "Content-Type: application/json");
        let imported = raw(&server, "PUT", "/__admin/state", &headers, Some("{}")).await;
        assert_admin_error(&imported, 415, "application/json");
        // Body-less changes too: a browser's simple POST may have no body.
        let reset = raw(&server, "POST", "/__admin/reset", &headers, None).await;
        assert_admin_error(&reset, 415, "application/json");
        let frozen = raw(&server, "POST", "/__admin/clock/freeze", &headers, None).await;
        assert_admin_error(&frozen, 415, "application/json");
    }
    assert!(fault_ids(&server).await.is_empty(), "nothing was added");
    assert!(!server.clock().is_frozen(), "the clock was not frozen");

    for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
        let json = [("content-type", content_type)];
        // An empty body is fine where none is needed.
        let reset = raw(&server, "POST", "/__admin/reset", &json, None).await;
        assert_eq!(reset.status, 200, "{}", reset.raw);
        let added = raw(&server, "POST", "/__admin/faults", &json, Some(RULE)).await;
        assert_eq!(added.status, 201, "{}", added.raw);
    }
    // DELETE and GET need none: a browser preflights a cross-site DELETE.
    let removed = raw(&server, "DELETE", "/__admin/faults/down", &[], None).await;
    assert_eq!(removed.status, 200, "{}", removed.raw);
    let read = raw(&server, "GET", "/__admin/clock", &[], None).await;
    assert_eq!(read.status, 200, "{}", read.raw);
}

#[tokio::test]
async fn a_browsers_simple_cross_site_post_does_not_get_through() {
    let server = start_default().await;
    // What <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) sends.
    for (content_type, body) in [
        (Some("text/plain"), Some(RULE)),
        (Some("application/x-www-form-urlencoded"), Some("a=b")),
        (None, None),
    ] {
        let mut headers = vec![("origin", "https://evil.example")];
        headers.extend(content_type.map(|ct| ("content-type", ct)));
        let reply = raw(&server, "POST", "/__admin/faults", &headers, body).await;
        assert_admin_error(&reply, 403, "cross-site");
        let reply = raw(&server, "POST", "/__admin/reset", &headers, body).await;
        assert_admin_error(&reply, 403, "cross-site");
    }
    assert!(fault_ids(&server).await.is_empty());
}

#[tokio::test]
async fn a_foreign_origin_is_refused_even_with_json_and_the_servers_own_is_not() {
    let server = start_default().await;
    let port = server.addr().port();
    let json = ("content-type", "application/json");
    let own = format!("http://127.0.0.1:{port}");
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1).max(1));
    let localhost = format!("http://localhost:{port}");
    for origin in [
        "http://evil.example",
        "null",
        other_port.as_str(),
        // The right host under another name is another origin.
        localhost.as_str(),
        "file://",
        "garbage",
    ] {
        let headers = [("origin", origin), json];
        let reply = raw(&server, "POST", "/__admin/faults", &headers, Some(RULE)).await;
        assert_admin_error(&reply, 403, "cross-site");
        let read = raw(
            &server,
            "GET",
            "/__admin/state",
            &[("origin", origin)],
            None,
        )
        .await;
        assert_admin_error(&read, 403, "cross-site");
    }
    assert!(fault_ids(&server).await.is_empty());

    let same = [("origin", own.as_str()), json];
    let added = raw(&server, "POST", "/__admin/faults", &same, Some(RULE)).await;
    assert_eq!(added.status, 201, "{}", added.raw);
    let host = format!("localhost:{port}");
    let by_name = [
        ("host", host.as_str()),
        ("origin", localhost.as_str()),
        json,
    ];
    let reset = raw(&server, "POST", "/__admin/reset", &by_name, None).await;
    assert_eq!(reset.status, 200, "{}", reset.raw);
}

#[tokio::test]
async fn dns_rebinding_cannot_read_or_change_the_world() {
    let server = start_default().await;
    let evil = [("host", "evil.example")];
    let state = raw(&server, "GET", "/__admin/state", &evil, None).await;
    assert_admin_error(&state, 403, "evil.example");
    assert!(
        !state.raw.contains(mockcloud::credentials::GRAFANA_TOKEN),
        "no secret in the refusal"
    );
    let with_port = [("host", "evil.example:8080")];
    for (method, path) in [
        ("GET", "/__admin/state"),
        ("GET", "/__admin/journal"),
        ("GET", "/__admin/metrics"),
        ("GET", "/__admin/faults"),
        ("DELETE", "/__admin/faults"),
    ] {
        let reply = raw(&server, method, path, &with_port, None).await;
        assert_admin_error(&reply, 403, "host");
    }
    let json = [
        ("host", "evil.example"),
        ("content-type", "application/json"),
    ];
    let added = raw(&server, "POST", "/__admin/faults", &json, Some(RULE)).await;
    assert_admin_error(&added, 403, "--allowed-host");
    assert!(fault_ids(&server).await.is_empty());

    // Health answers any Host (container health checks), and so do the
    // vendors: real clients send the vendor's host name.
    let health = raw(&server, "GET", "/__admin/health", &evil, None).await;
    assert_eq!(health.status, 200, "{}", health.raw);
    let grafana = raw(
        &server,
        "GET",
        "/api/v1/accesspolicies?region=us",
        &[
            ("host", "grafana.com"),
            ("authorization", &format!("Bearer {BOOTSTRAP_TOKEN}")),
        ],
        None,
    )
    .await;
    assert_eq!(grafana.status, 200, "{}", grafana.raw);
    let datadog = raw(
        &server,
        "GET",
        "/api/v1/usage/billable-summary",
        &[
            ("host", "api.datadoghq.com"),
            ("origin", "https://app.example"),
            ("dd-api-key", DD_API_KEY),
            ("dd-application-key", DD_APP_KEY),
        ],
        None,
    )
    .await;
    assert_eq!(datadog.status, 200, "{}", datadog.raw);
}

#[tokio::test]
async fn the_servers_own_addresses_pass_whatever_the_port() {
    let server = start_default().await;
    let port = server.addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("LocalHost.:{port}"),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        // A port mapping (docker run -p 9000:8080) changes the port.
        "localhost:9000".to_string(),
        format!("app.localhost:{port}"),
    ] {
        let headers = [("host", host.as_str())];
        let state = raw(&server, "GET", "/__admin/state", &headers, None).await;
        assert_eq!(state.status, 200, "Host {host}: {}", state.raw);
        let json = [
            ("host", host.as_str()),
            ("content-type", "application/json"),
        ];
        let reset = raw(&server, "POST", "/__admin/reset", &json, None).await;
        assert_eq!(reset.status, 200, "Host {host}: {}", reset.raw);
    }
    for host in [
        "10.1.2.3",
        "[fe80::1]:8080",
        "localhost.evil.example",
        "a b",
        "u@localhost",
    ] {
        let reply = raw(&server, "GET", "/__admin/clock", &[("host", host)], None).await;
        assert_admin_error(&reply, 403, "host");
    }
}

#[tokio::test]
async fn configured_names_pass_and_others_do_not() {
    let server = MockCloud::start(
        Config::default()
            .with_allowed_host("mockcloud")
            .with_allowed_host(".corp.example"),
    )
    .await
    .unwrap();
    for host in [
        "mockcloud:8080",
        "MockCloud",
        "corp.example",
        "ci.corp.example:80",
    ] {
        let reply = raw(&server, "GET", "/__admin/state", &[("host", host)], None).await;
        assert_eq!(reply.status, 200, "Host {host}: {}", reply.raw);
    }
    for host in ["evilcorp.example", "mockcloud.evil.example", "evil.example"] {
        let reply = raw(&server, "GET", "/__admin/state", &[("host", host)], None).await;
        assert_admin_error(&reply, 403, "host");
    }
    // The Origin must still be the server's own, under the name used.
    let ok = [
        ("host", "mockcloud:8080"),
        ("origin", "http://mockcloud:8080"),
        ("content-type", "application/json"),
    ];
    let reset = raw(&server, "POST", "/__admin/reset", &ok, None).await;
    assert_eq!(reset.status, 200, "{}", reset.raw);
    let cross = [
        ("host", "mockcloud:8080"),
        ("origin", "http://ci.corp.example:8080"),
        ("content-type", "application/json"),
    ];
    let reset = raw(&server, "POST", "/__admin/reset", &cross, None).await;
    assert_admin_error(&reset, 403, "cross-site");

    let any = MockCloud::start(Config::default().with_allowed_host("*"))
        .await
        .unwrap();
    let reply = raw(
        &any,
        "GET",
        "/__admin/clock",
        &[("host", "anything.example")],
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
}

#[tokio::test]
async fn the_host_and_origin_checks_come_before_the_token() {
    let server = MockCloud::start(Config::default().with_admin_token("s3cret"))
        .await
        .unwrap();
    let token = ("authorization", "Bearer s3cret");
    let rebound = raw(
        &server,
        "GET",
        "/__admin/state",
        &[("host", "evil.example"), token],
        None,
    )
    .await;
    assert_admin_error(&rebound, 403, "host");
    let cross = raw(
        &server,
        "GET",
        "/__admin/state",
        &[("origin", "http://evil.example"), token],
        None,
    )
    .await;
    assert_admin_error(&cross, 403, "cross-site");
    // The token, then the content type.
    let untokened = raw(&server, "POST", "/__admin/reset", &[], None).await;
    assert_admin_error(&untokened, 401, "admin token");
    let plain = raw(
        &server,
        "POST",
        "/__admin/reset",
        &[token, ("content-type", "text/plain")],
        None,
    )
    .await;
    assert_admin_error(&plain, 415, "application/json");
    let ok = raw(
        &server,
        "POST",
        "/__admin/reset",
        &[token, ("content-type", "application/json")],
        None,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
}

#[tokio::test]
async fn an_empty_admin_token_or_a_bad_allowed_host_does_not_start() {
    for token in ["", "   "] {
        let refused = MockCloud::start(Config::default().with_admin_token(token)).await;
        match refused {
            Err(StartError::Config(message)) => {
                assert!(message.contains("admin token is empty"), "{message}")
            }
            other => panic!("an empty token should not start: {other:?}"),
        }
    }
    for name in ["", "http://mockcloud", "mockcloud:8080", "a/b"] {
        let refused = MockCloud::start(Config::default().with_allowed_host(name)).await;
        match refused {
            Err(StartError::Config(message)) => {
                assert!(message.contains("allowed host"), "{message}")
            }
            other => panic!("allowed host {name:?} should not start: {other:?}"),
        }
    }
}
