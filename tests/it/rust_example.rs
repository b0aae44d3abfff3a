//! The example of docs/rust.md, compiled and run: `docs::` checks that the
//! page shows this file's test as it is here.

use mockcloud::scenario::{AccessPolicySpec, OrgSpec, TokenSpec};
use mockcloud::{Config, Effect, FaultRule, JournalFilter, MockCloud, Scenario, Vendor};

#[tokio::test]
async fn my_client_lists_policies() -> Result<(), Box<dyn std::error::Error>> {
    // The default scenario, edited in code (or Scenario::new("mine") for an empty world).
    let mut scenario = Scenario::default_scenario();
    let mut org = OrgSpec::new(2, "acme", "Acme");
    let mut policy = AccessPolicySpec::new("ci", "us", ["accesspolicies:read"]);
    policy
        .tokens
        .push(TokenSpec::new("ci-token", "acme-secret"));
    org.access_policies.push(policy);
    scenario.grafana.orgs.push(org);

    // Port 0: a free port, so tests run in parallel, each on its own server.
    let server = MockCloud::start(Config::default().with_scenario(scenario)).await?;
    let url = format!("{}/api/v1/accesspolicies?region=us", server.base_url());
    let reply = reqwest::Client::new()
        .get(&url)
        .bearer_auth("acme-secret")
        .send()
        .await?;
    assert_eq!(reply.status(), 200);

    // What /__admin offers, without HTTP:
    let datadog_down = FaultRule::new(Effect::error(503)).for_vendor(Vendor::DATADOG);
    server.faults().add(datadog_down)?;
    let grafana = JournalFilter::new().vendor(Vendor::GRAFANA);
    assert_eq!(server.journal().entries(&grafana).len(), 1);
    let two_hours = mockcloud::chrono::Duration::hours(2);
    server.clock().advance(two_hours); // expire tokens without waiting
    server.reset(); // back to the scenario
    Ok(())
}
