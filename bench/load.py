"""A bounded loopback load on gunicorn: N clients (threads, http.client), each logged in
as a different user, for a fixed number of seconds per phase; /healthz is the floor.

Only 127.0.0.1 is ever contacted, every loop stops at its deadline, and the server is
killed by its PID when the phases are done."""

import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import common

HOST = "127.0.0.1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Client:
    """One browser: a cookie jar and a CSRF token, a fresh connection per request
    (gunicorn's sync workers close each connection after the response)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None, timeout: float = 60):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        headers = {"Host": f"{HOST}:{self.port}", "Accept-Language": "vi"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            for raw in resp.msg.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if "expires=Thu, 01 Jan 1970" in raw or value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return resp.status, data
        finally:
            conn.close()

    def token_from(self, html: bytes) -> None:
        m = CSRF.search(html.decode("utf-8", "replace"))
        if m:
            self.csrf = m.group(1) or m.group(2)

    def login(self, username: str, password: str) -> None:
        status, html = self.request("GET", "/login")
        self.token_from(html)
        status, _ = self.request("POST", "/login", {"username": username, "password": password,
                                                    "csrf_token": self.csrf})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")


def start_server(url: str, port: int, workers: int = 2, extra_env: dict | None = None,
                 log_path: Path | None = None) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py on 127.0.0.1:port; returns once /healthz answers."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "GUNICORN_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers),
                "SCHEDULER_ENABLED": "0", "SECRET_KEY": env.get("SECRET_KEY", "bench-secret-key"),
                "GUNICORN_LOGLEVEL": "warning", "SAURO_INSTANCE_DIR": str(common.DATA / "instance")})
    env.update(extra_env or {})
    log = open(log_path or os.devnull, "ab")  # noqa: SIM115 - closed by stop_server
    proc = subprocess.Popen([str(common.ROOT / ".venv" / "bin" / "gunicorn"), "-c",
                             str(common.ROOT / "gunicorn.conf.py"), "bench.wsgi:app"],
                            cwd=str(common.ROOT), env=env, stdout=log, stderr=log)
    proc.log_file = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            status, _ = Client(port).request("GET", "/healthz", timeout=2)
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the master by its PID (it stops its workers), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = getattr(proc, "log_file", None)
    if log is not None:
        log.close()


def run_phase(clients: list[Client], make_request, seconds: float) -> dict:
    """Every client loops until the deadline; latencies of completed requests."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    start = time.perf_counter()
    deadline = start + seconds

    def loop(i: int) -> None:
        rnd = random.Random(i)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                ok = make_request(clients[i], i, rnd)
            except OSError:
                ok = False
            t1 = time.perf_counter()
            if ok:
                latencies[i].append(t1 - t0)
            else:
                errors[i] += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.perf_counter() - start
    flat = sorted(x for per in latencies for x in per)
    if not flat:
        return {"requests": 0, "errors": sum(errors), "rps": 0.0, "p50_ms": None, "p95_ms": None,
                "p99_ms": None}

    def pct(q: float) -> float:
        return round(flat[min(len(flat) - 1, int(q * len(flat)))] * 1000, 1)

    return {"requests": len(flat), "errors": sum(errors), "rps": round(len(flat) / elapsed, 1),
            "p50_ms": round(statistics.median(flat) * 1000, 1), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "seconds": round(elapsed, 1)}


def run(url: str, meta: dict, n_clients: int = 20, seconds: float = 20.0, workers: int = 2) -> dict:
    """The four phases: /healthz, the dashboard, the overdue list, a progress update."""
    port = free_port()
    log = common.DATA / f"gunicorn-{meta['database']}.log"
    log.unlink(missing_ok=True)
    extra = {"BENCH_TODAY": meta["today"].isoformat()}
    proc = start_server(url, port, workers, extra, log)
    try:
        leaders = [meta["largest_head"]] + [h for h in meta["heads"] if h != meta["largest_head"]]
        heads = leaders[:n_clients]
        staff_tasks = open_tasks_of_staff(url, meta, n_clients)
        head_clients = []
        for name in heads:
            c = Client(port)
            c.login(name, common.PASSWORD)
            head_clients.append(c)
        staff_clients = []
        for name, task_ids in staff_tasks:
            c = Client(port)
            c.login(name, common.PASSWORD)
            status, html = c.request("GET", f"/tasks/{task_ids[0]}")
            if status != 200:
                raise RuntimeError(f"task page for {name} answered {status}")
            c.token_from(html)
            c.task_ids = task_ids
            staff_clients.append(c)

        def get(path):
            def one(c, i, rnd):
                status, _ = c.request("GET", path)
                return status == 200
            return one

        def progress(c, i, rnd):
            tid = rnd.choice(c.task_ids)
            status, _ = c.request("POST", f"/tasks/{tid}/progress",
                                  {"percent": str(rnd.randint(5, 95)), "note": "Cập nhật tiến độ (bench)",
                                   "actual_value": "", "csrf_token": c.csrf})
            return status == 302

        # A short warm-up: every worker has imported, connected and compiled templates.
        run_phase(head_clients, get("/"), 2)
        run_phase(head_clients, get("/overdue"), 2)
        out = {
            "healthz": run_phase(head_clients, get("/healthz"), seconds),
            "dashboard": run_phase(head_clients, get("/"), seconds),
            "overdue_list": run_phase(head_clients, get("/overdue"), seconds),
            "progress_update": run_phase(staff_clients, progress, seconds),
        }
        out["config"] = {"clients": n_clients, "seconds": seconds, "workers": workers,
                         "users": {"pages": len(set(heads)), "progress": len(staff_clients)}}
        return out
    finally:
        stop_server(proc)


def open_tasks_of_staff(url: str, meta: dict, n: int) -> list[tuple[str, list[int]]]:
    """n staff members who each have open tasks they can report progress on: not in a
    closed plan (read-only) and not broken down (their progress is rolled up)."""
    conn = common.raw_connection(url)
    cur = conn.cursor()
    cur.execute("SELECT u.username, t.id FROM tasks t JOIN users u ON u.id = t.assignee_id "
                "JOIN plans p ON p.id = t.plan_id "
                "WHERE u.role = 'staff' AND t.status IN ('assigned', 'in_progress', 'returned') "
                "AND p.status <> 'closed' "
                "AND NOT EXISTS (SELECT 1 FROM tasks c WHERE c.parent_id = t.id) "
                "ORDER BY u.username, t.id")
    by: dict[str, list[int]] = {}
    for name, tid in cur.fetchall():
        by.setdefault(name, []).append(tid)
    conn.close()
    names = sorted(by, key=lambda k: (-len(by[k]), k))[:n]
    return [(k, by[k][:20]) for k in names]


if __name__ == "__main__":
    sys.exit("run bench/run.py (it calls this module)")
