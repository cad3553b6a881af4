"""Fixtures of the web tests: the root `app` with compiled templates shared between tests,
the root `world` with a sub-unit and evidence files, and a count of the permission cases."""

import pytest
from jinja2 import BytecodeCache

from web_support import extend_world


class _MemoryBytecodeCache(BytecodeCache):
    """Each test builds a new app, hence a new Jinja environment; compiling every template
    again for each test costs more than the test itself. The cache checks the source's
    checksum, so an edited template is compiled afresh."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _MemoryBytecodeCache()


@pytest.fixture
def app(app):
    app.jinja_env.bytecode_cache = _BYTECODE
    return app


@pytest.fixture
def xworld(world, make):
    """`world` plus sub-unit A1 (under A) with an empty draft plan, and an evidence file on
    each of task, task2 and task_b (ids in xworld.evidence by task id)."""
    return extend_world(world, make)


def pytest_terminal_summary(terminalreporter):
    passed = [r for r in terminalreporter.stats.get("passed", [])
              if "test_permissions.py::test_matrix[" in r.nodeid]
    failed = [r for r in terminalreporter.stats.get("failed", [])
              if "test_permissions.py::test_matrix[" in r.nodeid]
    if passed or failed:
        terminalreporter.write_line(
            f"authorization matrix: {len(passed) + len(failed)} cases checked, "
            f"{len(passed)} passed, {len(failed)} failed")
