//! What lives inside a stack's hosted Grafana that GCOM manages: API keys
//! (`POST /api/instances/{stack}/api/auth/keys`), named as org API keys are
//! ([`validate_key_name`]).

use super::{GrafanaCaller, validate_key_name};
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::world::World;
use crate::vendors::grafana::snapshot::log_hosted_grafana_key;

pub const GRAFANA_ROLES: [&str; 3] = ["Viewer", "Editor", "Admin"];

#[derive(Debug, Clone)]
pub struct HostedGrafanaKey {
    pub id: u64,
    pub name: String,
    /// Shown once, at creation.
    pub key: String,
}

impl World {
    pub fn create_hosted_grafana_key(
        &mut self,
        caller: &GrafanaCaller,
        stack: &str,
        name: &str,
        role: &str,
        seconds_to_live: Option<i64>,
    ) -> EngineResult<HostedGrafanaKey> {
        let stack_id = self.stack(caller, stack)?.id;
        validate_key_name(name)?;
        if !GRAFANA_ROLES.contains(&role) {
            return Err(bad_request(format!(
                "role must be one of Viewer, Editor, Admin, got {role:?}"
            )));
        }
        // Keys only live inside the stack's Grafana, which mockcloud does not
        // run: the lifetime is checked but there is nothing to expire.
        if let Some(seconds) = seconds_to_live.filter(|s| *s < 0) {
            return Err(bad_request(format!(
                "secondsToLive must not be negative, got {seconds}"
            )));
        }
        let keys = &self.sections.grafana().hosted_grafana_keys;
        if keys
            .range((stack_id, String::new())..(stack_id + 1, String::new()))
            .any(|((_, existing), _)| existing == name)
        {
            return Err(EngineError::Conflict(format!(
                "an API key named {name:?} already exists in this stack's Grafana"
            )));
        }
        let key = HostedGrafanaKey {
            id: self.ids.number(),
            name: name.to_string(),
            key: format!("glsa_{}", self.ids.alphanumeric(32)),
        };
        self.sections
            .grafana_mut()
            .hosted_grafana_keys
            .insert((stack_id, key.name.clone()), key.clone());
        log_hosted_grafana_key(self, stack_id, &key.name);
        Ok(key)
    }
}
