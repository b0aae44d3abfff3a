//! Grafana Cloud orgs (`GET /api/orgs/{slugOrId}`) and the deprecated org
//! API keys (`/api/orgs/{org}/api-keys`).

use crate::common::grafana_spec as spec;
use crate::common::*;
use serde_json::{Value, json};

/// Two orgs, `alpha` (id 1, Free) and `beta` (id 2, Pro), each with a token
/// holding the org and API-key scopes: `alpha-token`, `beta-token`; alpha
/// also has `alpha-reader` (read scopes only).
fn two_orgs() -> Value {
    let all = [
        "orgs:read",
        "api-keys:read",
        "api-keys:write",
        "api-keys:delete",
    ];
    let org = |id: u64, slug: &str, plan: &str| {
        json!({
            "id": id, "slug": slug, "name": format!("{slug} org"), "plan": plan,
            "created_at": "2023-01-04T06:43:24Z",
            "access_policies": [
                {"name": format!("{slug}-admin"), "region": "us", "scopes": all,
                 "tokens": [{"name": format!("{slug}-admin-token"), "token": format!("{slug}-token")}]},
                {"name": format!("{slug}-reader"), "region": "us", "scopes": ["api-keys:read"],
                 "tokens": [{"name": format!("{slug}-reader-token"), "token": format!("{slug}-reader")}]}
            ]
        })
    };
    json!({
        "name": "two-orgs",
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": [org(1, "alpha", "free"), org(2, "beta", "pro")]
        }
    })
}

