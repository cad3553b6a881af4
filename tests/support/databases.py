"""Databases of the tests: the migrated template of the session, and a database of one's own
for a module's shared world or a server (a copy of the SQLite template file, or a freshly
migrated PostgreSQL schema)."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("TEST_DATABASE_URL")


def migrate(url: str) -> None:
    """Run every migration on the database at `url`."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def schema_url(schema: str) -> str:
    """TEST_DATABASE_URL with `schema` first on the search path."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def new_schema(prefix: str) -> tuple[str, Callable[[], None]]:
    """(url, drop) of a new, empty PostgreSQL schema named `prefix` + a random suffix."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return schema_url(schema), drop


def copy_template(database: dict, tmp_path: Path) -> str:
    """The URL of a copy of the session's migrated SQLite template in `tmp_path`."""
    target = tmp_path / "test.db"
    shutil.copyfile(database["path"], target)
    return f"sqlite:///{target}"


def private_database(database: dict, tmp_path: Path, prefix: str = "sauro_own") \
        -> tuple[str, Callable[[], None]]:
    """(url, cleanup) of a migrated database of its own: a copy of the SQLite template, or
    a new PostgreSQL schema (migrated; dropped by cleanup)."""
    if database["kind"] == "sqlite":
        return copy_template(database, tmp_path), (lambda: None)
    url, drop = new_schema(prefix)
    migrate(url)
    return url, drop


@contextmanager
def rolled_back_app(database: dict, tmp_path: Path, prefix: str, config_class=None,
                    **config) -> Iterator:
    """An app for a module's world on a database of its own (as `private_database`), whose
    one connection stays in a transaction for the whole module and is rolled back at its end
    (tests/support/rollback.py). The app commits as usual (each commit a savepoint
    released into the module's transaction); `snapshot.dump()` sets a savepoint, and
    `snapshot.restore()` goes back to it, instead of deleting and inserting every row.

    Since the module leaves its database empty, the next module's world takes the same one
    (`database["worlds"]`, emptied at the end of the session by `close_worlds`): a new
    PostgreSQL schema costs a migration, ~3 s, and a new engine compiles every statement
    again."""
    from app import create_app
    from app.extensions import db
    from config import TestConfig
    from tests.support.rollback import RollbackDatabase

    free = database.setdefault("worlds", [])
    if free:
        url, rdb, cleanup = free.pop()
    else:
        url, cleanup = private_database(database, tmp_path, prefix)
        rdb = RollbackDatabase(url)
    application = create_app(config_class or TestConfig, SQLALCHEMY_DATABASE_URI=url, **config)
    engines = db._app_engines[application]
    own = engines[None]
    engines[None] = rdb.engine
    own.dispose()
    rdb.begin_test()
    try:
        yield application
    finally:
        rdb.end_test()
        free.append((url, rdb, cleanup))


def close_worlds(database: dict) -> None:
    """Close and drop the databases of the modules' worlds (end of the session)."""
    for _url, rdb, cleanup in database.pop("worlds", []):
        rdb.close()
        cleanup()
