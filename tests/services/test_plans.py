"""Plan use cases: create, edit, issue only when every task is clear, summary counts."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.domain.six_clears import Clear
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import AuditLog, Plan, PlanStatus, Task
from app.plans import service as plans
from app.plans.service import PlanInput, PlanSummary
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from tests.conftest import submit_with_evidence


def audit_actions(object_type="plan") -> list[str]:
    return db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == object_type)
                              .order_by(AuditLog.id)).all()


def reload_plan(plan_id: int) -> Plan:
    db.session.expire_all()
    return db.session.get(Plan, plan_id)


def load_task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def test_issue_is_refused_with_the_unclear_tasks_then_succeeds_once_all_are_clear(world, make):
    vague = make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                      title="Tăng cường công tác cải cách hành chính", output_product="")
    nameless = make.task(world.plan, world.head, world.a, None, world.deputy)
    plan, unclear = plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    assert [t.id for t, _ in unclear] == [vague.id, nameless.id]
    vague_result = dict(unclear)[next(t for t, _ in unclear if t.id == vague.id)]
    assert {r.clear for r in vague_result.failed} == {Clear.TASK, Clear.RESULT}
    assert [r.en for r in vague_result[Clear.TASK].reasons] == [
        "The title states only a general direction with no output product"]
    nameless_result = unclear[1][1]
    assert [r.clear for r in nameless_result.failed] == [Clear.PERSON]
    plan = reload_plan(world.plan.id)
    assert (plan.status, plan.issued_at, plan.issued_by_id) == (PlanStatus.DRAFT, None, None)
    assert "plan.issue" not in audit_actions()

    # Make the two tasks clear; the plan then issues.
    t = load_task(vague.id)
    form = tasks.TaskInput(title=t.title, description=t.description, assignee_id=t.assignee_id,
                           lead_unit_id=t.lead_unit_id, leader_id=t.leader_id,
                           responsibility=t.responsibility,
                           steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in t.steps],
                           start_on=t.start_on, due_on=t.due_on,
                           output_product="Báo cáo kết quả cải cách hành chính quý")
    tasks.update_task(world.head, t.id, form, t.version, today=local_today(), settings=current_settings().task_rules)
    n = load_task(nameless.id)
    form.output_product = n.output_product
    form.title, form.assignee_id = n.title, world.staff2.id
    form.steps = [tasks.StepInput(s.title, s.due_on, s.id) for s in n.steps]
    tasks.update_task(world.head, n.id, form, n.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    plan, unclear = plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    assert unclear == []
    plan = reload_plan(world.plan.id)
    assert (plan.status, plan.issued_by_id) == (PlanStatus.ISSUED, world.head.id)
    assert plan.issued_at is not None
    assert audit_actions().count("plan.issue") == 1
    # Issued once: a second attempt is refused.
    with pytest.raises(RuleViolation):
        plans.issue_plan(world.head, world.plan.id)


def test_a_cancelled_unclear_task_does_not_block_issuing(world, make):
    vague = make.task(world.plan, world.head, world.a, world.staff, world.deputy, output_product="")
    tasks.cancel_task(world.head, vague.id, "Không còn phù hợp", local_today())
    db.session.commit()
    plan, unclear = plans.issue_plan(world.head, world.plan.id)
    assert unclear == []
    assert plan.status == PlanStatus.ISSUED


def test_the_stored_clear_flag_is_refreshed_when_issuing(world, make):
    t = load_task(world.task.id)
    assert t.is_clear
    # A person who has left the lead unit makes the task unclear without an edit.
    world.staff.unit_id = world.b.id
    db.session.commit()
    _, unclear = plans.issue_plan(world.head, world.plan.id)
    assert [x.id for x, _ in unclear] == [world.task.id]
    db.session.commit()
    assert load_task(world.task.id).is_clear is False


@pytest.mark.parametrize("who, error", [("deputy", PermissionDenied), ("staff", PermissionDenied),
                                        ("assessor", PermissionDenied), ("head_b", NotFound)])
def test_only_the_head_issues(world, who, error):
    with pytest.raises(error):
        plans.issue_plan(getattr(world, who), world.plan.id)
    assert reload_plan(world.plan.id).status == PlanStatus.DRAFT


def test_a_plan_without_tasks_cannot_be_issued(world, make):
    empty = make.plan(world.a, kind="work")
    with pytest.raises(RuleViolation):
        plans.issue_plan(world.head, empty.id)
    assert reload_plan(empty.id).status == PlanStatus.DRAFT


def test_summary_counts_clear_and_completed_tasks_without_the_cancelled(world, make):
    assert plans.summary(world.plan) == PlanSummary(total=2, clear=2, completed=0)
    make.task(world.plan, world.head, world.a, world.staff, world.deputy, output_product="")
    cancelled = make.task(world.plan, world.head, world.a, world.staff, world.deputy)
    tasks.cancel_task(world.head, cancelled.id, "Trùng lặp", local_today())
    submit_with_evidence(world.staff, world.task.id, "", date(2026, 6, 1))
    tasks.confirm_task(world.deputy, world.task.id, "")
    db.session.commit()
    assert plans.summary(world.plan) == PlanSummary(total=3, clear=2, completed=1)
    empty = make.plan(world.a, kind="work")
    assert plans.summaries([world.plan.id, world.plan_b.id, empty.id]) == {
        world.plan.id: PlanSummary(3, 2, 1), world.plan_b.id: PlanSummary(1, 1, 0),
        empty.id: PlanSummary(0, 0, 0)}
    assert plans.summaries([]) == {}
    assert plans.summary(empty) == PlanSummary(0, 0, 0)


def test_plan_tasks_pages_in_tree_order(world, make):
    child = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task)
    items, total = plans.plan_tasks(world.plan)
    assert total == 3
    assert [t.stt for t in items] == ["1", "1.1", "2"]
    assert [t.id for t in items] == [world.task.id, child.id, world.task2.id]
    items, total = plans.plan_tasks(world.plan, page=2, per_page=2)
    assert ([t.id for t in items], total) == ([world.task2.id], 3)


def test_create_plan_opens_a_draft_and_audits_it(world):
    plan = plans.create_plan(world.head, PlanInput(world.a.id, 2027, "work", " Kế hoạch công tác 2027 ",
                                                   "  05/KH-SNV ", date(2027, 1, 5)))
    db.session.commit()
    plan = reload_plan(plan.id)
    assert (plan.unit_id, plan.year, plan.kind, plan.title, plan.doc_number, plan.status) == (
        world.a.id, 2027, "work", "Kế hoạch công tác 2027", "05/KH-SNV", PlanStatus.DRAFT)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "plan.create")).one()
    assert (row.actor_id, row.object_id) == (world.head.id, plan.id)
    assert json.loads(row.changes)["year"] == [None, 2027]


@pytest.mark.parametrize("data, field", [
    ({"title": "  "}, "title"),
    ({"year": 1999}, "year"),
    ({"year": 2101}, "year"),
    ({"kind": "bogus"}, "kind"),
    ({"kind": "cchc", "year": 2026}, "kind"),  # the world already has this plan
    ({"unit_id": 999999}, "unit_id"),
])
def test_create_plan_rules(world, data, field):
    base = {"unit_id": world.a.id, "year": 2027, "kind": "work", "title": "Kế hoạch"}
    n = db.session.scalar(select(func.count(Plan.id)))
    with pytest.raises(RuleViolation) as err:
        plans.create_plan(world.head, PlanInput(**{**base, **data}))
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(Plan.id))) == n


@pytest.mark.parametrize("who, unit", [("deputy", "a"), ("staff", "a"), ("head", "b"),
                                       ("assessor", "a")])
def test_only_a_head_creates_plans_for_their_subtree(world, who, unit):
    with pytest.raises(PermissionDenied):
        plans.create_plan(getattr(world, who),
                          PlanInput(getattr(world, unit).id, 2027, "work", "Kế hoạch"))


def test_update_plan_audits_only_real_changes(world):
    plans.update_plan(world.head, world.plan.id, "Kế hoạch CCHC năm 2026", "", None)
    db.session.commit()
    assert "plan.update" not in audit_actions()
    plans.update_plan(world.head, world.plan.id, "Kế hoạch CCHC năm 2026 (sửa đổi)", "01/KH-SNV",
                      date(2026, 1, 18))
    db.session.commit()
    assert audit_actions().count("plan.update") == 1
    plan = reload_plan(world.plan.id)
    assert (plan.title, plan.doc_number, plan.doc_date) == (
        "Kế hoạch CCHC năm 2026 (sửa đổi)", "01/KH-SNV", date(2026, 1, 18))
    with pytest.raises(PermissionDenied):
        plans.update_plan(world.deputy, world.plan.id, "Khác", "", None)
    with pytest.raises(RuleViolation):
        plans.update_plan(world.head, world.plan.id, " ", "", None)


@pytest.mark.parametrize("who, expected", [
    ("head", {"plan"}), ("staff", {"plan"}), ("head_b", {"plan_b"}), ("assessor", {"plan", "plan_b"}),
])
def test_list_plans_is_scoped(world, who, expected):
    got = {p.id for p in plans.list_plans(getattr(world, who))}
    assert got == {getattr(world, name).id for name in expected}


def test_a_suspended_task_stays_in_the_plan_total(world):
    t = load_task(world.task2.id)
    t.status = Lifecycle.SUSPENDED
    db.session.commit()
    # Suspended tasks stay in the plan's total (only cancelled ones leave it).
    assert plans.summary(world.plan) == PlanSummary(total=2, clear=2, completed=0)
