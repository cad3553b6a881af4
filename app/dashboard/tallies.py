"""The triggers that keep `task_tallies` (app/models/tally.py), its rebuild and its recount.

The counts cannot drift from the tasks: they are written by the database, in the same
statement as the task row, whatever wrote it (a form, the importer, the API, recurring
generation, a unit merge, a raw UPDATE). Each key expression is written once below and
used three ways: on NEW and OLD in the triggers, and on `tasks` for the rebuild and for the
recount the tests compare the table with (`recount`). A change to an expression needs a
migration that drops and recreates the triggers and rebuilds, carrying its own copy of the
new text (as 0017_tallies carries the first): a migration never imports this module, so it
writes the same triggers whatever this code becomes (0019_tidy carries the PostgreSQL
function of today: a task's two rows lower key first). tests/test_migrations.py checks that
the triggers the migrations leave are the ones `create_sql` writes.
"""

from sqlalchemy import text

from app.extensions import db

KEY = ("owner_unit_id", "lead_unit_id", "leader_id", "field_id", "plan_id", "kind", "due_on")
VALUES = ("n", "n_indicators", "n_met", "achievement_e9")
# Not part of the key: the plan's year follows from the plan (kept by `plans`' trigger).
YEAR = "year"
# Every column of `tasks` a key or a value is computed from: an UPDATE of any other
# column (the sweep's flags, progress percent, titles ...) does not touch the counts.
SOURCE_COLUMNS = ("owner_unit_id", "lead_unit_id", "leader_id", "field_id", "plan_id", "status",
                  "due_on", "completed_on", "submitted_on", "indicator_target",
                  "indicator_actual", "indicator_direction")


def _no_date(dialect: str) -> str:
    return "DATE '9999-12-31'" if dialect == "postgresql" else "'9999-12-31'"


def _achievement(r: str) -> str:
    """app.quality.queries.achievement_sql on row `r`: actual / target (target / actual
    when lower is better), capped at 1; nothing reported counts 0."""
    t, a = f"{r}indicator_target", f"{r}indicator_actual"
    higher = (f"CASE WHEN {a} IS NULL THEN 0.0 WHEN {a} >= {t} THEN 1.0 WHEN {a} <= 0 THEN 0.0 "
              f"ELSE CAST({a} AS FLOAT) / CAST({t} AS FLOAT) END")
    lower = (f"CASE WHEN {a} IS NULL THEN 0.0 WHEN {a} <= {t} THEN 1.0 WHEN {t} <= 0 THEN 0.0 "
             f"ELSE CAST({t} AS FLOAT) / CAST({a} AS FLOAT) END")
    return f"(CASE WHEN {r}indicator_direction = 'lower' THEN {lower} ELSE {higher} END)"


def _kind(r: str) -> str:
    """The part of a task's timeliness that does not depend on today (domain.status,
    tasks.queries.timeliness_condition): settled, or open with a due date (o)."""
    return (f"CASE WHEN {r}status = 'suspended' THEN 's' WHEN {r}status = 'cancelled' THEN 'x' "
            f"WHEN {r}status = 'completed' THEN (CASE WHEN {r}due_on IS NULL "
            f"OR {r}completed_on <= {r}due_on THEN 'c' WHEN {r}completed_on > {r}due_on THEN 'l' "
            f"ELSE 'n' END) "
            f"WHEN {r}due_on IS NULL THEN 'w' "
            # Submitted on time and awaiting confirmation: within deadline (sweep.awaiting_on_time).
            f"WHEN {r}status = 'submitted' AND {r}submitted_on IS NOT NULL "
            f"AND {r}submitted_on <= {r}due_on THEN 'w' ELSE 'o' END")


