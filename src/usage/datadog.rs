//! Datadog's metered products: the product families of `hourly_usage`, the
//! usage types each one measures, and the one function every Datadog usage
//! figure comes from. Billable summary, costs and attribution all derive
//! from [`hourly`], so they agree with each other by construction.

use chrono::{DateTime, Utc};

use super::hourly::{Profile, Series};

/// How a usage type adds up over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Things present at once (hosts, containers): a month bills their
    /// average or high-water mark.
    Gauge,
    /// Things that happen (events, GB, sessions): a month bills their sum.
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageType {
    /// `measurements[].usage_type` in `hourly_usage`.
    pub name: &'static str,
    pub aggregation: Aggregation,
    pub profile: Profile,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductFamily {
    /// `product_family` in `hourly_usage` (`filter[product_families]`).
    pub name: &'static str,
    pub usage_types: &'static [UsageType],
}

const fn gauge(name: &'static str) -> UsageType {
    UsageType {
        name,
        aggregation: Aggregation::Gauge,
        profile: Profile::STEADY,
    }
}

const fn count(name: &'static str) -> UsageType {
    UsageType {
        name,
        aggregation: Aggregation::Count,
        profile: Profile::TRAFFIC,
    }
}

/// A count with its own magnitude (`Profile::SESSIONS`, `BYTES`, …).
const fn count_of(name: &'static str, profile: Profile) -> UsageType {
    UsageType {
        name,
        aggregation: Aggregation::Count,
        profile,
    }
}

const fn family(name: &'static str, usage_types: &'static [UsageType]) -> ProductFamily {
    ProductFamily { name, usage_types }
}

/// Every product family `filter[product_families]` accepts (but `all`),
/// in the documented order.
pub const PRODUCT_FAMILIES: &[ProductFamily] = &[
    family("analyzed_logs", &[count("analyzed_logs")]),
    family(
        "application_security",
        &[gauge("app_sec_host_count"), gauge("appsec_fargate_count")],
    ),
    family("audit_logs", &[count("lines_indexed")]),
    family(
        "serverless",
        &[gauge("func_count"), count("invocations_sum")],
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
        &[gauge("cws_container_count"), gauge("cws_host_count")],
    ),
    family(
        "dbm",
        &[gauge("dbm_host_count"), count("dbm_queries_count")],
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
        ],
    ),
    family("indexed_spans", &[count("indexed_events_count")]),
    family(
        "ingested_spans",
        &[count_of("ingested_events_bytes", Profile::BYTES)],
    ),
    family("iot", &[gauge("iot_device_count")]),
    family(
        "lambda_traced_invocations",
        &[count("lambda_traced_invocations_count")],
    ),
    family(
        "logs",
        &[
            count_of("billable_ingested_bytes", Profile::BYTES),
            count("indexed_events_count"),
            count_of("ingested_events_bytes", Profile::BYTES),
            count_of("logs_forwarding_events_bytes", Profile::BYTES),
            count("logs_live_indexed_count"),
            count_of("logs_live_ingested_bytes", Profile::BYTES),
            count("logs_rehydrated_indexed_count"),
            count_of("logs_rehydrated_ingested_bytes", Profile::BYTES),
        ],
    ),
    family("network_flows", &[count("indexed_events_count")]),
    family("network_hosts", &[gauge("host_count")]),
    family(
        "observability_pipelines",
        &[count_of(
            "observability_pipelines_bytes_processed",
            Profile::BYTES,
        )],
    ),
    family("online_archive", &[count("online_archive_events_count")]),
    family(
        "profiling",
        &[gauge("avg_container_agent_count"), gauge("host_count")],
    ),
    family(
        "rum",
        &[
            count_of("browser_rum_units", Profile::SESSIONS),
            count_of("mobile_rum_units", Profile::SESSIONS),
            count_of("rum_units", Profile::SESSIONS),
        ],
    ),
    family(
        "rum_browser_sessions",
        &[
            count_of("replay_session_count", Profile::SESSIONS),
            count_of("session_count", Profile::SESSIONS),
        ],
    ),
    family(
        "rum_mobile_sessions",
        &[
            count_of("session_count", Profile::SESSIONS),
            count_of("session_count_android", Profile::SESSIONS),
            count_of("session_count_flutter", Profile::SESSIONS),
            count_of("session_count_ios", Profile::SESSIONS),
            count_of("session_count_reactnative", Profile::SESSIONS),
        ],
    ),
    family(
        "sds",
        &[
            count_of("logs_scanned_bytes", Profile::BYTES),
            count_of("total_scanned_bytes", Profile::BYTES),
        ],
    ),
    family("snmp", &[gauge("snmp_devices")]),
    family(
        "synthetics_api",
        &[count_of("check_calls_count", Profile::CHECKS)],
    ),
    family(
        "synthetics_browser",
        &[count_of("browser_check_calls_count", Profile::CHECKS)],
    ),
    family(
        "timeseries",
        &[
            gauge("num_custom_input_timeseries"),
            gauge("num_custom_output_timeseries"),
            gauge("num_custom_timeseries"),
        ],
    ),
];

pub fn product_family(name: &str) -> Option<&'static ProductFamily> {
    PRODUCT_FAMILIES.iter().find(|family| family.name == name)
}

/// The hourly value of `usage_type` of `family` for the org `public_id`
/// during the hour starting at `hour`: an integer, as the API's int64.
pub fn hourly(
    seed: u64,
    public_id: &str,
    family: &str,
    usage_type: &UsageType,
    hour: DateTime<Utc>,
) -> i64 {
    Series::new(
        seed,
        &[public_id, family, usage_type.name],
        usage_type.profile,
    )
    .count_at(hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_unique_and_have_usage_types() {
        for (i, family) in PRODUCT_FAMILIES.iter().enumerate() {
            assert!(!family.usage_types.is_empty(), "{}", family.name);
            assert!(
                PRODUCT_FAMILIES[..i].iter().all(|f| f.name != family.name),
                "{} twice",
                family.name
            );
        }
        assert!(product_family("infra_hosts").is_some());
        assert!(product_family("all").is_none());
    }
}
