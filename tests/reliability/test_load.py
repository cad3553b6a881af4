"""Load (slow: `make test-slow`): gunicorn with 3 workers on SQLite, 50 simulated users
(5 processes x 10 threads of tests/reliability/rel_workers.py, so the client does not share
one interpreter lock), 80% reads and 20% progress reports, for 60 s: p95 under 500 ms, under
0.1% failures, 0 "database is locked" in the server log. (No locust: a bounded thread pool
needs no new dependency and no gevent in the test process.)

Figure: requests, req/s, p50/p95/p99 ms, failures, locked."""

import multiprocessing as mp
import time

import pytest
from rel_http import Server
from rel_support import figure, root
from rel_workers import load_client

from app.extensions import db

USERS, PROCESSES, SECONDS = 50, 5, 60


@pytest.mark.slow
def test_fifty_users_on_sqlite(app, world, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    task_id = world.task.id
    password = root().PASSWORD
    db.session.rollback()
    server = Server(url, str(tmp_path / "up"), tmp_path / "gunicorn.log", workers=3)
    try:
        server.wait_ready()
        ctx = mp.get_context("spawn")
        with ctx.Pool(PROCESSES) as pool:
            start = time.perf_counter()
            results = pool.starmap(load_client, [(server.port, password, task_id,
                                                  USERS // PROCESSES, SECONDS, i)
                                                 for i in range(PROCESSES)])
            wall = time.perf_counter() - start
    finally:
        server.stop()
    lat = sorted(x for r in results for x in r["latencies"])
    failures = [f for r in results for f in r["failures"]]
    log = server.log_text()
    locked = log.lower().count("database is locked")

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    ratio = len(failures) / max(1, len(lat))
    figure("load", f"{db.engine.dialect.name}, gunicorn -w 3, {USERS} users, {SECONDS} s: "
                   f"{len(lat)} requests ({len(lat) / wall:.0f} req/s), p50 {pct(0.5):.0f} ms, "
                   f"p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms, failures {len(failures)} "
                   f"({ratio:.3%}), 'database is locked' {locked}")
    assert pct(0.95) < 500 and ratio < 0.001 and locked == 0, (failures[:10], log[-2000:])
