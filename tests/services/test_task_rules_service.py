"""Creating and editing tasks through the service with the task rule set: draft vs issued
plans, amendments (rows, counts, audit), permissions, and the deputy exploit of issue 11."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import create_app
from app.common.errors import (
    NotFound,
    PermissionDenied,
    RuleViolation,
    RuleViolations,
)
from app.extensions import db
from app.models import Amendment, AuditLog, PlanStatus, Task
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from app.tasks.commands import StepInput
from config import TestConfig
from tests.conftest import TODAY


def reload(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def form_of(task: Task) -> tasks.TaskInput:
    """What the edit form posts back unchanged."""
    return tasks.TaskInput(
        title=task.title, description=task.description, assignee_id=task.assignee_id,
        lead_unit_id=task.lead_unit_id, coordinator_ids=[u.id for u in task.coordinators],
        leader_id=task.leader_id, responsibility=task.responsibility,
        steps=[StepInput(s.title, s.due_on, s.id) for s in task.steps],
        start_on=task.start_on, due_on=task.due_on, output_product=task.output_product,
        indicator_name=task.indicator_name, indicator_unit=task.indicator_unit,
        indicator_target=task.indicator_target, field_id=task.field_id, weight=task.weight)


def fields_of(e: RuleViolation) -> set[tuple]:
    return {(v.field, str(v.message)) for v in e.violations}


def field_names(e: RuleViolation) -> set:
    return {v.field for v in e.violations}


def edit(actor, task_id, reason="", **change):
    t = reload(task_id)
    return tasks.update_task(actor, task_id, replace(form_of(t), **change), t.version,
                             today=TODAY, amendment_reason=reason, settings=current_settings().task_rules)


def amendments(task_id) -> list[Amendment]:
    return db.session.scalars(select(Amendment).where(Amendment.task_id == task_id)
                              .order_by(Amendment.id)).all()


@pytest.fixture
def issued(world):
    """world with its plan A issued (both of its tasks are clear)."""
    plan, unclear = plans.issue_plan(world.head, world.plan.id)
    assert unclear == [] and plan.status == PlanStatus.ISSUED
    db.session.commit()
    return world


# ---- draft plans: dates edited freely, the original with them ----------------------------

def test_in_a_draft_plan_the_due_date_is_edited_and_the_original_follows(world):
    edit(world.head, world.task.id, due_on=date(2026, 9, 30))
    t = reload(world.task.id)
    assert t.due_on == t.original_due_on == date(2026, 9, 30)
    assert t.amendment_count == 0 and amendments(t.id) == []


def test_in_a_draft_plan_reassigning_is_no_amendment(world):
    edit(world.head, world.task.id, assignee_id=world.staff2.id, weight=Decimal(3))
    t = reload(world.task.id)
    assert (t.assignee_id, t.weight, t.amendment_count) == (world.staff2.id, Decimal(3), 0)
    assert amendments(t.id) == []


# ---- issued plans -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["head", "deputy"])
def test_after_issue_the_due_date_cannot_be_edited(issued, who):
    with pytest.raises(RuleViolation) as e:
        edit(getattr(issued, who), issued.task.id, due_on=date(2026, 12, 31))
    db.session.rollback()
    assert field_names(e.value) == {"due_on"}
    t = reload(issued.task.id)
    assert t.due_on == t.original_due_on == date(2026, 6, 30)


def test_after_issue_the_start_date_cannot_be_edited(issued):
    with pytest.raises(RuleViolation) as e:
        edit(issued.head, issued.task.id, start_on=date(2026, 2, 1))
    assert field_names(e.value) == {"start_on"}


def test_after_issue_an_edit_keeps_the_original_due_date(issued):
    t = reload(issued.task.id)
    # as an approved extension leaves it: due_on moved, the original kept
    t.due_on, t.extension_count = date(2026, 7, 31), 1
    db.session.commit()
    edit(issued.head, t.id, title="Xây dựng bộ chỉ số đánh giá chất lượng hoạt động năm 2026")
    t = reload(t.id)
    assert (t.due_on, t.original_due_on) == (date(2026, 7, 31), date(2026, 6, 30))


def test_the_head_amends_with_a_reason_recorded_counted_and_audited(issued):
    edit(issued.head, issued.task.id, reason="Chị Đăng nghỉ thai sản",
         assignee_id=issued.staff2.id, weight=Decimal("2.5"))
    db.session.commit()
    t = reload(issued.task.id)
    assert (t.assignee_id, t.weight, t.amendment_count) == (issued.staff2.id, Decimal("2.5"), 1)
    [a] = amendments(t.id)
    assert (a.actor_id, a.reason) == (issued.head.id, "Chị Đăng nghỉ thai sản")
    assert json.loads(a.changes) == {"assignee_id": [issued.staff.id, issued.staff2.id],
                                     "weight": ["1", "2.5"]}
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.task_id == t.id,
                                                      AuditLog.action == "task.amend")).all()
    assert row.comment == "Chị Đăng nghỉ thai sản"
    assert set(json.loads(row.changes)) >= {"assignee_id", "weight", "version"}
    edit(issued.head, t.id, reason="Đổi lãnh đạo phụ trách", leader_id=issued.head.id)
    assert reload(t.id).amendment_count == 2 and len(amendments(t.id)) == 2


def test_an_edit_that_is_no_amendment_writes_none(issued):
    edit(issued.deputy, issued.task.id, title="Xây dựng bộ chỉ số đánh giá chất lượng năm 2026",
         coordinator_ids=[issued.b.id])
    t = reload(issued.task.id)
    assert t.amendment_count == 0 and amendments(t.id) == []
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.task_id == t.id, AuditLog.action == "task.update")) == 1


def test_an_amendment_without_a_reason_is_refused_beside_the_reason(issued):
    with pytest.raises(RuleViolation) as e:
        edit(issued.head, issued.task.id, reason="   ", assignee_id=issued.staff2.id)
    db.session.rollback()
    assert field_names(e.value) == {"amendment_reason"}
    assert reload(issued.task.id).assignee_id == issued.staff.id
    assert amendments(issued.task.id) == []


def test_the_accountable_deputy_cannot_amend(issued):
    for change in ({"weight": Decimal(2)}, {"assignee_id": issued.staff2.id}):
        with pytest.raises(RuleViolation) as e:
            edit(issued.deputy, issued.task.id, reason="lý do", **change)
        db.session.rollback()
        assert field_names(e.value) == set(change)
    t = reload(issued.task.id)
    assert (t.weight, t.assignee_id, t.amendment_count) == (Decimal(1), issued.staff.id, 0)


@pytest.mark.parametrize("who, error", [("staff", PermissionDenied), ("head_b", NotFound),
                                        ("deputy_b", NotFound)])
def test_staff_and_another_units_leaders_cannot_edit_at_all(issued, who, error):
    with pytest.raises(error):
        edit(getattr(issued, who), issued.task.id, reason="lý do", weight=Decimal(2))


def test_the_province_head_above_the_plan_cannot_amend_it(issued):
    with pytest.raises(RuleViolation) as e:
        edit(_province_head(issued), issued.task.id, reason="lý do",
             weight=Decimal(2))
    assert field_names(e.value) == {"weight"}


def _province_head(w):
    from app.directory import users

    u = users.add_user("head_p", "Chủ Tịch Tỉnh", w.province.code, "head", "Mat-khau-thu-2026",
                       check_policy=False)
    db.session.commit()
    return u


@pytest.mark.parametrize("change, field", [
    ({"output_product": ""}, "output_product"),
    ({"description": ""}, "description"),
    ({"steps": []}, "steps"),
    ({"responsibility": ""}, "responsibility"),
])
def test_an_edit_that_makes_an_issued_task_unclear_is_refused(issued, change, field):
    with pytest.raises(RuleViolation) as e:
        edit(issued.head, issued.task.id, **change)
    db.session.rollback()
    assert field_names(e.value) == {field}
    assert reload(issued.task.id).is_clear


def test_every_violation_comes_back_with_its_field(issued):
    with pytest.raises(RuleViolations) as e:
        edit(issued.deputy, issued.task.id, title="", due_on=date(2026, 12, 31), weight=Decimal(0),
             output_product="")
    assert field_names(e.value) >= {"title", "due_on", "weight", "output_product"}
    assert all(str(v.message) for v in e.value.violations)


# ---- adding to an issued plan (bổ sung) ---------------------------------------------------

def test_a_clear_task_due_today_can_be_added_to_an_issued_plan(issued, make):
    t = tasks.create_task(issued.head, issued.plan.id,
                          make.task_input(issued.a, issued.staff, issued.deputy, due_on=TODAY),
                          today=TODAY, settings=current_settings().task_rules)
    assert t.is_clear and t.original_due_on == TODAY


def test_a_task_added_to_an_issued_plan_due_yesterday_is_refused(issued, make):
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(issued.head, issued.plan.id,
                          make.task_input(issued.a, issued.staff, issued.deputy,
                                          due_on=date(2026, 6, 14)), today=TODAY, settings=current_settings().task_rules)
    assert field_names(e.value) == {"due_on"}


def test_a_title_only_task_cannot_be_added_to_an_issued_plan(issued):
    before = db.session.scalar(select(func.count(Task.id)))
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(issued.head, issued.plan.id,
                          tasks.TaskInput(title="Rà soát thủ tục hành chính năm 2026"), today=TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert {"description", "responsibility", "steps", "due_on", "output_product"} <= field_names(e.value)
    assert db.session.scalar(select(func.count(Task.id))) == before


def test_the_deputy_exploit_is_refused_at_creation(issued, make):
    """Issue 11: a deputy creates a task due today with herself as person and leader,
    weight 999,999. The weight is refused; with a sane weight it is allowed (the head
    confirms it: the workflow's rule), but only clear."""
    data = make.task_input(issued.a, issued.deputy, issued.deputy, due_on=TODAY,
                           weight=Decimal(999999))
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(issued.deputy, issued.plan.id, data, today=TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert field_names(e.value) == {"weight"}
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(issued.deputy, issued.plan.id, replace(data, weight=Decimal(1),
                                                                  output_product=""), today=TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert field_names(e.value) == {"output_product"}
    t = tasks.create_task(issued.deputy, issued.plan.id, replace(data, weight=Decimal(1)), today=TODAY, settings=current_settings().task_rules)
    assert t.assignee_id == t.leader_id == issued.deputy.id


def test_a_head_cannot_be_both_person_and_leader(world, make):
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(world.head, world.plan.id, make.task_input(world.a, world.head, world.head),
                          today=TODAY, settings=current_settings().task_rules)
    assert field_names(e.value) == {"leader_id"}


def test_a_plan_cannot_make_a_unit_outside_its_subtree_lead(world, make):
    """Issue 11: a commune's head made Sở Nội vụ lead tasks of the commune's draft plan."""
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(world.head_b, world.plan_b.id,
                          make.task_input(world.a, None, world.head_b), today=TODAY, settings=current_settings().task_rules)
    assert field_names(e.value) == {"lead_unit_id"}


def test_coordinating_units_may_be_any_active_unit(world, make):
    t = tasks.create_task(world.head, world.plan.id,
                          make.task_input(world.a, world.staff, world.deputy,
                                          coordinator_ids=[world.b.id, world.province.id]),
                          today=TODAY, settings=current_settings().task_rules)
    assert {u.id for u in reload(t.id).coordinators} == {world.b.id, world.province.id}


# ---- the weight range is a setting, checked at start-up -----------------------------------

def test_the_weight_range_comes_from_the_settings(world, make):
    settings = tasks.rule_settings({"TASK_WEIGHT_MIN": "1", "TASK_WEIGHT_MAX": "3"})
    with pytest.raises(RuleViolation) as e:
        tasks.create_task(world.head, world.plan.id,
                          make.task_input(world.a, world.staff, world.deputy, weight=Decimal(4)),
                          today=TODAY, settings=settings)
    assert field_names(e.value) == {"weight"}
    assert "1" in str(e.value.violations[0].message) and "3" in str(e.value.violations[0].message)


@pytest.mark.parametrize("lo, hi", [("0", "10"), ("abc", "10"), ("2", "1"), ("0.1", "5000000")])
def test_an_invalid_weight_setting_stops_the_app_at_start_up(lo, hi):
    with pytest.raises(ValueError, match="TASK_WEIGHT"):
        create_app(TestConfig, TASK_WEIGHT_MIN=lo, TASK_WEIGHT_MAX=hi)
