//! Grafana: orgs; stacks with their plugins and data sources; access
//! policies and their tokens (never the secrets), filtered and paged as the
//! API does it; billed usage for a month. Read through the Grafana model's
//! own functions (`list_stacks`, `list_access_policies`, `list_tokens`,
//! `billed_usage`), as the handlers do.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;

use super::{Chrome, render};
use crate::admin::{AppState, admin_error};
use crate::core::clock::timestamp;
use crate::core::cursor::Cursor;
use crate::core::world::World;
use crate::vendors::grafana::model::access_policies::{
    AccessPolicyFilter, PolicyStatus, RealmType,
};
use crate::vendors::grafana::model::stacks::{StackChanges, StackFilter};
use crate::vendors::grafana::model::tokens::TokenFilter;
use crate::vendors::grafana::model::{GrafanaCaller, Grants, Org};
use crate::vendors::grafana::usage::billing::BillingMonth;

/// Policies per page, as the API's default `pageSize`.
const PAGE_SIZE: usize = 20;
/// Who the console's changes are made by (`updatedBy`).
const ACTOR: &str = "mockcloud-console";

/// The page's query: every filter is in the URL, so a view is linkable.
#[derive(Debug, Default, Deserialize)]
pub struct GrafanaQuery {
    org: Option<String>,
    region: Option<String>,
    /// `org` or `stack`.
    realm: Option<String>,
    realm_id: Option<String>,
    /// `active` or `inactive`.
    status: Option<String>,
    /// The API's `pageCursor` for the policies.
    page: Option<String>,
    /// `YYYY-MM`: the billed usage's month (the clock's by default).
    month: Option<String>,
}

#[derive(Template)]
#[template(path = "grafana.html")]
struct GrafanaPage {
    chrome: Chrome,
    orgs: Vec<OrgRow>,
    org: Option<OrgRow>,
    regions: Vec<String>,
    region: String,
    realm: String,
    realm_id: String,
    status: String,
    month: String,
    stacks: Vec<StackRow>,
    policies: Vec<PolicyRow>,
    next_page: Option<String>,
    tokens: Vec<TokenRow>,
    billing: Vec<BillingRow>,
    billing_total: String,
    problem: Option<String>,
}

#[derive(Clone)]
struct OrgRow {
    id: u64,
    slug: String,
    name: String,
    plan: String,
    regions: String,
    created_at: String,
}

struct StackRow {
    slug: String,
    name: String,
    status: &'static str,
    region: String,
    url: String,
    delete_protection: bool,
    labels: String,
    plugins: Vec<String>,
    data_sources: Vec<String>,
}

struct PolicyRow {
    id: String,
    name: String,
    display_name: String,
    status: String,
    realms: String,
    scopes: String,
}

struct TokenRow {
    name: String,
    policy: String,
    expires_at: String,
    last_used_at: String,
    created_at: String,
}

struct BillingRow {
    dimension: &'static str,
    unit: &'static str,
    included: u64,
    total_usage: f64,
    overage: u64,
    amount_due: String,
    stacks: String,
}

/// The console reads an org as one of its members would, with every scope.
fn caller(org_id: u64) -> GrafanaCaller {
    GrafanaCaller {
        org_id,
        actor: ACTOR.to_string(),
        grants: Grants::Scopes(crate::vendors::grafana::model::ScopeSet::of(&[])),
        allowed_subnets: None,
    }
}

fn org_row(org: &Org) -> OrgRow {
    OrgRow {
        id: org.id,
        slug: org.slug.clone(),
        name: org.name.clone(),
        plan: format!("{:?}", org.plan).to_lowercase(),
        regions: org.regions.join(", "),
        created_at: timestamp(org.created_at),
    }
}

pub async fn page(State(app): State<AppState>, Query(query): Query<GrafanaQuery>) -> Response {
    let chrome = Chrome::of(&app, "/__admin/ui/grafana");
    let world = app.engine.read();
    let page = build(&world, chrome, query);
    drop(world);
    render(&page)
}

