//! `"generate"` under a Grafana org: many stacks, access policies and tokens
//! from a few numbers, so a scenario for pagination and performance stays a
//! small file. Expansion is a pure function of the spec and the org: the same
//! names, slugs and secrets every time (ids follow the run's seed as usual).

use serde::{Deserialize, Serialize};

use super::scenario::{AccessPolicySpec, OrgSpec, StackSpec, TokenSpec};

/// How many objects to add to an org, after the ones it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Stacks `<org><n>` (slug: the org slug's letters and digits, then a
    /// five-digit number from 00001). Mind the org's plan and `stack_limit`.
    #[serde(default)]
    pub stacks: u32,
    /// Access policies `<org slug>-policy-<n>`.
    #[serde(default)]
    pub access_policies: u32,
    /// Tokens per generated policy, `<policy>-token-<k>`, with the secret
    /// `mock-<org slug>-token-<n>-<k>`.
    #[serde(default)]
    pub tokens_per_policy: u32,
    /// Region of the generated stacks, policies and tokens; `us` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Scopes of the generated policies; `["stacks:read"]` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

impl GenerateSpec {
    fn region(&self) -> String {
        self.region.clone().unwrap_or_else(|| "us".to_string())
    }

    /// The stacks to add to `org`, in order.
    pub(crate) fn stacks(&self, org: &OrgSpec) -> Vec<StackSpec> {
        let prefix: String = org
            .slug
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .collect();
        (1..=self.stacks)
            .map(|n| {
                let slug = format!("{prefix}{n:05}");
                StackSpec {
                    id: None,
                    name: format!("{slug}.grafana.net"),
                    slug,
                    region: Some(self.region()),
                    url: None,
                    description: None,
                    labels: Default::default(),
                    delete_protection: false,
                    created_at: None,
                }
            })
            .collect()
    }

    /// The access policies (with their tokens) to add to `org`, in order.
    pub(crate) fn access_policies(&self, org: &OrgSpec) -> Vec<AccessPolicySpec> {
        let scopes = self
            .scopes
            .clone()
            .unwrap_or_else(|| vec!["stacks:read".to_string()]);
        (1..=self.access_policies)
            .map(|n| {
                let name = format!("{}-policy-{n:05}", org.slug);
                let tokens = (1..=self.tokens_per_policy)
                    .map(|k| TokenSpec {
                        name: format!("{name}-token-{k}"),
                        display_name: None,
                        token: format!("mock-{}-token-{n:05}-{k}", org.slug),
                        expires_at: None,
                    })
                    .collect();
                AccessPolicySpec {
                    name,
                    display_name: None,
                    region: self.region(),
                    scopes: scopes.clone(),
                    realms: None,
                    conditions: None,
                    attributes: None,
                    status: None,
                    tokens,
                }
            })
            .collect()
    }
}
