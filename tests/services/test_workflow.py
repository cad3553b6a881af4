"""The workflow side of issue 11: who decides, cancelling and suspending, issuing, parents
completed through their sub-tasks (DESIGN.md 4-5)."""

import json
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines import extensions
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import AuditLog, Extension, Notification, Plan, Task, User
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from tests.conftest import TODAY, submit_with_evidence


def fresh(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def me(user) -> User:
    return db.session.get(User, user.id)


def en(e) -> str:
    with force_locale("en"):
        return str(e.message)


def vi(e) -> str:
    with force_locale("vi"):
        return str(e.message)


def issue(world, plan=None) -> None:
    plan = plan or world.plan
    head = world.head if plan.unit_id == world.a.id else world.head_b
    _plan, unclear = plans.issue_plan(me(head), plan.id)
    assert unclear == []
    db.session.commit()


def overdue_task(world, make, assignee=None, leader=None, **kw):
    """A task of unit A due 10/06/2026 (TODAY is 15/06): overdue once its plan is issued."""
    kw.setdefault("title", "Tổng hợp báo cáo kết quả cải cách hành chính quý II")
    kw.setdefault("due_on", date(2026, 6, 10))
    return make.task(world.plan, world.head, world.a, assignee or world.staff, leader or world.deputy,
                     **kw)


# ---- who decides: confirm and return ----------------------------------------------------

def test_a_deputy_cannot_confirm_her_own_submission_the_head_does(world, make):
    own = overdue_task(world, make, assignee=world.deputy, leader=world.deputy,
                       due_on=date(2026, 6, 30))
    issue(world)
    submit_with_evidence(me(world.deputy), own.id, "Đã xong", TODAY)
    db.session.commit()
    for action in (tasks.confirm_task, tasks.return_task):
        with pytest.raises(RuleViolation) as e:
            action(me(world.deputy), own.id, "Tự xác nhận")
        assert "own submission" in en(e.value)
        assert "chính mình" in vi(e.value)
        db.session.rollback()
    assert fresh(own.id).status == Lifecycle.SUBMITTED
    tasks.confirm_task(me(world.head), own.id, "Đạt")
    db.session.commit()
    assert fresh(own.id).status == Lifecycle.COMPLETED


def test_a_head_who_is_both_person_and_leader_is_confirmed_by_the_head_above(world, make):
    governor = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    # Issue 11 refuses a head as both on create and edit; rows made before it remain.
    own = make.legacy_task(world.plan, world.head, world.a, world.head, world.head,
                           title="Tổng hợp báo cáo kết quả cải cách hành chính quý II",
                           due_on=date(2026, 6, 30))
    issue(world)
    submit_with_evidence(me(world.head), own.id, "Đã xong", TODAY)
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.confirm_task(me(world.head), own.id, "")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        tasks.confirm_task(me(world.deputy), own.id, "")   # not her task, not the head
    db.session.rollback()
    tasks.confirm_task(me(governor), own.id, "Đạt")
    db.session.commit()
    assert fresh(own.id).completed_on == TODAY


@pytest.mark.parametrize("who, allowed", [("deputy", True), ("head", True), ("staff", False),
                                          ("staff2", False), ("deputy_b", False)])
def test_who_may_review_a_staff_submission(world, who, allowed):
    issue(world)
    submit_with_evidence(me(world.staff), world.task.id, "Đã xong", TODAY)
    db.session.commit()
    actor = me(getattr(world, who))
    if allowed:
        tasks.return_task(actor, world.task.id, "Bổ sung số liệu")
        db.session.commit()
        assert fresh(world.task.id).status == Lifecycle.RETURNED
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            tasks.confirm_task(actor, world.task.id, "")


# ---- who decides: extensions -------------------------------------------------------------

def ask(actor, task_id, proposed=date(2026, 7, 31)):
    ext = extensions.request_extension(me(actor), task_id, proposed, "Chờ ý kiến các sở", TODAY, max_extensions=current_settings().max_extensions)
    db.session.commit()
    return ext.id


def test_the_requester_never_decides_her_own_request(world, make):
    own = overdue_task(world, make, assignee=world.deputy, leader=world.deputy,
                       due_on=date(2026, 6, 30))
    issue(world)
    ext_id = ask(world.deputy, own.id)
    with pytest.raises(PermissionDenied):
        extensions.decide_extension(me(world.deputy), ext_id, True, "")
    db.session.rollback()
    assert fresh(own.id).due_on == date(2026, 6, 30)
    assert extensions.pending_for(me(world.deputy)) == []
    assert [e.id for e in extensions.pending_for(me(world.head))] == [ext_id]
    extensions.decide_extension(me(world.head), ext_id, True, "Đồng ý")
    db.session.commit()
    assert fresh(own.id).due_on == date(2026, 7, 31)


def test_another_units_head_cannot_decide(world):
    issue(world)
    ext_id = ask(world.staff, world.task.id)
    with pytest.raises(NotFound):
        extensions.decide_extension(me(world.head_b), ext_id, True, "")
    db.session.rollback()
    assert db.session.get(Extension, ext_id).status == "pending"


def test_a_handed_down_task_is_extended_by_the_assigning_units_leaders_only(world, make):
    """A task of the province's plan led by Sở Nội vụ: Sở Nội vụ's own leaders are scored on
    it and cannot move its deadline; the province's head and deputies decide."""
    governor = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    vice = make.user(world.province, "deputy", "Phó Chủ Tịch Tỉnh", "deputy_p")
    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    handed = make.task(plan, governor, world.a, world.staff, world.deputy,
                       title="Triển khai bộ chỉ số đánh giá tại các sở", due_on=date(2026, 8, 31))
    plans.issue_plan(me(governor), plan.id)
    db.session.commit()
    ext_id = ask(world.staff, handed.id, date(2026, 9, 30))
    for who in (world.deputy, world.head):
        with pytest.raises(PermissionDenied):
            extensions.decide_extension(me(who), ext_id, True, "")
        db.session.rollback()
        assert extensions.pending_for(me(who)) == []
    assert [e.id for e in extensions.pending_for(me(vice))] == [ext_id]
    extensions.decide_extension(me(vice), ext_id, True, "Đồng ý")
    db.session.commit()
    assert fresh(handed.id).due_on == date(2026, 9, 30)


def test_a_sub_task_still_cannot_pass_its_parents_due_date(world, make):
    child = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task,
                      title="Dự thảo bộ chỉ số đánh giá", due_on=date(2026, 6, 20))
    issue(world)
    with pytest.raises(RuleViolation) as e:
        extensions.request_extension(me(world.staff), child.id, date(2027, 1, 31), "Chờ", TODAY, max_extensions=current_settings().max_extensions)
    assert "parent" in en(e.value)


