"""Backups of the live database: `flask db backup PATH`, `flask db backup-check PATH` and
`flask db restore PATH --yes`.

SQLite: the online backup API (`sqlite3.Connection.backup`), never a file copy. A copy of a
live WAL database missed committed rows (10,855 of at least 11,036 when measured on this kind
of machine); the backup API copies one consistent snapshot and, in WAL mode, does not stop the
writers. PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`.

The commands join Flask-Migrate's `db` group (Flask-Migrate adds that group to the app's
commands in `Migrate.init_app`, so `flask db ...` loads the app first and sees them).

Restore: stop the web servers and the scheduler, `flask db restore PATH --yes`, start them.
It checks the backup first, copies it into the configured database (SQLite: the backup API
again, so the -wal file stays consistent; PostgreSQL: `pg_restore --clean --single-transaction`)
and then checks the result: PRAGMA integrity_check and a dump hash equal to the backup's.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess  # pg_dump only: an argument list, never a shell
import sys
from pathlib import Path
from urllib.parse import unquote

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.extensions import db

PG_DUMP_TIMEOUT = 6 * 3600


def _fail(message: str) -> None:
    click.echo(f"Lỗi / Error: {message}", err=True)
    sys.exit(2)


def sqlite_backup(source: "str | sqlite3.Connection", target: Path) -> str:
    """Copy the database (a file path, or an open connection to it) to `target` with the
    online backup API: written to a temporary file beside the target, checked with PRAGMA
    integrity_check, then moved into place. Returns the check's answer ("ok"); a failed
    check leaves no file at `target`."""
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    own = isinstance(source, str)
    src = sqlite3.connect(source) if own else source
    try:
        if own:
            src.execute("PRAGMA busy_timeout = 5000")
        dst = sqlite3.connect(part)
        try:
            # pages=-1: the whole database in one step, from one read snapshot. Stepping
            # in small pieces would restart each time another connection writes.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        if own:
            src.close()
    if result != "ok":
        part.unlink(missing_ok=True)
        return result
    os.replace(part, target)
    return result


def sqlite_dump_sha256(path: Path) -> str:
    """sha256 of the SQL text dump (`iterdump`): equal dumps mean equal contents."""
    con = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        for line in con.iterdump():
            h.update(line.encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()
    finally:
        con.close()


def _pg_command(tool: str, url: str) -> tuple[list[str], dict, str | None]:
    """(argument list, environment, schema) to run `tool` (pg_dump, pg_restore) against a
    SQLAlchemy PostgreSQL URL. The password goes in PGPASSWORD (never on the command line);
    a search_path set in the URL's `options` names the one schema the app uses."""
    exe = shutil.which(tool)
    if exe is None:
        raise FileNotFoundError(tool)
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()}
    options = query.pop("options", None)
    schema = None
    if options:
        options = unquote(options)
        env["PGOPTIONS"] = options
        for part in options.split():
            if part.startswith("-csearch_path="):
                schema = part.split("=", 1)[1].split(",")[0].strip() or None
    dsn = u.set(drivername="postgresql", password=None, query=query)
    return [exe, f"--dbname={dsn.render_as_string(hide_password=False)}"], env, schema


def pg_dump_command(url: str, target: Path) -> tuple[list[str], dict]:
    """The pg_dump argument list and environment: the custom format, limited to the app's
    schema when the URL sets a search_path."""
    args, env, schema = _pg_command("pg_dump", url)
    args[1:1] = ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    if schema:
        args.insert(-1, f"--schema={schema}")
    return args, env


def pg_restore_command(url: str, source: Path) -> tuple[list[str], dict]:
    """The pg_restore argument list and environment: the backup's objects replace the
    current ones (--clean --if-exists) in one transaction, so a failed restore changes
    nothing. Everything in the archive is restored: a backup of one schema (pg_dump
    --schema) holds that schema alone, with its CREATE SCHEMA, which pg_restore --schema
    would leave out."""
    args, env, _schema = _pg_command("pg_restore", url)
    args[1:1] = ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                 "--single-transaction", "--exit-on-error"]
    args.append(str(source))
    return args, env


def _sqlite_main_file(con: sqlite3.Connection) -> str | None:
    files = {row[1]: row[2] for row in con.execute("PRAGMA database_list")}
    return files.get("main") or None


def _check_sqlite_file(path: str) -> tuple[str, str]:
    """(integrity_check, dump sha256) of a SQLite file, opened read-only."""
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            _fail(f"{path} không phải tệp SQLite / is not a SQLite file")
    con = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    return result, sqlite_dump_sha256(Path(path))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
