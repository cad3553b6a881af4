"""The workflow of issue 11 through the pages: who sees which button, suspend and resume,
cancelling on an issued plan, drafts and carried-over tasks in the page and the lists."""

from datetime import date

from sqlalchemy import select, update
from web_support import field_errors, parse, row, tr

from app.deadlines import extensions
from app.extensions import db
from app.models import Task, User
from app.plans import service as plans
from app.settings import current_settings
from tests.conftest import TODAY, submit_with_evidence


def page(c, url):
    resp = c.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    return parse(resp.get_data(as_text=True))


def me(user) -> User:
    return db.session.get(User, user.id)


def issue(world) -> None:
    plans.issue_plan(me(world.head), world.plan.id)
    db.session.commit()


def test_a_draft_plans_task_says_draft_and_loses_it_at_issue(world, as_user):
    c = as_user("head_a")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("draft-badge").text() == tr("Draft")
    listed = page(c, "/tasks").by_id("task-table")
    assert listed.find(cls="draft-badge") is not None
    issue(world)
    assert page(c, f"/tasks/{world.task.id}").by_id("draft-badge") is None
    assert page(c, "/tasks").by_id("task-table").find(cls="draft-badge") is None


def test_a_task_extended_into_next_year_says_it_is_carried_over(world, as_user):
    issue(world)
    ext = extensions.request_extension(me(world.staff), world.task.id, date(2027, 2, 28),
                                       "Chờ nguồn kinh phí năm sau", TODAY, max_extensions=current_settings().max_extensions)
    extensions.decide_extension(me(world.deputy), ext.id, True, "Đồng ý")
    db.session.commit()
    c = as_user("head_a")
    badge = page(c, f"/tasks/{world.task.id}").by_id("carried-over")
    assert badge.text() == "Chuyển tiếp sang năm 2027"
    listed = page(c, "/tasks").by_id("task-table")
    assert [b.text() for b in listed.find_all(cls="carried-over")] == ["Chuyển tiếp sang năm 2027"]


def test_the_deputy_sees_no_cancel_or_suspend_on_an_issued_plan_and_a_post_is_refused(world, as_user):
    c = as_user("deputy_a")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("cancel-task") is not None    # a draft: her own task, as before
    issue(world)
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("cancel-task") is None and doc.by_id("suspend-task") is None
    resp = c.post(f"/tasks/{world.task.id}/cancel", data={"reason": "Không còn phù hợp"})
    assert resp.status_code == 422
    assert tr("The plan has been issued: only the head of the unit whose plan assigned this task "
              "can cancel, suspend or resume it.") in resp.get_data(as_text=True)
    assert row(Task, world.task.id)["status"] == "assigned"
    resp = c.post(f"/tasks/{world.task.id}/suspend", data={"reason": "Tạm dừng"})
    assert resp.status_code == 422 and row(Task, world.task.id)["status"] == "assigned"


def test_the_head_suspends_and_resumes_through_the_page(world, as_user):
    issue(world)
    c = as_user("head_a")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("suspend-form") is not None and doc.by_id("resume-form") is None
    resp = c.post(f"/tasks/{world.task.id}/suspend", data={"reason": "  "})
    assert resp.status_code == 422
    assert field_errors(parse(resp.get_data(as_text=True)), "reason") or \
        tr("Give the reason for suspending.") in resp.get_data(as_text=True)
    resp = c.post(f"/tasks/{world.task.id}/suspend", data={"reason": "Chờ hướng dẫn của Bộ"})
    assert resp.status_code == 302
    r = row(Task, world.task.id)
    assert (r["status"], r["excluded_on"]) == ("suspended", TODAY)
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("exclusion-reason").text().startswith("Chờ hướng dẫn của Bộ")
    assert doc.by_id("resume-form") is not None and doc.by_id("suspend-form") is None
    assert c.post(f"/tasks/{world.task.id}/resume", data={"comment": ""}).status_code == 302
    r = row(Task, world.task.id)
    assert (r["status"], r["excluded_on"]) == ("assigned", None)
    history = page(c, f"/tasks/{world.task.id}").by_id("history-list").text()
    assert tr("suspended the task") in history and tr("resumed the task") in history


