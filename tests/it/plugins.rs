//! Plugins on a stack: `/api/instances/{stack}/plugins…`, as Grafana's
//! "Grafana plugins" documentation describes them.

use crate::common::grafana_spec as spec;
use crate::common::*;

use mockcloud::MockCloud;
use reqwest::StatusCode;
use serde_json::json;

const STACK: &str = "pluginstack";
const PLUGINS: &str = "/api/instances/pluginstack/plugins";
const GITHUB: &str = "/api/instances/pluginstack/plugins/grafana-github-datasource";

/// A default server with one stack, `pluginstack`, and the bootstrap client.
async fn with_stack() -> (MockCloud, Grafana) {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = grafana
        .post("/api/instances", &json!({"name": STACK, "slug": STACK}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "create stack: {}", reply.raw);
    spec::assert_stack(&reply.body);
    (server, grafana)
}

async fn install(grafana: &Grafana, body: serde_json::Value) -> serde_json::Value {
    let reply = grafana.post(PLUGINS, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "install: {}", reply.raw);
    spec::assert_plugin(&reply.body);
    reply.body
}

#[tokio::test]
async fn installing_without_a_version_installs_the_latest() {
    let (_server, grafana) = with_stack().await;
    let plugin = install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    assert_eq!(plugin["pluginSlug"], "grafana-github-datasource");
    assert_eq!(plugin["pluginId"], 663);
    assert_eq!(plugin["pluginName"], "GitHub");
    assert_eq!(plugin["version"], "1.3.1");
    assert_eq!(plugin["latestVersion"], "1.3.1");
    assert_eq!(plugin["instanceSlug"], STACK);
    assert_eq!(plugin["instanceUrl"], "https://pluginstack.grafana.net");
    assert!(plugin["id"].is_u64());
    assert!(plugin["instanceId"].is_u64());
    assert!(plugin["createdAt"].is_string());
    assert!(plugin["updatedAt"].is_null());
    assert_eq!(
        plugin["links"],
        json!([
            {"rel": "self", "href": "/instances/pluginstack/plugins/grafana-github-datasource"},
            {"rel": "instance", "href": "/instances/pluginstack"}
        ])
    );
}

#[tokio::test]
async fn installing_a_specific_version_keeps_latest_version_from_the_catalog() {
    let (_server, grafana) = with_stack().await;
    let plugin = install(
        &grafana,
        json!({"plugin": "grafana-github-datasource", "version": "1.3.0", "noRestart": true}),
    )
    .await;
    assert_eq!(plugin["version"], "1.3.0");
    assert_eq!(plugin["latestVersion"], "1.3.1");
}

#[tokio::test]
async fn the_list_is_ordered_by_plugin_name() {
    let (_server, grafana) = with_stack().await;
    for plugin in [
        "redis-datasource",
        "grafana-github-datasource",
        "grafana-clock-panel",
    ] {
        install(&grafana, json!({"plugin": plugin})).await;
    }
    let reply = grafana.get(PLUGINS).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    spec::assert_plugin_list(&reply.body);
    let names: Vec<_> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["pluginName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Clock", "GitHub", "Redis"]);
    assert_eq!(reply.body["orderBy"], "pluginName");
    assert_eq!(reply.body["direction"], "asc");
    assert_eq!(
        reply.body["links"],
        json!([{"rel": "self", "href": "/instances/pluginstack/plugins"}])
    );
}

#[tokio::test]
async fn an_installed_plugin_is_found_by_slug_and_by_id() {
    let (_server, grafana) = with_stack().await;
    let installed = install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let by_slug = grafana.get(GITHUB).await;
    assert_eq!(by_slug.status, StatusCode::OK, "{}", by_slug.raw);
    spec::assert_plugin(&by_slug.body);
    assert_eq!(by_slug.body, installed);
    let stack_id = installed["instanceId"].as_u64().unwrap();
    let by_ids = grafana
        .get(&format!("/api/instances/{stack_id}/plugins/663"))
        .await;
    assert_eq!(by_ids.status, StatusCode::OK, "{}", by_ids.raw);
    assert_eq!(by_ids.body, installed);
}

