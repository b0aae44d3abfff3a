//! Which vendors there are, by name: the identity the fault rules, the
//! journal, the metrics and the admin API use. What each vendor *does* is
//! behind `crate::vendors::ALL`; this enum only names them.

use serde::{Deserialize, Serialize};

/// A vendor mockcloud emulates. More may come, so a `match` on it outside
/// this crate needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// Grafana Cloud (`/api/...`).
    Grafana,
    /// Datadog Usage Metering (`/api/v1/usage...`, `/api/v2/usage...`).
    Datadog,
    /// Gcore Cloud's usage report (`/cloud/...`).
    Gcore,
}

impl Vendor {
    /// The vendor's name in fault rules, the journal, the metrics and the
    /// admin API (`/__admin/rate-limits/{vendor}`).
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Grafana => "grafana",
            Vendor::Datadog => "datadog",
            Vendor::Gcore => "gcore",
        }
    }
}
