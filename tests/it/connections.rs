//! Clients that misbehave at the connection level: partial heads and bodies
//! held open, idle keep-alive connections, more connections than the cap,
//! and requests hyper refuses before any handler (431, 400 for bytes that are
//! not UTF-8) or axum refuses in plain text (the admin 413). Every test runs
//! on loopback with short timeouts and is bounded in time.

use std::time::{Duration, Instant};

use mockcloud::{Config, ConnectionLimits, MockCloud, credentials};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_millis(400);
const BODY_TIMEOUT: Duration = Duration::from_millis(400);
const IDLE_TIMEOUT: Duration = Duration::from_millis(600);
/// What a test waits at most for anything the server does on its own.
const PATIENCE: Duration = Duration::from_secs(5);

async fn start(max_connections: usize) -> MockCloud {
    MockCloud::start(Config::default().with_connection_limits(ConnectionLimits {
        header_read_timeout: HEADER_TIMEOUT,
        body_read_timeout: BODY_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        max_connections,
        ..ConnectionLimits::default()
    }))
    .await
    .expect("server starts")
}

/// A connection that has sent `bytes`.
async fn send(server: &MockCloud, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection, and when it
/// closed it; panics if it does not within [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Instant) {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open; it sent {:?}",
        String::from_utf8_lossy(&received)
    );
    (received, Instant::now())
}

/// The status and JSON body of one raw HTTP/1.1 answer.
fn parse_answer(bytes: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer in {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "not JSON: {head}"
    );
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, body)
}

/// One request on a fresh connection, read until the server closes it. The
/// request is written while the answer is read: the server may answer (and
/// close) before reading all of a request it refuses.
async fn exchange(server: &MockCloud, request: &[u8]) -> (u16, Value) {
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let request = request.to_vec();
    let writer = tokio::spawn(async move {
        let _ = writing.write_all(&request).await;
        // Kept open (no FIN) until the answer is read.
        writing
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, reading.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    drop(writer.await);
    parse_answer(&answer)
}

async fn health(server: &MockCloud) -> reqwest::StatusCode {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    client
        .get(format!("{}/__admin/health", server.base_url()))
        .send()
        .await
        .expect("health answers")
        .status()
}

fn assert_grafana(body: &Value, status: u16, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["statusCode"], status, "{body}");
    assert!(
        body["message"].is_string() && body["requestId"].is_string(),
        "{body}"
    );
}

fn assert_datadog(body: &Value) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(errors.len() == 1 && errors[0].is_string(), "{body}");
}

fn assert_gcore(body: &Value, exception_class: &str) {
    assert_eq!(body["exception_class"], exception_class, "{body}");
    assert!(
        body["message"].is_string() && body["request_id"].is_string(),
        "{body}"
    );
}

fn assert_admin(body: &Value) {
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
}

const PARTIAL_HEAD: &[u8] =
    b"GET /api/v1/accesspolicies?region=us HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

fn partial_body(path: &str, auth: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: 52428800\r\n\r\n{{\"name\""
    )
    .into_bytes()
}

#[tokio::test]
async fn held_partial_heads_and_bodies_are_closed_after_the_timeouts_while_health_answers() {
    let server = start(64).await;
    let opened = Instant::now();
    let mut heads = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..20 {
        heads.push(send(&server, PARTIAL_HEAD).await);
        bodies.push(send(&server, &partial_body("/__admin/faults", "")).await);
    }
    // While they are held, health answers at once.
    assert_eq!(health(&server).await, 200);
    for stream in &mut heads {
        let (answer, closed) = until_closed(stream).await;
        assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
        assert!(closed - opened >= HEADER_TIMEOUT);
    }
    for stream in &mut bodies {
        let (answer, closed) = until_closed(stream).await;
        let (status, body) = parse_answer(&answer);
        assert_eq!(status, 408);
        assert_admin(&body);
        assert!(closed - opened >= BODY_TIMEOUT);
    }
    assert_eq!(health(&server).await, 200);
}

#[tokio::test]
async fn a_head_dribbled_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
    let server = start(64).await;
    let mut stream = send(&server, b"G").await;
    let started = Instant::now();
    let mut closed = false;
    for byte in b"ET /api/v1/accesspolicies HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa" {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        assert!(started.elapsed() < PATIENCE);
    }
    if !closed {
        until_closed(&mut stream).await;
    }
    assert!(started.elapsed() < HEADER_TIMEOUT * 4);
}

