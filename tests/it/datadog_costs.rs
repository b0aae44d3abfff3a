//! Datadog cost and custom-metric usage: `GET /api/v2/usage/historical_cost`,
//! `GET /api/v2/usage/estimated_cost` and `GET /api/v1/usage/top_avg_metrics`.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use mockcloud::MockCloud;
use serde_json::{Value, json};

const NOW: &str = "2026-06-20T12:00:00Z";
const HISTORICAL: &str = "/api/v2/usage/historical_cost";
const ESTIMATED: &str = "/api/v2/usage/estimated_cost";
const TOP: &str = "/api/v1/usage/top_avg_metrics";

fn frozen_at(server: MockCloud, now: &str) -> MockCloud {
    server.clock().freeze(Some(now.parse().unwrap()));
    server
}

async fn default_server() -> MockCloud {
    frozen_at(start_default().await, NOW)
}

/// One parent org, no children, with `prices` over the list prices.
async fn server_with_prices(prices: Value) -> MockCloud {
    let server = start_scenario(json!({
        "name": "prices",
        "datadog": {
            "orgs": [{
                "name": "Solo", "public_id": "solo00000001",
                "api_keys": [DD_API_KEY], "application_keys": [DD_APP_KEY]
            }],
            "prices": prices
        }
    }))
    .await;
    frozen_at(server, NOW)
}

async fn ok(dd: &Datadog, path: &str) -> Value {
    let reply = dd.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
    reply.body
}

fn data(body: &Value) -> &Vec<Value> {
    body["data"].as_array().expect("data list")
}

fn dates(body: &Value) -> Vec<&str> {
    data(body)
        .iter()
        .map(|row| row["attributes"]["date"].as_str().unwrap())
        .collect()
}

fn cost_sum(charges: &[Value]) -> f64 {
    charges.iter().map(|c| c["cost"].as_f64().unwrap()).sum()
}

/// A product's cost in a row: its charges of every type, in cents.
fn product_cents(row: &Value, product: &str) -> i64 {
    let charges = row["attributes"]["charges"].as_array().unwrap();
    let cost = cost_sum(
        &charges
            .iter()
            .filter(|c| c["product_name"] == product)
            .cloned()
            .collect::<Vec<_>>(),
    );
    (cost * 100.0).round() as i64
}

/// Every charge of a row, in cents, by (product, charge type).
fn charges_by_key(row: &Value) -> BTreeMap<(String, String), i64> {
    row["attributes"]["charges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["product_name"].as_str().unwrap().to_string(),
                    c["charge_type"].as_str().unwrap().to_string(),
                ),
                (c["cost"].as_f64().unwrap() * 100.0).round() as i64,
            )
        })
        .collect()
}

// ---- historical_cost ------------------------------------------------------

#[tokio::test]
async fn historical_cost_is_a_list_of_cost_by_org_resources() {
    let server = default_server().await;
    let body = ok(
        &Datadog::new(&server),
        &format!("{HISTORICAL}?start_month=2026-03&end_month=2026-04"),
    )
    .await;
    assert_eq!(
        dates(&body),
        ["2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"]
    );
    for row in data(&body) {
        assert_eq!(row["type"], "cost_by_org");
        assert!(row["id"].as_str().is_some_and(|id| !id.is_empty()));
        let attributes = &row["attributes"];
        assert_eq!(attributes["org_name"], "Mock Datadog Org");
        assert_eq!(attributes["public_id"], "mockddorg0001");
        assert_eq!(attributes["account_name"], "Mock Datadog Org");
        assert_eq!(attributes["account_public_id"], "mockddorg0001");
        assert_eq!(attributes["region"], "us");
        assert!(attributes["total_cost"].is_f64());
        let charges = attributes["charges"].as_array().unwrap();
        assert!(!charges.is_empty());
        for charge in charges {
            assert!(charge["cost"].is_number(), "{charge}");
            assert!(charge["product_name"].is_string());
            assert!(["committed", "on_demand"].contains(&charge["charge_type"].as_str().unwrap()));
            // Whole cents.
            let cents = charge["cost"].as_f64().unwrap() * 100.0;
            assert!((cents - cents.round()).abs() < 1e-6, "{charge}");
        }
        assert!(charges.iter().any(|c| c["product_name"] == "infra_hosts"));
    }
}

#[tokio::test]
async fn total_cost_is_the_sum_of_the_charges() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for path in [
        format!("{HISTORICAL}?start_month=2026-01&view=sub-org"),
        format!("{ESTIMATED}?start_month=2026-05&view=summary"),
    ] {
        for row in data(&ok(&dd, &path).await) {
            let attributes = &row["attributes"];
            let total = attributes["total_cost"].as_f64().unwrap();
            let sum = cost_sum(attributes["charges"].as_array().unwrap());
            assert!((total - sum).abs() < 1e-6, "{total} != {sum}");
            assert!(total > 0.0);
        }
    }
}

