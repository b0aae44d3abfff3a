//! `/api/instances/{stack}/plugins…`: plugins installed on a stack.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::{Deserialize, Serialize};

use super::errors::GcomError;
use super::extract::{Authorized, Path};
use super::pagination::{GcomList, Link};
use super::scopes::{StackPluginsDelete, StackPluginsRead, StackPluginsWrite};
use super::timestamp;
use crate::core::http::json_body;
use crate::core::store::Store;
use crate::vendors::grafana::model::plugins::InstalledPlugin;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstallPlugin {
    plugin: String,
    version: Option<String>,
    /// Hosted Grafana restarts to load a plugin; the mock has nothing to restart.
    #[allow(dead_code)]
    no_restart: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdatePlugin {
    version: String,
    #[allow(dead_code)]
    no_restart: Option<bool>,
}

/// An installed plugin as the API shows it (`FormattedApiInstancePlugin`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstancePluginView {
    id: u64,
    instance_id: u64,
    instance_url: String,
    instance_slug: String,
    plugin_id: u64,
    plugin_slug: String,
    plugin_name: String,
    version: String,
    latest_version: String,
    created_at: String,
    updated_at: Option<String>,
    links: Vec<Link>,
}

impl From<InstalledPlugin> for InstancePluginView {
    fn from(installed: InstalledPlugin) -> Self {
        let installation = installed.installation;
        let stack_href = format!("/instances/{}", installed.stack_slug);
        InstancePluginView {
            id: installation.id,
            instance_id: installation.stack_id,
            instance_url: installed.stack_url,
            plugin_id: installation.plugin_id,
            version: installation.version,
            latest_version: installed.latest_version,
            created_at: timestamp(installation.created_at),
            updated_at: installation.updated_at.map(timestamp),
            links: vec![
                Link::new(
                    "self",
                    format!("{stack_href}/plugins/{}", installed.plugin_slug),
                ),
                Link::new("instance", stack_href),
            ],
            instance_slug: installed.stack_slug,
            plugin_slug: installed.plugin_slug,
            plugin_name: installed.plugin_name,
        }
    }
}

pub async fn list(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StackPluginsRead>,
    Path(stack): Path<String>,
) -> Result<Json<GcomList<InstancePluginView>>, GcomError> {
    let world = store.read();
    let self_href = format!("/instances/{}/plugins", world.stack(&caller, &stack)?.slug);
    let installed = world.list_plugins(&caller, &stack)?;
    let items = installed
        .into_iter()
        .map(InstancePluginView::from)
        .collect();
    // The documentation's fields and the paging fields the published spec
    // requires (`total`, `pages`, `pageSize`, `page`): both clients accept it.
    Ok(Json(GcomList::paged(items, "pluginName", self_href)))
}

pub async fn install(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StackPluginsWrite>,
    Path(stack): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<InstancePluginView>, GcomError> {
    let body: InstallPlugin = json_body(body)?;
    let installed =
        store
            .write()
            .install_plugin(&caller, &stack, &body.plugin, body.version.as_deref())?;
    Ok(Json(installed.into()))
}

pub async fn get(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StackPluginsRead>,
    Path((stack, plugin)): Path<(String, String)>,
) -> Result<Json<InstancePluginView>, GcomError> {
    let installed = store.read().installed_plugin(&caller, &stack, &plugin)?;
    Ok(Json(installed.into()))
}

pub async fn update(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StackPluginsWrite>,
    Path((stack, plugin)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<InstancePluginView>, GcomError> {
    let body: UpdatePlugin = json_body(body)?;
    let installed = store
        .write()
        .update_plugin(&caller, &stack, &plugin, &body.version)?;
    Ok(Json(installed.into()))
}

pub async fn uninstall(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<StackPluginsDelete>,
    Path((stack, plugin)): Path<(String, String)>,
) -> Result<Json<InstancePluginView>, GcomError> {
    let removed = store.write().uninstall_plugin(&caller, &stack, &plugin)?;
    Ok(Json(removed.into()))
}