def expressions(r: str, dialect: str) -> dict[str, str]:
    """Each column of `task_tallies` for one task row `r` ("NEW.", "OLD.", "tasks.")."""
    no_date = _no_date(dialect)
    has_target = f"{r}indicator_target IS NOT NULL"
    open_dated = (f"{r}status IN ('draft', 'assigned', 'in_progress', 'submitted', 'returned') "
                  f"AND {r}due_on IS NOT NULL")
    ach = _achievement(r)
    return {
        "owner_unit_id": f"COALESCE({r}owner_unit_id, 0)",
        "lead_unit_id": f"COALESCE({r}lead_unit_id, 0)",
        "leader_id": f"COALESCE({r}leader_id, 0)",
        "field_id": f"COALESCE({r}field_id, 0)",
        "plan_id": f"{r}plan_id",
        "year": f"(SELECT plans.year FROM plans WHERE plans.id = {r}plan_id)",
        "kind": _kind(r),
        "due_on": (f"CASE WHEN ({open_dated}) OR {has_target} THEN COALESCE({r}due_on, {no_date}) "
                   f"ELSE {no_date} END"),
        "n": "1",
        "n_indicators": f"CASE WHEN {has_target} THEN 1 ELSE 0 END",
        "n_met": f"CASE WHEN {has_target} AND {ach} >= 1.0 THEN 1 ELSE 0 END",
        "achievement_e9": (f"CASE WHEN {has_target} THEN CAST(ROUND({ach} * 1000000000) AS BIGINT) "
                           f"ELSE 0 END"),
    }


def _upsert(r: str, sign: str, dialect: str) -> str:
    e = expressions(r, dialect)
    values = [e[k] for k in KEY] + [f"{sign}({e[v]})" for v in VALUES] + [e[YEAR]]
    sets = ", ".join(f"{v} = task_tallies.{v} + excluded.{v}" for v in VALUES)
    return (f"INSERT INTO task_tallies ({', '.join(KEY + VALUES + (YEAR,))}) "
            f"VALUES ({', '.join(values)}) "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}")


def _key_row(r: str, dialect: str) -> str:
    """The row's key as a row value, for ordering two keys."""
    e = expressions(r, dialect)
    return "ROW(" + ", ".join(e[k] for k in KEY) + ")"


def _drop_empty(r: str, dialect: str) -> str:
    # A key no task has any more goes, so that the table stays as small as the keys in use.
    e = expressions(r, dialect)
    return ("DELETE FROM task_tallies WHERE " + " AND ".join(f"{k} = {e[k]}" for k in KEY)
            + " AND n = 0")


# A plan's year is copied into its tallies: moved with it (no page changes a plan's year
# today, but nothing may make the copy wrong). plan_id is in the key, so the rows of one
# plan never collide when their year changes together.
_PLAN_YEAR = "UPDATE task_tallies SET year = NEW.year WHERE plan_id = NEW.id"


def _changed(dialect: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in SOURCE_COLUMNS)


