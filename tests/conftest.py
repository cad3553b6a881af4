"""Fixtures: the app (one per session, each test in a transaction rolled back; a database of
its own for a test marked `real_database`), a client, the world, and factories for the model."""

import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from app import create_app
from app.clock import local_today
from app.extensions import db
from app.settings import KEY as SETTINGS_KEY
from app.settings import Settings, current_settings
from config import TestConfig
from tests.support.databases import (
    PG_URL,
    close_worlds,
    copy_template,
    migrate,
    new_schema,
)
from tests.support.rollback import RollbackDatabase
from tests.support.routing import share_url_builders
from tests.support.world import build_world

share_url_builders()   # every test builds an app: compile each URL builder once per session

if os.environ.get("SAURO_TIMING"):   # where the time goes, per module and worker
    pytest_plugins = ["tests.support.timing"]

PASSWORD = "Mat-khau-thu-2026"
TODAY = date(2026, 6, 15)


_migrate = migrate  # the name other modules knew


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated database: a template SQLite file, or a private PostgreSQL schema."""
    if PG_URL:
        url, drop = new_schema("sauro_test")
        migrate(url)
        info = {"kind": "postgresql", "url": url}
        yield info
        close_worlds(info)
        drop()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        migrate(f"sqlite:///{path}")
        info = {"kind": "sqlite", "path": path}
        yield info
        close_worlds(info)


def database_url(database, tmp_path: Path) -> str:
    """A database for one test: a copy of the SQLite template, or the session's schema."""
    if database["kind"] == "sqlite":
        return copy_template(database, tmp_path)
    return database["url"]


def truncate_engine(engine) -> None:
    """Empty every table and restart the ids (PostgreSQL). Triggers (the audit log's
    append-only guard, foreign keys) are off for this transaction only; DELETE on
    these small tables is far faster than TRUNCATE, which rewrites every table."""
    with engine.begin() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        for t in reversed(db.metadata.sorted_tables):
            c.execute(text(f'DELETE FROM "{t.name}"'))
        c.execute(text("SELECT setval(format('%I.%I', sequence_schema, sequence_name)::regclass, 1, false) "
                       "FROM information_schema.sequences WHERE sequence_schema = current_schema()"))


def truncate_all(url: str) -> None:
    engine = create_engine(url)
    truncate_engine(engine)
    engine.dispose()


_SHARED: dict = {}


def _shared_engine(database):
    """One engine for every test's app, so SQLAlchemy compiles each statement once
    per session instead of once per test (most of a small test's time). On SQLite
    its connections open whichever file the current test copied."""
    if "engine" not in _SHARED:
        if database["kind"] == "sqlite":
            import sqlite3

            _SHARED["engine"] = create_engine(
                "sqlite://",  # the creator opens the current test's file
                creator=lambda: sqlite3.connect(_SHARED["path"], check_same_thread=False))
        else:
            engine = create_engine(database["url"], pool_pre_ping=True)

            @event.listens_for(engine, "connect")
            def _fast_commits(dbapi_conn, _record):
                # Tests need no durability: commits stop waiting for the disk.
                with dbapi_conn.cursor() as cur:
                    cur.execute("SET synchronous_commit TO off")
                dbapi_conn.commit()

            _SHARED["engine"] = engine
    return _SHARED["engine"]


def _real_app(database, tmp_path):
    """An app on a database of the test's own: a copy of the SQLite template, or the
    session's PostgreSQL schema emptied after the test."""
    url = database_url(database, tmp_path)
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url,
                             UPLOAD_FOLDER=str(tmp_path / "uploads"), TODAY=TODAY)
    engine = _shared_engine(database)
    if database["kind"] == "sqlite":
        _SHARED["path"] = url[len("sqlite:///"):]
    engine.dispose()
    engines = db._app_engines[application]
    own = engines[None]
    engines[None] = engine
    own.dispose()
    with application.app_context():
        yield application
        db.session.remove()
        if database["kind"] == "postgresql":
            truncate_engine(engine)
        engine.dispose()


# ---- isolation: a transaction rolled back per test, or a real database ----------------------
# Most tests run on the session's one app and one connection, inside a transaction rolled back
# at the end of the test (tests/support/rollback.py). Tests about the database itself keep a
# database of their own: the modules below, and any test marked `real_database`.

