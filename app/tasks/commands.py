"""Task use cases: create, edit, break down, report progress, submit, confirm, return."""

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.common import access, audit
from app.common.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RuleViolation,
    RuleViolations,
)
from app.deadlines import sweep as overdue
from app.directory.units import tree_order
from app.domain import task_rules as rules
from app.domain.six_clears import Step
from app.domain.status import EXCLUDED_STATUSES, OPEN_STATUSES, Lifecycle, Timeliness
from app.domain.task_rules import RuleSettings
from app.domain.text import fold
from app.extensions import db
from app.models import (
    Amendment,
    AuditLog,
    Field,
    Plan,
    PlanStatus,
    ProcessStep,
    ProgressUpdate,
    Task,
    Unit,
    User,
)
from app.models.base import utcnow
from app.models.user import LEADER_ROLES, Role
from app.settings import Files, task_rules_from_config
from app.tasks import breakdown, evidence
from app.tasks.messages import message

# Kept for callers that show the bound; the rule itself is in app/domain/task_rules.py.
MAX_STEPS = RuleSettings().max_steps


@dataclass
class StepInput:
    title: str
    due_on: date | None = None
    step_id: int | None = None


@dataclass
class TaskInput:
    """The six clears as plain values, straight from a form or an import row."""

    title: str
    description: str = ""
    assignee_id: int | None = None
    lead_unit_id: int | None = None
    coordinator_ids: list[int] = field(default_factory=list)
    leader_id: int | None = None
    responsibility: str = ""
    steps: list[StepInput] = field(default_factory=list)
    start_on: date | None = None
    due_on: date | None = None
    output_product: str = ""
    indicator_name: str = ""
    indicator_unit: str = ""
    indicator_target: Decimal | None = None
    field_id: int | None = None
    weight: Decimal = Decimal(1)


def detail_options():
    """Everything a task page shows, loaded up front (relationships raise otherwise)."""
    return (
        selectinload(Task.plan),
        selectinload(Task.assignee),
        selectinload(Task.leader),
        selectinload(Task.lead_unit),
        selectinload(Task.field),
        selectinload(Task.coordinators),
        selectinload(Task.steps),
        selectinload(Task.parent),
    )


def get_task(actor: User, task_id: int, for_update: bool = False) -> Task:
    """A task the actor may read, or NotFound (404 hides what is out of scope)."""
    stmt = select(Task).where(Task.id == task_id, access.task_scope(actor)).options(*detail_options())
    if for_update:
        # populate_existing: a Task the request already loaded is refreshed from the locked
        # row; without it PostgreSQL writers updated a stale version and got 409s.
        stmt = stmt.with_for_update(of=Task).execution_options(populate_existing=True)
    task = db.session.scalars(stmt).first()
    if task is None:
        raise NotFound()
    return task


def get_plan(actor: User, plan_id: int) -> Plan:
    plan = db.session.scalars(select(Plan).where(Plan.id == plan_id, access.plan_scope(actor))).first()
    if plan is None:
        raise NotFound()
    return plan


def require_plan_open(plan: Plan) -> None:
    """A closed plan is read-only (DESIGN.md 3: draft -> issued -> closed): nothing of its
    tasks changes until a head reopens it."""
    if plan.status == PlanStatus.CLOSED:
        raise RuleViolation(_l("The plan is closed: its tasks can no longer be changed."))


def _order_key(stt: str) -> str:
    return ".".join(p.zfill(4) for p in stt.split("."))[:128]


def _next_stt(plan_id: int, parent: Task | None) -> str:
    """Next number among siblings: "3" at the top, "2.4" under task 2."""
    siblings = select(Task.stt).where(Task.plan_id == plan_id,
                                      Task.parent_id == (parent.id if parent else None))
    if parent is None:
        # Top level by number: a task breaking down another plan's task has a parent
        # there and is numbered here as a top-level task.
        siblings = select(Task.stt).where(Task.plan_id == plan_id, ~Task.stt.contains("."))
    last = 0
    for stt in db.session.scalars(siblings):
        tail = stt.rsplit(".", 1)[-1]
        if tail.isdigit():
            last = max(last, int(tail))
    return f"{parent.stt}.{last + 1}" if parent else str(last + 1)


# The settings are read with the app's others (app/settings.py); the name stays here.
rule_settings = task_rules_from_config


def plan_facts(plan: Plan) -> rules.PlanFacts:
    """The plan as the rule set sees it (its unit must be loaded)."""
    return rules.PlanFacts(plan.id, plan.unit_id, plan.unit.path, plan.year, plan.period_start,
                           plan.period_end, str(plan.status))


def actor_facts(user: User) -> rules.ActorFacts:
    return rules.ActorFacts(user.id, str(user.role), user.unit_id,
                            user.unit.path if user.unit_id else "")


def values_of(task: Task) -> rules.TaskValues:
    """A stored task as the rule set sees it (steps and coordinators loaded)."""
    return rules.TaskValues(
        title=task.title or "", description=task.description or "",
        assignee_id=task.assignee_id, lead_unit_id=task.lead_unit_id,
        coordinator_ids=tuple(sorted(u.id for u in task.coordinators)),
        leader_id=task.leader_id, responsibility=task.responsibility or "",
        steps=tuple(Step(s.title, s.due_on) for s in task.steps),
        start_on=task.start_on, due_on=task.due_on, output_product=task.output_product or "",
        indicator_name=task.indicator_name or "", indicator_unit=task.indicator_unit or "",
        indicator_target=task.indicator_target, field_id=task.field_id, weight=task.weight,
        extension_count=task.extension_count or 0)


