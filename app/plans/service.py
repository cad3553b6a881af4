"""Plan use cases: create, edit, issue, close and reopen, and what the plan page shows."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, func, literal, select, update
from sqlalchemy.orm import aliased

from app.common import access, audit
from app.common.errors import PermissionDenied, RuleViolation
from app.deadlines import sweep as overdue
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import (
    Field,
    Plan,
    PlanKind,
    PlanStatus,
    Role,
    Task,
    Unit,
    User,
    task_coordinator_contacts,
    task_coordinators,
)
from app.models.base import utcnow
from app.plans import recurring
from app.tasks.queries import detail_options, get_plan


@dataclass
class PlanInput:
    unit_id: int
    year: int
    kind: str
    title: str
    doc_number: str = ""
    doc_date: date | None = None


def list_plans(actor: User, year: int | None = None, status: str | None = None,
               kind: str | None = None) -> list[Plan]:
    """The plans the actor sees, newest year first; narrowed by year, status and kind
    (a value that is none of them is ignored, as an unknown filter)."""
    q = select(Plan).where(access.plan_scope(actor))
    if year:
        q = q.where(Plan.year == year)
    if status in set(PlanStatus):
        q = q.where(Plan.status == status)
    if kind in set(PlanKind):
        q = q.where(Plan.kind == kind)
    return db.session.scalars(q.order_by(Plan.year.desc(), Plan.id)).all()


def plan_years(actor: User) -> list[int]:
    """The years the actor's plans are of, newest first (the list's year filter)."""
    return list(db.session.scalars(select(Plan.year).where(access.plan_scope(actor))
                                   .distinct().order_by(Plan.year.desc())))


def _check(data: PlanInput) -> Unit:
    if not data.title.strip():
        raise RuleViolation(_l("Enter the plan's title."), "title")
    if not 2000 <= data.year <= 2100:
        raise RuleViolation(_l("Enter a year between 2000 and 2100."), "year")
    if data.kind not in set(PlanKind):
        raise RuleViolation(_l("Choose a kind of plan."), "kind")
    unit = db.session.get(Unit, data.unit_id)
    if unit is None or not unit.is_active:
        raise RuleViolation(_l("This unit does not exist or has been retired."), "unit_id")
    return unit


def create_plan(actor: User, data: PlanInput) -> Plan:
    """A head opens a draft plan for their unit or a sub-unit."""
    unit = _check(data)
    if actor.role != "head" or not access.in_subtree(actor, unit):
        raise PermissionDenied()
    exists = db.session.scalar(select(Plan.id).where(Plan.unit_id == unit.id, Plan.year == data.year,
                                                     Plan.kind == data.kind))
    if exists:
        raise RuleViolation(_l("This unit already has a plan of this kind for %(year)s.",
                               year=data.year), "kind")
    plan = Plan(unit_id=unit.id, year=data.year, kind=data.kind, title=data.title.strip(),
                doc_number=data.doc_number.strip() or None, doc_date=data.doc_date,
                status=PlanStatus.DRAFT)
    plan.unit = unit
    db.session.add(plan)
    db.session.flush()
    audit.record(actor.id, "plan.create", "plan", plan.id,
                 {"title": [None, plan.title], "year": [None, plan.year], "kind": [None, plan.kind]})
    return plan


def update_plan(actor: User, plan_id: int, title: str, doc_number: str, doc_date: date | None) -> Plan:
    plan = get_plan(actor, plan_id)
    if not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    if plan.status == PlanStatus.CLOSED:
        raise RuleViolation(_l("The plan is closed: reopen it to change it."))
    if not title.strip():
        raise RuleViolation(_l("Enter the plan's title."), "title")
    before = {"title": plan.title, "doc_number": plan.doc_number, "doc_date": plan.doc_date}
    plan.title = title.strip()
    plan.doc_number = doc_number.strip() or None
    plan.doc_date = doc_date
    db.session.flush()
    changes = audit.diff(before, {"title": plan.title, "doc_number": plan.doc_number,
                                  "doc_date": plan.doc_date})
    if changes:
        audit.record(actor.id, "plan.update", "plan", plan.id, changes)
    return plan


@dataclass
class PlanSummary:
    total: int
    clear: int
    completed: int

    @property
    def not_completed(self) -> int:
        """Tasks neither completed nor cancelled (suspended ones included): what closing
        the plan leaves unfinished."""
        return self.total - self.completed


def summary(plan: Plan) -> PlanSummary:
    """Counts for the plan header, in one aggregate query."""
    row = db.session.execute(
        select(func.count(Task.id),
               func.coalesce(func.sum(db.case((Task.is_clear, 1), else_=0)), 0),
               func.coalesce(func.sum(db.case((Task.status == Lifecycle.COMPLETED, 1), else_=0)), 0))
        .where(Task.plan_id == plan.id, Task.status != Lifecycle.CANCELLED)).one()
    return PlanSummary(int(row[0]), int(row[1]), int(row[2]))


def plan_tasks(plan: Plan, page: int = 1, per_page: int = 100) -> tuple[list[Task], int]:
    """A page of the plan's tasks in tree order, with all the six clears need."""
    total = db.session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id)) or 0
    items = db.session.scalars(select(Task).where(Task.plan_id == plan.id)
                               .options(*detail_options())
                               .order_by(Task.order_key, Task.id)
                               .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return items, total


def flagged_unclear(plan: Plan, limit: int = 200) -> list[tuple[Task, object]]:
    """The open tasks of the plan whose stored flag says they fail a clear (every save
    and every attempt to issue bring it up to date), with their reasons: what the page of
    a draft lists, reading only. At most `limit` (the header counts them all)."""
    tasks = db.session.scalars(select(Task).where(Task.plan_id == plan.id,
                                                  Task.status != Lifecycle.CANCELLED,
                                                  Task.is_clear.is_(False))
                               .options(*detail_options()).order_by(Task.order_key, Task.id)
                               .limit(limit)).all()
    return [(t, t.six_clears()) for t in tasks]


def unclear_tasks(plan: Plan) -> list[tuple[Task, object]]:
    """Every open task of the plan that fails a clear, judged afresh."""
    tasks = db.session.scalars(select(Task).where(Task.plan_id == plan.id,
                                                  Task.status != Lifecycle.CANCELLED)
                               .options(*detail_options()).order_by(Task.order_key)).all()
    out = []
    for t in tasks:
        result = t.six_clears()
        t.is_clear = result.ok
        if not result.ok:
            out.append((t, result))
    return out


def issue_plan(actor: User, plan_id: int, today: date | None = None) -> tuple[Plan, list]:
    """Issue a draft plan; refused, with the unclear tasks, while any task fails a clear
    (and, given `today`, while it breaks down work that has fallen due: `late_breakdowns`)."""
    plan = get_plan(actor, plan_id)
    if not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    return issue(plan, actor.id, today)


def late_breakdowns(plan_id: int, today: date) -> list[tuple[int, str, date, str]]:
    """The plan's sub-tasks of a task of another, issued or closed, plan that fell due
    before `today`, as (id, number, the parent's due date, status). Issued, such a sub-task
    would replace the parent's missed or late record in its lead unit's score with its own
    weight, chosen after the fact (docs/integrity.md, parent_fallen_due)."""
    parent, parent_plan = aliased(Task), aliased(Plan)
    return [tuple(r) for r in db.session.execute(
        select(Task.id, Task.stt, parent.due_on, Task.status)
        .join(parent, parent.id == Task.parent_id)
        .join(parent_plan, parent_plan.id == parent.plan_id)
        .where(Task.plan_id == plan_id, parent.plan_id != plan_id, parent.due_on < today,
               parent_plan.status.in_([PlanStatus.ISSUED, PlanStatus.CLOSED]))
        .order_by(Task.order_key))]


def _settle_late_breakdowns(plan: Plan, actor_id: int | None, today: date) -> None:
    """Refuse to issue while a late breakdown is live; detach the cancelled ones from the
    higher task (audited), so that they count on their own (a cancellation after their date
    is a failure) and never in place of the higher task's record."""
    late = late_breakdowns(plan.id, today)
    live = [(stt, due) for _id, stt, due, status in late if status != Lifecycle.CANCELLED]
    if live:
        raise RuleViolation(_l(
            "These tasks break down tasks of a higher plan that have already fallen due: "
            "%(tasks)s. Work that has fallen due is no longer broken down: cancel them here "
            "before issuing the plan (they then count on their own, not in place of the "
            "higher plan's task).",
            tasks=", ".join(f"{stt} ({due.strftime('%d/%m/%Y')})" for stt, due in live)))
    for task_id, _stt, _due, _status in late:
        row = db.session.get(Task, task_id)
        audit.record(actor_id, "task.detach", "task", task_id,
                     {"parent_id": [row.parent_id, None]}, task_id=task_id)
        row.parent_id = None


def plan_by_code(unit_code: str, year: int, kind: str) -> Plan:
    """The plan of a unit (by code), year and kind, for the command line."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "").strip()))
    if unit is None:
        raise RuleViolation(_l("No unit with code %(code)s.", code=unit_code))
    plan = db.session.scalar(select(Plan).where(Plan.unit_id == unit.id, Plan.year == year,
                                                Plan.kind == kind))
    if plan is None:
        raise RuleViolation(_l("%(unit)s has no plan of this kind for %(year)s.",
                               unit=unit.name, year=year))
    plan.unit = unit
    return plan


def issue(plan: Plan, actor_id: int | None, today: date | None = None) -> tuple[Plan, list]:
    """Issue `plan` (permission already checked: the page's head, or the command line).
    Whatever the dates: tasks already past due count as overdue from now on. At issue, in
    one statement each, every task's first deadline is recorded (original_due_on, never
    rewritten after: later moves are extensions) and every responsible person is told of
    their task ("assigned": a draft plan is quiet)."""
    if plan.status != PlanStatus.DRAFT:
        raise RuleViolation(_l("Only a draft plan can be issued."))
    unclear = unclear_tasks(plan)
    if unclear:
        return plan, unclear
    if today is not None:
        _settle_late_breakdowns(plan, actor_id, today)
    # The recurring rules' occurrences of the year (app/plans/recurring.py), set-based.
    recurring.generate_for_plan(plan, actor_id)
    has_tasks = db.session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))
    if not has_tasks:
        raise RuleViolation(_l("A plan without tasks cannot be issued."))
    plan.status = PlanStatus.ISSUED
    plan.issued_at = utcnow()
    plan.issued_by_id = actor_id
    db.session.flush()
    db.session.execute(update(Task).where(Task.plan_id == plan.id)
                       .values(original_due_on=Task.due_on)
                       .execution_options(synchronize_session=False))
    told = _tell_assigned(plan.id, actor_id) + recurring.tell_series(plan.id, actor_id)
    _tell_coordinating(plan.id, actor_id)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Task) and obj.plan_id == plan.id:
            db.session.expire(obj)
    audit.record(actor_id, "plan.issue", "plan", plan.id,
                 {"status": ["draft", "issued"], "assigned_notices": [None, told]})
    return plan, []


def _tell_assigned(plan_id: int, actor_id: int | None) -> int:
    """One INSERT ... SELECT of the "assigned" notice for every open task of the plan with
    a responsible person (not the one who issues it); returns how many. The occurrences of a
    recurring task are told once for their series (`recurring.tell_series`)."""
    cond = [Task.plan_id == plan_id, Task.assignee_id.is_not(None),
            Task.recurring_rule_id.is_(None),
            Task.status.not_in([Lifecycle.CANCELLED, Lifecycle.COMPLETED])]
    if actor_id is not None:
        cond.append(Task.assignee_id != actor_id)
    pairs = select(Task.id.label("task_id"), Task.assignee_id.label("user_id"),
                   Task.due_on.label("due_on")).where(*cond)
    return overdue._insert(
        "assigned", pairs,
        lambda p: overdue._key("assigned:issue:", p.c.task_id, ":", p.c.user_id),
        lambda p: p.c.due_on, lambda p: literal(None, Integer))


def _tell_coordinating(plan_id: int, actor_id: int | None) -> int:
    """The coordinators' "assigned" notice at issue (issue 17 §2), one INSERT ... SELECT: to
    the active heads of every coordinating unit of the plan's open tasks and to the contact
    persons already named, not to the one who issues it."""
    open_ = [Task.plan_id == plan_id, Task.status.not_in([Lifecycle.CANCELLED, Lifecycle.COMPLETED])]
    heads = (select(Task.id.label("task_id"), User.id.label("user_id"), Task.due_on.label("due_on"))
             .join(task_coordinators, task_coordinators.c.task_id == Task.id)
             .join(User, (User.unit_id == task_coordinators.c.unit_id) & (User.role == Role.HEAD)
                   & User.is_active)
             .where(*open_))
    named = (select(Task.id, task_coordinator_contacts.c.user_id, Task.due_on)
             .join(task_coordinator_contacts, task_coordinator_contacts.c.task_id == Task.id)
             .where(*open_))
    if actor_id is not None:
        heads = heads.where(User.id != actor_id)
        named = named.where(task_coordinator_contacts.c.user_id != actor_id)
    return overdue._insert(
        "coordinating", heads.union(named),
        lambda p: overdue._key("coordinating:issue:", p.c.task_id, ":", p.c.user_id),
        lambda p: p.c.due_on, lambda p: literal(None, Integer))


def close_plan(actor: User, plan_id: int) -> tuple[Plan, int]:
    """Close an issued plan (DESIGN.md 3: draft -> issued -> closed); returns it with the
    number of its tasks not completed. Closing with such tasks is allowed: the plan
    becomes read-only, and its tasks still count in the assessments of their period."""
    plan = get_plan(actor, plan_id)
    if not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    if plan.status != PlanStatus.ISSUED:
        raise RuleViolation(_l("Only an issued plan can be closed."))
    not_completed = summary(plan).not_completed
    plan.status = PlanStatus.CLOSED
    db.session.flush()
    audit.record(actor.id, "plan.close", "plan", plan.id,
                 {"status": ["issued", "closed"], "not_completed": [None, not_completed]})
    return plan, not_completed


def reopen_plan(actor: User, plan_id: int) -> Plan:
    """Reopen a closed plan: it is issued again and its tasks can change."""
    plan = get_plan(actor, plan_id)
    if not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    if plan.status != PlanStatus.CLOSED:
        raise RuleViolation(_l("Only a closed plan can be reopened."))
    plan.status = PlanStatus.ISSUED
    db.session.flush()
    audit.record(actor.id, "plan.reopen", "plan", plan.id, {"status": ["closed", "issued"]})
    return plan


def fields_for(unit_id: int) -> list[Field]:
    """The fields a unit's tasks may use: its own and the province-wide ones."""
    return db.session.scalars(select(Field).where((Field.unit_id == unit_id) | Field.unit_id.is_(None))
                              .order_by(Field.name_sort)).all()



def summaries(plan_ids: list[int]) -> dict[int, PlanSummary]:
    """Counts for many plans in one GROUP BY."""
    if not plan_ids:
        return {}
    rows = db.session.execute(
        select(Task.plan_id, func.count(Task.id),
               func.coalesce(func.sum(db.case((Task.is_clear, 1), else_=0)), 0),
               func.coalesce(func.sum(db.case((Task.status == Lifecycle.COMPLETED, 1), else_=0)), 0))
        .where(Task.plan_id.in_(plan_ids), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.plan_id)).all()
    out = {pid: PlanSummary(0, 0, 0) for pid in plan_ids}
    for pid, total, clear, done in rows:
        out[pid] = PlanSummary(int(total), int(clear), int(done))
    return out
