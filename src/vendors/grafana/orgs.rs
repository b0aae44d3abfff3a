//! `GET /api/orgs/{slugOrId}`: the org (`FormattedApiOrgPublic`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::Datelike;
use serde::Serialize;
use serde_json::{Value, json};

use super::errors::GcomError;
use super::extract::{Authorized, Path};
use super::pagination::Link;
use super::scopes::OrgsRead;
use super::timestamp;
use crate::core::store::Store;
use crate::vendors::grafana::model::Org;
use crate::vendors::grafana::scenario::Plan;
use crate::vendors::grafana::usage::Dimension;
use crate::vendors::grafana::usage::billing::{BilledUsage, BillingMonth};

/// An org as the API shows it: every field Grafana's spec marks required,
/// with the usage fields taken from the current month's bill.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgView {
    id: u64,
    slug: String,
    name: String,
    url: String,
    created_at: String,
    created_by: Option<String>,
    updated_at: Option<String>,
    updated_by: Option<String>,
    avatar: Option<String>,
    isource: Option<String>,
    osource: Option<String>,
    is_staff: bool,
    checks_per_month: u64,
    wp_plan: &'static str,
    hg_instance_limit: u32,
    hm_instance_limit: u32,
    hl_instance_limit: u32,
    user_quota: i64,
    support_plan: &'static str,
    credit_approved: u64,
    msa_signed_at: Option<String>,
    msa_signed_by: Option<String>,
    enterprise_plugins: u64,
    license_products: Vec<String>,
    grafana_cloud: u8,
    privacy: &'static str,
    reseller: &'static str,
    reseller_id: Option<u64>,
    reseller_name: Option<String>,
    emergency_support: bool,
    gcloud_monthly_cost: f64,
    hg_usage: f64,
    hg_current_active_users: f64,
    hg_grafana_usage: f64,
    hg_on_call_usage: f64,
    hm_usage: f64,
    hm_current_usage: f64,
    hm_graphite_usage: f64,
    hl_usage: f64,
    hl_retention_usage: f64,
    ht_usage: f64,
    hp_usage: f64,
    irm_usage: f64,
    k6_vuh_usage: f64,
    #[serde(rename = "k6IPUsage")]
    k6_ip_usage: f64,
    #[serde(rename = "feO11YUsage")]
    fe_o11y_usage: f64,
    #[serde(rename = "appO11YUsage")]
    app_o11y_usage: f64,
    sm_usage: f64,
    #[serde(rename = "infraO11YHostsUsage")]
    infra_o11y_hosts_usage: f64,
    #[serde(rename = "infraO11YContainersUsage")]
    infra_o11y_containers_usage: f64,
    ge_users_usage: f64,
    ge_instances_usage: f64,
    sm_browser_usage: f64,
    aws_marketplace_support: u64,
    trial_start_date: Option<String>,
    trial_end_date: Option<String>,
    trial_length_days: Option<u64>,
    trial_notice_date: Option<String>,
    cancellation_date: Option<String>,
    retained_stack_id: u64,
    #[serde(rename = "allowGCloudTrial")]
    allow_gcloud_trial: bool,
    plugin_signature_type: &'static str,
    contract_type: &'static str,
    contract_type_id: u8,
    live_chat_enabled: bool,
    kapa_deflector_enabled: bool,
    disable_token_expiration_emails: bool,
    max_token_expiration_days: u64,
    mfa_required: bool,
    mfa_admin_recovery_only: bool,
    subscriptions: Value,
    links: Vec<Link>,
}

/// What a plan means for the org's fields.
struct PlanTerms {
    stack_limit: u32,
    user_quota: i64,
    wp_plan: &'static str,
    support_plan: &'static str,
    grafana_cloud: u8,
    contract_type: &'static str,
    contract_type_id: u8,
    product: &'static str,
    public_name: &'static str,
}

fn plan_terms(org: &Org) -> PlanTerms {
    match org.plan {
        Plan::Free => PlanTerms {
            stack_limit: 1,
            user_quota: 3,
            wp_plan: "free",
            support_plan: "free",
            grafana_cloud: 1,
            contract_type: "none",
            contract_type_id: 0,
            product: "grafana-cloud-free",
            public_name: "Free",
        },
        Plan::Pro => PlanTerms {
            stack_limit: 3,
            user_quota: -1,
            wp_plan: "gcloud",
            support_plan: "pro",
            grafana_cloud: 2,
            contract_type: "self_serve",
            contract_type_id: 1,
            product: "grafana-cloud-pro",
            public_name: "Pro",
        },
        Plan::Contracted => PlanTerms {
            stack_limit: org.stack_limit,
            user_quota: -1,
            wp_plan: "gcloud",
            support_plan: "enterprise",
            grafana_cloud: 4,
            contract_type: "contracted",
            contract_type_id: 2,
            product: "grafana-cloud-advanced",
            public_name: "Advanced",
        },
    }
}