# ---- cancelling and suspending -------------------------------------------------------------

def test_on_an_issued_plan_a_deputy_cannot_cancel_or_suspend_her_task(world, make):
    late = overdue_task(world, make)
    issue(world)
    for action in (tasks.cancel_task, tasks.suspend_task):
        with pytest.raises(RuleViolation) as e:
            action(me(world.deputy), late.id, "Không còn phù hợp", TODAY)
        assert "only the head" in en(e.value)
        assert "người đứng đầu" in vi(e.value)
        db.session.rollback()
    t = fresh(late.id)
    assert (t.status, t.excluded_on) == (Lifecycle.ASSIGNED, None)


def test_in_a_draft_the_deputy_still_cancels_her_task(world, make):
    t = overdue_task(world, make)
    tasks.cancel_task(me(world.deputy), t.id, "Trùng lặp", TODAY)
    db.session.commit()
    assert (fresh(t.id).status, fresh(t.id).excluded_on) == (Lifecycle.CANCELLED, TODAY)


def test_the_head_cancels_with_a_reason_and_the_day_is_kept(world, make):
    late = overdue_task(world, make)
    issue(world)
    with pytest.raises(RuleViolation) as e:
        tasks.cancel_task(me(world.head), late.id, "  ", TODAY)
    assert e.value.field == "reason"
    db.session.rollback()
    tasks.cancel_task(me(world.head), late.id, "Gộp vào nhiệm vụ khác", TODAY)
    db.session.commit()
    t = fresh(late.id)
    assert (t.status, t.excluded_on, t.cancel_reason) == (Lifecycle.CANCELLED, TODAY,
                                                           "Gộp vào nhiệm vụ khác")
    assert t.excluded_on > t.due_on  # the scoring counts it as not completed


