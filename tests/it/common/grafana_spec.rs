//! What Grafana's published OpenAPI description (`openapi.json` in
//! grafana/grafana-com-public-clients) requires of the response bodies
//! mockcloud sends, written out as facts: for each schema, the fields it
//! requires and their JSON types, and the fields it allows with theirs.
//! A few answers the spec does not describe at all (org API keys, data
//! sources, hosted-Grafana API keys) are checked against Grafana's public
//! documentation instead; their tables say so in `source`.
//!
//! Where mockcloud deliberately sends something else, the difference is in
//! [`EXCEPTIONS`], with the documentation's reason, and nowhere else: every
//! check consults that table, so an exception is never scattered through
//! the tests.

use serde_json::Value;

/// A JSON type as the spec names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Json {
    String,
    /// A whole number (`integer` in the spec).
    Integer,
    /// Any JSON number, whole or not (`number` in the spec).
    Number,
    Boolean,
    Array,
    Object,
}

/// A field's type: a JSON type, and whether `null` is allowed (`nullable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ty {
    pub json: Json,
    pub nullable: bool,
}

pub const STRING: Ty = Ty {
    json: Json::String,
    nullable: false,
};
pub const STRING_OR_NULL: Ty = Ty {
    json: Json::String,
    nullable: true,
};
pub const INTEGER: Ty = Ty {
    json: Json::Integer,
    nullable: false,
};
pub const NUMBER: Ty = Ty {
    json: Json::Number,
    nullable: false,
};
pub const NUMBER_OR_NULL: Ty = Ty {
    json: Json::Number,
    nullable: true,
};
pub const BOOLEAN: Ty = Ty {
    json: Json::Boolean,
    nullable: false,
};
pub const ARRAY: Ty = Ty {
    json: Json::Array,
    nullable: false,
};
pub const ARRAY_OR_NULL: Ty = Ty {
    json: Json::Array,
    nullable: true,
};
pub const OBJECT: Ty = Ty {
    json: Json::Object,
    nullable: false,
};
pub const OBJECT_OR_NULL: Ty = Ty {
    json: Json::Object,
    nullable: true,
};

impl Ty {
    pub fn admits(self, value: &Value) -> bool {
        match value {
            Value::Null => self.nullable,
            Value::String(_) => self.json == Json::String,
            Value::Number(n) => match self.json {
                Json::Number => true,
                Json::Integer => n.is_i64() || n.is_u64(),
                _ => false,
            },
            Value::Bool(_) => self.json == Json::Boolean,
            Value::Array(_) => self.json == Json::Array,
            Value::Object(_) => self.json == Json::Object,
        }
    }
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = match self.json {
            Json::String => "a string",
            Json::Integer => "an integer",
            Json::Number => "a number",
            Json::Boolean => "a boolean",
            Json::Array => "an array",
            Json::Object => "an object",
        };
        f.write_str(json)?;
        if self.nullable {
            f.write_str(" or null")?;
        }
        Ok(())
    }
}

/// Where a table's facts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The published spec's schema.
    Spec,
    /// The spec has no schema for this answer; the documentation's section
    /// and example show these fields.
    Docs(&'static str),
}

/// One response schema: the fields it requires and the ones it allows.
pub struct Schema {
    /// The spec's schema name (or a name for a documented-only answer);
    /// [`EXCEPTIONS`] refers to schemas by it.
    pub name: &'static str,
    pub source: Source,
    pub required: &'static [(&'static str, Ty)],
    /// Checked only when present.
    pub optional: &'static [(&'static str, Ty)],
}

/// How mockcloud's answer differs from the spec for one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deviation {
    /// The field may be `null` where the spec types it as non-null.
    MayBeNull,
}

/// A documented exception: mockcloud follows the documentation here.
pub struct Exception {
    pub schema: &'static str,
    pub field: &'static str,
    pub deviation: Deviation,
    /// Why, in the documentation's terms.
    pub reason: &'static str,
}

/// Every place where mockcloud's answers deliberately differ from the fields
/// and types the spec requires. Keep each entry's reason pointing at the
/// documentation that shows the difference.
pub const EXCEPTIONS: &[Exception] = &[Exception {
    schema: "FormattedApiInstancePlugin",
    field: "updatedAt",
    deviation: Deviation::MayBeNull,
    reason: "Grafana Cloud API docs, Grafana plugins: the examples of \"List plugins installed \
             on an instance\", \"Add a plugin to instance\" and \"Get installed plugin info\" show \
             `\"updatedAt\": null` for a plugin installed and never updated; the spec types it as \
             a string.",
}];

fn exception(schema: &Schema, field: &str) -> Option<&'static Exception> {
    EXCEPTIONS
        .iter()
        .find(|e| e.schema == schema.name && e.field == field)
}

