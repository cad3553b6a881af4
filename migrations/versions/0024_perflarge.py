"""perflarge: the home page's short lists read in their own order (issue 16, goal 3)

- ix_extensions_pending_requested on extensions (requested_at, id) WHERE status = 'pending':
  the home page and the deadlines page list the requests awaiting the reader's decision,
  oldest first, a page at a time. Read in that order from this index, the statement stops
  once the page's rows are found instead of probing the task of every pending request of
  the province and sorting them (615 probes at 1,000,000 tasks; docs/performance.md,
  session 10). On PostgreSQL the index carries the columns the home page shows, so that the
  walk reads the index alone: cheaper, by the planner's estimate too, than the status index
  and a sort, whatever it guesses of how many requests the reader may decide.
- ix_tasks_open_due on tasks (due_on, id) WHERE the task is open: the home page's most
  overdue and due this week (ten of the reader's scope, by due date) walk the open tasks in
  date order and stop at the tenth of the scope, instead of reading every open task of the
  scope and sorting them (a head's 5,000 at 1,000,000 tasks).

Revision ID: 0024_perflarge
Revises: 0023_additions
Create Date: 2026-12-08 00:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0024_perflarge'
down_revision = '0023_additions'
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")
_OPEN = sa.text("status IN ('draft', 'assigned', 'in_progress', 'submitted', 'returned')")
_SHOWN = ["task_id", "requested_by_id", "requested_on", "previous_due_on", "proposed_due_on"]


def _fire_pending_triggers():
    """PostgreSQL: the tokens' constraint triggers on tasks run at commit (0022), and an
    upgrade runs every migration in one transaction: after 0023's backfill UPDATE of tasks,
    CREATE or DROP INDEX on tasks fails ("pending trigger events"). SET CONSTRAINTS ALL
    IMMEDIATE fires what is pending now (and the rest of the upgrade's at each statement)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def upgrade():
    _fire_pending_triggers()
    op.create_index("ix_extensions_pending_requested", "extensions", ["requested_at", "id"],
                    unique=False, postgresql_include=_SHOWN, sqlite_where=_PENDING,
                    postgresql_where=_PENDING)
    op.create_index("ix_tasks_open_due", "tasks", ["due_on", "id"], unique=False,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)
    op.execute("ANALYZE extensions")  # the planner's statistics for the new indexes
    op.execute("ANALYZE tasks")


def downgrade():
    _fire_pending_triggers()
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_index("ix_extensions_pending_requested", table_name="extensions")
