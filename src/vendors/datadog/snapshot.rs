//! Datadog's section of the state document (`crate::snapshot`): the
//! scenario form, with every default filled in, since the state is the
//! scenario's (synthetic usage follows from it and the seed).

use crate::core::error::ScenarioError;
use crate::vendors::datadog::model::DatadogState;
use crate::vendors::datadog::scenario::{DatadogOrgSpec, DatadogScenario};

/// Datadog's section of the world as stored.
pub fn of(datadog: &DatadogState) -> DatadogScenario {
    let orgs = datadog
        .orgs
        .iter()
        .enumerate()
        .map(|(i, org)| {
            let (api_keys, application_keys) = datadog.keys_of(i);
            DatadogOrgSpec {
                name: org.name.clone(),
                public_id: org.public_id.clone(),
                parent: org.parent.map(|p| datadog.orgs[p].public_id.clone()),
                region: org.region.clone(),
                billing_plan: org.billing_plan.clone(),
                api_keys,
                application_keys,
            }
        })
        .collect();
    DatadogScenario {
        orgs,
        attribution_tags: datadog.attribution_tags.clone(),
        prices: datadog.prices.clone(),
        rate_limits: Some(datadog.rate_limits.clone()),
    }
}

/// Rebuilds Datadog's state; the first problem found is reported with its
/// location.
pub fn restore(section: DatadogScenario) -> Result<DatadogState, ScenarioError> {
    let mut datadog = DatadogState::from_scenario(&section)?;
    // A scenario without rules gets the default; a snapshot's list is
    // what was in force, empty included.
    datadog.rate_limits = section.rate_limits.unwrap_or_default();
    Ok(datadog)
}
