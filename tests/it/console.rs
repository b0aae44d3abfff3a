//! The console at `/__admin/ui/`: each page answers with the scenario's
//! objects, a chart carries the numbers the API returns for the same query,
//! the delete-protection toggle changes what the Grafana API says, the live
//! stream sends each request, and `--admin-token` closes it all. Then the
//! browser tests (`tests/console/test_console.py`: selenium driving a
//! headless Chromium) against an in-process server of the demo scenario.
//!
//! The browser tests need Chromium and chromedriver (Debian's `chromium`
//! and `chromium-driver`, installed by `.ci/run`) and selenium in the
//! Python of MOCKCLOUD_SDK_PYTHON, else `.venv`. Without them they say so
//! and pass (`common::external`), unless MOCKCLOUD_REQUIRE_EXTERNAL=1. Each
//! page's screenshot goes to `target/console-screenshots/`, and with
//! MOCKCLOUD_CONSOLE_SCREENSHOTS_TO_DOCS=1 also to `docs/console/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mockcloud::{Config, MockCloud, Scenario};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common;

mod live;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DD_KEYS: [(&str, &str); 2] = [
    ("DD-API-KEY", "mock-dd-demo-api-key"),
    ("DD-APPLICATION-KEY", "mock-dd-demo-app-key"),
];
/// A token of the demo's org `acme` that may read stacks.
const ACME_STACKS_READER: &str = "mock-acme-finops";

async fn start_demo(config: Config) -> MockCloud {
    let demo = Scenario::built_in("demo").expect("the demo scenario is built in");
    MockCloud::start(config.with_scenario(demo))
        .await
        .expect("server starts")
}

async fn page(server: &MockCloud, path: &str) -> (StatusCode, String) {
    let reply = reqwest::get(format!("{}/__admin/ui{path}", server.base_url()))
        .await
        .expect("request sent");
    (reply.status(), reply.text().await.expect("a body"))
}

/// The console's paths have a router of their own: a path under it that no
/// page has, or a page asked with a method it does not take, is answered
/// as any such admin path is (the same JSON error).
#[tokio::test]
async fn an_unknown_console_path_or_method_is_answered_as_an_admin_paths() {
    let server = start_demo(Config::default()).await;
    let client = reqwest::Client::new();
    let ask = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{}{path}", server.base_url()))
            .send()
    };
    use reqwest::Method;
    for (method, path, status) in [
        (Method::GET, "/__admin/ui/no-such-page", 404),
        (Method::GET, "/__admin/no-such-page", 404),
        (Method::GET, "/__admin/uino-such-page", 404),
        (Method::DELETE, "/__admin/ui/grafana", 405),
        (Method::DELETE, "/__admin/journal/x", 404),
    ] {
        let message = if status == 404 {
            format!("no such endpoint: {path}")
        } else {
            format!("{method} is not supported on {path}")
        };
        let reply = ask(method.clone(), path).await.expect("request sent");
        assert_eq!(reply.status().as_u16(), status, "{method} {path}");
        let body: Value = reply.json().await.expect("a JSON error");
        assert_eq!(body["message"], message, "{method} {path}: {body}");
        assert_eq!(body["statusCode"], status, "{method} {path}: {body}");
    }
    // The pages around them still answer.
    assert_eq!(page(&server, "/").await.0, StatusCode::OK);
    assert_eq!(page(&server, "").await.0, StatusCode::OK);
}

