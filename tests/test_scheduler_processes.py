"""Exactly once across real OS processes (DESIGN.md section 6; research on APScheduler
under gunicorn): three processes share one database and try every tick at the same
moment; a sweep killed before its commit leaves nothing; pending mail goes out once
however many processes send it. And the scheduler starts only through init_scheduler.

Each child is `python -c` on the shared database of the `app` fixture (a SQLite file
copied from the migrated template, or the PostgreSQL schema under TEST_DATABASE_URL).
Every child is killed by its PID in a finally block."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from app import create_app
from app.extensions import db
from app.models import JobRun, Notification, Task
from app.models.base import utcnow
from app.scheduler import init_scheduler, sweep_tick
from app.settings import current_settings
from config import TestConfig
from tests.conftest import issue_world_plans
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
SWEEP_KINDS = ("due_soon", "overdue", "escalation")
TIMEOUT = 60  # seconds: any child that has not answered by then fails the test

PRELUDE = f"""
import json, sys, time
from datetime import date, timedelta
sys.path.insert(0, {str(ROOT)!r})
from sqlalchemy import text
from app import create_app
from app.extensions import db
from app.scheduler import sweep_tick
from app.notifications import mail
from app.deadlines import sweep as overdue
from app.settings import settings_of
from config import TestConfig
app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=sys.argv[1], MAIL_SERVER="127.0.0.1",
                 MAIL_PORT=int(sys.argv[2]))