/// Asserts `value` is an object with every field `schema` requires, each
/// field (required or present optional) of its type, unless [`EXCEPTIONS`]
/// says otherwise. `at` locates the value in the answer for the message.
pub fn check(value: &Value, schema: &Schema, at: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{at}: a {} object expected, got {value}", schema.name));
    let fields = schema.required.iter().map(|f| (f, true));
    let fields = fields.chain(schema.optional.iter().map(|f| (f, false)));
    for ((field, ty), required) in fields {
        let Some(got) = object.get(*field) else {
            assert!(
                !required,
                "{at}: {}.{field} is required ({:?}) but missing in {value}",
                schema.name, schema.source
            );
            continue;
        };
        if ty.admits(got) {
            continue;
        }
        let excused = exception(schema, field).is_some_and(|e| match e.deviation {
            Deviation::MayBeNull => got.is_null(),
        });
        assert!(
            excused,
            "{at}: {}.{field} should be {ty} ({:?}), got {got}",
            schema.name, schema.source
        );
    }
}

/// Every table the checks use, so a test can verify [`EXCEPTIONS`] only
/// names fields that exist.
pub const SCHEMAS: &[&Schema] = &[
    &ERROR_PAYLOAD,
    &ACCESS_POLICY,
    &REALM,
    &LABEL_POLICY,
    &CONDITIONS,
    &CURSOR_LIST,
    &CURSOR_LIST_METADATA,
    &CURSOR_PAGINATION,
    &TOKEN,
    &TOKEN_WITH_SECRET,
    &GCOM_LIST,
    &LINK,
    &REGION,
    &STACK,
    &ORG,
    &SUBSCRIPTIONS,
    &SUBSCRIPTION_CURRENT,
    &PLUGIN,
    &CONNECTIONS,
    &PRIVATE_CONNECTIVITY,
    &TENANT,
    &APP_PLATFORM,
    &BILLED_USAGE_ITEM,
    &STACK_USAGE,
    &CREDIT,
    &API_KEY,
    &API_KEY_WITH_TOKEN,
    &API_KEY_LIST,
    &DATASOURCE,
    &DATASOURCE_LIST,
    &HOSTED_GRAFANA_API_KEY,
];

/// [`EXCEPTIONS`] names only schemas and fields the tables know, each with
/// a reason.
pub fn assert_exceptions_are_known() {
    for e in EXCEPTIONS {
        let schema = SCHEMAS
            .iter()
            .find(|s| s.name == e.schema)
            .unwrap_or_else(|| panic!("exception for unknown schema {}", e.schema));
        assert!(
            schema
                .required
                .iter()
                .chain(schema.optional)
                .any(|(field, _)| *field == e.field),
            "exception for unknown field {}.{}",
            e.schema,
            e.field
        );
        assert!(
            !e.reason.trim().is_empty(),
            "{}.{} needs a reason",
            e.schema,
            e.field
        );
    }
}

/// Runs `item` on each element of the array `value[field]`.
fn each(value: &Value, field: &str, at: &str, item: impl Fn(&Value, &str)) {
    if let Some(items) = value[field].as_array() {
        for (i, v) in items.iter().enumerate() {
            item(v, &format!("{at}.{field}[{i}]"));
        }
    }
}

/// Asserts every element of the array `value[field]` is a string.
fn strings(value: &Value, field: &str, at: &str) {
    each(value, field, at, |v, at| {
        assert!(v.is_string(), "{at}: a string expected, got {v}")
    });
}

// ---------------------------------------------------------------- errors

/// `ErrorPayload`: every Grafana error body.
pub const ERROR_PAYLOAD: Schema = Schema {
    name: "ErrorPayload",
    source: Source::Spec,
    required: &[
        ("statusCode", INTEGER),
        ("code", STRING),
        ("message", STRING),
        ("requestId", STRING),
    ],
    optional: &[],
};

pub fn assert_error_payload(body: &Value) {
    check(body, &ERROR_PAYLOAD, "error");
}

// ------------------------------------------------- access policies, tokens

/// `AuthAccessPolicy`. (`attributes` is left to its own tests.)
pub const ACCESS_POLICY: Schema = Schema {
    name: "AuthAccessPolicy",
    source: Source::Spec,
    required: &[("name", STRING), ("scopes", ARRAY), ("realms", ARRAY)],
    optional: &[
        ("id", STRING),
        ("orgId", STRING),
        ("displayName", STRING),
        ("source", STRING),
        ("createdAt", STRING),
        ("updatedAt", STRING),
        ("conditions", OBJECT),
        ("status", STRING),
    ],
};

