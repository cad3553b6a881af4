"""`flask db upgrade` on an empty database gives exactly the schema of the models."""

import re
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.dashboard import fragments, tallies
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


def _tally_triggers(conn, prefix: str = "task_tallies") -> list[tuple]:
    """The tallies' (or another prefix's) triggers and PostgreSQL's functions as the database
    holds them."""
    if conn.dialect.name == "postgresql":
        here = "to_regnamespace(current_schema())"
        return [tuple(r) for r in conn.execute(text(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE t.tgname LIKE '{prefix}%' AND NOT t.tgisinternal AND c.relnamespace = {here} "
            "UNION ALL SELECT p.proname, p.prosrc FROM pg_proc p "
            f"WHERE p.proname LIKE '{prefix}%' AND p.pronamespace = {here} ORDER BY 1, 2"))]
    return [tuple(r) for r in conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        f"AND name LIKE '{prefix}%' ORDER BY name"))]


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


def test_the_home_token_triggers_the_migrations_leave_are_the_ones_the_app_writes(app):
    """Migration 0022 (0020 before it) carries its own frozen copy of
    app/dashboard/fragments.py's triggers (the home page's cache tokens): the app's text must
    still be what the database holds."""
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        migrated = _tally_triggers(conn, "data_versions")
        # PostgreSQL: 5 functions, 4 triggers on each of the 4 tables renewing `home` and 6 on
        # each of the 3 with departments (a note per event), one on data_versions; SQLite: 3
        # on each table, a fourth (an UPDATE that moves the row) on those 3, one on
        # data_versions.
        assert len(migrated) == (5 + 4 * 4 + 6 * 3 + 1 if dialect == "postgresql" else 3 * 7 + 3 + 1)
        for statement in fragments.drop_sql(dialect) + fragments.create_sql(dialect):
            conn.execute(text(statement))
        assert _tally_triggers(conn, "data_versions") == migrated
        conn.rollback()


@pytest.mark.parametrize("name", ["0017_tallies.py", "0019_tidy.py", "0020_perfhome2.py",
                                  "0022_perfscope.py"])
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


