"""Task use cases against a real database: rules, permissions, lifecycle, audit, lists."""

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.clock import local_today
from app.common.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.directory import units
from app.domain.status import Lifecycle, Timeliness, timeliness
from app.extensions import db
from app.models import AuditLog, Evidence, Field, ProcessStep, ProgressUpdate, Task
from app.settings import current_settings
from app.tasks import commands as tasks
from app.tasks import evidence
from app.tasks import queries as task_queries
from app.tasks.commands import StepInput
from app.tasks.queries import TaskFilter
from tests.conftest import EVIDENCE_PDF, TODAY, attach_evidence, submit_with_evidence


def audit_rows(task_id=None, action=None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if task_id is not None:
        stmt = stmt.where(AuditLog.task_id == task_id)
    if action is not None:
        stmt = stmt.where(AuditLog.action == action)
    return db.session.scalars(stmt).all()


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditLog.id)))


def task_count() -> int:
    return db.session.scalar(select(func.count(Task.id)))


def reload(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.scalars(select(Task).where(Task.id == task_id)
                              .options(*task_queries.detail_options())).one()


def inp(make, w, **kw):
    """The form as it stands for world.task: lead A, staff assigned, deputy accountable."""
    return make.task_input(w.a, w.staff, w.deputy, **kw)


def form_of(task: Task) -> tasks.TaskInput:
    """What the edit form would post back unchanged."""
    return tasks.TaskInput(
        title=task.title, description=task.description, assignee_id=task.assignee_id,
        lead_unit_id=task.lead_unit_id, coordinator_ids=[u.id for u in task.coordinators],
        leader_id=task.leader_id, responsibility=task.responsibility,
        steps=[StepInput(s.title, s.due_on, s.id) for s in task.steps],
        start_on=task.start_on, due_on=task.due_on, output_product=task.output_product,
        indicator_name=task.indicator_name, indicator_unit=task.indicator_unit,
        indicator_target=task.indicator_target, field_id=task.field_id, weight=task.weight)


# ---- create ----------------------------------------------------------------------

def test_create_task_stores_the_six_clears_numbers_it_and_audits_once(world, make):
    before = audit_count()
    t = tasks.create_task(world.head, world.plan.id,
                          inp(make, world, title="  Rà soát   quy trình nội bộ  ",
                              coordinator_ids=[world.b.id], weight=Decimal("2.5")), today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    t = reload(t.id)
    assert t.title == "Rà soát quy trình nội bộ"
    assert t.title_folded == "ra soat quy trinh noi bo"
    assert (t.stt, t.order_key) == ("3", "0003")
    assert t.owner_unit_id == world.a.id
    assert t.status == Lifecycle.ASSIGNED
    assert t.created_by_id == world.head.id
    assert t.original_due_on == t.due_on == date(2026, 6, 30)
    assert [(s.position, s.title, s.due_on) for s in t.steps] == [
        (1, "Dự thảo bộ chỉ số", date(2026, 3, 1)), (2, "Lấy ý kiến các sở, ngành", date(2026, 4, 1))]
    assert [u.id for u in t.coordinators] == [world.b.id]
    assert t.weight == Decimal("2.5")
    assert t.is_clear is True
    rows = audit_rows(task_id=t.id)
    assert [r.action for r in rows] == ["task.create"]
    assert audit_count() == before + 1
    changes = json.loads(rows[0].changes)
    assert changes["title"] == [None, "Rà soát quy trình nội bộ"]
    assert changes["due_on"] == [None, "2026-06-30"]
    assert rows[0].actor_id == world.head.id


def test_a_task_that_fails_a_clear_is_saved_but_marked_unclear(world, make):
    t = tasks.create_task(world.head, world.plan.id, inp(make, world, output_product="", steps=[]), today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    t = reload(t.id)
    assert t.is_clear is False
    assert {r.clear.value for r in t.six_clears().failed} == {"process", "result"}


def test_sub_tasks_are_numbered_under_their_parent(world, make):
    child1 = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task,
                       due_on=date(2026, 6, 1))
    child2 = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=world.task,
                       due_on=date(2026, 6, 30))
    grandchild = make.task(world.plan, world.head, world.a, world.staff, world.deputy, parent=child2)
    assert (child1.stt, child2.stt, grandchild.stt) == ("1.1", "1.2", "1.2.1")
    assert grandchild.order_key == "0001.0002.0001"
    assert child1.parent_id == world.task.id
    assert [c.id for c in task_queries.children(world.task)] == [child1.id, child2.id]


def _retired_sub_unit(w, make):
    sub = make.unit("Phòng đã giải thể", parent=w.a)
    units.set_active(sub, False)
    db.session.commit()
    return sub


def _disabled_person(w, make):
    person = make.user(w.a, "staff", "Nguyễn Văn Nghỉ")
    person.is_active = False
    db.session.commit()
    return person


# (case, changed form values given the world, the field the violation names)
VIOLATIONS = [
    ("empty title", lambda w, m: {"title": "   "}, "title"),
    ("due before start", lambda w, m: {"start_on": date(2026, 5, 2), "due_on": date(2026, 5, 1)},
     "due_on"),
    ("start before the plan year", lambda w, m: {"start_on": date(2025, 12, 31)}, "start_on"),
    ("due after the plan year", lambda w, m: {"due_on": date(2027, 1, 1)}, "due_on"),
    ("person from another unit", lambda w, m: {"assignee_id": w.staff_b.id}, "assignee_id"),
    ("disabled person", lambda w, m: {"assignee_id": _disabled_person(w, m).id}, "assignee_id"),
    ("unknown person", lambda w, m: {"assignee_id": 999999}, "assignee_id"),
    ("retired lead unit", lambda w, m: {"lead_unit_id": _retired_sub_unit(w, m).id, "assignee_id": None},
     "lead_unit_id"),
    ("unknown lead unit", lambda w, m: {"lead_unit_id": 999999}, "lead_unit_id"),
    ("leader who is staff", lambda w, m: {"leader_id": w.staff2.id}, "leader_id"),
    ("leader who is an assessor", lambda w, m: {"leader_id": w.assessor.id}, "leader_id"),
    ("leader of an unrelated unit", lambda w, m: {"leader_id": w.head_b.id}, "leader_id"),
    ("negative weight", lambda w, m: {"weight": Decimal("-0.5")}, "weight"),
    # a weight of 0 would take the task out of the score (DESIGN.md 5)
    ("zero weight", lambda w, m: {"weight": Decimal(0)}, "weight"),
    ("weight of 0.00", lambda w, m: {"weight": Decimal("0.00")}, "weight"),
    ("coordinator is the lead unit", lambda w, m: {"coordinator_ids": [w.b.id, w.a.id]},
     "coordinator_ids"),
    ("retired coordinator", lambda w, m: {"coordinator_ids": [_retired_sub_unit(w, m).id]},
     "coordinator_ids"),
    ("too many steps", lambda w, m: {"steps": [StepInput(f"Bước {i}") for i in range(31)]}, "steps"),
]


@pytest.mark.parametrize("case, changes, field", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_create_task_refuses_each_rule_and_saves_nothing(world, make, case, changes, field):
    data = inp(make, world, **changes(world, make))
    n_tasks, n_audit = task_count(), audit_count()
    with pytest.raises(RuleViolation) as err:
        tasks.create_task(world.head, world.plan.id, data, today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == field
    assert str(err.value.message)
    db.session.rollback()
    assert (task_count(), audit_count()) == (n_tasks, n_audit)


@pytest.mark.parametrize("case, changes, field", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_update_task_refuses_each_rule_and_changes_nothing(world, make, case, changes, field):
    data = replace(form_of(reload(world.task.id)), **changes(world, make))
    before = reload(world.task.id)
    snapshot = tasks.snapshot(before), before.version, before.updated_at
    n_audit = audit_count()
    with pytest.raises(RuleViolation) as err:
        tasks.update_task(world.head, world.task.id, data, before.version, today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == field
    db.session.rollback()
    after = reload(world.task.id)
    assert (tasks.snapshot(after), after.version, after.updated_at) == snapshot
    assert audit_count() == n_audit


def test_a_sub_task_cannot_be_due_after_its_parent(world, make):
    n_tasks = task_count()
    with pytest.raises(RuleViolation) as err:
        tasks.create_task(world.head, world.plan.id, inp(make, world, due_on=date(2026, 7, 1)),
                          parent_id=world.task.id, today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == "due_on"
    assert "30/06/2026" in str(err.value.message)
    db.session.rollback()
    assert task_count() == n_tasks
    # On the parent's due date is allowed, at creation and on edit.
    child = tasks.create_task(world.head, world.plan.id, inp(make, world, due_on=date(2026, 6, 30)),
                              parent_id=world.task.id, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    child = reload(child.id)
    with pytest.raises(RuleViolation) as err:
        tasks.update_task(world.head, child.id, replace(form_of(child), due_on=date(2026, 7, 1)),
                          child.version, today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == "due_on"


def test_a_deputy_cannot_make_someone_else_the_accountable_leader(world, make):
    n_tasks = task_count()
    with pytest.raises(RuleViolation) as err:
        tasks.create_task(world.deputy, world.plan.id,
                          make.task_input(world.a, world.staff, world.head), today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == "leader_id"
    db.session.rollback()
    assert task_count() == n_tasks
    # Naming themselves is allowed.
    t = tasks.create_task(world.deputy, world.plan.id, make.task_input(world.a, world.staff, world.deputy), today=local_today(), settings=current_settings().task_rules)
    assert t.leader_id == world.deputy.id
    db.session.commit()
    t = reload(world.task.id)
    with pytest.raises(RuleViolation) as err:
        tasks.update_task(world.deputy, t.id, replace(form_of(t), leader_id=world.head.id), t.version, today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == "leader_id"
    db.session.rollback()
    assert reload(world.task.id).leader_id == world.deputy.id


def test_a_person_of_a_section_inside_the_lead_unit_belongs_to_it(world, make):
    section = make.unit("Phòng Cải cách hành chính", parent=world.a)
    clerk = make.user(section, "staff", "Trịnh Văn Sơn")
    t = tasks.create_task(world.head, world.plan.id, make.task_input(world.a, clerk, world.deputy), today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert reload(t.id).is_clear is True
    # The other way round is refused: a unit's person is not inside its section.
    with pytest.raises(RuleViolation):
        tasks.create_task(world.head, world.plan.id, make.task_input(section, world.staff, world.head), today=local_today(), settings=current_settings().task_rules)


def test_nobody_adds_tasks_to_a_closed_plan(world, make):
    world.plan.status = "closed"
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.create_task(world.head, world.plan.id, inp(make, world), today=local_today(), settings=current_settings().task_rules)


# ---- update and concurrent edits ----------------------------------------------

def test_update_task_saves_audits_the_changes_and_moves_the_version(world, make):
    t = reload(world.task.id)
    v = t.version
    data = replace(form_of(t), title="Xây dựng bộ chỉ số đánh giá sự hài lòng",
                   due_on=date(2026, 7, 31), indicator_name="Tỷ lệ hài lòng", indicator_unit="%",
                   indicator_target=Decimal("90.5"))
    n_audit = audit_count()
    tasks.update_task(world.head, t.id, data, v, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    t = reload(t.id)
    assert t.title == "Xây dựng bộ chỉ số đánh giá sự hài lòng"
    assert t.title_folded == "xay dung bo chi so danh gia su hai long"
    # Before any extension, the original due date follows the edit.
    assert t.due_on == t.original_due_on == date(2026, 7, 31)
    assert t.indicator_target == Decimal("90.5")
    assert t.version > v
    assert t.is_clear is True
    assert audit_count() == n_audit + 1
    row = audit_rows(task_id=t.id, action="task.update")[-1]
    changes = json.loads(row.changes)
    assert changes["title"] == ["Xây dựng bộ chỉ số đánh giá chất lượng hoạt động",
                                "Xây dựng bộ chỉ số đánh giá sự hài lòng"]
    assert changes["due_on"] == ["2026-06-30", "2026-07-31"]
    assert changes["indicator_target"] == [None, "90.5"]
    assert changes["version"][0] == v
    assert "description" not in changes


def test_saving_an_unchanged_form_writes_no_audit_row(world):
    t = reload(world.task.id)
    n_audit = audit_count()
    tasks.update_task(world.head, t.id, form_of(t), t.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert audit_count() == n_audit


def test_editing_only_the_steps_moves_the_version(world):
    """A second editor must see a conflict whatever the first one changed."""
    t = reload(world.task.id)
    v = t.version
    data = replace(form_of(t), steps=[*form_of(t).steps, StepInput("Trình ban hành", date(2026, 6, 1))])
    tasks.update_task(world.head, t.id, data, v, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    t = reload(t.id)
    assert [s.title for s in t.steps][-1] == "Trình ban hành"
    assert t.version > v
    changes = json.loads(audit_rows(task_id=t.id, action="task.update")[-1].changes)
    assert changes["version"] == [v, t.version]
    with pytest.raises(Conflict):
        tasks.update_task(world.deputy, t.id, replace(form_of(t), title="Tên khác hẳn của nhiệm vụ"), v, today=local_today(), settings=current_settings().task_rules)


def test_editing_only_the_coordinators_moves_the_version(world):
    t = reload(world.task.id)
    v = t.version
    tasks.update_task(world.head, t.id, replace(form_of(t), coordinator_ids=[world.b.id]), v, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    t = reload(t.id)
    assert [u.id for u in t.coordinators] == [world.b.id]
    assert t.version > v
    with pytest.raises(Conflict):
        tasks.update_task(world.deputy, t.id, form_of(t), v, today=local_today(), settings=current_settings().task_rules)


def test_a_stale_version_raises_conflict_with_the_other_editors_change(world):
    t = reload(world.task.id)
    v = t.version
    mine = replace(form_of(t), description="Bản sửa của phó giám đốc.")
    tasks.update_task(world.head, t.id, replace(form_of(t), title="Ban hành bộ chỉ số đánh giá mới"), v, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    saved = reload(t.id)
    n_audit = audit_count()
    with pytest.raises(Conflict) as err:
        tasks.update_task(world.deputy, t.id, mine, v, today=local_today(), settings=current_settings().task_rules)
    db.session.rollback()
    assert [(r.action, r.actor_id) for r in err.value.changes] == [("task.update", world.head.id)]
    assert json.loads(err.value.changes[0].changes)["title"][1] == "Ban hành bộ chỉ số đánh giá mới"
    assert err.value.changes[0].actor.full_name == "Trần Văn Hùng"
    after = reload(t.id)
    assert after.description == saved.description != "Bản sửa của phó giám đốc."
    assert after.title == "Ban hành bộ chỉ số đánh giá mới"
    assert after.version == saved.version
    assert audit_count() == n_audit
    # With the current version the same edit goes through.
    tasks.update_task(world.deputy, t.id, replace(form_of(after), description="Bản sửa của phó giám đốc."),
                      after.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert reload(t.id).description == "Bản sửa của phó giám đốc."


def test_changes_since_lists_only_what_came_after_the_version(world):
    t = reload(world.task.id)
    v1 = t.version
    tasks.update_task(world.head, t.id, replace(form_of(t), description="Lần một."), v1, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    v2 = reload(t.id).version
    tasks.update_task(world.head, t.id, replace(form_of(reload(t.id)), description="Lần hai."), v2, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert [json.loads(r.changes)["description"][1] for r in task_queries.changes_since(t.id, v1)] == [
        "Lần một.", "Lần hai."]
    assert [json.loads(r.changes)["description"][1] for r in task_queries.changes_since(t.id, v2)] == [
        "Lần hai."]
    assert task_queries.changes_since(t.id, reload(t.id).version) == []


@pytest.mark.parametrize("status", [Lifecycle.COMPLETED, Lifecycle.CANCELLED])
def test_a_finished_task_can_no_longer_be_edited(world, status):
    t = reload(world.task.id)
    t.status = status
    db.session.commit()
    t = reload(t.id)
    with pytest.raises(RuleViolation):
        tasks.update_task(world.head, t.id, replace(form_of(t), description="Sửa muộn."), t.version, today=local_today(), settings=current_settings().task_rules)


# ---- permissions -------------------------------------------------------------------

def test_staff_cannot_edit_or_create(world, make):
    t = reload(world.task.id)
    assert task_queries.get_task(world.staff, t.id).id == t.id  # they may read their own task
    with pytest.raises(PermissionDenied):
        tasks.update_task(world.staff, t.id, replace(form_of(t), description="x"), t.version, today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(PermissionDenied):
        tasks.create_task(world.staff, world.plan.id, inp(make, world), today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(PermissionDenied):
        tasks.cancel_task(world.staff, t.id, "Không cần nữa", local_today())
    db.session.rollback()
    assert reload(t.id).status == Lifecycle.ASSIGNED


def test_a_deputy_cannot_leave_the_accountable_leader_empty(world, make):
    """Without a leader the task would leave the deputy's hands once saved."""
    n_tasks = task_count()
    with pytest.raises(RuleViolation) as err:
        tasks.create_task(world.deputy, world.plan.id, make.task_input(world.a, world.staff, None), today=local_today(), settings=current_settings().task_rules)
    assert err.value.field == "leader_id"
    db.session.rollback()
    assert task_count() == n_tasks
    # The head may still save a draft without a leader (it is then not clear).
    t = tasks.create_task(world.head, world.plan.id, make.task_input(world.a, world.staff, None), today=local_today(), settings=current_settings().task_rules)
    assert t.leader_id is None and not t.is_clear


def test_a_deputy_edits_only_the_tasks_they_lead(world):
    mine, theirs = reload(world.task.id), reload(world.task2.id)
    assert mine.leader_id == world.deputy.id and theirs.leader_id == world.head.id
    tasks.update_task(world.deputy, mine.id, replace(form_of(mine), description="Phó sửa."), mine.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert reload(mine.id).description == "Phó sửa."
    # They may read the other task of their unit, but not change it.
    assert task_queries.get_task(world.deputy, theirs.id).id == theirs.id
    with pytest.raises(PermissionDenied):
        tasks.update_task(world.deputy, theirs.id, replace(form_of(theirs), description="Phó sửa."),
                          theirs.version, today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(PermissionDenied):
        tasks.cancel_task(world.deputy, theirs.id, "Không cần nữa", local_today())


@pytest.mark.parametrize("who", ["head_b", "deputy_b", "staff_b"])
def test_people_of_another_unit_get_not_found(world, who):
    actor = getattr(world, who)
    t = reload(world.task.id)
    with pytest.raises(NotFound):
        task_queries.get_task(actor, t.id)
    with pytest.raises(NotFound):
        tasks.update_task(actor, t.id, form_of(t), t.version, today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(NotFound):
        tasks.record_progress(actor, t.id, 10, "", None, TODAY)
    with pytest.raises(NotFound):
        tasks.cancel_task(actor, t.id, "Không cần nữa", local_today())
    with pytest.raises(NotFound):
        task_queries.get_plan(actor, world.plan.id)


def test_the_head_of_the_province_reaches_every_unit_below(world, make):
    governor = make.user(world.province, "head", "Nguyễn Văn Tỉnh")
    assert {task_queries.get_task(governor, t.id).id for t in (world.task, world.task_b)} == {
        world.task.id, world.task_b.id}
    assert task_queries.list_tasks(governor, TaskFilter(), TODAY).total == 3


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_assessor_and_admin_read_every_task_but_edit_none(world, who):
    actor = getattr(world, who)
    for t in (world.task, world.task2, world.task_b):
        assert task_queries.get_task(actor, t.id).id == t.id
    assert task_queries.list_tasks(actor, TaskFilter(), TODAY).total == 3
    t = reload(world.task.id)
    with pytest.raises(PermissionDenied):
        tasks.update_task(actor, t.id, replace(form_of(t), description="x"), t.version, today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(PermissionDenied):
        tasks.confirm_task(actor, t.id, "")


def test_get_task_of_a_missing_id_is_not_found(world):
    with pytest.raises(NotFound):
        task_queries.get_task(world.admin, 999999)


# ---- progress, submit, confirm, return ----------------------------------------------

@pytest.mark.parametrize("percent, ok", [(-1, False), (0, True), (1, True), (50, True), (100, True),
                                         (101, False), (1000, False)])
def test_progress_must_be_between_0_and_100(world, percent, ok):
    n_audit = audit_count()
    if ok:
        update = tasks.record_progress(world.staff, world.task.id, percent, "", None, TODAY)
        db.session.commit()
        assert update.percent == percent
        assert reload(world.task.id).progress == percent
        assert audit_count() == n_audit + 1
    else:
        with pytest.raises(RuleViolation) as err:
            tasks.record_progress(world.staff, world.task.id, percent, "", None, TODAY)
        assert err.value.field == "percent"
        db.session.rollback()
        assert reload(world.task.id).progress == 0
        assert reload(world.task.id).status == Lifecycle.ASSIGNED
        assert audit_count() == n_audit


def test_record_progress_appends_a_report_starts_the_task_and_audits_it(world):
    update = tasks.record_progress(world.staff, world.task.id, 40, "  Đã dự thảo xong  ",
                                   Decimal("12.5"), TODAY)
    db.session.commit()
    t = reload(world.task.id)
    assert (t.progress, t.status, t.indicator_actual) == (40, Lifecycle.IN_PROGRESS, Decimal("12.5"))
    assert (update.author_id, update.percent, update.note) == (world.staff.id, 40, "Đã dự thảo xong")
    row = audit_rows(task_id=t.id, action="task.progress")[-1]
    assert row.actor_id == world.staff.id
    assert row.comment == "Đã dự thảo xong"
    assert json.loads(row.changes) == {"progress": [0, 40], "indicator_actual": [None, "12.5"],
                                       "status": ["assigned", "in_progress"]}
    # A second report is another row; the first stays (append-only).
    tasks.record_progress(world.staff, world.task.id, 60, "", None, TODAY)
    db.session.commit()
    assert [u.percent for u in task_queries.progress_updates(t)] == [60, 40]
    t = reload(t.id)
    assert (t.progress, t.indicator_actual, t.status) == (60, Decimal("12.5"), Lifecycle.IN_PROGRESS)
    assert json.loads(audit_rows(task_id=t.id, action="task.progress")[-1].changes) == {
        "progress": [40, 60]}


@pytest.mark.parametrize("who", ["staff2", "head", "deputy"])
def test_only_the_responsible_person_reports_progress(world, who):
    n_updates = db.session.scalar(select(func.count(ProgressUpdate.id)))
    with pytest.raises(PermissionDenied):
        tasks.record_progress(getattr(world, who), world.task.id, 10, "", None, TODAY)
    with pytest.raises(PermissionDenied):
        tasks.submit_task(getattr(world, who), world.task.id, "", TODAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) == n_updates


def test_submit_then_confirm_completes_on_the_submission_date(world):
    attach_evidence(world.staff, world.task.id)
    n_audit = audit_count()
    # Submitted on the due date, confirmed whenever the leader gets to it.
    tasks.submit_task(world.staff, world.task.id, "Đã trình", date(2026, 6, 30))
    db.session.commit()
    t = reload(world.task.id)
    assert (t.status, t.submitted_on, t.completed_on) == (Lifecycle.SUBMITTED, date(2026, 6, 30), None)
    with pytest.raises(RuleViolation):
        tasks.record_progress(world.staff, t.id, 90, "", None, TODAY)
    db.session.rollback()
    tasks.confirm_task(world.deputy, t.id, "Đạt yêu cầu")
    db.session.commit()
    t = reload(t.id)
    assert (t.status, t.completed_on, t.progress) == (Lifecycle.COMPLETED, date(2026, 6, 30), 100)
    # Seen long after, it is still on time: the slow reviewer did not make it late.
    assert t.timeliness(date(2026, 8, 1)) is Timeliness.DONE_ON_TIME
    assert [r.action for r in audit_rows()[n_audit:]] == ["task.submit", "task.confirm"]
    confirm = audit_rows(task_id=t.id, action="task.confirm")[-1]
    assert confirm.comment == "Đạt yêu cầu" and confirm.actor_id == world.deputy.id
    assert json.loads(confirm.changes)["completed_on"] == [None, "2026-06-30"]


def test_a_submission_after_the_due_date_completes_late(world):
    submit_with_evidence(world.staff, world.task.id, "", date(2026, 7, 1))
    tasks.confirm_task(world.head, world.task.id, "")
    db.session.commit()
    t = reload(world.task.id)
    assert t.completed_on == date(2026, 7, 1)
    assert t.timeliness(TODAY) is Timeliness.DONE_LATE


def test_return_needs_a_comment_and_sends_the_task_back(world):
    submit_with_evidence(world.staff, world.task.id, "", TODAY)
    db.session.commit()
    n_audit = audit_count()
    for comment in ("", "   "):
        with pytest.raises(RuleViolation) as err:
            tasks.return_task(world.deputy, world.task.id, comment)
        assert err.value.field == "comment"
    db.session.rollback()
    assert reload(world.task.id).status == Lifecycle.SUBMITTED
    assert audit_count() == n_audit
    tasks.return_task(world.deputy, world.task.id, " Thiếu phụ lục ")
    db.session.commit()
    t = reload(world.task.id)
    assert (t.status, t.submitted_on, t.completed_on) == (Lifecycle.RETURNED, None, None)
    row = audit_rows(task_id=t.id, action="task.return")[-1]
    assert row.comment == "Thiếu phụ lục"
    assert audit_count() == n_audit + 1
    # Rework, then submit again: the evidence already attached is enough.
    tasks.record_progress(world.staff, t.id, 95, "Bổ sung phụ lục", None, TODAY)
    assert reload(t.id).status == Lifecycle.IN_PROGRESS
    tasks.submit_task(world.staff, t.id, "", TODAY + timedelta(days=1))
    tasks.confirm_task(world.deputy, t.id, "")
    db.session.commit()
    assert reload(t.id).completed_on == TODAY + timedelta(days=1)


@pytest.mark.parametrize("who, error", [("staff", PermissionDenied), ("staff2", PermissionDenied),
                                        ("head_b", NotFound), ("assessor", PermissionDenied)])
def test_only_the_leader_or_the_head_reviews(world, who, error):
    submit_with_evidence(world.staff, world.task.id, "", TODAY)
    db.session.commit()
    with pytest.raises(error):
        tasks.confirm_task(getattr(world, who), world.task.id, "")
    with pytest.raises(error):
        tasks.return_task(getattr(world, who), world.task.id, "Chưa đạt")
    db.session.rollback()
    assert reload(world.task.id).status == Lifecycle.SUBMITTED


def test_a_deputy_cannot_review_a_task_led_by_someone_else(world):
    submit_with_evidence(world.staff2, world.task2.id, "", TODAY)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        tasks.confirm_task(world.deputy, world.task2.id, "")


@pytest.mark.parametrize("status", [Lifecycle.ASSIGNED, Lifecycle.IN_PROGRESS, Lifecycle.RETURNED,
                                    Lifecycle.COMPLETED, Lifecycle.CANCELLED])
def test_only_a_submitted_task_is_confirmed_or_returned(world, status):
    t = reload(world.task.id)
    t.status = status
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.confirm_task(world.deputy, t.id, "")
    with pytest.raises(RuleViolation):
        tasks.return_task(world.deputy, t.id, "Chưa đạt")


@pytest.mark.parametrize("status, ok", [
    (Lifecycle.ASSIGNED, True), (Lifecycle.IN_PROGRESS, True), (Lifecycle.RETURNED, True),
    (Lifecycle.DRAFT, False), (Lifecycle.SUBMITTED, False), (Lifecycle.COMPLETED, False),
    (Lifecycle.CANCELLED, False), (Lifecycle.SUSPENDED, False)])
def test_which_statuses_can_be_submitted(world, status, ok):
    t = reload(world.task.id)
    t.status = status
    db.session.commit()
    if ok:
        assert submit_with_evidence(world.staff, t.id, "", TODAY).status == Lifecycle.SUBMITTED
    else:
        with pytest.raises(RuleViolation):
            tasks.submit_task(world.staff, t.id, "", TODAY)


@pytest.mark.parametrize("status", [Lifecycle.COMPLETED, Lifecycle.CANCELLED, Lifecycle.SUSPENDED])
def test_no_progress_on_a_closed_task(world, status):
    t = reload(world.task.id)
    t.status = status
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.record_progress(world.staff, t.id, 50, "", None, TODAY)


# ---- steps and cancelling ------------------------------------------------------------

def test_set_step_done_ticks_unticks_and_audits_each_change(world):
    t = reload(world.task.id)
    step = t.steps[0]
    n_audit = audit_count()
    tasks.set_step_done(world.staff, t.id, step.id, True)
    db.session.commit()
    s = db.session.get(ProcessStep, step.id)
    assert (s.is_done, s.done_by_id) == (True, world.staff.id)
    assert s.done_at is not None
    # Ticking a ticked step changes nothing and writes nothing.
    tasks.set_step_done(world.staff, t.id, step.id, True)
    db.session.commit()
    assert audit_count() == n_audit + 1
    # The head may tick too (they manage the task).
    tasks.set_step_done(world.head, t.id, step.id, False)
    db.session.commit()
    db.session.expire_all()
    s = db.session.get(ProcessStep, step.id)
    assert (s.is_done, s.done_by_id, s.done_at) == (False, None, None)
    assert [(r.action, r.actor_id, r.object_id) for r in audit_rows()[n_audit:]] == [
        ("step.done", world.staff.id, step.id), ("step.undone", world.head.id, step.id)]


def test_set_step_done_refuses_strangers_and_unknown_steps(world):
    t = reload(world.task.id)
    other_step = reload(world.task2.id).steps[0]
    with pytest.raises(PermissionDenied):
        tasks.set_step_done(world.staff2, t.id, t.steps[0].id, True)
    with pytest.raises(NotFound):
        tasks.set_step_done(world.staff_b, t.id, t.steps[0].id, True)
    with pytest.raises(NotFound):
        tasks.set_step_done(world.staff, t.id, other_step.id, True)
    db.session.rollback()
    assert not any(s.is_done for s in reload(t.id).steps)


def test_cancel_needs_a_reason_and_takes_the_task_out(world):
    n_audit = audit_count()
    with pytest.raises(RuleViolation) as err:
        tasks.cancel_task(world.head, world.task.id, "  ", local_today())
    assert err.value.field == "reason"
    db.session.rollback()
    assert audit_count() == n_audit
    tasks.cancel_task(world.deputy, world.task.id, " Đã lồng ghép vào nhiệm vụ khác ", local_today())
    db.session.commit()
    t = reload(world.task.id)
    assert (t.status, t.cancel_reason) == (Lifecycle.CANCELLED, "Đã lồng ghép vào nhiệm vụ khác")
    assert t.timeliness(TODAY) is Timeliness.EXCLUDED
    row = audit_rows(task_id=t.id, action="task.cancel")[-1]
    assert json.loads(row.changes) == {"status": ["assigned", "cancelled"],
                                       "excluded_on": [None, "2026-06-15"]}
    assert audit_count() == n_audit + 1
    with pytest.raises(RuleViolation):
        tasks.cancel_task(world.head, t.id, "Lần nữa", local_today())
    with pytest.raises(RuleViolation):
        tasks.set_step_done(world.staff, t.id, t.steps[0].id, True)


def test_one_audit_row_per_successful_change_and_none_on_refusal(world):
    tid = world.task.id
    attach_evidence(world.staff, tid)
    db.session.commit()
    start = audit_count()
    steps = [
        (lambda: tasks.record_progress(world.staff, tid, 30, "", None, TODAY), True),
        (lambda: tasks.record_progress(world.staff, tid, 130, "", None, TODAY), False),
        (lambda: tasks.record_progress(world.staff2, tid, 30, "", None, TODAY), False),
        (lambda: tasks.submit_task(world.staff, tid, "", TODAY), True),
        (lambda: tasks.submit_task(world.staff, tid, "", TODAY), False),
        (lambda: tasks.return_task(world.deputy, tid, ""), False),
        (lambda: tasks.return_task(world.deputy, tid, "Làm lại"), True),
        (lambda: tasks.confirm_task(world.deputy, tid, ""), False),
        (lambda: tasks.submit_task(world.staff, tid, "", TODAY), True),
        (lambda: tasks.confirm_task(world.staff, tid, ""), False),
        (lambda: tasks.confirm_task(world.deputy, tid, ""), True),
        (lambda: tasks.cancel_task(world.head, tid, "Hủy", local_today()), False),
    ]
    expected = start
    for n, (call, ok) in enumerate(steps):
        if ok:
            call()
            db.session.commit()
            expected += 1
        else:
            with pytest.raises((RuleViolation, PermissionDenied, NotFound)):
                call()
            db.session.rollback()
        assert audit_count() == expected, n
    assert [r.action for r in audit_rows(task_id=tid)[-5:]] == [
        "task.progress", "task.submit", "task.return", "task.submit", "task.confirm"]


# ---- lists ---------------------------------------------------------------------------

@pytest.fixture
def listing(world, make):
    """Tasks of unit A on every side of TODAY (15/06/2026), plus a sub-unit and a field; the
    plans issued once their tasks are built (a draft plan's tasks are never overdue nor due
    soon, DESIGN.md 4; a task added to an issued plan cannot be due before today)."""
    from tests.conftest import issue_world_plans

    w = world
    section = make.unit("Phòng Cải cách hành chính", parent=w.a, code="SNV-CCHC")
    clerk = make.user(section, "staff", "Trịnh Văn Sơn", "clerk")
    field = Field(unit_id=w.a.id, name="Thủ tục hành chính", name_sort="")
    db.session.add(field)
    db.session.commit()

    def add(title, due, status=Lifecycle.ASSIGNED, completed=None, progress=0, **kw):
        lead, person = kw.pop("lead", w.a), kw.pop("person", w.staff)
        t = make.task(w.plan, w.head, lead, person, w.deputy, title=title, due_on=due,
                      start_on=date(2026, 1, 2) if due else None,
                      steps=[StepInput("Triển khai")], **kw)
        t = reload(t.id)
        t.status, t.completed_on, t.progress = status, completed, progress
        db.session.commit()
        return t

    ts = {
        "overdue": add("Cải cách thủ tục cấp phép xây dựng", date(2026, 6, 14), progress=70),
        "today": add("Đăng ký kết hôn trực tuyến toàn trình", TODAY, progress=20),
        "soon3": add("Công bố danh mục thủ tục mới", date(2026, 6, 18), progress=90),
        "within4": add("Rà soát văn bản quy phạm pháp luật", date(2026, 6, 19), field_id=field.id),
        "nodue": add("Khảo sát mức độ hài lòng người dân", None, person=w.staff2),
        "ontime": add("Số hóa kết quả giải quyết hồ sơ", date(2026, 6, 10), Lifecycle.COMPLETED,
                   date(2026, 6, 10), 100),
        "late": add("Dang dở việc kiểm tra công vụ", date(2026, 6, 10), Lifecycle.COMPLETED,
                 date(2026, 6, 11), 100),
        "cancelled": add("Tổ chức hội thi cải cách hành chính", date(2026, 5, 1), Lifecycle.CANCELLED),
        "suspended": add("Xây dựng phần mềm một cửa riêng", date(2026, 5, 2), Lifecycle.SUSPENDED),
        "section": add("Chuẩn hóa quy trình nội bộ phòng", date(2026, 9, 30), lead=section, person=clerk),
        "submitted_late": add("Báo cáo chuyên đề cải cách", date(2026, 6, 1), Lifecycle.SUBMITTED),
    }
    issue_world_plans(w)
    ts["task"], ts["task2"] = reload(w.task.id), reload(w.task2.id)  # due 30/06: within
    return {"w": w, "t": ts, "section": section, "clerk": clerk, "field": field}


def ids(page) -> set[int]:
    return {t.id for t in page.items}


def names(listing, page) -> set[str]:
    by_id = {t.id: k for k, t in listing["t"].items()}
    return {by_id.get(t.id, f"other:{t.id}") for t in page.items}


@pytest.mark.parametrize("value, expected", [
    (Timeliness.OVERDUE, {"overdue", "submitted_late"}),
    (Timeliness.DUE_SOON, {"today", "soon3"}),
    (Timeliness.WITHIN, {"within4", "nodue", "section", "task", "task2"}),
    (Timeliness.DONE_ON_TIME, {"ontime"}),
    (Timeliness.DONE_LATE, {"late"}),
    (Timeliness.EXCLUDED, {"cancelled", "suspended"}),
])
def test_list_filters_each_timeliness_value_as_the_domain_judges_it(listing, value, expected):
    w = listing["w"]
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness=value), TODAY)
    assert names(listing, page) == expected
    assert page.total == len(expected)
    # The SQL and the domain agree on every task.
    for t in listing["t"].values():
        assert (t.id in ids(page)) == (t.timeliness(TODAY) is value), t.title


def test_a_draft_plans_tasks_are_within_deadline_in_the_filter_and_the_domain(world, make):
    """A draft plan's tasks are never overdue nor due soon (DESIGN.md 4): the list's filter
    and the badge (Task.timeliness with the plan's status) say the same."""
    w = world
    past = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Việc quá hạn của bản nháp",
                     due_on=date(2026, 6, 10))
    soon = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Việc sắp đến hạn của bản nháp",
                     due_on=date(2026, 6, 16))
    for value in Timeliness:
        page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness=value), TODAY)
        for t in (reload(past.id), reload(soon.id)):
            assert (t.id in ids(page)) == (t.timeliness(TODAY, draft=True) is value), (value, t.title)
    assert reload(past.id).timeliness(TODAY, draft=True) is Timeliness.WITHIN
    assert reload(past.id).timeliness(TODAY) is Timeliness.OVERDUE      # once the plan is issued


def test_the_due_soon_window_is_a_setting(listing):
    w = listing["w"]
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness="due_soon"), TODAY,
                            due_soon_days=4)
    assert names(listing, page) == {"today", "soon3", "within4"}
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness="within"), TODAY,
                            due_soon_days=4)
    assert "within4" not in names(listing, page)
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness="due_soon"), TODAY,
                            due_soon_days=0)
    assert names(listing, page) == {"today"}


def test_an_unknown_timeliness_value_filters_nothing(listing):
    w = listing["w"]
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, timeliness="bogus"), TODAY)
    assert page.total == len(listing["t"])


@pytest.mark.parametrize("make_filter, expected", [
    (lambda L: TaskFilter(unit_id=L["section"].id), {"section"}),
    (lambda L: TaskFilter(field_id=L["field"].id), {"within4"}),
    (lambda L: TaskFilter(assignee_id=L["w"].staff2.id), {"nodue", "task2"}),
    (lambda L: TaskFilter(assignee_id=L["clerk"].id), {"section"}),
    (lambda L: TaskFilter(leader_id=L["w"].head.id), {"task2"}),
    (lambda L: TaskFilter(due_from=date(2026, 6, 14), due_to=date(2026, 6, 18)),
     {"overdue", "today", "soon3"}),
    (lambda L: TaskFilter(due_from=date(2026, 6, 30)), {"task", "task2", "section"}),
    (lambda L: TaskFilter(due_to=date(2026, 5, 1)), {"cancelled"}),
    (lambda L: TaskFilter(q="cai cach"), {"overdue", "cancelled", "submitted_late"}),
    (lambda L: TaskFilter(q="Cải Cách"), {"overdue", "cancelled", "submitted_late"}),
    (lambda L: TaskFilter(q="dang"), {"today", "late"}),
    (lambda L: TaskFilter(q="ĐĂNG KÝ"), {"today"}),
    (lambda L: TaskFilter(q="  thủ   tục "), {"overdue", "soon3", "task2"}),
    (lambda L: TaskFilter(q="không có nhiệm vụ này"), set()),
    (lambda L: TaskFilter(q="cai cach", timeliness="overdue"), {"overdue", "submitted_late"}),
])
def test_list_filters(listing, make_filter, expected):
    w = listing["w"]
    f = make_filter(listing)
    f.plan_id = w.plan.id
    page = task_queries.list_tasks(w.head, f, TODAY)
    assert names(listing, page) == expected
    assert page.total == len(expected)


def test_the_unit_filter_takes_the_whole_subtree(listing):
    w = listing["w"]
    page = task_queries.list_tasks(w.assessor, TaskFilter(unit_id=w.a.id), TODAY)
    assert page.total == len(listing["t"])
    assert "section" in names(listing, page)
    page = task_queries.list_tasks(w.assessor, TaskFilter(unit_id=w.province.id), TODAY)
    assert page.total == len(listing["t"]) + 1
    page = task_queries.list_tasks(w.assessor, TaskFilter(unit_id=w.b.id), TODAY)
    assert ids(page) == {w.task_b.id}


def test_the_plan_filter(listing):
    w = listing["w"]
    assert ids(task_queries.list_tasks(w.assessor, TaskFilter(plan_id=w.plan_b.id), TODAY)) == {w.task_b.id}
    assert task_queries.list_tasks(w.assessor, TaskFilter(plan_id=w.plan.id), TODAY).total == len(listing["t"])


def test_mine_lists_the_actors_own_tasks(listing):
    w = listing["w"]
    page = task_queries.list_tasks(w.staff2, TaskFilter(mine=True), TODAY)
    assert names(listing, page) == {"nodue", "task2"}


@pytest.mark.parametrize("who, expected", [
    ("staff_b", {"task_b"}), ("deputy_b", {"task_b"}), ("head_b", {"task_b"}),
    ("clerk", {"section"}), ("staff", "A"), ("head", "A"), ("deputy", "A"),
    ("assessor", "all"), ("admin", "all"),
])
def test_lists_are_scoped_to_what_the_actor_may_read(listing, who, expected):
    w = listing["w"]
    actor = listing["clerk"] if who == "clerk" else getattr(w, who)
    page = task_queries.list_tasks(actor, TaskFilter(), TODAY)
    a_ids = {t.id for t in listing["t"].values()}
    if expected == "A":
        want = a_ids
    elif expected == "all":
        want = a_ids | {w.task_b.id}
    elif expected == {"task_b"}:
        want = {w.task_b.id}
    else:
        want = {listing["t"]["section"].id}
    assert ids(page) == want
    assert page.total == len(want)
    # Filtering by another unit's plan never widens the scope.
    if who.endswith("_b"):
        assert task_queries.list_tasks(actor, TaskFilter(plan_id=w.plan.id), TODAY).total == 0
        # Unit A is not among the units the reader may filter by: ignored, like junk.
        assert ids(task_queries.list_tasks(actor, TaskFilter(unit_id=w.a.id), TODAY)) == want


def _order(listing, sort):
    w = listing["w"]
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, sort=sort), TODAY)
    return page.items


def test_sort_by_due_date_puts_undated_tasks_last_both_ways(listing):
    for sort in ("due", "-due"):
        items = _order(listing, sort)
        dues = [t.due_on for t in items]
        assert dues[-1] is None and None not in dues[:-1], sort
        assert dues[:-1] == sorted(dues[:-1], reverse=sort == "-due")


@pytest.mark.parametrize("sort, key, reverse", [
    ("title", lambda t: t.title_sort, False),
    ("-title", lambda t: t.title_sort, True),
    ("progress", lambda t: t.progress, False),
    ("-progress", lambda t: t.progress, True),
    ("stt", lambda t: t.order_key, False),
])
def test_sort_options(listing, sort, key, reverse):
    items = _order(listing, sort)
    assert [key(t) for t in items] == sorted((key(t) for t in items), reverse=reverse)
    assert len(items) == len(listing["t"])


def test_sort_by_last_update(listing):
    t = listing["t"]["within4"]
    tasks.record_progress(listing["w"].staff, t.id, 5, "", None, TODAY)
    db.session.commit()
    assert _order(listing, "-updated")[0].id == t.id


def test_an_unknown_sort_falls_back_to_the_due_date(listing):
    assert [t.id for t in _order(listing, "bogus")] == [t.id for t in _order(listing, "due")]


# In Vietnamese alphabetical order: a < ă < â, d < đ, o < ô < ơ, u < ư. Sorted by the folded
# title (diacritics dropped) "Ấn" would come before "An", "Đánh" before "Dự", "Ứng" before "Ủy".
VIETNAMESE_ORDER = [
    "An toàn thông tin mạng trong cơ quan nhà nước",
    "Ấn hành tài liệu hướng dẫn nghiệp vụ",
    "Ban hành quy chế làm việc của Sở",
    "Cải cách thủ tục hành chính lĩnh vực đất đai",
    "Cắt giảm thành phần hồ sơ thủ tục",
    "Cập nhật cơ sở dữ liệu cán bộ, công chức",
    "Chuẩn hóa quy trình nội bộ giải quyết thủ tục",
    "Dự thảo quy chế phối hợp liên ngành",
    "Đánh giá chỉ số hài lòng của người dân",
    "Đôn đốc thực hiện kết luận thanh tra",
    "Đơn giản hóa thủ tục hành chính nội bộ",
    "Ủy quyền ký văn bản hành chính",
    "Ứng dụng công nghệ thông tin trong điều hành",
    "Xây dựng đề án vị trí việc làm",
]


def _titled(world, make, titles):
    """A fresh plan of unit A holding one task per title, created in the order given."""
    plan = make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")
    made = [make.task(plan, world.head, world.a, world.staff, world.deputy, title=t) for t in titles]
    return plan, made


def _listed(actor, plan, sort) -> list[tuple[str, int]]:
    page = task_queries.list_tasks(actor, TaskFilter(plan_id=plan.id, sort=sort), TODAY)
    return [(t.title, t.id) for t in page.items]


def test_sort_by_title_follows_the_vietnamese_alphabet_both_ways(world, make):
    from app.domain.text import fold

    assert sorted(VIETNAMESE_ORDER, key=fold) != VIETNAMESE_ORDER  # the old order differs
    # Created out of order, with one title twice: equal titles are ordered by id.
    shuffled = VIETNAMESE_ORDER[7:] + VIETNAMESE_ORDER[:7] + [VIETNAMESE_ORDER[8]]
    plan, made = _titled(world, make, shuffled)
    by_title: dict[str, list[int]] = {}
    for t in made:
        by_title.setdefault(t.title, []).append(t.id)
    ascending = [(title, i) for title in VIETNAMESE_ORDER for i in by_title[title]]
    assert _listed(world.head, plan, "title") == ascending
    assert _listed(world.head, plan, "-title") == ascending[::-1]
    # A reader of another unit sees none of them, whatever the order.
    assert _listed(world.head_b, plan, "title") == []


def test_titles_sharing_a_long_opening_sort_by_what_follows(world, make):
    """Plan titles often open alike for over a hundred letters; the stored key is whole,
    so the words after that still decide the order (a key cut at 250 digits would not)."""
    opening = ("Triển khai thực hiện Kế hoạch số 125/KH-UBND ngày 15/3/2025 của Ủy ban nhân dân "
               "tỉnh về cải cách hành chính nhà nước giai đoạn 2021-2030 trong lĩnh vực ")
    later, earlier = opening + "đầu tư", opening + "đất đai"  # â,t < â,u
    plan, made = _titled(world, make, [later, earlier])
    assert len(made[0].title_sort) > 250
    assert [title for title, _ in _listed(world.head, plan, "title")] == [earlier, later]


def test_every_way_of_writing_a_title_stores_its_collation_key(world, make):
    from sqlalchemy import insert

    from app.models.task import title_sort_key
    from app.plans import importing as plan_import
    from tests.plan_files import HEADERS, build, clear_row

    def key_of(task_id):
        t = reload(task_id)
        return t.title, t.title_sort

    # The form: create, then edit.
    t = reload(world.task.id)
    tasks.update_task(world.head, t.id, replace(form_of(t), title="Đơn giản hóa thủ tục"), t.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert key_of(t.id) == ("Đơn giản hóa thủ tục", title_sort_key("Đơn giản hóa thủ tục"))
    # The importer: new rows (one bulk INSERT), then the same numbers again (bulk UPDATE).
    plan = make.plan(world.a, kind="work", title="Kế hoạch công tác năm 2026")
    for titles in (["Ứng dụng chữ ký số", "Ủy quyền ký văn bản"],
                   ["Đôn đốc thực hiện kết luận", "Dự thảo quy chế phối hợp"]):
        plan_import.apply(world.head, plan, build([HEADERS] + [clear_row(i + 1, title=x)
                                                             for i, x in enumerate(titles)]),
                          TODAY, "ke-hoach.xlsx", settings=current_settings().task_rules)
        db.session.commit()
        stored = db.session.execute(select(Task.title, Task.title_sort).where(Task.plan_id == plan.id)
                                    .order_by(Task.stt)).all()
        assert [tuple(r) for r in stored] == [(x, title_sort_key(x)) for x in titles]
    # A bulk insert that names only the title (as scripts and tests write rows) gets it too.
    new_id = db.session.scalar(insert(Task).returning(Task.id), [
        {"plan_id": plan.id, "owner_unit_id": world.a.id, "stt": "9", "title": "Ấn hành tài liệu",
         "title_folded": "an hanh tai lieu"}])
    db.session.commit()
    assert key_of(new_id) == ("Ấn hành tài liệu", title_sort_key("Ấn hành tài liệu"))


def test_pagination_counts(listing):
    w = listing["w"]
    n = len(listing["t"])
    seen = []
    for page_no in range(1, 6):
        page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, page=page_no), TODAY, per_page=3)
        assert (page.total, page.page, page.per_page, page.pages) == (n, page_no, 3, -(-n // 3))
        seen += [t.id for t in page.items]
        assert len(page.items) == max(0, min(3, n - (page_no - 1) * 3))
    assert len(seen) == len(set(seen)) == n
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id, page=0), TODAY, per_page=3)
    assert page.page == 1 and len(page.items) == 3
    empty = task_queries.list_tasks(w.head, TaskFilter(q="không có"), TODAY)
    assert (empty.total, empty.pages, empty.items) == (0, 1, [])


def test_list_items_have_what_the_page_shows_loaded(listing):
    w = listing["w"]
    page = task_queries.list_tasks(w.head, TaskFilter(plan_id=w.plan.id), TODAY)
    t = next(t for t in page.items if t.id == listing["t"]["overdue"].id)
    assert (t.assignee.full_name, t.leader.full_name, t.lead_unit.name) == (
        "Phạm Văn Đăng", "Lê Thị Mai", "Sở Nội vụ")
    # The list says "draft" and "carried over" from the plan's status and year (issue 11):
    # the plan is loaded with the rest (the model would raise on a lazy load). The listing's
    # plan is issued (its tasks are overdue and due soon).
    assert (t.plan.status, t.plan.year) == ("issued", 2026)


def test_history_and_names_read_back_the_changes(world):
    t = reload(world.task.id)
    tasks.update_task(world.head, t.id, replace(form_of(t), assignee_id=world.staff2.id,
                                                coordinator_ids=[world.b.id]), t.version, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    rows = task_queries.history(t)
    assert [r.action for r in rows] == ["task.create", "task.update"]
    found = task_queries.history_names(rows)
    assert found["user"][world.staff.id] == "Phạm Văn Đăng"
    assert found["user"][world.staff2.id] == "Ngô Thị Lan"
    assert found["unit"][world.b.id] == "Sở Khoa học và Công nghệ"


def test_timeliness_of_a_stored_task_matches_the_domain(listing):
    for t in listing["t"].values():
        assert t.timeliness(TODAY) is timeliness(t.status, t.due_on, t.completed_on, TODAY)


# ---- the audit log is append-only ---------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged', comment = 'x'",
    "UPDATE audit_log SET actor_id = NULL WHERE action = 'task.create'",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE action = 'task.create'",
])
def test_the_audit_log_refuses_update_and_delete(world, statement):
    db.session.commit()
    before = [(r.id, r.action, r.actor_id, r.comment, r.changes) for r in audit_rows()]
    assert before, "the world wrote audit rows"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    db.session.expire_all()
    assert [(r.id, r.action, r.actor_id, r.comment, r.changes) for r in audit_rows()] == before
    # Appending still works.
    db.session.execute(text("INSERT INTO audit_log (at, action, object_type, changes, comment) "
                            "VALUES (CURRENT_TIMESTAMP, 'test.append', 'task', '{}', '')"))
    db.session.commit()
    assert audit_rows()[-1].action == "test.append"


def test_a_progress_report_between_loading_and_saving_is_a_conflict_that_loses_nothing(world):
    t = reload(world.task.id)
    v = t.version
    tasks.record_progress(world.staff, t.id, 40, "Đã dự thảo", None, TODAY)
    db.session.commit()
    with pytest.raises(Conflict):
        tasks.update_task(world.head, t.id, replace(form_of(t), description="Sửa mô tả."), v, today=local_today(), settings=current_settings().task_rules)
    db.session.rollback()
    after = reload(t.id)
    assert (after.progress, after.status, after.description) == (
        40, Lifecycle.IN_PROGRESS, "Xây dựng và ban hành bộ chỉ số áp dụng cho các sở, ngành.")


def test_a_parent_from_another_plan_is_not_found(world, make):
    other = make.plan(world.a, kind="work")
    with pytest.raises(NotFound):
        tasks.create_task(world.head, other.id, inp(make, world), parent_id=world.task.id, today=local_today(), settings=current_settings().task_rules)
    with pytest.raises(NotFound):
        tasks.create_task(world.head, world.plan.id, inp(make, world), parent_id=world.task_b.id, today=local_today(), settings=current_settings().task_rules)


def test_a_deputy_breaks_down_a_task_they_lead(world, make):
    child = tasks.create_task(world.deputy, world.plan.id, inp(make, world, due_on=date(2026, 6, 20)),
                              parent_id=world.task.id, today=local_today(), settings=current_settings().task_rules)
    db.session.commit()
    assert (child.parent_id, child.stt, child.leader_id) == (world.task.id, "1.1", world.deputy.id)


# ---- submission needs evidence (DESIGN.md 4) -------------------------------------------

def evidence_rows(task_id: int) -> list:
    return db.session.execute(select(Evidence.original_name, Evidence.progress_update_id,
                                     Evidence.uploaded_by_id)
                              .where(Evidence.task_id == task_id).order_by(Evidence.id)).all()


def test_a_task_without_evidence_cannot_be_submitted_and_nothing_is_saved(world, app):
    # The QA case: nothing reported, no file, straight to "submit".
    n_audit = audit_count()
    with pytest.raises(RuleViolation) as err:
        tasks.submit_task(world.staff, world.task.id, "Đã xong", TODAY)
    assert err.value.field == "files"
    assert str(err.value.message)
    db.session.rollback()
    t = reload(world.task.id)
    assert (t.status, t.submitted_on) == (Lifecycle.ASSIGNED, None)
    assert audit_count() == n_audit and evidence_rows(t.id) == []
    # a progress report without a file is not evidence either
    tasks.record_progress(world.staff, t.id, 100, "Đã hoàn thành", None, TODAY)
    db.session.commit()
    with pytest.raises(RuleViolation):
        tasks.submit_task(world.staff, t.id, "", TODAY, [])
    db.session.rollback()
    assert reload(t.id).status == Lifecycle.IN_PROGRESS


def test_files_sent_with_the_submission_are_its_evidence(world, app):
    n_audit = audit_count()
    t = tasks.submit_task(world.staff, world.task.id, "Gửi kèm quyết định", TODAY,
                          [evidence.Upload("Quyết định ban hành.pdf", EVIDENCE_PDF)],
                          current_settings().files)
    db.session.commit()
    assert reload(t.id).status == Lifecycle.SUBMITTED
    assert evidence_rows(world.task.id) == [("Quyết định ban hành.pdf", None, world.staff.id)]
    assert [r.action for r in audit_rows()[n_audit:]] == ["evidence.add", "task.submit"]
    listed = evidence.list_for_task(world.task.id)
    assert [(e.name, e.uploaded_by, e.size_bytes) for e in listed] == [
        ("Quyết định ban hành.pdf", "Phạm Văn Đăng", len(EVIDENCE_PDF))]


def test_evidence_from_a_progress_report_is_enough_to_submit(world, app):
    update = tasks.record_progress(world.staff, world.task.id, 100, "Đã xong", None, TODAY)
    evidence.store(world.staff, reload(world.task.id), [evidence.Upload("bao-cao.pdf", EVIDENCE_PDF)],
                   update.id, current_settings().files)
    db.session.commit()
    assert tasks.submit_task(world.staff, world.task.id, "", TODAY).status == Lifecycle.SUBMITTED


def test_a_bad_file_sent_with_the_submission_refuses_it_and_writes_nothing(world, app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = sorted(folder.iterdir()) if folder.exists() else []
    n_audit = audit_count()
    with pytest.raises(RuleViolation) as err:
        tasks.submit_task(world.staff, world.task.id, "", TODAY,
                          [evidence.Upload("ok.pdf", EVIDENCE_PDF), evidence.Upload("gia.pdf", b"MZ...")],
                          current_settings().files)
    assert err.value.field == "files"
    db.session.rollback()
    assert reload(world.task.id).status == Lifecycle.ASSIGNED
    assert audit_count() == n_audit and evidence_rows(world.task.id) == []
    assert (sorted(folder.iterdir()) if folder.exists() else []) == before
