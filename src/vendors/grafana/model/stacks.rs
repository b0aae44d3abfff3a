//! Grafana Cloud stacks: slugs unique across all orgs, plan caps, labels,
//! delete protection, and lookup by slug or numeric id.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{GrafanaCaller, GrafanaState, OrgId, Region, RegionKey};
use crate::core::cursor::Cursor;
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::world::World;
use crate::vendors::grafana::scenario::Plan;
use crate::vendors::grafana::snapshot::log_stack;

pub type StackId = u64;

/// The region a stack goes to when the request names none.
pub const DEFAULT_REGION: &str = "us";
const MAX_LABELS: usize = 10;
const MAX_SLUG_LEN: usize = 29;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StackStatus {
    #[default]
    Active,
    Deleted,
}

impl StackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StackStatus::Active => "active",
            StackStatus::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub id: StackId,
    pub org_id: OrgId,
    pub name: String,
    pub slug: String,
    /// A custom domain, when the client gave one.
    pub custom_url: Option<String>,
    pub region: RegionKey,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub delete_protection: bool,
    /// Not in a snapshot: implied by the list the stack is in.
    #[serde(skip)]
    pub status: StackStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: String,
    pub billing_start_date: DateTime<Utc>,
    pub billing_end_date: Option<DateTime<Utc>>,
}

impl Stack {
    /// `https://<slug>.grafana.net`, or the custom domain.
    pub fn url(&self) -> String {
        self.custom_url
            .clone()
            .unwrap_or_else(|| format!("https://{}.grafana.net", self.slug))
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewStack {
    /// Scenario stacks may bring their id; API ones get the next number.
    pub id: Option<StackId>,
    pub name: String,
    pub slug: String,
    pub url: Option<String>,
    pub region: Option<String>,
    pub description: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub delete_protection: bool,
    /// Scenario stacks may start in the past (for billing); API ones start now.
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct StackChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces every label: an omitted label is removed, `{}` removes all.
    pub labels: Option<BTreeMap<String, String>>,
    pub delete_protection: Option<bool>,
}

/// Filters of `GET /api/instances` and `GET /api/orgs/{org}/instances`:
/// each list given keeps the stacks whose field is one of its values.
#[derive(Debug, Clone, Default)]
pub struct StackFilter {
    pub names: Option<Vec<String>>,
    pub slugs: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub ids: Option<Vec<StackId>>,
    pub status: Option<String>,
    /// All must hold.
    pub labels: Vec<LabelSelector>,
}

impl StackFilter {
    fn matches(&self, stack: &Stack) -> bool {
        let one_of = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref().is_none_or(|l| l.iter().any(|v| v == value))
        };
        one_of(&self.names, &stack.name)
            && one_of(&self.slugs, &stack.slug)
            && one_of(&self.regions, &stack.region)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&stack.id))
            && self
                .status
                .as_ref()
                .is_none_or(|s| s == stack.status.as_str())
            && self.labels.iter().all(|selector| selector.matches(stack))
    }
}

/// One term of the `labels` filter: `key=value` (or `key:value`, as the
/// documentation writes labels) or `key!=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector {
    pub key: String,
    pub value: String,
    pub equal: bool,
}

impl LabelSelector {
    pub fn parse(raw: &str) -> EngineResult<Self> {
        let (key, value, equal) = if let Some((k, v)) = raw.split_once("!=") {
            (k, v, false)
        } else if let Some((k, v)) = raw.split_once('=').or_else(|| raw.split_once(':')) {
            (k, v, true)
        } else {
            ("", "", true)
        };
        let allowed = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-/".contains(c))
        };
        if !allowed(key) || !allowed(value) {
            return Err(bad_request(format!(
                "labels: {raw:?} is not a label selector; write key=value, key:value or \
                 key!=value (letters, digits, '.', '-', '/'), several separated by commas"
            )));
        }
        Ok(LabelSelector {
            key: key.to_string(),
            value: value.to_string(),
            equal,
        })
    }

    fn matches(&self, stack: &Stack) -> bool {
        let has = stack.labels.get(&self.key) == Some(&self.value);
        has == self.equal
    }
}

/// The orders `GET /api/instances` offers. Grafana's other `orderBy`
/// values sort on counters that are the same for every mockcloud stack,
/// so they order by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StackOrder {
    #[default]
    Name,
    Id,
    CreatedAt,
}

