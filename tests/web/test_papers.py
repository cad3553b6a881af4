"""The papers officials sign (issue 17): one official header and closing block (Decree
30/2020) on the plan, the assessment report and the overdue report; local dates of
instants; exports in people's language."""

from datetime import date, datetime

from web_support import page

from app.extensions import db
from app.models import AssessmentRun
from app.reports import document
from app.reports.local import local_date
from tests.web import test_assessment

# The scored world of the assessment tests: unit A in 2026-Q2, as of 15/06/2026.
drafted, scored, Q2 = test_assessment.drafted, test_assessment.scored, test_assessment.Q2
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def header_and_closing(doc) -> tuple[str, str]:
    head, closing = doc.by_id("letterhead"), doc.by_id("closing")
    assert head is not None and closing is not None
    return head.text(), closing.text()


def test_the_live_assessment_print_page_is_an_official_report(scored, as_user):
    c = as_user("assessor")
    doc = page(c.get(f"/assessment/print?{Q2}&unit={scored.a.id}"))
    head, closing = header_and_closing(doc)
    for text in ("UBND TỈNH ĐẮK LẮK", "SỞ NỘI VỤ", "Số:", NATION, MOTTO,
                 "Đắk Lắk, ngày 15 tháng 6 năm 2026"):
        assert text in head, text
    assert doc.find("h1").text() == "BÁO CÁO"
    assert doc.find("h2").text() == "Kết quả thực hiện nhiệm vụ và điểm trách nhiệm quý II năm 2026"
    assert "Nơi nhận:" in closing and "UBND tỉnh Đắk Lắk (để báo cáo);" in closing
    assert "Lưu: VT." in closing and "GIÁM ĐỐC" not in closing  # a made unit has no kind
    assert doc.find(cls="signer-name").text() == "Trần Văn Hùng"  # the unit's one head
    # the internal quota warning is for the assessor's screen, not the paper
    assert doc.by_id("quota-warning") is None


def test_a_frozen_run_prints_with_its_local_freeze_date_and_can_leave_out_empty_units(
        scored, as_user, make):
    w = scored
    idle = make.unit("UBND phường Bình Kiến", parent=w.province, code="BK")
    idle_head = make.user(idle, "head", "Nguyễn Văn Rảnh", "head_idle")
    c = as_user("assessor")
    resp = c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026", "unit": ""})
    run_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    # frozen at 23:30 UTC on 14/06: 06:30 on 15/06 in Đắk Lắk
    run = db.session.get(AssessmentRun, run_id)
    run.created_at = datetime(2026, 6, 14, 23, 30)
    db.session.commit()
    doc = page(c.get(f"/assessment/runs/{run_id}/print"))
    assert "15/06/2026 06:30" in doc.by_id("doc-subtitle").text()
    units = {r.attrs["data-unit-id"] for r in doc.by_id("unit-table").find_all("tr")
             if "data-unit-id" in r.attrs}
    assert str(idle.id) in units
    toggle = doc.by_id("toggle-due-only").attrs["href"]
    assert toggle.endswith("?due_only=1")
    doc = page(c.get(toggle))
    units = {r.attrs["data-unit-id"] for r in doc.by_id("unit-table").find_all("tr")
             if "data-unit-id" in r.attrs}
    assert str(idle.id) not in units and {str(w.a.id), str(w.b.id)} <= units
    leaders = {r.attrs["data-leader-id"] for r in doc.by_id("leader-table").find_all("tr")
               if "data-leader-id" in r.attrs}
    assert str(w.head.id) in leaders and str(idle_head.id) not in leaders
    assert doc.by_id("left-out") is not None
    head, _closing = header_and_closing(doc)
    assert "UBND TỈNH ĐẮK LẮK" in head and NATION in head


def test_the_overdue_report_counts_by_unit_and_by_leader_under_the_official_header(
        scored, as_user):
    w = scored
    c = as_user("head_a")
    resp = c.get("/overdue/print")
    assert resp.status_code == 200
    doc = page(resp)
    head, closing = header_and_closing(doc)
    assert "SỞ NỘI VỤ" in head and NATION in head and "ngày 15 tháng 6 năm 2026" in head
    assert doc.find("h2").text() == ("Tình hình thực hiện nhiệm vụ quá hạn, sắp đến hạn "
                                     "(tính đến ngày 15/06/2026)")
    row = doc.by_id("by-unit").find("tr", **{"data-unit-id": str(w.a.id)})
    assert row.find("td", **{"data-figure": "overdue"}).text() == "1"
    assert row.find("td", **{"data-figure": "due_soon"}).text() == "1"
    deputy = doc.by_id("by-leader").find("tr", **{"data-leader-id": str(w.deputy.id)})
    assert "Lê Thị Mai" in deputy.text() and "Cấp phó" in deputy.text() and "Sở Nội vụ" in deputy.text()
    tasks = [r.attrs["data-task-id"] for r in doc.by_id("overdue-tasks").find_all("tr")
             if "data-task-id" in r.attrs]
    assert tasks == [str(w.overdue.id), str(w.due_today.id)]
    assert "Lưu: VT." in closing and doc.find(cls="signer-name").text() == "Trần Văn Hùng"
    # the list links to it, with the same filter
    link = page(c.get(f"/overdue?unit={w.a.id}")).by_id("print-overdue").attrs["href"]
    assert link == f"/overdue/print?unit={w.a.id}"