#[tokio::test]
async fn an_org_is_found_by_slug_or_id() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let by_slug = grafana.get("/api/orgs/mockorg").await;
    assert_eq!(by_slug.status, 200, "{}", by_slug.raw);
    let org = &by_slug.body;
    spec::assert_org(org);
    assert_eq!(org["id"], 1);
    assert_eq!(org["slug"], "mockorg");
    assert_eq!(org["name"], "Mock Org");
    assert_eq!(org["url"], "https://grafana.com/orgs/mockorg");
    assert!(org["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(org["updatedAt"].is_null());
    assert_eq!(
        org["links"],
        json!([{"rel": "self", "href": "/orgs/mockorg"}])
    );
    let by_id = grafana.get("/api/orgs/1").await;
    assert_eq!(by_id.status, 200, "{}", by_id.raw);
    spec::assert_org(&by_id.body);
    assert_eq!(by_id.body["slug"], "mockorg");
}

#[tokio::test]
async fn an_org_shows_every_field_grafana_marks_required() {
    let server = start_default().await;
    let org = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg")
        .await
        .body;
    // Every required field with its type, and the documented exceptions.
    spec::assert_org(&org);
    for field in [
        "allowGCloudTrial",
        "appO11YUsage",
        "avatar",
        "awsMarketplaceSupport",
        "cancellationDate",
        "checksPerMonth",
        "contractType",
        "contractTypeId",
        "createdBy",
        "creditApproved",
        "disableTokenExpirationEmails",
        "emergencySupport",
        "enterprisePlugins",
        "feO11YUsage",
        "gcloudMonthlyCost",
        "geInstancesUsage",
        "geUsersUsage",
        "grafanaCloud",
        "hgCurrentActiveUsers",
        "hgGrafanaUsage",
        "hgInstanceLimit",
        "hgOnCallUsage",
        "hgUsage",
        "hlInstanceLimit",
        "hlRetentionUsage",
        "hlUsage",
        "hmCurrentUsage",
        "hmGraphiteUsage",
        "hmInstanceLimit",
        "hmUsage",
        "hpUsage",
        "htUsage",
        "infraO11YContainersUsage",
        "infraO11YHostsUsage",
        "irmUsage",
        "isStaff",
        "isource",
        "k6IPUsage",
        "k6VuhUsage",
        "kapaDeflectorEnabled",
        "licenseProducts",
        "liveChatEnabled",
        "maxTokenExpirationDays",
        "msaSignedAt",
        "msaSignedBy",
        "osource",
        "pluginSignatureType",
        "privacy",
        "reseller",
        "resellerId",
        "resellerName",
        "retainedStackId",
        "smBrowserUsage",
        "smUsage",
        "subscriptions",
        "supportPlan",
        "trialEndDate",
        "trialLengthDays",
        "trialNoticeDate",
        "trialStartDate",
        "updatedBy",
        "userQuota",
        "wpPlan",
    ] {
        assert!(org.get(field).is_some(), "{field} missing from {org}");
    }
}

#[tokio::test]
async fn the_plan_sets_the_stack_limits() {
    let server = start_scenario(two_orgs()).await;
    let alpha = Grafana::new(&server, "alpha-token")
        .get("/api/orgs/alpha")
        .await;
    spec::assert_org(&alpha.body);
    assert_eq!(alpha.body["hgInstanceLimit"], 1, "{}", alpha.raw);
    assert_eq!(alpha.body["createdAt"], "2023-01-04T06:43:24.000Z");
    let beta = Grafana::new(&server, "beta-token").get("/api/orgs/2").await;
    spec::assert_org(&beta.body);
    assert_eq!(beta.body["hgInstanceLimit"], 3, "{}", beta.raw);
    assert_eq!(beta.body["hmInstanceLimit"], 3);
    let default = start_default().await;
    let contracted = Grafana::new(&default, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg")
        .await;
    spec::assert_org(&contracted.body);
    assert_eq!(contracted.body["hgInstanceLimit"], 100);
}

#[tokio::test]
async fn an_unknown_org_is_404_and_another_org_is_403() {
    let server = start_scenario(two_orgs()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    assert_grafana_error(
        &alpha.get("/api/orgs/nosuch").await,
        404,
        "NotFound",
        "nosuch",
    );
    assert_grafana_error(&alpha.get("/api/orgs/beta").await, 403, "Forbidden", "org");
    assert_grafana_error(&alpha.get("/api/orgs/2").await, 403, "Forbidden", "org");
}

#[tokio::test]
async fn reading_an_org_needs_orgs_read() {
    let server = start_scenario(two_orgs()).await;
    let reader = Grafana::new(&server, "alpha-reader");
    assert_grafana_error(
        &reader.get("/api/orgs/alpha").await,
        403,
        "Forbidden",
        "orgs:read",
    );
}

#[tokio::test]
async fn creating_an_api_key_shows_its_secret_once() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "SRE", "role": "Admin"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let key = &reply.body;
    spec::assert_api_key_with_token(key);
    assert!(key["id"].as_u64().is_some());
    assert_eq!(key["orgId"], 1);
    assert_eq!(key["orgSlug"], "mockorg");
    assert_eq!(key["orgName"], "Mock Org");
    assert!(key["instanceId"].is_null());
    assert_eq!(key["name"], "SRE");
    assert_eq!(key["role"], "Admin");
    assert!(key["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(key["updatedAt"].is_null());
    assert!(key["firstUsed"].is_null());
    assert!(!key["token"].as_str().unwrap().is_empty());
    assert_eq!(
        key["links"],
        json!([{"rel": "self", "href": "/orgs/mockorg/api-keys/SRE"},
               {"rel": "org", "href": "/orgs/mockorg"}])
    );

    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
    assert_eq!(list.status, 200, "{}", list.raw);
    spec::assert_api_key_list(&list.body);
    assert_eq!(list.body["orderBy"], "name");
    assert_eq!(list.body["direction"], "asc");
    assert_eq!(
        list.body["links"],
        json!([{"rel": "self", "href": "/orgs/mockorg/api-keys"}])
    );
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], key["id"]);
    assert!(items[0].get("token").is_none(), "list shows no secret");
}

#[tokio::test]
async fn api_keys_are_listed_by_name() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    for (name, role) in [
        ("zeta", "Viewer"),
        ("alpha", "MetricsPublisher"),
        ("mid", "Editor"),
    ] {
        let reply = grafana
            .post("/api/orgs/1/api-keys", &json!({"name": name, "role": role}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        spec::assert_api_key_with_token(&reply.body);
        assert_eq!(reply.body["role"], role);
    }
    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
    spec::assert_api_key_list(&list.body);
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

#[tokio::test]
async fn deleting_an_api_key_answers_true_then_404() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "ci", "role": "Editor"}),
        )
        .await;
    let deleted = grafana.delete("/api/orgs/mockorg/api-keys/ci").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    assert_eq!(deleted.body, json!(true));
    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
    spec::assert_api_key_list(&list.body);
    assert_eq!(list.body["items"], json!([]));
    let again = grafana.delete("/api/orgs/mockorg/api-keys/ci").await;
    assert_grafana_error(&again, 404, "NotFound", "ci");
}

