"""The official Datadog Python client against mockcloud.

Every Usage Metering operation is called through `datadog-api-client`, whose
models reject wrong types and unknown enum values: a response that parses is
a response the real client accepts. Run by `tests/sdk.rs` (cargo test), which
starts mockcloud in-process and passes its URL in MOCKCLOUD_URL.
"""

import os
import re
import unittest
from datetime import datetime, timedelta, timezone

from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ForbiddenException
from datadog_api_client.v1.api.usage_metering_api import UsageMeteringApi as UsageV1
from datadog_api_client.v1.model.hourly_usage_attribution_usage_type import (
    HourlyUsageAttributionUsageType,
)
from datadog_api_client.v1.model.monthly_usage_attribution_supported_metrics import (
    MonthlyUsageAttributionSupportedMetrics,
)
from datadog_api_client.v1.model.monthly_usage_attribution_values import (
    MonthlyUsageAttributionValues,
)
from datadog_api_client.v2.api.usage_metering_api import UsageMeteringApi as UsageV2

URL = os.environ["MOCKCLOUD_URL"]


def documented_product_families():
    """The families the client's get_hourly_usage documents (but `all`)."""
    doc = UsageV2.get_hourly_usage.__doc__
    param = doc[doc.index(":param filter_product_families:") : doc.index(":type filter_product_families:")]
    return [name for name in re.findall(r"``([a-z0-9_]+)``", param) if name != "all"]


API_KEY = os.environ.get("MOCKCLOUD_DD_API_KEY", "mock-dd-api-key")
APP_KEY = os.environ.get("MOCKCLOUD_DD_APP_KEY", "mock-dd-app-key")


def configuration(api_key=API_KEY, app_key=APP_KEY):
    config = Configuration(host=URL)
    config.api_key["apiKeyAuth"] = api_key
    config.api_key["appKeyAuth"] = app_key
    # No retries: a 429 or 5xx must show up as a failure here.
    config.enable_retry = False
    return config


def now():
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def month_start(months_back):
    first = now().replace(day=1, hour=0)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


