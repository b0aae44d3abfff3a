//! Grafana Cloud stacks: `/api/instances…` and `/api/orgs/{org}/instances`.

use crate::common::grafana_spec as spec;
use crate::common::*;
use serde_json::{Value, json};

async fn create_stack(grafana: &Grafana, body: Value) -> Reply {
    grafana.post("/api/instances", &body).await
}

async fn created(grafana: &Grafana, slug: &str) -> Value {
    let reply = create_stack(
        grafana,
        json!({"name": format!("{slug}.grafana.net"), "slug": slug}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_stack(&reply.body);
    reply.body
}

/// A token of a new policy with exactly `scopes`.
async fn token_with(grafana: &Grafana, name: &str, scopes: &[&str]) -> Grafana {
    let policy = grafana.create_policy("us", name, scopes).await;
    let token = grafana
        .create_token(
            "us",
            policy["id"].as_str().unwrap(),
            &format!("{name}-token"),
        )
        .await;
    grafana.with_token(token["token"].as_str())
}

#[tokio::test]
async fn creating_a_stack_derives_every_field_from_slug_org_and_region() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = create_stack(
        &grafana,
        json!({"name": "mystack.grafana.net", "slug": "mystack", "region": "eu",
               "description": "team stack", "labels": {"team": "platform", "env": "dev"}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let stack = &reply.body;
    spec::assert_stack(stack);
    let id = stack["id"].as_u64().unwrap();
    assert_eq!(stack["slug"], "mystack");
    assert_eq!(stack["name"], "mystack.grafana.net");
    assert_eq!(stack["url"], "https://mystack.grafana.net");
    assert_eq!(stack["status"], "active");
    assert_eq!(stack["orgId"], 1);
    assert_eq!(stack["orgSlug"], "mockorg");
    assert_eq!(stack["regionSlug"], "eu");
    assert_eq!(stack["description"], "team stack");
    assert_eq!(stack["labels"], json!({"team": "platform", "env": "dev"}));
    assert_eq!(stack["deleteProtection"], false);
    assert_eq!(stack["billingEndDate"], Value::Null);
    assert_eq!(stack["updatedAt"], Value::Null);
    assert_eq!(stack["hmInstancePromName"], "mystack-prom");
    assert_eq!(stack["hlInstanceName"], "mystack-logs");
    assert_eq!(stack["htInstanceName"], "mystack-traces");
    assert_eq!(stack["amInstanceName"], "mystack-alerts");
    assert_eq!(
        stack["amInstanceGeneratorUrl"],
        "https://mystack.grafana.net"
    );
    let cluster = stack["clusterSlug"].as_str().unwrap();
    assert!(
        stack["hmInstancePromUrl"]
            .as_str()
            .unwrap()
            .contains(cluster)
    );
    assert!(stack["hlInstanceUrl"].as_str().unwrap().contains(cluster));
    let regions = grafana.get("/api/stack-regions").await.body;
    let eu = regions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "eu")
        .unwrap();
    assert_eq!(stack["regionId"], eu["id"]);
    assert_eq!(
        stack["links"],
        json!([
            {"rel": "self", "href": "/instances/mystack"},
            {"rel": "org", "href": "/orgs/mockorg"},
            {"rel": "plugins", "href": "/instances/mystack/plugins"}
        ])
    );
    // Addressed by slug and by id alike.
    let by_slug = grafana.get("/api/instances/mystack").await;
    let by_id = grafana.get(&format!("/api/instances/{id}")).await;
    assert_eq!(by_slug.status, 200);
    assert_eq!(by_slug.body, by_id.body);
    assert_eq!(by_slug.body, reply.body);
}

#[tokio::test]
async fn a_stack_carries_every_field_the_published_spec_requires() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stack = created(&grafana, "specstack").await;
    // Every required field with its type, and the documented exceptions.
    spec::assert_stack(&stack);
}

#[tokio::test]
async fn region_defaults_to_us_and_a_custom_url_is_kept() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = create_stack(
        &grafana,
        json!({"name": "custom", "slug": "custom", "url": "https://grafana.example.com"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_stack(&reply.body);
    assert_eq!(reply.body["regionSlug"], "us");
    assert_eq!(reply.body["url"], "https://grafana.example.com");
    assert_eq!(reply.body["customDomain"], true);
}

#[tokio::test]
async fn invalid_stack_arguments_are_409_invalid_arguments() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let before = grafana.get("/api/orgs/mockorg/instances").await.body["total"].clone();
    let too_many_labels: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    for (body, needle) in [
        (json!({"slug": "noname"}), "name"),
        (json!({"name": "noslug"}), "slug"),
        (json!({"name": "upper", "slug": "UpperCase"}), "slug"),
        (
            json!({"name": "Upper Name", "slug": "uppername"}),
            "lowercase",
        ),
        (json!({"name": "x", "slug": "9starts"}), "slug"),
        (json!({"name": "x", "slug": "x", "region": "mars"}), "mars"),
        (
            json!({"name": "x", "slug": "x", "labels": {"bad key": "v"}}),
            "labels",
        ),
        (
            json!({"name": "x", "slug": "x", "labels": {"k": "bad value!"}}),
            "labels",
        ),
        (
            json!({"name": "x", "slug": "x", "labels": too_many_labels}),
            "at most 10",
        ),
        (
            json!({"name": "x", "slug": "x", "deleteProtection": "yes"}),
            "deleteProtection",
        ),
    ] {
        let reply = create_stack(&grafana, body.clone()).await;
        assert_grafana_error(&reply, 409, "Conflict", needle);
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid arguments")
        );
    }
    let malformed = grafana
        .send_raw("POST", "/api/instances", "{".to_string())
        .await;
    assert_grafana_error(&malformed, 409, "Conflict", "JSON");
    let list = grafana.get("/api/orgs/mockorg/instances").await;
    assert_eq!(
        list.body["total"], before,
        "nothing half-created: {}",
        list.raw
    );
}

#[tokio::test]
async fn a_slug_is_unique_across_all_orgs() {
    let orgs: Vec<Value> = [1, 2]
        .iter()
        .map(|id| {
            json!({
                "id": id, "slug": format!("org{id}"), "name": format!("org{id}"),
                "access_policies": [{
                    "name": "admin", "region": "us",
                    "scopes": ["stacks:read", "stacks:write", "stacks:delete"],
                    "tokens": [{"name": "admin-token", "token": format!("org{id}-token")}]
                }]
            })
        })
        .collect();
    let scenario = json!({
        "name": "two-orgs-stacks",
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": orgs
        }
    });
    let server = start_scenario(scenario).await;
    let one = Grafana::new(&server, "org1-token");
    let two = Grafana::new(&server, "org2-token");
    let stack = created(&one, "shared").await;
    let again = create_stack(&two, json!({"name": "shared", "slug": "shared"})).await;
    assert_grafana_error(&again, 409, "Conflict", "shared");
    // Orgs are isolated: org 2 cannot see, change or delete org 1's stack.
    let id = stack["id"].as_u64().unwrap();
    for path in [
        format!("/api/instances/{id}"),
        "/api/instances/shared".to_string(),
    ] {
        assert_grafana_error(&two.get(&path).await, 404, "NotFound", "");
        assert_grafana_error(
            &two.post(&path, &json!({"description": "x"})).await,
            404,
            "NotFound",
            "",
        );
        assert_grafana_error(&two.delete(&path).await, 404, "NotFound", "");
        assert_grafana_error(
            &two.send("POST", &format!("{path}/restart"), None).await,
            404,
            "NotFound",
            "",
        );
    }
    assert_eq!(two.get("/api/orgs/org2/instances").await.body["total"], 0);
    assert_grafana_error(
        &two.get("/api/orgs/org1/instances").await,
        403,
        "Forbidden",
        "",
    );
    assert_grafana_error(
        &two.get("/api/orgs/nosuchorg/instances").await,
        404,
        "NotFound",
        "",
    );
    assert_eq!(
        one.get("/api/instances/shared").await.body["description"],
        ""
    );
}

#[tokio::test]
async fn the_plan_caps_the_number_of_stacks() {
    for (plan, cap) in [("free", 1), ("pro", 3)] {
        let scenario = json!({
            "name": "capped",
            "grafana": {
                "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
                "orgs": [{
                    "id": 1, "slug": "capped", "name": "capped", "plan": plan,
                    "access_policies": [{
                        "name": "admin", "region": "us", "scopes": ["stacks:write", "stacks:read", "stacks:delete"],
                        "tokens": [{"name": "t", "token": "capped-token"}]
                    }]
                }]
            }
        });
        let server = start_scenario(scenario).await;
        let grafana = Grafana::new(&server, "capped-token");
        for i in 0..cap {
            created(&grafana, &format!("s{i}")).await;
        }
        let over = create_stack(&grafana, json!({"name": "over", "slug": "over"})).await;
        assert_grafana_error(&over, 409, "Conflict", &format!("at most {cap}"));
        // Deleting one makes room again.
        assert_eq!(grafana.delete("/api/instances/s0").await.status, 200);
        assert_eq!(
            create_stack(&grafana, json!({"name": "over", "slug": "over"}))
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn update_changes_fields_and_replaces_labels() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = create_stack(
        &grafana,
        json!({"name": "upd", "slug": "upd", "labels": {"a": "1", "b": "2"}}),
    )
    .await;
    spec::assert_stack(&reply.body);
    let created_at = reply.body["createdAt"].clone();
    server.clock().advance(chrono::Duration::seconds(3));
    let updated = grafana
        .post(
            "/api/instances/upd",
            &json!({"name": "renamed", "description": "d", "labels": {"a": "9"}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    spec::assert_stack(&updated.body);
    assert_eq!(updated.body["name"], "renamed");
    assert_eq!(updated.body["description"], "d");
    assert_eq!(
        updated.body["labels"],
        json!({"a": "9"}),
        "omitted label b removed"
    );
    assert_eq!(updated.body["createdAt"], created_at);
    assert_ne!(updated.body["updatedAt"], Value::Null);
    let cleared = grafana
        .post("/api/instances/upd", &json!({"labels": {}}))
        .await;
    spec::assert_stack(&cleared.body);
    assert_eq!(cleared.body["labels"], json!({}));
    let kept = grafana
        .post("/api/instances/upd", &json!({"description": "e"}))
        .await;
    spec::assert_stack(&kept.body);
    assert_eq!(kept.body["labels"], json!({}));
    assert_eq!(kept.body["name"], "renamed");
    let bad = grafana
        .post("/api/instances/upd", &json!({"labels": {"x": "bad value"}}))
        .await;
    assert_grafana_error(&bad, 409, "Conflict", "labels");
    assert_eq!(
        grafana.get("/api/instances/upd").await.body["description"],
        "e"
    );
}

#[tokio::test]
async fn deleting_a_protected_stack_is_409_until_protection_is_disabled() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = create_stack(
        &grafana,
        json!({"name": "prod", "slug": "prod", "deleteProtection": true}),
    )
    .await;
    assert_eq!(reply.body["deleteProtection"], true);
    let refused = grafana.delete("/api/instances/prod").await;
    assert_grafana_error(&refused, 409, "Conflict", "deleteProtection");
    assert_eq!(
        grafana.get("/api/instances/prod").await.status,
        200,
        "still there"
    );

    let unprotected = grafana
        .post("/api/instances/prod", &json!({"deleteProtection": false}))
        .await;
    spec::assert_stack(&unprotected.body);
    assert_eq!(unprotected.body["deleteProtection"], false);
    let deleted = grafana.delete("/api/instances/prod").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    spec::assert_stack(&deleted.body);
    assert_eq!(deleted.body["status"], "deleted");
    assert_eq!(deleted.body["slug"], "prod");
    assert_ne!(deleted.body["billingEndDate"], Value::Null);

    assert_grafana_error(
        &grafana.get("/api/instances/prod").await,
        404,
        "NotFound",
        "prod",
    );
    assert_grafana_error(
        &grafana.delete("/api/instances/prod").await,
        404,
        "NotFound",
        "",
    );
    let list = grafana.get("/api/orgs/mockorg/instances").await;
    spec::assert_stack_list(&list.body);
    let slugs: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert!(!slugs.contains(&"prod"), "{slugs:?}");
    for path in ["restart", "datasources", "connections", "plugins"] {
        let method = if path == "restart" { "POST" } else { "GET" };
        let reply = grafana
            .send(method, &format!("/api/instances/prod/{path}"), None)
            .await;
        assert_grafana_error(&reply, 404, "NotFound", "");
    }
    let key = grafana
        .post(
            "/api/instances/prod/api/auth/keys",
            &json!({"name": "k", "role": "Admin"}),
        )
        .await;
    assert_grafana_error(&key, 404, "NotFound", "");
}

#[tokio::test]
async fn list_is_ordered_by_name_with_the_envelope_and_filters() {
    // An org without scenario stacks, so the list is exactly what the test made.
    let server = start_scenario(json!({
        "name": "no-stacks",
        "grafana": {
            "regions": [
                {"id": 1, "slug": "us", "name": "US", "provider": "gcp"},
                {"id": 3, "slug": "eu", "name": "EU", "provider": "gcp"}
            ],
            "orgs": [{
                "id": 1, "slug": "mockorg", "name": "Mock Org",
                "access_policies": [{
                    "name": "admin", "region": "us", "scopes": ["stacks:read", "stacks:write"],
                    "tokens": [{"name": "t", "token": BOOTSTRAP_TOKEN}]
                }]
            }]
        }
    }))
    .await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for (name, slug, region) in [
        ("charlie", "c1", "us"),
        ("alpha", "a1", "eu"),
        ("bravo", "b1", "us"),
    ] {
        let reply = create_stack(
            &grafana,
            json!({"name": name, "slug": slug, "region": region}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }
    let list = grafana.get("/api/orgs/mockorg/instances").await;
    assert_eq!(list.status, 200, "{}", list.raw);
    spec::assert_stack_list(&list.body);
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "bravo", "charlie"]);
    assert_eq!(list.body["orderBy"], "name");
    assert_eq!(list.body["direction"], "asc");
    assert_eq!(list.body["total"], 3);
    assert_eq!(list.body["pages"], 1);
    assert_eq!(list.body["page"], 1);
    assert_eq!(list.body["links"][0]["rel"], "self");
    // By org id too, and filtered.
    let by_id = grafana.get("/api/orgs/1/instances?region=us").await;
    spec::assert_stack_list(&by_id.body);
    assert_eq!(by_id.body["total"], 2);
    let by_slug = grafana.get("/api/orgs/mockorg/instances?slug=a1").await;
    assert_eq!(by_slug.body["items"][0]["name"], "alpha");
}

#[tokio::test]
async fn restart_answers_true_and_data_sources_point_at_the_stack() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stack = created(&grafana, "ops").await;
    let restart = grafana
        .send("POST", "/api/instances/ops/restart", None)
        .await;
    assert_eq!(restart.status, 200);
    assert_eq!(restart.body, json!(true));
    let sources = grafana.get("/api/instances/ops/datasources").await;
    assert_eq!(sources.status, 200, "{}", sources.raw);
    spec::assert_datasource_list(&sources.body);
    let items = sources.body["items"].as_array().unwrap();
    assert!(items.iter().all(|d| d["instanceId"] == stack["id"]));
    let logs = items.iter().find(|d| d["type"] == "loki").unwrap();
    assert_eq!(logs["name"], "grafanacloud-ops-logs");
    assert_eq!(logs["url"], stack["hlInstanceUrl"]);
    let connections = grafana.get("/api/instances/ops/connections").await;
    assert_eq!(connections.status, 200, "{}", connections.raw);
    spec::assert_connections(&connections.body);
    let tenants = connections.body["privateConnectivityInfo"]["tenants"]
        .as_array()
        .unwrap();
    let prom = tenants.iter().find(|t| t["type"] == "prometheus").unwrap();
    assert_eq!(prom["id"], stack["hmInstancePromId"]);
    assert!(connections.body.get("otlpHttpUrl").is_some());
}

#[tokio::test]
async fn hosted_grafana_api_keys_are_created_once_per_name() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    created(&grafana, "keys").await;
    let key = grafana
        .post(
            "/api/instances/keys/api/auth/keys",
            &json!({"name": "ci", "role": "Admin", "secondsToLive": 3600}),
        )
        .await;
    assert_eq!(key.status, 200, "{}", key.raw);
    spec::assert_hosted_grafana_api_key(&key.body);
    assert_eq!(key.body["name"], "ci");
    assert!(key.body["id"].as_u64().is_some());
    assert!(key.body["key"].as_str().unwrap().starts_with("glsa_"));
    let again = grafana
        .post(
            "/api/instances/keys/api/auth/keys",
            &json!({"name": "ci", "role": "Viewer"}),
        )
        .await;
    assert_grafana_error(&again, 409, "Conflict", "ci");
    let bad_role = grafana
        .post(
            "/api/instances/keys/api/auth/keys",
            &json!({"name": "x", "role": "Owner"}),
        )
        .await;
    assert_grafana_error(&bad_role, 409, "Conflict", "role");
}

#[tokio::test]
async fn stack_scopes_gate_the_stack_endpoints() {
    let server = start_default().await;
    let admin = Grafana::new(&server, BOOTSTRAP_TOKEN);
    created(&admin, "gated").await;
    let reader = token_with(&admin, "stack-reader", &["stacks:read"]).await;
    let stack = reader.get("/api/instances/gated").await;
    assert_eq!(stack.status, 200);
    spec::assert_stack(&stack.body);
    let list = reader.get("/api/orgs/mockorg/instances").await;
    assert_eq!(list.status, 200);
    spec::assert_stack_list(&list.body);
    let denied = reader
        .post("/api/instances", &json!({"name": "n", "slug": "n"}))
        .await;
    assert_grafana_error(&denied, 403, "Forbidden", "stacks:write");
    assert_grafana_error(
        &reader.delete("/api/instances/gated").await,
        403,
        "Forbidden",
        "stacks:delete",
    );
    let nothing = token_with(&admin, "no-stacks", &["metrics:read"]).await;
    assert_grafana_error(
        &nothing.get("/api/instances/gated").await,
        403,
        "Forbidden",
        "stacks:read",
    );
}

#[tokio::test]
async fn a_stack_realm_must_name_an_existing_stack_of_the_org() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stack = created(&grafana, "realmed").await;
    let id = stack["id"].as_u64().unwrap().to_string();
    let body = |identifier: &str| {
        json!({"name": format!("p{identifier}"), "scopes": ["metrics:read"],
               "realms": [{"type": "stack", "identifier": identifier}]})
    };
    let ok = grafana
        .post("/api/v1/accesspolicies?region=us", &body(&id))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    spec::assert_access_policy(&ok.body);
    let missing = grafana
        .post("/api/v1/accesspolicies?region=us", &body("999999"))
        .await;
    assert_grafana_error(&missing, 400, "BadRequest", "999999");
}

#[tokio::test]
async fn the_default_scenario_has_stack_123_as_in_the_vendor_docs() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let stack = grafana.get("/api/instances/123").await;
    assert_eq!(stack.status, 200, "{}", stack.raw);
    spec::assert_stack(&stack.body);
    assert_eq!(stack.body["slug"], "mockstack");
    assert_eq!(stack.body["regionSlug"], "us");
    let eu = grafana.get("/api/instances/mockstackeu").await;
    spec::assert_stack(&eu.body);
    assert_eq!(eu.body["id"], 456);
    // New stacks get fresh ids that never collide with the scenario's.
    let new = created(&grafana, "fresh").await;
    assert!(![123, 456].contains(&new["id"].as_u64().unwrap()));
}

#[tokio::test]
async fn a_scenario_with_a_duplicate_stack_id_does_not_load() {
    let stack = |slug: &str| json!({"id": 7, "name": slug, "slug": slug});
    let scenario = json!({
        "name": "dup",
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": [{"id": 1, "slug": "o", "name": "o", "stacks": [stack("one"), stack("two")]}]
        }
    });
    let scenario = mockcloud::Scenario::from_json_value(scenario).unwrap();
    let error = mockcloud::MockCloud::start(mockcloud::Config::default().with_scenario(scenario))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("grafana.orgs[0].stacks[1]"), "{text}");
    assert!(text.contains("stack id 7"), "{text}");
}