#[tokio::test]
async fn the_summary_is_the_sum_of_the_sub_org_rows() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let summary = ok(
        &dd,
        &format!("{HISTORICAL}?start_month=2026-04&end_month=2026-04"),
    )
    .await;
    let sub_org = ok(
        &dd,
        &format!("{HISTORICAL}?start_month=2026-04&end_month=2026-04&view=sub-org"),
    )
    .await;
    assert_eq!(data(&summary).len(), 1);
    let rows = data(&sub_org);
    let orgs: Vec<&str> = rows
        .iter()
        .map(|r| r["attributes"]["public_id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["mockddorg0001", "mockddchild0a", "mockddchild0b"]);
    for row in rows {
        assert_eq!(row["attributes"]["account_public_id"], "mockddorg0001");
        assert_eq!(row["attributes"]["account_name"], "Mock Datadog Org");
    }
    assert_eq!(rows[2]["attributes"]["region"], "eu");

    let mut summed: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in rows {
        for (key, cents) in charges_by_key(row) {
            *summed.entry(key).or_default() += cents;
        }
    }
    assert_eq!(charges_by_key(&data(&summary)[0]), summed);
    let total = |row: &Value| row["attributes"]["total_cost"].as_f64().unwrap();
    let sub_total: f64 = rows.iter().map(total).sum();
    assert!((total(&data(&summary)[0]) - sub_total).abs() < 1e-6);
}

#[tokio::test]
async fn a_child_org_sees_only_itself() {
    let server = default_server().await;
    let child = Datadog::new(&server).with_keys(
        Some("mock-dd-child-a-api-key"),
        Some("mock-dd-child-a-app-key"),
    );
    let body = ok(
        &child,
        &format!("{HISTORICAL}?start_month=2026-04&end_month=2026-04&view=sub-org"),
    )
    .await;
    let rows = data(&body);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["attributes"]["public_id"], "mockddchild0a");
    assert_eq!(rows[0]["attributes"]["account_public_id"], "mockddorg0001");
}

#[tokio::test]
async fn cost_is_usage_times_the_scenario_price() {
    let cheap = server_with_prices(json!({"network_hosts": 10.0})).await;
    let dear = server_with_prices(json!({"network_hosts": 30.0})).await;
    let listed = server_with_prices(json!({})).await;
    let path = format!("{HISTORICAL}?start_month=2026-04&end_month=2026-04");
    let row = |body: Value| data(&body)[0].clone();
    let cheap = row(ok(&Datadog::new(&cheap), &path).await);
    let dear = row(ok(&Datadog::new(&dear), &path).await);
    let listed = row(ok(&Datadog::new(&listed), &path).await);
    let (c, d, l) = (
        product_cents(&cheap, "network_hosts"),
        product_cents(&dear, "network_hosts"),
        product_cents(&listed, "network_hosts"),
    );
    assert!(c > 0);
    // Three times the price, three times the cost (each rounded to the cent).
    assert!((d - 3 * c).abs() <= 2, "{d} vs 3 × {c}");
    // The list price of a network host is $5.
    assert!((2 * l - c).abs() <= 2, "{l} vs {c} / 2");
    // Other products keep their price.
    assert_eq!(
        product_cents(&cheap, "infra_hosts"),
        product_cents(&dear, "infra_hosts")
    );
}

#[tokio::test]
async fn a_scenario_price_for_an_unknown_product_is_refused() {
    let scenario = json!({
        "name": "bad-price",
        "datadog": {
            "orgs": [{"name": "Solo", "public_id": "solo1", "api_keys": ["k"], "application_keys": ["a"]}],
            "prices": {"no_such_product": 1.0}
        }
    });
    let scenario = mockcloud::Scenario::from_json_value(scenario).expect("well-formed");
    let Err(error) = MockCloud::start(mockcloud::Config::default().with_scenario(scenario)).await
    else {
        panic!("the scenario is refused");
    };
    assert!(
        error.to_string().contains("datadog.prices.no_such_product"),
        "{error}"
    );
}

#[tokio::test]
async fn a_month_is_served_from_the_16th_of_the_next_month() {
    let path = format!("{HISTORICAL}?start_month=2026-05&end_month=2026-05");
    let on_15th = frozen_at(start_default().await, "2026-06-15T23:00:00Z");
    assert!(data(&ok(&Datadog::new(&on_15th), &path).await).is_empty());
    let on_16th = frozen_at(start_default().await, "2026-06-16T00:00:00Z");
    let body = ok(&Datadog::new(&on_16th), &path).await;
    assert_eq!(dates(&body), ["2026-05-01T00:00:00+00:00"]);
}