ctx = app.app_context()
ctx.push()
db.session.execute(text("select 1"))
db.session.rollback()
print("ready", flush=True)
"""

TICKS = PRELUDE + """
base, n, step = date.fromisoformat(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
go = float(sys.stdin.readline())
out = []
for i in range(n):
    while (wait := go + i * step - time.time()) > 0:
        time.sleep(wait)
    today = base + timedelta(days=i)
    result = sweep_tick("sweep", today.isoformat() + "T00:00", today, settings_of(app))
    out.append(None if result is None else str(result))
print("done " + json.dumps(out), flush=True)
"""

# A tick with a pause between the sweep and the commit, to be killed (or overlapped) there.
SLOW = PRELUDE + """
real = overdue.sweep
def slow(today, now=None, **settings):
    result = real(today, now, **settings)
    print("swept " + str(result), flush=True)
    time.sleep(float(sys.argv[5]))
    return result
overdue.sweep = slow
result = sweep_tick("sweep", sys.argv[4], date.fromisoformat(sys.argv[3]), settings_of(app))
print("committed " + str(result), flush=True)
"""

SEND = PRELUDE + """
go = float(sys.stdin.readline())
while (wait := go - time.time()) > 0:
    time.sleep(wait)
sent = mail.send_pending(settings_of(app).mail)
db.session.commit()
print("done " + str(sent), flush=True)
"""


class Child:
    """A `python -c` process; its stdout lines arrive through a queue, so every wait
    has a deadline."""

    def __init__(self, code: str, *args, stderr_path: Path):
        self.stderr_path = stderr_path
        self._err = open(stderr_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True)
        self.pid = self.proc.pid
        self.lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"child {self.pid}: no {prefix!r} in {timeout}s; stderr:\n"
                                     f"{self.stderr()[-3000:]}") from None
            if line.startswith(prefix):
                return line[len(prefix):].strip()

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def stderr(self) -> str:
        self._err.flush()
        return self.stderr_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)
        self._reader.join(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self._err):
            try:
                f.close()
            except OSError:
                pass


@pytest.fixture
def spawn(tmp_path):
    children: list[Child] = []

    def _spawn(code, *args):
        child = Child(code, *args, stderr_path=tmp_path / f"child{len(children)}.err")
        children.append(child)
        return child

    yield _spawn
    for child in children:
        child.stop()


def add_tasks(template: Task, dues) -> None:
    rows = [{"plan_id": template.plan_id, "owner_unit_id": template.owner_unit_id,
                 "assignee_id": template.assignee_id, "lead_unit_id": template.lead_unit_id,
                 "leader_id": template.leader_id, "title": f"{template.title} ({i})",
                 "title_folded": template.title_folded, "due_on": d, "original_due_on": d, "status": "assigned"}
            for i, d in enumerate(dues)]
    db.session.execute(insert(Task), rows)
    db.session.commit()


def sweep_rows() -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(Notification.dedupe_key, Notification.kind, Notification.user_id,
               Notification.task_id, Notification.days)
        .where(Notification.kind.in_(SWEEP_KINDS)).order_by(Notification.id))]


def flagged_ids() -> set[int]:
    return set(db.session.scalars(select(Task.id).where(Task.overdue_flagged_at.is_not(None))))


def reference(days) -> tuple[set, set]:
    """What sweeping these days one after the other in one process writes (rolled back)."""
    from app.deadlines import sweep as overdue

    db.session.commit()
    for d in days:
        overdue.sweep(d, reminders=current_settings().reminders)
    rows, flags = set(sweep_rows()), flagged_ids()
    db.session.rollback()
    assert not sweep_rows() and not flagged_ids()
    return rows, flags


@pytest.fixture
def busy(world, make):
    """The world, a province head (escalations) and 24 more tasks due 18/06 .. 11/07; the
    plans issued (the sweep never flags nor reminds a draft plan's tasks, DESIGN.md 4)."""
    make.user(world.province, "head", "Nguyễn Văn Tỉnh", "head_p")
    first = date(2026, 6, 18)
    add_tasks(world.task, [first + timedelta(days=2 * i) for i in range(12)])
    add_tasks(world.task_b, [first + timedelta(days=2 * i + 1) for i in range(12)])
    issue_world_plans(world)
    return world


# ---------------------------------------------------------------- three processes, one tick

def test_three_processes_run_each_tick_exactly_once(app, busy, spawn):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    base, n, step = date(2026, 6, 24), 10, 0.5
    days = [base + timedelta(days=i) for i in range(n)]
    expected_rows, expected_flags = reference(days)
    assert len(expected_rows) > 50
    db.session.commit()  # hold no transaction (nor SQLite lock) while the children run

    children = [spawn(TICKS, url, 1, base.isoformat(), n, step) for _ in range(3)]
    for c in children:
        c.expect("ready")
    go = time.time() + 0.3
    for c in children:
        c.send(repr(go))
    outputs = {c.pid: json.loads(c.expect("done", TIMEOUT + n * step)) for c in children}

    ticks = [f"{d.isoformat()}T00:00" for d in days]
    executions = Counter(ticks[i] for out in outputs.values() for i, r in enumerate(out) if r is not None)
    histogram = Counter(executions[t] for t in ticks)
    winners = {pid: sum(r is not None for r in out) for pid, out in outputs.items()}
    print(f"\nexecutions per tick: {dict(sorted(executions.items()))}")
    print(f"histogram (executions -> ticks): {dict(histogram)}; ticks won per process: {winners}")
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"[scheduler] {kind}: 3 processes x {len(ticks)} ticks: executions per tick "
          f"{dict(sorted(histogram.items()))} (executions -> ticks); ticks won per process "
          f"{sorted(winners.values())}")

    db.session.expire_all()
    ledger = db.session.execute(select(JobRun.tick, JobRun.pid).order_by(JobRun.tick)).all()
    assert [t for t, _ in ledger] == ticks  # exactly one ledger row per tick
    assert histogram == {1: n}
    assert {pid for _, pid in ledger} <= set(outputs)
    rows = sweep_rows()
    keys = [r[0] for r in rows]
    assert len(keys) == len(set(keys))  # no duplicate notification
    assert set(rows) == expected_rows and len(rows) == len(expected_rows)
    assert flagged_ids() == expected_flags


# ---------------------------------------------------------------- killed before the commit

def test_a_sweep_killed_before_its_commit_leaves_nothing_and_the_next_run_does_it_once(app, busy, spawn):

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    day, tick = date(2026, 7, 1), "2026-07-01T00:00"
    expected_rows, expected_flags = reference([day])
    assert expected_flags and any(r[1] == "overdue" for r in expected_rows)
    db.session.commit()

    child = spawn(SLOW, url, 1, day.isoformat(), tick, TIMEOUT)
    swept = child.expect("swept")
    assert swept.startswith("flagged=") and not swept.startswith("flagged=0 ")
    os.kill(child.pid, signal.SIGKILL)
    assert child.proc.wait(timeout=TIMEOUT) == -signal.SIGKILL

    db.session.expire_all()
    assert sweep_rows() == [] and flagged_ids() == set()
    assert db.session.scalar(select(func.count(JobRun.id))) == 0
    db.session.commit()

    result = sweep_tick("sweep", tick, day, current_settings())
    assert result is not None and result.flagged == len(expected_flags)
    assert sweep_tick("sweep", tick, day, current_settings()) is None
    db.session.expire_all()
    assert set(sweep_rows()) == expected_rows and len(sweep_rows()) == len(expected_rows)
    assert flagged_ids() == expected_flags
    assert db.session.scalar(select(func.count(JobRun.id))) == 1


def test_two_overlapping_sweeps_of_different_ticks_both_complete(app, busy, spawn):
    """A sweep still running when the next slot starts (or a hand-run sweep during a
    tick): the second waits for the first and writes nothing twice, instead of failing."""

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    day = date(2026, 6, 15)  # only due-soon reminders: nothing to flag, so no row locks first
    expected_rows, expected_flags = reference([day])
    assert expected_rows and not expected_flags
    db.session.commit()

    child = spawn(SLOW, url, 1, day.isoformat(), "2026-06-15T10:10", 1.5)
    child.expect("swept")
    result = sweep_tick("sweep", "2026-06-15T10:20", day, current_settings())
    assert child.expect("committed").startswith("flagged=0")
    assert result is not None and result.sent == 0
    db.session.expire_all()
    assert set(sweep_rows()) == expected_rows and len(sweep_rows()) == len(expected_rows)
    assert db.session.scalar(select(func.count(JobRun.id))) == 2


# ---------------------------------------------------------------- mail from several processes

def test_three_processes_sending_mail_send_each_notification_once(app, busy, spawn):
    from aiosmtpd.controller import Controller

    from app.deadlines import sweep as overdue

    class Inbox:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    w = busy
    for user in (w.staff, w.deputy, w.head, w.staff_b, w.deputy_b, w.head_b):
        user.email = f"{user.username}@example.vn"
    db.session.execute(Notification.__table__.update().values(emailed_at=utcnow()))
    overdue.sweep(date(2026, 7, 1), reminders=current_settings().reminders)
    db.session.commit()
    pending = db.session.scalar(select(func.count(Notification.id)).where(Notification.emailed_at.is_(None),
                                Notification.user_id != w.staff2.id))
    assert pending > 30
    db.session.commit()
    url, port = app.config["SQLALCHEMY_DATABASE_URI"], free_port()
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        children = [spawn(SEND, url, port) for _ in range(3)]
        for c in children:
            c.expect("ready")
        go = time.time() + 0.3
        for c in children:
            c.send(repr(go))
        sent = [int(c.expect("done")) for c in children]
    finally:
        server.stop()
    print(f"\nemails sent per process: {sent}; received {len(inbox.envelopes)}; pending {pending}")
    print(f"[scheduler] {'postgresql' if url.startswith('postgresql') else 'sqlite'}: 3 processes "
          f"sending mail: {pending} notifications due, sent {sum(sent)} ({sent}), received "
          f"{len(inbox.envelopes)}: each once")
    import email
    import email.policy
    seen = Counter()
    for e in inbox.envelopes:
        msg = email.message_from_bytes(e.content, policy=email.policy.default)
        seen[(tuple(e.rcpt_tos), msg.get_content())] += 1
    assert max(seen.values()) == 1, "an email went out twice"
    assert sum(sent) == len(inbox.envelopes) == pending
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.emailed_at.is_(None), Notification.user_id != w.staff2.id)) == 0


