"""Deadline extensions (gia hạn): the responsible person asks before the due date, the
accountable leader or the head decides; every request is kept, and the original due date too."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.common import access, audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines import sweep as overdue
from app.domain import task_rules as rules
from app.domain.status import OPEN_STATUSES, Lifecycle
from app.extensions import db
from app.models import Extension, ExtensionStatus, Task, User
from app.models.base import utcnow
from app.models.user import Role
from app.tasks import commands as tasks
from app.tasks import queries as task_queries
from app.tasks.messages import message


def _vn(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def latest_due_on(plan) -> date:
    """The latest date an extension may reach: the end of the year after the plan's. A
    task extended past its plan's year is carried over (chuyển tiếp) into the next one."""
    return date(plan.year + 1, 12, 31)


def carried_over_year(task) -> int | None:
    """The year a task is carried over into (its due date is past its plan's year), or
    None. `task.plan` must be loaded."""
    if task.due_on is None or task.due_on.year <= task.plan.year:
        return None
    return task.due_on.year


def has_pending(task_id: int) -> bool:
    return db.session.scalar(select(func.count(Extension.id)).where(
        Extension.task_id == task_id, Extension.status == ExtensionStatus.PENDING)) > 0


def request_blocker(task: Task, today: date, pending: bool, max_extensions: int):
    """Why no extension can be asked for this task now (a message), or None when it can.
    The rules that do not depend on what the person types; permission is checked apart.
    `max_extensions`: how many approved extensions one task may have (a setting, 2)."""
    for v in rules.check_extension_plan(str(task.plan.status)):
        return message(v)  # a draft: nothing is due yet; a closed plan: read-only
    if task.status not in OPEN_STATUSES:
        return _l("This task is no longer open.")
    if task.status == Lifecycle.SUBMITTED:
        return _l("The task is awaiting confirmation; wait for the leader's decision.")
    if task.due_on is None:
        return _l("This task has no due date to extend.")
    if today > task.due_on:
        # An extension is asked before the deadline, not to excuse a missed one.
        return _l("The task is already overdue; an extension can no longer be requested.")
    if pending:
        return _l("An extension request is already awaiting a decision.")
    if task.extension_count >= max_extensions:
        return _l("This task has already been extended %(n)s times, the most allowed.",
                  n=task.extension_count)
    return None


def _head_ids(unit_id: int) -> list[int]:
    return list(db.session.scalars(select(User.id).where(
        User.unit_id == unit_id, User.role == Role.HEAD, User.is_active)))


def request_extension(actor: User, task_id: int, proposed_due_on: date | None, reason: str,
                      today: date, *, max_extensions: int) -> Extension:
    """The responsible person asks to move the due date; the leader and the head are told."""
    task = task_queries.get_task(actor, task_id, for_update=True)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    blocker = request_blocker(task, today, has_pending(task.id), max_extensions)
    if blocker is not None:
        raise RuleViolation(blocker)
    if proposed_due_on is None:
        raise RuleViolation(_l("Enter the proposed due date."), "proposed_due_on")
    if proposed_due_on < today:
        raise RuleViolation(_l("The proposed date cannot be before today."), "proposed_due_on")
    if proposed_due_on <= task.due_on:
        raise RuleViolation(_l("The proposed date must be after the current due date (%(date)s).",
                               date=_vn(task.due_on)), "proposed_due_on")
    latest = latest_due_on(task.plan)
    if proposed_due_on > latest:
        # Past the plan's year the task is carried over (chuyển tiếp), but not forever:
        # at most to the end of the next year (docs/integrity.md).
        raise RuleViolation(_l("An extension can move the due date at most to %(date)s "
                               "(the end of the year after the plan's).", date=_vn(latest)),
                            "proposed_due_on")
    if task.parent is not None and task.parent.due_on and proposed_due_on > task.parent.due_on:
        raise RuleViolation(_l("A sub-task cannot be due after its parent task (%(date)s).",
                               date=_vn(task.parent.due_on)), "proposed_due_on")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_l("Give the reason for the extension."), "reason")
    ext = Extension(task_id=task.id, requested_by_id=actor.id, requested_on=today,
                    previous_due_on=task.due_on, proposed_due_on=proposed_due_on, reason=reason,
                    status=ExtensionStatus.PENDING, decision_comment="")
    db.session.add(ext)
    db.session.flush()
    audit.record(actor.id, "extension.request", "extension", ext.id,
                 {"proposed_due_on": [task.due_on.isoformat(), proposed_due_on.isoformat()]},
                 comment=reason, task_id=task.id)
    recipients = [task.leader_id, *_head_ids(task.owner_unit_id)]
    overdue.notify([u for u in recipients if u != actor.id], "extension_requested", task.id,
                   f"extreq:{ext.id}", about_on=proposed_due_on)
    db.session.flush()
    return ext


