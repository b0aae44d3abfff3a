//! The lists the access-policy API's list filters are answered from: for
//! each (org, region), its policies and its tokens in creation order, and
//! the same narrowed to a realm type and to one realm; and each policy's
//! tokens. A list sums up each stretch of its members by the statuses (for
//! tokens: the expiries by status) it holds, so a page walks the one list
//! its realm filter names and skips every stretch without a match
//! ([`SeqLists`]); token lists are also kept in expiry order
//! ([`TokenLists`]). The lists are derived: never stored in the state
//! document, rebuilt as objects are restored, changed in the same call as
//! the objects they list ([`super::GrafanaState::insert_policy`] and its
//! siblings).
//!
//! What a page of k costs, with n the list's length (a stretch is a leaf
//! of at most 64 members, a group of at most 64 leaves):
//! - `name` (of a policy or a token): one lookup, names being unique per
//!   (org, region).
//! - `realmType`, `realmIdentifier`, `status` and the token filters on the
//!   policy (`accessPolicyRealmType`, `accessPolicyRealmIdentifier`,
//!   `accessPolicyStatus`), in any combination: exact, the matches only
//!   (a summary of each group from the cursor on, n / 4096 of them, then
//!   at most a group's leaves and a leaf's members a match).
//! - `accessPolicyId(s)`, `accessPolicyName`: those policies' own lists,
//!   merged by seq; the other policy filters are checked once per policy.
//! - `expiresBefore`, `expiresAfter`, `includeExpired=false`, alone or with
//!   any of the above: one bound on the expiry (with or without the tokens
//!   that never expire) is decided exactly by a stretch's earliest and
//!   latest expiry, as above; two bounds (`expiresAfter` and
//!   `expiresBefore`, or `includeExpired=false` and `expiresBefore`) take
//!   the cheaper of the creation order and the expiry order, at most about
//!   sqrt(k n) steps when expiries are spread evenly over creation order,
//!   more when they are correlated with it ([`TokenLists::matching`] says
//!   when).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::access_policies::{AccessPolicy, PolicyStatus, RealmType};
use super::tokens::Token;
use super::{OrgId, RegionKey};
use crate::core::seq_lists::{SeqLists, Step, Summarize};

/// One list of an (org, region)'s policies or tokens, or of a policy's tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKey {
    /// Everything of the org in the region.
    All(OrgId, RegionKey),
    /// Policies (or their tokens) with a realm of this type.
    RealmType(OrgId, RegionKey, RealmType),
    /// Policies (or their tokens) with this realm (type and identifier).
    Realm(OrgId, RegionKey, RealmType, String),
    /// The tokens of one policy.
    Policy(Uuid),
}

