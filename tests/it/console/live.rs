//! The live view's details: while a live view is open, each vendor request's
//! whole exchange (`GET /__admin/ui/live/requests/{request_id}`), with its
//! credentials redacted, the fault or rate limit applied, and bodies as
//! the handler and the client saw them; nothing of a request nobody
//! watched.

use std::time::Duration;

use mockcloud::{Config, ConnectionLimits, MockCloud, credentials};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, Grafana};

/// Opens a live view: exchanges are captured while it is held.
async fn watch(server: &MockCloud) -> reqwest::Response {
    let stream = reqwest::get(format!("{}/__admin/ui/live/events", server.base_url()))
        .await
        .expect("the live view opens");
    assert_eq!(stream.status(), StatusCode::OK);
    stream
}

/// The details panel's fragment of a request, and its text with HTML's
/// escapes undone (a secret must not appear in either).
async fn details(server: &MockCloud, request_id: &str) -> (StatusCode, String) {
    let reply = reqwest::get(format!(
        "{}/__admin/ui/live/requests/{request_id}",
        server.base_url()
    ))
    .await
    .unwrap();
    let status = reply.status();
    let html = reply.text().await.unwrap();
    (status, html)
}

fn unescaped(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Asserts `secret` appears nowhere in the fragment, escaped or not.
fn assert_hidden(html: &str, secret: &str) {
    assert!(
        !html.contains(secret) && !unescaped(html).contains(secret),
        "{secret} is shown:\n{html}"
    );
}

/// Reads the event stream until an entry for `request_id` comes.
async fn entry_event(stream: &mut reqwest::Response, request_id: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(&format!("\"requestId\":\"{request_id}\"")) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn a_watched_token_creation_shows_both_bodies_and_neither_credential() {
    let server = common::start_default().await;
    let mut live = watch(&server).await;
    let grafana = Grafana::new(&server, credentials::GRAFANA_TOKEN);
    let policy = grafana
        .create_policy("eu", "capture-policy", &["metrics:read"])
        .await;
    let reply = reqwest::Client::new()
        .post(format!("{}/api/v1/tokens?region=eu", server.base_url()))
        .bearer_auth(credentials::GRAFANA_TOKEN)
        .header("x-request-id", "capture-token-1")
        .json(&json!({"accessPolicyId": policy["id"], "name": "capture-token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    // Teed, not rebuilt: the client gets the length and the whole body.
    let length: usize = reply.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let raw = reply.bytes().await.unwrap();
    assert_eq!(raw.len(), length);
    let token: Value = serde_json::from_slice(&raw).unwrap();
    let secret = token["token"].as_str().expect("the token's secret");
    let id = token["id"].as_str().expect("the token's id");
    // The live view still streams, and sends the request's entry.
    entry_event(&mut live, "capture-token-1").await;

    let (status, html) = details(&server, "capture-token-1").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let text = unescaped(&html);
    for shown in [
        "POST /api/v1/tokens?region=eu HTTP/1.1",
        "Bearer REDACTED",
        "\"name\": \"capture-token\"",
        &format!("\"accessPolicyId\": \"{}\"", policy["id"].as_str().unwrap()),
        "200 OK",
        &format!("\"id\": \"{id}\""),
        "\"token\": \"REDACTED\"",
        "capture-token-1",
    ] {
        assert!(text.contains(shown), "{shown} is not shown:\n{text}");
    }
    assert_hidden(&html, secret);
    assert_hidden(&html, credentials::GRAFANA_TOKEN);
}

#[tokio::test]
async fn datadog_keys_are_redacted() {
    let server = common::start_default().await;
    let _live = watch(&server).await;
    let reply = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/usage/billable-summary",
            server.base_url()
        ))
        .header("DD-API-KEY", credentials::DATADOG_API_KEY)
        .header("DD-APPLICATION-KEY", credentials::DATADOG_APP_KEY)
        .header("x-request-id", "capture-dd-1")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let (status, html) = details(&server, "capture-dd-1").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for name in ["dd-api-key", "dd-application-key"] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{name}</th><td>REDACTED</td>")),
            "{name} is not redacted:\n{html}"
        );
    }
    assert_hidden(&html, credentials::DATADOG_API_KEY);
    assert_hidden(&html, credentials::DATADOG_APP_KEY);
    // The answer's body is shown: the summary's usage.
    assert!(unescaped(&html).contains("\"usage\""), "{html}");
}

#[tokio::test]
async fn the_fault_or_rate_limit_applied_is_shown() {
    let server = common::start_default().await;
    let _live = watch(&server).await;
    let client = reqwest::Client::new();
    let base = server.base_url();
    let added = client
        .post(format!("{base}/__admin/faults"))
        .json(
            &json!({"id": "capture-fault", "vendor": "gcore", "path": "/cloud/v1/usage_report",
                      "effect": {"error": {"status": 503}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let usage_report = |id: &'static str| {
        client
            .post(format!("{base}/cloud/v1/usage_report"))
            .header(
                "Authorization",
                format!("APIKey {}", credentials::GCORE_API_KEY),
            )
            .header("x-request-id", id)
            .json(&json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-02T00:00:00Z"}))
            .send()
    };
    assert_eq!(
        usage_report("capture-fault-1").await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (status, html) = details(&server, "capture-fault-1").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("fault rule capture-fault: error"),
        "no fault:\n{html}"
    );
    assert!(html.contains("503 Service Unavailable"), "{html}");
    assert!(html.contains("APIKey REDACTED"), "{html}");
    assert_hidden(&html, credentials::GCORE_API_KEY);

    // A rate limit's refusal, the same way.
    client
        .delete(format!("{base}/__admin/faults/capture-fault"))
        .send()
        .await
        .unwrap();
    let limited = client
        .put(format!("{base}/__admin/rate-limits/gcore"))
        .json(&json!([{"name": "capture-limit", "limit": 1, "period_seconds": 60}]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        limited.status(),
        StatusCode::OK,
        "{:?}",
        limited.text().await
    );
    assert_eq!(
        usage_report("capture-ok").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        usage_report("capture-limited").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let (_, html) = details(&server, "capture-limited").await;
    assert!(
        html.contains("rate limit capture-limit"),
        "no rate limit:\n{html}"
    );
    assert!(html.contains("429 Too Many Requests"), "{html}");
    let (_, ok) = details(&server, "capture-ok").await;
    assert!(!ok.contains("rate limit"), "{ok}");
}

#[tokio::test]
async fn a_request_nobody_watched_is_not_captured() {
    let server = common::start_default().await;
    let grafana = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/accesspolicies?region=us",
            server.base_url()
        ))
        .bearer_auth(credentials::GRAFANA_TOKEN);
    let before = grafana
        .try_clone()
        .unwrap()
        .header("x-request-id", "unwatched-1")
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), StatusCode::OK);
    let _live = watch(&server).await;
    let watched = grafana
        .header("x-request-id", "watched-1")
        .send()
        .await
        .unwrap();
    assert_eq!(watched.status(), StatusCode::OK);
    // In the journal, but not captured: nobody watched.
    assert!(
        server
            .journal()
            .entries(&mockcloud::JournalFilter::new())
            .iter()
            .any(|entry| entry.request_id == "unwatched-1")
    );
    let (status, html) = details(&server, "unwatched-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not captured"), "{html}");
    let (status, _) = details(&server, "never-sent").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = details(&server, "watched-1").await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

#[tokio::test]
async fn a_body_over_the_cap_is_cut_in_the_capture_but_whole_for_the_handler() {
    let server = common::start_default().await;
    let _live = watch(&server).await;
    let client = reqwest::Client::new();
    let post = |id: &'static str, body: Vec<u8>| {
        client
            .post(format!("{}/cloud/v1/usage_report", server.base_url()))
            .header(
                "Authorization",
                format!("APIKey {}", credentials::GCORE_API_KEY),
            )
            .header("Content-Type", "application/json")
            .header("x-request-id", id)
            .body(body)
            .send()
    };
    // 100 kB of white space before the report's query: the handler answers
    // it only if it read the body to its end.
    let query = json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-02T00:00:00Z"});
    let mut body = vec![b' '; 100_000];
    body.extend_from_slice(query.to_string().as_bytes());
    let length = body.len();
    let reply = post("capture-large", body).await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let (_, html) = details(&server, "capture-large").await;
    assert!(
        html.contains(&format!("Body: the first 65536 of {length} bytes")),
        "{html}"
    );
    assert!(!html.contains("time_from"), "the end is not kept: {html}");

    // Over the server's limit (1 MiB): still the vendor's 413.
    let too_large = vec![b' '; 1024 * 1024 + 1];
    let reply = post("capture-too-large", too_large).await.unwrap();
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, html) = details(&server, "capture-too-large").await;
    assert!(html.contains("413 Payload Too Large"), "{html}");
}

#[tokio::test]
async fn a_stalled_body_still_gets_408_while_watched() {
    let server = MockCloud::start(Config::default().with_connection_limits(ConnectionLimits {
        body_read_timeout: Duration::from_millis(300),
        ..ConnectionLimits::default()
    }))
    .await
    .unwrap();
    let _live = watch(&server).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /cloud/v1/usage_report HTTP/1.1\r\nHost: localhost\r\n\
                 Authorization: APIKey {}\r\nContent-Type: application/json\r\n\
                 x-request-id: capture-stalled\r\nContent-Length: 1000\r\n\r\n{{\"time_from\"",
                credentials::GCORE_API_KEY
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (_, html) = details(&server, "capture-stalled").await;
    assert!(html.contains("408 Request Timeout"), "{html}");
    assert!(
        html.contains("then the request body failed"),
        "the body's failure is told: {html}"
    );
}
