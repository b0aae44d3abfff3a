//! Deprecated Grafana Cloud org API keys (`/api/orgs/{org}/api-keys`): a name
//! unique within the org, a role, and a secret shown once, at creation.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chrono::{DateTime, Utc};

use super::World;
use super::error::{EngineError, EngineResult, bad_request};
use super::grafana::{GrafanaCaller, OrgId};

const MAX_NAME_LEN: usize = 255;

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
        if name.trim().is_empty() || name.len() > MAX_NAME_LEN {
            return Err(bad_request(format!(
                "name is required and must be at most {MAX_NAME_LEN} characters"
            )));
        }
        let role = ApiKeyRole::parse(role)?;
        let key = (org_id, name.to_string());
        if self.grafana.api_keys.contains_key(&key) {
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
        self.grafana.api_keys.insert(key, api_key.clone());
        Ok(api_key)
    }

    /// The caller's org's API keys, ordered by name.
    pub fn list_org_api_keys(&self, caller: &GrafanaCaller) -> Vec<&OrgApiKey> {
        let org_id = caller.org_id;
        self.grafana
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
        self.grafana
            .api_keys
            .remove(&(caller.org_id, name.to_string()))
            .ok_or_else(|| EngineError::NotFound(format!("API key {name:?} not found")))
    }
}
