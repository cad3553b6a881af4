"""A plan back out: the import template (empty, or filled with the plan's tasks so that
import, export, import gives the same plan) and the printable plan in the official layout."""

from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.common import access
from app.directory.units import leading_units_above
from app.domain.recurrence import period_vi
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import Field, Plan, Task, Unit, User
from app.models.user import LEADER_ROLES
from app.plans.importing import COLUMNS, HEADERS, MAX_ROWS, Directory, UnitRef
from app.reports.document import (
    OfficialDocument,
    official_document,
    parent_recipient,
    unit_head_name,
)
from app.reports.local import local_date
from app.reports.word import WordTable, document_bytes
from app.reports.xlsx import FONT_NAME, cell, clean_text, needs_quote_prefix

DATA_SHEET = "Kế hoạch"
HELP_SHEET = "Hướng dẫn"
LIST_SHEET = "Danh mục"
# The occurrences of the plan's recurring tasks (docs/recurring.md): after the data sheet,
# so the importer (which reads the first sheet with a header row) never takes them for rows.
RECURRING_SHEET = "Nhiệm vụ định kỳ"
RECURRING_HEADERS = ("STT", "Kỳ", "Nhiệm vụ", "Đơn vị chủ trì", "Người thực hiện",
                     "Lãnh đạo phụ trách", "Ngày bắt đầu", "Hạn hoàn thành", "Tiến độ (%)",
                     "Trạng thái", "Ngày hoàn thành")
WIDTHS = (7, 45, 40, 24, 24, 22, 22, 30, 40, 13, 13, 30, 24, 10, 10, 22, 8, 9, 13, 10, 22, 9, 10, 9)
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
_BOLD = Font(name=FONT_NAME, size=12, bold=True)

