"""The official Gcore Python client against mockcloud's usage report, through the plugin's fixtures.

`client.cloud.usage_reports.get` is called with every filter and sort option.
The SDK builds its response models leniently, so each answer is also
validated strictly against the SDK's own `UsageReport` model (pydantic): a
wrong field type or an unknown `type`/`billing_value_unit` literal fails
here. (The same checks as tests/sdk/test_gcore.py, written as a user of the
pytest plugin would.)
"""

from datetime import datetime, timezone

import gcore
import pydantic
import pytest
from gcore import Gcore
from gcore.types.cloud.usage_report import UsageReport

# January 2026: the default inventory has every resource type in it.
TIME_FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)
TIME_TO = datetime(2026, 2, 1, tzinfo=timezone.utc)

RESOURCE_TYPES = [
    "ai_cluster",
    "ai_virtual_cluster",
    "backup",
    "baremetal",
    "basic_vm",
    "containers",
    "dbaas_postgresql_connection_pooler",
    "dbaas_postgresql_cpu",
    "dbaas_postgresql_memory",
    "dbaas_postgresql_public_network",
    "dbaas_postgresql_volume",
    "egress_traffic",
    "external_ip",
    "file_share",
    "floatingip",
    "functions",
    "functions_calls",
    "functions_traffic",
    "image",
    "inference",
    "instance",
    "load_balancer",
    "log_index",
    "snapshot",
    "volume",
]

SORT_FIELDS = ["billing_value", "first_seen", "last_name", "last_seen", "project", "region", "type"]
ORDER_BY = [f"{field}.{direction}" for field in SORT_FIELDS for direction in ["asc", "desc"]]

# One schema filter per type: a field its SDK model allows.
SCHEMA_FIELDS = {
    "egress_traffic": "instance_type",
    "external_ip": "ip_address",
}

STRICT = pydantic.TypeAdapter(UsageReport)


@pytest.fixture
def get(gcore_client):
    """The usage report for January 2026, checked strictly against the SDK's model."""

    def get(**kwargs):
        kwargs.setdefault("time_from", TIME_FROM)
        kwargs.setdefault("time_to", TIME_TO)
        kwargs.setdefault("limit", 1000)
        raw = gcore_client.cloud.usage_reports.with_raw_response.get(**kwargs)
        STRICT.validate_python(raw.http_response.json())
        report = raw.parse()
        assert isinstance(report, UsageReport)
        return report

    return get


def test_every_resource_and_total_type_parses(get):
    report = get()
    assert report.count == len(report.resources)
    assert sorted({r.type for r in report.resources}) == RESOURCE_TYPES
    # The SDK's `Total` union has no model for backups.
    assert sorted({t.type for t in report.totals}) == [t for t in RESOURCE_TYPES if t != "backup"]
    for resource in report.resources:
        # The discriminated union picked the model of the resource's type.
        assert type(resource).model_fields["type"].annotation.__args__ == (resource.type,)
        assert resource.first_seen <= resource.last_seen
    for total in report.totals:
        assert type(total).model_fields["type"].annotation.__args__ == (total.type,)


def test_totals_sum_the_resources(get):
    report = get()
    by_type = {}
    for resource in report.resources:
        by_type[resource.type] = by_type.get(resource.type, 0) + resource.billing_value
    by_type.pop("backup")
    for kind, value in by_type.items():
        total = sum(t.billing_value for t in report.totals if t.type == kind)
        assert total == pytest.approx(value, abs=1e-6 * max(1.0, value)), kind


def test_paging(get):
    everything = get()
    page = get(limit=5, offset=5)
    assert page.count == everything.count
    assert [r.model_dump() for r in page.resources] == [r.model_dump() for r in everything.resources[5:10]]


def test_projects_regions_and_types(get):
    report = get(projects=[17], regions=[76], types=["instance", "egress_traffic"])
    assert report.count > 0
    for resource in report.resources:
        assert (resource.project_id, resource.region_id) == (17, 76)
        assert resource.type in ("instance", "egress_traffic")


@pytest.mark.parametrize("kind", RESOURCE_TYPES + ["inference_public_models"])
def test_each_type_filter(get, kind):
    report = get(types=[kind])
    assert all(r.type == kind for r in report.resources)


@pytest.mark.parametrize("kind", RESOURCE_TYPES)
def test_a_schema_filter_for_each_type(get, kind):
    field = SCHEMA_FIELDS.get(kind, "last_name")
    sample = next(r for r in get(types=[kind]).resources if r.type == kind)
    value = getattr(sample, field)
    report = get(types=[kind], schema_filter={"type": kind, "field": field, "values": [value]})
    assert report.count > 0
    assert all(getattr(r, field) == value for r in report.resources)


@pytest.mark.parametrize("condition_type", ["AND", "OR"])
def test_tags_with_and_and_or(get, condition_type):
    report = get(
        tags={
            "condition_type": condition_type,
            "conditions": [
                {"key": "os_version", "value": "22.04", "strict": True},
                {"key": "os_distro", "value": "ubu", "strict": False},
            ],
        }
    )
    assert report.count > 0
    for resource in report.resources:
        tags = {k: v for tag in resource.tags or [] for k, v in tag.items()}
        assert "os_version" in tags or "os_distro" in tags


@pytest.mark.parametrize("order", ORDER_BY)
def test_each_order_by_option(get, order):
    assert get(order_by=[order]).count > 0


def test_order_by_billing_value_descending(get):
    values = [r.billing_value for r in get(order_by=["billing_value.desc"]).resources]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("field", SORT_FIELDS)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_deprecated_sorting_objects(get, field, direction):
    get(sorting=[{field: direction}])


def test_the_deprecated_sorting_by_project_descending(get):
    projects = [r.project_id for r in get(sorting=[{"project": "desc"}]).resources]
    assert projects == sorted(projects, reverse=True)


def test_naive_datetimes_and_the_last_day(get):
    report = get(
        time_from=datetime(2026, 1, 10, 15, 0),
        time_to="2026-01-11T00:00:00",
        enable_last_day=True,
        types=["instance"],
    )
    for resource in report.resources:
        assert resource.first_seen.isoformat() == "2026-01-10T00:00:30+00:00"
        assert resource.last_seen.isoformat() == "2026-01-11T23:59:30+00:00"


def test_errors_map_to_the_sdk_exceptions(get, mockcloud_url):
    with pytest.raises(gcore.BadRequestError) as caught:
        get(limit=0)
    assert caught.value.body["exception_class"] == "ValidationError"
    with pytest.raises(gcore.BadRequestError):
        get(time_to=TIME_FROM)
    with Gcore(api_key="wrong", base_url=mockcloud_url, max_retries=0) as stranger:
        with pytest.raises(gcore.AuthenticationError):
            stranger.cloud.usage_reports.get(time_from=TIME_FROM, time_to=TIME_TO)


def test_the_sdk_configured_from_its_environment(mockcloud, monkeypatch):
    # The way the SDK documents it: GCORE_BASE_URL and GCORE_API_KEY.
    monkeypatch.setenv("GCORE_BASE_URL", mockcloud.url)
    monkeypatch.setenv("GCORE_API_KEY", mockcloud.credentials.gcore_api_key)
    with Gcore(max_retries=0) as client:
        assert client.cloud.usage_reports.get(time_from=TIME_FROM, time_to=TIME_TO).count > 0
