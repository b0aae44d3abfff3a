//! Grafana Cloud access-policy tokens: secrets shown once, expiry, name
//! uniqueness per (org, region), and the list filters of the seed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::access_policies::{AccessPolicy, PolicyStatus, RealmType};
use super::lists::{ExpiryWindow, ListKey};
use super::{GrafanaCaller, GrafanaState, OrgId, RegionKey, validate_display_name, validate_name};
use crate::core::clock::truncate_to_millis;
use crate::core::cursor::{Cursor, Page, page_of};
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::seq_lists::merged_by_seq;
use crate::core::world::World;
use crate::vendors::grafana::snapshot::log_token;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub id: Uuid,
    pub seq: u64,
    /// Not in a snapshot (the policy's, as is `region`): filled in on restore.
    #[serde(skip)]
    pub org_id: OrgId,
    #[serde(skip)]
    pub region: RegionKey,
    pub access_policy_id: Uuid,
    pub name: String,
    pub display_name: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub first_used_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Shown to the client once, at creation.
    pub secret: String,
}

/// When tokens were used since the world was built or loaded: kept beside
/// the tokens, behind its own small lock, so that authenticating a request
/// records the use under a read guard of the world instead of its write
/// lock (every Grafana request would otherwise serialise all readers of all
/// vendors). Whoever shows a token ([`TokenUse::applied`]) sees
/// `firstUsedAt`/`lastUsedAt` as if they were stored on it.
#[derive(Debug, Default)]
pub struct TokenUse(Mutex<HashMap<Uuid, Use>>);

#[derive(Debug, Clone, Copy)]
struct Use {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

impl TokenUse {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Use>> {
        // A use is one insert: a panic cannot leave it half made.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that the token `id` was used at `now`; tells whether that
    /// is its first use or the first in another second (what is worth
    /// telling the state file: a busy token is used many times a second).
    pub fn record(&self, id: Uuid, now: DateTime<Utc>) -> bool {
        let mut uses = self.lock();
        match uses.get_mut(&id) {
            Some(used) => {
                let moved = used.last.timestamp() != now.timestamp();
                used.last = now;
                moved
            }
            None => {
                uses.insert(
                    id,
                    Use {
                        first: now,
                        last: now,
                    },
                );
                true
            }
        }
    }

    /// The token with its recorded uses: the first use stored on the token
    /// wins, the last recorded one is the latest.
    pub fn applied(&self, token: &Token) -> Token {
        let mut token = token.clone();
        if let Some(used) = self.lock().get(&token.id) {
            token.first_used_at.get_or_insert(used.first);
            token.last_used_at = Some(used.last);
        }
        token
    }

    /// Forgets a removed token's uses.
    pub(crate) fn forget(&mut self, id: Uuid) {
        self.0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub access_policy_id: Uuid,
    pub name: String,
    pub display_name: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Scenario tokens bring their own secret; API-created ones get a `glc_` one.
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TokenChanges {
    pub display_name: Option<String>,
    /// `None`: keep; `Some(None)`: never expire; `Some(Some(t))`: expire at t.
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    pub access_policy_ids: Option<Vec<Uuid>>,
    pub access_policy_name: Option<String>,
    pub access_policy_realm_type: Option<RealmType>,
    pub access_policy_realm_identifier: Option<String>,
    pub access_policy_status: Option<PolicyStatus>,
    pub name: Option<String>,
    pub expires_before: Option<DateTime<Utc>>,
    pub expires_after: Option<DateTime<Utc>>,
    /// `Some(false)` hides tokens that have expired.
    pub include_expired: Option<bool>,
}

impl TokenFilter {
    /// Whether the filter keeps `token` of `policy` at `now`.
    pub(crate) fn matches(
        &self,
        token: &Token,
        policy: Option<&AccessPolicy>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(policy) = policy else { return false };
        self.name.as_ref().is_none_or(|n| *n == token.name)
            && self.policy_matches(policy)
            && self.expiry_window(now).contains(token.expires_at)
    }

    /// Whether the filters on the policy (`accessPolicyId(s)`,
    /// `accessPolicyName`, its status and realm) keep its tokens.
    fn policy_matches(&self, policy: &AccessPolicy) -> bool {
        self.access_policy_ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&policy.id))
            && self
                .access_policy_name
                .as_ref()
                .is_none_or(|n| *n == policy.name)
            && self.access_policy_status.is_none_or(|s| s == policy.status)
            && (self.access_policy_realm_type.is_none()
                || policy.realms.iter().any(|realm| {
                    Some(realm.realm_type) == self.access_policy_realm_type
                        && self
                            .access_policy_realm_identifier
                            .as_ref()
                            .is_none_or(|id| *id == realm.identifier)
                }))
    }

