"""The official Gcore Python client against mockcloud's usage report.

`client.cloud.usage_reports.get` is called with every filter and sort option.
The SDK builds its response models leniently, so each answer is also
validated strictly against the SDK's own `UsageReport` model (pydantic): a
wrong field type or an unknown `type`/`billing_value_unit` literal fails
here. Run by `tests/sdk.rs` (cargo test), which starts mockcloud in-process
and passes its URL in MOCKCLOUD_URL.
"""

import os
import unittest
from datetime import datetime, timezone

import gcore
import pydantic
from gcore import Gcore
from gcore.types.cloud.usage_report import UsageReport

URL = os.environ["MOCKCLOUD_URL"]
API_KEY = os.environ.get("MOCKCLOUD_GCORE_API_KEY", "mock-gcore-key")

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

ORDER_BY = [
    f"{field}.{direction}"
    for field in ["billing_value", "first_seen", "last_name", "last_seen", "project", "region", "type"]
    for direction in ["asc", "desc"]
]

# One schema filter per type: a field its SDK model allows.
SCHEMA_FIELDS = {
    "egress_traffic": "instance_type",
    "external_ip": "ip_address",
}

STRICT = pydantic.TypeAdapter(UsageReport)


class GcoreUsageReport(unittest.TestCase):
    def setUp(self):
        # Configured the way the SDK documents: from the environment.
        os.environ["GCORE_BASE_URL"] = URL
        os.environ["GCORE_API_KEY"] = API_KEY
        self.client = Gcore(max_retries=0)

    def tearDown(self):
        self.client.close()

    def get(self, **kwargs):
        kwargs.setdefault("time_from", TIME_FROM)
        kwargs.setdefault("time_to", TIME_TO)
        kwargs.setdefault("limit", 1000)
        raw = self.client.cloud.usage_reports.with_raw_response.get(**kwargs)
        STRICT.validate_python(raw.http_response.json())
        report = raw.parse()
        self.assertIsInstance(report, UsageReport)
        return report

    def test_every_resource_and_total_type_parses(self):
        report = self.get()
        self.assertEqual(report.count, len(report.resources))
        self.assertEqual(sorted({r.type for r in report.resources}), RESOURCE_TYPES)
        # The SDK's `Total` union has no model for backups.
        self.assertEqual(
            sorted({t.type for t in report.totals}), [t for t in RESOURCE_TYPES if t != "backup"]
        )
        for resource in report.resources:
            # The discriminated union picked the model of the resource's type.
            self.assertEqual(type(resource).model_fields["type"].annotation.__args__, (resource.type,))
            self.assertLessEqual(resource.first_seen, resource.last_seen)
        for total in report.totals:
            self.assertEqual(type(total).model_fields["type"].annotation.__args__, (total.type,))

    def test_totals_sum_the_resources(self):
        report = self.get()
        by_type = {}
        for resource in report.resources:
            by_type[resource.type] = by_type.get(resource.type, 0) + resource.billing_value
        by_type.pop("backup")
        for kind, value in by_type.items():
            total = sum(t.billing_value for t in report.totals if t.type == kind)
            self.assertAlmostEqual(total, value, delta=1e-6 * max(1.0, value))

    def test_paging(self):
        everything = self.get()
        page = self.get(limit=5, offset=5)
        self.assertEqual(page.count, everything.count)
        self.assertEqual(
            [r.model_dump() for r in page.resources],
            [r.model_dump() for r in everything.resources[5:10]],
        )

    def test_projects_regions_and_types(self):
        report = self.get(projects=[17], regions=[76], types=["instance", "egress_traffic"])
        self.assertGreater(report.count, 0)
        for resource in report.resources:
            self.assertEqual((resource.project_id, resource.region_id), (17, 76))
            self.assertIn(resource.type, ("instance", "egress_traffic"))

    def test_each_type_filter(self):
        for kind in RESOURCE_TYPES + ["inference_public_models"]:
            with self.subTest(type=kind):
                report = self.get(types=[kind])
                self.assertTrue(all(r.type == kind for r in report.resources))

    def test_a_schema_filter_for_every_type(self):
        everything = self.get()
        for kind in RESOURCE_TYPES:
            field = SCHEMA_FIELDS.get(kind, "last_name")
            sample = next(r for r in everything.resources if r.type == kind)
            value = getattr(sample, field)
            with self.subTest(type=kind, field=field):
                report = self.get(
                    types=[kind],
                    schema_filter={"type": kind, "field": field, "values": [value]},
                )
                self.assertGreater(report.count, 0)
                self.assertTrue(all(getattr(r, field) == value for r in report.resources))

    def test_tags_with_and_and_or(self):
        for condition_type in ["AND", "OR"]:
            with self.subTest(condition_type=condition_type):
                report = self.get(
                    tags={
                        "condition_type": condition_type,
                        "conditions": [
                            {"key": "os_version", "value": "22.04", "strict": True},
                            {"key": "os_distro", "value": "ubu", "strict": False},
                        ],
                    }
                )
                self.assertGreater(report.count, 0)
                for resource in report.resources:
                    tags = {k: v for tag in resource.tags or [] for k, v in tag.items()}
                    self.assertTrue("os_version" in tags or "os_distro" in tags)

    def test_every_order_by_option(self):
        for order in ORDER_BY:
            with self.subTest(order_by=order):
                report = self.get(order_by=[order])
                self.assertGreater(report.count, 0)
        report = self.get(order_by=["billing_value.desc"])
        values = [r.billing_value for r in report.resources]
        self.assertEqual(values, sorted(values, reverse=True))

    def test_the_deprecated_sorting_objects(self):
        for field in ["billing_value", "first_seen", "last_name", "last_seen", "project", "region", "type"]:
            for direction in ["asc", "desc"]:
                with self.subTest(field=field, direction=direction):
                    self.get(sorting=[{field: direction}])
        report = self.get(sorting=[{"project": "desc"}])
        projects = [r.project_id for r in report.resources]
        self.assertEqual(projects, sorted(projects, reverse=True))

    def test_naive_datetimes_and_the_last_day(self):
        report = self.get(
            time_from=datetime(2026, 1, 10, 15, 0),
            time_to="2026-01-11T00:00:00",
            enable_last_day=True,
            types=["instance"],
        )
        for resource in report.resources:
            self.assertEqual(resource.first_seen.isoformat(), "2026-01-10T00:00:30+00:00")
            self.assertEqual(resource.last_seen.isoformat(), "2026-01-11T23:59:30+00:00")

    def test_errors_map_to_the_sdk_exceptions(self):
        with self.assertRaises(gcore.BadRequestError) as caught:
            self.get(limit=0)
        self.assertEqual(caught.exception.body["exception_class"], "ValidationError")
        with self.assertRaises(gcore.BadRequestError):
            self.get(time_to=TIME_FROM)
        with Gcore(api_key="wrong", base_url=URL, max_retries=0) as stranger:
            with self.assertRaises(gcore.AuthenticationError):
                stranger.cloud.usage_reports.get(time_from=TIME_FROM, time_to=TIME_TO)


if __name__ == "__main__":
    unittest.main()
