"""`flask db upgrade` on an empty database gives exactly the schema of the models."""

import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.dashboard import tallies
from app.extensions import db
from tests.conftest import PG_URL

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def test_upgrade_matches_models(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_audit_log_is_append_only(app, world):
    from app.models import AuditLog

    assert db.session.query(AuditLog).count() > 0
    db.session.commit()
    for stmt in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        try:
            with db.engine.begin() as conn:
                conn.execute(text(stmt))
        except Exception as e:  # noqa: BLE001 - either dialect's error type
            assert "append-only" in str(e)
        else:
            raise AssertionError(f"{stmt} was accepted")
    db.session.expire_all()
    assert db.session.query(AuditLog).count() > 0


def _tally_triggers(conn) -> list[tuple]:
    """The tallies' triggers (and PostgreSQL's functions) as the database holds them."""
    if conn.dialect.name == "postgresql":
        here = "to_regnamespace(current_schema())"
        return [tuple(r) for r in conn.execute(text(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE t.tgname LIKE 'task_tallies%' AND NOT t.tgisinternal AND c.relnamespace = {here} "
            "UNION ALL SELECT p.proname, p.prosrc FROM pg_proc p "
            f"WHERE p.proname LIKE 'task_tallies%' AND p.pronamespace = {here} ORDER BY 1"))]
    return [tuple(r) for r in conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'task_tallies%' ORDER BY name"))]


def test_the_tallies_triggers_the_migrations_leave_are_the_ones_the_app_writes(app):
    """Migration 0017 carries its own frozen copy of the trigger text; the app's
    app/dashboard/tallies.py (whose recount `flask tallies check` and the tests compare the
    table with) must write the same triggers, or a later change to it needs a migration."""
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        migrated = _tally_triggers(conn)
        assert len(migrated) == (6 if dialect == "postgresql" else 4)
        for statement in tallies.drop_sql(dialect) + tallies.create_sql(dialect):
            conn.execute(text(statement))
        assert _tally_triggers(conn) == migrated
        conn.rollback()


@pytest.mark.parametrize("name", ["0017_tallies.py", "0018_tidy.py"])
def test_the_trigger_migrations_do_not_import_the_app_s_trigger_text(name):
    """A migration must not change when app code changes: each writes its own SQL."""
    source = (VERSIONS / name).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+app\b", source, re.MULTILINE)


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of its own (a SQLite file, or a fresh PostgreSQL schema), to step
    through the migrations one at a time."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'steps.db'}"
        return
    schema = f"sauro_steps_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


TITLES = ["Đánh giá chỉ số hài lòng của người dân", "Dự thảo quy chế phối hợp liên ngành",
          "Ứng dụng công nghệ thông tin trong điều hành", "  Ủy quyền   ký văn bản  ", ""]


def _rows_of_0004(conn, n_tasks: int) -> None:
    """A unit, a person, a plan and `n_tasks` tasks with a process step each, written as
    revision 0004 knew them (no title_sort)."""
    now = datetime(2026, 1, 2, 8, 0)
    conn.execute(text("INSERT INTO units (code, name, name_folded, name_sort, kind, path, is_active, "
                      "created_at) VALUES ('SNV', 'Sở Nội vụ', 'so noi vu', '', 'department', '/1/', "
                      "true, :now)"), {"now": now})
    conn.execute(text("INSERT INTO users (username, full_name, name_folded, name_sort, password_hash, "
                      "unit_id, role, is_active, session_token, email_digest, created_at) VALUES "
                      "('staff', 'Phạm Văn Đăng', 'pham van dang', '', 'x', 1, 'staff', true, 't', "
                      "false, :now)"), {"now": now})
    conn.execute(text("INSERT INTO plans (unit_id, year, kind, title, status, created_at, version) "
                      "VALUES (1, 2026, 'cchc', 'Kế hoạch', 'issued', :now, 1)"), {"now": now})
    conn.execute(text(
        "INSERT INTO tasks (id, plan_id, owner_unit_id, stt, order_key, title, title_folded, "
        "description, responsibility, output_product, indicator_name, indicator_unit, weight, "
        "progress, status, cancel_reason, is_clear, created_at, updated_at, version, extension_count) "
        "VALUES (:id, 1, 1, :stt, :stt, :title, '', '', '', '', '', '', 1, 0, 'assigned', '', false, "
        ":now, :now, 1, 0)"),
        [{"id": i, "stt": str(i), "title": TITLES[i % len(TITLES)], "now": now}
         for i in range(1, n_tasks + 1)])
    conn.execute(text("INSERT INTO process_steps (task_id, position, title, is_done) "
                      "VALUES (:id, 1, 'Dự thảo', false)"), [{"id": i} for i in range(1, n_tasks + 1)])


def _counts(conn) -> tuple[int, int]:
    return (conn.execute(text("SELECT COUNT(*) FROM tasks")).scalar(),
            conn.execute(text("SELECT COUNT(*) FROM process_steps")).scalar())


def test_0005_fills_every_title_key_and_steps_down_and_up_keeping_the_rows(scratch_url):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.models.task import title_sort_key
    from config import TestConfig

    n = 2345  # three batches of the migration's 1,000
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            _rows_of_0004(conn, n)

        def keys() -> dict[int, str]:
            with db.engine.connect() as conn:
                assert _counts(conn) == (n, n)  # no rebuild of tasks took its steps along
                return dict(conn.execute(text("SELECT id, title_sort FROM tasks")).all())

        upgrade()
        want = {i: title_sort_key(TITLES[i % len(TITLES)]) for i in range(1, n + 1)}
        assert keys() == want
        assert want[3] == title_sort_key("Ủy quyền ký văn bản")  # spacing does not count
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, db.metadata) == []

        downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert "title_sort" not in {c["name"] for c in inspect(conn).get_columns("tasks")}
            assert _counts(conn) == (n, n)
        upgrade()
        assert keys() == want
        db.engine.dispose()


def test_0006_marks_past_imported_completions_and_not_confirmed_ones(scratch_url):
    """Issue 11, item 11: a task completed without a confirmation (a past import) is marked
    imported, with its creator and creation time; a confirmed one is not; an open one is not."""
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0005")
        created = datetime(2026, 1, 2, 8, 0)
        with db.engine.begin() as conn:
            _rows_of_0004(conn, 3)
            conn.execute(text("UPDATE tasks SET created_by_id = 1, title_sort = ''"))
            conn.execute(text("UPDATE tasks SET status = 'completed', progress = 100, "
                              "completed_on = :d, submitted_on = :d WHERE id IN (1, 2)"),
                         {"d": datetime(2026, 3, 1).date()})
            conn.execute(text("INSERT INTO audit_log (at, actor_id, action, object_type, object_id, "
                              "task_id, comment, changes) VALUES (:at, 1, 'task.confirm', 'task', 2, "
                              "2, '', '{}')"), {"at": datetime(2026, 3, 2, 9, 0)})
        upgrade()
        with db.engine.connect() as conn:
            rows = {r.id: (r.completion_imported_by_id, r.completion_imported_at)
                    for r in conn.execute(text("SELECT id, completion_imported_by_id, "
                                               "completion_imported_at FROM tasks ORDER BY id"))}
        at = rows[1][1]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        assert rows[1][0] == 1 and at == created   # completed by an import: marked
        assert rows[2] == (None, None)                  # confirmed: not marked
        assert rows[3] == (None, None)                  # still open: not marked
        db.engine.dispose()
