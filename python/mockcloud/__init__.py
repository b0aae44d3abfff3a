"""mockcloud from Python: the emulator as a subprocess, and a pytest plugin.

::

    import mockcloud

    with mockcloud.Server(scenario="demo", seed=7) as server:
        print(server.url)            # http://127.0.0.1:PORT, every vendor's API host
        server.clock.freeze("2026-01-31T23:59:00Z")
        server.reset()

The `mockcloud` command (the Rust binary) comes with this package; in pytest
the fixtures of :mod:`mockcloud.pytest_plugin` start it for you. See
docs/python.md.
"""

from importlib.metadata import PackageNotFoundError, version

from ._binary import find_binary
from ._server import AdminError, Clock, Credentials, Faults, Server, ServerError

try:
    __version__ = version("mockcloud")
except PackageNotFoundError:  # imported from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AdminError",
    "Clock",
    "Credentials",
    "Faults",
    "Server",
    "ServerError",
    "find_binary",
]
