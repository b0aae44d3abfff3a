"""`mockcloud.Server` without the fixtures: for scripts and other test runners."""

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

import mockcloud


def get_json(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_a_server_in_a_with_block():
    with mockcloud.Server(scenario="demo", seed=7) as server:
        assert server.running
        health = get_json(server.url + "/__admin/health")
        assert (health["scenario"], health["seed"]) == ("demo", 7)
        orgs = get_json(server.url + "/api/orgs/acme", {"Authorization": "Bearer mock-acme-token"})
        assert orgs["slug"] == "acme"
        url = server.url
    assert not server.running
    with pytest.raises(urllib.error.URLError):
        get_json(url + "/__admin/health")


def test_start_and_stop_by_hand():
    server = mockcloud.Server().start()
    try:
        assert server.health()["scenario"] == "default"
        assert server.credentials == mockcloud.Credentials(
            grafana_token="mock-grafana-token",
            datadog_api_key="mock-dd-api-key",
            datadog_app_key="mock-dd-app-key",
            gcore_api_key="mock-gcore-key",
        )
    finally:
        server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        server.url


def test_a_scenario_given_as_a_dict():
    scenario = {"name": "mine", "gcore": {"api_keys": ["my-key"]}}
    with mockcloud.Server(scenario=scenario) as server:
        assert server.health()["scenario"] == "mine"
        assert server.credentials.gcore_api_key == "my-key"


def test_a_bad_scenario_raises_with_the_servers_stderr(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "bad", "colour": "blue"}')
    with pytest.raises(mockcloud.ServerError) as failed:
        mockcloud.Server(scenario=bad).start()
    error = failed.value
    assert error.returncode == 1
    assert "unknown field `colour`" in error.stderr
    assert "unknown field `colour`" in str(error)
    assert "exited with status 1 before listening" in str(error)


def test_an_unknown_option_raises_with_the_usage():
    with pytest.raises(mockcloud.ServerError, match="--no-such-option"):
        mockcloud.Server(args=["--no-such-option"]).start()


def test_a_missing_binary_says_where_it_looked():
    with pytest.raises(FileNotFoundError, match="/nowhere/mockcloud"):
        mockcloud.Server(binary="/nowhere/mockcloud").start()


def test_the_admin_token_is_sent():
    with mockcloud.Server(admin_token="s3cret") as server:
        server.reset()
        assert server.faults.list() == []
        request = urllib.request.Request(server.url + "/__admin/faults")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401


def test_a_bad_fault_rule_is_an_admin_error_naming_the_problem():
    with mockcloud.Server() as server:
        with pytest.raises(mockcloud.AdminError) as refused:
            server.faults.add(vendor="gcore")
        assert refused.value.status == 400
        assert "effect" in refused.value.body["error"]


def test_reset_returns_to_the_starting_scenario_after_another_is_loaded():
    with mockcloud.Server(scenario="empty") as server:
        server.load_scenario("demo")
        assert server.credentials.datadog_api_key == "mock-dd-demo-api-key"
        server.reset()
        assert server.health()["scenario"] == "empty"
        assert server.credentials.datadog_api_key == "mock-dd-api-key"


def test_python_dash_m_mockcloud_runs_the_binary():
    version = subprocess.run(
        [sys.executable, "-m", "mockcloud", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.strip() == f"mockcloud {mockcloud.__version__}"


def test_mockcloud_variables_of_the_shell_do_not_reach_the_server(monkeypatch):
    monkeypatch.setenv("MOCKCLOUD_ADMIN_TOKEN", "from-the-shell")
    monkeypatch.setenv("MOCKCLOUD_SCENARIO", "demo")
    with mockcloud.Server() as server:
        assert server.health()["scenario"] == "default"
        assert server.faults.list() == []
