"""Uploaded files kept, as the rows read from them, until the preview is confirmed."""

import json
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from app.common.errors import NotFound
from app.models import (
    Plan,
    User,
)
from app.plans.importing.reader import Sheet, sheet_from_json, sheet_to_json
from app.settings import Files

# Stored uploads waiting for confirmation are dropped after this long.
UPLOAD_TTL = timedelta(hours=24)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


# ------------------------------------------------------------------ uploads awaiting confirmation

def _upload_dir(files: Files) -> Path:
    path = files.upload_folder / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep_uploads(folder: Path) -> None:
    limit = time.time() - UPLOAD_TTL.total_seconds()
    for f in folder.iterdir():
        try:
            if f.stat().st_mtime < limit:
                f.unlink()
        except OSError:
            pass


def store_upload(actor: User, plan: Plan, sheet: Sheet, filename: str, files: Files) -> str:
    """Keep what was read from the uploaded file on the server, under a random token, until
    it is confirmed: the confirmation imports exactly what was previewed (checked again
    against the plan as it is then), never data sent back by the browser."""
    folder = _upload_dir(files)
    _sweep_uploads(folder)
    token = secrets.token_hex(16)
    meta = json.dumps({"user_id": actor.id, "plan_id": plan.id, "filename": filename},
                      ensure_ascii=False)
    (folder / f"{token}.json").write_text(meta + "\n" + sheet_to_json(sheet), encoding="utf-8")
    return token


def load_upload(actor: User, plan: Plan, token: str, files: Files) -> tuple[Sheet, str]:
    """The stored rows of this user and plan, or NotFound (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        raise NotFound()
    try:
        text = (_upload_dir(files) / f"{token}.json").read_text(encoding="utf-8")
        head, _sep, body = text.partition("\n")
        meta = json.loads(head)
        if meta.get("user_id") != actor.id or meta.get("plan_id") != plan.id:
            raise NotFound()
        return sheet_from_json(body), meta.get("filename") or ""
    except (OSError, ValueError, KeyError, TypeError):
        raise NotFound() from None


def discard_upload(token: str, files: Files) -> None:
    """Delete an upload once imported."""
    if _TOKEN.match(token or ""):
        (_upload_dir(files) / f"{token}.json").unlink(missing_ok=True)


