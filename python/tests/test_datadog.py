"""The official Datadog Python client against mockcloud, through the plugin's fixtures.

Every Usage Metering operation is called through `datadog-api-client`, whose
models reject wrong types and unknown enum values: a response that parses is
a response the real client accepts. (The same checks as tests/sdk/test_datadog.py,
written as a user of the pytest plugin would.)
"""

import re
from datetime import datetime, timedelta, timezone

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ForbiddenException, ServiceException
from datadog_api_client.v1.api.usage_metering_api import UsageMeteringApi as UsageV1
from datadog_api_client.v1.model.hourly_usage_attribution_usage_type import HourlyUsageAttributionUsageType
from datadog_api_client.v1.model.monthly_usage_attribution_supported_metrics import (
    MonthlyUsageAttributionSupportedMetrics,
)
from datadog_api_client.v1.model.monthly_usage_attribution_values import MonthlyUsageAttributionValues
from datadog_api_client.v2.api.usage_metering_api import UsageMeteringApi as UsageV2


def documented_product_families():
    """The families the client's get_hourly_usage documents (but `all`)."""
    doc = UsageV2.get_hourly_usage.__doc__
    param = doc[doc.index(":param filter_product_families:") : doc.index(":type filter_product_families:")]
    return [name for name in re.findall(r"``([a-z0-9_]+)``", param) if name != "all"]


def now():
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def month_start(months_back):
    first = now().replace(day=1, hour=0)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


@pytest.fixture
def api_client(datadog_configuration):
    with ApiClient(datadog_configuration) as client:
        yield client


@pytest.fixture
def v1(api_client):
    return UsageV1(api_client)


@pytest.fixture
def v2(api_client):
    return UsageV2(api_client)


def test_hourly_usage_for_every_product_family(v2):
    start = now() - timedelta(days=5)
    response = v2.get_hourly_usage(
        filter_timestamp_start=start,
        filter_timestamp_end=start + timedelta(hours=6),
        filter_product_families="all",
        filter_include_descendants=True,
    )
    assert len(response.data) > 0
    families = set()
    for record in response.data:
        assert str(record.type) == "usage_timeseries"
        families.add(record.attributes.product_family)
        for measurement in record.attributes.measurements:
            assert isinstance(measurement.value, int)
    assert "infra_hosts" in families


def test_hourly_usage_pages_with_next_record_id(v2):
    start = now() - timedelta(days=6)
    seen, cursor, pages = [], None, 0
    while True:
        kwargs = {"page_next_record_id": cursor} if cursor else {}
        response = v2.get_hourly_usage(
            filter_timestamp_start=start,
            filter_timestamp_end=start + timedelta(hours=12),
            filter_product_families="infra_hosts,logs",
            page_limit=5,
            **kwargs,
        )
        seen.extend(record.id for record in response.data)
        pages += 1
        cursor = getattr(response.meta.pagination, "next_record_id", None) if response.meta else None
        if not cursor:
            break
    assert pages > 1
    assert len(seen) == len(set(seen))


def test_hourly_usage_for_every_documented_product_family(v2):
    families = documented_product_families()
    assert "llm_observability" in families
    start = now() - timedelta(days=5)
    # One call names them all: the API takes a comma-separated list.
    response = v2.get_hourly_usage(
        filter_timestamp_start=start,
        filter_timestamp_end=start + timedelta(hours=1),
        filter_product_families=",".join(families),
    )
    answered = {record.attributes.product_family: record.attributes.measurements for record in response.data}
    assert sorted(answered) == sorted(families)
    for family, measurements in answered.items():
        assert len(measurements) > 0, family
        for measurement in measurements:
            assert isinstance(measurement.usage_type, str), family
            assert isinstance(measurement.value, int), family
            assert measurement.value >= 0, family


def test_the_client_knows_89_hourly_attribution_usage_types():
    assert len(HourlyUsageAttributionUsageType.allowed_values) == 89


