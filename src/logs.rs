//! Request logs: one line per request through `tracing`, an event emitted
//! where the journal records the request (the one place every request
//! passes on its way out, faults, rate limits and panics included). Each
//! line carries the method, the path (credential values in the query
//! redacted, as in the journal), the vendor, the status, the latency, the
//! fault or rate limit applied and, for a refused request, the message the
//! client got.
//!
//! The library only emits events; the `mockcloud` binary installs the
//! subscriber that writes them to stderr (`--log-format`, `--log-level`,
//! `RUST_LOG`). Without one (a Rust test embedding the server) they cost a
//! disabled callsite check. Health checks log at `debug`, so a container's
//! probe does not flood the default `info` output.
//!
//! One event and no span per request: a span (what tower-http's trace
//! layer opens) costs a registry entry, its fields formatted apart, and an
//! enter and exit at every poll, for a line that is written once.

use std::fmt;
use std::time::Duration;

use axum::http::Method;
use axum::response::Response;
use tracing::Level;

use crate::admin::journal::RedactedQuery;
use crate::core::faults::AppliedFault;
use crate::core::refused::Refused;

/// A request as its log line shows it.
pub struct Answered<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub vendor: &'static str,
    pub latency: Duration,
    pub response: &'a Response,
}

/// The path as logged: the query's credential values redacted, written as
/// the line is formatted.
struct ShownPath<'a> {
    path: &'a str,
    query: Option<&'a str>,
}

impl fmt::Display for ShownPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path)?;
        match self.query {
            Some(query) => write!(f, "?{}", RedactedQuery(query)),
            None => Ok(()),
        }
    }
}

const TARGET: &str = "mockcloud::request";

/// Logs `answered`'s line, at `debug` for health checks and `info` for
/// the rest (nothing is formatted when that level is off).
pub fn answered(answered: &Answered<'_>) {
    let health = answered.path == "/__admin/health";
    let level = if health { Level::DEBUG } else { Level::INFO };
    let enabled = if health {
        tracing::enabled!(target: TARGET, Level::DEBUG)
    } else {
        tracing::enabled!(target: TARGET, Level::INFO)
    };
    if !enabled {
        return;
    }
    let Answered {
        method,
        path,
        query,
        vendor,
        latency,
        response,
    } = answered;
    let path = ShownPath {
        path,
        query: *query,
    };
    let status = response.status().as_u16();
    let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    if level == Level::DEBUG {
        tracing::debug!(
            target: TARGET,
            %method,
            %path,
            vendor,
            status,
            latency_ms,
            "answered"
        );
        return;
    }
    let applied = response.extensions().get::<AppliedFault>();
    let rate_limit = applied
        .filter(|applied| applied.effect == "rate_limit")
        .map(|applied| applied.rule.as_str());
    let fault = applied
        .filter(|applied| applied.effect != "rate_limit")
        .map(|applied| format!("{} ({})", applied.rule, applied.effect));
    if status >= 400 {
        let reason = response.extensions().get::<Refused>().map(|r| &*r.0);
        tracing::info!(
            target: TARGET,
            %method,
            %path,
            vendor,
            status,
            latency_ms,
            fault,
            rate_limit,
            reason,
            "refused"
        );
    } else {
        tracing::info!(
            target: TARGET,
            %method,
            %path,
            vendor,
            status,
            latency_ms,
            fault,
            "answered"
        );
    }
}
