"""A real server for the groups that need one: gunicorn on 127.0.0.1 (a free port), started
and stopped by its own process id, and a small browser (http.client, a cookie, the CSRF
token read from the forms)."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving tests/reliability/gunicorn_app.py; always stopped by pid."""

    def __init__(self, database_url: str, upload_folder: str, log_path: Path, workers: int = 3,
                 threads: int = 1):
        self.port = free_port()
        self.log_path = log_path
        env = dict(os.environ, SAURO_TEST_DATABASE_URL=database_url,
                   SAURO_TEST_UPLOAD_FOLDER=upload_folder, SCHEDULER_ENABLED="0")
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "--threads", str(threads),
             "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT),
             "--pythonpath", f"{ROOT},{HERE}", "--timeout", "60", "--graceful-timeout", "5",
             "--log-level", "warning", "gunicorn_app:app"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_text()[-2000:]}")
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    return
            except OSError:
                pass
            finally:
                c.close()
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        """TERM to the master (by pid), then KILL to its process group if it lingers: the
        group was created for this server (start_new_session), so it holds only its workers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            pass
        else:  # a worker outlived its master
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text("utf-8", "replace")


class Browser:
    """One person's browser: a session cookie, forms posted with the page's CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = None
        self.token = None

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {}
        body = None
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            for value in r.headers.get_all("Set-Cookie") or []:
                if value.startswith("session="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1] or None
            return r.status, data.decode("utf-8", "replace")
        finally:
            c.close()

    def read_token(self, path: str) -> str:
        status, html = self.request("GET", path)
        m = TOKEN.search(html)
        if not m:
            raise AssertionError(f"no CSRF token on {path} ({status})")
        self.token = m.group(1) or m.group(2)
        return self.token

    def login(self, username: str, password: str) -> None:
        self.read_token("/login")
        status, _ = self.request("POST", "/login", {"username": username, "password": password,
                                                    "csrf_token": self.token})
        if status != 302:
            raise AssertionError(f"login of {username}: {status}")

    def post(self, path: str, form: dict):
        return self.request("POST", path, form | {"csrf_token": self.token})

    def upload(self, path: str, form: dict, field: str, filename: str, data: bytes,
               timeout: float = 600):
        """A multipart POST of `form` (with the CSRF token) and one file."""
        boundary = "----sauro" + os.urandom(8).hex()
        parts = []
        for k, v in (form | {"csrf_token": self.token}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                         f"{v}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("POST", path, body=b"".join(parts), headers=headers)
            r = c.getresponse()
            body = r.read()
            return r.status, body.decode("utf-8", "replace")
        finally:
            c.close()
