"""Journey 1: the head reviews the unit's plan, sees the six clears of every task, and is
refused when issuing it while some tasks are unclear. Also the phone layout of the plan."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE, assert_no_horizontal_overflow, login, shot


@pytest.mark.e2e
def test_head_reviews_plan_and_is_refused_issuing_it(open_page, live):
    ids = live.ids
    page = open_page()
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    shot(page, "01-login")

    login(page, live, "head_a")
    expect(page.locator("h1")).to_contain_text("Trần Văn Hùng")
    expect(page.locator("main")).to_contain_text("Sở Nội vụ")
    expect(page.locator("[data-count=overdue]")).to_be_visible()
    shot(page, "02-dashboard-head")

    # Plans list -> the 2026 CCHC plan.
    page.locator("nav a[href='/plans']").click()
    page.get_by_role("link", name="Kế hoạch cải cách hành chính năm 2026").click()
    expect(page).to_have_url(re.compile(rf"/plans/{ids.plan}$"))
    expect(page.locator("h1")).to_have_text("Kế hoạch cải cách hành chính năm 2026")

    rows = page.locator("tbody tr[data-task-id]")
    expect(rows).to_have_count(ids.plan_total)
    for i in range(ids.plan_total):
        expect(rows.nth(i).locator(".six-clears .badge")).to_have_count(6)

    # A clear task: six green ticks.
    clear_row = page.locator(f"tr[data-task-id='{ids.report}']")
    expect(clear_row.locator(".badge[data-ok='1']")).to_have_count(6)
    for badge in clear_row.locator(".six-clears .badge").all():
        expect(badge).to_have_class(re.compile(r"text-bg-success"))
        expect(badge).to_contain_text("✓")

    # A generic task: red crosses, each with its reason in the title attribute.
    generic = page.locator(f"tr[data-task-id='{ids.generic}']")
    expect(generic.locator(".badge[data-ok='0']")).to_have_count(4)
    person = generic.locator(".badge[data-clear='person']")
    expect(person).to_have_class(re.compile(r"text-bg-danger"))
    expect(person).to_contain_text("✗ Rõ người")
    expect(person).to_have_attribute("title", re.compile("Chưa có người thực hiện"))
    expect(person).to_have_attribute("title", re.compile("Chưa có đơn vị chủ trì"))
    expect(generic.locator(".badge[data-clear='task']")).to_have_attribute(
        "title", re.compile("Chưa có mô tả nhiệm vụ"))
    expect(generic.locator(".badge[data-clear='process']")).to_have_attribute(
        "title", "Chưa có bước thực hiện nào")
    expect(generic.locator(".badge[data-clear='result']")).to_have_attribute(
        "title", "Chưa có sản phẩm đầu ra")
    expect(generic.locator(".badge[data-clear='responsibility']")).to_have_attribute("data-ok", "1")
    no_leader = page.locator(f"tr[data-task-id='{ids.no_leader}']")
    expect(no_leader.locator(".badge[data-clear='responsibility']")).to_have_attribute(
        "title", re.compile("Chưa có lãnh đạo phụ trách"))
    expect(no_leader.locator(".badge[data-clear='deadline']")).to_have_attribute(
        "title", "Chưa có hạn hoàn thành")

    expect(page.locator("#clear-count")).to_have_text(
        live.tr("%(clear)s of %(total)s tasks fully clear", clear=ids.plan_clear, total=ids.plan_total))
    shot(page, "03-plan-badges")

    # Issue the plan: the button asks first (issue 17), then refused, with the list of the
    # unclear tasks and their reasons.
    expect(page.locator("#issue-plan")).to_be_hidden()
    page.locator("#issue-plan-ask").click()
    expect(page.locator("#issue-confirm")).to_contain_text(live.tr(
        "Once issued, the tasks start: the people responsible are told, deadlines are watched "
        "and the tasks count in the assessments. An issued plan can only be amended, not "
        "returned to draft."))
    page.locator("#issue-plan").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger[role=alert]")).to_contain_text(
        live.tr("The plan cannot be issued: %(num)s task is not clear on all six.",
                plural="The plan cannot be issued: %(num)s tasks are not clear on all six.", num=2))
    unclear = page.locator("#unclear-list")
    expect(unclear).to_be_visible()
    items = unclear.locator("ol > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Tăng cường công tác cải cách hành chính")
    expect(items.nth(0)).to_contain_text("Chưa có người thực hiện")
    expect(items.nth(1)).to_contain_text("Rà soát, đánh giá thủ tục hành chính thuộc thẩm quyền")
    expect(items.nth(1)).to_contain_text("Chưa có lãnh đạo phụ trách")
    # Still a draft: the issue button is still offered, nothing was issued.
    expect(page.locator("#issue-plan-ask")).to_be_visible()
    shot(page, "04-plan-issue-refused")

    from app.extensions import db
    from app.models import Plan

    assert live.query(lambda: db.session.get(Plan, ids.plan).status) == "draft"

    # The unclear list links to the task, whose page says what is missing.
    items.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{ids.generic}$"))
    expect(page.locator(".clear-reasons")).to_contain_text("Chưa có sản phẩm đầu ra")
    assert page.errors == []


@pytest.mark.e2e
def test_phone_plan_page_holds_its_layout(open_page, live):
    ids = live.ids
    page = open_page("head_a", viewport=PHONE)
    page.goto(f"{live.url}/plans/{ids.plan}")
    expect(page.locator("tbody tr[data-task-id]")).to_have_count(ids.plan_total)
    # The menu collapses behind the toggler; the wide table scrolls inside its wrapper.
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#mainnav")).to_be_hidden()
    assert_no_horizontal_overflow(page)
    table = page.locator(".table-responsive").first
    assert table.evaluate("el => el.scrollWidth >= el.clientWidth")
    shot(page, "08-phone-plan")

    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_be_visible()
    assert_no_horizontal_overflow(page)
    assert page.errors == []
