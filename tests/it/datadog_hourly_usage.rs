//! Datadog hourly usage by product family, `GET /api/v2/usage/hourly_usage`,
//! and the month it adds up to, `GET /api/v1/usage/billable-summary`.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use mockcloud::MockCloud;
use serde_json::Value;

const NOW: &str = "2026-06-15T12:00:00Z";
/// `NOW` − 72 hours: the newest hour with data.
const NEWEST_HOUR: &str = "2026-06-12T12:00:00+00:00";
const HOURLY: &str = "/api/v2/usage/hourly_usage";
const BILLABLE: &str = "/api/v1/usage/billable-summary";
const PARENT: &str = "mockddorg0001";
const CHILDREN: [&str; 2] = ["mockddchild0a", "mockddchild0b"];

/// The families `get_hourly_usage` of datadog-api-client 2.62.0 documents
/// for `filter[product_families]` (but `all` and the deprecated
/// `audit_logs`).
const DOCUMENTED_FAMILIES: [&str; 54] = [
    "ai",
    "analyzed_logs",
    "application_performance_monitoring",
    "application_security",
    "audit_trail",
    "bits_ai",
    "serverless",
    "ci_app",
    "cloud_cost_management",
    "cloud_siem",
    "csm_container_enterprise",
    "csm_host_enterprise",
    "csm_host_pro",
    "cspm",
    "custom_events",
    "cws",
    "data_observability",
    "dbm",
    "digital_experience_management",
    "error_tracking",
    "fargate",
    "infra_hosts",
    "incident_management",
    "indexed_logs",
    "indexed_spans",
    "infrastructure_monitoring",
    "ingested_spans",
    "iot",
    "lambda_traced_invocations",
    "llm_observability",
    "log_management",
    "logs",
    "network_flows",
    "network_hosts",
    "network_monitoring",
    "observability_pipelines",
    "online_archive",
    "platform_capabilities",
    "product_analytics",
    "profiling",
    "rum",
    "rum_browser_sessions",
    "rum_mobile_sessions",
    "sds",
    "security",
    "snmp",
    "software_delivery",
    "synthetics_api",
    "synthetics_browser",
    "synthetics_mobile",
    "synthetics_parallel_testing",
    "timeseries",
    "vuln_management",
    "workflow_executions",
];

async fn default_server() -> MockCloud {
    let server = start_default().await;
    server.clock().freeze(Some(NOW.parse().unwrap()));
    server
}

fn hourly(query: &str) -> String {
    format!("{HOURLY}?{query}")
}

async fn ok(dd: &Datadog, path: &str) -> Value {
    let reply = dd.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
    reply.body
}

fn data(body: &Value) -> &Vec<Value> {
    body["data"].as_array().expect("data list")
}

fn next_record_id(body: &Value) -> Option<String> {
    body["meta"]["pagination"]["next_record_id"]
        .as_str()
        .map(str::to_string)
}

/// Every record of a query, following `page[next_record_id]`; and the
/// number of pages.
async fn walk(dd: &Datadog, query: &str) -> (Vec<Value>, usize) {
    let mut records = Vec::new();
    let mut pages = 0;
    let mut path = hourly(query);
    loop {
        let body = ok(dd, &path).await;
        pages += 1;
        records.extend(data(&body).iter().cloned());
        match next_record_id(&body) {
            Some(next) => path = hourly(&format!("{query}&page[next_record_id]={next}")),
            None => return (records, pages),
        }
    }
}

fn attr<'a>(record: &'a Value, name: &str) -> &'a str {
    record["attributes"][name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {record}"))
}

