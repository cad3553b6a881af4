"""Task commands (what writes): create, edit, report progress, tick steps, submit, confirm,
return, cancel, suspend, resume. What reads is in app/tasks/queries.py."""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select

from app.common import access, audit
from app.common.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RuleViolation,
    RuleViolations,
)
from app.deadlines import sweep as overdue
from app.directory import units
from app.domain import task_rules as rules
from app.domain.six_clears import Step
from app.domain.status import OPEN_STATUSES, Lifecycle
from app.domain.task_rules import RuleSettings
from app.extensions import db
from app.models import (
    Amendment,
    Field,
    Plan,
    PlanStatus,
    ProcessStep,
    ProgressUpdate,
    Role,
    Task,
    Unit,
    User,
    task_coordinator_contacts,
    task_coordinators,
)
from app.models.base import utcnow
from app.settings import Files, task_rules_from_config
from app.tasks import breakdown, evidence
from app.tasks.messages import message
from app.tasks.queries import changes_since, detail_options, get_plan, get_task

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
    is_key: bool = False
    indicator_direction: str = "higher"


def require_plan_open(plan: Plan) -> None:
    """The rule set's check_plan_open for the commands that do not save the task form."""
    for v in rules.check_plan_open(str(plan.status)):
        raise RuleViolation(message(v), v.field)


_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(part: str) -> int | None:
    if not part or any(ch not in _ROMAN_DIGITS for ch in part):
        return None
    total = 0
    for a, b in zip(part, part[1:] + " ", strict=True):
        v = _ROMAN_DIGITS[a]
        total += -v if _ROMAN_DIGITS.get(b, 0) > v else v
    return total


def order_key(stt: str) -> str:
    """The sort key of a plan number: "2.10" after "2.9" (each part padded to four digits);
    an official section first ("IV.2" after "III.5", issue 14), letters after numbers ("2.a")."""
    parts = stt.split(".")
    section = _roman(parts[0]) if len(parts) > 1 else None
    if section is not None:
        parts[0] = str(section)
    return ".".join(p.zfill(4) for p in parts)[:128]


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
        if tail.isdecimal():
            last = max(last, int(tail))
    return f"{parent.stt}.{last + 1}" if parent else str(last + 1)


# The settings are read with the app's others (app/settings.py); the name stays here.
rule_settings = task_rules_from_config


def plan_facts(plan: Plan, status: str | None = None) -> rules.PlanFacts:
    """The plan as the rule set sees it (its unit must be loaded); `status` as if it were
    in that one (a recurring rule is checked as if added to an issued plan)."""
    return rules.PlanFacts(plan.id, plan.unit_id, plan.unit.path, plan.year, plan.period_start,
                           plan.period_end, str(status or plan.status),
                           agency_path=units.agency_path(plan.unit))


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
        extension_count=task.extension_count or 0, is_key=bool(task.is_key),
        indicator_direction=task.indicator_direction or "higher")


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
        indicator_target=data.indicator_target, field_id=data.field_id, weight=data.weight,
        is_key=bool(data.is_key), indicator_direction=data.indicator_direction or "higher")


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


def _plan_status(plan_id: int) -> str:
    """A plan's status read alone (a parent task's plan is not loaded with it)."""
    return str(db.session.scalar(select(Plan.status).where(Plan.id == plan_id)))


def _check(actor: User, plan: Plan, before: rules.TaskValues | None, after: rules.TaskValues,
           parent: Task | None, today: date, settings: RuleSettings,
           amendment_reason: str) -> None:
    violations = rules.check_task(
        plan=plan_facts(plan), actor=actor_facts(actor), before=before, after=after,
        directory=directory_for(before, after), today=today, settings=settings,
        parent_due_on=parent.due_on if parent is not None else None,
        parent_plan_status=_plan_status(parent.plan_id) if parent is not None else None,
        amendment_reason=amendment_reason)
    # A field id that names no field (the form turns text and out-of-range numbers into -1)
    # was a foreign-key error at INSERT, a 500: refused beside the field instead.
    fid = after.field_id
    if fid is not None and (before is None or fid != before.field_id) and db.session.scalar(
            select(Field.id).where(Field.id == fid)) is None:
        violations.append(rules.Violation("field_id", "field_unknown", ()))
    raise_violations(violations)


def _coordinators(data: TaskInput) -> list[Unit]:
    ids = sorted(set(data.coordinator_ids))
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids))))