@pytest.mark.parametrize("usage_type", sorted(HourlyUsageAttributionUsageType.allowed_values))
def test_hourly_usage_attribution_for_each_usage_type_of_the_client(v1, usage_type):
    start = now() - timedelta(days=5)
    response = v1.get_hourly_usage_attribution(
        start_hr=start,
        end_hr=start + timedelta(hours=1),
        usage_type=HourlyUsageAttributionUsageType(usage_type),
    )
    assert len(response.usage) > 0
    for body in response.usage:
        assert str(body.usage_type) == usage_type
        assert isinstance(body.total_usage_sum, float)
        assert body.total_usage_sum >= 0.0
        if usage_type.endswith("_percentage"):
            assert body.total_usage_sum <= 100.0


def test_the_client_knows_171_monthly_attribution_metrics():
    assert len(MonthlyUsageAttributionSupportedMetrics.allowed_values) == 171


# The client's `fields` is one enum value: one call per metric.
@pytest.mark.parametrize("metric", sorted(MonthlyUsageAttributionSupportedMetrics.allowed_values))
def test_monthly_usage_attribution_for_each_supported_metric_of_the_client(v1, metric):
    response = v1.get_monthly_usage_attribution(
        start_month=month_start(1),
        fields=MonthlyUsageAttributionSupportedMetrics(metric),
        include_descendants=False,
    )
    assert len(response.usage) > 0
    for body in response.usage:
        values = body.values.to_dict()
        if metric == "*":
            assert len(values) > 0
        else:
            assert list(values) == [metric]
            assert isinstance(values[metric], float)


def test_fields_star_returns_no_field_outside_the_client_model(v1):
    model = set(MonthlyUsageAttributionValues.attribute_map)
    assert set(MonthlyUsageAttributionValues.openapi_types) == model
    response = v1.get_monthly_usage_attribution(
        start_month=month_start(1),
        fields=MonthlyUsageAttributionSupportedMetrics("*"),
    )
    assert len(response.usage) > 0
    # Every supported metric the model carries, and nothing else.
    expected = (set(MonthlyUsageAttributionSupportedMetrics.allowed_values) - {"*"}) & model
    for body in response.usage:
        returned = set(body.values.to_dict())
        assert returned <= model, returned - model
        assert returned == expected
    for aggregate in response.metadata.aggregates.value:
        assert aggregate.field in model


def test_billable_summary(v1):
    response = v1.get_usage_billable_summary(month=month_start(1))
    assert len(response.usage) > 0


@pytest.mark.parametrize("view", ["summary", "sub-org"])
def test_historical_cost_in_both_views(v2, view):
    response = v2.get_historical_cost_by_org(start_month=month_start(4), end_month=month_start(2), view=view)
    assert len(response.data) > 0
    for row in response.data:
        assert str(row.type) == "cost_by_org"
        charges = sum(c.cost for c in row.attributes.charges)
        assert charges == pytest.approx(row.attributes.total_cost, abs=0.005)


def test_estimated_cost_for_this_month_and_by_date(v2):
    by_month = v2.get_estimated_cost_by_org(start_month=month_start(1))
    assert len(by_month.data) > 0
    by_date = v2.get_estimated_cost_by_org(start_date=month_start(0), view="sub-org")
    assert by_date.data is not None


def test_top_average_metrics_by_month_and_by_day(v1):
    by_month = v1.get_usage_top_avg_metrics(month=month_start(1), limit=10)
    assert 0 < len(by_month.usage) <= 10
    by_day = v1.get_usage_top_avg_metrics(day=now() - timedelta(days=5))
    assert by_day.usage is not None


def test_unknown_keys_are_forbidden(mockcloud_url):
    configuration = Configuration(host=mockcloud_url)
    configuration.api_key["apiKeyAuth"] = "wrong"
    configuration.api_key["appKeyAuth"] = "wrong"
    with ApiClient(configuration) as client:
        with pytest.raises(ForbiddenException):
            UsageV1(client).get_usage_billable_summary(month=month_start(1))


def test_a_datadog_fault_reaches_the_client_as_its_exception(mockcloud, v1):
    mockcloud.faults.add(vendor="datadog", effect={"error": {"status": 503}})
    with pytest.raises(ServiceException) as failed:
        v1.get_usage_billable_summary(month=month_start(1))
    assert failed.value.status == 503
