"""indexes for the home page's scope: (scope unit, plan_id, status)

The home page counts a head's scope for this year's plans plus earlier unfinished work
(dashboard.queries.home_scope). The (unit, status, due_on) indexes find every task the
unit ever owned or led, and SQLite then read each row to test its plan: 12,791 rows for
the largest department's head at province scale, to keep 4,570. With plan_id and status
in the index the year test is answered from the index before the row is read: the
home page's GROUP BY went from ~120-150 ms to ~70-100 ms on the loaded bench machine
(docs/performance.md, issue 16). Plain CREATE INDEX: the tasks table is not rebuilt.

Revision ID: 0008_perf
Revises: 0007_hardening
Create Date: 2026-12-07 04:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_perf'
down_revision = '0007_hardening'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_tasks_owner_plan_status': ['owner_unit_id', 'plan_id', 'status'],
    'ix_tasks_lead_plan_status': ['lead_unit_id', 'plan_id', 'status'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, 'tasks', columns, unique=False)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name='tasks')