def values_from_input(data: TaskInput) -> rules.TaskValues:
    """What a form or import row asks to save, as the rule set sees it (trimmed as saved)."""
    return rules.TaskValues(
        title=data.title.strip(), description=data.description.strip(),
        assignee_id=data.assignee_id, lead_unit_id=data.lead_unit_id,
        coordinator_ids=tuple(sorted(set(data.coordinator_ids))), leader_id=data.leader_id,
        responsibility=data.responsibility.strip(),
        steps=tuple(Step(s.title.strip(), s.due_on) for s in data.steps if s.title.strip()),
        start_on=data.start_on, due_on=data.due_on, output_product=data.output_product.strip(),
        indicator_name=data.indicator_name.strip(), indicator_unit=data.indicator_unit.strip(),
        indicator_target=data.indicator_target, field_id=data.field_id, weight=data.weight)


def load_directory(unit_ids, person_ids) -> rules.Directory:
    """The units and people named by the values, in two small queries."""
    unit_ids = {i for i in unit_ids if i is not None}
    person_ids = {i for i in person_ids if i is not None}
    units = {}
    if unit_ids:
        for uid, path, active in db.session.execute(
                select(Unit.id, Unit.path, Unit.is_active).where(Unit.id.in_(unit_ids))):
            units[uid] = rules.UnitFacts(uid, path, bool(active))
    people = {}
    if person_ids:
        for pid, unit_id, path, role, active in db.session.execute(
                select(User.id, User.unit_id, Unit.path, User.role, User.is_active)
                .join(Unit, User.unit_id == Unit.id).where(User.id.in_(person_ids))):
            people[pid] = rules.PersonFacts(pid, unit_id, path, str(role), bool(active))
    return rules.Directory(units, people)


def directory_for(*values: rules.TaskValues | None) -> rules.Directory:
    """The directory every unit and person named in `values` needs."""
    unit_ids, person_ids = set(), set()
    for v in values:
        if v is None:
            continue
        unit_ids.add(v.lead_unit_id)
        unit_ids.update(v.coordinator_ids)
        person_ids.update((v.assignee_id, v.leader_id))
    return load_directory(unit_ids, person_ids)


def raise_violations(violations: list[rules.Violation]) -> None:
    """Every violation as one error, each message beside its field."""
    if violations:
        raise RuleViolations([RuleViolation(message(v), v.field) for v in violations])


def may_amend(actor: User, plan: Plan) -> bool:
    """Whether the actor may amend the tasks of an issued plan: the head of the plan's unit."""
    return rules.may_amend(plan_facts(plan), actor_facts(actor))


def _check(actor: User, plan: Plan, before: rules.TaskValues | None, after: rules.TaskValues,
           parent: Task | None, today: date, settings: RuleSettings,
           amendment_reason: str) -> None:
    raise_violations(rules.check_task(
        plan=plan_facts(plan), actor=actor_facts(actor), before=before, after=after,
        directory=directory_for(before, after), today=today, settings=settings,
        parent_due_on=parent.due_on if parent is not None else None,
        amendment_reason=amendment_reason))


def _coordinators(data: TaskInput) -> list[Unit]:
    ids = sorted(set(data.coordinator_ids))
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids))))


def _snapshot(task: Task) -> dict:
    return {
        "title": task.title, "description": task.description, "assignee_id": task.assignee_id,
        "lead_unit_id": task.lead_unit_id, "leader_id": task.leader_id,
        "responsibility": task.responsibility, "start_on": task.start_on, "due_on": task.due_on,
        "output_product": task.output_product, "indicator_name": task.indicator_name,
        "indicator_unit": task.indicator_unit, "indicator_target": task.indicator_target,
        "field_id": task.field_id, "weight": task.weight,
        "coordinators": sorted(u.id for u in task.coordinators),
        "steps": [[s.title, s.due_on] for s in task.steps],
    }


def _apply(task: Task, data: TaskInput, coordinators: list[Unit], draft: bool) -> None:
    task.set_title(data.title)
    task.description = data.description.strip()
    task.assignee_id = data.assignee_id
    task.lead_unit_id = data.lead_unit_id
    task.leader_id = data.leader_id
    task.responsibility = data.responsibility.strip()
    task.start_on = data.start_on
    if task.original_due_on is None or draft:
        # DESIGN.md 4: the original due date is what the plan was issued with. While the
        # plan is a draft its dates are freely edited, the original with them; after issue
        # it is never rewritten (only an approved extension moves due_on).
        task.original_due_on = data.due_on
    task.due_on = data.due_on
    task.output_product = data.output_product.strip()
    task.indicator_name = data.indicator_name.strip()
    task.indicator_unit = data.indicator_unit.strip()
    task.indicator_target = data.indicator_target
    task.field_id = data.field_id
    task.weight = data.weight if data.weight is not None else Decimal(1)
    task.coordinators = coordinators
    existing = {s.id: s for s in task.steps}
    new_steps = []
    for pos, s in enumerate((s for s in data.steps if s.title.strip()), start=1):
        step = existing.pop(s.step_id, None) if s.step_id else None
        if step is None:
            step = ProcessStep(title="")
        step.title = s.title.strip()
        step.due_on = s.due_on
        step.position = pos
        new_steps.append(step)
    task.steps = new_steps