impl ListKey {
    /// The lists a policy is in, and its tokens with it (besides
    /// [`ListKey::Policy`]): its region's, and one per realm type and per
    /// realm it names, each once.
    pub fn of_policy(policy: &AccessPolicy) -> Vec<ListKey> {
        let (org, region) = (policy.org_id, &policy.region);
        let mut keys = vec![ListKey::All(org, region.clone())];
        for realm in &policy.realms {
            let by_type = ListKey::RealmType(org, region.clone(), realm.realm_type);
            let by_realm = ListKey::Realm(
                org,
                region.clone(),
                realm.realm_type,
                realm.identifier.clone(),
            );
            for key in [by_type, by_realm] {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// The list a realm filter walks: an identifier counts only with a type.
    pub fn of_realm_filter(
        org: OrgId,
        region: RegionKey,
        realm_type: Option<RealmType>,
        identifier: Option<&str>,
    ) -> ListKey {
        match (realm_type, identifier) {
            (None, _) => ListKey::All(org, region),
            (Some(t), None) => ListKey::RealmType(org, region, t),
            (Some(t), Some(id)) => ListKey::Realm(org, region, t, id.to_string()),
        }
    }
}

/// Index of a status in a summary.
fn slot(status: PolicyStatus) -> usize {
    match status {
        PolicyStatus::Active => 0,
        PolicyStatus::Inactive => 1,
    }
}

/// The statuses a filter wants: one, or both.
fn wanted(status: Option<PolicyStatus>) -> &'static [usize] {
    match status {
        Some(PolicyStatus::Active) => &[0],
        Some(PolicyStatus::Inactive) => &[1],
        None => &[0, 1],
    }
}

/// A policy in a list.
#[derive(Debug, Clone, Copy)]
pub struct PolicyEntry {
    pub id: Uuid,
    pub status: PolicyStatus,
}

/// Which statuses a stretch of policies holds, a bit each.
#[derive(Debug, Clone, Copy)]
pub struct Statuses(u8);

impl Statuses {
    pub fn may_hold(self, status: Option<PolicyStatus>) -> bool {
        wanted(status).iter().any(|&i| self.0 & (1 << i) != 0)
    }
}

impl Summarize for PolicyEntry {
    type Summary = Statuses;

    fn summary(&self) -> Statuses {
        Statuses(1 << slot(self.status))
    }

    fn merge(left: Statuses, right: Statuses) -> Statuses {
        Statuses(left.0 | right.0)
    }
}

/// A token in a list, with its policy's status.
#[derive(Debug, Clone, Copy)]
pub struct TokenEntry {
    pub id: Uuid,
    pub status: PolicyStatus,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The expiries of a stretch of tokens of one status: the earliest and
/// latest, and whether one never expires.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expiries {
    finite: Option<(DateTime<Utc>, DateTime<Utc>)>,
    never: bool,
}

impl Expiries {
    fn of(expires_at: Option<DateTime<Utc>>) -> Self {
        match expires_at {
            Some(at) => Expiries {
                finite: Some((at, at)),
                never: false,
            },
            None => Expiries {
                finite: None,
                never: true,
            },
        }
    }

    fn merge(self, other: Expiries) -> Expiries {
        let finite = match (self.finite, other.finite) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (one, None) | (None, one) => one,
        };
        Expiries {
            finite,
            never: self.never || other.never,
        }
    }
}

/// The expiries of a stretch of tokens, by their policies' status.
#[derive(Debug, Clone, Copy)]
pub struct TokenSummary([Expiries; 2]);

impl TokenSummary {
    /// False only if no token of the stretch has a wanted status and an
    /// expiry in the window.
    pub fn may_hold(&self, status: Option<PolicyStatus>, window: &ExpiryWindow) -> bool {
        wanted(status).iter().any(|&i| window.may_meet(&self.0[i]))
    }
}

impl Summarize for TokenEntry {
    type Summary = TokenSummary;

    fn summary(&self) -> TokenSummary {
        let mut summary = TokenSummary([Expiries::default(); 2]);
        summary.0[slot(self.status)] = Expiries::of(self.expires_at);
        summary
    }

    fn merge(left: TokenSummary, right: TokenSummary) -> TokenSummary {
        TokenSummary([left.0[0].merge(right.0[0]), left.0[1].merge(right.0[1])])
    }
}

/// The expiries the token filters accept: after one instant and before
/// another (both excluded), and never, when neither bound was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub never: bool,
}

impl ExpiryWindow {
    /// Every expiry: no expiry filter.
    pub const ANY: ExpiryWindow = ExpiryWindow {
        after: None,
        before: None,
        never: true,
    };

    /// `expiresBefore`, `expiresAfter` and `includeExpired=false` (at `now`)
    /// as one window.
    pub fn of(
        expires_before: Option<DateTime<Utc>>,
        expires_after: Option<DateTime<Utc>>,
        hide_expired: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let unexpired = hide_expired.then_some(now);
        ExpiryWindow {
            after: expires_after.max(unexpired),
            before: expires_before,
            never: expires_before.is_none() && expires_after.is_none(),
        }
    }

