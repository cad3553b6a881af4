"""The home page's figures equal the pure timeliness rule applied to the same tasks."""

from datetime import date

import pytest

from app.dashboard import queries as dashboard
from tests.conftest import TODAY, issue_world_plans
from tests.overdue_data import (
    DUE_SOON_DAYS,
    all_tasks,
    build_rich,
    counts,
    in_head_scope,
    units_by_id,
)


@pytest.fixture
def rich(world, make):
    """The rich world, its plans issued once its tasks are built: tasks of draft plans are
    neither flagged, reminded, listed as overdue nor scored (DESIGN.md 4)."""
    return build_rich(world, make)


def test_head_counts_per_unit_equal_the_rule_over_each_subtree(rich):
    w = rich
    units = units_by_id()
    tasks = all_tasks()
    rows = dashboard.unit_rows(w.head, TODAY, DUE_SOON_DAYS)
    # The head's unit first (with everything below it), then each unit directly below,
    # then the task without a lead unit.
    assert [r.key for r in rows] == [w.a.id, w.a1.id, w.a2.id, "none"]  # sub-units by name
    assert [r.is_anchor for r in rows] == [True, False, False, True]
    assert rows[-1].counts.by == counts([w.t_nolead])
    for row in rows[:-1]:
        path = units[row.unit_id].path
        led = [t for t in tasks if t.lead_unit_id and units[t.lead_unit_id].path.startswith(path)]
        assert row.counts.by == counts(led), units[row.unit_id].name
    # Non-trivial: every timeliness shows up somewhere, and A1 includes A1x's task.
    assert all(rows[0].counts[k] > 0 for k in rows[0].counts.by)
    a1 = next(r for r in rows if r.unit_id == w.a1.id)
    assert a1.counts["overdue"] == 2  # its own 30-day task and A1x's 10-day task


def test_head_counts_per_leader_and_per_field_equal_the_rule(rich):
    w = rich
    units = units_by_id()
    scope = [t for t in all_tasks() if in_head_scope(t, w.head, units)]
    leaders = dashboard.leader_rows(w.head, TODAY, DUE_SOON_DAYS)
    assert [r.user_id for r in leaders] == [w.head.id, w.deputy2.id, w.deputy.id]  # head, then by name
    for row in leaders:
        assert row.counts.by == counts([t for t in scope if t.leader_id == row.user_id])
    fields = dashboard.field_rows(w.head, TODAY, DUE_SOON_DAYS)
    assert [r.field_id for r in fields] == [w.f1.id, w.f2.id, w.f3.id, None]
    for row in fields:
        assert row.counts.by == counts([t for t in scope if t.field_id == row.field_id])
    d = dashboard.build(w.head, TODAY, DUE_SOON_DAYS)
    assert d.counts.by == counts(scope)
    assert d.total == len(scope)
    # Unit B's task is nowhere in unit A's figures.
    assert w.t_b_over.id not in {t.id for t in scope}


def test_head_most_overdue_and_due_this_week(rich):
    w = rich
    d = dashboard.build(w.head, TODAY, DUE_SOON_DAYS)
    assert [(x.task.id, x.days) for x in d.most_overdue] == [
        (w.t_over30.id, 30), (w.t_over10.id, 10), (w.t_submitted.id, 5), (w.t_head_over.id, 3),
        (w.t_nolead.id, 2), (w.t_over1.id, 1)]
    assert [(x.task.id, x.days) for x in d.due_this_week] == [
        (w.t_today.id, 0), (w.t_soon3.id, 3), (w.t_within4.id, 4), (w.t_week6.id, 6)]
    assert d.due_this_week_total == 4
    assert [t.id for t in d.to_review] == [w.t_submitted.id]


def test_ten_most_overdue_at_most(world, make):
    from datetime import date

    for day in range(1, 13):
        make.task(world.plan, world.head, world.a, world.staff, world.deputy,
                  title=f"Việc quá hạn {day}", due_on=date(2026, 6, day))
    issue_world_plans(world)
    d = dashboard.build(world.head, TODAY, DUE_SOON_DAYS)
    assert [x.days for x in d.most_overdue] == list(range(14, 4, -1))