fn measurement(record: &Value, usage_type: &str) -> i64 {
    record["attributes"]["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["usage_type"] == usage_type)
        .and_then(|m| m["value"].as_i64())
        .unwrap_or_else(|| panic!("{usage_type} in {record}"))
}

#[tokio::test]
async fn every_malformed_request_is_400_naming_the_problem() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let start = "filter[timestamp][start]=2026-06-01T00";
    let cases = [
        (
            "filter[product_families]=infra_hosts".to_string(),
            "filter[timestamp][start]",
        ),
        (start.to_string(), "filter[product_families]"),
        (
            format!("{start}&filter[product_families]=infra_hosts,nope"),
            "\"nope\"",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&filter[versions]=infra_hosts"),
            "filter[versions]",
        ),
        (
            format!(
                "{start}&filter[product_families]=infra_hosts&filter[versions]=infra_hosts:2.0.0"
            ),
            "filter[versions]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&filter[versions]=nope:1.0.0"),
            "filter[versions]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&page[limit]=0"),
            "page[limit]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&page[limit]=501"),
            "page[limit]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&page[limit]=ten"),
            "page[limit]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&page[next_record_id]=%25%25"),
            "page[next_record_id]",
        ),
        (
            format!(
                "{start}&filter[product_families]=infra_hosts&filter[timestamp][end]=2026-05-31T23"
            ),
            "must be before end_hr",
        ),
        (
            "filter[timestamp][start]=2025-02-28T23&filter[product_families]=infra_hosts"
                .to_string(),
            "15 months",
        ),
        (
            "filter[timestamp][start]=yesterday&filter[product_families]=infra_hosts".to_string(),
            "filter[timestamp][start]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&filter[timestamp][end]=soon"),
            "filter[timestamp][end]",
        ),
        (
            format!("{start}&filter[product_families]=infra_hosts&filter[include_descendants]=yes"),
            "filter[include_descendants]",
        ),
    ];
    for (query, needle) in cases {
        let reply = dd.get(&hourly(&query)).await;
        assert_datadog_error(&reply, 400, needle);
    }
}

#[tokio::test]
async fn the_oldest_start_is_fifteen_months_back() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &hourly(
            "filter[timestamp][start]=2025-03-01T00&filter[timestamp][end]=2025-03-01T02&filter[product_families]=iot",
        ),
    )
    .await;
    assert_eq!(data(&body).len(), 2);
}

#[tokio::test]
async fn bad_or_missing_keys_are_403() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = hourly("filter[timestamp][start]=2026-06-01T00&filter[product_families]=iot");
    for path in [query.as_str(), BILLABLE] {
        for keys in [
            dd.with_keys(None, None),
            dd.with_keys(Some(DD_API_KEY), None),
            dd.with_keys(Some("wrong-key"), Some(DD_APP_KEY)),
            dd.with_keys(Some(DD_API_KEY), Some("mock-dd-child-a-app-key")),
        ] {
            assert_datadog_error(&keys.get(path).await, 403, "Forbidden");
        }
    }
}

#[tokio::test]
async fn a_record_is_a_usage_timeseries_resource() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &hourly(
            "filter[timestamp][start]=2026-06-01T10:00:00%2B00:00&filter[timestamp][end]=2026-06-01T11:00:00%2B00:00&filter[product_families]=infra_hosts",
        ),
    )
    .await;
    assert!(body["meta"]["pagination"]["next_record_id"].is_null());
    let records = data(&body);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert!(!record["id"].as_str().unwrap().is_empty());
    assert_eq!(record["type"], "usage_timeseries");
    assert_eq!(attr(record, "org_name"), "Mock Datadog Org");
    assert_eq!(attr(record, "public_id"), PARENT);
    assert_eq!(attr(record, "account_name"), "Mock Datadog Org");
    assert_eq!(attr(record, "account_public_id"), PARENT);
    assert_eq!(attr(record, "region"), "us");
    assert_eq!(attr(record, "product_family"), "infra_hosts");
    assert_eq!(attr(record, "timestamp"), "2026-06-01T10:00:00+00:00");
    let measurements = record["attributes"]["measurements"].as_array().unwrap();
    assert!(measurements.len() > 5, "{measurements:?}");
    for m in measurements {
        assert!(m["usage_type"].is_string(), "{m}");
        assert!(m["value"].as_i64().is_some_and(|v| v >= 0), "{m}");
    }
    assert!(measurement(record, "host_count") > 0);
}

