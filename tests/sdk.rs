//! Runs the official vendor SDKs (tests/sdk/, Python) against an in-process
//! mockcloud. `.ci/run` installs them into `.venv`; set MOCKCLOUD_SDK_PYTHON
//! to use another interpreter.

mod common;

use std::path::PathBuf;
use std::process::Command;

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