/// A realm of an access policy. The spec types its fields without
/// requiring any; the documentation's Realm table requires `type` and
/// `identifier`.
pub const REALM: Schema = Schema {
    name: "AuthAccessPolicy.realms[]",
    source: Source::Docs("Grafana Cloud API docs, Create an access policy, Realm table"),
    required: &[("type", STRING), ("identifier", STRING)],
    optional: &[("labelPolicies", ARRAY)],
};

/// A label policy of a realm; the documentation's LabelPolicy table
/// requires `selector`.
pub const LABEL_POLICY: Schema = Schema {
    name: "AuthAccessPolicy.realms[].labelPolicies[]",
    source: Source::Docs("Grafana Cloud API docs, Create an access policy, LabelPolicy table"),
    required: &[("selector", STRING)],
    optional: &[],
};

/// An access policy's `conditions`; the documentation's Conditions table
/// requires `allowedSubnets`.
pub const CONDITIONS: Schema = Schema {
    name: "AuthAccessPolicy.conditions",
    source: Source::Docs("Grafana Cloud API docs, Create an access policy, Conditions table"),
    required: &[("allowedSubnets", ARRAY)],
    optional: &[],
};

pub fn assert_access_policy(policy: &Value) {
    let at = "policy";
    check(policy, &ACCESS_POLICY, at);
    strings(policy, "scopes", at);
    each(policy, "realms", at, |realm, at| {
        check(realm, &REALM, at);
        each(realm, "labelPolicies", at, |lp, at| {
            check(lp, &LABEL_POLICY, at)
        });
    });
    if let Some(conditions) = policy.get("conditions") {
        check(conditions, &CONDITIONS, "policy.conditions");
        strings(conditions, "allowedSubnets", "policy.conditions");
    }
}

/// `AccessPolicyListResponse`: the cursor-paged list of access policies
/// and of tokens.
pub const CURSOR_LIST: Schema = Schema {
    name: "AccessPolicyListResponse",
    source: Source::Spec,
    required: &[("items", ARRAY), ("metadata", OBJECT)],
    optional: &[],
};

pub const CURSOR_LIST_METADATA: Schema = Schema {
    name: "AccessPolicyListResponse.metadata",
    source: Source::Spec,
    required: &[("pagination", OBJECT)],
    optional: &[],
};

pub const CURSOR_PAGINATION: Schema = Schema {
    name: "AccessPolicyListResponse.metadata.pagination",
    source: Source::Spec,
    required: &[("pageSize", NUMBER)],
    optional: &[("pageCursor", STRING_OR_NULL), ("nextPage", STRING_OR_NULL)],
};

/// The cursor-paged envelope, and `item` on each of its items.
pub fn assert_cursor_list(list: &Value, item: impl Fn(&Value)) {
    check(list, &CURSOR_LIST, "list");
    check(&list["metadata"], &CURSOR_LIST_METADATA, "list.metadata");
    check(
        &list["metadata"]["pagination"],
        &CURSOR_PAGINATION,
        "list.metadata.pagination",
    );
    for value in list["items"].as_array().into_iter().flatten() {
        item(value);
    }
}

pub fn assert_access_policy_list(list: &Value) {
    assert_cursor_list(list, assert_access_policy);
}

/// `AuthToken`: a token as read, listed or updated (no secret).
pub const TOKEN: Schema = Schema {
    name: "AuthToken",
    source: Source::Spec,
    required: &[("accessPolicyId", STRING), ("name", STRING)],
    optional: &[
        ("id", STRING),
        ("displayName", STRING),
        ("expiresAt", STRING),
        ("firstUsedAt", STRING),
        ("lastUsedAt", STRING),
        ("createdAt", STRING),
        ("updatedAt", STRING),
        ("orgId", STRING),
    ],
};

/// `AuthTokenWithSecret`: the create answer, `AuthToken` and the secret.
/// The spec leaves `token` optional; it is the point of the answer (the
/// documentation: shown only once), so the check requires it.
pub const TOKEN_WITH_SECRET: Schema = Schema {
    name: "AuthTokenWithSecret",
    source: Source::Spec,
    required: &[("token", STRING)],
    optional: &[],
};

pub fn assert_token(token: &Value) {
    check(token, &TOKEN, "token");
    assert!(
        token.get("token").is_none(),
        "only the create answer carries the secret: {token}"
    );
}

pub fn assert_token_with_secret(token: &Value) {
    check(token, &TOKEN, "token");
    check(token, &TOKEN_WITH_SECRET, "token");
}

pub fn assert_token_list(list: &Value) {
    assert_cursor_list(list, assert_token);
}

// ------------------------------------------------- the GCOM list envelope

/// The envelope of GCOM lists (`/stack-regions`, `/orgs/{org}/instances`,
/// `/instances/{id}/plugins`, `/orgs/{org}/billed-usage`).
pub const GCOM_LIST: Schema = Schema {
    name: "GcomList",
    source: Source::Spec,
    required: &[
        ("items", ARRAY),
        ("orderBy", STRING),
        ("direction", STRING),
        ("total", NUMBER),
        ("pages", NUMBER),
        ("pageSize", NUMBER),
        ("page", NUMBER),
    ],
    optional: &[],
};

