"""quality: the province's indicator set (Bộ chỉ số), issue 13

Indicator sets for a year and a group of units, their criteria tree, each unit's scoring
sheet, its scores per criterion (automatic, self-assessed, appraised) and evidence files.
New tables only; nothing existing is rebuilt.

Revision ID: 0010_quality
Revises: 0009_api
Create Date: 2026-12-07 03:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_quality'
down_revision = '0009_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_group', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('decision_no', sa.String(length=64), nullable=True),
    sa.Column('decision_on', sa.Date(), nullable=True),
    sa.Column('results_published_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_indicator_sets_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_sets')),
    sa.UniqueConstraint('year', 'unit_group', 'version', name=op.f('uq_indicator_sets_year'))
    )
    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('plan_kind', sa.String(length=16), nullable=True),
    sa.Column('is_evidence_required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['criteria.id'], name=op.f('fk_criteria_parent_id_criteria')),
    sa.ForeignKeyConstraint(['set_id'], ['indicator_sets.id'], name=op.f('fk_criteria_set_id_indicator_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('set_id', 'code', name=op.f('uq_criteria_set_id'))
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_criteria_set_id'), ['set_id'], unique=False)

    op.create_table('quality_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('auto_as_of', sa.Date(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('appraised_at', sa.DateTime(), nullable=True),
    sa.Column('appraised_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appraised_by_id'], ['users.id'], name=op.f('fk_quality_sheets_appraised_by_id_users')),
    sa.ForeignKeyConstraint(['set_id'], ['indicator_sets.id'], name=op.f('fk_quality_sheets_set_id_indicator_sets')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_quality_sheets_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quality_sheets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_sheets')),
    sa.UniqueConstraint('set_id', 'unit_id', name=op.f('uq_quality_sheets_set_id'))
    )
    with op.batch_alter_table('quality_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_sheets_set_id'), ['set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_sheets_unit_id'), ['unit_id'], unique=False)

    op.create_table('quality_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('auto_points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('is_applicable', sa.Boolean(), nullable=False),
    sa.Column('self_points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('self_note', sa.Text(), nullable=True),
    sa.Column('self_by_id', sa.Integer(), nullable=True),
    sa.Column('self_at', sa.DateTime(), nullable=True),
    sa.Column('appraised_points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('appraisal_note', sa.Text(), nullable=True),
    sa.Column('appraised_by_id', sa.Integer(), nullable=True),
    sa.Column('appraised_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['appraised_by_id'], ['users.id'], name=op.f('fk_quality_scores_appraised_by_id_users')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_quality_scores_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['self_by_id'], ['users.id'], name=op.f('fk_quality_scores_self_by_id_users')),
    sa.ForeignKeyConstraint(['sheet_id'], ['quality_sheets.id'], name=op.f('fk_quality_scores_sheet_id_quality_sheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_scores')),
    sa.UniqueConstraint('sheet_id', 'criterion_id', name=op.f('uq_quality_scores_sheet_id'))
    )
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_scores_criterion_id'), ['criterion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_scores_sheet_id'), ['sheet_id'], unique=False)

    op.create_table('quality_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('score_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['score_id'], ['quality_scores.id'], name=op.f('fk_quality_evidence_score_id_quality_scores')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_quality_evidence_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_quality_evidence_stored_name'))
    )
    with op.batch_alter_table('quality_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_evidence_score_id'), ['score_id'], unique=False)



def downgrade():
    with op.batch_alter_table('quality_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_evidence_score_id'))

    op.drop_table('quality_evidence')
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_scores_sheet_id'))
        batch_op.drop_index(batch_op.f('ix_quality_scores_criterion_id'))

    op.drop_table('quality_scores')
    with op.batch_alter_table('quality_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_sheets_unit_id'))
        batch_op.drop_index(batch_op.f('ix_quality_sheets_set_id'))

    op.drop_table('quality_sheets')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_set_id'))
        batch_op.drop_index(batch_op.f('ix_criteria_parent_id'))

    op.drop_table('criteria')
    op.drop_table('indicator_sets')
