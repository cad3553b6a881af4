"""The papers officials sign (issue 17), printed by chromium: the plan, the assessment
report and the overdue report each carry the official header (quốc hiệu, tiêu ngữ, the
issuing body, the place and date) and the closing block ("Nơi nhận", who signs) on paper,
and the page prints to a PDF."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import issue_seed_plans, shot

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


@pytest.fixture(scope="module", autouse=True)
def issued(live):
    issue_seed_plans(live)


def printed(page, name: str) -> bytes:
    """The page as paper: print media (the navigation and the tool bar gone, the header and
    closing block shown), then the PDF chromium makes of it."""
    page.emulate_media(media="print")
    expect(page.locator(".app-nav")).to_have_count(0) if not page.locator(".app-nav").count() \
        else expect(page.locator(".app-nav")).to_be_hidden()
    expect(page.locator(".no-print").first).to_be_hidden()
    head, closing = page.locator("#letterhead"), page.locator("#closing")
    expect(head).to_be_visible()
    expect(closing).to_be_visible()
    for text in (NATION, MOTTO, "UBND TỈNH ĐẮK LẮK", "Số:"):
        expect(head).to_contain_text(text)
    expect(closing).to_contain_text("Nơi nhận:")
    expect(closing).to_contain_text("Lưu: VT.")
    shot(page, name)
    pdf = page.pdf(format="A4", landscape=True, print_background=False)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 1
    return pdf


@pytest.mark.e2e
def test_the_assessment_report_and_the_overdue_report_print_as_official_papers(open_page, live):
    page = open_page("head_a")
    page.goto(f"{live.url}/assessment/print?period=2026-Q2")
    expect(page.locator("h1.doc-kind")).to_have_text("BÁO CÁO")
    expect(page.locator("#quota-warning")).to_have_count(0)
    page.locator("#toggle-due-only").click()
    expect(page.locator("#left-out")).to_be_visible()
    printed(page, "35-assessment-print-official")

    page = open_page("head_a")
    page.goto(f"{live.url}/overdue")
    page.locator("#print-overdue").click()
    expect(page.locator("#overdue-report")).to_be_visible()
    expect(page.locator("#by-unit tr[data-unit-id]")).not_to_have_count(0)
    expect(page.locator("#by-leader tr[data-leader-id]")).not_to_have_count(0)
    printed(page, "36-overdue-print")
    assert page.errors == []


@pytest.mark.e2e
def test_the_plan_prints_with_the_same_header(open_page, live):
    page = open_page("head_a")
    page.goto(f"{live.url}/plans/{live.ids.plan}/print")
    expect(page.locator("h1.doc-kind")).to_have_text("KẾ HOẠCH")
    expect(page.locator("#letterhead")).to_contain_text("Số: 15/KH-SNV")
    printed(page, "37-plan-print-official")
    assert page.errors == []
