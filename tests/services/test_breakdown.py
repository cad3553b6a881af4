"""Breaking a plan down (issue 5): a higher unit's task led by a unit appears in that unit's
plan of the same year as a parent to break down; the parent's progress is the weighted
progress of its children, seen by the higher unit; a child is never due after its parent,
in the task form's service and in the import."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import AuditLog, Plan, Task
from app.plans import importing as plan_import
from app.plans import service as plans
from app.settings import current_settings
from app.tasks import breakdown
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from tests.conftest import TODAY, submit_with_evidence
from tests.plan_files import HEADERS, build, clear_row


@pytest.fixture
def province(world, make):
    """The province's 2026 CCHC plan with one task led by Sở Nội vụ (unit A), due 31/08/2026."""
    plan = make.plan(world.province, title="Kế hoạch CCHC năm 2026 của UBND tỉnh")
    head_p = make.user(world.province, "head", "Chủ Tịch Tỉnh", "head_p")
    parent = make.task(plan, head_p, world.a, world.staff, world.head,
                       title="Triển khai bộ chỉ số đánh giá tại các sở", due_on=date(2026, 8, 31))
    return plan, parent, head_p


def reload(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def child_of(make, world, parent, **kw):
    """A sub-task of `parent` in unit A's 2026 CCHC plan (world.plan)."""
    kw.setdefault("title", "Áp dụng bộ chỉ số tại Sở Nội vụ")
    kw.setdefault("due_on", date(2026, 7, 31))
    return make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=parent, **kw)


def n_tasks() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Task.id)))


# ---- where a delegated task appears ------------------------------------------------------

def test_a_higher_plans_task_appears_only_in_the_lead_units_plan_of_that_year(world, make, province):
    plan, parent, head_p = province
    # Led by another unit, cancelled, or of another year: not for unit A.
    make.task(plan, head_p, world.b, world.staff_b, world.head_b, title="Nhiệm vụ giao Sở Khoa học")
    gone = make.task(plan, head_p, world.a, world.staff, world.head, title="Nhiệm vụ đã hủy bỏ")
    tasks.cancel_task(head_p, gone.id, "Không còn phù hợp", local_today())
    db.session.commit()
    next_year = make.plan(world.province, year=2027, title="Kế hoạch CCHC năm 2027 của UBND tỉnh")
    make.task(next_year, head_p, world.a, world.staff, world.head, title="Nhiệm vụ năm sau",
              start_on=date(2027, 1, 15), due_on=date(2027, 6, 30), steps=[])
    assert [t.id for t in breakdown.delegated_tasks(world.plan)] == [parent.id]
    assert [t.title for t in breakdown.delegated_tasks(world.plan_b)] == ["Nhiệm vụ giao Sở Khoa học"]
    assert breakdown.delegated_tasks(plan) == []                 # not in the higher plan itself
    a_2027 = make.plan(world.a, year=2027)
    assert [t.title for t in breakdown.delegated_tasks(a_2027)] == ["Nhiệm vụ năm sau"]


def test_same_kind_first_and_every_plan_of_the_year_when_the_unit_has_none_of_that_kind(
        world, make, province):
    _plan, parent, _head_p = province
    work = make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")
    # Unit A has a CCHC plan: the province's CCHC task is broken down there, not in the work plan.
    assert [t.id for t in breakdown.delegated_tasks(world.plan)] == [parent.id]
    assert breakdown.delegated_tasks(work) == []
    assert breakdown.is_delegated_to(parent, world.plan)
    assert not breakdown.is_delegated_to(parent, work)
    # A section with no CCHC plan sees the CCHC items it leads in each of its plans of the year.
    section = make.unit("Phòng Cải cách hành chính", parent=world.a, code="SNV-CCHC")
    section_head = make.user(section, "head", "Lý Văn Phòng", "head_s")
    s_work = make.plan(section, kind="work", title="Kế hoạch công tác của phòng")
    s_digital = make.plan(section, kind="digital", title="Kế hoạch chuyển đổi số của phòng")
    low = make.task(world.plan, world.head, section, None, None, title="Nhiệm vụ giao phòng CCHC")
    assert [t.id for t in breakdown.delegated_tasks(s_work)] == [low.id]
    assert [t.id for t in breakdown.delegated_tasks(s_digital)] == [low.id]
    # A grandparent's task reaches the section too.
    far = make.task(_plan, _head_p, section, None, None, title="Nhiệm vụ tỉnh giao phòng")
    assert {t.id for t in breakdown.delegated_tasks(s_work)} == {low.id, far.id}
    # Once the section makes its CCHC plan, the CCHC items go there only.
    s_cchc = make.plan(section, kind="cchc", title="Kế hoạch CCHC của phòng")
    assert {t.id for t in breakdown.delegated_tasks(s_cchc)} == {low.id, far.id}
    assert breakdown.delegated_tasks(s_work) == []
    child = tasks.create_task(section_head, s_cchc.id,
                              make.task_input(section, None, section_head, due_on=date(2026, 6, 1)),
                              parent_id=far.id, today=local_today(), settings=current_settings().task_rules)
    assert child.parent_id == far.id and child.stt == "1"


