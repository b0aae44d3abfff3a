//! Request logs: one line per request through `tracing`, written by
//! tower-http's trace layer around the whole service. Each line carries the
//! method, the path (credential values in the query redacted, as in the
//! journal), the vendor, the status, the latency, the fault or rate limit
//! applied and, for a refused request, the message the client got.
//!
//! The library only emits events; the `mockcloud` binary installs the
//! subscriber that writes them to stderr (`--log-format`, `--log-level`,
//! `RUST_LOG`). Without one (a Rust test embedding the server) they cost a
//! disabled callsite check. Health checks log at `debug`, so a container's
//! probe does not flood the default `info` output.

use std::time::Duration;

use axum::http::{Request, Response};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::{Level, Span};

use crate::admin::journal::{redact_query, vendor_of};
use crate::core::faults::AppliedFault;
use crate::core::refused::Refused;

/// The layer that logs every request: wrap the whole service in it.
pub fn layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    RequestSpan,
    (),
    RequestLine,
    (),
    (),
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(RequestLine)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// The span of one request: what it asked.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

/// The path as logged: the query's credential values redacted.
fn shown_path(uri: &axum::http::Uri) -> String {
    match uri.query() {
        Some(query) => format!("{}?{}", uri.path(), redact_query(query)),
        None => uri.path().to_string(),
    }
}

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let path = request.uri().path();
        let vendor = vendor_of(path);
        if path == "/__admin/health" {
            // Probed every few seconds by container health checks.
            if !tracing::enabled!(target: "mockcloud::request", Level::DEBUG) {
                return Span::none();
            }
            return tracing::debug_span!(
                target: "mockcloud::request",
                "request",
                method = %request.method(),
                path = %shown_path(request.uri()),
                vendor,
            );
        }
        if !tracing::enabled!(target: "mockcloud::request", Level::INFO) {
            return Span::none();
        }
        tracing::info_span!(
            target: "mockcloud::request",
            "request",
            method = %request.method(),
            path = %shown_path(request.uri()),
            vendor,
        )
    }
}

/// The line written when the answer's head is ready.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine;

impl<B> OnResponse<B> for RequestLine {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let Some(level) = span.metadata().map(|meta| *meta.level()) else {
            // Not logged at the level in force.
            return;
        };
        let status = response.status().as_u16();
        let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        let applied = response.extensions().get::<AppliedFault>();
        let rate_limit = applied
            .filter(|applied| applied.effect == "rate_limit")
            .map(|applied| applied.rule.as_str());
        let fault = applied
            .filter(|applied| applied.effect != "rate_limit")
            .map(|applied| format!("{} ({})", applied.rule, applied.effect));
        let reason = response.extensions().get::<Refused>().map(|r| &*r.0);
        if level == Level::DEBUG {
            tracing::debug!(
                target: "mockcloud::request",
                parent: span,
                status,
                latency_ms,
                "answered"
            );
        } else if status >= 400 {
            tracing::info!(
                target: "mockcloud::request",
                parent: span,
                status,
                latency_ms,
                fault,
                rate_limit,
                reason,
                "refused"
            );
        } else {
            tracing::info!(
                target: "mockcloud::request",
                parent: span,
                status,
                latency_ms,
                fault,
                "answered"
            );
        }
    }
}
