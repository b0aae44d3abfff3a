//! Gcore Cloud's share of the world: the API keys, the client's projects and
//! regions, and its resources of every type the usage report knows. Billing
//! figures are never stored: `crate::vendors::gcore::usage` computes them on demand.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scenario::GcoreScenario;
use crate::core::error::ScenarioError;
use crate::core::error::{EngineError, EngineResult};
use crate::core::rate_limit;
use crate::core::rate_limit::RateLimitSpec;
use crate::vendors::grafana::usage::{fnv1a, hash};

/// The resource types of the usage report, spelled as Gcore spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    AiCluster,
    AiVirtualCluster,
    Backup,
    Baremetal,
    BasicVm,
    Containers,
    DbaasPostgresqlConnectionPooler,
    DbaasPostgresqlCpu,
    DbaasPostgresqlMemory,
    DbaasPostgresqlPublicNetwork,
    DbaasPostgresqlVolume,
    EgressTraffic,
    ExternalIp,
    FileShare,
    #[serde(rename = "floatingip")]
    FloatingIp,
    Functions,
    FunctionsCalls,
    FunctionsTraffic,
    Image,
    Inference,
    /// Accepted as a `types` filter; the SDK has no report model for it, so
    /// no inventory holds one.
    InferencePublicModels,
    Instance,
    LoadBalancer,
    LogIndex,
    Snapshot,
    Volume,
}

/// A resource attribute beyond the ones every report line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    Uuid,
    LastName,
    Flavor,
    Tags,
    LastSize,
    SizeUnit,
    VolumeType,
    AttachedToVm,
    SourceVolumeUuid,
    ScheduleId,
    FileShareType,
    IpAddress,
    NetworkId,
    PortId,
    SubnetId,
    VmId,
    InstanceName,
    InstanceType,
    /// Only as a `schema_filter` field: the resource type itself.
    Type,
}

/// How a type is billed: what `billing_value` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metering {
    /// Minutes the resource existed (`minutes`).
    Uptime,
    /// Size in GiB times minutes existed (`gbminutes`).
    SizeTime,
    /// A metered quantity from the hourly usage generator, in `unit`.
    Usage { unit: &'static str },
}

/// `egress_traffic.instance_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceType {
    Baremetal,
    Router,
    Vm,
}

impl InstanceType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            InstanceType::Baremetal => "baremetal",
            InstanceType::Router => "router",
            InstanceType::Vm => "vm",
        }
    }
}

use Attribute as A;

const SERVER: &[Attribute] = &[A::Uuid, A::LastName, A::Flavor, A::Tags];
const NAMED: &[Attribute] = &[A::Uuid, A::LastName];