/// The envelope, and `item` on each of its items.
pub fn assert_gcom_list(list: &Value, item: impl Fn(&Value)) {
    check(list, &GCOM_LIST, "list");
    let direction = list["direction"].as_str().unwrap_or_default();
    assert!(
        ["asc", "desc"].contains(&direction),
        "list.direction is asc or desc: {direction:?}"
    );
    for value in list["items"].as_array().into_iter().flatten() {
        item(value);
    }
}

/// An element of a `links` array.
pub const LINK: Schema = Schema {
    name: "Link",
    source: Source::Spec,
    required: &[("rel", STRING), ("href", STRING)],
    optional: &[],
};

fn links(value: &Value, at: &str) {
    each(value, "links", at, |link, at| check(link, &LINK, at));
}

// ---------------------------------------------------------------- regions

/// `FormattedApiStackRegion`, in the public form `/stack-regions` answers.
pub const REGION: Schema = Schema {
    name: "FormattedApiStackRegion",
    source: Source::Spec,
    required: &[
        ("id", NUMBER),
        ("status", STRING),
        ("visibility", STRING),
        ("slug", STRING),
        ("name", STRING),
        ("publicName", STRING),
        ("description", STRING),
        ("provider", STRING),
        ("createdAt", STRING),
        ("updatedAt", STRING_OR_NULL),
        ("sortOrder", NUMBER),
    ],
    optional: &[],
};

pub fn assert_region(region: &Value) {
    check(region, &REGION, "region");
    let provider = region["provider"].as_str().unwrap_or_default();
    assert!(
        ["aws", "azure", "fedramp-palantir", "gcp"].contains(&provider),
        "region.provider: {provider:?}"
    );
}

pub fn assert_region_list(list: &Value) {
    assert_gcom_list(list, assert_region);
}

// ----------------------------------------------------------------- stacks

