//! Datadog usage attribution: `GET /api/v1/usage/hourly-attribution` and
//! `GET /api/v1/usage/monthly-attribution`.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use mockcloud::MockCloud;
use serde_json::{Value, json};

const NOW: &str = "2026-06-15T12:00:00Z";
const HOURLY: &str = "/api/v1/usage/hourly-attribution";
const MONTHLY: &str = "/api/v1/usage/monthly-attribution";
const ALL_TAGS_SOURCE: &str = "Mock Datadog Org:::env///service///team";

async fn frozen(server: MockCloud) -> MockCloud {
    server.clock().freeze(Some(NOW.parse().unwrap()));
    server
}

async fn default_server() -> MockCloud {
    frozen(start_default().await).await
}

/// One org with `tags` configured for usage attribution.
async fn server_with_tags(tags: Value) -> MockCloud {
    frozen(
        start_scenario(json!({
            "name": "attribution",
            "datadog": {
                "orgs": [{
                    "name": "Solo", "public_id": "solo00000001",
                    "api_keys": [DD_API_KEY], "application_keys": [DD_APP_KEY]
                }],
                "attribution_tags": tags
            }
        }))
        .await,
    )
    .await
}

async fn ok(dd: &Datadog, path: &str) -> Value {
    let reply = dd.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
    reply.body
}

fn usage(body: &Value) -> &Vec<Value> {
    body["usage"].as_array().expect("usage list")
}

fn next_record_id(body: &Value) -> Option<String> {
    body["metadata"]["pagination"]["next_record_id"]
        .as_str()
        .map(str::to_string)
}

/// Every record of a query, following `next_record_id`; and the page sizes.
async fn walk(dd: &Datadog, path: &str) -> (Vec<Value>, Vec<usize>) {
    let (mut records, mut pages) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            None => path.to_string(),
            Some(c) => format!("{path}&next_record_id={c}"),
        };
        let body = ok(dd, &page_path).await;
        pages.push(usage(&body).len());
        records.extend(usage(&body).iter().cloned());
        cursor = next_record_id(&body);
        if cursor.is_none() {
            return (records, pages);
        }
    }
}

fn keys_of(record: &Value) -> BTreeSet<&str> {
    record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn parse_time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a time string"))
        .unwrap_or_else(|e| panic!("{value}: {e}"))
        .to_utc()
}

// ---- hourly-attribution ----

#[tokio::test]
async fn hourly_attribution_has_the_documented_envelope_and_types() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!("{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T12&usage_type=infra_host_usage&tag_breakdown_keys=team,env,service"),
    )
    .await;
    assert_eq!(
        body["metadata"]["pagination"]["next_record_id"],
        Value::Null
    );
    let records = usage(&body);
    // 2 hours × 3 orgs × (3 teams × 2 envs × 4 services).
    assert_eq!(records.len(), 2 * 3 * 24);
    let expected: BTreeSet<&str> = [
        "hour",
        "org_name",
        "public_id",
        "region",
        "tag_config_source",
        "tags",
        "total_usage_sum",
        "updated_at",
        "usage_type",
    ]
    .into();
    for record in records {
        assert_eq!(keys_of(record), expected, "{record}");
        assert!(record["total_usage_sum"].is_number());
        assert_eq!(record["usage_type"], "infra_host_usage");
        assert_eq!(record["tag_config_source"], ALL_TAGS_SOURCE);
        assert_eq!(
            parse_time(&record["updated_at"]),
            parse_time(&json!("2026-06-12T12:00:00Z"))
        );
        let hour = parse_time(&record["hour"]);
        assert!(
            hour == parse_time(&json!("2026-06-01T10:00:00Z"))
                || hour == parse_time(&json!("2026-06-01T11:00:00Z"))
        );
        let tags = record["tags"].as_object().expect("tags object");
        assert_eq!(tags.keys().collect::<Vec<_>>(), ["env", "service", "team"]);
        for values in tags.values() {
            assert_eq!(values.as_array().unwrap().len(), 1);
            assert!(values[0].is_string());
        }
    }
    let regions: BTreeSet<&str> = records
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["eu", "us"].into());
}