impl ResourceType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ResourceType::AiCluster => "ai_cluster",
            ResourceType::AiVirtualCluster => "ai_virtual_cluster",
            ResourceType::Backup => "backup",
            ResourceType::Baremetal => "baremetal",
            ResourceType::BasicVm => "basic_vm",
            ResourceType::Containers => "containers",
            ResourceType::DbaasPostgresqlConnectionPooler => "dbaas_postgresql_connection_pooler",
            ResourceType::DbaasPostgresqlCpu => "dbaas_postgresql_cpu",
            ResourceType::DbaasPostgresqlMemory => "dbaas_postgresql_memory",
            ResourceType::DbaasPostgresqlPublicNetwork => "dbaas_postgresql_public_network",
            ResourceType::DbaasPostgresqlVolume => "dbaas_postgresql_volume",
            ResourceType::EgressTraffic => "egress_traffic",
            ResourceType::ExternalIp => "external_ip",
            ResourceType::FileShare => "file_share",
            ResourceType::FloatingIp => "floatingip",
            ResourceType::Functions => "functions",
            ResourceType::FunctionsCalls => "functions_calls",
            ResourceType::FunctionsTraffic => "functions_traffic",
            ResourceType::Image => "image",
            ResourceType::Inference => "inference",
            ResourceType::InferencePublicModels => "inference_public_models",
            ResourceType::Instance => "instance",
            ResourceType::LoadBalancer => "load_balancer",
            ResourceType::LogIndex => "log_index",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Volume => "volume",
        }
    }

    /// The attributes a report line of this type carries (the SDK's
    /// `ResourceResource*Serializer` models).
    pub(crate) fn attributes(self) -> &'static [Attribute] {
        use ResourceType as T;
        match self {
            T::AiCluster | T::AiVirtualCluster | T::Baremetal | T::BasicVm | T::Instance => SERVER,
            T::LoadBalancer => SERVER,
            T::Inference => &[A::Uuid, A::LastName, A::Flavor],
            T::Backup => &[
                A::Uuid,
                A::LastName,
                A::LastSize,
                A::ScheduleId,
                A::SourceVolumeUuid,
            ],
            T::Containers
            | T::Functions
            | T::FunctionsCalls
            | T::FunctionsTraffic
            | T::DbaasPostgresqlConnectionPooler
            | T::DbaasPostgresqlCpu
            | T::DbaasPostgresqlMemory
            | T::DbaasPostgresqlPublicNetwork => NAMED,
            T::DbaasPostgresqlVolume => &[A::Uuid, A::LastName, A::SizeUnit, A::VolumeType],
            T::EgressTraffic => &[
                A::InstanceName,
                A::InstanceType,
                A::PortId,
                A::SizeUnit,
                A::Tags,
                A::VmId,
            ],
            T::ExternalIp => &[
                A::AttachedToVm,
                A::IpAddress,
                A::NetworkId,
                A::PortId,
                A::SubnetId,
            ],
            T::FileShare => &[
                A::Uuid,
                A::LastName,
                A::FileShareType,
                A::LastSize,
                A::SizeUnit,
                A::Tags,
            ],
            T::FloatingIp => &[A::Uuid, A::LastName, A::IpAddress, A::Tags],
            T::Image => &[A::Uuid, A::LastName, A::LastSize, A::SizeUnit, A::Tags],
            T::LogIndex => &[A::Uuid, A::LastName, A::LastSize, A::SizeUnit],
            T::Snapshot => &[
                A::Uuid,
                A::LastName,
                A::LastSize,
                A::SizeUnit,
                A::SourceVolumeUuid,
                A::Tags,
                A::VolumeType,
            ],
            T::Volume => &[
                A::Uuid,
                A::LastName,
                A::AttachedToVm,
                A::LastSize,
                A::SizeUnit,
                A::Tags,
                A::VolumeType,
            ],
            T::InferencePublicModels => &[],
        }
    }

    pub(crate) fn has(self, attribute: Attribute) -> bool {
        self.attributes().contains(&attribute)
    }

    /// The fields `schema_filter` accepts for this type (the SDK's
    /// `SchemaFilter*Serializer` models): the type's own filterable
    /// attributes plus `type`.
    pub(crate) fn schema_filter_fields(self) -> Vec<Attribute> {
        let mut fields: Vec<Attribute> = self
            .attributes()
            .iter()
            .copied()
            .filter(|a| !matches!(a, A::Tags | A::SizeUnit))
            .collect();
        if !fields.is_empty() {
            fields.push(A::Type);
        }
        fields.sort();
        fields
    }

    /// The attribute a total of this type is broken down by, besides region
    /// and billing metric (the SDK's `TotalTotal*Serializer` models).
    pub(crate) fn total_grouping(self) -> Option<Attribute> {
        use ResourceType as T;
        match self {
            T::AiCluster
            | T::AiVirtualCluster
            | T::Baremetal
            | T::BasicVm
            | T::Instance
            | T::LoadBalancer => Some(A::Flavor),
            T::EgressTraffic => Some(A::InstanceType),
            T::FileShare => Some(A::FileShareType),
            T::Snapshot | T::Volume | T::DbaasPostgresqlVolume => Some(A::VolumeType),
            _ => None,
        }
    }

    /// Whether `totals` has rows for this type: the SDK's `Total` union has
    /// no model for backups, so the report leaves them out of the totals.
    pub(crate) fn has_totals(self) -> bool {
        self != ResourceType::Backup
    }

    pub(crate) fn metering(self) -> Metering {
        use ResourceType as T;
        match self {
            T::Backup
            | T::FileShare
            | T::Image
            | T::LogIndex
            | T::Snapshot
            | T::Volume
            | T::DbaasPostgresqlMemory
            | T::DbaasPostgresqlVolume => Metering::SizeTime,
            T::EgressTraffic => Metering::Usage { unit: "bytes" },
            T::Containers | T::Functions => Metering::Usage { unit: "GBS" },
            T::FunctionsCalls => Metering::Usage { unit: "MLS" },
            T::FunctionsTraffic => Metering::Usage { unit: "GB" },
            _ => Metering::Uptime,
        }
    }

    /// `billing_value_unit`.
    pub(crate) fn billing_unit(self) -> &'static str {
        match self.metering() {
            Metering::Uptime => "minutes",
            Metering::SizeTime => "gbminutes",
            Metering::Usage { unit } => unit,
        }
    }

    /// `size_unit`, for the types that report one (`GiB` and `bytes` are
    /// the SDK's literals for file shares and images).
    fn size_unit(self) -> &'static str {
        match self {
            ResourceType::FileShare | ResourceType::DbaasPostgresqlVolume => "GiB",
            _ => "bytes",
        }
    }

    /// A typical size when the scenario gives none.
    fn default_size_gib(self) -> u64 {
        match self {
            ResourceType::Image => 4,
            ResourceType::DbaasPostgresqlMemory => 8,
            ResourceType::LogIndex => 20,
            ResourceType::FileShare => 100,
            _ => 50,
        }
    }
}

