//! A vendor's name: what fault rules, the journal, the metrics and the admin
//! API call it (`grafana`, `datadog`, `gcore`). The core knows vendors only
//! by name; which names exist, and what each vendor does, is the vendor
//! list's (`crate::vendors::ALL`), which also refuses unknown names where
//! rules come in.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A vendor, by name. Each vendor names itself with a constant in its own
/// folder (`Vendor::GRAFANA`, `Vendor::DATADOG`, `Vendor::GCORE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Vendor(Cow<'static, str>);

impl Vendor {
    pub const fn named(name: &'static str) -> Self {
        Vendor(Cow::Borrowed(name))
    }

    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
