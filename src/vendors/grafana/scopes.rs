//! The scopes Grafana's endpoints require, one marker type per permission:
//! a handler names its marker in its signature (`Authorized<StacksRead>`),
//! and the marker says which scopes open the endpoint and which API
//! ([`Api`]) it belongs to, so how it answers invalid arguments.

use super::errors::{AccessPolicyApi, Api, Gcom};

/// A permission an endpoint requires.
pub trait Scope: Send + Sync + 'static {
    /// Any one of these opens the endpoint.
    const SCOPES: &'static [&'static str];
    /// The API the endpoint belongs to.
    type Api: Api;
}

macro_rules! scopes {
    ($($(#[$doc:meta])* $name:ident: $api:ty = [$($scope:literal),+];)*) => {
        $(
            $(#[$doc])*
            pub enum $name {}

            impl Scope for $name {
                const SCOPES: &'static [&'static str] = &[$($scope),+];
                type Api = $api;
            }
        )*

        /// Every scope an endpoint checks, as the markers name them (one
        /// twice when two markers share it): what a caller's
        /// [`ScopeSet`](super::model::ScopeSet) holds bits of.
        pub const CHECKED_SCOPES: &[&str] = &[$($($scope),+),*];
    };
}

scopes! {
    // Tokens are gated by the access-policy scopes, as the Terraform
    // provider documents.
    /// Listing and reading access policies and tokens.
    AccessPoliciesRead: AccessPolicyApi = ["accesspolicies:read"];
    /// Creating and updating access policies and tokens.
    AccessPoliciesWrite: AccessPolicyApi = ["accesspolicies:write"];
    /// Deleting access policies and tokens.
    AccessPoliciesDelete: AccessPolicyApi = ["accesspolicies:delete"];
    /// Reading stacks and their hosted Grafana.
    StacksRead: Gcom = ["stacks:read"];
    /// Creating, updating and restarting stacks, and their hosted Grafana's keys.
    StacksWrite: Gcom = ["stacks:write"];
    /// Deleting stacks.
    StacksDelete: Gcom = ["stacks:delete"];
    /// Reading the org.
    OrgsRead: Gcom = ["orgs:read"];
    /// Billed usage: either scope opens it (Grafana's published spec).
    BillingRead: Gcom = ["org-billing-info:read", "orgs:read"];
    /// Listing the org's deprecated API keys.
    ApiKeysRead: Gcom = ["api-keys:read"];
    /// Creating org API keys.
    ApiKeysWrite: Gcom = ["api-keys:write"];
    /// Deleting org API keys.
    ApiKeysDelete: Gcom = ["api-keys:delete"];
    /// Reading a stack's plugins.
    StackPluginsRead: Gcom = ["stack-plugins:read"];
    /// Installing and updating a stack's plugins.
    StackPluginsWrite: Gcom = ["stack-plugins:write"];
    /// Uninstalling a stack's plugins.
    StackPluginsDelete: Gcom = ["stack-plugins:delete"];
}

const _: () = assert!(CHECKED_SCOPES.len() <= 64, "a ScopeSet holds 64 scopes");
