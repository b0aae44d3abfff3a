//! Runs Datadog's official TypeScript client (tests/sdk/ts/) against an
//! in-process mockcloud. The official Python clients run through the pytest
//! plugin's suite (python/tests, run by `python_package`). `.ci/run`
//! installs the Node client into tests/sdk/ts/node_modules; set
//! MOCKCLOUD_SDK_NODE to use another node. Where it is missing the test says
//! so and passes (`common::external`), unless MOCKCLOUD_REQUIRE_EXTERNAL=1.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

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