#[tokio::test]
async fn hourly_usage_types_are_the_documented_enum() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    // Values of the client's HourlyUsageAttributionUsageType (2.62.0), the
    // odd names among them included.
    for usage_type in [
        "api_usage",
        "apm_fargate_usage",
        "lambda_traced_invocations_usage",
        "flex_logs_starter",
        "published_app",
        "error_tracking_percentage",
        "snmp_usage",
    ] {
        let body = ok(
            &dd,
            &format!(
                "{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T11&usage_type={usage_type}"
            ),
        )
        .await;
        assert_eq!(usage(&body)[0]["usage_type"], usage_type);
    }
    let reply = dd
        .get(&format!(
            "{HOURLY}?start_hr=2026-06-01T10&usage_type=bogus_usage"
        ))
        .await;
    assert_datadog_error(&reply, 400, "bogus_usage");
    // Removed from the API since the documentation's older list.
    for removed in ["estimated_ingested_logs_usage", "indexed_logs_usage"] {
        let reply = dd
            .get(&format!(
                "{HOURLY}?start_hr=2026-06-01T10&usage_type={removed}"
            ))
            .await;
        assert_datadog_error(&reply, 400, removed);
    }
}

#[tokio::test]
async fn breaking_down_by_some_configured_keys_groups_by_exactly_those() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let path =
        format!("{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T11&usage_type=infra_host_usage");
    let by_team = ok(
        &dd,
        &format!("{path}&tag_breakdown_keys=team&include_descendants=false"),
    )
    .await;
    let teams: BTreeSet<String> = usage(&by_team)
        .iter()
        .map(|r| {
            let tags = r["tags"].as_object().unwrap();
            assert_eq!(tags.keys().collect::<Vec<_>>(), ["team"]);
            tags["team"][0].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        teams,
        ["payments", "platform", "search"].map(String::from).into()
    );

    // The groups add up to the total that is not broken down.
    let total = ok(&dd, &format!("{path}&include_descendants=false")).await;
    assert_eq!(usage(&total).len(), 1);
    let sum: f64 = usage(&by_team)
        .iter()
        .map(|r| r["total_usage_sum"].as_f64().unwrap())
        .sum();
    assert_eq!(sum, usage(&total)[0]["total_usage_sum"].as_f64().unwrap());
}

#[tokio::test]
async fn tags_are_null_when_the_breakdown_does_not_match_the_configured_tags() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let path =
        format!("{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T11&usage_type=apm_host_usage");
    for breakdown in [
        "",
        "&tag_breakdown_keys=owner",
        "&tag_breakdown_keys=team,owner",
    ] {
        let body = ok(&dd, &format!("{path}{breakdown}")).await;
        let records = usage(&body);
        assert_eq!(records.len(), 3, "one total per org: {body}");
        for record in records {
            assert!(record.as_object().unwrap().contains_key("tags"));
            assert_eq!(record["tags"], Value::Null, "{record}");
            assert_eq!(record["tag_config_source"], ALL_TAGS_SOURCE);
        }
    }
}

