"""The home cache's tokens per department (docs/performance.md, sixth pass): what the triggers
cost on bulk writes, and how often a head's home page is served from the cache on a working
day. SQLite, on the benchmark's database (bench/generate.py first), migrated to 0022.

    .venv/bin/python bench/home_scope.py triggers [--db PATH]  # bulk writes, 0020's triggers vs 0022's
    .venv/bin/python bench/home_scope.py day [--rounds 40]      # heads' hits with writes between views

`triggers` times, in a transaction rolled back each time, an UPDATE of 5,000 tasks (every
20th: the sweep's kind of bulk write, the tallies' triggers not firing) and an INSERT of
5,000 copies of tasks (the import's kind, the tallies' triggers firing), with no home
triggers, with migration 0020's (one token) and with 0022's (the departments), alternating;
medians of `--reps`.

`day` reads the heads' pages through the test client: a head views /, then `k` tasks drawn at
random from the whole province (staff recording progress anywhere) are written, then the head
views / again: a hit or a miss (the cache's hit counter). With 0020's one token any write was
a miss; the figure printed is the share of second views served from the cache, for heads
drawn at random (each department weighted by its heads) and for the largest department's
head, whose department holds the most tasks.
"""

import argparse
import importlib.util
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common
from bench.run import login, make_app


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "migrations" / "versions" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _no_delete(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith("DELETE")]


def triggers(db_path: str, reps: int) -> None:
    m20, m21 = _migration("0020_perfhome2"), _migration("0022_perfscope")
    drop21 = _no_delete(m21.DROP["sqlite"])
    sets = {
        "none": drop21,
        "0020 (one token)": drop21 + m20.CREATE["sqlite"],
        "0022 (departments)": [],  # the database's own
    }
    conn = sqlite3.connect(db_path, isolation_level=None)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(tasks)")]
    top = conn.execute("SELECT max(id) FROM tasks").fetchone()[0]
    copies = ", ".join(f"id + {top}" if c == "id" else c for c in columns)
    writes = {
        "UPDATE 5,000 tasks": "UPDATE tasks SET progress = progress WHERE id % 20 = 0",
        "INSERT 5,000 tasks": (f"INSERT INTO tasks ({', '.join(columns)}) SELECT {copies} "
                               "FROM tasks WHERE id % 20 = 1"),
    }
    times: dict = {(w, s): [] for w in writes for s in sets}
    for _ in range(reps):
        for w, sql in writes.items():
            for s, setup in sets.items():
                conn.execute("BEGIN")
                for statement in setup:
                    conn.execute(statement)
                t0 = time.perf_counter()
                conn.execute(sql)
                times[(w, s)].append(time.perf_counter() - t0)
                conn.execute("ROLLBACK")
    for w in writes:
        base = statistics.median(times[(w, "none")])
        for s in sets:
            m = statistics.median(times[(w, s)])
            print(f"{w:20s} {s:20s} {m * 1000:8.1f} ms  triggers {1000 * (m - base):7.1f} ms")


def pg_triggers(url: str, reps: int) -> None:
    """`triggers` on PostgreSQL: each write committed (the tokens are renewed at commit), in a
    schema of its own holding a copy of the benchmark's tables (never the shared one): the
    schema in `url` is migrated to the head and filled from `--from-schema` first."""
    import psycopg

    m20, m21 = _migration("0020_perfhome2"), _migration("0022_perfscope")
    drop21 = _no_delete(m21.DROP["postgresql"])
    drop20 = _no_delete(m20.DROP["postgresql"])
    sets = {"none": (drop21, []), "0020 (one token)": (drop21, m20.CREATE["postgresql"]),
            "0022 (departments)": (drop20, m21.CREATE["postgresql"])}
    conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=False)
    columns = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'tasks' ORDER BY ordinal_position")]
    top = conn.execute("SELECT max(id) FROM tasks").fetchone()[0]
    copies = ", ".join(f"id + {top}" if c == "id" else c for c in columns)
    writes = {
        "UPDATE 5,000 tasks": ("UPDATE tasks SET progress = progress WHERE id % 20 = 0", None),
        "INSERT 5,000 tasks": ((f"INSERT INTO tasks ({', '.join(columns)}) SELECT {copies} "
                                "FROM tasks WHERE id % 20 = 1"), f"DELETE FROM tasks WHERE id > {top}"),
    }
    times: dict = {(w, s): [] for w in writes for s in sets}
    for _ in range(reps):
        for s, (drop, create) in sets.items():
            for statement in drop + create:
                conn.execute(statement)
            conn.commit()
            for w, (sql, undo) in writes.items():
                t0 = time.perf_counter()
                conn.execute(sql)
                conn.commit()
                times[(w, s)].append(time.perf_counter() - t0)
                if undo:
                    conn.execute(undo)
                    conn.commit()
    for statement in drop20 + drop21 + m21.CREATE["postgresql"]:
        conn.execute(statement)
    conn.commit()
    for w in writes:
        base = statistics.median(times[(w, "none")])
        for s in sets:
            m = statistics.median(times[(w, s)])
            print(f"{w:20s} {s:20s} {m * 1000:8.1f} ms  triggers {1000 * (m - base):7.1f} ms")


def day(rounds: int, writes: tuple[int, ...], seed: int) -> None:
    from sqlalchemy import text

    from app.dashboard import fragments
    from app.extensions import db

    url, kind = common.database_url()
    meta = common.read_meta(kind)
    app = make_app(url, meta["today"])
    rng = random.Random(seed)
    with app.app_context():
        task_ids = db.session.scalars(text("SELECT id FROM tasks")).all()
    cache = fragments.home_fragments
    heads = {h: app.test_client() for h in [meta["largest_head"], *rng.sample(meta["heads"], 30)]}
    for username, client in heads.items():
        login(client, username)

    def view(client) -> bool:
        before = cache.hits
        assert client.get("/").status_code == 200
        return cache.hits > before

    for k in writes:
        hits = {"largest": [], "sample": []}
        for r in range(rounds):
            for username, client in heads.items():
                if username != meta["largest_head"] and r % 4:
                    continue  # the sample: a quarter of the rounds (each miss costs ~40 ms)
                view(client)
                with app.app_context():
                    for task_id in rng.sample(task_ids, k):
                        db.session.execute(text("UPDATE tasks SET progress = progress WHERE id = :i"),
                                           {"i": task_id})
                    db.session.commit()
                hit = view(client)
                hits["largest" if username == meta["largest_head"] else "sample"].append(hit)
        print(f"{k:3d} writes between views: largest department's head "
              f"{100 * sum(hits['largest']) / len(hits['largest']):5.1f}% hits "
              f"({len(hits['largest'])} views); 30 heads drawn at random "
              f"{100 * sum(hits['sample']) / len(hits['sample']):5.1f}% "
              f"({len(hits['sample'])} views)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["triggers", "day"])
    parser.add_argument("--db", help="triggers: a SQLite file (default: the benchmark's)")
    parser.add_argument("--pg", help="triggers: a PostgreSQL URL of a scratch schema (a copy)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--writes", default="1,3,10,30")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    if args.what == "triggers" and args.pg:
        pg_triggers(args.pg, args.reps)
    elif args.what == "triggers":
        url, _kind = common.database_url()
        triggers(args.db or url.removeprefix("sqlite:///"), args.reps)
    else:
        day(args.rounds, tuple(int(k) for k in args.writes.split(",")), args.seed)


if __name__ == "__main__":
    main()
