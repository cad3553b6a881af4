"""weights: the counted weights of a frozen run's task rows

A counted sub-task shares its parent's weight with the sub-tasks that replace the parent
for the same lead unit (the unit figure) or the same leader (the leader figure), so a
breakdown no longer re-weighs the work (docs/integrity.md, "A breakdown shares its
parent's weight"). A frozen run keeps what it counted: `unit_weight` and `leader_weight`
beside the typed `weight`, `credit` the unit's and `leader_credit` the leader's. Runs
frozen before this revision counted the typed weight: they are filled with it, so they do
not change.

Revision ID: 0021_weights
Revises: 0020_perfhome2
Create Date: 2026-12-07 20:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_weights'
down_revision = '0020_perfhome2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('assessment_task_rows', sa.Column('unit_weight', sa.Numeric(precision=8, scale=2),
                                                    server_default='0', nullable=False))
    op.add_column('assessment_task_rows', sa.Column('leader_weight', sa.Numeric(precision=8, scale=2),
                                                    server_default='0', nullable=False))
    op.add_column('assessment_task_rows', sa.Column('leader_credit', sa.Numeric(precision=14, scale=4),
                                                    server_default='0', nullable=False))
    op.execute("UPDATE assessment_task_rows SET unit_weight = weight, leader_weight = weight, "
               "leader_credit = credit")


def downgrade():
    # ALTER TABLE DROP COLUMN, not a batch rebuild (as 0018).
    op.drop_column('assessment_task_rows', 'leader_credit')
    op.drop_column('assessment_task_rows', 'leader_weight')
    op.drop_column('assessment_task_rows', 'unit_weight')