#[tokio::test]
async fn connections_list_private_endpoints_only_in_aws_regions_and_never_as_null() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for (slug, region, private) in [
        ("gcpconn", "us", false),
        ("awsconn", "prod-us-east-0", true),
    ] {
        let reply = create_stack(
            &grafana,
            json!({"name": format!("{slug}.grafana.net"), "slug": slug, "region": region}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        spec::assert_stack(&reply.body);
        let connections = grafana
            .get(&format!("/api/instances/{slug}/connections"))
            .await;
        assert_eq!(connections.status, 200, "{}", connections.raw);
        spec::assert_connections(&connections.body);
        let info = connections.body["privateConnectivityInfo"]
            .as_object()
            .unwrap();
        for key in ["otlp", "pdc"] {
            assert_eq!(
                info.contains_key(key),
                private,
                "{region}: {key} in {info:?}"
            );
            if let Some(value) = info.get(key) {
                assert!(value.is_object(), "{region}: {key} = {value}");
            }
        }
    }
}

#[tokio::test]
async fn stack_regions_carry_public_name_visibility_and_sort_order() {
    let server = start_scenario(json!({
        "name": "regions",
        "grafana": {
            "regions": [
                {"id": 7, "slug": "named", "name": "GCP Named", "provider": "gcp",
                 "public_name": "Named (public)", "visibility": "private", "sort_order": 3},
                {"id": 8, "slug": "plain", "name": "GCP Plain", "provider": "gcp"}
            ],
            "orgs": [{"id": 1, "slug": "o", "name": "O", "access_policies": [{
                "name": "p", "region": "plain", "scopes": ["stacks:read"],
                "tokens": [{"name": "t", "token": "regions-token"}]
            }]}]
        }
    }))
    .await;
    let reply = Grafana::new(&server, "regions-token")
        .get("/api/stack-regions")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_region_list(&reply.body);
    let items = reply.body["items"].as_array().unwrap();
    let region = |slug: &str| items.iter().find(|r| r["slug"] == slug).unwrap().clone();
    let named = region("named");
    assert_eq!(named["publicName"], "Named (public)");
    assert_eq!(named["visibility"], "private");
    assert_eq!(named["sortOrder"], 3);
    // Defaults: the name, public, the id.
    let plain = region("plain");
    assert_eq!(plain["publicName"], "GCP Plain");
    assert_eq!(plain["visibility"], "public");
    assert_eq!(plain["sortOrder"], 8);
}

#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_a_grafana_404() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for path in [
        "/api/instances/%FF",
        "/api/instances/%C3%28/plugins",
        "/api/orgs/%FF",
        "/api/v1/accesspolicies/%FF?region=us",
        "/api/v1/tokens/%FE?region=us",
    ] {
        let reply = grafana.get(path).await;
        assert_grafana_error(&reply, 404, "NotFound", "UTF-8");
        assert_eq!(reply.headers["content-type"], "application/json", "{path}");
    }
}