/// The console's router is built when the console is first asked for; the
/// uptime on its overview still counts from the server's start.
#[tokio::test]
async fn the_uptime_counts_from_the_start_not_from_the_first_page() {
    let server = start_demo(Config::default()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = page(&server, "/").await;
    assert_eq!(status, StatusCode::OK);
    let uptime = body
        .split("<h2>Uptime</h2><p class=\"big\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the overview shows the uptime");
    assert_ne!(uptime, "0h 00m 00s", "{uptime}");
    assert!(uptime.starts_with("0h 00m "), "{uptime}");
}

#[tokio::test]
async fn every_page_answers_with_the_scenarios_objects() {
    let server = start_demo(Config::default()).await;
    for (path, expected) in [
        (
            "/",
            &[
                "demo",
                "mock-acme-token",
                "mock-dd-demo-api-key",
                "datadog_api_client",
            ][..],
        ),
        (
            "/grafana",
            &[
                "acme",
                "globex",
                "initech",
                "acmeprod",
                "acme-admin",
                "alloy-prod",
            ],
        ),
        ("/grafana?org=globex", &["globexdev"]),
        (
            "/datadog",
            &["Demo Holdings", "Demo Labs", "demoparent001", "<svg"],
        ),
        ("/gcore", &["shop-prod", "Luxembourg-2", "<svg"]),
        ("/live", &["Live requests", "/__admin/ui/live/events"]),
        ("/controls", &["Fault rules", "/__admin/faults", "demo"]),
    ] {
        let (status, html) = page(&server, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        for name in expected {
            assert!(html.contains(name), "{path} does not show {name}");
        }
    }
    // Secrets of access-policy tokens are never shown on the Grafana page.
    let (_, html) = page(&server, "/grafana").await;
    assert!(!html.contains("mock-acme-alloy-prod"));
}

#[tokio::test]
async fn a_form_sent_with_every_field_empty_shows_the_defaults() {
    let server = start_demo(Config::default()).await;
    for path in [
        "/grafana?org=&region=&realm=&realm_id=&status=&page=&month=",
        "/datadog?org=&family=&start=&end=&cost=&start_month=&end_month=",
        "/gcore?project=&region=&type=&from=&to=&unit=",
        "/live?vendor=&status=&method=&path=",
    ] {
        let (status, html) = page(&server, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains("class=\"problem\""), "{path}: {html}");
    }
}

#[tokio::test]
async fn the_cost_chart_shows_the_totals_the_api_returns() {
    let server = start_demo(Config::default()).await;
    let now = server.clock().now();
    let start = (now.date_naive() - chrono::Months::new(6)).format("%Y-%m");
    let mut request = reqwest::Client::new().get(format!(
        "{}/api/v2/usage/historical_cost?start_month={start}&view=sub-org",
        server.base_url()
    ));
    for (name, value) in DD_KEYS {
        request = request.header(name, value);
    }
    let costs: Value = request.send().await.unwrap().json().await.unwrap();
    let totals: Vec<String> = costs["data"]
        .as_array()
        .expect("cost rows")
        .iter()
        .map(|row| format!("${:.2}", row["attributes"]["total_cost"].as_f64().unwrap()))
        .collect();
    assert!(totals.len() >= 4, "{costs}");
    let (status, html) = page(
        &server,
        &format!("/datadog?cost=historical&start_month={start}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let chart = &html[html.find("id=\"cost-chart\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    for total in &totals {
        assert!(
            chart.contains(&format!(">\n{total}\n</text>")),
            "the chart lacks {total}"
        );
    }
}

#[tokio::test]
async fn the_billed_usage_total_is_the_apis() {
    let server = start_demo(Config::default()).await;
    let last_month = server.clock().now().date_naive() - chrono::Months::new(1);
    let (year, month) = (
        last_month.format("%Y").to_string(),
        last_month.format("%-m").to_string(),
    );
    let bill: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/orgs/acme/billed-usage?year={year}&month={month}",
            server.base_url()
        ))
        .bearer_auth(ACME_STACKS_READER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let due: f64 = bill["items"]
        .as_array()
        .expect("billed items")
        .iter()
        .map(|item| item["amountDue"].as_f64().unwrap())
        .sum();
    assert!(due > 0.0, "{bill}");
    let (status, html) = page(
        &server,
        &format!("/grafana?org=acme&month={}", last_month.format("%Y-%m")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("id=\"billing-total\">{due:.2}<")),
        "the page's total is not {due:.2}"
    );
}

#[tokio::test]
async fn the_gcore_totals_are_the_usage_reports() {
    let server = start_demo(Config::default()).await;
    let report: Value = reqwest::Client::new()
        .post(format!("{}/cloud/v1/usage_report", server.base_url()))
        .header("Authorization", "APIKey mock-gcore-key")
        .json(
            &json!({"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-31T00:00:00Z",
                      "enable_last_day": true, "types": ["instance"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, html) = page(
        &server,
        "/gcore?type=instance&from=2026-01-01&to=2026-01-31",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let totals = report["totals"].as_array().expect("totals");
    assert!(!totals.is_empty(), "{report}");
    for total in totals {
        let cell = format!(
            "<td class=\"num\">{}</td>",
            total["billing_value"].as_f64().unwrap()
        );
        assert!(html.contains(&cell), "no {cell}");
    }
}

#[tokio::test]
async fn the_gcore_tag_filter_is_the_usage_reports() {
    let server = start_demo(Config::default()).await;
    let report = |tags: Value| {
        let base = server.base_url();
        async move {
            let body: Value = reqwest::Client::new()
                .post(format!("{base}/cloud/v1/usage_report"))
                .header("Authorization", "APIKey mock-gcore-key")
                .json(&json!({"time_from": "2026-01-01T00:00:00Z",
                              "time_to": "2026-01-31T00:00:00Z",
                              "enable_last_day": true, "limit": 1000, "tags": tags}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body
        }
    };
    let tagged = report(json!({"condition_type": "AND",
        "conditions": [{"key": "env", "value": "prod", "strict": true}]}))
    .await;
    let count = tagged["count"].as_u64().expect("a count");
    assert!(count > 0, "{tagged}");
    let (status, html) = page(
        &server,
        "/gcore?from=2026-01-01&to=2026-01-31&tag=env%3Dprod",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // As many resources as the API reports, each of them listed.
    assert!(
        html.contains(&format!("Inventory ({count} resources in the period)")),
        "the count is the API's"
    );
    let names: Vec<&str> = tagged["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["last_name"].as_str())
        .collect();
    for name in &names {
        assert!(html.contains(name), "{name} missing");
    }
    assert!(html.contains("value=\"env=prod\""), "the filter is shown");
    // Fewer than with no tag at all.
    let all = report(Value::Null).await;
    assert!(all["count"].as_u64().unwrap() > count);
}

#[tokio::test]
async fn the_gcore_field_filter_is_the_usage_reports_schema_filter() {
    let server = start_demo(Config::default()).await;
    let report = |extra: Value| {
        let base = server.base_url();
        async move {
            let mut body = json!({"time_from": "2026-01-01T00:00:00Z",
                                  "time_to": "2026-01-31T00:00:00Z",
                                  "enable_last_day": true, "limit": 1000});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let answer: Value = reqwest::Client::new()
                .post(format!("{base}/cloud/v1/usage_report"))
                .header("Authorization", "APIKey mock-gcore-key")
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    };
    // A type with a flavor, and one of its flavors, as the API reports them.
    let all = report(json!({})).await;
    let (kind, flavor) = all["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| Some((r["type"].as_str()?, r["flavor"].as_str()?)))
        .map(|(t, f)| (t.to_string(), f.to_string()))
        .expect("a resource with a flavor");
    let of_type = report(json!({"types": [kind]})).await;
    let filtered = report(json!({"types": [kind], "schema_filter":
        {"type": kind, "field": "flavor", "values": [flavor]}}))
    .await;
    let count = filtered["count"].as_u64().expect("a count");
    assert!(count > 0, "{filtered}");
    assert!(
        count < of_type["count"].as_u64().unwrap(),
        "the demo has {kind} resources of other flavors than {flavor}"
    );
    let (status, html) = page(
        &server,
        &format!("/gcore?from=2026-01-01&to=2026-01-31&type={kind}&field=flavor&values={flavor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("Inventory ({count} resources in the period)")),
        "the count is the API's"
    );
    assert!(
        html.contains("<option selected>flavor</option>"),
        "the field is shown"
    );
    // A field the type lacks, or a field without a type, is said plainly.
    let (status, html) = page(
        &server,
        &format!("/gcore?type={kind}&field=volume_type&values=ssd"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("cannot filter"), "the problem is said");
    let (_, html) = page(&server, "/gcore?field=flavor&values=x").await;
    assert!(html.contains("choose a type"));
}

#[tokio::test]
async fn toggling_delete_protection_changes_what_the_grafana_api_says() {
    let server = start_demo(Config::default()).await;
    let client = reqwest::Client::new();
    let stack = || async {
        let reply: Value = client
            .get(format!("{}/api/instances/acmestaging", server.base_url()))
            .bearer_auth(ACME_STACKS_READER)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["deleteProtection"].clone()
    };
    assert_eq!(stack().await, json!(false));
    let toggle = format!(
        "{}/__admin/ui/grafana/stacks/acmestaging/delete-protection",
        server.base_url()
    );
    let reply = client
        .post(&toggle)
        .json(&json!({"deleteProtection": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(stack().await, json!(true));
    // The admin API's content-type guard applies to the console's calls.
    let reply = client
        .post(&toggle)
        .header("Content-Type", "text/plain")
        .body(r#"{"deleteProtection": false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(stack().await, json!(true));
}

#[tokio::test]
async fn the_live_stream_sends_each_request_as_it_is_answered() {
    let server = start_demo(Config::default()).await;
    let mut stream = reqwest::get(format!(
        "{}/__admin/ui/live/events?vendor=gcore",
        server.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    reqwest::get(format!("{}/api/v1/accesspolicies", server.base_url()))
        .await
        .unwrap();
    reqwest::get(format!("{}/cloud/v1/usage_report", server.base_url()))
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.starts_with("event: entry\ndata: {"), "{seen}");
    assert!(
        seen.contains("\"path\":\"/cloud/v1/usage_report\""),
        "{seen}"
    );
    assert!(
        !seen.contains("accesspolicies"),
        "filtered by vendor: {seen}"
    );
}

#[tokio::test]
async fn with_an_admin_token_the_console_wants_it() {
    let server = start_demo(Config::default().with_admin_token("console-secret")).await;
    let client = reqwest::Client::new();
    let base = server.base_url();
    let (status, body) = page(&server, "/grafana").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("admin token required") && !body.contains("acmeprod"),
        "{body}"
    );
    // A browser is sent to the login form, and back after it.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let browser = no_redirects
        .get(format!("{base}/__admin/ui/grafana?org=acme"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), StatusCode::SEE_OTHER);
    let login = browser.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        login,
        "/__admin/ui/login?next=%2F__admin%2Fui%2Fgrafana%3Forg%3Dacme"
    );
    let form = client.get(format!("{base}{login}")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("data-next=\"/__admin/ui/grafana?org=acme\"")
    );
    let (status, _) = page(&server, "/live/events").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let log_in = |token: &'static str| {
        client
            .post(format!("{base}/__admin/ui/session"))
            .json(&json!({"token": token}))
            .send()
    };
    assert_eq!(
        log_in("wrong").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let reply = log_in("console-secret").await.unwrap();
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);
    let cookie = reply.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();

    let with_cookie = client
        .get(format!("{base}/__admin/ui/grafana"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::OK);
    assert!(with_cookie.text().await.unwrap().contains("acmeprod"));
    // The cookie is the admin token for the admin API too (export, faults).
    let state = client
        .get(format!("{base}/__admin/state"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(state.status(), StatusCode::OK);
    let toggle = format!("{base}/__admin/ui/grafana/stacks/acmestaging/delete-protection");
    let refused = client
        .post(&toggle)
        .json(&json!({"deleteProtection": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let bearer = client
        .post(&toggle)
        .bearer_auth("console-secret")
        .json(&json!({"deleteProtection": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    // Another site's page cannot drive it, token or not.
    let cross_site = client
        .post(&toggle)
        .header("Cookie", &cookie)
        .header("Origin", "http://evil.example")
        .json(&json!({"deleteProtection": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

/// Python with selenium, chromedriver and Chromium; or what is missing.
struct Browser {
    python: PathBuf,
    chromedriver: PathBuf,
}

fn browser_tools() -> Result<Browser, String> {
    let python = match std::env::var_os("MOCKCLOUD_SDK_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => common::venv_tool("python")?,
    };
    let has_selenium = Command::new(&python)
        .args(["-c", "import selenium, pytest"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_selenium {
        return Err(format!(
            "{} has no selenium or pytest (tests/sdk/requirements.txt)",
            python.display()
        ));
    }
    let chromedriver = std::env::var_os("MOCKCLOUD_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    if !chromedriver.is_file() {
        return Err(format!(
            "no {} (apt install chromium-driver)",
            chromedriver.display()
        ));
    }
    if !Path::new("/usr/bin/chromium").is_file() && std::env::var_os("MOCKCLOUD_CHROMIUM").is_none()
    {
        return Err("no /usr/bin/chromium (apt install chromium)".to_string());
    }
    Ok(Browser {
        python,
        chromedriver,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser() {
    let Some(tools) = common::external("console::in_a_browser", browser_tools()) else {
        return;
    };
    let server = start_demo(Config::default()).await;
    let guarded = start_demo(Config::default().with_admin_token("browser-secret")).await;
    let mut folders = vec![PathBuf::from(ROOT).join("target/console-screenshots")];
    if std::env::var("MOCKCLOUD_CONSOLE_SCREENSHOTS_TO_DOCS").is_ok_and(|v| v == "1") {
        folders.push(PathBuf::from(ROOT).join("docs/console"));
    }
    let mut pytest = Command::new(&tools.python);
    pytest
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/console/test_console.py",
        ])
        .current_dir(ROOT)
        .env("MOCKCLOUD_URL", server.base_url())
        .env("MOCKCLOUD_TOKEN_URL", guarded.base_url())
        .env("MOCKCLOUD_TOKEN", "browser-secret")
        .env("MOCKCLOUD_CHROMEDRIVER", &tools.chromedriver)
        .env(
            "MOCKCLOUD_SCREENSHOTS",
            std::env::join_paths(&folders).unwrap(),
        );
    let output = tokio::task::spawn_blocking(move || pytest.output())
        .await
        .unwrap()
        .expect("pytest starts");
    assert!(
        output.status.success(),
        "the browser tests failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    server.stop().await;
    guarded.stop().await;
}
