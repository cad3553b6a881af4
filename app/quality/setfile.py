"""An indicator set's criteria tree as an Excel file (DESIGN.md 8): exported and imported
back exactly. One sheet, a header row (Mã · Tiêu chí · Điểm tối đa · Cách chấm · Loại kế
hoạch · Yêu cầu tài liệu kiểm chứng, then the methods' parameters: Lĩnh vực · Chỉ nhiệm vụ
trọng tâm · Căn cứ tính mức · Các mức · Sự kiện trừ điểm · Điểm trừ mỗi lần · Điểm sàn · Cho
phép không áp dụng), one row per criterion in tree order; a row's parent is told by its code
(1.2.3 is under 1.2, which is under 1). A row's parameters are checked by the same
`commands.method_params` as the form, so a wrong one is named with its row in the preview.

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
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import delete, select

from app.common import audit
from app.common.errors import NotFound, RuleViolation
from app.domain.quality import Basis, Event, Method, parse_steps
from app.extensions import db
from app.models import Criterion, Field, IndicatorSet, PlanKind, User
from app.quality import commands, queries
from app.reports import xlsx
from app.settings import Files
from app.tasks import evidence as evidence_files

HEADERS = ("Mã", "Tiêu chí", "Điểm tối đa", "Cách chấm", "Loại kế hoạch",
           "Yêu cầu tài liệu kiểm chứng", "Lĩnh vực", "Chỉ nhiệm vụ trọng tâm", "Căn cứ tính mức",
           "Các mức", "Sự kiện trừ điểm", "Điểm trừ mỗi lần", "Điểm sàn",
           "Cho phép không áp dụng")
# The names a method is written with (the first is what the export writes).
METHOD_NAMES: dict[str, tuple[str, ...]] = {
    Method.MANUAL.value: ("Tự chấm", "tự chấm có tài liệu kiểm chứng", "thủ công", "manual"),
    Method.TASKS.value: ("Từ nhiệm vụ", "theo nhiệm vụ", "từ kết quả thực hiện nhiệm vụ", "tasks"),
    Method.TARGETS.value: ("Từ chỉ tiêu", "theo chỉ tiêu", "tỷ lệ đạt chỉ tiêu", "targets"),
    Method.STEPPED.value: ("Theo mức", "thang điểm theo mức", "theo bậc", "stepped"),
    Method.DEDUCTION.value: ("Trừ điểm", "trừ điểm theo số lần", "deduction"),
    Method.BONUS.value: ("Điểm thưởng", "cộng điểm", "thưởng", "bonus"),
}
BASIS_NAMES: dict[str, tuple[str, ...]] = {
    Basis.TASKS.value: ("Chỉ số trách nhiệm", "nhiệm vụ", "tasks"),
    Basis.TARGETS.value: ("Tỷ lệ đạt chỉ tiêu", "chỉ tiêu", "targets"),
}
EVENT_NAMES: dict[str, tuple[str, ...]] = {
    Event.OVERDUE.value: ("Nhiệm vụ quá hạn", "quá hạn", "overdue"),
    Event.LATE.value: ("Nhiệm vụ hoàn thành trễ hạn", "trễ hạn", "late"),
    Event.ENTERED.value: ("Đơn vị kê khai", "tự kê khai", "entered"),
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
    "field": ("linh vuc",),
    "key_only": ("chi nhiem vu trong tam", "nhiem vu trong tam", "trong tam"),
    "basis": ("can cu tinh muc", "can cu"),
    "steps": ("cac muc", "muc diem", "thang muc"),
    "event_kind": ("su kien tru diem", "su kien", "dem"),
    "per_event": ("diem tru moi lan", "tru moi lan"),
    "min_points": ("diem san",),
    "na_allowed": ("cho phep khong ap dung", "khong ap dung"),
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
_BASES = {fold(n): key for key, names in BASIS_NAMES.items() for n in names}
_EVENTS = {fold(n): key for key, names in EVENT_NAMES.items() for n in names}


# ---- export ----------------------------------------------------------------------------

def export_rows(set_id: int) -> list[tuple]:
    fields = dict(db.session.execute(select(Field.id, Field.name)).all())
    out = []
    for r in queries.tree(set_id):
        c, leaf = r.criterion, r.is_leaf

        def num(d, leaf=leaf):
            return Decimal(d) if leaf and d is not None else None

        out.append((c.code, c.title, Decimal(c.max_points),
                    METHOD_NAMES[c.method][0] if leaf and c.method in METHOD_NAMES else None,
                    PLAN_KIND_NAMES[c.plan_kind][0] if leaf and c.plan_kind else None,
                    "Có" if leaf and c.is_evidence_required else None,
                    fields.get(c.field_id) if leaf and c.field_id else None,
                    "Có" if leaf and c.is_key_only else None,
                    BASIS_NAMES[c.basis][0] if leaf and c.basis in BASIS_NAMES else None,
                    _steps_text(c.steps) if leaf and c.steps else None,
                    EVENT_NAMES[c.event_kind][0] if leaf and c.event_kind in EVENT_NAMES else None,
                    num(c.per_event), num(c.min_points),
                    "Có" if leaf and c.is_na_allowed else None))
    return out


def _steps_text(stored: str) -> str:
    """The stored steps ("90:10;70:5;0:0") as a person writes them: "90: 10; 70: 5; 0: 0"."""
    return "; ".join(f"{_plain(f)}: {_plain(p)}" for f, p in parse_steps(stored))


def export_xlsx(s: IndicatorSet) -> bytes:
    """The set's tree, read back by `read` into the same tree (title rows above the header)."""
    return xlsx.table_workbook(
        "Bộ chỉ số", HEADERS, export_rows(s.id),
        widths=(10, 70, 12, 18, 26, 16, 24, 12, 20, 24, 26, 12, 10, 12),
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
    # The method's parameters (commands.CriterionInput), checked by commands.method_params.
    field_id: int | None = None
    is_key_only: bool = False
    basis: str | None = None
    steps: str | None = None
    event_kind: str | None = None
    per_event: str | None = None
    min_points: str | None = None
    is_na_allowed: bool = False

    def shown(self) -> SimpleNamespace:
        """The row as quality/_method.html reads a criterion (the preview's method column)."""
        return SimpleNamespace(
            method=self.method, plan_kind=self.plan_kind, is_evidence_required=self.evidence,
            max_points=Decimal(self.max_points), field_id=self.field_id,
            is_key_only=self.is_key_only, basis=self.basis, steps=self.steps,
            event_kind=self.event_kind, is_na_allowed=self.is_na_allowed,
            per_event=None if self.per_event is None else Decimal(self.per_event),
            min_points=None if self.min_points is None else Decimal(self.min_points))

    def criterion_input(self, parent_id: int | None) -> "commands.CriterionInput":
        return commands.CriterionInput(
            parent_id, self.code, self.title, Decimal(self.max_points),
            self.method or Method.MANUAL.value, self.plan_kind, self.evidence,
            field_id=self.field_id, is_key_only=self.is_key_only, basis=self.basis,
            steps=self.steps, event_kind=self.event_kind,
            per_event=None if self.per_event is None else Decimal(self.per_event),
            min_points=None if self.min_points is None else Decimal(self.min_points),
            is_na_allowed=self.is_na_allowed)


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
    fields = _fields() if "field" in columns else {}
    for n, values in grid:
        if n <= header_at:
            continue
        if values is None:
            parsed.errors.append(_("The file has more than %(n)s rows.", n=MAX_ROWS))
            return parsed
        _row(parsed, n, values, columns, fields)
    _tree(parsed)
    _params(parsed)
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


def _fields() -> dict[str, int]:
    """The fields by folded name (a province-wide one before a unit's, then the oldest)."""
    out: dict[str, int] = {}
    for fid, name, _unit in db.session.execute(
            select(Field.id, Field.name, Field.unit_id)
            .order_by(Field.unit_id.is_not(None), Field.id)):
        out.setdefault(fold(name), fid)
    return out


def _row(parsed: Parsed, n: int, values: list, columns: dict, fields: dict[str, int]) -> None:
    code = _text(_get(values, columns, "code"))
    title = _text(_get(values, columns, "title"))
    raw_max = _get(values, columns, "max_points")
    method = _text(_get(values, columns, "method"))
    kind = _text(_get(values, columns, "plan_kind"))
    ev = _text(_get(values, columns, "evidence"))
    extra = {k: _text(_get(values, columns, k)) for k in PARAM_COLUMNS}
    if not any((code, title, _text(raw_max), method, kind, ev, *extra.values())):
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
    if fold(ev) not in YES and fold(ev) not in NO:
        errors.append(_("Row %(n)s: write «Có» or leave the evidence column empty.", n=n))
    params = _row_params(n, extra, _raw(values, columns), fields, errors)
    if errors:
        parsed.errors.extend(errors)
        return
    parsed.rows.append(Row(n, code, title, str(points), method_key, kind_key, fold(ev) in YES,
                           **params))


# The parameter columns (after the first six) and the headers they are named by in messages.
PARAM_COLUMNS = {"field": 6, "key_only": 7, "basis": 8, "steps": 9, "event_kind": 10,
                 "per_event": 11, "min_points": 12, "na_allowed": 13}


def _raw(values: list, columns: dict) -> dict:
    return {k: _get(values, columns, k) for k in ("per_event", "min_points")}


def _row_params(n: int, text: dict, raw: dict, fields: dict[str, int], errors: list) -> dict:
    """A row's parameter cells as `Row` fields; a word or number that cannot be read is
    named (what the values mean for the method is method_params' to say, in `_params`)."""
    def header(key):
        return HEADERS[PARAM_COLUMNS[key]]

    def word(key, table, names):
        if not text[key]:
            return None
        found = table.get(fold(text[key]))
        if found is None:
            errors.append(_("Row %(n)s: «%(value)s» in the column %(column)s is unknown; use "
                            "one of: %(names)s.", n=n, value=text[key], column=header(key),
                            names=", ".join(v[0] for v in names.values())))
        return found

    def yes(key):
        if fold(text[key]) not in YES and fold(text[key]) not in NO:
            errors.append(_("Row %(n)s: write «Có» or leave the column %(column)s empty.",
                            n=n, column=header(key)))
        return fold(text[key]) in YES

    def number(key):
        if not text[key]:
            return None
        d = _decimal(raw[key])
        if d is None or not d.is_finite():
            errors.append(_("Row %(n)s: «%(value)s» in the column %(column)s is not a number.",
                            n=n, value=text[key], column=header(key)))
            return None
        return str(d)

    field_id = None
    if text["field"]:
        field_id = fields.get(fold(text["field"]))
        if field_id is None:
            errors.append(_("Row %(n)s: there is no field «%(value)s».", n=n,
                            value=text["field"]))
    return {"field_id": field_id, "is_key_only": yes("key_only"),
            "basis": word("basis", _BASES, BASIS_NAMES), "steps": text["steps"] or None,
            "event_kind": word("event_kind", _EVENTS, EVENT_NAMES),
            "per_event": number("per_event"), "min_points": number("min_points"),
            "is_na_allowed": yes("na_allowed")}


def _params(parsed: Parsed) -> None:
    """Each leaf's parameters checked by the form's own rules (commands.method_params), the
    message naming the row; a parameter of another method is refused, not dropped, so that
    what the file says is what is imported."""
    for r in parsed.rows:
        if r.method is None:
            continue
        stray = []
        if r.method != Method.STEPPED and (r.basis or r.steps):
            stray += [HEADERS[PARAM_COLUMNS[k]] for k in ("basis", "steps") if getattr(r, k)]
        if r.method != Method.DEDUCTION:
            stray += [HEADERS[PARAM_COLUMNS[k]] for k in ("event_kind", "per_event", "min_points")
                      if getattr(r, k) is not None]
        if stray:
            parsed.errors.append(_("Row %(n)s: the column %(column)s does not apply to the "
                                   "method %(method)s.", n=r.line, column=", ".join(stray),
                                   method=METHOD_NAMES[r.method][0]))
            continue
        try:
            # The bonus rule only asks whether the row has a parent: its code says so.
            out = commands.method_params(r.criterion_input(None),
                                         _HAS_PARENT if r.parent else None)
        except RuleViolation as e:
            parsed.errors.append(str(_l("Row %(n)s: %(message)s", n=r.line, message=e.message)))
            continue
        r.steps = out["steps"]


_HAS_PARENT = object()


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
        if r.code in parents and (r.method or r.plan_kind or r.evidence or r.field_id
                                  or r.is_key_only or r.basis or r.steps or r.event_kind
                                  or r.per_event or r.min_points or r.is_na_allowed):
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
            c = commands.add_criterion(actor, s.id, r.criterion_input(
                ids.get(r.parent) if r.parent else None))
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
