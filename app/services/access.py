"""Who may see and do what. Every service checks here; templates only hide buttons."""

from sqlalchemy import false, or_, select, true

from ..extensions import db
from ..models import Plan, Role, Task, Unit, User


def subtree_ids(unit_path: str):
    """Select of the ids of a unit and every unit below it."""
    return select(Unit.id).where(Unit.path.like(unit_path + "%"))


def subtree_id_list(unit_path: str) -> list[int]:
    """The ids of a unit and every unit below it (one small query)."""
    return list(db.session.scalars(subtree_ids(unit_path)))


def home_unit_ids(user: User) -> list[int]:
    """The units whose plans a staff member works in: their own, and for a section
    (phòng) inside a department, the department too."""
    ids = [user.unit_id]
    if user.unit.kind == "section" and user.unit.parent_id:
        ids.append(user.unit.parent_id)
    return ids


def reads_everything(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.ASSESSOR)


def task_scope(user: User):
    """SQL condition: the tasks `user` may read."""
    if reads_everything(user):
        return true()
    if user.role in (Role.HEAD, Role.DEPUTY):
        # The ids as a list, not a subquery: SQLite serves an OR of `IN (list)` terms with
        # one index per term (MULTI-INDEX OR) but scans every task for `IN (SELECT ...)`
        # (tests/test_indexes.py; the bench's head of the largest unit read 100,000 rows).
        ids = subtree_id_list(user.unit.path)
        return or_(Task.owner_unit_id.in_(ids), Task.lead_unit_id.in_(ids),
                   Task.assignee_id == user.id, Task.leader_id == user.id)
    if user.role == Role.STAFF:
        home = home_unit_ids(user)
        return or_(Task.owner_unit_id.in_(home), Task.lead_unit_id.in_(home),
                   Task.assignee_id == user.id)
    return false()


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


def can_review(user: User, task: Task) -> bool:
    """Confirm or return a submission: the accountable leader, or the head over the unit."""
    if task.leader_id == user.id:
        return True
    return user.role == Role.HEAD and in_subtree(user, task.plan.unit)