/// `FormattedApiInstance`: a stack as created, read, updated, deleted or
/// listed.
pub const STACK: Schema = Schema {
    name: "FormattedApiInstance",
    source: Source::Spec,
    required: &[
        ("alertCnt", NUMBER),
        ("alertQuota", NUMBER),
        ("amInstanceGeneratorUrl", STRING),
        ("amInstanceGeneratorUrlDatasource", STRING),
        ("amInstanceId", NUMBER),
        ("amInstanceName", STRING),
        ("amInstanceStatus", STRING),
        ("amInstanceUrl", STRING),
        ("amInstanceClusterId", NUMBER),
        ("billingActiveUsers", NUMBER),
        ("billingEndDate", STRING_OR_NULL),
        ("billingGrafanaActiveUsers", NUMBER),
        ("billingOnCallActiveUsers", NUMBER),
        ("billingStartDate", STRING),
        ("clusterId", NUMBER),
        ("clusterName", STRING),
        ("clusterSlug", STRING),
        ("createdAt", STRING),
        ("createdBy", STRING),
        ("currentActiveAdminUsers", NUMBER),
        ("currentActiveEditorUsers", NUMBER),
        ("currentActiveUsers", NUMBER),
        ("currentActiveViewerUsers", NUMBER),
        ("customAuth", BOOLEAN),
        ("customDomain", BOOLEAN),
        ("dailyAdminCnt", NUMBER),
        ("dailyEditorCnt", NUMBER),
        ("dailyUserCnt", NUMBER),
        ("dailyViewerCnt", NUMBER),
        ("dashboardCnt", NUMBER),
        ("dashboardQuota", NUMBER),
        ("datasourceCnts", OBJECT),
        ("description", STRING),
        ("gateway", STRING),
        ("hlInstanceCurrentUsage", NUMBER),
        ("hlInstanceBillingUsage", NUMBER),
        ("hlInstanceId", NUMBER),
        ("hlInstanceName", STRING),
        ("hlInstanceStatus", STRING),
        ("hlInstanceUrl", STRING),
        ("hlInstanceClusterId", NUMBER),
        ("hmInstanceGraphiteCurrentUsage", NUMBER),
        ("hmInstanceGraphiteBillingUsage", NUMBER),
        ("hmInstanceGraphiteId", NUMBER),
        ("hmInstanceGraphiteName", STRING),
        ("hmInstanceGraphiteStatus", STRING),
        ("hmInstanceGraphiteType", STRING),
        ("hmInstanceGraphiteUrl", STRING),
        ("hmInstancePromClusterId", NUMBER),
        ("hmInstancePromCurrentActiveSeries", NUMBER_OR_NULL),
        ("hmInstancePromCurrentUsage", NUMBER),
        ("hmInstancePromBillingUsage", NUMBER),
        ("hmInstancePromId", NUMBER),
        ("hmInstancePromName", STRING),
        ("hmInstancePromStatus", STRING),
        ("hmInstancePromUrl", STRING),
        ("hmInstanceGraphiteClusterId", NUMBER),
        ("htInstanceId", NUMBER),
        ("htInstanceName", STRING),
        ("htInstanceStatus", STRING),
        ("htInstanceUrl", STRING),
        ("htInstanceClusterId", NUMBER),
        ("htInstanceCurrentUsage", NUMBER),
        ("htInstanceBillingUsage", NUMBER),
        ("hpInstanceId", NUMBER),
        ("hpInstanceName", STRING),
        ("hpInstanceStatus", STRING),
        ("hpInstanceUrl", STRING),
        ("hpInstanceClusterId", NUMBER),
        ("hpInstanceCurrentUsage", NUMBER),
        ("hpInstanceBillingUsage", NUMBER),
        ("id", NUMBER),
        ("incident", NUMBER),
        ("machineLearning", NUMBER),
        ("name", STRING),
        ("orgId", NUMBER),
        ("orgName", STRING),
        ("orgSlug", STRING),
        ("orgCreatedAt", STRING),
        ("plan", STRING),
        ("planName", STRING),
        ("regionId", NUMBER),
        ("regionSlug", STRING),
        ("regionPublicName", STRING),
        ("provider", STRING),
        ("providerRegion", STRING),
        ("runningVersion", STRING),
        ("slug", STRING),
        ("ssl", BOOLEAN),
        ("status", STRING),
        ("support", BOOLEAN),
        ("trial", NUMBER),
        ("trialExpiresAt", STRING_OR_NULL),
        ("updatedAt", STRING_OR_NULL),
        ("updatedBy", STRING_OR_NULL),
        ("url", STRING),
        ("userQuota", NUMBER),
        ("version", STRING),
        ("agentManagementInstanceId", NUMBER),
        ("agentManagementInstanceUrl", STRING),
        ("agentManagementInstanceName", STRING),
        ("agentManagementInstanceStatus", STRING),
        ("agentManagementInstanceClusterId", NUMBER),
        ("type", STRING),
        ("k6OrgId", NUMBER_OR_NULL),
        ("machineLearningLogsToken", STRING),
        ("usageStatsId", STRING),
        ("regionStackStateServiceUrl", STRING),
        ("regionSyntheticMonitoringApiUrl", STRING),
        ("regionInsightsApiUrl", STRING),
        ("regionIntegrationsApiUrl", STRING),
        ("regionHostedExportersApiUrl", STRING),
        ("regionMachineLearningApiUrl", STRING),
        ("regionLLMGatewayUrl", STRING),
        ("regionAssistantUrl", STRING),
        ("regionSigilUrl", STRING),
        ("links", ARRAY),
        ("deleteProtection", BOOLEAN),
    ],
    optional: &[
        ("labels", OBJECT),
        ("statusUpdatedAt", STRING_OR_NULL),
        ("versionIssueLink", STRING),
        ("config", OBJECT),
    ],
};

/// The spec's values for each backing instance's status field.
const INSTANCE_STATUSES: [&str; 4] = ["active", "deleted", "suspended", "unknown"];

pub fn assert_stack(stack: &Value) {
    check(stack, &STACK, "stack");
    links(stack, "stack");
    assert_eq!(stack["type"], "grafana", "stack.type");
    for field in [
        "amInstanceStatus",
        "hlInstanceStatus",
        "hmInstanceGraphiteStatus",
        "hmInstancePromStatus",
        "htInstanceStatus",
        "hpInstanceStatus",
        "agentManagementInstanceStatus",
    ] {
        let status = stack[field].as_str().unwrap_or_default();
        assert!(
            INSTANCE_STATUSES.contains(&status),
            "stack.{field}: {status:?}"
        );
    }
}

pub fn assert_stack_list(list: &Value) {
    assert_gcom_list(list, assert_stack);
}

// ------------------------------------------------------------------- orgs

