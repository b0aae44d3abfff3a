//! Grafana Cloud's share of the world: orgs, regions, the access-policy and
//! token collections with their indexes, and who a bearer token is.

pub mod access_policies;
pub mod api_keys;
pub mod cidr;
pub mod hosted_grafana;
#[cfg(test)]
mod list_oracle;
pub mod lists;
pub mod plugins;
pub mod stacks;
pub mod tokens;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::access_policies::{AccessPolicy, PolicyStatus};
use self::api_keys::{ApiKeyRole, OrgApiKey};
use self::cidr::Cidr;
use self::hosted_grafana::HostedGrafanaKey;
use self::lists::{ListKey, PolicyEntry, TokenLists};
use self::stacks::{Stack, StackId};
use self::tokens::{Token, TokenUse};
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::rate_limit::RateLimitSpec;
use crate::core::seq_lists::SeqLists;
use crate::core::world::World;
use crate::vendors::grafana::scenario::Plan;

pub type OrgId = u64;
/// A region's slug (`us`, `prod-eu-west-2`, …).
pub type RegionKey = String;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    /// Region slugs the org may use.
    pub regions: Vec<RegionKey>,
    pub plan: Plan,
    /// Stack cap of a contracted plan.
    pub stack_limit: u32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: u64,
    pub slug: RegionKey,
    pub name: String,
    pub description: String,
    pub provider: String,
    pub status: String,
    pub public_name: String,
    pub visibility: String,
    pub sort_order: u64,
    pub cluster_slug: String,
    pub cluster_id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct GrafanaState {
    pub orgs: BTreeMap<OrgId, Org>,
    pub regions: BTreeMap<RegionKey, Region>,
    /// Changed only through [`GrafanaState::insert_policy`] and its
    /// siblings, which keep the indexes in step.
    pub policies: HashMap<Uuid, AccessPolicy>,
    /// An (org, region)'s policies in creation order, whole and by realm.
    pub policy_lists: SeqLists<ListKey, PolicyEntry>,
    pub policy_names: HashMap<(OrgId, RegionKey, String), Uuid>,
    /// Changed only through [`GrafanaState::insert_token`] and its siblings.
    pub tokens: HashMap<Uuid, Token>,
    /// An (org, region)'s tokens in creation order, whole and by their
    /// policies' realms, and each policy's.
    pub token_lists: TokenLists,
    pub token_names: HashMap<(OrgId, RegionKey, String), Uuid>,
    /// Secret → token id.
    pub token_secrets: HashMap<String, Uuid>,
    /// When each token was used: recorded under a read guard of the world.
    pub token_use: TokenUse,
    /// Live stacks.
    pub stacks: HashMap<StackId, Stack>,
    /// Slug → stack id, across all orgs (slugs are globally unique).
    pub stack_slugs: HashMap<String, StackId>,
    /// (org, name, id): an org's stacks in list order.
    pub stacks_by_name: BTreeSet<(OrgId, String, StackId)>,
    /// (org, id): an org's stacks in id order.
    pub stacks_by_id: BTreeSet<(OrgId, StackId)>,
    /// Deleted stacks, kept for billed usage.
    pub deleted_stacks: Vec<Stack>,
    /// (stack, key name) → hosted-Grafana API key.
    pub hosted_grafana_keys: BTreeMap<(StackId, String), HostedGrafanaKey>,
    /// (org, name) → deprecated org API key, in list order.
    pub api_keys: BTreeMap<(OrgId, String), OrgApiKey>,
    /// Secret → (org, name) of the org API key it authenticates.
    pub api_key_secrets: HashMap<String, (OrgId, String)>,
    /// The plugin catalog and what each stack has installed.
    pub plugins: self::plugins::PluginState,
    /// Limits per bearer token on the access-policy and token endpoints.
    pub rate_limits: Vec<RateLimitSpec>,
}

/// Grafana's documented limit on the access-policy API: 600 requests per
/// hour (used when the scenario sets none).
pub fn default_rate_limit() -> RateLimitSpec {
    RateLimitSpec {
        name: "accesspolicies".to_string(),
        limit: 600,
        period_seconds: 3600,
    }
}

