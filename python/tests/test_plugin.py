"""The pytest plugin: its fixtures, marker and options, as a user's tests see them."""

from datetime import datetime, timedelta, timezone

import gcore
import pytest

import mockcloud as mockcloud_package

USAGE_REPORT = {"time_from": datetime(2026, 1, 1, tzinfo=timezone.utc), "time_to": datetime(2026, 2, 1, tzinfo=timezone.utc)}


def test_the_url_is_a_local_port_and_health_answers(mockcloud, mockcloud_url):
    assert mockcloud_url == mockcloud.url
    assert mockcloud_url.startswith("http://127.0.0.1:")
    health = mockcloud.health()
    assert health["status"] == "ok"
    assert health["version"] == mockcloud_package.__version__


def test_the_server_runs_the_binary_find_binary_finds(mockcloud):
    # From a venv with the wheel: the wheel's binary, beside the interpreter.
    assert mockcloud.command()[0] == mockcloud_package.find_binary()


# Two tests in order: what the first creates, the second no longer sees.


def test_reset_between_tests_1_create_a_policy(grafana_session):
    created = grafana_session.post(
        "/api/v1/accesspolicies",
        params={"region": "us"},
        json={"name": "made-by-test-1", "scopes": ["stacks:read"], "realms": [{"type": "org", "identifier": "1"}]},
    )
    assert created.status_code == 200, created.text
    names = [p["name"] for p in grafana_session.get("/api/v1/accesspolicies", params={"region": "us"}).json()["items"]]
    assert "made-by-test-1" in names


def test_reset_between_tests_2_the_policy_is_gone(grafana_session):
    names = [p["name"] for p in grafana_session.get("/api/v1/accesspolicies", params={"region": "us"}).json()["items"]]
    assert "made-by-test-1" not in names
    assert "mock-bootstrap" in names


def test_clock_freeze_advance_and_resume(mockcloud):
    frozen = mockcloud.clock.freeze("2026-01-31T23:59:00Z")
    assert frozen == datetime(2026, 1, 31, 23, 59, tzinfo=timezone.utc)
    assert mockcloud.clock.is_frozen()
    assert mockcloud.health()["now"] == "2026-01-31T23:59:00.000Z"
    assert mockcloud.clock.advance(60) == datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert mockcloud.clock.advance(timedelta(hours=1)) == datetime(2026, 2, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="whole seconds"):
        mockcloud.clock.advance(0.5)
    mockcloud.clock.resume()
    assert not mockcloud.clock.is_frozen()
    assert mockcloud.clock.now() >= datetime(2026, 2, 1, 1, tzinfo=timezone.utc)


def test_clock_is_back_to_real_time_in_the_next_test(mockcloud):
    assert not mockcloud.clock.is_frozen()
    assert abs(mockcloud.clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_a_clock_outside_its_range_is_an_admin_error(mockcloud):
    with pytest.raises(mockcloud_package.AdminError) as refused:
        mockcloud.clock.advance(timedelta(days=365 * 9000))
    assert refused.value.status == 400
    assert "outside the clock's range" in str(refused.value)


def test_a_fault_fails_the_next_request(mockcloud, gcore_client):
    rule = mockcloud.faults.add(id="gcore-down", vendor="gcore", effect={"error": {"status": 503, "message": "down"}})
    assert rule["id"] == "gcore-down"
    assert [r["id"] for r in mockcloud.faults.list()] == ["gcore-down"]
    with pytest.raises(gcore.InternalServerError) as failed:
        gcore_client.cloud.usage_reports.get(**USAGE_REPORT)
    assert failed.value.status_code == 503
    [entry] = mockcloud.journal(vendor="gcore")
    assert entry["status"] == 503
    assert entry["fault"] == {"rule": "gcore-down", "effect": "error"}
    mockcloud.faults.clear()
    assert gcore_client.cloud.usage_reports.get(**USAGE_REPORT).count > 0


def test_faults_are_gone_in_the_next_test(mockcloud, gcore_client):
    assert mockcloud.faults.list() == []
    assert gcore_client.cloud.usage_reports.get(**USAGE_REPORT).count > 0


def test_the_journal_holds_this_tests_requests_only(mockcloud, grafana_httpx):
    assert mockcloud.journal() == []
    assert grafana_httpx.get("/api/orgs/mockorg").status_code == 200
    assert grafana_httpx.get("/api/orgs/nosuchorg").status_code == 404
    entries = mockcloud.journal(vendor="grafana")
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/api/orgs/mockorg", 200),
        ("GET", "/api/orgs/nosuchorg", 404),
    ]
    assert [e["path"] for e in mockcloud.journal(status="4xx")] == ["/api/orgs/nosuchorg"]


