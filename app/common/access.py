"""Who may see and do what. Every service checks here; templates only hide buttons."""

from flask import g, has_request_context, request
from sqlalchemy import and_, bindparam, false, or_, select, true

from app.extensions import db
from app.models import (
    Plan,
    Role,
    Task,
    Unit,
    User,
    task_coordinator_contacts,
    task_coordinators,
)


def subtree_ids(unit_path: str):
    """Select of the ids of a unit and every unit below it."""
    return select(Unit.id).where(Unit.path.like(unit_path + "%"))


def subtree_id_list(unit_path: str) -> list[int]:
    """The ids of a unit and every unit below it (one small query; once a request for a
    GET, which changes no unit: the overdue list and the home page each asked twice)."""
    if not (has_request_context() and request.method in ("GET", "HEAD")):
        return list(db.session.scalars(subtree_ids(unit_path)))
    known = g.setdefault("subtree_id_lists", {})
    if unit_path not in known:
        known[unit_path] = list(db.session.scalars(subtree_ids(unit_path)))
    return list(known[unit_path])


def home_unit_ids(user: User) -> list[int]:
    """The units whose plans a staff member works in: their own, and for a section
    (phòng) inside a department, the department too."""
    ids = [user.unit_id]
    if user.unit.kind == "section" and user.unit.parent_id:
        ids.append(user.unit.parent_id)
    return ids


def reads_everything(user: User) -> bool:
    """The assessor and the administrator read every unit, also when the capability is
    carried besides a post (User.has_role: permissions are the union)."""
    return user.has_role(Role.ADMIN, Role.ASSESSOR)


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def is_assessor(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.ASSESSOR)


def holds_post_in(user: User, unit_id: int, unit_path: str) -> bool:
    """Whether `user` belongs to the unit, or leads a unit above it: the unit's score is
    then partly theirs, and the assessor capability must not let them bend it (an appraiser
    never appraises such a unit's sheet)."""
    if user.unit_id == unit_id:
        return True
    return user.role in (Role.HEAD, Role.DEPUTY) and unit_path.startswith(user.unit.path)


def can_see_person(actor: User, person: User) -> bool:
    """A person's page: oneself, whoever reads every unit, a leader over the person's unit,
    a colleague of the same unit."""
    if actor.id == person.id or reads_everything(actor):
        return True
    if actor.role in (Role.HEAD, Role.DEPUTY):
        return in_subtree(actor, person.unit)
    return actor.unit_id == person.unit_id


def can_edit_fields(actor: User, person: User) -> bool:
    """A deputy's fields of responsibility: the administrator, or the head of the deputy's
    own unit; never the deputy herself (her fields decide which tasks, and so which score,
    she answers for), nor a head of another unit."""
    if person.role != Role.DEPUTY or actor.id == person.id:
        return False
    if actor.has_role(Role.ADMIN):
        return True
    return actor.role == Role.HEAD and actor.unit_id == person.unit_id


def can_edit_roles(actor: User, person: User) -> bool:
    """Extra capabilities: only the administrator, and never their own."""
    return actor.has_role(Role.ADMIN) and actor.id != person.id


# ---- coordinating units (issue 17 §2) -------------------------------------------------------
# The head of a coordinating unit (or of a unit above it) and the people that head names as
# the unit's contact persons see the task, get its "coordinating" notice and may add a
# coordinator's note. They never edit it, report progress, submit or review it: those checks
# below name the task's own people only.

def coordinating_unit_ids(user: User) -> list[int]:
    """The units whose coordination `user` answers for as their head: the head's unit and
    its sub-units; none for anyone else."""
    if user.role != Role.HEAD:
        return []
    return subtree_id_list(user.unit.path)


def coordinated_task_ids(user: User, unit_ids: list[int] | None = None):
    """Select of the ids of the tasks `user` takes part in as coordinator: those a unit they
    head coordinates, and those they are named a contact person for (while the unit that
    named them still coordinates the task)."""
    ids = coordinating_unit_ids(user) if unit_ids is None else unit_ids
    named = (select(task_coordinator_contacts.c.task_id)
             .join(task_coordinators, and_(
                 task_coordinators.c.task_id == task_coordinator_contacts.c.task_id,
                 task_coordinators.c.unit_id == task_coordinator_contacts.c.unit_id))
             .where(task_coordinator_contacts.c.user_id == user.id))
    if not ids:
        return named
    return named.union(select(task_coordinators.c.task_id)
                       .where(task_coordinators.c.unit_id.in_(ids)))


def _coordinated_beyond(user: User, ids: list[int]) -> list[int]:
    """The ids of the tasks `user` coordinates that the rest of their scope does not already
    hold (not owned nor led by `ids`, their subtree or home units): a list, usually a few, so
    that the scope stays an OR of indexed `IN (list)` terms (PostgreSQL scans every task for
    `id IN (SELECT ...)` inside an OR; tests/test_indexes.py)."""
    coordinated = coordinated_task_ids(user, ids if user.role == Role.HEAD else [])
    sub = coordinated.subquery()
    return list(db.session.scalars(
        select(Task.id).where(Task.id.in_(select(sub.c.task_id)),
                              Task.owner_unit_id.not_in(ids),
                              Task.lead_unit_id.is_(None) | Task.lead_unit_id.not_in(ids))))


