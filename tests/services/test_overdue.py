"""The overdue engine (DESIGN.md section 6): flagging, due-soon reminders, overdue
notices with repeats and escalation, idempotency, a fixed number of SQL statements,
the Vietnamese calendar day, and the `flask overdue sweep` command.

The world's tasks are due 30/06/2026. world.task: staff_a responsible, deputy_a
accountable; world.task2: staff_a2 responsible, head_a accountable; world.task_b in unit B.
Units A and B sit under the province P66."""

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, insert, select, update

from app import clock as app_pkg
from app import scheduler
from app.deadlines import sweep as overdue
from app.extensions import db
from app.models import JobRun, Notification, Task
from app.settings import current_settings
from tests.conftest import issue_world_plans
from tests.settings_support import override_settings


@pytest.fixture
def world(world):
    """The shared world with its plans issued: tasks of draft plans are neither flagged,
    reminded, listed as overdue nor scored (DESIGN.md 4)."""
    issue_world_plans(world)
    return world

D = date(2026, 6, 15)
SWEEP_KINDS = ("due_soon", "overdue", "escalation")  # task events write other kinds
NOW = datetime(2026, 6, 15, 1, 0)  # a naive UTC instant, as the *_at columns store


# ---------------------------------------------------------------- helpers

def add_tasks(template: Task, n: int = 1, **values) -> list[int]:
    """Insert `n` tasks like `template` (same plan, unit and people) in one statement."""
    row = {"plan_id": template.plan_id, "owner_unit_id": template.owner_unit_id,
               "assignee_id": template.assignee_id, "lead_unit_id": template.lead_unit_id,
               "leader_id": template.leader_id, "title": template.title,
               "title_folded": template.title_folded, "start_on": template.start_on,
               "due_on": template.due_on, "status": "assigned"}
    row.update(values)
    row.setdefault("original_due_on", row["due_on"])
    ids = db.session.scalars(insert(Task).returning(Task.id), [dict(row) for _ in range(n)]).all()
    db.session.commit()
    return list(ids)


def add_task(template: Task, **values) -> int:
    return add_tasks(template, 1, **values)[0]


def sweep(day: date, now: datetime | None = None) -> overdue.SweepResult:
    result = overdue.sweep(day, now, reminders=current_settings().reminders)
    db.session.commit()
    return result


def flagged() -> dict[int, datetime]:
    db.session.expire_all()
    return dict(db.session.execute(select(Task.id, Task.overdue_flagged_at)
                                   .where(Task.overdue_flagged_at.is_not(None))).all())


def notes(kind: str | None = None, task_id: int | None = None, after_id: int = 0):
    """(kind, task_id, user_id, days, about_on) of the sweep's notifications, oldest first."""
    q = select(Notification.kind, Notification.task_id, Notification.user_id, Notification.days,
               Notification.about_on).where(Notification.id > after_id).order_by(Notification.id)
    q = q.where(Notification.kind == kind) if kind else q.where(Notification.kind.in_(SWEEP_KINDS))
    if task_id:
        q = q.where(Notification.task_id == task_id)
    return [tuple(r) for r in db.session.execute(q)]


def last_id() -> int:
    return db.session.scalar(select(func.max(Notification.id))) or 0


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    db.session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    db.session.commit()
    return out


def daily(start: date, end: date, **kw):
    """Sweep every day from start to end; {day: [new notifications of that day]}."""
    seen = {}
    day = start
    while day <= end:
        before = last_id()
        sweep(day)
        seen[day] = notes(after_id=before, **kw)
        day += timedelta(days=1)
    return seen


# ---------------------------------------------------------------- flagging

def test_flags_exactly_the_open_tasks_past_due(world):
    t = world.task
    past = {status: add_task(t, due_on=date(2026, 6, 10), status=status)
            for status in ("draft", "assigned", "in_progress", "submitted", "returned",
                           "completed", "cancelled", "suspended")}
    db.session.execute(update(Task).where(Task.id == past["completed"])
                       .values(completed_on=date(2026, 6, 12)))
    yesterday = add_task(t, due_on=D - timedelta(days=1))
    due_today = add_task(t, due_on=D)
    tomorrow = add_task(t, due_on=D + timedelta(days=1))
    undated = add_task(t, due_on=None)
    db.session.commit()

    result = sweep(D, NOW)
    expected = {past[s] for s in ("draft", "assigned", "in_progress", "submitted", "returned")}
    expected.add(yesterday)
    assert result.flagged == len(expected) == 6
    assert flagged() == {i: NOW for i in expected}
    assert due_today not in flagged() and tomorrow not in flagged() and undated not in flagged()

    # A task due today is not overdue until tomorrow; the earlier flags keep their moment.
    later = NOW + timedelta(days=1)
    result = sweep(D + timedelta(days=1), later)
    assert result.flagged == 1
    assert flagged() == {**{i: NOW for i in expected}, due_today: later}
    assert tomorrow not in flagged()