#[tokio::test]
async fn include_descendants_adds_the_child_orgs() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let path =
        format!("{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T11&usage_type=infra_host_usage");
    let public_ids = |body: &Value| -> BTreeSet<String> {
        usage(body)
            .iter()
            .map(|r| r["public_id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = ok(&dd, &path).await;
    assert_eq!(
        public_ids(&all),
        ["mockddchild0a", "mockddchild0b", "mockddorg0001"]
            .map(String::from)
            .into()
    );
    let explicit = ok(&dd, &format!("{path}&include_descendants=true")).await;
    assert_eq!(explicit, all);
    let parent_only = ok(&dd, &format!("{path}&include_descendants=false")).await;
    assert_eq!(
        public_ids(&parent_only),
        ["mockddorg0001".to_string()].into()
    );

    // A child sees itself, and its tags come from the parent's configuration.
    let child = dd.with_keys(
        Some("mock-dd-child-a-api-key"),
        Some("mock-dd-child-a-app-key"),
    );
    let body = ok(&child, &path).await;
    assert_eq!(public_ids(&body), ["mockddchild0a".to_string()].into());
    assert_eq!(usage(&body)[0]["tag_config_source"], ALL_TAGS_SOURCE);
    assert_eq!(usage(&body)[0]["org_name"], "Mock Datadog Child A");
}

#[tokio::test]
async fn hours_later_than_now_minus_72h_have_no_data_yet() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    // Now is 2026-06-15T12: data runs to the hour starting 2026-06-12T12.
    let body = ok(
        &dd,
        &format!(
            "{HOURLY}?start_hr=2026-06-12T10&usage_type=infra_host_usage&include_descendants=false"
        ),
    )
    .await;
    let hours: Vec<_> = usage(&body)
        .iter()
        .map(|r| parse_time(&r["hour"]))
        .collect();
    let expected: Vec<_> = [
        "2026-06-12T10:00:00Z",
        "2026-06-12T11:00:00Z",
        "2026-06-12T12:00:00Z",
    ]
    .map(|t| parse_time(&json!(t)))
    .into();
    assert_eq!(hours, expected);
    let recent = ok(
        &dd,
        &format!("{HOURLY}?start_hr=2026-06-14T00&usage_type=infra_host_usage"),
    )
    .await;
    assert_eq!(usage(&recent).len(), 0);
    assert_eq!(next_record_id(&recent), None);

    // Time passes: the next hour lands.
    server.clock().advance(chrono::Duration::hours(1));
    let later = ok(
        &dd,
        &format!(
            "{HOURLY}?start_hr=2026-06-12T10&usage_type=infra_host_usage&include_descendants=false"
        ),
    )
    .await;
    assert_eq!(usage(&later).len(), 4);
}

#[tokio::test]
async fn hourly_attribution_refuses_bad_parameters() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let cases = [
        ("usage_type=infra_host_usage", "start_hr"),
        ("start_hr=2026-06-01T10", "usage_type"),
        (
            "start_hr=2026-06-01T10&usage_type=infra_hosts",
            "infra_hosts",
        ),
        ("start_hr=yesterday&usage_type=infra_host_usage", "start_hr"),
        (
            "start_hr=2026-06-01T10&end_hr=2026-13-01T00&usage_type=infra_host_usage",
            "end_hr",
        ),
        (
            "start_hr=2026-06-01T10&end_hr=2026-06-01T09&usage_type=infra_host_usage",
            "end_hr",
        ),
        (
            "start_hr=2025-02-28T23&usage_type=infra_host_usage",
            "start_hr",
        ),
        (
            "start_hr=2026-06-01T10&usage_type=infra_host_usage&next_record_id=garbage",
            "next_record_id",
        ),
        (
            "start_hr=2026-06-01T10&usage_type=infra_host_usage&include_descendants=maybe",
            "include_descendants",
        ),
    ];
    for (query, needle) in cases {
        let reply = dd.get(&format!("{HOURLY}?{query}")).await;
        assert_datadog_error(&reply, 400, needle);
    }
    // The oldest start is the first of the month 15 months back.
    ok(
        &dd,
        &format!(
            "{HOURLY}?start_hr=2025-03-01T00&end_hr=2025-03-01T01&usage_type=infra_host_usage"
        ),
    )
    .await;
}

#[tokio::test]
async fn attribution_needs_valid_keys() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let paths = [
        format!("{HOURLY}?start_hr=2026-06-01T10&usage_type=infra_host_usage"),
        format!("{MONTHLY}?start_month=2026-05&fields=*"),
    ];
    for path in &paths {
        for (api, app) in [
            (None, None),
            (Some(DD_API_KEY), None),
            (Some("wrong"), Some(DD_APP_KEY)),
            (Some(DD_API_KEY), Some("mock-dd-child-a-app-key")),
        ] {
            let reply = dd.with_keys(api, app).get(path).await;
            assert_datadog_error(&reply, 403, "Forbidden");
        }
    }
    // Keys are checked before parameters.
    let reply = dd.with_keys(None, None).get(HOURLY).await;
    assert_datadog_error(&reply, 403, "Forbidden");
}

#[tokio::test]
async fn next_record_id_walks_every_hourly_record_exactly_once() {
    let a: Vec<String> = (0..25).map(|i| format!("a{i:02}")).collect();
    let b: Vec<String> = (0..20).map(|i| format!("b{i:02}")).collect();
    let server = server_with_tags(json!({"app": a, "bu": b})).await;
    let dd = Datadog::new(&server);
    let path = format!(
        "{HOURLY}?start_hr=2026-06-01T00&end_hr=2026-06-02T00&usage_type=container_usage&tag_breakdown_keys=app,bu"
    );
    let (records, pages) = walk(&dd, &path).await;
    // 24 hours × 500 groups, 5000 records a page.
    assert_eq!(pages, [5000, 5000, 2000]);
    let distinct: BTreeSet<(String, String)> = records
        .iter()
        .map(|r| {
            (
                r["hour"].as_str().unwrap().to_string(),
                r["tags"].to_string(),
            )
        })
        .collect();
    assert_eq!(distinct.len(), 24 * 500);
    assert_eq!(records[0]["tag_config_source"], "Solo:::app///bu");

    // Past the end, a page is empty and last.
    let last = "c2VxOjk5OTk5"; // seq:99999
    let body = ok(&dd, &format!("{path}&next_record_id={last}")).await;
    assert_eq!(usage(&body).len(), 0);
    assert_eq!(next_record_id(&body), None);
}

