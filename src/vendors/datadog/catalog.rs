//! Datadog's catalogue, as the official client mockcloud follows sees the
//! API: the product families of `hourly_usage` and their usage types, the
//! products of hourly and monthly usage attribution, the billable-summary
//! keys and a list price for every usage type.
//!
//! This module is data only, and the one place a client upgrade changes:
//! read the new client's `HourlyUsageAttributionUsageType`,
//! `MonthlyUsageAttributionSupportedMetrics`, `MonthlyUsageAttributionValues`,
//! `UsageBillableSummaryKeys` and the product families `get_hourly_usage`
//! documents, update the tables below and [`CLIENT_VERSION`], the pin in
//! `tests/sdk/requirements.txt` and the enums of `openapi/datadog.json`, then
//! run the SDK tests (`tests/sdk.rs`). The unit tests of the usage modules
//! check the tables against each other (every usage type priced, every
//! attribution source metered …); `tests/sdk/test_datadog.py` checks them
//! against the client.
//!
//! A usage type's figures are a function of (seed, org, family, usage type),
//! so adding one leaves every other figure as it was.

use crate::core::series::Profile;
use crate::vendors::datadog::usage::attribution::{AttributionType, metered, product};
use crate::vendors::datadog::usage::billable_summary::{BillableKey, key};
use crate::vendors::datadog::usage::{ProductFamily, count, count_of, family, gauge, gauge_of};

/// The official client whose models this catalogue follows: the version
/// `tests/sdk/requirements.txt` pins.
pub const CLIENT_VERSION: &str = "datadog-api-client==2.62.0";

const RUNS: Profile = Profile::RUNS;
const SEATS: Profile = Profile::SEATS;
const STORED: Profile = Profile::STORED;
const BYTES: Profile = Profile::BYTES;
const SESSIONS: Profile = Profile::SESSIONS;
const CHECKS: Profile = Profile::CHECKS;