HELP = {
    "STT": ("Bắt buộc", ("Số thứ tự phân cấp: 1, 2, 2.1, 2.2.1. Dòng 2.1 là nhiệm vụ con của dòng 2. "
            "Dòng chỉ có số La Mã (I, II) và tên là một mục (lĩnh vực), không phải nhiệm vụ. "
            "Nên định dạng cột là Văn bản để 2.10 không thành 2.1."), "2.1"),
    "Nhiệm vụ": ("Bắt buộc", "Tên nhiệm vụ: động từ + đối tượng, nêu rõ việc phải làm.",
                 "Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực nội vụ"),
    "Mô tả": ("Rõ việc", "Nội dung, phạm vi công việc.", "Rà soát toàn bộ thủ tục đang có hiệu lực"),
    "Đơn vị chủ trì": ("Rõ người", "Mã đơn vị hoặc đúng tên đơn vị.", "SNV hoặc Sở Nội vụ"),
    "Đơn vị phối hợp": ("Không bắt buộc", "Nhiều đơn vị cách nhau bằng dấu chấm phẩy (;).",
                        "Văn phòng UBND tỉnh; Sở Tư pháp"),
    "Người thực hiện": ("Rõ người", ("Tên đăng nhập, email, hoặc họ tên (khi không trùng tên trong "
                        "đơn vị chủ trì). Phải thuộc đơn vị chủ trì."), "Phạm Văn Đăng"),
    "Lãnh đạo phụ trách": ("Rõ trách nhiệm", ("Người đứng đầu hoặc cấp phó của đơn vị chủ trì hoặc "
                           "của đơn vị lập kế hoạch."), "Lê Thị Mai"),
    "Trách nhiệm": ("Rõ trách nhiệm", "Người thực hiện chịu trách nhiệm về điều gì.",
                    "Chịu trách nhiệm về chất lượng phương án"),
    "Quy trình": ("Rõ quy trình", ("Các bước, mỗi bước một dòng (Alt+Enter) hoặc cách nhau bằng dấu "
                  "chấm phẩy; hạn của bước ghi trong ngoặc."), ("Thống kê thủ tục (hạn 15/02/2026); "
                  "Đề xuất phương án")),
    "Ngày bắt đầu": ("Rõ thời gian", ("Ngày Excel, hoặc dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd; trong năm "
                     "kế hoạch."), "01/02/2026"),
    "Hạn hoàn thành": ("Rõ thời gian", ("Như ngày bắt đầu; không trước ngày bắt đầu, không sau hạn của "
                       "nhiệm vụ cha."), "30/09/2026"),
    "Sản phẩm đầu ra": ("Rõ hiệu quả", "Kết quả cụ thể phải có.", "Quyết định phê duyệt phương án"),
    "Chỉ tiêu": ("Không bắt buộc", ("Tên chỉ tiêu đo được (khi có thì cần đơn vị tính và giá trị mục "
                 "tiêu)."), "Số thủ tục được đơn giản hóa"),
    "Đơn vị tính": ("Không bắt buộc", "Đơn vị của chỉ tiêu.", "thủ tục"),
    "Giá trị mục tiêu": ("Không bắt buộc", "Một số.", "20"),
    "Lĩnh vực": ("Không bắt buộc", ("Tên lĩnh vực; lĩnh vực chưa có sẽ được tạo. Để trống thì lấy tên "
                 "mục (I, II) phía trên."), "Cải cách thủ tục hành chính"),
    "Trọng số": ("Không bắt buộc", "Số không âm; để trống là 1.", "1"),
    "Tiến độ (%)": ("Không bắt buộc", "Tiến độ đã đạt, từ 0 đến 100 (đơn vị bắt đầu giữa năm).", "40"),
    "Ngày hoàn thành": ("Không bắt buộc", "Nhiệm vụ đã hoàn thành và được xác nhận vào ngày này.",
                        "10/06/2026"),
    "Giá trị thực hiện": ("Không bắt buộc", "Giá trị chỉ tiêu đã đạt.", "12"),
    "Định kỳ": ("Không bắt buộc", ("Nhiệm vụ định kỳ: Hằng tháng, Hằng quý, 6 tháng, Hằng năm "
                                   "(\"Định kỳ\" không nói rõ là hằng quý), có thể kèm ngày đến hạn. "
                                   "Mỗi kỳ trong năm thành một nhiệm vụ khi ban hành kế hoạch; số "
                                   "liệu chốt theo Nghị định 09/2019 (ngày 14), hạn mặc định 2 ngày "
                                   "làm việc sau ngày chốt. Cũng hiểu như vậy khi cột Hạn hoàn "
                                   "thành ghi \"Hằng tháng\", \"Hằng quý\"..."),
                "Hằng tháng, trước ngày 20"),
    "Trọng tâm": ("Không bắt buộc", ("Ghi x hoặc có nếu là nhiệm vụ trọng tâm; để trống nếu "
                                     "không. Sau khi kế hoạch ban hành không thay đổi được."), "x"),
    "Chiều chỉ tiêu": ("Không bắt buộc", ("cao (càng cao càng tốt, mặc định) hoặc thấp (càng "
                                          "thấp càng tốt, ví dụ số hồ sơ trễ hạn). Sau khi kế "
                                          "hoạch ban hành không thay đổi được."), "thấp"),
    "Tỷ lệ đạt (%)": ("Chỉ để xem", ("Giá trị thực hiện so với giá trị mục tiêu, tối đa 100%; "
                                     "hệ thống tự tính, không nhập."), "80"),
}

RULES = (
    ("Dòng tiêu đề (STT, Nhiệm vụ, …) có thể nằm ở bất kỳ dòng nào trong 20 dòng đầu: phía trên "
    "được để phần tên cơ quan, tên kế hoạch. Các cột có thể theo thứ tự bất kỳ, chữ hoa hay thường."),
    "Dòng trống được bỏ qua. Ô gộp (merge) theo chiều dọc được hiểu là cùng một giá trị cho các dòng.",
    "Nếu các mục I, II đánh số lại từ 1, số thứ tự được đánh tiếp liên tục qua các mục.",
    ("Công thức được đọc theo giá trị đã tính trong tệp, không bao giờ được tính lại; ô văn bản bắt "
    "đầu bằng dấu = được giữ nguyên là văn bản."),
    ("Trước khi nhập, hệ thống hiển thị bản xem trước: nhiệm vụ nào được thêm, sửa hay giữ nguyên, "
    "nhiệm vụ nào chưa đủ “sáu rõ”, và mọi lỗi theo dòng, cột. Khi còn lỗi thì không nhập gì cả."),
    ("Nhập lại cùng tệp vào cùng kế hoạch sẽ cập nhật các nhiệm vụ theo STT, không tạo bản trùng; "
    "nhiệm vụ không có trong tệp được giữ nguyên."),
    f"Tối đa {MAX_ROWS:,} dòng và 10 MB mỗi tệp.".replace(",", "."),
)