def test_suspend_and_resume(world, make):
    issue(world)
    tasks.record_progress(me(world.staff), world.task.id, 30, "", None, TODAY)
    db.session.commit()
    with pytest.raises(RuleViolation) as e:
        tasks.suspend_task(me(world.head), world.task.id, "", TODAY)
    assert e.value.field == "reason"
    db.session.rollback()
    tasks.suspend_task(me(world.head), world.task.id, "Chờ văn bản hướng dẫn của Bộ", TODAY)
    db.session.commit()
    t = fresh(world.task.id)
    assert (t.status, t.excluded_on) == (Lifecycle.SUSPENDED, TODAY)
    with pytest.raises(RuleViolation):   # no progress while suspended
        tasks.record_progress(me(world.staff), world.task.id, 40, "", None, TODAY)
    db.session.rollback()
    with pytest.raises(RuleViolation):
        tasks.resume_task(me(world.deputy), world.task.id, "")
    db.session.rollback()
    tasks.resume_task(me(world.head), world.task.id, "Đã có hướng dẫn")
    db.session.commit()
    t = fresh(world.task.id)
    assert (t.status, t.excluded_on, t.cancel_reason) == (Lifecycle.IN_PROGRESS, None, "")
    assert t.due_on == date(2026, 6, 30)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.task_id == t.id)
                                 .order_by(AuditLog.id)).all()
    assert actions[-2:] == ["task.suspend", "task.resume"]
    with pytest.raises(RuleViolation):
        tasks.resume_task(me(world.head), world.task.id, "")   # not suspended any more


def test_resume_without_progress_goes_back_to_assigned_and_a_suspended_task_can_be_cancelled(world):
    issue(world)
    tasks.suspend_task(me(world.head), world.task2.id, "Tạm dừng", TODAY)
    db.session.commit()
    tasks.resume_task(me(world.head), world.task2.id)
    db.session.commit()
    assert fresh(world.task2.id).status == Lifecycle.ASSIGNED
    tasks.suspend_task(me(world.head), world.task2.id, "Tạm dừng lần hai", TODAY)
    tasks.cancel_task(me(world.head), world.task2.id, "Không còn phù hợp", TODAY)
    db.session.commit()
    assert fresh(world.task2.id).status == Lifecycle.CANCELLED


def test_a_submitted_task_is_decided_before_it_is_suspended(world):
    issue(world)
    submit_with_evidence(me(world.staff), world.task.id, "Đã xong", TODAY)
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.suspend_task(me(world.head), world.task.id, "Tạm dừng", TODAY)


# ---- issuing ----------------------------------------------------------------------------------

def test_issuing_records_the_first_deadlines_and_tells_each_person_once(world, make):
    late = overdue_task(world, make)
    # Whatever a draft held in original_due_on (edits, imports), issuing sets it afresh.
    db.session.execute(update(Task).where(Task.plan_id == world.plan.id)
                       .values(original_due_on=date(2026, 1, 1)))
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.kind == "assigned")) == 0
    issue(world)
    rows = db.session.execute(select(Task.id, Task.due_on, Task.original_due_on)
                              .where(Task.plan_id == world.plan.id)).all()
    assert rows and all(due == orig for _id, due, orig in rows)
    told = db.session.execute(select(Notification.user_id, Notification.task_id)
                              .where(Notification.kind == "assigned")).all()
    assert sorted(told) == sorted([(world.staff.id, world.task.id), (world.staff2.id, world.task2.id),
                                   (world.staff.id, late.id)])
    # A late task of a plan issued now is overdue from now on: issuing is not refused.
    assert fresh(late.id).timeliness(TODAY).value == "overdue"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "plan.issue"))
    assert json.loads(audit.changes)["assigned_notices"] == [None, 3]


def test_an_extension_after_issue_leaves_original_due_on_alone(world):
    issue(world)
    ext_id = ask(world.staff, world.task.id, date(2027, 3, 31))
    extensions.decide_extension(me(world.deputy), ext_id, True, "")
    db.session.commit()
    t = fresh(world.task.id)
    assert (t.due_on, t.original_due_on) == (date(2027, 3, 31), date(2026, 6, 30))
    assert extensions.carried_over_year(t) == 2027


def test_only_a_draft_is_issued(world):
    issue(world)
    with pytest.raises(RuleViolation):
        plans.issue_plan(me(world.head), world.plan.id)


