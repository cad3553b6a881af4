"""Breaking a plan down: a task of a higher unit's plan whose lead unit is another unit
appears in that unit's plan of the same year as a parent it breaks down into its own tasks;
the parent's progress is then the weighted progress of those children (issue 5)."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..domain.status import Lifecycle
from ..extensions import db
from ..models import Plan, Task, Unit
from . import audit

ROLLUP_NOTE = "Tổng hợp tiến độ từ các nhiệm vụ chia nhỏ"


def _ancestor_ids(unit: Unit) -> list[int]:
    """The units above `unit` ("/1/7/42/" -> [1, 7])."""
    return [int(x) for x in unit.path.strip("/").split("/")[:-1] if x]


def _higher_plan_condition(plan: Plan):
    """SQL over `Plan`: a plan of a unit above `plan`'s, of the same year, whose tasks led by
    `plan`'s unit are broken down in `plan`. Same kind first (the province's CCHC plan is
    broken down in the department's CCHC plan); a unit with no plan of that kind that year
    sees them in each of its plans of the year, so that no delegated task is left unseen."""
    own = aliased(Plan)
    has_same_kind = exists().where(own.unit_id == plan.unit_id, own.year == plan.year,
                                   own.kind == Plan.kind)
    return and_(Plan.unit_id.in_(_ancestor_ids(plan.unit)), Plan.year == plan.year,
                or_(Plan.kind == plan.kind, ~has_same_kind))


def delegated_tasks(plan: Plan) -> list[Task]:
    """Tasks of higher units' plans that the plan's unit leads: the items it is expected to
    break down here. One query."""
    if not _ancestor_ids(plan.unit):
        return []
    return db.session.scalars(
        select(Task).join(Plan, Task.plan_id == Plan.id)
        .where(Task.lead_unit_id == plan.unit_id, Task.status != Lifecycle.CANCELLED,
               _higher_plan_condition(plan))
        .options(selectinload(Task.plan), selectinload(Task.leader), selectinload(Task.assignee))
        .order_by(Plan.unit_id, Plan.kind, Task.order_key)).all()


def is_delegated_to(parent: Task, plan: Plan) -> bool:
    """Whether `parent` (a task of another plan) may take sub-tasks in `plan`."""
    if parent.plan_id == plan.id or parent.lead_unit_id != plan.unit_id:
        return False
    return db.session.scalar(
        select(Task.id).join(Plan, Task.plan_id == Plan.id)
        .where(Task.id == parent.id, _higher_plan_condition(plan))) is not None


def has_delegated_children(task_id: int) -> bool:
    """Whether the task is broken down in another plan (its progress is then rolled up)."""
    child = aliased(Task)
    return db.session.scalar(
        select(child.id).join(Task, Task.id == child.parent_id)
        .where(Task.id == task_id, child.plan_id != Task.plan_id,
               child.status != Lifecycle.CANCELLED).limit(1)) is not None


def child_counts(parent_ids: list[int]) -> dict[int, int]:
    """How many open sub-tasks each parent has in all plans."""
    if not parent_ids:
        return {}
    return dict(db.session.execute(
        select(Task.parent_id, func.count(Task.id))
        .where(Task.parent_id.in_(parent_ids), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.parent_id)).all())


def broken_down_counts(parent_ids: list[int]) -> dict[int, int]:
    """How many open sub-tasks each parent has in other plans (the units' breakdown):
    what the higher unit's plan page says beside a rolled-up task. One query."""
    if not parent_ids:
        return {}
    parent = aliased(Task)
    return dict(db.session.execute(
        select(Task.parent_id, func.count(Task.id))
        .join(parent, parent.id == Task.parent_id)
        .where(Task.parent_id.in_(parent_ids), Task.plan_id != parent.plan_id,
               Task.status != Lifecycle.CANCELLED)
        .group_by(Task.parent_id)).all())


def weighted_progress(weighted, weights) -> int | None:
    """Σ(weight × progress) / Σ weight, rounded half up; None when the weights add up to 0."""
    if weights is None or Decimal(str(weights)) <= 0:
        return None
    return int((Decimal(str(weighted or 0)) / Decimal(str(weights))).quantize(Decimal(1), ROUND_HALF_UP))


def rollup(parent_ids, actor_id: int | None = None) -> int:
    """Set each parent broken down in another plan to the weighted progress of its
    children (cancelled ones left out). A few queries whatever the number of parents;
    returns how many moved."""
    ids = sorted({i for i in parent_ids if i})
    if not ids:
        return 0
    child = aliased(Task)
    delegated = select(Task.id).join(child, child.parent_id == Task.id).where(
        Task.id.in_(ids), child.plan_id != Task.plan_id)
    sums = db.session.execute(
        select(Task.parent_id, func.sum(Task.weight * Task.progress), func.sum(Task.weight))
        .where(Task.parent_id.in_(delegated), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.parent_id)).all()
    targets = {parent_id: weighted_progress(w, n) for parent_id, w, n in sums}
    targets = {k: v for k, v in targets.items() if v is not None}
    if not targets:
        return 0
    parents = db.session.scalars(select(Task).where(
        Task.id.in_(list(targets)), Task.status.not_in([Lifecycle.COMPLETED, Lifecycle.CANCELLED]))
        .order_by(Task.id)).all()
    moved = 0
    for parent in parents:
        value = targets[parent.id]
        if parent.progress == value:
            continue
        before = parent.progress
        parent.progress = value
        if value > 0 and parent.status in (Lifecycle.ASSIGNED, Lifecycle.DRAFT):
            parent.status = Lifecycle.IN_PROGRESS
        audit.record(actor_id, "task.progress", "task", parent.id, {"progress": [before, value]},
                     comment=ROLLUP_NOTE, task_id=parent.id)
        moved += 1
    if moved:
        db.session.flush()
    return moved


def rollup_plan(plan_id: int, actor_id: int | None = None) -> int:
    """Roll up every parent, in another plan, of the tasks of this plan."""
    parent = aliased(Task)
    ids = db.session.scalars(
        select(Task.parent_id).join(parent, and_(parent.id == Task.parent_id,
                                                 parent.plan_id != Task.plan_id))
        .where(Task.plan_id == plan_id).distinct()).all()
    return rollup(ids, actor_id)


def breakdown_parents(plan_id: int) -> dict[str, Task]:
    """The tasks of this plan that break down a task of another plan, by number, with that
    parent: what the importer checks a row's due date against."""
    parent = aliased(Task)
    rows = db.session.execute(
        select(Task.stt, parent).join(parent, and_(parent.id == Task.parent_id,
                                                   parent.plan_id != Task.plan_id))
        .where(Task.plan_id == plan_id).order_by(Task.id)).all()
    out: dict[str, Task] = {}
    for stt, p in rows:
        out.setdefault(stt, p)
    return out
