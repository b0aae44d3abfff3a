// Datadog's official TypeScript client (@datadog/datadog-api-client, pinned in
// package.json) against mockcloud.
//
// Every Usage Metering operation mockcloud serves is called through the
// client's UsageMeteringApi (v1 and v2), every cursor is walked to its end,
// and each deserialised result is walked whole. The client does not throw on
// an unknown enum value or a oneOf it cannot match: it leaves an
// `UnparsedObject` in its place and sets `_unparsed = true` on every model
// above it. None may appear. A field the client's model lacks lands in that
// model's `additionalProperties`; those are checked too.
//
// Run by tests/sdk.rs (cargo test), which starts mockcloud in-process and
// passes its URL in MOCKCLOUD_URL. By hand, against a running mockcloud
// (`mockcloud serve`; the cursor walks then stay on one page, see sdk.rs):
//   npm ci --prefix tests/sdk/ts
//   cd tests/sdk/ts && MOCKCLOUD_URL=http://127.0.0.1:8080 node --test datadog.test.mjs

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import datadog from "@datadog/datadog-api-client";
// What the client could not deserialise is left as an instance of this class,
// which the package's index does not export.
import clientUtil from "@datadog/datadog-api-client/dist/packages/datadog-api-client-common/util.js";

const { client, v1, v2 } = datadog;
const { UnparsedObject } = clientUtil;
assert.equal(typeof UnparsedObject, "function", "the client's UnparsedObject class");

const BASE_URL = process.env.MOCKCLOUD_URL;
assert.ok(BASE_URL, "MOCKCLOUD_URL must point at a running mockcloud");
// The default scenario's parent org (scenarios/default.json).
const API_KEY = process.env.MOCKCLOUD_DD_API_KEY ?? "mock-dd-api-key";
const APP_KEY = process.env.MOCKCLOUD_DD_APP_KEY ?? "mock-dd-app-key";
// tests/sdk.rs widens the default scenario's attribution tags so that both
// attribution walks run past one 5000-record page; by hand, set it to 0.
const EXPECT_SEVERAL_PAGES = (process.env.MOCKCLOUD_SDK_EXPECT_PAGES ?? "1") !== "0";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** Every HTTP exchange the client made: what it asked and what it got. */
const exchanges = [];

/**
 * A client configuration aimed at mockcloud: `baseServer` takes precedence
 * over every predefined server (api.datadoghq.com and the per-operation
 * ones). No retries: a 429 or a 5xx must surface here. The client's own
 * transport is kept; its `send` is wrapped only to record status and headers.
 */
function configuration(apiKey = API_KEY, appKey = APP_KEY) {
  const config = client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(BASE_URL, {}),
    authMethods: { apiKeyAuth: apiKey, appKeyAuth: appKey },
    enableRetry: false,
  });
  const http = config.httpApi;
  const send = http.send.bind(http);
  http.send = async (request) => {
    const response = await send(request);
    exchanges.push({
      method: request.getHttpMethod(),
      url: request.getUrl(),
      status: response.httpStatusCode,
      headers: response.headers,
    });
    return response;
  };
  return config;
}

const config = configuration();
const usageV1 = new v1.UsageMeteringApi(config);
const usageV2 = new v2.UsageMeteringApi(config);

function hourNow() {
  const now = new Date();
  now.setUTCMinutes(0, 0, 0);
  return now;
}

/** The first of the month, `monthsBack` months before this one (UTC). */
function monthStart(monthsBack) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, 1));
}

function isObject(value) {
  return value !== null && typeof value === "object" && !(value instanceof Date);
}

/**
 * What the client could not parse in a deserialised result: every
 * `UnparsedObject` (an unknown enum value, an unmatched oneOf) and every model
 * flagged `_unparsed`, each with its path.
 */
