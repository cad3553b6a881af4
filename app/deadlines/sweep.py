"""The overdue sweep: flag overdue tasks and write reminders, in a handful of
set-based statements, idempotent, and exactly once per tick across processes."""

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from app.domain.status import OPEN_STATUSES, Lifecycle
from app.domain.workdays import vietnam_holidays, waited_since
from app.extensions import db
from app.models import (
    Extension,
    ExtensionStatus,
    JobRun,
    Notification,
    Plan,
    PlanStatus,
    Task,
    Unit,
    User,
)
from app.models.base import utcnow
from app.models.user import Role
from app.settings import Reminders

OPEN = [s.value for s in OPEN_STATUSES]


@dataclass
class SweepResult:
    flagged: int = 0
    unflagged: int = 0
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    review_reminded: int = 0
    review_escalated: int = 0
    statements: int = 0

    @property
    def sent(self) -> int:
        return (self.due_soon + self.overdue + self.escalated + self.review_reminded
                + self.review_escalated)

    def __str__(self) -> str:
        return (f"flagged={self.flagged} unflagged={self.unflagged} due_soon={self.due_soon} "
                f"overdue={self.overdue} escalated={self.escalated} "
                f"review_reminded={self.review_reminded} review_escalated={self.review_escalated} "
                f"statements={self.statements}")


def awaiting_on_time():
    """SQL: submitted on or before the due date and awaiting confirmation, the mirror of
    domain.status.awaiting_on_time (DESIGN.md 4: a slow reviewer does not make a task
    late, so such a task is neither overdue nor due soon while it waits)."""
    return and_(Task.status == Lifecycle.SUBMITTED, Task.due_on.is_not(None),
                Task.submitted_on.is_not(None), Task.submitted_on <= Task.due_on)


def overdue_condition(today: date):
    """SQL: the tasks overdue on `today`, as domain.status.timeliness judges them: open,
    past the effective due date, and not a submission made on time awaiting confirmation;
    never a task of a draft plan (DESIGN.md 4: the work starts when the plan is issued, so
    a draft is in no overdue list or count)."""
    return and_(_past_due(today), in_issued_plan())


def _past_due(today: date):
    return and_(Task.status.in_(OPEN), Task.due_on < today, not_(awaiting_on_time()))


def in_open_plan():
    """SQL: the task's plan is not closed. A closed plan is archived: the sweep neither flags
    its tasks nor reminds anyone of them (docs/user-guide.md), though they stay in the lists
    and count in the assessments of their period. Closed plans are few: one small subquery."""
    return Task.plan_id.not_in(select(Plan.id).where(Plan.status == PlanStatus.CLOSED))


def in_issued_plan():
    """SQL: the task's plan is not a draft. DESIGN.md 4: tasks of draft plans are not
    flagged, reminded or scored; the work starts when the plan is issued. Drafts are few
    beside the issued plans: one small subquery, as for closed plans."""
    return Task.plan_id.not_in(select(Plan.id).where(Plan.status == PlanStatus.DRAFT))


def in_swept_plan():
    """SQL: the task's plan is issued, neither a draft (not started) nor closed (archived):
    the only tasks the sweep flags or reminds anyone of. One small subquery."""
    return Task.plan_id.not_in(select(Plan.id).where(
        Plan.status.in_([PlanStatus.DRAFT.value, PlanStatus.CLOSED.value])))


def days_between(later, earlier):
    """Whole days from `earlier` to `later` as SQL (dates are calendar dates)."""
    if db.engine.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def _key(*parts):
    """'overdue:' || task_id || ':' ... as portable SQL string concatenation."""
    expr = None
    for p in parts:
        piece = literal(p, String) if isinstance(p, str) else cast(p, String)
        expr = piece if expr is None else expr + piece
    return expr