#[tokio::test]
async fn a_duplicate_api_key_name_is_409() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let body = json!({"name": "twice", "role": "Viewer"});
    assert_eq!(
        grafana
            .post("/api/orgs/mockorg/api-keys", &body)
            .await
            .status,
        200
    );
    let reply = grafana.post("/api/orgs/mockorg/api-keys", &body).await;
    assert_grafana_error(&reply, 409, "Conflict", "already exists");
}

#[tokio::test]
async fn an_unknown_role_or_missing_name_is_409_invalid_arguments() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let bad_role = grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "k", "role": "Owner"}),
        )
        .await;
    assert_grafana_error(&bad_role, 409, "Conflict", "Invalid arguments");
    assert_grafana_error(&bad_role, 409, "Conflict", "MetricsPublisher");
    let no_name = grafana
        .post("/api/orgs/mockorg/api-keys", &json!({"role": "Admin"}))
        .await;
    assert_grafana_error(&no_name, 409, "Conflict", "name is required");
    let empty_name = grafana
        .post(
            "/api/orgs/mockorg/api-keys",
            &json!({"name": "", "role": "Admin"}),
        )
        .await;
    assert_grafana_error(&empty_name, 409, "Conflict", "name is required");
    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
    spec::assert_api_key_list(&list.body);
    assert_eq!(list.body["items"], json!([]));
}

#[tokio::test]
async fn api_keys_need_their_scopes() {
    let server = start_scenario(two_orgs()).await;
    let admin = Grafana::new(&server, "alpha-token");
    let reader = Grafana::new(&server, "alpha-reader");
    let body = json!({"name": "k", "role": "Viewer"});
    assert_eq!(
        admin.post("/api/orgs/alpha/api-keys", &body).await.status,
        200
    );
    assert_eq!(reader.get("/api/orgs/alpha/api-keys").await.status, 200);
    let create = reader.post("/api/orgs/alpha/api-keys", &body).await;
    assert_grafana_error(&create, 403, "Forbidden", "api-keys:write");
    let delete = reader.delete("/api/orgs/alpha/api-keys/k").await;
    assert_grafana_error(&delete, 403, "Forbidden", "api-keys:delete");
    let no_token = admin.with_token(None).get("/api/orgs/alpha/api-keys").await;
    assert_eq!(no_token.status, 401, "{}", no_token.raw);
}