def decide_extension(actor: User, extension_id: int, approve: bool, comment: str,
                     task_id: int | None = None) -> Extension:
    """Approve (the due date moves, the original stays) or refuse (a comment says why)."""
    found = db.session.scalar(select(Extension.task_id).where(Extension.id == extension_id))
    if found is None or (task_id is not None and found != task_id):
        raise NotFound()
    # Lock the task first, as a request does, so a decision and a request never cross.
    task = task_queries.get_task(actor, found, for_update=True)
    if not access.can_decide_extension(actor, task):
        raise PermissionDenied()
    tasks.require_plan_open(task.plan)
    ext = db.session.scalars(select(Extension).where(Extension.id == extension_id)
                             .execution_options(populate_existing=True)).one()
    if ext.requested_by_id == actor.id:
        # Nobody decides on their own request (DESIGN.md 4).
        raise RuleViolation(_l("You cannot decide on your own extension request."))
    if ext.status != ExtensionStatus.PENDING:
        raise RuleViolation(_l("This extension request has already been decided."))
    comment = (comment or "").strip()
    if approve:
        if task.status not in OPEN_STATUSES:
            raise RuleViolation(_l("This task is no longer open."))
        if task.due_on is not None and ext.proposed_due_on <= task.due_on:
            raise RuleViolation(_l("The proposed date must be after the current due date (%(date)s).",
                                   date=_vn(task.due_on)))
        if task.parent is not None and task.parent.due_on and ext.proposed_due_on > task.parent.due_on:
            raise RuleViolation(_l("A sub-task cannot be due after its parent task (%(date)s).",
                                   date=_vn(task.parent.due_on)))
        if ext.proposed_due_on > latest_due_on(task.plan):
            raise RuleViolation(_l("An extension can move the due date at most to %(date)s "
                                   "(the end of the year after the plan's).",
                                   date=_vn(latest_due_on(task.plan))))
    elif not comment:
        raise RuleViolation(_l("Say why the extension is refused."), "comment")
    before = {"due_on": task.due_on, "extension_count": task.extension_count,
              "version": task.version}
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    ext.decided_by_id = actor.id
    ext.decided_at = utcnow()
    ext.decision_comment = comment
    if approve:
        # original_due_on is left alone: the first deadline stays on record (DESIGN.md 3).
        task.due_on = ext.proposed_due_on
        task.extension_count = (task.extension_count or 0) + 1
        task.overdue_flagged_at = None
    db.session.flush()
    if approve:
        changes = audit.diff(before, {"due_on": task.due_on, "extension_count": task.extension_count,
                                      "version": task.version})
    else:
        # The due date stays: recorded as such, so the history says it did not move.
        due = task.due_on.isoformat() if task.due_on else None
        changes = {"due_on": [due, due]}
    audit.record(actor.id, "extension.approve" if approve else "extension.refuse", "extension",
                 ext.id, changes, comment=comment, task_id=task.id)
    if ext.requested_by_id != actor.id:
        overdue.notify([ext.requested_by_id],
                       "extension_approved" if approve else "extension_refused", task.id,
                       f"extdec:{ext.id}", about_on=ext.proposed_due_on, message=comment)
    db.session.flush()
    return ext


def list_for_task(task: Task) -> list[Extension]:
    """Every request of a task, newest first, with who asked and who decided."""
    return list(db.session.scalars(
        select(Extension).where(Extension.task_id == task.id)
        .options(selectinload(Extension.requested_by), selectinload(Extension.decided_by))
        .order_by(Extension.requested_at.desc(), Extension.id.desc())))


def review_scope(actor: User):
    """SQL condition: the tasks whose extension requests `actor` may decide (as
    access.can_decide_extension): never their own as the responsible person; as the
    accountable leader of a task led by its plan's unit; as a deputy, the tasks handed down
    from their unit's plan; as a head, every task of their subtree's plans."""
    handed_down = and_(Task.lead_unit_id.is_not(None), Task.lead_unit_id != Task.owner_unit_id)
    conds = [and_(Task.leader_id == actor.id, ~handed_down)]
    if actor.role == Role.HEAD:
        conds.append(Task.owner_unit_id.in_(access.subtree_ids(actor.unit.path)))
    elif actor.role == Role.DEPUTY:
        conds.append(and_(Task.owner_unit_id == actor.unit_id, handed_down))
    return and_(or_(*conds), or_(Task.assignee_id.is_(None), Task.assignee_id != actor.id))


def pending_conditions(actor: User) -> tuple:
    """SQL, over extensions joined to their tasks: the requests awaiting `actor`'s decision."""
    return (Extension.status == ExtensionStatus.PENDING, Extension.requested_by_id != actor.id,
            and_(Task.status.in_([s.value for s in OPEN_STATUSES]), review_scope(actor)))


def pending_for(actor: User, limit: int = 200) -> list[Extension]:
    """Requests awaiting `actor`'s decision, oldest first, with task and requester loaded."""
    return list(db.session.scalars(
        select(Extension).join(Task, Task.id == Extension.task_id)
        .where(*pending_conditions(actor))
        # The task from the join above, the requester joined: one statement, not three.
        .options(contains_eager(Extension.task), joinedload(Extension.requested_by))
        .order_by(Extension.requested_at, Extension.id).limit(limit)))
