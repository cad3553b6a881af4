"""tasks.title_sort: a Vietnamese collation key for sorting the task list by title

The list's "title" sort used the folded title, where "Đ" sorts among "D" and "Ă", "Â"
among "A". The key (app.domain.text.sort_key, ASCII digits only, so every database
collation orders it alike) is kept whole: 1,504 characters for a 500-character title.
Existing rows are filled in batches, computed in Python as the application does.

No index: the list filters by scope first (an OR over four indexed columns), then sorts
what is left. Measured on the benchmark's 100,000 tasks (SQLite), an index on title_sort
made the planner walk it for a unit's head and filter row by row: the last page of a
small unit went from 56 ms to 680 ms, a search from 22 ms to 385 ms. Only the province
readers' unfiltered list gained (440 ms to 2 ms), and its count reads every task anyway.

The column is added NOT NULL with an empty default rather than made NOT NULL
afterwards: on SQLite that would rebuild the tasks table, and dropping the old table
with foreign keys on deletes the process steps, progress reports and evidence of every
task (ON DELETE CASCADE). The default stays, as 0002's extension_count's does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:30:00

"""
import sqlalchemy as sa
from alembic import op

from app.domain.text import sort_key

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The key of the longest title (500 characters): at most three digits a character plus four.
TITLE_SORT_LENGTH = 1504
BATCH = 1000


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_sort', sa.String(length=TITLE_SORT_LENGTH),
                                      nullable=False, server_default=''))
    conn = op.get_bind()
    tasks = sa.table('tasks', sa.column('id', sa.Integer), sa.column('title', sa.String),
                     sa.column('title_sort', sa.String))
    fill = (tasks.update().where(tasks.c.id == sa.bindparam('b_id'))
            .values(title_sort=sa.bindparam('b_key')))
    last = 0
    while True:
        rows = conn.execute(sa.select(tasks.c.id, tasks.c.title).where(tasks.c.id > last)
                            .order_by(tasks.c.id).limit(BATCH)).all()
        if not rows:
            break
        conn.execute(fill, [{'b_id': r.id, 'b_key': sort_key(r.title or '', TITLE_SORT_LENGTH)}
                            for r in rows])
        last = rows[-1].id


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild (see above).
    op.drop_column('tasks', 'title_sort')
