"""Errors (ASVS V16.5.1, V13.4.2): no response ever shows a traceback, SQL or a file path,
whatever fails (a service raising with SQL and paths in its message, a StaleDataError, the
database down); a conflict is 409, not 500; the production configuration has DEBUG off.

Figure: N forced failures, 0 responses leaking a traceback, SQL or a path."""

import io
import re

import pytest
from rel_support import PDF, figure, root
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db

APP_CONFIG = {"PROPAGATE_EXCEPTIONS": False}
LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/usr/|site-packages|SELECT |INSERT INTO|"
                   r"UPDATE tasks|password_hash|sqlite3\.|psycopg|OperationalError|"
                   r"StaleDataError|Werkzeug Debugger|RuntimeError", re.IGNORECASE)
SECRET = ("boom: SELECT id, password_hash FROM users WHERE username = 'admin' "
          "(File \"/work/main/app/services/tasks.py\", line 42)")
STATS = {"forced": 0, "leaks": 0}


def _clean(resp, status):
    body = resp.get_data(as_text=True)
    STATS["forced"] += 1
    found = LEAKS.findall(body)
    if found:
        STATS["leaks"] += 1
    allowed = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in allowed, (resp.status_code, body[:500])
    assert not found, (found, body[:1500])
    assert resp.mimetype == "text/html"


def _raiser(exc):
    def raise_(*_a, **_k):
        raise exc
    return raise_


@pytest.mark.parametrize("exc, status", [
    (RuntimeError(SECRET), 500),
    (OperationalError("UPDATE tasks SET progress=? WHERE tasks.id = ?", {}, Exception(SECRET)),
     500),
    (KeyError(SECRET), 500),
    (StaleDataError("UPDATE statement on table 'tasks' expected to update 1 row(s); "
                    "0 were matched. " + SECRET), 409),
], ids=["runtime", "sql", "keyerror", "stale"])
def test_a_failing_service_shows_no_internals(shared, monkeypatch, exc, status):
    from app.tasks import commands as tasks
    from app.tasks import queries as task_queries

    w = shared.w
    monkeypatch.setattr(tasks, "record_progress", _raiser(exc))
    monkeypatch.setattr(task_queries, "list_tasks", _raiser(exc))
    c = shared.cached("staff")
    before = db.session.get(type(w.task), w.task.id).progress
    _clean(c.post(f"/tasks/{w.task.id}/progress", data={"percent": "55", "note": "x"}), status)
    db.session.rollback()
    assert db.session.get(type(w.task), w.task.id).progress == before
    _clean(c.get("/tasks"), status)


def test_http_errors_show_no_internals(shared, monkeypatch):
    c = shared.cached("staff")
    _clean(c.get("/khong-co-trang-nay"), 404)
    _clean(c.post("/tasks"), 405)
    _clean(c.get("/tasks/999999"), 404)
    monkeypatch.setitem(shared.app.config, "MAX_CONTENT_LENGTH", 1000)
    _clean(c.post(f"/tasks/{shared.w.task.id}/progress",
                  data={"percent": "1", "files": [(io.BytesIO(PDF * 50), "a.pdf")]}),
           413)


@pytest.mark.parametrize("kind", ["unreachable"])
def test_database_down_shows_no_internals(database, tmp_path, kind):
    """The app on a database it cannot reach: the pages that need it answer a plain 500."""
    from app import create_app
    from config import TestConfig

    rc = root()
    down = ("sqlite:////nonexistent-folder/sauro/down.db" if database["kind"] == "sqlite"
            else "postgresql+psycopg://postgres@127.0.0.1:1/down?connect_timeout=2")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=down, PROPAGATE_EXCEPTIONS=False,
                     UPLOAD_FOLDER=str(tmp_path / "up"))
    with app.app_context():
        c = app.test_client()
        _clean(c.post("/login", data={"username": "staff_a", "password": rc.PASSWORD}), 500)
        with c.session_transaction() as s:
            s["_user_id"] = "a-token"
        # the session names a user the app cannot look up: an error page or the login page
        _clean(c.get("/"), (302, 500))
        db.session.remove()
        db.engine.dispose()


