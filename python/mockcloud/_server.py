"""A `mockcloud serve` subprocess on a free port, and its admin API.

Only the standard library: the package has no required dependencies.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ._binary import find_binary

LISTENING = "mockcloud listening on "

ScenarioArg = Union[str, "os.PathLike[str]", Mapping[str, Any], None]


class ServerError(RuntimeError):
    """The server did not start (or stopped): its exit status and stderr."""

    def __init__(self, message: str, *, command: List[str], returncode: Optional[int], stderr: str):
        detail = stderr.strip() or "(nothing on stderr)"
        super().__init__(f"{message}\ncommand: {' '.join(command)}\nstderr:\n{detail}")
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class AdminError(RuntimeError):
    """The admin API refused a request: its status and `{"error": ...}` body."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        message = body.get("error", body) if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Credentials:
    """What a client sends to the loaded scenario's first org of each vendor.

    For the default scenario: ``mock-grafana-token``, ``mock-dd-api-key`` /
    ``mock-dd-app-key`` and ``mock-gcore-key``.
    """

    grafana_token: Optional[str]
    datadog_api_key: Optional[str]
    datadog_app_key: Optional[str]
    gcore_api_key: Optional[str]

    @classmethod
    def of_state(cls, state: Mapping[str, Any]) -> "Credentials":
        grafana = state.get("grafana") or {}
        tokens = sorted(grafana.get("tokens") or [], key=lambda token: token.get("seq", 0))
        parents = [org for org in (state.get("datadog") or {}).get("orgs") or [] if not org.get("parent")]
        datadog = parents[0] if parents else {}
        gcore_keys = (state.get("gcore") or {}).get("api_keys") or []
        return cls(
            grafana_token=tokens[0]["secret"] if tokens else None,
            datadog_api_key=next(iter(datadog.get("api_keys") or []), None),
            datadog_app_key=next(iter(datadog.get("application_keys") or []), None),
            gcore_api_key=gcore_keys[0] if gcore_keys else None,
        )


def _timestamp(at: Union[datetime, str]) -> str:
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """`/__admin/clock`: the one clock every vendor reads."""

    def __init__(self, server: "Server"):
        self._server = server

    def get(self) -> Dict[str, Any]:
        """``{"now": "...", "frozen": bool}``."""
        return self._server.admin("GET", "/__admin/clock")

    def now(self) -> datetime:
        return _parse_time(self.get()["now"])

    def is_frozen(self) -> bool:
        return bool(self.get()["frozen"])

    def freeze(self, at: Union[datetime, str, None] = None) -> datetime:
        """Stops time, now or at ``at`` (a datetime, naive read as UTC, or RFC 3339)."""
        body = {} if at is None else {"at": _timestamp(at)}
        return _parse_time(self._server.admin("POST", "/__admin/clock/freeze", body)["now"])

    def advance(self, seconds: Union[int, timedelta]) -> datetime:
        """Moves time forward (frozen or running) by whole seconds or a timedelta."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        if seconds != int(seconds):
            raise ValueError(f"the clock advances by whole seconds, not {seconds}")
        seconds = int(seconds)
        return _parse_time(self._server.admin("POST", "/__admin/clock/advance", {"seconds": seconds})["now"])

    def resume(self) -> datetime:
        """Lets a frozen clock run again from where it stands."""
        return _parse_time(self._server.admin("POST", "/__admin/clock/resume")["now"])

    def real(self) -> datetime:
        """Back to real time: unfrozen, without the offset freezes and advances left."""
        return _parse_time(self._server.admin("POST", "/__admin/clock/real")["now"])


class Faults:
    """`/__admin/faults`: rules that make vendor endpoints slow or failing."""

    def __init__(self, server: "Server"):
        self._server = server

    def list(self) -> List[Dict[str, Any]]:
        return self._server.admin("GET", "/__admin/faults")["rules"]

    def add(self, rule: Optional[Mapping[str, Any]] = None, **fields: Any) -> Dict[str, Any]:
        """Adds a rule, given as a dict or as keywords; returns it with its ``id``.

        ``faults.add(vendor="gcore", effect={"error": {"status": 503}})``
        """
        body = dict(rule or {})
        body.update(fields)
        return self._server.admin("POST", "/__admin/faults", body)

    def get(self, rule_id: str) -> Dict[str, Any]:
        return self._server.admin("GET", f"/__admin/faults/{urllib.parse.quote(rule_id)}")

    def replace(self, rule_id: str, rule: Mapping[str, Any]) -> Dict[str, Any]:
        return self._server.admin("PUT", f"/__admin/faults/{urllib.parse.quote(rule_id)}", dict(rule))

    def remove(self, rule_id: str) -> None:
        self._server.admin("DELETE", f"/__admin/faults/{urllib.parse.quote(rule_id)}")

    def clear(self) -> None:
        """Removes every rule (reset brings back the scenario's and the command line's)."""
        self._server.admin("DELETE", "/__admin/faults")


def _stop(process: subprocess.Popen, stderr_file) -> None:
    """SIGTERM (graceful, within a second), then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
    stderr_file.close()


