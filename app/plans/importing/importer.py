"""Import an annual plan from Excel: read the file safely, check every row, preview what
will happen (six-clears badges, errors by row and column, added / changed / unchanged),
then apply it all-or-nothing with a few set-based statements."""

import json
import logging
import re
import secrets
import time
import unicodedata
import warnings
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from app.common import access, audit
from app.common.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.domain import task_rules as rules
from app.domain.six_clears import SixClears, Step, TaskFacts, check_six_clears
from app.domain.status import Lifecycle
from app.domain.text import fold, normalize_space, sort_key
from app.extensions import db
from app.formfields import parse_date, parse_decimal
from app.models import (
    AuditLog,
    Field,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
    ProcessStep,
    ProgressUpdate,
    Task,
    Unit,
    User,
    task_coordinators,
)
from app.models.base import utcnow
from app.models.task import title_sort_key
from app.models.user import LEADER_ROLES
from app.reports.xlsx import FORMULA_STARTS
from app.settings import Files
from app.tasks import breakdown
from app.tasks import commands as task_service
from app.tasks.commands import _order_key
from app.tasks.evidence import MAX_ZIP_DIRECTORY, zip_directory
from app.tasks.messages import message as rule_message

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
# A zip bomb expands a small upload into gigabytes: refuse before openpyxl inflates it.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 20
# Stored uploads waiting for confirmation are dropped after this long.
UPLOAD_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    optional: bool = False
    aliases: tuple[str, ...] = ()


# The template's columns, in order (issue 5). The last three carry progress already made.
COLUMNS = (
    Column("stt", "STT", aliases=("tt", "sott", "sothutu")),
    Column("title", "Nhiệm vụ", aliases=("tennhiemvu", "noidungnhiemvu")),
    Column("description", "Mô tả", aliases=("motanhiemvu",)),
    Column("lead_unit", "Đơn vị chủ trì"),
    Column("coordinators", "Đơn vị phối hợp"),
    Column("assignee", "Người thực hiện"),
    Column("leader", "Lãnh đạo phụ trách"),
    Column("responsibility", "Trách nhiệm"),
    Column("steps", "Quy trình"),
    Column("start_on", "Ngày bắt đầu"),
    Column("due_on", "Hạn hoàn thành"),
    Column("output_product", "Sản phẩm đầu ra"),
    Column("indicator_name", "Chỉ tiêu"),
    Column("indicator_unit", "Đơn vị tính"),
    Column("indicator_target", "Giá trị mục tiêu"),
    Column("field", "Lĩnh vực"),
    Column("weight", "Trọng số"),
    Column("progress", "Tiến độ (%)", optional=True),
    Column("completed_on", "Ngày hoàn thành", optional=True),
    Column("indicator_actual", "Giá trị thực hiện", optional=True),
)
HEADERS = tuple(c.header for c in COLUMNS)
LABEL = {c.key: c.header for c in COLUMNS}
PROGRESS_KEYS = ("progress", "completed_on", "indicator_actual")
# The rule set's fields (those of the task form) as the template's columns.
RULE_COLUMNS = {"title": "title", "description": "description", "assignee_id": "assignee",
                "lead_unit_id": "lead_unit", "coordinator_ids": "coordinators",
                "leader_id": "leader", "responsibility": "responsibility", "steps": "steps",
                "start_on": "start_on", "due_on": "due_on", "output_product": "output_product",
                "indicator_name": "indicator_name", "indicator_unit": "indicator_unit",
                "indicator_target": "indicator_target", "field_id": "field", "weight": "weight"}
# Columns whose blank cell keeps a stored task's value (the progress columns always did).
KEEPABLE = frozenset(c.key for c in COLUMNS) - {"stt", *PROGRESS_KEYS}

TEXT_LIMITS = {"title": 500, "description": 10000, "responsibility": 5000,
               "output_product": 5000, "indicator_name": 255, "indicator_unit": 64, "field": 255}

_STT = re.compile(r"^\d+(\.\d+)*$")
_ROMAN = re.compile(r"^[IVXLCDM]+$")
_ROMAN_TITLE = re.compile(r"^([IVXLCDM]+)\s*[.):\-–]\s*(\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-+•*–]|\d+[.)])\s+")
_STEP_DATE = re.compile(r"^(.*?)\s*[(\[]\s*(?:hạn|han|hạn:|han:|deadline:?)?\s*"
                        r"([0-9][0-9/.\-]{5,})\s*[)\]]\s*$", re.IGNORECASE)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
# Decimal places of the columns the values land in (Numeric(8, 2), Numeric(18, 4)).
WEIGHT_PLACES = Decimal("0.01")
VALUE_PLACES = Decimal("0.0001")
WEIGHT_MAX = Decimal("999999.99")
VALUE_MAX = Decimal("1e14")


def _key(text) -> str:
    """A header as compared: folded, letters and digits only ("Tiến độ (%)" -> "tiendo")."""
    return re.sub(r"[^a-z0-9]", "", fold(str(text or "")))


_BY_KEY = {}
for _c in COLUMNS:
    for _k in (_key(_c.header), *_c.aliases):
        _BY_KEY.setdefault(_k, _c.key)


# ------------------------------------------------------------------ issues

@dataclass(frozen=True)
class Issue:
    """One error that stops the import, located by sheet row and column when it has one."""

    message: str
    row: int | None = None
    column: str | None = None

    @property
    def text(self) -> str:
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s", row=self.row,
                     column=self.column, message=self.message)
        if self.row is not None:
            return _("Row %(row)s: %(message)s", row=self.row, message=self.message)
        return self.message

    def __str__(self) -> str:
        return self.text


class ImportRefused(Exception):
    """The file cannot be imported; `preview` holds the errors (and all that was read)."""

    def __init__(self, preview: "Preview"):
        super().__init__("; ".join(i.text for i in preview.errors[:5]))
        self.preview = preview


# ------------------------------------------------------------------ reading the file