/// Every product family `filter[product_families]` accepts (but `all`), in
/// the order `get_hourly_usage` documents them; `audit_logs` is documented
/// as deprecated. Usage types that repeat another family's figure say so
/// with `same_as` and report the same numbers.
pub const PRODUCT_FAMILIES: &[ProductFamily] = &[
    family("ai", &[count_of("ai_credits", RUNS)]),
    family("analyzed_logs", &[count("analyzed_logs")]),
    family(
        "application_performance_monitoring",
        &[
            gauge("apm_host_count").same_as("infra_hosts", "apm_host_count"),
            // The series apm_fargate_usage attribution has always had.
            gauge("apm_fargate_count").same_as("attribution", "apm_fargate_usage"),
            gauge("apm_azure_app_service_host_count")
                .same_as("infra_hosts", "apm_azure_app_service_host_count"),
            gauge("apm_devsecops_host_count"),
            gauge("apm_usm_host_count"),
            gauge("opentelemetry_apm_host_count")
                .same_as("infra_hosts", "opentelemetry_apm_host_count"),
            gauge("universal_service_monitoring_host_count"),
        ],
    ),
    family(
        "application_security",
        &[gauge("app_sec_host_count"), gauge("appsec_fargate_count")],
    ),
    family("audit_logs", &[count("lines_indexed")]).deprecated(),
    family(
        "audit_trail",
        &[
            count("audit_trail_event_forwarding_events"),
            count("lines_indexed").same_as("audit_logs", "lines_indexed"),
        ],
    ),
    family("bits_ai", &[count_of("bits_ai_investigations", SEATS)]),
    family(
        "serverless",
        &[
            gauge("func_count"),
            count("invocations_sum"),
            gauge("serverless_apps_count"),
            gauge("serverless_apps_apm_count"),
        ],
    ),
    family(
        "ci_app",
        &[
            gauge("ci_pipeline_indexed_spans"),
            gauge("ci_test_indexed_spans"),
            gauge("ci_visibility_pipeline_committers"),
            gauge("ci_visibility_test_committers"),
        ],
    ),
    family(
        "cloud_cost_management",
        &[
            gauge("aws_host_count"),
            gauge("azure_host_count"),
            gauge("gcp_host_count"),
            gauge("host_count"),
            gauge("oci_host_count"),
        ],
    ),
    family(
        "cloud_siem",
        &[
            count("cloud_siem_events"),
            count("siem_12mo_retention_events"),
            count("siem_6mo_retention_events"),
            count("siem_analyzed_logs_add_on_count"),
            count_of("siem_ingested_bytes", BYTES),
        ],
    ),
    family(
        "csm_container_enterprise",
        &[
            gauge("compliance_count"),
            gauge("cws_count"),
            gauge("total_count"),
        ],
    ),
    family(
        "csm_host_enterprise",
        &[
            gauge("aas_host_count"),
            gauge("aws_host_count"),
            gauge("azure_host_count"),
            gauge("compliance_host_count"),
            gauge("cws_host_count"),
            gauge("gcp_host_count"),
            gauge("oci_host_count"),
            gauge("total_host_count"),
        ],
    ),
    family(
        "csm_host_pro",
        &[
            gauge("aas_host_count"),
            gauge("aws_host_count"),
            gauge("azure_host_count"),
            gauge("gcp_host_count"),
            gauge("oci_host_count"),
            gauge("total_host_count"),
        ],
    ),
    family(
        "cspm",
        &[
            gauge("aas_host_count"),
            gauge("aws_host_count"),
            gauge("azure_host_count"),
            gauge("compliance_host_count"),
            gauge("container_count"),
            gauge("gcp_host_count"),
            gauge("host_count"),
        ],
    ),
    family("custom_events", &[count("num_custom_events")]),
    family(
        "cws",
        &[
            gauge("cws_container_count"),
            gauge("cws_host_count"),
            gauge("cws_fargate_task_count"),
        ],
    ),
    family(
        "data_observability",
        &[
            gauge("data_jobs_monitoring_host_count"),
            gauge("data_stream_monitoring_host_count"),
        ],
    ),
    family(
        "dbm",
        &[gauge("dbm_host_count"), count("dbm_queries_count")],
    ),
    family(
        "digital_experience_management",
        &[
            count_of("rum_browser_and_mobile_session_count", SESSIONS),
            count_of("rum_ingested_session_count", SESSIONS),
            count_of("rum_investigate_session_count", SESSIONS),
            count_of("rum_session_replay_add_on_count", SESSIONS),
        ],
    ),
    family(
        "error_tracking",
        &[
            count("error_tracking_apm_error_events"),
            count("error_tracking_events"),
            count("error_tracking_rum_error_events"),
        ],
    ),
    family(
        "fargate",
        &[gauge("avg_profiled_fargate_tasks"), gauge("tasks_count")],
    ),
    family(
        "infra_hosts",
        &[
            gauge("agent_host_count"),
            gauge("alibaba_host_count"),
            gauge("apm_azure_app_service_host_count"),
            gauge("apm_host_count"),
            gauge("aws_host_count"),
            gauge("azure_host_count"),
            gauge("container_count"),
            gauge("gcp_host_count"),
            gauge("heroku_host_count"),
            gauge("host_count"),
            gauge("infra_azure_app_service"),
            gauge("opentelemetry_apm_host_count"),
            gauge("opentelemetry_host_count"),
            gauge("vsphere_host_count"),
        ],
    ),
    family("incident_management", &[gauge("monthly_active_users")]),
    family(
        "indexed_logs",
        &[
            count("logs_indexed_events_3_day_count"),
            count("logs_indexed_events_7_day_count"),
            count("logs_indexed_events_15_day_count"),
            count("logs_indexed_events_30_day_count"),
            count("logs_indexed_events_1_day_count"),
            count("logs_indexed_events_45_day_count"),
            count("logs_indexed_events_60_day_count"),
            count("logs_indexed_events_90_day_count"),
            count("logs_indexed_events_180_day_count"),
            count("logs_indexed_events_360_day_count"),
            count("logs_indexed_events_custom_retention_count"),
        ],
    ),
    family("indexed_spans", &[count("indexed_events_count")]),
    family(
        "infrastructure_monitoring",
        &[
            gauge("container_count").same_as("infra_hosts", "container_count"),
            gauge("container_excl_agent_count"),
            gauge("host_count").same_as("infra_hosts", "host_count"),
            gauge("infra_host_basic_count"),
        ],
    ),
    family(
        "ingested_spans",
        &[count_of("ingested_events_bytes", BYTES)],
    ),
    family("iot", &[gauge("iot_device_count")]),
    family(
        "lambda_traced_invocations",
        &[count("lambda_traced_invocations_count")],
    ),
    family(
        "llm_observability",
        &[count("llm_observability_requests"), count("llm_spans")],
    ),
    family(
        "log_management",
        &[
            gauge_of("flex_logs_starter", STORED),
            gauge_of("flex_stored_logs", STORED),
            count_of("ingested_events_bytes", BYTES).same_as("logs", "ingested_events_bytes"),
            count_of("logs_archive_search_scanned_bytes", BYTES),
        ],
    ),
    family(
        "logs",
        &[
            count_of("billable_ingested_bytes", BYTES),
            count("indexed_events_count"),
            count_of("ingested_events_bytes", BYTES),
            count_of("logs_forwarding_events_bytes", BYTES),
            count("logs_live_indexed_count"),
            count_of("logs_live_ingested_bytes", BYTES),
            count("logs_rehydrated_indexed_count"),
            count_of("logs_rehydrated_ingested_bytes", BYTES),
        ],
    ),
    family("network_flows", &[count("indexed_events_count")]),
    family("network_hosts", &[gauge("host_count")]),
    family(
        "network_monitoring",
        &[
            count("ndm_netflow_events"),
            gauge("network_device_wireless_count"),
            gauge("npm_host_count").same_as("network_hosts", "host_count"),
        ],
    ),
    family(
        "observability_pipelines",
        &[
            count_of("observability_pipelines_bytes_processed", BYTES),
            gauge("observability_pipelines_vcpu_count"),
        ],
    ),
    family("online_archive", &[count("online_archive_events_count")]),
    family(
        "platform_capabilities",
        &[
            count("feature_flags_config_requests"),
            gauge_of("published_app", SEATS),
        ],
    ),
    family(
        "product_analytics",
        &[count_of("product_analytics_session_count", SESSIONS)],
    ),
    family(
        "profiling",
        &[gauge("avg_container_agent_count"), gauge("host_count")],
    ),
    family(
        "rum",
        &[
            count_of("browser_rum_units", SESSIONS),
            count_of("mobile_rum_units", SESSIONS),
            count_of("rum_units", SESSIONS),
        ],
    ),
    family(
        "rum_browser_sessions",
        &[
            count_of("replay_session_count", SESSIONS),
            count_of("session_count", SESSIONS),
        ],
    ),
    family(
        "rum_mobile_sessions",
        &[
            count_of("session_count", SESSIONS),
            count_of("session_count_android", SESSIONS),
            count_of("session_count_flutter", SESSIONS),
            count_of("session_count_ios", SESSIONS),
            count_of("session_count_reactnative", SESSIONS),
        ],
    ),
    family(
        "sds",
        &[
            count_of("logs_scanned_bytes", BYTES),
            count_of("total_scanned_bytes", BYTES),
        ],
    ),
    family(
        "security",
        &[
            count("asm_serverless_traced_invocations"),
            gauge("code_security_host_count"),
            gauge("sca_fargate_count"),
        ],
    ),
    family("snmp", &[gauge("snmp_devices")]),
    family(
        "software_delivery",
        &[
            gauge("ci_code_coverage_committers"),
            gauge("ci_visibility_itr_committers"),
            gauge("code_analysis_sa_committers"),
            gauge("code_analysis_sca_committers"),
        ],
    ),
    family("synthetics_api", &[count_of("check_calls_count", CHECKS)]),
    family(
        "synthetics_browser",
        &[count_of("browser_check_calls_count", CHECKS)],
    ),
    family(
        "synthetics_mobile",
        &[count_of("synthetics_mobile_test_runs", RUNS)],
    ),
    family(
        "synthetics_parallel_testing",
        &[gauge_of("synthetics_parallel_testing_slots", SEATS)],
    ),
    family(
        "timeseries",
        &[
            gauge("num_custom_input_timeseries"),
            gauge("num_custom_output_timeseries"),
            gauge("num_custom_timeseries"),
        ],
    ),
    family("vuln_management", &[gauge("host_count")]),
    family(
        "workflow_executions",
        &[count_of("workflow_executions", RUNS)],
    ),
];

