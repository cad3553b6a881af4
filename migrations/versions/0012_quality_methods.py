"""quality methods: targets, stepped thresholds, deductions, bonus; key tasks and the
indicator's direction (issue 13)

- `criteria`: the parameters of the new scoring methods — `field_id` and `is_key_only`
  (from-tasks filters, as `plan_kind`), `basis` (the ratio a stepped criterion reads),
  `steps` ("90:10;70:5;0:0"), `per_event`, `event_kind` and `min_points` (deductions),
  `is_na_allowed` (a unit may declare a manual criterion not applicable, with a reason).
  Added by ALTER TABLE, not rebuilt (SQLite refuses to drop a table scores refer to).
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
down_revision = '0013_quality_flow'
branch_labels = None
depends_on = None


def upgrade():
    # Columns added, no table rebuilt: a batch rebuild of `criteria` would DROP it, which
    # SQLite (foreign_keys=ON) refuses once scores refer to its rows.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE criteria ADD COLUMN field_id INTEGER '
                   'CONSTRAINT fk_criteria_field_id_fields REFERENCES fields (id)')
    else:
        op.add_column('criteria', sa.Column('field_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_criteria_field_id_fields'), 'criteria', 'fields',
                              ['field_id'], ['id'])
    op.add_column('criteria', sa.Column('is_key_only', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('criteria', sa.Column('basis', sa.String(length=16), nullable=True))
    op.add_column('criteria', sa.Column('steps', sa.String(length=500), nullable=True))
    op.add_column('criteria', sa.Column('per_event', sa.Numeric(precision=7, scale=2),
                                        nullable=True))
    op.add_column('criteria', sa.Column('event_kind', sa.String(length=16), nullable=True))
    op.add_column('criteria', sa.Column('min_points', sa.Numeric(precision=7, scale=2),
                                        nullable=True))
    op.add_column('criteria', sa.Column('is_na_allowed', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('quality_scores', sa.Column('event_count', sa.Integer(), nullable=True))
    op.add_column('tasks', sa.Column('is_key', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('tasks', sa.Column('indicator_direction', sa.String(length=8), nullable=False,
                                     server_default='higher'))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: rebuilding
    # `tasks` would take its steps and links along (see 0005).
    op.drop_column('tasks', 'indicator_direction')
    op.drop_column('tasks', 'is_key')
    op.drop_column('quality_scores', 'event_count')
    for name in ('is_na_allowed', 'min_points', 'event_kind', 'per_event', 'steps', 'basis',
                 'is_key_only'):
        op.drop_column('criteria', name)
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops no column that holds a foreign key: the table is rebuilt (possible
        # once no score refers to its rows, as on the way down past 0010).
        with op.batch_alter_table('criteria') as batch_op:
            batch_op.drop_column('field_id')
    else:
        op.drop_constraint(op.f('fk_criteria_field_id_fields'), 'criteria', type_='foreignkey')
        op.drop_column('criteria', 'field_id')