def _insert(kind, pairs, key_expr, about, days) -> int:
    """INSERT ... SELECT the (task, user) pairs that have no notification with this key yet.
    `kind`: the notifications' kind, or a function of the pairs giving it per row."""
    p = pairs.subquery()
    key = key_expr(p)
    src = (select(p.c.user_id, kind(p) if callable(kind) else literal(kind), p.c.task_id, key,
                  about(p), days(p),
                  literal(utcnow()), literal(0), literal(""))
           .where(~exists().where(Notification.dedupe_key == key)))
    dialect = db.engine.dialect.name
    make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
    stmt = make(Notification).from_select(
        ["user_id", "kind", "task_id", "dedupe_key", "about_on", "days", "created_at",
         "email_attempts", "message"], src)
    if make is not insert:
        # A concurrent sweep (the next slot, or a hand-run one) may have inserted the same
        # key since our NOT EXISTS looked: skip it instead of failing the whole tick.
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    # rowcount of INSERT ... SELECT is not reliable on every driver; RETURNING is.
    return len(db.session.execute(stmt.returning(Notification.id)).all())


def _recipients(cond, with_heads: bool = True):
    """(task_id, user_id, due_on) for the responsible person, the accountable leader
    and the heads of the unit that leads the task and of the unit whose plan holds
    it (often the same), without duplicates."""
    parts = [
        select(Task.id.label("task_id"), Task.assignee_id.label("user_id"), Task.due_on.label("due_on"))
        .where(cond, Task.assignee_id.is_not(None)),
        select(Task.id, Task.leader_id, Task.due_on).where(cond, Task.leader_id.is_not(None)),
    ]
    if with_heads:
        # One part per unit column, not `unit_id = owner OR unit_id = lead`: SQLite answered
        # the OR by comparing every head with every overdue task (bench: 0.45 s of a 1.1 s
        # sweep); each equality uses the index on users.unit_id. UNION removes doubles.
        for unit_col in (Task.owner_unit_id, Task.lead_unit_id):
            parts.append(select(Task.id, User.id, Task.due_on)
                         .join(User, and_(User.unit_id == unit_col, User.role == Role.HEAD,
                                          User.is_active)).where(cond))
    return union(*parts)


