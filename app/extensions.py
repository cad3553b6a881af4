"""Flask extensions, created unbound; `create_app` binds them."""

import random
import sqlite3
import time
from functools import wraps

from argon2 import PasswordHasher
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


def select_rows(stmt, params: dict | None = None):
    """Run a SELECT of columns (no ORM entity) on the session's connection and transaction:
    the result of Core's execution, without the ORM's path around it (~50 us a statement,
    half of a small statement's cost; issue 16, docs/performance.md fifth pass). Flushes
    first when the session autoflushes, as its own execute would."""
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt, params or {})


def serial_reads() -> None:
    """PostgreSQL: the rest of the transaction's statements run without parallel workers
    (`SET LOCAL`, undone at its end). For a page's reads: the planner starts workers for a
    statement over some thousands of rows (the home page's tallies and its pending extension
    requests at 1,000,000 tasks), and on a server whose cores serve other requests, starting
    and gathering them cost more than they saved: 46 -> 31 ms and 21 -> 1.5 ms (the latter
    also choosing the ordered index walk; docs/performance.md, session 10). Batch work (the
    sweep, the assessment, exports) keeps them. SQLite: nothing to do."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


class Passwords:
    """The app's password hasher, bound like the database: argon2id with its (OWASP-strength)
    defaults, or a cheap one when PASSWORD_HASH_FAST is set (TestConfig only)."""

    KEY = "sauro_password_hasher"

    def init_app(self, app) -> None:
        fast = app.config.get("PASSWORD_HASH_FAST")
        app.extensions[self.KEY] = (PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
                                    if fast else PasswordHasher())

    @property
    def hasher(self) -> PasswordHasher:
        return current_app.extensions[self.KEY]


passwords = Passwords()

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# How long a write waits for SQLite's single write lock before it gives up (and the request
# answers 503 "busy, try again": app/errors.py). 5 s was measured too short on a saturated
# 2-core machine: SQLite's busy handler polls (every 100 ms after the first few tries), it
# does not queue, so with 8 writers back to back an unlucky one missed every gap and 327 of
# 4,000 writes failed. Each further poll it survives makes that rarer; 30 s brought it to 0
# (tests/reliability/test_concurrent_writes.py) and stays well below gunicorn's timeout.
DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 30_000


def sqlite_busy_timeout_ms() -> int:
    """The configured SQLITE_BUSY_TIMEOUT_MS of the current app, or the default."""
    if has_app_context():
        return int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", DEFAULT_SQLITE_BUSY_TIMEOUT_MS))
    return DEFAULT_SQLITE_BUSY_TIMEOUT_MS


def is_lock_timeout(error: BaseException) -> bool:
    """Whether a database error means "the lock could not be had in time, try again":
    SQLite's "database is locked" (SQLITE_BUSY after the busy timeout), PostgreSQL's
    lock_not_available (55P03, a lock_timeout), deadlock_detected (40P01) or
    serialization_failure (40001). Nothing of the transaction was kept in any of them."""
    orig = getattr(error, "orig", error)
    if isinstance(orig, sqlite3.OperationalError):
        return "database is locked" in str(orig) or "database table is locked" in str(orig)
    return getattr(orig, "sqlstate", None) in ("55P03", "40P01", "40001")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL, a busy timeout, foreign keys and a 32 MiB page cache on every SQLite connection.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's
    `begin` event below decides how each transaction starts.

    The page cache: SQLite's default (2 MiB) does not hold a department's list indexes and
    rows from one request to the next, and each miss is a read from the OS (issue 16: the
    overdue list's two statements 2.0 + 2.7 ms with the default, 1.1 + 1.9 ms with 32 MiB on
    the bench's province; docs/performance.md, fifth pass). An upper bound, filled as pages
    are read; one pooled connection a sync worker.
    """
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", f"busy_timeout={sqlite_busy_timeout_ms():d}",
                   "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-32768"):
        cur.execute("PRAGMA " + pragma)
    cur.close()


@event.listens_for(Engine, "connect")
def _postgresql_no_jit(dbapi_conn, _record) -> None:
    """No JIT compilation on a PostgreSQL connection: the home page's one GROUP BY over a
    head's scope costs past `jit_above_cost` once the tasks table holds a million rows, and
    PostgreSQL then spent 363 ms compiling it for 71 ms of execution (bench SCALE=large,
    docs/performance.md); no statement of the app runs long enough to win it back."""
    if isinstance(dbapi_conn, sqlite3.Connection) or not hasattr(dbapi_conn, "pgconn"):
        return
    with dbapi_conn.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_conn.commit()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Writes take the lock up front (BEGIN IMMEDIATE); reads stay deferred.

    Measured on this kind of machine: with deferred BEGIN, 8 writers x 500 updates
    lost 3,130 of 4,000 or failed with "database is locked"; with IMMEDIATE, none.
    Requests that are not POST/PUT/PATCH/DELETE never write, so they read
    without taking the write lock (4.6x more read throughput); so does the rest of a write
    request that could not get the lock (`g.sauro_read_only`: its error page only reads).
    The one write a read request may make, the audit row of a refused access, runs on a
    connection of its own marked with the `sauro_write` execution option.
    """
    if conn.dialect.name != "sqlite":
        return
    write = ((not has_request_context())
             or (request.method in WRITE_METHODS and not g.get("sauro_read_only"))
             or bool(conn.get_execution_options().get("sauro_write")))
    if write:
        _begin_immediate(conn)
    else:
        conn.exec_driver_sql("BEGIN")


def reads_only(view):
    """For a POST that writes nothing to the database (the import preview, which spends
    seconds reading a workbook): on SQLite its transactions begin deferred, so it does not
    hold the write lock, and every other writer's wait, while it works. Put it above
    @login_required, so that loading the user is already a read. Should such a request write
    after all, SQLite refuses the write (a 503, nothing saved) rather than lose anything."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.sauro_read_only = True
        return view(*args, **kwargs)

    return wrapper


# SQLite's own busy handler backs off to one try every 100 ms, so a writer that has waited a
# while polls far less often than one that just arrived, and can lose every race for the lock
# until its timeout ends. Waiting in short slices (the handler restarts at 1 ms each time)
# keeps every waiter polling about every 10 ms: measured with 8 writers on 2 cores, the waits
# stayed short and even instead of a few writers starving.
_BUSY_SLICE_MS = 20


def _begin_immediate(conn) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock up to SQLITE_BUSY_TIMEOUT_MS in short
    slices; past it, the "database is locked" error goes up (a 503 in a request)."""
    raw = conn.connection.driver_connection
    timeout_ms = sqlite_busy_timeout_ms()
    deadline = time.monotonic() + timeout_ms / 1000
    raw.execute(f"PRAGMA busy_timeout = {min(_BUSY_SLICE_MS, timeout_ms):d}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as e:
                if not is_lock_timeout(e) or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0, 0.002))  # jitter, not a secret
    finally:
        raw.execute(f"PRAGMA busy_timeout = {timeout_ms:d}")
