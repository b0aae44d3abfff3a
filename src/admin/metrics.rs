//! `GET /__admin/metrics`: Prometheus text exposition (format 0.0.4) of
//! requests by vendor, operation and status, faults applied, and request
//! durations. Counters run for the server's life: reset does not zero them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::AppState;
use crate::core::faults::AppliedFault;

/// The `operation` of a request no route served.
const UNMATCHED: &str = "unmatched";

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    counted: Mutex<Counted>,
}

#[derive(Debug, Default)]
struct Counted {
    /// (vendor, operation, status) → requests; status `dropped` when a
    /// fault closed the connection instead.
    requests: BTreeMap<(&'static str, String, String), u64>,
    /// (vendor, rule, effect) → faults applied.
    faults: BTreeMap<(&'static str, String, String), u64>,
    /// (vendor, operation) → durations.
    durations: BTreeMap<(&'static str, String), Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Observations at or under each bound of `BUCKETS` (not cumulative).
    in_bucket: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    pub fn record(
        &self,
        vendor: &'static str,
        operation: Option<&str>,
        status: Option<u16>,
        latency: Duration,
        fault: Option<&AppliedFault>,
    ) {
        let operation = operation.unwrap_or(UNMATCHED).to_string();
        let status = status.map_or_else(|| "dropped".to_string(), |s| s.to_string());
        let seconds = latency.as_secs_f64();
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        *counted
            .requests
            .entry((vendor, operation.clone(), status))
            .or_default() += 1;
        if let Some(fault) = fault {
            *counted
                .faults
                .entry((vendor, fault.rule.clone(), fault.effect.clone()))
                .or_default() += 1;
        }
        let histogram = counted.durations.entry((vendor, operation)).or_default();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.in_bucket[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The text exposition format, families in a fixed order.
    pub fn render(&self) -> String {
        let counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        family(
            &mut out,
            "mockcloud_requests_total",
            "counter",
            "Requests answered, by vendor, operation (route template) and status.",
        );
        for ((vendor, operation, status), n) in &counted.requests {
            let labels = labels(&[
                ("vendor", vendor),
                ("operation", operation),
                ("status", status),
            ]);
            let _ = writeln!(out, "mockcloud_requests_total{{{labels}}} {n}");
        }
        family(
            &mut out,
            "mockcloud_faults_total",
            "counter",
            "Faults applied (rate-limit refusals included), by vendor, rule and effect.",
        );
        for ((vendor, rule, effect), n) in &counted.faults {
            let labels = labels(&[("vendor", vendor), ("rule", rule), ("effect", effect)]);
            let _ = writeln!(out, "mockcloud_faults_total{{{labels}}} {n}");
        }
        family(
            &mut out,
            "mockcloud_request_duration_seconds",
            "histogram",
            "Time to the response head, by vendor and operation.",
        );
        for ((vendor, operation), histogram) in &counted.durations {
            let base = labels(&[("vendor", vendor), ("operation", operation)]);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(histogram.in_bucket) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "mockcloud_request_duration_seconds_bucket{{{base},le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = histogram.count;
            let _ = writeln!(
                out,
                "mockcloud_request_duration_seconds_bucket{{{base},le=\"+Inf\"}} {count}"
            );
            let sum = histogram.sum;
            let _ = writeln!(
                out,
                "mockcloud_request_duration_seconds_sum{{{base}}} {sum}"
            );
            let _ = writeln!(
                out,
                "mockcloud_request_duration_seconds_count{{{base}}} {count}"
            );
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `a="x",b="y"`, values escaped as the format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            let value = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{value}\"")
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn get(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        app.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("rule", "a\"b\\c\nd")]), r#"rule="a\"b\\c\nd""#);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        for ms in [1, 20, 20_000] {
            metrics.record(
                "grafana",
                Some("/x"),
                Some(200),
                Duration::from_millis(ms),
                None,
            );
        }
        let text = metrics.render();
        assert!(text.contains(r#"_bucket{vendor="grafana",operation="/x",le="0.005"} 1"#));
        assert!(text.contains(r#"_bucket{vendor="grafana",operation="/x",le="0.025"} 2"#));
        assert!(text.contains(r#"_bucket{vendor="grafana",operation="/x",le="10"} 2"#));
        assert!(text.contains(r#"_bucket{vendor="grafana",operation="/x",le="+Inf"} 3"#));
        assert!(text.contains(
            r#"mockcloud_request_duration_seconds_count{vendor="grafana",operation="/x"} 3"#
        ));
    }
}