class Server:
    """A ``mockcloud serve`` subprocess on a free port.

    ::

        with mockcloud.Server(scenario="demo", seed=7) as server:
            requests.get(server.url + "/api/orgs/acme", headers=...)
            server.clock.advance(3600)
            server.faults.add(vendor="datadog", effect={"error": {"status": 503}})
            server.journal(vendor="datadog")
            server.reset()

    ``scenario`` is a built-in name (``default``, ``empty``, ``demo``,
    ``flaky``, ``large``), a path to a JSON file, or a dict (written to a
    temporary file); ``seed`` fixes generated ids; ``args`` are more
    ``mockcloud serve`` options (``["--journal-size", "10"]``); ``binary``
    is the executable (default: :func:`mockcloud.find_binary`). If the server
    exits before it listens, :class:`ServerError` carries its stderr.
    """

    def __init__(
        self,
        scenario: ScenarioArg = None,
        seed: Optional[int] = None,
        *,
        args: Iterable[str] = (),
        binary: Union[str, "os.PathLike[str]", None] = None,
        admin_token: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        start_timeout: float = 60.0,
    ):
        # `env`: the server's whole environment (default: this process's,
        # without MOCKCLOUD_* variables).
        self.scenario = scenario
        self.seed = seed
        self.args = list(args)
        self.binary = binary
        self.admin_token = admin_token
        self.env = env
        self.start_timeout = start_timeout
        self.clock = Clock(self)
        self.faults = Faults(self)
        self._url: Optional[str] = None
        self._process: Optional[subprocess.Popen] = None
        self._stderr = None
        self._finalizer = None
        self._scenario_file: Optional[str] = None
        self._command: List[str] = []
        self._credentials: Optional[Credentials] = None
        # Set when a test imports a world, whose credentials reset forgets.
        self._state_replaced = False
        # Set when a test loads another scenario, which `reset` then undoes.
        self._scenario_replaced = False
        # Admin requests go straight to the server, whatever HTTP_PROXY says.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        where = self._url or "not running"
        return f"<mockcloud.Server {where} scenario={self._scenario_label()!r} seed={self.seed!r}>"

    def _scenario_label(self) -> str:
        if isinstance(self.scenario, Mapping):
            return str(self.scenario.get("name", "<dict>"))
        return "default" if self.scenario is None else os.fspath(self.scenario)

    # Life cycle

    def command(self) -> List[str]:
        """The command line `start` runs."""
        command = [find_binary(self.binary), "serve", "--host", "127.0.0.1", "--port", "0"]
        if self.scenario is not None:
            command += ["--scenario", self._scenario_path()]
        if self.seed is not None:
            command += ["--seed", str(int(self.seed))]
        if self.admin_token is not None:
            command += ["--admin-token", self.admin_token]
        return command + self.args

    def _scenario_path(self) -> str:
        if not isinstance(self.scenario, Mapping):
            return os.fspath(self.scenario)
        if self._scenario_file is None:
            handle, path = tempfile.mkstemp(prefix="mockcloud-scenario-", suffix=".json")
            with os.fdopen(handle, "w") as out:
                json.dump(self.scenario, out)
            self._scenario_file = path
        return self._scenario_file

    def start(self) -> "Server":
        """Starts the server and waits for its "listening" line."""
        if self._process is not None:
            raise RuntimeError("this mockcloud server is already started")
        command = self._command = self.command()
        if self.env is None:
            # Configured by its arguments alone: a MOCKCLOUD_ADMIN_TOKEN or
            # MOCKCLOUD_STATE_FILE left in the shell does not reach it.
            env = {name: value for name, value in os.environ.items() if not name.startswith("MOCKCLOUD_")}
        else:
            env = dict(self.env)
        stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace", prefix="mockcloud-stderr-")
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self._process, self._stderr = process, stderr
        self._finalizer = weakref.finalize(self, _stop, process, stderr)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def read_stdout() -> None:
            # Reads the "listening" line, then drains stdout so it never fills.
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read_stdout, name="mockcloud-stdout", daemon=True).start()
        try:
            self._url = self._wait_for_listening(lines)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_listening(self, lines: "queue.Queue[Optional[str]]") -> str:
        process = self._process
        while True:
            try:
                line = lines.get(timeout=self.start_timeout)
            except queue.Empty:
                raise self._failed(f"mockcloud did not print {LISTENING!r} within {self.start_timeout} s") from None
            if line is None:
                process.wait()
                raise self._failed(f"mockcloud exited with status {process.returncode} before listening")
            if line.startswith(LISTENING):
                return line[len(LISTENING) :].strip()

    def _failed(self, message: str) -> ServerError:
        returncode = self._process.poll() if self._process else None
        return ServerError(message, command=self._command, returncode=returncode, stderr=self.stderr)

    @property
    def stderr(self) -> str:
        """What the server has written to stderr so far (warnings, errors)."""
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self) -> None:
        """Stops the server (SIGTERM: in-flight requests finish)."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = None
        self._url = None
        if self._scenario_file is not None:
            Path(self._scenario_file).unlink(missing_ok=True)
            self._scenario_file = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``: every vendor's API host."""
        if self._url is None:
            raise RuntimeError("this mockcloud server is not started")
        return self._url

    # The admin API

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin request; returns the JSON answer, raises :class:`AdminError` on 4xx/5xx.

        Every ``POST`` and ``PUT`` is sent as JSON (the admin API requires it).
        """
        data = None
        headers = {"Accept": "application/json"}
        if method in ("POST", "PUT", "PATCH"):
            data = b"" if body is None else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.admin_token is not None:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=60) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                detail = json.loads(text)
            except ValueError:
                detail = text
            raise AdminError(method, path, error.code, detail) from None
        except urllib.error.URLError as error:
            if not self.running:
                raise self._failed(f"mockcloud is not running ({method} {path}: {error.reason})") from None
            raise
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def health(self) -> Dict[str, Any]:
        """``{"status", "version", "scenario", "seed", "startedAt", "now", ...}``."""
        return self.admin("GET", "/__admin/health")

    def reset(self) -> None:
        """Everything back to how the server started, for the next test.

        The world of the scenario it started with (ids included; a scenario
        loaded since is replaced by it), its fault rules, no rate-limit
        counts, the clock at real time and running, and an empty journal.
        ``POST /__admin/reset`` alone keeps the clock, the journal and a
        scenario loaded since.
        """
        if self._scenario_replaced:
            self.load_scenario(self.scenario if self.scenario is not None else "default")
            self._scenario_replaced = False
        self.admin("POST", "/__admin/reset")
        if self._state_replaced:
            self._credentials = None
            self._state_replaced = False
        self.clock.real()
        self.clear_journal()

    def journal(
        self,
        vendor: Optional[str] = None,
        *,
        path: Optional[str] = None,
        method: Optional[str] = None,
        status: Union[int, str, None] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """The vendor requests answered, oldest first, filtered like ``GET /__admin/journal``."""
        query = {
            key: value
            for key, value in (("vendor", vendor), ("path", path), ("method", method), ("status", status), ("limit", limit))
            if value is not None
        }
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        return self.admin("GET", "/__admin/journal" + suffix)["entries"]

    def clear_journal(self) -> int:
        """Forgets the journal; returns how many entries it held."""
        return self.admin("DELETE", "/__admin/journal")["cleared"]

    def load_scenario(self, scenario: Union[str, "os.PathLike[str]", Mapping[str, Any]]) -> None:
        """Replaces the world with another scenario: a built-in name, a JSON file or a dict.

        ``POST /__admin/reset`` then returns to it; :meth:`reset` returns to
        the one the server started with.
        """
        if isinstance(scenario, Mapping):
            body: Dict[str, Any] = {"scenario": dict(scenario)}
        elif isinstance(scenario, os.PathLike) or Path(str(scenario)).is_file():
            body = {"scenario": json.loads(Path(os.fspath(scenario)).read_text())}
        else:
            body = {"name": str(scenario)}
        self.admin("POST", "/__admin/scenario", body)
        self._credentials = None
        self._scenario_replaced = True

    def export_state(self) -> Dict[str, Any]:
        """The whole world as one JSON document (secrets included)."""
        return self.admin("GET", "/__admin/state")

    def import_state(self, state: Mapping[str, Any]) -> None:
        """Replaces the world with a document :meth:`export_state` gave."""
        self.admin("PUT", "/__admin/state", dict(state))
        self._credentials = None
        self._state_replaced = True

    @property
    def credentials(self) -> Credentials:
        """The Grafana token, Datadog keys and Gcore key of the loaded world's first orgs."""
        if self._credentials is None:
            self._credentials = Credentials.of_state(self.export_state())
        return self._credentials