// ---------------------------------------------------------------------------
// GET /api/instances
// ---------------------------------------------------------------------------

/// Org 1 `alpha` with seven stacks whose ids, names and creation times each
/// sort differently (two share the name `bravo`), org 2 `beta` with two.
/// `alpha-token` may read stacks; `alpha-blind` may not.
fn instances_scenario() -> Value {
    let stack = |id: u64, name: &str, slug: &str, region: &str, labels: Value, day: u32| {
        json!({"id": id, "name": name, "slug": slug, "region": region, "labels": labels,
               "created_at": format!("2025-01-{day:02}T00:00:00Z")})
    };
    let policy = |name: &str, scopes: Value, token: &str| {
        json!({"name": name, "region": "us", "scopes": scopes,
               "tokens": [{"name": format!("{name}-token"), "token": token}]})
    };
    json!({
        "name": "instances",
        "grafana": {
            "regions": [
                {"id": 1, "slug": "us", "name": "US", "provider": "gcp"},
                {"id": 2, "slug": "eu", "name": "EU", "provider": "gcp"}
            ],
            "orgs": [
                {"id": 1, "slug": "alpha", "name": "Alpha",
                 "stacks": [
                     stack(101, "delta", "delta", "us", json!({"team": "core", "env": "prod"}), 5),
                     stack(102, "alpha", "alphastack", "eu", json!({"team": "core", "env": "dev"}), 3),
                     stack(103, "charlie", "charlie", "us", json!({"team": "web"}), 1),
                     stack(104, "bravo", "bravo", "eu", json!({}), 4),
                     stack(105, "echo", "echo", "us", json!({"env": "prod"}), 2),
                     stack(106, "bravo", "bravotwo", "us", json!({}), 6),
                     stack(107, "foxtrot", "foxtrot", "eu", json!({"team": "web"}), 7)
                 ],
                 "access_policies": [
                     policy("reader", json!(["stacks:read", "stacks:write", "stacks:delete"]), "alpha-token"),
                     policy("blind", json!(["metrics:read"]), "alpha-blind")
                 ]},
                {"id": 2, "slug": "beta", "name": "Beta",
                 "stacks": [
                     stack(201, "alpha", "betaalpha", "us", json!({"team": "core"}), 1),
                     stack(202, "zulu", "zulu", "eu", json!({"team": "core"}), 2)
                 ],
                 "access_policies": [policy("reader", json!(["stacks:read"]), "beta-token")]}
            ]
        }
    })
}