def coordination_of(user: User, task: Task) -> list[int]:
    """The coordinating units of `task` that `user` takes part for (as their head or as a
    named contact person); empty when they do not coordinate it."""
    coordinators = {u.id for u in task.coordinators}
    if not coordinators:
        return []
    units = set(coordinating_unit_ids(user)) & coordinators
    units.update(uid for uid in db.session.scalars(
        select(task_coordinator_contacts.c.unit_id)
        .where(task_coordinator_contacts.c.task_id == task.id,
               task_coordinator_contacts.c.user_id == user.id)) if uid in coordinators)
    return sorted(units)


def can_name_contacts(user: User, task: Task, unit: Unit) -> bool:
    """The head of a coordinating unit (or of a unit above it) names its contact persons."""
    return (user.role == Role.HEAD and in_subtree(user, unit)
            and unit.id in {u.id for u in task.coordinators})


def task_scope(user: User, coordinated: bool = True):
    """SQL condition: the tasks `user` may read (coordinated ones included). Without
    `coordinated`: the tasks of their own work only, which the dashboard, the overdue list
    and the scores count; a task another unit leads is the coordinator's to read and note,
    not to be counted or listed as their unit's (issue 17 §2). Built once a request for a
    GET, which changes neither units nor coordination (an expression is immutable): the
    overdue list built it twice, each time reading the coordinated tasks
    (docs/performance.md, third pass)."""
    if not (has_request_context() and request.method in ("GET", "HEAD")):
        return _task_scope(user, coordinated)
    known = g.setdefault("task_scopes", {})
    key = (user.id, user.role, user.unit_id, coordinated)
    if key not in known:
        known[key] = _task_scope(user, coordinated)
    return known[key]


def _task_scope(user: User, coordinated: bool):
    if reads_everything(user):
        return true()
    if user.role in (Role.HEAD, Role.DEPUTY):
        # The ids as a list, not a subquery: SQLite serves an OR of `IN (list)` terms with
        # one index per term (MULTI-INDEX OR) but scans every task for `IN (SELECT ...)`
        # (tests/test_indexes.py; the bench's head of the largest unit read 100,000 rows).
        # The coordinated tasks beyond that: a list of ids read first (_coordinated_beyond).
        ids = subtree_id_list(user.unit.path)
        terms = [Task.owner_unit_id.in_(ids), Task.lead_unit_id.in_(ids),
                 Task.assignee_id == user.id, Task.leader_id == user.id]
        beyond = _coordinated_beyond(user, ids) if coordinated else []
        if beyond:
            terms.append(Task.id.in_(beyond))
        return or_(*terms)
    if user.role == Role.STAFF:
        home = home_unit_ids(user)
        terms = [Task.owner_unit_id.in_(home), Task.lead_unit_id.in_(home), Task.assignee_id == user.id]
        beyond = _coordinated_beyond(user, home) if coordinated else []
        if beyond:
            terms.append(Task.id.in_(beyond))
        return or_(*terms)
    return false()


def task_scope_shape(user: User, coordinated: bool = True) -> tuple[tuple, dict]:
    """task_scope(user, coordinated) as a shape (`task_scope_sql`) and the values to bind
    when a statement built once per shape runs (issue 16; as `scope_shape`).
    tests/services/test_statement_shapes.py checks that both give the same SQL."""
    if reads_everything(user):
        return ("all",), {}
    if user.role in (Role.HEAD, Role.DEPUTY):
        kind, ids = "leader", subtree_id_list(user.unit.path)
    elif user.role == Role.STAFF:
        kind, ids = "staff", home_unit_ids(user)
    else:
        return ("none",), {}
    beyond = _coordinated_beyond(user, ids) if coordinated else []
    values = {"scope_ids": ids, "actor_id": user.id}
    if beyond:
        values["beyond_ids"] = beyond
    return (kind, bool(beyond)), values


def task_scope_sql(shape: tuple):
    """task_scope for a shape of `task_scope_shape`, its values as bound parameters."""
    if shape[0] == "all":
        return true()
    if shape[0] == "none":
        return false()
    kind, beyond = shape
    ids, me = bindparam("scope_ids", expanding=True), bindparam("actor_id")
    terms = [Task.owner_unit_id.in_(ids), Task.lead_unit_id.in_(ids), Task.assignee_id == me]
    if kind == "leader":
        terms.append(Task.leader_id == me)
    if beyond:
        terms.append(Task.id.in_(bindparam("beyond_ids", expanding=True)))
    return or_(*terms)


def plan_scope(user: User):
    """SQL condition: the plans `user` may read."""
    if reads_everything(user):
        return true()
    if user.role in (Role.HEAD, Role.DEPUTY):
        return Plan.unit_id.in_(subtree_ids(user.unit.path))
    return Plan.unit_id.in_(home_unit_ids(user))