    pub fn contains(&self, expires_at: Option<DateTime<Utc>>) -> bool {
        match expires_at {
            None => self.never,
            Some(at) => {
                self.after.is_none_or(|after| at > after)
                    && self.before.is_none_or(|before| at < before)
            }
        }
    }

    fn may_meet(&self, expiries: &Expiries) -> bool {
        (self.never && expiries.never)
            || expiries.finite.is_some_and(|(earliest, latest)| {
                self.after.is_none_or(|after| latest > after)
                    && self.before.is_none_or(|before| earliest < before)
            })
    }
}

/// The tokens of a list in expiry order with an expiry in the window.
fn in_window(
    order: &ExpiryOrder,
    window: ExpiryWindow,
) -> impl Iterator<Item = (&(Expiry, u64), &(Uuid, PolicyStatus))> {
    let empty = window
        .after
        .zip(window.before)
        .is_some_and(|(after, before)| after >= before);
    let start = match window.after {
        Some(after) => Bound::Excluded((Expiry::At(after), u64::MAX)),
        None => Bound::Unbounded,
    };
    let end = match (window.before, window.never) {
        (Some(before), _) => Bound::Excluded((Expiry::At(before), 0)),
        (None, true) => Bound::Unbounded,
        (None, false) => Bound::Excluded((Expiry::Never, 0)),
    };
    (!empty)
        .then(|| order.range((start, end)))
        .into_iter()
        .flatten()
}

/// The policy's member in each of its lists.
pub(super) fn list_policy(lists: &mut SeqLists<ListKey, PolicyEntry>, policy: &AccessPolicy) {
    let entry = PolicyEntry {
        id: policy.id,
        status: policy.status,
    };
    for key in ListKey::of_policy(policy) {
        lists.insert(key, policy.seq, entry);
    }
}

pub(super) fn unlist_policy(lists: &mut SeqLists<ListKey, PolicyEntry>, policy: &AccessPolicy) {
    for key in ListKey::of_policy(policy) {
        lists.remove(&key, policy.seq);
    }
}

/// The lists a token of `policy` is in.
fn token_keys(policy: &AccessPolicy) -> Vec<ListKey> {
    let mut keys = ListKey::of_policy(policy);
    keys.push(ListKey::Policy(policy.id));
    keys
}

/// When a token expires, in the order of the expiry filters: never last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expiry {
    At(DateTime<Utc>),
    Never,
}

impl Expiry {
    fn of(expires_at: Option<DateTime<Utc>>) -> Self {
        expires_at.map_or(Expiry::Never, Expiry::At)
    }
}

/// A token list in expiry order: (expiry, seq) → (id, policy status).
/// Kept for lists of [`EXPIRY_ORDER_FROM`] tokens or more (until they
/// shrink to half of that): a shorter list is walked whole at less cost
/// than the order would take in memory (one policy's tokens, mostly).
type ExpiryOrder = BTreeMap<(Expiry, u64), (Uuid, PolicyStatus)>;

const EXPIRY_ORDER_FROM: usize = if cfg!(test) { 4 } else { 256 };

/// The token lists, each in creation order ([`SeqLists`], with the
/// expiries by status of each stretch) and in expiry order: a page with
/// an expiry filter is drawn from whichever order finds it first (see
/// [`TokenLists::matching`]).
#[derive(Default)]
pub struct TokenLists {
    by_seq: SeqLists<ListKey, TokenEntry>,
    by_expiry: HashMap<ListKey, ExpiryOrder>,
}

/// Sizes only, like [`SeqLists`]'s.
impl std::fmt::Debug for TokenLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenLists")
            .field("by_seq", &self.by_seq)
            .field("by_expiry", &self.by_expiry.len())
            .finish()
    }
}

