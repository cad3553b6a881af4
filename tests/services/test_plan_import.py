"""Importing an annual plan from Excel (issue 5): real-looking files, a table of broken
files each with its exact message, nothing written by a failed import, re-import by STT,
the exact round trip through the export and the 5,000-row time (breaking a plan down is in
test_breakdown.py)."""

import io
import json
import time
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import gettext
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.common.errors import PermissionDenied, RuleViolation
from app.domain.status import Lifecycle
from app.domain.task_rules import Violation
from app.extensions import db
from app.models import (
    AuditLog,
    Field,
    Notification,
    Plan,
    ProcessStep,
    ProgressUpdate,
    Task,
    Unit,
    task_coordinators,
)
from app.plans import export as plan_export
from app.plans import importing as plan_import
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from app.tasks.messages import message as rule_message
from tests.conftest import TODAY
from tests.plan_files import HEADERS, build, clear_row, excel_style, nfd, real_plan, row

TABLES = (Task, ProcessStep, task_coordinators, Field, AuditLog, Notification, ProgressUpdate, Plan)


def counts() -> dict:
    db.session.rollback()
    out = {}
    for t in TABLES:
        table = getattr(t, "__table__", t)
        out[table.name] = db.session.scalar(select(func.count()).select_from(table))
    return out


@pytest.fixture
def empty_plan(world, make):
    """An empty draft work plan of unit A (Sở Nội vụ) for 2026."""
    return make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")


def plan_tasks(plan_id: int) -> dict[str, Task]:
    db.session.expire_all()
    items = db.session.scalars(select(Task).where(Task.plan_id == plan_id)
                               .options(*task_queries.detail_options())).all()
    return {t.stt: t for t in items}


def imported(plan, data, actor):
    result = plan_import.apply(actor, plan, data, TODAY, "ke-hoach.xlsx", settings=current_settings().task_rules)
    db.session.commit()
    return result


def messages(preview) -> list[str]:
    return [e.text for e in preview.errors]


# ---- a real-looking file ---------------------------------------------------------------

def test_the_preview_of_a_real_file_shows_every_row_with_its_six_clears_and_writes_nothing(
        world, empty_plan):
    data, exp = real_plan()
    before = counts()
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    assert counts() == before
    assert messages(p) == []
    assert [r.stt for r in p.rows] == exp["stts"]
    assert [r.line for r in p.rows] == [9, 11, 12, 13, 14, 16, 17, 18]   # blank row 10 ignored
    assert {r.action for r in p.rows} == {"add"}
    assert {r.stt for r in p.rows if r.is_clear} == exp["clear"]
    assert {r.stt for r in p.not_clear} == exp["not_clear"]
    assert p.new_fields == exp["new_fields"]
    assert [s.number for s in p.sections] == ["I", "II"]
    vague = next(r for r in p.rows if r.stt == "II.1")
    assert {c.clear.value for c in vague.clears.failed} == {
        "person", "task", "responsibility", "process", "deadline", "result"}
    assert p.added == 8 and p.changed == 0 and p.unchanged == 0
    lines = p.summary_lines()
    assert lines[0] == "8 dòng nhiệm vụ: thêm 8, sửa 0, giữ nguyên 0."
    assert "Lĩnh vực mới sẽ được tạo: Cải cách thể chế, Cải cách thủ tục hành chính, Chuyển đổi số." in lines
    assert "2 dòng chưa đủ sáu rõ." in lines


def test_confirming_imports_tasks_steps_coordinators_fields_and_progress(world, empty_plan):
    data, exp = real_plan()
    before = counts()
    result = imported(empty_plan, data, world.head)
    assert result.added == 8
    after = counts()
    assert after["tasks"] - before["tasks"] == 8
    assert after["fields"] - before["fields"] == 3
    t = plan_tasks(empty_plan.id)
    assert sorted(t, key=lambda s: t[s].order_key) == exp["stts"]
    assert [t[s].title for s in exp["stts"]] == exp["titles"]
    assert {s for s, x in t.items() if x.is_clear} == exp["clear"]

    one = t["I.1"]
    assert one.title == "Rà soát văn bản quy phạm pháp luật do tỉnh ban hành"
    assert one.lead_unit_id == world.a.id and one.assignee_id == world.staff.id   # NFD name
    assert one.leader_id == world.deputy.id                                       # full name
    assert [u.code for u in one.coordinators] == ["SKHCN"]
    assert [(s.title, s.due_on) for s in one.steps] == [("Lập danh mục văn bản", date(2026, 2, 15)),
                                                        ("Rà soát, đề xuất xử lý", None)]
    assert (one.start_on, one.due_on, one.original_due_on) == (date(2026, 1, 15), date(2026, 4, 30),
                                                               date(2026, 4, 30))
    assert one.weight == Decimal(2) and one.field.name == "Cải cách thể chế"
    assert one.owner_unit_id == world.a.id and one.parent_id is None
    assert one.order_key == "0001.0001" and one.status == Lifecycle.ASSIGNED
    assert one.created_by_id == world.head.id and one.version == 1

    two = t["I.2"]
    assert two.lead_unit_id == world.a.id                       # by name
    assert two.assignee_id == world.staff.id                    # "Pham Van Dang"
    assert [s.title for s in two.steps] == ["Dự thảo bộ chỉ số", "Lấy ý kiến các sở, ngành",
                                            "Trình ban hành"]
    assert (two.start_on, two.due_on) == (date(2026, 2, 1), date(2026, 9, 30))
    assert two.indicator_target == Decimal(12)                  # a formula's cached value
    assert two.weight == Decimal(1)                             # empty weight is 1

    sub = t["I.2.1"]
    assert sub.parent_id == two.id and sub.order_key == "0001.0002.0001"
    assert sub.lead_unit_id == world.a.id                       # merged down from row 11
    assert sub.assignee_id == world.staff2.id and sub.leader_id == world.head.id
    assert [s.title for s in sub.steps] == ["Thu thập tài liệu", "Viết dự thảo"]
    assert sub.start_on == date(2026, 3, 1)
    assert t["I.2.2"].due_on == date(2026, 8, 15)                 # a date serial
    assert t["I.2.2.1"].parent_id == t["I.2.2"].id and not t["I.2.2.1"].is_clear

    vague = t["II.1"]
    assert vague.field.name == "Cải cách thủ tục hành chính" and not vague.is_clear
    assert vague.lead_unit_id is None and vague.steps == []

    done = t["II.2"]
    assert done.description == "=Số hóa 100% hồ sơ còn hiệu lực"   # text, not a formula
    assert done.status == Lifecycle.COMPLETED and done.progress == 100
    assert done.completed_on == done.submitted_on == date(2026, 6, 10)
    assert done.indicator_actual == Decimal(100) and done.weight == Decimal("1.5")
    assert sorted(u.code for u in done.coordinators) == ["P66", "SKHCN"]
    assert done.leader_id == world.head.id and done.field.name == "Chuyển đổi số"
    assert t["II.2.1"].parent_id == done.id
    assert (t["II.2.1"].status, t["II.2.1"].progress) == (Lifecycle.IN_PROGRESS, 40)

    new_fields = db.session.scalars(select(Field).where(Field.unit_id == world.a.id)
                                    .order_by(Field.id)).all()
    assert [f.name for f in new_fields] == exp["new_fields"]
    one_audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "plan.import")).all()
    assert len(one_audit) == 1 and one_audit[0].object_id == empty_plan.id
    assert json.loads(one_audit[0].changes)["added"] == 8
    per_task = db.session.scalars(select(AuditLog.task_id).where(AuditLog.action == "task.create",
                                                                 AuditLog.task_id.in_([x.id for x in t.values()]))).all()
    assert sorted(per_task) == sorted(x.id for x in t.values())
    told = db.session.scalars(select(Notification.task_id).where(Notification.kind == "assigned",
                                                                 Notification.task_id.in_([x.id for x in t.values()]))).all()
    # A draft plan is quiet: its people are told when it is issued (issue 11, item 7).
    assert told == []
    # The completion the file brought is marked imported, with who and when (DESIGN.md 4).
    assert done.completion_imported_by_id == world.head.id and done.completion_imported_at is not None
    assert {x.completion_imported_at for s, x in t.items() if s != "II.2"} == {None}
    reports = db.session.execute(select(ProgressUpdate.task_id, ProgressUpdate.percent)
                                 .where(ProgressUpdate.task_id.in_([done.id, t["II.2.1"].id]))).all()
    assert sorted(reports) == sorted([(done.id, 100), (t["II.2.1"].id, 40)])