class DatadogUsageMetering(unittest.TestCase):
    def setUp(self):
        self.client = ApiClient(configuration())
        self.v1 = UsageV1(self.client)
        self.v2 = UsageV2(self.client)

    def tearDown(self):
        self.client.close()

    def test_hourly_usage_for_every_product_family(self):
        start = now() - timedelta(days=5)
        response = self.v2.get_hourly_usage(
            filter_timestamp_start=start,
            filter_timestamp_end=start + timedelta(hours=6),
            filter_product_families="all",
            filter_include_descendants=True,
        )
        self.assertGreater(len(response.data), 0)
        families = set()
        for record in response.data:
            self.assertEqual(str(record.type), "usage_timeseries")
            families.add(record.attributes.product_family)
            for measurement in record.attributes.measurements:
                self.assertIsInstance(measurement.value, int)
        self.assertIn("infra_hosts", families)

    def test_hourly_usage_pages_with_next_record_id(self):
        start = now() - timedelta(days=6)
        seen, cursor, pages = [], None, 0
        while True:
            kwargs = {"page_next_record_id": cursor} if cursor else {}
            response = self.v2.get_hourly_usage(
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
        self.assertGreater(pages, 1)
        self.assertEqual(len(seen), len(set(seen)))

    def test_hourly_usage_for_every_documented_product_family(self):
        families = documented_product_families()
        self.assertIn("llm_observability", families)
        start = now() - timedelta(days=5)
        # One call names them all: the API takes a comma-separated list.
        response = self.v2.get_hourly_usage(
            filter_timestamp_start=start,
            filter_timestamp_end=start + timedelta(hours=1),
            filter_product_families=",".join(families),
        )
        answered = {}
        for record in response.data:
            answered[record.attributes.product_family] = record.attributes.measurements
        self.assertEqual(sorted(answered), sorted(families))
        for family, measurements in answered.items():
            with self.subTest(family=family):
                self.assertGreater(len(measurements), 0)
                for measurement in measurements:
                    self.assertIsInstance(measurement.usage_type, str)
                    self.assertIsInstance(measurement.value, int)
                    self.assertGreaterEqual(measurement.value, 0)

    def test_hourly_usage_attribution_for_every_usage_type_of_the_client(self):
        start = now() - timedelta(days=5)
        usage_types = sorted(HourlyUsageAttributionUsageType.allowed_values)
        self.assertEqual(len(usage_types), 89)
        for usage_type in usage_types:
            with self.subTest(usage_type=usage_type):
                response = self.v1.get_hourly_usage_attribution(
                    start_hr=start,
                    end_hr=start + timedelta(hours=1),
                    usage_type=HourlyUsageAttributionUsageType(usage_type),
                )
                self.assertGreater(len(response.usage), 0)
                for body in response.usage:
                    self.assertEqual(str(body.usage_type), usage_type)
                    self.assertIsInstance(body.total_usage_sum, float)
                    self.assertGreaterEqual(body.total_usage_sum, 0.0)
                    if usage_type.endswith("_percentage"):
                        self.assertLessEqual(body.total_usage_sum, 100.0)

    def test_monthly_usage_attribution_for_every_supported_metric_of_the_client(self):
        metrics = sorted(MonthlyUsageAttributionSupportedMetrics.allowed_values)
        self.assertEqual(len(metrics), 171)
        # The client's `fields` is one enum value: one call per metric.
        for metric in metrics:
            with self.subTest(metric=metric):
                response = self.v1.get_monthly_usage_attribution(
                    start_month=month_start(1),
                    fields=MonthlyUsageAttributionSupportedMetrics(metric),
                    include_descendants=False,
                )
                self.assertGreater(len(response.usage), 0)
                for body in response.usage:
                    values = body.values.to_dict()
                    if metric == "*":
                        self.assertGreater(len(values), 0)
                    else:
                        self.assertEqual(list(values), [metric])
                        self.assertIsInstance(values[metric], float)

    def test_fields_star_returns_no_field_outside_the_client_model(self):
        model = set(MonthlyUsageAttributionValues.attribute_map)
        self.assertEqual(set(MonthlyUsageAttributionValues.openapi_types), model)
        response = self.v1.get_monthly_usage_attribution(
            start_month=month_start(1),
            fields=MonthlyUsageAttributionSupportedMetrics("*"),
        )
        self.assertGreater(len(response.usage), 0)
        for body in response.usage:
            returned = set(body.values.to_dict())
            self.assertLessEqual(returned, model, returned - model)
            # Every supported metric the model carries, and nothing else.
            expected = (set(MonthlyUsageAttributionSupportedMetrics.allowed_values) - {"*"}) & model
            self.assertEqual(returned, expected)
        for aggregate in response.metadata.aggregates.value:
            self.assertIn(aggregate.field, model)

    def test_billable_summary(self):
        response = self.v1.get_usage_billable_summary(month=month_start(1))
        self.assertGreater(len(response.usage), 0)

    def test_historical_cost_in_both_views(self):
        for view in ["summary", "sub-org"]:
            with self.subTest(view=view):
                response = self.v2.get_historical_cost_by_org(
                    start_month=month_start(4), end_month=month_start(2), view=view
                )
                self.assertGreater(len(response.data), 0)
                for row in response.data:
                    self.assertEqual(str(row.type), "cost_by_org")
                    charges = sum(c.cost for c in row.attributes.charges)
                    self.assertAlmostEqual(charges, row.attributes.total_cost, places=2)

    def test_estimated_cost_for_this_month_and_by_date(self):
        by_month = self.v2.get_estimated_cost_by_org(start_month=month_start(1))
        self.assertGreater(len(by_month.data), 0)
        by_date = self.v2.get_estimated_cost_by_org(start_date=month_start(0), view="sub-org")
        self.assertIsNotNone(by_date.data)

    def test_top_average_metrics_by_month_and_by_day(self):
        by_month = self.v1.get_usage_top_avg_metrics(month=month_start(1), limit=10)
        self.assertLessEqual(len(by_month.usage), 10)
        self.assertGreater(len(by_month.usage), 0)
        by_day = self.v1.get_usage_top_avg_metrics(day=now() - timedelta(days=5))
        self.assertIsNotNone(by_day.usage)

    def test_unknown_keys_are_forbidden(self):
        with ApiClient(configuration("wrong", "wrong")) as client:
            with self.assertRaises(ForbiddenException):
                UsageV1(client).get_usage_billable_summary(month=month_start(1))


if __name__ == "__main__":
    unittest.main()
