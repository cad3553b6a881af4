"""Concurrent writes (research section 2; ASVS V2.3.3): nothing is lost and nothing fails
with "database is locked".

(a) 8 processes x 500 progress reports through the service layer on one database, each a
    committed transaction that also reads and increments a counter (the task's indicator):
    4,000 rows, counter 4,000, task version +4,000, 0 "database is locked", 0 stale.
    Without WAL + BEGIN IMMEDIATE this lost 3,130 of 4,000 on this kind of machine.
(b) gunicorn with 3 workers, 8 browsers x 250 POSTs of the progress form (CSRF on, token
    read from the form): 2,000 of 2,000 answered 302, 2,000 rows stored, 0 5xx, 0 "locked"
    in the server log.
(c) a stale edit form gets the 409 conflict page and overwrites nothing (fast, in make test;
    tests/web/test_tasks.py::test_stale_edit_gets_409_and_overwrites_nothing checks the
    page itself: what the other person changed, what the user typed kept, saving again).
(d) all of it runs on PostgreSQL too when TEST_DATABASE_URL is set.

(a) and (b) take minutes on a 2-core machine: `make test-slow`.

Lock policy (app/extensions.py): a write waits up to SQLITE_BUSY_TIMEOUT_MS (30 s) for
SQLite's write lock, polling in 20 ms slices so that no waiter starves; past it the request
answers 503 "busy, try again" and writes nothing (tests/services/test_sqlite_config.py).
"""

import multiprocessing as mp
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rel_http import Browser, Server
from rel_support import figure, root
from rel_workers import progress_writer
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, ProgressUpdate, Task

PROCESSES, UPDATES = 8, 500
CLIENTS, POSTS = 8, 250


def _counts(task_id):
    db.session.rollback()
    t = db.session.get(Task, task_id)
    db.session.refresh(t)
    rows = db.session.scalar(select(func.count()).select_from(ProgressUpdate)
                             .where(ProgressUpdate.task_id == task_id))
    audits = db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.task_id == task_id, AuditLog.action == "task.progress"))
    out = (rows, audits, t.version, t.indicator_actual)
    db.session.rollback()
    return out


def _run(target, args_list, timeout):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(args_list))
    results = ctx.Queue()

    def wrapped_args(args):
        return (*args, barrier)

    procs = [ctx.Process(target=_child, args=(results, target, wrapped_args(a)))
             for a in args_list]
    for p in procs:
        p.start()
    out = []
    try:
        deadline = time.monotonic() + timeout
        for _ in procs:
            out.append(results.get(timeout=max(1, deadline - time.monotonic())))
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join(timeout=10)
    return out


def _child(results, target, args):
    try:
        results.put(target(*args))
    except BaseException:  # noqa: BLE001 - reported to the parent
        import traceback

        results.put({"crash": traceback.format_exc()[-4000:].replace("\n", " | ")})