const GIB: u64 = 1 << 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcoreProjectSpec {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcoreRegionSpec {
    pub id: u64,
    /// `Luxembourg-2`, as the Gcore portal names it.
    pub name: String,
}

/// One resource of the client's inventory. `type`, `project_id` and
/// `region_id` are required, and `flavor` for the types that have one; any
/// other attribute the type's SDK model has gets a deterministic default.
/// Naming an attribute the type's model lacks is a scenario error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcoreResourceSpec {
    #[serde(rename = "type")]
    pub resource_type: Option<ResourceType>,
    pub project_id: Option<u64>,
    pub region_id: Option<u64>,
    /// When the resource appeared; it has always existed when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When it was removed; still there when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// Shown as `[{"key": "value"}, …]`, in key order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Bytes; what `gbminutes` are computed from (also for the
    /// `dbaas_postgresql_memory` and `_volume` types, which do not show it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to_vm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_share_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<InstanceType>,
}

/// A resource as the report shows it: every attribute its type has is
/// `Some` (`attached_to_vm` and `instance_name` may stay `None`, as the SDK
/// allows), every other attribute `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct GcoreResource {
    /// Position in the scenario: the last tie-breaker of every sort.
    pub index: usize,
    pub resource_type: ResourceType,
    pub project_id: u64,
    pub region_id: u64,
    pub created_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Bytes, for `gbminutes`.
    pub size_bytes: u64,
    pub uuid: Option<String>,
    pub last_name: Option<String>,
    pub flavor: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub last_size: Option<u64>,
    pub size_unit: Option<&'static str>,
    pub volume_type: Option<String>,
    pub attached_to_vm: Option<String>,
    pub source_volume_uuid: Option<String>,
    pub schedule_id: Option<String>,
    pub file_share_type: Option<String>,
    pub ip_address: Option<String>,
    pub network_id: Option<String>,
    pub port_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vm_id: Option<String>,
    pub instance_name: Option<String>,
    pub instance_type: Option<InstanceType>,
}

impl GcoreResource {
    /// An attribute as text, for `schema_filter`; `None` when the type lacks it.
    pub fn attribute(&self, attribute: Attribute) -> Option<String> {
        match attribute {
            A::Uuid => self.uuid.clone(),
            A::LastName => self.last_name.clone(),
            A::Flavor => self.flavor.clone(),
            A::Tags => None,
            A::LastSize => self.last_size.map(|s| s.to_string()),
            A::SizeUnit => self.size_unit.map(str::to_string),
            A::VolumeType => self.volume_type.clone(),
            A::AttachedToVm => self.attached_to_vm.clone(),
            A::SourceVolumeUuid => self.source_volume_uuid.clone(),
            A::ScheduleId => self.schedule_id.clone(),
            A::FileShareType => self.file_share_type.clone(),
            A::IpAddress => self.ip_address.clone(),
            A::NetworkId => self.network_id.clone(),
            A::PortId => self.port_id.clone(),
            A::SubnetId => self.subnet_id.clone(),
            A::VmId => self.vm_id.clone(),
            A::InstanceName => self.instance_name.clone(),
            A::InstanceType => self.instance_type.map(|t| t.name().to_string()),
            A::Type => Some(self.resource_type.name().to_string()),
        }
    }