/// The ids of a listing's items, in order.
fn stack_ids(reply: &Reply) -> Vec<u64> {
    assert_eq!(reply.status, 200, "{}", reply.raw);
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {}", reply.raw))
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

/// The envelope Grafana's published spec gives `getInstances`' answer:
/// `items` (stacks), `orderBy` (a string), `direction` (`asc` or `desc`),
/// and the numbers `total`, `pages`, `pageSize` and `page`, all required.
fn assert_instance_list_typed(reply: &Reply) {
    let body = &reply.body;
    for item in body["items"].as_array().expect("items is an array") {
        spec::assert_stack(item);
    }
    assert!(body["orderBy"].is_string(), "{}", reply.raw);
    assert!(
        ["asc", "desc"].contains(&body["direction"].as_str().unwrap()),
        "{}",
        reply.raw
    );
    for field in ["total", "pages", "pageSize", "page"] {
        assert!(body[field].is_number(), "{field}: {}", reply.raw);
    }
}

#[tokio::test]
async fn listing_all_stacks_shows_the_tokens_org_in_the_org_lists_envelope() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let all = alpha.get("/api/instances").await;
    assert_instance_list_typed(&all);
    // By name, ties by id: the org stack list's order.
    assert_eq!(stack_ids(&all), [102, 104, 106, 103, 101, 105, 107]);
    let body = &all.body;
    assert_eq!(
        (
            &body["orderBy"],
            &body["direction"],
            &body["total"],
            &body["pages"],
            &body["page"]
        ),
        (
            &json!("name"),
            &json!("asc"),
            &json!(7),
            &json!(1),
            &json!(1)
        )
    );
    assert_eq!(body["pageSize"], 1_000_000);
    assert_eq!(
        body["links"],
        json!([{"rel": "self", "href": "/instances"}])
    );
    let org_list = alpha.get("/api/orgs/alpha/instances").await;
    assert_eq!(
        body["items"], org_list.body["items"],
        "the same stacks as the org's list"
    );
}