# ------------------------------------------------------------------ lists for data validation

@dataclass
class Lists:
    units: list[str]
    people: list[str]
    leaders: list[str]
    fields: list[str]


def lists_for(unit: Unit | None) -> Lists:
    """Choices offered in the template's drop-downs: the units, people, leaders and fields
    of a unit's subtree (a drop-down only helps: other values are accepted too)."""
    if unit is None:
        return Lists([], [], [], [])
    subtree = access.subtree_ids(unit.path)
    units = db.session.scalars(select(Unit.name).where(Unit.id.in_(subtree), Unit.is_active)
                               .order_by(Unit.path)).all()
    people = db.session.execute(select(User.full_name, User.username, User.role)
                                .where(User.unit_id.in_(subtree), User.is_active)
                                .order_by(User.name_sort)).all()
    # A section's plan may name its department's head or deputies (units.leading_units_above):
    # offered first among the leaders, as the task form offers them.
    above = leading_units_above(unit)
    leaders_above = db.session.execute(
        select(User.full_name, User.username, User.role).join(Unit, User.unit_id == Unit.id)
        .where(User.unit_id.in_(above), User.is_active, User.role.in_(sorted(LEADER_ROLES)))
        .order_by(Unit.path, User.name_sort, User.id)).all() if above else []
    counts: dict[str, int] = {}
    for p in (*leaders_above, *people):
        counts[p.full_name] = counts.get(p.full_name, 0) + 1

    def shown(p) -> str:
        # A name two people share would be refused as ambiguous: offer their usernames.
        return p.full_name if counts[p.full_name] == 1 else p.username

    fields = db.session.scalars(select(Field.name).where((Field.unit_id == unit.id) | Field.unit_id.is_(None))
                                .order_by(Field.name_sort)).all()
    return Lists(list(dict.fromkeys(units)), [shown(p) for p in people],
                 [shown(p) for p in (*leaders_above, *people) if p.role in LEADER_ROLES],
                 list(dict.fromkeys(fields)))


# ------------------------------------------------------------------ the workbook

