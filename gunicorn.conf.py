"""gunicorn settings for Sáu Rõ: `gunicorn -c gunicorn.conf.py` (the app is wsgi:app).

Every setting reads the environment, so one file serves every server of a deployment:

    GUNICORN_BIND      address to listen on (default 127.0.0.1:8000: nginx in front)
    WEB_CONCURRENCY    worker processes (default 2; about 2 x cores on a dedicated host)
    GUNICORN_THREADS   threads per worker (default 1: sync workers)
    GUNICORN_PRELOAD   1 to import the app once in the master before forking (default 0)
    GUNICORN_TIMEOUT   seconds before a silent worker is restarted (default 300: the
                       province-wide XLSX export of a year runs for a minute or more)
    GUNICORN_ACCESSLOG path of the access log, or - for stderr (default: none)
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (default: none, no socket)
    SAURO_ENV          production (default here: ProductionConfig, HTTPS only) or development
    TRUSTED_PROXIES    read by the app (config.py): 1 behind one nginx, so that the client's
                       address is the one nginx saw (docs/deploy.md)

The scheduler never runs in a web worker unless SCHEDULER_ENABLED=1 is set on purpose:
production runs one `flask scheduler run` process beside the web servers (docs/deploy.md).
Nothing a second server would need lives in a worker: sessions are signed cookies (the
same SECRET_KEY everywhere), login throttling is in Redis (REDIS_URL) or the database,
uploads go to UPLOAD_FOLDER (shared storage when there are several hosts).
"""

import os

# Web workers never start the scheduler by accident: an unset switch means off.
os.environ.setdefault("SCHEDULER_ENABLED", "0")
# gunicorn is the production server: ProductionConfig (DEBUG off, HSTS, Secure cookies, and
# a refusal to start without SECRET_KEY) unless SAURO_ENV says otherwise (wsgi.py).
os.environ.setdefault("SAURO_ENV", "production")

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak can never grow without bound. A recycled
# worker starts with empty page caches (the home page and the overdue list are kept per
# process), so every reader's next view there is built anew: at 5,000 a busy worker recycled
# every few seconds under the bench's load and those rebuilds were the whole p99 tail. A
# worker's RSS stayed flat (~157 MB) over 8,000+ requests with recycling off (docs/deploy.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# nginx on the same host sets X-Forwarded-*; gunicorn believes X-Forwarded-Proto (the URL
# scheme) only from these addresses. It never rewrites REMOTE_ADDR: the client's address
# for the failed-login limit comes from TRUSTED_PROXIES (ProxyFix in create_app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "sauro"
# gunicorn's control socket (`gunicornc`) defaults to one path per user: two servers on one
# host would take each other's. Off unless a path is given for this server.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def on_starting(server) -> None:
    if os.environ.get("SCHEDULER_ENABLED") == "1":
        server.log.warning(
            "SCHEDULER_ENABLED=1: every worker of this server runs the scheduler. The job "
            "ledger keeps each tick to one run, but production should run one "
            "`flask scheduler run` process instead and leave the web workers at 0.")


def post_fork(server, worker) -> None:
    """With preload, the master imported the app and may hold pooled database
    connections; a forked child must never share them (SQLAlchemy's pooling docs:
    dispose(close=False) in the child)."""
    if not preload_app:
        return
    from app.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
