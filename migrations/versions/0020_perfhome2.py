"""perfhome2: the indicators' partial indexes, the home page's data token (issue 16 d)

- ix_tasks_ind_{owner,lead,leader}_plan on (owner_unit_id | lead_unit_id | leader_id,
  plan_id) and ix_tasks_ind_{owner,lead,leader}_status on (..., status, plan_id), each
  WHERE indicator_target IS NOT NULL: the home page's "furthest behind" indicators read a
  unit's tasks with a target of this year's plans, and its unfinished ones of earlier years,
  instead of every task the unit ever had (docs/performance.md, fifth pass).
- data_versions: a token per cached page, renewed by triggers on every write of the tables
  the page is made from (app/dashboard/fragments.py: the home page's content is cached per
  reader until then). The trigger text comes from that module as it is at this revision.

Revision ID: 0020_perfhome2
Revises: 0019_tidy
Create Date: 2026-12-07 17:40:00

"""
import sqlalchemy as sa
from alembic import op

from app.dashboard import fragments

revision = '0020_perfhome2'
down_revision = '0019_tidy'
branch_labels = None
depends_on = None

_COLUMNS = (("owner", "owner_unit_id"), ("lead", "lead_unit_id"), ("leader", "leader_id"))
_SECOND = (("plan", ["plan_id"]), ("status", ["status", "plan_id"]))
_WHERE = sa.text("indicator_target IS NOT NULL")


def upgrade():
    for name, column in _COLUMNS:
        for second, rest in _SECOND:
            op.create_index(f"ix_tasks_ind_{name}_{second}", "tasks", [column, *rest], unique=False,
                            sqlite_where=_WHERE, postgresql_where=_WHERE)
    op.execute("ANALYZE tasks")  # the planner's statistics for the new indexes
    op.create_table(
        'data_versions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions')),
    )
    for statement in fragments.create_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in fragments.drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('data_versions')
    for name, _column in _COLUMNS:
        for second, _rest in _SECOND:
            op.drop_index(f"ix_tasks_ind_{name}_{second}", table_name="tasks")