def test_a_submission_made_on_time_is_not_flagged_or_reminded_while_it_awaits_confirmation(world):
    # DESIGN.md 4: the completion date is the submission date, so a slow reviewer does
    # not make the task late; one submitted after its due date was late already.
    t = world.task
    due = D - timedelta(days=5)
    before_due = add_task(t, due_on=due, status="submitted", submitted_on=due - timedelta(days=1))
    on_due = add_task(t, due_on=due, status="submitted", submitted_on=due)
    late = add_task(t, due_on=due, status="submitted", submitted_on=due + timedelta(days=1))
    soon = add_task(t, due_on=D + timedelta(days=1), status="submitted", submitted_on=D)

    r = sweep(D, NOW)
    assert flagged() == {late: NOW}
    for waiting in (before_due, on_due, soon):
        assert notes(task_id=waiting) == []
    assert {n[2] for n in notes("overdue", late)} == {world.staff.id, world.deputy.id, world.head.id}
    assert r.due_soon == 0

    # Returned for rework, the first one is judged by its due date again: flagged and noticed.
    db.session.execute(update(Task).where(Task.id == before_due)
                       .values(status="returned", submitted_on=None))
    db.session.commit()
    r = sweep(D, NOW + timedelta(hours=1))
    assert r.flagged == 1 and set(flagged()) == {late, before_due}
    assert {n[2] for n in notes("overdue", before_due)} == {world.staff.id, world.deputy.id,
                                                              world.head.id}
    assert notes(task_id=on_due) == [] and notes(task_id=soon) == []


def test_a_second_sweep_at_the_same_moment_changes_nothing(world, make):
    make.user(world.province, "head", "Nguyễn Văn Tỉnh", "head_p")
    t = world.task
    add_tasks(t, 3, due_on=date(2026, 5, 20))          # escalated already (> 14 days late)
    add_tasks(t, 2, due_on=D + timedelta(days=2))      # due soon
    add_task(world.task_b, due_on=D - timedelta(days=3))
    first = sweep(D, NOW)
    assert first.flagged == 4 and first.due_soon == 2 and first.overdue and first.escalated
    before = snapshot()

    again = sweep(D, NOW)
    assert (again.flagged, again.unflagged, again.due_soon, again.overdue, again.escalated) == (0,) * 5
    assert snapshot() == before

    # Later the same day: still nothing to do.
    again = sweep(D, NOW + timedelta(hours=9))
    assert again.sent == again.flagged == again.unflagged == 0
    assert snapshot() == before


# ---------------------------------------------------------------- due-soon reminders

def test_reminders_at_each_default_offset_once_to_the_responsible_person(world):
    t = world.task
    due = {k: add_task(t, due_on=D + timedelta(days=k)) for k in (0, 1, 2, 3, 5, 7, 8)}
    seen = daily(D, D + timedelta(days=9), kind="due_soon")
    sent = [(day, task, days) for day, rows in seen.items() for (_, task, _, days, _) in rows]
    by_task = {k: [(day, days) for day, task, days in sent if task == tid] for k, tid in due.items()}

    def on(k, *pairs):  # (days after D of the sweep, bucket)
        assert by_task[k] == [(D + timedelta(days=d), b) for d, b in pairs], (k, by_task[k])

    on(7, (0, 7), (4, 3), (6, 1), (7, 0))
    on(8, (1, 7), (5, 3), (7, 1), (8, 0))
    on(5, (0, 7), (2, 3), (4, 1), (5, 0))
    on(3, (0, 3), (2, 1), (3, 0))
    on(2, (0, 3), (1, 1), (2, 0))
    on(1, (0, 1), (1, 0))
    on(0, (0, 0))
    rows = [r for r in notes("due_soon") if r[1] in due.values()]
    assert {user for _, _, user, _, _ in rows} == {world.staff.id}
    assert all(about == D + timedelta(days=k) for k, tid in due.items()
               for _, task, _, _, about in rows if task == tid)
    # The world's own tasks (due 30/06) got their 7-day reminder on 23/06.
    assert ("due_soon", world.task.id, world.staff.id, 7, date(2026, 6, 30)) in \
        notes("due_soon", world.task.id)
    assert len(rows) == 4 + 4 + 4 + 3 + 3 + 2 + 1