    /// What `last_name` sorting compares: the name, or for the types without
    /// one the instance name or IP address.
    pub fn display_name(&self) -> &str {
        self.last_name
            .as_deref()
            .or(self.instance_name.as_deref())
            .or(self.ip_address.as_deref())
            .unwrap_or("")
    }

    /// The identity a usage series is keyed by.
    pub fn series_key(&self) -> String {
        self.uuid
            .clone()
            .or_else(|| self.port_id.clone())
            .unwrap_or_else(|| format!("resource-{}", self.index))
    }
}

#[derive(Debug, Clone, Default)]
pub struct GcoreState {
    api_keys: HashSet<String>,
    pub projects: Vec<GcoreProjectSpec>,
    pub regions: Vec<GcoreRegionSpec>,
    pub resources: Vec<GcoreResource>,
    /// Limits per API key.
    pub rate_limits: Vec<RateLimitSpec>,
}

/// Requests per hour per key when the scenario sets no limit: high enough
/// that trying the API never meets it (Gcore documents no number).
const DEFAULT_RATE_LIMIT: u32 = 10_000;

impl GcoreState {
    pub fn from_scenario(scenario: &GcoreScenario, seed: u64) -> Result<Self, ScenarioError> {
        let mut state = GcoreState {
            projects: scenario.projects.clone(),
            regions: scenario.regions.clone(),
            rate_limits: rate_limit::from_scenario(
                scenario.rate_limits.as_deref(),
                "gcore.rate_limits",
                RateLimitSpec {
                    name: "api".to_string(),
                    limit: DEFAULT_RATE_LIMIT,
                    period_seconds: 3600,
                },
            )?,
            ..GcoreState::default()
        };
        for (i, key) in scenario.api_keys.iter().enumerate() {
            if !state.api_keys.insert(key.clone()) {
                return Err(ScenarioError::at(
                    format!("gcore.api_keys[{i}]"),
                    format!("key {key:?} is listed twice"),
                ));
            }
        }
        for (i, project) in scenario.projects.iter().enumerate() {
            if scenario.projects[..i].iter().any(|p| p.id == project.id) {
                return Err(ScenarioError::at(
                    format!("gcore.projects[{i}].id"),
                    format!("duplicate project id {}", project.id),
                ));
            }
        }
        for (i, region) in scenario.regions.iter().enumerate() {
            if scenario.regions[..i].iter().any(|r| r.id == region.id) {
                return Err(ScenarioError::at(
                    format!("gcore.regions[{i}].id"),
                    format!("duplicate region id {}", region.id),
                ));
            }
        }
        for (i, spec) in scenario.resources.iter().enumerate() {
            let resource = state.load_resource(i, spec, seed)?;
            state.resources.push(resource);
        }
        Ok(state)
    }