def test_no_review_buttons_for_ones_own_submission(world, make, as_user):
    own = make.task(world.plan, world.head, world.a, world.deputy, world.deputy,
                    title="Rà soát quy chế làm việc của Sở", due_on=date(2026, 6, 30))
    issue(world)
    submit_with_evidence(me(world.deputy), own.id, "Đã xong", TODAY)
    db.session.commit()
    c = as_user("deputy_a")
    assert page(c, f"/tasks/{own.id}").by_id("review-form") is None
    resp = c.post(f"/tasks/{own.id}/review", data={"decision": "confirm", "comment": ""})
    assert resp.status_code == 422
    assert tr("You cannot confirm or return your own submission: the head of the unit decides "
              "on it.") in resp.get_data(as_text=True)
    assert row(Task, own.id)["status"] == "submitted"
    head = as_user("head_a")
    assert page(head, f"/tasks/{own.id}").by_id("review-form") is not None
    assert head.post(f"/tasks/{own.id}/review",
                     data={"decision": "confirm", "comment": ""}).status_code == 302
    assert row(Task, own.id)["status"] == "completed"


def test_the_requester_sees_no_decision_buttons_the_head_does(world, make, as_user):
    own = make.task(world.plan, world.head, world.a, world.deputy, world.deputy,
                    title="Rà soát quy chế làm việc của Sở", due_on=date(2026, 6, 30))
    issue(world)
    ext = extensions.request_extension(me(world.deputy), own.id, date(2026, 8, 31), "Chờ", TODAY, max_extensions=current_settings().max_extensions)
    db.session.commit()
    c = as_user("deputy_a")
    assert page(c, f"/tasks/{own.id}").by_id("decision-form") is None
    resp = c.post(f"/tasks/{own.id}/extensions/{ext.id}/decision",
                  data={"decision": "approve", "comment": ""})
    assert resp.status_code == 403
    assert row(Task, own.id)["due_on"] == date(2026, 6, 30)
    assert page(as_user("head_a"), f"/tasks/{own.id}").by_id("decision-form") is not None


def test_a_parent_shows_its_open_sub_tasks_instead_of_being_confirmed(world, make, as_user):
    make.task(world.plan, world.head, world.a, world.staff2, world.deputy, parent=world.task,
              title="Dự thảo bộ chỉ số đánh giá", due_on=date(2026, 6, 20))
    issue(world)
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status="submitted", submitted_on=TODAY))
    db.session.commit()
    c = as_user("deputy_a")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("review-open-children") is not None
    resp = c.post(f"/tasks/{world.task.id}/review", data={"decision": "confirm", "comment": ""})
    assert resp.status_code == 422
    assert db.session.scalar(select(Task.status).where(Task.id == world.task.id)) == "submitted"


def test_the_head_cancels_an_issued_plans_task_and_the_day_is_kept(world, as_user):
    issue(world)
    c = as_user("head_a")
    assert page(c, f"/tasks/{world.task2.id}").by_id("cancel-form") is not None
    resp = c.post(f"/tasks/{world.task2.id}/cancel", data={"reason": "Gộp vào nhiệm vụ khác"})
    assert resp.status_code == 302
    r = row(Task, world.task2.id)
    assert (r["status"], r["excluded_on"]) == ("cancelled", TODAY)


def test_work_a_deputy_adds_after_issue_is_confirmed_by_the_head_through_the_pages(
        world, make, as_user):
    """task_rules.head_confirms_addition through the pages: the deputy who added the task
    (its accountable leader) sees who confirms it instead of the review form, is refused with
    the head named, and does not have it in her list; the head confirms it from the page."""
    from app.tasks import commands as tasks

    issue(world)
    data = make.task_input(world.a, world.staff, world.deputy, due_on=TODAY,
                           title="Báo cáo nhanh tình hình tuần")
    added = tasks.create_task(me(world.deputy), world.plan.id, data, today=TODAY,
                              settings=current_settings().task_rules)
    db.session.commit()
    submit_with_evidence(me(world.staff), added.id, "Đã xong", TODAY)
    db.session.commit()
    c = as_user("deputy_a")
    doc = page(c, f"/tasks/{added.id}")
    assert doc.by_id("review-form") is None
    assert world.head.full_name in doc.by_id("review-by-head").text()
    def reviewing(client) -> set:
        listed = page(client, "/").by_id("to-review")
        return {a.attrs.get("href") for a in listed.find_all("a")} if listed else set()

    assert f"/tasks/{added.id}" not in reviewing(c)
    resp = c.post(f"/tasks/{added.id}/review", data={"decision": "confirm", "comment": ""})
    assert resp.status_code == 422
    assert tr("This task was added to the plan after it was issued: %(heads)s, head of "
              "%(unit)s, confirms or returns it, not its accountable leader.") \
        .split("%(heads)s")[0] in resp.get_data(as_text=True)
    assert row(Task, added.id)["status"] == "submitted"
    head = as_user("head_a")
    assert f"/tasks/{added.id}" in reviewing(head)
    assert page(head, f"/tasks/{added.id}").by_id("review-by-head") is None
    assert head.post(f"/tasks/{added.id}/review",
                     data={"decision": "confirm", "comment": ""}).status_code == 302
    assert row(Task, added.id)["status"] == "completed"