def test_custom_offsets_come_from_the_settings(app, world, monkeypatch):
    override_settings(monkeypatch, app, DUE_REMINDER_OFFSETS=(14, 2))
    task = add_task(world.task, due_on=D + timedelta(days=10))
    seen = daily(D, D + timedelta(days=11), kind="due_soon", task_id=task)
    got = [(day, rows[0][3]) for day, rows in seen.items() if rows]
    assert got == [(D, 14), (D + timedelta(days=8), 2)]
    assert all(len(rows) <= 1 for rows in seen.values())

    override_settings(monkeypatch, app, DUE_REMINDER_OFFSETS=())
    other = add_task(world.task, due_on=D + timedelta(days=30))
    sweep(D + timedelta(days=30))
    assert notes("due_soon", other) == []


def test_catch_up_after_downtime_sends_one_reminder_not_every_missed_one(world):
    due = date(2026, 6, 30)
    task = world.task.id
    sweep(due - timedelta(days=7))
    assert [r[3] for r in notes("due_soon", task)] == [7]
    sweep(due - timedelta(days=2))  # the scheduler was down for four days
    assert [r[3] for r in notes("due_soon", task)] == [7, 3]
    sweep(due - timedelta(days=2))
    assert [r[3] for r in notes("due_soon", task)] == [7, 3]


# ---------------------------------------------------------------- overdue notices

def test_overdue_notices_repeat_and_escalate_to_the_parent_units_head(world, make):
    w = world
    head_p = make.user(w.province, "head", "Nguyễn Văn Tỉnh", "head_p")
    retired = make.user(w.a, "head", "Cựu Trưởng Phòng", "head_a_old")
    retired.is_active = False
    db.session.commit()
    due = date(2026, 6, 30)

    seen = daily(due, due + timedelta(days=29))
    # Due today: the last reminder, and no overdue notice yet.
    assert [(k, days) for k, _, _, days, _ in seen[due]] == [("due_soon", 0)] * 3

    def rounds(task, kind):
        return [(day, sorted(u for k, t, u, _, _ in rows if k == kind and t == task.id))
                for day, rows in seen.items()
                if any(k == kind and t == task.id for k, t, _, _, _ in rows)]

    late = [1, 8, 15, 22, 29]  # first notice, then every OVERDUE_REPEAT_DAYS (7)
    a_people = sorted([w.staff.id, w.deputy.id, w.head.id])
    assert rounds(w.task, "overdue") == [(due + timedelta(days=d), a_people) for d in late]
    # head_a is also task2's accountable leader: one notice each round, not two.
    assert rounds(w.task2, "overdue") == [(due + timedelta(days=d), sorted([w.staff2.id, w.head.id]))
                                          for d in late]
    assert rounds(w.task_b, "overdue") == [
        (due + timedelta(days=d), sorted([w.staff_b.id, w.deputy_b.id, w.head_b.id])) for d in late]
    # Escalation from OVERDUE_ESCALATE_DAYS (14), then every 7 days, to the province's head.
    for task in (w.task, w.task2, w.task_b):
        assert rounds(task, "escalation") == [(due + timedelta(days=d), [head_p.id]) for d in (14, 21, 28)]
    days = [r[3] for r in notes("overdue", w.task.id) if r[2] == w.staff.id]
    assert days == late
    assert all(r[4] == due for r in notes(task_id=w.task.id))
    assert all(r[2] != retired.id for r in notes())
    # dedupe keys are unique and there is one row per (kind, task, person, round)
    total = db.session.scalar(select(func.count(Notification.id))
                              .where(Notification.kind.in_(SWEEP_KINDS)))
    assert total == 5 * (3 + 2 + 3) + 3 * 3 + 3  # overdue rounds, escalations, due today


def test_a_completed_task_stops_its_notices(world):
    due = date(2026, 6, 30)
    sweep(due + timedelta(days=1))
    db.session.execute(update(Task).where(Task.id == world.task.id)
                       .values(status="completed", completed_on=due + timedelta(days=2)))
    db.session.commit()
    before = last_id()
    sweep(due + timedelta(days=8))
    assert world.task.id not in {r[1] for r in notes(after_id=before)}
    # It keeps the record of when it became overdue: it was completed late.
    assert world.task.id in flagged()
    assert world.task2.id in {r[1] for r in notes(after_id=before)}