def test_0018_stores_the_deputies_fields_of_every_finalized_sheet(scratch_url):
    """Red team, session 7: a finalized sheet keeps its deputies' fields. Sheets finalized
    before 0018 are filled from the fields as they are then (deputies of the sheet's unit
    only; a staff member's fields are not a deputy's); open and submitted sheets get none
    (their results follow the live fields). Tasks added after their plan's issue by anyone
    but a head over the plan's unit are marked `head_confirms`."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0017_tallies")
        now = datetime(2026, 1, 2, 8, 0)
        with db.engine.begin() as conn:
            _rows_of_0004(conn, 4)
            conn.execute(text("INSERT INTO users (username, full_name, name_folded, name_sort, "
                              "password_hash, unit_id, role, is_active, session_token, "
                              "email_digest, created_at) VALUES (:u, :u, :u, '', 'x', 1, :r, true, "
                              ":u, false, :now)"),
                         [{"u": "pho", "r": "deputy", "now": now},
                          {"u": "pho2", "r": "deputy", "now": now},
                          {"u": "truong", "r": "head", "now": now}])
            # Tasks added after issue (bổ sung): 1 before issue, 2 by the deputy, 3 by the
            # head, 4 by the command line.
            conn.execute(text("UPDATE plans SET issued_at = :at"), {"at": datetime(2026, 1, 3)})
            for tid, by in ((2, 2), (3, 4), (4, None)):
                conn.execute(text("UPDATE tasks SET created_at = :at, created_by_id = :by "
                                  "WHERE id = :id"),
                             {"at": datetime(2026, 1, 5), "by": by, "id": tid})
            conn.execute(text("INSERT INTO fields (name, name_sort) VALUES ('Kinh tế', 'a'), "
                              "('Nội chính', 'b')"))
            conn.execute(text("INSERT INTO user_fields (user_id, field_id) VALUES (2, 1), (2, 2), "
                              "(1, 1)"))
            conn.execute(text("INSERT INTO indicator_sets (name, year, unit_group, version, status, "
                              "max_points, created_at) VALUES (:n, 2026, 'department', :v, "
                              "'published', 100, :now)"),
                         [{"n": f"Bộ {v}", "v": v, "now": now} for v in (1, 2, 3)])
            conn.execute(text("INSERT INTO quality_sheets (set_id, unit_id, status, version) "
                              "VALUES (1, 1, 'published', 1), (2, 1, 'appraised', 1), "
                              "(3, 1, 'submitted', 1)"))
        upgrade()

        def stored():
            with db.engine.connect() as conn:
                return sorted(conn.execute(text(
                    "SELECT sheet_id, user_id, field_id FROM quality_sheet_fields")).all())

        assert stored() == [(1, 2, 1), (1, 2, 2), (2, 2, 1), (2, 2, 2)]
        with db.engine.connect() as conn:
            flags = dict(conn.execute(text("SELECT id, head_confirms FROM tasks")).all())
        assert {k: bool(v) for k, v in flags.items()} == {1: False, 2: True, 3: False, 4: True}
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, db.metadata) == []
        downgrade(revision="0017_tallies")
        with db.engine.connect() as conn:
            assert "quality_sheet_fields" not in inspect(conn).get_table_names()
        upgrade()
        assert stored() == [(1, 2, 1), (1, 2, 2), (2, 2, 1), (2, 2, 2)]
        db.engine.dispose()


def test_0021_keeps_what_frozen_runs_counted(scratch_url):
    """A frozen run keeps what it counted: task rows frozen before 0021 counted their typed
    weight, so their unit and leader weights are filled with it and the leader's credit
    with the credit; downgrading drops the three columns and keeps the rows."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0020_perfhome2")
        now = datetime(2026, 1, 2, 8, 0)
        with db.engine.begin() as conn:
            _rows_of_0004(conn, 2)
            conn.execute(text("INSERT INTO assessment_runs (period, period_start, period_end, as_of, "
                              "scope_key, version, settings, created_at) VALUES ('2026', "
                              "'2026-01-01', '2026-12-31', '2026-06-30', 'all', 1, '{}', :now)"),
                         {"now": now})
            conn.execute(text(
                "INSERT INTO assessment_task_rows (run_id, task_id, unit_id, unit_code, stt, title, "
                "assignee_name, leader_name, status, outcome, weight, credit, extensions, "
                "amendments, is_imported, counts_for_unit, counts_for_leader) VALUES (1, :t, 1, "
                "'SNV', :s, 'x', '', '', 'completed', 'late', CAST(:w AS NUMERIC(8, 2)), "
                "CAST(:c AS NUMERIC(14, 4)), 0, 0, false, true, true)"),
                [{"t": 1, "s": "1", "w": "1.5", "c": "1.125"}, {"t": 2, "s": "2", "w": "3", "c": "0"}])
        # To the head: the schema compared below is the models' (later revisions add columns).
        upgrade()

        def stored():
            with db.engine.connect() as conn:
                return [tuple(Decimal(str(v)) for v in r) for r in conn.execute(text(
                    "SELECT weight, unit_weight, leader_weight, credit, leader_credit "
                    "FROM assessment_task_rows ORDER BY task_id")).all()]

        assert stored() == [(Decimal("1.5"),) * 3 + (Decimal("1.125"),) * 2,
                            (Decimal(3),) * 3 + (Decimal(0),) * 2]
        upgrade()  # the later revisions' indexes, which the models hold too
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, db.metadata) == []
        downgrade(revision="0020_perfhome2")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("assessment_task_rows")}
            assert "unit_weight" not in columns and "leader_credit" not in columns
            assert conn.execute(text("SELECT COUNT(*) FROM assessment_task_rows")).scalar() == 2
        db.engine.dispose()