    /// `expiresBefore`, `expiresAfter` and `includeExpired` at `now`.
    fn expiry_window(&self, now: DateTime<Utc>) -> ExpiryWindow {
        ExpiryWindow::of(
            self.expires_before,
            self.expires_after,
            self.include_expired == Some(false),
            now,
        )
    }
}

impl World {
    pub fn create_token(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        new: NewToken,
    ) -> EngineResult<Token> {
        let org_id = caller.org_id;
        let region = self.sections.grafana().org_region(org_id, region)?;
        validate_name(&new.name)?;
        let display_name = new.display_name.unwrap_or_else(|| new.name.clone());
        validate_display_name(&display_name)?;
        let policy = self
            .sections
            .grafana()
            .policies
            .get(&new.access_policy_id)
            .filter(|p| p.org_id == org_id && p.region == region)
            .ok_or_else(|| {
                bad_request(format!(
                    "accessPolicyId: no access policy {} in region {region:?}",
                    new.access_policy_id
                ))
            })?;
        let now = self.clock.now();
        // Kept at the precision it is shown with, so filters agree with it.
        let expires_at = new.expires_at.map(truncate_to_millis);
        // Only the API refuses a past expiry: a scenario may describe a token
        // that has already expired, and must load again on reset after the
        // clock has moved past its tokens' expiries.
        let from_api = new.secret.is_none();
        if let Some(at) = expires_at.filter(|_| from_api) {
            refuse_past_expiry(at, now)?;
        }
        let name_key = (org_id, region.clone(), new.name.clone());
        if self.sections.grafana().token_names.contains_key(&name_key) {
            return Err(EngineError::Conflict(format!(
                "a token named {:?} already exists in region {region:?}",
                new.name
            )));
        }
        if let Some(secret) = &new.secret
            && self.sections.grafana().token_secrets.contains_key(secret)
        {
            return Err(EngineError::Conflict(
                "another token already uses this secret".into(),
            ));
        }
        let policy_name = policy.name.clone();
        let secret = match new.secret {
            Some(secret) => secret,
            None => self.new_token_secret(org_id, &region, &policy_name, &new.name),
        };
        let token = Token {
            id: self.ids.uuid(),
            seq: self.ids.seq(),
            org_id,
            region: region.clone(),
            access_policy_id: new.access_policy_id,
            name: new.name,
            display_name,
            expires_at,
            first_used_at: None,
            last_used_at: None,
            created_at: now,
            updated_at: now,
            secret,
        };
        self.sections.grafana_mut().insert_token(token.clone());
        log_token(self, token.id);
        Ok(token)
    }

    /// A secret shaped like Grafana's: `glc_` and base64 of a small JSON
    /// document naming the org, the token and the region.
    fn new_token_secret(
        &mut self,
        org_id: OrgId,
        region: &str,
        policy: &str,
        name: &str,
    ) -> String {
        let payload = serde_json::json!({
            "o": org_id.to_string(),
            "n": format!("{policy}-{name}"),
            "k": self.ids.alphanumeric(24),
            "m": { "r": region },
        });
        format!("glc_{}", STANDARD_NO_PAD.encode(payload.to_string()))
    }

    /// The caller's token `id`, with its uses.
    pub fn token(&self, caller: &GrafanaCaller, region: &str, id: Uuid) -> EngineResult<Token> {
        let grafana = self.sections.grafana();
        let region = grafana.org_region(caller.org_id, region)?;
        grafana
            .tokens
            .get(&id)
            .filter(|t| t.org_id == caller.org_id && t.region == region)
            .map(|t| grafana.token_use.applied(t))
            .ok_or_else(|| {
                EngineError::NotFound(format!("token {id} not found in region {region:?}"))
            })
    }

