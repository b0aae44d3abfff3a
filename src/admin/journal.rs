//! The request journal: what every vendor request met — method, path,
//! query, status, latency, the route it matched and the fault applied — in
//! a bounded ring buffer tests can query (`GET /__admin/journal`) and clear.
//!
//! Credentials never enter it: no header is recorded at all (not
//! `Authorization`, `DD-API-KEY`, `Cookie` nor any other), and
//! credential-like query parameters (`api_key`, `token`, `password`,
//! `session`, `sig`, `jwt`, ...: see [`is_credential`]) are stored as
//! `REDACTED`. `/__admin` requests are not journaled (the metrics count
//! them, under vendor `admin`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::{AdminError, admin_error};
use crate::core::clock::timestamp;
use crate::core::faults::AppliedFault;
use crate::core::request_id;
use crate::vendors;

/// Entries kept when the configuration names no other size.
pub const DEFAULT_CAPACITY: usize = 1000;

/// What replaces a credential's value.
pub const REDACTED: &str = "REDACTED";

/// One answered request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Counts up from 1 over the server's life (clearing does not restart it).
    pub id: u64,
    /// The client's `X-Request-Id`, or the one mockcloud gave the request:
    /// the `requestId` of a Grafana error body, echoed in `X-Request-Id`.
    pub request_id: String,
    /// When the request arrived, on the server clock.
    pub at: String,
    pub method: String,
    pub path: String,
    /// The query string as sent, credential values redacted.
    pub query: Option<String>,
    /// `null` when a fault dropped the connection: the client saw no status.
    pub status: Option<u16>,
    /// Time to the response head, in milliseconds.
    pub latency_ms: f64,
    pub vendor: &'static str,
    /// The route template matched (`/api/v1/accesspolicies/{id}`); `null`
    /// for paths no route serves.
    pub operation: Option<String>,
    pub fault: Option<FaultApplied>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultApplied {
    pub rule: String,
    pub effect: String,
}

/// The journal: the newest `capacity` entries, oldest first.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    inner: Mutex<Kept>,
    /// Each entry as it is recorded, for the console's live view.
    live: tokio::sync::broadcast::Sender<Entry>,
}

#[derive(Debug, Default)]
struct Kept {
    entries: VecDeque<Entry>,
    last_id: u64,
}

impl Journal {
    /// `capacity` 0 keeps nothing.
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            inner: Mutex::new(Kept::default()),
            live: tokio::sync::broadcast::channel(256).0,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an entry (its `id` is assigned here), dropping the oldest when full.
    pub fn record(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut kept = self.kept();
        kept.last_id += 1;
        entry.id = kept.last_id;
        if kept.entries.len() == self.capacity {
            kept.entries.pop_front();
        }
        if self.live.receiver_count() > 0 {
            // No watcher lagging behind can hold up a request: old entries
            // are dropped for it (`RecvError::Lagged`).
            let _ = self.live.send(entry.clone());
        }
        kept.entries.push_back(entry);
    }

    /// Entries as they are recorded (the console's live view).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Entry> {
        self.live.subscribe()
    }

    /// How many entries it keeps (the newest).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.kept().entries.iter().cloned().collect()
    }

    /// Entries passing `filter`, oldest first, at most its `limit` newest.
    pub(crate) fn matching(&self, filter: &Filter) -> Vec<Entry> {
        let kept = self.kept();
        let mut found: Vec<Entry> = kept
            .entries
            .iter()
            .filter(|e| filter.admits(e))
            .cloned()
            .collect();
        if let Some(limit) = filter.limit {
            found.drain(..found.len().saturating_sub(limit));
        }
        found
    }

    /// Forgets every entry; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut kept = self.kept();
        let cleared = kept.entries.len();
        kept.entries.clear();
        cleared
    }
}

