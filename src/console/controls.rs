//! Controls: fault rules, rate limits, the clock, reset, scenarios, and the
//! state document. The page shows what is in force; its forms call the
//! admin API the documentation describes (`assets/console.js`).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Chrome, render};
use crate::admin::AppState;
use crate::scenario::Scenario;

#[derive(Template)]
#[template(path = "controls.html")]
struct ControlsPage {
    chrome: Chrome,
    faults: Vec<(String, String)>,
    fault_example: &'static str,
    rate_limits: Vec<(&'static str, String)>,
    scenarios: Vec<&'static str>,
}

const FAULT_EXAMPLE: &str = r#"{"id": "grafana-down", "vendor": "grafana", "path": "/api/instances*", "effect": {"error": {"status": 503}}}"#;

pub async fn page(State(app): State<AppState>) -> Response {
    let faults = app
        .engine
        .faults
        .rules()
        .iter()
        .map(|rule| {
            (
                rule.id.clone().unwrap_or_default(),
                serde_json::to_string(rule).unwrap_or_default(),
            )
        })
        .collect();
    let rate_limits = {
        let world = app.engine.read();
        crate::vendors::ALL
            .iter()
            .map(|vendor| {
                let rules: Vec<String> = vendor
                    .rate_limits(&world)
                    .iter()
                    .map(|rule| serde_json::to_string(rule).unwrap_or_default())
                    .collect();
                // A rule a line: short enough to read and edit in place.
                (vendor.name(), format!("[\n  {}\n]", rules.join(",\n  ")))
            })
            .collect()
    };
    render(&ControlsPage {
        chrome: Chrome::of(&app, "/__admin/ui/controls"),
        faults,
        fault_example: FAULT_EXAMPLE,
        rate_limits,
        scenarios: Scenario::built_in_names().collect(),
    })
}
