//! Contract fuzzing: `schemathesis` (tests/sdk/requirements.txt, installed
//! into `.venv` by `.ci/run`) against an in-process mockcloud, once per
//! vendor, with the document the server itself publishes. Every response must
//! match the document — a declared status, a body valid against its schema,
//! the declared content type and headers — no request may produce a 5xx, and
//! schema-violating requests must be rejected.
//!
//! The run is reproducible: a fixed seed and a frozen clock. Set
//! `MOCKCLOUD_CONTRACT_SEED`, `MOCKCLOUD_CONTRACT_EXAMPLES` and
//! `MOCKCLOUD_CONTRACT_PHASES` to explore further than CI
//! does, and `MOCKCLOUD_CONTRACT_VERBOSE` to see schemathesis' report.
//! Without schemathesis the tests say so and pass (`common::external`),
//! unless MOCKCLOUD_REQUIRE_EXTERNAL=1.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use chrono::{TimeZone, Utc};

/// Test cases per operation and phase when `MOCKCLOUD_CONTRACT_EXAMPLES`
/// is not set: enough to cover every parameter, small enough for CI.
const DEFAULT_EXAMPLES: &str = "40";
const DEFAULT_SEED: &str = "20261123";

/// Every check but `positive_data_acceptance`: the vendors reject requests
/// whose fields disagree with each other (an end before its start, a month
/// too far back), which no schema can say.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection,\
missing_required_header,unsupported_method,ignored_auth";

/// `.venv/bin/schemathesis`, or what is missing.
fn schemathesis() -> Result<PathBuf, String> {
    common::venv_tool("schemathesis")
}

/// Fuzzes `vendor` on a fresh server; skips `test` without schemathesis.
async fn fuzz(test: &str, vendor: &'static str, headers: &[&str]) {
    let Some(program) = common::external(test, schemathesis()) else {
        return;
    };
    let server = common::start_default().await;
    fuzz_server(&server, program, vendor, headers).await;
}

async fn fuzz_server(
    server: &mockcloud::MockCloud,
    program: PathBuf,
    vendor: &'static str,
    headers: &[&str],
) {
    // Usage, costs and expiry all follow the clock: freeze it so that the
    // documents' examples always fall on days that have data.
    server
        .clock()
        .freeze(Some(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()));
    let base = server.base_url();
    let examples =
        std::env::var("MOCKCLOUD_CONTRACT_EXAMPLES").unwrap_or_else(|_| DEFAULT_EXAMPLES.into());
    let seed = std::env::var("MOCKCLOUD_CONTRACT_SEED").unwrap_or_else(|_| DEFAULT_SEED.into());
    let mut args = vec![
        "run".to_string(),
        format!("{base}/__admin/openapi/{vendor}.json"),
        "--url".into(),
        base.clone(),
        "--checks".into(),
        CHECKS.into(),
        "--phases".into(),
        std::env::var("MOCKCLOUD_CONTRACT_PHASES")
            .unwrap_or_else(|_| "examples,coverage,fuzzing,stateful".into()),
        "--max-examples".into(),
        examples,
        "--seed".into(),
        seed,
        "--generation-database".into(),
        "none".into(),
        "--no-color".into(),
        "--workers".into(),
        "1".into(),
    ];
    for header in headers {
        args.push("-H".into());
        args.push(header.to_string());
    }
    // schemathesis keeps a cache of past failures in its working directory
    // and replays them: a fresh directory keeps each run to its own seed.
    let workdir = std::env::temp_dir().join(format!(
        "mockcloud-contract-{vendor}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&workdir).unwrap();
    let cwd = workdir.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .args(&args)
            .current_dir(cwd)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&workdir);
    let report = String::from_utf8_lossy(&output.stdout);
    if std::env::var_os("MOCKCLOUD_CONTRACT_VERBOSE").is_some() {
        eprintln!("{report}");
    }
    assert!(
        output.status.success(),
        "schemathesis found {vendor} responses that break its document:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A run that tested nothing also exits 0, and one locked out by its own
    // deletes tests only error paths: every documented path must have
    // answered some request with a 2xx.
    assert!(report.contains("Tested:"), "{report}");
    let document: serde_json::Value = reqwest::get(format!("{base}/__admin/openapi/{vendor}.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let metrics = reqwest::get(format!("{base}/__admin/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let succeeded: BTreeSet<String> = metrics
        .lines()
        .filter(|line| line.starts_with("mockcloud_requests_total{"))
        .filter(|line| line.contains(&format!("vendor=\"{vendor}\"")))
        .filter(|line| line.contains("status=\"2"))
        .filter_map(|line| line.split("operation=\"").nth(1)?.split('"').next())
        .map(common::path_template)
        .collect();
    for path in document["paths"].as_object().unwrap().keys() {
        assert!(
            succeeded.contains(&common::path_template(path)),
            "no request to {vendor} {path} succeeded during the run:\n{report}\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_datadog_surface_keeps_its_openapi_contract() {
    fuzz(
        "contract::the_datadog_surface_keeps_its_openapi_contract",
        "datadog",
        &[
            "DD-API-KEY: mock-dd-api-key",
            "DD-APPLICATION-KEY: mock-dd-app-key",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gcore_surface_keeps_its_openapi_contract() {
    fuzz(
        "contract::the_gcore_surface_keeps_its_openapi_contract",
        "gcore",
        &["Authorization: APIKey mock-gcore-key"],
    )
    .await;
}

/// The fuzzer updates and deletes what it finds, the bootstrap policy among
/// them, and would lock itself out within seconds: it runs with a token of
/// its own, from an all-scope policy in another region, with the
/// access-policy rate limit lifted (tests/it/vendor_rate_limits.rs covers it).
#[tokio::test(flavor = "multi_thread")]
async fn the_grafana_surface_keeps_its_openapi_contract() {
    let Some(program) = common::external(
        "contract::the_grafana_surface_keeps_its_openapi_contract",
        schemathesis(),
    ) else {
        return;
    };
    let server = common::start_default().await;
    let base = server.base_url();
    let client = reqwest::Client::new();
    let lifted = client
        .delete(format!("{base}/__admin/rate-limits/grafana"))
        .send()
        .await
        .unwrap();
    assert!(lifted.status().is_success(), "{}", lifted.status());
    let bootstrap = common::Grafana::new(&server, common::BOOTSTRAP_TOKEN);
    let policies = bootstrap
        .get("/api/v1/accesspolicies?region=us&name=mock-bootstrap")
        .await;
    let scopes: Vec<&str> = policies.body["items"][0]["scopes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", policies.raw))
        .iter()
        .filter_map(|scope| scope.as_str())
        .collect();
    assert!(scopes.len() > 10, "{}", policies.raw);
    let policy = bootstrap
        .create_policy("au", "contract-fuzzer", &scopes)
        .await;
    let token = bootstrap
        .create_token("au", policy["id"].as_str().unwrap(), "contract-fuzzer")
        .await;
    let secret = token["token"].as_str().unwrap_or_else(|| panic!("{token}"));
    fuzz_server(
        &server,
        program,
        "grafana",
        &[&format!("Authorization: Bearer {secret}")],
    )
    .await;
}