#[tokio::test]
async fn each_filter_keeps_only_its_stacks() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    for (query, expected) in [
        ("name=bravo", vec![104, 106]),
        ("nameIn=bravo,echo", vec![104, 106, 105]),
        ("nameIn=bravo&nameIn=echo", vec![104, 106, 105]),
        ("name=bravo&nameIn=alpha,bravo", vec![104, 106]),
        ("slug=charlie", vec![103]),
        ("slugIn=charlie,delta,nosuch", vec![103, 101]),
        ("slug=zulu", vec![]),
        ("region=eu", vec![102, 104, 107]),
        ("regionIn=eu,us", vec![102, 104, 106, 103, 101, 105, 107]),
        ("regionIn=eu&regionIn=nowhere", vec![102, 104, 107]),
        ("status=active", vec![102, 104, 106, 103, 101, 105, 107]),
        ("status=deleted", vec![]),
        ("labels=team=core", vec![102, 101]),
        ("labels=team:core", vec![102, 101]),
        ("labels=team=core,env=prod", vec![101]),
        ("labels=team=core&labels=env!=prod", vec![102]),
        ("labels=env!=prod", vec![102, 104, 106, 103, 107]),
        ("id=105", vec![105]),
        ("id=201", vec![]),
        ("idIn=107,101,103", vec![103, 101, 107]),
        ("idIn=101,201", vec![101]),
        ("id=101&idIn=101,102", vec![101]),
        ("orgSlug=alpha", vec![102, 104, 106, 103, 101, 105, 107]),
        ("orgId=1&region=us", vec![106, 103, 101, 105]),
        ("region=us&labels=team=core&nameIn=delta,echo", vec![101]),
        ("name=", vec![102, 104, 106, 103, 101, 105, 107]),
    ] {
        let reply = alpha.get(&format!("/api/instances?{query}")).await;
        assert_eq!(stack_ids(&reply), expected, "{query}");
        assert_eq!(reply.body["total"], expected.len(), "{query}");
        assert_instance_list_typed(&reply);
    }
}