/// `FormattedApiOrgPublic`: `GET /orgs/{org}`.
pub const ORG: Schema = Schema {
    name: "FormattedApiOrgPublic",
    source: Source::Spec,
    required: &[
        ("id", NUMBER),
        ("slug", STRING),
        ("name", STRING),
        ("url", STRING),
        ("createdAt", STRING),
        ("createdBy", STRING_OR_NULL),
        ("updatedAt", STRING_OR_NULL),
        ("updatedBy", STRING_OR_NULL),
        ("avatar", STRING_OR_NULL),
        ("isource", STRING_OR_NULL),
        ("osource", STRING_OR_NULL),
        ("isStaff", BOOLEAN),
        ("checksPerMonth", NUMBER),
        ("wpPlan", STRING),
        ("hgInstanceLimit", NUMBER),
        ("hmInstanceLimit", NUMBER),
        ("hlInstanceLimit", NUMBER),
        ("userQuota", NUMBER),
        ("supportPlan", STRING),
        ("creditApproved", NUMBER),
        ("msaSignedAt", STRING_OR_NULL),
        ("msaSignedBy", STRING_OR_NULL),
        ("enterprisePlugins", NUMBER),
        ("licenseProducts", ARRAY),
        ("grafanaCloud", NUMBER),
        ("privacy", STRING),
        ("reseller", STRING),
        ("resellerId", NUMBER_OR_NULL),
        ("resellerName", STRING_OR_NULL),
        ("emergencySupport", BOOLEAN),
        ("gcloudMonthlyCost", NUMBER),
        ("hgUsage", NUMBER),
        ("hgCurrentActiveUsers", NUMBER),
        ("hgGrafanaUsage", NUMBER),
        ("hgOnCallUsage", NUMBER),
        ("hmUsage", NUMBER),
        ("hmCurrentUsage", NUMBER),
        ("hmGraphiteUsage", NUMBER),
        ("hlUsage", NUMBER),
        ("hlRetentionUsage", NUMBER),
        ("htUsage", NUMBER),
        ("hpUsage", NUMBER),
        ("irmUsage", NUMBER),
        ("k6VuhUsage", NUMBER),
        ("k6IPUsage", NUMBER),
        ("feO11YUsage", NUMBER),
        ("appO11YUsage", NUMBER),
        ("smUsage", NUMBER),
        ("infraO11YHostsUsage", NUMBER),
        ("infraO11YContainersUsage", NUMBER),
        ("geUsersUsage", NUMBER),
        ("geInstancesUsage", NUMBER),
        ("smBrowserUsage", NUMBER),
        ("awsMarketplaceSupport", NUMBER),
        ("trialStartDate", STRING_OR_NULL),
        ("trialEndDate", STRING_OR_NULL),
        ("trialLengthDays", NUMBER_OR_NULL),
        ("trialNoticeDate", STRING_OR_NULL),
        ("cancellationDate", STRING_OR_NULL),
        ("retainedStackId", NUMBER),
        ("allowGCloudTrial", BOOLEAN),
        ("pluginSignatureType", STRING),
        ("contractType", STRING),
        ("contractTypeId", NUMBER),
        ("liveChatEnabled", BOOLEAN),
        ("kapaDeflectorEnabled", BOOLEAN),
        ("disableTokenExpirationEmails", BOOLEAN),
        ("maxTokenExpirationDays", NUMBER),
        ("links", ARRAY),
        ("subscriptions", OBJECT),
    ],
    optional: &[("mfaRequired", BOOLEAN), ("mfaAdminRecoveryOnly", BOOLEAN)],
};

/// An org's `subscriptions` (any of the spec's three forms).
pub const SUBSCRIPTIONS: Schema = Schema {
    name: "FormattedApiOrgPublic.subscriptions",
    source: Source::Spec,
    required: &[("current", OBJECT), ("next", OBJECT_OR_NULL)],
    optional: &[],
};

/// `subscriptions.current`, with the types common to the spec's forms
/// (one of them allows `null` for all but the booleans and `payload`).
pub const SUBSCRIPTION_CURRENT: Schema = Schema {
    name: "FormattedApiOrgPublic.subscriptions.current",
    source: Source::Spec,
    required: &[
        ("product", STRING_OR_NULL),
        ("isTrial", BOOLEAN),
        ("startDate", STRING_OR_NULL),
        ("endDate", STRING_OR_NULL),
        ("payload", OBJECT),
        ("plan", STRING_OR_NULL),
        ("publicName", STRING_OR_NULL),
        ("enterprisePluginsAdded", BOOLEAN),
        ("planBillingCycle", STRING_OR_NULL),
    ],
    optional: &[],
};

pub fn assert_org(org: &Value) {
    check(org, &ORG, "org");
    links(org, "org");
    strings(org, "licenseProducts", "org");
    let contract_type_id = org["contractTypeId"].as_u64();
    assert!(
        matches!(contract_type_id, Some(0..=2)),
        "org.contractTypeId is 0, 1 or 2: {}",
        org["contractTypeId"]
    );
    check(&org["subscriptions"], &SUBSCRIPTIONS, "org.subscriptions");
    check(
        &org["subscriptions"]["current"],
        &SUBSCRIPTION_CURRENT,
        "org.subscriptions.current",
    );
}

// ---------------------------------------------------------------- plugins

