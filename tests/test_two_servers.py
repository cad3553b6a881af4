"""Two app servers, one PostgreSQL database, one Redis: nothing a second server needs is
kept inside a process. Two gunicorn servers (gunicorn.conf.py, one worker each) on two
loopback ports share a schema of their own and Redis database 15:

- a user logged in through one is logged in on the other (signed cookie, same SECRET_KEY);
- a progress update made through one is seen through the other;
- the failed-login limit counts the failures made through both (Redis);
- the overdue sweep run by both for the same tick runs once (one job_runs row).

Runs in CI's PostgreSQL pass (TEST_DATABASE_URL); skipped on SQLite, which is one file on
one host and never serves two app servers."""

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PASSWORD, PG_URL
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TWO_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/15")
MAX_FAILURES = 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="needs PostgreSQL: several app servers share one PostgreSQL database "
                       "(set TEST_DATABASE_URL; CI's PostgreSQL pass runs this test)")


class Browser:
    """Cookies and the CSRF token of one person, sent to whichever server is asked."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", "replace")
            for raw in resp.msg.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if value:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            m = CSRF.search(data)
            if m:
                self.csrf = m.group(1)
            return resp.status, resp.getheader("Location") or "", data
        finally:
            conn.close()

    def login(self, port: int, username: str, password: str):
        self.request(port, "GET", "/login")
        return self.request(port, "POST", "/login", {"username": username, "password": password,
                                                      "csrf_token": self.csrf})


def redis_client():
    import redis

    r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        r.ping()
    except redis.RedisError as e:  # CI's machines run Redis on 127.0.0.1:6379
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({e}); the two-server test needs it")
    return r


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A schema of its own with a unit, a head, a staff member and an overdue task; two
    gunicorn servers on it; the Redis keys this test made removed afterwards."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig
    from tests.conftest import Factory, issue_plans

    tmp_path = tmp_path_factory.mktemp("two_servers")
    tag = uuid.uuid4().hex[:8]
    schema = f"sauro_two_{tag}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    r = redis_client()
    names = {"head": f"head_{tag}", "staff": f"staff_{tag}", "victim": f"victim_{tag}"}
    redis_keys = [f"sauro:login:acct:{n}" for n in names.values()] + ["sauro:login:addr:127.0.0.1"]
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            make = Factory()
            province = make.unit("UBND tỉnh Đắk Lắk", code=f"P{tag}")
            unit = make.unit("Sở Nội vụ", parent=province, code=f"SNV{tag}")
            head = make.user(unit, "head", "Trần Văn Hùng", names["head"])
            staff = make.user(unit, "staff", "Phạm Văn Đăng", names["staff"])
            make.user(unit, "staff", "Ngô Thị Lan", names["victim"])
            plan = make.plan(unit)
            # Due 30/06/2026 and open: overdue on any day after it.
            task = make.task(plan, head, unit, staff, head)
            task_id = task.id
            # Issued, built as a draft first: the sweep never flags a draft plan's tasks (issue 11).
            issue_plans(plan)
            db.session.remove()
            db.engine.dispose()
        env = dict(os.environ)
        env.update({"DATABASE_URL": url, "SECRET_KEY": f"shared-secret-{tag}", "REDIS_URL": REDIS_URL,
                    "WEB_CONCURRENCY": "1", "SCHEDULER_ENABLED": "0", "GUNICORN_LOGLEVEL": "warning",
                    "LOGIN_MAX_FAILURES_PER_ACCOUNT": str(MAX_FAILURES),
                    "SAURO_INSTANCE_DIR": str(tmp_path / "instance")})
        env.pop("TEST_DATABASE_URL", None)
        ports = [free_port(), free_port()]
        for port in ports:
            logs.append(open(tmp_path / f"gunicorn-{port}.log", "wb"))  # noqa: SIM115
            procs.append(subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=str(ROOT), env=env | {"GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=logs[-1], stderr=subprocess.STDOUT))
        for port, proc in zip(ports, procs, strict=True):
            wait_for(port, proc, tmp_path)
        yield {"url": url, "ports": ports, "names": names, "task_id": task_id, "env": env,
               "redis": r, "pids": [p.pid for p in procs]}
    finally:
        for proc in procs:
            stop(proc)
        for log in logs:
            log.close()
        r.delete(*redis_keys)
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def wait_for(port: int, proc: subprocess.Popen, tmp_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (tmp_path / f"gunicorn-{port}.log").read_text("utf-8", "replace")
            pytest.fail(f"gunicorn on {port} exited with {proc.returncode}:\n{log[-3000:]}")
        try:
            status, _, _ = Browser().request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn on {port} did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """The master by its PID: SIGTERM stops its worker; SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_a_login_made_through_one_server_holds_on_the_other(deployment):
    a, b = deployment["ports"]
    me = Browser()
    status, where, _ = me.login(a, deployment["names"]["staff"], PASSWORD)
    assert status == 302, "login through server A"
    status, where, page = me.request(b, "GET", "/")
    assert status == 200, f"server B sent {status} {where}: the session made by A is not valid on B"
    assert "Phạm Văn Đăng" in page
    assert Browser().request(b, "GET", "/")[0] == 302  # and a stranger is still sent to log in


