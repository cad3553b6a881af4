"""Quick before/after timings of single pages through the test client, on the benchmark's
data (bench/generate.py first), with an optional pyinstrument profile of one page.

    .venv/bin/python bench/probe.py                     # median ms of each page, 15 runs
    .venv/bin/python bench/probe.py --reps 30 --only overdue_xlsx,home
    .venv/bin/python bench/probe.py --profile home      # pyinstrument text profile (20 runs)
    .venv/bin/python bench/probe.py --cpu --reps 20     # CPU ms per request (process_time)

`--cpu` reports the median CPU time of a request (`time.process_time`: SQLite runs in the
process, so its statements are in it) and the page's statement count: on a shared machine
the CPU time is the figure that other processes disturb least (wall time waits for a core).
`--html DIR` writes each page's body, for comparing two trees byte for byte.

The pages are those of issue 16's side-by-side comparison: the largest department's head
(`largest_head`) for /overdue, /overdue.xlsx and /; the busiest staff member for /tasks/mine;
`/healthz` without and with a session, and `/password` as the logged-in page that reads
nothing (the user, the bell count, the layout and a form).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.run import login, make_app

PAGES = {
    "healthz": ("anon", "/healthz"),
    "healthz_session": ("head", "/healthz"),
    "overdue": ("head", "/overdue"),
    "overdue_xlsx": ("head", "/overdue.xlsx"),
    "home": ("head", "/"),
    "home_deputy": ("deputy", "/"),  # the deputy of the largest head's unit leading the most tasks
    "my_tasks": ("staff", "/tasks/mine"),
    "notifications": ("head", "/notifications"),
    "password_form": ("head", "/password"),  # a logged-in page that reads nothing
}


def busiest_deputy(app, head_username: str) -> str:
    """The username of the deputy of the head's unit who is the leader of the most tasks."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        return db.session.execute(text(
            "SELECT d.username FROM users d JOIN users h ON h.unit_id = d.unit_id "
            "JOIN tasks t ON t.leader_id = d.id WHERE h.username = :h AND d.role = 'deputy' "
            "GROUP BY d.id, d.username ORDER BY count(*) DESC, d.id LIMIT 1"), {"h": head_username}).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--only")
    parser.add_argument("--profile")
    parser.add_argument("--sql", help="a page: each statement it runs, with its time")
    parser.add_argument("--cpu", action="store_true", help="CPU ms per request and statements")
    parser.add_argument("--html", help="write each page's HTML into this directory")
    args = parser.parse_args()
    url, kind = common.database_url()
    meta = common.read_meta(kind)
    app = make_app(url, meta["today"])
    clients = {"anon": app.test_client(), "head": app.test_client(), "staff": app.test_client(),
               "deputy": app.test_client()}
    login(clients["head"], meta["largest_head"])
    login(clients["deputy"], busiest_deputy(app, meta["largest_head"]))
    login(clients["staff"], meta["busiest_staff"])

    def get(name):
        who, path = PAGES[name]
        resp = clients[who].get(path)
        assert resp.status_code == 200, (name, resp.status_code)
        return resp.get_data()

    if args.sql:
        from sqlalchemy import event

        from app.extensions import db

        get(args.sql)
        seen = []

        def before(conn, cursor, statement, params, context, many):
            conn.info["t0"] = time.perf_counter()

        def after(conn, cursor, statement, params, context, many):
            seen.append((time.perf_counter() - conn.info["t0"], statement))

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        t0 = time.perf_counter()
        get(args.sql)
        total = time.perf_counter() - t0
        for dt, statement in seen:
            print(f"{dt * 1000:8.2f} ms  {' '.join(statement.split())[:150]}")
        print(f"{len(seen)} statements, {sum(d for d, _ in seen) * 1000:.1f} ms of SQL, "
              f"{total * 1000:.1f} ms the request")
        return
    if args.profile:
        from pyinstrument import Profiler

        for _ in range(3):
            get(args.profile)
        prof = Profiler(interval=0.0005)
        prof.start()
        for _ in range(20):
            get(args.profile)
        prof.stop()
        print(prof.output_text(unicode=True, color=False, show_all=False))
        return
    names = args.only.split(",") if args.only else list(PAGES)
    if args.html:
        out = Path(args.html)
        out.mkdir(parents=True, exist_ok=True)
        for n in names:
            (out / f"{n}.html").write_bytes(get(n))
        return
    if args.cpu:
        cpu_times(app, names, get, args.reps)
        return
    for _ in range(3):
        for n in names:
            get(n)
    times = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for _ in range(args.reps):
        for n in names:  # alternating, so a burst of load hits every page
            t0, c0 = time.perf_counter(), time.process_time()
            get(n)
            cpu[n].append(time.process_time() - c0)
            times[n].append(time.perf_counter() - t0)
    for n in names:
        print(f"{n:18s} {kind:10s} median {statistics.median(times[n]) * 1000:7.2f} ms  "
              f"min {min(times[n]) * 1000:7.2f} ms  CPU median {statistics.median(cpu[n]) * 1000:7.2f} ms")


def cpu_times(app, names, get, reps: int) -> None:
    """Median CPU ms of each page (alternating) and its statement count (BEGIN aside)."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, params, context, many):
        if statement.strip() != "BEGIN":
            statements.append(statement)

    for _ in range(3):
        for n in names:
            get(n)
    counts = {}
    for n in names:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        get(n)
        event.remove(engine, "before_cursor_execute", count)
        counts[n] = len(statements)
    times = {n: [] for n in names}
    for _ in range(reps):
        for n in names:
            t0 = time.process_time()
            get(n)
            times[n].append(time.process_time() - t0)
    # /healthz measured in the same process is the yardstick: on a shared machine a process's
    # CPU time per request moves by 20-30% with what runs beside it, the ratio far less.
    unit = statistics.median(times["healthz"]) if "healthz" in times else None
    for n in names:
        ratio = f"  {statistics.median(times[n]) / unit:6.2f}x healthz" if unit else ""
        print(f"{n:18s} cpu median {statistics.median(times[n]) * 1000:7.2f} ms  "
              f"lower quartile {statistics.quantiles(times[n], n=4)[0] * 1000:7.2f} ms  "
              f"{counts[n]} statements{ratio}")


if __name__ == "__main__":
    main()
