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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, RawQuery, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::{AdminError, admin_error};
use crate::core::clock::timestamp;
use crate::core::faults::AppliedFault;
use crate::core::request_id::{self, RequestId};
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
    /// Each entry as it is recorded, for the console's live view: made
    /// when a view first opens (its 256 slots are not start-up's work).
    live: std::sync::OnceLock<tokio::sync::broadcast::Sender<Entry>>,
    /// Open subscriptions, read per request without the broadcast's lock.
    watchers: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
struct Kept {
    entries: VecDeque<Record>,
    last_id: u64,
}

/// An entry as it is kept: made while answering with as little work as
/// can be (one allocation, for the path and query), shown as an [`Entry`]
/// (timestamp written, query redacted) only when read.
#[derive(Debug, Clone)]
struct Record {
    id: u64,
    request_id: RequestId,
    at: DateTime<Utc>,
    method: Method,
    /// The path, then the query as sent (from `query_at`, after its `?`).
    target: String,
    query_at: Option<usize>,
    status: Option<u16>,
    latency: Duration,
    vendor: &'static str,
    operation: Option<MatchedPath>,
    fault: Option<AppliedFault>,
}

impl Record {
    fn entry(&self) -> Entry {
        let (path, query) = match self.query_at {
            Some(at) => (
                &self.target[..at],
                Some(redact_query(&self.target[at + 1..])),
            ),
            None => (self.target.as_str(), None),
        };
        Entry {
            id: self.id,
            request_id: self.request_id.as_str().to_string(),
            at: timestamp(self.at),
            method: self.method.to_string(),
            path: path.to_string(),
            query,
            status: self.status,
            latency_ms: milliseconds(self.latency),
            vendor: self.vendor,
            operation: self.operation.as_ref().map(|op| op.as_str().to_string()),
            fault: self.fault.as_ref().map(|f| FaultApplied {
                rule: f.rule.clone(),
                effect: f.effect.clone(),
            }),
        }
    }
}

impl Journal {
    /// `capacity` 0 keeps nothing.
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            inner: Mutex::new(Kept::default()),
            live: std::sync::OnceLock::new(),
            watchers: Arc::default(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a record (its `id` is assigned here), dropping the oldest when
    /// full.
    fn record(&self, mut record: Record) {
        if self.capacity == 0 {
            return;
        }
        let (dropped, live) = {
            let mut kept = self.kept();
            kept.last_id += 1;
            record.id = kept.last_id;
            let dropped = if kept.entries.len() == self.capacity {
                kept.entries.pop_front()
            } else {
                None
            };
            // Only when the console's live view watches.
            let live = (self.watchers.load(Ordering::Relaxed) > 0).then(|| record.entry());
            kept.entries.push_back(record);
            (dropped, live)
        };
        // Freed and sent outside the lock. No watcher lagging behind can
        // hold up a request: old entries are dropped for it
        // (`RecvError::Lagged`).
        drop(dropped);
        if let (Some(entry), Some(sender)) = (live, self.live.get()) {
            let _ = sender.send(entry);
        }
    }

    /// Entries as they are recorded (the console's live view), while the
    /// subscription is kept.
    pub fn subscribe(&self) -> Subscription {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        Subscription {
            receiver: self
                .live
                .get_or_init(|| tokio::sync::broadcast::channel(256).0)
                .subscribe(),
            _watching: Watching(self.watchers.clone()),
        }
    }

    /// How many entries it keeps (the newest).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.kept().entries.iter().map(Record::entry).collect()
    }