/// `<stem>_usage` and `<stem>_percentage`, metered by `usage_type` of
/// `family`.
macro_rules! attribution {
    ($stem:literal, $family:literal, $usage_type:literal) => {
        product(
            concat!($stem, "_usage"),
            concat!($stem, "_percentage"),
            metered($family, $usage_type),
        )
    };
}

/// Every product of usage attribution, in the client's order: hourly
/// attribution takes `<stem>_usage` (or the name `hourly_as` gives) and the
/// few `hourly_percentage` names; monthly attribution takes both fields of
/// every product but the `hourly_only` ones (the values of
/// `MonthlyUsageAttributionSupportedMetrics`), and `*` returns them but the
/// percentages `MonthlyUsageAttributionValues` lacks.
pub const ATTRIBUTION_TYPES: &[AttributionType] = &[
    attribution!("api", "synthetics_api", "check_calls_count"),
    attribution!(
        "apm_fargate",
        "application_performance_monitoring",
        "apm_fargate_count"
    ),
    attribution!("apm_host", "infra_hosts", "apm_host_count"),
    attribution!(
        "apm_usm",
        "application_performance_monitoring",
        "apm_usm_host_count"
    ),
    attribution!(
        "appsec_fargate",
        "application_security",
        "appsec_fargate_count"
    ),
    attribution!("appsec", "application_security", "app_sec_host_count"),
    attribution!(
        "asm_serverless_traced_invocations",
        "security",
        "asm_serverless_traced_invocations"
    )
    .hourly_percentage("asm_serverless_traced_invocations_percentage"),
    attribution!(
        "bits_ai_investigations",
        "bits_ai",
        "bits_ai_investigations"
    ),
    attribution!("browser", "synthetics_browser", "browser_check_calls_count"),
    attribution!(
        "ci_code_coverage_committers",
        "software_delivery",
        "ci_code_coverage_committers"
    )
    .hourly_percentage("ci_code_coverage_committers_percentage")
    .hourly_only(),
    attribution!(
        "ci_pipeline_indexed_spans",
        "ci_app",
        "ci_pipeline_indexed_spans"
    ),
    attribution!("ci_test_indexed_spans", "ci_app", "ci_test_indexed_spans"),
    attribution!(
        "ci_visibility_itr",
        "software_delivery",
        "ci_visibility_itr_committers"
    ),
    attribution!("cloud_siem", "cloud_siem", "cloud_siem_events"),
    attribution!("code_security_host", "security", "code_security_host_count"),
    attribution!(
        "container_excl_agent",
        "infrastructure_monitoring",
        "container_excl_agent_count"
    ),
    attribution!("container", "infra_hosts", "container_count"),
    attribution!("cspm_containers", "cspm", "container_count"),
    attribution!("cspm_hosts", "cspm", "host_count"),
    attribution!("custom_event", "custom_events", "num_custom_events"),
    attribution!(
        "custom_ingested_timeseries",
        "timeseries",
        "num_custom_input_timeseries"
    ),
    attribution!("custom_timeseries", "timeseries", "num_custom_timeseries"),
    attribution!("cws_containers", "cws", "cws_container_count"),
    attribution!("cws_fargate_task", "cws", "cws_fargate_task_count"),
    attribution!("cws_hosts", "cws", "cws_host_count"),
    attribution!(
        "data_jobs_monitoring",
        "data_observability",
        "data_jobs_monitoring_host_count"
    )
    .percentage_not_in_star(),
    attribution!(
        "data_stream_monitoring",
        "data_observability",
        "data_stream_monitoring_host_count"
    )
    .percentage_not_in_star(),
    attribution!("dbm_hosts", "dbm", "dbm_host_count"),
    attribution!("dbm_queries", "dbm", "dbm_queries_count"),
    attribution!("error_tracking", "error_tracking", "error_tracking_events")
        .hourly_percentage("error_tracking_percentage"),
    attribution!(
        "estimated_indexed_spans",
        "indexed_spans",
        "indexed_events_count"
    ),
    attribution!(
        "estimated_ingested_spans",
        "ingested_spans",
        "ingested_events_bytes"
    ),
    attribution!("fargate", "fargate", "tasks_count"),
    attribution!("flex_logs_starter", "log_management", "flex_logs_starter")
        .hourly_as("flex_logs_starter"),
    attribution!("flex_stored_logs", "log_management", "flex_stored_logs")
        .hourly_as("flex_stored_logs"),
    attribution!("functions", "serverless", "func_count"),
    attribution!(
        "incident_management_monthly_active_users",
        "incident_management",
        "monthly_active_users"
    ),
    attribution!("indexed_spans", "indexed_spans", "indexed_events_count"),
    attribution!("infra_host", "infra_hosts", "host_count"),
    attribution!(
        "infra_host_basic",
        "infrastructure_monitoring",
        "infra_host_basic_count"
    ),
    attribution!("ingested_logs_bytes", "logs", "ingested_events_bytes"),
    attribution!(
        "ingested_spans_bytes",
        "ingested_spans",
        "ingested_events_bytes"
    ),
    attribution!("invocations", "serverless", "invocations_sum"),
    attribution!(
        "lambda_traced_invocations",
        "lambda_traced_invocations",
        "lambda_traced_invocations_count"
    ),
    attribution!(
        "llm_observability",
        "llm_observability",
        "llm_observability_requests"
    ),
    attribution!("llm_spans", "llm_observability", "llm_spans"),
    attribution!(
        "logs_indexed_15day",
        "indexed_logs",
        "logs_indexed_events_15_day_count"
    ),
    attribution!(
        "logs_indexed_180day",
        "indexed_logs",
        "logs_indexed_events_180_day_count"
    ),
    attribution!(
        "logs_indexed_1day",
        "indexed_logs",
        "logs_indexed_events_1_day_count"
    ),
    attribution!(
        "logs_indexed_30day",
        "indexed_logs",
        "logs_indexed_events_30_day_count"
    ),
    attribution!(
        "logs_indexed_360day",
        "indexed_logs",
        "logs_indexed_events_360_day_count"
    ),
    attribution!(
        "logs_indexed_3day",
        "indexed_logs",
        "logs_indexed_events_3_day_count"
    ),
    attribution!(
        "logs_indexed_45day",
        "indexed_logs",
        "logs_indexed_events_45_day_count"
    ),
    attribution!(
        "logs_indexed_60day",
        "indexed_logs",
        "logs_indexed_events_60_day_count"
    ),
    attribution!(
        "logs_indexed_7day",
        "indexed_logs",
        "logs_indexed_events_7_day_count"
    ),
    attribution!(
        "logs_indexed_90day",
        "indexed_logs",
        "logs_indexed_events_90_day_count"
    ),
    attribution!(
        "logs_indexed_custom_retention",
        "indexed_logs",
        "logs_indexed_events_custom_retention_count"
    ),
    attribution!(
        "mobile_app_testing",
        "synthetics_mobile",
        "synthetics_mobile_test_runs"
    ),
    attribution!("ndm_netflow", "network_monitoring", "ndm_netflow_events"),
    attribution!("npm_host", "network_hosts", "host_count"),
    attribution!(
        "network_device_wireless",
        "network_monitoring",
        "network_device_wireless_count"
    ),
    attribution!(
        "obs_pipeline_bytes",
        "observability_pipelines",
        "observability_pipelines_bytes_processed"
    ),
    attribution!(
        "obs_pipelines_vcpu",
        "observability_pipelines",
        "observability_pipelines_vcpu_count"
    ),
    attribution!(
        "online_archive",
        "online_archive",
        "online_archive_events_count"
    ),
    attribution!(
        "product_analytics_session",
        "product_analytics",
        "product_analytics_session_count"
    ),
    attribution!(
        "profiled_container",
        "profiling",
        "avg_container_agent_count"
    ),
    attribution!("profiled_fargate", "fargate", "avg_profiled_fargate_tasks"),
    attribution!("profiled_host", "profiling", "host_count"),
    attribution!("published_app", "platform_capabilities", "published_app")
        .hourly_as("published_app"),
    attribution!(
        "rum_browser_mobile_sessions",
        "digital_experience_management",
        "rum_browser_and_mobile_session_count"
    ),
    attribution!(
        "rum_ingested",
        "digital_experience_management",
        "rum_ingested_session_count"
    ),
    attribution!(
        "rum_investigate",
        "digital_experience_management",
        "rum_investigate_session_count"
    ),
    attribution!(
        "rum_replay_sessions",
        "rum_browser_sessions",
        "replay_session_count"
    ),
    attribution!(
        "rum_session_replay_add_on",
        "digital_experience_management",
        "rum_session_replay_add_on_count"
    ),
    attribution!("sca_fargate", "security", "sca_fargate_count"),
    attribution!("sds_scanned_bytes", "sds", "total_scanned_bytes"),
    attribution!("serverless_apps", "serverless", "serverless_apps_count"),
    attribution!(
        "serverless_apps_apm",
        "serverless",
        "serverless_apps_apm_count"
    ),
    attribution!(
        "siem_12mo_retention",
        "cloud_siem",
        "siem_12mo_retention_events"
    ),
    attribution!(
        "siem_6mo_retention",
        "cloud_siem",
        "siem_6mo_retention_events"
    ),
    attribution!(
        "siem_analyzed_logs_add_on",
        "cloud_siem",
        "siem_analyzed_logs_add_on_count"
    ),
    attribution!("siem_ingested_bytes", "cloud_siem", "siem_ingested_bytes"),
    attribution!("snmp", "snmp", "snmp_devices"),
    attribution!(
        "universal_service_monitoring",
        "application_performance_monitoring",
        "universal_service_monitoring_host_count"
    ),
    attribution!("vuln_management_hosts", "vuln_management", "host_count"),
    attribution!(
        "workflow_executions",
        "workflow_executions",
        "workflow_executions"
    ),
];

