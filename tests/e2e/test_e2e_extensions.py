"""Extensions (gia hạn) in the browser: the responsible person asks for a new due date
(dd/mm/yyyy, with a reason), the head approves it with a comment and the task page then
shows the new effective due date, the original one and the history; the accountable
deputy refuses another; a task already past its due date cannot be extended.

Today is 15/06/2026 (tests/conftest.py). staff_a (Phạm Văn Đăng) is responsible for the
seeded tasks `report` and `index` (due 30/06/2026, accountable deputy_a) and for the
sub-task of `index` due 31/05/2026, already overdue."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import issue_seed_plans, shot

REASON = "Chờ ý kiến góp ý của các sở, ngành về dự thảo"


@pytest.fixture(autouse=True)
def issued(live):
    """An extension is asked on an issued plan's task (a draft has no due date to move)."""
    issue_seed_plans(live)


def task_state(live, task_id):
    """(effective due date, original due date, approved extensions, requests by status)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Extension, Task

    def read():
        t = db.session.get(Task, task_id)
        statuses = db.session.scalars(select(Extension.status).where(Extension.task_id == task_id)
                                      .order_by(Extension.id)).all()
        return t.due_on, t.original_due_on, t.extension_count, list(statuses)
    return live.query(read)


def ask(page, live, task_id, proposed, reason=REASON):
    page.goto(f"{live.url}/tasks/{task_id}")
    form = page.locator("#extension-form")
    form.locator("input[name=proposed_due_on]").fill(proposed)
    form.locator("textarea[name=reason]").fill(reason)
    form.get_by_role("button", name=live.tr("Request an extension")).click()


@pytest.mark.e2e
def test_staff_asks_and_the_head_approves_with_a_comment(open_page, live):
    ids = live.ids
    staff = open_page("staff_a")

    # A date before the current due date is refused beside the field; what was typed stays.
    ask(staff, live, ids.report, "20/06/2026")
    form = staff.locator("#extension-form")
    expect(form.locator("input[name=proposed_due_on]")).to_have_value("20/06/2026")
    expect(form.locator("textarea[name=reason]")).to_have_value(REASON)
    expect(form.locator("input[name=proposed_due_on]")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(form.locator("input[name=proposed_due_on] ~ .invalid-feedback")).to_contain_text(
        live.tr("The proposed date must be after the current due date (%(date)s).",
                date="30/06/2026"))
    # ... and so is a date past the end of the year after the plan's (a later year is a
    # carry-over, issue 11, up to 31/12 of the next year).
    form.locator("input[name=proposed_due_on]").fill("01/01/2028")
    form.get_by_role("button", name=live.tr("Request an extension")).click()
    expect(staff.locator("#extension-form input[name=proposed_due_on] ~ .invalid-feedback")).to_contain_text(
        live.tr("An extension can move the due date at most to %(date)s (the end of the year "
                "after the plan's).", date="31/12/2027"))
    expect(staff.locator("#extension-form textarea[name=reason]")).to_have_value(REASON)
    assert task_state(live, ids.report) == (date(2026, 6, 30), date(2026, 6, 30), 0, [])

    ask(staff, live, ids.report, "31/07/2026")
    expect(staff.locator(".alert-success")).to_contain_text(
        live.tr("The extension request has been sent to the accountable leader."))
    expect(staff.locator("#extension-form")).to_have_count(0)        # one request at a time
    expect(staff.locator("#pending-extension")).to_contain_text("31/07/2026")
    pending = staff.locator("#extension-history tr[data-status=pending]")
    expect(pending).to_contain_text("30/06/2026 → 31/07/2026")
    expect(pending).to_contain_text(REASON)
    assert task_state(live, ids.report) == (date(2026, 6, 30), date(2026, 6, 30), 0, ["pending"])

    # The head is told, opens the task from the notification and approves with a comment.
    head = open_page("head_a")
    head.goto(live.url + "/notifications")
    head.locator(f"#notification-list li[data-task-id='{ids.report}'][data-unread='1'] .notification-open").first.click()
    expect(head).to_have_url(re.compile(rf"/tasks/{ids.report}"))
    expect(head.locator("#pending-extension")).to_contain_text("Phạm Văn Đăng")
    expect(head.locator("#pending-extension")).to_contain_text("31/07/2026")
    shot(head, "40-extension-decision")
    decision = head.locator("#decision-form")
    decision.locator("textarea[name=comment]").fill("Đồng ý gia hạn; hoàn thành trước 31/07/2026.")
    decision.get_by_role("button", name=live.tr("Approve the extension")).click()
    expect(head.locator(".alert-success")).to_contain_text(
        live.tr("The extension has been approved; the due date has moved."))

    # The task page: the new effective due date, the original one, the history.
    dates = head.locator("dt", has_text=live.tr("Dates")).locator("xpath=following-sibling::dd[1]")
    expect(dates.locator("strong")).to_have_text("31/07/2026")
    expect(dates).to_contain_text(live.tr("originally %(date)s", date="30/06/2026"))
    approved = head.locator("#extension-history tr[data-status=approved]")
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("30/06/2026 → 31/07/2026")
    expect(approved).to_contain_text(live.tr("Approved"))
    expect(approved).to_contain_text("Trần Văn Hùng")
    expect(approved).to_contain_text("Đồng ý gia hạn; hoàn thành trước 31/07/2026.")
    expect(head.locator("#decision-form")).to_have_count(0)
    expect(head.locator("main")).to_contain_text(
        live.tr("Extensions granted: %(n)s of at most %(max)s.", n=1, max=2))
    shot(head, "41-extension-approved")
    assert task_state(live, ids.report) == (date(2026, 7, 31), date(2026, 6, 30), 1, ["approved"])

    # The responsible person sees the same, and may ask again before the new date.
    staff.reload()
    expect(staff.locator("#extension-history tr[data-status=approved]")).to_contain_text(
        "Trần Văn Hùng")
    expect(staff.locator("#extension-form")).to_be_visible()
    assert staff.errors == [] and head.errors == []


@pytest.mark.e2e
def test_the_accountable_deputy_refuses_and_says_why(open_page, live):
    ids = live.ids
    staff = open_page("staff_a")
    ask(staff, live, ids.index, "15/07/2026", "Cần thêm thời gian lấy ý kiến")

    deputy = open_page("deputy_a")
    deputy.goto(f"{live.url}/tasks/{ids.index}")
    decision = deputy.locator("#decision-form")
    # Refusing without a comment is refused beside the comment field.
    decision.get_by_role("button", name=live.tr("Refuse")).click()
    expect(deputy.locator("#decision-form textarea[name=comment] ~ .invalid-feedback")).to_contain_text(
        live.tr("Say why the extension is refused."))
    assert task_state(live, ids.index)[3] == ["pending"]

    deputy.locator("#decision-form textarea[name=comment]").fill("Đề nghị bố trí nhân lực hoàn thành đúng hạn.")
    deputy.locator("#decision-form").get_by_role("button", name=live.tr("Refuse")).click()
    expect(deputy.locator(".alert-success")).to_contain_text(live.tr("The extension has been refused."))
    refused = deputy.locator("#extension-history tr[data-status=refused]")
    expect(refused).to_contain_text(live.tr("Refused"))
    expect(refused).to_contain_text("Lê Thị Mai")
    expect(refused).to_contain_text("Đề nghị bố trí nhân lực hoàn thành đúng hạn.")
    dates = deputy.locator("dt", has_text=live.tr("Dates")).locator("xpath=following-sibling::dd[1]")
    expect(dates.locator("strong")).to_have_text("30/06/2026")
    expect(dates).not_to_contain_text(live.tr("originally %(date)s", date="30/06/2026"))
    assert task_state(live, ids.index) == (date(2026, 6, 30), date(2026, 6, 30), 0, ["refused"])

    # The responsible person reads the refusal and may ask again.
    staff.reload()
    expect(staff.locator("#extension-history tr[data-status=refused]")).to_contain_text(
        "Đề nghị bố trí nhân lực hoàn thành đúng hạn.")
    expect(staff.locator("#extension-form")).to_be_visible()
    assert staff.errors == [] and deputy.errors == []


@pytest.mark.e2e
def test_a_task_past_its_due_date_cannot_be_extended(open_page, live):
    sub_id = live.query(_overdue_subtask_of_staff_a)
    page = open_page("staff_a")
    page.goto(f"{live.url}/tasks/{sub_id}")
    expect(page.locator("#extension-form")).to_have_count(0)
    expect(page.locator("#extension-blocker")).to_have_text(
        live.tr("The task is already overdue; an extension can no longer be requested."))
    assert task_state(live, sub_id) == (date(2026, 5, 31), date(2026, 5, 31), 0, [])
    assert page.errors == []


def _overdue_subtask_of_staff_a() -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Task, User

    staff = db.session.scalar(select(User.id).where(User.username == "staff_a"))
    return db.session.scalar(select(Task.id).where(Task.assignee_id == staff,
                                                   Task.due_on == date(2026, 5, 31)))