function unparsed(value, path = "$", found = []) {
  if (value instanceof UnparsedObject) {
    found.push(`${path}: UnparsedObject ${JSON.stringify(value._data)}`);
    return found;
  }
  if (!isObject(value)) {
    return found;
  }
  if (value._unparsed) {
    found.push(`${path}: _unparsed ${value.constructor.name}`);
  }
  for (const [key, child] of Object.entries(value)) {
    if (key !== "_unparsed") {
      unparsed(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, found);
    }
  }
  return found;
}

/**
 * The fields mockcloud sent that the client's models have no attribute for
 * (the deserialiser keeps them in `additionalProperties`), as
 * `Model.field`, each once.
 */
function unknownFields(value, found = new Set()) {
  if (!isObject(value) || value instanceof UnparsedObject) {
    return found;
  }
  const model = value.constructor;
  const isModel = typeof model.getAttributeTypeMap === "function";
  for (const [key, child] of Object.entries(value)) {
    if (isModel && key === "additionalProperties" && isObject(child)) {
      for (const field of Object.keys(child)) {
        found.add(`${model.name}.${field}`);
      }
    } else {
      unknownFields(child, found);
    }
  }
  return found;
}

/** No UnparsedObject, no `_unparsed` flag anywhere in the result. */
function assertFullyParsed(result, what) {
  const problems = unparsed(result);
  assert.deepEqual(problems, [], `${what}: the client could not parse ${problems.length} value(s)`);
}

/** Every field mockcloud sent is one the client's models know. */
function assertOnlyKnownFields(result, what) {
  assert.deepEqual([...unknownFields(result)].sort(), [], `${what}: fields the client's models lack`);
}

function assertParsed(result, what) {
  assertFullyParsed(result, what);
  assertOnlyKnownFields(result, what);
}

/**
 * Runs `call`; every HTTP exchange it made went to mockcloud and was a 200
 * JSON answer with Datadog's rate-limit headers.
 */
async function over200s(call) {
  const first = exchanges.length;
  const result = await call();
  const made = exchanges.slice(first);
  assert.ok(made.length > 0, "the client made a request");
  for (const { method, url, status, headers } of made) {
    assert.ok(url.startsWith(`${BASE_URL}/api/`), `the request went to mockcloud: ${url}`);
    assert.equal(status, 200, `${method} ${url}`);
    assert.match(headers["content-type"] ?? "", /^application\/json/, url);
    for (const header of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
      assert.ok(header in headers, `${header} on ${url}`);
    }
  }
  return { result, made };
}

/**
 * Calls `page(cursor)` from no cursor until `next(response)` is empty, each
 * page through `check`; returns every page.
 */
async function walk(what, page, next, check = assertParsed, maxPages = 1000) {
  const pages = [];
  let cursor;
  do {
    const response = await page(cursor);
    check(response, `${what}, page ${pages.length + 1}`);
    pages.push(response);
    const following = next(response);
    assert.notEqual(following, cursor, `${what}: the cursor moves`);
    cursor = following;
    assert.ok(pages.length <= maxPages, `${what}: more than ${maxPages} pages`);
  } while (cursor);
  return pages;
}

function assertSeveralPages(pages, what) {
  if (EXPECT_SEVERAL_PAGES) {
    assert.ok(pages.length > 1, `${what}: several pages (got ${pages.length})`);
  }
}

/** The hourly attribution usage types mockcloud's OpenAPI document lists. */
async function documentedUsageTypes() {
  const response = await fetch(`${BASE_URL}/__admin/openapi/datadog.json`);
  assert.equal(response.status, 200);
  const document = await response.json();
  const parameter = document.paths["/api/v1/usage/hourly-attribution"].get.parameters.find(
    (p) => p.name === "usage_type",
  );
  assert.ok(parameter?.schema?.enum?.length > 0, "usage_type enum in mockcloud's OpenAPI document");
  return parameter.schema.enum;
}