impl TokenLists {
    /// The token (as it is now) in each list of its policy (as it is now).
    pub(super) fn add(&mut self, token: &Token, policy: &AccessPolicy) {
        let entry = TokenEntry {
            id: token.id,
            status: policy.status,
            expires_at: token.expires_at,
        };
        let expiry = Expiry::of(token.expires_at);
        for key in token_keys(policy) {
            self.by_seq.insert(key.clone(), token.seq, entry);
            match self.by_expiry.get_mut(&key) {
                Some(order) => {
                    order.insert((expiry, token.seq), (entry.id, entry.status));
                }
                None if self.by_seq.len(&key) >= EXPIRY_ORDER_FROM => {
                    let order = self
                        .by_seq
                        .matching(&key, 0, |_| true, |_| true)
                        .map(|(seq, e)| ((Expiry::of(e.expires_at), seq), (e.id, e.status)))
                        .collect();
                    self.by_expiry.insert(key, order);
                }
                None => {}
            }
        }
    }

    /// Takes the token (as it was added) out of the lists of its policy (as
    /// it was then).
    pub(super) fn remove(&mut self, token: &Token, policy: &AccessPolicy) {
        let expiry = Expiry::of(token.expires_at);
        for key in token_keys(policy) {
            self.by_seq.remove(&key, token.seq);
            if let Some(order) = self.by_expiry.get_mut(&key) {
                order.remove(&(expiry, token.seq));
                if self.by_seq.len(&key) < EXPIRY_ORDER_FROM / 2 {
                    self.by_expiry.remove(&key);
                }
            }
        }
    }

    /// The ids of a policy's tokens, in creation order.
    pub(super) fn of_policy(&self, policy_id: Uuid) -> Vec<Uuid> {
        self.by_seq
            .matching(&ListKey::Policy(policy_id), 0, |_| true, |_| true)
            .map(|(_, entry)| entry.id)
            .collect()
    }

    /// The first `wanted` tokens of the list `key` from `from_seq` on, in
    /// seq order, with the status (if any) and an expiry in the window.
    ///
    /// Two walks take turns, a few thousand steps each, until one is done:
    /// along the creation order from `from_seq`, skipping the stretches
    /// whose statuses and expiries rule them out, until `wanted` are found;
    /// and along the expiry order through the window, keeping the first
    /// `wanted` by seq. So a page costs at most twice the cheaper walk:
    /// with n tokens in the list, m in the window and k wanted, the first
    /// costs about k n / m steps when the matches are spread evenly (and
    /// only the stretches holding matches for a status or a single bound,
    /// which the summaries decide exactly), the second m: at most about
    /// sqrt(k n) (from sqrt(k n) <= either). The worst case is a window of
    /// many tokens created late, after many tokens that expire on both
    /// sides of it: both walks are long. Without an expiry filter, or for
    /// a list too short to keep in expiry order, only the first walks.
    pub fn matching(
        &self,
        key: &ListKey,
        from_seq: u64,
        status: Option<PolicyStatus>,
        window: ExpiryWindow,
        wanted: usize,
    ) -> Vec<(u64, Uuid)> {
        /// Steps of the creation-order walk a turn, and of the expiry
        /// order's (a step of which costs more); short in tests, so that
        /// their small lists take turns too.
        const WALK_TURN: usize = if cfg!(test) { 5 } else { 4096 };
        const WINDOW_TURN: usize = if cfg!(test) { 2 } else { 1024 };
        let matches = |entry: &TokenEntry| {
            status.is_none_or(|s| s == entry.status) && window.contains(entry.expires_at)
        };
        let mut walk = self.by_seq.matching(
            key,
            from_seq,
            |summary| summary.may_hold(status, &window),
            matches,
        );
        let order = self.by_expiry.get(key);
        let Some(order) = order.filter(|_| window != ExpiryWindow::ANY) else {
            // No expiry filter, or a short list: the creation order alone.
            return walk.take(wanted).map(|(seq, e)| (seq, e.id)).collect();
        };
        let mut walked = Vec::new();
        let mut in_window = in_window(order, window);
        let mut windowed = Vec::new();
        loop {
            let mut steps = WALK_TURN;
            while walked.len() < wanted {
                match walk.next_within(&mut steps) {
                    Step::Found((seq, entry)) => walked.push((seq, entry.id)),
                    Step::Paused => break,
                    Step::Done => return walked,
                }
            }
            if walked.len() == wanted {
                return walked;
            }
            for _ in 0..WINDOW_TURN {
                let Some(((_, seq), (id, token_status))) = in_window.next() else {
                    if windowed.len() > wanted {
                        windowed.select_nth_unstable_by_key(wanted, |(seq, _)| *seq);
                        windowed.truncate(wanted);
                    }
                    windowed.sort_unstable_by_key(|(seq, _)| *seq);
                    return windowed;
                };
                // In the window by the range read.
                if *seq >= from_seq && status.is_none_or(|s| s == *token_status) {
                    windowed.push((*seq, *id));
                }
            }
        }
    }