def test_headers_in_any_order_case_spacing_and_normalisation_and_no_progress_columns(world, empty_plan):
    order = [11, 0, 5, 1, 3, 2, 9, 10, 6, 4, 7, 8, 12, 13, 14, 15, 16]   # no optional columns
    headers = [HEADERS[i] for i in order]
    headers = [f"  {h.upper()} " if i % 3 == 0 else nfd(h.lower()) for i, h in enumerate(headers)]
    rows = [["Phụ lục"], [], headers + ["Ghi chú", None, None]]
    full = clear_row(1)
    rows.append([full[i] for i in order] + ["dòng ghi chú bị bỏ qua"])
    p = plan_import.preview(empty_plan, build(rows), TODAY, settings=current_settings().task_rules)
    assert messages(p) == []
    assert not p.present & set(plan_import.PROGRESS_KEYS)
    imported(empty_plan, build(rows), world.head)
    assert plan_tasks(empty_plan.id)["1"].is_clear


def test_people_by_email_and_units_by_code_in_any_case(world, empty_plan):
    world.staff.email = "Dang.PV@snv.gov.vn"
    db.session.commit()
    data = build([HEADERS, clear_row(1, lead="snv", assignee="dang.pv@SNV.gov.vn", leader="DEPUTY_A")])
    imported(empty_plan, data, world.head)
    t = plan_tasks(empty_plan.id)["1"]
    assert (t.lead_unit_id, t.assignee_id, t.leader_id) == (world.a.id, world.staff.id, world.deputy.id)


def test_a_formula_without_a_cached_value_is_read_as_empty_and_never_evaluated(world, empty_plan):
    data = build([HEADERS, clear_row(1, output="=1+1", target="=SUM(1,2)", ind="Số", ind_unit="cái")])
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    r = p.rows[0]
    assert r.values["output_product"] == "" and r.values["indicator_target"] is None
    assert not r.is_clear   # no output product, and the indicator has no target


# ---- broken files: every error by row and column, exactly -------------------------------

class Rule:
    """The expected message of a rule of the task rule set (app/domain/task_rules.py) on a row
    and column: the import says what the task form says, worded once (task_messages)."""

    def __init__(self, row: int, column: str, code: str, **params):
        self.row, self.column, self.code, self.params = row, column, code, params

    def __str__(self) -> str:
        v = Violation(None, self.code, tuple(sorted(self.params.items())))
        return f"Dòng {self.row}, cột {self.column}: {rule_message(v)}"

    def __eq__(self, other) -> bool:
        return str(self) == other


ROW_CASES = [
    ("date that is not a date", [clear_row(1, start="ngày mai")],
     "Dòng 2, cột Ngày bắt đầu: ngày mai không phải là ngày hợp lệ"),
    ("due before start", [clear_row(1, start="01/03/2026", due="01/02/2026")],
     Rule(2, "Hạn hoàn thành", "due_before_start")),
    ("due outside the year", [clear_row(1, due="15/01/2027")],
     Rule(2, "Hạn hoàn thành", "date_outside_year", year=2026)),
    ("start outside the year", [clear_row(1, start=date(2025, 12, 20))],
     Rule(2, "Ngày bắt đầu", "date_outside_year", year=2026)),
    ("a bare year is not a date", [clear_row(1, due=2026)],
     "Dòng 2, cột Hạn hoàn thành: 2026 không phải là ngày hợp lệ"),
    ("unknown lead unit", [clear_row(1, lead="Sở Không Có")],
     "Dòng 2, cột Đơn vị chủ trì: không có đơn vị nào có mã hoặc tên “Sở Không Có”"),
    ("unknown coordinating unit", [clear_row(1, coord="SKHCN; Sở Ma")],
     "Dòng 2, cột Đơn vị phối hợp: không có đơn vị nào có mã hoặc tên “Sở Ma”"),
    ("lead unit also coordinating", [clear_row(1, coord="Sở Nội vụ")],
     Rule(2, "Đơn vị phối hợp", "coordinator_is_lead")),
    ("unknown person", [clear_row(1, assignee="Nguyễn Văn Vắng")],
     ("Dòng 2, cột Người thực hiện: không tìm thấy người dùng “Nguyễn Văn Vắng” trong Sở Nội vụ "
     "(ghi tên đăng nhập, email hoặc họ tên)")),
    ("unknown leader", [clear_row(1, leader="Hoàng Văn Khuyết")],
     ("Dòng 2, cột Lãnh đạo phụ trách: không tìm thấy người dùng “Hoàng Văn Khuyết” trong Sở Nội vụ "
     "(ghi tên đăng nhập, email hoặc họ tên)")),
    ("a name of another unit", [clear_row(1, assignee="Hồ Văn Cường")],
     ("Dòng 2, cột Người thực hiện: không tìm thấy người dùng “Hồ Văn Cường” trong Sở Nội vụ "
     "(ghi tên đăng nhập, email hoặc họ tên)")),
    ("person outside the lead unit", [clear_row(1, assignee="staff_b")],
     Rule(2, "Người thực hiện", "person_outside_lead_unit")),
    ("leader who is staff", [clear_row(1, leader="staff_a2")],
     Rule(2, "Lãnh đạo phụ trách", "leader_not_leader")),
    ("leader of another unit", [clear_row(1, leader="deputy_b")],
     Rule(2, "Lãnh đạo phụ trách", "leader_outside_units")),
    ("negative weight", [clear_row(1, weight=-1)],
     Rule(2, "Trọng số", "weight_range", min=Decimal("0.1"), max=Decimal(10))),
    ("zero weight", [clear_row(1, weight=0)],
     Rule(2, "Trọng số", "weight_range", min=Decimal("0.1"), max=Decimal(10))),
    ("weight that rounds to zero", [clear_row(1, weight="0,001")],
     Rule(2, "Trọng số", "weight_range", min=Decimal("0.1"), max=Decimal(10))),
    ("weight that is not a number", [clear_row(1, weight="nhiều")],
     "Dòng 2, cột Trọng số: nhiều không phải là số"),
    ("progress over 100", [clear_row(1, progress=120)], Rule(2, "Tiến độ (%)", "progress_range")),
    ("negative progress", [clear_row(1, progress="-5")], Rule(2, "Tiến độ (%)", "progress_range")),
    ("completion in the future", [clear_row(1, completed="20/06/2026")],
     "Dòng 2, cột Ngày hoàn thành: ngày hoàn thành 20/06/2026 sau ngày hôm nay"),
    ("duplicate number", [clear_row(1), clear_row("1")],
     "Dòng 3, cột STT: số thứ tự 1 đã có ở dòng 2"),
    ("child without its parent row", [clear_row(1), clear_row("3.1")],
     "Dòng 3, cột STT: không có dòng 3 của nhiệm vụ con này"),
    ("child due after its parent", [clear_row(1, due="30/06/2026"), clear_row("1.1", due="31/07/2026")],
     Rule(3, "Hạn hoàn thành", "due_after_parent", date=date(2026, 6, 30))),
    ("number that is not one", [clear_row("1a")],
     "Dòng 2, cột STT: “1a” không phải là số thứ tự dạng 1, 2.1, 2.2.1 hoặc mục I, II"),
    ("letter without a number above it", [clear_row("a)")],
     "Dòng 2, cột STT: “a)” không thuộc nhiệm vụ có số thứ tự nào ở trên"),
    ("missing number", [clear_row(None)], "Dòng 2, cột STT: thiếu số thứ tự"),
    ("missing title", [clear_row(1, title=None)], Rule(2, "Nhiệm vụ", "title_required")),
    # The lengths are the rule set's (task_rules.TEXT_LIMITS), worded as the task form words them.
    ("title too long", [clear_row(1, title="Rà soát " * 70)],
     Rule(2, "Nhiệm vụ", "title_too_long", max=500, length=559)),
    ("description too long", [clear_row(1, description="x" * 10001)],
     Rule(2, "Mô tả", "text_too_long", max=10000, length=10001)),
    ("unit of measure too long", [clear_row(1, ind="Số văn bản", ind_unit="u" * 65, target=5)],
     Rule(2, "Đơn vị tính", "text_too_long", max=64, length=65)),
    ("field name too long", [clear_row(1, field="F" * 256)],
     Rule(2, "Lĩnh vực", "text_too_long", max=255, length=256)),
    ("step with a bad date", [clear_row(1, steps="Dự thảo (hạn 30/02/2026)")],
     "Dòng 2, cột Quy trình: 30/02/2026 không phải là ngày hợp lệ"),
]


