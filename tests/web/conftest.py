"""Fixtures of the web tests: the root `app` with compiled templates shared between tests,
the root `world` with a sub-unit and evidence files, and a count of the permission cases."""

import sys
from pathlib import Path

import pytest
from jinja2 import BytecodeCache

# The web tests import their helpers as `web_support`, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


# ---- one world per module, restored after each test that uses it ------------------------

ROLE_USERS = {"admin": "admin", "assessor": "assessor", "head": "head_a", "deputy": "deputy_a",
              "staff": "staff_a", "staff2": "staff_a2", "head_b": "head_b",
              "deputy_b": "deputy_b", "staff_b": "staff_b"}


class Shared:
    """A module's app, its world, one logged-in client per role, and the rows to go back to."""

    def __init__(self, app, w):
        self.app, self.w = app, w
        self.clients: dict = {}
        self.pristine = None

    def client(self, who: str | None = None):
        """A new client, logged in as `who` (a role of ROLE_USERS or a username)."""
        from web_support import root

        c = self.app.test_client()
        if who:
            resp = c.post("/login", data={"username": ROLE_USERS.get(who, who),
                                          "password": root().PASSWORD})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c

    def cached(self, role: str):
        """The client of `role` logged in before the pristine dump (anonymous: a new one)."""
        if role == "anonymous":
            return self.app.test_client()
        return self.clients[role]

    def restore(self):
        from web_support import restore

        restore(self.pristine)


@pytest.fixture(scope="module")
def shared(database, tmp_path_factory):
    """The world of `xworld`, built once per module on a database of its own, in one
    transaction for the whole module (tests/support/databases.rolled_back_app). Tests that
    change data use `sw`, which puts every row back afterwards (a rollback to the savepoint
    set when the world was built)."""
    from web_support import build_world, dump, root

    from app.extensions import db
    from tests.support.databases import rolled_back_app

    rc = root()
    tmp = tmp_path_factory.mktemp("shared")
    with rolled_back_app(database, tmp, "sauro_web", UPLOAD_FOLDER=str(tmp / "uploads"),
                         TODAY=rc.TODAY) as application:
        application.test_client_class = rc.IsolatedClient
        application.jinja_env.bytecode_cache = _BYTECODE
        with application.app_context():
            ctx = Shared(application, build_world(rc.Factory()))
            for role in ("admin", "assessor", "head", "deputy", "staff"):
                ctx.clients[role] = ctx.client(role)
            ctx.pristine = dump()
            yield ctx
            db.session.remove()


@pytest.fixture
def sw(shared, monkeypatch):
    """The module's shared world for one test that may change it; every row is put back
    afterwards (app.config changes go through `monkeypatch` and are undone too)."""
    yield shared
    shared.restore()
