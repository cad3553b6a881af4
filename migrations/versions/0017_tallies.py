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

The trigger text comes from app/dashboard/tallies.py as it is at this revision; a later
change to it needs a migration of its own (drop, create, rebuild).

Revision ID: 0017_tallies
Revises: 0016_quality2
Create Date: 2026-12-07 14:10:00

"""
import sqlalchemy as sa
from alembic import op

from app.dashboard import tallies

revision = '0017_tallies'
down_revision = '0016_quality2'
branch_labels = None
depends_on = None


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
    for statement in tallies.create_sql(bind.dialect.name):
        op.execute(statement)
    tallies.rebuild(bind)


def downgrade():
    for statement in tallies.drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
    for name in ('owner', 'lead', 'leader'):
        op.drop_index(f'ix_task_tallies_{name}_kind_year', table_name='task_tallies')
    op.drop_table('task_tallies')
