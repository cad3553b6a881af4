"""A database whose every test is rolled back: one connection, one transaction per test.

The tests of `tests/services`, `tests/web`, `tests/api`, ... run their app on an engine whose
pool holds exactly one connection (the session's migrated database: the SQLite template's own
copy, or the session's PostgreSQL schema). A test opens one transaction on it (BEGIN) and rolls
it back at the end; nothing it wrote reaches the disk, so the next test finds the database empty
again without a file copy or a DELETE of every table.

Inside the test the app runs as in production: every session, every `db.engine.connect()`
(the audit row of a refused access, the token and calendar stamps) begins, commits and rolls
back as usual. The engine's dialect turns each of those transactions into a savepoint of the
test's transaction: BEGIN is SAVEPOINT, COMMIT is RELEASE SAVEPOINT, ROLLBACK is ROLLBACK TO
SAVEPOINT (SQLAlchemy's "join an external transaction" pattern, taken down to the dialect so
that connections opened by the app itself join too). On SQLite the app already switched
pysqlite's own transaction handling off (app/extensions.py, isolation_level=None) and emits
BEGIN / BEGIN IMMEDIATE itself in a `begin` event: those statements become a no-op here, since
the savepoint is the transaction. On PostgreSQL the driver is in autocommit and the test's
BEGIN is explicit; the id sequences, which no rollback restores, are set back to 1 after each
test, so ids start at 1 in every test as they did with a database per test.

What this cannot give, and why some tests keep a real database (`real_database` marker,
tests/conftest.py): a second connection that does not see the test's uncommitted rows, locks
between connections, threads or processes, DDL and migrations, a server of its own.
"""

import itertools
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

_BEGINS = ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN EXCLUSIVE")

SEQUENCES = ("SELECT format('%I.%I', sequence_schema, sequence_name) "
             "FROM information_schema.sequences WHERE sequence_schema = current_schema()")


