"""Issue 17 section 3 through the pages: a returned task and a refused extension say why at
the top of the task page, the reviewer reads the submission note, and the responsible
person withdraws a submission not yet decided (audited, and never to anyone's advantage)."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from web_support import parse, row, tr

from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.domain.status import Timeliness
from app.extensions import db
from app.models import AuditLog, Notification, Task, User
from app.notifications.service import text_of
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.conftest import TODAY, submit_with_evidence


def page(c, url):
    resp = c.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    return parse(resp.get_data(as_text=True))


def me(user) -> User:
    return db.session.get(User, user.id)


def issue_and_submit(world, note="Đã hoàn thành, gửi kèm báo cáo"):
    plans.issue_plan(me(world.head), world.plan.id)
    submit_with_evidence(me(world.staff), world.task.id, note, TODAY)
    db.session.commit()


def test_the_reviewer_reads_the_submission_note(world, as_user):
    issue_and_submit(world)
    doc = page(as_user("deputy_a"), f"/tasks/{world.task.id}")
    assert doc.by_id("submission-note").text() == "Đã hoàn thành, gửi kèm báo cáo"


def test_a_returned_task_says_why_on_top_and_in_the_notification(world, as_user):
    issue_and_submit(world)
    c = as_user("deputy_a")
    resp = c.post(f"/tasks/{world.task.id}/review",
                  data={"decision": "return", "comment": "Thiếu biên bản nghiệm thu"})
    assert resp.status_code == 302
    doc = page(as_user("staff_a"), f"/tasks/{world.task.id}")
    alert = doc.by_id("returned-reason")
    assert alert is not None and "Thiếu biên bản nghiệm thu" in alert.text()
    note = db.session.scalars(select(Notification).where(
        Notification.user_id == world.staff.id, Notification.kind == "returned")
        .options(selectinload(Notification.task))).one()
    assert note.message == "Thiếu biên bản nghiệm thu"
    assert "Lý do: Thiếu biên bản nghiệm thu" in text_of(note)
    notes_page = as_user("staff_a").get("/notifications").get_data(as_text=True)
    assert "Thiếu biên bản nghiệm thu" in notes_page


def test_a_refused_extension_says_why_on_top(world, as_user):
    plans.issue_plan(me(world.head), world.plan.id)
    ext = extensions.request_extension(me(world.staff), world.task.id, date(2026, 8, 31),
                                       "Chờ số liệu", TODAY,
                                       max_extensions=current_settings().max_extensions)
    extensions.decide_extension(me(world.deputy), ext.id, False, "Đủ thời gian, không gia hạn")
    db.session.commit()
    doc = page(as_user("staff_a"), f"/tasks/{world.task.id}")
    assert "Đủ thời gian, không gia hạn" in doc.by_id("refused-reason").text()
    note = db.session.scalars(select(Notification).where(
        Notification.user_id == world.staff.id, Notification.kind == "extension_refused")
        .options(selectinload(Notification.task))).one()
    assert "Đủ thời gian, không gia hạn" in text_of(note)


def test_the_responsible_person_withdraws_a_submission_audited(world, as_user):
    issue_and_submit(world)
    c = as_user("staff_a")
    assert page(c, f"/tasks/{world.task.id}").by_id("withdraw-form") is not None
    resp = c.post(f"/tasks/{world.task.id}/withdraw", data={"note": "Bổ sung số liệu"})
    assert resp.status_code == 302
    t = row(Task, world.task.id)
    assert t["status"] in ("assigned", "in_progress") and t["submitted_on"] is None
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "task.withdraw")).one()
    assert log.actor_id == world.staff.id and log.comment == "Bổ sung số liệu"
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == world.deputy.id, Notification.kind == "withdrawn"))
    # Decided, it can no longer be withdrawn.
    submit_with_evidence(me(world.staff), world.task.id, "Lần 2", TODAY)
    tasks.confirm_task(me(world.deputy), world.task.id, "")
    db.session.commit()
    resp = c.post(f"/tasks/{world.task.id}/withdraw", data={"note": ""})
    assert resp.status_code == 422
    assert tr("Only a submission not yet decided can be withdrawn.") in resp.get_data(as_text=True)
    assert row(Task, world.task.id)["status"] == "completed"


def test_nobody_but_the_responsible_person_withdraws(world, as_user):
    issue_and_submit(world)
    for who in ("deputy_a", "head_a", "staff_a2"):
        resp = as_user(who).post(f"/tasks/{world.task.id}/withdraw", data={"note": ""})
        assert resp.status_code in (403, 404), who
    assert row(Task, world.task.id)["status"] == "submitted"


def test_withdrawing_cannot_dodge_the_overdue_flag_or_make_a_task_on_time(world, as_user):
    """Submitted on time, the task waits without being overdue; withdrawn after its due date
    it is overdue at once (flagged by the next sweep), and submitting again dates the
    submission that day: late. The flag set before is never cleared by withdrawing."""
    issue_and_submit(world)
    due = row(Task, world.task.id)["due_on"]
    after = due + timedelta(days=3)
    overdue.sweep(after, reminders=current_settings().reminders)
    db.session.commit()
    assert row(Task, world.task.id)["overdue_flagged_at"] is None  # waiting on time
    tasks.withdraw_submission(me(world.staff), world.task.id, "")
    db.session.commit()
    overdue.sweep(after, reminders=current_settings().reminders)
    db.session.commit()
    flagged = row(Task, world.task.id)["overdue_flagged_at"]
    assert flagged is not None
    task = db.session.get(Task, world.task.id)
    assert task.timeliness(after) == Timeliness.OVERDUE
    submit_with_evidence(me(world.staff), world.task.id, "Nộp lại", after)
    db.session.commit()
    # Submitted late: still overdue while it waits; withdrawing again changes nothing.
    assert db.session.get(Task, world.task.id).timeliness(after) == Timeliness.OVERDUE
    tasks.withdraw_submission(me(world.staff), world.task.id, "")
    db.session.commit()
    assert row(Task, world.task.id)["overdue_flagged_at"] == flagged
    submit_with_evidence(me(world.staff), world.task.id, "Nộp lần ba", after)
    tasks.confirm_task(me(world.deputy), world.task.id, "")
    db.session.commit()
    assert row(Task, world.task.id)["completed_on"] == after  # late, as it was


# ---------------------------------------------------------------- small friction (issue 17 §4)

def test_history_shows_no_phantom_changes_and_numbers_as_numbers(world, as_user):
    """An old audit row with "1.00 -> 1" shows nothing; "102.0000" reads "102"."""
    import json

    from app.models import AuditLog
    db.session.add(AuditLog(actor_id=world.head.id, action="task.update", object_type="task",
                            object_id=world.task.id, task_id=world.task.id,
                            changes=json.dumps({"weight": ["1.00", "1"],
                                                "indicator_target": ["102.0000", "120.5000"]})))
    db.session.commit()
    doc = page(as_user("head_a"), f"/tasks/{world.task.id}")
    text = doc.by_id("history-list").text()
    assert "1.00" not in text and "102.0000" not in text
    assert "102 → 120,5" in text


def test_a_task_without_a_due_date_says_so_not_within_deadline(world, as_user):
    from sqlalchemy import update
    db.session.execute(update(Task).where(Task.id == world.task.id).values(due_on=None))
    db.session.commit()
    doc = page(as_user("head_a"), f"/tasks/{world.task.id}")
    badges = [n for n in doc.iter() if "data-no-deadline" in n.attrs]
    assert [b.text() for b in badges] == ["Chưa có hạn"]
    listed = page(as_user("head_a"), f"/plans/{world.plan.id}")
    assert "Chưa có hạn" in listed.by_id("plan-tasks").text()


def test_a_title_over_the_limit_gets_a_message_not_a_cut(world, as_user):
    from web_support import field_errors
    c = as_user("head_a")
    form = page(c, f"/plans/{world.plan.id}/tasks/new")
    title = form.by_id("title")
    assert "maxlength" not in title.attrs   # the browser would cut a pasted title silently
    resp = c.post(f"/plans/{world.plan.id}/tasks/new", data={"title": "Rà soát " * 70})
    assert resp.status_code == 422
    errors = field_errors(parse(resp.get_data(as_text=True)), "title")
    assert any("vượt quá 500 ký tự" in e for e in errors), errors


def test_the_title_rule_refuses_a_title_too_long_from_any_door():
    from app.domain import task_rules as rules
    values = rules.TaskValues(title="x" * 501)
    ctx_rules = [v.code for v in rules._rule_title(type("C", (), {
        "after": values, "settings": rules.RuleSettings()})())]
    assert ctx_rules == ["title_too_long"]


def test_plan_list_filters_by_year_status_and_kind(world, as_user, make):
    from app.models import Plan
    old = Plan(unit_id=world.a.id, year=2025, kind="digital", title="Kế hoạch chuyển đổi số năm 2025",
               status="issued")
    db.session.add(old)
    db.session.commit()
    c = as_user("head_a")

    def ids(url):
        doc = page(c, url)
        return {int(tr_.attrs["data-plan-id"]) for tr_ in doc.by_id("plan-list").find_all("tr")
                if "data-plan-id" in tr_.attrs}

    everything = ids("/plans")
    assert {world.plan.id, old.id} <= everything
    assert ids("/plans?year=2025") == {old.id}
    assert old.id not in ids("/plans?year=2026")
    assert ids("/plans?status=issued") == {old.id}
    assert ids("/plans?kind=digital") == {old.id}
    assert ids("/plans?kind=nonsense&status=nonsense&year=abc") == everything


def test_issuing_a_plan_asks_first(world, as_user):
    doc = page(as_user("head_a"), f"/plans/{world.plan.id}")
    confirm = doc.by_id("issue-confirm")
    assert confirm is not None and confirm.tag == "details" and "open" not in confirm.attrs
    assert confirm.find(id="issue-plan") is not None


def test_sub_tasks_are_indented_in_the_plan_table(world, as_user, make):
    child = make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                      parent=world.task, title="Dự thảo bộ chỉ số")
    doc = page(as_user("head_a"), f"/plans/{world.plan.id}")
    row_ = next(n for n in doc.by_id("plan-tasks").find_all("tr")
                if n.attrs.get("data-task-id") == str(child.id))
    assert row_.attrs["data-depth"] == "1" and "sub-depth-1" in row_.attrs["class"]
