"""The examples of docs/python.md run as written, so they cannot go stale."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_complete_example_passes(pytester):
    [example] = [block for block in python_blocks() if block.startswith("# test_billing.py")]
    pytester.makepyfile(test_billing=example)
    # In a subprocess: an in-process run would unload the SDKs it imports.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_server_example_runs():
    [example] = [block for block in python_blocks() if "with mockcloud.Server(" in block]
    namespace = {}
    exec(compile(example, str(DOC), "exec"), namespace)
    assert namespace["orgs"].json()["slug"] == "acme"
    assert namespace["token"] == "mock-acme-token"
    assert not namespace["server"].running