def refresh_clear(task: Task) -> None:
    """Recompute the stored six-clears flag after related rows are in place."""
    db.session.flush()
    loaded = db.session.scalars(select(Task).where(Task.id == task.id)
                                .options(*detail_options())
                                .execution_options(populate_existing=True)).one()
    loaded.is_clear = loaded.six_clears().ok


def _tell(actor: User, user_id: int | None, kind: str, task: Task) -> None:
    """An event notification to one person (never to the one who acted); the task's
    version, moved by every change, keeps each event's key unique."""
    if not user_id or user_id == actor.id:
        return
    if kind == "assigned" and db.session.scalar(
            select(Plan.status).where(Plan.id == task.plan_id)) == PlanStatus.DRAFT:
        # Draft plans are quiet: the "assigned" notice is sent when the plan is issued
        # (plans.issue_plan), for every task at once.
        return
    overdue.notify([user_id], kind, task.id, f"{kind}:{task.id}:v{task.version}")


def create_task(actor: User, plan_id: int, data: TaskInput, parent_id: int | None = None, *,
                today: date, settings: RuleSettings) -> Task:
    """Add a task (or a sub-task under `parent_id`) to a plan, refused with every rule of
    app/domain/task_rules.py it breaks (`settings`: the app's task rule settings)."""
    plan = get_plan(actor, plan_id)
    parent = None
    if parent_id is not None:
        parent = get_task(actor, parent_id)
        if parent.plan_id != plan.id:
            # A higher unit's task led by this plan's unit is broken down here.
            if not breakdown.is_delegated_to(parent, plan):
                raise NotFound()
            if not access.can_add_task(actor, plan):
                raise PermissionDenied()
        elif not access.can_manage_task(actor, parent) and not access.can_add_task(actor, plan):
            raise PermissionDenied()
    elif not access.can_add_task(actor, plan):
        raise PermissionDenied()
    require_plan_open(plan)
    _check(actor, plan, None, values_from_input(data), parent, today,
           settings, "")
    stt = _next_stt(plan.id, parent if parent is None or parent.plan_id == plan.id else None)
    task = Task(plan_id=plan.id, owner_unit_id=plan.unit_id, parent_id=parent.id if parent else None,
                stt=stt, order_key=_order_key(stt), created_by_id=actor.id,
                status=Lifecycle.ASSIGNED, title="", title_folded="", steps=[], coordinators=[])
    _apply(task, data, _coordinators(data), plan.status == PlanStatus.DRAFT)
    db.session.add(task)
    db.session.flush()
    audit.record(actor.id, "task.create", "task", task.id, audit.diff({}, _snapshot(task)),
                 task_id=task.id)
    _tell(actor, task.assignee_id, "assigned", task)
    refresh_clear(task)
    breakdown.rollup([task.parent_id], actor.id)
    return task


def update_task(actor: User, task_id: int, data: TaskInput, expected_version: int, *,
                today: date, settings: RuleSettings, amendment_reason: str = "") -> Task:
    """Save the edit form; a stale `expected_version` raises Conflict with what changed.
    On an issued plan, reassigning the person, the leader or the lead unit, or changing the
    weight, is an amendment: the head of the plan's unit, with `amendment_reason`, recorded."""
    task = get_task(actor, task_id, for_update=True)
    if not access.can_manage_task(actor, task):
        raise PermissionDenied()
    require_plan_open(task.plan)
    if task.version != expected_version:
        raise Conflict(str(_l("Someone else saved this task while you were editing it.")),
                       changes_since(task.id, expected_version))
    if task.status in (Lifecycle.COMPLETED, Lifecycle.CANCELLED):
        raise RuleViolation(_l("A completed or cancelled task can no longer be edited."))
    parent = db.session.get(Task, task.parent_id) if task.parent_id else None
    plan = task.plan
    before_values, after_values = values_of(task), values_from_input(data)
    reason = (amendment_reason or "").strip()
    _check(actor, plan, before_values, after_values, parent, today,
           settings, reason)
    amended = rules.amendment_changes(plan_facts(plan), before_values, after_values)
    before = _snapshot(task)
    _apply(task, data, _coordinators(data), plan.status == PlanStatus.DRAFT)
    changes = audit.diff(before, _snapshot(task))
    if changes:
        # Steps and coordinators live in other tables: touch the row so that the
        # version moves whatever changed, and a second editor gets a Conflict.
        task.updated_at = utcnow()
    if amended:
        task.amendment_count = (task.amendment_count or 0) + 1
    db.session.flush()
    if amended:
        db.session.add(Amendment(task_id=task.id, actor_id=actor.id, reason=reason,
                                 changes=json.dumps(audit.diff(
                                     {k: v[0] for k, v in amended.items()},
                                     {k: v[1] for k, v in amended.items()}), ensure_ascii=False)))
    if changes:
        changes["version"] = [expected_version, task.version]
        # One history row: an amendment says so and carries its reason.
        audit.record(actor.id, "task.amend" if amended else "task.update", "task", task.id,
                     changes, comment=reason if amended else "", task_id=task.id)
    if task.assignee_id != before["assignee_id"]:
        _tell(actor, task.assignee_id, "assigned", task)
    refresh_clear(task)
    if "weight" in changes:
        breakdown.rollup([task.parent_id], actor.id)
    return task