#[tokio::test]
async fn a_stalled_body_gets_408_in_the_vendor_s_shape() {
    let server = start(64).await;
    let grafana = format!("Authorization: Bearer {}\r\n", credentials::GRAFANA_TOKEN);
    let (status, body) = exchange(
        &server,
        &partial_body("/api/v1/accesspolicies?region=us", &grafana),
    )
    .await;
    assert_eq!(status, 408);
    assert_grafana(&body, 408, "RequestTimeout");

    let gcore = format!("Authorization: APIKey {}\r\n", credentials::GCORE_API_KEY);
    let (status, body) = exchange(&server, &partial_body("/cloud/v1/usage_report", &gcore)).await;
    assert_eq!(status, 408);
    assert_gcore(&body, "RequestTimeout");

    let (status, body) = exchange(&server, &partial_body("/__admin/state", "")).await;
    assert_eq!(status, 408);
    assert_admin(&body);

    // The journal saw the 408 the client got.
    let seen = server.journal().entries(&mockcloud::JournalFilter::new());
    assert!(
        seen.iter().any(|entry| entry.status == Some(408)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = start(64).await;
    let mut stream = send(
        &server,
        b"GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /__admin/health HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    let answered = Instant::now();
    let (answers, closed) = until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&answers);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    let idle = closed - answered;
    assert!(
        idle >= IDLE_TIMEOUT - Duration::from_millis(50) && idle < PATIENCE,
        "{idle:?}"
    );
}

#[tokio::test]
async fn at_the_cap_the_longest_waiting_connection_makes_room_and_health_answers() {
    let server = start(4).await;
    // More held-open connections than the cap: each new one closes the one
    // that waited longest, so the newest are served.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(send(&server, PARTIAL_HEAD).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(health(&server).await, 200);
    // A normal client gets through too.
    let reply = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/accesspolicies?region=us",
            server.base_url()
        ))
        .bearer_auth(credentials::GRAFANA_TOKEN)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    // The oldest were closed without an answer.
    let (answer, closed) = until_closed(&mut held[0]).await;
    assert!(answer.is_empty());
    assert!(closed.elapsed() < PATIENCE);
}

#[tokio::test]
async fn with_every_connection_busy_health_still_answers_and_others_get_503() {
    let server = start(4).await;
    let mut busy = Vec::new();
    for _ in 0..4 {
        busy.push(send(&server, &partial_body("/__admin/faults", "")).await);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(health(&server).await, 200);
    let (status, body) = exchange(
        &server,
        b"GET /api/v1/usage/hourly_usage HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(status, 503);
    assert_datadog(&body);
    // The busy ones still get their own answer: 408.
    for stream in &mut busy {
        let (answer, _) = until_closed(stream).await;
        assert_eq!(parse_answer(&answer).0, 408);
    }
}

#[tokio::test]
async fn refusals_before_any_handler_are_json_in_the_owner_s_shape() {
    let server = start(64).await;

    // A 1 MiB query.
    let mut request = b"GET /api/v1/accesspolicies?region=".to_vec();
    request.extend(std::iter::repeat_n(b'a', 1 << 20));
    request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let (status, body) = exchange(&server, &request).await;
    assert_eq!(status, 431);
    assert_grafana(&body, 431, "RequestHeaderFieldsTooLarge");

    // 1,000 headers.
    let mut request = b"GET /api/v1/usage/hourly_usage HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..1000 {
        request.extend_from_slice(format!("X-H{i}: 1\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let (status, body) = exchange(&server, &request).await;
    assert_eq!(status, 431);
    assert_datadog(&body);

    // Raw 0xFF in a path, then in a query.
    let (status, body) = exchange(
        &server,
        b"GET /cloud/v1/usage_report/\xff HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);
    assert_gcore(&body, "ValidationError");
    let (status, body) = exchange(
        &server,
        b"GET /api/v1/accesspolicies?region=\xff\xfe HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);
    assert_grafana(&body, 400, "BadRequest");
    let (status, body) = exchange(
        &server,
        b"GET /__admin/faults/\xff HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400);
    assert_admin(&body);

    // Percent-encoded bytes that are not UTF-8 reach axum, whose plain-text
    // rejection is rendered in the owner's shape too.
    let reply = reqwest::Client::new()
        .get(format!("{}/__admin/faults/%FF%FE", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert_admin(&reply.json().await.unwrap());

    // An admin body over its limit.
    let reply = reqwest::Client::new()
        .post(format!("{}/__admin/faults", server.base_url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 413);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_admin(&reply.json().await.unwrap());

    // None of this hurt the server.
    assert_eq!(health(&server).await, 200);
}

#[tokio::test]
async fn stop_returns_promptly_with_connections_held_open() {
    let server = start(64).await;
    let _held = [
        send(&server, PARTIAL_HEAD).await,
        send(&server, &partial_body("/__admin/faults", "")).await,
    ];
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(3), server.stop()).await;
    assert!(stopped.is_ok(), "stop waited on held connections");
}