/// How a stack listing is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackPaging {
    /// Page `page` (from 1) of `size` stacks.
    Pages { page: usize, size: usize },
    /// Up to `size` stacks after the stack id `after` in the walk's
    /// direction (ids ascending or descending); the first page starts
    /// after 0. Only in id order.
    Cursor { after: Cursor, size: usize },
}

/// One page of a stack listing.
#[derive(Debug)]
pub struct StackListing {
    pub items: Vec<Stack>,
    /// Stacks matching the filter, on every page.
    pub total: usize,
    /// The page shown, from 1 (for a cursor, where it falls).
    pub page: usize,
    /// Whether stacks follow this page.
    pub more: bool,
    /// Where a cursor walk continues: after the last stack shown.
    pub next: Option<Cursor>,
}

fn validate_slug(slug: &str) -> EngineResult<()> {
    let ok = (1..=MAX_SLUG_LEN).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(bad_request(format!(
            "slug {slug:?} is invalid: it must be 1-{MAX_SLUG_LEN} lowercase letters and digits, \
             starting with a letter"
        )))
    }
}

fn validate_stack_name(name: &str) -> EngineResult<()> {
    if name.trim().is_empty() || name.len() > 255 {
        return Err(bad_request(
            "name is required and must be at most 255 characters",
        ));
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return Err(bad_request(format!(
            "name {name:?} is invalid: this API accepts lowercase characters only"
        )));
    }
    Ok(())
}

fn validate_url(url: &str) -> EngineResult<()> {
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or("");
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad_request(format!(
            "url {url:?} is not a valid custom domain URL (e.g. https://grafana.example.com)"
        )))
    }
}

pub fn validate_labels(labels: &BTreeMap<String, String>) -> EngineResult<()> {
    if labels.len() > MAX_LABELS {
        return Err(bad_request(format!(
            "labels: at most {MAX_LABELS} labels are allowed, got {}",
            labels.len()
        )));
    }
    let allowed = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-/".contains(c))
    };
    for (key, value) in labels {
        if !allowed(key) || !allowed(value) {
            return Err(bad_request(format!(
                "labels: {key:?}: {value:?} is invalid: keys and values must be non-empty and \
                 contain only letters, digits, '.', '-' or '/'"
            )));
        }
    }
    Ok(())
}

impl GrafanaState {
    /// A live stack of `org_id` by slug or numeric id; 404 otherwise
    /// (another org's stack included).
    pub fn org_stack(&self, org_id: OrgId, slug_or_id: &str) -> EngineResult<&Stack> {
        let id = match slug_or_id.parse::<StackId>() {
            Ok(id) => Some(id),
            Err(_) => self.stack_slugs.get(slug_or_id).copied(),
        };
        id.and_then(|id| self.stacks.get(&id))
            .filter(|stack| stack.org_id == org_id)
            .ok_or_else(|| EngineError::NotFound(format!("Cloud Stack {slug_or_id:?} not found")))
    }

    /// The region a stack runs in (always one of the scenario's).
    pub fn stack_region(&self, stack: &Stack) -> &Region {
        self.regions
            .get(&stack.region)
            .expect("stacks are only created in known regions")
    }

    fn stack_cap(&self, org_id: OrgId) -> Option<(Plan, u32)> {
        let org = self.orgs.get(&org_id)?;
        let cap = match org.plan {
            Plan::Free => 1,
            Plan::Pro => 3,
            Plan::Contracted => org.stack_limit,
        };
        Some((org.plan, cap))
    }
}