// ---- monthly-attribution ----

#[tokio::test]
async fn monthly_attribution_has_the_documented_envelope_and_types() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!("{MONTHLY}?start_month=2026-04&end_month=2026-05&fields=infra_host_usage,infra_host_percentage,api_usage&tag_breakdown_keys=env"),
    )
    .await;
    assert_eq!(
        body["metadata"]["pagination"]["next_record_id"],
        Value::Null
    );
    let records = usage(&body);
    // 2 months × 3 orgs × 2 envs.
    assert_eq!(records.len(), 12);
    let expected: BTreeSet<&str> = [
        "month",
        "org_name",
        "public_id",
        "region",
        "tag_config_source",
        "tags",
        "updated_at",
        "values",
    ]
    .into();
    for record in records {
        assert_eq!(keys_of(record), expected, "{record}");
        let month = parse_time(&record["month"]);
        assert!(
            [
                parse_time(&json!("2026-04-01T00:00:00Z")),
                parse_time(&json!("2026-05-01T00:00:00Z"))
            ]
            .contains(&month)
        );
        parse_time(&record["updated_at"]);
        assert_eq!(record["tag_config_source"], ALL_TAGS_SOURCE);
        assert_eq!(
            record["tags"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["env"]
        );
        let values = record["values"].as_object().unwrap();
        assert_eq!(
            values.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            ["api_usage", "infra_host_percentage", "infra_host_usage"].into()
        );
        assert!(values.values().all(Value::is_number));
    }
    let aggregates = body["metadata"]["aggregates"].as_array().unwrap();
    let fields: Vec<&str> = aggregates
        .iter()
        .map(|a| a["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["infra_host_usage", "infra_host_percentage", "api_usage"]
    );
    for aggregate in aggregates {
        assert_eq!(aggregate["agg_type"], "sum");
        let field = aggregate["field"].as_str().unwrap();
        let sum: f64 = records
            .iter()
            .map(|r| r["values"][field].as_f64().unwrap())
            .sum();
        assert!(
            (aggregate["value"].as_f64().unwrap() - sum).abs() < 1e-6,
            "{field}"
        );
    }
}

#[tokio::test]
async fn fields_star_returns_every_documented_field() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!(
            "{MONTHLY}?start_month=2026-05&end_month=2026-05&fields=*&include_descendants=false"
        ),
    )
    .await;
    let records = usage(&body);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["tags"], Value::Null);
    let values = records[0]["values"].as_object().unwrap();
    // MonthlyUsageAttributionValues of datadog-api-client 2.62.0: the 170
    // supported metrics but the two percentages the model lacks.
    assert_eq!(values.len(), 168);
    for name in [
        "snmp_usage",
        "error_tracking_percentage",
        "cspm_containers_usage",
        "apm_fargate_usage",
        "flex_stored_logs_usage",
        "data_jobs_monitoring_usage",
    ] {
        assert!(values.contains_key(name), "{name}");
    }
    for name in [
        "estimated_indexed_logs_percentage",
        "estimated_ingested_logs_usage",
        "indexed_logs_usage",
        "data_jobs_monitoring_percentage",
        "data_stream_monitoring_percentage",
    ] {
        assert!(!values.contains_key(name), "{name}");
    }
    // Not broken down: each percentage is the whole.
    for (name, value) in values {
        if name.ends_with("_percentage") {
            assert_eq!(value.as_f64(), Some(100.0), "{name}");
        }
    }
}

#[tokio::test]
async fn percentages_across_tag_groups_sum_to_100() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!("{MONTHLY}?start_month=2026-04&fields=*&tag_breakdown_keys=team,service"),
    )
    .await;
    let mut sums: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for record in usage(&body) {
        for (name, value) in record["values"].as_object().unwrap() {
            if name.ends_with("_percentage") {
                let key = (
                    record["public_id"].as_str().unwrap().to_string(),
                    record["month"].as_str().unwrap().to_string(),
                    name.clone(),
                );
                *sums.entry(key).or_default() += value.as_f64().unwrap();
            }
        }
    }
    // 3 orgs × April, May, June (so far) × the 83 percentages `*` returns.
    assert_eq!(sums.len(), 3 * 3 * 83);
    for (key, sum) in sums {
        assert!((sum - 100.0).abs() < 1e-9, "{key:?}: {sum}");
    }
}

