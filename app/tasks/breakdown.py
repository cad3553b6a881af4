"""Breaking a plan down: a task of a higher unit's plan whose lead unit is another unit
appears in that unit's plan of the same year as a parent it breaks down into its own tasks;
a task may also be broken down into sub-tasks inside its own plan. Either way the parent's
progress is the weighted progress of its children (issue 5), and it is completed when the
last of them is (DESIGN.md 5: "completed when the last one is confirmed, on that date")."""

import json
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from app.domain.status import OPEN_STATUSES, Lifecycle
from app.extensions import db
from app.models import AuditLog, Plan, Task, Unit
from app.models.base import utcnow

COMPLETION_NOTE = "Hoàn thành khi nhiệm vụ chia nhỏ cuối cùng được xác nhận"
# How far up a completion or a progress change travels (2 -> 2.1 -> 2.1.1 ...).
MAX_DEPTH = 10

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


def has_children(task_id: int) -> bool:
    """Whether the task is broken down (in its plan or another) into sub-tasks not
    cancelled: its progress is then rolled up from them, never reported by hand."""
    return db.session.scalar(select(Task.id).where(
        Task.parent_id == task_id, Task.status != Lifecycle.CANCELLED).limit(1)) is not None


def open_children_count(task_id: int) -> int:
    """Sub-tasks, in any plan, neither completed nor cancelled (a suspended one is not done)."""
    return db.session.scalar(select(func.count(Task.id)).where(
        Task.parent_id == task_id,
        Task.status.not_in([Lifecycle.COMPLETED, Lifecycle.CANCELLED]))) or 0


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
    """Set each parent to the weighted progress of its children (cancelled ones left out),
    in its own plan as in others, complete the parents whose children are all completed,
    and carry both up to the parents' parents. A few queries per level whatever the number
    of parents; returns how many parents moved."""
    ids = sorted({i for i in parent_ids if i})
    moved = 0
    for _ in range(MAX_DEPTH):
        if not ids:
            break
        moved += _rollup_progress(ids, actor_id) + complete_parents(ids, actor_id)
        ids = sorted(set(db.session.scalars(select(Task.parent_id).where(
            Task.id.in_(ids), Task.parent_id.is_not(None)))))
    return moved


def _rollup_progress(ids: list[int], actor_id: int | None) -> int:
    """Move each open parent among `ids` to the weighted progress of its children: one
    aggregate, one SELECT of the parents that move, one executemany UPDATE and one INSERT of
    audit rows, whatever their number."""
    sums = db.session.execute(
        select(Task.parent_id, func.sum(Task.weight * Task.progress), func.sum(Task.weight))
        .where(Task.parent_id.in_(ids), Task.status != Lifecycle.CANCELLED)
        .group_by(Task.parent_id)).all()
    targets = {parent_id: weighted_progress(w, n) for parent_id, w, n in sums}
    targets = {k: v for k, v in targets.items() if v is not None}
    if not targets:
        return 0
    db.session.flush()
    rows = [r for r in db.session.execute(
        select(Task.id, Task.progress, Task.status, Task.version).where(
            Task.id.in_(list(targets)),
            Task.status.not_in([Lifecycle.COMPLETED, Lifecycle.CANCELLED])).order_by(Task.id))
        if r.progress != targets[r.id]]
    if not rows:
        return 0
    starting = (Lifecycle.ASSIGNED.value, Lifecycle.DRAFT.value)
    now = utcnow()
    changes = []
    for r in rows:
        status = (Lifecycle.IN_PROGRESS.value if targets[r.id] > 0 and r.status in starting
                  else r.status)
        changes.append({"pid": r.id, "value": targets[r.id], "new_status": status,
                        "new_version": r.version + 1, "now": now})
    # The table, not the mapped class: an ORM bulk UPDATE would insist on the version column.
    table = Task.__table__
    db.session.execute(
        update(table).where(table.c.id == bindparam("pid"))
        .values(progress=bindparam("value"), status=bindparam("new_status"),
                version=bindparam("new_version"), updated_at=bindparam("now")), changes)
    db.session.execute(insert(AuditLog), [
        {"actor_id": actor_id, "action": "task.progress", "object_type": "task", "object_id": r.id,
         "task_id": r.id, "comment": ROLLUP_NOTE, "at": now,
         "changes": json.dumps({"progress": [r.progress, targets[r.id]]}
                               | ({"status": [r.status, c["new_status"]]}
                                  if c["new_status"] != r.status else {}), ensure_ascii=False)}
        for r, c in zip(rows, changes, strict=True)])
    _expire([r.id for r in rows])
    return len(rows)


def _expire(ids) -> None:
    """Rows this session already holds are read afresh when next used."""
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Task) and obj.id in wanted:
            db.session.expire(obj)


def complete_parents(ids: list[int], actor_id: int | None) -> int:
    """Complete every open parent among `ids` whose sub-tasks (cancelled ones left out, at
    least one) are all completed, on the latest of their completion dates: one SELECT, one
    UPDATE and one INSERT of audit rows whatever their number."""
    child = aliased(Task)
    live = and_(child.parent_id == Task.id, child.status != Lifecycle.CANCELLED)
    not_done = exists().where(live, child.status != Lifecycle.COMPLETED)
    some = exists().where(live)
    rows = db.session.execute(
        select(Task.id, Task.status, Task.completed_on, Task.progress, Task.version)
        .where(Task.id.in_(ids), Task.status.in_([s.value for s in OPEN_STATUSES]), some, ~not_done)
        .order_by(Task.id)).all()
    if not rows:
        return 0
    targets = [r.id for r in rows]
    db.session.flush()
    latest = (select(func.max(child.completed_on))
              .where(child.parent_id == Task.id, child.status == Lifecycle.COMPLETED)
              .scalar_subquery())
    db.session.execute(
        update(Task).where(Task.id.in_(targets))
        .values(status=Lifecycle.COMPLETED, completed_on=latest, progress=100,
                version=Task.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    after = dict(db.session.execute(select(Task.id, Task.completed_on)
                                    .where(Task.id.in_(targets))).all())
    now = utcnow()
    db.session.execute(insert(AuditLog), [
        {"actor_id": actor_id, "action": "task.complete", "object_type": "task",
         "object_id": r.id, "task_id": r.id, "comment": COMPLETION_NOTE, "at": now,
         "changes": json.dumps({"status": [r.status, Lifecycle.COMPLETED.value],
                                "completed_on": [None, str(after[r.id]) if after[r.id] else None],
                                "progress": [r.progress, 100],
                                "version": [r.version, r.version + 1]}, ensure_ascii=False)}
        for r in rows])
    _expire(after)
    return len(rows)


def rollup_plan(plan_id: int, actor_id: int | None = None) -> int:
    """Roll up every parent, in this plan or another, of the tasks of this plan."""
    ids = db.session.scalars(
        select(Task.parent_id).where(Task.plan_id == plan_id, Task.parent_id.is_not(None))
        .distinct()).all()
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
