mod common;

use common::*;

#[tokio::test]
async fn the_bootstrap_token_lists_its_own_policy() {
    let server = start_default().await;
    let grafana = Grafana::new(&server, BOOTSTRAP_TOKEN);
    let reply = grafana.get("/api/v1/accesspolicies?region=us").await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(reply.body["items"][0]["name"], "mock-bootstrap");
}