#[tokio::test]
async fn api_keys_belong_to_one_org() {
    let server = start_scenario(two_orgs()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let beta = Grafana::new(&server, "beta-token");
    let body = json!({"name": "shared-name", "role": "Admin"});
    assert_eq!(
        alpha.post("/api/orgs/alpha/api-keys", &body).await.status,
        200
    );
    // The same name in another org is no duplicate.
    assert_eq!(
        beta.post("/api/orgs/beta/api-keys", &body).await.status,
        200
    );
    let listed = beta.get("/api/orgs/beta/api-keys").await;
    spec::assert_api_key_list(&listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["orgSlug"], "beta");
    let trespass = beta.get("/api/orgs/alpha/api-keys").await;
    assert_grafana_error(&trespass, 403, "Forbidden", "org");
    let trespass = beta.delete("/api/orgs/alpha/api-keys/shared-name").await;
    assert_grafana_error(&trespass, 403, "Forbidden", "org");
    let unknown = alpha.get("/api/orgs/nosuch/api-keys").await;
    assert_grafana_error(&unknown, 404, "NotFound", "nosuch");
}

// Org API keys as credentials of the Cloud API: `Authorization: Bearer
// <key>` acts for the key's org with its role's scopes (Admin every scope,
// Editor `:read` and `:write`, Viewer `:read`, MetricsPublisher none).

const ROLES: [&str; 4] = ["Admin", "Editor", "Viewer", "MetricsPublisher"];

/// Two contracted orgs, `alpha` (id 1, stack `alphastack`) and `beta`
/// (id 2, stack `betastack`), each with a token of every scope the tests
/// use: `alpha-token`, `beta-token`.
fn orgs_with_stacks() -> Value {
    let scopes = [
        "orgs:read",
        "stacks:read",
        "stacks:write",
        "stacks:delete",
        "accesspolicies:read",
        "accesspolicies:write",
        "accesspolicies:delete",
        "api-keys:read",
        "api-keys:write",
        "api-keys:delete",
    ];
    let org = |id: u64, slug: &str| {
        json!({
            "id": id, "slug": slug, "name": format!("{slug} org"), "plan": "contracted",
            "stacks": [{"name": format!("{slug}stack.grafana.net"), "slug": format!("{slug}stack")}],
            "access_policies": [{
                "name": format!("{slug}-admin"), "region": "us", "scopes": scopes,
                "tokens": [{"name": format!("{slug}-admin-token"), "token": format!("{slug}-token")}]
            }]
        })
    };
    json!({
        "name": "orgs-with-stacks",
        "grafana": {
            "regions": [{"id": 1, "slug": "us", "name": "US", "provider": "gcp"}],
            "orgs": [org(1, "alpha"), org(2, "beta")]
        }
    })
}

/// Creates an org API key with `owner` and returns a client holding its secret.
async fn api_key_client(owner: &Grafana, org: &str, name: &str, role: &str) -> Grafana {
    let reply = owner
        .post(
            &format!("/api/orgs/{org}/api-keys"),
            &json!({"name": name, "role": role}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    spec::assert_api_key_with_token(&reply.body);
    owner.with_token(reply.body["token"].as_str())
}

/// Creates an access policy of org 1 in `us` with `grafana`; the reply.
async fn new_policy(grafana: &Grafana, name: &str) -> Reply {
    grafana
        .post(
            "/api/v1/accesspolicies?region=us",
            &json!({
                "name": name,
                "scopes": ["metrics:read"],
                "realms": [{"type": "org", "identifier": "1"}]
            }),
        )
        .await
}

#[tokio::test]
async fn an_api_key_acts_with_its_roles_scopes() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    // (role, read, write, delete): the statuses each call gets.
    let expected = [
        ("Admin", 200, 200, 204),
        ("Editor", 200, 200, 403),
        ("Viewer", 200, 403, 403),
        ("MetricsPublisher", 403, 403, 403),
    ];
    for (role, read, write, delete) in expected {
        let key = api_key_client(&owner, "alpha", &role.to_lowercase(), role).await;
        let victim = new_policy(&owner, &format!("victim-{}", role.to_lowercase())).await;
        let victim_id = victim.body["id"].as_str().unwrap().to_string();

        let got = key.get("/api/instances/alphastack").await;
        assert_eq!(got.status, read, "{role} reads a stack: {}", got.raw);
        if got.status == 200 {
            spec::assert_stack(&got.body);
        }
        let got = key.get("/api/v1/accesspolicies?region=us").await;
        assert_eq!(got.status, read, "{role} lists policies: {}", got.raw);
        if got.status == 200 {
            spec::assert_access_policy_list(&got.body);
        }

        let got = key
            .post(
                "/api/instances/alphastack",
                &json!({"description": format!("by {role}")}),
            )
            .await;
        assert_eq!(got.status, write, "{role} updates a stack: {}", got.raw);
        if got.status == 200 {
            spec::assert_stack(&got.body);
        }
        let got = new_policy(&key, &format!("by-{}", role.to_lowercase())).await;
        assert_eq!(got.status, write, "{role} creates a policy: {}", got.raw);
        if got.status == 200 {
            spec::assert_access_policy(&got.body);
        }

        let got = key
            .delete(&format!("/api/v1/accesspolicies/{victim_id}?region=us"))
            .await;
        assert_eq!(got.status, delete, "{role} deletes a policy: {}", got.raw);
        if got.status == 403 {
            assert_eq!(got.body["code"], "Forbidden", "{}", got.raw);
        }
    }
}

#[tokio::test]
async fn a_refused_api_key_is_told_which_role_and_scope() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let viewer = api_key_client(&owner, "alpha", "viewer", "Viewer").await;
    let write = viewer
        .post("/api/instances/alphastack", &json!({"description": "x"}))
        .await;
    assert_grafana_error(&write, 403, "Forbidden", "stacks:write");
    assert_grafana_error(&write, 403, "Forbidden", "Viewer");
    let editor = api_key_client(&owner, "alpha", "editor", "Editor").await;
    let delete = editor.delete("/api/orgs/alpha/api-keys/viewer").await;
    assert_grafana_error(&delete, 403, "Forbidden", "api-keys:delete");
    assert_grafana_error(&delete, 403, "Forbidden", "Editor");
    // Editor writes API keys (api-keys:write) but cannot delete them.
    let created = editor
        .post(
            "/api/orgs/alpha/api-keys",
            &json!({"name": "made-by-editor", "role": "Viewer"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.raw);
    spec::assert_api_key_with_token(&created.body);
}

#[tokio::test]
async fn a_metrics_publisher_key_is_403_on_every_cloud_api_endpoint() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let publisher = api_key_client(&owner, "alpha", "pub", "MetricsPublisher").await;
    for path in [
        "/api/stack-regions",
        "/api/orgs/alpha",
        "/api/orgs/alpha/api-keys",
        "/api/instances/alphastack",
        "/api/instances/nosuch",
        "/api/v1/tokens?region=us",
    ] {
        let reply = publisher.get(path).await;
        assert_grafana_error(&reply, 403, "Forbidden", "MetricsPublisher");
    }
    // A key that is not MetricsPublisher reaches the endpoint that needs no scope.
    let viewer = api_key_client(&owner, "alpha", "viewer", "Viewer").await;
    let regions = viewer.get("/api/stack-regions").await;
    assert_eq!(regions.status, 200);
    spec::assert_region_list(&regions.body);
}

#[tokio::test]
async fn a_deleted_api_key_is_401_at_once() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let key = api_key_client(&owner, "alpha", "short-lived", "Admin").await;
    assert_eq!(key.get("/api/instances/alphastack").await.status, 200);
    let deleted = owner.delete("/api/orgs/alpha/api-keys/short-lived").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    let reply = key.get("/api/instances/alphastack").await;
    assert_grafana_error(&reply, 401, "InvalidCredentials", "deleted");
    // A key of the same name made again has a new secret; the old one stays dead.
    let again = api_key_client(&owner, "alpha", "short-lived", "Admin").await;
    assert_ne!(again.token, key.token);
    assert_eq!(again.get("/api/instances/alphastack").await.status, 200);
    assert_eq!(key.get("/api/instances/alphastack").await.status, 401);
}

#[tokio::test]
async fn an_api_key_deleting_itself_is_401_on_its_next_call() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let key = api_key_client(&owner, "alpha", "self", "Admin").await;
    let deleted = key.delete("/api/orgs/alpha/api-keys/self").await;
    assert_eq!(deleted.status, 200, "{}", deleted.raw);
    assert_eq!(key.get("/api/orgs/alpha/api-keys").await.status, 401);
}