const PER_THOUSAND: f64 = 1e-3;
const PER_MILLION: f64 = 1e-6;
const PER_GB: f64 = 1e-9;

/// List price per unit, by (product family, usage type): per host (or
/// device, user, function …) per month for gauges, per event, byte or
/// session for counts. Breakdowns of a figure billed elsewhere (mobile
/// sessions by platform, input/output custom metrics, figures another family
/// already reports) cost nothing.
pub const LIST_PRICES: &[(&str, &str, f64)] = &[
    ("analyzed_logs", "analyzed_logs", 0.20 * PER_MILLION),
    ("application_security", "app_sec_host_count", 31.0),
    ("application_security", "appsec_fargate_count", 2.0),
    ("audit_logs", "lines_indexed", 1.70 * PER_MILLION),
    ("serverless", "func_count", 5.0),
    ("serverless", "invocations_sum", 0.10 * PER_MILLION),
    ("ci_app", "ci_pipeline_indexed_spans", 0.25),
    ("ci_app", "ci_test_indexed_spans", 0.25),
    ("ci_app", "ci_visibility_pipeline_committers", 20.0),
    ("ci_app", "ci_visibility_test_committers", 20.0),
    ("cspm", "aas_host_count", 7.5),
    ("cspm", "aws_host_count", 7.5),
    ("cspm", "azure_host_count", 7.5),
    ("cspm", "compliance_host_count", 7.5),
    ("cspm", "container_count", 0.5),
    ("cspm", "gcp_host_count", 7.5),
    ("cspm", "host_count", 7.5),
    ("custom_events", "num_custom_events", 1.0 * PER_MILLION),
    ("cws", "cws_container_count", 1.0),
    ("cws", "cws_host_count", 10.0),
    ("dbm", "dbm_host_count", 70.0),
    ("dbm", "dbm_queries_count", 0.10 * PER_THOUSAND),
    ("fargate", "avg_profiled_fargate_tasks", 2.0),
    ("fargate", "tasks_count", 1.0),
    ("infra_hosts", "agent_host_count", 15.0),
    ("infra_hosts", "alibaba_host_count", 15.0),
    ("infra_hosts", "apm_azure_app_service_host_count", 31.0),
    ("infra_hosts", "apm_host_count", 31.0),
    ("infra_hosts", "aws_host_count", 15.0),
    ("infra_hosts", "azure_host_count", 15.0),
    ("infra_hosts", "container_count", 1.0),
    ("infra_hosts", "gcp_host_count", 15.0),
    ("infra_hosts", "heroku_host_count", 15.0),
    ("infra_hosts", "host_count", 15.0),
    ("infra_hosts", "infra_azure_app_service", 15.0),
    ("infra_hosts", "opentelemetry_apm_host_count", 31.0),
    ("infra_hosts", "opentelemetry_host_count", 15.0),
    ("infra_hosts", "vsphere_host_count", 15.0),
    ("incident_management", "monthly_active_users", 20.0),
    (
        "indexed_logs",
        "logs_indexed_events_3_day_count",
        1.06 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_7_day_count",
        1.27 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_15_day_count",
        1.70 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_30_day_count",
        2.50 * PER_MILLION,
    ),
    ("indexed_spans", "indexed_events_count", 1.70 * PER_MILLION),
    ("ingested_spans", "ingested_events_bytes", 0.10 * PER_GB),
    ("iot", "iot_device_count", 1.0),
    (
        "lambda_traced_invocations",
        "lambda_traced_invocations_count",
        5.0 * PER_MILLION,
    ),
    ("logs", "billable_ingested_bytes", 0.10 * PER_GB),
    ("logs", "indexed_events_count", 1.70 * PER_MILLION),
    // Billed as `billable_ingested_bytes`.
    ("logs", "ingested_events_bytes", 0.0),
    ("logs", "logs_forwarding_events_bytes", 0.25 * PER_GB),
    ("logs", "logs_live_indexed_count", 1.70 * PER_MILLION),
    ("logs", "logs_live_ingested_bytes", 0.10 * PER_GB),
    ("logs", "logs_rehydrated_indexed_count", 1.70 * PER_MILLION),
    ("logs", "logs_rehydrated_ingested_bytes", 0.10 * PER_GB),
    ("network_flows", "indexed_events_count", 1.30 * PER_MILLION),
    ("network_hosts", "host_count", 5.0),
    (
        "observability_pipelines",
        "observability_pipelines_bytes_processed",
        0.10 * PER_GB,
    ),
    (
        "online_archive",
        "online_archive_events_count",
        0.10 * PER_MILLION,
    ),
    ("profiling", "avg_container_agent_count", 2.0),
    ("profiling", "host_count", 19.0),
    ("rum", "browser_rum_units", 1.50 * PER_THOUSAND),
    ("rum", "mobile_rum_units", 1.50 * PER_THOUSAND),
    // The sum of browser and mobile units, billed there.
    ("rum", "rum_units", 0.0),
    (
        "rum_browser_sessions",
        "replay_session_count",
        2.50 * PER_THOUSAND,
    ),
    ("rum_browser_sessions", "session_count", 1.50 * PER_THOUSAND),
    ("rum_mobile_sessions", "session_count", 1.50 * PER_THOUSAND),
    ("rum_mobile_sessions", "session_count_android", 0.0),
    ("rum_mobile_sessions", "session_count_flutter", 0.0),
    ("rum_mobile_sessions", "session_count_ios", 0.0),
    ("rum_mobile_sessions", "session_count_reactnative", 0.0),
    ("sds", "logs_scanned_bytes", 0.25 * PER_GB),
    // Logs plus other sources; the logs share is billed above.
    ("sds", "total_scanned_bytes", 0.0),
    ("snmp", "snmp_devices", 7.0),
    ("synthetics_api", "check_calls_count", 0.5 * PER_THOUSAND),
    (
        "synthetics_browser",
        "browser_check_calls_count",
        12.0 * PER_THOUSAND,
    ),
    ("timeseries", "num_custom_input_timeseries", 0.0),
    ("timeseries", "num_custom_output_timeseries", 0.0),
    // $5 per 100 custom metrics.
    ("timeseries", "num_custom_timeseries", 0.05),
    ("ai", "ai_credits", 0.05),
    // Billed under infra_hosts.
    ("application_performance_monitoring", "apm_host_count", 0.0),
    (
        "application_performance_monitoring",
        "apm_fargate_count",
        2.0,
    ),
    (
        "application_performance_monitoring",
        "apm_azure_app_service_host_count",
        0.0,
    ),
    (
        "application_performance_monitoring",
        "apm_devsecops_host_count",
        36.0,
    ),
    (
        "application_performance_monitoring",
        "apm_usm_host_count",
        9.0,
    ),
    (
        "application_performance_monitoring",
        "opentelemetry_apm_host_count",
        0.0,
    ),
    (
        "application_performance_monitoring",
        "universal_service_monitoring_host_count",
        9.0,
    ),
    (
        "audit_trail",
        "audit_trail_event_forwarding_events",
        0.25 * PER_MILLION,
    ),
    ("audit_trail", "lines_indexed", 1.70 * PER_MILLION),
    ("bits_ai", "bits_ai_investigations", 1.0),
    ("serverless", "serverless_apps_count", 6.0),
    ("serverless", "serverless_apps_apm_count", 9.0),
    ("cloud_cost_management", "aws_host_count", 7.5),
    ("cloud_cost_management", "azure_host_count", 7.5),
    ("cloud_cost_management", "gcp_host_count", 7.5),
    // The sum of the clouds, billed there.
    ("cloud_cost_management", "host_count", 0.0),
    ("cloud_cost_management", "oci_host_count", 7.5),
    ("cloud_siem", "cloud_siem_events", 0.20 * PER_MILLION),
    (
        "cloud_siem",
        "siem_12mo_retention_events",
        0.10 * PER_MILLION,
    ),
    (
        "cloud_siem",
        "siem_6mo_retention_events",
        0.05 * PER_MILLION,
    ),
    (
        "cloud_siem",
        "siem_analyzed_logs_add_on_count",
        0.10 * PER_MILLION,
    ),
    ("cloud_siem", "siem_ingested_bytes", 0.10 * PER_GB),
    // Breakdowns of total_count, billed there.
    ("csm_container_enterprise", "compliance_count", 0.0),
    ("csm_container_enterprise", "cws_count", 0.0),
    ("csm_container_enterprise", "total_count", 2.0),
    // Breakdowns of total_host_count, billed there.
    ("csm_host_enterprise", "aas_host_count", 0.0),
    ("csm_host_enterprise", "aws_host_count", 0.0),
    ("csm_host_enterprise", "azure_host_count", 0.0),
    ("csm_host_enterprise", "compliance_host_count", 0.0),
    ("csm_host_enterprise", "cws_host_count", 0.0),
    ("csm_host_enterprise", "gcp_host_count", 0.0),
    ("csm_host_enterprise", "oci_host_count", 0.0),
    ("csm_host_enterprise", "total_host_count", 40.0),
    ("csm_host_pro", "aas_host_count", 0.0),
    ("csm_host_pro", "aws_host_count", 0.0),
    ("csm_host_pro", "azure_host_count", 0.0),
    ("csm_host_pro", "gcp_host_count", 0.0),
    ("csm_host_pro", "oci_host_count", 0.0),
    ("csm_host_pro", "total_host_count", 10.0),
    ("cws", "cws_fargate_task_count", 2.0),
    (
        "data_observability",
        "data_jobs_monitoring_host_count",
        72.0,
    ),
    (
        "data_observability",
        "data_stream_monitoring_host_count",
        8.0,
    ),
    // Browser plus mobile sessions, billed under rum_*_sessions.
    (
        "digital_experience_management",
        "rum_browser_and_mobile_session_count",
        0.0,
    ),
    (
        "digital_experience_management",
        "rum_ingested_session_count",
        0.10 * PER_THOUSAND,
    ),
    (
        "digital_experience_management",
        "rum_investigate_session_count",
        3.0 * PER_THOUSAND,
    ),
    (
        "digital_experience_management",
        "rum_session_replay_add_on_count",
        2.50 * PER_THOUSAND,
    ),
    // Breakdowns of error_tracking_events, billed there.
    ("error_tracking", "error_tracking_apm_error_events", 0.0),
    (
        "error_tracking",
        "error_tracking_events",
        0.25 * PER_THOUSAND,
    ),
    ("error_tracking", "error_tracking_rum_error_events", 0.0),
    (
        "indexed_logs",
        "logs_indexed_events_1_day_count",
        0.96 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_45_day_count",
        2.80 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_60_day_count",
        3.10 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_90_day_count",
        3.60 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_180_day_count",
        5.10 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_360_day_count",
        6.30 * PER_MILLION,
    ),
    (
        "indexed_logs",
        "logs_indexed_events_custom_retention_count",
        2.50 * PER_MILLION,
    ),
    // Billed under infra_hosts.
    ("infrastructure_monitoring", "container_count", 0.0),
    // Part of container_count, billed there.
    (
        "infrastructure_monitoring",
        "container_excl_agent_count",
        0.0,
    ),
    ("infrastructure_monitoring", "host_count", 0.0),
    ("infrastructure_monitoring", "infra_host_basic_count", 5.0),
    (
        "llm_observability",
        "llm_observability_requests",
        0.10 * PER_THOUSAND,
    ),
    // The spans of those requests, billed with them.
    ("llm_observability", "llm_spans", 0.0),
    ("log_management", "flex_logs_starter", 0.60 * PER_MILLION),
    ("log_management", "flex_stored_logs", 0.05 * PER_MILLION),
    // Billed under logs.
    ("log_management", "ingested_events_bytes", 0.0),
    (
        "log_management",
        "logs_archive_search_scanned_bytes",
        0.10 * PER_GB,
    ),
    (
        "network_monitoring",
        "ndm_netflow_events",
        1.30 * PER_MILLION,
    ),
    ("network_monitoring", "network_device_wireless_count", 7.0),
    // Billed under network_hosts.
    ("network_monitoring", "npm_host_count", 0.0),
    (
        "observability_pipelines",
        "observability_pipelines_vcpu_count",
        45.0,
    ),
    (
        "platform_capabilities",
        "feature_flags_config_requests",
        0.01 * PER_THOUSAND,
    ),
    ("platform_capabilities", "published_app", 10.0),
    (
        "product_analytics",
        "product_analytics_session_count",
        0.50 * PER_THOUSAND,
    ),
    (
        "security",
        "asm_serverless_traced_invocations",
        0.30 * PER_MILLION,
    ),
    ("security", "code_security_host_count", 15.0),
    ("security", "sca_fargate_count", 1.0),
    ("software_delivery", "ci_code_coverage_committers", 8.0),
    ("software_delivery", "ci_visibility_itr_committers", 20.0),
    ("software_delivery", "code_analysis_sa_committers", 18.0),
    ("software_delivery", "code_analysis_sca_committers", 18.0),
    (
        "synthetics_mobile",
        "synthetics_mobile_test_runs",
        50.0 * PER_THOUSAND,
    ),
    (
        "synthetics_parallel_testing",
        "synthetics_parallel_testing_slots",
        80.0,
    ),
    ("vuln_management", "host_count", 8.0),
    (
        "workflow_executions",
        "workflow_executions",
        0.50 * PER_THOUSAND,
    ),
];