    /// A page of the caller's tokens in the region: the one named, the
    /// tokens of the policies named, or those of the list the realm filter
    /// names, with the policy status and expiries asked for (see
    /// [`super::lists`] for what each filter costs).
    pub fn list_tokens(
        &self,
        caller: &GrafanaCaller,
        region: &str,
        filter: &TokenFilter,
        cursor: Cursor,
        limit: usize,
    ) -> EngineResult<Page<Token>> {
        let org_id = caller.org_id;
        let grafana = self.sections.grafana();
        let region = grafana.org_region(org_id, region)?;
        let now = self.clock.now();
        let shown = |id: &Uuid| grafana.token_use.applied(&grafana.tokens[id]);
        if let Some(name) = &filter.name {
            let found = grafana
                .token_names
                .get(&(org_id, region, name.clone()))
                .map(|id| &grafana.tokens[id])
                .filter(|t| {
                    let policy = grafana.policies.get(&t.access_policy_id);
                    filter.matches(t, policy, now) && t.seq >= cursor.start_seq()
                })
                .map(|t| grafana.token_use.applied(t));
            return Ok(Page {
                items: found.into_iter().collect(),
                next: None,
            });
        }
        let status = filter.access_policy_status;
        let window = filter.expiry_window(now);
        // One more than the page, to tell whether another page exists.
        let walk = |list: &ListKey| {
            grafana
                .token_lists
                .matching(list, cursor.start_seq(), status, window, limit + 1)
                .into_iter()
        };
        let Some(named) = named_policies(grafana, org_id, &region, filter) else {
            let list = ListKey::of_realm_filter(
                org_id,
                region,
                filter.access_policy_realm_type,
                filter.access_policy_realm_identifier.as_deref(),
            );
            let found = walk(&list).map(|(seq, id)| (seq, shown(&id)));
            return Ok(page_of(found, limit));
        };
        // Each named policy's own list, if the other policy filters keep it.
        let lists: Vec<_> = named
            .into_iter()
            .filter(|policy| filter.policy_matches(policy))
            .map(|policy| walk(&ListKey::Policy(policy.id)))
            .collect();
        let found = merged_by_seq(lists).map(|(seq, id)| (seq, shown(&id)));
        Ok(page_of(found, limit))
    }

    pub fn update_token(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        id: Uuid,
        changes: TokenChanges,
    ) -> EngineResult<Token> {
        self.token(caller, region, id)?;
        if let Some(display_name) = &changes.display_name {
            validate_display_name(display_name)?;
        }
        let now = self.clock.now();
        let expires_at = changes
            .expires_at
            .map(|change| change.map(truncate_to_millis));
        if let Some(Some(at)) = expires_at {
            refuse_past_expiry(at, now)?;
        }
        let grafana = self.sections.grafana_mut();
        let mut token = grafana.tokens[&id].clone();
        if let Some(display_name) = changes.display_name {
            token.display_name = display_name;
        }
        if let Some(expires_at) = expires_at {
            token.expires_at = expires_at;
        }
        token.updated_at = now;
        let shown = grafana.token_use.applied(&token);
        grafana.replace_token(token);
        log_token(self, id);
        Ok(shown)
    }

    pub fn delete_token(
        &mut self,
        caller: &GrafanaCaller,
        region: &str,
        id: Uuid,
    ) -> EngineResult<()> {
        self.token(caller, region, id)?;
        self.sections.grafana_mut().remove_token(id);
        log_token(self, id);
        Ok(())
    }
}

/// The caller's policies in the region that `accessPolicyId(s)` and
/// `accessPolicyName` name, each once; `None` when neither is given.
fn named_policies<'a>(
    grafana: &'a GrafanaState,
    org_id: OrgId,
    region: &str,
    filter: &TokenFilter,
) -> Option<Vec<&'a AccessPolicy>> {
    let by_name = filter.access_policy_name.as_ref().map(|name| {
        let key = (org_id, region.to_string(), name.clone());
        grafana.policy_names.get(&key).copied()
    });
    let ids: BTreeSet<Uuid> = match (&filter.access_policy_ids, by_name) {
        (None, None) => return None,
        (Some(ids), None) => ids.iter().copied().collect(),
        (None, Some(id)) => id.into_iter().collect(),
        (Some(ids), Some(id)) => id.filter(|id| ids.contains(id)).into_iter().collect(),
    };
    let policies = ids
        .iter()
        .filter_map(|id| grafana.policies.get(id))
        .filter(|p| p.org_id == org_id && p.region == region)
        .collect();
    Some(policies)
}

fn refuse_past_expiry(at: DateTime<Utc>, now: DateTime<Utc>) -> EngineResult<()> {
    if at <= now {
        Err(bad_request(format!(
            "expiresAt {} is in the past; the server time is {}",
            at.to_rfc3339(),
            now.to_rfc3339()
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A use is worth telling the state file when it is the token's first
    /// or the first in another second; the last use is kept either way.
    #[test]
    fn a_use_is_told_once_a_second() {
        let uses = TokenUse::default();
        let id = Uuid::new_v4();
        let at = |ms: i64| {
            "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
                + chrono::Duration::milliseconds(ms)
        };
        assert!(uses.record(id, at(0)), "the first use");
        assert!(!uses.record(id, at(400)), "the same second");
        assert!(!uses.record(id, at(999)), "the same second");
        assert!(uses.record(id, at(1000)), "another second");
        assert!(
            uses.record(Uuid::new_v4(), at(1000)),
            "another token's first"
        );
        let used = uses.lock().get(&id).map(|u| (u.first, u.last));
        assert_eq!(used, Some((at(0), at(1000))));
    }
}
