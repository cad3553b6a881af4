"""An indicator set's criteria tree as an Excel file (DESIGN.md 8): exported and imported
back exactly. One sheet, a header row (Mã · Tiêu chí · Điểm tối đa · Cách chấm · Loại kế
hoạch · Yêu cầu tài liệu kiểm chứng), one row per criterion in tree order; a row's parent is
told by its code (1.2.3 is under 1.2, which is under 1).

The file is checked before openpyxl opens it, as every upload is (app/tasks/evidence.py:
content, size, zip bomb, DTD); what is read is bounded (rows, columns). A file that cannot
be read, or a row that is wrong, gives a message naming the row; nothing is imported until
every row is right, and the import replaces the draft set's tree in one transaction."""

import json
import re
import secrets
import time
import unicodedata
import warnings
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import delete, select

from app.common import audit
from app.common.errors import NotFound, RuleViolation
from app.domain.quality import Method
from app.extensions import db
from app.models import Criterion, IndicatorSet, PlanKind, User
from app.quality import commands, queries
from app.reports import xlsx
from app.settings import Files
from app.tasks import evidence as evidence_files

HEADERS = ("Mã", "Tiêu chí", "Điểm tối đa", "Cách chấm", "Loại kế hoạch",
           "Yêu cầu tài liệu kiểm chứng")
# The names a method is written with (the first is what the export writes).
METHOD_NAMES: dict[str, tuple[str, ...]] = {
    Method.MANUAL.value: ("Tự chấm", "tự chấm có tài liệu kiểm chứng", "thủ công", "manual"),
    Method.TASKS.value: ("Từ nhiệm vụ", "theo nhiệm vụ", "từ kết quả thực hiện nhiệm vụ", "tasks"),
}
PLAN_KIND_NAMES: dict[str, tuple[str, ...]] = {
    PlanKind.CCHC.value: ("Cải cách hành chính", "cchc"),
    PlanKind.WORK.value: ("Chương trình công tác", "work"),
    PlanKind.DIGITAL.value: ("Chuyển đổi số", "digital"),
    PlanKind.SOCIOECONOMIC.value: ("Phát triển kinh tế - xã hội", "socioeconomic"),
    PlanKind.OTHER.value: ("Khác", "other"),
}
YES = ("co", "x", "yes", "1", "true", "bat buoc")  # folded
NO = ("", "khong", "no", "0", "false")
# Header names understood for each column (compared folded: lower case, no accents).
COLUMNS = {
    "code": ("ma", "stt", "stt/ma", "ma so", "ma tieu chi"),
    "title": ("tieu chi", "noi dung", "ten tieu chi"),
    "max_points": ("diem toi da", "diem chuan", "thang diem"),
    "method": ("cach cham", "phuong phap cham", "cach tinh"),
    "plan_kind": ("loai ke hoach", "tham so", "ke hoach"),
    "evidence": ("yeu cau tai lieu kiem chung", "tai lieu kiem chung", "kiem chung"),
}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 500
MAX_COLUMNS = 20
HEADER_SCAN_ROWS = 15
UPLOAD_TTL_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def fold(text) -> str:
    """Lower case, no accents, single spaces (đ as d): how names are compared."""
    t = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    t = "".join(ch for ch in t if unicodedata.category(ch) != "Mn")
    return " ".join(t.lower().split())


_METHODS = {fold(n): key for key, names in METHOD_NAMES.items() for n in names}
_KINDS = {fold(n): key for key, names in PLAN_KIND_NAMES.items() for n in names}


# ---- export ----------------------------------------------------------------------------

def export_rows(set_id: int) -> list[tuple]:
    out = []
    for r in queries.tree(set_id):
        c = r.criterion
        out.append((c.code, c.title, Decimal(c.max_points),
                    METHOD_NAMES[c.method][0] if r.is_leaf and c.method in METHOD_NAMES else None,
                    PLAN_KIND_NAMES[c.plan_kind][0] if r.is_leaf and c.plan_kind else None,
                    "Có" if r.is_leaf and c.is_evidence_required else None))
    return out


def export_xlsx(s: IndicatorSet) -> bytes:
    """The set's tree, read back by `read` into the same tree (title rows above the header)."""
    return xlsx.table_workbook(
        "Bộ chỉ số", HEADERS, export_rows(s.id), widths=(10, 70, 12, 18, 26, 16),
        wrap_columns=(1,),
        title_rows=[f"{s.name}", f"Năm {s.year} · Điểm tối đa {_plain(s.max_points)}"])


def _plain(d) -> str:
    return format(Decimal(d).normalize(), "f")


# ---- reading ---------------------------------------------------------------------------

