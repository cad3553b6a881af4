"""coord: coordinating units take part (issue 17 §2)

- task_coordinator_contacts: the people the head of a coordinating unit names as its
  contact persons for a task (they see it and may add a coordinator's note).

Revision ID: 0015_coord
Revises: 0014_org
Create Date: 2026-12-07 10:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015_coord'
down_revision = '0014_org'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_coordinator_contacts',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE',
                                name=op.f('fk_task_coordinator_contacts_task_id_tasks')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_task_coordinator_contacts_user_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_task_coordinator_contacts_unit_id_units')),
        sa.PrimaryKeyConstraint('task_id', 'user_id', name=op.f('pk_task_coordinator_contacts')),
    )
    op.create_index(op.f('ix_task_coordinator_contacts_user_id'), 'task_coordinator_contacts',
                    ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_task_coordinator_contacts_user_id'),
                  table_name='task_coordinator_contacts')
    op.drop_table('task_coordinator_contacts')
