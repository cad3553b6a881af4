"""perfhome2: the indicators' partial indexes, the home page's data token (issue 16 d)

- ix_tasks_ind_{owner,lead,leader}_plan on (owner_unit_id | lead_unit_id | leader_id,
  plan_id) and ix_tasks_ind_{owner,lead,leader}_status on (..., status, plan_id), each
  WHERE indicator_target IS NOT NULL: the home page's "furthest behind" indicators read a
  unit's tasks with a target of this year's plans, and its unfinished ones of earlier years,
  instead of every task the unit ever had (docs/performance.md, fifth pass).
- data_versions: a token per cached page, renewed by triggers on every write of the tables
  the page is made from (app/dashboard/fragments.py: the home page's content is cached per
  reader until then); on PostgreSQL renewed at commit (a deferred constraint trigger).
  The trigger text is this file's own frozen copy of that module's at this revision.

Revision ID: 0020_perfhome2
Revises: 0019_tidy
Create Date: 2026-12-07 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_perfhome2'
down_revision = '0019_tidy'
branch_labels = None
depends_on = None

_COLUMNS = (("owner", "owner_unit_id"), ("lead", "lead_unit_id"), ("leader", "leader_id"))
_SECOND = (("plan", ["plan_id"]), ("status", ["status", "plan_id"]))
_WHERE = sa.text("indicator_target IS NOT NULL")

# The triggers' text as app/dashboard/fragments.py wrote it at this revision: never edit it.
CREATE = {
    'sqlite': [
        "CREATE TRIGGER data_versions_home_tasks_insert AFTER INSERT ON tasks BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_tasks_update AFTER UPDATE ON tasks BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_tasks_delete AFTER DELETE ON tasks BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_insert AFTER INSERT ON task_tallies BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_update AFTER UPDATE ON task_tallies BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_delete AFTER DELETE ON task_tallies BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_plans_insert AFTER INSERT ON plans BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_plans_update AFTER UPDATE ON plans BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_plans_delete AFTER DELETE ON plans BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_units_insert AFTER INSERT ON units BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_units_update AFTER UPDATE ON units BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_units_delete AFTER DELETE ON units BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_users_insert AFTER INSERT ON users BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_users_update AFTER UPDATE ON users BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_users_delete AFTER DELETE ON users BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_fields_insert AFTER INSERT ON fields BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_fields_update AFTER UPDATE ON fields BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_fields_delete AFTER DELETE ON fields BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_extensions_insert AFTER INSERT ON extensions BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_extensions_update AFTER UPDATE ON extensions BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_extensions_delete AFTER DELETE ON extensions BEGIN INSERT INTO data_versions (name, token) VALUES ('home', lower(hex(randomblob(16)))) ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
    ],
    'postgresql': [
        "CREATE FUNCTION data_versions_home() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF current_setting('sauro.home_token_txid', true) IS DISTINCT FROM txid_current()::text THEN\n    INSERT INTO data_versions (name, token) VALUES ('home', md5(random()::text || clock_timestamp()::text)) ON CONFLICT (name) DO UPDATE SET token = excluded.token;\n    PERFORM set_config('sauro.home_token_txid', txid_current()::text, true);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION data_versions_wrote() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF current_setting('sauro.home_wrote_txid', true) IS DISTINCT FROM txid_current()::text THEN\n    PERFORM set_config('sauro.home_wrote_txid', txid_current()::text, true);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON task_tallies FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON extensions FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON tasks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON task_tallies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON plans DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON units DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON fields DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON extensions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON task_tallies FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON plans FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON extensions FOR EACH STATEMENT EXECUTE FUNCTION data_versions_home()',
    ],
}
DROP = {
    'sqlite': [
        'DROP TRIGGER IF EXISTS data_versions_home_tasks_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_tasks_update',
        'DROP TRIGGER IF EXISTS data_versions_home_tasks_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_task_tallies_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_task_tallies_update',
        'DROP TRIGGER IF EXISTS data_versions_home_task_tallies_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_plans_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_plans_update',
        'DROP TRIGGER IF EXISTS data_versions_home_plans_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_units_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_units_update',
        'DROP TRIGGER IF EXISTS data_versions_home_units_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_users_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_users_update',
        'DROP TRIGGER IF EXISTS data_versions_home_users_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_fields_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_fields_update',
        'DROP TRIGGER IF EXISTS data_versions_home_fields_delete',
        'DROP TRIGGER IF EXISTS data_versions_home_extensions_insert',
        'DROP TRIGGER IF EXISTS data_versions_home_extensions_update',
        'DROP TRIGGER IF EXISTS data_versions_home_extensions_delete',
        "DELETE FROM data_versions WHERE name = 'home'",
    ],
    'postgresql': [
        'DROP TRIGGER IF EXISTS data_versions_home ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_home ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_home ON plans',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON plans',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON plans',
        'DROP TRIGGER IF EXISTS data_versions_home ON units',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON units',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON units',
        'DROP TRIGGER IF EXISTS data_versions_home ON users',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON users',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON users',
        'DROP TRIGGER IF EXISTS data_versions_home ON fields',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON fields',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON fields',
        'DROP TRIGGER IF EXISTS data_versions_home ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON extensions',
        'DROP FUNCTION IF EXISTS data_versions_home()',
        'DROP FUNCTION IF EXISTS data_versions_wrote()',
        "DELETE FROM data_versions WHERE name = 'home'",
    ],
}

def upgrade():
    for name, column in _COLUMNS:
        for second, rest in _SECOND:
            op.create_index(f"ix_tasks_ind_{name}_{second}", "tasks", [column, *rest], unique=False,
                            sqlite_where=_WHERE, postgresql_where=_WHERE)
    op.execute("ANALYZE tasks")  # the planner's statistics for the new indexes
    op.create_table(
        'data_versions',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions')),
    )
    for statement in CREATE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('data_versions')
    for name, _column in _COLUMNS:
        for second, _rest in _SECOND:
            op.drop_index(f"ix_tasks_ind_{name}_{second}", table_name="tasks")