#[tokio::test]
async fn an_api_key_of_one_org_cannot_reach_another_orgs_resources() {
    let server = start_scenario(orgs_with_stacks()).await;
    let alpha = Grafana::new(&server, "alpha-token");
    let beta = Grafana::new(&server, "beta-token");
    let key = api_key_client(&alpha, "alpha", "admin", "Admin").await;
    let beta_policy = beta
        .post(
            "/api/v1/accesspolicies?region=us",
            &json!({
                "name": "beta-policy",
                "scopes": ["metrics:read"],
                "realms": [{"type": "org", "identifier": "2"}]
            }),
        )
        .await;
    assert_eq!(beta_policy.status, 200, "{}", beta_policy.raw);
    spec::assert_access_policy(&beta_policy.body);
    let beta_policy = format!(
        "/api/v1/accesspolicies/{}?region=us",
        beta_policy.body["id"].as_str().unwrap()
    );
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/api/instances/betastack".into(), None),
        (
            "POST",
            "/api/instances/betastack".into(),
            Some(json!({"description": "x"})),
        ),
        ("DELETE", "/api/instances/betastack".into(), None),
        ("GET", beta_policy.clone(), None),
        ("DELETE", beta_policy.clone(), None),
        ("GET", "/api/orgs/beta".into(), None),
        ("GET", "/api/orgs/beta/instances".into(), None),
        ("GET", "/api/orgs/beta/api-keys".into(), None),
        (
            "GET",
            "/api/v1/accesspolicies?region=us&orgId=2".into(),
            None,
        ),
    ];
    for (method, path, body) in &calls {
        let by_key = key.send(method, path, body.as_ref()).await;
        let by_token = alpha.send(method, path, body.as_ref()).await;
        assert!(
            [403, 404].contains(&by_key.status.as_u16()),
            "{method} {path}: {}",
            by_key.raw
        );
        assert_eq!(
            by_key.status, by_token.status,
            "{method} {path}: the key answers as org alpha's token does: {} vs {}",
            by_key.raw, by_token.raw
        );
        assert_eq!(
            by_key.body["code"], by_token.body["code"],
            "{method} {path}"
        );
    }
    // Beta's resources are untouched and the key still acts on its own org.
    assert_eq!(beta.get("/api/instances/betastack").await.status, 200);
    assert_eq!(beta.get(&beta_policy).await.status, 200);
    let listed = key.get("/api/v1/accesspolicies?region=us").await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    spec::assert_access_policy_list(&listed.body);
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["orgId"] == "1"),
        "{}",
        listed.raw
    );
}

