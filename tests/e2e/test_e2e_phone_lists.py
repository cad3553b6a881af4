"""Issue 17 section 4: at 390 px "My tasks", the plan table and the overdue list show every
column's content (due date, progress, status...) on screen, without horizontal scrolling;
on the task page the responsible person's progress form is within the first screen."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    PHONE,
    assert_no_horizontal_overflow,
    issue_seed_plans,
    shot,
)


@pytest.fixture(scope="module", autouse=True)
def issued(live):
    issue_seed_plans(live)


def assert_on_screen(page, rows, what: str) -> int:
    """Every non-empty cell of every row inside the 390-px viewport's width, nothing
    scrolled sideways (the table's wrapper included). Returns the cells checked."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
    wrappers = page.locator(".table-responsive")
    for i in range(wrappers.count()):
        w = wrappers.nth(i)
        assert w.evaluate("el => el.scrollWidth <= el.clientWidth + 2"), f"{what}: the table scrolls"
    checked = 0
    for r in range(rows.count()):
        row = rows.nth(r)
        row.scroll_into_view_if_needed()
        cells = row.locator(":scope > td")
        for c in range(cells.count()):
            cell = cells.nth(c)
            if not cell.is_visible() or not cell.inner_text().strip():
                continue
            box = cell.bounding_box()
            assert box["x"] >= -1 and box["x"] + box["width"] <= PHONE["width"] + 1, (
                what, cell.inner_text(), box)
            checked += 1
    return checked


@pytest.mark.e2e
def test_my_tasks_is_a_column_of_cards_on_a_phone(open_page, live):
    page = open_page("staff_a", viewport=PHONE)
    page.goto(live.url + "/tasks/mine")
    rows = page.locator("#task-table tbody tr[data-task-id]")
    expect(rows.first).to_be_visible()
    first = rows.first
    for label in ("Due", "Progress", "Timeliness"):
        cell = first.locator(f"td[data-label='{live.tr(label)}']")
        expect(cell).to_be_visible()
    expect(first.locator(".progress")).to_be_visible()
    expect(first.locator("[data-timeliness]")).to_be_visible()
    assert assert_on_screen(page, rows, "my tasks") >= 4 * rows.count()
    assert_no_horizontal_overflow(page)
    shot(page, "14-phone-my-tasks")
    assert page.errors == []


@pytest.mark.e2e
def test_the_plan_table_is_a_column_of_cards_with_sub_tasks_indented(open_page, live):
    ids = live.ids
    page = open_page("head_a", viewport=PHONE)
    page.goto(f"{live.url}/plans/{ids.plan}")
    rows = page.locator("#plan-tasks tbody tr[data-task-id]")
    expect(rows).to_have_count(ids.plan_total)
    assert assert_on_screen(page, rows, "plan") >= 5 * ids.plan_total
    child = page.locator("#plan-tasks tr[data-depth='1']").first
    parent = page.locator(f"#plan-tasks tr[data-task-id='{ids.index}']")
    assert child.bounding_box()["x"] > parent.bounding_box()["x"]  # indented
    assert_no_horizontal_overflow(page)
    shot(page, "08-phone-plan")
    assert page.errors == []


@pytest.mark.e2e
def test_the_overdue_list_shows_due_progress_and_status_on_a_phone(open_page, live):
    page = open_page("head_a", viewport=PHONE)
    page.goto(live.url + "/overdue")
    rows = page.locator("li[data-task-id]")
    expect(rows.first).to_be_visible()
    for i in range(rows.count()):
        row = rows.nth(i)
        text = row.inner_text()
        assert "%" in text and "/2026" in text, text   # progress and due date
        badge = row.locator(".badge").last             # days overdue / left
        box = badge.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], box
    assert_no_horizontal_overflow(page)
    shot(page, "21-overdue-head-phone")
    assert page.errors == []


@pytest.mark.e2e
def test_the_progress_form_is_within_the_first_screen_for_the_responsible_person(open_page, live):
    ids = live.ids
    page = open_page("staff_a", viewport=PHONE)
    page.goto(f"{live.url}/tasks/{ids.report}")
    form = page.locator("#progress-form")
    expect(form).to_be_visible()
    box = form.bounding_box()
    assert box["y"] < PHONE["height"], box   # its top is on the first screen, unscrolled
    assert_no_horizontal_overflow(page)
    shot(page, "15-phone-task-progress-first")
    assert page.errors == []


@pytest.mark.e2e
def test_a_long_unbroken_string_wraps_on_a_phone(open_page, live):
    """A pasted link or file name with no space must wrap, not widen the page."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Task

    ids = live.ids
    long = "https://dichvucong.daklak.gov.vn/" + "thu-tuc-hanh-chinh-" * 12

    def set_description():
        db.session.execute(update(Task).where(Task.id == ids.digitize).values(description=long))
        db.session.commit()
    live.query(set_description)
    page = open_page("head_a", viewport=PHONE)
    page.goto(f"{live.url}/tasks/{ids.digitize}")
    expect(page.locator("main")).to_contain_text("thu-tuc-hanh-chinh-")
    assert_no_horizontal_overflow(page)
    assert page.errors == []


@pytest.mark.e2e
def test_a_process_steps_number_stays_on_one_line_on_a_phone(open_page, live):
    """At 390 px the steps' numbers ("1.") broke into "1" over "." beside a long step title
    and its "Mark done" button (seen in the browser walk): the number never shrinks, the
    button never breaks its words."""
    page = open_page("staff_a", viewport=PHONE)
    page.goto(f"{live.url}/tasks/{live.ids.report}")
    steps = page.locator("#steps + ol > li")
    assert steps.count() >= 2
    for i in range(steps.count()):
        step = steps.nth(i)
        assert step.evaluate("el => getComputedStyle(el, '::before').flexShrink") == "0"
        button = step.locator("button")
        if button.count():
            box = button.bounding_box()
            line = float(button.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
            assert box["height"] < 2 * line, button.inner_text()   # one line of words
    assert_no_horizontal_overflow(page)
    assert page.errors == []