@dataclass
class Row:
    line: int
    code: str
    title: str
    max_points: str
    method: str | None
    plan_kind: str | None
    evidence: bool
    parent: str | None = None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((Decimal(r.max_points) for r in self.rows if r.parent is None), Decimal(0))


def _cells(data: bytes) -> list[tuple[int, list]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            ws = next((w for w in wb.worksheets if hasattr(w, "iter_rows")), None)
            if ws is None:
                return []
            ws.reset_dimensions()
            out = []
            for n, values in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS),
                                       start=1):
                if n > MAX_ROWS + HEADER_SCAN_ROWS:
                    out.append((n, None))  # too many rows
                    break
                out.append((n, list(values)))
            return out
        finally:
            wb.close()


def read(filename: str, data: bytes) -> Parsed:
    """The rows of an uploaded file, or the reasons it cannot be imported (in the user's
    language, each naming its row). Never raises for what the file holds."""
    parsed = Parsed()
    if len(data) > MAX_FILE_BYTES:
        parsed.errors.append(_("The file is larger than %(mb)s MB.", mb=MAX_FILE_BYTES // 1048576))
        return parsed
    try:
        evidence_files.check_upload(evidence_files.Upload(filename or "bo-chi-so.xlsx", data),
                                    MAX_FILE_BYTES)
        if not (filename or "").lower().endswith(".xlsx"):
            raise RuleViolation(_l("Only an Excel workbook (.xlsx) can be imported."))
    except RuleViolation as e:
        parsed.errors.append(str(e.message))
        return parsed
    try:
        grid = _cells(data)
    except Exception:  # noqa: BLE001 -- openpyxl has many ways of refusing a damaged file
        parsed.errors.append(_("The file is not an Excel workbook (.xlsx) that can be read."))
        return parsed
    header_at, columns = None, {}
    for n, values in grid[:HEADER_SCAN_ROWS]:
        found = {}
        for i, v in enumerate(values or []):
            key = next((k for k, names in COLUMNS.items() if fold(v) in names), None)
            if key and key not in found:
                found[key] = i
        if {"code", "title", "max_points"} <= set(found):
            header_at, columns = n, found
            break
    if header_at is None:
        parsed.errors.append(_("No header row (Mã, Tiêu chí, Điểm tối đa, Cách chấm) in the "
                               "first %(n)s rows.", n=HEADER_SCAN_ROWS))
        return parsed
    for n, values in grid:
        if n <= header_at:
            continue
        if values is None:
            parsed.errors.append(_("The file has more than %(n)s rows.", n=MAX_ROWS))
            return parsed
        _row(parsed, n, values, columns)
    _tree(parsed)
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(_("The file has no criteria under its header row."))
    return parsed


def _get(values: list, columns: dict, key: str):
    i = columns.get(key)
    return values[i] if i is not None and i < len(values) else None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _row(parsed: Parsed, n: int, values: list, columns: dict) -> None:
    code = _text(_get(values, columns, "code"))
    title = _text(_get(values, columns, "title"))
    raw_max = _get(values, columns, "max_points")
    method = _text(_get(values, columns, "method"))
    kind = _text(_get(values, columns, "plan_kind"))
    ev = _text(_get(values, columns, "evidence"))
    if not any((code, title, _text(raw_max), method, kind, ev)):
        return  # a blank row
    errors = []
    if not code:
        errors.append(_("Row %(n)s: the code is empty.", n=n))
    elif len(code) > 32:
        errors.append(_("Row %(n)s: the code has more than 32 characters.", n=n))
    if not title:
        errors.append(_("Row %(n)s: the criterion's title is empty.", n=n))
    elif len(title) > 1000:
        errors.append(_("Row %(n)s: the title has more than 1000 characters.", n=n))
    points = _decimal(raw_max)
    if points is None or points <= 0 or points > commands.MAX_POINTS \
            or points != points.quantize(Decimal("0.01")):
        errors.append(_("Row %(n)s: the maximum points «%(value)s» is not a number above 0 "
                        "with at most two decimals.", n=n, value=_text(raw_max)))
    method_key = None
    if method:
        method_key = _METHODS.get(fold(method))
        if method_key is None:
            errors.append(_("Row %(n)s: the scoring method «%(value)s» is unknown; use one of: "
                            "%(names)s.", n=n, value=method,
                            names=", ".join(v[0] for v in METHOD_NAMES.values())))
    kind_key = None
    if kind:
        kind_key = _KINDS.get(fold(kind))
        if kind_key is None:
            errors.append(_("Row %(n)s: the plan kind «%(value)s» is unknown; use one of: "
                            "%(names)s.", n=n, value=kind,
                            names=", ".join(v[0] for v in PLAN_KIND_NAMES.values())))
        elif method_key != Method.TASKS:
            errors.append(_("Row %(n)s: a plan kind applies only to a criterion scored from "
                            "tasks.", n=n))
    if fold(ev) not in YES and fold(ev) not in NO:
        errors.append(_("Row %(n)s: write «Có» or leave the evidence column empty.", n=n))
    if errors:
        parsed.errors.extend(errors)
        return
    parsed.rows.append(Row(n, code, title, str(points), method_key, kind_key, fold(ev) in YES))


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # 9,5: the Vietnamese decimal comma
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _tree(parsed: Parsed) -> None:
    """Parents from the codes (1.2 under 1), depth at most three, codes unique, every leaf
    with a method; branches carry no method."""
    seen: dict[str, Row] = {}
    for r in parsed.rows:
        if r.code in seen:
            parsed.errors.append(_("Row %(n)s: the code %(code)s is already used on row %(m)s.",
                                   n=r.line, code=r.code, m=seen[r.code].line))
            continue
        parent = r.code.rsplit(".", 1)[0] if "." in r.code else None
        if parent is not None and parent not in seen:
            parsed.errors.append(_("Row %(n)s: the criterion %(code)s has no row %(parent)s "
                                   "above it.", n=r.line, code=r.code, parent=parent))
        elif r.code.count(".") >= commands.MAX_DEPTH:
            parsed.errors.append(_("Row %(n)s: a tree has at most three levels: field, "
                                   "criterion, component.", n=r.line))
        r.parent = parent
        seen[r.code] = r
    parents = {r.parent for r in parsed.rows if r.parent}
    for r in parsed.rows:
        if r.code not in parents and r.method is None:
            parsed.errors.append(_("Row %(n)s: the criterion %(code)s has no sub-criteria: "
                                   "say how it is scored.", n=r.line, code=r.code))
        if r.code in parents and (r.method or r.plan_kind or r.evidence):
            parsed.errors.append(_("Row %(n)s: %(code)s has sub-criteria: its scoring method "
                                   "is theirs (leave its method empty).", n=r.line, code=r.code))


# ---- importing ---------------------------------------------------------------------------

def import_rows(actor: User, set_id: int, rows: list[Row]) -> int:
    """Replace a draft set's tree with the rows (each added by commands.add_criterion, so
    the same rules hold as on the page; a refusal names its row). Returns the count."""
    s = commands._draft_set(actor, set_id)
    had = db.session.scalar(select(db.func.count(Criterion.id)).where(Criterion.set_id == s.id))
    db.session.execute(delete(Criterion).where(Criterion.set_id == s.id))
    ids: dict[str, int] = {}
    for r in rows:
        try:
            c = commands.add_criterion(actor, s.id, commands.CriterionInput(
                ids.get(r.parent) if r.parent else None, r.code, r.title, Decimal(r.max_points),
                r.method or Method.MANUAL.value, r.plan_kind, r.evidence))
        except RuleViolation as e:
            raise RuleViolation(_l("Row %(n)s: %(message)s", n=r.line, message=e.message)) from None
        ids[r.code] = c.id
    db.session.flush()
    audit.record(actor.id, "quality.set_import", "indicator_set", s.id,
                 {"criteria": [had, len(rows)]})
    return len(rows)


# ---- the upload kept until confirmed -----------------------------------------------------

def _folder(files: Files) -> Path:
    path = files.upload_folder / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(actor: User, set_id: int, parsed: Parsed, filename: str, files: Files) -> str:
    """Keep the rows read (not the file) under a random token until confirmed: the import
    is exactly what was previewed, never data sent back by the browser."""
    folder = _folder(files)
    limit = time.time() - UPLOAD_TTL_SECONDS
    for f in folder.glob("set-*.json"):
        try:
            if f.stat().st_mtime < limit:
                f.unlink()
        except OSError:
            pass
    token = secrets.token_hex(16)
    (folder / f"set-{token}.json").write_text(json.dumps(
        {"user_id": actor.id, "set_id": set_id, "filename": filename,
         "rows": [asdict(r) for r in parsed.rows]}, ensure_ascii=False), encoding="utf-8")
    return token


def load(actor: User, set_id: int, token: str, files: Files) -> list[Row]:
    """The stored rows of this user and set, or NotFound (expired, someone else's, forged)."""
    if not _TOKEN.match(token or ""):
        raise NotFound()
    try:
        raw = json.loads((_folder(files) / f"set-{token}.json").read_text(encoding="utf-8"))
        if raw.get("user_id") != actor.id or raw.get("set_id") != set_id:
            raise NotFound()
        return [Row(**r) for r in raw["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise NotFound() from None


def discard(token: str, files: Files) -> None:
    if _TOKEN.match(token or ""):
        (_folder(files) / f"set-{token}.json").unlink(missing_ok=True)