fn build(world: &World, chrome: Chrome, query: GrafanaQuery) -> GrafanaPage {
    let grafana = world.sections.grafana();
    let orgs: Vec<OrgRow> = grafana.orgs.values().map(org_row).collect();
    let org = query
        .org
        .as_deref()
        .filter(|o| !o.is_empty())
        .and_then(|wanted| {
            grafana
                .orgs
                .values()
                .find(|o| o.slug == wanted || o.id.to_string() == wanted)
        })
        .or_else(|| grafana.orgs.values().next());
    let now = world.clock.now();
    let month = query
        .month
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("{:04}-{:02}", now.year(), now.month()));
    let mut page = GrafanaPage {
        chrome,
        orgs,
        org: org.map(org_row),
        regions: org.map(|o| o.regions.clone()).unwrap_or_default(),
        region: String::new(),
        realm: query.realm.clone().unwrap_or_default(),
        realm_id: query.realm_id.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        month: month.clone(),
        stacks: Vec::new(),
        policies: Vec::new(),
        next_page: None,
        tokens: Vec::new(),
        billing: Vec::new(),
        billing_total: String::new(),
        problem: None,
    };
    let Some(org) = org else {
        return page;
    };
    let caller = caller(org.id);
    page.region = query
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| org.regions.first().cloned())
        .unwrap_or_default();

    for stack in world.list_stacks(&caller, &StackFilter::default()) {
        let plugins = world
            .list_plugins(&caller, &stack.slug)
            .unwrap_or_default()
            .into_iter()
            .map(|p| format!("{} {}", p.plugin_slug, p.installation.version))
            .collect();
        let data_sources = crate::vendors::grafana::hosted_grafana::data_source_names(
            &stack,
            grafana.stack_region(&stack),
        )
        .into_iter()
        .map(|(name, kind)| format!("{name} ({kind})"))
        .collect();
        page.stacks.push(StackRow {
            slug: stack.slug.clone(),
            name: stack.name.clone(),
            status: stack.status.as_str(),
            region: stack.region.clone(),
            url: stack.url(),
            delete_protection: stack.delete_protection,
            labels: stack
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            plugins,
            data_sources,
        });
    }

    // Deleted stacks stay for billing; the API no longer lists them.
    let mut deleted: Vec<_> = grafana
        .deleted_stacks
        .iter()
        .filter(|stack| stack.org_id == org.id)
        .collect();
    deleted.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    for stack in deleted {
        page.stacks.push(StackRow {
            slug: stack.slug.clone(),
            name: stack.name.clone(),
            status: "deleted",
            region: stack.region.clone(),
            url: stack.url(),
            delete_protection: stack.delete_protection,
            labels: stack
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            plugins: Vec::new(),
            data_sources: Vec::new(),
        });
    }

    match policies(world, &caller, &page.region, &query) {
        Ok((rows, next, tokens)) => {
            page.policies = rows;
            page.next_page = next;
            page.tokens = tokens;
        }
        Err(problem) => page.problem = Some(problem),
    }

    match billing(world, &caller, org, &month) {
        Ok((rows, total)) => {
            page.billing = rows;
            page.billing_total = total;
        }
        Err(problem) => {
            page.problem.get_or_insert(problem);
        }
    }
    page
}

type PolicyListing = (Vec<PolicyRow>, Option<String>, Vec<TokenRow>);

