"""What the home page shows, per role, in a fixed handful of set-based queries."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, false, func, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from ..domain.status import EXCLUDED_STATUSES, OPEN_STATUSES, Lifecycle, Timeliness
from ..extensions import db
from ..models import Field, Role, Task, Unit, User
from ..models.user import LEADER_ROLES
from . import access
from .tasks import timeliness_condition

# The order of the columns everywhere on the page: what needs action first.
TIMELINESS_ORDER = (Timeliness.OVERDUE, Timeliness.DUE_SOON, Timeliness.WITHIN,
                    Timeliness.DONE_ON_TIME, Timeliness.DONE_LATE, Timeliness.EXCLUDED)
TOP_N = 10
WEEK_DAYS = 7


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


def role_scope(actor: User):
    """SQL condition: the tasks the actor's dashboard and overdue list are about.

    A head sees the unit and its sub-units, a deputy the tasks they are the
    accountable leader of, staff their own; the assessor and the admin everything.
    """
    if access.reads_everything(actor):
        return true()
    if actor.role == Role.HEAD:
        return access.task_scope(actor)
    if actor.role == Role.DEPUTY:
        return Task.leader_id == actor.id
    if actor.role == Role.STAFF:
        return Task.assignee_id == actor.id
    return false()


def _count_columns(today: date, due_soon_days: int) -> list:
    """One SUM(CASE) column per timeliness, with the very conditions the task list
    filters by, so that a count and the list it links to always agree."""
    present = Task.id.is_not(None)  # outer joins bring rows without a task
    return [func.coalesce(func.sum(case(
        (and_(present, timeliness_condition(t, today, due_soon_days)), 1), else_=0)), 0).label(t.value)
        for t in TIMELINESS_ORDER]


@dataclass
class Counts:
    """Tasks of one row by timeliness; `total` leaves no task out."""

    by: dict[str, int] = field(default_factory=lambda: {t.value: 0 for t in TIMELINESS_ORDER})

    @classmethod
    def from_row(cls, row) -> "Counts":
        return cls({t.value: int(getattr(row, t.value) or 0) for t in TIMELINESS_ORDER})

    def __getitem__(self, key: str) -> int:
        return self.by[key]

    def add(self, other: "Counts") -> None:
        for key, n in other.by.items():
            self.by[key] += n

    @property
    def total(self) -> int:
        return sum(self.by.values())


@dataclass
class UnitRow:
    unit_id: int
    name: str
    is_anchor: bool
    counts: Counts


@dataclass
class LeaderRow:
    user_id: int
    name: str
    role: str
    counts: Counts


@dataclass
class FieldRow:
    field_id: int | None
    name: str | None
    counts: Counts


@dataclass
class DueTask:
    task: Task
    days: int  # days overdue for the most-overdue list, days left for this week's


@dataclass
class Dashboard:
    role: str
    counts: Counts
    units: list[UnitRow]
    leaders: list[LeaderRow]
    fields: list[FieldRow]
    most_overdue: list[DueTask]
    due_this_week: list[DueTask]
    due_this_week_total: int
    week_end: date
    to_review: list[Task]

    @property
    def total(self) -> int:
        return self.counts.total


def unit_rows(actor: User, today: date, due_soon_days: int) -> list[UnitRow]:
    """Counts per lead unit, each with its sub-units (a unit's tasks are the tasks it
    leads, DESIGN.md section 5): the actor's unit and each unit directly below it, or for
    the assessor and the admin each top-level unit and the units directly below it.
    One query: a unit row joins every task led anywhere in its subtree."""
    if access.reads_everything(actor):
        anchors = select(Unit.id).where(Unit.parent_id.is_(None))
    elif actor.role == Role.HEAD:
        anchors = select(Unit.id).where(Unit.id == actor.unit_id)
    else:
        return []
    row_unit, led_by = aliased(Unit), aliased(Unit)
    stmt = (select(row_unit.id, row_unit.name, row_unit.name_sort, row_unit.path,
                   row_unit.parent_id, row_unit.is_active, *_count_columns(today, due_soon_days))
            .select_from(row_unit)
            .outerjoin(led_by, led_by.path.like(row_unit.path + "%"))
            .outerjoin(Task, and_(Task.lead_unit_id == led_by.id, role_scope(actor)))
            .where(or_(row_unit.id.in_(anchors), row_unit.parent_id.in_(anchors)))
            .group_by(row_unit.id, row_unit.name, row_unit.name_sort, row_unit.path,
                      row_unit.parent_id, row_unit.is_active))
    rows = db.session.execute(stmt).all()
    if access.reads_everything(actor):
        anchor_ids = {r.id for r in rows if r.parent_id is None}
    else:
        anchor_ids = {actor.unit_id}
    out: list[tuple] = []
    for r in rows:
        counts = Counts.from_row(r)
        if r.id not in anchor_ids and not r.is_active and counts.total == 0:
            continue  # a retired sub-unit with nothing left to show
        anchor_path = r.path if r.id in anchor_ids else r.path.rsplit("/", 2)[0] + "/"
        out.append(((anchor_path, r.id not in anchor_ids, r.name_sort, r.id),
                    UnitRow(r.id, r.name, r.id in anchor_ids, counts)))
    return [row for _, row in sorted(out, key=lambda x: x[0])]


def leader_rows(actor: User, today: date, due_soon_days: int) -> list[LeaderRow]:
    """For a head: counts per leader of the unit (the head, then each deputy) over the
    tasks they are the accountable leader of, within the head's scope. One query."""
    if actor.role != Role.HEAD:
        return []
    stmt = (select(User.id, User.full_name, User.role, User.name_sort,
                   *_count_columns(today, due_soon_days))
            .select_from(User)
            .outerjoin(Task, and_(Task.leader_id == User.id, role_scope(actor)))
            .where(User.unit_id == actor.unit_id, User.role.in_([r.value for r in LEADER_ROLES]),
                   User.is_active)
            .group_by(User.id, User.full_name, User.role, User.name_sort))
    rows = db.session.execute(stmt).all()
    rows = sorted(rows, key=lambda r: (r.role != Role.HEAD, r.name_sort, r.id))
    return [LeaderRow(r.id, r.full_name, r.role, Counts.from_row(r)) for r in rows]


