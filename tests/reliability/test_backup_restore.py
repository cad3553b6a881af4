"""Backup and restore (research section 2.3): `flask db backup PATH` copies the live
database while writers run (SQLite: the online backup API; PostgreSQL: pg_dump
--format=custom); `flask db restore PATH --yes` puts it back into a database: the restore
passes PRAGMA integrity_check, its SQL dump hashes the same as the backup's, it holds at
least every row committed before the backup began, and the app's smoke pages render on it.

Figure: rows committed before / in the backup / after; integrity ok; dump sha256 equal."""

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from rel_support import figure, login, root
from sqlalchemy import create_engine, func, select, text

from app.backup import sqlite_dump_sha256
from app.extensions import db
from app.models import ProgressUpdate, User

ROOT = Path(__file__).resolve().parent.parent.parent


def _writer(app, task_id, user_id, stop: threading.Event, counter: dict):
    from app.tasks import commands as tasks

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.commit()
        while not stop.is_set():
            tasks.record_progress(user, task_id, counter["n"] % 101, f"b{counter['n']}", None,
                                  date(2026, 6, 15))
            db.session.commit()
            counter["n"] += 1
        db.session.remove()


def _count(url: str) -> int:
    """Progress rows committed, read without taking SQLite's write lock (outside a request
    the app's engine would open BEGIN IMMEDIATE, and wait behind the writer)."""
    if url.startswith("sqlite:///"):
        con = sqlite3.connect(url[len("sqlite:///"):], timeout=30)
        try:
            return con.execute("SELECT count(*) FROM progress_updates").fetchone()[0]
        finally:
            con.close()
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(select(func.count()).select_from(ProgressUpdate.__table__)).scalar()
    finally:
        engine.dispose()


def _smoke(url: str, tmp: Path, task_id: int) -> list:
    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp / "up"),
                     TODAY=date(2026, 6, 15))
    app.test_client_class = root().IsolatedClient
    with app.app_context():
        c = login(app.test_client(), "head_a")
        out = [(u, c.get(u).status_code) for u in ("/", "/plans", "/tasks", "/tasks/mine",
                                                   f"/tasks/{task_id}", "/overdue",
                                                   "/notifications")]
        db.session.remove()
        db.engine.dispose()
    return out