@pytest.mark.slow
def test_processes_lose_no_update(app, world, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    task_id, staff_id = world.task.id, world.staff.id
    rows0, audits0, version0, _ = _counts(task_id)
    # this process must hold no transaction while the others write (on SQLite a read here
    # outside a request is a BEGIN IMMEDIATE: it would hold the write lock)
    db.session.rollback()
    start = time.perf_counter()
    results = _run(progress_writer, [(url, str(tmp_path / "up"), task_id, staff_id,
                                      UPDATES)] * PROCESSES, timeout=600)
    seconds = time.perf_counter() - start
    crashes = [r for r in results if "crash" in r]
    assert not crashes, "\n".join(r["crash"] for r in crashes)[:6000]
    ok = sum(r["ok"] for r in results)
    locked = sum(r["locked"] for r in results)
    stale = sum(r["stale"] for r in results)
    other = sum(r["other"] for r in results)
    rows, audits, version, counter = _counts(task_id)
    total = PROCESSES * UPDATES
    lost = total - (rows - rows0)
    figure("concurrency", f"{db.engine.dialect.name}: {PROCESSES} processes x {UPDATES} "
                          f"updates: committed {ok}, stored {rows - rows0}, lost {lost}, "
                          f"counter {int(counter or 0)} of {total}, version +{version - version0}, "
                          f"locked {locked}, stale {stale}, other errors {other} "
                          f"({total / seconds:.0f} updates/s with start-up)")
    assert (ok, rows - rows0, audits - audits0, version - version0, int(counter or 0)) == \
        (total, total, total, total, total), [r["errors"] for r in results]
    assert locked == stale == other == 0


@pytest.mark.slow
def test_gunicorn_three_workers_keep_every_post(app, world, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    task_id = world.task.id
    rows0, _audits0, version0, _ = _counts(task_id)
    db.session.rollback()
    password = root().PASSWORD  # read once here: the threads below must not import it
    server = Server(url, str(tmp_path / "up"), tmp_path / "gunicorn.log", workers=3)
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    try:
        server.wait_ready()

        def client(n):
            b = Browser(server.port)
            b.login("staff_a", password)
            b.read_token(f"/tasks/{task_id}")
            mine = {}
            for i in range(POSTS):
                # a value of its own on every post: each one really changes the task's row,
                # so the row's version must move by exactly one per post (a lost update or
                # a stale write would show there)
                status, _ = b.post(f"/tasks/{task_id}/progress",
                                   {"percent": str((i * 7 + n) % 101), "note": f"c{n}-{i}",
                                    "actual_value": str(n * 1000 + i + 1)})
                mine[status] = mine.get(status, 0) + 1
            with lock:
                for k, v in mine.items():
                    statuses[k] = statuses.get(k, 0) + v

        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        seconds = time.perf_counter() - start
    finally:
        server.stop()
    log = server.log_text()
    rows, _audits, version, _ = _counts(task_id)
    total = CLIENTS * POSTS
    fivexx = sum(v for k, v in statuses.items() if k >= 500)
    locked = log.lower().count("database is locked")
    figure("concurrency", f"{db.engine.dialect.name}: gunicorn -w 3, {CLIENTS} clients x {POSTS} "
                          f"POSTs: {statuses.get(302, 0)} of {total} succeeded, stored "
                          f"{rows - rows0}, version +{version - version0}, 5xx {fivexx}, "
                          f"'database is locked' in log {locked} ({total / seconds:.0f} req/s)")
    assert statuses == {302: total}, (statuses, log[-3000:])
    assert rows - rows0 == total and version - version0 == total
    assert locked == 0 and "Traceback" not in log, log[-3000:]


def test_a_stale_form_gets_409_and_overwrites_nothing(app, world):
    """Two people open the same task's edit form; the first saves; the second's save of the
    form they loaded answers the conflict page (409), and the row stays the first's."""
    from rel_support import login, task_form_data

    task_id = world.task.id
    app.test_client_class = root().IsolatedClient
    first, second = login(app.test_client(), "head_a"), login(app.test_client(), "deputy_a")
    loaded = task_form_data(task_id)
    r1 = first.post(f"/tasks/{task_id}/edit",
                    data=loaded | {"title": "Xây dựng bộ chỉ số (bản thứ nhất)"})
    assert r1.status_code == 302, r1.get_data(as_text=True)[:500]
    db.session.rollback()
    saved = dict(db.session.execute(select(Task.__table__).where(Task.id == task_id))
                 .mappings().one())
    audits = db.session.scalar(select(func.count()).select_from(AuditLog))
    db.session.rollback()
    r2 = second.post(f"/tasks/{task_id}/edit",
                     data=loaded | {"title": "Xây dựng bộ chỉ số (bản thứ hai)", "weight": "3"})
    db.session.rollback()
    after = dict(db.session.execute(select(Task.__table__).where(Task.id == task_id))
                 .mappings().one())
    overwritten = sum(1 for k in saved if saved[k] != after[k])
    figure("concurrency", f"{db.engine.dialect.name}: stale edit form: answered {r2.status_code}, "
                          f"{overwritten} columns overwritten, "
                          f"{db.session.scalar(select(func.count()).select_from(AuditLog)) - audits}"
                          f" audit rows")
    assert r2.status_code == 409
    assert overwritten == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == audits