def test_loading_a_scenario_lasts_until_the_next_test(mockcloud, grafana_session):
    mockcloud.load_scenario("demo")
    assert mockcloud.health()["scenario"] == "demo"
    assert mockcloud.credentials.grafana_token == "mock-acme-token"
    grafana_session.headers["Authorization"] = "Bearer mock-acme-token"
    assert grafana_session.get("/api/orgs/acme").json()["slug"] == "acme"


def test_the_next_test_is_back_on_the_sessions_scenario(mockcloud, grafana_session):
    assert mockcloud.health()["scenario"] == "default"
    assert grafana_session.get("/api/orgs/mockorg").status_code == 200


def test_state_export_and_import(mockcloud, grafana_session):
    before = mockcloud.export_state()
    grafana_session.delete("/api/instances/mockstackeu")
    assert grafana_session.get("/api/instances/mockstackeu").status_code == 404
    mockcloud.import_state(before)
    assert grafana_session.get("/api/instances/mockstackeu").status_code == 200


@pytest.mark.mockcloud(scenario="demo", seed=7)
def test_the_marker_chooses_the_scenario_and_seed(mockcloud, mockcloud_server, datadog_configuration, gcore_client):
    health = mockcloud.health()
    assert (health["scenario"], health["seed"]) == ("demo", 7)
    assert mockcloud is not mockcloud_server
    assert mockcloud_server.health()["scenario"] == "default"
    # The clients carry the demo scenario's credentials.
    assert datadog_configuration.api_key["apiKeyAuth"] == "mock-dd-demo-api-key"
    assert gcore_client.cloud.usage_reports.get(**USAGE_REPORT).count > 0


@pytest.mark.mockcloud("demo", seed=7)
def test_the_same_marker_shares_one_server(mockcloud, request):
    health = mockcloud.health()
    assert (health["scenario"], health["seed"]) == ("demo", 7)


@pytest.mark.mockcloud(scenario={"name": "tiny", "gcore": {"api_keys": ["tiny-key"]}}, args=["--journal-size", "1"])
def test_the_marker_takes_a_scenario_dict_and_serve_options(mockcloud, gcore_client, grafana_session):
    assert mockcloud.health()["scenario"] == "tiny"
    assert mockcloud.credentials.gcore_api_key == "tiny-key"
    assert mockcloud.credentials.grafana_token is None
    gcore_client.cloud.usage_reports.get(**USAGE_REPORT)
    gcore_client.cloud.usage_reports.get(**USAGE_REPORT)
    assert len(mockcloud.journal()) == 1


def test_options_choose_the_sessions_scenario_and_seed(pytester):
    pytester.makepyfile(
        """
        def test_it(mockcloud, mockcloud_server):
            assert mockcloud is mockcloud_server
            health = mockcloud.health()
            assert (health["scenario"], health["seed"]) == ("empty", 42)
        """
    )
    result = pytester.runpytest("--mockcloud-scenario", "empty", "--mockcloud-seed", "42")
    result.assert_outcomes(passed=1)


def test_ini_options_choose_the_sessions_scenario(pytester):
    pytester.makeini("[pytest]\nmockcloud_scenario = demo\nmockcloud_seed = 3\n")
    pytester.makepyfile(
        """
        def test_it(mockcloud):
            health = mockcloud.health()
            assert (health["scenario"], health["seed"]) == ("demo", 3)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_server_that_cannot_start_fails_its_tests_with_its_stderr(pytester):
    pytester.makefile(".json", bad='{"name": "bad", "grafana": {"orgs": [{"id": 1, "slug": "x", "name": "x", "regionz": []}]}}')
    pytester.makepyfile(
        """
        def test_one(mockcloud):
            pass

        def test_two(mockcloud_url):
            pass
        """
    )
    result = pytester.runpytest("--mockcloud-scenario", "bad.json")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*mockcloud server could not start: mockcloud exited with status 1 before listening*"])
    # The server's own words, with the location of the problem.
    result.stdout.fnmatch_lines(["*grafana.orgs[[]0[]]*regionz*"])


def test_an_unknown_marker_argument_is_an_error(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockcloud(scenarioo="demo")
        def test_it(mockcloud):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes scenario, seed and args, not [[]'scenarioo'[]]*"])


def test_the_marker_is_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockcloud(scenario=None, seed=None, args=()):*"])
