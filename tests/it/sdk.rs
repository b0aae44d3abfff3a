//! Runs the official vendor SDKs (tests/sdk/: Python, and Datadog's
//! TypeScript client in tests/sdk/ts/) against an in-process mockcloud.
//! `.ci/run` installs the Python clients into `.venv` and the Node one into
//! tests/sdk/ts/node_modules; set MOCKCLOUD_SDK_PYTHON or MOCKCLOUD_SDK_NODE
//! to use another interpreter. Where they are missing the tests say so and
//! pass (`common::external`), unless MOCKCLOUD_REQUIRE_EXTERNAL=1.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// The interpreter with the official Python clients: MOCKCLOUD_SDK_PYTHON,
/// else `.venv/bin/python`; or what is missing.
fn sdk_python() -> Result<PathBuf, String> {
    if let Some(python) = std::env::var_os("MOCKCLOUD_SDK_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    common::venv_tool("python")
}

/// Runs one Python test module against a fresh server; panics with its output
/// unless every test passed. Skips `test` where the clients are missing.
async fn run_sdk_module(test: &str, module: &'static str) {
    let Some(python) = common::external(test, sdk_python()) else {
        return;
    };
    let server = common::start_default().await;
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
    run_sdk_module(
        "sdk::the_official_datadog_client_parses_every_usage_metering_answer",
        "test_datadog",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_gcore_client_parses_every_usage_report() {
    run_sdk_module(
        "sdk::the_official_gcore_client_parses_every_usage_report",
        "test_gcore",
    )
    .await;
}

const TS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/ts");

/// `node` from MOCKCLOUD_SDK_NODE, else the first on PATH, with Datadog's
/// client installed in tests/sdk/ts/node_modules; or what is missing.
fn sdk_node() -> Result<PathBuf, String> {
    let node = match std::env::var_os("MOCKCLOUD_SDK_NODE") {
        Some(node) => PathBuf::from(node),
        None => std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("node"))
                    .find(|node| node.is_file())
            })
            .ok_or("no `node` on PATH (Node.js 18 or later)")?,
    };
    if !Path::new(TS_DIR)
        .join("node_modules/@datadog/datadog-api-client")
        .is_dir()
    {
        return Err("no tests/sdk/ts/node_modules/@datadog/datadog-api-client \
                    (`npm ci --prefix tests/sdk/ts`)"
            .into());
    }
    Ok(node)
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
    let Some(node) = common::external(
        "sdk::the_official_datadog_typescript_client_parses_every_usage_metering_answer",
        sdk_node(),
    ) else {
        return;
    };
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