#[tokio::test]
async fn all_is_every_documented_family() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &hourly(
            "filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-01T01&filter[product_families]=all&filter[versions]=infra_hosts:1.0.0,logs:1.0.0",
        ),
    )
    .await;
    let families: Vec<&str> = data(&body)
        .iter()
        .map(|r| attr(r, "product_family"))
        .collect();
    assert_eq!(families.len(), DOCUMENTED_FAMILIES.len());
    assert_eq!(
        families.iter().copied().collect::<BTreeSet<_>>(),
        DOCUMENTED_FAMILIES.into_iter().collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn child_orgs_appear_only_with_include_descendants() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = "filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-01T02&filter[product_families]=logs";
    let orgs_of = |body: &Value| -> BTreeSet<String> {
        data(body)
            .iter()
            .map(|r| attr(r, "public_id").to_string())
            .collect()
    };
    let alone = ok(&dd, &hourly(query)).await;
    assert_eq!(orgs_of(&alone), BTreeSet::from([PARENT.to_string()]));
    let explicit = ok(
        &dd,
        &hourly(&format!("{query}&filter[include_descendants]=false")),
    )
    .await;
    assert_eq!(explicit, alone);

    let family = ok(
        &dd,
        &hourly(&format!("{query}&filter[include_descendants]=true")),
    )
    .await;
    let expected: BTreeSet<String> = [PARENT, CHILDREN[0], CHILDREN[1]]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(orgs_of(&family), expected);
    assert_eq!(data(&family).len(), 2 * 3);
    for record in data(&family) {
        assert_eq!(attr(record, "account_public_id"), PARENT);
    }
    let child_b = data(&family)
        .iter()
        .find(|r| attr(r, "public_id") == CHILDREN[1])
        .unwrap();
    assert_eq!(attr(child_b, "org_name"), "Mock Datadog Child B");
    assert_eq!(attr(child_b, "region"), "eu");
}

#[tokio::test]
async fn hours_within_72_hours_of_now_have_no_data_yet() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for query in [
        "filter[timestamp][start]=2026-06-11T00&filter[product_families]=iot",
        "filter[timestamp][start]=2026-06-11T00&filter[timestamp][end]=2026-06-20T00&filter[product_families]=iot",
    ] {
        let body = ok(&dd, &hourly(query)).await;
        let newest = data(&body)
            .iter()
            .map(|r| attr(r, "timestamp").to_string())
            .max()
            .unwrap();
        assert_eq!(newest, NEWEST_HOUR);
        assert_eq!(data(&body).len(), 24 + 13);
    }
    let future = ok(
        &dd,
        &hourly("filter[timestamp][start]=2026-06-13T00&filter[product_families]=iot"),
    )
    .await;
    assert!(data(&future).is_empty());

    // An hour later, one more hour has data.
    server.clock().advance(chrono::Duration::hours(1));
    let later = ok(
        &dd,
        &hourly("filter[timestamp][start]=2026-06-12T13&filter[product_families]=iot"),
    )
    .await;
    assert_eq!(data(&later).len(), 1);
}

#[tokio::test]
async fn walking_pages_of_7_returns_every_record_once() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = "filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-01T10&filter[product_families]=logs,infra_hosts,rum&filter[include_descendants]=true";
    let (paged, pages) = walk(&dd, &format!("{query}&page[limit]=7")).await;
    let total = 10 * 3 * 3;
    assert_eq!(paged.len(), total);
    assert_eq!(pages, total.div_ceil(7));
    let keys: BTreeSet<(String, String, String)> = paged
        .iter()
        .map(|r| {
            (
                attr(r, "timestamp").to_string(),
                attr(r, "public_id").to_string(),
                attr(r, "product_family").to_string(),
            )
        })
        .collect();
    assert_eq!(keys.len(), total);
    let ids: BTreeSet<&str> = paged.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), total);

    let unpaged = ok(&dd, &hourly(query)).await;
    assert_eq!(next_record_id(&unpaged), None);
    assert_eq!(data(&unpaged), &paged);
}

#[tokio::test]
async fn the_default_page_is_500_records() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = "filter[timestamp][start]=2026-05-01T00&filter[timestamp][end]=2026-05-02T00&filter[product_families]=all";
    let first = ok(&dd, &hourly(query)).await;
    assert_eq!(data(&first).len(), 500);
    assert!(next_record_id(&first).is_some());
    let (records, pages) = walk(&dd, query).await;
    assert_eq!(records.len(), 24 * DOCUMENTED_FAMILIES.len());
    // 24 × 54 = 1296 records: 500, 500 and 296.
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn the_same_scenario_gives_the_same_usage() {
    let path = hourly(
        "filter[timestamp][start]=2026-05-01T00&filter[timestamp][end]=2026-05-03T00&filter[product_families]=all&filter[include_descendants]=true&page[limit]=100",
    );
    let (a, b) = (default_server().await, default_server().await);
    let (first, second) = (
        Datadog::new(&a).get(&path).await,
        Datadog::new(&b).get(&path).await,
    );
    assert_eq!(first.status, 200);
    assert_eq!(first.raw, second.raw);
    let billable = format!("{BILLABLE}?month=2026-05");
    let (first, second) = (
        Datadog::new(&a).get(&billable).await,
        Datadog::new(&b).get(&billable).await,
    );
    assert_eq!(first.status, 200);
    assert_eq!(first.raw, second.raw);
}