@dataclass
class Sheet:
    """The data rows of the sheet holding the header, as {column key: raw value}."""

    name: str = ""
    header_row: int = 0
    present: set = field(default_factory=set)
    rows: list[tuple[int, dict]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _encode(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        return date.fromisoformat(value["d"])
    return value


def sheet_to_json(sheet: Sheet) -> str:
    """The rows read from a file, kept between the preview and the confirmation so that the
    workbook is parsed once (cell types kept: dates stay dates, numbers numbers)."""
    return json.dumps({"name": sheet.name, "header_row": sheet.header_row,
                       "present": sorted(sheet.present),
                       "rows": [[n, {k: _encode(v) for k, v in cells.items()}] for n, cells in sheet.rows]},
                      ensure_ascii=False)


def sheet_from_json(text: str) -> Sheet:
    raw = json.loads(text)
    return Sheet(name=raw["name"], header_row=raw["header_row"], present=set(raw["present"]),
                 rows=[(n, {k: _decode(v) for k, v in cells.items()}) for n, cells in raw["rows"]])


def _mb(n: int) -> int:
    return n // (1024 * 1024)


def _check_zip(data: bytes) -> Issue | None:
    """Refuse what is not a zip, and a zip that would expand beyond the limit (zip bomb).
    zipfile never inflates a member past its declared size, so the declared sizes bound it.
    The entry count is read from the end record first: parsing the central directory of
    120,000 empty entries took 3 s."""
    declared = zip_directory(data)
    if declared is None:
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    if declared[0] > MAX_ZIP_MEMBERS or declared[1] > MAX_ZIP_DIRECTORY:
        return Issue(_("The file expands to more than %(mb)s MB when opened: it cannot be read.",
                       mb=_mb(MAX_UNZIPPED_BYTES)))
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        return Issue(_("The file expands to more than %(mb)s MB when opened: it cannot be read.",
                       mb=_mb(MAX_UNZIPPED_BYTES)))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    return None


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _merges(data: bytes, path: str | None) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet as (min_col, min_row, max_col, max_row): read-only mode
    does not parse them, so they are read from the sheet's XML."""
    if not path:
        return []
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            xml = z.read(path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return []
    out = []
    for m in _MERGE.finditer(xml):
        c1, r1, c2, r2 = m.groups()
        out.append((_col_index(c1.decode()), int(r1), _col_index(c2.decode()), int(r2)))
    return out


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_map(values) -> dict[int, str]:
    """{0-based column index: column key} when `values` is the header row, else {}."""
    found: dict[int, str] = {}
    for i, v in enumerate(values):
        if isinstance(v, str):
            k = _BY_KEY.get(_key(v))
            if k and k not in found.values():
                found[i] = k
    keys = set(found.values())
    return found if {"stt", "title"} <= keys else {}


def read_sheet(data: bytes) -> Sheet:
    """The header and data rows of the first sheet with a header row among its first 20
    rows. Formulas come as their cached values (data_only): nothing is ever evaluated."""
    sheet = Sheet()
    if len(data) > MAX_FILE_BYTES:
        sheet.issues.append(Issue(_("The file is larger than %(mb)s MB.", mb=_mb(MAX_FILE_BYTES))))
        return sheet
    bad = _check_zip(data)
    if bad:
        sheet.issues.append(bad)
        return sheet
    # openpyxl warns about parts it does not keep (conditional formatting, extensions):
    # they carry no values, so they are not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any failure to open is the same answer to the user
            sheet.issues.append(Issue(_("The file is not an Excel workbook (.xlsx) that can be read.")))
            return sheet
        try:
            return _read(wb, data, sheet)
        except Exception:
            log.warning("unreadable plan workbook", exc_info=True)
            return Sheet(issues=[Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))])
        finally:
            wb.close()


def _read(wb, data: bytes, sheet: Sheet) -> Sheet:
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):
            continue  # a chart sheet
        ws.reset_dimensions()  # some writers record a wrong size; read what is there
        rows = ws.iter_rows(values_only=True)
        header: dict[int, str] = {}
        line = 0
        for line, values in enumerate(rows, start=1):
            header = _header_map(values)
            if header or line >= HEADER_SCAN_ROWS:
                break
        if not header:
            continue
        sheet.name, sheet.header_row = ws.title, line
        sheet.present = set(header.values())
        missing = [c.header for c in COLUMNS if not c.optional and c.key not in sheet.present]
        if missing:
            sheet.issues.append(Issue(_("Columns missing from the header row (row %(row)s): %(columns)s.",
                                        row=line, columns=", ".join(missing))))
            return sheet
        grid: dict[int, dict[int, object]] = {}
        stt_col = next(i for i, k in header.items() if k == "stt")
        count = 0
        for n, values in enumerate(rows, start=line + 1):
            cells = {i: values[i] for i in header if i < len(values) and not _blank(values[i])}
            # A number with nothing else is a row prepared in advance and left empty.
            if not cells or (set(cells) == {stt_col} and _STT.match(_stt(cells[stt_col]))):
                continue
            count += 1
            if count > MAX_ROWS:
                sheet.issues.append(Issue(_("The file has more than %(n)s rows.",
                                            n=format_decimal(MAX_ROWS))))
                return sheet
            grid[n] = cells
        _fill_merged(grid, header, _merges(data, getattr(ws, "_worksheet_path", None)), line)
        sheet.rows = [(n, {header[i]: v for i, v in cells.items()}) for n, cells in sorted(grid.items())]
        if not sheet.rows:
            sheet.issues.append(Issue(_("The file has no task rows below the header.")))
        return sheet
    sheet.issues.append(Issue(_("No header row (STT, Nhiệm vụ, …) in the first %(n)s rows of any sheet.",
                                n=HEADER_SCAN_ROWS)))
    return sheet


def _fill_merged(grid: dict, header: dict, merges: list, header_row: int) -> None:
    """A cell merged down over several task rows (a lead unit for a group) belongs to each
    of them; the STT never does (each row keeps its own number)."""
    for c1, r1, _c2, r2 in merges:
        i = c1 - 1
        if r2 <= r1 or r1 <= header_row or i not in header or header[i] == "stt":
            continue
        top = grid.get(r1, {}).get(i)
        if top is None:
            continue
        for r in range(r1 + 1, r2 + 1):
            if r in grid:
                grid[r].setdefault(i, top)


# ------------------------------------------------------------------ cell values

def _text(value) -> str:
    """A cell as text: NFC, Windows line ends unified, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        value = format(value, ".15g")
    elif isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, str) and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
        # Exports made before the quote-prefix style wrote text that looks like a formula
        # as '=... (today they write it as typed); read those files back as typed too.
        value = value[1:]
    text = str(value)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\n" not in text and "\r" not in text:
        return text.strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _shown(value) -> str:
    """A raw value as quoted in a message."""
    return _text(value)[:60]


def _date(value) -> date:
    """A real Excel date, a date serial, or text dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Serials of 1950-2200 only: a bare 2026 is a mistake, not 18/07/1905.
        if 18264 <= value <= 110000:
            return from_excel(value).date()
        raise ValueError(value)
    d = parse_date(_text(value))
    if d is None:
        raise ValueError(value)
    return d


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)  # noqa: TRY004 - TRUE in a number column: "not a number"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(format(value, ".15g"))
    if isinstance(value, Decimal):
        return value
    text = _text(value).rstrip("%").strip()
    try:
        d = parse_decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if d is None:
        raise ValueError(value)
    return d


def _roman_value(s: str) -> int:
    vals = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        v = vals[a]
        total += -v if vals.get(b, 0) > v else v
    return total


