//! Grafana Cloud billed usage: `GET /api/orgs/{org}/billed-usage?month=&year=`.

use crate::common::grafana_spec as spec;
use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use mockcloud::{Config, MockCloud};
use serde_json::{Value, json};

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().expect("an RFC 3339 instant")
}

/// Freezes the server clock at `instant` and creates stack `slug` there.
async fn stack_created_at(server: &MockCloud, grafana: &Grafana, slug: &str, instant: &str) {
    server.clock().freeze(Some(at(instant)));
    let reply = grafana
        .post(
            "/api/instances",
            &json!({"name": format!("{slug}.grafana.net"), "slug": slug}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_stack(&reply.body);
}

/// The answer to `GET /api/orgs/{org}/billed-usage?{query}`; a 200 is
/// checked against the spec's fields and types.
async fn billed(grafana: &Grafana, org: &str, query: &str) -> Reply {
    let reply = grafana
        .get(&format!("/api/orgs/{org}/billed-usage?{query}"))
        .await;
    if reply.status == 200 {
        spec::assert_billed_usage(&reply.body);
    }
    reply
}

/// September 2024's bill, asked for in October; panics unless 200.
async fn september(server: &MockCloud, grafana: &Grafana) -> Value {
    server.clock().freeze(Some(at("2024-10-02T00:00:00Z")));
    let reply = billed(grafana, "mockorg", "month=9&year=2024").await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    reply.body
}

fn item<'a>(bill: &'a Value, dimension: &str) -> &'a Value {
    bill["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["dimensionId"] == dimension)
        .unwrap_or_else(|| panic!("no {dimension} item in {bill}"))
}

fn usage_of<'a>(item: &'a Value, stack_name: &str) -> &'a Value {
    item["usages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|usage| usage["stackName"] == stack_name)
        .unwrap_or_else(|| panic!("no usage of {stack_name} in {item}"))
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is no number"))
}

/// A scenario org with stacks that started before, and during, September 2024.
fn org_with_stacks() -> Value {
    json!({
        "name": "billing",
        "seed": 42,
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": [{
                "id": 1, "slug": "mockorg", "name": "Mock Org",
                "stacks": [
                    {"name": "prod.grafana.net", "slug": "prod", "created_at": "2023-05-01T00:00:00Z",
                     "labels": {"env": "prod"}},
                    {"name": "dev.grafana.net", "slug": "dev", "created_at": "2024-02-11T08:30:00Z"},
                    {"name": "late.grafana.net", "slug": "late", "created_at": "2024-09-10T12:00:00Z"}
                ],
                "access_policies": [{
                    "name": "billing", "region": "us",
                    "scopes": ["org-billing-info:read", "stacks:read"],
                    "tokens": [{"name": "billing-token", "token": "billing-token"}]
                }, {
                    "name": "stacks-only", "region": "us", "scopes": ["stacks:read"],
                    "tokens": [{"name": "stacks-token", "token": "stacks-token"}]
                }, {
                    "name": "org-reader", "region": "us", "scopes": ["orgs:read"],
                    "tokens": [{"name": "org-reader-token", "token": "org-reader-token"}]
                }]
            }, {
                "id": 2, "slug": "other", "name": "Other Org",
                "access_policies": [{
                    "name": "other", "region": "us", "scopes": ["orgs:read"],
                    "tokens": [{"name": "other-token", "token": "other-token"}]
                }]
            }]
        }
    })
}

#[tokio::test]
async fn month_and_year_are_required_integers() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for query in [
        "",
        "month=9",
        "year=2024",
        "month=&year=2024",
        "month=13&year=2024",
        "month=0&year=2024",
        "month=sept&year=2024",
        "month=9&year=last",
        "month=9&year=-1",
    ] {
        let reply = billed(&grafana, "mockorg", query).await;
        assert_grafana_error(&reply, 409, "Conflict", "Wrong or missing parameters");
    }
}