/// The journal's and the metrics' label for a path: its owning vendor,
/// `admin` for `/__admin`, `other` for paths no vendor owns.
pub fn vendor_of(path: &str) -> &'static str {
    if path == "/__admin" || path.starts_with("/__admin/") {
        "admin"
    } else {
        vendors::owning(path).map_or("other", |vendor| vendor.name())
    }
}

/// Whether a query parameter carries a credential. Its name, lowercased
/// with `-` and `.` read as `_`, is credential-like when it
/// - is `key`, `sig`, `pass`, `pwd`, `sid` or `otp`, or ends with `_key`,
///   `apikey`, `appkey`, `_sig`, `_pass`, `_pwd` or `_sid` (`api_key`,
///   `dd-application-key`, `x_sig`);
/// - contains `token`, `secret`, `passw` (`password`, `passwd`), `passphrase`,
///   `signature`, `auth`, `credential`, `session`, `sessid`, `cookie`, `jwt`,
///   `bearer` or `private` (`access_token`, `X-Amz-Signature`,
///   `sessionId`).
///
/// Plural `..._keys` (Datadog's `tag_breakdown_keys`) are names, not secrets.
fn is_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace(['-', '.'], "_");
    const EXACT: [&str; 6] = ["key", "sig", "pass", "pwd", "sid", "otp"];
    const SUFFIXES: [&str; 7] = ["_key", "apikey", "appkey", "_sig", "_pass", "_pwd", "_sid"];
    const WORDS: [&str; 13] = [
        "token",
        "secret",
        "passw",
        "passphrase",
        "signature",
        "auth",
        "credential",
        "session",
        "sessid",
        "cookie",
        "jwt",
        "bearer",
        "private",
    ];
    EXACT.contains(&name.as_str())
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
        || WORDS.iter().any(|word| name.contains(word))
}

