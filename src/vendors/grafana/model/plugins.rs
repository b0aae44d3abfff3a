//! Plugins installed on Grafana Cloud stacks, from the scenario's catalog:
//! one installation per (stack, plugin), pinned to a published version.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::GrafanaCaller;
use super::stacks::{Stack, StackId};
use crate::core::error::ScenarioError;
use crate::core::error::{EngineError, EngineResult, bad_request};
use crate::core::world::World;
use crate::vendors::grafana::scenario::PluginSpec;
use crate::vendors::grafana::snapshot::log_installation;

pub type PluginId = u64;

/// The version an install or update names to mean "the newest".
const LATEST: &str = "latest";

/// A plugin of the catalog.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub id: PluginId,
    pub slug: String,
    pub name: String,
    pub versions: Vec<String>,
    pub latest_version: String,
}

impl Plugin {
    /// `requested` as a published version (`None` or `latest`: the newest).
    fn version(&self, requested: Option<&str>) -> EngineResult<String> {
        match requested {
            None | Some(LATEST) => Ok(self.latest_version.clone()),
            Some(version) if self.versions.iter().any(|v| v == version) => Ok(version.to_string()),
            Some(version) => Err(EngineError::NotFound(format!(
                "plugin {:?} has no version {version:?}; published versions: {}",
                self.slug,
                self.versions.join(", ")
            ))),
        }
    }
}

/// A plugin installed on a stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginInstallation {
    pub id: u64,
    pub stack_id: StackId,
    pub plugin_id: PluginId,
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// An installation with what the API shows of its stack and plugin.
#[derive(Debug, Clone)]
pub struct InstalledPlugin {
    pub installation: PluginInstallation,
    pub stack_slug: String,
    pub stack_url: String,
    pub plugin_slug: String,
    pub plugin_name: String,
    /// Always the catalog's newest, whatever is installed.
    pub latest_version: String,
}

#[derive(Debug, Default)]
pub struct PluginState {
    catalog: BTreeMap<PluginId, Plugin>,
    slugs: HashMap<String, PluginId>,
    /// Keyed by stack then plugin. Rows of a deleted stack stay, unreachable:
    /// a deleted stack can no longer be looked up.
    installations: BTreeMap<(StackId, PluginId), PluginInstallation>,
}

impl PluginState {
    /// The catalog a scenario describes; problems name `grafana.plugins[i]`.
    pub fn from_catalog(specs: &[PluginSpec]) -> Result<PluginState, ScenarioError> {
        let mut state = PluginState::default();
        for (i, spec) in specs.iter().enumerate() {
            let at = |field: &str| format!("grafana.plugins[{i}].{field}");
            if spec.slug.trim().is_empty() {
                return Err(ScenarioError::at(at("slug"), "slug must not be empty"));
            }
            if state.catalog.contains_key(&spec.id) {
                return Err(ScenarioError::at(
                    at("id"),
                    format!("duplicate plugin id {}", spec.id),
                ));
            }
            if state.slugs.contains_key(&spec.slug) {
                return Err(ScenarioError::at(
                    at("slug"),
                    format!("duplicate plugin slug {:?}", spec.slug),
                ));
            }
            if let Some((j, dup)) = spec
                .versions
                .iter()
                .enumerate()
                .find(|(j, v)| spec.versions[..*j].contains(v))
            {
                return Err(ScenarioError::at(
                    format!("grafana.plugins[{i}].versions[{j}]"),
                    format!("duplicate version {dup:?}"),
                ));
            }
            let latest = match (&spec.latest, spec.versions.last()) {
                (_, None) => {
                    return Err(ScenarioError::at(
                        at("versions"),
                        "a plugin needs at least one version",
                    ));
                }
                (Some(latest), _) if !spec.versions.contains(latest) => {
                    return Err(ScenarioError::at(
                        at("latest"),
                        format!("latest {latest:?} is not one of the plugin's versions"),
                    ));
                }
                (Some(latest), _) => latest.clone(),
                (None, Some(last)) => last.clone(),
            };
            state.slugs.insert(spec.slug.clone(), spec.id);
            state.catalog.insert(
                spec.id,
                Plugin {
                    id: spec.id,
                    slug: spec.slug.clone(),
                    name: spec.name.clone(),
                    versions: spec.versions.clone(),
                    latest_version: latest,
                },
            );
        }
        Ok(state)
    }

    /// The catalog, by id (for snapshots).
    pub(crate) fn catalog(&self) -> impl Iterator<Item = &Plugin> {
        self.catalog.values()
    }

    /// Every installation, by stack then plugin (for snapshots).
    pub(crate) fn installations(&self) -> impl Iterator<Item = &PluginInstallation> {
        self.installations.values()
    }

