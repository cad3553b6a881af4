"""org: the organisation as it is (issue 17 §2)

- users.extra_roles: capabilities beyond the post (assessor, administrator), so that a
  deputy may also appraise and a head may also administer; the post stays single.
- units.successor_id: the unit a merged unit was merged into (a plain id, no foreign key).
- audit_log: two indexes for the audit browser's list (by kind of object or by person,
  newest first).

Revision ID: 0014_org
Revises: 0010_quality
Create Date: 2026-12-07 07:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014_org'
down_revision = '0012_quality_methods'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases, never a batch rebuild: rebuilding users or units on
    # SQLite with foreign keys on would cascade into the rows that reference them (see 0005).
    op.add_column('users', sa.Column('extra_roles', sa.String(length=64), nullable=False,
                                     server_default=''))
    op.add_column('units', sa.Column('successor_id', sa.Integer(), nullable=True))
    op.create_index('ix_audit_log_object_type_at', 'audit_log', ['object_type', 'at'],
                    unique=False)
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor_id', 'at'], unique=False)


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), as 0006.
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    op.drop_index('ix_audit_log_object_type_at', table_name='audit_log')
    op.drop_column('units', 'successor_id')
    op.drop_column('users', 'extra_roles')
