"""Code run in other processes by the concurrency, backup and load groups (spawned, so
each process builds its own app and engine, as a gunicorn worker does)."""

import os
import time
from datetime import date


def progress_writer(url: str, upload: str, task_id: int, user_id: int, n: int, barrier) -> dict:
    """`n` progress reports on one task through the service layer, each its own committed
    transaction, in which the task's indicator is also read and incremented (a read-modify-
    write that loses updates unless the write lock is taken up front)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.tasks import commands as tasks
    from app.tasks import queries as task_queries
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=upload,
                     TODAY=date(2026, 6, 15))
    out = {"ok": 0, "locked": 0, "stale": 0, "other": 0, "pid": os.getpid(), "errors": []}
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.commit()
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for i in range(n):
            try:
                task = task_queries.get_task(user, task_id, for_update=True)
                counter = (task.indicator_actual or 0) + 1
                tasks.record_progress(user, task_id, i % 101, f"p{os.getpid()}-{i}", counter,
                                      date(2026, 6, 15))
                db.session.commit()
                out["ok"] += 1
            except OperationalError as e:
                db.session.rollback()
                key = "locked" if "locked" in str(e).lower() else "other"
                out[key] += 1
                out["errors"].append(str(e)[:200])
            except StaleDataError as e:
                db.session.rollback()
                out["stale"] += 1
                out["errors"].append(str(e)[:200])
        out["seconds"] = time.perf_counter() - start
        out["errors"] = out["errors"][:5]
        db.session.remove()
        db.engine.dispose()
    return out


def steady_writer(url: str, upload: str, task_id: int, user_id: int, seconds: float,
                  started) -> int:
    """Progress reports for `seconds`, one per committed transaction; returns how many."""
    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.tasks import commands as tasks
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=upload,
                     TODAY=date(2026, 6, 15))
    n = 0
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.commit()
        started.set()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            tasks.record_progress(user, task_id, n % 101, f"w{n}", None, date(2026, 6, 15))
            db.session.commit()
            n += 1
        db.session.remove()
        db.engine.dispose()
    return n


def load_client(port: int, password: str, task_id: int, users: int, seconds: float,
                seed: int, think: tuple[float, float] = (1.0, 3.0)) -> dict:
    """`users` browsers in threads of this process for `seconds`: 80% reads, 20% writes.
    Returns every latency (ms), the failures, and every request as (start time.time(),
    ms, is a write, ok)."""
    import random
    import threading

    from rel_http import Browser

    reads = ["/", "/tasks", f"/tasks/{task_id}", "/plans", "/notifications", "/tasks/mine",
             "/overdue"]
    latencies, failures, requests, lock = [], [], [], threading.Lock()
    end = time.monotonic() + seconds

    def user(n):
        rnd = random.Random(seed * 1000 + n)
        b = Browser(port)
        b.login("staff_a", password)
        b.read_token(f"/tasks/{task_id}")
        mine, bad, timeline = [], [], []
        while time.monotonic() < end:
            write = rnd.random() < 0.2
            started = time.time()
            t0 = time.perf_counter()
            try:
                if write:
                    status, _ = b.post(f"/tasks/{task_id}/progress",
                                       {"percent": str(rnd.randint(0, 100)), "note": "tải"})
                    ok = status == 302
                else:
                    status, _ = b.request("GET", rnd.choice(reads))
                    ok = status == 200
            except OSError as e:
                status, ok = repr(e), False
            ms = (time.perf_counter() - t0) * 1000
            mine.append(ms)
            timeline.append((started, ms, write, ok))
            if not ok:
                bad.append(status)
            time.sleep(rnd.uniform(*think))  # a person reads the page before clicking again
        with lock:
            latencies.extend(mine)
            failures.extend(bad)
            requests.extend(timeline)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "failures": failures, "requests": requests}
