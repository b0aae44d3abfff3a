//! Deprecated Grafana Cloud org API keys (`/api/orgs/{org}/api-keys`): a name
//! unique within the org (see [`validate_key_name`]), a role, and a secret shown once, at creation. The
//! secret authenticates the Cloud API for the key's org with its role's
//! scopes, as Grafana's deprecated keys still do.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chrono::{DateTime, Utc};

use super::{GrafanaCaller, GrafanaState, Grants, OrgId, validate_key_name};
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::world::World;
use crate::vendors::grafana::snapshot::log_org_api_key;

/// The permission level of an org API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRole {
    Viewer,
    Editor,
    Admin,
    MetricsPublisher,
}

impl ApiKeyRole {
    pub const ALL: [ApiKeyRole; 4] = [
        ApiKeyRole::Viewer,
        ApiKeyRole::Editor,
        ApiKeyRole::Admin,
        ApiKeyRole::MetricsPublisher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyRole::Viewer => "Viewer",
            ApiKeyRole::Editor => "Editor",
            ApiKeyRole::Admin => "Admin",
            ApiKeyRole::MetricsPublisher => "MetricsPublisher",
        }
    }

    /// Whether a key of this role may act with `scope` (`resource:action`)
    /// on the Cloud API: `Admin` every scope; `Editor` the `read` and
    /// `write` actions (not `delete`); `Viewer` `read`; `MetricsPublisher`
    /// none (it only publishes metrics).
    pub fn grants(self, scope: &str) -> bool {
        let action = scope.rsplit_once(':').map_or("", |(_, action)| action);
        match self {
            ApiKeyRole::Admin => true,
            ApiKeyRole::Editor => matches!(action, "read" | "write"),
            ApiKeyRole::Viewer => action == "read",
            ApiKeyRole::MetricsPublisher => false,
        }
    }

    /// The role named exactly as Grafana spells it; 400 otherwise.
    pub fn parse(role: &str) -> EngineResult<ApiKeyRole> {
        ApiKeyRole::ALL
            .into_iter()
            .find(|r| r.as_str() == role)
            .ok_or_else(|| {
                bad_request(format!(
                    "role must be one of Viewer, Editor, Admin or MetricsPublisher, got {role:?}"
                ))
            })
    }
}

#[derive(Debug, Clone)]
pub struct OrgApiKey {
    pub id: u64,
    pub org_id: OrgId,
    pub name: String,
    pub role: ApiKeyRole,
    pub created_at: DateTime<Utc>,
    /// Returned by the create call only.
    pub secret: String,
}

impl World {
    pub fn create_org_api_key(
        &mut self,
        caller: &GrafanaCaller,
        name: &str,
        role: &str,
    ) -> EngineResult<OrgApiKey> {
        let org_id = caller.org_id;
        validate_key_name(name)?;
        let role = ApiKeyRole::parse(role)?;
        let key = (org_id, name.to_string());
        if self.sections.grafana().api_keys.contains_key(&key) {
            return Err(EngineError::Conflict(format!(
                "an API key named {name:?} already exists in this org"
            )));
        }
        // Shaped like Grafana's legacy keys: base64 of {"k", "n", "id"}.
        let payload = serde_json::json!({
            "k": self.ids.alphanumeric(32),
            "n": name,
            "id": org_id,
        });
        let api_key = OrgApiKey {
            id: self.ids.number(),
            org_id,
            name: name.to_string(),
            role,
            created_at: self.clock.now(),
            secret: STANDARD_NO_PAD.encode(payload.to_string()),
        };
        self.sections
            .grafana_mut()
            .api_key_secrets
            .insert(api_key.secret.clone(), key.clone());
        self.sections
            .grafana_mut()
            .api_keys
            .insert(key, api_key.clone());
        log_org_api_key(self, org_id, name);
        Ok(api_key)
    }

    /// The caller's org's API keys, ordered by name.
    pub fn list_org_api_keys(&self, caller: &GrafanaCaller) -> Vec<&OrgApiKey> {
        let org_id = caller.org_id;
        self.sections
            .grafana()
            .api_keys
            .range((org_id, String::new())..(org_id + 1, String::new()))
            .map(|(_, api_key)| api_key)
            .collect()
    }

    pub fn delete_org_api_key(
        &mut self,
        caller: &GrafanaCaller,
        name: &str,
    ) -> EngineResult<OrgApiKey> {
        let api_key = self
            .sections
            .grafana_mut()
            .api_keys
            .remove(&(caller.org_id, name.to_string()))
            .ok_or_else(|| EngineError::NotFound(format!("API key {name:?} not found")))?;
        // Its secret stops authenticating with this call.
        self.sections
            .grafana_mut()
            .api_key_secrets
            .remove(&api_key.secret);
        log_org_api_key(self, caller.org_id, name);
        Ok(api_key)
    }
}

impl GrafanaState {
    /// The caller an org API key's secret establishes, `None` when no key
    /// has it: the key's org, its name as the actor, its role's scopes. A
    /// `MetricsPublisher` key is known but refused (403) on the Cloud API.
    pub(crate) fn api_key_caller(&self, secret: &str) -> Option<EngineResult<GrafanaCaller>> {
        let api_key = self
            .api_key_secrets
            .get(secret)
            .and_then(|key| self.api_keys.get(key))?;
        if api_key.role == ApiKeyRole::MetricsPublisher {
            return Some(Err(EngineError::Forbidden(
                "a MetricsPublisher API key only publishes metrics; the Cloud API needs a \
                 Viewer, Editor or Admin key or an access-policy token"
                    .to_string(),
            )));
        }
        Some(Ok(GrafanaCaller {
            org_id: api_key.org_id,
            actor: api_key.name.clone(),
            grants: Grants::Role(api_key.role),
            allowed_subnets: None,
        }))
    }
}
