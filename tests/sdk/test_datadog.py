"""The official Datadog Python client against mockcloud.

Every Usage Metering operation is called through `datadog-api-client`, whose
models reject wrong types and unknown enum values: a response that parses is
a response the real client accepts. Run by `tests/sdk.rs` (cargo test), which
starts mockcloud in-process and passes its URL in MOCKCLOUD_URL.
"""

import os
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
from datadog_api_client.v2.api.usage_metering_api import UsageMeteringApi as UsageV2

URL = os.environ["MOCKCLOUD_URL"]
DOCUMENTED_ATTRIBUTION_USAGE_TYPES = """
    api_usage apm_fargate_usage apm_host_usage appsec_fargate_usage appsec_usage
    browser_usage container_usage cspm_containers_usage cspm_hosts_usage
    custom_timeseries_usage cws_containers_usage cws_hosts_usage dbm_hosts_usage
    dbm_queries_usage estimated_indexed_logs_usage estimated_ingested_logs_usage
    estimated_indexed_spans_usage estimated_ingested_spans_usage fargate_usage
    functions_usage indexed_logs_usage infra_host_usage invocations_usage
    npm_host_usage profiled_container_usage profiled_host_usage snmp_usage
""".split()
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

    def test_hourly_usage_attribution_for_every_documented_usage_type(self):
        start = now() - timedelta(days=5)
        # The usage types the vendor's documentation lists (newer clients
        # know more; the emulation follows the documentation).
        for usage_type in DOCUMENTED_ATTRIBUTION_USAGE_TYPES:
            with self.subTest(usage_type=usage_type):
                response = self.v1.get_hourly_usage_attribution(
                    start_hr=start,
                    end_hr=start + timedelta(hours=2),
                    usage_type=HourlyUsageAttributionUsageType(usage_type),
                )
                self.assertIsNotNone(response.usage)

    def test_monthly_usage_attribution_with_all_fields(self):
        response = self.v1.get_monthly_usage_attribution(
            start_month=month_start(2),
            fields=MonthlyUsageAttributionSupportedMetrics("*"),
        )
        self.assertGreater(len(response.usage), 0)
        self.assertIsNotNone(response.usage[0].values)

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
