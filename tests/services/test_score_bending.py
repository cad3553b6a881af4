"""Adversarial review (session 7, red team): paths by which the people being scored could
move their own task or quality-of-operation result outside the workflow. Each test is the
attack, written first; it passes once the path is closed (docs/integrity.md)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.common.errors import RuleViolation, RuleViolations
from app.domain.text import sort_key
from app.extensions import db
from app.models import Field, Task
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from tests.conftest import TODAY
from tests.services.test_task_rules_service import form_of


def reload(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def edit(actor, task_id, reason="", **change):
    t = reload(task_id)
    return tasks.update_task(actor, task_id, replace(form_of(t), **change), t.version,
                             today=TODAY, amendment_reason=reason,
                             settings=current_settings().task_rules)


def two_fields(world):
    a = Field(unit_id=world.a.id, name="Cải cách hành chính", name_sort=sort_key("Cải cách hành chính"))
    b = Field(unit_id=world.a.id, name="Chính quyền số", name_sort=sort_key("Chính quyền số"))
    db.session.add_all([a, b])
    db.session.commit()
    return a, b


# ---- 1. the field of an issued task ------------------------------------------------------
# A quality criterion "from tasks" may count only the tasks of one field (DESIGN.md 8): moving
# a late task out of that field after issue raises the unit's result as surely as flipping
# its key-task flag, which is locked. The field is locked the same way.

def test_in_a_draft_plan_the_field_is_chosen_freely(world):
    cchc, _ = two_fields(world)
    edit(world.head, world.task.id, field_id=cchc.id)
    assert reload(world.task.id).field_id == cchc.id


@pytest.mark.parametrize("who", ["head", "deputy"])
def test_after_issue_nobody_moves_a_task_to_another_field(world, who):
    cchc, digital = two_fields(world)
    edit(world.head, world.task.id, field_id=cchc.id)
    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    actor = getattr(world, who)
    for new in (digital.id, None):
        with pytest.raises(RuleViolations) as e:
            edit(actor, world.task.id, reason="phân loại lại", field_id=new)
        assert {v.field for v in e.value.violations} == {"field_id"}
        assert "lĩnh vực" in str(e.value.violations[0].message).lower() or \
            "field" in str(e.value.violations[0].message).lower()
        db.session.rollback()
    assert reload(world.task.id).field_id == cchc.id


# ---- 2. breaking down work that has already failed ----------------------------------------
# "Each piece of work counts once": a counted sub-task replaces its parent in its lead unit's
# (and leader's) score. A lead unit that missed a higher plan's task could break it down, after
# the fact, in a draft plan of its own (no "due no earlier than today" there) into one light
# sub-task, due on the parent's own day, and issue it: the failure would then weigh 0.1 instead
# of the weight the higher unit gave it. Work that has fallen due is not broken down any more.

def unit_a_score(world):
    from app.assessment import service as assessment
    from app.domain.scoring import parse_period

    db.session.expire_all()
    f = assessment.figures(parse_period("2026"), TODAY, current_settings().scoring, today=TODAY)
    return f.by_unit[world.a.id].score


@pytest.fixture
def missed_province_task(world, make):
    """The province's issued plan with a task led by unit A, weight 3, due 31/05 and never
    done (overdue on TODAY = 15/06), beside one done on time; A's plan is a draft."""
    from tests.conftest import issue_plans

    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    parent = make.task(plan, head_p, world.a, world.staff, world.head, weight=Decimal(3),
                       title="Triển khai bộ chỉ số đánh giá tại các sở", due_on=date(2026, 5, 31))
    done = make.task(plan, head_p, world.a, world.staff, world.head,
                     title="Ban hành kế hoạch triển khai", due_on=date(2026, 4, 30))
    issue_plans(plan)
    db.session.execute(update(Task).where(Task.id == done.id).values(
        status="completed", completed_on=date(2026, 4, 20)))
    db.session.commit()
    return parent


