"""Where the `mockcloud` command is: the Rust binary the wheel installs."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Optional, Union

BINARY_ENV = "MOCKCLOUD_BIN"

_EXE = "mockcloud" + (sysconfig.get_config_var("EXE") or "")


def _candidates() -> list[Path]:
    """The places a wheel's script can be, in the order pip puts it there."""
    places = [Path(sysconfig.get_path("scripts")) / _EXE]
    # `pip install --user`
    try:
        user_scheme = sysconfig.get_preferred_scheme("user")  # Python 3.10+
    except AttributeError:
        user_scheme = "nt_user" if os.name == "nt" else "posix_user"
    try:
        places.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)) / _EXE)
    except KeyError:
        pass
    # `pip install --target DIR`: DIR/bin beside DIR/mockcloud.
    places.append(Path(__file__).resolve().parent.parent / "bin" / _EXE)
    # The interpreter's own directory (a venv's bin when sysconfig says otherwise).
    places.append(Path(sys.executable).parent / _EXE)
    return places


def find_binary(explicit: Optional[Union[str, os.PathLike]] = None) -> str:
    """The path of the `mockcloud` executable.

    An explicit path (the argument, else the ``MOCKCLOUD_BIN`` environment
    variable) wins, so a test run can use a binary built with cargo; then
    the one this package was installed with (the interpreter's scripts
    directory, the user scheme's, ``pip --target``'s ``bin``); then the first
    on ``PATH``.

    Raises ``FileNotFoundError`` naming every place looked at.
    """
    chosen = explicit if explicit is not None else os.environ.get(BINARY_ENV) or None
    if chosen is not None:
        path = Path(chosen).expanduser()
        if path.is_file():
            return str(path)
        found = shutil.which(str(chosen))
        if found:
            return found
        source = "argument" if explicit is not None else BINARY_ENV
        raise FileNotFoundError(f"mockcloud binary not found: {chosen} (from {source})")
    places = _candidates()
    for path in places:
        if path.is_file():
            return str(path)
    found = shutil.which("mockcloud")
    if found:
        return found
    looked = ", ".join(str(path) for path in places)
    raise FileNotFoundError(
        f"mockcloud binary not found in {looked} or on PATH; install the wheel "
        f"(pip install mockcloud), or set {BINARY_ENV} to a binary (cargo build gives target/debug/mockcloud)"
    )