REAL_DATABASE_MODULES: tuple[str, ...] = (
    "tests/services/test_sqlite_config.py",   # SQLite's locks, pragmas and BEGIN statements
    "tests/test_migrations.py",               # DDL, every revision
    "tests/test_scheduler_processes.py",      # other processes on the database
    "tests/reliability/test_backup_restore.py",   # files, raw connections, dispose()
    "tests/reliability/test_concurrent_writes.py",  # threads, several connections, locks
    "tests/reliability/test_load.py",         # threads and servers
    "tests/api/test_rate_limit.py",           # two app instances, each with its own engine
)


# ---- distribution over the xdist workers (`make test`: -n 2 --dist loadgroup) --------------
# Each test class, or each module's functions, is one work unit (a group), as under loadscope,
# so a module's world is built once per worker that runs it. The modules below are cut into
# several groups (contiguous runs of their tests; each group builds the module's world on the
# worker that takes it), so that no one module keeps a worker busy while the other is idle.
# The groups are handed out costliest first (the estimate below), so the many small modules fill in at the end and both
# workers finish together. Only the order and the grouping change: every test runs as it would.
SPLIT_MODULES: dict[str, int] = {
    "tests/web/test_bad_input.py": 8,      # ~60 forms and ~30 pages fuzzed x 200 examples
    "tests/web/test_permissions.py": 4,    # ~2,360 cases of the authorization matrix
}
# Seconds of a module on one worker (rough: worker CPU measured on the loaded 2-core machine,
# SAURO_TIMING), where it costs far more than the ~0.1 s per test of most; only the order of
# the groups depends on it. Per database: PostgreSQL answers each statement from another
# process, so the modules that read or write much cost it 1.5-3 times what they cost SQLite,
# and an order taken from SQLite left one worker running ~9 minutes after the other.
MODULE_COST: dict[str, dict[str, float]] = {
    "sqlite": {
        "tests/web/test_bad_input.py": 250, "tests/web/test_permissions.py": 300,
        "tests/reliability/test_csrf.py": 100, "tests/reliability/test_data_scoping.py": 50,
        "tests/reliability/test_xss.py": 35, "tests/reliability/test_tampering_import.py": 25,
        "tests/reliability/test_backup_restore.py": 25,
        "tests/reliability/test_mass_assignment.py": 25,
        "tests/reliability/test_login_throttling.py": 20,
        "tests/reliability/test_audit_trail.py": 20,
        "tests/reliability/test_export_injection.py": 15, "tests/reliability/test_tampering.py": 10,
        "tests/api/test_schemathesis.py": 60, "tests/test_scheduler_processes.py": 25,
        "tests/test_two_servers.py": 20,
        # session 9 (client CPU, one process, loaded machine): three demo seeds of ~4-8 s
        # (was a file copy and an app per test), the 20,000 filler tasks once per module,
        # test_task_rows_stream's 20,000 rows written and read back as XLSX and CSV
        "tests/services/test_demo.py": 25, "tests/test_indexes.py": 12,
        "tests/services/test_assessment_export.py": 15,
    },
    "postgresql": {},    # below
}
# PostgreSQL: measured (worker CPU, SAURO_TIMING, 07/12/2026, see docs/testing.md) where a
# run got that far; the fuzzers as measured in one process after the write counter (the 63
# forms 246 s of client CPU; 590 s before it); the rest SQLite's estimate x 1.5, to be
# replaced by the lines of `python -m tests.support.timing DIR --costs` from a whole
# PostgreSQL run. SQLite's fuzzers: 501 s -> 312 s in one process (was estimated at 400).
MODULE_COST["postgresql"] = {path: 1.5 * cost for path, cost in MODULE_COST["sqlite"].items()} | {
    # the matrix and the CSRF group since snapshot.current() reads only the tables that
    # moved (session 9: 43 % and 30 % fewer round trips; 109 and 37 before)
    # the fuzzers: 50 random examples and the edge cases since session 10 (~43 % of the
    # 18,600 requests of 200 examples; was 400)
    "tests/web/test_bad_input.py": 180, "tests/web/test_permissions.py": 65,
    "tests/api/test_schemathesis.py": 44, "tests/reliability/test_csrf.py": 25,
    # Mostly waiting for other processes (DDL of every revision; pg_dump beside writers), so
    # seconds of wall time on a quiet machine rather than the worker's CPU (2-3 s each).
    "tests/test_migrations.py": 15, "tests/reliability/test_backup_restore.py": 40,
    # Session 9, estimated wall time on the quiet machine (the SAURO_TIMING run of session 8
    # scaled by what changed; they had been counted at 0.1 s a test, so they ran last):
    # test_demo seeds 3 times instead of 16 (118 s before), test_indexes fills once instead
    # of 9 times (38 s before), test_task_rows_stream no longer plans without statistics
    # (61 s before; the 20,000 inserts, ~10 s of triggers on the server, remain).
    "tests/services/test_demo.py": 35, "tests/test_indexes.py": 12,
    "tests/services/test_assessment_export.py": 30,
}
# (any other module: 0.1 s a test; an e2e module 3 s)
# In a module of MODULE_COST, the tests that carry its cost (the others ~0.1 s each).
_HEAVY_PREFIX = {"tests/web/test_bad_input.py": "test_fuzz"}


