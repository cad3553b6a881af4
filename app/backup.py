"""Backups of the live database: `flask backup create PATH` and `flask backup check PATH`.

SQLite: the online backup API (`sqlite3.Connection.backup`), never a file copy. A copy of a
live WAL database missed committed rows (10,855 of at least 11,036 when measured on this kind
of machine); the backup API copies one consistent snapshot and, in WAL mode, does not stop the
writers. PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`).

Flask-Migrate's `flask db` group is resolved by the `flask` command before the app is loaded,
so the app cannot add a subcommand to it; the commands live in a `backup` group of their own.

Restore (SQLite): stop the app, check the backup (`flask backup check PATH` prints "ok"),
copy it over the database file, delete the old `-wal` and `-shm` files, start the app.
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
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

backup_cli = AppGroup("backup", help="Backups of the database (SQLite online backup, or pg_dump).")

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


def pg_dump_command(url: str, target: Path) -> tuple[list[str], dict]:
    """The pg_dump argument list and environment for a SQLAlchemy PostgreSQL URL. The
    password goes in PGPASSWORD (never on the command line); a search_path set in the URL's
    `options` limits the dump to that schema."""
    exe = shutil.which("pg_dump")
    if exe is None:
        raise FileNotFoundError("pg_dump")
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()}
    options = query.pop("options", None)
    args = [exe, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    if options:
        options = unquote(options)
        env["PGOPTIONS"] = options
        for part in options.split():
            if part.startswith("-csearch_path="):
                schema = part.split("=", 1)[1].split(",")[0].strip()
                if schema:
                    args.append(f"--schema={schema}")
    dsn = u.set(drivername="postgresql", password=None, query=query)
    args.append(f"--dbname={dsn.render_as_string(hide_password=False)}")
    return args, env


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
def backup_create(path: str, force: bool) -> None:
    """Write a consistent backup of the live database to PATH, while the app runs."""
    from .extensions import db

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
            files = {row[1]: row[2] for row in con.execute("PRAGMA database_list")}
            if not files.get("main"):
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


@backup_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def backup_check(path: str) -> None:
    """Check a SQLite backup: PRAGMA integrity_check and the sha256 of its SQL dump."""
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            _fail(f"{path} không phải tệp SQLite / is not a SQLite file")
    con = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    click.echo(f"integrity_check: {result}")
    click.echo(f"dump sha256: {sqlite_dump_sha256(Path(path))}")
    if result != "ok":
        sys.exit(1)