fn org_summary<'a>(body: &'a Value, public_id: &str) -> &'a Value {
    body["usage"]
        .as_array()
        .expect("usage list")
        .iter()
        .find(|org| org["public_id"] == public_id)
        .unwrap_or_else(|| panic!("{public_id} in {body}"))
}

fn billable(org: &Value, key: &str) -> i64 {
    org["usage"][key]["org_billable_usage"]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} in {org}"))
}

#[tokio::test]
async fn the_billable_summary_adds_up_the_hourly_usage_of_the_month() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let summary = ok(&dd, &format!("{BILLABLE}?month=2026-05")).await;
    let (records, _) = walk(
        &dd,
        "filter[timestamp][start]=2026-05-01T00&filter[timestamp][end]=2026-06-01T00&filter[product_families]=logs,infra_hosts,indexed_logs&filter[include_descendants]=true",
    )
    .await;
    let hours = 31 * 24;
    // public_id → usage_type → the month's hourly values, in hour order.
    let mut hourly: BTreeMap<String, BTreeMap<String, Vec<i64>>> = BTreeMap::new();
    for record in &records {
        let org = hourly
            .entry(attr(record, "public_id").to_string())
            .or_default();
        for m in record["attributes"]["measurements"].as_array().unwrap() {
            org.entry(m["usage_type"].as_str().unwrap().to_string())
                .or_default()
                .push(m["value"].as_i64().unwrap());
        }
    }
    let mut account_logs = 0;
    for public_id in [PARENT, CHILDREN[0], CHILDREN[1]] {
        let series = &hourly[public_id];
        let org = org_summary(&summary, public_id);
        assert_eq!(org["account_public_id"], PARENT);
        assert_eq!(org["num_orgs"], 3);
        assert_eq!(org["ratio_in_month"], 1.0);
        assert_eq!(org["start_date"], "2026-05-01T00:00:00+00:00");

        // Counts bill their sum.
        let logs: i64 = series["ingested_events_bytes"].iter().sum();
        assert_eq!(billable(org, "logs_ingested_sum"), logs);
        account_logs += logs;
        let indexed_15: i64 = series["logs_indexed_events_15_day_count"].iter().sum();
        assert_eq!(billable(org, "logs_indexed_15day_sum"), indexed_15);

        // Hosts bill their hourly average, or the 99th-percentile hour.
        let hosts = &series["host_count"];
        assert_eq!(hosts.len(), hours);
        let average = (hosts.iter().sum::<i64>() as f64 / hours as f64).round() as i64;
        assert_eq!(billable(org, "infra_host_sum"), average);
        let mut sorted = hosts.clone();
        sorted.sort_unstable();
        let top99p = sorted[(hours * 99).div_ceil(100) - 1];
        assert_eq!(billable(org, "infra_host_top99p"), top99p);

        let body = &org["usage"]["logs_ingested_sum"];
        assert_eq!(body["elapsed_usage_hours"], hours);
        assert_eq!(
            body["first_billable_usage_hour"],
            "2026-05-01T00:00:00+00:00"
        );
        assert_eq!(
            body["last_billable_usage_hour"],
            "2026-05-31T23:00:00+00:00"
        );
        assert!(body["usage_unit"].is_string());
        assert!(body["percentage_in_account"].is_f64());
    }
    for public_id in [PARENT, CHILDREN[0], CHILDREN[1]] {
        let org = org_summary(&summary, public_id);
        assert_eq!(
            org["usage"]["logs_ingested_sum"]["account_billable_usage"],
            account_logs
        );
    }
}

#[tokio::test]
async fn percentages_across_the_account_add_up_to_100() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let summary = ok(&dd, &format!("{BILLABLE}?month=2026-05")).await;
    let orgs = summary["usage"].as_array().unwrap();
    assert_eq!(orgs.len(), 3);
    let keys = orgs[0]["usage"].as_object().unwrap().keys().cloned();
    for key in keys {
        let total: f64 = orgs
            .iter()
            .map(|org| {
                org["usage"][&key]["percentage_in_account"]
                    .as_f64()
                    .unwrap()
            })
            .sum();
        assert!((total - 100.0).abs() < 1e-6, "{key}: {total}");
        let account: i64 = orgs.iter().map(|org| billable(org, &key)).sum();
        assert_eq!(
            orgs[0]["usage"][&key]["account_billable_usage"], account,
            "{key}"
        );
    }
}