#[tokio::test]
async fn ordering_goes_both_ways() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    for (order_by, ascending) in [
        ("name", vec![102, 104, 106, 103, 101, 105, 107]),
        ("id", vec![101, 102, 103, 104, 105, 106, 107]),
        ("createdAt", vec![103, 105, 102, 104, 101, 106, 107]),
        // Counters every mockcloud stack has at 0: ties, ordered by id.
        (
            "currentActiveUsers",
            vec![101, 102, 103, 104, 105, 106, 107],
        ),
    ] {
        let asc = alpha
            .get(&format!("/api/instances?orderBy={order_by}&direction=asc"))
            .await;
        assert_eq!(stack_ids(&asc), ascending, "{order_by} asc");
        assert_eq!(
            (&asc.body["orderBy"], &asc.body["direction"]),
            (&json!(order_by), &json!("asc"))
        );
        let desc = alpha
            .get(&format!("/api/instances?orderBy={order_by}&direction=desc"))
            .await;
        let mut descending = ascending.clone();
        descending.reverse();
        assert_eq!(stack_ids(&desc), descending, "{order_by} desc");
        assert_eq!(desc.body["direction"], "desc");
        assert_instance_list_typed(&desc);
    }
}

/// Follows `next` links from `first` to the end: each page's ids.
async fn walk_links(grafana: &Grafana, first: &str) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let reply = grafana.get(&path).await;
        assert_instance_list_typed(&reply);
        pages.push(stack_ids(&reply));
        assert!(pages.len() <= 10, "the walk ends");
        let next = reply.body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
        match next {
            Some(href) => path = format!("/api{href}"),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn paging_by_page_walks_every_stack_once() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    for direction in ["asc", "desc"] {
        let mut expected = vec![102, 104, 106, 103, 101, 105, 107];
        if direction == "desc" {
            expected.reverse();
        }
        for page in 1..=4 {
            let reply = alpha
                .get(&format!(
                    "/api/instances?pageSize=2&page={page}&direction={direction}"
                ))
                .await;
            let from = (2 * (page - 1)).min(7);
            assert_eq!(
                stack_ids(&reply),
                expected[from..(from + 2).min(7)],
                "page {page}"
            );
            let body = &reply.body;
            assert_eq!(
                (
                    &body["total"],
                    &body["pages"],
                    &body["pageSize"],
                    &body["page"]
                ),
                (&json!(7), &json!(4), &json!(2), &json!(page)),
                "{}",
                reply.raw
            );
        }
        let beyond = alpha.get("/api/instances?pageSize=2&page=5").await;
        assert_eq!(stack_ids(&beyond), Vec::<u64>::new());
        let pages = walk_links(
            &alpha,
            &format!("/api/instances?pageSize=3&direction={direction}"),
        )
        .await;
        assert_eq!(pages.len(), 3);
        assert_eq!(pages.concat(), expected, "nothing lost or repeated");
    }
    // Filters hold on every page.
    let pages = walk_links(&alpha, "/api/instances?region=us&pageSize=1&orderBy=id").await;
    assert_eq!(pages, [vec![101], vec![103], vec![105], vec![106]]);
}

