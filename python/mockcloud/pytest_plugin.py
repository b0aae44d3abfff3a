"""The mockcloud pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

- ``mockcloud``: the :class:`~mockcloud.Server` of this test, reset first
  (world, faults, clock, journal), so tests never see each other's changes.
- ``mockcloud_url``: its base URL, the API host of every vendor.
- ``datadog_configuration``: a ``datadog_api_client.Configuration`` for it.
- ``gcore_client``: a ``gcore.Gcore`` client for it.
- ``grafana_session``: a ``requests.Session`` with the Grafana bearer token;
  paths are relative to the server (``grafana_session.get("/api/orgs/mockorg")``).
- ``grafana_httpx``: the same as an ``httpx.Client``.
- ``mockcloud_server``: the session's server (the command line's scenario
  and seed), not reset and not changed by markers.

Scenario and seed: ``--mockcloud-scenario NAME|PATH`` and ``--mockcloud-seed
N`` (or the ini options ``mockcloud_scenario`` and ``mockcloud_seed``) for the
session; ``@pytest.mark.mockcloud(scenario="demo", seed=7)`` for a test, a
class or a module (one server per combination, kept for the session).
``--mockcloud-bin PATH`` (or ``MOCKCLOUD_BIN``) runs another binary.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

from ._binary import BINARY_ENV
from ._server import Server, ServerError

MARKER = "mockcloud"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockcloud", "mockcloud emulator")
    group.addoption(
        "--mockcloud-scenario",
        default=None,
        metavar="NAME|PATH",
        help="scenario of the mockcloud server (a built-in name or a JSON file; default: default)",
    )
    group.addoption("--mockcloud-seed", default=None, type=int, metavar="N", help="seed of the mockcloud server")
    group.addoption(
        "--mockcloud-bin",
        default=None,
        metavar="PATH",
        help=f"the mockcloud binary (default: {BINARY_ENV}, else the one installed with the package)",
    )
    parser.addini("mockcloud_scenario", "scenario of the mockcloud server (name or JSON file)", default=None)
    parser.addini("mockcloud_seed", "seed of the mockcloud server", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockcloud(scenario=None, seed=None, args=()): run this test against a mockcloud server "
        "with this scenario (built-in name, JSON file or dict), seed and extra `mockcloud serve` "
        "options; one server per combination, kept for the session",
    )


class _Servers:
    """The session's servers, one per (scenario, seed, args), started on first use.

    A combination that fails to start fails every test that asks for it with
    the same error (the server's stderr), without starting it again.
    """

    def __init__(self, binary: Optional[str]):
        self.binary = binary
        self._servers: Dict[str, Server] = {}
        self._failures: Dict[str, str] = {}

    def get(self, scenario: Any, seed: Optional[int], args: Tuple[str, ...]) -> Server:
        key = json.dumps([scenario, seed, list(args)], sort_keys=True, default=str)
        if key in self._failures:
            pytest.fail(self._failures[key], pytrace=False)
        server = self._servers.get(key)
        if server is None:
            try:
                server = Server(scenario=scenario, seed=seed, args=args, binary=self.binary).start()
            except (ServerError, OSError) as error:
                self._failures[key] = f"mockcloud server could not start: {error}"
                pytest.fail(self._failures[key], pytrace=False)
            self._servers[key] = server
        return server

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


def _session_settings(config: pytest.Config) -> Tuple[Optional[str], Optional[int]]:
    scenario = config.getoption("--mockcloud-scenario") or config.getini("mockcloud_scenario") or None
    seed = config.getoption("--mockcloud-seed")
    if seed is None:
        ini_seed = config.getini("mockcloud_seed")
        seed = int(ini_seed) if ini_seed not in (None, "") else None
    return scenario, seed


@pytest.fixture(scope="session")
def _mockcloud_servers(pytestconfig: pytest.Config) -> Iterator[_Servers]:
    servers = _Servers(pytestconfig.getoption("--mockcloud-bin"))
    yield servers
    servers.stop_all()


@pytest.fixture(scope="session")
def mockcloud_server(pytestconfig: pytest.Config, _mockcloud_servers: _Servers) -> Server:
    """The session's server: the command line's scenario and seed, started once.

    It is not reset between tests; ask for ``mockcloud`` for that.
    """
    scenario, seed = _session_settings(pytestconfig)
    return _mockcloud_servers.get(scenario, seed, ())


@pytest.fixture
def mockcloud(request: pytest.FixtureRequest, _mockcloud_servers: _Servers) -> Server:
    """This test's server (the marker's scenario and seed, else the session's), reset first."""
    scenario, seed = _session_settings(request.config)
    args: Tuple[str, ...] = ()
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            scenario = marker.args[0]
        scenario = marker.kwargs.get("scenario", scenario)
        seed = marker.kwargs.get("seed", seed)
        args = tuple(marker.kwargs.get("args", ()))
        unknown = set(marker.kwargs) - {"scenario", "seed", "args"}
        if unknown:
            pytest.fail(f"@pytest.mark.mockcloud takes scenario, seed and args, not {sorted(unknown)}", pytrace=False)
    server = _mockcloud_servers.get(scenario, seed, args)
    server.reset()
    return server


@pytest.fixture
def mockcloud_url(mockcloud: Server) -> str:
    """The base URL of this test's (reset) server: ``http://127.0.0.1:PORT``."""
    return mockcloud.url


def _need(module: str, extra: str, fixture: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.skip(f"the {fixture} fixture needs {module}: pip install 'mockcloud[{extra}]'")


@pytest.fixture
def datadog_configuration(mockcloud: Server):
    """A ``datadog_api_client.Configuration`` aimed at the server, with the parent org's keys.

    Retries are off, so a fault or a 429 shows up as the exception it is.
    """
    datadog = _need("datadog_api_client", "datadog", "datadog_configuration")
    credentials = mockcloud.credentials
    configuration = datadog.Configuration(host=mockcloud.url)
    configuration.api_key["apiKeyAuth"] = credentials.datadog_api_key
    configuration.api_key["appKeyAuth"] = credentials.datadog_app_key
    configuration.enable_retry = False
    return configuration


@pytest.fixture
def gcore_client(mockcloud: Server) -> Iterator[Any]:
    """A ``gcore.Gcore`` client aimed at the server, with its API key and no retries."""
    gcore = _need("gcore", "gcore", "gcore_client")
    client = gcore.Gcore(api_key=mockcloud.credentials.gcore_api_key, base_url=mockcloud.url, max_retries=0)
    yield client
    client.close()


def _grafana_headers(server: Server) -> Dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials.grafana_token}"}


@pytest.fixture
def grafana_session(mockcloud: Server) -> Iterator[Any]:
    """A ``requests.Session`` with the Grafana bearer token; relative paths go to the server."""
    requests = _need("requests", "requests", "grafana_session")

    class GrafanaSession(requests.Session):
        base_url = mockcloud.url

        def request(self, method, url, *args, **kwargs):
            if url.startswith("/"):
                url = self.base_url + url
            return super().request(method, url, *args, **kwargs)

    session = GrafanaSession()
    # Straight to the server: no proxy from the environment, no .netrc
    # credentials in place of the token.
    session.trust_env = False
    session.headers.update(_grafana_headers(mockcloud))
    yield session
    session.close()


@pytest.fixture
def grafana_httpx(mockcloud: Server) -> Iterator[Any]:
    """An ``httpx.Client`` with ``base_url`` the server and the Grafana bearer token."""
    httpx = _need("httpx", "httpx", "grafana_httpx")
    client = httpx.Client(base_url=mockcloud.url, headers=_grafana_headers(mockcloud), trust_env=False)
    yield client
    client.close()
