"""Databases of the tests: the migrated template of the session, and a database of one's own
for a module's shared world or a server (a copy of the SQLite template file, or a freshly
migrated PostgreSQL schema)."""

import os
import shutil
import uuid
from collections.abc import Callable
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