#[tokio::test]
async fn without_end_month_every_available_month_is_served() {
    let server = default_server().await;
    let body = ok(
        &Datadog::new(&server),
        &format!("{HISTORICAL}?start_month=2026-03"),
    )
    .await;
    assert_eq!(
        dates(&body),
        [
            "2026-03-01T00:00:00+00:00",
            "2026-04-01T00:00:00+00:00",
            "2026-05-01T00:00:00+00:00"
        ]
    );
    // The current month is not final: nothing yet.
    let body = ok(
        &Datadog::new(&server),
        &format!("{HISTORICAL}?start_month=2026-06"),
    )
    .await;
    assert!(data(&body).is_empty());
}

#[tokio::test]
async fn historical_cost_is_kept_for_15_months() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!("{HISTORICAL}?start_month=2025-03&end_month=2025-03"),
    )
    .await;
    assert_eq!(data(&body).len(), 1);
    let reply = dd
        .get(&format!(
            "{HISTORICAL}?start_month=2025-02&end_month=2025-02"
        ))
        .await;
    assert_datadog_error(&reply, 400, "15 months");
}

#[tokio::test]
async fn historical_cost_bad_requests() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for (query, needle) in [
        ("", "start_month"),
        ("?end_month=2026-04", "start_month"),
        ("?start_month=2026-13", "start_month"),
        ("?start_month=soon", "start_month"),
        ("?start_month=2026-04&end_month=2026-03", "end_month"),
        ("?start_month=2026-04&end_month=nope", "end_month"),
        ("?start_month=2026-04&view=parent", "view"),
        (
            "?start_month=2026-04&include_connected_accounts=maybe",
            "include_connected_accounts",
        ),
    ] {
        let reply = dd.get(&format!("{HISTORICAL}{query}")).await;
        assert_datadog_error(&reply, 400, needle);
    }
    let body = ok(
        &dd,
        &format!(
            "{HISTORICAL}?start_month=2026-04-01T00:00:00%2B00:00&include_connected_accounts=true"
        ),
    )
    .await;
    assert_eq!(dates(&body)[0], "2026-04-01T00:00:00+00:00");
}

#[tokio::test]
async fn cost_endpoints_need_both_keys_of_one_org() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for path in [
        format!("{HISTORICAL}?start_month=2026-04"),
        format!("{ESTIMATED}?start_month=2026-06"),
        format!("{TOP}?month=2026-05"),
    ] {
        for client in [
            dd.with_keys(None, None),
            dd.with_keys(Some(DD_API_KEY), None),
            dd.with_keys(Some("wrong"), Some(DD_APP_KEY)),
            dd.with_keys(Some(DD_API_KEY), Some("mock-dd-child-a-app-key")),
        ] {
            assert_datadog_error(&client.get(&path).await, 403, "Forbidden");
        }
    }
}

// ---- estimated_cost -------------------------------------------------------

#[tokio::test]
async fn estimated_cost_covers_the_current_and_previous_month() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(&dd, &format!("{ESTIMATED}?start_month=2026-05")).await;
    assert_eq!(
        dates(&body),
        ["2026-05-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00"]
    );
    for row in data(&body) {
        assert_eq!(row["type"], "cost_by_org");
        assert_eq!(row["attributes"]["public_id"], "mockddorg0001");
    }
    let reply = dd.get(&format!("{ESTIMATED}?start_month=2026-04")).await;
    assert_datadog_error(&reply, 400, "start_month");
    let reply = dd.get(&format!("{ESTIMATED}?start_date=2026-04-30")).await;
    assert_datadog_error(&reply, 400, "start_date");
    let reply = dd.get(&format!("{ESTIMATED}?start_month=2026-07")).await;
    assert_datadog_error(&reply, 400, "future");
}

#[tokio::test]
async fn estimated_cost_is_month_to_date_72_hours_behind() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let june = |body: &Value| data(body)[0]["attributes"]["total_cost"].as_f64().unwrap();
    let at_20th = ok(&dd, &format!("{ESTIMATED}?start_month=2026-06")).await;
    server
        .clock()
        .freeze(Some("2026-06-25T12:00:00Z".parse().unwrap()));
    let at_25th = ok(&dd, &format!("{ESTIMATED}?start_month=2026-06")).await;
    assert!(june(&at_25th) > june(&at_20th));
    // Early in the month nothing has landed yet.
    server
        .clock()
        .freeze(Some("2026-06-02T12:00:00Z".parse().unwrap()));
    let body = ok(&dd, &format!("{ESTIMATED}?start_month=2026-06")).await;
    assert!(data(&body).is_empty(), "{body}");
}