def sweep(today: date, now: datetime | None = None, *, reminders: Reminders) -> SweepResult:
    """Flag what became overdue and write every reminder due today (`reminders`: the
    settings' offsets, repeat and escalation days). Flushes only; the caller commits, so a
    killed sweep leaves nothing half-written."""
    now = now or utcnow()
    r = SweepResult()
    open_ = and_(Task.status.in_(OPEN), in_swept_plan())
    overdue_cond = and_(_past_due(today), in_swept_plan())

    # 1. Flag tasks that became overdue (recording when); unflag those an extension moved.
    r.flagged = db.session.execute(
        update(Task).where(overdue_cond, Task.overdue_flagged_at.is_(None))
        .values(overdue_flagged_at=now).execution_options(synchronize_session=False)).rowcount or 0
    r.unflagged = db.session.execute(
        # Only an extension unflags: a task completed late keeps the record of when
        # it became overdue.
        update(Task).where(Task.overdue_flagged_at.is_not(None), open_, Task.due_on >= today)
        .values(overdue_flagged_at=None).execution_options(synchronize_session=False)).rowcount or 0
    r.statements += 2

    # 2. Due-soon reminders to the responsible person. The bucket is the smallest
    # offset not below the days left, so after days of downtime one reminder (the
    # current one) is sent, not every one that was missed.
    offsets = reminders.offsets
    if offsets:
        horizon = today + timedelta(days=max(offsets))
        # A task submitted on time waits for its leader: nothing to remind its person of.
        cond = and_(open_, Task.due_on >= today, Task.due_on <= horizon, Task.assignee_id.is_not(None),
                    not_(awaiting_on_time()))
        whens = [(Task.due_on <= today + timedelta(days=o), o) for o in offsets]
        bucket = db.case(*whens).label("bucket")
        pairs = select(Task.id.label("task_id"), Task.assignee_id.label("user_id"),
                       Task.due_on.label("due_on"), bucket).where(cond)
        r.due_soon = _insert(
            "due_soon", pairs,
            lambda p: _key("due:", p.c.task_id, ":", p.c.user_id, ":", p.c.due_on, ":", p.c.bucket),
            lambda p: p.c.due_on, lambda p: p.c.bucket)
        r.statements += 1

    # 3. Overdue: the first notice, then one every `repeat` days, to the person,
    # the leader and the unit's head.
    rec = _recipients(overdue_cond).subquery()
    days_late = days_between(literal(today), rec.c.due_on)
    period = (days_late - 1) // reminders.repeat_days
    pairs = select(rec.c.task_id, rec.c.user_id, rec.c.due_on, days_late.label("late"),
                   period.label("period"))
    r.overdue = _insert(
        "overdue", pairs,
        lambda p: _key("overdue:", p.c.task_id, ":", p.c.user_id, ":", p.c.due_on, ":", p.c.period),
        lambda p: p.c.due_on, lambda p: p.c.late)
    r.statements += 1

    # 4. Escalation to the heads of the parent unit once a task is `escalate` days late.
    # The unit above the one that leads the task (the plan's unit when no lead unit is set).
    parent = Unit.__table__.alias("owner")
    late = days_between(literal(today), Task.due_on)
    esc = (select(Task.id.label("task_id"), User.id.label("user_id"), Task.due_on.label("due_on"),
                  late.label("late"), ((late - reminders.escalate_days) // reminders.repeat_days).label("period"))
           .join(parent, parent.c.id == func.coalesce(Task.lead_unit_id, Task.owner_unit_id))
           .join(User, and_(User.unit_id == parent.c.parent_id, User.role == Role.HEAD, User.is_active))
           .where(overdue_cond, late >= reminders.escalate_days))
    r.escalated = _insert(
        "escalation", esc,
        lambda p: _key("esc:", p.c.task_id, ":", p.c.user_id, ":", p.c.due_on, ":", p.c.period),
        lambda p: p.c.due_on, lambda p: p.c.late)
    r.statements += 1

    # 5. Work waiting on a decider (DESIGN.md 6, issue 17): a submission awaiting
    # confirmation, an extension request awaiting a decision. Two statements, whatever
    # the number of tasks: the reminders, then the escalations.
    r.review_reminded, r.review_escalated = _review_reminders(today, reminders)
    r.statements += 2
    db.session.flush()
    return r


def _waiting():
    """The two kinds of work waiting on a decider, as (name, start, ref, asker, condition,
    table): a submission awaiting confirmation (from its submission date, asked by the
    responsible person) and a pending extension request (from the day it was asked, by
    whoever asked)."""
    submitted = and_(Task.status == Lifecycle.SUBMITTED, Task.submitted_on.is_not(None),
                     in_swept_plan())
    pending = and_(Extension.status == ExtensionStatus.PENDING, Task.status.in_(OPEN),
                   in_swept_plan())
    return [
        ("review", Task.submitted_on, Task.id, Task.assignee_id, submitted, None),
        ("extension", Extension.requested_on, Extension.id, Extension.requested_by_id, pending,
         Extension),
    ]


def _waiting_rows(name, start, ref, cond, table, user_id, bucket, heads: bool):
    """SELECT (task_id, start, ref, what, user_id, bucket) of one kind of waiting work, to
    the accountable leader or (heads) to the active heads of the plan's unit."""
    q = select(Task.id.label("task_id"), start.label("start"), ref.label("ref"),
               literal(name, String).label("what"), user_id.label("user_id"),
               bucket.label("bucket"))
    q = q.select_from(table).join(Task, Task.id == table.task_id) if table is not None \
        else q.select_from(Task)
    if heads:
        q = q.join(User, and_(User.unit_id == Task.owner_unit_id, User.role == Role.HEAD,
                              User.is_active))
    return q.where(cond)


def _review_reminders(today: date, reminders: Reminders) -> tuple[int, int]:
    """Remind the decider of waiting work after each of the settings' working days (the
    accountable leader; the heads of the plan's unit when the task names no leader other
    than the one who asked), and tell the heads of the plan's unit once it has waited
    `review_escalate_days` working days. The cut-off dates are computed here (weekends
    and Vietnam's official holidays skipped, app/domain/workdays.py), so SQL only
    compares dates. As with the due-soon bucket, the latest step reached is the one sent: after a downtime, one reminder, not
    each one missed. Two INSERT ... SELECT statements."""
    days_off = vietnam_holidays(today.year - 1)  # last year's and this year's
    cutoffs = sorted((waited_since(today, d, days_off), d) for d in reminders.review_days)
    first = cutoffs[-1][0]  # the latest cut-off: the fewest working days
    esc_cutoff = waited_since(today, reminders.review_escalate_days, days_off)
    remind, escalate = [], []
    for name, start, ref, asker, cond, table in _waiting():
        bucket = db.case(*[(start <= c, d) for c, d in cutoffs])
        named = and_(Task.leader_id.is_not(None), Task.leader_id != asker)
        remind.append(_waiting_rows(name, start, ref, cond, table, Task.leader_id, bucket, False)
                      .where(named, start <= first))
        remind.append(_waiting_rows(name, start, ref, cond, table, User.id, bucket, True)
                      .where(not_(named), User.id != asker, start <= first))
        escalate.append(_waiting_rows(name, start, ref, cond, table, User.id,
                                      literal(reminders.review_escalate_days), True)
                        .where(User.id != asker, start <= esc_cutoff))

    def key(prefix):
        return lambda p: _key(prefix, p.c.what, ":", p.c.ref, ":", p.c.user_id, ":", p.c.start,
                              ":", p.c.bucket)

    def kind(suffix):
        return lambda p: p.c.what + literal(suffix, String)

    sent = _insert(kind("_waiting"), union(*remind), key("wait:"),
                   lambda p: p.c.start, lambda p: p.c.bucket)
    escalated = _insert(kind("_escalated"), union(*escalate), key("waitesc:"),
                        lambda p: p.c.start, lambda p: p.c.bucket)
    return sent, escalated


def claim_tick(job: str, tick: str) -> JobRun | None:
    """Take (job, tick) in the ledger for this transaction (in a savepoint); None when
    another process already has it."""
    run = JobRun(job=job, tick=tick, pid=os.getpid())
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except (IntegrityError, OperationalError):
        return None
    return run


def run_tick(job: str, tick: str, today: date, reminders: Reminders) -> SweepResult | None:
    """Run the sweep for one scheduler tick unless another process already has (None).

    Flushes only: the caller (scheduler.sweep_tick) commits the ledger row and the sweep
    together, so a process killed half-way leaves neither and the next tick does the work.
    """
    run = claim_tick(job, tick)
    if run is None:
        return None
    result = sweep(today, reminders=reminders)
    run.summary = str(result)
    db.session.flush()
    return result


def notify(user_ids, kind: str, task_id: int | None, key: str, about_on: date | None = None,
           days: int | None = None, message: str = "", quality_sheet_id: int | None = None) -> None:
    """Event notifications (assigned, extension asked/decided, submitted, returned...);
    `message`: what the actor wrote that the recipient must read (a return's reason);
    `quality_sheet_id`: the scoring sheet a quality notification is about."""
    for uid in {u for u in user_ids if u}:
        db.session.add(Notification(user_id=uid, kind=kind, task_id=task_id,
                                    quality_sheet_id=quality_sheet_id,
                                    dedupe_key=f"{key}:{uid}"[:200], about_on=about_on, days=days,
                                    message=message or ""))


__all__ = ["SweepResult", "literal_column", "notify", "run_tick", "sweep"]