def test_a_task_that_has_fallen_due_cannot_be_broken_down_to_lighten_the_failure(
        world, missed_province_task):
    parent = missed_province_task
    before = unit_a_score(world)
    assert before == Decimal("25.00")     # on time (1) + overdue (3): 1 / 4
    data = replace(form_of(reload(world.task.id)), title="Áp dụng bộ chỉ số tại Sở Nội vụ",
                   due_on=date(2026, 5, 31), weight=Decimal("0.1"), field_id=None)
    with pytest.raises(RuleViolations) as e:
        tasks.create_task(world.head, world.plan.id, data, parent.id, today=TODAY,
                          settings=current_settings().task_rules)
    assert [v.field for v in e.value.violations] == [None]
    assert "31/05/2026" in str(e.value.violations[0].message)
    db.session.rollback()
    plans.issue_plan(world.head, world.plan.id)
    db.session.commit()
    assert unit_a_score(world) == before


def test_a_breakdown_drafted_in_time_cannot_be_issued_once_the_parent_has_failed(
        world, missed_province_task):
    """The same attack prepared ahead: the sub-task (weight 0.1) drafted while the parent was
    not yet due, the draft plan issued only once the parent had failed. Issuing is refused
    with the tasks named; cancelled in the draft, the sub-task is detached at issue and hides
    nothing (a draft cancellation after its date still counts, as any: docs/integrity.md)."""
    parent = missed_province_task
    before = unit_a_score(world)
    data = replace(form_of(reload(world.task.id)), title="Áp dụng bộ chỉ số tại Sở Nội vụ",
                   due_on=date(2026, 5, 31), weight=Decimal("0.1"), field_id=None)
    child = tasks.create_task(world.head, world.plan.id, data, parent.id, today=date(2026, 5, 20),
                              settings=current_settings().task_rules)
    db.session.commit()
    with pytest.raises(RuleViolation) as e:
        plans.issue_plan(world.head, world.plan.id, today=TODAY)
    assert child.stt in str(e.value.message) and "31/05/2026" in str(e.value.message)
    db.session.rollback()
    assert unit_a_score(world) == before
    tasks.cancel_task(world.head, child.id, "Nhiệm vụ cấp trên đã quá hạn", TODAY)
    plans.issue_plan(world.head, world.plan.id, today=TODAY)
    db.session.commit()
    # Detached, the sub-task cancelled after its date counts as its own failure (0.1) and
    # the higher task keeps its record (3): 1 / 4.1.
    assert reload(child.id).parent_id is None
    assert unit_a_score(world) == Decimal("24.39") < before


# ---- 3. the weight of work added after issue ---------------------------------------------
# DESIGN.md 4: after issue, changing a weight is an amendment by the head of the plan's unit.
# A deputy adding a task to an issued plan (bổ sung) chose its weight freely (up to the
# maximum, 10): an easy task due today, submitted by a colluding staff member and confirmed by
# her, then outweighed her missed work. The weight of added work is the head's to set.

def deputy_score(world):
    from app.assessment import service as assessment
    from app.domain.scoring import parse_period

    db.session.expire_all()
    f = assessment.figures(parse_period("2026"), TODAY, current_settings().scoring, today=TODAY)
    return f.by_leader[world.deputy.id].score


@pytest.fixture
def deputy_missed(world):
    """World's plan issued; the deputy's one task (world.task) due 31/05 and not done."""
    from tests.conftest import issue_plans

    db.session.execute(update(Task).where(Task.id == world.task.id).values(
        due_on=date(2026, 5, 31), original_due_on=date(2026, 5, 31), start_on=date(2026, 2, 1)))
    db.session.commit()
    issue_plans(world.plan)
    return world


