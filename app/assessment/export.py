"""The assessor's deliverable: an assessment report (live or frozen) as XLSX and CSV.

Three tables with fixed Vietnamese headers: units, leaders (heads and deputies), and
the tasks behind every figure with each task's outcome, weight and credit. The task
table streams: live reports read it with a server-side cursor (yield_per), frozen runs
read their stored AssessmentTaskRow rows the same way, and the XLSX is written row by
row by xlsx.XlsxStream, so 100,000 tasks never sit in memory at once.

Nothing a user typed can become a formula. In the XLSX, text is written exactly as typed
as a string cell (never evaluated), and text starting with = + - @ tab or carriage return
takes Excel's quote-prefix style so that editing the cell keeps it text (xlsx.XlsxStream);
the CSV, which has no styles, gives such text a leading apostrophe (xlsx.safe_text)."""

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.assessment.browse import subtree_rows
from app.assessment.service import (
    Report,
    Row,
    counted_tasks,
    counted_weights_cte,
    counts_for_leader,
    counts_for_unit,
    credit_case,
    credit_places,
    leader_weight,
    outcome_case,
    period_label,
    unit_weight,
)
from app.domain.scoring import GRADE_LABELS, Outcome
from app.domain.status import EXCLUDED_STATUSES
from app.extensions import db
from app.models import AssessmentTaskRow, AssessmentUnitRow, Task, Unit, User
from app.models.user import Role
from app.reports import xlsx
from app.reports.document import (
    MOTTO,
    NATION,
    OfficialDocument,
    date_line,
    default_issuer,
    default_place,
    official_document,
    parent_recipient,
)
from app.reports.local import local_date
from app.reports.word import WordTable, document_bytes

UNIT_SHEET, LEADER_SHEET, TASK_SHEET = "Đơn vị", "Lãnh đạo", "Nhiệm vụ"

# Tables speak people's language (issue 17): a running STT first, units by name (the code
# kept beside it for matching), leaders by full name and position, the unit by name.
UNIT_HEADERS = ("STT", "Tên đơn vị", "Mã đơn vị", "Số nhiệm vụ", "Đến hạn", "Hoàn thành đúng hạn",
                "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành", "Trong hạn",
                "Tỷ lệ hoàn thành (%)", "Tỷ lệ đúng hạn (%)", "Điểm trách nhiệm", "Xếp loại",
                "Số lần gia hạn", "Số lần điều chỉnh", "Số nhiệm vụ bổ sung", "Số nhiệm vụ hủy")
LEADER_HEADERS = ("STT", "Họ và tên", "Chức vụ", "Đơn vị", "Tên đăng nhập", "Đến hạn",
                  "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành",
                  "Tỷ lệ hoàn thành (%)", "Tỷ lệ đúng hạn (%)", "Điểm trách nhiệm", "Xếp loại",
                  "Số lần gia hạn", "Số lần điều chỉnh", "Số nhiệm vụ bổ sung", "Số nhiệm vụ hủy")
# A frozen run's unit and leader tables end with the competent authority's decision.
FINAL_HEADERS = ("Xếp loại cuối cùng (cấp có thẩm quyền)", "Số quyết định", "Ngày quyết định",
                 "Lý do")
# Beside the task score, the quality-of-operation result (DESIGN.md 8) when the report
# carries it: the points and what they are.
QUALITY_HEADERS = ("Điểm chất lượng hoạt động", "Căn cứ điểm chất lượng hoạt động")
QUALITY_NOTES = {"appraised": "Điểm thẩm định", "self": "Điểm tự chấm",
                 "open": "Đơn vị chưa gửi phiếu chấm điểm",
                 "none": "Không có tiêu chí thuộc lĩnh vực phụ trách"}
TASK_HEADERS = ("STT", "Đơn vị chủ trì", "STT trong kế hoạch", "Nhiệm vụ", "Người thực hiện",
                "Lãnh đạo phụ trách",
                "Hạn hoàn thành", "Ngày hoàn thành", "Tình trạng", "Trọng số",
                "Trọng số tính cho đơn vị", "Điểm", "Số lần gia hạn", "Số lần điều chỉnh",
                "Bổ sung sau khi ban hành", "Ghi chú")