fn policies(
    world: &World,
    caller: &GrafanaCaller,
    region: &str,
    query: &GrafanaQuery,
) -> Result<PolicyListing, String> {
    let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let realm_type = given(&query.realm)
        .map(|r| RealmType::parse(&r, "realm"))
        .transpose()
        .map_err(|e| e.to_string())?;
    let status = given(&query.status)
        .map(|s| PolicyStatus::parse(&s, "status"))
        .transpose()
        .map_err(|e| e.to_string())?;
    let realm_identifier = given(&query.realm_id);
    let filter = AccessPolicyFilter {
        name: None,
        realm_type,
        realm_identifier: realm_identifier.clone(),
        status,
    };
    let cursor = match given(&query.page) {
        Some(raw) => Cursor::decode(&raw, "page").map_err(|e| e.to_string())?,
        None => Cursor::first_page(),
    };
    let listing = world
        .list_access_policies(caller, region, &filter, cursor, PAGE_SIZE)
        .map_err(|e| e.to_string())?;
    let names: std::collections::HashMap<uuid::Uuid, String> = listing
        .items
        .iter()
        .map(|p| (p.id, p.name.clone()))
        .collect();
    let rows = listing
        .items
        .iter()
        .map(|policy| PolicyRow {
            id: policy.id.to_string(),
            name: policy.name.clone(),
            display_name: policy.display_name.clone(),
            status: format!("{:?}", policy.status).to_lowercase(),
            realms: policy
                .realms
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}",
                        format!("{:?}", r.realm_type).to_lowercase(),
                        r.identifier
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            scopes: policy.scopes.join(" "),
        })
        .collect();
    let mut tokens = Vec::new();
    if !names.is_empty() {
        let token_filter = TokenFilter {
            access_policy_ids: Some(names.keys().copied().collect()),
            ..TokenFilter::default()
        };
        let grafana = world.sections.grafana();
        let listed = world
            .list_tokens(caller, region, &token_filter, Cursor::first_page(), 100)
            .map_err(|e| e.to_string())?;
        for token in listed.items {
            let token = grafana.token_use.applied(&token);
            tokens.push(TokenRow {
                name: token.name.clone(),
                policy: names
                    .get(&token.access_policy_id)
                    .cloned()
                    .unwrap_or_default(),
                expires_at: token
                    .expires_at
                    .map(timestamp)
                    .unwrap_or_else(|| "never".into()),
                last_used_at: token
                    .last_used_at
                    .map(timestamp)
                    .unwrap_or_else(|| "never".into()),
                created_at: timestamp(token.created_at),
            });
        }
    }
    Ok((rows, listing.next.map(|c| c.encode()), tokens))
}

fn billing(
    world: &World,
    caller: &GrafanaCaller,
    org: &Org,
    month: &str,
) -> Result<(Vec<BillingRow>, String), String> {
    let (year, month) = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse().ok()?, m.parse().ok()?)))
        .ok_or_else(|| format!("month {month:?}: give YYYY-MM"))?;
    let month = BillingMonth::new(year, month).map_err(|e| e.to_string())?;
    let bill = world
        .billed_usage(caller, org, month)
        .map_err(|e| e.to_string())?;
    let total: f64 = bill.items.iter().map(|item| item.amount_due).sum();
    let rows = bill
        .items
        .iter()
        .map(|item| BillingRow {
            dimension: item.dimension.name(),
            unit: item.dimension.unit(),
            included: item.rate.included,
            total_usage: item.total_usage,
            overage: item.overage,
            amount_due: format!("{:.2}", item.amount_due),
            stacks: item
                .usages
                .iter()
                .map(|u| format!("{} {}", u.stack_slug, u.total_usage))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Ok((rows, format!("{total:.2}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteProtection {
    delete_protection: bool,
}

/// `POST /__admin/ui/grafana/stacks/{slug}/delete-protection
/// {"deleteProtection": true}`: the Grafana model's `update_stack`, as
/// `POST /api/instances/{slug}` calls it, on the stack's own org.
pub async fn set_delete_protection(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    Json(body): Json<DeleteProtection>,
) -> Response {
    let mut world = app.engine.write();
    let Some(org_id) = world
        .sections
        .grafana()
        .stack_slugs
        .get(&slug)
        .and_then(|id| world.sections.grafana().stacks.get(id))
        .map(|stack| stack.org_id)
    else {
        return admin_error(StatusCode::NOT_FOUND, format!("no stack {slug:?}")).into_response();
    };
    let changes = StackChanges {
        delete_protection: Some(body.delete_protection),
        ..StackChanges::default()
    };
    match world.update_stack(&caller(org_id), &slug, changes) {
        Ok(stack) => Json(serde_json::json!({
            "slug": stack.slug,
            "deleteProtection": stack.delete_protection,
        }))
        .into_response(),
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}
