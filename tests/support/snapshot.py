"""Database snapshots: every row of every table, to compare before and after a request, and
the dump/restore that puts a shared world back (ids included) after a test changed it."""

from sqlalchemy import select

from app.extensions import db


def snapshot(tables=None) -> dict:
    """{table: sorted rows} of every table (or of the tables named in `tables`), read afresh:
    compare before and after a request."""
    db.session.rollback()
    out = {}
    for table in db.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    db.session.rollback()
    return out


def snapshot_by_key(tables=None) -> dict:
    """{table: {primary key: row dict}} of every table (or of the tables named in `tables`),
    read afresh (for cell-level diffs)."""
    db.session.rollback()
    out = {}
    for table in db.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        pk = list(table.primary_key.columns) or list(table.columns)
        rows = {}
        for r in db.session.execute(select(table)).mappings():
            rows[tuple(r[c.name] for c in pk)] = dict(r)
        out[table.name] = rows
    db.session.rollback()
    return out


def diff_snapshots(before: dict, after: dict) -> dict:
    """{table: (rows gone, rows new)} of two `snapshot()`s, for the tables that differ."""
    changed = {}
    for name, rows in before.items():
        b, a = set(map(repr, rows)), set(map(repr, after.get(name, [])))
        if a != b:
            changed[name] = (sorted(b - a)[:3], sorted(a - b)[:3])
    return changed


# Tables the database writes itself: the home page's tallies are written by triggers on
# `tasks` (app/models/tally.py) as the tasks' rows go back in; inserting them as well would
# count every task twice. The home page's data token (app/models/data_version.py) is renewed
# by triggers on every write of the tables it covers, the rows going back in included.
DERIVED = frozenset({"task_tallies", "data_versions"})


class Dump(list):
    """The rows of `dump()`; on a rolled-back database (tests/support/rollback.py) also the
    savepoint set at that state, which `restore()` goes back to."""

    mark: tuple | None = None


def dump() -> list:
    """Every row of every table, as (table, [row dicts]) in dependency order."""
    db.session.rollback()
    out = Dump()
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = [dict(r) for r in db.session.execute(select(table).order_by(*order)).mappings()]
        out.append((table, rows))
    db.session.rollback()
    rdb = getattr(db.engine, "sauro_rollback", None)
    if rdb is not None:
        name = rdb.mark()
        out.mark = (rdb, name) if name else None
    return out


def insert_dump(conn, dumped: list) -> None:
    """Insert the dumped rows (ids included) into empty tables; on PostgreSQL the id
    sequences then go on after the highest id, as they would have after the inserts."""
    from sqlalchemy import insert, text

    for t, rows in dumped:
        if rows and t.name not in DERIVED:
            conn.execute(insert(t), rows)
    if conn.dialect.name == "postgresql":
        # one statement for every sequence (setval of a NULL sequence, a table whose id is
        # not serial, is NULL and sets nothing)
        sets = [f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
                f"(SELECT max(id) FROM \"{t.name}\"))"
                for t, rows in dumped if rows and "id" in t.c and t.c.id.primary_key]
        if sets:
            conn.execute(text("SELECT " + ", ".join(sets)))


def restore(dumped: list) -> None:
    """Put every table back to `dumped` (ids included): far cheaper than a new database,
    whose engine would compile every statement again. On a rolled-back database (a module's
    world, tests/support/rollback.py) a rollback to the savepoint set by `dump()`, which
    puts back the same rows without deleting and inserting each one."""
    from sqlalchemy import delete, insert, text

    db.session.rollback()
    mark = getattr(dumped, "mark", None)
    if mark is not None and mark[0].engine is db.engine and mark[0].back_to(mark[1]):
        db.session.expire_all()
        return
    try:
        conn = db.session.connection()
        tables = [t for t, _ in dumped]
        if conn.dialect.name == "postgresql":
            # TRUNCATE does not fire the audit log's append-only row triggers
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            # SQLite's append-only triggers fire on DELETE: lift them for this transaction
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master "
                                         "WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for t in reversed(tables):
                conn.execute(delete(t))
            for _name, sql in triggers:
                conn.execute(text(sql))
        for t, rows in dumped:
            if rows and t.name not in DERIVED:
                conn.execute(insert(t), rows)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.expire_all()


# ---- read again only when something was written ---------------------------------------------

def changes() -> int | None:
    """The write counter of a rolled-back database's one connection (rows inserted, updated or
    deleted so far, rolled back or not: tests/support/rollback.py `RollbackDatabase.changes`);
    None on a database of another kind (every read is then taken afresh)."""
    rdb = getattr(db.engine, "sauro_rollback", None)
    return None if rdb is None else rdb.changes()


def table_changes() -> dict | None:
    """The write counter of a rolled-back database's one connection per table
    (`RollbackDatabase.table_changes`); None on a database of another kind."""
    rdb = getattr(db.engine, "sauro_rollback", None)
    return None if rdb is None else rdb.table_changes()


def moved_tables(kept: dict, now: dict) -> set[str] | None:
    """The tables whose write counter moved between two readings of `table_changes()`;
    None when the tables' counts cannot account for a change the connection's total saw
    (SQLite's "*": then every table is read again)."""
    moved = {t for t in kept.keys() | now.keys() if kept.get(t) != now.get(t)}
    if "*" in moved and moved == {"*"}:
        return None
    return moved - {"*"}


def current(kept: tuple | None, read=snapshot) -> tuple:
    """(rows, counters): `kept` (a pair this returned before) while the write counters still
    stand where they stood when those rows were read, since then no row has changed; else
    the tables whose counter moved read afresh with `read` (`snapshot` or
    `snapshot_by_key`), the others as kept (a table whose counter stands still has the same
    rows: a refusal that writes its one audit row reads audit_log again, not every table).
    A `restore()` puts rows back without moving the counters (it undoes writes already
    counted): drop what was kept after one."""
    now = table_changes()
    if kept is not None and now is not None:
        if kept[1] == now:
            return kept
        moved = moved_tables(kept[1], now)
        if moved is not None:
            return {**kept[0], **read(tables=moved)}, now
    rows = read()
    return rows, table_changes()
