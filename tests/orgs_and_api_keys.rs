//! Grafana Cloud orgs (`GET /api/orgs/{slugOrId}`) and the deprecated org
//! API keys (`/api/orgs/{org}/api-keys`).

mod common;

use common::*;
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
    assert_eq!(by_id.body["slug"], "mockorg");
}

#[tokio::test]
async fn an_org_shows_every_field_grafana_marks_required() {
    let server = start_default().await;
    let org = Grafana::new(&server, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg")
        .await
        .body;
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
    assert_eq!(alpha.body["hgInstanceLimit"], 1, "{}", alpha.raw);
    assert_eq!(alpha.body["createdAt"], "2023-01-04T06:43:24.000Z");
    let beta = Grafana::new(&server, "beta-token").get("/api/orgs/2").await;
    assert_eq!(beta.body["hgInstanceLimit"], 3, "{}", beta.raw);
    assert_eq!(beta.body["hmInstanceLimit"], 3);
    let default = start_default().await;
    let contracted = Grafana::new(&default, BOOTSTRAP_TOKEN)
        .get("/api/orgs/mockorg")
        .await;
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
        assert_eq!(reply.body["role"], role);
    }
    let list = grafana.get("/api/orgs/mockorg/api-keys").await;
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
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["orgSlug"], "beta");
    let trespass = beta.get("/api/orgs/alpha/api-keys").await;
    assert_grafana_error(&trespass, 403, "Forbidden", "org");
    let trespass = beta.delete("/api/orgs/alpha/api-keys/shared-name").await;
    assert_grafana_error(&trespass, 403, "Forbidden", "org");
    let unknown = alpha.get("/api/orgs/nosuch/api-keys").await;
    assert_grafana_error(&unknown, 404, "NotFound", "nosuch");
}
