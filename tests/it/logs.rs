//! Request logs: the binary writes a line per request on stderr (text or
//! JSON), with the method, the path (credentials redacted), the vendor, the
//! status, the latency, the fault or rate limit applied and why a request
//! was refused; stdout keeps only the "listening" line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A `mockcloud serve` child on a free port, its base URL, and its stderr
/// lines as they come.
struct Served {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut listening = String::new();
    stdout.read_line(&mut listening).unwrap();
    let url = listening
        .trim()
        .strip_prefix("mockcloud listening on ")
        .unwrap_or_else(|| panic!("the listening line as before: {listening:?}"))
        .to_string();
    let (send, lines) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    Served { child, url, lines }
}

impl Served {
    /// The next `count` lines (waiting up to 10 s for each).
    fn next_lines(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|_| {
                self.lines
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a log line")
            })
            .collect()
    }

    /// No further line within a short while.
    fn assert_quiet(&self) {
        if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(300)) {
            panic!("unexpected log line {line}");
        }
    }
}

fn get(url: &str, headers: &[(&str, &str)]) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

const GRAFANA: (&str, &str) = ("Authorization", "Bearer mock-grafana-token");

#[test]
fn text_lines_name_the_request_its_answer_and_why_it_was_refused() {
    let served = serve(&[]);
    let url = &served.url;
    let policies = format!("{url}/api/v1/accesspolicies?region=us&api_key=very-secret");
    assert_eq!(get(&policies, &[GRAFANA]), 200);
    assert_eq!(
        get(&format!("{url}/api/v1/accesspolicies?region=us"), &[]),
        401
    );
    let lines = served.next_lines(2);

    let ok = &lines[0];
    for part in [
        " INFO ",
        "method=GET",
        "path=/api/v1/accesspolicies?region=us&api_key=REDACTED",
        "vendor=\"grafana\"",
        "answered",
        "status=200",
        "latency_ms=",
    ] {
        assert!(ok.contains(part), "{part} missing from {ok}");
    }
    assert!(!ok.contains("very-secret"), "{ok}");
    assert!(!ok.contains("mock-grafana-token"), "{ok}");

    let refused = &lines[1];
    for part in ["refused", "status=401", "reason=\"Login required"] {
        assert!(refused.contains(part), "{part} missing from {refused}");
    }

    // Health checks are quiet at the default level.
    assert_eq!(get(&format!("{url}/__admin/health"), &[]), 200);
    served.assert_quiet();
}

#[test]
fn json_lines_carry_the_same_fields_and_the_fault_applied() {
    let fault = r#"{"vendor": "datadog", "effect": {"error": {"status": 503}}}"#;
    let served = serve(&["--log-format", "json", "--fault", fault]);
    let url = &served.url;
    let dd = [
        ("DD-API-KEY", "mock-dd-api-key"),
        ("DD-APPLICATION-KEY", "mock-dd-app-key"),
    ];
    let summary = format!("{url}/api/v1/usage/billable-summary");
    assert_eq!(get(&summary, &dd), 503);
    assert_eq!(get(&format!("{url}/api/orgs/mockorg"), &[GRAFANA]), 200);
    let lines: Vec<Value> = served
        .next_lines(2)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();

    let faulted = &lines[0];
    assert_eq!(faulted["level"], "INFO");
    assert_eq!(faulted["message"], "refused");
    assert_eq!(faulted["status"], 503);
    assert!(faulted["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(
        faulted["fault"]
            .as_str()
            .is_some_and(|f| f.contains("(error)")),
        "{faulted}"
    );
    assert!(faulted["reason"].is_string(), "{faulted}");
    assert_eq!(faulted["method"], "GET");
    assert_eq!(faulted["path"], "/api/v1/usage/billable-summary");
    assert_eq!(faulted["vendor"], "datadog");

    let ok = &lines[1];
    assert_eq!(ok["message"], "answered");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["vendor"], "grafana");
    assert!(ok.get("fault").is_none(), "{ok}");
}

#[test]
fn a_rate_limited_request_names_its_limit_and_debug_logs_health() {
    let served = serve(&["--log-level", "debug"]);
    let url = &served.url;
    // Lower Grafana's limit to one request a minute through the admin API.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let put = runtime.block_on(async {
        reqwest::Client::new()
            .put(format!("{url}/__admin/rate-limits/grafana"))
            .json(&serde_json::json!([{"name": "tight", "limit": 1, "period_seconds": 60}]))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(put, 200);
    let policies = format!("{url}/api/v1/accesspolicies?region=us");
    assert_eq!(get(&policies, &[GRAFANA]), 200);
    assert_eq!(get(&policies, &[GRAFANA]), 429);
    assert_eq!(get(&format!("{url}/__admin/health"), &[]), 200);
    let lines = served.next_lines(4);
    assert!(lines[0].contains("rate-limits/grafana"), "{}", lines[0]);
    let limited = &lines[2];
    for part in ["refused", "status=429", "rate_limit=\"tight\"", "reason="] {
        assert!(limited.contains(part), "{part} missing from {limited}");
    }
    assert!(lines[3].contains("DEBUG"), "{}", lines[3]);
    assert!(lines[3].contains("path=/__admin/health"), "{}", lines[3]);
}

#[test]
fn a_bad_log_level_is_refused_with_the_choices() {
    let output = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0", "--log-level", "loud"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("debug"), "{stderr}");
}

#[test]
fn a_stderr_nobody_reads_never_blocks_a_request() {
    // stderr piped and never read: the pipe fills after a few hundred lines.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
        .args(["serve", "--port", "0"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut listening = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut listening)
        .unwrap();
    let url = listening.trim().rsplit(' ').next().unwrap().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answered = runtime.block_on(async {
        let client = reqwest::Client::new();
        let path = format!("{url}/api/orgs/mockorg?padding={}", "x".repeat(500));
        let mut answered = 0;
        for _ in 0..2_000 {
            let response = tokio::time::timeout(
                Duration::from_secs(10),
                client.get(&path).header(GRAFANA.0, GRAFANA.1).send(),
            )
            .await
            .expect("answered although nobody reads the logs")
            .unwrap();
            assert_eq!(response.status(), 200);
            answered += 1;
        }
        answered
    });
    assert_eq!(answered, 2_000);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn rust_log_takes_tracing_directives_when_no_level_is_given() {
    let run = |rust_log: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mockcloud"))
            .args(["serve", "--port", "0"])
            .env("RUST_LOG", rust_log)
            .env_remove("MOCKCLOUD_LOG_LEVEL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut listening = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut listening)
            .unwrap();
        let url = listening.trim().rsplit(' ').next().unwrap().to_string();
        assert_eq!(get(&format!("{url}/__admin/health"), &[]), 200);
        // SIGTERM: a clean stop flushes the log thread.
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let debug = run("mockcloud=debug");
    assert!(debug.contains("path=/__admin/health"), "{debug}");
    assert!(debug.contains("DEBUG"), "{debug}");
    let off = run("off");
    assert!(!off.contains("health"), "{off}");
}