#[tokio::test]
async fn a_month_that_has_not_started_is_404() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    server.clock().freeze(Some(at("2024-09-20T00:00:00Z")));
    let next = billed(&grafana, "mockorg", "month=10&year=2024").await;
    assert_grafana_error(&next, 404, "NotFound", "not started");
    let current = billed(&grafana, "mockorg", "month=9&year=2024").await;
    assert_eq!(current.status, 200, "{}", current.raw);
    server.clock().advance(Duration::days(11));
    let now_started = billed(&grafana, "mockorg", "month=10&year=2024").await;
    assert_eq!(now_started.status, 200, "{}", now_started.raw);
}

#[tokio::test]
async fn billed_usage_needs_its_scope_and_the_callers_org() {
    let server = start_scenario(org_with_stacks()).await;
    let no_scope = Grafana::new(&server, "stacks-token");
    let reply = billed(&no_scope, "mockorg", "month=9&year=2024").await;
    assert_grafana_error(&reply, 403, "Forbidden", "org-billing-info:read");
    // Either scope of the published spec opens it.
    for token in ["billing-token", "org-reader-token"] {
        let reply = billed(
            &Grafana::new(&server, token),
            "mockorg",
            "month=9&year=2024",
        )
        .await;
        assert_eq!(reply.status, 200, "{token}: {}", reply.raw);
    }
    let other = Grafana::new(&server, "other-token");
    let reply = billed(&other, "mockorg", "month=9&year=2024").await;
    assert_grafana_error(&reply, 403, "Forbidden", "org");
    let reply = billed(&other, "nosuch", "month=9&year=2024").await;
    assert_grafana_error(&reply, 404, "NotFound", "nosuch");
    let reply = billed(&other, "other", "month=9&year=2024").await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
}

#[tokio::test]
async fn every_item_adds_up() {
    let server = start_scenario(org_with_stacks()).await;
    let grafana = Grafana::new(&server, "billing-token");
    let bill = september(&server, &grafana).await;
    let items = bill["items"].as_array().unwrap();
    let dimensions: Vec<&str> = items
        .iter()
        .map(|i| i["dimensionId"].as_str().unwrap())
        .collect();
    for expected in ["hl", "hm", "hg", "ht"] {
        assert!(
            dimensions.contains(&expected),
            "{expected} in {dimensions:?}"
        );
    }
    for item in items {
        let dimension = item["dimensionId"].as_str().unwrap();
        let usages = item["usages"].as_array().unwrap();
        assert_eq!(
            usages.len(),
            3,
            "every stack that lived in September: {item}"
        );

        let total = number(&item["totalUsage"]);
        let sum: f64 = usages.iter().map(|u| number(&u["totalUsage"])).sum();
        assert!((sum - total).abs() < 1e-6, "{dimension}: {sum} != {total}");

        let included = number(&item["includedUsage"]);
        let overage = number(&item["overage"]);
        assert_eq!(
            overage,
            (total - included).round().max(0.0),
            "{dimension} overage"
        );

        let tier = &item["orgRates"]["tiers"][0];
        assert_eq!(number(&tier["min"]), included);
        let per = if dimension == "hm" { 1000.0 } else { 1.0 };
        let due = (overage * number(&tier["rate"]) / per * 100.0).round() / 100.0;
        assert_eq!(number(&item["amountDue"]), due, "{dimension} amountDue");

        assert_eq!(item["periodStart"], "2024-09-01T00:00:00Z");
        assert_eq!(item["periodEnd"], "2024-09-30T23:59:59Z");
        assert!(
            item["description"]
                .as_str()
                .unwrap()
                .ends_with("Usage - September 2024"),
            "{}",
            item["description"]
        );
        let notes = item["notes"].as_str().unwrap();
        assert!(notes.starts_with("Per-instance Usage\n"), "{notes}");
        assert!(
            notes.ends_with(&format!("Total Usage Amount: ${due:.2}")),
            "{notes}"
        );
        assert!(notes.contains(&format!("excess of {included}")), "{notes}");
        assert!(notes.contains(&format!(": {overage}")), "{notes}");
        for usage in usages {
            assert!(usage["id"].as_u64().is_some());
            assert!(usage["stackId"].as_u64().is_some());
            assert!(usage["stackLabels"].is_object());
        }
    }
    assert_eq!(item(&bill, "hl")["unit"], "GB", "logs are billed in GB");
    assert_eq!(item(&bill, "hm")["unit"], "series");
    assert_eq!(item(&bill, "hg")["unit"], "user");
    assert_eq!(item(&bill, "ht")["unit"], "GB");
    assert_eq!(item(&bill, "hm")["orgRates"]["tiers"][0]["rate"], 6.5);
    assert_eq!(
        item(&bill, "hl")["description"],
        "Hosted Logs Usage - September 2024"
    );
    let prod = usage_of(item(&bill, "hl"), "prod.grafana.net");
    assert_eq!(prod["stackLabels"], json!({"env": "prod"}));
}

