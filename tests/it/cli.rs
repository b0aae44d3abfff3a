//! The `mockcloud` binary as users run it.

use std::process::{Child, Command, Stdio};

use crate::common::listening_url;

fn mockcloud() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mockcloud"))
}

/// Starts `mockcloud serve` with `args` and returns it with the base URL from
/// its "listening" line.
fn serve(args: &[&str], envs: &[(&str, &str)]) -> (Child, String) {
    let mut child = mockcloud()
        .arg("serve")
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mockcloud starts");
    let url = listening_url(&mut child);
    (child, url)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    child.wait().expect("mockcloud exits")
}

#[tokio::test]
async fn serve_on_port_zero_prints_its_url_answers_and_stops_on_sigterm() {
    let (mut child, url) = serve(&["--port", "0"], &[]);
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("url {url:?} should be http://127.0.0.1:PORT"));
    assert_ne!(port, 0);
    let health: serde_json::Value = reqwest::get(format!("{url}/__admin/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["scenario"], "default");
    assert!(terminate(&mut child).success());
}

#[tokio::test]
async fn options_can_come_from_the_environment() {
    let (mut child, url) = serve(
        &[],
        &[
            ("MOCKCLOUD_PORT", "0"),
            ("MOCKCLOUD_HOST", "127.0.0.1"),
            ("MOCKCLOUD_SEED", "99"),
            ("MOCKCLOUD_SCENARIO", "default"),
        ],
    );
    let health: serde_json::Value = reqwest::get(format!("{url}/__admin/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["seed"], 99);
    terminate(&mut child);
}

#[tokio::test]
async fn a_scenario_file_can_be_given_by_path() {
    let dir = std::env::temp_dir().join(format!("mockcloud-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.json");
    std::fs::write(&path, r#"{"name": "tiny-from-file"}"#).unwrap();
    let (mut child, url) = serve(&["--port", "0", "--scenario", path.to_str().unwrap()], &[]);
    let health: serde_json::Value = reqwest::get(format!("{url}/__admin/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["scenario"], "tiny-from-file");
    terminate(&mut child);
}

#[test]
fn a_bad_scenario_exits_non_zero_and_says_where() {
    let dir = std::env::temp_dir().join(format!("mockcloud-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.json");
    std::fs::write(
        &path,
        r#"{"name": "bad", "grafana": {"orgs": [{"id": 1, "slug": "x", "name": "x", "regionz": []}]}}"#,
    )
    .unwrap();
    let output = mockcloud()
        .args(["serve", "--port", "0", "--scenario", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "no listening line for a bad scenario"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot load scenario"), "{stderr}");
    assert!(stderr.contains("grafana.orgs[0]"), "{stderr}");
    assert!(stderr.contains("regionz"), "{stderr}");

    // On a taken port too: the scenario (read beside the binding) is what
    // is named.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = mockcloud()
        .args([
            "serve",
            "--port",
            &port,
            "--scenario",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot load scenario"), "{stderr}");
    assert!(stderr.contains("regionz"), "{stderr}");

    let output = mockcloud()
        .args(["serve", "--port", "0", "--scenario", "no-such-scenario"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-scenario"));
}

#[test]
fn help_explains_every_option() {
    let top = mockcloud().arg("--help").output().unwrap();
    assert!(top.status.success());
    assert!(String::from_utf8_lossy(&top.stdout).contains("serve"));
    let serve = mockcloud().args(["serve", "--help"]).output().unwrap();
    assert!(serve.status.success());
    let text = String::from_utf8_lossy(&serve.stdout);
    for option in [
        "--host",
        "--port",
        "--scenario",
        "--seed",
        "--admin-token",
        "--allowed-host",
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--max-connections",
        "--threads",
        "--fault",
        "--faults",
        "--journal-size",
        "--state-file",
    ] {
        assert!(text.contains(option), "{option} missing from:\n{text}");
    }
    // The built-in scenarios are named where --scenario is explained.
    for name in mockcloud::Scenario::built_in_names() {
        assert!(text.contains(name), "scenario {name} missing from:\n{text}");
    }
    for variable in [
        "MOCKCLOUD_HOST",
        "MOCKCLOUD_PORT",
        "MOCKCLOUD_SCENARIO",
        "MOCKCLOUD_SEED",
        "MOCKCLOUD_ADMIN_TOKEN",
        "MOCKCLOUD_ALLOWED_HOSTS",
        "MOCKCLOUD_HEADER_TIMEOUT",
        "MOCKCLOUD_BODY_TIMEOUT",
        "MOCKCLOUD_IDLE_TIMEOUT",
        "MOCKCLOUD_MAX_CONNECTIONS",
        "MOCKCLOUD_THREADS",
    ] {
        assert!(text.contains(variable), "{variable} missing from:\n{text}");
    }
}

#[test]
fn timeouts_are_checked_when_given() {
    for bad in ["0", "0ms", "10h", "soon", "2d"] {
        let output = mockcloud()
            .args(["serve", "--port", "0", &format!("--header-timeout={bad}")])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bad} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--header-timeout"), "{stderr}");
    }
}

#[tokio::test]
async fn the_body_timeout_can_come_from_the_environment() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut child, url) = serve(&["--port", "0"], &[("MOCKCLOUD_BODY_TIMEOUT", "300ms")]);
    let address = url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /__admin/faults HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "no answer within 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    terminate(&mut child);
}

#[test]
fn healthcheck_succeeds_against_a_running_server_and_fails_without_one() {
    let (mut child, url) = serve(&["--port", "0"], &[]);
    let port = url.rsplit(':').next().unwrap();
    let healthy = mockcloud()
        .args(["healthcheck", "--port", port])
        .output()
        .unwrap();
    assert!(healthy.status.success(), "{healthy:?}");
    terminate(&mut child);
    let down = mockcloud()
        .args(["healthcheck", "--port", port])
        .output()
        .unwrap();
    assert!(!down.status.success());
    assert!(!down.stderr.is_empty());
}

#[test]
fn an_empty_admin_token_is_refused_at_start() {
    for (args, envs) in [
        (vec!["serve", "--port", "0", "--admin-token", ""], vec![]),
        (
            vec!["serve", "--port", "0"],
            vec![("MOCKCLOUD_ADMIN_TOKEN", "")],
        ),
    ] {
        let output = mockcloud().args(&args).envs(envs).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "no listening line");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("admin token is empty"), "{stderr}");
        assert!(stderr.contains("--admin-token"), "{stderr}");
    }
}

/// Reads what the child wrote on stderr until it exited.
fn stderr_of(child: &mut Child) -> String {
    use std::io::Read;
    let mut text = String::new();
    child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn a_non_loopback_bind_without_an_admin_token_warns() {
    let (mut child, url) = serve(&["--host", "0.0.0.0", "--port", "0"], &[]);
    let port = url.rsplit(':').next().unwrap().to_string();
    // Reachable over loopback, and the admin API answers there.
    let clock = reqwest::get(format!("http://127.0.0.1:{port}/__admin/clock"))
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
    terminate(&mut child);
    let stderr = stderr_of(&mut child);
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("without an admin token"), "{stderr}");
    assert!(stderr.contains("--admin-token"), "{stderr}");

    // With a token, or on loopback, no warning.
    for args in [
        &[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--admin-token",
            "s3cret",
        ][..],
        &["--host", "127.0.0.1", "--port", "0"][..],
    ] {
        let (mut child, _) = serve(args, &[]);
        terminate(&mut child);
        let stderr = stderr_of(&mut child);
        assert!(!stderr.contains("warning"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn allowed_hosts_come_from_flags_or_the_environment() {
    let state = |url: &str, host: &str| {
        let request = reqwest::Client::new()
            .get(format!("{url}/__admin/state"))
            .header("host", host);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (mut child, url) = serve(
        &[
            "--port",
            "0",
            "--allowed-host",
            "mockcloud",
            "--allowed-host",
            ".corp.example",
        ],
        &[],
    );
    assert_eq!(state(&url, "mockcloud:8080").await, 200);
    assert_eq!(state(&url, "ci.corp.example").await, 200);
    assert_eq!(state(&url, "evil.example").await, 403);
    terminate(&mut child);

    let (mut child, url) = serve(
        &["--port", "0"],
        &[("MOCKCLOUD_ALLOWED_HOSTS", "mockcloud,app")],
    );
    assert_eq!(state(&url, "app").await, 200);
    assert_eq!(state(&url, "mockcloud").await, 200);
    assert_eq!(state(&url, "evil.example").await, 403);
    terminate(&mut child);

    let bad = mockcloud()
        .args([
            "serve",
            "--port",
            "0",
            "--allowed-host",
            "http://mockcloud:8080",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("invalid allowed host"), "{stderr}");
}

#[test]
fn a_taken_port_is_named_with_its_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = mockcloud()
        .args(["serve", "--host", "127.0.0.1", "--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("choose another, or 0"), "{stderr}");
}