def _value(v):
    """Numbers as Excel numbers without trailing zeros (120.0000 -> 120)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


class _FastCells:
    """`xlsx.cell` for many rows: the same typed, neutralised cells (text as typed, with the
    quote prefix when it looks like a formula), but each style is built once and copied
    (openpyxl hashes the font on every assignment: two thirds of the time of a 5,000-task
    export went there)."""

    def __init__(self, ws):
        self.ws = ws
        self.styles: dict = {}

    def __call__(self, value, wrap: bool = False) -> WriteOnlyCell:
        if isinstance(value, datetime):
            value = local_date(value)
        text = None
        if value is not None and not isinstance(value, (date, int, float, Decimal)):
            text = clean_text(str(value))
        key = (wrap, isinstance(value, date), text is not None and needs_quote_prefix(text))
        style = self.styles.get(key)
        if style is None:
            proto = cell(self.ws, date(2000, 1, 1) if key[1] else None, wrap=wrap)
            proto.quotePrefix = key[2]
            style = self.styles[key] = proto._style
        c = WriteOnlyCell(self.ws)
        c._style = copy(style)  # before the value: a date keeps the dd/mm/yyyy format
        if text is not None:
            c.value = text
            c.data_type = "s"  # after the value, as xlsx.cell does: text never becomes a formula
        elif value is not None:
            c.value = value
        return c


@dataclass(frozen=True)
class Noted:
    """A cell value with a note shown as the cell's comment (the value itself is unchanged,
    so the file still imports back exactly)."""

    value: object
    note: str


def imported_note(name: str, at: datetime) -> str:
    """DESIGN.md 4: a completion imported into a draft plan is shown as such in the exports."""
    return f"Hoàn thành theo số liệu nhập ({name}, {to_user_timezone(at):%d/%m/%Y %H:%M})"


def workbook_bytes(rows, lists: Lists, recurring_rows=()) -> bytes:
    """The template: the data sheet (headers in row 1, then `rows`), the occurrences of the
    recurring tasks when there are any (`recurring_rows`), the instructions and the hidden
    lists behind the drop-downs. Write-only, so a 5,000-row plan stays light."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    letter = {c.header: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    last = MAX_ROWS + 1
    for header, values, col in (("Đơn vị chủ trì", lists.units, "A"),
                                ("Người thực hiện", lists.people, "B"),
                                ("Lãnh đạo phụ trách", lists.leaders, "C"),
                                ("Lĩnh vực", lists.fields, "D")):
        if not values:
            continue
        dv = DataValidation(type="list", allow_blank=True, showErrorMessage=True, errorStyle="warning",
                            formula1=f"'{LIST_SHEET}'!${col}$2:${col}${len(values) + 1}",
                            errorTitle="Giá trị ngoài danh sách",
                            error="Giá trị không có trong danh sách. Vẫn có thể dùng mã, tên đăng "
                                  "nhập hoặc email.")
        dv.add(f"{letter[header]}2:{letter[header]}{last}")
        ws.data_validations.append(dv)
    header_cells = []
    for h in HEADERS:
        c = cell(ws, h, bold=True)
        c.alignment = _HEADER_ALIGN
        header_cells.append(c)
    ws.append(header_cells)
    fast = _FastCells(ws)
    for row in rows:
        cells = []
        for v in row:
            note = None
            if isinstance(v, Noted):
                v, note = v.value, v.note
            c = fast(_value(v), wrap=isinstance(v, str) and "\n" in v)
            if note:
                c.comment = Comment(note, "Sáu Rõ")
            cells.append(c)
        ws.append(cells)

    recurring_rows = list(recurring_rows)
    if recurring_rows:
        rws = wb.create_sheet(RECURRING_SHEET)
        for i, width in enumerate((10, 22, 60, 30, 26, 26, 14, 14, 10, 18, 14), start=1):
            rws.column_dimensions[get_column_letter(i)].width = width
        rws.freeze_panes = "A2"
        rws.append([cell(rws, h, bold=True) for h in RECURRING_HEADERS])
        rfast = _FastCells(rws)
        for row in recurring_rows:
            rws.append([rfast(_value(v)) for v in row])

    help_ws = wb.create_sheet(HELP_SHEET)
    for i, width in enumerate((22, 16, 80, 40), start=1):
        help_ws.column_dimensions[get_column_letter(i)].width = width
    help_ws.append([cell(help_ws, "HƯỚNG DẪN NHẬP KẾ HOẠCH TỪ EXCEL", bold=True)])
    help_ws.append([])
    help_ws.append([cell(help_ws, h, bold=True) for h in ("Cột", "Thuộc", "Cách ghi", "Ví dụ")])
    for h in HEADERS:
        need, how, example = HELP[h]
        help_ws.append([cell(help_ws, h, bold=True), cell(help_ws, need), cell(help_ws, how, wrap=True),
                        cell(help_ws, example, wrap=True)])
    help_ws.append([])
    help_ws.append([cell(help_ws, "Quy tắc chung", bold=True)])
    for rule in RULES:
        help_ws.append([None, None, cell(help_ws, rule, wrap=True)])

    list_ws = wb.create_sheet(LIST_SHEET)
    list_ws.sheet_state = "hidden"
    cols = (lists.units, lists.people, lists.leaders, lists.fields)
    list_ws.append([cell(list_ws, h, bold=True) for h in ("Đơn vị", "Người", "Lãnh đạo", "Lĩnh vực")])
    for i in range(max((len(c) for c in cols), default=0)):
        list_ws.append([cell(list_ws, c[i] if i < len(c) else None) for c in cols])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def template_bytes(unit: Unit | None) -> bytes:
    """The empty template, with the drop-downs of `unit` when given."""
    return workbook_bytes([], lists_for(unit))