impl OrgView {
    /// `current` is the bill of the month now running.
    pub fn new(org: &Org, current: &BilledUsage) -> Self {
        let terms = plan_terms(org);
        let total = |dimension: Dimension| {
            current
                .items
                .iter()
                .find(|item| item.dimension == dimension)
                .map_or(0.0, |item| item.total_usage)
        };
        let users = total(Dimension::Users);
        let cost = current
            .items
            .iter()
            .map(|item| item.amount_due)
            .sum::<f64>();
        OrgView {
            id: org.id,
            slug: org.slug.clone(),
            name: org.name.clone(),
            url: format!("https://grafana.com/orgs/{}", org.slug),
            created_at: timestamp(org.created_at),
            created_by: None,
            updated_at: None,
            updated_by: None,
            avatar: None,
            isource: None,
            osource: None,
            is_staff: false,
            checks_per_month: 0,
            wp_plan: terms.wp_plan,
            hg_instance_limit: terms.stack_limit,
            hm_instance_limit: terms.stack_limit,
            hl_instance_limit: terms.stack_limit,
            user_quota: terms.user_quota,
            support_plan: terms.support_plan,
            credit_approved: 0,
            msa_signed_at: None,
            msa_signed_by: None,
            enterprise_plugins: 0,
            license_products: Vec::new(),
            grafana_cloud: terms.grafana_cloud,
            privacy: "private",
            reseller: "",
            reseller_id: None,
            reseller_name: None,
            emergency_support: false,
            gcloud_monthly_cost: (cost * 100.0).round() / 100.0,
            hg_usage: users,
            hg_current_active_users: users,
            hg_grafana_usage: users,
            hg_on_call_usage: 0.0,
            hm_usage: total(Dimension::Metrics),
            hm_current_usage: total(Dimension::Metrics),
            hm_graphite_usage: 0.0,
            hl_usage: total(Dimension::Logs),
            hl_retention_usage: 0.0,
            ht_usage: total(Dimension::Traces),
            hp_usage: 0.0,
            irm_usage: 0.0,
            k6_vuh_usage: 0.0,
            k6_ip_usage: 0.0,
            fe_o11y_usage: 0.0,
            app_o11y_usage: 0.0,
            sm_usage: 0.0,
            infra_o11y_hosts_usage: 0.0,
            infra_o11y_containers_usage: 0.0,
            ge_users_usage: 0.0,
            ge_instances_usage: 0.0,
            sm_browser_usage: 0.0,
            aws_marketplace_support: 0,
            trial_start_date: None,
            trial_end_date: None,
            trial_length_days: None,
            trial_notice_date: None,
            cancellation_date: None,
            retained_stack_id: 0,
            allow_gcloud_trial: false,
            plugin_signature_type: "",
            contract_type: terms.contract_type,
            contract_type_id: terms.contract_type_id,
            live_chat_enabled: false,
            kapa_deflector_enabled: false,
            disable_token_expiration_emails: false,
            max_token_expiration_days: 0,
            mfa_required: false,
            mfa_admin_recovery_only: false,
            subscriptions: json!({
                "current": {
                    "product": terms.product,
                    "isTrial": false,
                    "startDate": timestamp(org.created_at),
                    "endDate": null,
                    "payload": {},
                    "plan": terms.product,
                    "publicName": terms.public_name,
                    "enterprisePluginsAdded": false,
                    "planBillingCycle": "monthly",
                },
                "next": null,
            }),
            links: vec![Link::new("self", format!("/orgs/{}", org.slug))],
        }
    }
}

pub async fn get(
    State(store): State<Arc<Store>>,
    Authorized { caller, .. }: Authorized<OrgsRead>,
    Path(slug_or_id): Path<String>,
) -> Result<Json<OrgView>, GcomError> {
    let world = store.read();
    let org = world.require_org_path(&caller, &slug_or_id)?;
    let now = world.clock.now();
    let month = BillingMonth::new(now.year(), now.month())?;
    let current = world.billed_usage(&caller, org, month)?;
    Ok(Json(OrgView::new(org, &current)))
}