def _stt(value) -> str:
    """"2.1" from 2.1 (a number), " 2.1. " or "02.1"; "I" for a section; "" when blank."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value).replace(" ", "").rstrip(".")
    if _STT.match(text):
        return ".".join(str(int(p)) for p in text.split("."))
    return text


def _split(text: str) -> list[str]:
    """Several values in a cell: one per line, or separated by ";"."""
    parts = text.split("\n") if "\n" in text else text.split(";")
    return [normalize_space(p) for p in parts if normalize_space(p)]


# ------------------------------------------------------------------ who and what

@dataclass(frozen=True)
class Person:
    id: int
    username: str
    email: str
    full_name: str
    name_folded: str
    unit_id: int
    unit_path: str
    role: str


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    path: str


class Directory:
    """Units, people and fields as the importer resolves them, loaded in a few queries."""

    def __init__(self, plan_unit: Unit, sheet_rows: list[tuple[int, dict]]):
        rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.path)
                                  .where(Unit.is_active)).all()
        self.units = {r.id: UnitRef(r.id, r.code, r.name, r.path) for r in rows}
        self.by_code: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_name: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_name_ci: dict[str, list[UnitRef]] = defaultdict(list)
        for u in self.units.values():
            self.by_code[u.code.casefold()].append(u)
            self.by_name[u.name].append(u)
            self.by_name_ci[u.name.casefold()].append(u)
        tokens = set()
        for _n, cells in sheet_rows:
            for k in ("assignee", "leader"):
                if k in cells:
                    tokens.add(normalize_space(_text(cells[k])).casefold())
        tokens.discard("")
        cond = [Unit.path.like(plan_unit.path + "%")]
        if tokens:
            cond += [func.lower(User.username).in_(tokens), func.lower(User.email).in_(tokens)]
        self.people: dict[int, Person] = {}
        self.logins: dict[str, Person] = {}
        self._pools: dict = {}
        self._loaded_paths = {plan_unit.path}
        self._load_people(or_(*cond))
        fields = db.session.execute(select(Field.id, Field.name).where(
            (Field.unit_id == plan_unit.id) | Field.unit_id.is_(None))
            .order_by(Field.unit_id.is_(None), Field.id)).all()
        self.fields: dict[str, int] = {}
        for f in fields:
            self.fields.setdefault(normalize_space(f.name).casefold(), f.id)

    def _load_people(self, cond) -> None:
        rows = db.session.execute(
            select(User.id, User.username, User.email, User.full_name, User.name_folded,
                   User.unit_id, User.role, Unit.path).join(Unit, User.unit_id == Unit.id)
            .where(User.is_active, cond)).all()
        for r in rows:
            p = Person(r.id, r.username, (r.email or "").casefold(), r.full_name, r.name_folded,
                       r.unit_id, r.path, r.role)
            self.people[p.id] = p
        # Usernames first: an email never hides someone's username.
        self.logins = {p.email: p for p in self.people.values() if p.email}
        self.logins.update({p.username.casefold(): p for p in self.people.values()})
        self._pools.clear()

    def ensure_people(self, ids: set[int]) -> None:
        """People named by stored tasks (kept by blank cells, shown in the preview), loaded once."""
        missing = ids - set(self.people)
        if missing:
            self._load_people(User.id.in_(sorted(missing)))

    def ensure_subtree(self, unit: UnitRef) -> None:
        """People of a lead unit outside the plan's subtree, loaded once."""
        if any(unit.path.startswith(p) for p in self._loaded_paths):
            return
        self._loaded_paths.add(unit.path)
        self._load_people(Unit.path.like(unit.path + "%"))

    def unit(self, token: str) -> tuple[UnitRef | None, str | None]:
        """A unit by code, or by exact name (NFC, spaces collapsed; letter case as a last resort)."""
        name = normalize_space(token)
        for found in (self.by_code.get(name.casefold(), []), self.by_name.get(name, []),
                      self.by_name_ci.get(name.casefold(), [])):
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                return None, _("%(n)s units are named “%(value)s”: write the unit's code",
                               n=len(found), value=name)
        return None, _("no unit has the code or the name “%(value)s”", value=name)

    def _pool(self, scope: tuple[UnitRef, ...], exact_units: bool) -> tuple[dict, dict]:
        key = (tuple(u.id for u in scope), exact_units)
        if key not in self._pools:
            if exact_units:
                ids = {u.id for u in scope}
                pool = [p for p in self.people.values() if p.unit_id in ids]
            else:
                pool = [p for p in self.people.values()
                        if any(p.unit_path.startswith(u.path) for u in scope)]
            exact: dict[str, list[Person]] = defaultdict(list)
            folded: dict[str, list[Person]] = defaultdict(list)
            for p in pool:
                exact[p.full_name.casefold()].append(p)
                folded[p.name_folded].append(p)
            self._pools[key] = (exact, folded)
        return self._pools[key]

    def person(self, token: str, scope: tuple[UnitRef, ...], exact_units: bool,
               scope_label: str) -> tuple[Person | None, str | None]:
        """By username, by email, then by full name when it is unique among the people of
        `scope` (their subtrees, or those units only when `exact_units`): first as written
        (any letter case, NFC or NFD), then without diacritics ("Pham Van Dang")."""
        raw = normalize_space(token)
        found = self.logins.get(raw.casefold())
        if found is not None:
            return found, None
        exact, folded = self._pool(scope, exact_units)
        for match in (exact.get(raw.casefold(), []), folded.get(fold(raw), [])):
            if len(match) == 1:
                return match[0], None
            if len(match) > 1:
                return None, _("%(n)s people in %(unit)s are named “%(value)s”: write the "
                               "username or the email", n=len(match), unit=scope_label, value=raw)
        return None, _("no user “%(value)s” in %(unit)s (write a username, an email or a full name)",
                       value=raw, unit=scope_label)


# ------------------------------------------------------------------ the preview

ADD, CHANGE, SAME = "add", "change", "same"


@dataclass
class RowPlan:
    """One task row: what it says, resolved, and what the import will do with it."""

    line: int
    stt: str
    file_stt: str
    title: str
    values: dict = field(default_factory=dict)
    steps: list[tuple[str, date | None]] = field(default_factory=list)
    coordinator_ids: list[int] = field(default_factory=list)
    field_name: str = ""
    new_field: bool = False
    parent_stt: str | None = None
    parent_due: date | None = None
    depth: int = 1
    action: str = ADD
    task_id: int | None = None
    changed: list[str] = field(default_factory=list)
    clears: SixClears | None = None
    has_error: bool = False
    names: dict = field(default_factory=dict)
    people: tuple = (None, None, None)
    numbered: bool = True
    # Each changed column as (header, stored value, new value), both as a person reads them.
    diffs: list[tuple[str, str, str]] = field(default_factory=list)
    # Columns left blank for an existing task: the stored value is kept (issue 11, item 6).
    kept: set = field(default_factory=set)
    # A completion date this row brings (a draft plan only): marked "imported".
    completes: bool = False

    @property
    def is_clear(self) -> bool:
        return self.clears is not None and self.clears.ok


@dataclass
class Section:
    line: int
    number: str
    title: str


@dataclass
class Preview:
    """What the import will do, and why it cannot when `errors` is not empty."""

    plan: Plan
    rows: list[RowPlan] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    new_fields: list[str] = field(default_factory=list)
    renumbered: list[tuple[int, str, str]] = field(default_factory=list)
    present: set = field(default_factory=set)
    kept: int = 0
    seconds: float = 0.0
    sheet: Sheet | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def issues(self) -> list[Issue]:
        return self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.has_error)

    @property
    def added(self) -> int:
        return self.count(ADD)

    @property
    def changed(self) -> int:
        return self.count(CHANGE)

    @property
    def unchanged(self) -> int:
        return self.count(SAME)

    @property
    def not_clear(self) -> list[RowPlan]:
        return [r for r in self.rows if r.clears is not None and not r.clears.ok]

    def summary_lines(self) -> list[str]:
        """The preview in a few lines, for the command line."""
        lines = [_("%(rows)s task rows: %(added)s to add, %(changed)s to change, %(same)s unchanged.",
                   rows=len(self.rows), added=self.added, changed=self.changed, same=self.unchanged)]
        if self.kept:
            lines.append(_("%(n)s tasks of the plan are not in the file and stay as they are.",
                           n=self.kept))
        if self.new_fields:
            lines.append(_("New fields to create: %(names)s.", names=", ".join(self.new_fields)))
        for line, before, after in self.renumbered[:20]:
            lines.append(_("Row %(row)s: number %(before)s becomes %(after)s (numbering runs on "
                           "across sections).", row=line, before=before, after=after))
        for r in self.rows:
            if r.action != CHANGE or r.has_error:
                continue
            lines.append(_("Row %(row)s (task %(stt)s) will change:", row=r.line, stt=r.stt))
            for header, old, new in r.diffs:
                lines.append(f"  {header}: {_shown_change(old)} → {_shown_change(new)}")
        unclear = self.not_clear
        lines.append(ngettext("%(num)s row is not clear on all six.", "%(num)s rows are not clear on all six.", len(unclear)))
        for r in unclear:
            failed = ", ".join(x.label("vi") for x in r.clears.failed)
            lines.append(f"  {r.stt}. {r.title[:80]} — {failed}")
        return lines


def _shown_change(text: str) -> str:
    """One side of an "old → new" line: on one line, cut at 120 characters, "—" when empty."""
    text = " ".join((text or "").split())
    if not text:
        return "—"
    return text if len(text) <= 120 else text[:119] + "…"


def _section_field(title: str) -> str:
    title = normalize_space(title)
    # Sections are usually in capitals ("I. CẢI CÁCH THỂ CHẾ"); a field reads "Cải cách thể chế".
    if title.isupper():
        title = title[:1] + title[1:].lower()
    return title