def test_only_the_lead_unit_breaks_a_task_down_and_only_in_its_plans_of_that_year(world, make,
                                                                                  province):
    _plan, parent, _head_p = province
    before = n_tasks()
    with pytest.raises(NotFound):      # unit B: the task is not even visible
        tasks.create_task(world.head_b, world.plan_b.id,
                          make.task_input(world.b, world.staff_b, world.deputy_b), parent_id=parent.id, today=local_today(), settings=current_settings().task_rules)
    db.session.rollback()
    a_2027 = make.plan(world.a, year=2027)
    with pytest.raises(NotFound):      # unit A, but a plan of another year
        tasks.create_task(world.head, a_2027.id,
                          make.task_input(world.a, world.staff, world.deputy, start_on=date(2027, 1, 2),
                                          due_on=date(2027, 3, 1), steps=[]), parent_id=parent.id, today=local_today(), settings=current_settings().task_rules)
    db.session.rollback()
    with pytest.raises(PermissionDenied):   # staff of unit A cannot add tasks to the plan
        tasks.create_task(world.staff, world.plan.id,
                          make.task_input(world.a, world.staff, world.deputy), parent_id=parent.id, today=local_today(), settings=current_settings().task_rules)
    db.session.rollback()
    assert n_tasks() == before
    # The deputy of unit A can: deputies add tasks to their unit's plans.
    child = tasks.create_task(world.deputy, world.plan.id,
                              make.task_input(world.a, world.staff, world.deputy), parent_id=parent.id, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert (child.plan_id, child.parent_id, child.owner_unit_id) == (world.plan.id, parent.id, world.a.id)


# ---- the deadline ------------------------------------------------------------------------

def test_a_child_due_after_the_higher_task_is_refused_beside_the_due_date(world, make, province):
    _plan, parent, _head_p = province
    before = n_tasks()
    with pytest.raises(RuleViolation) as late:
        tasks.create_task(world.head, world.plan.id,
                          make.task_input(world.a, world.staff, world.deputy, due_on=date(2026, 9, 1)),
                          parent_id=parent.id, today=local_today(), settings=current_settings().task_rules)
    assert late.value.field == "due_on"
    assert str(late.value.message) == ("Hạn hoàn thành của nhiệm vụ con không được sau hạn của "
                                       "nhiệm vụ cha (31/08/2026).")
    assert n_tasks() == before
    # On the parent's date is allowed; moving it later on edit is refused.
    child = child_of(make, world, parent, due_on=date(2026, 8, 31))
    child = reload(child.id)
    form = tasks.TaskInput(
        title=child.title, description=child.description, assignee_id=child.assignee_id,
        lead_unit_id=child.lead_unit_id, leader_id=child.leader_id,
        responsibility=child.responsibility,
        steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in child.steps],
        start_on=child.start_on, due_on=child.due_on, output_product=child.output_product)
    with pytest.raises(RuleViolation) as edit:
        tasks.update_task(world.head, child.id, replace(form, due_on=date(2026, 9, 30)), child.version, today=local_today(), settings=current_settings().task_rules)
    assert edit.value.field == "due_on"
    db.session.rollback()
    assert reload(child.id).due_on == date(2026, 8, 31)


def test_an_import_refuses_a_breakdown_task_due_after_the_higher_task(world, make, province):
    _plan, parent, _head_p = province
    child = child_of(make, world, parent)            # number 3 in unit A's plan
    before = n_tasks()
    versions = reload(child.id).version
    data = build([HEADERS, clear_row(child.stt, title=child.title, due="30/09/2026")])
    p = plan_import.preview(world.plan, data, TODAY, settings=current_settings().task_rules)
    # The task form's rule (app/domain/task_rules.py), worded once for both.
    assert [e.text for e in p.errors] == [
        ("Dòng 2, cột Hạn hoàn thành: Hạn hoàn thành của nhiệm vụ con không được sau hạn của "
         "nhiệm vụ cha (31/08/2026).")]
    with pytest.raises(plan_import.ImportRefused):
        plan_import.apply(world.head, world.plan, data, TODAY, settings=current_settings().task_rules)
    db.session.rollback()
    assert n_tasks() == before and reload(child.id).version == versions
    # Within the parent's deadline, the row updates the child and keeps its parent.
    ok = build([HEADERS, clear_row(child.stt, title=child.title, due="31/08/2026", progress=50)])
    plan_import.apply(world.head, world.plan, ok, TODAY, settings=current_settings().task_rules)
    db.session.commit()
    t = reload(child.id)
    assert (t.parent_id, t.due_on, t.progress) == (parent.id, date(2026, 8, 31), 50)
    assert reload(parent.id).progress == 50


# ---- the roll-up -------------------------------------------------------------------------