# ---- parents: completed through their sub-tasks ---------------------------------------------

def subtasks(world, make, n=2, parent=None, first_day=20):
    parent = parent or world.task
    return [make.task(world.plan, world.head, world.a, world.staff2 if i % 2 else world.staff,
                      world.deputy, parent=parent, title=f"Nhiệm vụ chia nhỏ số {i + 1} của bộ chỉ số",
                      due_on=date(2026, 6, first_day + i)) for i in range(n)]


def test_a_parent_is_neither_submitted_nor_confirmed_while_a_sub_task_is_open(world, make):
    subtasks(world, make)
    issue(world)
    with pytest.raises(RuleViolation) as e:
        submit_with_evidence(me(world.staff), world.task.id, "Xong", TODAY)
    assert "sub-task" in en(e.value)
    db.session.rollback()
    # Submitted before the breakdown (a sub-task added later): not confirmed either.
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status=Lifecycle.SUBMITTED, submitted_on=TODAY))
    db.session.commit()
    with pytest.raises(RuleViolation) as e:
        tasks.confirm_task(me(world.deputy), world.task.id, "")
    assert "sub-task" in en(e.value)


def test_the_parent_completes_when_its_last_sub_task_is_confirmed_on_the_latest_date(world, make):
    first, second = subtasks(world, make)
    issue(world)
    submit_with_evidence(me(world.staff), first.id, "Xong", date(2026, 6, 12))
    tasks.confirm_task(me(world.deputy), first.id, "")
    db.session.commit()
    p = fresh(world.task.id)
    assert (p.status, p.progress) == (Lifecycle.IN_PROGRESS, 50)
    submit_with_evidence(me(world.staff2), second.id, "Xong", date(2026, 6, 14))
    tasks.confirm_task(me(world.deputy), second.id, "")
    db.session.commit()
    p = fresh(world.task.id)
    assert (p.status, p.completed_on, p.progress) == (Lifecycle.COMPLETED, date(2026, 6, 14), 100)
    row = db.session.scalar(select(AuditLog).where(AuditLog.task_id == p.id,
                                                   AuditLog.action == "task.complete"))
    assert json.loads(row.changes)["completed_on"] == [None, "2026-06-14"]
    assert row.actor_id == world.deputy.id


def test_a_cancelled_sub_task_is_left_out_and_a_grandparent_follows(world, make):
    [mid] = subtasks(world, make, 1)
    leaves = subtasks(world, make, 2, parent=mid, first_day=16)
    issue(world)
    tasks.cancel_task(me(world.head), leaves[1].id, "Không còn phù hợp", TODAY)
    submit_with_evidence(me(world.staff), leaves[0].id, "Xong", TODAY)
    tasks.confirm_task(me(world.deputy), leaves[0].id, "")
    db.session.commit()
    assert fresh(mid.id).status == Lifecycle.COMPLETED
    assert fresh(world.task.id).status == Lifecycle.COMPLETED
    assert fresh(world.task.id).completed_on == TODAY


def test_many_parents_complete_in_one_pass(world, make):
    from app.tasks import breakdown

    parents = [overdue_task(world, make, title=f"Nhiệm vụ lớn số {i} về chuyển đổi số",
                            due_on=date(2026, 9, 30)) for i in range(5)]
    children = [subtasks(world, make, 1, parent=p)[0] for p in parents]
    issue(world)
    db.session.execute(update(Task).where(Task.id.in_([c.id for c in children]))
                       .values(status=Lifecycle.COMPLETED, completed_on=date(2026, 6, 1), progress=100))
    assert breakdown.complete_parents([p.id for p in parents], None) == 5
    db.session.commit()
    assert {fresh(p.id).completed_on for p in parents} == {date(2026, 6, 1)}
    assert db.session.scalar(select(func.count(AuditLog.id))
                             .where(AuditLog.action == "task.complete")) == 5


def test_plan_by_code_names_what_is_missing(world):
    with pytest.raises(RuleViolation):
        plans.plan_by_code("KHONG", 2026, "cchc")
    with pytest.raises(RuleViolation):
        plans.plan_by_code("SNV", 2031, "cchc")
    assert plans.plan_by_code("SNV", 2026, "cchc").id == world.plan.id
    assert db.session.scalar(select(Plan.status).where(Plan.id == world.plan.id)) == "draft"
