"""The home page's content (and the overdue list's: `overdue_fragments`, a subset of the same
tables), cached per reader until anything it is made from is written.

The page's counts, lists and names come from `tasks`, `task_tallies`, `plans`, `units`,
`users`, `fields` and `extensions`. Triggers on each of them (`create_sql`, migration 0020)
write a fresh random token into `data_versions` (SQLite: in the statement; PostgreSQL: at commit), by
whatever path it comes (a form, the importer, the API, the sweep, a unit merge, a raw UPDATE,
a tally rebuild). The view reads the token first, then makes the page: a fragment stored
under a token holds every write committed before the token was read (and perhaps some
after, which only makes it newer), and any later write changes the token, so a reader is
never served a page older than their own snapshot of the token. The key also holds what
the page depends on besides the data: the reader, the day, the language and the settings.

What it costs: one small SELECT a request; on every write to those tables one upsert of the
token's row (SQLite: per row written; PostgreSQL: once per transaction, at its commit, so
writers queue on the row only while each commits, never for a whole transaction). A process keeps the fragments of the current token only (at most
MAX_ENTRIES readers, ~60 KB each for a department's head); a write anywhere empties it.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import select, text

from app.extensions import db
from app.models import DataVersion

HOME = "home"
# Every table the home page reads (app/dashboard/queries.py, the templates, the reader).
TABLES = ("tasks", "task_tallies", "plans", "units", "users", "fields", "extensions")
MAX_ENTRIES = 128
# PostgreSQL: the transaction-local setting that marks a transaction which renewed the token.
MARK = "sauro.home_token_txid"
# PostgreSQL: the transaction-local setting that marks a transaction which wrote these tables.
WROTE = "sauro.home_wrote_txid"


def _new_token(dialect: str) -> str:
    if dialect == "postgresql":
        return "md5(random()::text || clock_timestamp()::text)"
    return "lower(hex(randomblob(16)))"


def _bump(dialect: str) -> str:
    # An upsert: a database whose row was deleted (a test's world restored, a hand's DELETE)
    # gets it back at the next write; until then the page is not cached (`current_token`).
    return (f"INSERT INTO data_versions (name, token) VALUES ('{HOME}', {_new_token(dialect)}) "
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token")


def create_sql(dialect: str) -> list[str]:
    """The triggers that renew the home token (and write its row at the first write: an
    empty database has none, and until then nothing is cached)."""
    if dialect == "postgresql":
        return [
            # Renewed at COMMIT (a deferred constraint trigger: the row's lock is taken last,
            # held only while the transaction commits, so writers of different tasks never
            # queue on it and it closes no cycle with their row locks), once per transaction
            # (a mark in a transaction-local setting: the row's versions of one transaction
            # would form a chain each further UPDATE walks, N^2 for a bulk insert). The token
            # and the rows written become visible together, at commit; a reader reads the
            # token before the rows, so a page stored under a token is never older than it.
            ("CREATE FUNCTION data_versions_home() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  IF current_setting('{MARK}', true) IS DISTINCT FROM "
             "txid_current()::text THEN\n"
             f"    {_bump(dialect)};\n"
             f"    PERFORM set_config('{MARK}', txid_current()::text, true);\n"
             "  END IF;\n  RETURN NULL;\nEND\n$$"),
            # Until then the writer itself must not read the cache (the token is not renewed
            # yet, and its own writes are not in the stored pages): a mark at each writing
            # statement, no lock.
            ("CREATE FUNCTION data_versions_wrote() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  IF current_setting('{WROTE}', true) IS DISTINCT FROM "
             "txid_current()::text THEN\n"
             f"    PERFORM set_config('{WROTE}', txid_current()::text, true);\n"
             "  END IF;\n  RETURN NULL;\nEND\n$$"),
            *[f"CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
              f"ON {t} FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()" for t in TABLES],
            *[f"CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE "
              f"ON {t} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
              "EXECUTE FUNCTION data_versions_home()" for t in TABLES],
            # TRUNCATE has no row triggers: renewed at once (the lock held to the commit).
            *[f"CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON {t} "
              "FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()" for t in TABLES],
        ]
    return [f"CREATE TRIGGER data_versions_home_{t}_{op.lower()} AFTER {op} ON {t} "
            f"BEGIN {_bump(dialect)}; END"
            for t in TABLES for op in ("INSERT", "UPDATE", "DELETE")]


def drop_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [*[f"DROP TRIGGER IF EXISTS {name} ON {t}" for t in TABLES
                  for name in ("data_versions_home", "data_versions_wrote",
                               "data_versions_home_truncate")],
                "DROP FUNCTION IF EXISTS data_versions_home()",
                "DROP FUNCTION IF EXISTS data_versions_wrote()",
                f"DELETE FROM data_versions WHERE name = '{HOME}'"]
    return [*[f"DROP TRIGGER IF EXISTS data_versions_home_{t}_{op}" for t in TABLES
              for op in ("insert", "update", "delete")],
            f"DELETE FROM data_versions WHERE name = '{HOME}'"]


def current_token() -> str | None:
    """The home token as this request's transaction sees it. None: no row yet, or (on
    PostgreSQL) this transaction has itself written the tables: its writes renew the token
    only when it commits, so it never reads the cache."""
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(text(
            f"SELECT token, current_setting('{WROTE}', true) = txid_current_if_assigned()::text "
            f"FROM data_versions WHERE name = '{HOME}'")).first()
        return None if row is None or row[1] else row[0]
    return db.session.execute(
        select(DataVersion.token).where(DataVersion.name == HOME)).scalar_one_or_none()


class FragmentCache:
    """Rendered fragments of the current token, least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._token: str | None = None
        self._store: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def get_or_make(self, key: tuple, make: Callable[[], str]) -> str:
        token = current_token()
        if token is None:
            return make()
        with self._lock:
            if token == self._token and key in self._store:
                self._store.move_to_end(key)
                self.hits += 1
                return self._store[key]
        html = make()
        with self._lock:
            self.misses += 1
            if token != self._token:
                self._store.clear()
                self._token = token
            self._store[key] = html
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._token = None


home_fragments = FragmentCache()
# The overdue list reads a subset of the same tables (app/deadlines/overdue_list.py).
overdue_fragments = FragmentCache()