#[tokio::test]
async fn updating_the_version_sets_updated_at() {
    let (_server, grafana) = with_stack().await;
    install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana.post(GITHUB, &json!({"version": "1.3.0"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    spec::assert_plugin(&reply.body);
    assert_eq!(reply.body["version"], "1.3.0");
    assert_eq!(reply.body["latestVersion"], "1.3.1");
    assert!(reply.body["updatedAt"].is_string(), "{}", reply.raw);
    assert_eq!(grafana.get(GITHUB).await.body["version"], "1.3.0");
}

#[tokio::test]
async fn uninstalling_answers_the_plugin_and_then_it_is_gone() {
    let (_server, grafana) = with_stack().await;
    let installed = install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana.delete(GITHUB).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    spec::assert_plugin(&reply.body);
    assert_eq!(reply.body["id"], installed["id"]);
    assert_eq!(reply.body["pluginSlug"], "grafana-github-datasource");
    assert_grafana_error(&grafana.get(GITHUB).await, 404, "NotFound", "not installed");
    assert_eq!(grafana.get(PLUGINS).await.body["items"], json!([]));
}

#[tokio::test]
async fn an_unknown_plugin_is_404() {
    let (_server, grafana) = with_stack().await;
    let reply = grafana
        .post(PLUGINS, &json!({"plugin": "no-such-plugin"}))
        .await;
    assert_grafana_error(&reply, 404, "NotFound", "no-such-plugin");
    let reply = grafana.get(&format!("{PLUGINS}/no-such-plugin")).await;
    assert_grafana_error(&reply, 404, "NotFound", "no-such-plugin");
}

#[tokio::test]
async fn an_unknown_version_is_404_on_install_and_on_update() {
    let (_server, grafana) = with_stack().await;
    let reply = grafana
        .post(
            PLUGINS,
            &json!({"plugin": "grafana-github-datasource", "version": "9.9.9"}),
        )
        .await;
    assert_grafana_error(&reply, 404, "NotFound", "9.9.9");
    assert_eq!(grafana.get(PLUGINS).await.body["items"], json!([]));

    install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana.post(GITHUB, &json!({"version": "9.9.9"})).await;
    assert_grafana_error(&reply, 404, "NotFound", "9.9.9");
    assert_eq!(grafana.get(GITHUB).await.body["version"], "1.3.1");
}

#[tokio::test]
async fn an_unknown_stack_is_404() {
    let (_server, grafana) = with_stack().await;
    let reply = grafana.get("/api/instances/nosuchstack/plugins").await;
    assert_grafana_error(&reply, 404, "NotFound", "nosuchstack");
    let reply = grafana
        .post(
            "/api/instances/nosuchstack/plugins",
            &json!({"plugin": "grafana-github-datasource"}),
        )
        .await;
    assert_grafana_error(&reply, 404, "NotFound", "nosuchstack");
}

#[tokio::test]
async fn a_deleted_stack_is_404() {
    let (_server, grafana) = with_stack().await;
    install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana.delete(&format!("/api/instances/{STACK}")).await;
    assert_eq!(reply.status, StatusCode::OK, "delete stack: {}", reply.raw);
    spec::assert_stack(&reply.body);
    assert_grafana_error(&grafana.get(PLUGINS).await, 404, "NotFound", STACK);
    assert_grafana_error(&grafana.get(GITHUB).await, 404, "NotFound", STACK);
}

#[tokio::test]
async fn installing_twice_is_409() {
    let (_server, grafana) = with_stack().await;
    install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana
        .post(PLUGINS, &json!({"plugin": "grafana-github-datasource"}))
        .await;
    assert_grafana_error(&reply, 409, "Conflict", "already installed");
}

#[tokio::test]
async fn a_token_without_stack_plugin_scopes_is_403() {
    let (server, grafana) = with_stack().await;
    let policy = grafana
        .create_policy("us", "stacks-reader", &["stacks:read"])
        .await;
    let token = grafana
        .create_token("us", policy["id"].as_str().unwrap(), "stacks-reader-token")
        .await;
    let reader = Grafana::new(&server, token["token"].as_str().unwrap());
    assert_grafana_error(
        &reader.get(PLUGINS).await,
        403,
        "Forbidden",
        "stack-plugins:read",
    );
    let reply = reader
        .post(PLUGINS, &json!({"plugin": "grafana-github-datasource"}))
        .await;
    assert_grafana_error(&reply, 403, "Forbidden", "stack-plugins:write");
    assert_grafana_error(
        &reader.delete(GITHUB).await,
        403,
        "Forbidden",
        "stack-plugins:delete",
    );
}

#[tokio::test]
async fn a_malformed_body_is_409_invalid_arguments() {
    let (_server, grafana) = with_stack().await;
    let reply = grafana.send_raw("POST", PLUGINS, "{not json".into()).await;
    assert_grafana_error(&reply, 409, "Conflict", "Invalid arguments");
    let reply = grafana.post(PLUGINS, &json!({"version": "1.3.1"})).await;
    assert_grafana_error(&reply, 409, "Conflict", "plugin");
    install(&grafana, json!({"plugin": "grafana-github-datasource"})).await;
    let reply = grafana.post(GITHUB, &json!({})).await;
    assert_grafana_error(&reply, 409, "Conflict", "version");
}

/// The list carries the documented fields and the paging fields Grafana's
/// published spec requires (`total`, `pages`, `pageSize`, `page`, numbers),
/// consistent with its items.
#[tokio::test]
async fn the_list_carries_the_specs_paging_fields_consistent_with_its_items() {
    let (_server, grafana) = with_stack().await;
    let empty = grafana.get(PLUGINS).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.raw);
    spec::assert_plugin_list(&empty.body);
    assert_eq!(empty.body["items"], json!([]));
    assert_eq!(empty.body["total"], 0, "{}", empty.raw);
    for plugin in [
        "redis-datasource",
        "grafana-github-datasource",
        "grafana-clock-panel",
    ] {
        install(&grafana, json!({"plugin": plugin})).await;
    }
    let reply = grafana.get(PLUGINS).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    let list = &reply.body;
    spec::assert_plugin_list(list);
    for field in ["total", "pages", "pageSize", "page"] {
        assert!(list[field].is_u64(), "{field} is a whole number: {list}");
    }
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(list["total"], 3);
    assert_eq!(list["page"], 1);
    assert_eq!(list["pages"], 1);
    let page_size = list["pageSize"].as_u64().unwrap();
    assert!(page_size as usize >= items.len(), "{list}");
    // The documented fields stay, and an installed plugin's updatedAt is null
    // as in the documentation's example.
    assert_eq!(list["orderBy"], "pluginName");
    assert_eq!(list["direction"], "asc");
    assert_eq!(list["links"][0]["rel"], "self");
    assert!(
        items.iter().all(|item| item["updatedAt"].is_null()),
        "{list}"
    );
    // Uninstalling one moves total with the items.
    let removed = grafana.delete(GITHUB).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.raw);
    let after = grafana.get(PLUGINS).await.body;
    assert_eq!(after["items"].as_array().unwrap().len(), 2);
    assert_eq!(after["total"], 2);
}