    fn load_resource(
        &self,
        index: usize,
        spec: &GcoreResourceSpec,
        seed: u64,
    ) -> Result<GcoreResource, ScenarioError> {
        let at = |field: &str| format!("gcore.resources[{index}].{field}");
        let resource_type = spec
            .resource_type
            .ok_or_else(|| ScenarioError::at(at("type"), "required"))?;
        if resource_type == ResourceType::InferencePublicModels {
            return Err(ScenarioError::at(
                at("type"),
                "inference_public_models has no resource model in the usage report",
            ));
        }
        let project_id = spec
            .project_id
            .ok_or_else(|| ScenarioError::at(at("project_id"), "required"))?;
        if !self.projects.iter().any(|p| p.id == project_id) {
            return Err(ScenarioError::at(
                at("project_id"),
                format!("no project {project_id} in gcore.projects"),
            ));
        }
        let region_id = spec
            .region_id
            .ok_or_else(|| ScenarioError::at(at("region_id"), "required"))?;
        if !self.regions.iter().any(|r| r.id == region_id) {
            return Err(ScenarioError::at(
                at("region_id"),
                format!("no region {region_id} in gcore.regions"),
            ));
        }
        if let (Some(created), Some(deleted)) = (spec.created_at, spec.deleted_at)
            && deleted <= created
        {
            return Err(ScenarioError::at(
                at("deleted_at"),
                "must be after created_at",
            ));
        }
        let has = |a: Attribute| resource_type.has(a);
        // Attributes the type's model lacks are refused, not silently dropped.
        let given: [(Attribute, bool, &str); 16] = [
            (A::Uuid, spec.uuid.is_some(), "uuid"),
            (A::LastName, spec.last_name.is_some(), "last_name"),
            (A::Flavor, spec.flavor.is_some(), "flavor"),
            (A::Tags, spec.tags.is_some(), "tags"),
            (A::VolumeType, spec.volume_type.is_some(), "volume_type"),
            (
                A::AttachedToVm,
                spec.attached_to_vm.is_some(),
                "attached_to_vm",
            ),
            (
                A::SourceVolumeUuid,
                spec.source_volume_uuid.is_some(),
                "source_volume_uuid",
            ),
            (A::ScheduleId, spec.schedule_id.is_some(), "schedule_id"),
            (
                A::FileShareType,
                spec.file_share_type.is_some(),
                "file_share_type",
            ),
            (A::IpAddress, spec.ip_address.is_some(), "ip_address"),
            (A::NetworkId, spec.network_id.is_some(), "network_id"),
            (A::PortId, spec.port_id.is_some(), "port_id"),
            (A::SubnetId, spec.subnet_id.is_some(), "subnet_id"),
            (A::VmId, spec.vm_id.is_some(), "vm_id"),
            (
                A::InstanceName,
                spec.instance_name.is_some(),
                "instance_name",
            ),
            (
                A::InstanceType,
                spec.instance_type.is_some(),
                "instance_type",
            ),
        ];
        for (attribute, present, field) in given {
            if present && !has(attribute) {
                return Err(ScenarioError::at(
                    at(field),
                    format!("{} resources have no {field}", resource_type.name()),
                ));
            }
        }
        if spec.last_size.is_some() && resource_type.metering() != Metering::SizeTime {
            return Err(ScenarioError::at(
                at("last_size"),
                format!("{} resources are not billed by size", resource_type.name()),
            ));
        }
        if has(A::Flavor) && spec.flavor.is_none() {
            return Err(ScenarioError::at(
                at("flavor"),
                format!("required for {} resources", resource_type.name()),
            ));
        }
        let ids = Defaults {
            seed,
            index,
            resource_type,
        };
        let pick = |attribute: Attribute, given: &Option<String>, default: &dyn Fn() -> String| {
            has(attribute).then(|| given.clone().unwrap_or_else(default))
        };
        let size_bytes = spec
            .last_size
            .unwrap_or(resource_type.default_size_gib() * GIB);
        Ok(GcoreResource {
            index,
            resource_type,
            project_id,
            region_id,
            created_at: spec.created_at,
            deleted_at: spec.deleted_at,
            size_bytes,
            uuid: pick(A::Uuid, &spec.uuid, &|| ids.uuid("uuid")),
            last_name: pick(A::LastName, &spec.last_name, &|| {
                format!("{}-{}", resource_type.name().replace('_', "-"), index + 1)
            }),
            flavor: spec.flavor.clone(),
            tags: has(A::Tags).then(|| spec.tags.clone().unwrap_or_default()),
            last_size: has(A::LastSize).then_some(size_bytes),
            size_unit: has(A::SizeUnit).then(|| resource_type.size_unit()),
            volume_type: pick(A::VolumeType, &spec.volume_type, &|| "standard".to_string()),
            attached_to_vm: spec.attached_to_vm.clone(),
            source_volume_uuid: pick(A::SourceVolumeUuid, &spec.source_volume_uuid, &|| {
                ids.uuid("source_volume_uuid")
            }),
            schedule_id: pick(A::ScheduleId, &spec.schedule_id, &|| {
                ids.uuid("schedule_id")
            }),
            file_share_type: pick(A::FileShareType, &spec.file_share_type, &|| {
                "standard".to_string()
            }),
            ip_address: pick(A::IpAddress, &spec.ip_address, &|| ids.ip_address()),
            network_id: pick(A::NetworkId, &spec.network_id, &|| ids.uuid("network_id")),
            port_id: pick(A::PortId, &spec.port_id, &|| ids.uuid("port_id")),
            subnet_id: pick(A::SubnetId, &spec.subnet_id, &|| ids.uuid("subnet_id")),
            vm_id: pick(A::VmId, &spec.vm_id, &|| ids.uuid("vm_id")),
            instance_name: spec.instance_name.clone(),
            instance_type: has(A::InstanceType)
                .then(|| spec.instance_type.unwrap_or(InstanceType::Vm)),
        })
    }