/** Whether the client accepts `value` as a request enum value (it throws before sending otherwise). */
function clientKnows(enumType, value) {
  try {
    v1.ObjectSerializer.serialize(value, enumType, "");
    return true;
  } catch (error) {
    if (error instanceof TypeError && /unknown enum value/.test(error.message)) {
      return false;
    }
    throw error;
  }
}

describe("the checks see what the client could not parse", () => {
  test("an unknown enum value and an unknown field", () => {
    const result = v1.ObjectSerializer.deserialize(
      { usage: [{ usage_type: "no_such_usage", hour: "2026-01-01T00:00:00+00:00", no_such_field: 1 }] },
      "HourlyUsageAttributionResponse",
    );
    assert.deepEqual(unparsed(result), [
      "$: _unparsed HourlyUsageAttributionResponse",
      "$.usage[0]: _unparsed HourlyUsageAttributionBody",
      '$.usage[0].usageType: UnparsedObject "no_such_usage"',
    ]);
    assert.deepEqual([...unknownFields(result)], ["HourlyUsageAttributionBody.no_such_field"]);
  });
});

// A stuck answer fails the run instead of hanging cargo test.
describe("Datadog Usage Metering through @datadog/datadog-api-client", { timeout: 300_000 }, () => {
  test("v1 getHourlyUsageAttribution walks next_record_id over every tag group", async () => {
    const startHr = new Date(hourNow().getTime() - 5 * DAY);
    const endHr = new Date(startHr.getTime() + DAY);
    const { result: pages, made } = await over200s(() =>
      walk(
        "hourly-attribution",
        (nextRecordId) =>
          usageV1.getHourlyUsageAttribution({
            startHr,
            endHr,
            usageType: "infra_host_usage",
            tagBreakdownKeys: "team,env,service",
            nextRecordId,
          }),
        (response) => response.metadata?.pagination?.nextRecordId,
      ),
    );
    assertSeveralPages(pages, "hourly-attribution");
    assert.equal(made.length, pages.length);
    const seen = new Set();
    for (const record of pages.flatMap((page) => page.usage)) {
      assert.equal(record.usageType, "infra_host_usage");
      assert.ok(record.hour >= startHr && record.hour < endHr, `hour ${record.hour.toISOString()} in range`);
      assert.equal(typeof record.totalUsageSum, "number");
      assert.ok(record.tags && record.tags.team.length === 1, "tags broken down by team");
      const key = JSON.stringify([record.hour, record.publicId, record.tags]);
      assert.ok(!seen.has(key), `each record once: ${key}`);
      seen.add(key);
    }
    assert.ok(seen.size > 0, "hourly attribution has data");
  });

  test("v1 getHourlyUsageAttribution for every usage type mockcloud lists that the client knows", async () => {
    const startHr = new Date(hourNow().getTime() - 5 * DAY);
    const endHr = new Date(startHr.getTime() + 2 * HOUR);
    const known = (await documentedUsageTypes()).filter((type) =>
      clientKnows("HourlyUsageAttributionUsageType", type),
    );
    assert.ok(known.length > 0);
    for (const usageType of known) {
      const { result: pages } = await over200s(() =>
        walk(
          `hourly-attribution usage_type=${usageType}`,
          (nextRecordId) => usageV1.getHourlyUsageAttribution({ startHr, endHr, usageType, nextRecordId }),
          (response) => response.metadata?.pagination?.nextRecordId,
        ),
      );
      const records = pages.flatMap((page) => page.usage);
      assert.ok(records.length > 0, `${usageType}: records`);
      for (const record of records) {
        assert.equal(record.usageType, usageType);
      }
    }
  });

  test(
    "every hourly attribution usage type mockcloud lists is one the client can send",
    async () => {
      const unknown = (await documentedUsageTypes()).filter(
        (type) => !clientKnows("HourlyUsageAttributionUsageType", type),
      );
      assert.deepEqual(unknown, [], "usage types the client's HourlyUsageAttributionUsageType lacks");
    },
  );

  test("v1 getMonthlyUsageAttribution walks next_record_id over every tag group", async () => {
    const startMonth = monthStart(14);
    const endMonth = monthStart(1);
    const { result: pages } = await over200s(() =>
      walk(
        "monthly-attribution",
        (nextRecordId) =>
          usageV1.getMonthlyUsageAttribution({
            startMonth,
            endMonth,
            fields: "infra_host_usage",
            tagBreakdownKeys: "team,env,service",
            nextRecordId,
          }),
        (response) => response.metadata?.pagination?.nextRecordId,
      ),
    );
    assertSeveralPages(pages, "monthly-attribution");
    const records = pages.flatMap((page) => page.usage);
    assert.ok(records.length > 0, "monthly attribution has data");
    const seen = new Set();
    for (const record of records) {
      assert.ok(record.month >= startMonth && record.month <= endMonth, `month ${record.month.toISOString()}`);
      assert.equal(typeof record.values.infraHostUsage, "number");
      const key = JSON.stringify([record.month, record.publicId, record.tags]);
      assert.ok(!seen.has(key), `each record once: ${key}`);
      seen.add(key);
    }
  });

  test("v1 getMonthlyUsageAttribution with fields=* parses in full", async () => {
    const { result: pages } = await over200s(() =>
      walk(
        "monthly-attribution fields=*",
        (nextRecordId) =>
          usageV1.getMonthlyUsageAttribution({ startMonth: monthStart(3), fields: "*", nextRecordId }),
        (response) => response.metadata?.pagination?.nextRecordId,
        // Fields the client lacks: the test below.
        assertFullyParsed,
      ),
    );
    const records = pages.flatMap((page) => page.usage);
    assert.ok(records.length > 0, "monthly attribution has data");
    for (const record of records) {
      assert.equal(typeof record.values.infraHostUsage, "number");
      assert.equal(typeof record.values.apmHostUsage, "number");
    }
    assert.ok(pages[0].metadata.aggregates.length > 0, "metadata.aggregates");
  });

  test(
    "v1 getMonthlyUsageAttribution with fields=* sends only fields the client knows",
    async () => {
      const { result } = await over200s(() =>
        usageV1.getMonthlyUsageAttribution({ startMonth: monthStart(2), fields: "*" }),
      );
      assertOnlyKnownFields(result, "monthly-attribution fields=*");
    },
  );

  test("v2 getHistoricalCostByOrg in both views", async () => {
    for (const view of ["summary", "sub-org"]) {
      const { result } = await over200s(() =>
        usageV2.getHistoricalCostByOrg({ startMonth: monthStart(4), endMonth: monthStart(2), view }),
      );
      assertParsed(result, `historical_cost view=${view}`);
      assert.ok(result.data.length > 0, `historical_cost view=${view} has data`);
      for (const row of result.data) {
        assert.equal(row.type, "cost_by_org");
        assert.ok(row.attributes.charges.length > 0);
        const charges = row.attributes.charges.reduce((sum, charge) => sum + charge.cost, 0);
        assert.ok(Math.abs(charges - row.attributes.totalCost) < 0.01, `charges sum to total_cost (${view})`);
      }
    }
  });

  test("v2 getEstimatedCostByOrg by month and by date", async () => {
    const { result: byMonth } = await over200s(() => usageV2.getEstimatedCostByOrg({ startMonth: monthStart(1) }));
    assertParsed(byMonth, "estimated_cost start_month");
    assert.ok(byMonth.data.length > 0, "estimated_cost by month has data");
    for (const row of byMonth.data) {
      assert.equal(row.type, "cost_by_org");
      assert.equal(typeof row.attributes.totalCost, "number");
    }
    const { result: byDate } = await over200s(() =>
      usageV2.getEstimatedCostByOrg({ startDate: monthStart(1), view: "sub-org" }),
    );
    assertParsed(byDate, "estimated_cost start_date view=sub-org");
    assert.ok(byDate.data.length > 0, "estimated_cost by date has data");
  });

  test("v1 getUsageTopAvgMetrics walks next_record_id by month, and answers by day", async () => {
    const month = monthStart(1);
    const { result: pages } = await over200s(() =>
      walk(
        "top_avg_metrics",
        (nextRecordId) => usageV1.getUsageTopAvgMetrics({ month, limit: 100, nextRecordId }),
        (response) => response.metadata?.pagination?.nextRecordId,
      ),
    );
    assert.ok(pages.length > 1, `several pages (got ${pages.length})`);
    const metrics = pages.flatMap((page) => page.usage);
    assert.equal(metrics.length, pages[0].metadata.pagination.totalNumberOfRecords);
    assert.equal(new Set(metrics.map((metric) => metric.metricName)).size, metrics.length, "each metric once");
    for (const page of pages) {
      assert.ok(page.usage.length <= 100);
      assert.equal(page.metadata.month.getTime(), month.getTime());
    }
    for (const metric of metrics) {
      assert.equal(typeof metric.avgMetricHour, "number");
      assert.equal(typeof metric.maxMetricHour, "number");
    }
    const { result: byDay } = await over200s(() =>
      usageV1.getUsageTopAvgMetrics({ day: new Date(hourNow().getTime() - 5 * DAY) }),
    );
    assertParsed(byDay, "top_avg_metrics day");
    assert.ok(byDay.usage.length > 0, "top_avg_metrics by day has data");
  });

  test("v2 getHourlyUsage walks page[next_record_id] over every product family", async () => {
    const filterTimestampStart = new Date(hourNow().getTime() - 6 * DAY);
    const filterTimestampEnd = new Date(filterTimestampStart.getTime() + 6 * HOUR);
    const { result: pages } = await over200s(() =>
      walk(
        "hourly_usage",
        (pageNextRecordId) =>
          usageV2.getHourlyUsage({
            filterTimestampStart,
            filterTimestampEnd,
            filterProductFamilies: "all",
            filterIncludeDescendants: true,
            pageLimit: 50,
            pageNextRecordId,
          }),
        (response) => response.meta?.pagination?.nextRecordId,
      ),
    );
    assert.ok(pages.length > 1, `several pages (got ${pages.length})`);
    const records = pages.flatMap((page) => page.data);
    assert.equal(new Set(records.map((record) => record.id)).size, records.length, "each record once");
    const families = new Set();
    for (const record of records) {
      assert.equal(record.type, "usage_timeseries");
      families.add(record.attributes.productFamily);
      assert.ok(record.attributes.timestamp >= filterTimestampStart);
      assert.ok(record.attributes.timestamp < filterTimestampEnd);
      assert.ok(record.attributes.measurements.length > 0);
      for (const measurement of record.attributes.measurements) {
        assert.equal(typeof measurement.usageType, "string");
        assert.ok(measurement.value === null || Number.isInteger(measurement.value), measurement.usageType);
      }
    }
    assert.ok(families.has("infra_hosts"), [...families].join(","));
  });

  test("v1 getUsageBillableSummary for last month", async () => {
    const { result } = await over200s(() => usageV1.getUsageBillableSummary({ month: monthStart(1) }));
    assertParsed(result, "billable-summary");
    assert.ok(result.usage.length > 0, "billable-summary has orgs");
    for (const org of result.usage) {
      assert.ok(org.usage, `${org.publicId}: a usage summary`);
      const products = Object.entries(org.usage).filter(([, value]) => value !== undefined);
      assert.ok(products.length > 0, `${org.publicId}: billable products`);
    }
  });

  test("unknown keys are 403 through the client", async () => {
    const stranger = new v1.UsageMeteringApi(configuration("wrong", "wrong"));
    await assert.rejects(stranger.getUsageBillableSummary({ month: monthStart(1) }), (error) => {
      assert.ok(error instanceof client.ApiException, String(error));
      assert.equal(error.code, 403);
      return true;
    });
  });
});
