"""quality methods: targets, stepped thresholds, deductions, bonus; key tasks and the
indicator's direction (issue 13)

- `criteria`: the parameters of the new scoring methods — `field_id` and `is_key_only`
  (from-tasks filters, as `plan_kind`), `basis` (the ratio a stepped criterion reads),
  `steps` ("90:10;70:5;0:0"), `per_event`, `event_kind` and `min_points` (deductions).
  Rebuilt by batch on SQLite (a set holds tens of rows).
- `quality_scores.event_count`: the events a unit declares for a deduction entered with
  evidence (and, frozen, the count behind a tracker deduction).
- `tasks.is_key` (nhiệm vụ trọng tâm) and `tasks.indicator_direction` (higher or lower is
  better): two columns added with server defaults, the table is not rebuilt.

Revision ID: 0012_quality_methods
Revises: 0010_quality
Create Date: 2026-12-07 07:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_quality_methods'
down_revision = '0010_quality'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('criteria') as batch_op:
        batch_op.add_column(sa.Column('field_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_key_only', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('basis', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('steps', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('per_event', sa.Numeric(precision=7, scale=2), nullable=True))
        batch_op.add_column(sa.Column('event_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('min_points', sa.Numeric(precision=7, scale=2), nullable=True))
        batch_op.create_foreign_key(op.f('fk_criteria_field_id_fields'), 'fields', ['field_id'], ['id'])
    op.add_column('quality_scores', sa.Column('event_count', sa.Integer(), nullable=True))
    op.add_column('tasks', sa.Column('is_key', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('tasks', sa.Column('indicator_direction', sa.String(length=8), nullable=False,
                                     server_default='higher'))


def downgrade():
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.drop_column('indicator_direction')
        batch_op.drop_column('is_key')
    with op.batch_alter_table('quality_scores') as batch_op:
        batch_op.drop_column('event_count')
    with op.batch_alter_table('criteria') as batch_op:
        batch_op.drop_constraint(op.f('fk_criteria_field_id_fields'), type_='foreignkey')
        for name in ('min_points', 'event_kind', 'per_event', 'steps', 'basis', 'is_key_only',
                     'field_id'):
            batch_op.drop_column(name)
