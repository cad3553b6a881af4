"""indexes for the open-task lists: (scope column, status, due_on)

The overdue list, the home page's most-overdue and due-this-week lists and the task
list's timeliness filters all ask for open tasks of a scope (owner unit, lead unit,
responsible person or accountable leader) by due date. With only (scope column, due_on)
SQLite read every past task of the scope to keep the open ones: 14,000 rows for the
largest department's head at province scale, 49 ms for the overdue list's count
(docs/performance.md); with the status in between it reads the open ones only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_tasks_owner_status_due': ['owner_unit_id', 'status', 'due_on'],
    'ix_tasks_lead_status_due': ['lead_unit_id', 'status', 'due_on'],
    'ix_tasks_assignee_status_due': ['assignee_id', 'status', 'due_on'],
    'ix_tasks_leader_status_due': ['leader_id', 'status', 'due_on'],
}


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
