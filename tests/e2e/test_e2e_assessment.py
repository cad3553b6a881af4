"""Assessment journeys: an assessor freezes a period and downloads the XLSX; a head drills
down from their score to the tasks and credits behind it."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.helpers import (
    PHONE,
    assert_no_horizontal_overflow,
    issue_seed_plans,
    shot,
)

Q2 = "period=2026-Q2"


@pytest.fixture(scope="module", autouse=True)
def confirmed(live):
    """The plans issued (a draft plan's tasks are never scored), and the accountable deputy
    confirms one of the two submissions of 10/06 (completed on time: due 30/06). With the
    sub-task overdue since 31/05, Sở Nội vụ has two tasks fallen due in 2026-Q2 as of 15/06:
    1 + 0 credit over 2 weight = 50."""
    from app.extensions import db
    from app.models import User
    from app.tasks import commands as tasks

    issue_seed_plans(live)

    def confirm():
        deputy = db.session.get(User, live.ids.deputy)
        tasks.confirm_task(deputy, live.ids.confirm, "Đạt yêu cầu.")
        db.session.commit()
    live.query(confirm)


def score_cell(row):
    return row.locator("td[data-figure=score]")


@pytest.mark.e2e
def test_assessor_freezes_a_period_and_downloads_the_xlsx(open_page, live):
    page = open_page("assessor")
    page.locator("#nav-assessment").click()
    expect(page).to_have_url(re.compile(r"/assessment$"))
    # The picker starts on the current quarter; choose it explicitly and show.
    page.locator("select#period").select_option("2026-Q2")
    page.locator("#assessment-filter button[type=submit]").click()
    expect(page.locator("#live-badge")).to_be_visible()
    snv = page.locator(f"#unit-table tr[data-unit-id='{live.ids.a}'][data-row=own]")
    expect(score_cell(snv)).to_have_attribute("data-value", "50.00")
    expect(snv.locator("[data-figure=grade]")).to_have_text("Hoàn thành nhiệm vụ")
    expect(page.locator("svg#chart-rates")).to_be_visible()
    expect(page.locator("svg#chart-mix")).to_be_visible()
    expect(page.locator("svg#chart-trend")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "30-assessment")

    # Freezing asks first: the button opens the question, its answer freezes.
    expect(page.locator("#freeze-button")).to_be_hidden()
    page.locator("#freeze-open").click()
    page.locator("#freeze-button").click()
    expect(page).to_have_url(re.compile(r"/assessment/runs/\d+$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#frozen-badge")).to_have_attribute("data-run-version", "1")
    frozen = page.locator(f"#unit-table tr[data-unit-id='{live.ids.a}'][data-row=own]")
    expect(score_cell(frozen)).to_have_attribute("data-value", "50.00")
    shot(page, "31-assessment-run")

    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    download = info.value
    assert download.suggested_filename == "danh-gia-2026-Q2-tinh-den-15-06-2026-v1.xlsx"
    with open(download.path(), "rb") as fh:
        wb = load_workbook(BytesIO(fh.read()))
    assert wb.sheetnames == ["Đơn vị", "Lãnh đạo", "Nhiệm vụ"]
    rows = list(wb["Đơn vị"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    snv_row = next(r for r in rows[header + 1:] if r[2] == "SNV")
    assert Decimal(str(snv_row[11])) == Decimal(50) and snv_row[12] == "Hoàn thành nhiệm vụ"
    tasks = [r for r in wb["Nhiệm vụ"].iter_rows(values_only=True) if r and r[1] == "Sở Nội vụ"]
    assert any(r[8] == "Hoàn thành đúng hạn" for r in tasks)

    # The run is listed, with its version, as-of date and who froze it.
    page.locator("#runs-link").click()
    listed = page.locator("#run-table tr[data-run-id]")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("15/06/2026")
    expect(listed.first).to_contain_text("Đánh Giá Viên")
    assert page.errors == []


@pytest.mark.e2e
def test_head_drills_down_from_their_score_to_the_tasks(open_page, live):
    page = open_page("head_a")
    page.goto(f"{live.url}/assessment?{Q2}")
    mine = page.locator(f"#leader-table tr[data-leader-id='{live.ids.head}']")
    expect(score_cell(mine)).to_have_attribute("data-value", "50.00")
    score_cell(mine).locator("a").click()

    expect(page).to_have_url(re.compile(rf"/assessment/leader/{live.ids.head}\?"))
    expect(page.locator("#drill-subject")).to_have_text("Trần Văn Hùng")
    formula = page.locator("#score-formula")
    expect(formula).to_have_attribute("data-score", "50.00")
    credit = Decimal(formula.get_attribute("data-sum-credit"))
    weight = Decimal(formula.get_attribute("data-sum-weight"))
    assert credit / weight * 100 == Decimal(50)
    rows = page.locator("#drill-tasks tbody tr[data-task-id]")
    expect(rows).to_have_count(2)
    expect(page.locator(f"#drill-tasks tr[data-task-id='{live.ids.confirm}']")).to_have_attribute(
        "data-outcome", "on_time")
    credits = [Decimal(rows.nth(i).get_attribute("data-credit")) for i in range(rows.count())]
    assert sum(credits) == credit
    assert_no_horizontal_overflow(page)
    shot(page, "32-drilldown")

    # One outcome at a time: the overdue task, then on to the task itself.
    page.locator("#outcome-filter a[data-filter=overdue]").click()
    expect(rows).to_have_count(1)
    overdue = rows.first
    expect(overdue).to_have_attribute("data-credit", re.compile(r"^0(\.0+)?$"))
    overdue.locator("a").click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    assert page.errors == []


@pytest.mark.e2e
def test_head_sees_their_own_score_first_and_opens_the_tasks_behind_it(open_page, live):
    page = open_page("head_a")
    page.goto(f"{live.url}/assessment?{Q2}")
    card = page.locator("#my-score")
    expect(card).to_have_attribute("data-leader-id", str(live.ids.head))
    expect(card.locator("[data-figure=score]")).to_have_text("50")
    expect(card.locator("[data-grade]")).to_have_text("Hoàn thành nhiệm vụ")
    expect(card).to_contain_text(live.tr(
        "%(due)s tasks have fallen due: %(on_time)s completed on time, %(late)s completed late, "
        "%(overdue)s overdue and not completed.", due=2, on_time=1, late=0, overdue=1))
    # The card comes before the tables: it is what a head looks for.
    assert page.evaluate("""() => {
        const card = document.getElementById('my-score');
        const table = document.getElementById('unit-table');
        return !!(card.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    page.locator("#my-score-tasks").click()
    expect(page).to_have_url(re.compile(rf"/assessment/leader/{live.ids.head}\?"))
    expect(page.locator("#score-formula")).to_have_attribute("data-score", "50.00")
    expect(page.locator("#drill-tasks tbody tr[data-task-id]")).to_have_count(2)
    assert page.errors == []


@pytest.mark.e2e
def test_head_reads_the_assessment_and_print_view_on_a_phone(open_page, live):
    page = open_page("head_a", viewport=PHONE)
    page.goto(f"{live.url}/assessment?{Q2}")
    expect(page.locator("#unit-table")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "33-assessment-phone")
    page = open_page("head_a")
    page.goto(f"{live.url}/assessment/print?{Q2}")
    expect(page.locator("#print-report")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".app-nav")).to_be_hidden()
    shot(page, "34-assessment-print")
    assert page.errors == []
