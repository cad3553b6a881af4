"""Closing a plan in the browser: the head opens the issued plan, is told how many tasks are
not completed, closes it; the plan and its task pages then say it is closed and offer no
change (no edit, no break-down, no progress form, no step ticks) while export and print
stay; the head reopens it and the buttons come back.

The seeded CCHC plan of Sở Nội vụ is a draft with unclear tasks; it is put into "issued"
here directly (issuing it through the page is test_e2e_plan's journey). staff_a (Phạm Văn
Đăng) is responsible for the seeded task `report`, accountable deputy_a."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import shot


def plan_status(live, plan_id, status=None):
    """The plan's status, after setting it when `status` is given."""
    from app.extensions import db
    from app.models import Plan

    def run():
        plan = db.session.get(Plan, plan_id)
        if status is not None:
            plan.status = status
            db.session.commit()
        return plan.status
    return live.query(run)


def not_completed(live, plan_id):
    from app.extensions import db
    from app.models import Plan
    from app.plans import service as plans

    return live.query(lambda: plans.summary(db.session.get(Plan, plan_id)).not_completed)


@pytest.mark.e2e
def test_head_closes_the_plan_its_tasks_turn_read_only_and_reopens_it(open_page, live):
    ids = live.ids
    plan_status(live, ids.plan, "issued")
    n = not_completed(live, ids.plan)
    assert n > 0

    head = open_page("head_a")
    head.goto(f"{live.url}/plans/{ids.plan}")
    expect(head.locator("#plan-status")).to_have_text(live.tr("Issued"))
    # The confirmation is folded away until asked for; it names the tasks not completed.
    expect(head.locator("#confirm-close-plan")).to_be_hidden()
    head.locator("#close-plan summary").click()
    expect(head.locator("#close-plan-count")).to_have_text(
        live.tr("%(num)s task of this plan is not completed yet.",
                plural="%(num)s tasks of this plan are not completed yet.", num=n))
    shot(head, "40-plan-close-confirm")
    head.locator("#confirm-close-plan").click()

    expect(head).to_have_url(re.compile(rf"/plans/{ids.plan}$"))
    expect(head.locator(".alert-success")).to_contain_text(
        live.tr("The plan has been closed with %(num)s task not completed.",
                plural="The plan has been closed with %(num)s tasks not completed.", num=n))
    expect(head.locator("#plan-status")).to_have_text(live.tr("Closed"))
    expect(head.locator("#plan-closed")).to_contain_text(
        live.tr("The plan is closed: its tasks can no longer be changed."))
    for hidden in ("#edit-plan", "#import-plan", "#close-plan", "#issue-plan"):
        expect(head.locator(hidden)).to_have_count(0)
    expect(head.get_by_role("link", name=live.tr("Add task"))).to_have_count(0)
    expect(head.locator("#export-plan")).to_be_visible()
    expect(head.locator("#print-plan")).to_be_visible()
    assert plan_status(live, ids.plan) == "closed"
    shot(head, "41-plan-closed")

    # The head's view of a task: no edit, no break-down, no step ticks, no cancelling.
    head.goto(f"{live.url}/tasks/{ids.report}")
    expect(head.locator("#plan-closed")).to_be_visible()
    expect(head.locator("#edit-task")).to_have_count(0)
    expect(head.locator("#break-down-task")).to_have_count(0)
    expect(head.locator("form[action*='/steps/']")).to_have_count(0)
    expect(head.locator("form[action$='/cancel']")).to_have_count(0)

    # The responsible person's view: no progress, no submission, no extension request.
    staff = open_page("staff_a")
    staff.goto(f"{live.url}/tasks/{ids.report}")
    expect(staff.locator("#plan-closed")).to_be_visible()
    for hidden in ("#progress-form", "#submit-form", "#extension-card"):
        expect(staff.locator(hidden)).to_have_count(0)
    expect(staff.locator("form[action*='/steps/']")).to_have_count(0)
    expect(staff.get_by_role("heading", name=live.tr("Process steps"))).to_be_visible()
    shot(staff, "42-task-of-a-closed-plan")

    # Reopened, the plan is issued again and the buttons come back.
    head.goto(f"{live.url}/plans/{ids.plan}")
    head.locator("#reopen-plan").click()
    expect(head.locator(".alert-success")).to_contain_text(live.tr("The plan has been reopened."))
    expect(head.locator("#plan-status")).to_have_text(live.tr("Issued"))
    expect(head.locator("#plan-closed")).to_have_count(0)
    expect(head.locator("#edit-plan")).to_be_visible()
    assert plan_status(live, ids.plan) == "issued"
    head.goto(f"{live.url}/tasks/{ids.report}")
    expect(head.locator("#edit-task")).to_be_visible()
    staff.reload()
    expect(staff.locator("#progress-form")).to_be_visible()
    assert head.errors == [] and staff.errors == []
