"""Load (slow: `make test-slow`): gunicorn with 3 workers on SQLite, 50 simulated users
(5 processes x 10 threads of tests/reliability/rel_workers.py, so the client does not share
one interpreter lock), 80% reads and 20% progress reports, for 2 minutes: p95 under 500 ms,
under 0.1% failures, 0 "database is locked" in the server log. Then the same while a head
imports a 5,000-row plan through the web pages (upload, preview, confirm), with the figures
of the requests made while the import ran shown apart. Then the capacity: 10 users clicking
with no pause for 15 s (no bar; the number to compare between runs and machines).
(No locust: a bounded thread pool needs no new dependency and no gevent in the test process.)

A user reads each page for 1-3 s before the next click (a person, not a script: with no
pause, 50 users would offer about 20 times what 50 officials at work do, and on a 2-core
machine shared with the client itself the run would only measure the queue). On PostgreSQL
(TEST_DATABASE_URL) the same runs against PostgreSQL.

Figure: requests, req/s, p50/p95/p99 ms, failures, locked; during the import, its duration
and the p95 of the reads and of the writes made meanwhile; capacity in req/s."""

import io
import multiprocessing as mp
import re
import threading
import time

import pytest
from openpyxl import Workbook
from rel_http import Browser, Server
from rel_support import figure, root
from rel_workers import load_client
from sqlalchemy import func, select

from app.extensions import db
from app.models import Plan, Task

USERS, PROCESSES, SECONDS = 50, 5, 120
THINK = (1.0, 3.0)
CAPACITY_USERS, CAPACITY_SECONDS = 10, 15
IMPORT_ROWS = 5000
# the import starts once the load has run this long, so that both overlap fully
IMPORT_AFTER = 10


def _pct(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(p * len(values)))]


def _workbook(rows: int) -> bytes:
    """A plan of `rows` tasks, each clear on all six, in the world's unit A (SNV)."""
    from tests.plan_files import HEADERS, clear_row

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kế hoạch")
    ws.append(HEADERS)
    for i in range(1, rows + 1):
        ws.append(clear_row(i, title=f"Rà soát thủ tục hành chính nhóm {i}"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(port: int, password: str, plan_id: int, data: bytes, out: dict) -> None:
    """head_a imports the file into the plan, as in a browser: upload, preview, confirm."""
    b = Browser(port)
    b.login("head_a", password)
    b.read_token(f"/plans/{plan_id}/import")
    out["start"] = time.time()
    status, html = b.upload(f"/plans/{plan_id}/import", {}, "file", "ke-hoach-5000.xlsx", data)
    out["preview_s"] = time.time() - out["start"]
    m = re.search(r'name="token"[^>]*value="([0-9a-f]+)"|value="([0-9a-f]+)"[^>]*name="token"',
                  html)
    assert status == 200 and m, (status, html[:2000])
    t1 = time.time()
    status, _ = b.post(f"/plans/{plan_id}/import/confirm", {"token": m.group(1) or m.group(2)})
    out["end"] = time.time()
    out["confirm_s"] = out["end"] - t1
    out["status"] = status


def _run(app, world, tmp_path, with_import: bool) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    task_id = world.task.id
    password = root().PASSWORD
    plan_id = None
    if with_import:
        plan = Plan(unit_id=world.a.id, year=2026, kind="work", title="Kế hoạch công tác năm 2026")
        db.session.add(plan)
        db.session.commit()
        plan_id = plan.id
        data = _workbook(IMPORT_ROWS)
    db.session.rollback()
    server = Server(url, str(tmp_path / "up"), tmp_path / "gunicorn.log", workers=3)
    imported: dict = {}
    try:
        server.wait_ready()
        ctx = mp.get_context("spawn")
        with ctx.Pool(PROCESSES) as pool:
            start = time.perf_counter()
            pending = pool.starmap_async(load_client, [(server.port, password, task_id,
                                                        USERS // PROCESSES, SECONDS, i, THINK)
                                                       for i in range(PROCESSES)])
            if with_import:
                time.sleep(IMPORT_AFTER)
                worker = threading.Thread(target=_import,
                                          args=(server.port, password, plan_id, data, imported))
                worker.start()
                worker.join(timeout=600)
            results = pending.get(timeout=SECONDS + 600)
            wall = time.perf_counter() - start
            capacity = None
            if not with_import:
                probe = pool.starmap(load_client, [
                    (server.port, password, task_id, CAPACITY_USERS // 2, CAPACITY_SECONDS,
                     100 + i, (0.0, 0.0)) for i in range(2)])
                served = sum(len(r["latencies"]) for r in probe)
                capacity = (served / CAPACITY_SECONDS,
                            _pct([x for r in probe for x in r["latencies"]], 0.95))
    finally:
        server.stop()
    lat = [x for r in results for x in r["latencies"]]
    failures = [f for r in results for f in r["failures"]]
    log = server.log_text()
    locked = log.lower().count("database is locked")
    ratio = len(failures) / max(1, len(lat))
    name = db.engine.dialect.name
    line = (f"{name}, gunicorn -w 3, {USERS} users ({THINK[0]:.0f}-{THINK[1]:.0f} s between "
            f"clicks), {SECONDS} s: {len(lat)} requests "
            f"({len(lat) / wall:.0f} req/s), p50 {_pct(lat, 0.5):.0f} ms, p95 "
            f"{_pct(lat, 0.95):.0f} ms, p99 {_pct(lat, 0.99):.0f} ms, failures {len(failures)} "
            f"({ratio:.3%}), 'database is locked' {locked}")
    if not with_import:
        figure("load", f"{line}; capacity with {CAPACITY_USERS} users clicking without a "
                       f"pause: {capacity[0]:.0f} req/s (p95 {capacity[1]:.0f} ms)")
        assert _pct(lat, 0.95) < 500 and ratio < 0.001 and locked == 0, (failures[:10],
                                                                          log[-2000:])
        return
    assert imported.get("status") == 302, (imported, log[-3000:])
    db.session.rollback()
    added = db.session.scalar(select(func.count()).select_from(Task).where(Task.plan_id == plan_id))
    db.session.rollback()
    during = [r for res in results for r in res["requests"]
              if r[0] < imported["end"] and r[0] + r[1] / 1000 > imported["start"]]
    reads = [ms for _, ms, write, _ in during if not write]
    writes = [ms for _, ms, write, _ in during if write]
    figure("load", f"{line}; while importing {added} rows through the web pages "
                   f"(preview {imported['preview_s']:.1f} s, confirm {imported['confirm_s']:.1f} s): "
                   f"{len(during)} requests, reads p95 {_pct(reads, 0.95):.0f} ms, writes p95 "
                   f"{_pct(writes, 0.95):.0f} ms (max {max(writes, default=0):.0f} ms)")
    assert added == IMPORT_ROWS
    assert ratio < 0.001 and locked == 0, (failures[:10], log[-2000:])
    assert _pct(lat, 0.95) < 500, "p95 of the whole run"


@pytest.mark.slow
def test_fifty_users(app, world, tmp_path):
    _run(app, world, tmp_path, with_import=False)


@pytest.mark.slow
def test_fifty_users_while_a_5000_row_import_runs(app, world, tmp_path):
    _run(app, world, tmp_path, with_import=True)