def test_deputy_sees_the_tasks_they_are_accountable_for(rich):
    w = rich
    mine = [t for t in all_tasks() if t.leader_id == w.deputy.id]
    d = dashboard.build(w.deputy, TODAY, DUE_SOON_DAYS)
    assert d.counts.by == counts(mine)
    assert d.units == [] and d.leaders == []
    for row in d.fields:
        assert row.counts.by == counts([t for t in mine if t.field_id == row.field_id])
    assert {x.task.id for x in d.most_overdue} == {t.id for t in mine
                                                   if t.due_on < TODAY and t.status in
                                                   ("assigned", "in_progress", "submitted")}
    assert all(x.task.leader_id == w.deputy.id for x in d.most_overdue + d.due_this_week)
    assert [t.id for t in d.to_review] == [w.t_submitted.id]


def test_staff_see_their_own(rich):
    w = rich
    mine = [t for t in all_tasks() if t.assignee_id == w.staff_a1.id]
    d = dashboard.build(w.staff_a1, TODAY, DUE_SOON_DAYS)
    assert d.counts.by == counts(mine)
    assert [(x.task.id, x.days) for x in d.most_overdue] == [(w.t_over30.id, 30)]
    assert [(x.task.id, x.days) for x in d.due_this_week] == [(w.t_week6.id, 6)]
    assert d.units == [] and d.leaders == [] and d.to_review == []


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_assessor_and_admin_see_the_province_per_top_level_unit(rich, who):
    w = rich
    actor = getattr(w, who)
    units = units_by_id()
    tasks = all_tasks()
    d = dashboard.build(actor, TODAY, DUE_SOON_DAYS)
    assert d.counts.by == counts(tasks)
    # "Sở Khoa học" before "Sở Nội vụ"; the task without a lead unit last.
    assert [r.key for r in d.units] == [w.province.id, w.b.id, w.a.id, "none"]
    assert d.units[-1].counts.by == counts([w.t_nolead])
    for row in d.units[:-1]:
        path = units[row.unit_id].path
        assert row.counts.by == counts([t for t in tasks if t.lead_unit_id
                                        and units[t.lead_unit_id].path.startswith(path)])
    b = next(r for r in d.units if r.unit_id == w.b.id)
    assert b.counts["overdue"] == 1 and b.counts["within"] == 1


def test_the_sql_case_agrees_with_the_rule(rich):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Task
    from tests.overdue_data import rule

    tl = dashboard.timeliness_case(TODAY, DUE_SOON_DAYS)
    got = dict(db.session.execute(select(Task.id, tl)).all())
    assert got == {t.id: rule(t) for t in all_tasks()}


def test_the_head_s_tables_add_up_to_the_cards_with_tasks_led_elsewhere(rich, make):
    """Tasks of the unit's plan led by another unit, by that unit's leaders: the head reads
    them (the cards count them), and the unit and leader tables give them a row each."""
    w = rich
    # rows older than issue 11, which refuses a plan's task led outside its subtree
    led_b = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.deputy_b, title="Việc Sở B chủ trì",
                             due_on=date(2026, 6, 8))
    led_b_ours = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.deputy,
                                  title="Việc Sở B, lãnh đạo Sở A", due_on=date(2026, 6, 17))
    d = dashboard.build(w.head, TODAY, DUE_SOON_DAYS)
    units = [r for r in d.units if r.is_anchor]
    assert [r.key for r in units] == [w.a.id, "other", "none"]
    assert units[1].counts.by == counts([led_b, led_b_ours])
    assert [r.key for r in d.leaders] == [w.head.id, w.deputy2.id, w.deputy.id, "other"]
    assert d.leaders[-1].counts.by == counts([led_b])
    for rows in (units, d.leaders, d.fields):
        total = dashboard.Counts()
        for row in rows:
            total.add(row.counts)
        assert total.by == d.counts.by
    units_all = units_by_id()
    assert d.counts.by == counts([t for t in all_tasks() if in_head_scope(t, w.head, units_all)])


def test_a_leader_who_left_the_unit_counts_with_the_other_leaders(rich):
    from app.extensions import db

    w = rich
    w.deputy2.is_active = False
    db.session.commit()
    d = dashboard.build(w.head, TODAY, DUE_SOON_DAYS)
    assert [r.key for r in d.leaders] == [w.head.id, w.deputy.id, "other"]
    assert d.leaders[-1].counts.by == counts([t for t in all_tasks() if t.leader_id == w.deputy2.id])