class RollbackDatabase:
    """An engine over one connection whose transactions are savepoints of the test's."""

    def __init__(self, url: str):
        self.engine = create_engine(url, poolclass=StaticPool)
        fairy = self.engine.raw_connection()   # connects: dialect set up, pragmas run
        self.dbapi = fairy.dbapi_connection
        fairy.close()
        self.kind = self.engine.dialect.name
        if self.kind == "postgresql":
            self.dbapi.autocommit = True       # every transaction is begun by us
            # The id sequences, set back to 1 after each test: one statement naming each
            # (the catalogue is read once; information_schema is slow to query).
            names = [name for (name,) in self._rows(SEQUENCES)]
            self._reset_sequences = "SELECT " + (", ".join(
                f"setval('{name}', 1, false)" for name in names) or "1")
        else:
            self._count_writes_per_table()
        self._open: list[tuple[int, str]] = []   # (connection checkout, savepoint), oldest first
        self._marks: list[str] = []   # savepoints of `mark()`, oldest first, still in place
        self._names = itertools.count(1)
        self.in_test = False
        self._patch()
        self.engine.sauro_rollback = self   # found by tests/support/snapshot.dump()/restore()

    # -- the dialect: each transaction of the app is a savepoint of the test's ---------------

    def _run(self, sql: str) -> None:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def _rollback_to(self, name: str) -> None:
        """ROLLBACK TO SAVEPOINT `name` and RELEASE it. On PostgreSQL the two go in
        one round trip (a query of two statements, which psycopg sends as one simple query
        when it has no parameters): most transactions of the app end in a rollback (every
        read-only request), and each round trip is a wait for another process. pysqlite
        runs one statement per call (and answers in the process)."""
        if self.kind == "postgresql":
            self._run(f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
        else:
            self._run(f"ROLLBACK TO SAVEPOINT {name}")
            self._run(f"RELEASE SAVEPOINT {name}")

    def _patch(self) -> None:
        dialect = self.engine.dialect

        def do_begin(conn):
            if not self.in_test:
                raise RuntimeError("the rollback database is used outside a test")
            name = f"sauro_tx_{next(self._names)}"
            self._run(f"SAVEPOINT {name}")
            self._open.append((id(conn), name))

        def _end(conn, rollback: bool):
            key = id(conn)
            for i in range(len(self._open) - 1, -1, -1):
                if self._open[i][0] == key:
                    name = self._open[i][1]
                    del self._open[i:]    # savepoints opened after it end with it
                    if rollback:
                        self._rollback_to(name)
                    else:
                        self._run(f"RELEASE SAVEPOINT {name}")
                    return

        dialect.do_begin = do_begin
        dialect.do_commit = lambda conn: _end(conn, rollback=False)
        dialect.do_rollback = lambda conn: _end(conn, rollback=True)
        # The one connection must outlive any dispose() (the app's engine is this one).
        self.engine.dispose = lambda *a, **k: None

        # The app's SQLite `begin` event emits BEGIN [IMMEDIATE]: the savepoint is the
        # transaction here, so the statement is not sent (at the cursor, so that listeners of
        # `before_cursor_execute`, e.g. tests/reliability/test_csrf.py, still see it).
        execute, execute_no_params = dialect.do_execute, dialect.do_execute_no_params

        def do_execute(cursor, statement, parameters, context=None):
            if statement.strip().upper() in _BEGINS:
                return None
            return execute(cursor, statement, parameters, context)

        def do_execute_no_params(cursor, statement, context=None):
            if statement.strip().upper() in _BEGINS:
                return None
            return execute_no_params(cursor, statement, context)

        dialect.do_execute = do_execute
        dialect.do_execute_no_params = do_execute_no_params

    # -- one test -------------------------------------------------------------------------

    def begin_test(self) -> None:
        self._open.clear()
        self._marks.clear()
        self._run("BEGIN")
        self.in_test = True

    def end_test(self) -> None:
        self.in_test = False
        self._open.clear()
        self._marks.clear()
        if self.kind == "postgresql":   # one round trip (see _rollback_to)
            self._run(f"ROLLBACK; {self._reset_sequences}")
        else:
            self._run("ROLLBACK")

    @contextmanager
    def aside(self):
        """Work that leaves nothing behind, between tests or inside one (a savepoint)."""
        if not self.in_test:
            self.begin_test()
            try:
                yield
            finally:
                self.end_test()
            return
        name = f"sauro_aside_{next(self._names)}"
        self._run(f"SAVEPOINT {name}")
        mark, marks = len(self._open), len(self._marks)
        try:
            yield
        finally:
            del self._open[mark:]
            del self._marks[marks:]
            self._rollback_to(name)

    # -- a module's world: marks to go back to ----------------------------------------------

    def mark(self) -> str | None:
        """A savepoint at the state as it stands (no transaction of the app open), to go back
        to with `back_to()` as often as needed: what `snapshot.restore()` of a module's world
        does instead of deleting and inserting every row. None when one cannot be set here
        (outside a test, or inside a transaction of the app)."""
        if not self.in_test or self._open:
            return None
        name = f"sauro_mark_{next(self._names)}"
        self._run(f"SAVEPOINT {name}")
        self._marks.append(name)
        return name

    def back_to(self, name: str | None) -> bool:
        """Every row back to where `mark()` left them (ROLLBACK TO SAVEPOINT keeps the mark);
        marks set after it go with it. False when the mark is gone (the caller then puts the
        rows back one by one)."""
        if name not in self._marks:
            return False
        del self._marks[self._marks.index(name) + 1:]
        self._open.clear()     # the app's savepoints opened since are undone with it
        self._run(f"ROLLBACK TO SAVEPOINT {name}")
        return True

    # -- has anything been written? ---------------------------------------------------------

    # PostgreSQL: the rows this backend inserted, updated and deleted in the session schema's
    # tables during the current transaction, its live and ended subtransactions included,
    # rolled back or not (pgstat counts "attempted actions regardless of commit/abort").
    _CHANGES = ("SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(c.oid) "
                "+ pg_stat_get_xact_tuples_updated(c.oid) "
                "+ pg_stat_get_xact_tuples_deleted(c.oid)), 0) "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                "AND c.relkind IN ('r', 'p')")

    def changes(self) -> int:
        """A counter of the rows this connection has inserted, updated or deleted (triggers'
        rows too), including rows later rolled back: it only grows, so if it has not moved
        between two readings, no row of any table changed in between, and when it has, a
        request may or may not have left a change (a refused request's writes are rolled
        back). One reading is cheap: on SQLite `sqlite3_total_changes()` of the connection
        (no statement); on PostgreSQL one statement over the statistics of the current
        transaction (`pg_stat_get_xact_tuples_*`, no table read). It does not see TRUNCATE or
        DDL, which no request issues (tests/web/test_bad_input.py::test_write_detector proves
        that it sees an INSERT, an UPDATE and a DELETE made in a request)."""
        if self.kind == "sqlite":
            return self.dbapi.total_changes
        return int(self._rows(self._CHANGES)[0][0])

    # PostgreSQL: the same statistics per table (one statement, no table read).
    _TABLE_CHANGES = ("SELECT c.relname, pg_stat_get_xact_tuples_inserted(c.oid) "
                      "+ pg_stat_get_xact_tuples_updated(c.oid) "
                      "+ pg_stat_get_xact_tuples_deleted(c.oid) "
                      "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                      "AND c.relkind IN ('r', 'p')")

    def table_changes(self) -> dict[str, int]:
        """`changes()` per table, {table: rows inserted, updated or deleted so far}, each only
        growing: a table whose count has not moved between two readings has the same rows,
        so a snapshot need read again only the tables that moved (tests/support/snapshot.
        current). PostgreSQL: the transaction's statistics of each table of the schema (rows
        written by triggers and by foreign key actions are statements of their own, counted
        on their table). SQLite has no such count: a TEMP trigger after every INSERT, UPDATE
        and DELETE of every table (set when the connection is made, outside any
        transaction, so no rollback takes them away) calls back into Python, which counts
        outside the database, so a rollback does not take the counts back either. The key
        "*" is the connection's total_changes(), which `snapshot.current` checks against
        the tables' counts."""
        if self.kind == "sqlite":
            return {"*": self.dbapi.total_changes, **self._written}
        return {name: int(n) for name, n in self._rows(self._TABLE_CHANGES)}

    def _count_writes_per_table(self) -> None:
        self._written: dict[str, int] = {}
        written = self._written

        def wrote(table: str) -> None:
            written[table] = written.get(table, 0) + 1

        self.dbapi.create_function("sauro_wrote", 1, wrote)
        tables = [name for (name,) in self._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for name in tables:
            written[name] = 0
            for event in ("INSERT", "UPDATE", "DELETE"):
                self._run(f'CREATE TEMP TRIGGER "sauro_wrote_{name}_{event.lower()}" AFTER {event} '
                          f'ON main."{name}" BEGIN SELECT sauro_wrote(\'{name}\'); END')

    def _rows(self, sql: str) -> list:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall())
        finally:
            cur.close()

    def leftovers(self) -> list[str]:
        """Tables that still have rows between tests: a test that committed past the
        rollback (it should be marked `real_database`)."""
        from app.extensions import db

        if not hasattr(self, "_leftovers_sql"):
            self._leftovers_sql = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                for t in db.metadata.sorted_tables)
        return [r[0] for r in self._rows(self._leftovers_sql)]

    def clear(self) -> None:
        """Empty every table (after a test that committed past the rollback)."""
        from app.extensions import db

        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        self._run("BEGIN")
        if self.kind == "postgresql":
            self._run("SET LOCAL session_replication_role = replica")
            triggers = []
        else:
            triggers = self._rows("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            for name, _sql in triggers:
                self._run(f'DROP TRIGGER "{name}"')
        for name in tables:
            self._run(f'DELETE FROM "{name}"')
        for _name, sql in triggers:
            self._run(sql)
        self._run("COMMIT")
        if self.kind == "postgresql":
            self._run(self._reset_sequences)

    def close(self) -> None:
        self.dbapi.close()
