"""SQLite runs with WAL, a busy timeout and foreign keys; writes begin IMMEDIATE, reads deferred."""

import pytest
from sqlalchemy import event, func, select, text

from app.extensions import db


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite configuration (the PostgreSQL run checks PostgreSQL)")


def test_every_connection_has_the_pragmas(sqlite_only):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000  # SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -32768  # 32 MiB of pages


def test_get_reads_deferred_and_post_writes_immediate(sqlite_only, world, as_user):
    c = as_user("staff_a")
    task_id = world.task.id
    db.session.commit()  # the test's own session holds no transaction during the requests
    seen: list[str] = []

    def spy(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        seen.clear()
        assert c.get(f"/tasks/{task_id}").status_code == 200
        gets = list(seen)
        seen.clear()
        resp = c.post(f"/tasks/{task_id}/progress", data={"percent": "40", "note": "ok"})
        assert resp.status_code == 302
        posts = list(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    print("GET began:", gets, "POST began:", posts)
    assert gets and set(gets) == {"BEGIN"}, gets
    assert posts and set(posts) == {"BEGIN IMMEDIATE"}, posts
    assert posts and posts[-1] == "BEGIN IMMEDIATE", posts
    assert "BEGIN" not in posts[1:], posts


def test_a_write_that_cannot_get_the_lock_answers_503_and_changes_nothing(
        sqlite_only, app, world, as_user):
    """Another process holds the write lock past SQLITE_BUSY_TIMEOUT_MS: the POST is refused
    with the "busy, try again" page (503, Retry-After), never a 500, and nothing is saved;
    the same POST succeeds once the lock is released. GETs still read meanwhile (WAL)."""
    import sqlite3

    from app.models import ProgressUpdate, Task

    c = as_user("staff_a")
    task_id = world.task.id
    db.session.commit()
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 300
    db.engine.dispose()  # new connections take the short timeout
    path = db.engine.url.database or db.session.execute(text("PRAGMA database_list")).all()[0][2]
    db.session.rollback()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert c.get(f"/tasks/{task_id}").status_code == 200
        resp = c.post(f"/tasks/{task_id}/progress", data={"percent": "40", "note": "bận"})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 503, body[:500]
        assert resp.headers["Retry-After"] == "5"
        assert "Traceback" not in body and "locked" not in body
    finally:
        other.rollback()
        other.close()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)) == 0
    assert db.session.get(Task, task_id).progress == 0
    db.session.rollback()
    assert c.post(f"/tasks/{task_id}/progress",
                  data={"percent": "40", "note": "ok"}).status_code == 302


def test_the_import_preview_reads_without_the_write_lock(sqlite_only, world, as_user):
    """The preview of a plan import (a POST that reads a workbook for seconds and writes
    nothing) begins deferred: other writers do not wait for it. Its confirmation writes."""
    import io
    import re

    from tests.plan_files import HEADERS, build, clear_row

    c = as_user("head_a")
    plan_id = world.plan.id
    db.session.commit()
    data = build([HEADERS, clear_row(1)])
    seen: list[str] = []

    def spy(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        resp = c.post(f"/plans/{plan_id}/import",
                      data={"file": (io.BytesIO(data), "ke-hoach.xlsx")},
                      content_type="multipart/form-data")
        # redirect after post (issue 17): the upload answers 303 to the preview's own page
        assert resp.status_code == 303, resp.get_data(as_text=True)[:1000]
        resp = c.get(resp.headers["Location"])
        html = resp.get_data(as_text=True)
        previews = list(seen)
        seen.clear()
        token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"|value="([0-9a-f]+)"[^>]*name="token"',
                          html)
        assert resp.status_code == 200 and token, html[:1000]
        confirm = c.post(f"/plans/{plan_id}/import/confirm",
                         data={"token": token.group(1) or token.group(2)})
        confirms = list(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert confirm.status_code == 302
    assert previews and set(previews) == {"BEGIN"}, previews
    assert confirms and set(confirms) == {"BEGIN IMMEDIATE"}, confirms