#[tokio::test]
async fn a_month_of_attribution_is_the_sum_of_its_hours() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for usage_type in [
        "infra_host_usage",
        "invocations_usage",
        "llm_spans_usage",
        "logs_indexed_360day_usage",
    ] {
        let monthly = ok(
            &dd,
            &format!("{MONTHLY}?start_month=2026-05&end_month=2026-05&fields={usage_type}&tag_breakdown_keys=team"),
        )
        .await;
        let (hours, _) = walk(
            &dd,
            &format!("{HOURLY}?start_hr=2026-05-01T00&end_hr=2026-06-01T00&usage_type={usage_type}&tag_breakdown_keys=team"),
        )
        .await;
        assert_eq!(hours.len(), 31 * 24 * 3 * 3);
        let mut summed: BTreeMap<(String, String), f64> = BTreeMap::new();
        for record in &hours {
            let key = (
                record["public_id"].as_str().unwrap().to_string(),
                record["tags"].to_string(),
            );
            *summed.entry(key).or_default() += record["total_usage_sum"].as_f64().unwrap();
        }
        let records = usage(&monthly);
        assert_eq!(records.len(), summed.len());
        for record in records {
            let key = (
                record["public_id"].as_str().unwrap().to_string(),
                record["tags"].to_string(),
            );
            assert_eq!(
                record["values"][usage_type].as_f64(),
                Some(summed[&key]),
                "{usage_type} {key:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_current_month_holds_the_hours_with_data_so_far() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let monthly = ok(
        &dd,
        &format!("{MONTHLY}?start_month=2026-06&fields=infra_host_usage&include_descendants=false"),
    )
    .await;
    let records = usage(&monthly);
    assert_eq!(records.len(), 1);
    let (hours, _) = walk(
        &dd,
        &format!(
            "{HOURLY}?start_hr=2026-06-01T00&usage_type=infra_host_usage&include_descendants=false"
        ),
    )
    .await;
    // June 1st 00:00 to June 12th 12:00, inclusive.
    assert_eq!(hours.len(), 11 * 24 + 13);
    let sum: f64 = hours
        .iter()
        .map(|r| r["total_usage_sum"].as_f64().unwrap())
        .sum();
    assert_eq!(records[0]["values"]["infra_host_usage"].as_f64(), Some(sum));
    // Months without data yet have no records.
    let future = ok(
        &dd,
        &format!("{MONTHLY}?start_month=2026-07&end_month=2026-09&fields=*"),
    )
    .await;
    assert_eq!(usage(&future).len(), 0);
}

#[tokio::test]
async fn monthly_records_sort_by_sort_name() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let path = format!(
        "{MONTHLY}?start_month=2026-05&end_month=2026-05&fields=infra_host_usage,api_usage&tag_breakdown_keys=team,env"
    );
    let values = |body: &Value, field: &str| -> Vec<f64> {
        usage(body)
            .iter()
            .map(|r| r["values"][field].as_f64().unwrap())
            .collect()
    };
    let asc = ok(
        &dd,
        &format!("{path}&sort_name=api_usage&sort_direction=asc"),
    )
    .await;
    let v = values(&asc, "api_usage");
    assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
    let desc = ok(&dd, &format!("{path}&sort_name=infra_host_usage")).await;
    let v = values(&desc, "infra_host_usage");
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "desc by default: {v:?}");
    assert_eq!(usage(&desc).len(), 3 * 6);
}