impl GrafanaState {
    /// The org's region named `region`, or the 400 a client gets without one.
    pub fn org_region(&self, org_id: OrgId, region: &str) -> EngineResult<RegionKey> {
        if region.is_empty() {
            return Err(bad_request("region is required (query parameter 'region')"));
        }
        let org = self
            .orgs
            .get(&org_id)
            .ok_or_else(|| EngineError::NotFound(format!("org {org_id} not found")))?;
        if org.regions.iter().any(|r| r == region) {
            Ok(region.to_string())
        } else {
            Err(bad_request(format!(
                "region {region:?} is not available to org {:?}; available regions: {}",
                org.slug,
                org.regions.join(", ")
            )))
        }
    }
}

/// Every change to the policies and tokens: each keeps the collection and
/// all of its indexes in step, in one call under the world's write guard.
impl GrafanaState {
    /// Stores a new policy (its name is free in its region).
    pub(crate) fn insert_policy(&mut self, policy: AccessPolicy) {
        let name_key = (policy.org_id, policy.region.clone(), policy.name.clone());
        self.policy_names.insert(name_key, policy.id);
        lists::list_policy(&mut self.policy_lists, &policy);
        self.policies.insert(policy.id, policy);
    }

    /// Stores a changed policy over the one with its id (org, region, name
    /// and seq unchanged); its tokens follow a change of status or realms.
    pub(crate) fn replace_policy(&mut self, policy: AccessPolicy) {
        let old = self
            .policies
            .insert(policy.id, policy.clone())
            .expect("only a stored policy is replaced");
        if old.status == policy.status && ListKey::of_policy(&old) == ListKey::of_policy(&policy) {
            return;
        }
        lists::unlist_policy(&mut self.policy_lists, &old);
        lists::list_policy(&mut self.policy_lists, &policy);
        for token_id in self.token_lists.of_policy(policy.id) {
            let token = &self.tokens[&token_id];
            self.token_lists.remove(token, &old);
            self.token_lists.add(token, &policy);
        }
    }

    /// Removes a policy and every token it holds; the tokens' ids.
    pub(crate) fn remove_policy(&mut self, id: Uuid) -> Vec<Uuid> {
        let token_ids = self.token_lists.of_policy(id);
        for &token_id in &token_ids {
            self.remove_token(token_id);
        }
        if let Some(policy) = self.policies.remove(&id) {
            self.policy_names
                .remove(&(policy.org_id, policy.region.clone(), policy.name.clone()));
            lists::unlist_policy(&mut self.policy_lists, &policy);
        }
        token_ids
    }

    /// Stores a new token of a stored policy (its name and secret are free).
    pub(crate) fn insert_token(&mut self, token: Token) {
        let policy = &self.policies[&token.access_policy_id];
        self.token_lists.add(&token, policy);
        let name_key = (token.org_id, token.region.clone(), token.name.clone());
        self.token_names.insert(name_key, token.id);
        self.token_secrets.insert(token.secret.clone(), token.id);
        self.tokens.insert(token.id, token);
    }

    /// Stores a changed token over the one with its id (policy, name,
    /// secret and seq unchanged).
    pub(crate) fn replace_token(&mut self, token: Token) {
        let policy = &self.policies[&token.access_policy_id];
        let old = self
            .tokens
            .get(&token.id)
            .expect("only a stored token is replaced");
        self.token_lists.remove(old, policy);
        self.token_lists.add(&token, policy);
        self.tokens.insert(token.id, token);
    }

    pub(crate) fn remove_token(&mut self, id: Uuid) -> Option<Token> {
        let token = self.tokens.remove(&id)?;
        self.token_use.forget(id);
        self.token_secrets.remove(&token.secret);
        self.token_names
            .remove(&(token.org_id, token.region.clone(), token.name.clone()));
        let policy = &self.policies[&token.access_policy_id];
        self.token_lists.remove(&token, policy);
        Some(token)
    }
}

/// Who is calling, as established from a bearer token.
#[derive(Debug, Clone)]
pub struct GrafanaCaller {
    pub org_id: OrgId,
    /// Shown as `createdBy` / `updatedBy`: the token's or API key's name.
    pub actor: String,
    pub grants: Grants,
    pub allowed_subnets: Option<Vec<Cidr>>,
}

/// The scopes a caller holds.
#[derive(Debug, Clone)]
pub enum Grants {
    /// An access-policy token: exactly its policy's scopes (of those an
    /// endpoint checks).
    Scopes(ScopeSet),
    /// A deprecated org API key: the scopes its role allows
    /// ([`ApiKeyRole::grants`]).
    Role(ApiKeyRole),
}