def _costs(items) -> dict:
    """{item: estimated seconds}."""
    costs = MODULE_COST["postgresql" if PG_URL else "sqlite"]
    by_module: dict[str, list] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    out = {}
    for path, its in by_module.items():
        total = costs.get(path, 3.0 if path.startswith("tests/e2e/") else None)
        prefix = _HEAVY_PREFIX.get(path, "test")
        heavy = [i for i in its if i.name.startswith(prefix)]
        for item in its:
            out[item] = total / len(heavy) if total and item in heavy else 0.1
    return out


def _groups(items) -> dict:
    """{item: group name}: the loadscope unit, or a part of a module of SPLIT_MODULES."""
    by_module: dict[str, list] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    out = {}
    for path, its in by_module.items():
        parts = SPLIT_MODULES.get(path, 1)
        if parts == 1:
            for item in its:
                out[item] = item.nodeid.rsplit("::", 1)[0]
            continue
        prefix = _HEAVY_PREFIX.get(path, "test_")
        heavy = sum(1 for i in its if i.name.startswith(prefix))
        per_part, seen = -(-heavy // parts), 0
        for item in its:
            out[item] = f"{path}#{min(seen // per_part, parts - 1) + 1}"
            seen += item.name.startswith(prefix)
    return out


def _suffix_group(item, group: str) -> None:
    """The test id with its group, `path::test[params]@group`, which is what loadgroup's
    scheduler reads on the controller. pytest-xdist 3.8 writes it to `item._nodeid`, which
    pytest 9.2 no longer reads (`Node.nodeid` is `str(item._id)`), so without this every
    test was a group of its own. Under a pytest that still keeps `_nodeid`, xdist's own hook
    does it."""
    if not hasattr(item, "_id"):
        return
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)   # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::")[0]
        if path in REAL_DATABASE_MODULES:
            item.add_marker(pytest.mark.real_database)
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    groups, costs = _groups(items), _costs(items)
    cost: dict[str, float] = {}
    for item, group in groups.items():
        cost[group] = cost.get(group, 0.0) + costs[item]
        item.add_marker(pytest.mark.xdist_group(group))
        _suffix_group(item, group)
    # costliest group first; the tests of a group keep their order
    rank = {g: (-cost[g], g) for g in cost}
    items.sort(key=lambda item: rank[groups[item]])


@pytest.fixture(scope="session")
def rollback_database(database, tmp_path_factory):
    """The session's database on one connection, every test in a transaction rolled back."""
    if database["kind"] == "sqlite":
        url = copy_template(database, tmp_path_factory.mktemp("rollback"))
    else:
        url = database["url"]
    rdb = RollbackDatabase(url)
    yield rdb
    rdb.close()


@pytest.fixture(scope="session")
def shared_app(rollback_database, tmp_path_factory):
    """The one app of the rolled-back tests (the app of TestConfig with TODAY): building an
    app per test cost more than most tests. Each test starts from its config as built."""
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=str(rollback_database.engine.url),
                             UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")), TODAY=TODAY)
    engines = db._app_engines[application]
    own = engines[None]
    engines[None] = rollback_database.engine
    own.dispose()
    application.sauro_pristine = (dict(application.config), dict(application.extensions))
    return application


def _rolled_back_app(request, tmp_path):
    rdb = request.getfixturevalue("rollback_database")
    application = request.getfixturevalue("shared_app")
    config, extensions = application.sauro_pristine
    application.config.clear()
    application.config.update(config)
    application.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    application.extensions.clear()
    application.extensions.update(extensions)
    application.extensions[SETTINGS_KEY] = Settings.from_config(application.config)
    if "world" in request.fixturenames:
        request.getfixturevalue("prebuilt_world")   # built before the test's transaction
    rdb.begin_test()
    try:
        with application.app_context():
            yield application
            db.session.remove()
    finally:
        rdb.end_test()
    left = rdb.leftovers()
    if left:
        rdb.clear()
        pytest.fail(f"{request.node.nodeid} committed past its rolled-back transaction "
                    f"(rows left in {left[:5]}): mark it real_database", pytrace=False)