    /// Entries passing `filter`, oldest first, at most its `limit` newest.
    pub(crate) fn matching(&self, filter: &Filter) -> Vec<Entry> {
        let mut found: Vec<Entry> = self
            .entries()
            .into_iter()
            .filter(|e| filter.admits(e))
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
    // Lower case, `-` and `.` as `_`: on the stack for any usual name.
    let mut buffer = [0u8; 64];
    let owned;
    let name = if name.len() <= buffer.len() {
        let normal = &mut buffer[..name.len()];
        for (to, from) in normal.iter_mut().zip(name.bytes()) {
            *to = match from.to_ascii_lowercase() {
                b'-' | b'.' => b'_',
                other => other,
            };
        }
        // ASCII changed for ASCII: still UTF-8.
        std::str::from_utf8(normal).unwrap_or_default()
    } else {
        owned = name.to_ascii_lowercase().replace(['-', '.'], "_");
        owned.as_str()
    };
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
    EXACT.contains(&name)
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
        || WORDS.iter().any(|word| name.contains(word))
}

/// Whether a query parameter, named as sent (percent-encoded or not), is a
/// credential.
fn names_credential(raw_name: &str) -> bool {
    if !raw_name.contains(['%', '+']) {
        return is_credential(raw_name);
    }
    let decoded = serde_urlencoded::from_str::<Vec<(String, String)>>(raw_name)
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .map(|(name, _)| name);
    is_credential(decoded.as_deref().unwrap_or(raw_name))
}

/// The query string with each credential's value replaced by `REDACTED`;
/// everything else stays as sent.
pub fn redact_query(query: &str) -> String {
    RedactedQuery(query).to_string()
}

/// A query string shown with each credential's value replaced by
/// `REDACTED` ([`redact_query`] without building a string: a log line
/// writes it as it is formatted).
#[derive(Debug, Clone, Copy)]
pub struct RedactedQuery<'a>(pub &'a str);

impl std::fmt::Display for RedactedQuery<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (at, pair) in self.0.split('&').enumerate() {
            if at > 0 {
                f.write_str("&")?;
            }
            let raw_name = pair.split_once('=').map_or(pair, |(name, _)| name);
            if names_credential(raw_name) {
                write!(f, "{raw_name}={REDACTED}")?;
            } else {
                f.write_str(pair)?;
            }
        }
        Ok(())
    }
}

/// The journal's entries as they are recorded; entries are made for the
/// stream only while one is open.
pub struct Subscription {
    pub receiver: tokio::sync::broadcast::Receiver<Entry>,
    _watching: Watching,
}

struct Watching(Arc<AtomicUsize>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request on its way, as the journal and the metrics will see it: taken
/// before anything else runs ([`Observed::start`]), recorded with the
/// answer as sent and the route template it matched
/// ([`Observed::finish`]), faults, rate limits and panics included.
#[derive(Debug)]
pub struct Observed {
    started: Instant,
    at: DateTime<Utc>,
    method: Method,
    /// The path and query, and where the query starts.
    target: String,
    query_at: Option<usize>,
    /// `/__admin` is not journaled (the metrics count it, the log shows it).
    journaled: bool,
    vendor: &'static str,
    request_id: RequestId,
}

impl Observed {
    /// `vendor` is the path's label ([`vendor_of`]).
    pub fn start(app: &AppState, request: &Request, vendor: &'static str) -> Self {
        let started = Instant::now();
        let uri = request.uri();
        let path = uri.path();
        let (target, query_at) = match uri.query() {
            Some(query) => {
                let mut target = String::with_capacity(path.len() + 1 + query.len());
                target.push_str(path);
                target.push('?');
                target.push_str(query);
                (target, Some(path.len()))
            }
            None => (path.to_string(), None),
        };
        Observed {
            started,
            at: app.engine.clock().now(),
            method: request.method().clone(),
            target,
            query_at,
            journaled: vendor != "admin",
            vendor,
            request_id: request_id::for_request(request.headers()),
        }
    }

    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// Records the answer in the metrics and (but for `/__admin`) the
    /// journal, and echoes the request id in `X-Request-Id`.
    pub fn finish(self, app: &AppState, response: &mut Response, operation: Option<&MatchedPath>) {
        response
            .headers_mut()
            .insert(request_id::HEADER, self.request_id.header_value());
        let latency = self.started.elapsed();
        let fault = response.extensions().get::<AppliedFault>();
        // A dropped connection's response never reaches the client.
        let dropped = fault.is_some_and(|f| f.effect.split('+').any(|e| e == "drop"));
        let status = (!dropped).then(|| response.status().as_u16());
        app.metrics
            .record(self.vendor, operation, status, latency, fault);
        crate::logs::answered(&crate::logs::Answered {
            method: &self.method,
            path: &self.target[..self.query_at.unwrap_or(self.target.len())],
            query: self.query_at.map(|at| &self.target[at + 1..]),
            vendor: self.vendor,
            latency,
            response: &*response,
        });
        if self.journaled {
            app.journal.record(Record {
                id: 0,
                request_id: self.request_id,
                at: self.at,
                method: self.method,
                target: self.target,
                query_at: self.query_at,
                status,
                latency,
                vendor: self.vendor,
                operation: operation.cloned(),
                fault: fault.cloned(),
            });
        }
    }
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
