//! The list filters against a naive scan: after random creates, updates,
//! deletes, clock moves and restores from the state document, every filter
//! combination answers exactly what scanning the collection answered
//! before the lists existed (items, fields and cursors), and walking the
//! pages returns every match once.

use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::access_policies::{
    AccessPolicy, AccessPolicyChanges, AccessPolicyFilter, AttributesChange, ConditionsChange,
    NewAccessPolicy, PolicyStatus, Realm, RealmType,
};
use super::tokens::{NewToken, Token, TokenChanges, TokenFilter};
use super::{GrafanaCaller, Grants, OrgId};
use crate::core::clock::Clock;
use crate::core::cursor::{Cursor, Page, page_of};
use crate::core::world::World;
use crate::scenario::{OrgSpec, Scenario, StackSpec};
use crate::snapshot::Snapshot;

const REGIONS: [&str; 2] = ["us", "eu"];
/// Names drawn from a pool, so that some creates collide.
fn name(rng: &mut ChaCha8Rng) -> String {
    format!("n{}", rng.gen_range(0..60))
}
/// The realms each org may name (its own id, its stacks), and some it may not.
const IDENTIFIERS: [&str; 6] = ["1", "2", "123", "456", "789", "999"];

/// Org 1 of the default scenario (stacks 123 and 456) and org 2 (stack 789).
fn world(clock: &Clock) -> World {
    let mut scenario = Scenario::default_scenario();
    let mut other = OrgSpec::new(2, "other", "Other");
    other.stacks.push(StackSpec {
        id: Some(789),
        ..StackSpec::new("otherstack", "us")
    });
    scenario.grafana.orgs.push(other);
    World::from_scenario(&scenario, 3, clock.clone()).expect("the scenario loads")
}

fn caller(org_id: OrgId) -> GrafanaCaller {
    GrafanaCaller {
        org_id,
        actor: "test".into(),
        grants: Grants::Scopes(crate::vendors::grafana::model::ScopeSet::of(&[])),
        allowed_subnets: None,
    }
}

fn realms(rng: &mut ChaCha8Rng, org_id: OrgId) -> Vec<Realm> {
    let mut choices = vec![(RealmType::Org, org_id.to_string())];
    let stacks: &[&str] = if org_id == 1 {
        &["123", "456"]
    } else {
        &["789"]
    };
    choices.extend(stacks.iter().map(|s| (RealmType::Stack, s.to_string())));
    (0..rng.gen_range(1..=3))
        .map(|_| {
            let (realm_type, identifier) = choices.choose(rng).unwrap().clone();
            Realm {
                realm_type,
                identifier,
                label_policies: Vec::new(),
            }
        })
        .collect()
}

fn status(rng: &mut ChaCha8Rng) -> PolicyStatus {
    *[PolicyStatus::Active, PolicyStatus::Inactive]
        .choose(rng)
        .unwrap()
}

fn some<T>(rng: &mut ChaCha8Rng, p: f64, value: impl FnOnce(&mut ChaCha8Rng) -> T) -> Option<T> {
    rng.gen_bool(p).then(|| value(rng))
}

/// An instant a few days around `now`.
fn near(rng: &mut ChaCha8Rng, now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::hours(rng.gen_range(-24 * 10..24 * 10))
}

fn any_policy(world: &World, rng: &mut ChaCha8Rng) -> Option<AccessPolicy> {
    let mut all: Vec<&AccessPolicy> = world.sections.grafana().policies.values().collect();
    all.sort_by_key(|p| p.seq);
    all.choose(rng).map(|p| (*p).clone())
}

fn any_token(world: &World, rng: &mut ChaCha8Rng) -> Option<Token> {
    let mut all: Vec<&Token> = world.sections.grafana().tokens.values().collect();
    all.sort_by_key(|t| t.seq);
    all.choose(rng).map(|t| (*t).clone())
}

