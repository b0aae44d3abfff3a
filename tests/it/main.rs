//! The integration tests, one binary: a module per vendor and per concern,
//! the shared helpers in `common`. `cargo test --test it <filter>` runs a part.

mod common;

mod access_policies;
mod admin_clock;
mod admin_guard;
mod billed_usage;
mod bounds;
mod cli;
mod clock_extremes;
mod connections;
mod console;
mod contract;
mod datadog_attribution;
mod datadog_costs;
mod datadog_hourly_usage;
mod datadog_rate_limits;
mod docs;
mod durability;
mod faults;
mod gcore_usage_report;
mod journal_and_metrics;
mod library;
mod logs;
mod openapi;
mod orgs_and_api_keys;
mod plugins;
mod python_package;
mod rust_example;
mod scenarios;
mod sdk;
mod server;
mod stacks;
mod state;
mod tokens_and_auth;
mod vendor_rate_limits;