def test_sqlite_backup_while_writers_run(app, world, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("the SQLite online backup; PostgreSQL is tested below")
    task_id, staff_id = world.task.id, world.staff.id
    db.session.rollback()
    stop, counter = threading.Event(), {"n": 0}
    writer = threading.Thread(target=_writer, args=(app, task_id, staff_id, stop, counter))
    writer.start()
    try:
        while counter["n"] < 50:
            time.sleep(0.01)
        before = _count(url)
        backup = tmp_path / "sauro-backup.db"
        result = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
        # the writer goes on after the backup: it ran before, (maybe) during, and after
        during = counter["n"]
        deadline = time.monotonic() + 60
        while counter["n"] < during + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    after = _count(url)
    assert after >= before + 20
    check = app.test_cli_runner().invoke(args=["db", "backup-check", str(backup)])
    assert check.exit_code == 0 and "integrity_check: ok" in check.output, check.output
    h_backup = sqlite_dump_sha256(backup)
    assert h_backup in check.output
    con = sqlite3.connect(backup)
    try:
        in_backup = con.execute("SELECT count(*) FROM progress_updates").fetchone()[0]
    finally:
        con.close()
    assert before <= in_backup <= after, (before, in_backup, after)
    # restore into another database (a fresh migrated file) with the command an operator runs
    restored = tmp_path / "restored.db"
    restored.write_bytes(b"")  # a new, empty database file
    from app import create_app
    from config import TestConfig

    target = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{restored}")
    # the command runs in the app context it finds: the target's, not the test's
    with target.app_context():
        refused = target.test_cli_runner().invoke(args=["db", "restore", str(backup)])
        assert refused.exit_code != 0 and "--yes" in refused.output
        done = target.test_cli_runner().invoke(args=["db", "restore", str(backup), "--yes"])
        db.engine.dispose()
    assert done.exit_code == 0, done.output
    assert "integrity_check: ok" in done.output and h_backup in done.output
    con = sqlite3.connect(restored)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        journal = con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()
    assert integrity == "ok" and journal == "wal"
    h_restored = sqlite_dump_sha256(restored)
    assert h_backup == h_restored
    pages = _smoke(f"sqlite:///{restored}", tmp_path, task_id)
    assert all(s == 200 for _, s in pages), pages
    figure("backup", f"sqlite online backup while a writer ran: progress rows committed before "
                     f"{before}, in backup {in_backup}, after {after}; restore integrity_check "
                     f"{integrity}; dump sha256 equal ({h_restored[:12]}); "
                     f"{len(pages)} smoke pages 200")


def test_the_flask_commands_are_registered(database, tmp_path):
    """`flask db backup` and `flask db backup-check` through the real `flask` command
    (wsgi.py), as an operator runs them; backup refuses to overwrite without --force."""
    if database["kind"] != "sqlite":
        pytest.skip("SQLite file")
    db_path = tmp_path / "live.db"
    shutil.copyfile(database["path"], db_path)
    env = dict(os.environ, FLASK_APP="wsgi", DATABASE_URL=f"sqlite:///{db_path}",
               SAURO_INSTANCE_DIR=str(tmp_path), SCHEDULER_ENABLED="0")
    flask = str(Path(sys.executable).with_name("flask"))
    target = tmp_path / "b.db"

    def run(*args):
        return subprocess.run([flask, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    done = run("db", "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert "integrity_check: ok" in done.stdout
    again = run("db", "backup", str(target))
    assert again.returncode != 0 and "--force" in again.stderr
    check = run("db", "backup-check", str(target))
    assert check.returncode == 0 and "integrity_check: ok" in check.stdout, check.stderr


def test_postgresql_backup_while_writers_run(app, world, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore not installed")
    task_id, staff_id = world.task.id, world.staff.id
    db.session.rollback()
    stop, counter = threading.Event(), {"n": 0}
    writer = threading.Thread(target=_writer, args=(app, task_id, staff_id, stop, counter))
    writer.start()
    try:
        while counter["n"] < 30:
            time.sleep(0.01)
        before = _count(url)
        backup = tmp_path / "sauro.dump"
        result = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert backup.read_bytes()[:5] == b"PGDMP"
    after = _count(url)
    # restore into a database of its own, then the app on it
    from sqlalchemy.engine import make_url

    u = make_url(url)
    schema = next(p.split("=", 1)[1] for p in
                  (u.query.get("options") or "").replace("%3D", "=").split() if "search_path" in p)
    name = f"sauro_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(u.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = u.set(database=name, query={})
        restored_url = target.update_query_dict({"options": f"-csearch_path={schema}"})
        restored = restored_url.render_as_string(hide_password=False)
        from app import create_app
        from config import TestConfig

        other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=restored)
        with other.app_context():  # the command runs in the app context it finds
            done = other.test_cli_runner().invoke(args=["db", "restore", str(backup), "--yes"])
            db.engine.dispose()
        assert done.exit_code == 0, done.output
        in_backup = _count(restored)
        assert before <= in_backup <= after, (before, in_backup, after)
        pages = _smoke(restored, tmp_path, task_id)
        assert all(s == 200 for _, s in pages), pages
        # restoring over a database in use (after the smoke pages wrote login rows) replaces
        # it: --clean, in one transaction
        with other.app_context():
            again = other.test_cli_runner().invoke(args=["db", "restore", str(backup), "--yes"])
            db.engine.dispose()
        assert again.exit_code == 0, again.output
        assert _count(restored) == in_backup
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    figure("backup", f"postgresql pg_dump while a writer ran: rows before {before}, in backup "
                     f"{in_backup}, after {after}; flask db restore (pg_restore) ok; "
                     f"{len(pages)} smoke pages 200")
