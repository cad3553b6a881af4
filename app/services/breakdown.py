"""Breaking a plan down: a task of a higher unit's plan whose lead unit is another unit
appears in that unit's plan of the same year and kind as a parent it breaks down into its
own tasks; the parent's progress is then the weighted progress of those children."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, selectinload

from ..domain.status import Lifecycle
from ..extensions import db
from ..models import Plan, Task, Unit
from . import audit


def _ancestor_ids(unit: Unit) -> list[int]:
    """The units above `unit` ("/1/7/42/" -> [1, 7])."""
    return [int(x) for x in unit.path.strip("/").split("/")[:-1] if x]


def delegated_tasks(plan: Plan) -> list[Task]:
    """Tasks of the plans of units above the plan's unit, same year and kind, that the
    plan's unit leads: the items it is expected to break down. One query."""
    above = _ancestor_ids(plan.unit)
    if not above:
        return []
    return db.session.scalars(
        select(Task).join(Plan, Task.plan_id == Plan.id)
        .where(Task.lead_unit_id == plan.unit_id, Plan.unit_id.in_(above),
               Plan.year == plan.year, Plan.kind == plan.kind,
               Task.status != Lifecycle.CANCELLED)
        .options(selectinload(Task.plan), selectinload(Task.leader), selectinload(Task.assignee))
        .order_by(Plan.unit_id, Task.order_key)).all()


def is_delegated_to(parent: Task, plan: Plan) -> bool:
    """Whether `parent` (of another plan) may take sub-tasks in `plan`."""
    higher = db.session.get(Plan, parent.plan_id)
    return (parent.plan_id != plan.id and parent.lead_unit_id == plan.unit_id
            and higher is not None and higher.unit_id in _ancestor_ids(plan.unit)
            and higher.year == plan.year and higher.kind == plan.kind)


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


def rollup(parent_ids, actor_id: int | None = None) -> int:
    """Set each parent broken down in another plan to the weighted progress of its
    children (cancelled ones left out): Σ(weight × progress) / Σ weight. Returns how many moved."""
    ids = sorted({i for i in parent_ids if i})
    if not ids:
        return 0
    child = aliased(Task)
    delegated = set(db.session.scalars(
        select(Task.id).join(child, child.parent_id == Task.id)
        .where(Task.id.in_(ids), child.plan_id != Task.plan_id)).all())
    if not delegated:
        return 0
    sums = db.session.execute(
        select(Task.parent_id, func.sum(Task.weight * Task.progress), func.sum(Task.weight))
        .where(Task.parent_id.in_(delegated), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.parent_id)).all()
    moved = 0
    for parent_id, weighted, weights in sums:
        if not weights or Decimal(str(weights)) <= 0:
            continue
        value = int((Decimal(str(weighted)) / Decimal(str(weights))).quantize(Decimal(1), ROUND_HALF_UP))
        parent = db.session.get(Task, parent_id)
        if parent is None or parent.progress == value or parent.status in (
                Lifecycle.COMPLETED, Lifecycle.CANCELLED):
            continue
        before = parent.progress
        parent.progress = value
        if value > 0 and parent.status in (Lifecycle.ASSIGNED, Lifecycle.DRAFT):
            parent.status = Lifecycle.IN_PROGRESS
        db.session.flush()
        audit.record(actor_id, "task.progress", "task", parent.id, {"progress": [before, value]},
                     comment="Tổng hợp tiến độ từ các nhiệm vụ chia nhỏ", task_id=parent.id)
        moved += 1
    return moved


def rollup_plan(plan_id: int, actor_id: int | None = None) -> int:
    """Roll up every parent, in another plan, of the tasks of this plan."""
    parent = aliased(Task)
    ids = db.session.scalars(
        select(Task.parent_id).join(parent, and_(parent.id == Task.parent_id,
                                                 parent.plan_id != Task.plan_id))
        .where(Task.plan_id == plan_id).distinct()).all()
    return rollup(ids, actor_id)
