"""integrity2: a deputy's fields kept with a finalized quality sheet; who confirms added work

1. 
`quality_sheet_fields` holds, for every finalized (appraised or published) sheet, the fields
each deputy of the sheet's unit was in charge of at that moment. A deputy's quality result
of a finalized sheet is read from it (app/quality/queries.leader_results), so the head
changing her fields after the results are decided no longer changes her published rating
(red team, session 7; docs/integrity.md). Sheets already finalized are filled from the
fields as they are now, the best record there is.

Revision ID: 0018_integrity2
Revises: 0017_tallies
Create Date: 2026-12-07 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_integrity2'
down_revision = '0017_tallies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quality_sheet_fields',
        sa.Column('sheet_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['field_id'], ['fields.id'],
                                name=op.f('fk_quality_sheet_fields_field_id_fields')),
        sa.ForeignKeyConstraint(['sheet_id'], ['quality_sheets.id'], ondelete='CASCADE',
                                name=op.f('fk_quality_sheet_fields_sheet_id_quality_sheets')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_quality_sheet_fields_user_id_users')),
        sa.PrimaryKeyConstraint('sheet_id', 'user_id', 'field_id',
                                name=op.f('pk_quality_sheet_fields')),
    )
    op.execute(
        "INSERT INTO quality_sheet_fields (sheet_id, user_id, field_id) "
        "SELECT s.id, uf.user_id, uf.field_id FROM quality_sheets s "
        "JOIN users u ON u.unit_id = s.unit_id AND u.role = 'deputy' "
        "JOIN user_fields uf ON uf.user_id = u.id "
        "WHERE s.status IN ('appraised', 'published')")
    op.add_column('tasks', sa.Column('head_confirms', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.execute(
        "UPDATE tasks SET head_confirms = true "
        "WHERE EXISTS (SELECT 1 FROM plans p WHERE p.id = tasks.plan_id "
        "AND p.issued_at IS NOT NULL AND tasks.created_at > p.issued_at) "
        "AND NOT EXISTS (SELECT 1 FROM users u JOIN units uu ON uu.id = u.unit_id "
        "JOIN units pu ON pu.id = tasks.owner_unit_id "
        "WHERE u.id = tasks.created_by_id AND u.role = 'head' "
        "AND pu.path LIKE uu.path || '%')")


def downgrade():
    # ALTER TABLE DROP COLUMN, not a batch rebuild: the tallies' triggers on tasks stay.
    op.drop_column('tasks', 'head_confirms')
    op.drop_table('quality_sheet_fields')