def test_a_progress_update_made_through_one_is_seen_through_the_other(deployment):
    a, b = deployment["ports"]
    tid = deployment["task_id"]
    me = Browser()
    assert me.login(a, deployment["names"]["staff"], PASSWORD)[0] == 302
    assert me.request(a, "GET", f"/tasks/{tid}")[0] == 200
    note = f"Đã gửi dự thảo qua máy chủ A ({uuid.uuid4().hex[:6]})"
    status, _, _ = me.request(a, "POST", f"/tasks/{tid}/progress",
                                  {"percent": "37", "note": note, "actual_value": "",
                                   "csrf_token": me.csrf})
    assert status == 302, f"progress through A answered {status}"
    status, _, page = me.request(b, "GET", f"/tasks/{tid}")
    assert status == 200
    assert note in page and "37%" in page


def test_the_failed_login_limit_counts_across_both_servers(deployment):
    a, b = deployment["ports"]
    name = deployment["names"]["victim"]
    for i in range(MAX_FAILURES):
        status, _, _ = Browser().login((a, b)[i % 2], name, "wrong-password-123")
        assert status == 200, f"failure {i + 1} answered {status}"
    assert int(deployment["redis"].get(f"sauro:login:acct:{name}") or 0) == MAX_FAILURES
    # Two failures went through each server; the right password is now refused on both.
    for port in (a, b):
        status, _, _ = Browser().login(port, name, PASSWORD)
        assert status == 429, f"server on {port} let a login through after {MAX_FAILURES} failures"


SWEEP = """
import sys, time
from datetime import datetime
from zoneinfo import ZoneInfo
from wsgi import app
from app.scheduler import sweep_job
now = datetime.fromisoformat(sys.argv[1]).replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
sweep_job(app, now=now)
print("done")
"""


def test_the_overdue_sweep_of_one_tick_runs_once_whatever_runs_it(deployment):
    """Each server's environment runs the scheduler's job for the same tick at the same
    moment (as two scheduler processes would); the job ledger lets one of them work."""
    now = "2026-11-27T08:05:00"
    start = time.time() + 3
    runs = [subprocess.Popen([sys.executable, "-c", SWEEP, now, str(start)], cwd=str(ROOT),
                             env=deployment["env"] | {"GUNICORN_BIND": f"127.0.0.1:{port}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for port in deployment["ports"]]
    try:
        outs = [p.communicate(timeout=120) for p in runs]
    finally:
        for p in runs:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(runs, outs, strict=True):
        assert p.returncode == 0 and "done" in out, err[-2000:]
    engine = create_engine(deployment["url"])
    try:
        with engine.connect() as c:
            ticks = c.execute(text("SELECT job, tick, COUNT(*) FROM job_runs GROUP BY job, tick")).all()
            notices = c.execute(text("SELECT COUNT(*), COUNT(DISTINCT dedupe_key) FROM notifications "
                                     "WHERE kind = 'overdue'")).one()
            flagged = c.execute(text("SELECT COUNT(*) FROM tasks WHERE overdue_flagged_at IS NOT NULL")).scalar()
    finally:
        engine.dispose()
    assert ticks == [("sweep", "2026-11-27T08:00", 1)]
    assert notices[0] > 0 and notices[0] == notices[1]
    assert flagged == 1
