"""The indicator set's Excel file and entry window in the browser (issue 13): the assessor
downloads a set's criteria, uploads a wrong file and reads each row's error, uploads the
right one, previews it and confirms; publishes the set and opens the entry window; a unit's
staff member saves a draft the head then sees with her name."""

import re
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.e2e.helpers import shot

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("Mã", "Tiêu chí", "Điểm tối đa", "Cách chấm", "Loại kế hoạch",
           "Yêu cầu tài liệu kiểm chứng")


def book(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADERS))
    for r in rows:
        ws.append(list(r))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def departments(live):
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Unit

    def run():
        db.session.execute(update(Unit).where(Unit.code.in_(["SNV", "SKHCN"])).values(kind="department"))
        db.session.commit()
    live.query(run)


@pytest.mark.e2e
def test_the_set_is_imported_from_excel_published_and_its_window_opened(open_page, live):
    departments(live)
    page = open_page("assessor")
    page.goto(f"{live.url}/quality/new")
    page.fill("#name", "Bộ chỉ số các sở, ban, ngành năm 2027")
    page.fill("#year", "2027")
    page.select_option("#unit_group", "department")
    page.locator("#set-save").click()
    set_id = int(re.search(r"/quality/(\d+)", page.url).group(1))

    page.set_input_files("#import-set input[type=file]", files=[{
        "name": "bo-chi-so.xlsx", "mimeType": XLSX,
        "buffer": book([("1", "Chỉ đạo, điều hành", 40, None, None, None),
                        ("1.1", "Ban hành kế hoạch", 40, "Chấm theo cảm tính", None, None)])}])
    page.locator("#import-preview").click()
    expect(page.locator("#import-errors")).to_contain_text("Dòng 3")
    expect(page.locator("#import-errors")).to_contain_text("Chấm theo cảm tính")
    expect(page.locator("#import-confirm")).to_have_count(0)

    page.goto(f"{live.url}/quality/{set_id}")
    page.set_input_files("#import-set input[type=file]", files=[{
        "name": "bo-chi-so.xlsx", "mimeType": XLSX,
        "buffer": book([("1", "Chỉ đạo, điều hành", 40, None, None, None),
                        ("1.1", "Ban hành kế hoạch", 40, "Tự chấm", None, "Có"),
                        ("2", "Kết quả thực hiện nhiệm vụ", 60, None, None, None),
                        ("2.1", "Kế hoạch cải cách hành chính", 60, "Từ nhiệm vụ",
                         "Cải cách hành chính", None)])}])
    page.locator("#import-preview").click()
    expect(page.locator("#import-rows tbody tr")).to_have_count(4)
    shot(page, "64-quality-import-preview")
    page.locator("#import-confirm").click()
    expect(page.locator('#criteria tr[data-code="2.1"]')).to_contain_text("Cải cách hành chính")
    with page.expect_download() as info:
        page.locator("#criteria-xlsx").click()
    with open(info.value.path(), "rb") as fh:
        rows = [r for r in load_workbook(fh).active.iter_rows(values_only=True)]
    # the file's first columns (the methods' parameters follow them)
    header = next(i for i, r in enumerate(rows) if tuple(r[:len(HEADERS)]) == HEADERS)
    assert [r[0] for r in rows[header + 1:]] == ["1", "1.1", "2", "2.1"]

    page.locator("#publish-set").click()
    expect(page.locator("#set-status")).to_have_attribute("data-status", "published")
    page.fill("#opens_on", "01/06/2026")
    page.fill("#closes_on", "10/06/2026")                     # before today (15/06): refused
    page.locator("#window-save").click()
    expect(page.locator("#window-form .invalid-feedback")).to_be_visible()
    page.fill("#closes_on", "30/06/2026")
    page.locator("#window-save").click()
    expect(page.locator("#window-badge")).to_have_attribute("data-window", "open")

    staff = open_page("staff_a")
    staff.goto(f"{live.url}/quality/{set_id}")
    staff.locator("#own-sheet").click()
    expect(staff.locator("#sheet-submit")).to_have_count(0)
    form = staff.locator('form.draft-form[data-code="1.1"]')
    form.locator("#d1_1-points").fill("35")
    form.locator("#d1_1-note").fill("Kế hoạch số 12/KH-SNV")
    form.locator("button[type=submit]").click()
    head = open_page("head_a")
    head.goto(staff.url.split("#")[0])
    expect(head.locator('#scorecard tr[data-code="1.1"] [data-draft]')).to_contain_text("35")
    expect(head.locator("#s1_1-points")).to_have_value("35")
    shot(head, "65-quality-draft")