class _Checker:
    """Turns the sheet rows into row plans, collecting every error on the way."""

    def __init__(self, plan: Plan, sheet: Sheet, today: date, actor: User | None,
                 settings: rules.RuleSettings):
        self.plan, self.sheet, self.today = plan, sheet, today
        self.actor, self.settings = actor, settings
        self.preview = Preview(plan=plan, present=sheet.present)
        self.dir = Directory(plan.unit, sheet.rows)

    def error(self, line: int | None, key: str | None, message: str, row: RowPlan | None = None):
        self.preview.errors.append(Issue(message, line, LABEL.get(key) if key else None))
        if row is not None:
            row.has_error = True

    def run(self) -> Preview:
        raw = self._numbered()
        self._existing = self._load_existing()
        self.dir.ensure_people({i for t in self._existing.values()
                                for i in (t.assignee_id, t.leader_id) if i})
        for line, stt, file_stt, cells, section_field, numbered in raw:
            row = RowPlan(line=line, stt=stt, file_stt=file_stt, title="")
            # A row with a wrong number is still read, so that every error shows at once.
            row.numbered = numbered
            row.has_error = not numbered
            self._row(row, cells, section_field)
            self.preview.rows.append(row)
        self._tree()
        self._rules()
        self._against_plan()
        return self.preview

    # -- numbering, sections, duplicates
    def _numbered(self) -> list:
        out = []
        section_field = ""
        offset, first, max_top = 0, None, 0
        seen: dict[str, int] = {}
        for line, cells in self.sheet.rows:
            stt_raw = cells.get("stt")
            stt = _stt(stt_raw)
            title = _text(cells.get("title"))
            # A section: "I" with its title in the next cell, or "I. CẢI CÁCH THỂ CHẾ" alone.
            roman = None if title else _ROMAN_TITLE.match(_text(stt_raw))
            if _ROMAN.match(stt) or roman:
                head = roman.group(2) if roman else title
                if not normalize_space(head):
                    self.error(line, "title", _("the section has no title"))
                    continue
                number = roman.group(1) if roman else stt
                self.preview.sections.append(Section(line, number, normalize_space(head)))
                section_field = _section_field(_text(cells.get("field")) or head)
                first, offset = None, 0
                continue
            if not stt:
                self.error(line, "stt", _("the number (STT) is missing"))
                out.append((line, "", "", cells, section_field, False))
                continue
            if not _STT.match(stt):
                self.error(line, "stt", _("“%(value)s” is not a number such as 1, 2.1 or 2.2.1, "
                                          "nor a section such as I or II", value=_shown(stt_raw)))
                out.append((line, stt, stt, cells, section_field, False))
                continue
            top = int(stt.split(".")[0])
            if first is None and self.preview.sections:
                # Official plans often number each section from 1 again; the plan needs
                # one number per task, so the numbering runs on across sections.
                first = top
                offset = max_top - top + 1 if top <= max_top else 0
            file_stt = stt
            if offset:
                parts = stt.split(".")
                stt = ".".join([str(int(parts[0]) + offset), *parts[1:]])
                self.preview.renumbered.append((line, file_stt, stt))
            max_top = max(max_top, int(stt.split(".")[0]))
            if stt in seen:
                self.error(line, "stt", _("the number %(stt)s is already used on row %(other)s",
                                          stt=file_stt, other=seen[stt]))
                out.append((line, stt, file_stt, cells, section_field, False))
                continue
            seen[stt] = line
            out.append((line, stt, file_stt, cells, section_field, True))
        return out

    # -- one row
    def _row(self, row: RowPlan, cells: dict, section_field: str) -> None:
        v = row.values
        line = row.line
        old = self._existing.get(row.stt) if row.numbered else None
        # Re-import never empties what is stored (issue 11, item 6): for a task of the plan,
        # a blank cell keeps the stored value, whatever the column.
        if old is not None:
            row.kept = {k for k in KEEPABLE if _blank(cells.get(k))}
        for key in ("title", "description", "responsibility", "output_product", "indicator_name",
                    "indicator_unit", "field"):
            text = _text(cells.get(key))
            if key in ("title", "indicator_name", "indicator_unit", "field"):
                text = normalize_space(text)
            limit = TEXT_LIMITS[key]
            if len(text) > limit:
                self.error(line, key, _("at most %(n)s characters", n=limit), row)
            v[key] = text
        if old is not None:
            for key in row.kept & {"title", "description", "responsibility", "output_product",
                                   "indicator_name", "indicator_unit"}:
                v[key] = _norm(getattr(old, key))
        row.title = v["title"]
        field_text = v.pop("field")
        if old is not None and "field" in row.kept and old.field is not None:
            field_text = normalize_space(old.field.name)
        row.field_name = field_text or section_field
        for key in ("start_on", "due_on"):
            v[key] = self._date(row, cells, key)
        for key in ("indicator_target",):
            v[key] = self._number(row, cells, key, VALUE_PLACES, VALUE_MAX)
        weight = self._number(row, cells, "weight", WEIGHT_PLACES, WEIGHT_MAX)
        v["weight"] = Decimal(1).quantize(WEIGHT_PLACES) if weight is None else weight
        if old is not None:
            for key in row.kept & {"start_on", "due_on", "indicator_target", "weight"}:
                v[key] = getattr(old, key)
        # Progress already made (optional columns): empty leaves a task's progress alone.
        v["progress"] = None
        if not _blank(cells.get("progress")):
            try:
                p = _decimal(cells["progress"])
            except ValueError:
                self.error(line, "progress", _("%(value)s is not a number",
                                               value=_shown(cells["progress"])), row)
            else:
                if not 0 <= p <= 100:
                    self.error(line, "progress", _("the progress must be between 0 and 100 "
                                                   "(%(value)s)", value=_shown(cells["progress"])), row)
                v["progress"] = int(p.quantize(Decimal(1), ROUND_HALF_UP))
        v["completed_on"] = self._date(row, cells, "completed_on")
        v["indicator_actual"] = self._number(row, cells, "indicator_actual", VALUE_PLACES, VALUE_MAX)
        self._steps(row, cells)
        if old is not None and "steps" in row.kept:
            row.steps = [(st.title, st.due_on) for st in old.steps]
        self._who(row, cells, old)
        self._completion(row, old)

    def _completion(self, row: RowPlan, old: Task | None) -> None:
        """Completion only through submit -> confirm (DESIGN.md 4). The one exception: a
        completion date imported into a draft plan, between the task's start and today. An
        issued plan's file may repeat the completion date already recorded, nothing else."""
        v, line = row.values, row.line
        done = v["completed_on"]
        if done is None:
            return
        shown = done.strftime("%d/%m/%Y")
        recorded = old is not None and old.status == Lifecycle.COMPLETED and old.completed_on == done
        if recorded:
            return
        if self.plan.status != PlanStatus.DRAFT:
            self.error(line, "completed_on", _("the plan has been issued: a task is completed only "
                                               "when its report of completion is confirmed (%(value)s "
                                               "is not the recorded completion date)", value=shown), row)
            return
        if done > self.today:
            self.error(line, "completed_on", _("the completion date %(value)s is after today",
                                               value=shown), row)
        elif v["start_on"] and done < v["start_on"]:
            self.error(line, "completed_on", _("the completion date %(value)s is before the start "
                                               "date %(start)s", value=shown,
                                               start=v["start_on"].strftime("%d/%m/%Y")), row)
        row.completes = True

    def _date(self, row: RowPlan, cells: dict, key: str) -> date | None:
        value = cells.get(key)
        if _blank(value):
            return None
        try:
            return _date(value)
        except (ValueError, TypeError, OverflowError):
            self.error(row.line, key, _("%(value)s is not a valid date", value=_shown(value)), row)
            return None

    def _number(self, row: RowPlan, cells: dict, key: str, places: Decimal,
                limit: Decimal) -> Decimal | None:
        value = cells.get(key)
        if _blank(value):
            return None
        try:
            d = _decimal(value)
        except ValueError:
            self.error(row.line, key, _("%(value)s is not a number", value=_shown(value)), row)
            return None
        if not d.is_finite() or abs(d) > limit:
            self.error(row.line, key, _("%(value)s is too large", value=_shown(value)), row)
            return None
        return d.quantize(places, ROUND_HALF_UP)

    def _steps(self, row: RowPlan, cells: dict) -> None:
        raw = cells.get("steps")
        text = _text(raw)
        if not text:
            return
        # One step per line when the cell has line breaks (even a trailing one), else ";".
        lines = isinstance(raw, str) and ("\n" in raw or "\r" in raw)
        parts = text.split("\n") if lines else text.split(";")
        steps = []
        for part in parts:
            part = _BULLET.sub("", part)
            part = normalize_space(part)
            if not part:
                continue
            due = None
            m = _STEP_DATE.match(part)
            if m:
                try:
                    due = parse_date(m.group(2))
                except ValueError:
                    self.error(row.line, "steps", _("%(value)s is not a valid date",
                                                    value=m.group(2)), row)
                part = normalize_space(m.group(1))
            if len(part) > 500:
                self.error(row.line, "steps", _("at most %(n)s characters", n=500), row)
            steps.append((part, due))
        row.steps = steps


    def _who(self, row: RowPlan, cells: dict, old: Task | None) -> None:
        """Units and people by code, name, username or email (import-only: resolving names);
        a blank cell of an existing task keeps who is stored."""
        v, d, plan = row.values, self.dir, self.plan
        lead = None
        if "lead_unit" in row.kept:
            v["lead_unit_id"] = old.lead_unit_id
            lead = d.units.get(old.lead_unit_id) if old.lead_unit_id else None
        else:
            text = _text(cells.get("lead_unit"))
            if text:
                lead, err = d.unit(text)
                if err:
                    self.error(row.line, "lead_unit", err, row)
            v["lead_unit_id"] = lead.id if lead else None
        if lead is not None:
            d.ensure_subtree(lead)
        row.names["lead_unit"] = lead.name if lead else ""
        coords = []
        if "coordinators" in row.kept:
            coords = [u.id for u in old.coordinators]
        for token in _split(_text(cells.get("coordinators"))):
            u, err = d.unit(token)
            if err:
                self.error(row.line, "coordinators", err, row)
            elif u.id not in coords:
                coords.append(u.id)
        row.coordinator_ids = sorted(coords)
        plan_unit = d.units.get(plan.unit_id) or UnitRef(plan.unit_id, plan.unit.code,
                                                          plan.unit.name, plan.unit.path)
        assignee = None
        if "assignee" in row.kept:
            v["assignee_id"] = old.assignee_id
            assignee = d.people.get(old.assignee_id) if old.assignee_id else None
        else:
            text = _text(cells.get("assignee"))
            if text:
                scope = lead or plan_unit
                assignee, err = d.person(text, (scope,), False, scope.name)
                if err:
                    self.error(row.line, "assignee", err, row)
            v["assignee_id"] = assignee.id if assignee else None
        leader = None
        if "leader" in row.kept:
            v["leader_id"] = old.leader_id
            leader = d.people.get(old.leader_id) if old.leader_id else None
        else:
            text = _text(cells.get("leader"))
            if text:
                units = (plan_unit,) + ((lead,) if lead and lead.id != plan_unit.id else ())
                label = " / ".join(u.name for u in units)
                leader, err = d.person(text, units, True, label)
                if err:
                    self.error(row.line, "leader", err, row)
            v["leader_id"] = leader.id if leader else None
        row.names["assignee"] = assignee.full_name if assignee else ""
        row.names["leader"] = leader.full_name if leader else ""
        row.people = (assignee, leader, lead)

    # -- the tree of numbers
    def _tree(self) -> None:
        rows = [r for r in self.preview.rows if r.numbered]
        by_stt = {r.stt: r for r in rows}
        for r in rows:
            parts = r.stt.split(".")
            r.depth = len(parts)
            if len(parts) > 1:
                r.parent_stt = ".".join(parts[:-1])
                if r.parent_stt not in by_stt and r.parent_stt not in self._existing:
                    parent_shown = r.parent_stt
                    if r.file_stt != r.stt:
                        parent_shown = ".".join(r.file_stt.split(".")[:-1])
                    self.error(r.line, "stt", _("there is no row %(parent)s for this sub-task",
                                                parent=parent_shown), r)
        # The due date a row may not pass (a rule of the rule set, checked in _rules): its
        # parent's in the file or in the plan, or that of the higher plan's task it breaks down.
        higher = breakdown.breakdown_parents(self.plan.id) if self.plan.id is not None else {}
        for r in rows:
            if r.parent_stt:
                parent = by_stt.get(r.parent_stt)
                if parent is not None:
                    r.parent_due = parent.values.get("due_on")
                elif r.parent_stt in self._existing:
                    r.parent_due = self._existing[r.parent_stt].due_on
            elif r.stt in higher:
                r.parent_due = higher[r.stt].due_on

    def _rules(self) -> None:
        """The task rule set (app/domain/task_rules.py), the same the task form calls, over
        each row's final values (stored ones kept by blank cells included). A rule on a column
        the file already got wrong (an unknown unit, a date that is not a date) is not
        repeated."""
        plan = task_service.plan_facts(self.plan)
        actor = (task_service.actor_facts(self.actor) if self.actor is not None
                 else rules.ActorFacts(0, "system", None, ""))
        for r in self.preview.rows:
            if not r.numbered:
                continue
            old = self._existing.get(r.stt)
            after = self._values(r)
            before = task_service.values_of(old) if old is not None else None
            broken = {i.column for i in self.preview.errors if i.row == r.line}
            for v in rules.check_task(plan=plan, actor=actor, before=before, after=after,
                                      directory=self._rule_directory(before, after),
                                      today=self.today, settings=self.settings,
                                      parent_due_on=r.parent_due, amendments_allowed=False):
                key = RULE_COLUMNS.get(v.field) if v.field else None
                if key and LABEL[key] in broken:
                    continue
                self.error(r.line, key, str(rule_message(v)), r)

    def _values(self, r: RowPlan) -> rules.TaskValues:
        v = r.values
        return rules.TaskValues(
            title=v["title"], description=v["description"], assignee_id=v["assignee_id"],
            lead_unit_id=v["lead_unit_id"], coordinator_ids=tuple(r.coordinator_ids),
            leader_id=v["leader_id"], responsibility=v["responsibility"],
            steps=tuple(Step(t, dd) for t, dd in r.steps), start_on=v["start_on"],
            due_on=v["due_on"], output_product=v["output_product"],
            indicator_name=v["indicator_name"], indicator_unit=v["indicator_unit"],
            indicator_target=v["indicator_target"],
            field_id=self.dir.fields.get(r.field_name.casefold()) if r.field_name else None,
            weight=v["weight"])

    def _rule_directory(self, *values: rules.TaskValues | None) -> rules.Directory:
        """The rule set's directory of the units and people the values name, from what the
        importer loaded (no query per row). Someone not loaded is disabled or unknown."""
        units, people = {}, {}
        for x in values:
            if x is None:
                continue
            for uid in (x.lead_unit_id, *x.coordinator_ids):
                u = self.dir.units.get(uid) if uid is not None else None
                if u is not None:
                    units[uid] = rules.UnitFacts(u.id, u.path, True)
            for pid in (x.assignee_id, x.leader_id):
                p = self.dir.people.get(pid) if pid is not None else None
                if p is not None:
                    people[pid] = rules.PersonFacts(p.id, p.unit_id, p.unit_path, p.role, True)
        return rules.Directory(units, people)

    def _load_existing(self) -> dict[str, Task]:
        if self.plan.id is None:
            return {}
        tasks = db.session.scalars(select(Task).where(Task.plan_id == self.plan.id)
                                   .options(selectinload(Task.steps), selectinload(Task.coordinators),
                                            selectinload(Task.field))
                                   .order_by(Task.id)).all()
        out: dict[str, Task] = {}
        for t in tasks:
            out.setdefault(t.stt, t)
        return out

    # -- fields, six clears, added / changed / unchanged
    def _against_plan(self) -> None:
        p = self.preview
        d = self.dir
        new_fields: dict[str, str] = {}
        for r in p.rows:
            if r.field_name:
                k = r.field_name.casefold()
                if k not in d.fields:
                    new_fields.setdefault(k, r.field_name)
                    r.new_field = True
        p.new_fields = list(new_fields.values())
        file_stts = {r.stt for r in p.rows}
        p.kept = sum(1 for stt in self._existing if stt not in file_stts)
        for r in p.rows:
            if r.has_error:
                continue
            r.clears = check_six_clears(self._facts(r))
            existing = self._existing.get(r.stt)
            if existing is None:
                r.action = ADD
                continue
            r.task_id = existing.id
            r.diffs = _differences(existing, r, d)
            r.changed = [LABEL[k] for k, _old, _new in r.diffs]
            r.diffs = [(LABEL[k], old, new) for k, old, new in r.diffs]
            r.action = CHANGE if r.changed else SAME
            if r.changed and existing.status in (Lifecycle.COMPLETED, Lifecycle.CANCELLED):
                self.error(r.line, None, _("task %(stt)s is completed or cancelled and can no "
                                           "longer be changed", stt=r.stt), r)
            elif (existing.status == Lifecycle.SUBMITTED and LABEL["progress"] in r.changed
                  and not r.values["completed_on"]):
                self.error(r.line, "progress", _("task %(stt)s is awaiting confirmation: its "
                                                 "progress cannot be changed now", stt=r.stt), r)

    def _facts(self, r: RowPlan) -> TaskFacts:
        assignee, leader, lead = r.people
        v = r.values
        return TaskFacts(
            title=v["title"], description=v["description"],
            assignee_id=v["assignee_id"], lead_unit_id=v["lead_unit_id"],
            assignee_in_lead_unit=(assignee is None or lead is None
                                   or assignee.unit_path.startswith(lead.path)),
            leader_id=v["leader_id"],
            leader_is_leader=leader is None or leader.role in LEADER_ROLES,
            responsibility=v["responsibility"],
            steps=tuple(Step(t, dd) for t, dd in r.steps),
            start_on=v["start_on"], due_on=v["due_on"],
            period_start=self.plan.period_start, period_end=self.plan.period_end,
            output_product=v["output_product"], indicator_name=v["indicator_name"],
            indicator_unit=v["indicator_unit"], indicator_target=v["indicator_target"])