#[tokio::test]
async fn what_an_api_key_changes_is_recorded_under_its_name() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let key = api_key_client(&owner, "alpha", "deployer", "Editor").await;
    let updated = key
        .post("/api/instances/alphastack", &json!({"description": "x"}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    spec::assert_stack(&updated.body);
    assert_eq!(updated.body["updatedBy"], "deployer");
}

#[tokio::test]
async fn an_api_key_is_rate_limited_on_its_own_credential() {
    let mut scenario = orgs_with_stacks();
    scenario["grafana"]["rate_limits"] =
        json!([{"name": "accesspolicies", "limit": 2, "period_seconds": 3600}]);
    let server = start_scenario(scenario).await;
    let owner = Grafana::new(&server, "alpha-token");
    // Creating the key is not on the rate-limited endpoints.
    let key = api_key_client(&owner, "alpha", "busy", "Viewer").await;
    let path = "/api/v1/accesspolicies?region=us";
    assert_eq!(key.get(path).await.status, 200);
    assert_eq!(key.get(path).await.status, 200);
    let limited = key.get(path).await;
    assert_grafana_error(&limited, 429, "TooManyRequests", "limit");
    assert!(limited.headers.contains_key("retry-after"));
    // The owner's token counts in its own window.
    assert_eq!(owner.get(path).await.status, 200);
}

#[tokio::test]
async fn every_role_is_known_to_the_cloud_api() {
    // No role's secret is unknown (401): each is either served or refused 403.
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    for role in ROLES {
        let key = api_key_client(&owner, "alpha", &role.to_lowercase(), role).await;
        let reply = key.get("/api/orgs/alpha").await;
        assert_ne!(reply.status, 401, "{role}: {}", reply.raw);
    }
}

#[tokio::test]
async fn an_api_key_authenticates_after_the_state_is_exported_and_imported() {
    let server = start_scenario(orgs_with_stacks()).await;
    let owner = Grafana::new(&server, "alpha-token");
    let key = api_key_client(&owner, "alpha", "kept", "Viewer").await;
    let state = reqwest::get(format!("{}/__admin/state", server.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let put = |base: String, document: String| async move {
        reqwest::Client::new()
            .put(format!("{base}/__admin/state"))
            .header("content-type", "application/json")
            .body(document)
            .send()
            .await
            .unwrap()
    };
    let fresh = start_default().await;
    assert_eq!(put(fresh.base_url(), state.clone()).await.status(), 200);
    let moved = Grafana {
        base_url: fresh.base_url(),
        ..key.clone()
    };
    assert_eq!(moved.get("/api/instances/alphastack").await.status, 200);
    assert_eq!(
        moved
            .post("/api/instances/alphastack", &json!({"description": "x"}))
            .await
            .status,
        403
    );

    // Two keys sharing one secret would make the secret ambiguous: refused.
    let mut twice: Value = serde_json::from_str(&state).unwrap();
    let mut copy = twice["grafana"]["org_api_keys"][0].clone();
    copy["name"] = json!("copy");
    twice["grafana"]["org_api_keys"]
        .as_array_mut()
        .unwrap()
        .push(copy);
    let refused = put(fresh.base_url(), twice.to_string()).await;
    assert_eq!(refused.status(), 400);
    let why = refused.text().await.unwrap();
    assert!(
        why.contains("org_api_keys[1].secret") && why.contains("unique"),
        "{why}"
    );
}