def test_0023_marks_the_work_added_after_issue_and_leaves_old_runs_unknown(scratch_url):
    """Tasks created after their plan was issued are marked added (bổ sung), whoever created
    them, and so are the sub-tasks of added work, level by level; a task in the plan before
    issue, or of a plan never issued, is not. Runs frozen before 0023 did not count additions:
    their rows stay NULL (shown "—"). Downgrading drops the columns and keeps the rows."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0022_perfscope")
        now = datetime(2026, 1, 2, 8, 0)
        with db.engine.begin() as conn:
            _rows_of_0004(conn, 5)
            conn.execute(text("UPDATE plans SET issued_at = :at"), {"at": datetime(2026, 1, 3)})
            # 1: in the plan at issue; 2: added after; 3 and 4: its sub-task and grand-sub-task
            # (dated before issue, so only the breakdown marks them); 5: a sub-task of 1.
            conn.execute(text("UPDATE tasks SET created_at = :at WHERE id = 2"),
                         {"at": datetime(2026, 1, 5)})
            conn.execute(text("UPDATE tasks SET parent_id = :p WHERE id = :id"),
                         [{"p": 2, "id": 3}, {"p": 3, "id": 4}, {"p": 1, "id": 5}])
            # A plan never issued, with a task created late.
            conn.execute(text("INSERT INTO plans (unit_id, year, kind, title, status, created_at, "
                              "version) VALUES (1, 2026, 'work', 'Nháp', 'draft', :now, 1)"),
                         {"now": now})
            conn.execute(text(
                "INSERT INTO tasks (id, plan_id, owner_unit_id, stt, order_key, title, "
                "title_folded, description, responsibility, output_product, indicator_name, "
                "indicator_unit, weight, progress, status, cancel_reason, is_clear, created_at, "
                "updated_at, version, extension_count) VALUES (6, 2, 1, '1', '1', 'x', '', '', "
                "'', '', '', '', 1, 0, 'assigned', '', false, :at, :at, 1, 0)"),
                {"at": datetime(2026, 2, 1)})
            conn.execute(text("INSERT INTO assessment_runs (period, period_start, period_end, as_of, "
                              "scope_key, version, settings, created_at) VALUES ('2026', "
                              "'2026-01-01', '2026-12-31', '2026-06-30', 'all', 1, '{}', :now)"),
                         {"now": now})
            conn.execute(text(
                "INSERT INTO assessment_unit_rows (run_id, unit_id, unit_code, unit_name, unit_path, "
                "unit_kind, tasks, fallen_due, on_time, late, overdue, within, excluded, weight_due, "
                "credit, grade, extensions, amendments, cancellations, final_decision_no, "
                "final_reason) VALUES (1, 1, 'SNV', 'Sở Nội vụ', '/1/', 'department', 1, 1, 1, 0, 0, "
                "0, 0, 1, 1, 'excellent', 0, 0, 0, '', '')"))
            conn.execute(text(
                "INSERT INTO assessment_task_rows (run_id, task_id, unit_id, unit_code, stt, title, "
                "assignee_name, leader_name, status, outcome, weight, unit_weight, leader_weight, "
                "credit, leader_credit, extensions, amendments, is_imported, counts_for_unit, "
                "counts_for_leader) VALUES (1, 2, 1, 'SNV', '2', 'x', '', '', 'completed', "
                "'on_time', 1, 1, 1, 1, 1, 0, 0, false, true, true)"))
        upgrade(revision="0023_additions")
        with db.engine.connect() as conn:
            flags = {k: bool(v) for k, v in conn.execute(
                text("SELECT id, added_after_issue FROM tasks")).all()}
            old = (conn.execute(text("SELECT additions FROM assessment_unit_rows")).scalar(),
                   conn.execute(text("SELECT added_after_issue FROM assessment_task_rows")).scalar())
        assert flags == {1: False, 2: True, 3: True, 4: True, 5: False, 6: False}
        assert old == (None, None)
        downgrade(revision="0022_perfscope")
        with db.engine.connect() as conn:
            assert "added_after_issue" not in {c["name"] for c in inspect(conn).get_columns("tasks")}
            assert "additions" not in {c["name"] for c in
                                       inspect(conn).get_columns("assessment_unit_rows")}
            assert conn.execute(text("SELECT COUNT(*) FROM tasks")).scalar() == 6
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM tasks WHERE added_after_issue = true")
                                ).scalar() == 3
            # The models are the schema at the head (later migrations add to 0023's).
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, db.metadata) == []
        db.engine.dispose()
