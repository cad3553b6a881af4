"""tallies: the home page's task counts, kept by triggers on tasks

`task_tallies` holds how many tasks have each (owner unit, lead unit, leader, field, plan,
kind, due date), with their indicators' figures and the plan's year (app/models/tally.py;
a trigger on plans moves the year with the plan). Triggers on `tasks`
(INSERT, DELETE, UPDATE of the columns the key is computed from) move a task's count from
its old key to its new one in the same statement, on SQLite and PostgreSQL alike, so the
counts cannot drift whatever writes a task; the table is filled by a recount here and can
be recounted with `flask tallies rebuild`. Issue 16: the head's home page read every task
of the scope (4,570 for the bench's largest department, 45,446 at 1,000,000 tasks) to
count them; it now reads the tallies (docs/performance.md, fourth pass).

The trigger text is this file's own: a frozen copy of app/dashboard/tallies.py as it was at
this revision (commit 7667dcb), so that this migration writes the same triggers whatever
the app's code becomes. Never edit it; a later change to the triggers is a migration of its
own (drop, create, rebuild) carrying its own copy. tests/test_migrations.py checks the
triggers the migrations leave are the ones the app's tallies.py writes (its recount must
count as they do).

Revision ID: 0017_tallies
Revises: 0016_quality2
Create Date: 2026-12-07 14:10:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = '0017_tallies'
down_revision = '0016_quality2'
branch_labels = None
depends_on = None


# --- The trigger text, frozen as app/dashboard/tallies.py wrote it at 7667dcb. ---

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
        body = (
            "BEGIN\n"
            f"  IF TG_OP <> 'INSERT' THEN\n    {_upsert('OLD.', '-', dialect)};\n"
            f"    {_drop_empty('OLD.', dialect)};\n  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {_upsert('NEW.', '', dialect)};\n  END IF;\n"
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


def rebuild(conn) -> int:
    """Recount every tally from the tasks: the table is replaced. Returns the number of keys."""
    dialect = conn.dialect.name
    conn.execute(text("DELETE FROM task_tallies"))
    conn.execute(text(f"INSERT INTO task_tallies ({', '.join(KEY + VALUES + (YEAR,))}) "
                      f"{_recount_select(dialect)}"))
    return conn.execute(text("SELECT count(*) FROM task_tallies")).scalar_one()


def upgrade():
    op.create_table(
        'task_tallies',
        sa.Column('owner_unit_id', sa.Integer(), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('n_indicators', sa.Integer(), nullable=False),
        sa.Column('n_met', sa.Integer(), nullable=False),
        sa.Column('achievement_e9', sa.BigInteger(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('owner_unit_id', 'lead_unit_id', 'leader_id', 'field_id',
                                'plan_id', 'kind', 'due_on', name=op.f('pk_task_tallies')),
    )
    for column in ('owner_unit_id', 'lead_unit_id', 'leader_id'):
        name = column.removesuffix('_unit_id').removesuffix('_id')
        op.create_index(f'ix_task_tallies_{name}_kind_year', 'task_tallies', [column, 'kind', 'year'])
    bind = op.get_bind()
    for statement in create_sql(bind.dialect.name):
        op.execute(statement)
    rebuild(bind)


def downgrade():
    for statement in drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
    for name in ('owner', 'lead', 'leader'):
        op.drop_index(f'ix_task_tallies_{name}_kind_year', table_name='task_tallies')
    op.drop_table('task_tallies')