/// `FormattedApiInstancePlugin`: a plugin installed on a stack.
pub const PLUGIN: Schema = Schema {
    name: "FormattedApiInstancePlugin",
    source: Source::Spec,
    required: &[
        ("id", NUMBER),
        ("instanceId", NUMBER),
        ("instanceUrl", STRING),
        ("instanceSlug", STRING),
        ("pluginId", NUMBER),
        ("pluginSlug", STRING),
        ("pluginName", STRING),
        ("version", STRING),
        ("latestVersion", STRING),
        ("createdAt", STRING),
        ("links", ARRAY),
    ],
    optional: &[("updatedAt", STRING)],
};

pub fn assert_plugin(plugin: &Value) {
    check(plugin, &PLUGIN, "plugin");
    links(plugin, "plugin");
}

pub fn assert_plugin_list(list: &Value) {
    assert_gcom_list(list, assert_plugin);
}

// ------------------------------------------------------------ connections

/// `GET /instances/{id}/connections`.
pub const CONNECTIONS: Schema = Schema {
    name: "Connections",
    source: Source::Spec,
    required: &[
        ("otlpHttpUrl", STRING_OR_NULL),
        ("otlpMultiAZ", BOOLEAN),
        ("privateConnectivityInfo", OBJECT),
    ],
    optional: &[
        ("appPlatform", OBJECT),
        ("influxUrl", STRING),
        ("oncallApiUrl", STRING),
        ("syntheticMonitoringApiUrl", STRING),
    ],
};

pub const PRIVATE_CONNECTIVITY: Schema = Schema {
    name: "Connections.privateConnectivityInfo",
    source: Source::Spec,
    required: &[("tenants", ARRAY_OR_NULL)],
    optional: &[("otlp", OBJECT), ("pdc", OBJECT)],
};

pub const TENANT: Schema = Schema {
    name: "Connections.privateConnectivityInfo.tenants[]",
    source: Source::Spec,
    required: &[
        ("type", STRING),
        ("id", INTEGER),
        ("ipAllowListCNAME", STRING_OR_NULL),
    ],
    optional: &[("allowlistUrl", STRING), ("info", OBJECT)],
};

pub const APP_PLATFORM: Schema = Schema {
    name: "Connections.appPlatform",
    source: Source::Spec,
    required: &[("url", STRING)],
    optional: &[],
};

pub fn assert_connections(connections: &Value) {
    check(connections, &CONNECTIONS, "connections");
    let private = &connections["privateConnectivityInfo"];
    check(
        private,
        &PRIVATE_CONNECTIVITY,
        "connections.privateConnectivityInfo",
    );
    each(
        private,
        "tenants",
        "connections.privateConnectivityInfo",
        |t, at| check(t, &TENANT, at),
    );
    if let Some(app_platform) = connections.get("appPlatform") {
        check(app_platform, &APP_PLATFORM, "connections.appPlatform");
    }
}

// ------------------------------------------------------------ billed usage

/// An item of `GET /orgs/{org}/billed-usage`: one billing dimension.
pub const BILLED_USAGE_ITEM: Schema = Schema {
    name: "BilledUsage.items[]",
    source: Source::Spec,
    required: &[
        ("id", NUMBER),
        ("description", STRING),
        ("overage", NUMBER),
        ("notes", STRING),
        ("unit", STRING),
        ("includedUsage", NUMBER),
        ("dimensionId", STRING),
        // The spec requires it without a type; the documentation shows an
        // object (`tiers`, and `includedDPM` for metrics).
        ("orgRates", OBJECT),
        ("amountDue", NUMBER),
        ("dimensionName", STRING),
        ("periodEnd", STRING),
        ("periodStart", STRING),
        ("totalUsage", NUMBER),
        ("usages", ARRAY),
    ],
    optional: &[],
};

/// One stack's usage in a dimension.
pub const STACK_USAGE: Schema = Schema {
    name: "BilledUsage.items[].usages[]",
    source: Source::Spec,
    required: &[
        ("id", NUMBER),
        ("isProrated", BOOLEAN),
        ("periodEnd", STRING),
        ("periodStart", STRING),
        ("stackId", NUMBER),
        ("totalUsage", NUMBER),
        ("stackName", STRING),
        ("stackLabels", OBJECT),
    ],
    optional: &[
        ("activeSeries", NUMBER),
        ("activeUsers", NUMBER),
        ("anonymousUsers", NUMBER),
        ("attributedCost", NUMBER),
        ("attributedUsage", NUMBER),
        ("browserUsage", NUMBER),
        ("credits", ARRAY),
        ("dpm", NUMBER),
        ("grafanaUsage", NUMBER),
        ("incidentUsage", NUMBER),
        ("ingestUsage", NUMBER),
        ("onCallUsage", NUMBER),
        ("protocolUsage", NUMBER),
        ("queryUsage", NUMBER),
    ],
};