SUBTREE_NAME = "{name} (kể cả đơn vị trực thuộc)"
# Work added after issue (bổ sung): a task row says so; a run frozen before 0023 did not
# record it ("—", never a made-up 0 or "Không").
ADDED_YES, ADDED_NO, UNKNOWN = "Có", "Không", "—"
# The task table's notes: what an assessor must see beside a task's outcome.
NOTE_IMPORTED = "nhập từ tệp"
NOTE_NOT_FOR_UNIT = "không tính cho đơn vị chủ trì (tính ở nhiệm vụ con)"
NOTE_NOT_FOR_LEADER = "không tính cho lãnh đạo phụ trách (tính ở nhiệm vụ con)"
NOTE_LEFT_LATE = "hủy hoặc tạm dừng sau khi đã đến hạn: vẫn tính là chưa hoàn thành"
# A sub-task shares its parent's weight per lead unit and per leader (docs/integrity.md):
# the table's counted weight and credit are the unit's; the leader's, when it differs.
NOTE_LEADER_WEIGHT = "trọng số tính cho lãnh đạo phụ trách: {weight}, điểm: {credit}"

OUTCOME_LABELS = {
    Outcome.ON_TIME: "Hoàn thành đúng hạn",
    Outcome.LATE: "Hoàn thành quá hạn",
    Outcome.OVERDUE: "Quá hạn chưa hoàn thành",
    Outcome.WITHIN: "Trong hạn",
    Outcome.EXCLUDED: "Đã hủy hoặc tạm dừng",
}
ROLE_LABELS = {Role.HEAD: "Người đứng đầu", Role.DEPUTY: "Cấp phó"}
FALLEN_DUE = (Outcome.ON_TIME, Outcome.LATE, Outcome.OVERDUE)

TITLES = {
    UNIT_SHEET: "BẢNG TỔNG HỢP KẾT QUẢ THỰC HIỆN NHIỆM VỤ VÀ ĐIỂM TRÁCH NHIỆM",
    LEADER_SHEET: "BẢNG TỔNG HỢP ĐIỂM TRÁCH NHIỆM CỦA NGƯỜI ĐỨNG ĐẦU VÀ CẤP PHÓ",
    TASK_SHEET: "DANH SÁCH NHIỆM VỤ, TÌNH TRẠNG VÀ ĐIỂM TỪNG NHIỆM VỤ",
}

CSV_FILES = {"units": "don-vi.csv", "leaders": "lanh-dao.csv", "tasks": "nhiem-vu.csv"}
YIELD_PER = 1000
TWO = Decimal("0.01")


# ------------------------------------------------------------ table rows