def test_a_long_title_is_told_with_a_wrong_number_on_the_same_row(world, empty_plan):
    """The rule set checks numbered rows only; the length is measured on every row, so a
    file with both mistakes on one row is told both at once, not in two rounds."""
    data = build([HEADERS, clear_row("1a", title="Rà soát " * 70)])
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    assert str(Rule(2, "Nhiệm vụ", "title_too_long", max=500, length=559)) in messages(p)
    assert any("“1a” không phải là số thứ tự" in m for m in messages(p))


@pytest.mark.parametrize("rows, expected", [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES])
def test_a_broken_row_stops_the_import_with_its_row_column_and_message(world, empty_plan, rows,
                                                                         expected):
    data = build([HEADERS, *rows])
    before = counts()
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    expected = str(expected)
    assert messages(p) == [expected]
    with pytest.raises(plan_import.ImportRefused) as refused:
        plan_import.apply(world.head, empty_plan, data, TODAY, settings=current_settings().task_rules)
    assert messages(refused.value.preview) == [expected]
    db.session.rollback()
    assert counts() == before


def test_the_message_of_the_issue_for_a_date_that_does_not_exist_on_row_14(world, empty_plan):
    top = [["UBND TỈNH ĐẮK LẮK"], ["SỞ NỘI VỤ"], [], ["DANH MỤC NHIỆM VỤ NĂM 2026"], [], [], HEADERS]
    rows = [clear_row(n) for n in range(1, 7)] + [clear_row(7, due="31/02/2026")]
    p = plan_import.preview(empty_plan, build(top + rows), TODAY, settings=current_settings().task_rules)
    assert messages(p) == ["Dòng 14, cột Hạn hoàn thành: 31/02/2026 không phải là ngày hợp lệ"]


def test_every_error_of_a_file_is_listed_not_only_the_first(world, empty_plan):
    data = build([HEADERS, clear_row(1, lead="XYZ", weight=-2), [], clear_row(2, due="32/13/2026")])
    assert messages(plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)) == [
        "Dòng 2, cột Đơn vị chủ trì: không có đơn vị nào có mã hoặc tên “XYZ”",
        str(Rule(2, "Trọng số", "weight_range", min=Decimal("0.1"), max=Decimal(10))),
        "Dòng 4, cột Hạn hoàn thành: 32/13/2026 không phải là ngày hợp lệ",
    ]


def test_an_ambiguous_name_is_refused_and_the_username_resolves_it(world, make, empty_plan):
    make.user(world.a, "staff", "Nguyễn Văn An", "an_1")
    make.user(world.a, "staff", "Nguyễn Văn Ân", "an_2")
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, assignee="Nguyen Van An")]), TODAY, settings=current_settings().task_rules)
    assert messages(p) == [("Dòng 2, cột Người thực hiện: có 2 người trong Sở Nội vụ cùng tên "
                           "“Nguyen Van An”, hãy ghi tên đăng nhập hoặc email")]
    # Written exactly (NFC or NFD), the name is unique again.
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, assignee=nfd("Nguyễn Văn Ân"))]), TODAY, settings=current_settings().task_rules)
    assert messages(p) == []


def test_two_units_with_one_name_need_the_code(world, make, empty_plan):
    make.unit("Văn phòng", parent=world.a, code="SNV-VP")
    make.unit("Văn phòng", parent=world.b, code="SKHCN-VP")
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1, coord="Văn phòng")]), TODAY, settings=current_settings().task_rules)
    assert messages(p) == [("Dòng 2, cột Đơn vị phối hợp: có 2 đơn vị cùng tên “Văn phòng”, "
                           "hãy ghi mã đơn vị")]
    assert messages(plan_import.preview(empty_plan, build([HEADERS, clear_row(1, coord="snv-vp")]),
                                        TODAY, settings=current_settings().task_rules)) == []


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b" " * (1024 * 1024)
            for _ in range(101):
                f.write(chunk)
    return out.getvalue()