# ---------------------------------------------------------------- when the scheduler starts

def scheduler_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.is_alive() and t.name == "APScheduler"]


def bare_app(tmp_path, **config):
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bare.db'}",
                      UPLOAD_FOLDER=str(tmp_path / "up"), **config)


def test_the_scheduler_does_not_start_in_tests_when_disabled_or_in_the_reloaders_parent(
        app, tmp_path, monkeypatch):
    assert app.testing and init_scheduler(app) is None
    disabled = bare_app(tmp_path, TESTING=False, SCHEDULER_ENABLED=False)
    assert init_scheduler(disabled) is None
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    watcher = bare_app(tmp_path, TESTING=False, SCHEDULER_ENABLED=True, DEBUG=True)
    assert watcher.debug and init_scheduler(watcher) is None
    for a in (app, disabled, watcher):
        assert "sauro_scheduler" not in a.extensions
    assert scheduler_threads() == []


def test_init_scheduler_starts_one_background_scheduler_with_the_sweep_job(tmp_path, monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler

    from app import scheduler as sched_mod

    calls = []
    monkeypatch.setattr(sched_mod, "sweep_job", lambda app, now=None: calls.append(app))
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # the reloader's serving child
    for debug in (False, True):
        a = bare_app(tmp_path, TESTING=False, SCHEDULER_ENABLED=True, DEBUG=debug)
        s = init_scheduler(a)
        try:
            assert isinstance(s, BackgroundScheduler) and s.running
            assert a.extensions["sauro_scheduler"] is s and init_scheduler(a) is s
            assert str(s.timezone) == "Asia/Ho_Chi_Minh"
            (job,) = s.get_jobs()
            assert job.id == "overdue-sweep"
            assert job.trigger.interval == timedelta(minutes=a.config["SWEEP_INTERVAL_MINUTES"])
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)
            deadline = time.monotonic() + 10
            while a not in calls and time.monotonic() < deadline:
                time.sleep(0.05)
            assert a in calls  # it ran the sweep job at once, then every interval
            assert scheduler_threads() == ["APScheduler"]
        finally:
            s.shutdown(wait=True)
        assert scheduler_threads() == []


IMPORT_CHILD = f"""
import json, sys, threading
sys.path.insert(0, {str(ROOT)!r})
import app
import wsgi
print("done " + json.dumps({{"ext": "sauro_scheduler" in wsgi.app.extensions,
                            "threads": [t.name for t in threading.enumerate()]}}), flush=True)
"""


def test_create_app_never_starts_the_scheduler(tmp_path):
    a = bare_app(tmp_path, TESTING=False, SCHEDULER_ENABLED=True)
    assert "sauro_scheduler" not in a.extensions and scheduler_threads() == []


def test_importing_app_or_wsgi_does_not_start_the_scheduler(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SCHEDULER_ENABLED", "TEST_DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}", SAURO_INSTANCE_DIR=str(tmp_path))
    p = subprocess.Popen([sys.executable, "-c", IMPORT_CHILD], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, err
    seen = json.loads(out.split("done ", 1)[1])
    assert seen == {"ext": False, "threads": ["MainThread"]}
