"""Fixtures of the quality tests: the root `world` with its two units made departments, a
set with a small tree (two fields, two manual and two from-tasks leaves), and tasks whose
outcomes are known (one on time, one late, one overdue) so the automatic figures are too."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.directory import units
from app.extensions import db
from app.models import Task, Unit
from app.quality import commands
from tests.conftest import TODAY, issue_world_plans

D = Decimal


def set_tree(actor, set_id: int) -> dict:
    """1 (30) = 1.1 manual 10 with evidence + 1.2 manual 20; 2 (70) = 2.1 from tasks 50
    + 2.2 from tasks of CCHC plans 20. Returns the criteria by code."""
    add = commands.add_criterion
    c = {}
    c["1"] = add(actor, set_id, commands.CriterionInput(None, "1", "Công tác chỉ đạo, điều hành", D(30), "manual"))
    c["1.1"] = add(actor, set_id, commands.CriterionInput(c["1"].id, "1.1", "Ban hành kế hoạch năm đúng hạn", D(10), "manual", None, True))
    c["1.2"] = add(actor, set_id, commands.CriterionInput(c["1"].id, "1.2", "Kỷ luật, kỷ cương hành chính", D(20), "manual"))
    c["2"] = add(actor, set_id, commands.CriterionInput(None, "2", "Kết quả thực hiện nhiệm vụ", D(70), "manual"))
    c["2.1"] = add(actor, set_id, commands.CriterionInput(c["2"].id, "2.1", "Nhiệm vụ UBND tỉnh giao", D(50), "tasks"))
    c["2.2"] = add(actor, set_id, commands.CriterionInput(c["2"].id, "2.2", "Kế hoạch cải cách hành chính", D(20), "tasks", "cchc"))
    return c


@pytest.fixture
def qworld(world, make):
    """`world` with departments A and B, tasks of A with known outcomes as of TODAY, and a
    draft set for departments of 2026 with the tree of `set_tree` (all committed)."""
    w = world
    for u in (w.a, w.b):
        units.set_kind(db.session.get(Unit, u.id), "department")
    db.session.commit()
    # A: task on time (weight 1), task2 late (weight 1), a third overdue (weight 2) in a
    # work plan; B: task_b on time.
    work = make.plan(w.a, kind="work", title="Chương trình công tác năm 2026")
    w.overdue = make.task(work, w.head, w.a, w.staff, w.deputy, title="Báo cáo tổng kết",
                          due_on=date(2026, 5, 31), weight=D(2))
    for t in (w.task, w.task2, w.task_b):
        db.session.execute(update(Task).where(Task.id == t.id).values(due_on=date(2026, 4, 30)))
    db.session.execute(update(Task).where(Task.id.in_([w.task.id, w.task_b.id]))
                       .values(status="completed", completed_on=date(2026, 4, 20)))
    db.session.execute(update(Task).where(Task.id == w.task2.id)
                       .values(status="completed", completed_on=date(2026, 5, 10)))
    db.session.commit()
    issue_world_plans(w)
    from tests.conftest import issue_plans
    issue_plans(work)
    s = commands.create_set(w.assessor, commands.SetInput(
        "Bộ chỉ số các sở, ban, ngành năm 2026", 2026, "department", D(100)))
    db.session.commit()
    w.set = s
    w.c = set_tree(w.assessor, s.id)
    db.session.commit()
    w.today = TODAY
    return w


def sheet_of(w, unit):
    from sqlalchemy import select

    from app.models import QualitySheet
    return db.session.scalar(select(QualitySheet).where(QualitySheet.set_id == w.set.id,
                                                        QualitySheet.unit_id == unit.id))


@pytest.fixture
def mworld(qworld):
    """qworld's tasks with indicators and a key task, and a second published set (version 2)
    with one leaf of each scoring method (tests/quality/test_quality_methods*.py). A: on time
    (task), late (task2), overdue (w.overdue, weight 2); B: on time (task_b)."""
    from sqlalchemy import select

    from app.models import QualitySheet
    w = qworld
    CI = commands.CriterionInput
    for t, target, actual, direction in ((w.task, 100, 80, "higher"), (w.task2, 10, 20, "lower"),
                                         (w.overdue, 5, None, "higher"),
                                         (w.task_b, 50, 60, "higher")):
        db.session.execute(update(Task).where(Task.id == t.id).values(
            indicator_name="Chỉ tiêu", indicator_unit="%", indicator_target=D(target),
            indicator_actual=None if actual is None else D(actual), indicator_direction=direction))
    db.session.execute(update(Task).where(Task.id == w.task2.id).values(is_key=True))
    s = commands.create_set(w.assessor, commands.SetInput("Bộ chỉ số thử phương pháp", 2026,
                                                          "department", D(100)))
    add = commands.add_criterion
    m = {"1": add(w.assessor, s.id, CI(None, "1", "Kết quả", D(100), "manual"))}
    p = m["1"].id
    m["1.1"] = add(w.assessor, s.id, CI(p, "1.1", "Chỉ tiêu", D(20), "targets"))
    m["1.2"] = add(w.assessor, s.id, CI(p, "1.2", "Bậc", D(20), "stepped", steps="90: 20; 40: 10; 0: 0"))
    m["1.3"] = add(w.assessor, s.id, CI(p, "1.3", "Quá hạn", D(20), "deduction", per_event=D(5),
                                         event_kind="overdue"))
    m["1.4"] = add(w.assessor, s.id, CI(p, "1.4", "Trễ", D(20), "deduction", per_event=D(4),
                                         event_kind="late", min_points=D(18)))
    m["1.5"] = add(w.assessor, s.id, CI(p, "1.5", "Trọng tâm", D(10), "tasks", is_key_only=True))
    m["1.6"] = add(w.assessor, s.id, CI(p, "1.6", "Vi phạm", D(10), "deduction", per_event=D(2),
                                         event_kind="entered"))
    m["B"] = add(w.assessor, s.id, CI(None, "B", "Điểm thưởng", D(5), "bonus"))
    commands.publish_set(w.assessor, s.id)
    db.session.commit()
    w.mset, w.m = s, m
    w.msheet = {u.id: db.session.scalar(select(QualitySheet).where(
        QualitySheet.set_id == s.id, QualitySheet.unit_id == u.id)) for u in (w.a, w.b)}
    return w


__all__ = ["SimpleNamespace", "set_tree", "sheet_of"]
