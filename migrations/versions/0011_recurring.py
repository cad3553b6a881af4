"""recurring: recurring rules on a plan and their occurrences (issue 15 section 3)

A recurring rule (nhiệm vụ định kỳ) of a plan: frequency, cut-off, due rule and the six
clears its occurrences take. Each occurrence is a task naming its rule and its period
(`tasks.recurring_rule_id`, `tasks.period_code`); the columns are added without a foreign key
(SQLite cannot add one without rebuilding `tasks`), and rules are only ever retired.

Revision ID: 0011_recurring
Revises: 0010_quality
Create Date: 2026-12-07 07:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_recurring'
down_revision = '0010_quality'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recurring_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('cutoff_day', sa.Integer(), nullable=True),
    sa.Column('due_kind', sa.String(length=16), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=True),
    sa.Column('due_next_month', sa.Boolean(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('responsibility', sa.Text(), nullable=False),
    sa.Column('steps_text', sa.Text(), nullable=False),
    sa.Column('output_product', sa.Text(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('deleted_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_recurring_rules_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recurring_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_recurring_rules_lead_unit_id_units')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_recurring_rules_leader_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_recurring_rules_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recurring_rules'))
    )
    with op.batch_alter_table('recurring_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recurring_rules_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurring_rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period_code', sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_recurring_rule_id'), ['recurring_rule_id'],
                              unique=False)


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: rebuilding
    # tasks with foreign keys on would delete every task's steps and progress (see 0005).
    op.drop_index(op.f('ix_tasks_recurring_rule_id'), table_name='tasks')
    op.drop_column('tasks', 'period_code')
    op.drop_column('tasks', 'recurring_rule_id')
    with op.batch_alter_table('recurring_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recurring_rules_plan_id'))
    op.drop_table('recurring_rules')
