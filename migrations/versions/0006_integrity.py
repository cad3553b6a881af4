"""integrity: amendments, excluded_on, imported completions, final grades, group kinds

Issue "A score the scored cannot bend" (DESIGN.md 4-5):

- `amendments`: reassignments and weight changes of a task of an issued plan, with a reason;
  `tasks.amendment_count` keeps the count for set-based scoring.
- `tasks.excluded_on`: the day a task was cancelled or suspended. A task excluded after its
  due date had passed still counts as not completed. Existing cancelled tasks take the day of
  their last cancel in the audit log (Asia/Ho_Chi_Minh), so that history keeps counting.
- `tasks.completion_imported_by_id` / `_at`: a completion brought by importing into a draft
  plan. Existing completed tasks never confirmed (no `task.confirm` in the audit log) were
  completed by an import: they are marked so, with their creator and creation time.
- Assessment rows: amendments and cancellations beside extensions, the unit's kind (the quota
  is checked per group of one kind), the competent authority's final grade, and per frozen
  task whether it was imported and whether it counts for its unit and its leader.

Columns are added, never the tables rebuilt (see 0005): the actor columns carry no foreign
key for that reason.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:30:00

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975.
LOCAL_OFFSET = timedelta(hours=7)


def _figures(batch_op):
    batch_op.add_column(sa.Column('amendments', sa.Integer(), nullable=False, server_default='0'))
    batch_op.add_column(sa.Column('cancellations', sa.Integer(), nullable=False, server_default='0'))
    batch_op.add_column(sa.Column('final_grade', sa.String(length=16), nullable=True))
    batch_op.add_column(sa.Column('final_decision_no', sa.String(length=64), nullable=False,
                                  server_default=''))
    batch_op.add_column(sa.Column('final_decision_on', sa.Date(), nullable=True))
    batch_op.add_column(sa.Column('final_reason', sa.Text(), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('final_by_id', sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column('final_at', sa.DateTime(), nullable=True))


def upgrade():
    op.create_table(
        'amendments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('changes', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_amendments_actor_id_users')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_amendments_task_id_tasks'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments')),
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendments_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('completion_imported_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completion_imported_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('amendment_count', sa.Integer(), nullable=False,
                                      server_default='0'))

    with op.batch_alter_table('assessment_unit_rows', schema=None) as batch_op:
        _figures(batch_op)
        batch_op.add_column(sa.Column('unit_kind', sa.String(length=32), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('assessment_leader_rows', schema=None) as batch_op:
        _figures(batch_op)
    with op.batch_alter_table('assessment_task_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amendments', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('is_imported', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('counts_for_unit', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('counts_for_leader', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))

    conn = op.get_bind()
    tasks = sa.table('tasks', sa.column('id', sa.Integer), sa.column('status', sa.String),
                     sa.column('created_by_id', sa.Integer), sa.column('created_at', sa.DateTime),
                     sa.column('excluded_on', sa.Date),
                     sa.column('completion_imported_by_id', sa.Integer),
                     sa.column('completion_imported_at', sa.DateTime))
    audit = sa.table('audit_log', sa.column('task_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('at', sa.DateTime))
    confirmed = sa.exists().where(audit.c.task_id == tasks.c.id, audit.c.action == 'task.confirm')
    conn.execute(tasks.update().where(tasks.c.status == 'completed', ~confirmed)
                 .values(completion_imported_by_id=tasks.c.created_by_id,
                         completion_imported_at=tasks.c.created_at))
    # The few cancelled or suspended tasks, one UPDATE each.
    rows = conn.execute(
        sa.select(audit.c.task_id, sa.func.max(audit.c.at))
        .select_from(audit.join(tasks, tasks.c.id == audit.c.task_id))
        .where(audit.c.action.in_(['task.cancel', 'task.suspend']),
               tasks.c.status.in_(['cancelled', 'suspended']))
        .group_by(audit.c.task_id)).all()
    for task_id, at in rows:
        if at is None:
            continue
        if isinstance(at, str):  # SQLite hands back text through a bare sa.table
            from datetime import datetime
            at = datetime.fromisoformat(at)
        conn.execute(tasks.update().where(tasks.c.id == task_id)
                     .values(excluded_on=(at + LOCAL_OFFSET).date()))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: rebuilding
    # tasks with foreign keys on would delete every task's steps and progress (see 0005).
    for name in ('counts_for_leader', 'counts_for_unit', 'is_imported', 'amendments'):
        op.drop_column('assessment_task_rows', name)
    for table in ('assessment_leader_rows', 'assessment_unit_rows'):
        for name in ('final_at', 'final_by_id', 'final_reason', 'final_decision_on',
                     'final_decision_no', 'final_grade', 'cancellations', 'amendments'):
            op.drop_column(table, name)
    op.drop_column('assessment_unit_rows', 'unit_kind')
    for name in ('amendment_count', 'completion_imported_at', 'completion_imported_by_id',
                 'excluded_on'):
        op.drop_column('tasks', name)
    op.drop_index(op.f('ix_amendments_task_id'), table_name='amendments')
    op.drop_table('amendments')