def test_an_approved_extension_unflags_and_restarts_the_reminders(world):
    task = world.task.id
    sweep(date(2026, 7, 1))
    assert task in flagged()
    first_round = notes("overdue", task)
    assert len(first_round) == 3

    # What approving an extension does to the task: a later effective due date.
    db.session.execute(update(Task).where(Task.id == task)
                       .values(due_on=date(2026, 7, 31), extension_count=1))
    db.session.commit()
    result = sweep(date(2026, 7, 2))
    assert result.unflagged == 1
    assert task not in flagged() and world.task2.id in flagged()
    assert notes("overdue", task) == first_round

    sweep(date(2026, 7, 24))
    assert [r[3:] for r in notes("due_soon", task)][-1] == (7, date(2026, 7, 31))
    sweep(date(2026, 8, 1))  # late again, against the new date
    assert task in flagged()
    assert [r[3:] for r in notes("overdue", task)][-3:] == [(1, date(2026, 7, 31))] * 3


# ---------------------------------------------------------------- set-based

def test_a_sweep_issues_the_same_few_statements_for_10_or_200_tasks(app, world, make):
    make.user(world.province, "head", "Nguyễn Văn Tỉnh", "head_p")
    statements: list[str] = []

    def spy(conn, cursor, statement, *args):
        statements.append(statement)

    def counted(day):
        db.session.commit()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", spy)
        try:
            result = overdue.sweep(day, reminders=current_settings().reminders)
        finally:
            event.remove(db.engine, "before_cursor_execute", spy)
        db.session.commit()
        return len(statements), result

    day = date(2026, 7, 20)

    def batch(n):
        k = n // 3
        add_tasks(world.task, k, due_on=day - timedelta(days=20))          # overdue, escalated
        add_tasks(world.task_b, k, due_on=day - timedelta(days=1))         # newly overdue
        add_tasks(world.task, n - 2 * k, due_on=day + timedelta(days=2))   # due soon
        add_tasks(world.task_b, n // 10, status="submitted", due_on=day + timedelta(days=30),
                  submitted_on=day - timedelta(days=14))                   # awaiting, 10 working days

    batch(10)
    small, r10 = counted(day)
    batch(190)  # new work for the same day: 200 tasks in all, 190 of them not yet swept
    large, r200 = counted(day)
    print(f"\nSQL statements per sweep: {small} with 10 tasks, {large} with 200 tasks "
          f"({[s.split()[0] for s in statements]})")
    print("10 tasks:", r10, "| 200 tasks:", r200)
    assert r200.flagged == 2 * 63 and r200.due_soon == 64 and r200.escalated == 63
    assert r10.flagged >= 6 and r10.due_soon == 4
    assert (r10.review_reminded, r10.review_escalated) == (1, 1)
    assert (r200.review_reminded, r200.review_escalated) == (19, 19)
    assert small == large <= 9


# ---------------------------------------------------------------- Vietnamese calendar day

INSTANT = datetime(2026, 6, 30, 17, 30, tzinfo=UTC)  # 01/07/2026 00:30 in Hà Nội