/// Which of the scopes Grafana's endpoints check
/// ([`CHECKED_SCOPES`](crate::vendors::grafana::scopes::CHECKED_SCOPES)) a
/// policy holds, as bits: a request's caller is made from its token's
/// policy without copying the policy's scope list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeSet(u64);

impl ScopeSet {
    pub fn of(scopes: &[String]) -> Self {
        use crate::vendors::grafana::scopes::CHECKED_SCOPES;
        let mut set = 0u64;
        for scope in scopes {
            for (bit, checked) in CHECKED_SCOPES.iter().enumerate() {
                if scope == checked {
                    set |= 1 << bit;
                }
            }
        }
        ScopeSet(set)
    }

    /// Whether the set holds `scope`, one of the checked scopes.
    pub fn holds(self, scope: &str) -> bool {
        use crate::vendors::grafana::scopes::CHECKED_SCOPES;
        let bit = CHECKED_SCOPES.iter().position(|checked| *checked == scope);
        debug_assert!(bit.is_some(), "{scope:?} is not a checked scope");
        bit.is_some_and(|bit| self.0 & (1 << bit) != 0)
    }
}

impl Grants {
    pub fn grants(&self, scope: &str) -> bool {
        match self {
            Grants::Scopes(scopes) => scopes.holds(scope),
            Grants::Role(role) => role.grants(scope),
        }
    }

    /// Who lacks a scope, for the 403's message.
    fn holder(&self) -> String {
        match self {
            Grants::Scopes(_) => "this token's access policy".to_string(),
            Grants::Role(role) => format!("this API key's role {:?}", role.as_str()),
        }
    }
}

impl GrafanaCaller {
    /// 403 unless the caller holds one of `scopes` (the published spec lists
    /// alternatives for some endpoints: `orgs:read` or
    /// `org-billing-info:read`).
    pub fn require_any_scope(&self, scopes: &[&str]) -> EngineResult<()> {
        if scopes.iter().any(|scope| self.grants.grants(scope)) {
            Ok(())
        } else if let [scope] = scopes {
            Err(EngineError::Forbidden(format!(
                "{} lacks the scope {scope:?}",
                self.grants.holder()
            )))
        } else {
            Err(EngineError::Forbidden(format!(
                "{} lacks each of the scopes {scopes:?}",
                self.grants.holder()
            )))
        }
    }

    /// 403 when the policy restricts subnets and `client` is outside them.
    pub fn require_client_address(&self, client: Option<IpAddr>) -> EngineResult<()> {
        let Some(subnets) = &self.allowed_subnets else {
            return Ok(());
        };
        match client {
            Some(ip) if subnets.iter().any(|net| net.contains(ip)) => Ok(()),
            Some(ip) => Err(EngineError::Forbidden(format!(
                "client address {ip} is outside the access policy's allowedSubnets"
            ))),
            None => Err(EngineError::Forbidden(
                "client address unknown and the access policy restricts allowedSubnets".into(),
            )),
        }
    }

    /// 403 when the request names an org other than the token's.
    pub fn require_org(&self, org_id: Option<OrgId>) -> EngineResult<()> {
        match org_id {
            Some(id) if id != self.org_id => Err(EngineError::Forbidden(format!(
                "this token belongs to org {} and cannot act on org {id}",
                self.org_id
            ))),
            _ => Ok(()),
        }
    }
}

impl GrafanaState {
    /// Whether `secret` is an access-policy token's or an org API key's
    /// (expired or refused ones included): what the rate limiter counts by.
    pub fn knows_secret(&self, secret: &str) -> bool {
        self.token_secrets.contains_key(secret) || self.api_key_secrets.contains_key(secret)
    }
}