def changes_since(task_id: int, version: int) -> list[AuditLog]:
    """Audit rows that moved the task past `version`: what the second editor missed."""
    rows = db.session.scalars(select(AuditLog).where(AuditLog.task_id == task_id)
                              .options(selectinload(AuditLog.actor))
                              .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(50)).all()
    out = []
    for row in rows:
        ver = json.loads(row.changes).get("version")
        if ver and int(ver[1]) > version:
            out.append(row)
    return list(reversed(out))


def _require_open(task: Task) -> None:
    if task.status not in OPEN_STATUSES:
        raise RuleViolation(_l("This task is no longer open."))


def record_progress(actor: User, task_id: int, percent: int, note: str,
                    actual_value: Decimal | None, today: date) -> ProgressUpdate:
    """Append a progress report; the task takes its percent and actual value."""
    task = get_task(actor, task_id, for_update=True)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    require_plan_open(task.plan)
    _require_open(task)
    if task.status == Lifecycle.SUBMITTED:
        raise RuleViolation(_l("The task is awaiting confirmation; wait for the leader's decision."))
    if not 0 <= percent <= 100:
        raise RuleViolation(_l("Progress must be between 0 and 100."), "percent")
    if breakdown.has_delegated_children(task.id):
        raise RuleViolation(_l("This task is broken down in the units' plans: its progress is the "
                               "weighted progress of those tasks."), "percent")
    if breakdown.has_children(task.id):
        raise RuleViolation(_l("This task is broken down into sub-tasks: its progress is the "
                               "weighted progress of those sub-tasks."), "percent")
    update = ProgressUpdate(task_id=task.id, author_id=actor.id, percent=percent,
                            note=(note or "").strip(), actual_value=actual_value)
    db.session.add(update)
    before = {"progress": task.progress, "indicator_actual": task.indicator_actual,
              "status": task.status}
    task.progress = percent
    if actual_value is not None:
        task.indicator_actual = actual_value
    if task.status in (Lifecycle.ASSIGNED, Lifecycle.DRAFT, Lifecycle.RETURNED):
        task.status = Lifecycle.IN_PROGRESS
    db.session.flush()
    after = {"progress": task.progress, "indicator_actual": task.indicator_actual,
             "status": task.status}
    audit.record(actor.id, "task.progress", "task", task.id, audit.diff(before, after),
                 comment=update.note, task_id=task.id)
    breakdown.rollup([task.parent_id], actor.id)
    return update


def set_step_done(actor: User, task_id: int, step_id: int, done: bool) -> ProcessStep:
    """Tick or untick one process step."""
    task = get_task(actor, task_id, for_update=True)
    if not (access.can_report(actor, task) or access.can_manage_task(actor, task)):
        raise PermissionDenied()
    require_plan_open(task.plan)
    _require_open(task)
    step = next((s for s in task.steps if s.id == step_id), None)
    if step is None:
        raise NotFound()
    if step.is_done == done:
        return step
    step.is_done = done
    step.done_at = utcnow() if done else None
    step.done_by_id = actor.id if done else None
    db.session.flush()
    audit.record(actor.id, "step.done" if done else "step.undone", "process_step", step.id,
                 {"step": [step.title, step.title], "is_done": [not done, done]}, task_id=task.id)
    return step


def submit_task(actor: User, task_id: int, note: str, today: date,
                uploads: list[evidence.Upload] | None = None, files: Files | None = None) -> Task:
    """The responsible person reports the task done, with evidence: files already attached
    to the task or `uploads` sent with the submission (stored under `files`, the settings'
    upload folder and size limit, which `uploads` need); the leader confirms or returns it."""
    task = get_task(actor, task_id, for_update=True)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    require_plan_open(task.plan)
    if task.status not in (Lifecycle.ASSIGNED, Lifecycle.IN_PROGRESS, Lifecycle.RETURNED):
        raise RuleViolation(_l("Only a task in progress can be submitted."))
    _require_no_open_children(task)
    # DESIGN.md 4: staff submit with evidence, so the leader confirms work they can see.
    if not uploads and not evidence.has_evidence(task.id):
        raise RuleViolation(_l("Attach at least one evidence file (the product or a report on the "
                               "work done) before submitting."), "files")
    if uploads:
        if files is None:
            raise TypeError("submit_task: uploads need `files` (where to keep them)")
        evidence.store(actor, task, uploads, None, files)
    before = {"status": task.status, "submitted_on": task.submitted_on}
    task.status = Lifecycle.SUBMITTED
    task.submitted_on = today
    db.session.flush()
    audit.record(actor.id, "task.submit", "task", task.id,
                 audit.diff(before, {"status": task.status, "submitted_on": task.submitted_on}),
                 comment=(note or "").strip(), task_id=task.id)
    _tell(actor, task.leader_id, "submitted", task)
    return task


def _require_no_open_children(task: Task) -> None:
    """A parent is completed through its sub-tasks (DESIGN.md 5: when the last one is
    confirmed), never submitted or confirmed while one is open, in any plan."""
    n = breakdown.open_children_count(task.id)
    if n:
        raise RuleViolation(_l("This task has %(n)s sub-task(s) not yet completed: it is completed "
                               "when the last of them is confirmed.", n=n))