/// One random change; refused ones (a name taken, a past expiry) change
/// nothing, as through the API.
fn change(world: &mut World, rng: &mut ChaCha8Rng, clock: &Clock) {
    let now = clock.now();
    match rng.gen_range(0..100) {
        0..30 => {
            let org_id = rng.gen_range(1..=2);
            let new = NewAccessPolicy {
                name: name(rng),
                display_name: None,
                scopes: vec!["metrics:read".into()],
                realms: realms(rng, org_id),
                conditions: None,
                attributes: None,
                status: some(rng, 0.7, status),
            };
            let region = REGIONS.choose(rng).unwrap();
            let _ = world.create_access_policy(&caller(org_id), region, new);
        }
        30..45 => {
            let Some(policy) = any_policy(world, rng) else {
                return;
            };
            let changes = AccessPolicyChanges {
                display_name: None,
                scopes: policy.scopes.clone(),
                realms: if rng.gen_bool(0.5) {
                    realms(rng, policy.org_id)
                } else {
                    policy.realms.clone()
                },
                conditions: ConditionsChange::Keep,
                attributes: AttributesChange::Keep,
                status: some(rng, 0.7, status),
            };
            world
                .update_access_policy(&caller(policy.org_id), &policy.region, policy.id, changes)
                .expect("a valid update");
        }
        45..50 => {
            if let Some(policy) = any_policy(world, rng) {
                world
                    .delete_access_policy(&caller(policy.org_id), &policy.region, policy.id)
                    .expect("a stored policy");
            }
        }
        50..80 => {
            let Some(policy) = any_policy(world, rng) else {
                return;
            };
            // A scenario's token (with its secret) may have expired already.
            let secret = some(rng, 0.5, |rng| format!("secret-{}", rng.r#gen::<u64>()));
            let new = NewToken {
                access_policy_id: policy.id,
                name: name(rng),
                display_name: None,
                expires_at: some(rng, 0.7, |rng| near(rng, now)),
                secret,
            };
            let _ = world.create_token(&caller(policy.org_id), &policy.region, new);
        }
        80..90 => {
            let Some(token) = any_token(world, rng) else {
                return;
            };
            let changes = TokenChanges {
                display_name: some(rng, 0.3, |_| "renamed".to_string()),
                expires_at: some(rng, 0.7, |rng| some(rng, 0.7, |rng| near(rng, now))),
            };
            let _ = world.update_token(&caller(token.org_id), &token.region, token.id, changes);
        }
        90..95 => {
            if let Some(token) = any_token(world, rng) {
                world
                    .delete_token(&caller(token.org_id), &token.region, token.id)
                    .expect("a stored token");
            }
        }
        _ => clock.advance(Duration::hours(rng.gen_range(1..48))),
    }
}

fn realm_filter(rng: &mut ChaCha8Rng) -> (Option<RealmType>, Option<String>) {
    let realm_type = some(rng, 0.6, |rng| {
        *[RealmType::Org, RealmType::Stack].choose(rng).unwrap()
    });
    // The API wants a type with an identifier; the engine ignores a lone one.
    let identifier = some(rng, 0.5, |rng| IDENTIFIERS.choose(rng).unwrap().to_string());
    (realm_type, identifier)
}

fn policy_filter(rng: &mut ChaCha8Rng) -> AccessPolicyFilter {
    let (realm_type, realm_identifier) = realm_filter(rng);
    AccessPolicyFilter {
        name: some(rng, 0.15, name),
        realm_type,
        realm_identifier,
        status: some(rng, 0.5, status),
    }
}

fn token_filter(world: &World, rng: &mut ChaCha8Rng, now: DateTime<Utc>) -> TokenFilter {
    let (realm_type, realm_identifier) = realm_filter(rng);
    let access_policy_ids = some(rng, 0.25, |rng| {
        let mut ids: Vec<Uuid> = (0..rng.gen_range(1..=3))
            .filter_map(|_| any_policy(world, rng).map(|p| p.id))
            .collect();
        if rng.gen_bool(0.3) {
            ids.push(Uuid::from_u128(rng.r#gen()));
        }
        if let Some(&first) = ids.first().filter(|_| rng.gen_bool(0.3)) {
            ids.push(first);
        }
        ids
    });
    TokenFilter {
        access_policy_ids,
        access_policy_name: some(rng, 0.15, name),
        access_policy_realm_type: realm_type,
        access_policy_realm_identifier: realm_identifier,
        access_policy_status: some(rng, 0.4, status),
        name: some(rng, 0.1, name),
        expires_before: some(rng, 0.3, |rng| near(rng, now)),
        expires_after: some(rng, 0.3, |rng| near(rng, now)),
        include_expired: some(rng, 0.4, |rng| rng.gen_bool(0.5)),
    }
}

/// `list_access_policies` as it was: a scan of the region's policies.
fn scanned_policies(
    world: &World,
    org_id: OrgId,
    region: &str,
    filter: &AccessPolicyFilter,
    cursor: Cursor,
    limit: usize,
) -> Page<AccessPolicy> {
    let mut all: Vec<&AccessPolicy> = world
        .sections
        .grafana()
        .policies
        .values()
        .filter(|p| p.org_id == org_id && p.region == region)
        .collect();
    all.sort_by_key(|p| p.seq);
    if let Some(name) = &filter.name {
        let found = all
            .iter()
            .find(|p| p.name == *name)
            .filter(|p| filter.matches(p) && p.seq >= cursor.start_seq());
        return Page {
            items: found.map(|p| (*p).clone()).into_iter().collect(),
            next: None,
        };
    }
    let matches = all
        .into_iter()
        .filter(|p| p.seq >= cursor.start_seq() && filter.matches(p))
        .map(|p| (p.seq, p.clone()));
    page_of(matches, limit)
}

/// `list_tokens` as it was: a scan of the region's tokens.
fn scanned_tokens(
    world: &World,
    org_id: OrgId,
    region: &str,
    filter: &TokenFilter,
    cursor: Cursor,
    limit: usize,
) -> Page<Token> {
    let grafana = world.sections.grafana();
    let now = world.clock.now();
    let mut all: Vec<&Token> = grafana
        .tokens
        .values()
        .filter(|t| t.org_id == org_id && t.region == region)
        .collect();
    all.sort_by_key(|t| t.seq);
    let keep = |t: &&Token| {
        t.seq >= cursor.start_seq()
            && filter.matches(t, grafana.policies.get(&t.access_policy_id), now)
    };
    if let Some(name) = &filter.name {
        let found = all.iter().find(|t| t.name == *name).filter(|t| keep(t));
        return Page {
            items: found
                .map(|t| grafana.token_use.applied(t))
                .into_iter()
                .collect(),
            next: None,
        };
    }
    let matches = all
        .into_iter()
        .filter(keep)
        .map(|t| (t.seq, grafana.token_use.applied(t)));
    page_of(matches, limit)
}

/// Pages of `listed` and of `scanned` from the same cursors are the same,
/// field for field; the walk returns each match once. Also from a cursor
/// in the middle.
fn same_pages<T: std::fmt::Debug>(
    rng: &mut ChaCha8Rng,
    what: &str,
    listed: impl Fn(Cursor, usize) -> Page<T>,
    scanned: impl Fn(Cursor, usize) -> Page<T>,
) {
    let limit = *[1, 2, 3, 7, 500].choose(rng).unwrap();
    let starts = [Cursor::first_page(), Cursor::after(rng.gen_range(0..400))];
    for start in starts {
        let mut cursor = start;
        let mut walked = 0;
        loop {
            let (got, want) = (listed(cursor, limit), scanned(cursor, limit));
            assert_eq!(
                format!("{:?}", got.items),
                format!("{:?}", want.items),
                "{what}, page after {cursor:?} of {limit}"
            );
            assert_eq!(got.next, want.next, "{what}, next after {cursor:?}");
            walked += got.items.len();
            assert!(walked <= 1000, "{what}: the walk does not end");
            match got.next {
                Some(next) => cursor = next,
                None => break,
            }
        }
    }
}

fn check_lists(world: &World, rng: &mut ChaCha8Rng) {
    let now = world.clock.now();
    for _ in 0..40 {
        let org_id = rng.gen_range(1..=2);
        let region = *REGIONS.choose(rng).unwrap();
        let filter = policy_filter(rng);
        same_pages(
            rng,
            &format!("policies of org {org_id} in {region}, {filter:?}"),
            |cursor, limit| {
                world
                    .list_access_policies(&caller(org_id), region, &filter, cursor, limit)
                    .expect("a listed region")
            },
            |cursor, limit| scanned_policies(world, org_id, region, &filter, cursor, limit),
        );
        let filter = token_filter(world, rng, now);
        same_pages(
            rng,
            &format!("tokens of org {org_id} in {region}, {filter:?}"),
            |cursor, limit| {
                world
                    .list_tokens(&caller(org_id), region, &filter, cursor, limit)
                    .expect("a listed region")
            },
            |cursor, limit| scanned_tokens(world, org_id, region, &filter, cursor, limit),
        );
    }
}

#[test]
fn every_filter_answers_what_a_scan_answers_after_random_changes() {
    let clock = Clock::default();
    clock.freeze(Some("2026-01-01T00:00:00Z".parse().unwrap()));
    for seed in 0..4 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut world = world(&clock);
        for step in 1..=1500 {
            change(&mut world, &mut rng, &clock);
            if step % 100 == 0 {
                check_lists(&world, &mut rng);
            }
            // The lists are rebuilt from the state document, which they
            // are no part of.
            if step % 500 == 0 {
                let before = serde_json::to_string(&Snapshot::of(&world)).unwrap();
                let snapshot = crate::snapshot::parse(before.as_bytes()).expect("a state document");
                world = World::from_snapshot(snapshot, clock.clone()).expect("it restores");
                let after = serde_json::to_string(&Snapshot::of(&world)).unwrap();
                assert_eq!(before, after);
                check_lists(&world, &mut rng);
            }
        }
    }
}

/// Deleting everything leaves no list behind.
#[test]
fn lists_empty_with_their_collections() {
    let clock = Clock::default();
    clock.freeze(Some("2026-01-01T00:00:00Z".parse().unwrap()));
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut world = world(&clock);
    for _ in 0..300 {
        change(&mut world, &mut rng, &clock);
    }
    let grafana = world.sections.grafana();
    assert!(grafana.token_lists.list_counts().0 > 0);
    let mut policies: Vec<AccessPolicy> = grafana.policies.values().cloned().collect();
    policies.sort_by_key(|p| p.seq);
    for policy in policies {
        world
            .delete_access_policy(&caller(policy.org_id), &policy.region, policy.id)
            .unwrap();
    }
    let grafana = world.sections.grafana();
    assert_eq!(grafana.policy_lists.list_count(), 0);
    assert_eq!(grafana.token_lists.list_counts(), (0, 0));
    assert!(grafana.tokens.is_empty() && grafana.token_names.is_empty());
}
