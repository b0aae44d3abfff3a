//! Grafana Cloud stacks: slugs unique across all orgs, plan caps, labels,
//! delete protection, and lookup by slug or numeric id.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::World;
use super::error::{EngineError, EngineResult, bad_request};
use super::grafana::{GrafanaCaller, GrafanaState, OrgId, Region, RegionKey};
use crate::scenario::Plan;

pub type StackId = u64;

/// The region a stack goes to when the request names none.
pub const DEFAULT_REGION: &str = "us";
const MAX_LABELS: usize = 10;
const MAX_SLUG_LEN: usize = 29;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatus {
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

#[derive(Debug, Clone)]
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

/// Filters of `GET /api/orgs/{org}/instances`.
#[derive(Debug, Clone, Default)]
pub struct StackFilter {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub region: Option<String>,
    pub ids: Option<Vec<StackId>>,
}

impl StackFilter {
    fn matches(&self, stack: &Stack) -> bool {
        self.name.as_ref().is_none_or(|n| *n == stack.name)
            && self.slug.as_ref().is_none_or(|s| *s == stack.slug)
            && self.region.as_ref().is_none_or(|r| *r == stack.region)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&stack.id))
    }
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
        if !self.grafana.regions.contains_key(region_slug) {
            return Err(bad_request(format!(
                "region {region_slug:?} does not exist; GET /api/stack-regions lists the regions"
            )));
        }
        let region = self.grafana.org_region(org_id, region_slug)?;
        if self.grafana.stack_slugs.contains_key(&new.slug) {
            return Err(EngineError::Conflict(format!(
                "a stack with slug {:?} already exists: slugs are unique across Grafana Cloud",
                new.slug
            )));
        }
        if let Some((plan, cap)) = self.grafana.stack_cap(org_id) {
            let live = self.grafana.org_stack_count(org_id);
            if live >= cap as usize {
                return Err(EngineError::Conflict(format!(
                    "the org's {} plan allows at most {cap} stack(s) and it has {live}; \
                     delete a stack or change the plan",
                    plan_name(plan)
                )));
            }
        }
        if let Some(id) = new.id.filter(|id| self.grafana.stack_id_taken(*id)) {
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
        self.grafana.insert_stack(stack.clone());
        Ok(stack)
    }

    pub fn stack(&self, caller: &GrafanaCaller, slug_or_id: &str) -> EngineResult<&Stack> {
        self.grafana.org_stack(caller.org_id, slug_or_id)
    }

    /// The org's live stacks ordered by name.
    pub fn list_stacks(&self, caller: &GrafanaCaller, filter: &StackFilter) -> Vec<Stack> {
        let org_id = caller.org_id;
        self.grafana
            .stacks_by_name
            .range((org_id, String::new(), 0)..(org_id + 1, String::new(), 0))
            .filter_map(|(_, _, id)| self.grafana.stacks.get(id))
            .filter(|stack| filter.matches(stack))
            .cloned()
            .collect()
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
        let mut stack = self.grafana.remove_stack(id).expect("looked up above");
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
        self.grafana.insert_stack(stack.clone());
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
        let mut stack = self
            .grafana
            .remove_stack(stack.id)
            .expect("looked up above");
        stack.status = StackStatus::Deleted;
        stack.billing_end_date = Some(now);
        stack.updated_at = Some(now);
        stack.updated_by = caller.actor.clone();
        self.grafana.deleted_stacks.push(stack.clone());
        Ok(stack)
    }
}

impl GrafanaState {
    pub(crate) fn insert_stack(&mut self, stack: Stack) {
        self.stack_slugs.insert(stack.slug.clone(), stack.id);
        self.stacks_by_name
            .insert((stack.org_id, stack.name.clone(), stack.id));
        self.stacks.insert(stack.id, stack);
    }

    fn remove_stack(&mut self, id: StackId) -> Option<Stack> {
        let stack = self.stacks.remove(&id)?;
        self.stack_slugs.remove(&stack.slug);
        self.stacks_by_name
            .remove(&(stack.org_id, stack.name.clone(), stack.id));
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