def unit_scope(user: User):
    """SQL condition: the units whose lists `user` may open."""
    if reads_everything(user):
        return true()
    if user.role in (Role.HEAD, Role.DEPUTY):
        return Unit.path.like(user.unit.path + "%")
    return Unit.id == user.unit_id


def scope_shape(user: User) -> tuple[str, dict]:
    """plan_scope(user) and unit_scope(user) as a shape (`plan_scope_sql`, `unit_scope_sql`)
    and the values to bind when a statement built once per shape runs (issue 16: building
    the statements anew each request cost more than running them).
    tests/services/test_statement_shapes.py checks that both give the same SQL for every role."""
    if reads_everything(user):
        return "all", {}
    if user.role in (Role.HEAD, Role.DEPUTY):
        return "tree", {"scope_like": user.unit.path + "%"}
    return "unit", {"scope_unit_id": user.unit_id, "scope_home_ids": home_unit_ids(user)}


def plan_scope_sql(shape: str):
    """plan_scope for a shape of `scope_shape`, its values as bound parameters."""
    if shape == "all":
        return true()
    if shape == "tree":
        return Plan.unit_id.in_(select(Unit.id).where(Unit.path.like(bindparam("scope_like"))))
    return Plan.unit_id.in_(bindparam("scope_home_ids", expanding=True))


def unit_scope_sql(shape: str):
    """unit_scope for a shape of `scope_shape`, its values as bound parameters."""
    if shape == "all":
        return true()
    if shape == "tree":
        return Unit.path.like(bindparam("scope_like"))
    return Unit.id == bindparam("scope_unit_id")


def in_subtree(user: User, unit: Unit | None) -> bool:
    return unit is not None and unit.path.startswith(user.unit.path)


def can_manage_plan(user: User, plan: Plan) -> bool:
    """Heads manage (create, edit, issue) the plans of their unit and its sub-units."""
    return user.role == Role.HEAD and in_subtree(user, plan.unit)


def can_add_task(user: User, plan: Plan) -> bool:
    """Heads add tasks to their subtree's plans; deputies to their own unit's plans."""
    if can_manage_plan(user, plan):
        return True
    return user.role == Role.DEPUTY and in_subtree(user, plan.unit)


def can_manage_task(user: User, task: Task) -> bool:
    """Edit the six clears, break down, cancel: the head over the unit, or the
    deputy who is the task's accountable leader."""
    if user.role == Role.HEAD:
        return in_subtree(user, task.plan.unit)
    if user.role == Role.DEPUTY:
        return task.leader_id == user.id
    return False


def can_report(user: User, task: Task) -> bool:
    """Record progress, tick steps, attach evidence, submit: the responsible person."""
    return task.assignee_id == user.id


def heads_plan_unit(user: User, task: Task) -> bool:
    """The head of the unit whose plan assigned the task (or of a unit above it)."""
    return user.role == Role.HEAD and in_subtree(user, task.plan.unit)


def is_handed_down(task: Task) -> bool:
    """A task of a higher unit's plan led by another unit (services.breakdown): the plan's
    unit assigned it, so only that unit's leaders decide on its deadline."""
    return task.lead_unit_id is not None and task.lead_unit_id != task.plan.unit_id


def can_review(user: User, task: Task) -> bool:
    """Confirm or return a submission (DESIGN.md 4: nobody confirms their own submission).
    The accountable leader; when the responsible person is the accountable leader, the head
    of the plan's unit (a head who is both cannot confirm: the head above does). The head
    of the plan's unit may always review. The responsible person never does. A task added
    to the issued plan by anyone but the head of the plan's unit (`head_confirms`) is
    reviewed by the head of the plan's unit (or above) only, not by its leader."""
    if task.assignee_id == user.id:
        return False
    if task.head_confirms:
        # Added after issue below the head (task_rules.head_confirms_addition).
        return heads_plan_unit(user, task)
    if task.leader_id == user.id:
        return True
    return heads_plan_unit(user, task)


def can_decide_extension(user: User, task: Task) -> bool:
    """Decide an extension request: the accountable leader or the head of the plan's unit;
    for a task handed down from a higher unit's plan, that unit's leaders (head, deputies)
    only, never the lead unit's. Never the responsible person (the requester is refused by
    the service too)."""
    if task.assignee_id == user.id:
        return False
    if heads_plan_unit(user, task):
        return True
    if is_handed_down(task):
        return user.role == Role.DEPUTY and user.unit_id == task.plan.unit_id
    return task.leader_id == user.id


def can_exclude(user: User, task: Task) -> bool:
    """Cancel, suspend or resume a task. On a draft plan: whoever manages the task (as
    before). Once the plan is issued it is the decision of the head of the plan's unit,
    the unit that assigned it (DESIGN.md 4: a failure cannot be erased by cancelling it);
    a deputy can no longer take her own task out of the count."""
    if task.plan.status == "draft":
        return can_manage_task(user, task)
    return heads_plan_unit(user, task)
