"""Fixtures of the reliability and security groups: one world per module (SQLite file copy,
or a PostgreSQL schema of its own), restored after each test that changes it. The figure
lines the groups print are gathered by tests/conftest.py and shown at the end of the run."""

from contextlib import contextmanager

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


# Modules whose world is served by other processes (gunicorn behind nginx): those need its
# rows committed, so their world stays on a database of its own, put back row by row.
WORLD_ON_DISK = ("test_login_throttling",)


@pytest.fixture(scope="module")
def shared(request, database, tmp_path_factory):
    """The extended world, built once per module. A module may set APP_CONFIG (a dict of
    config overrides, e.g. WTF_CSRF_ENABLED) and LOGIN_ROLES (clients logged in up front).
    The world is in one transaction for the whole module (tests/support/databases.
    rolled_back_app): `restore()` is a rollback to the savepoint set by the last `dump()`."""
    from app import create_app
    from app.extensions import db
    from config import TestConfig
    from tests.support.databases import rolled_back_app

    rc = root()
    overrides = dict(getattr(request.module, "APP_CONFIG", {}))
    tmp = tmp_path_factory.mktemp("rel")
    config = {"UPLOAD_FOLDER": str(tmp / "uploads"), "TODAY": rc.TODAY}
    config.update(overrides)
    on_disk = request.module.__name__.rsplit(".", 1)[-1] in WORLD_ON_DISK
    if on_disk:
        url, cleanup = new_database(database, tmp)
        opened = _on_disk(create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, **config), cleanup)
    else:
        opened = rolled_back_app(database, tmp, "sauro_rel", **config)
    with opened as application:
        application.test_client_class = rc.IsolatedClient
        application.jinja_env.bytecode_cache = BYTECODE
        with application.app_context():
            ctx = Shared(application, build_world(rc.Factory()),
                         csrf=bool(config.get("WTF_CSRF_ENABLED")))
            ctx.tmp = tmp
            for role in getattr(request.module, "LOGIN_ROLES", ()):
                ctx.cached(role)
            ctx.pristine = dump()
            yield ctx
            db.session.remove()
            if on_disk:
                db.engine.dispose()


@contextmanager
def _on_disk(application, cleanup):
    try:
        yield application
    finally:
        cleanup()


@pytest.fixture
def sw(shared):
    """The module's shared world for a test that may change it; put back afterwards."""
    yield shared
    shared.restore()

