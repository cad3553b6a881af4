"""Exports of an assessment (app/services/assessment_export.py), read back: the XLSX with
openpyxl, the CSV with the csv module.

TODAY is 15/06/2026; the world's tasks are due 30/06/2026. The scenario below makes the
Sở Nội vụ (SNV) rated and leaves the Sở Khoa học và Công nghệ (SKHCN) not rated."""

import csv
import inspect
import io
import re
import resource
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import event, insert, update

from app.assessment import export as ex
from app.assessment import service as assessment
from app.domain import scoring
from app.domain.scoring import ScoringSettings
from app.extensions import db
from app.models import Task, Unit
from tests.conftest import TODAY, issue_world_plans


@pytest.fixture
def world(world):
    """The shared world with its plans issued: tasks of draft plans are neither flagged,
    reminded, listed as overdue nor scored (DESIGN.md 4)."""
    issue_world_plans(world)
    return world

S = ScoringSettings()
Q2 = scoring.parse_period("2026-Q2")
AS_OF = date(2026, 6, 15)
ISSUER = ("UBND TỈNH ĐẮK LẮK", "SỞ NỘI VỤ")
PLACE = "Đắk Lắk"
ISSUED = date(2026, 6, 16)
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=2"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SAFE_TEXT = 'Báo cáo "quý II", gồm: a, b; c\nvà dòng thứ hai\r\nvà dòng ba'


def add_task(template: Task, **values) -> int:
    row = {"plan_id": template.plan_id, "owner_unit_id": template.owner_unit_id,
               "assignee_id": template.assignee_id, "lead_unit_id": template.lead_unit_id,
               "leader_id": template.leader_id, "title": template.title, "title_folded": "x",
               "start_on": template.start_on, "due_on": template.due_on, "status": "assigned"}
    row.update(values)
    row.setdefault("original_due_on", row["due_on"])
    task_id = db.session.scalar(insert(Task).returning(Task.id), [row])
    db.session.commit()
    return task_id


@pytest.fixture
def scenario(world):
    """SNV: world.task on time (weight 1), a late task (1.5, one extension), an overdue
    task (2), a task completed after the as-of date, a cancelled one, and tasks whose
    titles are formula attempts (within their deadline). SKHCN: nothing fallen due."""
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status="completed", completed_on=date(2026, 6, 1), stt="1"))
    db.session.commit()
    t = world.task
    add_task(t, stt="3", title="Nhiệm vụ hoàn thành muộn", due_on=date(2026, 5, 31),
             status="completed", completed_on=date(2026, 6, 2), weight=Decimal("1.5"),
             extension_count=1, original_due_on=date(2026, 5, 15))
    # Added to the issued plan (bổ sung): listed beside the score.
    add_task(t, stt="4", title="Nhiệm vụ quá hạn", due_on=date(2026, 6, 10), status="in_progress",
             weight=Decimal(2), added_after_issue=True)
    add_task(t, stt="5", title="Hoàn thành sau ngày tính", due_on=date(2026, 6, 20),
             status="completed", completed_on=date(2026, 6, 25))
    add_task(t, stt="6", title="Nhiệm vụ đã hủy", due_on=date(2026, 6, 5), status="cancelled")
    for i, title in enumerate(INJECTIONS + [SAFE_TEXT], start=7):
        add_task(t, stt=str(i), title=title)
    # world.task2 stays within its deadline (due 30/06): left out of every rate.
    return world


def live(scope=None):
    return assessment.live(Q2, AS_OF, S, scope, today=TODAY)


def workbook(report):
    data = ex.xlsx_bytes(report, ISSUER, PLACE, ISSUED)
    return load_workbook(io.BytesIO(data))


def table(ws, first_header: str):
    """(row number of the header row, header tuple, data rows) of the sheet's table."""
    rows = list(ws.iter_rows())
    for i, row in enumerate(rows):
        if row[0].value == first_header:
            data = [r for r in rows[i + 1:] if any(c.value is not None for c in r)]
            return i + 1, tuple(c.value for c in row), data
    raise AssertionError(f"no header row in {ws.title}")


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def values(row):
    return [c.value for c in row]


# ------------------------------------------------------------ XLSX