def snapshot(task: Task) -> dict:
    """What the audit log keeps of a task (its form's values), before and after a change."""
    return {
        "title": task.title, "description": task.description, "assignee_id": task.assignee_id,
        "lead_unit_id": task.lead_unit_id, "leader_id": task.leader_id,
        "responsibility": task.responsibility, "start_on": task.start_on, "due_on": task.due_on,
        "output_product": task.output_product, "indicator_name": task.indicator_name,
        "indicator_unit": task.indicator_unit, "indicator_target": task.indicator_target,
        "field_id": task.field_id, "weight": task.weight, "is_key": task.is_key,
        "indicator_direction": task.indicator_direction,
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
    task.is_key = bool(data.is_key)
    task.indicator_direction = data.indicator_direction or "higher"
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


def _tell(actor: User, user_id: int | None, kind: str, task: Task, message: str = "") -> None:
    """An event notification to one person (never to the one who acted); the task's
    version, moved by every change, keeps each event's key unique."""
    if not user_id or user_id == actor.id:
        return
    if kind == "assigned" and db.session.scalar(
            select(Plan.status).where(Plan.id == task.plan_id)) == PlanStatus.DRAFT:
        # Draft plans are quiet: the "assigned" notice is sent when the plan is issued
        # (plans.issue_plan), for every task at once.
        return
    overdue.notify([user_id], kind, task.id, f"{kind}:{task.id}:v{task.version}", message=message)


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
                stt=stt, order_key=order_key(stt), created_by_id=actor.id,
                status=Lifecycle.ASSIGNED, title="", title_folded="", steps=[], coordinators=[],
                head_confirms=rules.head_confirms_addition(plan_facts(plan), actor_facts(actor)),
                added_after_issue=rules.added_after_issue(
                    plan_facts(plan), parent.added_after_issue if parent else False))
    _apply(task, data, _coordinators(data), plan.status == PlanStatus.DRAFT)
    db.session.add(task)
    db.session.flush()
    audit.record(actor.id, "task.create", "task", task.id, audit.diff({}, snapshot(task)),
                 task_id=task.id)
    _tell(actor, task.assignee_id, "assigned", task)
    tell_coordinators(actor, task, [u.id for u in task.coordinators])
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
    before = snapshot(task)
    _apply(task, data, _coordinators(data), plan.status == PlanStatus.DRAFT)
    changes = audit.diff(before, snapshot(task))
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
    added = {u.id for u in task.coordinators} - set(before["coordinators"])
    tell_coordinators(actor, task, sorted(added))
    refresh_clear(task)
    if "weight" in changes:
        breakdown.rollup([task.parent_id], actor.id)
    return task


# ---- coordinating units (issue 17 §2) -------------------------------------------------------

NOTE_LENGTH = 2000


def coordinating_heads(unit_ids) -> list[int]:
    """The active heads of the given units: those told when their unit coordinates a task."""
    if not unit_ids:
        return []
    return list(db.session.scalars(select(User.id).where(
        User.unit_id.in_(list(unit_ids)), User.role == Role.HEAD, User.is_active)))


def tell_coordinators(actor: User, task: Task, unit_ids, people=None) -> None:
    """The "coordinating" notice (the coordinator's "assigned") to the heads of `unit_ids`,
    or to `people`, once the plan is issued (a draft plan is quiet: plans.service.issue tells
    every coordinating head then)."""
    who = list(people) if people is not None else coordinating_heads(unit_ids)
    who = [uid for uid in who if uid and uid != actor.id]
    if not who or db.session.scalar(
            select(Plan.status).where(Plan.id == task.plan_id)) == PlanStatus.DRAFT:
        return
    overdue.notify(who, "coordinating", task.id, f"coordinating:{task.id}:v{task.version}")


def contacts_of(task_id: int) -> dict[int, list[User]]:
    """The named contact persons of each coordinating unit of a task (unit id -> people),
    those of units that no longer coordinate it left out."""
    rows = db.session.execute(
        select(task_coordinator_contacts.c.unit_id, User)
        .join(User, User.id == task_coordinator_contacts.c.user_id)
        .join(task_coordinators, (task_coordinators.c.task_id == task_coordinator_contacts.c.task_id)
              & (task_coordinators.c.unit_id == task_coordinator_contacts.c.unit_id))
        .where(task_coordinator_contacts.c.task_id == task_id)
        .order_by(User.name_sort, User.id)).all()
    out: dict[int, list[User]] = {}
    for unit_id, user in rows:
        out.setdefault(unit_id, []).append(user)
    return out


def contact_choices(unit_id: int) -> list[User]:
    """The active people of a coordinating unit, whom its head may name."""
    return list(db.session.scalars(select(User).where(User.unit_id == unit_id, User.is_active)
                                   .order_by(User.name_sort, User.id)))


