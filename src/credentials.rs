//! The credentials of the default scenario ([`Scenario::default_scenario`],
//! `scenarios/default.json`), as named constants: what a client under test
//! sends when the server runs [`Config::default`].
//!
//! ```
//! use mockcloud::credentials;
//!
//! let header = format!("Bearer {}", credentials::GRAFANA_TOKEN);
//! assert_eq!(header, "Bearer mock-grafana-token");
//! ```
//!
//! [`Scenario::default_scenario`]: crate::Scenario::default_scenario
//! [`Config::default`]: crate::Config

/// Grafana Cloud: `Authorization: Bearer GRAFANA_TOKEN`. A token of the
/// access policy `mock-bootstrap` (region `us`) of org `mockorg` (id 1),
/// holding every scope.
pub const GRAFANA_TOKEN: &str = "mock-grafana-token";

/// The Grafana org the token belongs to.
pub const GRAFANA_ORG_SLUG: &str = "mockorg";

/// Datadog: `DD-API-KEY` of the parent org `mockddorg0001`.
pub const DATADOG_API_KEY: &str = "mock-dd-api-key";

/// Datadog: `DD-APPLICATION-KEY` of the parent org `mockddorg0001`.
pub const DATADOG_APP_KEY: &str = "mock-dd-app-key";

/// The public id of the Datadog parent org the keys belong to.
pub const DATADOG_ORG_PUBLIC_ID: &str = "mockddorg0001";

/// Datadog: `DD-API-KEY` of the child org `mockddchild0a`.
pub const DATADOG_CHILD_A_API_KEY: &str = "mock-dd-child-a-api-key";

/// Datadog: `DD-APPLICATION-KEY` of the child org `mockddchild0a`.
pub const DATADOG_CHILD_A_APP_KEY: &str = "mock-dd-child-a-app-key";

/// Datadog: `DD-API-KEY` of the child org `mockddchild0b`.
pub const DATADOG_CHILD_B_API_KEY: &str = "mock-dd-child-b-api-key";

/// Datadog: `DD-APPLICATION-KEY` of the child org `mockddchild0b`.
pub const DATADOG_CHILD_B_APP_KEY: &str = "mock-dd-child-b-app-key";

/// Gcore Cloud: `Authorization: APIKey GCORE_API_KEY`.
pub const GCORE_API_KEY: &str = "mock-gcore-key";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    /// The constants are the default scenario's, not copies that drift.
    #[test]
    fn the_constants_are_the_default_scenarios_credentials() {
        let scenario = Scenario::default_scenario();
        let grafana_org = &scenario.grafana.orgs[0];
        assert_eq!(grafana_org.slug, GRAFANA_ORG_SLUG);
        let tokens: Vec<&str> = grafana_org
            .access_policies
            .iter()
            .flat_map(|p| &p.tokens)
            .map(|t| t.token.as_str())
            .collect();
        assert_eq!(tokens, [GRAFANA_TOKEN]);
        let datadog: Vec<(&str, &[String], &[String])> = scenario
            .datadog
            .orgs
            .iter()
            .map(|o| {
                (
                    o.public_id.as_str(),
                    o.api_keys.as_slice(),
                    o.application_keys.as_slice(),
                )
            })
            .collect();
        assert_eq!(datadog[0].0, DATADOG_ORG_PUBLIC_ID);
        assert_eq!(datadog[0].1, [DATADOG_API_KEY]);
        assert_eq!(datadog[0].2, [DATADOG_APP_KEY]);
        assert_eq!(datadog[1].1, [DATADOG_CHILD_A_API_KEY]);
        assert_eq!(datadog[1].2, [DATADOG_CHILD_A_APP_KEY]);
        assert_eq!(datadog[2].1, [DATADOG_CHILD_B_API_KEY]);
        assert_eq!(datadog[2].2, [DATADOG_CHILD_B_APP_KEY]);
        assert_eq!(scenario.gcore.api_keys, [GCORE_API_KEY]);
    }
}