# ------------------------------------------------------------------ the plan as rows

def export_tasks(plan: Plan, recurring: bool | None = False) -> list[Task]:
    """The plan's tasks in tree order with what the columns need (cancelled ones left out:
    the template has no place for a cancellation and its reason); the occurrences of its
    recurring tasks only (`recurring`), or every other task (they come from their rule, which
    the template does not re-import row by row); both with `recurring` None (the print)."""
    which = (Task.id.is_not(None) if recurring is None
             else Task.recurring_rule_id.is_not(None) if recurring
             else Task.recurring_rule_id.is_(None))
    return db.session.scalars(select(Task).where(Task.plan_id == plan.id, which,
                                                 Task.status != Lifecycle.CANCELLED)
                              .options(selectinload(Task.steps), selectinload(Task.coordinators),
                                       selectinload(Task.lead_unit), selectinload(Task.assignee),
                                       selectinload(Task.leader), selectinload(Task.field))
                              .order_by(Task.order_key, Task.id)).all()


def _steps_text(task: Task) -> str:
    lines = [s.title + (f" (hạn {s.due_on:%d/%m/%Y})" if s.due_on else "") for s in task.steps]
    text = "\n".join(lines)
    if len(lines) == 1 and ";" in text:
        text += "\n"  # one step holding a ";": the line end keeps it one step on import
    return text


class _Names:
    """How each unit and person is written so that the importer finds them again: the name
    when it is unique where the importer looks, otherwise the code or the username."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.dir = Directory(plan.unit, [])
        self.plan_unit = self.dir.units.get(plan.unit_id) or UnitRef(
            plan.unit_id, plan.unit.code, plan.unit.name, plan.unit.path)
        dupes = db.session.execute(select(Unit.name).where(Unit.is_active).group_by(Unit.name)
                                   .having(func.count(Unit.id) > 1)).scalars().all()
        self.ambiguous_units = set(dupes)

    def unit(self, u: Unit | None) -> str:
        if u is None:
            return ""
        return u.code if u.name in self.ambiguous_units else u.name

    def person(self, p: User | None, scope: tuple, exact: bool) -> str:
        if p is None:
            return ""
        found, _err = self.dir.person(p.full_name, scope, exact, "")
        return p.full_name if found is not None and found.id == p.id else p.username

    def scopes(self, task: Task) -> tuple[tuple, tuple]:
        lead = self.dir.units.get(task.lead_unit_id) if task.lead_unit_id else None
        if lead is not None:
            self.dir.ensure_subtree(lead)
        assignee_scope = (lead or self.plan_unit,)
        leader_scope = (self.plan_unit,) + ((lead,) if lead and lead.id != self.plan_unit.id else ())
        return assignee_scope, leader_scope


def plan_rows(plan: Plan, tasks: list[Task]):
    """One template row per task, in the columns' order."""
    names = _Names(plan)
    ids = {t.completion_imported_by_id for t in tasks if t.completion_imported_by_id}
    importers = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) \
        if ids else {}
    for t in tasks:
        a_scope, l_scope = names.scopes(t)
        completed = t.completed_on if t.status == Lifecycle.COMPLETED else None
        if completed and t.completion_imported_at:
            who = importers.get(t.completion_imported_by_id) or "hệ thống"
            completed = Noted(completed, imported_note(who, t.completion_imported_at))
        yield [
            t.stt, t.title, t.description or "", names.unit(t.lead_unit),
            "; ".join(names.unit(u) for u in sorted(t.coordinators, key=lambda u: u.id)),
            names.person(t.assignee, a_scope, False), names.person(t.leader, l_scope, True),
            t.responsibility or "", _steps_text(t), t.start_on, t.due_on, t.output_product or "",
            t.indicator_name or "", t.indicator_unit or "", t.indicator_target,
            t.field.name if t.field else "", t.weight, t.progress, completed, t.indicator_actual,
            "",
            "x" if t.is_key else "",
            ("thấp" if t.indicator_direction == "lower" else "cao") if t.indicator_target is not None else "",
            t.achievement,
        ]


