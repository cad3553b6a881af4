"""The home page's content (and the overdue list's: `overdue_fragments`, a subset of the same
tables), cached per reader until anything it is made from is written.

The page's counts, lists and names come from `tasks`, `task_tallies`, `plans`, `units`,
`users`, `fields` and `extensions`. Triggers on each of them (`create_sql`, migration 0022)
write fresh random tokens into `data_versions` (SQLite: in the statement; PostgreSQL: at
commit), by whatever path the write comes (a form, the importer, the API, the sweep, a unit
merge, a raw UPDATE, a tally rebuild):

- `home`, the province's token, when `units`, `users`, `fields` or `plans` are written (rare:
  renames, role changes, merges, a plan issued or closed; a plan's tasks may belong to any
  department) — every page depends on it;
- `home:<id>`, a department's token (the unit under the province root a unit belongs to:
  `/1/7/42/` is department 7, the root `/1/` its own), when `tasks`, `task_tallies` or
  `extensions` are written: the departments of the row's owner unit, lead unit, responsible
  person's and accountable leader's units, before and after the write (a task moved from a
  unit of department 7 to one of department 9 renews both).

A reader depends on `home` and the token of their own unit's department (`scope_names`): a head
below the root reads their subtree (one department) and the tasks they lead or are
responsible for (their unit's department, which a task's leader or person renews); a deputy
the tasks they lead and their unit's handed-down ones; staff their own tasks. Whoever reads the
province (the administrator, the assessor, the root unit's head, a reader without a unit)
depends on every token. The view reads its tokens first, then makes the page: a fragment stored
under tokens holds every write committed before they were read (and perhaps some after, which
only makes it newer), and any later write that can change the page changes one of them, so a
reader is never served a page older than their own snapshot. A token row deleted by hand
renews `home` (a trigger on `data_versions`), so no set of tokens comes back; without `home`
nothing is cached. The key also holds what the page depends on besides the data: the reader,
the day, the language and the settings.

What it costs: one small SELECT a request (the reader's tokens). On writes (SQLite) one
INSERT ... SELECT per row written: the departments of its units and people (OLD and NEW when
an UPDATE changed them), looked up by primary key, each upserted; on PostgreSQL a statement-level trigger notes
the statement's departments from its transition tables in a transaction-local setting (no
lock), and a deferred constraint trigger renews them at commit, once per transaction, sorted
by name (two writers of different departments never wait on each other's open transactions,
and writers of the same rows take them in the same order: no deadlock). A process keeps at
most MAX_ENTRIES readers' fragments (~60 KB each for a department's head), least recently
used dropped first; an entry whose tokens changed is made anew.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import bindparam, text

from app.common import access
from app.extensions import db
from app.models.user import Role

HOME = "home"
# Every table the home page reads (app/dashboard/queries.py, the templates, the reader).
TABLES = ("tasks", "task_tallies", "plans", "units", "users", "fields", "extensions")
# The tables whose rows belong to departments (their writes renew those departments' tokens);
# the others' writes renew `home`.
SCOPED = ("tasks", "task_tallies", "extensions")
MAX_ENTRIES = 128
# PostgreSQL: the transaction-local setting that marks a transaction which renewed its tokens.
MARK = "sauro.home_token_txid"
# PostgreSQL: the transaction-local setting that marks a transaction which wrote these tables.
WROTE = "sauro.home_wrote_txid"
# PostgreSQL: the transaction-local setting holding the token names a transaction's writes
# renew at its commit ("<txid>|name,name,...").
NOTED = "sauro.home_noted"

# Per table: the units and the people a row's departments come from, as SQL over a row
# `{r}` (SQLite: NEW / OLD; PostgreSQL: a transition table's alias). An extension's come
# from its task, and a tally's NULL ids are stored as 0 (no unit nor person has id 0).
_UNITS = {"tasks": ("{r}.owner_unit_id", "{r}.lead_unit_id"),
          "task_tallies": ("{r}.owner_unit_id", "{r}.lead_unit_id")}
_PEOPLE = {"tasks": ("{r}.assignee_id", "{r}.leader_id"), "task_tallies": ("{r}.leader_id",)}
_TASK_OF_EXTENSION = "(SELECT {c} FROM tasks WHERE id = {r}.task_id)"
_TASK_COLUMNS = ("owner_unit_id", "lead_unit_id", "assignee_id", "leader_id")


def department(path: str | None) -> str:
    """The token name of a unit's department: `home:7` for `/1/7/42/`, `home:1` for the root
    `/1/` (the same rule as the triggers' `_department_sql`)."""
    parts = (path or "").strip("/").split("/")
    if not parts[0]:
        return HOME
    return f"{HOME}:{parts[1] if len(parts) > 1 else parts[0]}"


def _department_sql(dialect: str, path: str = "path") -> str:
    """SQL: the token name of the department of the unit whose path is `path`."""
    if dialect == "postgresql":
        return (f"'{HOME}:' || coalesce(nullif(split_part({path}, '/', 3), ''), "
                f"split_part({path}, '/', 2))")
    # SQLite has no split_part: the second id if there is one (the text after the second
    # '/' up to the next), else the first.
    rest = f"substr({path}, instr(substr({path}, 2), '/') + 2)"
    return (f"'{HOME}:' || CASE WHEN instr({rest}, '/') > 0 THEN substr({rest}, 1, instr({rest}, '/') - 1) "
            f"ELSE substr({path}, 2, instr(substr({path}, 2), '/') - 1) END")


def _new_token(dialect: str) -> str:
    if dialect == "postgresql":
        return "md5(random()::text || clock_timestamp()::text)"
    return "lower(hex(randomblob(16)))"


def _upsert(dialect: str, name: str = f"'{HOME}'") -> str:
    # An upsert: a database whose row was deleted (a test's world restored, a hand's DELETE)
    # gets it back at the next write; until then the page is not cached (`current_tokens`).
    return (f"INSERT INTO data_versions (name, token) VALUES ({name}, {_new_token(dialect)}) "
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token")


def _ids(table: str, rows: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The unit ids and the person ids of `table`'s rows `rows`, as SQL."""
    units: list[str] = []
    people: list[str] = []
    for r in rows:
        if table == "extensions":
            cols = [_TASK_OF_EXTENSION.format(c=c, r=r) for c in _TASK_COLUMNS]
            units += cols[:2]
            people += cols[2:]
        else:
            units += [u.format(r=r) for u in _UNITS[table]]
            people += [p.format(r=r) for p in _PEOPLE[table]]
    return units, people


def _sqlite_scoped(table: str, rows: tuple[str, ...]) -> str:
    """SQLite: the upsert of the departments of `table`'s rows `rows` (NEW, OLD), one row per
    department: a UNION of primary-key lookups (an `IN (...)` list with a GROUP BY cost twice
    as much: 69 against 39 µs a row on the bench's UPDATE of 5,000 tasks)."""
    units, people = _ids(table, rows)
    dept = _department_sql("sqlite", "u.path")
    lookups = [*[f"SELECT {dept} AS name FROM units u WHERE u.id = {x}" for x in units],
               *[f"SELECT {dept} FROM users p JOIN units u ON u.id = p.unit_id WHERE p.id = {x}"
                 for x in people]]
    # The WHERE settles SQLite's INSERT ... SELECT ... ON CONFLICT parsing.
    return (f"INSERT INTO data_versions (name, token) SELECT name, {_new_token('sqlite')} "
            f"FROM ({' UNION '.join(lookups)}) WHERE true "
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token")


def _sqlite_same(table: str) -> str:
    """SQLite: an UPDATE that leaves the row's units and people as they were."""
    columns = ("task_id",) if table == "extensions" else [
        c.format(r="").lstrip(".") for c in (*_UNITS[table], *_PEOPLE[table])]
    return " AND ".join(f"OLD.{c} IS NEW.{c}" for c in columns)


def _sqlite_triggers() -> list[str]:
    out = []
    for t in TABLES:
        for op in ("INSERT", "UPDATE", "DELETE"):
            name = f"data_versions_home_{t}_{op.lower()}"
            if t not in SCOPED:
                out.append(f"CREATE TRIGGER {name} AFTER {op} ON {t} BEGIN {_upsert('sqlite')}; END")
            elif op == "UPDATE":
                # Most updates keep the row's units and people: their departments once.
                out.append(f"CREATE TRIGGER {name} AFTER UPDATE ON {t} WHEN {_sqlite_same(t)} "
                           f"BEGIN {_sqlite_scoped(t, ('NEW',))}; END")
                out.append(f"CREATE TRIGGER data_versions_home_{t}_moved AFTER UPDATE ON {t} "
                           f"WHEN NOT ({_sqlite_same(t)}) BEGIN {_sqlite_scoped(t, ('NEW', 'OLD'))}; END")
            else:
                row = ("NEW",) if op == "INSERT" else ("OLD",)
                out.append(f"CREATE TRIGGER {name} AFTER {op} ON {t} BEGIN {_sqlite_scoped(t, row)}; END")
    return out


def _pg_noted() -> str:
    """SQL: the names noted by this transaction (an array; empty for another's value)."""
    return (f"CASE WHEN split_part(current_setting('{NOTED}', true), '|', 1) = txid_current()::text "
            f"THEN string_to_array(nullif(split_part(current_setting('{NOTED}', true), '|', 2), ''), ',') "
            "ELSE '{}'::text[] END")


def _pg_note(names_sql: str) -> str:
    """plpgsql: add the names `names_sql` (a SELECT of one text column) to this transaction's."""
    return (f"PERFORM set_config('{NOTED}', txid_current()::text || '|' || coalesce(("
            f"SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest({_pg_noted()}) UNION "
            f"{names_sql}) AS noted(n) WHERE n IS NOT NULL), ''), true)")


def _pg_scoped_names(table: str, transitions: tuple[str, ...]) -> str:
    units, people = _ids(table, ("r",))
    rows = " UNION ALL ".join(f"SELECT * FROM {t}" for t in transitions)
    unit_ids = " UNION ".join(f"SELECT {u} FROM ({rows}) AS r" for u in units)
    person_ids = " UNION ".join(f"SELECT {p} FROM ({rows}) AS r" for p in people)
    return (f"SELECT DISTINCT {_department_sql('postgresql', 'u.path')} FROM units u "
            f"WHERE u.id IN ({unit_ids}) OR u.id IN (SELECT p.unit_id FROM users p "
            f"WHERE p.id IN ({person_ids}))")


def _pg_note_function() -> str:
    # A tally written by the tasks' own triggers (app/dashboard/tallies.py: a trigger's
    # statement, depth 2) belongs to departments its task's statement notes: skipped.
    branches = ["  ELSIF TG_TABLE_NAME = 'task_tallies' AND pg_trigger_depth() > 1 THEN\n    NULL;"]
    for table in SCOPED:
        for op, transitions in (("INSERT", ("nt",)), ("UPDATE", ("nt", "ot")), ("DELETE", ("ot",))):
            branches.append(f"  ELSIF TG_TABLE_NAME = '{table}' AND TG_OP = '{op}' THEN\n"
                            f"    {_pg_note(_pg_scoped_names(table, transitions))};")
    # Every other table, and a statement of no department (none is: a task has an owner
    # unit), renews the province's token.
    home = _pg_note(f"SELECT '{HOME}'")
    return ("CREATE FUNCTION data_versions_note() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n  IF TG_TABLE_NAME NOT IN ('tasks', 'task_tallies', 'extensions') THEN\n"
            f"    {home};\n" + "\n".join(branches) +
            "\n  END IF;\n  RETURN NULL;\nEND\n$$")


def create_sql(dialect: str) -> list[str]:
    """The triggers that renew the home tokens (and write a token's row at its first write:
    until `home`'s is written nothing is cached)."""
    if dialect == "postgresql":
        return [
            # Renewed at COMMIT (a deferred constraint trigger: the rows' locks are taken last,
            # held only while the transaction commits, so writers of different tasks never
            # queue on them and they close no cycle with the writers' row locks), once per
            # transaction (a mark in a transaction-local setting: a row's versions of one
            # transaction would form a chain each further UPDATE walks, N^2 for a bulk
            # insert), each name noted by the transaction's statements in sorted order (two
            # transactions renewing the same two departments take them in the same order).
            # The tokens and the rows written become visible together, at commit; a reader
            # reads the tokens before the rows, so a page stored under them is never older.
            ("CREATE FUNCTION data_versions_home() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             "DECLARE\n  noted text;\n"
             f"BEGIN\n  IF current_setting('{MARK}', true) IS DISTINCT FROM "
             "txid_current()::text THEN\n"
             f"    FOREACH noted IN ARRAY {_pg_noted()} LOOP\n"
             f"      {_upsert(dialect, 'noted')};\n"
             "    END LOOP;\n"
             f"    PERFORM set_config('{MARK}', txid_current()::text, true);\n"
             "  END IF;\n  RETURN NULL;\nEND\n$$"),
            # Until then the writer itself must not read the cache (the tokens are not renewed
            # yet, and its own writes are not in the stored pages): a mark at each writing
            # statement, no lock.
            ("CREATE FUNCTION data_versions_wrote() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  IF current_setting('{WROTE}', true) IS DISTINCT FROM "
             "txid_current()::text THEN\n"
             f"    PERFORM set_config('{WROTE}', txid_current()::text, true);\n"
             "  END IF;\n  RETURN NULL;\nEND\n$$"),
            # What a statement renews, from its rows before and after (transition tables: one
            # query a statement, whatever the number of rows), noted without a lock.
            _pg_note_function(),
            # TRUNCATE has no row triggers: the province's token renewed at once (the lock
            # held to the commit).
            ("CREATE FUNCTION data_versions_truncated() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  {_upsert(dialect)};\n  RETURN NULL;\nEND\n$$"),
            # A token row deleted (by hand: nothing in the app deletes one) renews the province's,
            # so that no reader's set of tokens comes back to one a page was stored under.
            ("CREATE FUNCTION data_versions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  UPDATE data_versions SET token = {_new_token(dialect)} WHERE name = '{HOME}';\n"
             "  RETURN NULL;\nEND\n$$"),
            *[f"CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
              f"ON {t} FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()" for t in TABLES],
            *[f"CREATE TRIGGER data_versions_note AFTER INSERT OR UPDATE OR DELETE ON {t} "
              "FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()"
              for t in TABLES if t not in SCOPED],
            # A trigger with transition tables has one event.
            *[f"CREATE TRIGGER data_versions_note_{op.lower()} AFTER {op} ON {t} "
              f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()"
              for t in SCOPED
              for op, refs in (("INSERT", "NEW TABLE AS nt"),
                               ("UPDATE", "OLD TABLE AS ot NEW TABLE AS nt"),
                               ("DELETE", "OLD TABLE AS ot"))],
            *[f"CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE "
              f"ON {t} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
              "EXECUTE FUNCTION data_versions_home()" for t in TABLES],
            *[f"CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON {t} "
              "FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()" for t in TABLES],
            (f"CREATE TRIGGER data_versions_deleted AFTER DELETE ON data_versions FOR EACH ROW "
             f"WHEN (OLD.name <> '{HOME}') EXECUTE FUNCTION data_versions_deleted()"),
        ]
    return [
        *_sqlite_triggers(),
        (f"CREATE TRIGGER data_versions_deleted AFTER DELETE ON data_versions "
         f"WHEN OLD.name <> '{HOME}' BEGIN UPDATE data_versions SET token = "
         f"{_new_token(dialect)} WHERE name = '{HOME}'; END"),
    ]


def drop_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [*[f"DROP TRIGGER IF EXISTS {name} ON {t}" for t in TABLES
                  for name in ("data_versions_home", "data_versions_wrote",
                               "data_versions_home_truncate", "data_versions_note",
                               "data_versions_note_insert", "data_versions_note_update",
                               "data_versions_note_delete")],
                "DROP TRIGGER IF EXISTS data_versions_deleted ON data_versions",
                *[f"DROP FUNCTION IF EXISTS data_versions_{f}()"
                  for f in ("home", "wrote", "note", "truncated", "deleted")],
                f"DELETE FROM data_versions WHERE name LIKE '{HOME}%'"]
    return [*[f"DROP TRIGGER IF EXISTS data_versions_home_{t}_{op}" for t in TABLES
              for op in ("insert", "update", "delete")],
            *[f"DROP TRIGGER IF EXISTS data_versions_home_{t}_moved" for t in SCOPED],
            "DROP TRIGGER IF EXISTS data_versions_deleted",
            f"DELETE FROM data_versions WHERE name LIKE '{HOME}%'"]


def scope_names(reader) -> tuple[str, ...] | None:
    """The tokens `reader`'s home page depends on (`home` first); None: every token. A reader
    of the province (the administrator, the assessor, the head of a root unit, whose subtree
    is every department; one without a unit) depends on all; anyone else on `home` and their
    unit's department's (a deputy or staff member of the root unit reads the tasks they lead
    or hold, whose writes renew the root's own token)."""
    unit = reader.unit if reader.unit_id is not None else None
    if unit is None or access.reads_everything(reader):
        return None
    if reader.role == Role.HEAD and unit.path.count("/") <= 2:
        return None
    return (HOME, department(unit.path))


def current_tokens(reader) -> tuple | None:
    """The tokens `reader`'s page depends on as this request's transaction sees them: a tuple
    of (name, token). None (not cached): no `home` row yet, or (on PostgreSQL) this
    transaction has itself written the tables: its writes renew the tokens only when it
    commits, so it never reads the cache."""
    names = scope_names(reader)
    where = f"name LIKE '{HOME}%'" if names is None else "name IN :names"
    pg = db.session.get_bind().dialect.name == "postgresql"
    wrote = (f", current_setting('{WROTE}', true) = txid_current_if_assigned()::text"
             if pg else "")
    query = text(f"SELECT name, token{wrote} FROM data_versions WHERE {where} ORDER BY name")
    if names is not None:
        query = query.bindparams(bindparam("names", expanding=True))
    rows = db.session.execute(query, {} if names is None else {"names": list(names)}).all()
    if not rows or rows[0][0] != HOME or (pg and rows[0][2]):
        return None
    return tuple((r[0], r[1]) for r in rows)


class FragmentCache:
    """Rendered fragments with the tokens each was made under, least recently used dropped
    first."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._store: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def get_or_make(self, reader, key: tuple, make: Callable[[], str]) -> str:
        tokens = current_tokens(reader)
        if tokens is None:
            return make()
        with self._lock:
            held = self._store.get(key)
            if held is not None and held[0] == tokens:
                self._store.move_to_end(key)
                self.hits += 1
                return held[1]
        html = make()
        with self._lock:
            self.misses += 1
            self._store[key] = (tokens, html)
            self._store.move_to_end(key)
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


home_fragments = FragmentCache()
# The overdue list reads a subset of the same tables (app/deadlines/overdue_list.py).
overdue_fragments = FragmentCache()