#[tokio::test]
async fn paging_by_cursor_walks_every_stack_once_in_id_order() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    for (direction, expected) in [
        ("asc", vec![101, 102, 103, 104, 105, 106, 107]),
        ("desc", vec![107, 106, 105, 104, 103, 102, 101]),
    ] {
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let reply = alpha
                .get(&format!(
                    "/api/instances?cursor={cursor}&pageSize=3&direction={direction}"
                ))
                .await;
            assert_instance_list_typed(&reply);
            let body = &reply.body;
            assert_eq!(body["cursor"], cursor, "{}", reply.raw);
            assert_eq!(
                (&body["orderBy"], &body["total"]),
                (&json!("id"), &json!(7))
            );
            assert_eq!(body["page"], seen.len() / 3 + 1, "{}", reply.raw);
            seen.extend(stack_ids(&reply));
            match body["nextCursor"].as_u64() {
                Some(next) => {
                    assert_eq!(Some(&next), seen.last(), "the last stack shown");
                    cursor = next;
                }
                None => {
                    assert!(body["nextCursor"].is_null(), "{}", reply.raw);
                    break;
                }
            }
            assert!(seen.len() <= 7, "the walk ends");
        }
        assert_eq!(seen, expected, "{direction}: nothing lost or repeated");
        // The `next` links walk the same way.
        let pages = walk_links(
            &alpha,
            &format!("/api/instances?cursor=0&pageSize=3&direction={direction}"),
        )
        .await;
        assert_eq!(pages.concat(), expected);
    }
    // A stack created mid-walk comes after the cursor in id order: seen once.
    let first = alpha
        .get("/api/instances?cursor=0&pageSize=4&labels=team=core")
        .await;
    assert_eq!(stack_ids(&first), [101, 102]);
    assert!(first.body["nextCursor"].is_null());
    let reply = alpha.get("/api/instances?cursor=103&pageSize=2").await;
    assert_eq!(stack_ids(&reply), [104, 105]);
    assert_eq!(reply.body["nextCursor"], 105);
    let added = alpha
        .post("/api/instances", &json!({"name": "golf", "slug": "golf"}))
        .await;
    assert_eq!(added.status, 200, "{}", added.raw);
    let new_id = added.body["id"].as_u64().unwrap();
    let rest = alpha.get("/api/instances?cursor=105&pageSize=10").await;
    assert_eq!(stack_ids(&rest), [106, 107, new_id]);
}

