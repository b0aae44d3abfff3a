//! The published OpenAPI documents: served, well-formed, and in step with
//! the router — every route served is documented, every documented
//! operation is served.

use std::collections::BTreeSet;

use crate::common::*;
use serde_json::Value;

const VENDORS: [&str; 3] = ["datadog", "gcore", "grafana"];
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(server: &mockcloud::MockCloud, vendor: &str) -> Value {
    let reply = reqwest::get(format!(
        "{}/__admin/openapi/{vendor}.json",
        server.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json");
    reply.json().await.unwrap()
}

/// The route templates the vendor's router declares, read from its source.
fn declared_routes(vendor: &str) -> BTreeSet<String> {
    let source = std::fs::read_to_string(format!(
        "{}/src/vendors/{vendor}/mod.rs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    source
        .split('"')
        .filter(|s| s.starts_with("/api/") || s.starts_with("/cloud/"))
        .map(path_template)
        .collect()
}

#[tokio::test]
async fn each_vendor_document_is_openapi_3_1_with_security_and_operations() {
    let server = start_default().await;
    for vendor in VENDORS {
        let doc = document(&server, vendor).await;
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{vendor}"
        );
        assert!(doc["info"]["title"].is_string(), "{vendor}");
        assert!(
            doc["components"]["securitySchemes"]
                .as_object()
                .is_some_and(|s| !s.is_empty()),
            "{vendor} declares its security schemes"
        );
        let paths = doc["paths"].as_object().unwrap();
        assert!(!paths.is_empty(), "{vendor}");
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let responses = operation["responses"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{vendor} {method} {path} has no responses"));
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path}"
                );
                assert!(
                    responses.keys().any(|s| s.starts_with('4')),
                    "{method} {path}"
                );
            }
        }
    }
    let missing = reqwest::get(format!("{}/__admin/openapi/aws.json", server.base_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_path_is_served() {
    let server = start_default().await;
    for vendor in VENDORS {
        let doc = document(&server, vendor).await;
        let documented: BTreeSet<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| path_template(p))
            .collect();
        let declared = declared_routes(vendor);
        assert!(!declared.is_empty(), "{vendor}");
        assert_eq!(
            documented, declared,
            "{vendor}: documented paths (left) and served routes (right) differ"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_reaches_its_handler() {
    let server = start_default().await;
    let client = reqwest::Client::new();
    for vendor in VENDORS {
        let doc = document(&server, vendor).await;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                // Parameters get a filler value: the route must match, whatever
                // the handler then thinks of the value.
                let concrete = path
                    .split('/')
                    .map(|part| if part.starts_with('{') { "x1" } else { part })
                    .collect::<Vec<_>>()
                    .join("/");
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let reply = client
                    .request(method.clone(), format!("{}{concrete}", server.base_url()))
                    .send()
                    .await
                    .unwrap();
                assert_ne!(reply.status(), 405, "{method} {path} is not served");
                let body = reply.text().await.unwrap();
                assert!(
                    !body.contains("no such endpoint"),
                    "{method} {path} is not served: {body}"
                );
            }
        }
    }
}

/// `openapi-spec-validator` (tests/sdk/requirements.txt) on each document as
/// the server publishes it: valid OpenAPI 3.1, every `$ref` resolving.
#[tokio::test(flavor = "multi_thread")]
async fn each_served_document_passes_the_openapi_3_1_validator() {
    let Some(validator) = external(
        "openapi::each_served_document_passes_the_openapi_3_1_validator",
        venv_tool("openapi-spec-validator"),
    ) else {
        return;
    };
    let server = start_default().await;
    let dir = std::env::temp_dir().join(format!("mockcloud-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for vendor in VENDORS {
        let text = reqwest::get(format!(
            "{}/__admin/openapi/{vendor}.json",
            server.base_url()
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        let file = dir.join(format!("{vendor}.json"));
        std::fs::write(&file, text).unwrap();
        let validator = validator.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(validator)
                .arg(&file)
                .output()
                .expect("openapi-spec-validator runs")
        })
        .await
        .unwrap();
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && report.contains("OK"),
            "{vendor}: {report}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