impl World {
    /// Establishes the caller from a bearer secret (an access-policy token
    /// or a deprecated org API key) and the client's address, and records
    /// the token's use once both are accepted. A read of the world: the use
    /// goes to [`GrafanaState::token_use`], behind its own lock.
    ///
    /// With the caller, whether the use is worth telling the state file
    /// ([`TokenUse::record`](tokens::TokenUse::record)).
    pub fn authenticate_grafana(
        &self,
        secret: &str,
        client: Option<IpAddr>,
    ) -> EngineResult<(GrafanaCaller, bool)> {
        let invalid = |why: &str| EngineError::Unauthorized(format!("Invalid credentials: {why}"));
        let now = self.clock.now();
        let grafana = self.sections.grafana();
        let Some(&token_id) = grafana.token_secrets.get(secret) else {
            return grafana
                .api_key_caller(secret)
                .unwrap_or_else(|| Err(invalid("unknown or deleted token")))
                .map(|caller| (caller, false));
        };
        let token = grafana
            .tokens
            .get(&token_id)
            .ok_or_else(|| invalid("unknown or deleted token"))?;
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(invalid("token expired"));
        }
        let policy = grafana
            .policies
            .get(&token.access_policy_id)
            .ok_or_else(|| invalid("the token's access policy no longer exists"))?;
        if policy.status == PolicyStatus::Inactive {
            return Err(invalid("the token's access policy is inactive"));
        }
        let caller = GrafanaCaller {
            org_id: policy.org_id,
            actor: token.name.clone(),
            grants: Grants::Scopes(ScopeSet::of(&policy.scopes)),
            allowed_subnets: policy.allowed_subnets.clone(),
        };
        caller.require_client_address(client)?;
        let noted = grafana.token_use.record(token_id, now);
        Ok((caller, noted))
    }
}

/// Names of policies and tokens: 1–255 of `a-z0-9-_`.
pub fn validate_name(name: &str) -> EngineResult<()> {
    let ok = (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(bad_request(format!(
            "name {name:?} is invalid: it must be 1-255 characters of lowercase letters (a-z), \
             digits (0-9), hyphens (-) and underscores (_)"
        )))
    }
}

/// The longest org API key or hosted-Grafana key name, in characters.
pub const MAX_KEY_NAME_CHARS: usize = 255;

/// Names of org API keys and hosted-Grafana keys, for which Grafana
/// documents no rule: 1-255 characters, not only whitespace, none of them
/// a control character (NUL, newlines, ...) or an invisible formatting one
/// (bidirectional overrides and isolates, zero-width characters, the
/// byte-order mark). The error never echoes the name.
pub fn validate_key_name(name: &str) -> EngineResult<()> {
    if name.trim().is_empty() {
        return Err(bad_request(format!(
            "name is required: 1-{MAX_KEY_NAME_CHARS} characters"
        )));
    }
    let len = name.chars().count();
    if len > MAX_KEY_NAME_CHARS {
        return Err(bad_request(format!(
            "name must be at most {MAX_KEY_NAME_CHARS} characters, got {len}"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c.is_control() || is_invisible_format(c))
    {
        return Err(bad_request(format!(
            "name must not contain control or invisible formatting characters, found U+{:04X}",
            u32::from(c)
        )));
    }
    Ok(())
}

/// Format characters that change how text reads without showing: soft
/// hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
/// space/joiners and directional marks, bidirectional embeddings,
/// overrides and isolates, invisible operators, deprecated format
/// characters, the byte-order mark and interlinear annotations.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

pub fn validate_display_name(display_name: &str) -> EngineResult<()> {
    let len = display_name.chars().count();
    if (1..=255).contains(&len) {
        Ok(())
    } else {
        Err(bad_request(format!(
            "displayName must be 1-255 characters long, got {len}"
        )))
    }
}

impl GrafanaState {
    /// An org by slug or numeric id.
    pub fn org_by_slug_or_id(&self, slug_or_id: &str) -> Option<&Org> {
        match slug_or_id.parse::<OrgId>() {
            Ok(id) => self.orgs.get(&id),
            Err(_) => self.orgs.values().find(|org| org.slug == slug_or_id),
        }
    }
}

impl World {
    /// The org a `/api/orgs/{org}/…` path names: 404 if there is none,
    /// 403 if it is not the caller's.
    pub fn require_org_path(&self, caller: &GrafanaCaller, slug_or_id: &str) -> EngineResult<&Org> {
        let org = self
            .sections
            .grafana()
            .org_by_slug_or_id(slug_or_id)
            .ok_or_else(|| EngineError::NotFound(format!("org {slug_or_id:?} not found")))?;
        caller.require_org(Some(org.id))?;
        Ok(org)
    }
}

impl crate::core::world::Sections {
    /// grafana's section of the world.
    pub fn grafana(&self) -> &GrafanaState {
        self.get::<GrafanaState>()
    }

    pub fn grafana_mut(&mut self) -> &mut GrafanaState {
        self.get_mut::<GrafanaState>()
    }
}