def test_a_deputy_cannot_weigh_the_work_she_adds_after_issue(deputy_missed, make):
    world = deputy_missed
    assert deputy_score(world) == Decimal("0.00")
    data = make.task_input(world.a, world.staff, world.deputy, due_on=TODAY, weight=Decimal(10),
                           title="Báo cáo nhanh tình hình tuần")
    with pytest.raises(RuleViolations) as e:
        tasks.create_task(world.deputy, world.plan.id, data, today=TODAY,
                          settings=current_settings().task_rules)
    assert {v.field for v in e.value.violations} == {"weight"}
    assert "người đứng đầu" in str(e.value.violations[0].message)
    db.session.rollback()
    assert deputy_score(world) == Decimal("0.00")
    # The default weight is hers to use; the head of the plan's unit sets another.
    tasks.create_task(world.deputy, world.plan.id, replace(data, weight=Decimal(1)), today=TODAY,
                      settings=current_settings().task_rules)
    tasks.create_task(world.head, world.plan.id, data, today=TODAY,
                      settings=current_settings().task_rules)
    db.session.commit()


# ---- 4. work added after issue, confirmed by the one who added it --------------------------
# Red team, session 7: a deputy adds tasks of the default weight due today to an issued plan
# (bổ sung), a colluding staff member submits them and she confirms them herself: one missed
# task and nine such additions read 90.00. Work added to an issued plan by anyone but the head
# of the plan's unit is confirmed by that head (task_rules.head_confirms_addition).

def _added_and_submitted(world, make, n=9):
    from tests.conftest import submit_with_evidence

    ids = []
    for i in range(n):
        data = make.task_input(world.a, world.staff, world.deputy, due_on=TODAY,
                               weight=Decimal(1), title=f"Báo cáo nhanh số {i + 1}")
        ids.append(tasks.create_task(world.deputy, world.plan.id, data, today=TODAY,
                                     settings=current_settings().task_rules).id)
    db.session.commit()
    for tid in ids:
        submit_with_evidence(world.staff, tid, "Đã xong", TODAY)
    db.session.commit()
    return ids


def test_work_a_deputy_adds_after_issue_is_confirmed_by_the_head_not_by_her(deputy_missed, make):
    from app.dashboard.queries import awaiting_review

    world = deputy_missed
    assert deputy_score(world) == Decimal("0.00")
    ids = _added_and_submitted(world, make)
    refused = 0
    for tid in ids:
        try:
            tasks.confirm_task(world.deputy, tid, "")
        except RuleViolation as e:
            refused += 1
            assert world.head.full_name in str(e.message), str(e.message)
            db.session.rollback()
        else:
            db.session.commit()
    after = deputy_score(world)
    print(f"\n[integrity2] a deputy's 1 missed task + 9 additions she confirms herself: "
          f"score 0.00 -> {after} (refused {refused} of 9)")
    assert refused == 9 and after == Decimal("0.00")
    # Not in her list of work awaiting her confirmation; in the head's.
    db.session.expire_all()
    assert not {t.id for t in awaiting_review(reload_user(world.deputy))} & set(ids)
    assert set(ids) <= {t.id for t in awaiting_review(reload_user(world.head))}
    # The head's confirmation is the workflow: it counts.
    for tid in ids:
        tasks.confirm_task(reload_user(world.head), tid, "Đồng ý")
    db.session.commit()
    assert deputy_score(world) == Decimal("90.00")


def test_work_the_head_adds_after_issue_is_confirmed_by_its_leader(deputy_missed, make):
    """The head assigning work after issue is the assigner: its accountable deputy confirms
    it as any task (and the head may)."""
    from tests.conftest import submit_with_evidence

    world = deputy_missed
    data = make.task_input(world.a, world.staff, world.deputy, due_on=TODAY, weight=Decimal(1),
                           title="Báo cáo nhanh theo yêu cầu của Chủ tịch")
    tid = tasks.create_task(world.head, world.plan.id, data, today=TODAY,
                            settings=current_settings().task_rules).id
    db.session.commit()
    submit_with_evidence(world.staff, tid, "Đã xong", TODAY)
    tasks.confirm_task(reload_user(world.deputy), tid, "")
    db.session.commit()
    assert reload(tid).status == "completed"


def reload_user(user):
    from app.models import User

    return db.session.get(User, user.id)
