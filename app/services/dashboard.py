"""What the home page shows, in a fixed handful of queries."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..domain.status import EXCLUDED_STATUSES, OPEN_STATUSES, Lifecycle, Timeliness
from ..extensions import db
from ..models import Task, User
from . import access


def timeliness_case(today: date, due_soon_days: int):
    """The timeliness of each row as SQL, the same rule as domain.status.timeliness."""
    soon = today + timedelta(days=due_soon_days)
    return case(
        (Task.status.in_([s.value for s in EXCLUDED_STATUSES]), Timeliness.EXCLUDED.value),
        ((Task.status == Lifecycle.COMPLETED) & (Task.due_on.is_(None) | (Task.completed_on <= Task.due_on)),
         Timeliness.DONE_ON_TIME.value),
        (Task.status == Lifecycle.COMPLETED, Timeliness.DONE_LATE.value),
        (Task.due_on < today, Timeliness.OVERDUE.value),
        (Task.due_on <= soon, Timeliness.DUE_SOON.value),
        else_=Timeliness.WITHIN.value,
    )


@dataclass
class Dashboard:
    counts: dict
    total: int
    my_open: list
    to_review: list
    overdue: list


def build(actor: User, today: date, due_soon_days: int) -> Dashboard:
    """Counts by timeliness over the actor's scope, their open tasks, what awaits their review."""
    scope = access.task_scope(actor)
    if actor.role == "deputy":
        scope = Task.leader_id == actor.id
    elif actor.role == "staff":
        scope = Task.assignee_id == actor.id
    tl = timeliness_case(today, due_soon_days)
    rows = db.session.execute(select(tl, func.count()).where(scope).group_by(tl)).all()
    counts = {t.value: 0 for t in Timeliness}
    for key, n in rows:
        counts[key] = n
    open_statuses = [s.value for s in OPEN_STATUSES]
    my_open = db.session.scalars(
        select(Task).where(Task.assignee_id == actor.id, Task.status.in_(open_statuses))
        .options(selectinload(Task.plan)).order_by(Task.due_on, Task.id).limit(10)).all()
    review_scope = Task.leader_id == actor.id
    if actor.role == "head":
        review_scope = review_scope | Task.owner_unit_id.in_(access.subtree_ids(actor.unit.path))
    to_review = db.session.scalars(
        select(Task).where(review_scope, Task.status == Lifecycle.SUBMITTED)
        .options(selectinload(Task.assignee)).order_by(Task.submitted_on, Task.id).limit(20)).all()
    overdue = db.session.scalars(
        select(Task).where(scope, Task.status.in_(open_statuses), Task.due_on < today)
        .options(selectinload(Task.assignee), selectinload(Task.leader))
        .order_by(Task.due_on, Task.id).limit(10)).all()
    return Dashboard(counts, sum(counts.values()), my_open, to_review, overdue)