def test_production_config_has_debug_off(monkeypatch):
    from app import create_app
    from config import ProductionConfig

    assert ProductionConfig.DEBUG is False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.debug is False and app.config["DEBUG"] is False
    assert not app.config.get("TESTING") and not app.config.get("PROPAGATE_EXCEPTIONS")
    assert app.config.get("HSTS") is True


PROBE = """
import json, wsgi
r = wsgi.app.test_client().get("/login")
print(json.dumps({"config": wsgi.config_class.__name__, "debug": wsgi.app.debug,
                  "hsts": r.headers.get("Strict-Transport-Security"),
                  "cookie": wsgi.app.config["SESSION_COOKIE_SECURE"]}))
"""


@pytest.mark.parametrize("env, expected", [
    ({"SAURO_ENV": "production", "SECRET_KEY": "k" * 64},
     {"config": "ProductionConfig", "debug": False,
      "hsts": "max-age=31536000; includeSubDomains", "cookie": True}),
    # make run: plain http on 127.0.0.1, so no Secure cookie and no HSTS
    ({}, {"config": "Config", "debug": False, "hsts": None, "cookie": False}),
], ids=["production", "make-run"])
def test_wsgi_picks_the_configuration(tmp_path, env, expected):
    """wsgi.py (what gunicorn and `flask` load): SAURO_ENV=production gives ProductionConfig,
    with DEBUG off even when FLASK_DEBUG=1 is left in the environment, and HSTS on every
    response; without it, the development configuration that `make run` serves."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    base = {k: v for k, v in os.environ.items()
            if k not in ("SAURO_ENV", "SECRET_KEY", "TEST_DATABASE_URL", "FLASK_DEBUG")}
    base.update(DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}", SAURO_INSTANCE_DIR=str(tmp_path),
                SCHEDULER_ENABLED="0")
    if env:
        base["FLASK_DEBUG"] = "1"
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=Path(__file__).parents[2],
                          env=base | env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def test_production_refuses_the_default_secret_key(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TEST_DATABASE_URL")}
    env.update(SAURO_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
               SAURO_INSTANCE_DIR=str(tmp_path), SCHEDULER_ENABLED="0")
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=Path(__file__).parents[2],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_a_lock_timeout_is_503_not_500(shared, monkeypatch):
    """A write that could not get the database's lock in time (SQLite "database is locked",
    PostgreSQL lock_not_available / deadlock_detected) answers the "busy, try again" page,
    503 with Retry-After, saves nothing and shows nothing of the error; any other
    OperationalError stays a 500 (test above)."""
    import sqlite3

    import psycopg.errors

    from app.tasks import commands as tasks

    w = shared.w
    c = shared.cached("staff")
    for orig in (sqlite3.OperationalError("database is locked"),
                 psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
                 psycopg.errors.DeadlockDetected("deadlock detected")):
        monkeypatch.setattr(tasks, "record_progress", _raiser(
            OperationalError("UPDATE tasks SET progress=? WHERE tasks.id = ?", {}, orig)))
        before = db.session.get(type(w.task), w.task.id).progress
        resp = c.post(f"/tasks/{w.task.id}/progress", data={"percent": "55", "note": "x"})
        _clean(resp, 503)
        assert resp.headers.get("Retry-After") == "5"
        db.session.rollback()
        assert db.session.get(type(w.task), w.task.id).progress == before


def test_summary():
    figure("errors", f"{STATS['forced']} forced failures (service errors with SQL and paths in "
                     f"the message, StaleDataError, 404/405/413, database down): "
                     f"{STATS['leaks']} responses showing a traceback, SQL or a path; "
                     f"StaleDataError answered 409, a lock timeout 503; ProductionConfig "
                     f"(SAURO_ENV=production) DEBUG off with HSTS")
    assert STATS["leaks"] == 0

