"""Where the suite's time goes: per module and per worker, the wall time of setup + call +
teardown and the worker's own CPU time, written to $SAURO_TIMING/<worker>.json at the end of
the session (tests/conftest.py loads this plugin only when SAURO_TIMING is set).

    SAURO_TIMING=/tmp/timing make test
    .venv/bin/python -m tests.support.timing /tmp/timing     # the table, costliest first
    .venv/bin/python -m tests.support.timing /tmp/timing --costs   # MODULE_COST's lines
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest

_MODULES: dict[str, dict] = {}
_START = {"wall": time.time(), "cpu": time.process_time()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    wall, cpu = time.perf_counter(), time.process_time()
    row = _MODULES.setdefault(item.nodeid.split("::")[0],
                              {"tests": 0, "wall": 0.0, "cpu": 0.0, "setup": 0.0,
                               "call": 0.0, "teardown": 0.0, "first": time.time() - _START["wall"]})
    yield
    row["tests"] += 1
    row["wall"] += time.perf_counter() - wall
    row["cpu"] += time.process_time() - cpu
    row["last"] = time.time() - _START["wall"]
    if nextitem is None or nextitem.nodeid.split("::")[0] != item.nodeid.split("::")[0]:
        _write(item.config)   # after each module: a run cut short still tells


def _write(config) -> None:
    out = Path(os.environ["SAURO_TIMING"])
    out.mkdir(parents=True, exist_ok=True)
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    (out / f"{worker}.json").write_text(json.dumps({
        "wall": time.time() - _START["wall"], "cpu": time.process_time() - _START["cpu"],
        "modules": _MODULES}, indent=1))


def pytest_runtest_logreport(report):
    row = _MODULES.get(report.nodeid.split("::")[0])
    if row is not None:   # from (when its first test began) to (when its last ended)
        row[report.when] += report.duration


def pytest_sessionfinish(session):
    _write(session.config)


def main(folder: str) -> None:
    rows = []
    for f in sorted(Path(folder).glob("*.json")):
        data = json.loads(f.read_text())
        print(f"{f.stem}: wall {data['wall']:.0f} s, cpu {data['cpu']:.0f} s")
        rows += [(f.stem, m, r) for m, r in data["modules"].items()]
    rows.sort(key=lambda r: -r[2]["wall"])
    print(f"{'worker':6} {'tests':>5} {'wall':>7} {'cpu':>7} {'setup':>7} {'call':>7} "
          f"{'tdown':>7} {'from':>6} {'to':>6}  module")
    for worker, module, r in rows:
        print(f"{worker:6} {r['tests']:5} {r['wall']:7.1f} {r['cpu']:7.1f} {r['setup']:7.1f} "
              f"{r['call']:7.1f} {r['teardown']:7.1f} {r['first']:6.0f} {r.get('last', 0):6.0f}"
              f"  {module}")


def costs(folder: str, floor: float = 0.15) -> dict[str, float]:
    """{module: CPU seconds summed over the workers} of the modules that cost 5 s or more,
    or more than `floor` seconds a test (the others are estimated at 0.1 s a test):
    tests/conftest.py's MODULE_COST for the database the run was on."""
    total: dict[str, list] = {}
    for f in Path(folder).glob("*.json"):
        for module, r in json.loads(f.read_text())["modules"].items():
            t = total.setdefault(module, [0, 0.0])
            t[0] += r["tests"]
            t[1] += r["cpu"]
    return {m: round(cpu) for m, (n, cpu) in sorted(total.items(), key=lambda kv: -kv[1][1])
            if cpu >= 5 or (cpu > floor * n and cpu >= 2)}


if __name__ == "__main__":
    if "--costs" in sys.argv:   # python -m tests.support.timing DIR --costs
        for module, cpu in costs(sys.argv[1]).items():
            print(f'    "{module}": {cpu},')
    else:
        main(sys.argv[1])