impl World {
    pub fn create_stack(&mut self, caller: &GrafanaCaller, new: NewStack) -> EngineResult<Stack> {
        let org_id = caller.org_id;
        validate_stack_name(&new.name)?;
        validate_slug(&new.slug)?;
        if let Some(url) = &new.url {
            validate_url(url)?;
        }
        validate_labels(&new.labels)?;
        let region_slug = new.region.as_deref().unwrap_or(DEFAULT_REGION);
        if !self.sections.grafana().regions.contains_key(region_slug) {
            return Err(bad_request(format!(
                "region {region_slug:?} does not exist; GET /api/stack-regions lists the regions"
            )));
        }
        let region = self.sections.grafana().org_region(org_id, region_slug)?;
        if self.sections.grafana().stack_slugs.contains_key(&new.slug) {
            return Err(EngineError::Conflict(format!(
                "a stack with slug {:?} already exists: slugs are unique across Grafana Cloud",
                new.slug
            )));
        }
        if let Some((plan, cap)) = self.sections.grafana().stack_cap(org_id) {
            let live = self.sections.grafana().org_stack_count(org_id);
            if live >= cap as usize {
                return Err(EngineError::Conflict(format!(
                    "the org's {} plan allows at most {cap} stack(s) and it has {live}; \
                     delete a stack or change the plan",
                    plan_name(plan)
                )));
            }
        }
        if let Some(id) = new
            .id
            .filter(|id| self.sections.grafana().stack_id_taken(*id))
        {
            return Err(EngineError::Conflict(format!("stack id {id} is taken")));
        }
        let now = self.clock.now();
        let created_at = new.created_at.unwrap_or(now);
        let stack = Stack {
            id: new.id.unwrap_or_else(|| self.ids.number()),
            org_id,
            name: new.name,
            slug: new.slug,
            custom_url: new.url,
            region,
            description: new.description.unwrap_or_default(),
            labels: new.labels,
            delete_protection: new.delete_protection,
            status: StackStatus::Active,
            created_at,
            created_by: caller.actor.clone(),
            updated_at: None,
            updated_by: String::new(),
            billing_start_date: created_at,
            billing_end_date: None,
        };
        self.sections.grafana_mut().insert_stack(stack.clone());
        log_stack(self, stack.id, None);
        Ok(stack)
    }

    pub fn stack(&self, caller: &GrafanaCaller, slug_or_id: &str) -> EngineResult<&Stack> {
        self.sections.grafana().org_stack(caller.org_id, slug_or_id)
    }

    /// The org's live stacks ordered by name.
    pub fn list_stacks(&self, caller: &GrafanaCaller, filter: &StackFilter) -> Vec<Stack> {
        self.matching_stacks(caller.org_id, filter, StackOrder::Name)
            .into_iter()
            .cloned()
            .collect()
    }

    /// A page of the caller's org's live stacks that match `filter`, in
    /// `order` (reversed when `descending`; ties broken by id).
    pub fn query_stacks(
        &self,
        caller: &GrafanaCaller,
        filter: &StackFilter,
        order: StackOrder,
        descending: bool,
        paging: StackPaging,
    ) -> EngineResult<StackListing> {
        let mut matches = self.matching_stacks(caller.org_id, filter, order);
        if descending {
            matches.reverse();
        }
        let total = matches.len();
        let listing = match paging {
            StackPaging::Pages { page, size } => {
                let start = page.saturating_sub(1).saturating_mul(size);
                let items: Vec<Stack> = matches
                    .iter()
                    .skip(start)
                    .take(size)
                    .map(|s| (*s).clone())
                    .collect();
                StackListing {
                    more: total > start.saturating_add(size),
                    items,
                    total,
                    page,
                    next: None,
                }
            }
            StackPaging::Cursor { after, size } => {
                if order != StackOrder::Id {
                    return Err(bad_request(
                        "cursor pages through stacks in id order: use orderBy=id (or no \
                         orderBy), or page and pageSize for other orders",
                    ));
                }
                // Stacks at or before the cursor in the walk's direction
                // were on earlier pages.
                let last = after.after_seq();
                let shown = if last == 0 {
                    0
                } else if descending {
                    matches.partition_point(|s| s.id >= last)
                } else {
                    matches.partition_point(|s| s.id <= last)
                };
                let rest = &matches[shown..];
                let items: Vec<Stack> = rest.iter().take(size).map(|s| (*s).clone()).collect();
                let more = rest.len() > size;
                StackListing {
                    next: more.then(|| Cursor::after(items.last().map_or(last, |s| s.id))),
                    more,
                    items,
                    total,
                    page: shown / size.max(1) + 1,
                }
            }
        };
        Ok(listing)
    }