def _require_reviewer(actor: User, task: Task) -> None:
    """access.can_review; a leader who would review but submitted the work is told why
    (DESIGN.md 4: nobody confirms their own submission)."""
    if access.can_review(actor, task):
        return
    if task.assignee_id == actor.id and (task.leader_id == actor.id
                                         or access.heads_plan_unit(actor, task)):
        raise RuleViolation(_l("You cannot confirm or return your own submission: the head of "
                               "the unit decides on it."))
    raise PermissionDenied()


def confirm_task(actor: User, task_id: int, comment: str) -> Task:
    """Completion date = submission date, so a slow reviewer never makes a task late."""
    task = get_task(actor, task_id, for_update=True)
    _require_reviewer(actor, task)
    require_plan_open(task.plan)
    if task.status != Lifecycle.SUBMITTED:
        raise RuleViolation(_l("Only a submitted task can be confirmed."))
    _require_no_open_children(task)
    before = {"status": task.status, "completed_on": task.completed_on, "progress": task.progress}
    task.status = Lifecycle.COMPLETED
    task.completed_on = task.submitted_on
    task.progress = 100
    db.session.flush()
    audit.record(actor.id, "task.confirm", "task", task.id,
                 audit.diff(before, {"status": task.status, "completed_on": task.completed_on,
                                     "progress": task.progress}),
                 comment=(comment or "").strip(), task_id=task.id)
    _tell(actor, task.assignee_id, "confirmed", task)
    breakdown.rollup([task.parent_id], actor.id)
    return task


def return_task(actor: User, task_id: int, comment: str) -> Task:
    """Send a submission back for rework; the comment says why."""
    task = get_task(actor, task_id, for_update=True)
    _require_reviewer(actor, task)
    require_plan_open(task.plan)
    if task.status != Lifecycle.SUBMITTED:
        raise RuleViolation(_l("Only a submitted task can be returned."))
    if not (comment or "").strip():
        raise RuleViolation(_l("Say why the task is returned."), "comment")
    before = {"status": task.status, "submitted_on": task.submitted_on}
    task.status = Lifecycle.RETURNED
    task.submitted_on = None
    db.session.flush()
    audit.record(actor.id, "task.return", "task", task.id,
                 audit.diff(before, {"status": task.status, "submitted_on": None}),
                 comment=comment.strip(), task_id=task.id)
    _tell(actor, task.assignee_id, "returned", task)
    return task


def _require_can_exclude(actor: User, task: Task) -> None:
    """Cancel, suspend, resume: see access.can_exclude; a deputy who manages the task is
    told why rather than shown a bare 403."""
    if access.can_exclude(actor, task):
        return
    if access.can_manage_task(actor, task):
        require_plan_open(task.plan)
        raise RuleViolation(_l("The plan has been issued: only the head of the unit whose plan "
                               "assigned this task can cancel, suspend or resume it."))
    raise PermissionDenied()


def cancel_task(actor: User, task_id: int, reason: str, today: date) -> Task:
    """Cancel with a reason. The day is kept (excluded_on): a task cancelled after it fell
    due still counts as not completed (DESIGN.md 4); one cancelled before leaves the rates."""
    task = get_task(actor, task_id, for_update=True)
    _require_can_exclude(actor, task)
    require_plan_open(task.plan)
    if task.status != Lifecycle.SUSPENDED:
        _require_open(task)
    if not (reason or "").strip():
        raise RuleViolation(_l("Give the reason for cancelling."), "reason")
    before = {"status": task.status, "excluded_on": task.excluded_on}
    task.status = Lifecycle.CANCELLED
    task.cancel_reason = reason.strip()
    task.excluded_on = today
    db.session.flush()
    audit.record(actor.id, "task.cancel", "task", task.id,
                 audit.diff(before, {"status": task.status, "excluded_on": task.excluded_on}),
                 comment=task.cancel_reason, task_id=task.id)
    breakdown.rollup([task.parent_id], actor.id)
    return task


def suspend_task(actor: User, task_id: int, reason: str, today: date) -> Task:
    """Suspend (tạm dừng) with a reason; as cancelling, the day is kept (excluded_on)."""
    task = get_task(actor, task_id, for_update=True)
    _require_can_exclude(actor, task)
    require_plan_open(task.plan)
    _require_open(task)
    if task.status == Lifecycle.SUBMITTED:
        raise RuleViolation(_l("The task is awaiting confirmation; confirm or return it first."))
    if not (reason or "").strip():
        raise RuleViolation(_l("Give the reason for suspending."), "reason")
    before = {"status": task.status, "excluded_on": task.excluded_on}
    task.status = Lifecycle.SUSPENDED
    task.cancel_reason = reason.strip()
    task.excluded_on = today
    db.session.flush()
    audit.record(actor.id, "task.suspend", "task", task.id,
                 audit.diff(before, {"status": task.status, "excluded_on": task.excluded_on}),
                 comment=task.cancel_reason, task_id=task.id)
    _tell(actor, task.assignee_id, "suspended", task)
    breakdown.rollup([task.parent_id], actor.id)
    return task


def resume_task(actor: User, task_id: int, comment: str = "") -> Task:
    """Resume (tiếp tục) a suspended task: it counts again, in progress (or assigned when
    nothing was reported yet), with its due date unchanged."""
    task = get_task(actor, task_id, for_update=True)
    _require_can_exclude(actor, task)
    require_plan_open(task.plan)
    if task.status != Lifecycle.SUSPENDED:
        raise RuleViolation(_l("Only a suspended task can be resumed."))
    before = {"status": task.status, "excluded_on": task.excluded_on}
    task.status = Lifecycle.IN_PROGRESS if task.progress else Lifecycle.ASSIGNED
    task.excluded_on = None
    task.cancel_reason = ""
    db.session.flush()
    audit.record(actor.id, "task.resume", "task", task.id,
                 audit.diff(before, {"status": task.status, "excluded_on": task.excluded_on}),
                 comment=(comment or "").strip(), task_id=task.id)
    _tell(actor, task.assignee_id, "resumed", task)
    breakdown.rollup([task.parent_id], actor.id)
    return task


