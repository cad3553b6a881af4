"""quality2: evidence as a document's number and date; quality notifications link to the sheet

- quality_scores.evidence_doc_no / evidence_doc_on: the unit's evidence given as a document
  (its number and date) rather than, or beside, files (DESIGN.md 8: "evidence (files, or a
  document's number and date)").
- quality_explanations.answer_doc_no / answer_doc_on: the same for an explanation's answer.
- notifications.quality_sheet_id: the scoring sheet a quality notification is about (the
  bell and the mail open it), a plain id as task_id is for a task.

Revision ID: 0016_quality2
Revises: 0015_coord
Create Date: 2026-12-07 10:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016_quality2'
down_revision = '0015_coord'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases, never a batch rebuild (see 0014).
    op.add_column('quality_scores', sa.Column('evidence_doc_no', sa.String(length=64), nullable=True))
    op.add_column('quality_scores', sa.Column('evidence_doc_on', sa.Date(), nullable=True))
    op.add_column('quality_explanations', sa.Column('answer_doc_no', sa.String(length=64), nullable=True))
    op.add_column('quality_explanations', sa.Column('answer_doc_on', sa.Date(), nullable=True))
    op.add_column('notifications', sa.Column('quality_sheet_id', sa.Integer(), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), as 0006.
    op.drop_column('notifications', 'quality_sheet_id')
    op.drop_column('quality_explanations', 'answer_doc_on')
    op.drop_column('quality_explanations', 'answer_doc_no')
    op.drop_column('quality_scores', 'evidence_doc_on')
    op.drop_column('quality_scores', 'evidence_doc_no')
