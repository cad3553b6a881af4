"""Issue 11 in the browser: on an issued plan a deputy cannot bend her own deadline. She opens
her overdue task: no cancel or suspend button, and the page says an overdue task can no longer
be extended. On her task still within its deadline she asks for an extension instead; she
cannot decide on it herself (no decision buttons, and a forged post is refused), the head
approves it and the task page shows the new date beside the original.

Today is 15/06/2026 (tests/conftest.py). The plan, its tasks and its issue are made here
through the services, as a head would through the pages (test_e2e_plan.py covers that)."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app.clock import local_today
from app.settings import current_settings
from tests.e2e.helpers import shot

REASON = "Chờ ý kiến thẩm định của Sở Tư pháp"


def issued_plan(live) -> SimpleNamespace:
    """Unit A's issued work plan: two tasks deputy_a carries out and answers for."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Plan, Unit, User
    from app.plans import service as plans
    from app.tasks import commands as tasks
    from tests.conftest import Factory

    def make():
        user = {u.username: u for u in db.session.scalars(select(User))}
        a = db.session.scalar(select(Unit).where(Unit.code == "SNV"))
        plan = Plan(unit_id=a.id, year=2026, kind="work", title="Kế hoạch công tác năm 2026 của Sở")
        db.session.add(plan)
        db.session.flush()
        f = Factory()
        deputy, head = user["deputy_a"], user["head_a"]
        late = tasks.create_task(head, plan.id, f.task_input(
            a, deputy, deputy, title="Rà soát quy chế làm việc của Sở", due_on=date(2026, 6, 10)), today=local_today(), settings=current_settings().task_rules)
        soon = tasks.create_task(head, plan.id, f.task_input(
            a, deputy, deputy, title="Xây dựng đề án vị trí việc làm của Sở", due_on=date(2026, 6, 20)), today=local_today(), settings=current_settings().task_rules)
        db.session.flush()
        _p, unclear = plans.issue_plan(head, plan.id)
        assert unclear == []
        out = SimpleNamespace(plan=plan.id, late=late.id, soon=soon.id)
        db.session.commit()
        return out
    return live.query(make)


def pending_id(live, task_id) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Extension

    return live.query(lambda: db.session.scalar(select(Extension.id).where(
        Extension.task_id == task_id, Extension.status == "pending")))


def state(live, task_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Extension, Task

    def read():
        t = db.session.get(Task, task_id)
        st = db.session.scalars(select(Extension.status).where(Extension.task_id == task_id)).all()
        return t.status, t.due_on, t.original_due_on, t.extension_count, list(st)
    return live.query(read)


@pytest.mark.e2e
def test_a_deputy_asks_for_an_extension_instead_and_the_head_decides(open_page, live):
    ids = issued_plan(live)
    deputy = open_page("deputy_a")

    # Her overdue task: no way to take it out of the count, nor to extend it now.
    deputy.goto(f"{live.url}/tasks/{ids.late}")
    expect(deputy.locator("[data-timeliness=overdue]").first).to_be_visible()
    expect(deputy.locator("#draft-badge")).to_have_count(0)
    expect(deputy.locator("#cancel-task")).to_have_count(0)
    expect(deputy.locator("#suspend-task")).to_have_count(0)
    expect(deputy.locator("#extension-blocker")).to_contain_text(
        live.tr("The task is already overdue; an extension can no longer be requested."))
    # The due date on the edit form is read-only once the plan is issued (task rules, branch
    # `rules`): asserted here once that branch is merged.

    # Her task still within its deadline: she asks for an extension instead.
    deputy.goto(f"{live.url}/tasks/{ids.soon}")
    form = deputy.locator("#extension-form")
    form.locator("input[name=proposed_due_on]").fill("31/07/2026")
    form.locator("textarea[name=reason]").fill(REASON)
    form.get_by_role("button", name=live.tr("Request an extension")).click()
    expect(deputy.locator(".alert-success")).to_contain_text(
        live.tr("The extension request has been sent to the accountable leader."))
    expect(deputy.locator("#pending-extension")).to_contain_text("31/07/2026")
    # She answers for the task, but it is her own request: no decision buttons for her.
    expect(deputy.locator("#decision-form")).to_have_count(0)
    assert state(live, ids.soon) == ("assigned", date(2026, 6, 20), date(2026, 6, 20), 0, ["pending"])

    # A decision forged with her session is refused and moves nothing.
    ext_id = pending_id(live, ids.soon)
    token = deputy.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = deputy.request.post(f"{live.url}/tasks/{ids.soon}/extensions/{ext_id}/decision",
                               form={"csrf_token": token, "decision": "approve", "comment": ""})
    assert resp.status == 403
    assert state(live, ids.soon)[1] == date(2026, 6, 20)

    # The head decides: approves with a comment; the page shows the new and the original date.
    head = open_page("head_a")
    head.goto(f"{live.url}/tasks/{ids.soon}")
    decision = head.locator("#decision-form")
    decision.locator("textarea[name=comment]").fill("Đồng ý, hoàn thành trước 31/07/2026")
    decision.get_by_role("button", name=live.tr("Approve the extension")).click()
    expect(head.locator(".alert-success")).to_contain_text(
        live.tr("The extension has been approved; the due date has moved."))
    expect(head).to_have_url(re.compile(rf"/tasks/{ids.soon}"))
    expect(head.locator("main")).to_contain_text(live.tr("originally %(date)s", date="20/06/2026"))
    assert state(live, ids.soon) == ("assigned", date(2026, 7, 31), date(2026, 6, 20), 1, ["approved"])
    shot(head, "workflow-extension-decided")
