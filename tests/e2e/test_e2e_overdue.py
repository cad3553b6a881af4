"""Journey (c): a head opens the home page and the overdue list on a 390-px phone, and
downloads the list as an Excel file holding the rows shown."""

import re
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


@pytest.fixture(scope="module", autouse=True)
def issued(live):
    """The plans issued: a draft plan's tasks are never overdue (DESIGN.md 4)."""
    issue_seed_plans(live)


@pytest.mark.e2e
def test_head_reads_the_dashboard_and_overdue_list_on_a_phone(open_page, live):
    page = open_page("head_a", viewport=PHONE)
    page.goto(live.url + "/")
    expect(page.locator("[data-count=overdue]")).to_have_text("1")
    expect(page.locator("#most-overdue [data-days-overdue]")).to_have_count(1)
    # The head and the deputy, plus the seed's task without an accountable leader: the
    # table adds up to the cards.
    expect(page.locator("#by-leader tr[data-leader-id]")).to_have_count(3)
    expect(page.locator("#by-leader tr[data-leader-id=none]")).to_have_count(1)
    assert_no_horizontal_overflow(page)
    shot(page, "20-dashboard-head-phone")

    page.locator(".navbar-toggler").click()
    page.locator("nav a[href='/overdue']").click()
    expect(page).to_have_url(re.compile(r"/overdue$"))
    rows = page.locator("li[data-task-id]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".badge.text-bg-danger")).to_have_attribute("data-days-overdue", "15")
    assert_no_horizontal_overflow(page)
    shot(page, "21-overdue-head-phone")

    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        ws = load_workbook(BytesIO(fh.read())).active
    cells = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(cells) if r and r[0] == "STT")  # below the title rows
    body = cells[at + 1:]
    assert [r[1] for r in body] == [rows.first.locator("a").inner_text()]
    assert page.errors == []


@pytest.mark.e2e
def test_staff_reads_their_dashboard_on_a_phone(open_page, live):
    page = open_page("staff_a", viewport=PHONE)
    page.goto(live.url + "/")
    expect(page.locator("#due-this-week")).to_be_visible()
    assert_no_horizontal_overflow(page)
    page.goto(live.url + "/overdue")
    assert_no_horizontal_overflow(page)
    assert page.errors == []