#[tokio::test]
async fn a_child_org_sees_its_own_share_of_the_account() {
    let server = default_server().await;
    let parent = ok(&Datadog::new(&server), &format!("{BILLABLE}?month=2026-05")).await;
    let child = Datadog::new(&server).with_keys(
        Some("mock-dd-child-a-api-key"),
        Some("mock-dd-child-a-app-key"),
    );
    let own = ok(&child, &format!("{BILLABLE}?month=2026-05")).await;
    let usage = own["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(&usage[0], org_summary(&parent, CHILDREN[0]));
}

#[tokio::test]
async fn the_billable_summary_defaults_to_the_current_month() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let june = ok(&dd, BILLABLE).await;
    let explicit = ok(&dd, &format!("{BILLABLE}?month=2026-06")).await;
    let client_style = ok(
        &dd,
        &format!("{BILLABLE}?month=2026-06-01T00:00:00%2B00:00&include_connected_accounts=false"),
    )
    .await;
    assert_eq!(june, explicit);
    assert_eq!(june, client_style);
    let parent = org_summary(&june, PARENT);
    assert_eq!(parent["start_date"], "2026-06-01T00:00:00+00:00");
    let body = &parent["usage"]["infra_host_sum"];
    assert_eq!(body["last_billable_usage_hour"], NEWEST_HOUR);
    assert_eq!(body["elapsed_usage_hours"], 11 * 24 + 13);
    let ratio = parent["ratio_in_month"].as_f64().unwrap();
    assert!((ratio - (11.0 * 24.0 + 13.0) / (30.0 * 24.0)).abs() < 1e-9);
}

#[tokio::test]
async fn billable_summary_parameters_are_checked() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    assert_datadog_error(
        &dd.get(&format!("{BILLABLE}?month=2026-13")).await,
        400,
        "month",
    );
    assert_datadog_error(
        &dd.get(&format!("{BILLABLE}?month=2025-02")).await,
        400,
        "15 months",
    );
    assert_datadog_error(
        &dd.get(&format!("{BILLABLE}?include_connected_accounts=maybe"))
            .await,
        400,
        "include_connected_accounts",
    );
}

#[tokio::test]
async fn rate_limit_headers_come_with_every_answer() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let ok_hourly = hourly("filter[timestamp][start]=2026-06-01T00&filter[product_families]=iot");
    let bad_hourly = hourly("filter[product_families]=iot");
    let ok_billable = BILLABLE.to_string();
    let bad_billable = format!("{BILLABLE}?month=soon");
    for (path, status) in [
        (ok_hourly, 200),
        (bad_hourly, 400),
        (ok_billable, 200),
        (bad_billable, 400),
    ] {
        let reply = dd.get(&path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.raw);
        for header in [
            "x-ratelimit-limit",
            "x-ratelimit-period",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-name",
        ] {
            assert!(reply.headers.contains_key(header), "{path}: {header}");
        }
    }
}

#[tokio::test]
async fn an_end_before_the_start_is_worded_as_datadog_words_it() {
    let server = default_server().await;
    let reply = Datadog::new(&server)
        .get(&hourly(
            "filter[timestamp][start]=2026-06-03T00&filter[timestamp][end]=2026-06-01T00&filter[product_families]=infra_hosts",
        ))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.raw);
    assert_eq!(
        reply.body,
        serde_json::json!({"errors": ["start_hr [YYYY-MM-DDThh] must be before end_hr [YYYY-MM-DDThh]"]})
    );
}

#[tokio::test]
async fn a_null_cursor_is_an_empty_last_page() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = "filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-02T00&filter[product_families]=infra_hosts";
    assert!(!data(&ok(&dd, &hourly(query)).await).is_empty());
    let body = ok(&dd, &hourly(&format!("{query}&page[next_record_id]=null"))).await;
    assert!(data(&body).is_empty(), "{body}");
    assert_eq!(next_record_id(&body), None);
}

#[tokio::test]
async fn the_deprecated_audit_logs_answers_when_named_but_is_not_in_all() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &hourly(
            "filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=2026-06-01T01&filter[product_families]=audit_logs,audit_trail",
        ),
    )
    .await;
    let families: Vec<&str> = data(&body)
        .iter()
        .map(|r| attr(r, "product_family"))
        .collect();
    assert_eq!(families, ["audit_logs", "audit_trail"]);
    assert!(!DOCUMENTED_FAMILIES.contains(&"audit_logs"));
}