    /// The installation of `plugin_id` on `stack_id`, if any.
    pub(crate) fn installation(
        &self,
        stack_id: StackId,
        plugin_id: PluginId,
    ) -> Option<&PluginInstallation> {
        self.installations.get(&(stack_id, plugin_id))
    }

    /// Puts back a saved installation; `false` if its (stack, plugin) is taken.
    pub(crate) fn restore_installation(&mut self, installation: PluginInstallation) -> bool {
        let key = (installation.stack_id, installation.plugin_id);
        if self.installations.contains_key(&key) {
            return false;
        }
        self.installations.insert(key, installation);
        true
    }

    /// A catalog plugin by slug or numeric id.
    pub fn plugin(&self, slug_or_id: &str) -> EngineResult<&Plugin> {
        let id = match slug_or_id.parse::<PluginId>() {
            Ok(id) => Some(id),
            Err(_) => self.slugs.get(slug_or_id).copied(),
        };
        id.and_then(|id| self.catalog.get(&id))
            .ok_or_else(|| EngineError::NotFound(format!("plugin {slug_or_id:?} not found")))
    }

    fn installed(&self, stack: &Stack, plugin: &Plugin) -> EngineResult<&PluginInstallation> {
        self.installations
            .get(&(stack.id, plugin.id))
            .ok_or_else(|| not_installed(stack, plugin))
    }

    fn describe(&self, stack: &Stack, installation: PluginInstallation) -> InstalledPlugin {
        let plugin = self
            .catalog
            .get(&installation.plugin_id)
            .expect("installed plugins come from the catalog");
        InstalledPlugin {
            installation,
            stack_slug: stack.slug.clone(),
            stack_url: stack.url(),
            plugin_slug: plugin.slug.clone(),
            plugin_name: plugin.name.clone(),
            latest_version: plugin.latest_version.clone(),
        }
    }
}

fn not_installed(stack: &Stack, plugin: &Plugin) -> EngineError {
    EngineError::NotFound(format!(
        "plugin {:?} is not installed on stack {:?}",
        plugin.slug, stack.slug
    ))
}

impl World {
    /// Installs `plugin` (slug or id) at `version` (default: the newest).
    pub fn install_plugin(
        &mut self,
        caller: &GrafanaCaller,
        stack: &str,
        plugin: &str,
        version: Option<&str>,
    ) -> EngineResult<InstalledPlugin> {
        if plugin.trim().is_empty() {
            return Err(bad_request("plugin is required"));
        }
        let stack = self
            .sections
            .grafana()
            .org_stack(caller.org_id, stack)?
            .clone();
        let plugins = &self.sections.grafana().plugins;
        let plugin = plugins.plugin(plugin)?;
        let version = plugin.version(version)?;
        if plugins.installations.contains_key(&(stack.id, plugin.id)) {
            return Err(EngineError::Conflict(format!(
                "plugin {:?} is already installed on stack {:?}; \
                 POST /api/instances/{}/plugins/{} changes its version",
                plugin.slug, stack.slug, stack.slug, plugin.slug
            )));
        }
        let installation = PluginInstallation {
            id: self.ids.number(),
            stack_id: stack.id,
            plugin_id: plugin.id,
            version,
            created_at: self.clock.now(),
            updated_at: None,
        };
        let plugins = &mut self.sections.grafana_mut().plugins;
        plugins
            .installations
            .insert((stack.id, installation.plugin_id), installation.clone());
        log_installation(self, stack.id, installation.plugin_id);
        Ok(self
            .sections
            .grafana()
            .plugins
            .describe(&stack, installation))
    }

    /// The stack's plugins ordered by name.
    pub fn list_plugins(
        &self,
        caller: &GrafanaCaller,
        stack: &str,
    ) -> EngineResult<Vec<InstalledPlugin>> {
        let stack = self.sections.grafana().org_stack(caller.org_id, stack)?;
        let plugins = &self.sections.grafana().plugins;
        let mut installed: Vec<_> = plugins
            .installations
            .range((stack.id, 0)..=(stack.id, PluginId::MAX))
            .map(|(_, installation)| plugins.describe(stack, installation.clone()))
            .collect();
        installed.sort_by(|a, b| {
            (&a.plugin_name, &a.plugin_slug).cmp(&(&b.plugin_name, &b.plugin_slug))
        });
        Ok(installed)
    }

    /// One installed plugin, by plugin slug or id.
    pub fn installed_plugin(
        &self,
        caller: &GrafanaCaller,
        stack: &str,
        plugin: &str,
    ) -> EngineResult<InstalledPlugin> {
        let stack = self.sections.grafana().org_stack(caller.org_id, stack)?;
        let plugins = &self.sections.grafana().plugins;
        let installation = plugins.installed(stack, plugins.plugin(plugin)?)?;
        Ok(plugins.describe(stack, installation.clone()))
    }