/// The keys of `UsageBillableSummaryKeys` with a series in the catalogue,
/// in the client model's (alphabetical) order. Keys of products the catalogue does not meter (combined
/// infra-and-APM hosts, app testing, standard timeseries …) are left out.
pub const BILLABLE_KEYS: &[BillableKey] = &[
    key("apm_fargate_average", "fargate", "tasks_count", "task"),
    key("apm_fargate_sum", "fargate", "tasks_count", "task"),
    key("apm_host_sum", "infra_hosts", "apm_host_count", "host"),
    key("apm_host_top99p", "infra_hosts", "apm_host_count", "host"),
    key(
        "apm_trace_search_sum",
        "indexed_spans",
        "indexed_events_count",
        "span",
    ),
    key(
        "application_security_fargate_average",
        "application_security",
        "appsec_fargate_count",
        "task",
    ),
    key(
        "application_security_host_sum",
        "application_security",
        "app_sec_host_count",
        "host",
    ),
    key(
        "application_security_host_top99p",
        "application_security",
        "app_sec_host_count",
        "host",
    ),
    key(
        "ci_pipeline_indexed_spans_sum",
        "ci_app",
        "ci_pipeline_indexed_spans",
        "span",
    ),
    key(
        "ci_pipeline_maximum",
        "ci_app",
        "ci_visibility_pipeline_committers",
        "committer",
    ),
    key(
        "ci_pipeline_sum",
        "ci_app",
        "ci_visibility_pipeline_committers",
        "committer",
    ),
    key(
        "ci_test_indexed_spans_sum",
        "ci_app",
        "ci_test_indexed_spans",
        "span",
    ),
    key(
        "ci_testing_maximum",
        "ci_app",
        "ci_visibility_test_committers",
        "committer",
    ),
    key(
        "ci_testing_sum",
        "ci_app",
        "ci_visibility_test_committers",
        "committer",
    ),
    key(
        "cloud_cost_management_average",
        "cloud_cost_management",
        "host_count",
        "host",
    ),
    key(
        "cloud_cost_management_sum",
        "cloud_cost_management",
        "host_count",
        "host",
    ),
    key("cspm_container_sum", "cspm", "container_count", "container"),
    key("cspm_host_sum", "cspm", "host_count", "host"),
    key("cspm_host_top99p", "cspm", "host_count", "host"),
    key(
        "custom_event_sum",
        "custom_events",
        "num_custom_events",
        "event",
    ),
    key(
        "cws_container_sum",
        "cws",
        "cws_container_count",
        "container",
    ),
    key("cws_host_sum", "cws", "cws_host_count", "host"),
    key("cws_host_top99p", "cws", "cws_host_count", "host"),
    key("dbm_host_sum", "dbm", "dbm_host_count", "host"),
    key("dbm_host_top99p", "dbm", "dbm_host_count", "host"),
    key(
        "dbm_normalized_queries_average",
        "dbm",
        "dbm_queries_count",
        "query",
    ),
    key(
        "dbm_normalized_queries_sum",
        "dbm",
        "dbm_queries_count",
        "query",
    ),
    key(
        "fargate_container_average",
        "fargate",
        "tasks_count",
        "task",
    ),
    key(
        "fargate_container_profiler_average",
        "fargate",
        "avg_profiled_fargate_tasks",
        "task",
    ),
    key(
        "fargate_container_profiler_sum",
        "fargate",
        "avg_profiled_fargate_tasks",
        "task",
    ),
    key("fargate_container_sum", "fargate", "tasks_count", "task"),
    key(
        "incident_management_maximum",
        "incident_management",
        "monthly_active_users",
        "user",
    ),
    key(
        "incident_management_sum",
        "incident_management",
        "monthly_active_users",
        "user",
    ),
    key(
        "infra_container_sum",
        "infra_hosts",
        "container_count",
        "container",
    ),
    key("infra_host_sum", "infra_hosts", "host_count", "host"),
    key("infra_host_top99p", "infra_hosts", "host_count", "host"),
    key(
        "ingested_spans_sum",
        "ingested_spans",
        "ingested_events_bytes",
        "byte",
    ),
    key(
        "ingested_timeseries_average",
        "timeseries",
        "num_custom_input_timeseries",
        "timeseries",
    ),
    key(
        "ingested_timeseries_sum",
        "timeseries",
        "num_custom_input_timeseries",
        "timeseries",
    ),
    key("iot_sum", "iot", "iot_device_count", "device"),
    key("iot_top99p", "iot", "iot_device_count", "device"),
    key(
        "lambda_function_average",
        "serverless",
        "func_count",
        "function",
    ),
    key(
        "lambda_function_sum",
        "serverless",
        "func_count",
        "function",
    ),
    key(
        "logs_forwarding_sum",
        "logs",
        "logs_forwarding_events_bytes",
        "byte",
    ),
    key(
        "logs_indexed_15day_sum",
        "indexed_logs",
        "logs_indexed_events_15_day_count",
        "event",
    ),
    key(
        "logs_indexed_180day_sum",
        "indexed_logs",
        "logs_indexed_events_180_day_count",
        "event",
    ),
    key(
        "logs_indexed_1day_sum",
        "indexed_logs",
        "logs_indexed_events_1_day_count",
        "event",
    ),
    key(
        "logs_indexed_30day_sum",
        "indexed_logs",
        "logs_indexed_events_30_day_count",
        "event",
    ),
    key(
        "logs_indexed_360day_sum",
        "indexed_logs",
        "logs_indexed_events_360_day_count",
        "event",
    ),
    key(
        "logs_indexed_3day_sum",
        "indexed_logs",
        "logs_indexed_events_3_day_count",
        "event",
    ),
    key(
        "logs_indexed_45day_sum",
        "indexed_logs",
        "logs_indexed_events_45_day_count",
        "event",
    ),
    key(
        "logs_indexed_60day_sum",
        "indexed_logs",
        "logs_indexed_events_60_day_count",
        "event",
    ),
    key(
        "logs_indexed_7day_sum",
        "indexed_logs",
        "logs_indexed_events_7_day_count",
        "event",
    ),
    key(
        "logs_indexed_90day_sum",
        "indexed_logs",
        "logs_indexed_events_90_day_count",
        "event",
    ),
    key(
        "logs_indexed_custom_retention_sum",
        "indexed_logs",
        "logs_indexed_events_custom_retention_count",
        "event",
    ),
    key("logs_indexed_sum", "logs", "indexed_events_count", "event"),
    key("logs_ingested_sum", "logs", "ingested_events_bytes", "byte"),
    key("network_device_sum", "snmp", "snmp_devices", "device"),
    key("network_device_top99p", "snmp", "snmp_devices", "device"),
    key(
        "npm_flow_sum",
        "network_flows",
        "indexed_events_count",
        "flow",
    ),
    key("npm_host_sum", "network_hosts", "host_count", "host"),
    key("npm_host_top99p", "network_hosts", "host_count", "host"),
    key(
        "observability_pipeline_sum",
        "observability_pipelines",
        "observability_pipelines_bytes_processed",
        "byte",
    ),
    key(
        "online_archive_sum",
        "online_archive",
        "online_archive_events_count",
        "event",
    ),
    key(
        "prof_container_sum",
        "profiling",
        "avg_container_agent_count",
        "container",
    ),
    key("prof_host_sum", "profiling", "host_count", "host"),
    key("prof_host_top99p", "profiling", "host_count", "host"),
    key(
        "rum_replay_sum",
        "rum_browser_sessions",
        "replay_session_count",
        "session",
    ),
    key(
        "rum_sum",
        "rum_browser_sessions",
        "session_count",
        "session",
    ),
    key("rum_units_sum", "rum", "rum_units", "unit"),
    key(
        "sensitive_data_scanner_sum",
        "sds",
        "total_scanned_bytes",
        "byte",
    ),
    key(
        "serverless_apm_sum",
        "serverless",
        "serverless_apps_apm_count",
        "instance",
    ),
    key(
        "serverless_infra_average",
        "serverless",
        "serverless_apps_count",
        "instance",
    ),
    key(
        "serverless_infra_sum",
        "serverless",
        "serverless_apps_count",
        "instance",
    ),
    key(
        "serverless_invocation_sum",
        "serverless",
        "invocations_sum",
        "invocation",
    ),
    key("siem_sum", "analyzed_logs", "analyzed_logs", "event"),
    key(
        "synthetics_api_tests_sum",
        "synthetics_api",
        "check_calls_count",
        "test",
    ),
    key(
        "synthetics_browser_checks_sum",
        "synthetics_browser",
        "browser_check_calls_count",
        "test",
    ),
    key(
        "timeseries_average",
        "timeseries",
        "num_custom_timeseries",
        "timeseries",
    ),
    key(
        "timeseries_sum",
        "timeseries",
        "num_custom_timeseries",
        "timeseries",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::series::Series;
    use crate::vendors::datadog::usage::attribution::{Field, hourly_usage_types};
    use crate::vendors::datadog::usage::{current_families, hourly, product_family};

    #[test]
    fn every_same_as_names_a_series_of_the_same_kind() {
        for family in PRODUCT_FAMILIES {
            for usage_type in family.usage_types {
                let Some((other_family, other_name)) = usage_type.same_as else {
                    continue;
                };
                if other_family == "attribution" {
                    // The series attribution kept before hourly_usage had it.
                    continue;
                }
                let other = product_family(other_family)
                    .and_then(|f| f.usage_types.iter().find(|u| u.name == other_name))
                    .unwrap_or_else(|| panic!("{}.{} reads nothing", family.name, usage_type.name));
                assert_eq!(other.same_as, None, "{}.{}", family.name, usage_type.name);
                assert_eq!(other.aggregation, usage_type.aggregation);
                assert_eq!(other.profile, usage_type.profile);
            }
        }
    }

    #[test]
    fn figures_kept_their_series_across_the_upgrade() {
        // apm_fargate_usage attribution had a series of its own before the
        // APM family reported it: both now read that one.
        let apm = product_family("application_performance_monitoring").unwrap();
        let fargate = apm
            .usage_types
            .iter()
            .find(|u| u.name == "apm_fargate_count")
            .unwrap();
        let before = Series::new(
            4,
            &["org", "attribution", "apm_fargate_usage"],
            Profile::STEADY,
        );
        let at = "2026-03-04T10:00:00Z".parse().unwrap();
        assert_eq!(hourly(4, "org", apm.name, fargate, at), before.count_at(at));
    }

    #[test]
    fn only_audit_logs_is_deprecated() {
        let deprecated: Vec<&str> = PRODUCT_FAMILIES
            .iter()
            .filter(|f| f.deprecated)
            .map(|f| f.name)
            .collect();
        assert_eq!(deprecated, ["audit_logs"]);
        assert_eq!(current_families().count(), PRODUCT_FAMILIES.len() - 1);
    }

    /// The enums of `openapi/datadog.json` are the catalogue's.
    #[test]
    fn the_openapi_document_lists_the_catalogue() {
        let document: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/openapi/datadog.json"
        )))
        .unwrap();
        let strings = |pointer: &str| -> Vec<String> {
            document
                .pointer(pointer)
                .and_then(|v| v.as_array())
                .unwrap_or_else(|| panic!("{pointer}"))
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let parameter = |path: &str, name: &str| -> serde_json::Value {
            document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} {name}"))
                .clone()
        };
        let enum_of = |value: serde_json::Value| -> Vec<String> {
            value["schema"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };

        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };
        let hourly = sorted(hourly_usage_types().map(|t| t.name.to_string()).collect());
        assert_eq!(
            sorted(enum_of(parameter(
                "/api/v1/usage/hourly-attribution",
                "usage_type"
            ))),
            hourly
        );
        assert_eq!(
            sorted(strings(
                "/components/schemas/HourlyUsageAttributionBody/properties/usage_type/enum"
            )),
            hourly
        );

        let supported: Vec<String> = Field::supported().map(|f| f.name().to_string()).collect();
        let mut sort_names = vec!["*".to_string()];
        sort_names.extend(supported.iter().cloned());
        let mut documented_sort =
            enum_of(parameter("/api/v1/usage/monthly-attribution", "sort_name"));
        documented_sort.sort();
        sort_names.sort();
        assert_eq!(documented_sort, sort_names);
        for pointer in [
            "/components/schemas/UsageAttributionAggregatesBody/properties/field/enum",
            "/components/schemas/MonthlyUsageAttributionBody/properties/values/propertyNames/enum",
        ] {
            let mut documented = strings(pointer);
            documented.sort();
            let mut expected = supported.clone();
            expected.sort();
            assert_eq!(documented, expected, "{pointer}");
        }

        let families: Vec<String> = PRODUCT_FAMILIES
            .iter()
            .map(|f| f.name.to_string())
            .collect();
        let mut documented =
            strings("/components/schemas/HourlyUsageAttributes/properties/product_family/enum");
        documented.sort();
        let mut expected = families.clone();
        expected.sort();
        assert_eq!(documented, expected);
        let description =
            parameter("/api/v2/usage/hourly_usage", "filter[product_families]")["description"]
                .as_str()
                .unwrap()
                .to_string();
        for family in &families {
            assert!(description.contains(&format!("`{family}`")), "{family}");
        }
    }
}