@pytest.fixture
def utc_host(monkeypatch):
    """The server's clock runs in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def frozen(instant: datetime) -> type[datetime]:
    """A datetime class whose now() is `instant`."""
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz) if tz else instant.astimezone().replace(tzinfo=None)
    return Frozen


def test_local_today_is_the_vietnamese_date_on_a_utc_server(app, monkeypatch, utc_host):
    app.config["TODAY"] = None
    monkeypatch.setattr(app_pkg, "datetime", frozen(INSTANT))
    assert app_pkg.datetime.now().date() == date(2026, 6, 30)  # the host's own (UTC) date
    assert app_pkg.local_today() == date(2026, 7, 1)
    monkeypatch.setattr(app_pkg, "datetime", frozen(datetime(2026, 6, 30, 16, 59, tzinfo=UTC)))
    assert app_pkg.local_today() == date(2026, 6, 30)  # 23:59 in Hà Nội


def test_the_sweep_job_judges_by_the_vietnamese_date(app, world, utc_host):
    due = date(2026, 6, 30)
    assert world.task.due_on == due
    task_id = world.task.id
    db.session.commit()  # the job runs in its own app context and session
    scheduler.sweep_job(app, now=INSTANT)
    assert task_id in flagged()
    runs = db.session.execute(select(JobRun.job, JobRun.tick)).all()
    assert runs == [("sweep", "2026-07-01T00:30")]
    # The same instant written in another zone is the same tick: nothing runs twice.
    db.session.commit()
    scheduler.sweep_job(app, now=INSTANT.astimezone(ZoneInfo("America/New_York")) + timedelta(minutes=5))
    assert db.session.scalar(select(func.count(JobRun.id))) == 1
    # One minute before midnight in Hà Nội it is still 30/06: nothing is overdue.
    db.session.execute(update(Task).values(overdue_flagged_at=None))
    db.session.commit()
    scheduler.sweep_job(app, now=datetime(2026, 6, 30, 16, 59, tzinfo=UTC))
    assert flagged() == {}
    assert db.session.scalar(select(JobRun.tick).order_by(JobRun.id.desc()).limit(1)) == "2026-06-30T23:50"


def test_tick_is_the_slot_whatever_the_moment_or_process(app):
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    moments = [datetime(2026, 7, 1, 0, 30, 0, tzinfo=tz), datetime(2026, 7, 1, 0, 34, 59, tzinfo=tz),
               datetime(2026, 7, 1, 0, 39, 59, 999999, tzinfo=tz)]
    assert {scheduler._tick(m, 10) for m in moments} == {"2026-07-01T00:30"}
    assert scheduler._tick(datetime(2026, 7, 1, 0, 40, tzinfo=tz), 10) == "2026-07-01T00:40"
    assert scheduler._tick(datetime(2026, 7, 1, 23, 59, tzinfo=tz), 10) == "2026-07-01T23:50"
    assert scheduler._tick(datetime(2026, 7, 1, 13, 7, tzinfo=tz), 60) == "2026-07-01T13:00"
    assert scheduler._tick(datetime(2026, 7, 1, 13, 7, tzinfo=tz), 5) == "2026-07-01T13:05"


# ---------------------------------------------------------------- flask overdue sweep

def test_cli_sweep_prints_what_it_flagged_and_sent(runner, world):
    db.session.commit()
    result = runner.invoke(args=["overdue", "sweep", "--today", "2026-07-05"])
    print(result.output)
    assert result.exit_code == 0, result.output
    assert "Ngày 05/07/2026: gắn cờ quá hạn 3 nhiệm vụ" in result.output
    assert "0 nhắc sắp đến hạn, 8 thông báo quá hạn, 0 báo cáo vượt cấp; 0 email." in result.output
    assert "As of 2026-07-05: flagged 3; sent due_soon=0 overdue=8 escalated=0 emails=0" in result.output
    assert set(flagged()) == {world.task.id, world.task2.id, world.task_b.id}
    again = runner.invoke(args=["overdue", "sweep", "--today", "2026-07-05"])
    assert again.exit_code == 0
    assert "flagged 0; sent due_soon=0 overdue=0 escalated=0" in again.output


def test_cli_sweep_defaults_to_the_apps_today(runner, world):
    db.session.commit()
    result = runner.invoke(args=["overdue", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Ngày 15/06/2026: gắn cờ quá hạn 0 nhiệm vụ" in result.output


def test_cli_sweep_refuses_a_bad_date(runner, world):
    db.session.commit()
    for bad in ("2026-13-01", "abc", "05/07/2026", ""):
        result = runner.invoke(args=["overdue", "sweep", "--today", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {bad}" in result.stderr
        assert "Traceback" not in result.output
    assert flagged() == {}
    assert notes() == []
    assert db.session.scalar(select(func.count(JobRun.id))) == 0


# ---------------------------------------------------------------- work waiting on a decider

WAIT_KINDS = ("review_waiting", "review_escalated", "extension_waiting", "extension_escalated")
MON = date(2026, 7, 6)  # a Monday


def waiting(after_id: int = 0):
    """(kind, task_id, user_id, days, about_on) of the reminders about waiting work."""
    q = (select(Notification.kind, Notification.task_id, Notification.user_id, Notification.days,
                Notification.about_on)
         .where(Notification.id > after_id, Notification.kind.in_(WAIT_KINDS))
         .order_by(Notification.id))
    return [tuple(r) for r in db.session.execute(q)]


def daily_waiting(start: date, end: date) -> dict[date, list[tuple]]:
    seen, day = {}, start
    while day <= end:
        before = last_id()
        sweep(day)
        sweep(day)  # a second process, or a second slot of the same day: nothing more
        new = waiting(before)
        if new:
            seen[day] = new
        day += timedelta(days=1)
    return seen


def test_a_submission_awaiting_confirmation_reminds_after_2_and_5_working_days_then_escalates(world):
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31))
    seen = daily_waiting(MON, date(2026, 7, 24))
    assert seen == {
        date(2026, 7, 8): [("review_waiting", task, world.deputy.id, 2, MON)],    # Wednesday
        date(2026, 7, 13): [("review_waiting", task, world.deputy.id, 5, MON)],   # the weekend skipped
        date(2026, 7, 15): [("review_escalated", task, world.head.id, 7, MON)],
    }


def test_working_days_skip_the_weekend(world):
    friday = date(2026, 7, 10)
    task = add_task(world.task, status="submitted", submitted_on=friday, due_on=date(2026, 7, 31))
    seen = daily_waiting(friday, date(2026, 7, 15))
    assert seen == {date(2026, 7, 14): [("review_waiting", task, world.deputy.id, 2, friday)]}


def test_after_a_downtime_only_the_latest_step_is_sent(world):
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31))
    sweep(date(2026, 7, 14))  # 6 working days: the 5-day reminder, not the 2-day one too
    assert waiting() == [("review_waiting", task, world.deputy.id, 5, MON)]


def test_a_decided_submission_reminds_no_more(world):
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31))
    sweep(date(2026, 7, 8))
    db.session.execute(update(Task).where(Task.id == task).values(status="completed",
                                                                  completed_on=MON))
    db.session.commit()
    before = last_id()
    for day in (date(2026, 7, 13), date(2026, 7, 15), date(2026, 7, 20)):
        sweep(day)
    assert waiting(before) == []


def test_a_leader_who_submitted_is_not_reminded_the_head_decides(world):
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31),
                    assignee_id=world.deputy.id, leader_id=world.deputy.id)
    seen = daily_waiting(MON, date(2026, 7, 15))
    assert seen == {
        date(2026, 7, 8): [("review_waiting", task, world.head.id, 2, MON)],
        date(2026, 7, 13): [("review_waiting", task, world.head.id, 5, MON)],
        date(2026, 7, 15): [("review_escalated", task, world.head.id, 7, MON)],
    }


def test_an_extension_request_awaiting_a_decision_reminds_and_escalates(world):
    from app.models import Extension
    ext = Extension(task_id=world.task.id, requested_by_id=world.staff.id, requested_on=MON,
                    previous_due_on=date(2026, 6, 30), proposed_due_on=date(2026, 8, 31),
                    reason="Chờ số liệu", status="pending")
    db.session.add(ext)
    db.session.commit()
    seen = daily_waiting(MON, date(2026, 7, 17))
    t = world.task.id
    # world.task is overdue from 01/07: those notices are of other kinds, not counted here.
    assert seen == {
        date(2026, 7, 8): [("extension_waiting", t, world.deputy.id, 2, MON)],
        date(2026, 7, 13): [("extension_waiting", t, world.deputy.id, 5, MON)],
        date(2026, 7, 15): [("extension_escalated", t, world.head.id, 7, MON)],
    }
    ext.status = "refused"
    db.session.commit()
    before = last_id()
    sweep(date(2026, 7, 27))
    assert waiting(before) == []


def test_reviewer_reminders_follow_the_settings(app, world, monkeypatch):
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31))
    override_settings(monkeypatch, app, REVIEW_REMINDER_DAYS=(1,), REVIEW_ESCALATE_DAYS=3)
    seen = daily_waiting(MON, date(2026, 7, 10))
    assert seen == {
        date(2026, 7, 7): [("review_waiting", task, world.deputy.id, 1, MON)],
        date(2026, 7, 9): [("review_escalated", task, world.head.id, 3, MON)],
    }


def test_a_draft_plans_submissions_remind_nobody(world):
    from app.models import Plan
    task = add_task(world.task, status="submitted", submitted_on=MON, due_on=date(2026, 7, 31))
    db.session.execute(update(Plan).where(Plan.id == world.plan.id).values(status="draft"))
    db.session.commit()
    assert daily_waiting(MON, date(2026, 7, 20)) == {}
    assert task