def test_sheets_and_exact_headers(scenario):
    wb = workbook(live())
    assert wb.sheetnames == ["Đơn vị", "Lãnh đạo", "Nhiệm vụ"]
    expected = {
        "Đơn vị": ("STT", "Tên đơn vị", "Mã đơn vị", "Số nhiệm vụ", "Đến hạn", "Hoàn thành đúng hạn",
                   "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành", "Trong hạn",
                   "Tỷ lệ hoàn thành (%)", "Tỷ lệ đúng hạn (%)", "Điểm trách nhiệm", "Xếp loại",
                   "Số lần gia hạn", "Số lần điều chỉnh", "Số nhiệm vụ bổ sung", "Số nhiệm vụ hủy"),
        "Lãnh đạo": ("STT", "Họ và tên", "Chức vụ", "Đơn vị", "Tên đăng nhập", "Đến hạn",
                     "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành",
                     "Tỷ lệ hoàn thành (%)", "Tỷ lệ đúng hạn (%)", "Điểm trách nhiệm", "Xếp loại",
                     "Số lần gia hạn", "Số lần điều chỉnh", "Số nhiệm vụ bổ sung",
                     "Số nhiệm vụ hủy"),
        "Nhiệm vụ": ("STT", "Đơn vị chủ trì", "STT trong kế hoạch", "Nhiệm vụ", "Người thực hiện",
                     "Lãnh đạo phụ trách",
                     "Hạn hoàn thành", "Ngày hoàn thành", "Tình trạng", "Trọng số",
                     "Trọng số tính cho đơn vị", "Điểm", "Số lần gia hạn", "Số lần điều chỉnh",
                     "Bổ sung sau khi ban hành", "Ghi chú"),
    }
    for name, headers in expected.items():
        ws = wb[name]
        n, found, _ = table(ws, headers[0])
        assert found == headers
        assert n > 5, "the header row sits below the header block"
        assert ws.freeze_panes == f"A{n + 1}"
        assert ws.print_title_rows == f"${n}:${n}"