@pytest.fixture
def app(request, database, tmp_path):
    """The app of one test, in an app context. Rolled back (the shared app on the one
    connection) unless the test is marked `real_database`."""
    if request.node.get_closest_marker("real_database"):
        yield from _real_app(database, tmp_path)
    else:
        yield from _rolled_back_app(request, tmp_path)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context and database session, as in
    production; the test's own pending work is committed first so that the
    request sees it (and, on SQLite, the test holds no write lock)."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds units, users, plans and tasks through the services, committed."""

    def __init__(self):
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def unit(self, name=None, parent=None, code=None):
        from app.directory import units

        n = self._next()
        u = units.add_unit(code or f"U{n}", name or f"Đơn vị {n}", parent.code if parent else None)
        db.session.commit()
        return u

    def user(self, unit, role="staff", name=None, username=None):
        from app.directory import users

        n = self._next()
        u = users.add_user(username or f"user{n}", name or f"Người dùng {n}", unit.code, role,
                           PASSWORD, check_policy=False)
        db.session.commit()
        return u

    def plan(self, unit, year=2026, kind="cchc", title=None):
        from app.models import Plan

        p = Plan(unit_id=unit.id, year=year, kind=kind, title=title or f"Kế hoạch CCHC năm {year}")
        db.session.add(p)
        db.session.commit()
        return p

    def task_input(self, lead_unit, assignee, leader, **kw):
        from app.tasks.commands import StepInput, TaskInput

        data = dict(  # noqa: C408 - written like the TaskInput it fills
            title="Xây dựng bộ chỉ số đánh giá chất lượng hoạt động",
            description="Xây dựng và ban hành bộ chỉ số áp dụng cho các sở, ngành.",
            assignee_id=assignee.id if assignee else None,
            lead_unit_id=lead_unit.id if lead_unit else None,
            leader_id=leader.id if leader else None,
            responsibility="Chịu trách nhiệm dự thảo và trình ban hành đúng hạn.",
            steps=[StepInput("Dự thảo bộ chỉ số", date(2026, 3, 1)),
                   StepInput("Lấy ý kiến các sở, ngành", date(2026, 4, 1))],
            start_on=date(2026, 1, 15), due_on=date(2026, 6, 30),
            output_product="Quyết định ban hành bộ chỉ số",
            weight=Decimal(1),
        )
        data.update(kw)
        return TaskInput(**data)

    def task(self, plan, actor, lead_unit, assignee, leader, parent=None, **kw):
        from app.tasks import commands as tasks

        t = tasks.create_task(actor, plan.id, self.task_input(lead_unit, assignee, leader, **kw),
                              parent_id=parent.id if parent else None, today=local_today(), settings=current_settings().task_rules)
        db.session.commit()
        return t

    def legacy_task(self, plan, actor, lead_unit, assignee, leader, **kw):
        """A task the task rule set of issue 11 now refuses on create and edit, as databases
        made before it hold (such rows stay and every page must still read them): led by a unit
        outside the plan's subtree, a head as both person and leader, or added to an issued
        plan already past due. Created led by the plan's unit, then moved."""
        from types import SimpleNamespace

        from app.models import Plan, PlanStatus, Task
        from app.tasks import commands as tasks

        row_plan = db.session.get(Plan, plan.id)
        status = row_plan.status
        # Before issue 11 such a task could also be added to an issued plan unclear or already
        # past due (refused since): it is written as a draft's would be, the status kept.
        row_plan.status = PlanStatus.DRAFT
        db.session.commit()
        try:
            t = self.task(plan, actor, SimpleNamespace(id=plan.unit_id), None, None, **kw)
        finally:
            db.session.rollback()
            db.session.get(Plan, plan.id).status = status
            db.session.commit()
        row = db.session.get(Task, t.id)
        row.lead_unit_id = lead_unit.id if lead_unit else None
        row.assignee_id = assignee.id if assignee else None
        row.leader_id = leader.id if leader else None
        tasks.refresh_clear(row)
        db.session.commit()
        return db.session.get(Task, t.id)


# A real (tiny) PDF: evidence is checked by content, not by name.
EVIDENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
                b"trailer<</Root 1 0 R>>\n%%EOF\n")


