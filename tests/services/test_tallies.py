"""The home page's tallies (app/models/tally.py), kept by triggers, always equal a recount
from the tasks, after every kind of write; and the home page counted from them equals the
home page counted from the tasks."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update

from app.dashboard import queries as dashboard
from app.dashboard import tallies
from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.demo import loader as demo
from app.directory import units
from app.extensions import db
from app.models import Plan, PlanStatus, Task, User
from app.models.user import Role
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.conftest import TODAY, attach_evidence
from tests.overdue_data import DUE_SOON_DAYS, build_rich


def _page(d: dashboard.Dashboard) -> tuple:
    return (d.counts.by,
            [(r.key, r.name, r.is_anchor, r.counts.by) for r in d.units],
            [(r.key, r.name, r.counts.by) for r in d.leaders],
            [(r.field_id, r.name, r.counts.by) for r in d.fields],
            (d.indicators.count, d.indicators.met, d.indicators.mean))


def agree(today: date = TODAY) -> None:
    """The tallies equal a recount, and every leader's and province reader's home page
    counted from them equals the one counted from the tasks."""
    db.session.flush()
    assert tallies.stored() == tallies.recount()
    readers = db.session.scalars(select(User).where(
        User.role.in_([Role.HEAD, Role.DEPUTY, Role.ASSESSOR, Role.ADMIN]))).all()
    assert readers
    for reader in readers:
        kept = dashboard.build(reader, today, DUE_SOON_DAYS)
        recounted = dashboard.build(reader, today, DUE_SOON_DAYS, tallied=False)
        assert _page(kept) == _page(recounted), reader.username


@pytest.fixture
def rich(world, make):
    return build_rich(world, make)


def test_created_and_issued_tasks_are_tallied(rich):
    assert db.session.scalar(text("SELECT count(*) FROM task_tallies")) > 0
    agree()
    agree(TODAY + timedelta(days=40))  # other days judge the same keys anew
    agree(TODAY - timedelta(days=200))


def test_the_lifecycle_keeps_the_tallies(rich, make):
    w = rich
    settings = current_settings()
    t = make.task(w.plan, w.head, w.a, w.staff, w.deputy, indicator_target=Decimal(10),
                  due_on=TODAY + timedelta(days=2))
    agree()
    tasks.record_progress(w.staff, t.id, 40, "nửa chừng", Decimal(4), TODAY)
    agree()
    tasks.record_progress(w.staff, t.id, 90, "gần xong", Decimal(12), TODAY)
    agree()
    attach_evidence(w.staff, t.id)
    tasks.submit_task(w.staff, t.id, "xong", TODAY)
    agree()
    tasks.return_task(w.deputy, t.id, "làm lại")
    agree()
    tasks.submit_task(w.staff, t.id, "xong", TODAY)
    tasks.confirm_task(w.deputy, t.id, "đạt")
    agree()
    other = make.task(w.plan, w.head, w.a, w.staff, w.deputy, due_on=TODAY + timedelta(days=5))
    ext = extensions.request_extension(w.staff, other.id, TODAY + timedelta(days=60), "chờ số liệu",
                                       TODAY, max_extensions=settings.max_extensions)
    agree()
    extensions.decide_extension(w.head, ext.id, True, "đồng ý")
    agree()
    tasks.suspend_task(w.head, other.id, "tạm dừng", TODAY)
    agree()
    tasks.resume_task(w.head, other.id)
    agree()
    tasks.cancel_task(w.head, other.id, "không còn cần", TODAY)
    agree()


def test_the_sweep_and_raw_writes_keep_the_tallies(rich):
    overdue.sweep(TODAY, reminders=current_settings().reminders)
    agree()
    # Writes no use case makes, straight in SQL: the triggers see them all the same.
    db.session.execute(update(Task).where(Task.field_id.is_not(None)).values(field_id=None))
    agree()
    db.session.execute(update(Task).values(lead_unit_id=None).where(Task.id % 3 == 0))
    agree()


def test_deleting_a_draft_plans_tasks_keeps_the_tallies(world, make):
    w = world
    make.task(w.plan, w.head, w.a, w.staff, w.deputy, due_on=TODAY - timedelta(days=3))
    agree()
    db.session.execute(delete(Task).where(Task.plan_id == w.plan.id, Task.parent_id.is_(None)))
    agree()
    assert not [k for k in tallies.stored() if k[4] == w.plan.id]  # no empty key is left


def test_a_plan_issued_closed_or_moved_to_another_year_is_judged_when_read(rich):
    w = rich
    plan = db.session.get(Plan, w.plan.id)
    plan.status = PlanStatus.CLOSED
    agree()
    plan.status = PlanStatus.DRAFT  # only as a test can: a draft's tasks are never overdue
    agree()
    plan.year = TODAY.year - 1
    plan.status = PlanStatus.ISSUED
    agree()


def test_merging_units_keeps_the_tallies(rich):
    w = rich
    units.merge_unit(w.a2, w.a1)
    agree()
    db.session.get(Plan, w.plan_b.id).status = PlanStatus.CLOSED  # a closed plan stays behind
    units.merge_unit(w.b, w.a)
    agree()


def test_the_demo_seeded_through_every_use_case_keeps_the_tallies(app):
    # Plans created and issued, tasks broken down, recurring rules generating their
    # occurrences, progress, submissions, confirmations, returns, evidence.
    today = date(2026, 6, 15)
    demo.seed(today, current_settings())
    agree(today)
    overdue.sweep(today, reminders=current_settings().reminders)
    agree(today)


def test_rebuild_gives_what_the_triggers_kept(rich):
    kept = tallies.stored()
    db.session.execute(text("DELETE FROM task_tallies"))
    assert tallies.stored() == set()
    tallies.rebuild()
    assert tallies.stored() == kept


def test_the_cli_checks_and_rebuilds(rich, runner):
    db.session.commit()
    result = runner.invoke(args=["tallies", "check"])
    assert result.exit_code == 0, result.output
    db.session.execute(text("DELETE FROM task_tallies"))
    db.session.commit()
    result = runner.invoke(args=["tallies", "check"])
    assert result.exit_code == 2
    result = runner.invoke(args=["tallies", "rebuild"])
    assert result.exit_code == 0, result.output
    assert tallies.stored() == tallies.recount()