pub const CREDIT: Schema = Schema {
    name: "BilledUsage.items[].usages[].credits[]",
    source: Source::Spec,
    required: &[
        ("amount", NUMBER),
        ("dimensionId", STRING),
        ("dimensionName", STRING),
    ],
    optional: &[],
};

pub fn assert_billed_usage(report: &Value) {
    assert_gcom_list(report, |item| {
        check(item, &BILLED_USAGE_ITEM, "billed-usage item");
        each(item, "usages", "billed-usage item", |usage, at| {
            check(usage, &STACK_USAGE, at);
            each(usage, "credits", at, |credit, at| {
                check(credit, &CREDIT, at)
            });
        });
    });
}

// ------------------------------------------- answers the spec leaves out

const API_KEYS_DOCS: &str = "Grafana Cloud API docs, API keys (List API keys, Create API key)";

/// A Grafana Cloud API key as listed (not in the spec).
pub const API_KEY: Schema = Schema {
    name: "ApiKey",
    source: Source::Docs(API_KEYS_DOCS),
    required: &[
        ("id", NUMBER),
        ("orgId", NUMBER),
        ("orgSlug", STRING),
        ("orgName", STRING),
        ("instanceId", NUMBER_OR_NULL),
        ("name", STRING),
        ("role", STRING),
        ("createdAt", STRING),
        ("updatedAt", STRING_OR_NULL),
        ("firstUsed", STRING_OR_NULL),
        ("links", ARRAY),
    ],
    optional: &[],
};

/// The create answer adds the secret.
pub const API_KEY_WITH_TOKEN: Schema = Schema {
    name: "ApiKeyWithToken",
    source: Source::Docs(API_KEYS_DOCS),
    required: &[("token", STRING)],
    optional: &[],
};

/// The documented list envelope of API keys (no paging fields).
pub const API_KEY_LIST: Schema = Schema {
    name: "ApiKeyList",
    source: Source::Docs(API_KEYS_DOCS),
    required: &[
        ("items", ARRAY),
        ("orderBy", STRING),
        ("direction", STRING),
        ("links", ARRAY),
    ],
    optional: &[],
};

pub fn assert_api_key(key: &Value) {
    check(key, &API_KEY, "api key");
    links(key, "api key");
    assert!(
        key.get("token").is_none(),
        "only the create answer carries the secret: {key}"
    );
}

pub fn assert_api_key_with_token(key: &Value) {
    check(key, &API_KEY, "api key");
    check(key, &API_KEY_WITH_TOKEN, "api key");
    links(key, "api key");
}

pub fn assert_api_key_list(list: &Value) {
    check(list, &API_KEY_LIST, "api keys");
    links(list, "api keys");
    each(list, "items", "api keys", |key, _| assert_api_key(key));
}

const DATASOURCES_DOCS: &str = "Grafana Cloud API docs, Stacks, List data sources";

/// A hosted Grafana's data source (not in the spec).
pub const DATASOURCE: Schema = Schema {
    name: "Datasource",
    source: Source::Docs(DATASOURCES_DOCS),
    required: &[
        ("id", NUMBER),
        ("instanceId", NUMBER),
        ("name", STRING),
        ("type", STRING),
        ("access", STRING),
        ("grafanaOrgId", NUMBER),
        ("url", STRING),
        ("password", STRING),
        ("user", STRING),
        ("database", STRING),
        ("basicAuth", NUMBER),
        ("basicAuthUser", STRING),
        ("withCredentials", NUMBER),
        ("isDefault", NUMBER),
        ("jsonData", OBJECT),
        ("version", NUMBER),
        ("editable", NUMBER),
        ("delete", NUMBER),
        ("createdAt", STRING),
        ("updatedAt", STRING_OR_NULL),
    ],
    optional: &[],
};

pub const DATASOURCE_LIST: Schema = Schema {
    name: "DatasourceList",
    source: Source::Docs(DATASOURCES_DOCS),
    required: &[("items", ARRAY)],
    optional: &[],
};

pub fn assert_datasource_list(list: &Value) {
    check(list, &DATASOURCE_LIST, "data sources");
    each(list, "items", "data sources", |ds, at| {
        check(ds, &DATASOURCE, at)
    });
}

/// `POST /instances/{id}/api/auth/keys` (not in the spec).
pub const HOSTED_GRAFANA_API_KEY: Schema = Schema {
    name: "HostedGrafanaApiKey",
    source: Source::Docs("Grafana Cloud API docs, Stacks, Create Hosted Grafana instance API keys"),
    required: &[("id", NUMBER), ("name", STRING), ("key", STRING)],
    optional: &[],
};

pub fn assert_hosted_grafana_api_key(key: &Value) {
    check(key, &HOSTED_GRAFANA_API_KEY, "hosted Grafana API key");
}