#[tokio::test]
async fn a_finished_previous_month_estimates_what_it_bills() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let estimated = ok(
        &dd,
        &format!("{ESTIMATED}?start_month=2026-05&end_month=2026-05&view=sub-org"),
    )
    .await;
    let historical = ok(
        &dd,
        &format!("{HISTORICAL}?start_month=2026-05&end_month=2026-05&view=sub-org"),
    )
    .await;
    assert_eq!(data(&estimated).len(), 3);
    for (e, h) in data(&estimated).iter().zip(data(&historical)) {
        assert_eq!(e["attributes"], h["attributes"]);
    }
}

#[tokio::test]
async fn estimated_cost_by_date_gives_daily_rows() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let body = ok(
        &dd,
        &format!("{ESTIMATED}?start_date=2026-06-10&end_date=2026-06-12"),
    )
    .await;
    assert_eq!(
        dates(&body),
        [
            "2026-06-10T00:00:00+00:00",
            "2026-06-11T00:00:00+00:00",
            "2026-06-12T00:00:00+00:00"
        ]
    );
    // Without end_date: up to the latest hour with data (June 17, 11:00).
    let body = ok(&dd, &format!("{ESTIMATED}?start_date=2026-06-15")).await;
    assert_eq!(dates(&body).len(), 3);
    for row in data(&body) {
        let total = row["attributes"]["total_cost"].as_f64().unwrap();
        assert!((total - cost_sum(row["attributes"]["charges"].as_array().unwrap())).abs() < 1e-6);
    }
}

#[tokio::test]
async fn estimated_cost_bad_requests() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for (query, needle) in [
        ("", "start_month"),
        ("?start_month=2026-06&start_date=2026-06-01", "not both"),
        ("?start_month=2026-06&end_date=2026-06-10", "end_date"),
        ("?start_date=2026-06-01&end_month=2026-06", "end_month"),
        ("?start_month=2026-06&end_month=2026-05", "end_month"),
        ("?start_date=2026-06-10&end_date=2026-06-09", "end_date"),
        ("?start_date=2026-06-31", "start_date"),
        ("?start_month=2026-06&view=everything", "view"),
        (
            "?start_month=2026-06&include_connected_accounts=1",
            "include_connected_accounts",
        ),
    ] {
        let reply = dd.get(&format!("{ESTIMATED}{query}")).await;
        assert_datadog_error(&reply, 400, needle);
    }
}

// ---- top_avg_metrics ------------------------------------------------------

fn usage(body: &Value) -> &Vec<Value> {
    body["usage"].as_array().expect("usage list")
}

fn pagination(body: &Value) -> &Value {
    &body["metadata"]["pagination"]
}