def history(task: Task) -> list[AuditLog]:
    """Every change of a task, oldest first."""
    return db.session.scalars(select(AuditLog).where(AuditLog.task_id == task.id)
                              .options(selectinload(AuditLog.actor))
                              .order_by(AuditLog.at, AuditLog.id)).all()


def progress_updates(task: Task) -> list[ProgressUpdate]:
    return db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
                              .options(selectinload(ProgressUpdate.author),
                                       selectinload(ProgressUpdate.evidence))
                              .order_by(ProgressUpdate.created_at.desc(),
                                        ProgressUpdate.id.desc())).all()


def children(task: Task) -> list[Task]:
    # The plan too: a task broken down in a unit's plan shows which unit holds each child.
    return db.session.scalars(select(Task).where(Task.parent_id == task.id)
                              .options(selectinload(Task.assignee), selectinload(Task.plan))
                              .order_by(Task.order_key)).all()


# ---- lists -------------------------------------------------------------------

def timeliness_condition(value: str, today: date, due_soon_days: int):
    """SQL for one timeliness value, written so that indexes on due_on apply."""
    open_ = Task.status.in_([s.value for s in OPEN_STATUSES])
    completed = Task.status == Lifecycle.COMPLETED
    soon = today + timedelta(days=due_soon_days)
    # A submission made on time and awaiting confirmation is within deadline (domain.status).
    waiting = overdue.awaiting_on_time()
    return {
        Timeliness.OVERDUE: overdue.overdue_condition(today),
        # A task of a draft plan has not started (DESIGN.md 4): never overdue nor due soon.
        Timeliness.DUE_SOON: and_(open_, Task.due_on >= today, Task.due_on <= soon, not_(waiting),
                                  overdue.in_issued_plan()),
        Timeliness.WITHIN: and_(open_, or_(Task.due_on > soon, Task.due_on.is_(None), waiting,
                                           not_(overdue.in_issued_plan()))),
        Timeliness.DONE_ON_TIME: and_(completed, or_(Task.due_on.is_(None),
                                                     Task.completed_on <= Task.due_on)),
        Timeliness.DONE_LATE: and_(completed, Task.completed_on > Task.due_on),
        Timeliness.EXCLUDED: Task.status.in_([s.value for s in EXCLUDED_STATUSES]),
    }.get(value)


# Filter words beside ids, so that every row of the home page's tables opens the tasks it
# counts: "none" (no lead unit, leader or field) and "other" (led by a unit outside the
# reader's units, or by someone who is not one of the reader's unit's leaders).
NONE, OTHER = "none", "other"

# Work still on someone's desk: everything but completed and cancelled. A suspended task
# is not done either: it resumes, so it is carried over with the rest.
CARRY_STATUSES = tuple(s for s in Lifecycle if s not in (Lifecycle.COMPLETED, Lifecycle.CANCELLED))
# `status=` of the lists: the unfinished tasks (CARRY_STATUSES), or all of them.
UNFINISHED, ALL = "unfinished", "all"
# Under `unfinished`, only these timeliness values can match; the others are not offered.
UNFINISHED_TIMELINESS = (Timeliness.OVERDUE, Timeliness.DUE_SOON, Timeliness.WITHIN,
                         Timeliness.EXCLUDED)
# The plan form's range (app/plans/forms.py): any other `year=` is junk.
YEARS = range(2000, 2101)


def plan_year_condition(year: int, carry: bool = False):
    """SQL: the tasks of the plans of `year`; with `carry`, also the tasks of earlier
    years' plans not completed or cancelled (work carried over: what a head manages now).

    The year is on the plans, a small table: the plan ids come from a subquery (SQLite
    keeps them in a temporary index), and each task of the reader's scope, found by the
    scope's indexes, is tested against them. "Not of a plan of this year or later" rather
    than "of an earlier plan" (the same set: plan_id is never NULL) keeps the earlier
    years' plans from driving the query: SQLite would read every task of every past year
    through the plan index to find their few unfinished ones, 1.7 times slower for a
    department's head on the benchmark (docs/performance.md)."""
    this_year = Task.plan_id.in_(select(Plan.id).where(Plan.year == year))
    if not carry:
        return this_year
    not_later = Task.plan_id.not_in(select(Plan.id).where(Plan.year >= year))
    return or_(this_year, and_(Task.status.in_([s.value for s in CARRY_STATUSES]), not_later))


@dataclass
class TaskFilter:
    plan_id: int | None = None
    unit_id: int | str | None = None  # an id (its subtree), NONE or OTHER
    field_id: int | str | None = None  # an id or NONE
    assignee_id: int | None = None
    leader_id: int | str | None = None  # an id, NONE or OTHER
    timeliness: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    year: int | None = None  # the plans' year
    carry: bool = False  # with `year`: also earlier years' tasks not completed or cancelled
    unfinished: bool = False  # only tasks not completed or cancelled (CARRY_STATUSES)
    q: str = ""
    sort: str = "due"
    page: int = 1
    mine: bool = False


