//! Runs the official vendor SDKs (tests/sdk/: Python, and Datadog's
//! TypeScript client in tests/sdk/ts/) against an in-process mockcloud.
//! `.ci/run` installs the Python clients into `.venv` and the Node one into
//! tests/sdk/ts/node_modules; set MOCKCLOUD_SDK_PYTHON or MOCKCLOUD_SDK_NODE
//! to use another interpreter.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn sdk_python() -> PathBuf {
    if let Some(python) = std::env::var_os("MOCKCLOUD_SDK_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "the SDK tests need the official clients: run `bash .ci/run` once, or \
         `python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt`"
    );
    venv
}

/// Runs one Python test module against a fresh server; panics with its output
/// unless every test passed.
async fn run_sdk_module(module: &'static str) {
    let server = common::start_default().await;
    let python = sdk_python();
    let url = server.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-m", "unittest", "-v", module])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk"))
            .env("MOCKCLOUD_URL", url)
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("OK"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_datadog_client_parses_every_usage_metering_answer() {
    run_sdk_module("test_datadog").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_gcore_client_parses_every_usage_report() {
    run_sdk_module("test_gcore").await;
}

const TS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/ts");

/// `node` from MOCKCLOUD_SDK_NODE, else the first on PATH.
fn sdk_node() -> PathBuf {
    if let Some(node) = std::env::var_os("MOCKCLOUD_SDK_NODE") {
        return PathBuf::from(node);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("node"))
                .find(|node| node.is_file())
        })
        .expect(
            "the TypeScript SDK test needs Node.js 18 or later on PATH: run `bash .ci/run` \
             once (it installs nodejs and npm with apt-get where node is missing)",
        )
}

/// The default scenario with more attribution tag values (6 teams × 3 envs ×
/// 10 services, 180 groups per org): hourly and monthly attribution then run
/// past one 5000-record page, so the client walks `next_record_id`.
fn many_tag_groups() -> Value {
    let mut scenario: Value =
        serde_json::from_str(include_str!("../../scenarios/default.json")).unwrap();
    scenario["datadog"]["attribution_tags"] = json!({
        "team": ["platform", "payments", "search", "mobile", "data", "growth"],
        "env": ["prod", "staging", "dev"],
        "service": ["api", "web", "worker", "billing", "auth", "cart", "feed", "mail", "media", "jobs"]
    });
    scenario
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_datadog_typescript_client_parses_every_usage_metering_answer() {
    let node = sdk_node();
    assert!(
        Path::new(TS_DIR)
            .join("node_modules/@datadog/datadog-api-client")
            .is_dir(),
        "the TypeScript SDK test needs @datadog/datadog-api-client: run `bash .ci/run` once, \
         or `npm ci --prefix tests/sdk/ts`"
    );
    let server = common::start_scenario(many_tag_groups()).await;
    let url = server.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&node)
            .args(["--test", "--test-reporter=spec", "datadog.test.mjs"])
            .current_dir(TS_DIR)
            .env("MOCKCLOUD_URL", url)
            .env("MOCKCLOUD_SDK_EXPECT_PAGES", "1")
            .output()
            .unwrap_or_else(|error| panic!("{} runs: {error}", node.display()))
    })
    .await
    .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    assert!(report.contains("ℹ fail 0"), "{report}");
    assert!(!report.contains("ℹ pass 0"), "{report}");
}