def recurring_rows(plan: Plan, tasks: list[Task]):
    """One row per occurrence, with its period ("Kỳ: Tháng 3/2026")."""
    for t in tasks:
        yield [t.stt, f"Kỳ: {period_vi(t.period_code or '', plan.year)}", t.title,
               t.lead_unit.name if t.lead_unit else "",
               t.assignee.full_name if t.assignee else "", t.leader.full_name if t.leader else "",
               t.start_on, t.due_on, t.progress, LIFECYCLE_VI.get(str(t.status), str(t.status)),
               t.completed_on if t.status == Lifecycle.COMPLETED else None]


LIFECYCLE_VI = {"draft": "Dự thảo", "assigned": "Đã giao", "in_progress": "Đang thực hiện",
                "submitted": "Chờ xác nhận", "returned": "Trả lại", "completed": "Hoàn thành",
                "cancelled": "Đã hủy", "suspended": "Tạm dừng"}


def export_bytes(plan: Plan) -> bytes:
    """The plan in the import template, ready to edit and import again; the occurrences of
    its recurring tasks, with their periods, on a sheet of their own."""
    tasks = export_tasks(plan)
    occurrences = export_tasks(plan, recurring=True)
    return workbook_bytes(plan_rows(plan, tasks), lists_for(plan.unit),
                          recurring_rows(plan, occurrences))


def file_name(plan: Plan, suffix: str) -> str:
    return f"ke-hoach-{plan.unit.code}-{plan.year}-{plan.kind}{suffix}"


# ------------------------------------------------------------------ the printable plan

@dataclass
class PrintDocument:
    plan: Plan
    doc: OfficialDocument
    tasks: list[Task]


def _signer_name(plan: Plan) -> str:
    """Who issued the plan, else the unit's head when it has exactly one (else a blank to
    sign by hand)."""
    if plan.issued_by_id is not None:
        return db.session.scalar(select(User.full_name).where(User.id == plan.issued_by_id)) or ""
    return unit_head_name(plan.unit)


def print_title(plan: Plan) -> str:
    """The plan's title under "KẾ HOẠCH", without repeating the word (issue 17)."""
    t = plan.title.strip()
    if t[:8].casefold() == "kế hoạch":
        t = t[8:].lstrip(" :-–")
        t = t[:1].upper() + t[1:]
    return t


def print_document(plan: Plan, today: date) -> PrintDocument:
    """What the official layout shows: the issuing body (the plan's unit under its parent),
    the place and date line (the document's date, else today), the tasks, and the closing
    block: the recipients (nơi nhận) and who signs."""
    doc = official_document(
        plan.unit, plan.doc_date or today, "KẾ HOẠCH", print_title(plan),
        number=plan.doc_number or "",
        recipients=(parent_recipient(plan.unit),
                    "Các đơn vị, cá nhân có tên tại Kế hoạch (để thực hiện);"),
        signer_name=_signer_name(plan))
    return PrintDocument(plan, doc, export_tasks(plan, recurring=None))


PRINT_HEADERS = ("STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Người thực hiện",
                 "Lãnh đạo phụ trách", "Thời gian thực hiện", "Sản phẩm đầu ra")


def print_rows(doc: PrintDocument):
    """The printed plan's table, row by row, as the print page shows it."""
    for t in doc.tasks:
        when = (f"{t.start_on:%d/%m/%Y} – " if t.start_on else "") + (f"{t.due_on:%d/%m/%Y}" if t.due_on else "")
        title = t.title + (f"\nKỳ: {period_vi(t.period_code, doc.plan.year)}" if t.period_code else "")
        yield (t.stt, title, t.lead_unit.name if t.lead_unit else "",
               "; ".join(u.name for u in t.coordinators), t.assignee.full_name if t.assignee else "",
               t.leader.full_name if t.leader else "", when, t.output_product or "")


def word_bytes(doc: PrintDocument) -> bytes:
    """The printed plan as a Word document in the same layout (issue 17)."""
    return document_bytes(doc.doc, [WordTable("", PRINT_HEADERS, print_rows(doc))])
