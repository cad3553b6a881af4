"""Evidence files: checked by content, stored outside static under random names."""

import io
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.common import access, audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.domain import task_rules as rules
from app.extensions import db
from app.models import Evidence, Plan, Task, User
from app.models.base import utcnow
from app.settings import Files
from app.tasks.messages import message

# extension -> (content type, check of the first bytes / the file)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Zip containers (OOXML, OpenDocument) are judged by their central directory; no member
# is ever unpacked whole. Still refused: more entries than a real document has (parsing
# the directory of a 13 MB file with 150,000 empty entries took 4 s here), a declared
# unpacked size typical of a zip bomb, ZIP64, and an XML part with a DTD (entity bombs:
# Office documents never carry one).
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_DIRECTORY = 1024 * 1024
MAX_ZIP_UNPACKED = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 100
XML_HEAD_BYTES = 1024


@dataclass
class Upload:
    filename: str
    data: bytes


def sanitize_name(name: str) -> str:
    """Keep a readable name (Vietnamese included) without paths or control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    name = name.strip().lstrip(".")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140] + dot + ext) if dot else name[:150]
    return name or "file"


def _content_matches(ext: str, data: bytes) -> bool:
    if ext == "pdf":
        return data.startswith(b"%PDF-")
    if ext in ("doc", "xls", "ppt"):
        return data.startswith(OLE)
    if ext == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if ext in OOXML_PART or ext in ("odt", "ods"):
        if not data.startswith(b"PK\x03\x04"):
            return False
        declared = zip_directory(data)
        if declared is None or declared[0] > MAX_ZIP_ENTRIES or declared[1] > MAX_ZIP_DIRECTORY:
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                infos = z.infolist()
                if len(infos) > MAX_ZIP_ENTRIES:
                    return False
                names = [i.filename for i in infos]
                unpacked = sum(i.file_size for i in infos)
                if unpacked > MAX_ZIP_UNPACKED or (
                        unpacked > 100 * 1024 * 1024 and unpacked > MAX_ZIP_RATIO * len(data)):
                    return False
                if any(_has_dtd(z, i) for i in infos if i.filename.endswith((".xml", ".rels"))):
                    return False
        except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, OSError):
            return False
        if ext in OOXML_PART:
            return "[Content_Types].xml" in names and any(n.startswith(OOXML_PART[ext]) for n in names)
        return "mimetype" in names
    return False


def zip_directory(data: bytes) -> tuple[int, int] | None:
    """(entries, directory bytes) from the End Of Central Directory record, read before
    the directory itself; None when there is no such record or it defers to ZIP64."""
    tail = data[-(22 + 65535):]
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return None
    total = int.from_bytes(tail[pos + 10:pos + 12], "little")
    size = int.from_bytes(tail[pos + 12:pos + 16], "little")
    if total == 0xFFFF or size == 0xFFFFFFFF:
        return None
    return total, size


def _has_dtd(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part declares a DTD; only its first kilobyte is unpacked."""
    with z.open(info) as fh:
        head = fh.read(XML_HEAD_BYTES)
    return b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper()