    /// How many lists are not empty, in each order.
    #[cfg(test)]
    pub fn list_counts(&self) -> (usize, usize) {
        (self.by_seq.list_count(), self.by_expiry.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn a_window_is_what_the_three_filters_say() {
        let now = at("2026-01-01T00:00:00Z");
        let (before, after) = (at("2026-02-01T00:00:00Z"), at("2025-12-01T00:00:00Z"));
        let cases = [
            (None, None, false),
            (Some(before), None, false),
            (None, Some(after), false),
            (None, None, true),
            (Some(before), Some(after), true),
            (None, Some(after), true),
        ];
        let expiries = [
            None,
            Some(at("2025-11-01T00:00:00Z")),
            Some(after),
            Some(at("2025-12-15T00:00:00Z")),
            Some(now),
            Some(at("2026-01-15T00:00:00Z")),
            Some(before),
            Some(at("2026-03-01T00:00:00Z")),
        ];
        for (b, a, hide) in cases {
            let window = ExpiryWindow::of(b, a, hide, now);
            for e in expiries {
                let expected = b.is_none_or(|t| e.is_some_and(|e| e < t))
                    && a.is_none_or(|t| e.is_some_and(|e| e > t))
                    && (!hide || e.is_none_or(|e| e > now));
                assert_eq!(window.contains(e), expected, "{window:?} {e:?}");
                // A stretch of one token is ruled out exactly when it does not match.
                assert_eq!(window.may_meet(&Expiries::of(e)), expected);
            }
        }
    }

    #[test]
    fn a_policy_is_listed_once_per_realm_type_and_realm() {
        use super::super::access_policies::Realm;
        let realm = |realm_type, identifier: &str| Realm {
            realm_type,
            identifier: identifier.to_string(),
            label_policies: Vec::new(),
        };
        let now = at("2026-01-01T00:00:00Z");
        let policy = AccessPolicy {
            id: Uuid::nil(),
            seq: 1,
            org_id: 1,
            region: "us".into(),
            name: "p".into(),
            display_name: "p".into(),
            scopes: vec!["metrics:read".into()],
            realms: vec![
                realm(RealmType::Stack, "5"),
                realm(RealmType::Stack, "5"),
                realm(RealmType::Stack, "6"),
                realm(RealmType::Org, "1"),
            ],
            allowed_subnets: None,
            attributes: None,
            status: PolicyStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let us = || "us".to_string();
        assert_eq!(
            ListKey::of_policy(&policy),
            vec![
                ListKey::All(1, us()),
                ListKey::RealmType(1, us(), RealmType::Stack),
                ListKey::Realm(1, us(), RealmType::Stack, "5".into()),
                ListKey::Realm(1, us(), RealmType::Stack, "6".into()),
                ListKey::RealmType(1, us(), RealmType::Org),
                ListKey::Realm(1, us(), RealmType::Org, "1".into()),
            ]
        );
    }
}
