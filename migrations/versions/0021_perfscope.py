"""perfscope: the home page's tokens per department (issue 16 d)

0020 renewed one token, `home`, at every write of the tables the home page is made from, so
any write anywhere in the province emptied every cached page. Now `tasks`, `task_tallies` and
`extensions` renew the tokens of the departments of the row's units and people (owner unit,
lead unit, responsible person's and accountable leader's units; before and after the write):
`home:<id>`, the department being the unit under the root a unit belongs to (from its path).
`units`, `users`, `fields` and `plans` renew `home`, which every page depends on. On
PostgreSQL a statement-level trigger notes the departments from its transition tables in a
transaction-local setting, and the deferred constraint trigger renews them at commit, sorted
by name. A token row deleted renews `home`. The trigger text is this file's own frozen copy
of app/dashboard/fragments.py's at this revision.

Revision ID: 0021_perfscope
Revises: 0020_perfhome2
Create Date: 2026-12-07 20:30:00

"""
from alembic import op

revision = '0021_perfscope'
down_revision = '0020_perfhome2'
branch_labels = None
depends_on = None

# The triggers' text as app/dashboard/fragments.py wrote it at this revision: never edit it.
CREATE = {
    'sqlite': [
        "CREATE TRIGGER data_versions_home_tasks_insert AFTER INSERT ON tasks BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (NEW.owner_unit_id, NEW.lead_unit_id, (SELECT unit_id FROM users WHERE id = NEW.assignee_id), (SELECT unit_id FROM users WHERE id = NEW.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_tasks_update AFTER UPDATE ON tasks BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (NEW.owner_unit_id, NEW.lead_unit_id, OLD.owner_unit_id, OLD.lead_unit_id, (SELECT unit_id FROM users WHERE id = NEW.assignee_id), (SELECT unit_id FROM users WHERE id = NEW.leader_id), (SELECT unit_id FROM users WHERE id = OLD.assignee_id), (SELECT unit_id FROM users WHERE id = OLD.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_tasks_delete AFTER DELETE ON tasks BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (OLD.owner_unit_id, OLD.lead_unit_id, (SELECT unit_id FROM users WHERE id = OLD.assignee_id), (SELECT unit_id FROM users WHERE id = OLD.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_insert AFTER INSERT ON task_tallies BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (NEW.owner_unit_id, NEW.lead_unit_id, (SELECT unit_id FROM users WHERE id = NEW.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_update AFTER UPDATE ON task_tallies BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (NEW.owner_unit_id, NEW.lead_unit_id, OLD.owner_unit_id, OLD.lead_unit_id, (SELECT unit_id FROM users WHERE id = NEW.leader_id), (SELECT unit_id FROM users WHERE id = OLD.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_task_tallies_delete AFTER DELETE ON task_tallies BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN (OLD.owner_unit_id, OLD.lead_unit_id, (SELECT unit_id FROM users WHERE id = OLD.leader_id)) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
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
        "CREATE TRIGGER data_versions_home_extensions_insert AFTER INSERT ON extensions BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN ((SELECT owner_unit_id FROM tasks WHERE id = NEW.task_id), (SELECT lead_unit_id FROM tasks WHERE id = NEW.task_id), (SELECT unit_id FROM users WHERE id = (SELECT assignee_id FROM tasks WHERE id = NEW.task_id)), (SELECT unit_id FROM users WHERE id = (SELECT leader_id FROM tasks WHERE id = NEW.task_id))) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_extensions_update AFTER UPDATE ON extensions BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN ((SELECT owner_unit_id FROM tasks WHERE id = NEW.task_id), (SELECT lead_unit_id FROM tasks WHERE id = NEW.task_id), (SELECT owner_unit_id FROM tasks WHERE id = OLD.task_id), (SELECT lead_unit_id FROM tasks WHERE id = OLD.task_id), (SELECT unit_id FROM users WHERE id = (SELECT assignee_id FROM tasks WHERE id = NEW.task_id)), (SELECT unit_id FROM users WHERE id = (SELECT leader_id FROM tasks WHERE id = NEW.task_id)), (SELECT unit_id FROM users WHERE id = (SELECT assignee_id FROM tasks WHERE id = OLD.task_id)), (SELECT unit_id FROM users WHERE id = (SELECT leader_id FROM tasks WHERE id = OLD.task_id))) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_home_extensions_delete AFTER DELETE ON extensions BEGIN INSERT INTO data_versions (name, token) SELECT 'home:' || CASE WHEN instr(substr(path, instr(substr(path, 2), '/') + 2), '/') > 0 THEN substr(substr(path, instr(substr(path, 2), '/') + 2), 1, instr(substr(path, instr(substr(path, 2), '/') + 2), '/') - 1) ELSE substr(path, 2, instr(substr(path, 2), '/') - 1) END, lower(hex(randomblob(16))) FROM units WHERE id IN ((SELECT owner_unit_id FROM tasks WHERE id = OLD.task_id), (SELECT lead_unit_id FROM tasks WHERE id = OLD.task_id), (SELECT unit_id FROM users WHERE id = (SELECT assignee_id FROM tasks WHERE id = OLD.task_id)), (SELECT unit_id FROM users WHERE id = (SELECT leader_id FROM tasks WHERE id = OLD.task_id))) GROUP BY 1 ON CONFLICT (name) DO UPDATE SET token = excluded.token; END",
        "CREATE TRIGGER data_versions_deleted AFTER DELETE ON data_versions WHEN OLD.name <> 'home' BEGIN UPDATE data_versions SET token = lower(hex(randomblob(16))) WHERE name = 'home'; END",
    ],
    'postgresql': [
        "CREATE FUNCTION data_versions_home() RETURNS trigger LANGUAGE plpgsql AS $$\nDECLARE\n  noted text;\nBEGIN\n  IF current_setting('sauro.home_token_txid', true) IS DISTINCT FROM txid_current()::text THEN\n    FOREACH noted IN ARRAY CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END LOOP\n      INSERT INTO data_versions (name, token) VALUES (noted, md5(random()::text || clock_timestamp()::text)) ON CONFLICT (name) DO UPDATE SET token = excluded.token;\n    END LOOP;\n    PERFORM set_config('sauro.home_token_txid', txid_current()::text, true);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION data_versions_wrote() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF current_setting('sauro.home_wrote_txid', true) IS DISTINCT FROM txid_current()::text THEN\n    PERFORM set_config('sauro.home_wrote_txid', txid_current()::text, true);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION data_versions_note() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF TG_TABLE_NAME NOT IN ('tasks', 'task_tallies', 'extensions') THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT 'home') AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'task_tallies' AND pg_trigger_depth() > 1 THEN\n    NULL;\n  ELSIF TG_TABLE_NAME = 'tasks' AND TG_OP = 'INSERT' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM nt) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM nt) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.assignee_id FROM (SELECT * FROM nt) AS r UNION SELECT r.leader_id FROM (SELECT * FROM nt) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'tasks' AND TG_OP = 'UPDATE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.assignee_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r UNION SELECT r.leader_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'tasks' AND TG_OP = 'DELETE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM ot) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.assignee_id FROM (SELECT * FROM ot) AS r UNION SELECT r.leader_id FROM (SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'task_tallies' AND TG_OP = 'INSERT' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM nt) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM nt) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.leader_id FROM (SELECT * FROM nt) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'task_tallies' AND TG_OP = 'UPDATE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.leader_id FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'task_tallies' AND TG_OP = 'DELETE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT r.owner_unit_id FROM (SELECT * FROM ot) AS r UNION SELECT r.lead_unit_id FROM (SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT r.leader_id FROM (SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'extensions' AND TG_OP = 'INSERT' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT (SELECT owner_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt) AS r UNION SELECT (SELECT lead_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT (SELECT assignee_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt) AS r UNION SELECT (SELECT leader_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'extensions' AND TG_OP = 'UPDATE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT (SELECT owner_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r UNION SELECT (SELECT lead_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT (SELECT assignee_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r UNION SELECT (SELECT leader_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM nt UNION ALL SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  ELSIF TG_TABLE_NAME = 'extensions' AND TG_OP = 'DELETE' THEN\n    PERFORM set_config('sauro.home_noted', txid_current()::text || ':' || coalesce((SELECT string_agg(n, ',' ORDER BY n) FROM (SELECT unnest(CASE WHEN split_part(current_setting('sauro.home_noted', true), ':', 1) = txid_current()::text THEN string_to_array(nullif(split_part(current_setting('sauro.home_noted', true), ':', 2), ''), ',') ELSE '{}'::text[] END) UNION SELECT DISTINCT 'home:' || coalesce(nullif(split_part(u.path, '/', 3), ''), split_part(u.path, '/', 2)) FROM units u WHERE u.id IN (SELECT (SELECT owner_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM ot) AS r UNION SELECT (SELECT lead_unit_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM ot) AS r) OR u.id IN (SELECT p.unit_id FROM users p WHERE p.id IN (SELECT (SELECT assignee_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM ot) AS r UNION SELECT (SELECT leader_id FROM tasks WHERE id = r.task_id) FROM (SELECT * FROM ot) AS r))) AS noted(n) WHERE n IS NOT NULL), ''), true);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION data_versions_truncated() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO data_versions (name, token) VALUES ('home', md5(random()::text || clock_timestamp()::text)) ON CONFLICT (name) DO UPDATE SET token = excluded.token;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION data_versions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE data_versions SET token = md5(random()::text || clock_timestamp()::text) WHERE name = 'home';\n  RETURN NULL;\nEND\n$$",
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON task_tallies FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_wrote BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON extensions FOR EACH STATEMENT EXECUTE FUNCTION data_versions_wrote()',
        'CREATE TRIGGER data_versions_note AFTER INSERT OR UPDATE OR DELETE ON plans FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note AFTER INSERT OR UPDATE OR DELETE ON units FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note AFTER INSERT OR UPDATE OR DELETE ON fields FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS ot FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_insert AFTER INSERT ON task_tallies REFERENCING NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_update AFTER UPDATE ON task_tallies REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_delete AFTER DELETE ON task_tallies REFERENCING OLD TABLE AS ot FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_insert AFTER INSERT ON extensions REFERENCING NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_update AFTER UPDATE ON extensions REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE TRIGGER data_versions_note_delete AFTER DELETE ON extensions REFERENCING OLD TABLE AS ot FOR EACH STATEMENT EXECUTE FUNCTION data_versions_note()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON tasks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON task_tallies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON plans DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON units DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON fields DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE CONSTRAINT TRIGGER data_versions_home AFTER INSERT OR UPDATE OR DELETE ON extensions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_versions_home()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON task_tallies FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON plans FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON fields FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        'CREATE TRIGGER data_versions_home_truncate AFTER TRUNCATE ON extensions FOR EACH STATEMENT EXECUTE FUNCTION data_versions_truncated()',
        "CREATE TRIGGER data_versions_deleted AFTER DELETE ON data_versions FOR EACH ROW WHEN (OLD.name <> 'home') EXECUTE FUNCTION data_versions_deleted()",
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
        'DROP TRIGGER IF EXISTS data_versions_deleted',
        "DELETE FROM data_versions WHERE name LIKE 'home%'",
    ],
    'postgresql': [
        'DROP TRIGGER IF EXISTS data_versions_home ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_note ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON tasks',
        'DROP TRIGGER IF EXISTS data_versions_home ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_note ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON task_tallies',
        'DROP TRIGGER IF EXISTS data_versions_home ON plans',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON plans',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON plans',
        'DROP TRIGGER IF EXISTS data_versions_note ON plans',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON plans',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON plans',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON plans',
        'DROP TRIGGER IF EXISTS data_versions_home ON units',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON units',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON units',
        'DROP TRIGGER IF EXISTS data_versions_note ON units',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON units',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON units',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON units',
        'DROP TRIGGER IF EXISTS data_versions_home ON users',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON users',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON users',
        'DROP TRIGGER IF EXISTS data_versions_note ON users',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON users',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON users',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON users',
        'DROP TRIGGER IF EXISTS data_versions_home ON fields',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON fields',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON fields',
        'DROP TRIGGER IF EXISTS data_versions_note ON fields',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON fields',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON fields',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON fields',
        'DROP TRIGGER IF EXISTS data_versions_home ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_wrote ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_home_truncate ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_note ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_note_insert ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_note_update ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_note_delete ON extensions',
        'DROP TRIGGER IF EXISTS data_versions_deleted ON data_versions',
        'DROP FUNCTION IF EXISTS data_versions_home()',
        'DROP FUNCTION IF EXISTS data_versions_wrote()',
        'DROP FUNCTION IF EXISTS data_versions_note()',
        'DROP FUNCTION IF EXISTS data_versions_truncated()',
        'DROP FUNCTION IF EXISTS data_versions_deleted()',
        "DELETE FROM data_versions WHERE name LIKE 'home%'",
    ],
}
# 0020's triggers (its frozen text), dropped on the way up and written back on the way down.
DROP_0020 = {
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
    ],
}
CREATE_0020 = {
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
# The province's token, so that pages are cached from the start (a department's is written at
# its first write).
HOME = ("INSERT INTO data_versions (name, token) VALUES ('home', {}) "
        "ON CONFLICT (name) DO UPDATE SET token = excluded.token")
TOKEN = {'sqlite': "lower(hex(randomblob(16)))",
         'postgresql': "md5(random()::text || clock_timestamp()::text)"}


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP_0020[dialect] + CREATE[dialect]:
        op.execute(statement)
    op.execute(HOME.format(TOKEN[dialect]))


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP[dialect] + CREATE_0020[dialect]:
        op.execute(statement)
    op.execute(HOME.format(TOKEN[dialect]))