#[tokio::test]
async fn each_dimension_shows_its_own_figures() {
    let server = start_scenario(org_with_stacks()).await;
    let grafana = Grafana::new(&server, "billing-token");
    let bill = september(&server, &grafana).await;
    let logs = usage_of(item(&bill, "hl"), "prod.grafana.net");
    assert_eq!(logs["ingestUsage"], logs["totalUsage"]);
    assert!(number(&logs["queryUsage"]) > 0.0);
    let metrics = usage_of(item(&bill, "hm"), "prod.grafana.net");
    let series = number(&metrics["activeSeries"]);
    let dpm = number(&metrics["dpm"]);
    assert_eq!(number(&metrics["totalUsage"]), series.max(dpm));
    let users = usage_of(item(&bill, "hg"), "prod.grafana.net");
    assert_eq!(
        number(&users["totalUsage"]),
        number(&users["grafanaUsage"]) + number(&users["onCallUsage"])
    );
    assert!(number(&users["grafanaUsage"]) >= 1.0);
    let traces = usage_of(item(&bill, "ht"), "prod.grafana.net");
    assert_eq!(traces["ingestUsage"], traces["totalUsage"]);
}

#[tokio::test]
async fn a_stack_created_mid_month_is_prorated_from_its_start() {
    let server = start_scenario(org_with_stacks()).await;
    let grafana = Grafana::new(&server, "billing-token");
    let bill = september(&server, &grafana).await;
    for dimension in ["hl", "hm", "hg", "ht"] {
        let late = usage_of(item(&bill, dimension), "late.grafana.net");
        assert_eq!(late["isProrated"], true);
        assert_eq!(late["periodStart"], "2024-09-10T12:00:00Z");
        assert_eq!(late["periodEnd"], "2024-09-30T23:59:59Z");
        let prod = usage_of(item(&bill, dimension), "prod.grafana.net");
        assert_eq!(prod["isProrated"], false);
        assert_eq!(prod["periodStart"], "2024-09-01T00:00:00Z");
    }
    // Metrics show the full-month rates; the total is 20.5 of 30 days of them.
    let late = usage_of(item(&bill, "hm"), "late.grafana.net");
    let full = number(&late["activeSeries"]).max(number(&late["dpm"]));
    let ratio = number(&late["totalUsage"]) / full;
    assert!((ratio - 20.5 / 30.0).abs() < 1e-4, "ratio {ratio}");
}

