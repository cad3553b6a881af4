"""quality flow: the entry window with its cut-off, staff drafts, the explanation round
(issue 13)

indicator_sets gains the entry window (opens, cut-off) and when the open sheets' automatic
figures were frozen at the cut-off; quality_scores gains a draft (figure, note, author,
when) awaiting the head's approval; quality_explanations holds the appraiser's requests and
the unit's single answer; quality_evidence may belong to an answer (score_id nullable).

Revision ID: 0013_quality_flow
Revises: 0010_quality
Create Date: 2026-12-07 07:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_quality_flow'
down_revision = '0011_recurring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_opens_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('entry_closes_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cutoff_frozen_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_points', sa.Numeric(precision=7, scale=2), nullable=True))
        batch_op.add_column(sa.Column('draft_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('draft_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('draft_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_quality_scores_draft_by_id_users'), 'users',
                                    ['draft_by_id'], ['id'])

    op.create_table('quality_explanations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_quality_explanations_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_quality_explanations_asked_by_id_users')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_quality_explanations_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['sheet_id'], ['quality_sheets.id'], name=op.f('fk_quality_explanations_sheet_id_quality_sheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_explanations'))
    )
    with op.batch_alter_table('quality_explanations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_explanations_sheet_id'), ['sheet_id'], unique=False)

    with op.batch_alter_table('quality_evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation_id', sa.Integer(), nullable=True))
        batch_op.alter_column('score_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_quality_evidence_explanation_id'), ['explanation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_quality_evidence_explanation_id_quality_explanations'),
                                    'quality_explanations', ['explanation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('quality_evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quality_evidence_explanation_id_quality_explanations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_quality_evidence_explanation_id'))
        batch_op.alter_column('score_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('explanation_id')

    with op.batch_alter_table('quality_explanations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_explanations_sheet_id'))
    op.drop_table('quality_explanations')

    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quality_scores_draft_by_id_users'), type_='foreignkey')
        batch_op.drop_column('draft_at')
        batch_op.drop_column('draft_by_id')
        batch_op.drop_column('draft_note')
        batch_op.drop_column('draft_points')

    with op.batch_alter_table('indicator_sets', schema=None) as batch_op:
        batch_op.drop_column('cutoff_frozen_at')
        batch_op.drop_column('entry_closes_on')
        batch_op.drop_column('entry_opens_on')