def field_rows(actor: User, today: date, due_soon_days: int) -> list[FieldRow]:
    """Counts per field over the actor's scope; tasks without a field come last.
    Together the rows cover every task of the scope. One query."""
    stmt = (select(Field.id, Field.name, Field.name_sort, *_count_columns(today, due_soon_days))
            .select_from(Task).outerjoin(Field, Field.id == Task.field_id)
            .where(role_scope(actor))
            .group_by(Field.id, Field.name, Field.name_sort))
    rows = db.session.execute(stmt).all()
    rows = sorted(rows, key=lambda r: (r.id is None, r.name_sort or "", r.id or 0))
    return [FieldRow(r.id, r.name, Counts.from_row(r)) for r in rows]


def _list_options():
    # The lists show the responsible person beside each task, nothing else related.
    return (selectinload(Task.assignee),)


def most_overdue(actor: User, today: date, limit: int = TOP_N) -> list[DueTask]:
    """The open tasks of the actor's scope furthest past their due date."""
    open_ = [s.value for s in OPEN_STATUSES]
    items = db.session.scalars(
        select(Task).where(role_scope(actor), Task.status.in_(open_), Task.due_on < today)
        .options(*_list_options()).order_by(Task.due_on, Task.id).limit(limit)).all()
    return [DueTask(t, (today - t.due_on).days) for t in items]


def due_this_week(actor: User, today: date, limit: int = TOP_N) -> tuple[list[DueTask], int, date]:
    """Open tasks of the actor's scope due from today to today + 6, nearest first, and
    how many there are in all."""
    week_end = today + timedelta(days=WEEK_DAYS - 1)
    where = and_(role_scope(actor), Task.status.in_([s.value for s in OPEN_STATUSES]),
                 Task.due_on >= today, Task.due_on <= week_end)
    total = db.session.scalar(select(func.count(Task.id)).where(where)) or 0
    items = db.session.scalars(select(Task).where(where).options(*_list_options())
                               .order_by(Task.due_on, Task.id).limit(limit)).all()
    return [DueTask(t, (t.due_on - today).days) for t in items], total, week_end


def awaiting_review(actor: User, limit: int = 20) -> list[Task]:
    """Submissions the actor may confirm: as accountable leader, or as the head over the unit."""
    if actor.role not in LEADER_ROLES:
        return []
    review_scope = Task.leader_id == actor.id
    if actor.role == Role.HEAD:
        review_scope = review_scope | Task.owner_unit_id.in_(access.subtree_ids(actor.unit.path))
    return db.session.scalars(
        select(Task).where(review_scope, Task.status == Lifecycle.SUBMITTED)
        .options(selectinload(Task.assignee)).order_by(Task.submitted_on, Task.id)
        .limit(limit)).all()


def build(actor: User, today: date, due_soon_days: int) -> Dashboard:
    """Everything the home page shows for the actor's role; a fixed number of queries."""
    fields = field_rows(actor, today, due_soon_days)
    counts = Counts()
    for row in fields:
        counts.add(row.counts)
    units = unit_rows(actor, today, due_soon_days)
    leaders = leader_rows(actor, today, due_soon_days)
    if access.reads_everything(actor):
        # Province-wide, the unit table says it all; the task lists would be endless.
        return Dashboard(actor.role, counts, units, [], fields, [], [], 0,
                         today + timedelta(days=WEEK_DAYS - 1), [])
    week, week_total, week_end = due_this_week(actor, today)
    return Dashboard(actor.role, counts, units, leaders, fields, most_overdue(actor, today),
                     week, week_total, week_end, awaiting_review(actor))