def test_header_block(scenario):
    wb = workbook(live())
    for ws in wb:
        n, _, _ = table(ws, _first_header(ws))
        block = [[v for v in values(r) if v is not None] for r in ws.iter_rows(max_row=n - 1)]
        texts = [t for r in block for t in r]
        assert block[0] == ["UBND TỈNH ĐẮK LẮK", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
        assert block[1] == ["SỞ NỘI VỤ", "Độc lập - Tự do - Hạnh phúc"]
        assert block[2] == ["Đắk Lắk, ngày 16 tháng 6 năm 2026"]
        # The issuing body on the left, the motto to its right.
        assert ws["A1"].value == "UBND TỈNH ĐẮK LẮK" and ws["A2"].font.b
        right = next(c for c in ws[1] if c.value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        assert right.column > 1 and right.font.b and ws.cell(3, right.column).font.i
        title = next(t for t in texts if t.startswith(("BẢNG", "DANH SÁCH")))
        assert title.endswith("— Quý II năm 2026 (tính đến ngày 15/06/2026)")
        assert "Số liệu trực tiếp, chưa chốt" in texts
    assert any(t == "BẢNG TỔNG HỢP KẾT QUẢ THỰC HIỆN NHIỆM VỤ VÀ ĐIỂM TRÁCH NHIỆM — Quý II năm 2026 "
               "(tính đến ngày 15/06/2026)" for t in (c.value for c in wb["Đơn vị"]["A"]))


@pytest.mark.parametrize("code, label", [
    ("2026", "Năm 2026"), ("2026-H1", "6 tháng đầu năm 2026"), ("2026-H2", "6 tháng cuối năm 2026"),
    ("2026-Q1", "Quý I năm 2026"), ("2026-Q2", "Quý II năm 2026"), ("2026-Q3", "Quý III năm 2026"),
    ("2026-Q4", "Quý IV năm 2026"), ("2026-07", "Tháng 7 năm 2026"), ("2026-12", "Tháng 12 năm 2026"),
])
def test_the_title_names_the_period_as_an_official_does(world, code, label):
    """One label for the page, the print page and the export: never the code "2026-Q2"."""
    assert assessment.period_label(code) == label
    report = assessment.live(scoring.parse_period(code), date(2026, 6, 15), S, today=TODAY)
    assert ex.title(report) == (f"{ex.TITLES[ex.UNIT_SHEET]} — {label} "
                                "(tính đến ngày 15/06/2026)")
    wb = workbook(report)
    assert wb.properties.title == ex.title(report)
    for ws in wb:
        shown = [c.value for c in ws["A"] if isinstance(c.value, str)]
        assert ex.title(report, ws.title) in shown
        assert not any("Kỳ " in t for t in shown), shown


def test_the_period_label_in_english():
    assert [assessment.period_label(c, english=True) for c in ("2026", "2026-H1", "2026-H2", "2026-Q2", "2026-07")] == [
        "Year 2026", "First half of 2026", "Second half of 2026", "Quarter II/2026", "Month 07/2026"]


def _first_header(ws):
    return "STT"  # every table numbers its rows (issue 17)


@pytest.mark.parametrize("d, text", [
    (date(2026, 3, 5), "Đắk Lắk, ngày 05 tháng 3 năm 2026"),
    (date(2026, 2, 15), "Đắk Lắk, ngày 15 tháng 02 năm 2026"),
    (date(2026, 1, 1), "Đắk Lắk, ngày 01 tháng 01 năm 2026"),
    (date(2026, 12, 31), "Đắk Lắk, ngày 31 tháng 12 năm 2026"),
])
def test_date_line_follows_decree_30(d, text):
    assert ex.date_line("Đắk Lắk", d) == text


def test_date_line_without_place_leaves_the_official_blank():
    assert ex.date_line("", date(2026, 6, 16)) == "......, ngày 16 tháng 6 năm 2026"


def test_times_new_roman_and_a4_landscape(scenario):
    data = ex.xlsx_bytes(live(), ISSUER, PLACE, ISSUED)
    wb = load_workbook(io.BytesIO(data))
    for ws in wb:
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        for row in ws.iter_rows():
            for c in row:
                assert c.font.name == "Times New Roman", (ws.title, c.coordinate)
    # Every font of the file, the default one included.
    import zipfile
    styles = zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml").decode()
    fonts = styles[styles.index("<fonts"):styles.index("</fonts>")]
    assert fonts.count("<name ") == fonts.count('<name val="Times New Roman"')


def test_unit_figures_are_numbers_and_not_rated_is_empty(scenario):
    ws = workbook(live())["Đơn vị"]
    _, headers, data = table(ws, "STT")
    rows = {r[2].value: dict(zip(headers, r, strict=True)) for r in data}
    snv = rows["SNV"]
    # on time 1 (weight 1), late 1 (1.5 -> 1.125), overdue 1 (2 -> 0); the rest not counted.
    expect = {"Số nhiệm vụ": 13, "Đến hạn": 3, "Hoàn thành đúng hạn": 1, "Hoàn thành quá hạn": 1,
              "Quá hạn chưa hoàn thành": 1, "Trong hạn": 9, "Tỷ lệ hoàn thành (%)": 66.67,
              "Tỷ lệ đúng hạn (%)": 33.33, "Điểm trách nhiệm": 47.22, "Số lần gia hạn": 1}
    for k, v in expect.items():
        assert snv[k].value == v, k
        assert snv[k].data_type == "n" and not isinstance(snv[k].value, str), k
    assert snv["Xếp loại"].value == "Không hoàn thành nhiệm vụ"
    assert snv["Điểm trách nhiệm"].number_format == "0.00"
    skhcn = rows["SKHCN"]
    assert skhcn["Đến hạn"].value == 0
    assert skhcn["Điểm trách nhiệm"].value is None
    assert skhcn["Tỷ lệ hoàn thành (%)"].value is None
    assert skhcn["Xếp loại"].value == "Chưa đánh giá"
    assert rows["P66"]["Xếp loại"].value == "Chưa đánh giá"


def test_leader_rows(scenario):
    ws = workbook(live())["Lãnh đạo"]
    _, headers, data = table(ws, "STT")
    rows = {r[4].value: dict(zip(headers, values(r), strict=True)) for r in data}
    assert rows["head_a"]["Chức vụ"] == "Người đứng đầu"
    assert rows["deputy_a"]["Chức vụ"] == "Cấp phó"
    assert rows["head_a"]["Họ và tên"] == "Trần Văn Hùng" and rows["head_a"]["Đơn vị"] == "Sở Nội vụ"
    # The head answers for the whole unit; the deputy for the tasks they lead (all of SNV's
    # inserted tasks copy world.task's leader, the deputy, except world.task2).
    assert rows["head_a"]["Điểm trách nhiệm"] == 47.22
    assert rows["deputy_a"]["Đến hạn"] == 3 and rows["deputy_a"]["Điểm trách nhiệm"] == 47.22
    assert rows["head_b"]["Điểm trách nhiệm"] is None
    assert rows["head_b"]["Xếp loại"] == "Chưa đánh giá"
    assert rows["deputy_b"]["Xếp loại"] == "Chưa đánh giá"


def test_task_rows_outcomes_dates_and_credit(scenario):
    ws = workbook(live())["Nhiệm vụ"]
    _, headers, data = table(ws, "STT")
    rows = {r[2].value: dict(zip(headers, r, strict=True)) for r in data if r[1].value == "Sở Nội vụ"}
    on_time, late, overdue, after, cancelled = rows["1"], rows["3"], rows["4"], rows["5"], rows["6"]
    assert on_time["Tình trạng"].value == "Hoàn thành đúng hạn" and on_time["Điểm"].value == 1
    assert late["Tình trạng"].value == "Hoàn thành quá hạn" and late["Điểm"].value == 1.125
    assert late["Trọng số"].value == 1.5 and late["Trọng số"].data_type == "n"
    assert overdue["Tình trạng"].value == "Quá hạn chưa hoàn thành" and overdue["Điểm"].value == 0
    # Completed after the as-of date: not completed then, and not yet due.
    assert after["Tình trạng"].value == "Trong hạn"
    assert after["Ngày hoàn thành"].value is None and after["Điểm"].value is None
    assert cancelled["Tình trạng"].value == "Đã hủy hoặc tạm dừng" and cancelled["Điểm"].value is None
    for cell, d in ((late["Hạn hoàn thành"], datetime(2026, 5, 31)),
                    (late["Ngày hoàn thành"], datetime(2026, 6, 2))):
        assert cell.is_date and cell.value == d and cell.number_format == "dd/mm/yyyy"
    assert late["Người thực hiện"].value == "Phạm Văn Đăng"
    assert late["Lãnh đạo phụ trách"].value == "Lê Thị Mai"
    assert late["STT trong kế hoạch"].data_type == "s"
    # Tree order: SNV's tasks, then SKHCN's, numbered.
    codes = [r[1].value for r in data]
    assert codes == sorted(codes, key=lambda c: c != "Sở Nội vụ")
    assert [r[0].value for r in data] == list(range(1, len(data) + 1))


def raw_cells(data: bytes) -> tuple[list[dict], set[int]]:
    """Every cell of every sheet as the XML holds it (what LibreOffice or Excel reads, with
    no openpyxl in between), and the ids of the cell styles that carry quotePrefix="1"."""
    import zipfile
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(io.BytesIO(data))
    xfs = ET.fromstring(z.read("xl/styles.xml")).find("m:cellXfs", ns)
    quoted = {i for i, xf in enumerate(xfs) if xf.get("quotePrefix") in ("1", "true")}
    cells = []
    for name in sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
        for c in ET.fromstring(z.read(name)).iter(f"{{{ns['m']}}}c"):
            cells.append({"sheet": name, "ref": c.get("r"), "t": c.get("t"), "s": int(c.get("s", 0)),
                          "formula": c.find("m:f", ns) is not None,
                          "text": "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))})
    return cells, quoted


def test_no_formula_anywhere_and_typed_formulas_come_back_as_typed(scenario, make):
    make.unit("=1+2 Đơn vị lạ", parent=scenario.province, code="X1")
    add_task(scenario.task, stt="20", title="- Rà soát, đơn giản hóa thủ tục hành chính")
    data = ex.xlsx_bytes(live(), ISSUER, PLACE, ISSUED)
    wb = load_workbook(io.BytesIO(data))
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                # Text that looks like a formula carries the quote prefix, and only that text
                # (a typed carriage return reads back as a line feed).
                looks_live = isinstance(c.value, str) and c.value.startswith(TRIGGERS + ("\n",))
                assert bool(c.quotePrefix) == looks_live, (ws.title, c.coordinate, c.value)
    rows = table(wb["Nhiệm vụ"], "STT")[2]
    titles = {r[3].value: r[3] for r in rows}
    for typed in INJECTIONS + ["- Rà soát, đơn giản hóa thủ tục hành chính"]:
        # Exactly as typed, no apostrophe (XML reads a raw carriage return as a line feed).
        c = titles[lf(typed)]
        assert c.data_type == "s" and c.quotePrefix, typed
    assert not any(t.startswith("'") for t in titles)
    assert lf(SAFE_TEXT) in titles and not titles[lf(SAFE_TEXT)].quotePrefix
    names = {r[1].value: r[1] for r in table(wb["Đơn vị"], "STT")[2]}
    assert names["=1+2 Đơn vị lạ"].quotePrefix
    # Neither application would read the raw XML as a formula either: no <f> anywhere,
    # every text an inline string, the trigger-initial ones with a quote-prefixed style.
    cells, quoted = raw_cells(data)
    assert quoted and not any(c["formula"] for c in cells)
    typed = [c for c in cells if c["text"].startswith(TRIGGERS)]
    assert {c["text"] for c in typed} >= {"=1+2 Đơn vị lạ", "- Rà soát, đơn giản hóa thủ tục hành chính",
                                           '=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1"}
    for c in typed:
        assert c["t"] == "inlineStr" and c["s"] in quoted, c
    assert all(c["t"] in ("inlineStr", "s") for c in cells if c["text"])
    assert not any(c["s"] in quoted for c in cells
                   if c["text"] and not c["text"].startswith(TRIGGERS + ("\n",)))


def test_write_to_a_binary_file(scenario, tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    with path.open("wb") as f:
        ex.write_xlsx(live(), f, "UBND TỈNH ĐẮK LẮK\nSỞ NỘI VỤ", PLACE, ISSUED)
    assert load_workbook(path).sheetnames == ["Đơn vị", "Lãnh đạo", "Nhiệm vụ"]


def test_scoped_export_holds_only_the_subtree(scenario):
    wb = workbook(live(scenario.b))
    assert [r[2].value for r in table(wb["Đơn vị"], "STT")[2]] == ["SKHCN"]
    assert {r[1].value for r in table(wb["Nhiệm vụ"], "STT")[2]} == {"Sở Khoa học và Công nghệ"}
    assert {r[4].value for r in table(wb["Lãnh đạo"], "STT")[2]} == {"head_b", "deputy_b"}


def test_quota_warning_is_printed_under_the_unit_table(world, make):
    """Three units graded excellent and none good: more "xuất sắc" than 20% of "tốt"."""
    for code in ("E1", "E2", "E3"):
        u = make.unit(f"Đơn vị {code}", parent=world.province, code=code)
        add_task(world.task, lead_unit_id=u.id, due_on=date(2026, 6, 1), status="completed",
                 completed_on=date(2026, 6, 1))
    report = live()
    assert [(w.who, w.group) for w in report.warnings if w.who == "units"] == [("units", "office")]
    ws = workbook(report)["Đơn vị"]
    notes = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("Lưu ý")]
    assert len(notes) == 1 and "(3)" in notes[0] and "(0)" in notes[0] and "20%" in notes[0]


def test_frozen_export_shows_the_run_as_frozen(scenario):
    run = assessment.freeze(scenario.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    before = ex.xlsx_bytes(assessment.load_run(run), ISSUER, PLACE, ISSUED)
    live_tasks = list(ex.task_rows(live()))
    assert list(ex.task_rows(assessment.load_run(run))) == live_tasks  # the same rows, same order
    db.session.execute(update(Unit).where(Unit.id == scenario.a.id).values(name="Tên mới"))
    db.session.execute(update(Task).where(Task.id == scenario.task.id).values(title="Tiêu đề mới"))
    db.session.commit()
    after = ex.xlsx_bytes(assessment.load_run(db.session.get(type(run), run.id)), ISSUER, PLACE, ISSUED)

    def content(data):
        wb = load_workbook(io.BytesIO(data))
        return {ws.title: [values(r) for r in ws.iter_rows()] for ws in wb}

    assert content(after) == content(before)
    texts = [c for rows in content(before).values() for r in rows for c in r]
    assert any(isinstance(t, str) and t.startswith("Số liệu đã chốt: phiên bản 1") for t in texts)
    assert "Tên mới" not in texts and "Tiêu đề mới" not in texts


CELL_VALUES = [None, "text", "=1+1", "\t@x", "- Rà soát", "+84 912 345 678", "@SUM(A1)", "\x00=1",
               "-&<x>", "  spaced  ", "a & b < c > d", "x\x00y\x1fz", 3, 2.5,
               Decimal("66.67"), Decimal("1500000.0000"), True, False, date(2026, 6, 2),
               datetime(2026, 6, 2, 13, 5)]


def _read_back(write) -> list:
    book = load_workbook(io.BytesIO(write()))
    return [[(c.value, c.data_type, c.number_format, c.font.name, c.font.sz, c.font.b,
              c.alignment.vertical, bool(c.alignment.wrap_text), bool(c.quotePrefix)) for c in row]
            for row in book.worksheets[0].iter_rows()]


@pytest.mark.parametrize("wrap", [False, True])
def test_stream_writes_the_cells_of_xlsx_cell(wrap):
    """The streaming writer's cells read back exactly as openpyxl's xlsx.cell cells do:
    value, type, number format, font, alignment, quote prefix; text as typed, escaped."""
    from openpyxl import Workbook

    from app.reports import xlsx

    def with_openpyxl():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("x")
        for v in CELL_VALUES:
            ws.append([xlsx.cell(ws, v, wrap=wrap)])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def with_stream():
        out = io.BytesIO()
        with xlsx.XlsxStream(out) as book:
            book.sheet("x").rows([[v] for v in CELL_VALUES], [book.column(wrap=wrap)])
        return out.getvalue()

    back = _read_back(with_stream)
    assert back == _read_back(with_openpyxl)
    shown = {row[0][0]: row[0] for row in back}
    for typed in ("=1+1", "- Rà soát", "+84 912 345 678", "@SUM(A1)", "-&<x>"):
        assert shown[typed][1] == "s" and shown[typed][-1] is True, typed
    assert shown["=1"][-1] is True  # the NUL is dropped, then the text looks like a formula
    assert shown["text"][-1] is False and shown["a & b < c > d"][-1] is False


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
                .map(lambda t: t if t[:1] else "=" + t), min_size=1, max_size=10))
def test_stream_text_is_text_and_never_a_formula(texts):
    """Any text comes back as typed (the characters XML cannot hold dropped, line ends read
    as XML reads them), never a formula, quote-prefixed exactly when it looks like one."""
    from app.reports import xlsx

    out = io.BytesIO()
    with xlsx.XlsxStream(out) as book:
        book.sheet("T").rows([[t] for t in texts], [book.column()])
    back = [row[0] for row in load_workbook(io.BytesIO(out.getvalue()))["T"].iter_rows()]
    for typed, c in zip(texts, back, strict=True):
        expected = lf(xlsx.clean_text(typed))
        assert c.data_type == "s" and (c.value or "") == expected, (typed, c.value)
        # quote-prefixed when it starts like a formula, or a segment after a list
        # separator does (issue 18: "Tổng hợp;=1+1")
        clean = xlsx.clean_text(typed)
        formula_like = clean.startswith(TRIGGERS) or re.search(r"[;,\t\r\n] *[=+\-@]", clean)
        assert bool(c.quotePrefix) == bool(formula_like), (typed, c.value)


def test_stream_sheet_settings_and_wide_rows():
    """Column letters past Z, widths, frozen rows, print titles (a sheet name with a
    quote), A4 landscape fitted to the width, the footer, the workbook's properties."""
    from app.reports import xlsx

    out = io.BytesIO()
    with xlsx.XlsxStream(out, title="Tiêu đề & <thử>", creator="Sáu Rõ") as book:
        ws = book.sheet("Bảng 'một'", widths=[7] * 30, freeze_rows=2, print_title_row=2,
                        landscape=True, fit_to_width=True, center_horizontally=True,
                        margins=(0.6, 0.4, 0.6, 0.6), footer="&CTrang &P/&N")
        ws.row(["Đầu"] + [None] * 29, book.style(bold=True, horizontal="centerContinuous"))
        ws.blank()
        ws.rows([list(range(30)), [f"ô {i}" for i in range(30)]], [book.column()] * 30)
        book.sheet("Hai").row([1], 0)
    wb = load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == ["Bảng 'một'", "Hai"]
    ws = wb["Bảng 'một'"]
    assert ws["A1"].value == "Đầu" and ws["A1"].font.b and ws["A1"].alignment.horizontal == "centerContinuous"
    assert ws["A2"].value is None
    assert ws["AD3"].value == 29 and ws["AD4"].value == "ô 29" and ws.max_column == 30
    assert ws.column_dimensions["AB"].width == 7
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_options.horizontalCentered
    assert ws.oddFooter.center.text == "Trang &P/&N"
    assert wb.properties.title == "Tiêu đề & <thử>" and wb.properties.creator == "Sáu Rõ"
    assert wb["Hai"]["A1"].value == 1


# ------------------------------------------------------------ CSV

def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    # the Vietnamese Excel dialect, the default (issue 17): ";" between fields, decimal comma
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_tables(scenario):
    report = live()
    units = read_csv(ex.csv_bytes(report, "units"))
    leaders = read_csv(ex.csv_bytes(report, "leaders"))
    tasks = read_csv(ex.csv_bytes(report, "tasks"))
    assert tuple(units[0]) == ex.UNIT_HEADERS
    assert tuple(leaders[0]) == ex.LEADER_HEADERS
    assert tuple(tasks[0]) == ex.TASK_HEADERS
    snv = next(r for r in units if r[2] == "SNV")
    # Extensions, amendments, the one added task and the one cancelled task of the
    # scenario beside the score.
    assert snv[1] == "Sở Nội vụ" and snv[3:] == ["13", "3", "1", "1", "1", "9", "66,67", "33,33",
                                                 "47,22", "Không hoàn thành nhiệm vụ", "1", "0", "1",
                                                 "1"]
    skhcn = next(r for r in units if r[2] == "SKHCN")
    assert skhcn[9:13] == ["", "", "", "Chưa đánh giá"]
    head = next(r for r in leaders if r[4] == "head_a")
    assert head[1:4] == ["Trần Văn Hùng", "Người đứng đầu", "Sở Nội vụ"] and head[11] == "47,22"
    late = next(r for r in tasks if r[3] == "Nhiệm vụ hoàn thành muộn")
    assert late[1:] == ["Sở Nội vụ", "3", "Nhiệm vụ hoàn thành muộn", "Phạm Văn Đăng", "Lê Thị Mai",
                        "31/05/2026", "02/06/2026", "Hoàn thành quá hạn", "1,5", "1,5", "1,125", "1", "0",
                        "Không", ""]
    overdue = next(r for r in tasks if r[3] == "Nhiệm vụ quá hạn")
    assert overdue[-2:] == ["Có", ""]
    # English readers get Excel's English dialect: "," between fields, a decimal point
    en = list(csv.reader(io.StringIO(ex.csv_bytes(report, "units", "en").decode("utf-8-sig"))))
    assert next(r for r in en if r[2] == "SNV")[9:12] == ["66.67", "33.33", "47.22"]


def test_csv_is_rfc_4180_and_neutralised(scenario):
    data = ex.csv_bytes(live(), "tasks")
    text = data.decode("utf-8-sig")
    # every field quoted (issue 18): a ";" inside a field never splits it
    assert text.endswith("\r\n") and text.split("\r\n")[0] == ";".join(f'"{h}"' for h in ex.TASK_HEADERS)
    titles = [r[3] for r in read_csv(data)[1:]]
    for typed in INJECTIONS:
        # an apostrophe before the field, and before a formula after a separator (issue 18:
        # a tab-splitting reader would make "=1+1" of "\t=1+1" a cell of its own)
        neutral = "'" + typed if typed[:1] not in "\t\r" else "'" + typed[0] + "'" + typed[1:]
        assert neutral in titles, (typed, titles)
        assert typed not in titles
    # Commas, quotes and line breaks survive exactly.
    assert SAFE_TEXT in titles
    assert '"Báo cáo ""quý II"", gồm: a, b; c\nvà dòng thứ hai\r\nvà dòng ba"' in text


@pytest.mark.parametrize("value, text", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t1", "'\t1"),
    ("\r1", "'\r1"), ("a=1", "a=1"), ("", ""), (None, ""), (3, "3"), (Decimal("66.67"), "66.67"),
    # a formula after a separator (issue 18)
    ("Tổng hợp số liệu;=1+1;@SUM(2+2)", "Tổng hợp số liệu;'=1+1;'@SUM(2+2)"),
    ("a, -1", "a, '-1"), ("a\t+1", "a\t'+1"), ("a\n@b", "a\n'@b"), ("=1;=2", "'=1;'=2"),
    ("2025-2026", "2025-2026"), ("a; b", "a; b"),
    (Decimal("1500000.0000"), "1500000.0000"), (Decimal("-1.5"), "-1.5"),
    (date(2026, 6, 2), "02/06/2026"),
])
def test_csv_value(value, text):
    assert ex.csv_value(value) == text


def test_csv_value_with_a_decimal_comma():
    assert ex.csv_value(Decimal("66.67"), True) == "66,67" and ex.csv_value(1.5, True) == "1,5"
    assert ex.csv_value(3, True) == "3" and ex.csv_value("1.5", True) == "1.5"  # text as typed


def test_csv_folder(scenario, tmp_path):
    paths = ex.write_csv_folder(live(), tmp_path / "out")
    assert [p.name for p in paths] == ["don-vi.csv", "lanh-dao.csv", "nhiem-vu.csv"]
    assert tuple(read_csv(paths[2].read_bytes())[0]) == ex.TASK_HEADERS


def test_csv_round_trip_of_safe_text(world):
    rows = [["a,b", 'say "hi"', "two\nlines", "crlf\r\ninside", "  spaced  ", "ăâđêôơư ẮẰẲẴẶ", "x;y"]]
    out = io.BytesIO()
    ex.write_csv(out, ["h1", "h2", "h3", "h4", "h5", "h6", "h7"], rows)
    assert not out.closed, "the caller's file stays open"
    assert read_csv(out.getvalue())[1] == rows[0]


# ------------------------------------------------------------ streaming

def test_task_rows_stream(world):
    """20,000 tasks: the task table is a generator over a yield_per query (live) or over
    the frozen rows; the workbook is written row by row in write-only mode."""
    n = 20_000
    base = {"plan_id": world.plan.id, "owner_unit_id": world.a.id, "lead_unit_id": world.a.id,
                "assignee_id": world.staff.id, "leader_id": world.deputy.id, "title_folded": "x",
                "status": "completed", "due_on": date(2026, 5, 20), "original_due_on": date(2026, 5, 20),
                "completed_on": date(2026, 5, 21), "weight": Decimal(1)}
    for start in range(0, n, 5000):
        db.session.execute(insert(Task), [dict(base, stt=str(i), title=f"Nhiệm vụ số {i}")
                                          for i in range(start, start + 5000)])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does after 20,000 new rows (these are never committed, so never
        # analyzed): without statistics the planner probed the lead unit's index of every
        # task once per task (the figures' sub-task EXISTS; ~20-35 s for each of the three
        # GROUP BYs below). The test is about streaming, not plans (tests/test_indexes.py).
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE tasks")
            conn.commit()
    report = live()
    rows = ex.task_rows(report)
    assert inspect.isgenerator(rows)
    rows.close()

    seen = []

    def spy(conn, clause, multiparams, params, execution_options):
        seen.append(execution_options.get("yield_per"))

    event.listen(db.engine, "before_execute", spy)
    try:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        out = io.BytesIO()
        ex.write_xlsx(report, out, ISSUER, PLACE, ISSUED)
        elapsed = time.perf_counter() - t0
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        event.remove(db.engine, "before_execute", spy)
    assert ex.YIELD_PER in seen  # the task table: a server-side cursor, fetched in batches
    print(f"\n{n} task rows: XLSX {len(out.getvalue()) / 1e6:.1f} MB in {elapsed:.1f}s, "
          f"peak RSS +{(rss1 - rss0) / 1024:.1f} MB")
    wb = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    ws = wb["Nhiệm vụ"]
    count = sum(1 for r in ws.iter_rows(values_only=True) if r and r[1] == "Sở Nội vụ")
    wb.close()
    assert count == n + 2  # and world.task, world.task2

    run = assessment.freeze(world.assessor.id, Q2, AS_OF, S, today=TODAY)
    db.session.commit()
    frozen = assessment.load_run(run)
    out = io.BytesIO()
    ex.write_table_csv(frozen, "tasks", out)
    assert out.getvalue().count(b"\r\n") == n + 3 + 1  # header, world's 3 tasks
