"""additions: work added after issue (bổ sung) is listed beside every score

`tasks.added_after_issue` marks every task added to its plan after issue, the head's own
additions too (`head_confirms` marks only those added below the head), and the sub-tasks of
such work. Filled once here: tasks created after their plan was issued, then their sub-tasks,
level by level. Frozen runs get a column in their unit, leader and task rows, left NULL in the
runs frozen before: they did not count additions, and show "—" rather than a made-up 0.

Revision ID: 0023_additions
Revises: 0022_perfscope
Create Date: 2026-12-08 00:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0023_additions'
down_revision = '0022_perfscope'
branch_labels = None
depends_on = None

# The deepest breakdown the backfill follows (the app allows far fewer levels).
MAX_LEVELS = 20


def upgrade():
    # ALTER TABLE ADD COLUMN, not a batch rebuild: the tallies' and home page's triggers on
    # tasks stay.
    op.add_column('tasks', sa.Column('added_after_issue', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.execute(
        "UPDATE tasks SET added_after_issue = true "
        "WHERE EXISTS (SELECT 1 FROM plans p WHERE p.id = tasks.plan_id "
        "AND p.issued_at IS NOT NULL AND tasks.created_at > p.issued_at)")
    conn = op.get_bind()
    for _ in range(MAX_LEVELS):
        # A breakdown of added work is added work (docs/integrity.md).
        done = conn.execute(sa.text(
            "UPDATE tasks SET added_after_issue = true WHERE added_after_issue = false "
            "AND parent_id IN (SELECT id FROM tasks WHERE added_after_issue = true)"))
        if not done.rowcount:
            break
    for table in ('assessment_unit_rows', 'assessment_leader_rows'):
        op.add_column(table, sa.Column('additions', sa.Integer(), nullable=True))
    op.add_column('assessment_task_rows', sa.Column('added_after_issue', sa.Boolean(),
                                                    nullable=True))


def downgrade():
    op.drop_column('assessment_task_rows', 'added_after_issue')
    for table in ('assessment_leader_rows', 'assessment_unit_rows'):
        op.drop_column(table, 'additions')
    op.drop_column('tasks', 'added_after_issue')