def create_sql(dialect: str) -> list[str]:
    """The statements that create the triggers on `tasks`."""
    columns = ", ".join(SOURCE_COLUMNS)
    if dialect == "postgresql":
        old_first = (f"    {_upsert('OLD.', '-', dialect)};\n"
                     f"    {_drop_empty('OLD.', dialect)};\n")
        # An UPDATE takes its two rows lower key first, whichever way the task moves: two
        # writers moving tasks between the same two keys in opposite directions then queue
        # on the first row instead of each holding one and waiting for the other (40P01;
        # tests/reliability/test_tally_lock_order.py). SQLite has one writer.
        body = (
            "BEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND {_key_row('NEW.', dialect)} < {_key_row('OLD.', dialect)} THEN\n"
            f"    {_upsert('NEW.', '', dialect)};\n{old_first}"
            "  ELSE\n"
            f"  IF TG_OP <> 'INSERT' THEN\n{old_first}  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {_upsert('NEW.', '', dialect)};\n  END IF;\n"
            "  END IF;\n"
            "  RETURN NULL;\nEND")
        return [
            f"CREATE FUNCTION task_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n{body}\n$$",
            ("CREATE TRIGGER task_tallies_insert AFTER INSERT ON tasks FOR EACH ROW "
             "EXECUTE FUNCTION task_tallies_apply()"),
            ("CREATE TRIGGER task_tallies_delete AFTER DELETE ON tasks FOR EACH ROW "
             "EXECUTE FUNCTION task_tallies_apply()"),
            (f"CREATE TRIGGER task_tallies_update AFTER UPDATE OF {columns} ON tasks FOR EACH ROW "
             f"WHEN ({_changed(dialect)}) EXECUTE FUNCTION task_tallies_apply()"),
            ("CREATE FUNCTION task_tallies_plan_year() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             f"BEGIN\n  {_PLAN_YEAR};\n  RETURN NULL;\nEND\n$$"),
            ("CREATE TRIGGER task_tallies_plan_year AFTER UPDATE OF year ON plans FOR EACH ROW "
             "WHEN (OLD.year IS DISTINCT FROM NEW.year) EXECUTE FUNCTION task_tallies_plan_year()"),
        ]
    return [
        (f"CREATE TRIGGER task_tallies_insert AFTER INSERT ON tasks BEGIN "
         f"{_upsert('NEW.', '', dialect)}; END"),
        (f"CREATE TRIGGER task_tallies_delete AFTER DELETE ON tasks BEGIN "
         f"{_upsert('OLD.', '-', dialect)}; {_drop_empty('OLD.', dialect)}; END"),
        (f"CREATE TRIGGER task_tallies_update AFTER UPDATE OF {columns} ON tasks "
         f"WHEN {_changed(dialect)} BEGIN "
         f"{_upsert('OLD.', '-', dialect)}; {_drop_empty('OLD.', dialect)}; "
         f"{_upsert('NEW.', '', dialect)}; END"),
        ("CREATE TRIGGER task_tallies_plan_year AFTER UPDATE OF year ON plans "
         f"WHEN OLD.year IS NOT NEW.year BEGIN {_PLAN_YEAR}; END"),
    ]


def drop_sql(dialect: str) -> list[str]:
    """The statements that drop the triggers (and PostgreSQL's function)."""
    pg = dialect == "postgresql"
    out = [f"DROP TRIGGER IF EXISTS task_tallies_{w}" + (" ON tasks" if pg else "")
           for w in ("insert", "delete", "update")]
    out.append("DROP TRIGGER IF EXISTS task_tallies_plan_year" + (" ON plans" if pg else ""))
    if pg:
        out += ["DROP FUNCTION IF EXISTS task_tallies_apply()",
                "DROP FUNCTION IF EXISTS task_tallies_plan_year()"]
    return out


def _recount_select(dialect: str) -> str:
    e = expressions("tasks.", dialect)
    columns = [e[k] for k in KEY] + [f"SUM({e[v]})" for v in VALUES] + ["MIN(plans.year)"]
    return (f"SELECT {', '.join(columns)} FROM tasks JOIN plans ON plans.id = tasks.plan_id "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(KEY)))}")


def rebuild(connection=None) -> int:
    """Recount every tally from the tasks (the migration and `flask tallies rebuild`):
    the table is replaced in one transaction. Returns the number of keys."""
    conn = connection or db.session.connection()
    dialect = conn.dialect.name
    conn.execute(text("DELETE FROM task_tallies"))
    conn.execute(text(f"INSERT INTO task_tallies ({', '.join(KEY + VALUES + (YEAR,))}) "
                      f"{_recount_select(dialect)}"))
    return conn.execute(text("SELECT count(*) FROM task_tallies")).scalar_one()


def recount() -> set[tuple]:
    """The tallies as a recount from the tasks would write them: (key..., values...)."""
    conn = db.session.connection()
    return {tuple(r) for r in conn.execute(text(_recount_select(conn.dialect.name)))}


def stored() -> set[tuple]:
    """The tallies as the triggers kept them."""
    return {tuple(r) for r in db.session.connection().execute(
        text(f"SELECT {', '.join(KEY + VALUES + (YEAR,))} FROM task_tallies"))}
