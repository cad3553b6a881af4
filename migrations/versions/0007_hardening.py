"""hardening: throttled logins aggregated per window, expired login failures pruned

Issue 18 (outside probe): every throttled login wrote an audit row, and `login_failures`
rows keyed by address were never deleted.

- `login_failures.attempts`: a "thr:" row counts the throttled attempts of one account (or
  address) and fixed window; plain failure rows keep 1.
- `ix_login_failures_at`: the prune deletes every row older than the window by `at` alone.

A column and an index are added; the table is not rebuilt (see 0005).

Revision ID: 0007_hardening
Revises: 0006
Create Date: 2026-12-07 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007_hardening'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('login_failures',
                  sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'))
    op.create_index('ix_login_failures_at', 'login_failures', ['at'], unique=False)


def downgrade():
    op.drop_index('ix_login_failures_at', table_name='login_failures')
    with op.batch_alter_table('login_failures') as batch_op:
        batch_op.drop_column('attempts')
