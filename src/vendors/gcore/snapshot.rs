//! Gcore's section of the state document (`crate::snapshot`): the scenario
//! form, with every default filled in, since the state is the scenario's
//! (synthetic usage follows from it and the seed).

use crate::core::error::ScenarioError;
use crate::vendors::gcore::model::{GcoreResource, GcoreResourceSpec, GcoreState, Metering};
use crate::vendors::gcore::scenario::GcoreScenario;

/// Gcore's section of the world as stored.
pub fn of(gcore: &GcoreState) -> GcoreScenario {
    GcoreScenario {
        api_keys: gcore.api_keys(),
        projects: gcore.projects.clone(),
        regions: gcore.regions.clone(),
        resources: gcore.resources.iter().map(resource_spec).collect(),
        rate_limits: Some(gcore.rate_limits.clone()),
    }
}

/// Rebuilds Gcore's state for the run's `seed`; the first problem found is
/// reported with its location.
pub fn restore(section: GcoreScenario, seed: u64) -> Result<GcoreState, ScenarioError> {
    let mut gcore = GcoreState::from_scenario(&section, seed)?;
    // A scenario without rules gets the default; a snapshot's list is
    // what was in force, empty included.
    gcore.rate_limits = section.rate_limits.unwrap_or_default();
    Ok(gcore)
}

/// A loaded resource as the spec that loads back to it: every default the
/// scenario left out is written in.
fn resource_spec(resource: &GcoreResource) -> GcoreResourceSpec {
    let GcoreResource {
        // The position in the list.
        index: _,
        resource_type,
        project_id,
        region_id,
        created_at,
        deleted_at,
        size_bytes,
        uuid,
        last_name,
        flavor,
        tags,
        // Both follow from the type and the size.
        last_size: _,
        size_unit: _,
        volume_type,
        attached_to_vm,
        source_volume_uuid,
        schedule_id,
        file_share_type,
        ip_address,
        network_id,
        port_id,
        subnet_id,
        vm_id,
        instance_name,
        instance_type,
    } = resource.clone();
    GcoreResourceSpec {
        resource_type: Some(resource_type),
        project_id: Some(project_id),
        region_id: Some(region_id),
        created_at,
        deleted_at,
        uuid,
        last_name,
        flavor,
        tags,
        // Only size-billed types take a size; the others use their default.
        last_size: (resource_type.metering() == Metering::SizeTime).then_some(size_bytes),
        volume_type,
        attached_to_vm,
        source_volume_uuid,
        schedule_id,
        file_share_type,
        ip_address,
        network_id,
        port_id,
        subnet_id,
        vm_id,
        instance_name,
        instance_type,
    }
}
