"""The pages of two scales in one process, request by request alternating, built anew
(`HOME_CACHE=0`): the large ÷ province ratio of each page, measured in the same minutes
(issue 16 goal 3: every page within 1.5x of its province time at 1,000,000 tasks).

    PROVINCE_URL=postgresql+psycopg://...?options=-csearch_path%3Dsauro_bench \\
    LARGE_URL=postgresql+psycopg://...?options=-csearch_path%3Dsauro_large \\
        .venv/bin/python bench/pair.py --reps 11 --only overdue,home,home_deputy,my_tasks

Each scale reads its own meta file (bench/data/<scale>-postgresql.json); the readers are
bench/probe.py's (the largest head, the busiest deputy of its unit, the busiest staff
member). Wall medians, with the load average before and after: on a shared machine only
the ratio of requests run side by side means much.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["HOME_CACHE"] = "0"  # read by config at create_app: the pages built anew

from bench import common
from bench.probe import PAGES, busiest_deputy
from bench.run import login, make_app


def clients(url: str, scale: str) -> dict:
    """Logged-in test clients of the scale's readers, on an app of its own."""
    os.environ["SCALE"] = scale
    meta = common.read_meta("postgresql" if url.startswith("postgresql") else "sqlite")
    app = make_app(url, meta["today"])
    out = {k: app.test_client() for k in ("head", "staff", "deputy")}
    login(out["head"], meta["largest_head"])
    login(out["staff"], meta["busiest_staff"])
    login(out["deputy"], busiest_deputy(app, meta["largest_head"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--only", default="overdue,home,home_deputy,my_tasks")
    args = parser.parse_args()
    names = args.only.split(",")
    sides = {"province": clients(os.environ["PROVINCE_URL"], "province"),
             "large": clients(os.environ["LARGE_URL"], "large")}

    def get(scale: str, name: str) -> None:
        who, path = PAGES[name]
        resp = sides[scale][who].get(path)
        assert resp.status_code == 200, (scale, name, resp.status_code)

    for _ in range(3):
        for name in names:
            for scale in sides:
                get(scale, name)
    times: dict = {(s, n): [] for s in sides for n in names}
    load0 = os.getloadavg()
    for i in range(args.reps):
        for name in names:
            for scale in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                t0 = time.perf_counter()
                get(scale, name)
                times[(scale, name)].append(time.perf_counter() - t0)
    load1 = os.getloadavg()
    print(f"load {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} -> {load1[0]:.2f} {load1[1]:.2f} "
          f"{load1[2]:.2f}; {args.reps} alternating requests each, wall medians")
    for name in names:
        p = statistics.median(times[("province", name)]) * 1000
        large = statistics.median(times[("large", name)]) * 1000
        print(f"{name:14s} province {p:7.1f} ms  large {large:7.1f} ms  ratio {large / p:5.2f}")


if __name__ == "__main__":
    main()
