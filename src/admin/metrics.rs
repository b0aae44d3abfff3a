//! `GET /__admin/metrics`: Prometheus text exposition (format 0.0.4) of
//! requests by vendor, operation and status, faults applied, and request
//! durations, and the gauge `mockcloud_rate_limit_windows` (the windows the
//! rate limiter keeps now). Counters run for the server's life: reset does
//! not zero them.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::extract::{MatchedPath, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use prometheus_client::encoding::prometheus_text::{self, CONTENT_TYPE as TEXT_FORMAT};
use prometheus_client::encoding::{
    EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder, MetricEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::AppState;
use crate::core::faults::AppliedFault;

/// The `operation` of a request no route served.
const UNMATCHED: &str = "unmatched";

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Label sets, in the order their labels are written. Looking a series up
/// builds one, so none holds a `String` made for the lookup: the route
/// template is the router's own (`MatchedPath`, shared), the status a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    vendor: &'static str,
    operation: Operation,
    /// `dropped` when a fault closed the connection instead.
    status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FaultLabels {
    vendor: &'static str,
    rule: String,
    effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabels {
    vendor: &'static str,
    operation: Operation,
}

/// The route template a request matched, or [`UNMATCHED`].
#[derive(Debug, Clone)]
struct Operation(Option<MatchedPath>);

impl Operation {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or(UNMATCHED, MatchedPath::as_str)
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Operation {}

impl Hash for Operation {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Operation {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// The status answered, or `dropped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Status(Option<u16>);

impl EncodeLabelValue for Status {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        match self.0 {
            Some(status) => EncodeLabelValue::encode(&status, encoder),
            None => EncodeLabelValue::encode(&"dropped", encoder),
        }
    }
}

/// A family whose `# HELP` and `# TYPE` lines are written even before its
/// first series: the registry skips empty metrics, mockcloud has always
/// declared all three families from the first scrape.
#[derive(Debug)]
struct Declared<M>(M);

impl<M: EncodeMetric> EncodeMetric for Declared<M> {
    fn encode(&self, encoder: MetricEncoder) -> std::fmt::Result {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

#[derive(Debug)]
pub struct Metrics {
    /// Holds the three families below (shared handles) in exposition order.
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    faults: Family<FaultLabels, Counter>,
    durations: Family<OperationLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let faults = Family::<FaultLabels, Counter>::default();
        let durations: Family<OperationLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(BUCKETS));
        let mut registry = Registry::default();
        // Counters are registered without `_total` and help without the
        // final period: the encoder adds both.
        registry.register(
            "mockcloud_requests",
            "Requests answered, by vendor, operation (route template) and status",
            Declared(requests.clone()),
        );
        registry.register(
            "mockcloud_faults",
            "Faults applied (rate-limit refusals included), by vendor, rule and effect",
            Declared(faults.clone()),
        );
        registry.register(
            "mockcloud_request_duration_seconds",
            "Time to the response head, by vendor and operation",
            Declared(durations.clone()),
        );
        Metrics {
            registry,
            requests,
            faults,
            durations,
        }
    }
}

impl Metrics {
    pub fn record(
        &self,
        vendor: &'static str,
        operation: Option<&MatchedPath>,
        status: Option<u16>,
        latency: Duration,
        fault: Option<&AppliedFault>,
    ) {
        let operation = Operation(operation.cloned());
        if let Some(fault) = fault {
            self.faults
                .get_or_create(&FaultLabels {
                    vendor,
                    rule: fault.rule.clone(),
                    effect: fault.effect.clone(),
                })
                .inc();
        }
        self.durations
            .get_or_create(&OperationLabels {
                vendor,
                operation: operation.clone(),
            })
            .observe(latency.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                vendor,
                operation,
                status: Status(status),
            })
            .inc();
    }

    /// The Prometheus text format (0.0.4): families in the order registered,
    /// series within a family in no fixed order.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

/// The gauge of the rate limiter's windows, in the text format: it reads
/// the limiter at scrape time, so it lives outside the registry.
fn rate_limit_windows(windows: usize) -> String {
    format!(
        "# HELP mockcloud_rate_limit_windows Rate-limit windows kept now, every vendor \
         together (at most one per known credential and rule).\n\
         # TYPE mockcloud_rate_limit_windows gauge\n\
         mockcloud_rate_limit_windows {windows}\n"
    )
}

pub async fn get(State(app): State<AppState>) -> impl IntoResponse {
    let mut text = app.metrics.render();
    text.push_str(&rate_limit_windows(app.engine.rate_limits.len()));
    ([(CONTENT_TYPE, TEXT_FORMAT)], text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_exposition_declares_every_family() {
        assert_eq!(
            Metrics::default().render(),
            "# HELP mockcloud_requests_total Requests answered, by vendor, operation \
             (route template) and status.\n\
             # TYPE mockcloud_requests_total counter\n\
             # HELP mockcloud_faults_total Faults applied (rate-limit refusals included), \
             by vendor, rule and effect.\n\
             # TYPE mockcloud_faults_total counter\n\
             # HELP mockcloud_request_duration_seconds Time to the response head, \
             by vendor and operation.\n\
             # TYPE mockcloud_request_duration_seconds histogram\n"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = Metrics::default();
        let fault = AppliedFault {
            rule: "a\"b\\c\nd".to_string(),
            effect: "error".to_string(),
        };
        metrics.record("grafana", None, Some(500), Duration::ZERO, Some(&fault));
        assert!(metrics.render().contains(r#"rule="a\"b\\c\nd""#));
    }

    /// The `MatchedPath` of a request to `/x` (the router makes them).
    async fn matched_x() -> MatchedPath {
        use axum::Router;
        use axum::body::Body;
        use axum::http::Request;
        use tower::ServiceExt;

        let (tx, rx) = std::sync::mpsc::channel();
        let app = Router::new().route(
            "/x",
            axum::routing::get(move |matched: MatchedPath| async move {
                tx.send(matched).unwrap();
            }),
        );
        app.oneshot(Request::get("/x").body(Body::empty()).unwrap())
            .await
            .unwrap();
        rx.recv().unwrap()
    }

    #[tokio::test]
    async fn histogram_buckets_are_cumulative() {
        let x = matched_x().await;
        let metrics = Metrics::default();
        for ms in [1, 20, 20_000] {
            metrics.record(
                "grafana",
                Some(&x),
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