#[tokio::test]
async fn top_avg_metrics_by_month_largest_first() {
    let server = default_server().await;
    let body = ok(&Datadog::new(&server), &format!("{TOP}?month=2026-05")).await;
    assert_eq!(body["metadata"]["month"], "2026-05-01T00:00:00+00:00");
    assert!(body["metadata"].get("day").is_none());
    let records = usage(&body);
    assert!((250..450).contains(&records.len()), "{}", records.len());
    assert_eq!(pagination(&body)["limit"], 500);
    assert!(pagination(&body)["next_record_id"].is_null());
    // Everything fits on one page: Datadog sends no total then.
    assert!(pagination(&body)["total_number_of_records"].is_null());
    for record in records {
        assert!(record["avg_metric_hour"].is_i64());
        assert!(record["max_metric_hour"].as_i64() >= record["avg_metric_hour"].as_i64());
        assert!(["custom", "standard"].contains(&record["metric_category"].as_str().unwrap()));
        assert!(record["metric_name"].is_string());
    }
    let averages: Vec<i64> = records
        .iter()
        .map(|r| r["avg_metric_hour"].as_i64().unwrap())
        .collect();
    assert!(averages.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn top_avg_metrics_by_day() {
    let server = default_server().await;
    let body = ok(&Datadog::new(&server), &format!("{TOP}?day=2026-06-10")).await;
    assert_eq!(body["metadata"]["day"], "2026-06-10T00:00:00+00:00");
    assert!(body["metadata"].get("month").is_none());
    assert!(!usage(&body).is_empty());
}

#[tokio::test]
async fn top_avg_metrics_takes_month_or_day_not_both() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    for (query, needle) in [
        ("", "The parameter 'month/day' is required"),
        ("?names=a.b", "The parameter 'month/day' is required"),
        ("?month=2026-05&day=2026-05-02", "not both"),
        ("?month=May", "month"),
        ("?day=2026-02-30", "day"),
        ("?month=2026-05&limit=0", "limit"),
        ("?month=2026-05&limit=5001", "limit"),
        ("?month=2026-05&limit=ten", "limit"),
        ("?month=2026-05&next_record_id=garbage!", "next_record_id"),
    ] {
        let reply = dd.get(&format!("{TOP}{query}")).await;
        assert_datadog_error(&reply, 400, needle);
    }
}

#[tokio::test]
async fn top_avg_metrics_names_filter() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let all = ok(&dd, &format!("{TOP}?month=2026-05")).await;
    let wanted: Vec<&str> = usage(&all)
        .iter()
        .skip(3)
        .step_by(7)
        .take(4)
        .map(|r| r["metric_name"].as_str().unwrap())
        .collect();
    let body = ok(
        &dd,
        &format!(
            "{TOP}?month=2026-05&names={},no.such.metric",
            wanted.join(",")
        ),
    )
    .await;
    let names: Vec<&str> = usage(&body)
        .iter()
        .map(|r| r["metric_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, wanted);
    assert!(pagination(&body)["total_number_of_records"].is_null());
}

#[tokio::test]
async fn top_avg_metrics_cursor_walks_every_record_once() {
    let server = default_server().await;
    let dd = Datadog::new(&server);
    let all = ok(&dd, &format!("{TOP}?month=2026-05&limit=5000")).await;
    let expected: Vec<Value> = usage(&all).clone();

    let mut walked: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &next {
            None => format!("{TOP}?month=2026-05&limit=40"),
            Some(cursor) => format!("{TOP}?month=2026-05&limit=40&next_record_id={cursor}"),
        };
        let body = ok(&dd, &path).await;
        assert!(usage(&body).len() <= 40);
        assert_eq!(pagination(&body)["limit"], 40);
        // Over several pages, each carries the count of all of them.
        assert_eq!(
            pagination(&body)["total_number_of_records"],
            expected.len() as u64
        );
        walked.extend(usage(&body).iter().cloned());
        pages += 1;
        match pagination(&body)["next_record_id"].as_str() {
            Some(cursor) => next = Some(cursor.to_string()),
            None => break,
        }
    }
    assert_eq!(walked, expected);
    assert_eq!(pages, expected.len().div_ceil(40));
    let names: BTreeSet<&str> = walked
        .iter()
        .map(|r| r["metric_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), walked.len());
}

#[tokio::test]
async fn the_same_seed_gives_the_same_costs_and_metrics() {
    let a = default_server().await;
    let b = default_server().await;
    for path in [
        format!("{HISTORICAL}?start_month=2026-02&view=sub-org"),
        format!("{ESTIMATED}?start_month=2026-05&view=sub-org"),
        format!("{TOP}?month=2026-05&limit=5000"),
        format!("{TOP}?day=2026-06-01&limit=5000"),
    ] {
        assert_eq!(
            ok(&Datadog::new(&a), &path).await,
            ok(&Datadog::new(&b), &path).await,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_time_or_flag_parameter_sent_empty_is_400_not_absent() {
    let server = default_server().await;
    let client = Datadog::new(&server);
    for (path, name) in [
        (format!("{TOP}?month="), "month"),
        (format!("{TOP}?day=&month=2026-05"), "day"),
        ("/api/v1/usage/billable-summary?month=".to_string(), "month"),
        (format!("{HISTORICAL}?start_month=2026-03&end_month="), "end_month"),
        (
            format!("{HISTORICAL}?start_month=2026-03&include_connected_accounts="),
            "include_connected_accounts",
        ),
        (format!("{HISTORICAL}?start_month=2026-03&view="), "view"),
        (format!("{TOP}?month=2026-05&limit="), "limit"),
        (
            "/api/v2/usage/hourly_usage?filter[timestamp][start]=2026-06-01T00&filter[timestamp][end]=&filter[product_families]=infra_hosts".to_string(),
            "filter[timestamp][end]",
        ),
    ] {
        let reply = client.get(&path).await;
        assert_datadog_error(&reply, 400, &format!("Invalid parameter {name}"));
    }
    // The same parameters left out are fine.
    for path in [
        format!("{TOP}?month=2026-05"),
        "/api/v1/usage/billable-summary".to_string(),
        format!("{HISTORICAL}?start_month=2026-03"),
    ] {
        let reply = client.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.raw);
    }
}