def test_the_parents_progress_is_the_weighted_progress_of_its_children(world, make, province):
    _plan, parent, head_p = province
    a = child_of(make, world, parent, weight=Decimal(3))
    b = make.task(world.plan, world.head, world.a, world.staff2, world.deputy, parent=parent,
                  title="Báo cáo kết quả áp dụng bộ chỉ số", due_on=date(2026, 8, 31))
    assert (a.stt, b.stt) == ("3", "4")               # top-level numbers in unit A's plan
    assert reload(parent.id).progress == 0
    tasks.record_progress(world.staff, a.id, 40, "", None, TODAY)
    db.session.commit()
    p = reload(parent.id)
    assert (p.progress, p.status) == (30, Lifecycle.IN_PROGRESS)     # (3 x 40 + 1 x 0) / 4
    note = db.session.scalars(select(AuditLog).where(AuditLog.task_id == parent.id,
                                                     AuditLog.action == "task.progress")).one()
    assert note.comment == breakdown.ROLLUP_NOTE and note.actor_id == world.staff.id
    # A child confirmed complete counts 100.
    submit_with_evidence(world.staff2, b.id, "Đã gửi báo cáo", TODAY)
    tasks.confirm_task(world.deputy, b.id, "")
    db.session.commit()
    assert reload(parent.id).progress == 55                           # (120 + 100) / 4
    # The parent's own progress is the roll-up: reporting on it is refused.
    with pytest.raises(RuleViolation) as own:
        tasks.record_progress(world.staff, parent.id, 90, "", None, TODAY)
    assert own.value.field == "percent"
    db.session.rollback()
    # A weight changed: the roll-up follows.
    t = reload(a.id)
    form = tasks.TaskInput(
        title=t.title, description=t.description, assignee_id=t.assignee_id,
        lead_unit_id=t.lead_unit_id, leader_id=t.leader_id, responsibility=t.responsibility,
        steps=[tasks.StepInput(s.title, s.due_on, s.id) for s in t.steps], start_on=t.start_on,
        due_on=t.due_on, output_product=t.output_product, weight=Decimal(1))
    tasks.update_task(world.head, a.id, form, t.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert reload(parent.id).progress == 70                           # (40 + 100) / 2
    # A cancelled child drops out.
    c = child_of(make, world, parent, title="Tổng kết việc áp dụng bộ chỉ số")
    assert reload(parent.id).progress == 47                           # (40 + 100 + 0) / 3
    tasks.cancel_task(world.head, c.id, "Gộp vào nhiệm vụ khác", local_today())
    db.session.commit()
    assert reload(parent.id).progress == 70
    # The higher unit sees it: on its plan's list, with the number of sub-tasks.
    items, _total = plans.plan_tasks(db.session.get(Plan, parent.plan_id))
    assert [(t.id, t.progress) for t in items] == [(parent.id, 70)]
    assert breakdown.broken_down_counts([parent.id]) == {parent.id: 2}
    assert [c.id for c in task_queries.children(reload(parent.id))] == [a.id, b.id, c.id]
    assert task_queries.get_task(head_p, a.id).plan.unit_id == world.a.id


def test_rounding_and_zero_weights(world, make, province):
    _plan, parent, _head_p = province
    kids = [child_of(make, world, parent, title=f"Phần việc số {i} của bộ chỉ số") for i in range(3)]
    tasks.record_progress(world.staff, kids[2].id, 50, "", None, TODAY)
    db.session.commit()
    assert reload(parent.id).progress == 17                           # 50 / 3 = 16.67
    assert breakdown.weighted_progress(Decimal(0), Decimal(0)) is None
    assert breakdown.weighted_progress(Decimal(250), Decimal(4)) == 63   # 62.5 rounds up


def test_a_parent_inside_its_own_plan_is_rolled_up_too(world, make):
    # Issue 11, item 8: progress rolls up from sub-tasks inside one plan as across plans;
    # the parent no longer reports its own.
    child = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task,
                      title="Dự thảo bộ chỉ số đánh giá", due_on=date(2026, 5, 31))
    tasks.record_progress(world.staff, child.id, 80, "", None, TODAY)
    db.session.commit()
    assert reload(world.task.id).progress == 80
    with pytest.raises(RuleViolation) as e:
        tasks.record_progress(world.staff, world.task.id, 20, "", None, TODAY)
    assert e.value.field == "percent" and "chia thành các nhiệm vụ con" in str(e.value.message)
    db.session.rollback()
    assert reload(world.task.id).progress == 80


def test_an_import_rolls_up_the_parents_in_higher_plans(world, make, province):
    _plan, parent, _head_p = province
    child = child_of(make, world, parent)
    row_ = clear_row(child.stt, title=child.title, due=date(2026, 7, 31), progress=80,
                     steps="Dự thảo bộ chỉ số\nLấy ý kiến các sở, ngành")
    plan_import.apply(world.head, world.plan, build([HEADERS, row_]), TODAY, settings=current_settings().task_rules)
    db.session.commit()
    assert reload(child.id).progress == 80
    assert reload(child.id).parent_id == parent.id
    assert reload(parent.id).progress == 80
