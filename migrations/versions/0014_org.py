"""org: the organisation as it is (issue 17 §2)

- users.extra_roles: capabilities beyond the post (assessor, administrator), so that a
  deputy may also appraise and a head may also administer; the post stays single.
- audit_log: two indexes for the audit browser's list (by kind of object or by person,
  newest first).

Revision ID: 0014_org
Revises: 0010_quality
Create Date: 2026-12-07 07:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014_org'
down_revision = '0010_quality'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_roles', sa.String(length=64), nullable=False,
                                      server_default=''))
    op.create_index('ix_audit_log_object_type_at', 'audit_log', ['object_type', 'at'],
                    unique=False)
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    op.drop_index('ix_audit_log_object_type_at', table_name='audit_log')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('extra_roles')