    /// The org's live stacks matching `filter`, ascending in `order`.
    /// Ids and slugs are looked up in their indexes; otherwise the org's
    /// range of the index already in `order` is walked.
    fn matching_stacks(
        &self,
        org_id: OrgId,
        filter: &StackFilter,
        order: StackOrder,
    ) -> Vec<&Stack> {
        let g = &self.sections.grafana();
        let keep = |id: &StackId| {
            g.stacks
                .get(id)
                .filter(|s| s.org_id == org_id && filter.matches(s))
        };
        let mut matches: Vec<&Stack> = if let Some(ids) = &filter.ids {
            let ids: BTreeSet<&StackId> = ids.iter().collect();
            ids.into_iter().filter_map(keep).collect()
        } else if let Some(slugs) = &filter.slugs {
            let ids: BTreeSet<&StackId> =
                slugs.iter().filter_map(|s| g.stack_slugs.get(s)).collect();
            ids.into_iter().filter_map(keep).collect()
        } else if order == StackOrder::Name {
            g.stacks_by_name
                .range((org_id, String::new(), 0)..(org_id + 1, String::new(), 0))
                .filter_map(|(_, _, id)| keep(id))
                .collect()
        } else {
            g.stacks_by_id
                .range((org_id, 0)..(org_id + 1, 0))
                .filter_map(|(_, id)| keep(id))
                .collect()
        };
        // Already sorted when read from the index of the order: a stable
        // sort of a sorted run costs one pass.
        match order {
            StackOrder::Name => matches.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id))),
            StackOrder::Id => matches.sort_by_key(|s| s.id),
            StackOrder::CreatedAt => matches.sort_by_key(|s| (s.created_at, s.id)),
        }
        matches
    }

    pub fn update_stack(
        &mut self,
        caller: &GrafanaCaller,
        slug_or_id: &str,
        changes: StackChanges,
    ) -> EngineResult<Stack> {
        let id = self.stack(caller, slug_or_id)?.id;
        if let Some(name) = &changes.name {
            validate_stack_name(name)?;
        }
        if let Some(labels) = &changes.labels {
            validate_labels(labels)?;
        }
        let now = self.clock.now();
        let mut stack = self
            .sections
            .grafana_mut()
            .remove_stack(id)
            .expect("looked up above");
        if let Some(name) = changes.name {
            stack.name = name;
        }
        if let Some(description) = changes.description {
            stack.description = description;
        }
        if let Some(labels) = changes.labels {
            stack.labels = labels;
        }
        if let Some(protect) = changes.delete_protection {
            stack.delete_protection = protect;
        }
        stack.updated_at = Some(now);
        stack.updated_by = caller.actor.clone();
        self.sections.grafana_mut().insert_stack(stack.clone());
        log_stack(self, id, None);
        Ok(stack)
    }

    /// Deletes an unprotected stack; it is kept (as deleted) for billing.
    pub fn delete_stack(
        &mut self,
        caller: &GrafanaCaller,
        slug_or_id: &str,
    ) -> EngineResult<Stack> {
        let stack = self.stack(caller, slug_or_id)?;
        if stack.delete_protection {
            return Err(EngineError::Conflict(format!(
                "Delete protection is enabled for stack {:?}: disable it first with \
                 POST /api/instances/{} {{\"deleteProtection\": false}}",
                stack.slug, stack.slug
            )));
        }
        let now = self.clock.now();
        let stack_id = stack.id;
        let mut stack = self
            .sections
            .grafana_mut()
            .remove_stack(stack_id)
            .expect("looked up above");
        stack.status = StackStatus::Deleted;
        stack.billing_end_date = Some(now);
        stack.updated_at = Some(now);
        stack.updated_by = caller.actor.clone();
        self.sections
            .grafana_mut()
            .deleted_stacks
            .push(stack.clone());
        log_stack(self, stack_id, Some(&stack));
        Ok(stack)
    }
}

impl GrafanaState {
    pub(crate) fn insert_stack(&mut self, stack: Stack) {
        self.stack_slugs.insert(stack.slug.clone(), stack.id);
        self.stacks_by_name
            .insert((stack.org_id, stack.name.clone(), stack.id));
        self.stacks_by_id.insert((stack.org_id, stack.id));
        self.stacks.insert(stack.id, stack);
    }

    fn remove_stack(&mut self, id: StackId) -> Option<Stack> {
        let stack = self.stacks.remove(&id)?;
        self.stack_slugs.remove(&stack.slug);
        self.stacks_by_name
            .remove(&(stack.org_id, stack.name.clone(), stack.id));
        self.stacks_by_id.remove(&(stack.org_id, stack.id));
        Some(stack)
    }

    fn stack_id_taken(&self, id: StackId) -> bool {
        self.stacks.contains_key(&id) || self.deleted_stacks.iter().any(|s| s.id == id)
    }

    fn org_stack_count(&self, org_id: OrgId) -> usize {
        self.stacks_by_name
            .range((org_id, String::new(), 0)..(org_id + 1, String::new(), 0))
            .count()
    }
}

pub fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "Free",
        Plan::Pro => "Pro",
        Plan::Contracted => "contracted",
    }
}
