"""What the generator and the runner share: where the benchmark database is, how to
reach it with the bare driver, and the facts the generator leaves for the runner."""

import json
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALES = {"province": 100_000, "large": 1_000_000, "small": 10_000}
PASSWORD = "Bench-mat-khau-2026"
DEFAULT_SCHEMA = "sauro_bench"


def scale() -> str:
    name = os.environ.get("SCALE", "province")
    if name not in SCALES:
        raise SystemExit(f"SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return name


def bench_today() -> date:
    """The date the data is built around: BENCH_TODAY, else today in Asia/Ho_Chi_Minh."""
    text = os.environ.get("BENCH_TODAY")
    if text:
        return date.fromisoformat(text)
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def pg_schema(url: str) -> str:
    """The schema named by options=-csearch_path=... in the URL, else DEFAULT_SCHEMA."""
    q = parse_qs(urlsplit(url).query)
    for opt in q.get("options", []):
        m = re.search(r"search_path=([A-Za-z_][A-Za-z0-9_]*)", opt)
        if m:
            return m.group(1)
    return DEFAULT_SCHEMA


def with_schema(url: str, schema: str) -> str:
    """The URL with its search_path set to `schema` (and nothing else changed)."""
    parts = urlsplit(url)
    q = {k: v for k, v in parse_qs(parts.query).items() if k != "options"}
    q["options"] = [f"-csearch_path={schema}"]
    return urlunsplit(parts._replace(query=urlencode(q, doseq=True)))


def database_url() -> tuple[str, str]:
    """(SQLAlchemy URL, kind) of this scale's benchmark database."""
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        schema = pg_schema(pg)
        if schema == "public" or schema.startswith("sauro_test"):
            raise SystemExit(f"refusing schema {schema!r}: the benchmark needs a schema of its own")
        return with_schema(pg, schema), "postgresql"
    DATA.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA / (scale() + '.db')}", "sqlite"


def meta_path(kind: str) -> Path:
    return DATA / f"{scale()}-{kind}.json"


def write_meta(kind: str, meta: dict) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    meta_path(kind).write_text(json.dumps(meta, indent=2, default=str), "utf-8")


def read_meta(kind: str) -> dict:
    path = meta_path(kind)
    if not path.exists():
        raise SystemExit(f"{path} is missing: run bench/generate.py first (make bench does)")
    meta = json.loads(path.read_text("utf-8"))
    meta["today"] = date.fromisoformat(meta["today"])
    return meta


def raw_connection(url: str):
    """A DB-API connection straight from the driver (sqlite3 or psycopg), no ORM."""
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn
    import psycopg

    parts = urlsplit(url)
    q = parse_qs(parts.query)
    conninfo = urlunsplit(parts._replace(scheme="postgresql", query=""))
    return psycopg.connect(conninfo, options=q.get("options", [""])[0], autocommit=True)


def placeholder(kind: str) -> str:
    return "?" if kind == "sqlite" else "%s"