def check_upload(up: Upload, limit: int) -> tuple[str, str]:
    """(clean name, content type), or RuleViolation with a message for the user; `limit`
    is the largest size accepted, in bytes (the settings' MAX_EVIDENCE_BYTES)."""
    name = sanitize_name(up.filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise RuleViolation(_l("%(name)s: only PDF, Word, Excel, PowerPoint, OpenDocument, PNG "
                               "and JPEG files are accepted.", name=name), "files")
    if len(up.data) > limit:
        raise RuleViolation(_l("%(name)s is larger than %(mb)s MB.", name=name,
                               mb=limit // (1024 * 1024)), "files")
    if not up.data:
        raise RuleViolation(_l("%(name)s is empty.", name=name), "files")
    if not _content_matches(ext, up.data):
        raise RuleViolation(_l("%(name)s is not really a .%(ext)s file.", name=name, ext=ext),
                            "files")
    return name, ALLOWED[ext]


def upload_dir(files: Files) -> Path:
    """The folder evidence files are stored in (the settings' UPLOAD_FOLDER), made if needed."""
    path = files.upload_folder
    path.mkdir(parents=True, exist_ok=True)
    return path


MIB = 1024 * 1024


def _mb(n: int) -> str:
    """Bytes as megabytes with one decimal, in the user's number format."""
    return format_decimal(round(n / MIB, 1), format="#,##0.#")


def check_count(uploads: list[Upload], files: Files) -> None:
    """At most `files.max_files_per_request` files in one post (a message beside the field)."""
    most = files.max_files_per_request
    if len(uploads) > most:
        raise RuleViolation(_l("At most %(n)s files can be attached at a time; %(sent)s were "
                               "sent. Attach the most important ones, or send them in several "
                               "reports.", n=most, sent=len(uploads)), "files")


def write_checked(uploads: list[Upload], files: Files, make_row) -> list:
    """Check every file (content, size, zip bomb, DTD: `check_upload`), then write each
    into `files`' folder under a random name and add the row `make_row(name, stored,
    content_type, size)` returns; nothing stays written if one file is refused or the
    flush fails. The one store loop of task evidence and quality evidence."""
    checked = [(up, *check_upload(up, files.max_evidence_bytes)) for up in uploads]
    folder = upload_dir(files)
    rows, written = [], []
    try:
        for up, name, ctype in checked:
            stored = secrets.token_hex(16)
            target = folder / stored
            with open(target, "xb") as fh:
                fh.write(up.data)
            written.append(target)
            row = make_row(name, stored, ctype, len(up.data))
            db.session.add(row)
            rows.append(row)
        db.session.flush()
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return rows


def check_quotas(actor: User, task: Task, uploads: list[Upload], files: Files) -> None:
    """The evidence caps (`files`, the settings): files in one post, bytes on one task,
    bytes one person uploads in any 24 hours. Refused with a message beside the file field;
    two aggregate queries, whatever the number of files."""
    if not uploads:
        return
    check_count(uploads, files)
    adding = sum(len(up.data) for up in uploads)
    per_task = files.max_bytes_per_task
    on_task = db.session.scalar(select(func.coalesce(func.sum(Evidence.size_bytes), 0))
                                .where(Evidence.task_id == task.id)) or 0
    if on_task + adding > per_task:
        raise RuleViolation(_l("This task already holds %(used)s MB of evidence; these files "
                               "(%(adding)s MB) would take it past the limit of %(mb)s MB per "
                               "task.", used=_mb(on_task), adding=_mb(adding),
                               mb=_mb(per_task)), "files")
    per_day = files.max_bytes_per_day
    since = utcnow() - timedelta(days=1)
    today = db.session.scalar(select(func.coalesce(func.sum(Evidence.size_bytes), 0))
                              .where(Evidence.uploaded_by_id == actor.id,
                                     Evidence.uploaded_at >= since)) or 0
    if today + adding > per_day:
        raise RuleViolation(_l("You have uploaded %(used)s MB of evidence in the last 24 hours; "
                               "these files (%(adding)s MB) would take you past the limit of "
                               "%(mb)s MB a day. Try again later.", used=_mb(today),
                               adding=_mb(adding), mb=_mb(per_day)), "files")


def store(actor: User, task: Task, uploads: list[Upload], progress_update_id: int | None,
          files: Files) -> list[Evidence]:
    """Check every file first (the quotas, then each file), then write them into `files`'
    folder; nothing is written if one is refused."""
    plan_status = db.session.scalar(select(Plan.status).where(Plan.id == task.plan_id)) if uploads else None
    for v in rules.check_plan_open(str(plan_status)):  # a closed plan is read-only
        raise RuleViolation(message(v), "files")
    check_quotas(actor, task, uploads, files)
    rows = write_checked(uploads, files, lambda name, stored, ctype, size: Evidence(
        task_id=task.id, progress_update_id=progress_update_id, original_name=name,
        stored_name=stored, content_type=ctype, size_bytes=size, uploaded_by_id=actor.id))
    for ev in rows:
        audit.record(actor.id, "evidence.add", "evidence", ev.id,
                     {"file": [None, ev.original_name]}, task_id=task.id)
    return rows


@dataclass
class Listed:
    """One evidence file as the task page lists it."""

    id: int
    name: str
    size_bytes: int
    uploaded_at: object
    uploaded_by: str
    progress_update_id: int | None


def list_for_task(task_id: int) -> list[Listed]:
    """Every evidence file of a task, oldest first, with who uploaded it (one query)."""
    rows = db.session.execute(
        select(Evidence.id, Evidence.original_name, Evidence.size_bytes, Evidence.uploaded_at,
               User.full_name, Evidence.progress_update_id)
        .join(User, Evidence.uploaded_by_id == User.id)
        .where(Evidence.task_id == task_id).order_by(Evidence.id)).all()
    return [Listed(*r) for r in rows]


def has_evidence(task_id: int) -> bool:
    """Whether any evidence file is attached to the task."""
    return db.session.scalar(select(Evidence.id).where(Evidence.task_id == task_id).limit(1)) is not None


def get_for_download(actor: User, task: Task, evidence_id: int,
                     files: Files) -> tuple[Evidence, Path]:
    """An evidence file of a task the actor may read (the caller loaded the task in scope)."""
    ev = db.session.get(Evidence, evidence_id)
    if ev is None or ev.task_id != task.id:
        raise NotFound()
    folder = upload_dir(files)
    path = (folder / ev.stored_name).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFound()
    return ev, path


def remove_files(rows: list[Evidence], files: Files) -> None:
    """Delete the stored files of these evidence rows (those already gone are skipped)."""
    for ev in rows:
        try:
            os.unlink(upload_dir(files) / ev.stored_name)
        except FileNotFoundError:
            pass


__all__ = ["Listed", "PermissionDenied", "Upload", "access", "check_quotas", "check_upload",
           "get_for_download", "has_evidence", "list_for_task", "sanitize_name", "store"]