    /// Moves an installed plugin to `version` (`latest`: the newest).
    pub fn update_plugin(
        &mut self,
        caller: &GrafanaCaller,
        stack: &str,
        plugin: &str,
        version: &str,
    ) -> EngineResult<InstalledPlugin> {
        if version.trim().is_empty() {
            return Err(bad_request("version is required"));
        }
        let stack = self
            .sections
            .grafana()
            .org_stack(caller.org_id, stack)?
            .clone();
        let plugins = &self.sections.grafana().plugins;
        let plugin = plugins.plugin(plugin)?;
        let version = plugin.version(Some(version))?;
        let key = (stack.id, plugin.id);
        plugins.installed(&stack, plugin)?;
        let now = self.clock.now();
        let plugins = &mut self.sections.grafana_mut().plugins;
        let installation = plugins
            .installations
            .get_mut(&key)
            .expect("looked up above");
        installation.version = version;
        installation.updated_at = Some(now);
        let installation = installation.clone();
        log_installation(self, key.0, key.1);
        Ok(self
            .sections
            .grafana()
            .plugins
            .describe(&stack, installation))
    }

    /// Removes an installed plugin and answers it as it was, stamped with
    /// the removal time (as Grafana does).
    pub fn uninstall_plugin(
        &mut self,
        caller: &GrafanaCaller,
        stack: &str,
        plugin: &str,
    ) -> EngineResult<InstalledPlugin> {
        let stack = self
            .sections
            .grafana()
            .org_stack(caller.org_id, stack)?
            .clone();
        let plugins = &self.sections.grafana().plugins;
        let plugin = plugins.plugin(plugin)?;
        let key = (stack.id, plugin.id);
        plugins.installed(&stack, plugin)?;
        let now = self.clock.now();
        let plugins = &mut self.sections.grafana_mut().plugins;
        let mut installation = plugins.installations.remove(&key).expect("looked up above");
        installation.updated_at = Some(now);
        log_installation(self, key.0, key.1);
        Ok(self
            .sections
            .grafana()
            .plugins
            .describe(&stack, installation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: u64, slug: &str, versions: &[&str], latest: Option<&str>) -> PluginSpec {
        PluginSpec {
            id,
            slug: slug.to_string(),
            name: slug.to_string(),
            versions: versions.iter().map(|v| v.to_string()).collect(),
            latest: latest.map(str::to_string),
        }
    }

    fn refused(specs: &[PluginSpec]) -> ScenarioError {
        PluginState::from_catalog(specs).expect_err("catalog should be refused")
    }

    #[test]
    fn latest_defaults_to_the_last_version() {
        let state = PluginState::from_catalog(&[
            spec(1, "a", &["1.0.0", "1.1.0"], None),
            spec(2, "b", &["1.0.0", "2.0.0"], Some("1.0.0")),
        ])
        .unwrap();
        assert_eq!(state.plugin("a").unwrap().latest_version, "1.1.0");
        assert_eq!(state.plugin("2").unwrap().latest_version, "1.0.0");
        assert!(matches!(state.plugin("c"), Err(EngineError::NotFound(_))));
    }

    #[test]
    fn duplicate_slugs_and_ids_are_refused() {
        let error = refused(&[spec(1, "a", &["1"], None), spec(2, "a", &["1"], None)]);
        assert_eq!(error.location, "grafana.plugins[1].slug");
        let error = refused(&[spec(1, "a", &["1"], None), spec(1, "b", &["1"], None)]);
        assert_eq!(error.location, "grafana.plugins[1].id");
    }

    #[test]
    fn versions_must_be_present_and_latest_among_them() {
        let error = refused(&[spec(1, "a", &[], None)]);
        assert_eq!(error.location, "grafana.plugins[0].versions");
        let error = refused(&[spec(1, "a", &["1.0.0"], Some("2.0.0"))]);
        assert_eq!(error.location, "grafana.plugins[0].latest");
        let error = refused(&[spec(1, "a", &["1.0.0", "1.0.0"], None)]);
        assert_eq!(error.location, "grafana.plugins[0].versions[1]");
    }

    #[test]
    fn the_default_scenario_catalog_loads() {
        let scenario: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/default.json"
        )))
        .unwrap();
        let catalog: Vec<PluginSpec> =
            serde_json::from_value(scenario["grafana"]["plugins"].clone()).unwrap();
        let state = PluginState::from_catalog(&catalog).unwrap();
        let github = state.plugin("grafana-github-datasource").unwrap();
        assert_eq!((github.id, github.latest_version.as_str()), (663, "1.3.1"));
    }
}