def test_a_staff_members_overdue_report_holds_only_their_tasks(scored, as_user):
    doc = page(as_user("staff_b").get("/overdue/print"))
    assert doc.by_id("overdue-tasks").find("tr", **{"data-task-id": str(scored.overdue.id)}) is None


def test_local_date_of_an_instant_late_in_the_utc_day():
    assert local_date(datetime(2026, 12, 6, 23, 30)) == date(2026, 12, 7)
    assert document.date_line("Đắk Lắk", date(2026, 2, 5)) == "Đắk Lắk, ngày 05 tháng 02 năm 2026"


LATE_UTC = datetime(2026, 12, 6, 23, 30)  # 06:30 on 07/12 in Đắk Lắk


def test_instants_late_in_the_utc_day_show_and_export_their_local_date(app):
    from io import BytesIO

    from openpyxl import Workbook, load_workbook

    from app.assessment.export import csv_value
    from app.filters import vndate, vndatetime
    from app.reports.xlsx import cell, table_workbook

    with app.test_request_context("/"):
        assert vndate(LATE_UTC) == "07/12/2026" and vndatetime(LATE_UTC) == "07/12/2026 06:30"
    assert csv_value(LATE_UTC) == "07/12/2026"
    assert cell(Workbook(write_only=True).create_sheet("x"), LATE_UTC).value == date(2026, 12, 7)
    ws = load_workbook(BytesIO(table_workbook("x", ["at"], [[LATE_UTC]]))).active
    assert ws["A2"].value.date() == date(2026, 12, 7)


def word_text(data: bytes) -> tuple[str, list]:
    """The paragraphs (body and table cells) and the tables of a .docx, read with python-docx."""
    from io import BytesIO

    from docx import Document

    d = Document(BytesIO(data))
    texts = [p.text for p in d.paragraphs]
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in d.tables]
    texts += [p.text for t in d.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    return "\n".join(texts), tables


def test_the_assessment_report_and_the_plan_as_word_in_the_same_layout(scored, as_user, make):
    w = scored
    idle = make.unit("UBND phường Bình Kiến", parent=w.province, code="BK")
    c = as_user("assessor")
    resp = c.get(f"/assessment/report.docx?{Q2}")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="danh-gia-2026-Q2-tinh-den-15-06-2026.docx"')
    text, tables = word_text(resp.data)
    for t in (NATION, MOTTO, "UBND TỈNH ĐẮK LẮK", "BÁO CÁO", "Nơi nhận:", "Lưu: VT.",
              "Kết quả thực hiện nhiệm vụ và điểm trách nhiệm quý II năm 2026",
              "tính đến ngày 15/06/2026"):
        assert t in text, t
    units, leaders = tables[1], tables[2]
    assert units[0][:2] == ["STT", "Tên đơn vị"]
    snv = next(r for r in units if r[1] == "Sở Nội vụ")
    assert snv[units[0].index("Điểm trách nhiệm")] == "72,5"
    assert any(r[1] == idle.name for r in units)
    assert next(r for r in leaders if r[1] == "Trần Văn Hùng")[2] == "Người đứng đầu"
    # the print page's option: leave out the units with nothing fallen due
    print_page = page(c.get(f"/assessment/print?{Q2}&due_only=1"))
    href = print_page.by_id("download-docx").attrs["href"]
    assert "due_only=1" in href
    _text, tables = word_text(c.get(href).data)
    assert not any(r[1] == idle.name for r in tables[1])

    resp = c.get(f"/plans/{w.plan.id}/print.docx")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith("-cchc.docx")
    text, tables = word_text(resp.data)
    assert "KẾ HOẠCH" in text and NATION in text and "Nơi nhận:" in text
    assert tables[1][0][:2] == ["STT", "Nhiệm vụ"]
    assert {r[1] for r in tables[1][1:]} >= {"Ban hành quy chế làm việc", "Rà soát thủ tục hành chính"}