#[tokio::test]
async fn a_token_never_sees_another_orgs_stacks() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let beta = Grafana::new(&server, "beta-token");
    assert_eq!(stack_ids(&beta.get("/api/instances").await), [201, 202]);
    for query in [
        "",
        "?slug=betaalpha",
        "?idIn=201,202",
        "?id=201",
        "?name=zulu",
        "?labels=team=core",
        "?cursor=0&pageSize=1",
        "?orderBy=id&direction=desc",
    ] {
        let seen = stack_ids(&alpha.get(&format!("/api/instances{query}")).await);
        assert!(seen.iter().all(|id| *id < 200), "{query}: {seen:?}");
    }
    for query in ["orgSlug=beta", "orgId=2", "orgSlug=nosuchorg"] {
        let reply = alpha.get(&format!("/api/instances?{query}")).await;
        assert_grafana_error(&reply, 403, "Forbidden", "");
    }
}

#[tokio::test]
async fn listing_stacks_needs_stacks_read_and_a_valid_token() {
    let server = start_scenario(instances_scenario()).await;
    let blind = Grafana::new(&server, "alpha-blind");
    assert_grafana_error(
        &blind.get("/api/instances").await,
        403,
        "Forbidden",
        "stacks:read",
    );
    let nobody = blind.with_token(None);
    assert_eq!(nobody.get("/api/instances").await.status, 401);
    let wrong = blind.with_token(Some("no-such-token"));
    assert_grafana_error(
        &wrong.get("/api/instances").await,
        401,
        "InvalidCredentials",
        "",
    );
}

#[tokio::test]
async fn invalid_list_arguments_are_409_invalid_arguments() {
    let server = start_scenario(instances_scenario()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    for (query, needle) in [
        ("orderBy=slug", "orderBy"),
        ("orderBy=", "orderBy"),
        ("direction=up", "direction"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("pageSize=0", "pageSize"),
        ("pageSize=", "pageSize"),
        ("cursor=-1", "cursor"),
        ("cursor=abc", "cursor"),
        ("cursor=0&page=1", "cursor"),
        ("cursor=0&orderBy=name", "orderBy=id"),
        ("id=abc", "id"),
        ("idIn=1,x", "idIn"),
        ("idIn=", "idIn"),
        ("idIn=1,,2", "idIn"),
        ("labels=team", "labels"),
        ("labels==core", "labels"),
        ("labels=team=a b", "labels"),
        ("orgId=abc", "orgId"),
    ] {
        let reply = alpha.get(&format!("/api/instances?{query}")).await;
        assert_grafana_error(&reply, 409, "Conflict", needle);
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid arguments"),
            "{query}: {}",
            reply.raw
        );
    }
}