def name_contacts(actor: User, task_id: int, unit_id: int, user_ids: list[int]) -> list[int]:
    """The head of a coordinating unit names the unit's contact persons for the task (the
    whole list: people left out are no longer named). Only active people of that unit; the
    newly named are told. Audited on the task's history."""
    task = get_task(actor, task_id, for_update=True)
    unit = next((u for u in task.coordinators if u.id == unit_id), None)
    if unit is None:
        raise NotFound()
    if not access.can_name_contacts(actor, task, unit):
        raise PermissionDenied()
    require_plan_open(task.plan)
    wanted = sorted(set(user_ids))
    allowed = {u.id for u in contact_choices(unit.id)}
    if any(uid not in allowed for uid in wanted):
        raise RuleViolation(_l("Only active people of the coordinating unit can be named."),
                            "user_ids")
    before = sorted(db.session.scalars(
        select(task_coordinator_contacts.c.user_id)
        .where(task_coordinator_contacts.c.task_id == task.id,
               task_coordinator_contacts.c.unit_id == unit.id)))
    if wanted == before:
        return wanted
    db.session.execute(delete(task_coordinator_contacts).where(
        task_coordinator_contacts.c.task_id == task.id,
        task_coordinator_contacts.c.unit_id == unit.id))
    # A person named by another coordinating unit of the same task stays with that unit.
    taken = set(db.session.scalars(select(task_coordinator_contacts.c.user_id).where(
        task_coordinator_contacts.c.task_id == task.id)))
    rows = [{"task_id": task.id, "user_id": uid, "unit_id": unit.id}
            for uid in wanted if uid not in taken]
    if rows:
        db.session.execute(insert(task_coordinator_contacts), rows)
    audit.record(actor.id, "task.coordinator_contacts", "task", task.id,
                 {"contacts": [before, wanted], "for_units": [None, [unit.id]]}, task_id=task.id)
    tell_coordinators(actor, task, [], people=[uid for uid in wanted if uid not in before])
    return wanted


def add_coordinator_note(actor: User, task_id: int, note: str) -> None:
    """A coordinating unit's head or contact person writes a note on the task's progress.
    A note, not a report: it changes neither the progress, the status, the dates nor the
    version of the task (so no score, no timeliness and no reminder moves), it is kept in the
    task's history as the coordinator's, naming the unit(s) it speaks for."""
    task = get_task(actor, task_id)
    units = access.coordination_of(actor, task)
    if not units:
        raise PermissionDenied()
    require_plan_open(task.plan)
    if task.plan.status == PlanStatus.DRAFT:
        raise RuleViolation(_l("The plan has not been issued yet."))
    _require_open(task)
    text = (note or "").strip()
    if not text:
        raise RuleViolation(_l("Write the note."), "note")
    if len(text) > NOTE_LENGTH:
        raise RuleViolation(_l("The note is longer than %(n)s characters.", n=NOTE_LENGTH), "note")
    audit.record(actor.id, "task.coordinator_note", "task", task.id,
                 {"for_units": [None, units]}, comment=text, task_id=task.id)


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
    for v in rules.check_progress(percent):
        raise RuleViolation(message(v), v.field)
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


def withdraw_submission(actor: User, task_id: int, note: str = "") -> Task:
    """The responsible person takes back a submission before it is decided, to add to the
    work. Integrity (docs/integrity.md): the submission date is cleared, so the task is
    judged again on its due date as any open task, and a later submission is dated the day
    it is made; the overdue flag is left as it was. Withdrawing can make a task late, never
    on time. Audited."""
    task = get_task(actor, task_id, for_update=True)
    if not access.can_report(actor, task):
        raise PermissionDenied()
    require_plan_open(task.plan)
    if task.status != Lifecycle.SUBMITTED:
        raise RuleViolation(_l("Only a submission not yet decided can be withdrawn."))
    before = {"status": task.status, "submitted_on": task.submitted_on}
    task.status = Lifecycle.IN_PROGRESS if task.progress else Lifecycle.ASSIGNED
    task.submitted_on = None
    db.session.flush()
    audit.record(actor.id, "task.withdraw", "task", task.id,
                 audit.diff(before, {"status": task.status, "submitted_on": None}),
                 comment=(note or "").strip(), task_id=task.id)
    _tell(actor, task.leader_id, "withdrawn", task)
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
    if task.head_confirms and task.leader_id == actor.id:
        raise RuleViolation(addition_reviewer_message(task))
    raise PermissionDenied()


def addition_reviewer_message(task: Task):
    """Why the accountable leader of work added after issue below the head does not confirm
    it, naming who does: the head(s) of the plan's unit (task_rules.head_confirms_addition)."""
    unit = task.plan.unit
    heads = db.session.scalars(select(User.full_name).where(
        User.unit_id == unit.id, User.role == Role.HEAD, User.is_active)
        .order_by(User.name_sort, User.id)).all()
    if heads:
        return _l("This task was added to the plan after it was issued: %(heads)s, head of "
                  "%(unit)s, confirms or returns it, not its accountable leader.",
                  heads=", ".join(heads), unit=unit.name)
    return _l("This task was added to the plan after it was issued: the head of %(unit)s "
              "confirms or returns it, not its accountable leader.", unit=unit.name)


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
    _tell(actor, task.assignee_id, "returned", task, comment.strip())
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