#[tokio::test]
async fn monthly_attribution_refuses_bad_parameters() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let cases = [
        ("fields=*", "start_month"),
        ("start_month=2026-05", "fields"),
        ("start_month=2026-05&fields=,", "fields"),
        (
            "start_month=2026-05&fields=infra_host_usage,infra_hosts",
            "infra_hosts",
        ),
        ("start_month=2026-05&fields=*&sort_name=hosts", "hosts"),
        (
            "start_month=2026-05&fields=*&sort_direction=up",
            "sort_direction",
        ),
        ("start_month=2026-5x&fields=*", "start_month"),
        (
            "start_month=2026-05&end_month=2026-04&fields=*",
            "end_month",
        ),
        ("start_month=2025-02&fields=*", "start_month"),
        (
            "start_month=2026-05&fields=*&next_record_id=%%%",
            "next_record_id",
        ),
        (
            "start_month=2026-05&fields=*&include_descendants=yes",
            "include_descendants",
        ),
    ];
    for (query, needle) in cases {
        let reply = dd.get(&format!("{MONTHLY}?{query}")).await;
        assert_datadog_error(&reply, 400, needle);
    }
    ok(
        &dd,
        &format!("{MONTHLY}?start_month=2025-03&end_month=2025-03&fields=snmp_usage"),
    )
    .await;
}

#[tokio::test]
async fn next_record_id_walks_every_monthly_record_exactly_once() {
    let a: Vec<String> = (0..75).map(|i| format!("a{i:02}")).collect();
    let b: Vec<String> = (0..70).map(|i| format!("b{i:02}")).collect();
    let server = server_with_tags(json!({"app": a, "bu": b})).await;
    let dd = Datadog::new(&server);
    let path = format!(
        "{MONTHLY}?start_month=2026-06&fields=snmp_usage,snmp_percentage&tag_breakdown_keys=bu,app&sort_name=snmp_usage"
    );
    let (records, pages) = walk(&dd, &path).await;
    assert_eq!(pages, [5000, 250]);
    let distinct: BTreeSet<String> = records.iter().map(|r| r["tags"].to_string()).collect();
    assert_eq!(distinct.len(), 75 * 70);
    let v: Vec<f64> = records
        .iter()
        .map(|r| r["values"]["snmp_usage"].as_f64().unwrap())
        .collect();
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "sorted across pages");
    let percent: f64 = records
        .iter()
        .map(|r| r["values"]["snmp_percentage"].as_f64().unwrap())
        .sum();
    assert!((percent - 100.0).abs() < 1e-9, "{percent}");
}

#[tokio::test]
async fn attribution_is_the_same_on_two_servers() {
    let (one, two) = (default_server().await, default_server().await);
    let paths = [
        format!(
            "{HOURLY}?start_hr=2026-05-03T00&end_hr=2026-05-04T00&usage_type=custom_timeseries_usage&tag_breakdown_keys=team,env"
        ),
        format!("{MONTHLY}?start_month=2026-01&fields=*&tag_breakdown_keys=service"),
    ];
    for path in &paths {
        let (a, b) = (
            Datadog::new(&one).get(path).await,
            Datadog::new(&two).get(path).await,
        );
        assert_eq!(a.status, 200, "{}", a.raw);
        assert_eq!(a.raw, b.raw, "{path}");
    }
}

#[tokio::test]
async fn a_null_cursor_on_monthly_attribution_is_an_empty_page_with_the_aggregates() {
    // Datadog's recorded answer to `next_record_id=null`: 200, no records,
    // the aggregates of the whole query.
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = format!("{MONTHLY}?start_month=2026-04&fields=infra_host_usage");
    let first = ok(&dd, &query).await;
    assert!(!usage(&first).is_empty());
    let past = ok(&dd, &format!("{query}&next_record_id=null")).await;
    assert_eq!(usage(&past), &Vec::<Value>::new());
    assert!(past["metadata"]["pagination"]["next_record_id"].is_null());
    assert_eq!(
        past["metadata"]["aggregates"],
        first["metadata"]["aggregates"]
    );
}

#[tokio::test]
async fn a_null_cursor_on_hourly_attribution_is_an_empty_page() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let query = format!("{HOURLY}?start_hr=2026-06-01T10&usage_type=infra_host_usage");
    assert!(!usage(&ok(&dd, &query).await).is_empty());
    let past = ok(&dd, &format!("{query}&next_record_id=null")).await;
    assert!(usage(&past).is_empty(), "{past}");
    assert_eq!(next_record_id(&past), None);
}

#[tokio::test]
async fn an_end_hour_before_the_start_is_worded_as_datadog_words_it() {
    let server = default_server().await;
    let reply = Datadog::new(&server)
        .get(&format!(
            "{HOURLY}?start_hr=2026-06-01T10&end_hr=2026-06-01T09&usage_type=infra_host_usage"
        ))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.raw);
    assert_eq!(
        reply.body,
        json!({"errors": ["start_hr [YYYY-MM-DDThh] must be before end_hr [YYYY-MM-DDThh]"]})
    );
}
