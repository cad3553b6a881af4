"""SQLite runs with WAL, a busy timeout and foreign keys; writes begin IMMEDIATE, reads deferred."""

import pytest
from sqlalchemy import event, text

from app.extensions import db


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite configuration (the PostgreSQL run checks PostgreSQL)")


def test_every_connection_has_the_pragmas(sqlite_only):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


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