def _many_rows(n: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kế hoạch")
    ws.append(HEADERS)
    for i in range(1, n + 1):
        ws.append([i, f"Nhiệm vụ số {i}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _docx_like() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


NOT_XLSX = "Tệp không phải là tệp Excel (.xlsx, .xls) hay Word (.docx) đọc được."
FILE_CASES = [
    ("plain text", lambda: "STT,Nhiệm vụ\n1,Rà soát".encode(), NOT_XLSX),
    ("empty", lambda: b"", NOT_XLSX),
    ("a Word file", _docx_like, NOT_XLSX),
    ("a truncated workbook", lambda: build([HEADERS, clear_row(1)])[:1500], NOT_XLSX),
    ("an old .xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, NOT_XLSX),
    ("over 10 MB", lambda: b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), "Tệp lớn hơn 10 MB."),
    ("a zip bomb", _zip_bomb, "Tệp giải nén ra hơn 100 MB, không thể đọc."),
    ("over 5,000 rows", lambda: _many_rows(5001), "Tệp có hơn 5.000 dòng."),
    ("no header row", lambda: build([["Kế hoạch năm 2026"], ["1", "Rà soát thủ tục"]]),
     "Không tìm thấy dòng tiêu đề (STT, Nhiệm vụ, …) trong 20 dòng đầu của các trang tính."),
    ("the header below row 20", lambda: build([[f"dòng {i}"] for i in range(20)] + [HEADERS, clear_row(1)]),
     "Không tìm thấy dòng tiêu đề (STT, Nhiệm vụ, …) trong 20 dòng đầu của các trang tính."),
    ("no rows", lambda: build([HEADERS, [], []]), "Tệp không có dòng nhiệm vụ nào dưới dòng tiêu đề."),
]


@pytest.mark.parametrize("make_file, expected", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_a_file_that_cannot_be_read_is_refused_whole(world, empty_plan, make_file, expected):
    data = make_file()
    before = counts()
    assert messages(plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)) == [expected]
    with pytest.raises(plan_import.ImportRefused):
        plan_import.apply(world.head, empty_plan, data, TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert counts() == before


def test_exactly_5000_rows_are_accepted(world, empty_plan):
    p = plan_import.preview(empty_plan, _many_rows(5000), TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and len(p.rows) == 5000


def test_rows_numbered_in_advance_and_left_empty_are_ignored(world, empty_plan):
    data = build([HEADERS, clear_row(1), row(stt=2), row(stt=3), [None, None, None]])
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and [r.stt for r in p.rows] == ["1"]


def test_the_data_sheet_need_not_be_the_first(world, empty_plan):
    data = build([HEADERS, clear_row(1)], sheets_before=["Ghi chú"])
    assert len(plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules).rows) == 1


def test_the_header_may_be_on_row_20_with_merged_title_cells_above(world, empty_plan):
    top = [["UBND TỈNH ĐẮK LẮK"], ["SỞ NỘI VỤ"]] + [[] for _ in range(16)] + [["Đơn vị: đồng"]]
    data = build(top + [HEADERS, clear_row(1), [], clear_row(2, title="Tập huấn nghiệp vụ cho công chức")],
                 merges=["A1:E1", "A2:E2", "A19:T19"])
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and [(r.line, r.stt) for r in p.rows] == [(21, "1"), (23, "2")]


def test_rows_imported_unclear_stop_the_plan_from_being_issued_until_fixed(world, empty_plan):
    vague = row(stt=2, title="Tăng cường công tác cải cách hành chính")
    imported(empty_plan, build([HEADERS, clear_row(1), vague]), world.head)
    plan, unclear = plans.issue_plan(world.head, empty_plan.id)
    assert [t.stt for t, _result in unclear] == ["2"] and plan.status == "draft"
    db.session.rollback()
    # The unit fixes the row in Excel and imports the file again: the plan can be issued.
    fixed = build([HEADERS, clear_row(1), clear_row(2, title="Tập huấn nghiệp vụ cải cách hành chính")])
    p = plan_import.preview(empty_plan, fixed, TODAY, settings=current_settings().task_rules)
    assert (p.added, p.changed, p.unchanged, len(p.not_clear)) == (0, 1, 1, 0)
    imported(empty_plan, fixed, world.head)
    plan, unclear = plans.issue_plan(world.head, empty_plan.id)
    db.session.commit()
    assert unclear == [] and db.session.get(Plan, empty_plan.id).status == "issued"


# ---- who may import, and into what --------------------------------------------------------

def test_only_a_head_over_the_plan_imports_and_never_into_a_closed_plan(world, empty_plan):
    data = build([HEADERS, clear_row(1)])
    for who in (world.deputy, world.staff, world.admin, world.head_b):
        with pytest.raises(PermissionDenied):
            plan_import.apply(who, empty_plan, data, TODAY, settings=current_settings().task_rules)
        db.session.rollback()
    empty_plan.status = "closed"
    db.session.commit()
    with pytest.raises(RuleViolation):
        plan_import.apply(world.head, empty_plan, data, TODAY, settings=current_settings().task_rules)


# ---- importing again ----------------------------------------------------------------------

def test_importing_again_updates_by_number_and_never_duplicates(world, empty_plan):
    rows = [HEADERS, clear_row(1), clear_row("1.1", due="30/06/2026"),
            clear_row(2, title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực")]
    imported(empty_plan, build(rows), world.head)
    first = plan_tasks(empty_plan.id)
    step_ids = {s: [x.id for x in t.steps] for s, t in first.items()}
    versions = {s: t.version for s, t in first.items()}

    again = plan_import.preview(empty_plan, build(rows), TODAY, settings=current_settings().task_rules)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)

    rows[3] = clear_row(2, title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực",
                        due="31/10/2026", steps="Thống kê thủ tục\nSố hóa\nKiểm tra")
    rows.append(clear_row(3, title="Tập huấn nghiệp vụ cho công chức"))
    p = plan_import.preview(empty_plan, build(rows), TODAY, settings=current_settings().task_rules)
    assert [(r.stt, r.action) for r in p.rows] == [("1", "same"), ("1.1", "same"), ("2", "change"),
                                                   ("3", "add")]
    assert p.rows[2].changed == ["Quy trình", "Hạn hoàn thành"]
    imported(empty_plan, build(rows), world.head)
    after = plan_tasks(empty_plan.id)
    assert sorted(after) == ["1", "1.1", "2", "3"]
    assert after["2"].id == first["2"].id and after["2"].version == versions["2"] + 1
    assert after["2"].due_on == after["2"].original_due_on == date(2026, 10, 31)
    assert [s.title for s in after["2"].steps] == ["Thống kê thủ tục", "Số hóa", "Kiểm tra"]
    assert [x.id for x in after["1"].steps] == step_ids["1"] and after["1"].version == versions["1"]
    change = db.session.scalars(select(AuditLog).where(AuditLog.task_id == after["2"].id,
                                                       AuditLog.action == "task.update")).one()
    assert json.loads(change.changes)["version"] == [versions["2"], versions["2"] + 1]
    # An editor who loaded the task before the import is told what the import changed.
    assert [a.id for a in task_queries.changes_since(after["2"].id, versions["2"])] == [change.id]


def test_a_plan_task_missing_from_the_file_is_kept_and_existing_tasks_can_be_parents(world):
    # world.plan has tasks 1 and 2 made by hand.
    p = plan_import.preview(world.plan, build([HEADERS, clear_row("2.1", due="30/06/2026")]), TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and p.kept == 2 and p.rows[0].action == "add"
    imported(world.plan, build([HEADERS, clear_row("2.1", due="30/06/2026")]), world.head)
    t = plan_tasks(world.plan.id)
    assert t["2.1"].parent_id == world.task2.id and sorted(t) == ["1", "2", "2.1"]


def test_a_completed_task_cannot_be_changed_by_a_file(world, empty_plan):
    rows = [HEADERS, clear_row(1, progress=100, completed="10/06/2026")]
    imported(empty_plan, build(rows), world.head)
    assert plan_import.preview(empty_plan, build(rows), TODAY, settings=current_settings().task_rules).unchanged == 1
    rows[1] = clear_row(1, title="Một tên khác cho nhiệm vụ đã xong", completed="10/06/2026")
    assert messages(plan_import.preview(empty_plan, build(rows), TODAY, settings=current_settings().task_rules)) == [
        "Dòng 2: nhiệm vụ 1 đã hoàn thành hoặc đã hủy, không thể sửa"]


def test_progress_columns_left_empty_keep_the_progress_reported_since(world, empty_plan):
    imported(empty_plan, build([HEADERS, clear_row(1)]), world.head)
    t = plan_tasks(empty_plan.id)["1"]
    tasks.record_progress(world.staff, t.id, 60, "Đã thống kê xong", None, TODAY)
    db.session.commit()
    p = plan_import.preview(empty_plan, build([HEADERS, clear_row(1)]), TODAY, settings=current_settings().task_rules)
    assert p.rows[0].action == "same"


# ---- the round trip --------------------------------------------------------------------

# Columns that name the row rather than say something about the task.
# Instants of the import itself (created, updated, completion imported) differ by nature.
NOT_COMPARED = {"id", "plan_id", "parent_id", "created_at", "updated_at", "completion_imported_at"}


def snapshot(plan_id: int) -> list[dict]:
    """Every column of every task (the parent by its number), its coordinators and its steps,
    by value: what must survive import, export, import."""
    columns = [c.name for c in Task.__table__.columns if c.name not in NOT_COMPARED]
    assert len(columns) >= 30
    out = []
    for stt, t in sorted(plan_tasks(plan_id).items(), key=lambda kv: kv[1].order_key):
        values = {c: getattr(t, c) for c in columns}
        values["parent"] = db.session.get(Task, t.parent_id).stt if t.parent_id else None
        values["coordinators"] = sorted(u.id for u in t.coordinators)
        values["steps"] = [(s.position, s.title, s.due_on, s.is_done) for s in t.steps]
        values["field"] = t.field.name if t.field else None
        assert values["stt"] == stt
        out.append(values)
    return out


def read_back(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data), read_only=True)[plan_export.DATA_SHEET]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_import_export_import_gives_the_same_plan_exactly(world, make, empty_plan):
    data, _ = real_plan()
    imported(empty_plan, data, world.head)
    exported = plan_export.export_bytes(db.session.get(Plan, empty_plan.id))
    rows = read_back(exported)
    assert rows[0] == HEADERS
    assert rows[1][:2] == ["I.1", "Rà soát văn bản quy phạm pháp luật do tỉnh ban hành"]
    done = next(r for r in rows if r[0] == "II.2")
    assert done[2] == "=Số hóa 100% hồ sơ còn hiệu lực"      # exactly as typed ...
    cell = load_workbook(io.BytesIO(exported))[plan_export.DATA_SHEET]["C" + str(rows.index(done) + 1)]
    assert cell.value == done[2] and cell.data_type == "s" and cell.quotePrefix  # ... and text

    # The export imported into the same plan changes nothing ...
    again = plan_import.preview(empty_plan, exported, TODAY, settings=current_settings().task_rules)
    assert messages(again) == [] and again.unchanged == 8 and again.added == again.changed == 0
    # ... and into a new plan gives the same plan.
    other = make.plan(world.a, kind="other", title="Bản sao")
    imported(other, exported, world.head)
    assert snapshot(other.id) == snapshot(empty_plan.id)
    assert read_back(plan_export.export_bytes(db.session.get(Plan, other.id))) == rows


def test_the_round_trip_keeps_text_that_looks_like_a_formula_exactly(world, make, empty_plan):
    """Official plan lines often start with "- ": exported as typed with Excel's quote prefix
    (no stray apostrophe in the cell), imported back unchanged; a file exported before the
    quote prefix ("'- Rà soát") imports without its apostrophe too."""
    typed = {"1": "- Rà soát, đơn giản hóa thủ tục hành chính", "2": "=1+1", "3": "@SUM(A1)",
             "4": "+84 912 345 678", "5": "-", "6": "Rà soát - không đổi"}
    rows = [HEADERS] + [clear_row(stt, title, output=title) for stt, title in typed.items()]
    imported(empty_plan, build(rows, text_cells=("B3", "L3")), world.head)
    assert {stt: t.title for stt, t in plan_tasks(empty_plan.id).items()} == typed
    exported = plan_export.export_bytes(db.session.get(Plan, empty_plan.id))
    ws = load_workbook(io.BytesIO(exported))[plan_export.DATA_SHEET]
    titles = {r[0].value: r[1] for r in ws.iter_rows(min_row=2)}
    for stt, title in typed.items():
        c = titles[stt]
        assert c.value == title and c.data_type == "s", stt
        assert bool(c.quotePrefix) == (stt != "6"), stt
    assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)
    again = plan_import.preview(empty_plan, exported, TODAY, settings=current_settings().task_rules)
    assert messages(again) == [] and again.unchanged == len(typed)
    other = make.plan(world.a, kind="other", title="Bản sao")
    imported(other, exported, world.head)
    assert {stt: t.title for stt, t in plan_tasks(other.id).items()} == typed
    assert {stt: t.output_product for stt, t in plan_tasks(other.id).items()} == typed
    assert snapshot(other.id) == snapshot(empty_plan.id)
    # An older export: the apostrophe it wrote in front is not part of the title.
    legacy = [HEADERS, clear_row("1", "'- Rà soát, đơn giản hóa thủ tục hành chính")]
    third = make.plan(world.a, kind="digital", title="Bản cũ")
    imported(third, build(legacy), world.head)
    assert plan_tasks(third.id)["1"].title == typed["1"]


def test_the_round_trip_keeps_awkward_values(world, make, empty_plan):
    make.user(world.a, "staff", "Phạm Văn Đăng", "dang_2")        # a second "Phạm Văn Đăng"
    rows = [HEADERS,
            clear_row(1, assignee="dang_2", steps="Bước một; còn tiếp\n", weight="0,25",
                      target="1.234,5678", ind="Chỉ số", ind_unit="đ",
                      output="+ kết quả", description="Dòng một\nDòng hai", coord="SKHCN; P66")]
    imported(empty_plan, build(rows), world.head)
    t = plan_tasks(empty_plan.id)["1"]
    assert [s.title for s in t.steps] == ["Bước một; còn tiếp"]
    assert t.indicator_target == Decimal("1234.5678") and t.weight == Decimal("0.25")
    exported = plan_export.export_bytes(db.session.get(Plan, empty_plan.id))
    assert read_back(exported)[1][5] == "dang_2"          # the ambiguous name falls back
    other = make.plan(world.a, kind="other")
    imported(other, exported, world.head)
    assert snapshot(other.id) == snapshot(empty_plan.id)


def test_the_template_has_the_headers_instructions_and_drop_downs(world):
    data = plan_export.template_bytes(world.a)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Kế hoạch", "Hướng dẫn", "Danh mục"]
    ws = wb["Kế hoạch"]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 1
    assert wb["Danh mục"].sheet_state == "hidden"
    refs = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert refs == {"D2:D5001": "'Danh mục'!$A$2:$A$2", "F2:F5001": "'Danh mục'!$B$2:$B$5",
                    "G2:G5001": "'Danh mục'!$C$2:$C$3"}
    # People in Vietnamese order: by given name (Đăng, Hùng, Lan, Mai).
    assert [c.value for c in wb["Danh mục"]["B"]][1:5] == ["Phạm Văn Đăng", "Trần Văn Hùng",
                                                           "Ngô Thị Lan", "Lê Thị Mai"]
    help_text = " ".join(str(c.value) for r in wb["Hướng dẫn"].iter_rows() for c in r if c.value)
    assert "HƯỚNG DẪN NHẬP KẾ HOẠCH TỪ EXCEL" in help_text and "dd/mm/yyyy" in help_text
    # The empty template imports as "no rows", not as a broken file.
    assert messages(plan_import.preview(world.plan, data, TODAY, settings=current_settings().task_rules)) == [
        "Tệp không có dòng nhiệm vụ nào dưới dòng tiêu đề."]


def test_the_template_offers_the_units_fields_in_a_drop_down(world):
    from app.domain.text import sort_key

    for name in ("Cải cách thủ tục hành chính", "Cải cách thể chế"):
        db.session.add(Field(unit_id=world.a.id, name=name, name_sort=sort_key(name)))
    db.session.commit()
    wb = load_workbook(io.BytesIO(plan_export.template_bytes(world.a)))
    refs = {str(dv.sqref): dv.formula1 for dv in wb["Kế hoạch"].data_validations.dataValidation}
    assert refs["P2:P5001"] == "'Danh mục'!$D$2:$D$3"
    assert [c.value for c in wb["Danh mục"]["D"]][:3] == ["Lĩnh vực", "Cải cách thể chế",
                                                          "Cải cách thủ tục hành chính"]


# ---- 5,000 rows -------------------------------------------------------------------------

def big_file(parents: int = 1000, children: int = 4) -> bytes:
    """parents x (1 + children) clear rows, written the way Excel would hold them."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kế hoạch")
    ws.append(["UBND TỈNH ĐẮK LẮK"])
    ws.append(["KẾ HOẠCH CÔNG TÁC NĂM 2026"])
    ws.append(HEADERS)
    for i in range(1, parents + 1):
        ws.append(clear_row(str(i), title=f"Triển khai nhiệm vụ công tác số {i}",
                            coord="SKHCN", steps="Chuẩn bị; Triển khai; Báo cáo",
                            ind="Số hồ sơ", ind_unit="hồ sơ", target=i, field="Công tác chung"))
        for j in range(1, children + 1):
            ws.append(clear_row(f"{i}.{j}", title=f"Thực hiện phần việc {j} của nhiệm vụ {i}",
                                assignee="staff_a2", due=date(2026, 6, 30), progress=j * 10))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_5000_row_plan_imports_in_one_transaction_quickly(world, empty_plan, capsys):
    data = excel_style(big_file())         # shared strings and a recorded size, as Excel saves
    before = counts()
    started = time.perf_counter()
    p = plan_import.preview(empty_plan, data, TODAY, settings=current_settings().task_rules)
    preview_s = time.perf_counter() - started
    assert messages(p) == [] and p.added == 5000
    started = time.perf_counter()
    # The confirmation starts from the rows the preview read (as the web page does).
    result = plan_import.apply(world.head, empty_plan, p.sheet, TODAY, "5000.xlsx", settings=current_settings().task_rules)
    db.session.commit()
    apply_s = time.perf_counter() - started
    after = counts()
    assert after["tasks"] - before["tasks"] == 5000
    assert after["process_steps"] - before["process_steps"] == 1000 * 3 + 4000 * 2
    assert after["task_coordinators"] - before["task_coordinators"] == 1000
    # One row per task and one for the import; and one per parent whose progress now comes
    # from its sub-tasks (issue 11: same-plan parents roll up too).
    assert after["audit_log"] - before["audit_log"] == 5001 + 1000
    assert db.session.scalar(select(func.count(Task.id)).where(Task.plan_id == empty_plan.id,
                                                               Task.is_clear)) == 5000
    with capsys.disabled():
        print(f"\n5,000-row import ({db.engine.dialect.name}): preview (read + check) "
              f"{preview_s:.1f} s, confirm (check again + write, one transaction) {apply_s:.1f} s")
    assert result.added == 5000
    # The same file again changes nothing and adds nothing.
    again = plan_import.preview(empty_plan, p.sheet, TODAY, settings=current_settings().task_rules)
    assert again.unchanged == 5000
    assert preview_s < 60 and apply_s < 60


# ---- the command line's plan ------------------------------------------------------------

def test_cli_plan_for_creates_a_draft_only_when_missing(world):
    plan, created = plan_import.plan_for("SNV", 2026, "cchc", None)
    assert plan.id == world.plan.id and not created
    plan, created = plan_import.plan_for("SNV", 2027, "digital", None)
    assert created and plan.id is None and plan.title == "Kế hoạch chuyển đổi số năm 2027"
    with pytest.raises(RuleViolation):
        plan_import.plan_for("NOPE", 2026, "cchc", None)
    assert db.session.scalar(select(func.count(Unit.id))) == 3


# ---- a score the scored cannot bend (issue 11) ---------------------------------------------

def issue(plan) -> Plan:
    issued, unclear = plans.issue_plan(_head_of(plan), plan.id)
    assert unclear == []
    db.session.commit()
    return issued


def _head_of(plan):
    from app.models import User

    return db.session.scalar(select(User).where(User.unit_id == plan.unit_id, User.role == "head"))


@pytest.fixture
def issued_plan(world, empty_plan):
    """Unit A's work plan with task 1 (weight 2, every column filled) and task 2, issued."""
    rows = [HEADERS, clear_row(1, coord="SKHCN", weight=2, ind="Số thủ tục", ind_unit="thủ tục",
                               target=40, field="Cải cách thủ tục hành chính"),
            clear_row(2, title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực", due="31/07/2026")]
    imported(empty_plan, build(rows), world.head)
    issue(empty_plan)
    return empty_plan


def stored(plan_id: int) -> dict:
    return {stt: (t.title, t.description, t.lead_unit_id, sorted(u.id for u in t.coordinators),
                  t.assignee_id, t.leader_id, t.responsibility, [(s.title, s.due_on) for s in t.steps],
                  t.start_on, t.due_on, t.original_due_on, t.output_product, t.indicator_name,
                  t.indicator_unit, t.indicator_target, t.field_id, t.weight, t.status,
                  t.completed_on, t.completion_imported_at, t.version)
            for stt, t in plan_tasks(plan_id).items()}


def refused(plan, rows, actor) -> list[str]:
    """The preview's and the confirmation's errors (the same), after checking nothing was written."""
    before = stored(plan.id)
    data = build([HEADERS, *rows])
    p = plan_import.preview(plan, data, TODAY, settings=current_settings().task_rules)
    with pytest.raises(plan_import.ImportRefused) as e:
        plan_import.apply(actor, plan, data, TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert messages(e.value.preview) == messages(p)
    assert stored(plan.id) == before
    return messages(p)


def test_an_issued_plan_refuses_new_dates_weight_lead_unit_and_people_naming_the_column(
        world, make, issued_plan):
    section = make.unit("Phòng Cải cách hành chính", parent=world.a, code="SNV-CCHC")
    make.user(section, "staff", "Lý Văn Sơn", "son_cchc")
    base = {"coord": "SKHCN", "weight": 2, "ind": "Số thủ tục", "ind_unit": "thủ tục", "target": 40,
                "field": "Cải cách thủ tục hành chính"}
    cases = [
        ({"due": "31/10/2026"}, [Rule(2, "Hạn hoàn thành", "due_locked")]),
        ({"start": "01/03/2026"}, [Rule(2, "Ngày bắt đầu", "start_locked")]),
        ({"weight": 3}, [Rule(2, "Trọng số", "amend_not_here")]),
        ({"lead": "SNV-CCHC", "assignee": "son_cchc"},
         [Rule(2, "Đơn vị chủ trì", "amend_not_here"), Rule(2, "Người thực hiện", "amend_not_here")]),
        ({"leader": "head_a"}, [Rule(2, "Lãnh đạo phụ trách", "amend_not_here")]),
    ]
    for change, expected in cases:
        assert refused(issued_plan, [clear_row(1, **(base | change))], world.head) == \
            [str(x) for x in expected], change
    t = plan_tasks(issued_plan.id)["1"]
    assert (t.due_on, t.original_due_on, t.weight) == (date(2026, 9, 30), date(2026, 9, 30), 2)
    # What the plan's form may change after issue, the file may change too.
    imported(issued_plan, build([HEADERS, clear_row(1, **base, description="Rà soát lại toàn bộ.")]),
             world.head)
    t = plan_tasks(issued_plan.id)["1"]
    assert t.description == "Rà soát lại toàn bộ." and t.original_due_on == date(2026, 9, 30)


def test_coordinating_heads_are_told_at_issue_and_when_an_import_adds_their_unit(world, issued_plan):
    """Issue 17 §2: the head of a coordinating unit gets the "coordinating" notice when the
    plan is issued, and again when a file adds the unit back to the issued task."""
    from app.models import Notification

    def told() -> int:
        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == world.head_b.id, Notification.kind == "coordinating"))

    assert told() == 1
    base = {"weight": 2, "ind": "Số thủ tục", "ind_unit": "thủ tục", "target": 40,
            "field": "Cải cách thủ tục hành chính"}
    # taken off the task (a blank cell keeps what is stored: straight to the table here)
    from sqlalchemy import delete

    from app.models import task_coordinators
    db.session.execute(delete(task_coordinators).where(
        task_coordinators.c.task_id == plan_tasks(issued_plan.id)["1"].id))
    db.session.commit()
    assert told() == 1
    imported(issued_plan, build([HEADERS, clear_row(1, **base, coord="SKHCN")]), world.head)
    assert [u.id for u in plan_tasks(issued_plan.id)["1"].coordinators] == [world.b.id]
    assert told() == 2


def test_a_task_added_to_an_issued_plan_is_clear_due_from_today_and_led_within_the_plan(
        world, issued_plan):
    vague = row(stt=3, title="Tăng cường công tác cải cách hành chính")
    errors = refused(issued_plan, [vague], world.head)
    assert errors and all(e.startswith("Dòng 2") for e in errors)
    unclear = gettext("The task would no longer be clear: %(reason)s") % {"reason": ""}
    columns = {e.split(":")[0] for e in errors}
    assert {"Dòng 2, cột Nhiệm vụ", "Dòng 2, cột Quy trình", "Dòng 2, cột Sản phẩm đầu ra",
            "Dòng 2, cột Người thực hiện"} <= columns
    assert all(unclear in e for e in errors)
    assert refused(issued_plan, [clear_row(3, start="01/06/2026", due="10/06/2026")], world.head) == [
        str(Rule(2, "Hạn hoàn thành", "added_due_past", date=TODAY))]
    # Issue 11: a head cannot make another unit answer for a task of her plan.
    assert refused(issued_plan, [clear_row(3, lead="SKHCN", assignee="staff_b", leader="head_b")],
                   world.head) == [str(Rule(2, "Đơn vị chủ trì", "lead_unit_outside_plan"))]
    # A clear task due from today on is added, and its person is told (the plan is at work).
    result = imported(issued_plan, build([HEADERS, clear_row(3, due="15/06/2026")]), world.head)
    assert result.added == 1
    new = plan_tasks(issued_plan.id)["3"]
    assert new.original_due_on == date(2026, 6, 15) and new.is_clear
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.task_id == new.id, Notification.kind == "assigned",
        Notification.user_id == world.staff.id)) == 1


def test_a_draft_plan_refuses_a_task_led_outside_its_unit(world, make):
    """The commune head's exploit: her draft plan with tasks led by Sở Nội vụ."""
    commune = make.unit("UBND xã Ea Kao", parent=world.province, code="XEAKAO")
    head_x = make.user(commune, "head", "Y Blang Niê", "head_xa")
    plan_x = make.plan(commune, kind="work")
    data = build([HEADERS, clear_row(1, leader="head_xa", due="15/05/2026")])
    assert refused(plan_x, [clear_row(1, leader="head_xa", due="15/05/2026")], head_x) == [
        str(Rule(2, "Đơn vị chủ trì", "lead_unit_outside_plan"))]
    assert plan_import.preview(plan_x, data, TODAY, settings=current_settings().task_rules).added == 0


def test_a_draft_plan_import_tells_nobody(world, empty_plan):
    imported(empty_plan, build([HEADERS, clear_row(1), clear_row(2, assignee="staff_a2")]), world.head)
    ids = [t.id for t in plan_tasks(empty_plan.id).values()]
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.task_id.in_(ids))) == 0


def test_draft_completions_lie_between_the_start_and_today_and_are_marked_imported(world, empty_plan):
    assert refused(empty_plan, [clear_row(1, start="01/03/2026", completed="28/02/2026")],
                   world.head) == [("Dòng 2, cột Ngày hoàn thành: ngày hoàn thành 28/02/2026 trước ngày "
                                   "bắt đầu 01/03/2026")]
    assert refused(empty_plan, [clear_row(1, completed="16/06/2026")], world.head) == [
        "Dòng 2, cột Ngày hoàn thành: ngày hoàn thành 16/06/2026 sau ngày hôm nay"]
    imported(empty_plan, build([HEADERS, clear_row(1), clear_row(2)]), world.head)
    # Re-imported with a completion for task 2: marked imported, who and when, in its history.
    imported(empty_plan, build([HEADERS, clear_row(1), clear_row(2, completed="01/02/2026")]),
             world.head)
    t = plan_tasks(empty_plan.id)
    assert t["1"].completion_imported_at is None and t["1"].status == Lifecycle.ASSIGNED
    two = t["2"]
    assert (two.status, two.completed_on, two.submitted_on) == (Lifecycle.COMPLETED, date(2026, 2, 1),
                                                                 date(2026, 2, 1))
    assert two.completion_imported_by_id == world.head.id and two.completion_imported_at is not None
    rec = db.session.scalars(select(AuditLog).where(AuditLog.task_id == two.id,
                                                    AuditLog.action == "task.import_completion")).one()
    assert rec.actor_id == world.head.id and rec.comment == "ke-hoach.xlsx"
    assert json.loads(rec.changes)["completed_on"] == [None, "2026-02-01"]


def test_an_issued_plan_refuses_a_completion_not_recorded(world, issued_plan):
    """The head's exploit: "Ngày hoàn thành" filled for open tasks, back-dated."""
    assert refused(issued_plan, [clear_row(1, coord="SKHCN", weight=2, completed="10/06/2026")],
                   world.head) == [
        ("Dòng 2, cột Ngày hoàn thành: kế hoạch đã ban hành, nhiệm vụ chỉ hoàn thành khi báo cáo hoàn "
        "thành được xác nhận (10/06/2026 không phải là ngày hoàn thành đã ghi nhận)")]
    # A new row cannot arrive completed either.
    assert refused(issued_plan, [clear_row(3, completed="10/06/2026")], world.head) == [
        ("Dòng 2, cột Ngày hoàn thành: kế hoạch đã ban hành, nhiệm vụ chỉ hoàn thành khi báo cáo hoàn "
        "thành được xác nhận (10/06/2026 không phải là ngày hoàn thành đã ghi nhận)")]


def test_an_exported_issued_plan_imports_back_with_no_change(world, issued_plan):
    from tests.conftest import submit_with_evidence

    t = plan_tasks(issued_plan.id)
    submit_with_evidence(world.staff, t["1"].id, "Đã hoàn thành", date(2026, 6, 12))
    db.session.commit()
    tasks.confirm_task(world.deputy, t["1"].id, "Đạt")
    db.session.commit()
    before = stored(issued_plan.id)
    exported = plan_export.export_bytes(db.session.get(Plan, issued_plan.id))
    assert next(r for r in read_back(exported) if r[0] == "1")[18] is not None   # the recorded date
    p = plan_import.preview(issued_plan, exported, TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and (p.added, p.changed, p.unchanged) == (0, 0, 2)
    imported(issued_plan, exported, world.head)
    assert stored(issued_plan.id) == before


def test_blank_cells_keep_every_stored_value(world, issued_plan):
    before = stored(issued_plan.id)
    # The head's file: title, unit, people and dates only.
    bare = row(stt=1, title="Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực nội vụ", lead="SNV",
               assignee="staff_a", leader="deputy_a", start=date(2026, 2, 1), due=date(2026, 9, 30))
    p = plan_import.preview(issued_plan, build([HEADERS, bare, row(stt=2, lead="SNV")]), TODAY, settings=current_settings().task_rules)
    assert messages(p) == [] and (p.changed, p.unchanged) == (0, 2)
    imported(issued_plan, build([HEADERS, bare, row(stt=2, lead="SNV")]), world.head)
    assert stored(issued_plan.id) == before
    one = plan_tasks(issued_plan.id)["1"]
    assert one.description and one.steps and one.output_product and one.indicator_name
    assert [u.code for u in one.coordinators] == ["SKHCN"] and one.weight == 2 and one.field_id


def test_the_preview_shows_each_change_old_to_new_and_writes_nothing(world, empty_plan):
    imported(empty_plan, build([HEADERS, clear_row(1, weight=2)]), world.head)
    before = stored(empty_plan.id)
    changed = clear_row(1, due="31/10/2026", weight="1,5", leader="head_a",
                        steps="Thống kê thủ tục\nĐề xuất phương án\nTrình phê duyệt")
    p = plan_import.preview(empty_plan, build([HEADERS, changed]), TODAY, settings=current_settings().task_rules)
    assert stored(empty_plan.id) == before
    assert p.rows[0].diffs == [
        ("Lãnh đạo phụ trách", "Lê Thị Mai", "Trần Văn Hùng"),
        ("Quy trình", "Thống kê thủ tục; Đề xuất phương án",
         "Thống kê thủ tục; Đề xuất phương án; Trình phê duyệt"),
        ("Hạn hoàn thành", "30/09/2026", "31/10/2026"),
        ("Trọng số", "2", "1,5"),
    ]
    lines = p.summary_lines()
    assert "Dòng 2 (nhiệm vụ 1) sẽ thay đổi:" in lines
    assert "  Hạn hoàn thành: 30/09/2026 → 31/10/2026" in lines
    assert "  Trọng số: 2 → 1,5" in lines


def test_a_row_added_to_an_issued_plan_by_others_than_its_head_is_the_heads_to_confirm(
        world, make, issued_plan):
    """task_rules.head_confirms_addition through the import (only heads import; deputies add
    from the form): a row the head of the plan's unit adds is confirmed as any task; one a
    head above adds, or the command line (no actor), is confirmed by the head of the plan's
    unit (or above), not by its accountable deputy."""
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    db.session.commit()
    imported(issued_plan, build([HEADERS, clear_row(3, due="15/06/2026")]), world.head)
    imported(issued_plan, build([HEADERS, clear_row(4, due="15/06/2026")]), head_p)
    imported(issued_plan, build([HEADERS, clear_row(5, due="15/06/2026")]), None)
    got = {stt: t.head_confirms for stt, t in plan_tasks(issued_plan.id).items()}
    assert got == {"1": False, "2": False, "3": False, "4": True, "5": True}
    # Every row added after issue is added work (bổ sung), listed beside the score, the
    # head's own too; the rows of the plan when it was issued are not.
    added = {stt: t.added_after_issue for stt, t in plan_tasks(issued_plan.id).items()}
    assert added == {"1": False, "2": False, "3": True, "4": True, "5": True}


def test_a_row_imported_under_added_work_in_a_draft_plan_is_added_work_too(world, empty_plan):
    """As from the form (task_rules.added_after_issue): a sub-task of added work is added
    work wherever it is drafted, or breaking the addition down in a draft plan by import
    would hide it (the parent no longer counts once broken down); under planned work, not."""
    imported(empty_plan, build([HEADERS, clear_row(1), clear_row(2)]), world.head)
    first = plan_tasks(empty_plan.id)["1"]
    first.added_after_issue = True  # a breakdown of added work from the unit's plan above
    db.session.commit()
    imported(empty_plan, build([HEADERS, clear_row(1), clear_row(2),
                                clear_row("1.1", due="30/06/2026"),
                                clear_row("1.1.1", due="30/06/2026"),
                                clear_row("2.1", due="30/06/2026")]), world.head)
    added = {stt: t.added_after_issue for stt, t in plan_tasks(empty_plan.id).items()}
    assert added == {"1": True, "2": False, "1.1": True, "1.1.1": True, "2.1": False}