def _norm(text: str | None) -> str:
    return _text(text or "")


def _dec_eq(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(a) == Decimal(b)


def _date_text(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _number_text(x: Decimal | None) -> str:
    if x is None:
        return ""
    x = Decimal(x)
    return format_decimal(x.normalize() if x == x.to_integral_value() else x)


def _steps_text(steps: list) -> str:
    return "; ".join(t + (f" ({_date_text(dd)})" if dd else "") for t, dd in steps)


def _differences(t: Task, r: RowPlan, d: Directory) -> list[tuple[str, str, str]]:
    """The columns whose value the row would change, each with the stored and the new value
    as a person reads them ("old → new" in the preview)."""
    v = r.values
    out = []

    def unit(i):
        u = d.units.get(i) if i else None
        return u.name if u else (f"#{i}" if i else "")

    def person(i):
        p = d.people.get(i) if i else None
        return p.full_name if p else (f"#{i}" if i else "")

    def diff(key: str, same: bool, old, new) -> None:
        if not same:
            out.append((key, old, new))

    diff("title", t.title == v["title"], t.title, v["title"])
    diff("description", _norm(t.description) == v["description"], _norm(t.description), v["description"])
    diff("lead_unit", t.lead_unit_id == v["lead_unit_id"], unit(t.lead_unit_id), unit(v["lead_unit_id"]))
    stored = sorted(u.id for u in t.coordinators)
    diff("coordinators", stored == r.coordinator_ids, "; ".join(unit(i) for i in stored),
         "; ".join(unit(i) for i in r.coordinator_ids))
    diff("assignee", t.assignee_id == v["assignee_id"], person(t.assignee_id), person(v["assignee_id"]))
    diff("leader", t.leader_id == v["leader_id"], person(t.leader_id), person(v["leader_id"]))
    diff("responsibility", _norm(t.responsibility) == v["responsibility"], _norm(t.responsibility),
         v["responsibility"])
    steps = [(s.title, s.due_on) for s in t.steps]
    diff("steps", steps == r.steps, _steps_text(steps), _steps_text(r.steps))
    diff("start_on", t.start_on == v["start_on"], _date_text(t.start_on), _date_text(v["start_on"]))
    diff("due_on", t.due_on == v["due_on"], _date_text(t.due_on), _date_text(v["due_on"]))
    diff("output_product", _norm(t.output_product) == v["output_product"], _norm(t.output_product),
         v["output_product"])
    diff("indicator_name", (t.indicator_name or "") == v["indicator_name"], t.indicator_name or "",
         v["indicator_name"])
    diff("indicator_unit", (t.indicator_unit or "") == v["indicator_unit"], t.indicator_unit or "",
         v["indicator_unit"])
    diff("indicator_target", _dec_eq(t.indicator_target, v["indicator_target"]),
         _number_text(t.indicator_target), _number_text(v["indicator_target"]))
    field_id = d.fields.get(r.field_name.casefold()) if r.field_name else None
    diff("field", (not r.new_field) and t.field_id == field_id,
         t.field.name if t.field is not None else "", r.field_name)
    diff("weight", _dec_eq(t.weight, v["weight"]), _number_text(t.weight), _number_text(v["weight"]))
    if v["progress"] is not None:
        diff("progress", t.progress == v["progress"] or (
            v["completed_on"] is not None and t.status == Lifecycle.COMPLETED and t.progress == 100),
            f"{t.progress}%", f"{v['progress']}%")
    if v["completed_on"] is not None:
        recorded = t.completed_on if t.status == Lifecycle.COMPLETED else None
        diff("completed_on", recorded == v["completed_on"], _date_text(recorded),
             _date_text(v["completed_on"]))
    if v["indicator_actual"] is not None:
        diff("indicator_actual", _dec_eq(t.indicator_actual, v["indicator_actual"]),
             _number_text(t.indicator_actual), _number_text(v["indicator_actual"]))
    return out


def _order(issue: Issue) -> tuple:
    columns = [c.header for c in COLUMNS]
    return (issue.row or 0, columns.index(issue.column) if issue.column in columns else -1)


def preview(plan: Plan, source: "bytes | Sheet", today: date, actor: User | None = None, *,
            settings: rules.RuleSettings) -> Preview:
    """Read (unless `source` was read already) and check a file against a plan, which may
    not be saved yet; writes nothing. Errors come in row and column order."""
    started = time.perf_counter()
    sheet = source if isinstance(source, Sheet) else read_sheet(source)
    if sheet.issues:
        p = Preview(plan=plan, errors=list(sheet.issues), present=sheet.present)
    else:
        p = _Checker(plan, sheet, today, actor, settings).run()
        p.errors.sort(key=_order)
    p.sheet = sheet
    p.seconds = time.perf_counter() - started
    return p


# ------------------------------------------------------------------ applying

def check_can_import(actor: User | None, plan: Plan) -> None:
    """Heads who manage the plan import into it (the command line acts as the system)."""
    if actor is not None and not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    if plan.status == PlanStatus.CLOSED:
        raise RuleViolation(_("This plan is closed."))


def _task_values(r: RowPlan, field_id: int | None) -> dict:
    v = r.values
    return {
        "title": v["title"], "title_folded": fold(v["title"]), "title_sort": title_sort_key(v["title"]),
        "description": v["description"],
        "assignee_id": v["assignee_id"], "lead_unit_id": v["lead_unit_id"],
        "leader_id": v["leader_id"], "responsibility": v["responsibility"],
        "start_on": v["start_on"], "due_on": v["due_on"],
        "output_product": v["output_product"], "indicator_name": v["indicator_name"],
        "indicator_unit": v["indicator_unit"], "indicator_target": v["indicator_target"],
        "field_id": field_id, "weight": v["weight"], "is_clear": r.is_clear,
    }


def _snapshot_row(values: dict, coords: list[int], steps: list) -> dict:
    keys = ("title", "description", "assignee_id", "lead_unit_id", "leader_id", "responsibility",
            "start_on", "due_on", "output_product", "indicator_name", "indicator_unit",
            "indicator_target", "field_id", "weight")
    out = {k: values.get(k) for k in keys}
    out["coordinators"] = sorted(coords)
    out["steps"] = [[t, d] for t, d in steps]
    return out


def _snapshot_task(t: Task) -> dict:
    return {
        "title": t.title, "description": t.description, "assignee_id": t.assignee_id,
        "lead_unit_id": t.lead_unit_id, "leader_id": t.leader_id,
        "responsibility": t.responsibility, "start_on": t.start_on, "due_on": t.due_on,
        "output_product": t.output_product, "indicator_name": t.indicator_name,
        "indicator_unit": t.indicator_unit, "indicator_target": t.indicator_target,
        "field_id": t.field_id, "weight": t.weight,
        "coordinators": sorted(u.id for u in t.coordinators),
        "steps": [[s.title, s.due_on] for s in t.steps],
    }


def apply(actor: User | None, plan: Plan, source: "bytes | Sheet", today: date,
          filename: str = "", *, settings: rules.RuleSettings) -> Preview:
    """Check the file again against the plan as it is now, then write it all in the current
    transaction (flushed, not committed); ImportRefused, with nothing written, on any error."""
    check_can_import(actor, plan)
    if plan.id is not None:
        # One import at a time per plan: the second waits here, then sees the first's rows.
        db.session.execute(select(Plan.id).where(Plan.id == plan.id).with_for_update())
    p = preview(plan, source, today, actor, settings=settings)
    if not p.ok:
        raise ImportRefused(p)
    started = time.perf_counter()
    actor_id = actor.id if actor else None
    now = utcnow()
    issued = plan.status != PlanStatus.DRAFT
    if plan.id is None:
        db.session.add(plan)
        db.session.flush()
    checker_dir_fields = _create_fields(plan, p)
    rows = [r for r in p.rows if r.action in (ADD, CHANGE)]
    existing = {}
    if any(r.action == CHANGE for r in rows):
        ids = [r.task_id for r in rows if r.action == CHANGE]
        existing = {t.id: t for t in db.session.scalars(
            select(Task).where(Task.id.in_(ids))
            .options(selectinload(Task.steps), selectinload(Task.coordinators)))}
    stt_ids = dict(db.session.execute(select(Task.stt, Task.id).where(Task.plan_id == plan.id)
                                      .order_by(Task.id.desc())).all())
    audits: list[dict] = []
    notes: list[dict] = []
    progress_rows: list[dict] = []
    tasks_t = Task.__table__

    # New tasks, one level of the tree at a time so that parents have ids.
    adds = [r for r in rows if r.action == ADD]
    for depth in sorted({r.depth for r in adds}):
        level = [r for r in adds if r.depth == depth]
        values = []
        for r in level:
            v = r.values
            fid = checker_dir_fields.get(r.field_name.casefold()) if r.field_name else None
            status = Lifecycle.ASSIGNED
            completed = v["completed_on"]
            progress = v["progress"] or 0
            if completed:
                status, progress = Lifecycle.COMPLETED, 100
            elif progress > 0:
                status = Lifecycle.IN_PROGRESS
            row = _task_values(r, fid) | {
                "plan_id": plan.id, "owner_unit_id": plan.unit_id,
                "parent_id": stt_ids.get(r.parent_stt) if r.parent_stt else None,
                "stt": r.stt, "order_key": _order_key(r.stt), "original_due_on": v["due_on"],
                "progress": progress, "status": status, "submitted_on": completed,
                "completed_on": completed, "indicator_actual": v["indicator_actual"],
                # DESIGN.md 4: a completion imported into a draft plan says who brought it, when.
                "completion_imported_by_id": actor_id if completed else None,
                "completion_imported_at": now if completed else None,
                "cancel_reason": "", "extension_count": 0, "created_by_id": actor_id,
                "created_at": now, "updated_at": now, "version": 1,
            }
            values.append(row)
        db.session.execute(insert(tasks_t), values)
        # The new rows' ids by number (a plan's numbers are unique): one query per level.
        new_ids = dict(db.session.execute(select(Task.stt, Task.id).where(
            Task.plan_id == plan.id, Task.stt.in_([r.stt for r in level]))).all())
        stt_ids.update(new_ids)
        for r, row in zip(level, values, strict=True):
            r.task_id = new_ids[r.stt]
            snap = _snapshot_row(row, r.coordinator_ids, r.steps)
            # What audit.diff({}, snap) gives, without its per-value conversions.
            created = {k: [None, v] for k, v in snap.items() if v is not None}
            audits.append(_audit(actor_id, "task.create", r.task_id, created, now, filename))
            if completed:
                audits.append(_imported_audit(actor_id, r.task_id, completed, now, filename))
            # A draft plan is quiet: its people are told when it is issued (issue 11, item 7).
            if issued and row["assignee_id"] and row["assignee_id"] != actor_id:
                notes.append(_note(row["assignee_id"], r.task_id, 1, now))
            if row["progress"] or row["indicator_actual"] is not None:
                progress_rows.append(_progress(r.task_id, actor_id, row["progress"],
                                               row["indicator_actual"], now))

    # Changed tasks: every column rewritten, guarded by the version each was read at.
    changes = [r for r in rows if r.action == CHANGE]
    if changes:
        params = []
        for r in changes:
            t = existing[r.task_id]
            v = r.values
            fid = checker_dir_fields.get(r.field_name.casefold()) if r.field_name else None
            row = _task_values(r, fid)
            before = _snapshot_task(t)
            original = t.original_due_on
            if not issued and (t.original_due_on is None or t.due_on == t.original_due_on):
                # A draft's dates are freely edited; once issued, the original is never rewritten.
                original = v["due_on"]
            status, progress = t.status, t.progress
            submitted, completed = t.submitted_on, t.completed_on
            actual = t.indicator_actual if v["indicator_actual"] is None else v["indicator_actual"]
            if v["progress"] is not None:
                progress = v["progress"]
            imported_by, imported_at = t.completion_imported_by_id, t.completion_imported_at
            newly_imported = False
            if v["completed_on"] is not None and t.status != Lifecycle.COMPLETED:
                # Only a draft plan's row gets here (the checker refuses it on an issued plan).
                status, progress = Lifecycle.COMPLETED, 100
                submitted = completed = v["completed_on"]
                imported_by, imported_at, newly_imported = actor_id, now, True
            elif progress > 0 and status in (Lifecycle.ASSIGNED, Lifecycle.DRAFT, Lifecycle.RETURNED):
                status = Lifecycle.IN_PROGRESS
            row |= {"b_id": t.id, "b_version": t.version, "original_due_on": original,
                    "status": status, "progress": progress, "submitted_on": submitted,
                    "completed_on": completed, "indicator_actual": actual,
                    "completion_imported_by_id": imported_by, "completion_imported_at": imported_at,
                    "updated_at": now, "version": t.version + 1}
            params.append(row)
            after = _snapshot_row(row, r.coordinator_ids, r.steps)
            diff = audit.diff(before, after)
            diff |= audit.diff({"status": t.status, "progress": t.progress,
                                "completed_on": t.completed_on, "indicator_actual": t.indicator_actual},
                               {"status": status, "progress": progress, "completed_on": completed,
                                "indicator_actual": actual})
            diff["version"] = [t.version, t.version + 1]
            audits.append(_audit(actor_id, "task.update", t.id, diff, now, filename))
            if newly_imported:
                audits.append(_imported_audit(actor_id, t.id, completed, now, filename))
            if (issued and row["assignee_id"] and row["assignee_id"] != t.assignee_id
                    and row["assignee_id"] != actor_id):
                notes.append(_note(row["assignee_id"], t.id, t.version + 1, now))
            if progress != t.progress or actual != t.indicator_actual:
                progress_rows.append(_progress(t.id, actor_id, progress, v["indicator_actual"], now))
        # Keys named after columns become the SET clause of this executemany UPDATE.
        stmt = update(tasks_t).where(tasks_t.c.id == bindparam("b_id"),
                                     tasks_t.c.version == bindparam("b_version"))
        result = db.session.execute(stmt, params)
        if db.engine.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
            raise Conflict(_("Someone else changed tasks of this plan during the import. "
                             "Upload the file again."))

    # Steps and coordinators: rewritten only where they differ.
    step_rows, coord_rows, clear_steps, clear_coords = [], [], [], []
    for r in rows:
        t = existing.get(r.task_id) if r.action == CHANGE else None
        if t is None or LABEL["steps"] in r.changed:
            done = {}
            if t is not None:
                clear_steps.append(t.id)
                done = {s.title: s for s in t.steps if s.is_done}
            for pos, (title, due) in enumerate(r.steps, start=1):
                old = done.pop(title, None)
                step_rows.append({"task_id": r.task_id, "position": pos, "title": title,
                                  "due_on": due, "is_done": bool(old),
                                  "done_at": old.done_at if old else None,
                                  "done_by_id": old.done_by_id if old else None})
        if t is None or LABEL["coordinators"] in r.changed:
            if t is not None:
                clear_coords.append(t.id)
            coord_rows += [{"task_id": r.task_id, "unit_id": u} for u in r.coordinator_ids]
    if clear_steps:
        db.session.execute(delete(ProcessStep).where(ProcessStep.task_id.in_(clear_steps)))
    if clear_coords:
        db.session.execute(delete(task_coordinators).where(task_coordinators.c.task_id.in_(clear_coords)))
    _insert(ProcessStep.__table__, step_rows)
    _insert(task_coordinators, coord_rows)
    if actor_id is not None:
        _insert(ProgressUpdate.__table__, progress_rows)
    _insert(Notification.__table__, notes)
    audits.append({"at": now, "actor_id": actor_id, "action": "plan.import", "object_type": "plan",
                   "object_id": plan.id, "task_id": None, "comment": filename or "",
                   "changes": json.dumps({"added": p.added, "changed": p.changed,
                                          "unchanged": p.unchanged, "rows": len(p.rows),
                                          "new_fields": p.new_fields}, ensure_ascii=False)})
    _insert(AuditLog.__table__, audits)
    breakdown.rollup_plan(plan.id, actor_id)
    # Core statements went around the identity map: later reads must see the new rows.
    db.session.expire_all()
    p.seconds += time.perf_counter() - started
    return p


def _insert(table, rows: list[dict]) -> None:
    """One executemany INSERT (psycopg pipelines it; multi-row VALUES measured slower)."""
    if rows:
        db.session.execute(insert(table), rows)


def _create_fields(plan: Plan, p: Preview) -> dict[str, int]:
    """The unit's new fields (Lĩnh vực) inserted, and every field id by name."""
    fields = {}
    rows = db.session.execute(select(Field.id, Field.name).where(
        (Field.unit_id == plan.unit_id) | Field.unit_id.is_(None))
        .order_by(Field.unit_id.is_(None), Field.id)).all()
    for f in rows:
        fields.setdefault(normalize_space(f.name).casefold(), f.id)
    for name in p.new_fields:
        if name.casefold() in fields:
            continue
        f = Field(unit_id=plan.unit_id, name=name, name_sort=sort_key(name))
        db.session.add(f)
        db.session.flush()
        fields[name.casefold()] = f.id
    return fields


def _audit(actor_id, action: str, task_id: int, changes: dict, now, filename: str) -> dict:
    return {"at": now, "actor_id": actor_id, "action": action, "object_type": "task",
            "object_id": task_id, "task_id": task_id, "comment": filename or "",
            "changes": json.dumps(changes, ensure_ascii=False, default=str)}


def _imported_audit(actor_id, task_id: int, completed: date, now, filename: str) -> dict:
    """The history row of a completion brought by the file (DESIGN.md 4: shown as imported)."""
    changes = {"status": [None, Lifecycle.COMPLETED.value], "completed_on": [None, completed.isoformat()]}
    return {"at": now, "actor_id": actor_id, "action": "task.import_completion", "object_type": "task",
            "object_id": task_id, "task_id": task_id, "comment": filename or "",
            "changes": json.dumps(changes, ensure_ascii=False)}


def _note(user_id: int, task_id: int, version: int, now) -> dict:
    # The key of tasks._tell ("assigned:<task>:v<version>") and of overdue.notify (":<user>").
    return {"user_id": user_id, "kind": "assigned", "task_id": task_id,
            "dedupe_key": f"assigned:{task_id}:v{version}:{user_id}"[:200], "about_on": None,
            "days": None, "message": "", "created_at": now, "read_at": None, "emailed_at": None,
            "email_attempts": 0}


def _progress(task_id: int, actor_id, percent: int, actual, now) -> dict:
    return {"task_id": task_id, "author_id": actor_id, "created_at": now, "percent": percent,
            "note": "Nhập từ tệp Excel", "actual_value": actual}


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


# ------------------------------------------------------------------ the command line

DEFAULT_TITLES = {
    PlanKind.CCHC: "Kế hoạch cải cách hành chính năm {year}",
    PlanKind.WORK: "Kế hoạch công tác năm {year}",
    PlanKind.DIGITAL: "Kế hoạch chuyển đổi số năm {year}",
    PlanKind.SOCIOECONOMIC: "Chỉ tiêu phát triển kinh tế - xã hội năm {year}",
    PlanKind.OTHER: "Kế hoạch năm {year}",
}


def plan_for(unit_code: str, year: int, kind: str, title: str | None) -> tuple[Plan, bool]:
    """The unit's plan of that year and kind, or a new draft (not yet added to the session)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "").strip()))
    if unit is None or not unit.is_active:
        raise RuleViolation(_("Unknown unit: %(code)s.", code=unit_code))
    if kind not in set(PlanKind):
        raise RuleViolation(_("Choose a kind of plan."))
    if not 2000 <= year <= 2100:
        raise RuleViolation(_("Enter a year between 2000 and 2100."))
    plan = db.session.scalar(select(Plan).where(Plan.unit_id == unit.id, Plan.year == year,
                                                Plan.kind == kind))
    if plan is not None:
        return plan, False
    plan = Plan(unit_id=unit.id, year=year, kind=kind, status=PlanStatus.DRAFT, version=1,
                title=normalize_space(title or "") or DEFAULT_TITLES[PlanKind(kind)].format(year=year))
    plan.unit = unit
    return plan, True


def record_plan_created(plan: Plan) -> None:
    audit.record(None, "plan.create", "plan", plan.id,
                 {"title": [None, plan.title], "year": [None, plan.year], "kind": [None, plan.kind]})


__all__ = ["COLUMNS", "HEADERS", "ImportRefused", "Issue", "Preview", "apply", "check_can_import",
           "discard_upload", "load_upload", "plan_for", "preview", "read_sheet", "store_upload"]
