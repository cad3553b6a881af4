"""A real server for the groups that need one: gunicorn on 127.0.0.1 (a free port), started
and stopped by its own process id, nginx in front of it as deployed (docs/deploy.md), and a
small browser (http.client, a cookie, the CSRF token read from the forms; optionally from
another loopback source address, with extra headers)."""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.support.ports import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Server:
    """gunicorn serving tests/reliability/gunicorn_app.py; always stopped by pid."""

    def __init__(self, database_url: str, upload_folder: str, log_path: Path, workers: int = 3,
                 threads: int = 1, env: dict | None = None):
        self.port = free_port()
        self.log_path = log_path
        env = dict(os.environ, SAURO_TEST_DATABASE_URL=database_url,
                   SAURO_TEST_UPLOAD_FOLDER=upload_folder, SCHEDULER_ENABLED="0", **(env or {}))
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


NGINX_CONF = """worker_processes 1;
daemon off;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 64m;
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""


def nginx_binary() -> str | None:
    """Debian's nginx (nginx-light; .ci/run installs it)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


class Nginx:
    """nginx on a free 127.0.0.1 port in front of `upstream_port`, with docs/deploy.md's
    proxy headers, its configuration and temporary files in `folder`; stopped by pid."""

    def __init__(self, folder: Path, upstream_port: int):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed: apt-get install -y nginx-light")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        conf = self.folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=self.folder, port=self.port, upstream=upstream_port))
        self.log = open(self.folder / "stderr.log", "wb")  # noqa: SIM115 - closed in stop()
        # -e: the error log before the configuration is read (never /var/log/nginx)
        self.proc = subprocess.Popen([binary, "-p", str(self.folder), "-c", str(conf),
                                      "-e", str(self.folder / "error.log")],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log_text()[-2000:]}")
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
        raise RuntimeError(f"nginx did not answer /healthz in time: {self.log_text()[-2000:]}")

    def stop(self) -> None:
        """QUIT (graceful) to the master by pid, then KILL to its own process group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
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
        out = []
        for name in ("stderr.log", "error.log"):
            path = self.folder / name
            if path.exists():
                out.append(path.read_text("utf-8", "replace"))
        return "\n".join(out)


class Browser:
    """One person's browser: a session cookie, forms posted with the page's CSRF token.
    `source`: the loopback address to connect from (127.0.0.2 ...: another machine, as far
    as the server can tell); `headers`: sent with every request (X-Forwarded-For ...)."""

    def __init__(self, port: int, source: str | None = None, headers: dict | None = None):
        self.port = port
        self.cookie = None
        self.token = None
        self.source = source
        self.headers = dict(headers or {})

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(self.source, 0) if self.source else None)

    def request(self, method: str, path: str, form: dict | None = None):
        headers = dict(self.headers)
        body = None
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        c = self._connection(60)
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
        headers = self.headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        c = self._connection(timeout)
        try:
            c.request("POST", path, body=b"".join(parts), headers=headers)
            r = c.getresponse()
            body = r.read()
            location = r.headers.get("Location") if r.status in (302, 303) else None
        finally:
            c.close()
        if location:
            # Redirect after post (the plan import's preview is a page of its own): followed
            # by GET, as a browser does.
            parts = urlsplit(location)
            return self.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        return r.status, body.decode("utf-8", "replace")