@with_appcontext
def backup_create(path: str, force: bool) -> None:
    """Write a consistent backup of the live database to PATH, while the app runs."""
    target = Path(path)
    if target.exists() and not force:
        _fail(f"{path} đã có; thêm --force để ghi đè / {path} exists; add --force to replace it")
    if not target.parent.is_dir():
        _fail(f"không có thư mục / no such folder: {target.parent}")
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        # The file is asked of a connection of the engine itself (PRAGMA database_list), not
        # read from the URL: an engine may open its file through a creator function.
        raw = db.engine.raw_connection()
        try:
            con = raw.driver_connection
            if not _sqlite_main_file(con):
                _fail("cơ sở dữ liệu SQLite phải là một tệp / the SQLite database must be a file")
            result = sqlite_backup(con, target)
        finally:
            raw.close()
        if result != "ok":
            _fail(f"bản sao lỗi (integrity_check: {result}) / the copy failed its integrity check")
        click.echo(f"Đã sao lưu / backed up to {target} ({target.stat().st_size} bytes, "
                   f"integrity_check: ok)")
    elif backend == "postgresql":
        part = target.with_name(target.name + ".part")
        try:
            args, env = pg_dump_command(url.render_as_string(hide_password=False), part)
        except FileNotFoundError:
            _fail("không tìm thấy pg_dump; cài gói postgresql-client cùng phiên bản với máy chủ / "
                  "pg_dump is not on PATH: install the PostgreSQL client tools of the server's "
                  "major version")
        done = subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=PG_DUMP_TIMEOUT, check=False)
        if done.returncode != 0:
            part.unlink(missing_ok=True)
            _fail(f"pg_dump: {done.stderr.strip()[:2000]}")
        os.replace(part, target)
        click.echo(f"Đã sao lưu / backed up to {target} ({target.stat().st_size} bytes, "
                   f"pg_dump --format=custom)")
    else:
        _fail(f"không hỗ trợ / not supported: {backend}")


@click.command("backup-check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def backup_check(path: str) -> None:
    """Check a SQLite backup: PRAGMA integrity_check and the sha256 of its SQL dump."""
    result, digest = _check_sqlite_file(path)
    click.echo(f"integrity_check: {result}")
    click.echo(f"dump sha256: {digest}")
    if result != "ok":
        sys.exit(1)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm: the database's current contents are replaced.")
@with_appcontext
def restore(path: str, yes: bool) -> None:
    """Replace the configured database with the backup at PATH (stop the app first)."""
    if not yes:
        _fail("khôi phục sẽ thay toàn bộ dữ liệu hiện có; dừng ứng dụng rồi chạy lại với --yes / "
              "a restore replaces every row of the database: stop the app, then add --yes")
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        result, digest = _check_sqlite_file(path)
        if result != "ok":
            _fail(f"bản sao lưu lỗi (integrity_check: {result}) / the backup fails its "
                  f"integrity check; nothing was changed")
        raw = db.engine.raw_connection()
        try:
            live = raw.driver_connection
            if not _sqlite_main_file(live):
                _fail("cơ sở dữ liệu SQLite phải là một tệp / the SQLite database must be a file")
            src = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
            try:
                # The backup API writes through SQLite's own locking and journal (the live
                # file stays in WAL mode); copying the file over it would not.
                src.backup(live, pages=-1)
            finally:
                src.close()
            live.execute("PRAGMA journal_mode = WAL")
            check = live.execute("PRAGMA integrity_check").fetchone()[0]
            h = hashlib.sha256()
            for line in live.iterdump():
                h.update(line.encode("utf-8"))
                h.update(b"\n")
        finally:
            raw.close()
        db.engine.dispose()
        if check != "ok" or h.hexdigest() != digest:
            _fail(f"khôi phục chưa đúng / the restored database differs from the backup "
                  f"(integrity_check: {check})")
        click.echo(f"Đã khôi phục / restored from {path}: integrity_check: ok, dump sha256 "
                   f"{digest} equal to the backup's")
    elif backend == "postgresql":
        with open(path, "rb") as fh:
            if fh.read(5) != b"PGDMP":
                _fail(f"{path} không phải bản pg_dump --format=custom / is not a pg_dump archive")
        try:
            args, env = pg_restore_command(url.render_as_string(hide_password=False), Path(path))
        except FileNotFoundError:
            _fail("không tìm thấy pg_restore; cài gói postgresql-client / pg_restore is not on "
                  "PATH: install the PostgreSQL client tools of the server's major version")
        db.engine.dispose()  # the app's own connections hold no lock on the tables
        done = subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=PG_DUMP_TIMEOUT, check=False)
        if done.returncode != 0:
            _fail(f"pg_restore (nothing was changed): {done.stderr.strip()[:2000]}")
        click.echo(f"Đã khôi phục / restored from {path} (pg_restore --single-transaction)")
    else:
        _fail(f"không hỗ trợ / not supported: {backend}")


def register(app) -> None:
    """Add the commands to Flask-Migrate's `db` group (app.cli's "db", set by init_app)."""
    group = app.cli.commands.get("db")
    if not isinstance(group, click.Group):
        raise TypeError("Flask-Migrate's `db` command group is missing")
    for command in (backup_create, backup_check, restore):
        group.add_command(command)