def attach_evidence(actor, task_id: int, name: str = "bao-cao-ket-qua.pdf"):
    """An evidence file on a task, uploaded by `actor` (flushed, not committed): a task is
    submitted with evidence (DESIGN.md 4)."""
    from app.models import Task
    from app.tasks import evidence

    return evidence.store(actor, db.session.get(Task, task_id),
                          [evidence.Upload(name, EVIDENCE_PDF)], None, current_settings().files)[0]


def submit_with_evidence(actor, task_id: int, note: str, today: date):
    """Submit a task for confirmation as its page does, with an evidence file attached."""
    from app.tasks import commands as tasks
    from app.tasks import evidence

    return tasks.submit_task(actor, task_id, note, today,
                             [evidence.Upload("bao-cao-ket-qua.pdf", EVIDENCE_PDF)],
                             current_settings().files)


@pytest.fixture
def make(app):
    return Factory()


@pytest.fixture(scope="session")
def prebuilt_world(rollback_database, shared_app):
    """The world built once per session through the services, in a transaction rolled back:
    its rows, the keys of its objects, and where the factory's counter stood."""
    from tests.support.snapshot import dump
    from tests.support.world import world_keys

    with rollback_database.aside(), shared_app.app_context():
        factory = Factory()
        keys = world_keys(build_world(factory))
        rows = dump()
        db.session.remove()
    return {"keys": keys, "rows": rows, "count": factory.n}


@pytest.fixture
def world(request, make):
    """Two units under a province: in each a head, a deputy and two staff; one plan each
    (tests/support/world.py). In a rolled-back test its rows, built once per session, are
    inserted (ids included) and its objects read back as the builder leaves them: committed,
    so expired; the factory goes on counting from where building it left off."""
    if request.node.get_closest_marker("real_database"):
        return build_world(make)
    from tests.support.snapshot import insert_dump
    from tests.support.world import load_world

    prebuilt = request.getfixturevalue("prebuilt_world")
    insert_dump(db.session.connection(), prebuilt["rows"])
    db.session.commit()
    make.n = prebuilt["count"]
    return load_world(prebuilt["keys"])


def issue_plans(*plans) -> None:
    """Issue plans (committed). Straight to the column: the test is not about issuing.
    Build a plan's tasks while it is a draft, then issue it: since issue 11 a task added to
    an issued plan may not be due before today (make.legacy_task builds the older rows)."""
    from sqlalchemy import update

    from app.models import Plan

    db.session.execute(update(Plan).where(Plan.id.in_([p.id for p in plans]))
                       .values(status="issued"))
    db.session.commit()


def issue_world_plans(w) -> None:
    """Issue the world's two plans (committed): DESIGN.md 4, tasks of draft plans are not
    flagged, reminded or scored, so tests about overdue work and scores issue them, after
    building their tasks (see issue_plans)."""
    issue_plans(w.plan, w.plan_b)


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def as_user(client):
    def _as(username):
        client.post("/logout")
        resp = login(client, username)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client
    return _as


# ---- figures ------------------------------------------------------------------
# Groups that measure something print a line such as "[concurrency] lost=0 of 4000";
# they are gathered here (also from xdist workers) and shown at the end of the run.
_FIGURES: list[str] = []


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for line in (report.capstdout or "").splitlines():
        if line.startswith("[") and "]" in line[:40]:
            _FIGURES.append(line.rstrip())


_WORKER_FIGURES: list[dict] = []


def pytest_sessionfinish(session):
    """On an xdist worker: hand the fuzzers' counts to the controller (tests/support/figures)."""
    out = getattr(session.config, "workeroutput", None)
    module = next((m for name, m in list(sys.modules.items())
                   if name.endswith("test_bad_input") and hasattr(m, "STATS")), None)
    if out is None or module is None:
        return
    stats = {k: sorted(v) if isinstance(v, set) else v for k, v in module.STATS.items()}
    out["bad_input"] = {"stats": stats, "examples": module.EXAMPLES}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    part = getattr(node, "workeroutput", {}).get("bad_input")
    if part:
        _WORKER_FIGURES.append(part)


def pytest_terminal_summary(terminalreporter):
    if _WORKER_FIGURES:
        from tests.support.figures import bad_input_line, merge

        _FIGURES.append(bad_input_line(merge([p["stats"] for p in _WORKER_FIGURES]),
                                       _WORKER_FIGURES[0]["examples"]))
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