SORTS = {
    # Undated tasks last either way, on every database (SQLite and PostgreSQL
    # put NULLs at opposite ends by default).
    "due": (Task.due_on.asc().nulls_last(), Task.id.asc()),
    "-due": (Task.due_on.desc().nulls_last(), Task.id.desc()),
    # Vietnamese alphabetical order (a < ă < â, d < đ), not the folded title's (d = đ).
    "title": (Task.title_sort.asc(), Task.id.asc()),
    "-title": (Task.title_sort.desc(), Task.id.desc()),
    "stt": (Task.plan_id.asc(), Task.order_key.asc()),
    "progress": (Task.progress.asc(), Task.id.asc()),
    "-progress": (Task.progress.desc(), Task.id.desc()),
    "-updated": (Task.updated_at.desc(), Task.id.desc()),
}


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def unit_leaders(unit_id: int) -> list:
    """The active leaders (head, deputies) of one unit: (id, full_name, role, name_sort).
    The home page's leader table has a row for each, and OTHER for everyone else."""
    return db.session.execute(
        select(User.id, User.full_name, User.role, User.name_sort)
        .where(User.unit_id == unit_id, User.role.in_([r.value for r in LEADER_ROLES]),
               User.is_active)).all()


def _unit_in_scope(actor: User, unit: Unit) -> bool:
    """access.unit_scope for one loaded unit: the units the reader's lists may filter by."""
    if access.reads_everything(actor):
        return True
    if actor.role in (Role.HEAD, Role.DEPUTY):
        return access.in_subtree(actor, unit)
    return unit.id == actor.unit_id


def clean_filter(actor: User, f: TaskFilter) -> TaskFilter:
    """The filter without the values the reader's lists do not offer: a unit outside the
    reader's units, or OTHER for the assessor and the admin (they read every unit). Such a
    value is ignored, as junk is, rather than shown as "All" over a filtered list; a filter
    never widens the reader's scope, and never names a unit they may not open."""
    unit_id, leader_id = f.unit_id, f.leader_id
    if isinstance(unit_id, int):
        unit = db.session.get(Unit, unit_id)
        if unit is None or not _unit_in_scope(actor, unit):
            unit_id = None
    if access.reads_everything(actor):
        unit_id = None if unit_id == OTHER else unit_id
        leader_id = None if leader_id == OTHER else leader_id
    year = f.year if f.year in YEARS else None
    timeliness = f.timeliness
    if f.unfinished and timeliness not in UNFINISHED_TIMELINESS:
        timeliness = None  # completed ones: none is unfinished, and the tab does not offer them
    return replace(f, unit_id=unit_id, leader_id=leader_id, year=year,
                   carry=f.carry and year is not None, timeliness=timeliness)


def list_tasks(actor: User, f: TaskFilter, today: date, due_soon_days: int = 3,
               per_page: int = 50) -> Page:
    """One page of the tasks the actor may read, filtered, searched and sorted."""
    f = clean_filter(actor, f)
    conds = [access.task_scope(actor)]
    if f.mine:
        conds.append(Task.assignee_id == actor.id)
    if f.plan_id:
        conds.append(Task.plan_id == f.plan_id)
    if f.unit_id == NONE:
        conds.append(Task.lead_unit_id.is_(None))
    elif f.unit_id == OTHER:
        mine = db.session.scalars(select(Unit.id).where(access.unit_scope(actor))).all()
        conds.append(and_(Task.lead_unit_id.is_not(None), Task.lead_unit_id.not_in(mine)))
    elif f.unit_id:
        unit = db.session.get(Unit, f.unit_id)
        conds.append(Task.lead_unit_id.in_(access.subtree_ids(unit.path)))
    if f.field_id == NONE:
        conds.append(Task.field_id.is_(None))
    elif f.field_id:
        conds.append(Task.field_id == f.field_id)
    if f.assignee_id:
        conds.append(Task.assignee_id == f.assignee_id)
    if f.leader_id == NONE:
        conds.append(Task.leader_id.is_(None))
    elif f.leader_id == OTHER:
        ids = [r.id for r in unit_leaders(actor.unit_id)]
        conds.append(and_(Task.leader_id.is_not(None), Task.leader_id.not_in(ids)))
    elif f.leader_id:
        conds.append(Task.leader_id == f.leader_id)
    cond = timeliness_condition(f.timeliness, today, due_soon_days) if f.timeliness else None
    if cond is not None:
        conds.append(cond)
    if f.due_from:
        conds.append(Task.due_on >= f.due_from)
    if f.due_to:
        conds.append(Task.due_on <= f.due_to)
    if f.year:
        conds.append(plan_year_condition(f.year, f.carry))
    if f.unfinished:
        conds.append(Task.status.in_([s.value for s in CARRY_STATUSES]))
    q = fold(f.q)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(Task.title_folded.like(f"%{escaped}%", escape="\\"))
    where = and_(*conds)
    total = db.session.scalar(select(func.count()).select_from(Task).where(where))
    page = max(1, f.page)
    items = db.session.scalars(
        select(Task).where(where)
        # What the list shows (lead unit, responsible person, leader), joined in the same
        # statement: one query instead of four (the plan is not shown).
        # The plan too (its status and year say "draft" and "carried over" beside a task), in
        # a second small query: joined here, PostgreSQL read every task (tests/test_indexes.py).
        .options(joinedload(Task.assignee), joinedload(Task.leader), joinedload(Task.lead_unit),
                 selectinload(Task.plan))
        .order_by(*SORTS.get(f.sort, SORTS["due"]))
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, total or 0, page, per_page)


