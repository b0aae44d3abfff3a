//! A world of many access policies and tokens, and the list pages the API
//! serves from it for a query string, through the engine (no HTTP): what
//! `benches/grafana_lists.rs` times.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::extract::{FromQuery, ListQuery};
use super::model::access_policies::{
    AccessPolicyFilter, NewAccessPolicy, PolicyStatus, Realm, RealmType,
};
use super::model::tokens::{NewToken, TokenFilter};
use super::model::{GrafanaCaller, Grants};
use crate::core::clock::Clock;
use crate::core::cursor::Page;
use crate::core::hash::hash;
use crate::core::params::QueryParams;
use crate::core::world::World;
use crate::scenario::{Plan, Scenario, StackSpec};

/// The stack only 1% of the policies name.
pub const RARE_STACK: u64 = 777;

/// Org 1 of the default scenario with `count` more policies in region `us`
/// and one token each, and the worst case of the expiry filters in region
/// `eu` (see [`ListsWorld::worst_case_window`]). Policy `i` (named
/// `policy-i`, its token `token-i`):
/// - realms: 45% the org, 45% stack 123 or 456, 9% the org and stack 456,
///   1% stack [`RARE_STACK`];
/// - status: 5% inactive;
/// - its token: a third never expire, the others expire at an instant
///   drawn evenly from a year before [`ListsWorld::now`] to a year after.
pub struct ListsWorld {
    world: World,
    caller: GrafanaCaller,
    policies: Vec<(Uuid, String)>,
}

/// What a page held: how many items, and the next page's cursor.
pub struct PageShape {
    pub items: usize,
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageShape {
    fn from(page: Page<T>) -> Self {
        PageShape {
            items: page.items.len(),
            next_cursor: page.next.map(|cursor| cursor.encode()),
        }
    }
}

impl ListsWorld {
    pub fn build(count: usize) -> ListsWorld {
        let clock = Clock::default();
        clock.freeze(Some("2026-06-15T12:00:00Z".parse().expect("an instant")));
        let mut scenario = Scenario::default_scenario();
        let org = &mut scenario.grafana.orgs[0];
        org.plan = Plan::Contracted;
        org.stacks.push(StackSpec {
            id: Some(RARE_STACK),
            ..StackSpec::new("rare", "us")
        });
        let mut world = World::from_scenario(&scenario, 1, clock.clone()).expect("it loads");
        let caller = GrafanaCaller {
            org_id: 1,
            actor: "bench".into(),
            grants: Grants::Scopes(crate::vendors::grafana::model::ScopeSet::of(&[])),
            allowed_subnets: None,
        };
        let realm = |realm_type, identifier: &str| Realm {
            realm_type,
            identifier: identifier.to_string(),
            label_policies: Vec::new(),
        };
        let now = clock.now();
        let mut policies = Vec::with_capacity(count);
        for i in 0..count as u64 {
            let realms = match hash(&[i, 1]) % 100 {
                0..45 => vec![realm(RealmType::Org, "1")],
                45..90 if i % 2 == 0 => vec![realm(RealmType::Stack, "123")],
                45..90 => vec![realm(RealmType::Stack, "456")],
                90..99 => vec![realm(RealmType::Org, "1"), realm(RealmType::Stack, "456")],
                _ => vec![realm(RealmType::Stack, &RARE_STACK.to_string())],
            };
            let status = if hash(&[i, 2]) % 100 < 5 {
                PolicyStatus::Inactive
            } else {
                PolicyStatus::Active
            };
            let policy = world
                .create_access_policy(
                    &caller,
                    "us",
                    NewAccessPolicy {
                        name: format!("policy-{i}"),
                        display_name: None,
                        scopes: vec!["metrics:read".into()],
                        realms,
                        conditions: None,
                        attributes: None,
                        status: Some(status),
                    },
                )
                .expect("a valid policy");
            let year = 365 * 24 * 60;
            let expires_at = (!hash(&[i, 3]).is_multiple_of(3)).then(|| {
                now + Duration::minutes((hash(&[i, 4]) % (2 * year)) as i64 - year as i64)
            });
            world
                .create_token(
                    &caller,
                    "us",
                    NewToken {
                        access_policy_id: policy.id,
                        name: format!("token-{i}"),
                        display_name: None,
                        expires_at,
                        // As a scenario's: its expiry may have passed.
                        secret: Some(format!("bench-secret-{i}")),
                    },
                )
                .expect("a valid token");
            policies.push((policy.id, policy.name));
        }
        worst_case_tokens(&mut world, &caller, count);
        ListsWorld {
            world,
            caller,
            policies,
        }
    }

    /// The (frozen) time of the world.
    pub fn now(&self) -> DateTime<Utc> {
        self.world.clock.now()
    }

    /// The window of region `eu`'s tokens (one policy's) whose expiries
    /// are correlated with creation order: the first three quarters expire
    /// on either side of it in turn, the last quarter within it.
    pub fn worst_case_window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let now = self.now();
        (now - Duration::days(2), now + Duration::days(2))
    }

    /// The id and name of policy `i`.
    pub fn policy(&self, i: usize) -> (Uuid, &str) {
        let (id, name) = &self.policies[i];
        (*id, name)
    }

    /// `GET /api/v1/accesspolicies?{query}`'s page, as the handler asks for it.
    pub fn policies_page(&self, query: &str) -> PageShape {
        let query = list_query::<AccessPolicyFilter>(query);
        self.world
            .list_access_policies(
                &self.caller,
                &query.region,
                &query.filter,
                query.cursor,
                query.size,
            )
            .expect("a valid list")
            .into()
    }

    /// `GET /api/v1/tokens?{query}`'s page, as the handler asks for it.
    pub fn tokens_page(&self, query: &str) -> PageShape {
        let query = list_query::<TokenFilter>(query);
        self.world
            .list_tokens(
                &self.caller,
                &query.region,
                &query.filter,
                query.cursor,
                query.size,
            )
            .expect("a valid list")
            .into()
    }
}

fn worst_case_tokens(world: &mut World, caller: &GrafanaCaller, count: usize) {
    let policy = world
        .create_access_policy(
            caller,
            "eu",
            NewAccessPolicy {
                name: "worst-case".into(),
                display_name: None,
                scopes: vec!["metrics:read".into()],
                realms: vec![Realm {
                    realm_type: RealmType::Org,
                    identifier: "1".into(),
                    label_policies: Vec::new(),
                }],
                conditions: None,
                attributes: None,
                status: None,
            },
        )
        .expect("a valid policy");
    let now = world.clock.now();
    for i in 0..count {
        let expires_at = if i < count / 4 * 3 {
            now + Duration::days(if i % 2 == 0 { -30 } else { 30 })
        } else {
            now + Duration::minutes((i % (24 * 60)) as i64 - 12 * 60)
        };
        world
            .create_token(
                caller,
                "eu",
                NewToken {
                    access_policy_id: policy.id,
                    name: format!("worst-case-{i}"),
                    display_name: None,
                    expires_at: Some(expires_at),
                    secret: Some(format!("bench-worst-case-{i}")),
                },
            )
            .expect("a valid token");
    }
}

fn list_query<F: super::extract::FromFilter>(query: &str) -> ListQuery<F> {
    let params = QueryParams::parse(Some(query)).expect("a query string");
    match ListQuery::from_query(params) {
        Ok(query) => query,
        Err(_) => panic!("the API refuses {query:?}"),
    }
}
