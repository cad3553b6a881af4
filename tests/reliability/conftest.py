"""Fixtures of the reliability and security groups: one world per module (SQLite file copy,
or a PostgreSQL schema of its own), restored after each test that changes it. The figure
lines the groups print are gathered by tests/conftest.py and shown at the end of the run."""

import pytest
from jinja2 import BytecodeCache
from rel_support import build_world, client_for, dump, restore, root


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the apps of this folder (each test module builds one)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


BYTECODE = _MemoryBytecodeCache()


class Shared:
    """A module's app, its world, logged-in clients, and the rows to go back to."""

    def __init__(self, app, w, csrf: bool):
        self.app, self.w, self.csrf = app, w, csrf
        self.clients: dict = {}
        self.pristine = None

    def client(self, who: str | None = None):
        return client_for(self.app, who, csrf=self.csrf)

    def cached(self, role: str):
        if role == "anonymous":
            return self.app.test_client()
        if role not in self.clients:
            self.clients[role] = self.client(role)
        return self.clients[role]

    def restore(self):
        restore(self.pristine)


def new_database(database, tmp):
    """(url, cleanup) of a database of its own: a copy of the migrated SQLite template,
    or a freshly migrated PostgreSQL schema."""
    from tests.support.databases import private_database

    return private_database(database, tmp, "sauro_rel")


@pytest.fixture(scope="module")
def shared(request, database, tmp_path_factory):
    """The extended world, built once per module. A module may set APP_CONFIG (a dict of
    config overrides, e.g. WTF_CSRF_ENABLED) and LOGIN_ROLES (clients logged in up front)."""
    from app import create_app
    from app.extensions import db
    from config import TestConfig

    rc = root()
    overrides = dict(getattr(request.module, "APP_CONFIG", {}))
    tmp = tmp_path_factory.mktemp("rel")
    url, cleanup = new_database(database, tmp)
    config = {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp / "uploads"),
              "TODAY": rc.TODAY}
    config.update(overrides)
    application = create_app(TestConfig, **config)
    application.test_client_class = rc.IsolatedClient
    application.jinja_env.bytecode_cache = BYTECODE
    try:
        with application.app_context():
            ctx = Shared(application, build_world(rc.Factory()),
                         csrf=bool(config.get("WTF_CSRF_ENABLED")))
            ctx.tmp = tmp
            for role in getattr(request.module, "LOGIN_ROLES", ()):
                ctx.cached(role)
            ctx.pristine = dump()
            yield ctx
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


@pytest.fixture
def sw(shared):
    """The module's shared world for a test that may change it; put back afterwards."""
    yield shared
    shared.restore()

