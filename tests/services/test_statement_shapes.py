"""Statements built once per shape and given each reader's values at execution (issue 16,
docs/performance.md fifth pass: the overdue list, the list filters' choices): the shapes
say what the scopes they stand for say, and no reader's value stays in a statement another
reader runs."""

from datetime import timedelta

import pytest
from sqlalchemy import and_, not_, select

from app.common import access
from app.dashboard.queries import role_scope
from app.deadlines import overdue_list
from app.deadlines.overdue_list import (
    OverdueFilter,
    build_overdue_list,
    lead_unit_counts,
)
from app.deadlines.sweep import awaiting_on_time, in_issued_plan
from app.domain.status import OPEN_STATUSES
from app.extensions import db
from app.models import Plan, Task, Unit, User, task_coordinators
from tests.conftest import TODAY
from tests.overdue_data import build_rich

READERS = ("admin", "assessor", "head", "deputy", "staff", "staff2", "head_b", "deputy_b", "staff_b")


def literal(condition, entity=Task, values=None) -> str:
    """The SQL of `SELECT id WHERE condition` with every value written in."""
    stmt = select(entity.id).where(condition)
    if values:
        stmt = stmt.params(values)
    return str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("who", READERS)
def test_the_scope_shape_says_what_role_scope_says(world, who):
    actor = getattr(world, who)
    shape, values = overdue_list._scope_values(actor)
    assert literal(overdue_list._scope_sql(shape), values=values) == literal(role_scope(actor))


@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("coordinated", [True, False])
def test_the_task_scope_shape_says_what_task_scope_says(world, who, coordinated):
    actor = getattr(world, who)
    # A task of unit B coordinated by unit A: beyond unit A's own scope.
    db.session.execute(task_coordinators.insert().values(task_id=world.task_b.id, unit_id=world.a.id))
    db.session.commit()
    shape, values = access.task_scope_shape(actor, coordinated)
    if who == "head":
        assert shape == ("leader", coordinated)  # the coordinated task: a term of its own
    assert (literal(access.task_scope_sql(shape), values=values)
            == literal(access._task_scope(actor, coordinated)))


@pytest.mark.parametrize("who", READERS)
def test_the_access_shapes_say_what_unit_scope_and_plan_scope_say(world, who):
    actor = getattr(world, who)
    shape, values = access.scope_shape(actor)
    assert (literal(access.unit_scope_sql(shape), Unit, values)
            == literal(access.unit_scope(actor), Unit))
    assert (literal(access.plan_scope_sql(shape), Plan, values)
            == literal(access.plan_scope(actor), Plan))


def test_readers_of_one_shape_each_get_their_own_rows(world, make):
    """Heads, deputies and staff members in turn, each one's list against the same
    conditions written with role_scope(reader), unfiltered and by plan."""
    w = build_rich(world, make)
    listed_sql = [Task.status.in_([s.value for s in OPEN_STATUSES]), Task.due_on.is_not(None),
                  Task.due_on <= TODAY + timedelta(days=3), not_(awaiting_on_time()),
                  in_issued_plan()]
    seen = 0
    for who in ("head", "head_b", "deputy", "deputy2", "deputy_b", "staff", "staff2",
                "staff_a1", "staff_b", "head", "admin"):
        actor = getattr(w, who)
        expected = set(db.session.scalars(select(Task.id).where(role_scope(actor), *listed_sql)))
        seen += len(expected)
        listed = build_overdue_list(actor, OverdueFilter(), TODAY, 3, page=1, per_page=100,
                                    plain=True)
        assert {r.task.id for r in listed.rows} == expected, who
        assert listed.total_rows == len(expected), who
        counts = lead_unit_counts(actor, TODAY, 3)
        assert sum(n for _unit, n, _late in counts) == len(expected), who
        by_plan = build_overdue_list(actor, OverdueFilter(plan_id=w.plan.id), TODAY, 3)
        assert {r.task.id for r in by_plan.rows} == {
            t for t in expected if db.session.get(Task, t).plan_id == w.plan.id}, who
    assert seen > 20  # the rich world has rows for most of these readers


def test_readers_in_turn_are_offered_their_own_filter_choices(world, make):
    """filter_options for each reader in turn against plan_scope and unit_scope written out,
    with a chosen unit and without, the people read and not."""
    from app.tasks.queries import filter_options

    w = build_rich(world, make)
    for who in ("head", "staff_b", "deputy", "staff", "head_b", "admin", "staff_a1", "head"):
        actor = getattr(w, who)
        for chosen, people in ((None, True), (w.a1.id, False)):
            options = filter_options(actor, chosen, people=people)
            assert {p.id for p in options.plans} == set(db.session.scalars(
                select(Plan.id).where(access.plan_scope(actor)))), who
            assert {u.id for u in options.units} == set(db.session.scalars(
                select(Unit.id).where(access.unit_scope(actor), Unit.is_active))), who
            units = select(Unit.id).where(access.unit_scope(actor))
            assert {p.id for p in options.people} == (set(db.session.scalars(
                select(User.id).where(User.unit_id.in_(units), User.is_active))) if people else set())


def test_the_task_lists_bound_conditions_say_what_its_conditions_say(world, make):
    """Every filter list_tasks binds (my tasks, the task list; each filter alone and a few
    together) for every reader: the conditions built once per shape against _conditions,
    the list's rules written with each request's values; the others are never bound."""
    from app.tasks import queries
    from app.tasks.queries import TaskFilter, clean_filter

    w = build_rich(world, make)
    db.session.execute(task_coordinators.insert().values(task_id=w.task_b.id, unit_id=w.a.id))
    db.session.commit()
    filters = [{}, {"mine": True}, {"mine": True, "unfinished": True}, {"unfinished": True},
               {"plan_id": w.plan.id}, {"unit_id": w.a1.id}, {"unit_id": "none"},
               {"field_id": w.f1.id}, {"field_id": "none"}, {"assignee_id": w.staff.id},
               {"leader_id": w.deputy.id}, {"leader_id": "none"},
               {"due_from": TODAY - timedelta(days=9)}, {"due_to": TODAY},
               {"q": "Số hóa_100%\\"}, {"sort": "-progress", "page": 2},
               {"mine": True, "plan_id": w.plan.id, "unit_id": w.a1.id, "field_id": w.f1.id,
                "assignee_id": w.staff.id, "leader_id": w.deputy.id, "due_from": TODAY,
                "due_to": TODAY, "unfinished": True, "q": "hồ sơ"}]
    for who in READERS:
        actor = getattr(w, who)
        for f in filters:
            f = clean_filter(actor, TaskFilter(**f))
            shape, values = queries._bound_filter(actor, f)
            assert (literal(queries._bound_where(shape), values=values)
                    == literal(and_(*queries._conditions(actor, f, TODAY, 3)))), (who, f)
    for f in ({"coordinating": True}, {"unit_id": "other"}, {"leader_id": "other"},
              {"timeliness": "overdue"}, {"year": 2026}):
        assert queries._bound_filter(w.head, clean_filter(w.head, TaskFilter(**f))) is None, f
