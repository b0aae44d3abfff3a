//! What the engine can refuse. Each vendor renders these in its own wire format
//! (one place per vendor: `src/vendors/<vendor>/errors.rs`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The request is malformed or names something that cannot be used.
    BadRequest(String),
    /// The caller's credentials are missing, unknown, expired or disabled.
    Unauthorized(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// The addressed object does not exist (for this caller).
    NotFound(String),
    /// The change collides with existing state (duplicate name, protection).
    Conflict(String),
}

impl EngineError {
    pub fn message(&self) -> &str {
        match self {
            EngineError::BadRequest(m)
            | EngineError::Unauthorized(m)
            | EngineError::Forbidden(m)
            | EngineError::NotFound(m)
            | EngineError::Conflict(m) => m,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for EngineError {}

pub type EngineResult<T> = Result<T, EngineError>;

pub fn bad_request(message: impl Into<String>) -> EngineError {
    EngineError::BadRequest(message.into())
}

/// Why a scenario could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// Where the problem is: a file, a JSON path (`grafana.orgs[0].slug`).
    pub location: String,
    /// What is wrong there.
    pub message: String,
}

impl ScenarioError {
    /// A problem at `location`.
    pub fn at(location: impl Into<String>, message: impl fmt::Display) -> Self {
        ScenarioError {
            location: location.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Reads `raw` as a `T`; a problem is located under `at` (`grafana` gives
/// `grafana.tokens[3].secret`).
pub fn read_json_at<T: serde::de::DeserializeOwned>(
    at: &str,
    raw: &serde_json::value::RawValue,
) -> Result<T, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        // `.` (the root) or `?` (not parsed far enough to know where).
        let location = if path == "." || path == "?" {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        ScenarioError::at(location, e.inner())
    })
}