def _rate(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(TWO)


def _vi(value) -> str:
    """A number in a note, as Vietnamese writes it: 1,5."""
    return str(value).replace(".", ",")


def _number(value) -> int | Decimal:
    """A weight or a credit without trailing zeros: 1, 1.5, 1.125."""
    d = Decimal(str(value)).normalize()
    return int(d) if d == d.to_integral_value() else d


def _additions(value: int | None) -> int | str:
    """Tasks added after issue; "—" in a run frozen before they were counted (not a 0)."""
    return UNKNOWN if value is None else value


def _added(value: bool | None) -> str:
    """A task row's "Bổ sung sau khi ban hành": "Có", "Không", "—" when not recorded."""
    return UNKNOWN if value is None else (ADDED_YES if value else ADDED_NO)


def _grade(row: Row) -> str:
    return GRADE_LABELS[row.grade][0]


def _final_cells(report: Report, r: Row) -> list:
    """A frozen run's final-grade cells (none for live figures)."""
    if report.run is None:
        return []
    f = r.final
    if f is None:
        return [None, None, None, None]
    return [GRADE_LABELS[f.grade][0], f.decision_no, f.decision_on, f.reason]


def _quality_cells(report: Report, r: Row | None) -> list:
    """The quality result's cells (none when the report carries no quality results)."""
    if not report.with_quality:
        return []
    qr = r.quality if r is not None else None
    if qr is None:
        return [None, None]
    if qr.points is None:
        return [None, QUALITY_NOTES["open" if qr.status == "open" else "none"]]
    return [_rate(qr.points), QUALITY_NOTES["appraised" if qr.is_appraised else "self"]]


def unit_headers(report: Report) -> tuple[str, ...]:
    return (UNIT_HEADERS + (QUALITY_HEADERS if report.with_quality else ())
            + (FINAL_HEADERS if report.run is not None else ()))


def leader_headers(report: Report) -> tuple[str, ...]:
    return (LEADER_HEADERS + (QUALITY_HEADERS if report.with_quality else ())
            + (FINAL_HEADERS if report.run is not None else ()))


def task_headers(report: Report) -> tuple[str, ...]:
    return TASK_HEADERS


def _unit_figures(r: Row) -> list:
    t = r.tally
    return [t.tasks, t.fallen_due, t.on_time, t.late, t.overdue, t.within,
            _rate(t.completion_rate), _rate(t.on_time_rate), _rate(t.score), _grade(r),
            t.extensions, t.amendments, _additions(t.additions), t.cancellations]


def unit_rows(report: Report) -> Iterator[list]:
    """The `Đơn vị` table, one list per unit in tree order, numbered; a unit with sub-units
    is followed by its figures together with theirs ("kể cả đơn vị trực thuộc", unnumbered
    and without a code), as the page shows them."""
    subtree = subtree_rows(report.units, report.settings)
    blanks = [None] * len(FINAL_HEADERS) if report.run is not None else []
    for n, r in enumerate(report.units, start=1):
        yield [n, r.name, r.code, *_unit_figures(r), *_quality_cells(report, r),
               *_final_cells(report, r)]
        st = subtree.get(r.key)
        if st is not None:
            yield [None, SUBTREE_NAME.format(name=r.name), None, *_unit_figures(st),
                   *_quality_cells(report, None), *blanks]


def leader_rows(report: Report) -> Iterator[list]:
    """The `Lãnh đạo` table: every head (the unit's figures) and deputy (their tasks)."""
    names = report.unit_names
    titles = leader_titles([r.key for r in report.leaders])
    for n, r in enumerate(report.leaders, start=1):
        t = r.tally
        yield [n, r.name, titles.get(r.key) or ROLE_LABELS.get(r.role, r.role),
               names.get(r.unit_code, r.unit_code), r.username, t.fallen_due,
               t.on_time, t.late, t.overdue, _rate(t.completion_rate), _rate(t.on_time_rate),
               _rate(t.score), _grade(r), t.extensions, t.amendments, _additions(t.additions),
               t.cancellations,
               *_quality_cells(report, r), *_final_cells(report, r)]


def leader_titles(ids: list[int]) -> dict[int, str]:
    """The leaders' own titles ("Phó Giám đốc"), where recorded: one query. The "Chức vụ"
    of the sheet and of the assessment page (app/templates/assessment/_report.html), the
    role's name where none is recorded."""
    if not ids:
        return {}
    return {k: v for k, v in db.session.execute(
        select(User.id, User.title).where(User.id.in_(ids), User.title.is_not(None))).all() if v}


_OUTCOMES = {o.value: o for o in Outcome}
_SHOWN_COMPLETION = (Outcome.ON_TIME, Outcome.LATE)


def live_task_query(report: Report):
    """The tasks behind a live report, in tree order: the same rows a freeze stores."""
    lead, assignee, leader = aliased(Unit), aliased(User), aliased(User)
    p = report.period
    cw = counted_weights_cte()
    q = (select(lead.code, Task.stt, Task.title, func.coalesce(assignee.full_name, ""),
                func.coalesce(leader.full_name, ""), Task.due_on, Task.completed_on,
                outcome_case(report.as_of, report.today), Task.weight, unit_weight(cw),
                credit_case(report.as_of, report.today, report.settings, unit_weight(cw)),
                Task.extension_count, Task.amendment_count, Task.added_after_issue, Task.status,
                Task.completion_imported_at.is_not(None), counts_for_unit(), counts_for_leader(),
                leader_weight(cw),
                credit_case(report.as_of, report.today, report.settings, leader_weight(cw)))
         .select_from(Task)
         .outerjoin(cw, cw.c.id == Task.id)
         .join(lead, lead.id == Task.lead_unit_id)
         .outerjoin(assignee, assignee.id == Task.assignee_id)
         .outerjoin(leader, leader.id == Task.leader_id)
         .where(counted_tasks(p))
         .order_by(lead.path, Task.plan_id, Task.order_key, Task.id))
    if report.scope_path is not None:
        q = q.where(lead.path.like(report.scope_path + "%"))
    return q


def frozen_task_query(report: Report):
    t = AssessmentTaskRow
    q = (select(t.unit_code, t.stt, t.title, t.assignee_name, t.leader_name, t.due_on,
                t.completed_on, t.outcome, t.weight, t.unit_weight, t.credit, t.extensions,
                t.amendments, t.added_after_issue, t.status, t.is_imported, t.counts_for_unit, t.counts_for_leader,
                t.leader_weight, t.leader_credit)
         .where(t.run_id == report.run.id).order_by(t.id))
    if report.scope_path is not None:
        # A reader's part of a frozen run (a head's subtree, by its frozen path): only
        # the task rows of the units in it.
        u = AssessmentUnitRow
        q = q.where(t.unit_id.in_(select(u.unit_id).where(
            u.run_id == report.run.id, u.unit_path.like(report.scope_path + "%"))))
    return q


def task_note(outcome: Outcome, status: str, imported, for_unit, for_leader) -> str:
    """The notes of a task row: an imported completion, a cancellation that could not
    erase a failure, a parent counted at its sub-tasks (DESIGN.md 4 and 5)."""
    notes = []
    if imported:
        notes.append(NOTE_IMPORTED)
    if status in EXCLUDED_STATUSES and outcome != Outcome.EXCLUDED:
        notes.append(NOTE_LEFT_LATE)
    if not for_unit:
        notes.append(NOTE_NOT_FOR_UNIT)
    if not for_leader:
        notes.append(NOTE_NOT_FOR_LEADER)
    return "; ".join(notes)


def task_rows(report: Report, yield_per: int = YIELD_PER) -> Iterator[list]:
    """The `Nhiệm vụ` table, streamed: a generator over a server-side cursor, fetching
    `yield_per` rows at a time, never the whole list."""
    if report.run is not None:
        q, places = frozen_task_query(report), None
    else:
        q, places = live_task_query(report), credit_places(report.settings)
    # Plain rows (Core), not ORM rows: the ORM's row loading cost as much as the query.
    result = db.session.connection().execute(q, execution_options={"yield_per": yield_per})
    # Weights and credits take a few distinct values: each is converted once.
    weights: dict = {}
    credits: dict = {}
    names = report.unit_names
    n = 0

    def number(value, cache):
        w = cache.get(value)
        if w is None:
            w = _number(Decimal(str(value)).quantize(TWO))  # SQLite: floating point
            if len(cache) < 10_000:
                cache[value] = w
        return w

    def credit_of(outcome, credit):
        # Only a fallen-due task earns (or loses) credit; the others are left out.
        if outcome not in FALLEN_DUE:
            return None
        c = credits.get(credit)
        if c is None:
            c = Decimal(str(credit))
            if places is not None:
                c = c.quantize(places)  # SQLite multiplies in floating point
            c = _number(c)
            if len(credits) < 10_000:
                credits[credit] = c
        return c

    try:
        for row in result:
            n += 1
            (unit_code, stt, title_, assignee, leader, due_on, completed_on, result_, weight,
             counted, credit, ext, amend, added, status, imported, for_unit, for_leader,
             leader_counted, leader_credit) = row
            outcome = _OUTCOMES[result_]
            w, cw = number(weight, weights), number(counted, weights)
            c = credit_of(outcome, credit)
            note = task_note(outcome, status, imported, for_unit, for_leader)
            lw = number(leader_counted, weights)
            if for_leader and lw != cw:
                lc = credit_of(outcome, leader_credit)
                extra = NOTE_LEADER_WEIGHT.format(weight=_vi(lw), credit=_vi(lc) if lc is not None else "—")
                note = f"{note}; {extra}" if note else extra
            yield [n, names.get(unit_code, unit_code), stt or "", title_, assignee or "",
                   leader or "", due_on,
                   # Judged with what was known as of the date: a later completion is not shown.
                   completed_on if outcome in _SHOWN_COMPLETION else None,
                   OUTCOME_LABELS[outcome], w, cw, c, int(ext or 0), int(amend or 0),
                   _added(added), note]
    finally:
        result.close()


# ------------------------------------------------------------ header block

@dataclass(frozen=True)
class Letterhead:
    """The official header block: the issuing body (one line each, e.g. "UBND TỈNH ĐẮK
    LẮK" then "SỞ NỘI VỤ"), the place of the date line and the date of issue."""

    issuer: tuple[str, ...]
    place: str
    issued_on: date

    @classmethod
    def of(cls, issuer: str | Sequence[str], place: str, issued_on: date):
        if isinstance(issuer, str):
            issuer = issuer.splitlines()
        lines = tuple(s.strip() for s in issuer if s and s.strip())
        return cls(lines, (place or "").strip(), issued_on)


def title(report: Report, sheet: str = UNIT_SHEET) -> str:
    """The sheet's title with the period as an official names it: "… — Quý II năm 2026
    (tính đến ngày 15/06/2026)"."""
    return (f"{TITLES[sheet]} — {period_label(report.period.code)} "
            f"(tính đến ngày {report.as_of:%d/%m/%Y})")


def source_line(report: Report) -> str:
    run = report.run
    if run is None:
        return "Số liệu trực tiếp, chưa chốt"
    # An instant, stored in UTC: its date where the run was frozen (issue 17: a run frozen
    # at 06:23 on 07/12 printed "chốt ngày 06/12").
    made = f", chốt ngày {local_date(run.created_at):%d/%m/%Y}" if run.created_at else ""
    return f"Số liệu đã chốt: phiên bản {run.version}{made}"


REPORT_KIND = "BÁO CÁO"
REPORT_TITLE = "Kết quả thực hiện nhiệm vụ và điểm trách nhiệm {period}"


def report_document(report: Report, issuer_unit: Unit | None, issued_on: date) -> OfficialDocument:
    """The assessment report as an official document (the print page; Decree 30/2020):
    issued by the scope's unit (the province when everyone is assessed), sent up to its
    parent and to the units it names."""
    label = period_label(report.period.code)
    return official_document(
        issuer_unit, issued_on, REPORT_KIND,
        REPORT_TITLE.format(period=label[:1].lower() + label[1:]),  # "quý II năm 2026"
        recipients=(parent_recipient(issuer_unit), "Các cơ quan, đơn vị có tên trong Báo cáo;"))


# The Word report's tables: the figures an official signs (the full tables are in the XLSX).
WORD_UNIT_COLUMNS = (0, 1, 3, 4, 5, 6, 7, 9, 10, 11, 12)  # of UNIT_HEADERS
WORD_LEADER_COLUMNS = (0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12)  # of LEADER_HEADERS


def word_bytes(report: Report, issuer_unit: Unit | None, issued_on: date, due_only: bool) -> bytes:
    """The assessment report as Word, in the print page's layout (issue 17); `due_only`
    leaves out the units and leaders with nothing fallen due, as the print page can."""
    def units():
        for row in unit_rows(report):
            if not due_only or row[4]:
                yield [row[i] for i in WORD_UNIT_COLUMNS]

    def leaders():
        for row in leader_rows(report):
            if not due_only or row[5]:
                yield [row[i] for i in WORD_LEADER_COLUMNS]

    p = report.period
    subtitle = (f"({period_label(p.code)}: {p.start:%d/%m/%Y} – {p.end:%d/%m/%Y}; tính đến ngày "
                f"{report.as_of:%d/%m/%Y}; {source_line(report)})")
    return document_bytes(report_document(report, issuer_unit, issued_on), [
        WordTable("I. Kết quả của các cơ quan, đơn vị",
                  [UNIT_HEADERS[i] for i in WORD_UNIT_COLUMNS], units()),
        WordTable("II. Kết quả của người đứng đầu và cấp phó",
                  [LEADER_HEADERS[i] for i in WORD_LEADER_COLUMNS], leaders()),
    ], subtitle)


# The quota groups (domain.scoring.quota_group) as an official names them.
GROUP_LABELS = {
    "province": "tỉnh, thành phố",
    "department": "sở, ban, ngành",
    "office": "văn phòng, trung tâm",
    "section": "phòng thuộc đơn vị",
    "commune": "xã, phường, đặc khu",
    "other": "đơn vị khác",
}


def warning_lines(report: Report, sheet: str) -> list[str]:
    """The quota warnings under a table, one per group of units of one kind."""
    labels = {UNIT_SHEET: {"units": "đơn vị"},
              LEADER_SHEET: {"heads": "người đứng đầu", "deputies": "cấp phó"}}[sheet]
    share = f"{(report.settings.excellent_quota * 100).normalize():f}%"
    out = []
    for gw in report.warnings:
        label = labels.get(gw.who)
        if label is None:
            continue
        w = gw.warning
        group = GROUP_LABELS.get(gw.group, gw.group)
        out.append(f"Lưu ý: trong nhóm {group}, số {label} đạt mức xuất sắc ({w.excellent}) vượt "
                   f"{share} số đạt mức tốt ({w.good}); xếp loại cuối cùng do cấp có thẩm quyền "
                   f"quyết định.")
    return out


# ------------------------------------------------------------ XLSX

# Per sheet: column widths, the columns under the issuing body (the rest sit under the
# national motto), number formats by column, and wrapped columns.
_LAYOUT = {
    UNIT_SHEET: {"widths": (6, 36, 12, 10, 9, 12, 12, 13, 9, 12, 12, 12, 24, 10, 10, 10, 10,
                            24, 14, 12, 30), "left": 3,
                     "formats": {9: "0.00", 10: "0.00", 11: "0.00"}, "wrap": {1, 12, 17, 20}},
    LEADER_SHEET: {"widths": (6, 26, 18, 30, 16, 9, 12, 12, 13, 12, 12, 12, 24, 10, 10, 10, 10,
                              24, 14, 12, 30), "left": 3,
                       "formats": {9: "0.00", 10: "0.00", 11: "0.00"}, "wrap": {1, 2, 3, 12, 17, 20}},
    TASK_SHEET: {"widths": (6, 24, 8, 52, 22, 22, 13, 13, 20, 9, 11, 9, 9, 9, 11, 30), "left": 3,
                     "formats": {9: "0.00", 10: "0.00", 11: "0.00##"},
                     "wrap": {1, 3, 4, 5, 8, 10, 15}},
}
FOOTER = f'&C&"{xlsx.FONT_NAME},Regular"Trang &P/&N'


class _Styles:
    """The workbook's few styles, registered once: the header block's (plain, bold and
    italic text centred across its columns, the title), the header row's, the notes'."""

    def __init__(self, book: xlsx.XlsxStream):
        across = {"horizontal": "centerContinuous", "vertical": "center"}
        self.plain = book.style(**across)
        self.bold = book.style(bold=True, **across)
        self.italic = book.style(italic=True, **across)
        self.title = book.style(bold=True, size=14, **across)
        self.head = book.style(bold=True, horizontal="center", vertical="center", wrap=True)
        self.note = book.style(italic=True, vertical="top")


def _block_rows(head: Letterhead) -> int:
    """The rows of the header block: the issuer beside the motto and the date line, a
    blank row, the title, the source of the figures, a blank row."""
    return max(len(head.issuer), 3) + 4


def _header_block(ws: xlsx.SheetStream, st: _Styles, report: Report, sheet: str,
                  head: Letterhead, ncols: int) -> None:
    """Write the official header block (_block_rows(head) rows). Texts are centred across
    plain cells, not merged (a merged block would not stream)."""
    left = _LAYOUT[sheet]["left"]
    right = ncols - left
    issuer = list(head.issuer) or [""]
    rights = [(NATION, st.bold), (MOTTO, st.bold), (date_line(head.place, head.issued_on), st.italic)]
    for i in range(max(len(issuer), len(rights))):
        text = issuer[i] if i < len(issuer) else None
        # The issuing body itself in bold, the bodies above it in plain type.
        font = st.bold if i == len(issuer) - 1 else st.plain
        rtext, rfont = rights[i] if i < len(rights) else (None, st.plain)
        ws.row([text] + [None] * (left - 1) + [rtext] + [None] * (right - 1),
               [font] * left + [rfont] * right)
    ws.blank()
    ws.row([title(report, sheet)] + [None] * (ncols - 1), st.title)
    ws.row([source_line(report)] + [None] * (ncols - 1), st.italic)
    ws.blank()


def _sheet(book: xlsx.XlsxStream, st: _Styles, report: Report, sheet: str,
           headers: Sequence[str], rows: Iterable[list], head: Letterhead,
           notes: Sequence[str] = ()) -> None:
    layout = _LAYOUT[sheet]
    header_row = _block_rows(head) + 1
    ws = book.sheet(sheet, widths=layout["widths"], freeze_rows=header_row,
                    print_title_row=header_row, landscape=True, fit_to_width=True,
                    margins=(0.6, 0.4, 0.6, 0.6), center_horizontally=True, footer=FOOTER)
    _header_block(ws, st, report, sheet, head, len(headers))
    ws.row(list(headers), st.head)
    ws.rows(rows, [book.column(wrap=i in layout["wrap"],
                               number_format=layout["formats"].get(i, "General"))
                   for i in range(len(headers))])
    if notes:
        ws.blank()
        for note in notes:
            ws.row([note], st.note)
    ws.close()


def write_xlsx(report: Report, out: BinaryIO, issuer: str | Sequence[str], place: str,
               issued_on: date) -> None:
    """The three sheets, streamed to the binary file `out` (xlsx.XlsxStream); the letterhead
    dates the document `issued_on` (today, from the caller's clock)."""
    head = Letterhead.of(issuer, place, issued_on)
    with xlsx.XlsxStream(out, title=title(report), creator="Sáu Rõ") as book:
        st = _Styles(book)
        _sheet(book, st, report, UNIT_SHEET, unit_headers(report), unit_rows(report), head,
               warning_lines(report, UNIT_SHEET))
        _sheet(book, st, report, LEADER_SHEET, leader_headers(report), leader_rows(report), head,
               warning_lines(report, LEADER_SHEET))
        _sheet(book, st, report, TASK_SHEET, task_headers(report), task_rows(report), head)


def xlsx_bytes(report: Report, issuer: str | Sequence[str], place: str,
               issued_on: date) -> bytes:
    out = io.BytesIO()
    write_xlsx(report, out, issuer, place, issued_on)
    return out.getvalue()


# ------------------------------------------------------------ CSV

# The CSV dialects (issue 17): Excel with Vietnamese regional settings splits fields on ";"
# and reads "85,71" as a number; with English settings, "," and "85.71". Vietnamese is the
# default of the exports.
CSV_DIALECTS = {"vi": (";", True), "en": (",", False)}


def csv_dialect(locale: str | None) -> tuple[str, bool]:
    """(field separator, decimal comma) for a reader's language."""
    return CSV_DIALECTS.get(str(locale or "vi"), CSV_DIALECTS["vi"])


def csv_value(value, decimal_comma: bool = False) -> str:
    """Text neutralised for CSV (an apostrophe before = + - @ tab or carriage return at the
    start, and before = + - @ after a separator: a CSV cell has no quote-prefix style;
    xlsx.safe_text), numbers plain (with a decimal comma when asked), dates dd/mm/yyyy,
    None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        value = local_date(value)  # an instant: its date in the province
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",") if decimal_comma else text
    return xlsx.safe_text(str(value))


def write_csv(out: BinaryIO, headers: Sequence[str], rows: Iterable[Sequence],
              locale: str = "vi") -> None:
    """RFC 4180 (the csv module's excel dialect: CRLF, quotes doubled) with the reader's
    separator and decimal mark (csv_dialect), every field quoted (a separator inside a
    field, whatever list separator the reader uses, stays inside it), UTF-8 with a BOM so
    that Excel shows Vietnamese correctly. Rows are written as they come."""
    delimiter, comma = csv_dialect(locale)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        w = csv.writer(text, quoting=csv.QUOTE_ALL, delimiter=delimiter)
        w.writerow(headers)
        for row in rows:
            w.writerow([csv_value(v, comma) for v in row])
        text.flush()
    finally:
        text.detach()  # leave the caller's file open


TABLES = {
    "units": (unit_headers, unit_rows),
    "leaders": (leader_headers, leader_rows),
    "tasks": (task_headers, task_rows),
}


def write_table_csv(report: Report, table: str, out: BinaryIO, locale: str = "vi") -> None:
    """One table ("units", "leaders" or "tasks") as CSV."""
    headers, rows = TABLES[table]
    write_csv(out, headers(report), rows(report), locale)


def csv_bytes(report: Report, table: str, locale: str = "vi") -> bytes:
    out = io.BytesIO()
    write_table_csv(report, table, out, locale)
    return out.getvalue()


def write_csv_folder(report: Report, folder: str | Path) -> list[Path]:
    """don-vi.csv, lanh-dao.csv and nhiem-vu.csv in `folder` (created when missing)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, name in CSV_FILES.items():
        path = folder / name
        with path.open("wb") as f:
            write_table_csv(report, table, f)
        paths.append(path)
    return paths


# ------------------------------------------------------------ defaults and plain text

def _plain(value) -> str:
    if value is None:
        return "-"
    return csv_value(value)


def text_table(headers: Sequence[str], rows: Iterable[Sequence], numeric_from: int = 2) -> list[str]:
    """Aligned plain-text lines (numbers to the right) for a terminal."""
    body = [[_plain(v).replace("\n", " ") for v in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(headers)]

    def line(cells, header=False):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (w - _width(c))
            out.append(pad + c if i >= numeric_from and not header and _is_number(c) else c + pad)
        return "  ".join(out).rstrip()

    return [line(headers, True), "  ".join("-" * w for w in widths)] + [line(r) for r in body]


def _width(text: str) -> int:
    """Columns on a terminal: combining accents (text in NFD) take none."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return text == "-"
    return True


__all__ = [
    "CSV_FILES",
    "FINAL_HEADERS",
    "LEADER_HEADERS",
    "LEADER_SHEET",
    "OUTCOME_LABELS",
    "QUALITY_HEADERS",
    "ROLE_LABELS",
    "TASK_HEADERS",
    "TASK_SHEET",
    "UNIT_HEADERS",
    "UNIT_SHEET",
    "Letterhead",
    "csv_bytes",
    "csv_value",
    "date_line",
    "default_issuer",
    "default_place",
    "leader_headers",
    "leader_rows",
    "task_headers",
    "task_note",
    "task_rows",
    "text_table",
    "title",
    "unit_headers",
    "unit_rows",
    "write_csv",
    "write_csv_folder",
    "write_table_csv",
    "write_xlsx",
    "xlsx_bytes",
]