    /// The API keys, sorted (for snapshots).
    pub(crate) fn api_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.api_keys.iter().cloned().collect();
        keys.sort();
        keys
    }

    /// Whether `api_key` (from `Authorization: APIKey <key>`) is one of the
    /// scenario's keys.
    pub fn authenticate(&self, api_key: &str) -> EngineResult<()> {
        if self.api_keys.contains(api_key) {
            return Ok(());
        }
        // Gcore echoes the start of the token, never all of it.
        let start: String = api_key.chars().take(5).collect();
        Err(EngineError::Unauthorized(format!(
            "Bad permanent token: {start}"
        )))
    }
}

/// Deterministic ids and addresses for attributes a scenario leaves out.
struct Defaults {
    seed: u64,
    index: usize,
    resource_type: ResourceType,
}

impl Defaults {
    fn draw(&self, what: &str, salt: u64) -> u64 {
        hash(&[
            self.seed,
            fnv1a("gcore"),
            fnv1a(self.resource_type.name()),
            self.index as u64,
            fnv1a(what),
            salt,
        ])
    }

    fn uuid(&self, what: &str) -> String {
        let high = self.draw(what, 1).to_be_bytes();
        let low = self.draw(what, 2).to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high);
        bytes[8..].copy_from_slice(&low);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    fn ip_address(&self) -> String {
        let h = self.draw("ip_address", 0);
        format!("92.38.{}.{}", (h >> 8) % 256, (h % 253) + 1)
    }
}

impl crate::core::world::Sections {
    /// gcore's section of the world.
    pub fn gcore(&self) -> &GcoreState {
        self.get::<GcoreState>()
    }

    pub fn gcore_mut(&mut self) -> &mut GcoreState {
        self.get_mut::<GcoreState>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(resources: serde_json::Value) -> GcoreScenario {
        serde_json::from_value(serde_json::json!({
            "api_keys": ["k"],
            "projects": [{"id": 1, "name": "default"}],
            "regions": [{"id": 76, "name": "Luxembourg-2"}],
            "resources": resources,
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_every_attribute_of_the_type_and_nothing_else() {
        let state = GcoreState::from_scenario(
            &scenario(serde_json::json!([
                {"type": "volume", "project_id": 1, "region_id": 76},
                {"type": "external_ip", "project_id": 1, "region_id": 76}
            ])),
            7,
        )
        .unwrap();
        let volume = &state.resources[0];
        assert!(volume.uuid.is_some() && volume.volume_type.as_deref() == Some("standard"));
        assert_eq!(volume.last_size, Some(50 * GIB));
        assert_eq!(volume.flavor, None);
        let ip = &state.resources[1];
        assert_eq!(ip.uuid, None);
        assert!(ip.ip_address.is_some() && ip.port_id.is_some() && ip.subnet_id.is_some());
        let again = GcoreState::from_scenario(
            &scenario(serde_json::json!([{"type": "volume", "project_id": 1, "region_id": 76}])),
            7,
        )
        .unwrap();
        assert_eq!(again.resources[0].uuid, volume.uuid);
    }

    #[test]
    fn scenario_errors_name_their_location() {
        let cases = [
            (
                serde_json::json!([{"project_id": 1, "region_id": 76}]),
                "gcore.resources[0].type",
            ),
            (
                serde_json::json!([{"type": "instance", "project_id": 1, "region_id": 76}]),
                "gcore.resources[0].flavor",
            ),
            (
                serde_json::json!([{"type": "volume", "project_id": 9, "region_id": 76}]),
                "gcore.resources[0].project_id",
            ),
            (
                serde_json::json!([{"type": "volume", "project_id": 1, "region_id": 76, "flavor": "x"}]),
                "gcore.resources[0].flavor",
            ),
        ];
        for (resources, location) in cases {
            let error = GcoreState::from_scenario(&scenario(resources), 1).unwrap_err();
            assert_eq!(error.location, location, "{error}");
        }
    }

    #[test]
    fn only_the_scenario_keys_authenticate() {
        let state = GcoreState::from_scenario(&scenario(serde_json::json!([])), 1).unwrap();
        assert!(state.authenticate("k").is_ok());
        let error = state.authenticate("nope-nope").unwrap_err();
        assert_eq!(error.message(), "Bad permanent token: nope-");
    }
}