@dataclass
class Choices:
    units: list
    all_units: list
    people: list
    leaders: list
    fields: list


def choices_for_plan(plan: Plan) -> Choices:
    """What the task form offers: units, people and leaders of the plan's subtree."""
    subtree = access.subtree_ids(plan.unit.path)
    units = tree_order(db.session.execute(
        select(Unit.id, Unit.name, Unit.code, Unit.path, Unit.kind, Unit.name_sort)
        .where(Unit.id.in_(subtree), Unit.is_active)).all())
    all_units = db.session.execute(select(Unit.id, Unit.name, Unit.code).where(Unit.is_active)
                                   .order_by(Unit.name_sort)).all()
    # Only the unit's own people answer for tasks: not the assessor, not the administrator.
    # Namesakes are told apart by the username in the label (app/tasks/routes.py).
    place = {u.id: i for i, u in enumerate(units)}
    people = sorted(db.session.execute(
        select(User.id, User.full_name, User.username, User.role, User.unit_id, Unit.name)
        .join(Unit, User.unit_id == Unit.id)
        .where(User.unit_id.in_(subtree), User.is_active,
               User.role.in_([Role.HEAD, Role.DEPUTY, Role.STAFF]))
        .order_by(User.name_sort, User.id)).all(), key=lambda p: place.get(p.unit_id, len(place)))
    leaders = [p for p in people if p.role in LEADER_ROLES]
    fields = db.session.execute(select(Field.id, Field.name)
                                .where((Field.unit_id == plan.unit_id) | Field.unit_id.is_(None))
                                .order_by(Field.name_sort)).all()
    return Choices(units, all_units, people, leaders, fields)


@dataclass
class FilterOptions:
    plans: list
    units: list
    fields: list
    people: list
    leaders: list
    others: bool = True  # whether OTHER (units, leaders) is offered


def filter_options(actor: User, unit_id: int | str | None = None) -> FilterOptions:
    """The choices of the list filters, limited to what the actor may read; a retired unit
    only when it is the one chosen (the home page links to it while it has tasks)."""
    plans = db.session.execute(select(Plan.id, Plan.title, Plan.year).where(access.plan_scope(actor))
                               .order_by(Plan.year.desc(), Plan.title).limit(300)).all()
    shown = Unit.is_active | (Unit.id == unit_id) if isinstance(unit_id, int) else Unit.is_active
    units = tree_order(db.session.execute(
        select(Unit.id, Unit.name, Unit.path, Unit.kind, Unit.name_sort)
        .where(access.unit_scope(actor), shown).order_by(Unit.path).limit(1000)).all())
    unit_ids = select(Unit.id).where(access.unit_scope(actor))
    fields = db.session.execute(select(Field.id, Field.name)
                                .where(Field.unit_id.in_(unit_ids) | Field.unit_id.is_(None))
                                .order_by(Field.name_sort).limit(300)).all()
    people = db.session.execute(select(User.id, User.full_name, User.role)
                                .where(User.unit_id.in_(unit_ids), User.is_active)
                                .order_by(User.name_sort).limit(1000)).all()
    leaders = [p for p in people if p.role in LEADER_ROLES]
    return FilterOptions(plans, units, fields, people, leaders, not access.reads_everything(actor))


@dataclass
class AmendmentList:
    """A task's amendments, newest last, and the names their changes mention."""

    rows: list
    names: dict


def list_amendments(task: Task) -> AmendmentList:
    """The amendments (điều chỉnh) of a task: who, when, what, why."""
    rows = list(db.session.scalars(select(Amendment).where(Amendment.task_id == task.id)
                                   .options(selectinload(Amendment.actor))
                                   .order_by(Amendment.at, Amendment.id)))
    return AmendmentList(rows, history_names(rows) if rows else {"user": {}, "unit": {}, "field": {}})


def history_names(rows: list[AuditLog]) -> dict[str, dict[int, str]]:
    """Names for the ids that history rows mention (people, units, fields), in three queries."""
    wanted: dict[str, set[int]] = {"user": set(), "unit": set(), "field": set()}
    kinds = {"assignee_id": "user", "leader_id": "user", "lead_unit_id": "unit",
             "coordinators": "unit", "field_id": "field"}
    for row in rows:
        for key, pair in json.loads(row.changes).items():
            kind = kinds.get(key)
            if kind is None:
                continue
            for value in pair:
                for v in (value if isinstance(value, list) else [value]):
                    if isinstance(v, int):
                        wanted[kind].add(v)
    out: dict[str, dict[int, str]] = {"user": {}, "unit": {}, "field": {}}
    if wanted["user"]:
        out["user"] = dict(db.session.execute(select(User.id, User.full_name)
                                              .where(User.id.in_(wanted["user"]))).all())
    if wanted["unit"]:
        out["unit"] = dict(db.session.execute(select(Unit.id, Unit.name)
                                              .where(Unit.id.in_(wanted["unit"]))).all())
    if wanted["field"]:
        out["field"] = dict(db.session.execute(select(Field.id, Field.name)
                                               .where(Field.id.in_(wanted["field"]))).all())
    return out