#[tokio::test]
async fn a_stack_created_on_the_20th_pays_for_11_of_30_days() {
    // Same seed, same first stack id: the same stack, once all month, once from the 20th.
    let all_month = start_default().await;
    let from_20th = start_default().await;
    let grafana_all = Grafana::new(&all_month, BOOTSTRAP_TOKEN);
    let grafana_20th = Grafana::new(&from_20th, BOOTSTRAP_TOKEN);
    stack_created_at(&all_month, &grafana_all, "a", "2024-08-15T00:00:00Z").await;
    stack_created_at(&from_20th, &grafana_20th, "a", "2024-09-20T00:00:00Z").await;
    let full_bill = september(&all_month, &grafana_all).await;
    let part_bill = september(&from_20th, &grafana_20th).await;
    for dimension in ["hl", "hm", "hg", "ht"] {
        let full = usage_of(item(&full_bill, dimension), "a.grafana.net");
        let part = usage_of(item(&part_bill, dimension), "a.grafana.net");
        assert_eq!(full["stackId"], part["stackId"]);
        assert_eq!(full["isProrated"], false);
        assert_eq!(part["isProrated"], true);
        assert_eq!(part["periodStart"], "2024-09-20T00:00:00Z");
        let ratio = number(&part["totalUsage"]) / number(&full["totalUsage"]);
        assert!(
            (ratio - 11.0 / 30.0).abs() < 0.005,
            "{dimension}: ratio {ratio}, full {full}, part {part}"
        );
    }
}

#[tokio::test]
async fn a_deleted_stack_is_billed_for_the_days_it_lived() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    stack_created_at(&server, &grafana, "gone", "2024-08-01T00:00:00Z").await;
    server.clock().freeze(Some(at("2024-09-10T12:00:00Z")));
    let deleted = grafana.delete("/api/instances/gone").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    spec::assert_stack(&deleted.body);

    let bill = september(&server, &grafana).await;
    for dimension in ["hl", "hm", "hg", "ht"] {
        let gone = usage_of(item(&bill, dimension), "gone.grafana.net");
        assert_eq!(gone["isProrated"], true);
        assert_eq!(gone["periodStart"], "2024-09-01T00:00:00Z");
        assert_eq!(gone["periodEnd"], "2024-09-10T12:00:00Z");
    }
    let metrics = usage_of(item(&bill, "hm"), "gone.grafana.net");
    let full = number(&metrics["activeSeries"]).max(number(&metrics["dpm"]));
    let ratio = number(&metrics["totalUsage"]) / full;
    assert!((ratio - 9.5 / 30.0).abs() < 1e-4, "ratio {ratio}");

    let august = billed(&grafana, "mockorg", "month=8&year=2024").await;
    let gone = usage_of(item(&august.body, "hl"), "gone.grafana.net");
    assert_eq!(gone["isProrated"], false, "it lived all of August");
    let october = billed(&grafana, "mockorg", "month=10&year=2024").await;
    assert_eq!(item(&october.body, "hl")["usages"], json!([]));
    assert_eq!(item(&october.body, "hl")["totalUsage"], 0.0);
    assert_eq!(item(&october.body, "hl")["amountDue"], 0.0);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_bill() {
    let run = |seed: Option<u64>| async move {
        let config = match seed {
            Some(seed) => Config::default().with_seed(seed),
            None => Config::default(),
        };
        let server = MockCloud::start(config).await.expect("server starts");
        let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
        stack_created_at(&server, &grafana, "one", "2024-06-03T09:00:00Z").await;
        stack_created_at(&server, &grafana, "two", "2024-09-05T00:00:00Z").await;
        september(&server, &grafana).await
    };
    let first = run(None).await;
    let second = run(None).await;
    assert_eq!(first, second);
    let other_seed = run(Some(99)).await;
    assert_ne!(
        item(&first, "hl")["totalUsage"],
        item(&other_seed, "hl")["totalUsage"]
    );
}

#[tokio::test]
async fn a_month_without_stacks_bills_nothing() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let bill = september(&server, &grafana).await;
    assert_eq!(bill["orderBy"], "dimensionId");
    for item in bill["items"].as_array().unwrap() {
        assert_eq!(item["usages"], json!([]));
        assert_eq!(item["overage"], 0);
        assert_eq!(item["amountDue"], 0.0);
    }
}