/// The query string with each credential's value replaced by `REDACTED`;
/// everything else stays as sent.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let name = serde_urlencoded::from_str::<Vec<(String, String)>>(pair)
                .ok()
                .and_then(|pairs| pairs.into_iter().next())
                .map_or_else(|| raw_name.to_string(), |(name, _)| name);
            if is_credential(&name) {
                format!("{raw_name}={REDACTED}")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The outermost middleware: times every request and records it in the
/// metrics and (unless it is an admin request) the journal.
pub async fn observe(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let at = app.engine.clock().now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(redact_query);
    let operation = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_string());
    let vendor = vendor_of(&path);
    let request_id = request_id::for_request(request.headers());
    let mut response = request_id::scope(request_id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    let latency = started.elapsed();
    let fault = response.extensions().get::<AppliedFault>();
    // A dropped connection's response never reaches the client.
    let dropped = fault.is_some_and(|f| f.effect.split('+').any(|e| e == "drop"));
    let status = (!dropped).then(|| response.status().as_u16());
    app.metrics
        .record(vendor, operation.as_deref(), status, latency, fault);
    if vendor != "admin" {
        app.journal.record(Entry {
            id: 0,
            request_id: request_id.to_string(),
            at: timestamp(at),
            method,
            path,
            query,
            status,
            latency_ms: milliseconds(latency),
            vendor,
            operation,
            fault: fault.map(|f| FaultApplied {
                rule: f.rule.clone(),
                effect: f.effect.clone(),
            }),
        });
    }
    response
}

/// Milliseconds to the microsecond.
fn milliseconds(latency: Duration) -> f64 {
    (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// `GET /__admin/journal`'s query: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    /// `grafana`, `datadog`, `gcore` or `other` (paths no vendor owns).
    pub(crate) vendor: Option<String>,
    /// Entries whose path contains this.
    pub(crate) path: Option<String>,
    pub(crate) method: Option<String>,
    /// `429`, or a class: `4xx`.
    pub(crate) status: Option<String>,
    /// At most this many, the newest.
    pub(crate) limit: Option<usize>,
}

impl Filter {
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(vendor) = &self.vendor
            && !["grafana", "datadog", "gcore", "other"].contains(&vendor.as_str())
        {
            return Err(format!(
                "vendor must be grafana, datadog, gcore or other, got {vendor:?}"
            ));
        }
        if let Some(status) = &self.status
            && status_pattern(status).is_none()
        {
            return Err(format!(
                "status must be a code (429) or a class (4xx), got {status:?}"
            ));
        }
        Ok(())
    }

    pub(crate) fn admits(&self, entry: &Entry) -> bool {
        self.vendor.as_deref().is_none_or(|v| v == entry.vendor)
            && self.path.as_deref().is_none_or(|p| entry.path.contains(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&entry.method))
            && self
                .status
                .as_deref()
                .and_then(status_pattern)
                .is_none_or(|(low, high)| entry.status.is_some_and(|s| (low..=high).contains(&s)))
    }
}

/// `429` → (429, 429); `4xx` → (400, 499).
fn status_pattern(status: &str) -> Option<(u16, u16)> {
    let status = status.to_ascii_lowercase();
    if let Some(class) = status.strip_suffix("xx") {
        let class: u16 = class.parse().ok().filter(|c| (1..=5).contains(c))?;
        return Some((class * 100, class * 100 + 99));
    }
    let code: u16 = status.parse().ok().filter(|c| (100..=599).contains(c))?;
    Some((code, code))
}

#[derive(Debug, Serialize)]
pub struct JournalView {
    capacity: usize,
    /// Oldest first.
    entries: Vec<Entry>,
}

pub async fn list(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<JournalView>, (StatusCode, Json<AdminError>)> {
    let filter: Filter = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, format!("bad query: {e}")))?;
    filter
        .check()
        .map_err(|e| admin_error(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(JournalView {
        capacity: app.journal.capacity,
        entries: app.journal.matching(&filter),
    }))
}

#[derive(Debug, Serialize)]
pub struct Cleared {
    status: &'static str,
    cleared: usize,
}

pub async fn clear(State(app): State<AppState>) -> Json<Cleared> {
    Json(Cleared {
        status: "cleared",
        cleared: app.journal.clear(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_query(
                "api_key=s3cret&month=2026-01&DD-APPLICATION-KEY=x&token&tag_breakdown_keys=team"
            ),
            "api_key=REDACTED&month=2026-01&DD-APPLICATION-KEY=REDACTED&token=REDACTED&tag_breakdown_keys=team"
        );
        assert_eq!(
            redact_query("apiKey=a&access_token=b"),
            "apiKey=REDACTED&access_token=REDACTED"
        );
    }

    #[test]
    fn every_credential_like_parameter_is_redacted() {
        for name in [
            "password",
            "passwd",
            "pass",
            "pwd",
            "user_pwd",
            "passphrase",
            "session",
            "sessionId",
            "PHPSESSID",
            "sid",
            "sig",
            "url_sig",
            "jwt",
            "id_token",
            "bearer",
            "Authorization",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "client_secret",
            "private_key",
            "cookie",
            "otp",
        ] {
            assert_eq!(
                redact_query(&format!("{name}=hunter2&month=2026-01")),
                format!("{name}=REDACTED&month=2026-01"),
                "{name}"
            );
        }
        for kept in [
            "start_hr",
            "usage_type",
            "fields",
            "tag_breakdown_keys",
            "pageCursor",
            "accessPolicyName",
            "design",
            "include_descendants",
        ] {
            let query = format!("{kept}=v");
            assert_eq!(redact_query(&query), query, "{kept}");
        }
    }

    #[test]
    fn status_filters_take_a_code_or_a_class() {
        assert_eq!(status_pattern("429"), Some((429, 429)));
        assert_eq!(status_pattern("4xx"), Some((400, 499)));
        assert_eq!(status_pattern("9xx"), None);
        assert_eq!(status_pattern("abc"), None);
    }
}
