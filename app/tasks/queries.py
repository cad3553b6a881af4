"""Task queries (what reads): the loaders every task page and command starts from, the
lists with their filters, sorts and SQL conditions, the form's choices, and a task's
history, progress reports, sub-tasks and amendments. What writes is in app/tasks/commands.py."""

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, func, not_, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.common import access
from app.common.errors import NotFound
from app.deadlines import sweep as overdue
from app.directory.units import leading_units_above, tree_order
from app.domain.status import EXCLUDED_STATUSES, OPEN_STATUSES, Lifecycle, Timeliness
from app.domain.status import timeliness as derive_timeliness
from app.domain.text import fold
from app.extensions import db, select_rows
from app.models import (
    Amendment,
    AuditLog,
    Field,
    Plan,
    ProgressUpdate,
    Task,
    Unit,
    User,
)
from app.models.user import LEADER_ROLES, Role


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


def get_task(actor: User, task_id: int, for_update: bool = False, detail: bool = True) -> Task:
    """A task the actor may read, or NotFound (404 hides what is out of scope). Without
    `detail` only its plan is loaded with it (its other relationships raise): for a write
    that reads the row and its plan's state and then redirects (a progress report: the
    eight statements of the page's relationships, twice, were half its cost; issue 16)."""
    options = detail_options() if detail else (selectinload(Task.plan),)
    stmt = select(Task).where(Task.id == task_id, access.task_scope(actor)).options(*options)
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


def history(task: Task) -> list[AuditLog]:
    """Every change of a task, oldest first."""
    return db.session.scalars(select(AuditLog).where(AuditLog.task_id == task.id)
                              .options(selectinload(AuditLog.actor))
                              .order_by(AuditLog.at, AuditLog.id)).all()


@dataclass(frozen=True)
class Why:
    """What the task page says at its top about the last decision (issue 17): why the
    task was returned, why an extension was refused, and, for the reviewer, the note the
    responsible person wrote when submitting. Empty strings when there is nothing to say."""

    returned: str = ""
    returned_on: object = None
    refused: str = ""
    refused_on: object = None
    submission_note: str = ""


def why(task: Task, rows: list[AuditLog], extension_rows) -> Why:
    """Read from the task's history and extensions, already loaded for the page."""
    returned = returned_on = note = ""
    if task.status == Lifecycle.RETURNED:
        last = next((r for r in reversed(rows) if r.action == "task.return"), None)
        if last is not None:
            returned, returned_on = last.comment, last.at
    if task.status == Lifecycle.SUBMITTED:
        last = next((r for r in reversed(rows) if r.action == "task.submit"), None)
        note = last.comment if last is not None else ""
    refused = refused_on = ""
    latest = max(extension_rows, key=lambda e: (e.requested_at, e.id), default=None)
    if latest is not None and latest.status == "refused" and task.status in OPEN_STATUSES:
        refused, refused_on = latest.decision_comment, latest.decided_at
    return Why(returned, returned_on or None, refused, refused_on or None, note)


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
    coordinating: bool = False  # only the tasks the reader takes part in as coordinator


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


@dataclass(slots=True, frozen=True)
class ListedUnit:
    name: str


@dataclass(slots=True, frozen=True)
class ListedPerson:
    full_name: str


@dataclass(slots=True, frozen=True)
class ListedPlan:
    status: str
    year: int


@dataclass(slots=True)
class ListedTask:
    """A row of the task lists as the page shows it, with the same names as a Task and its
    relations (tasks/_table.html reads either): plain values from one Core SELECT, not an
    ORM task with three related objects (issue 16)."""
    id: int
    title: str
    status: str
    is_clear: bool
    due_on: date | None
    original_due_on: date | None
    completed_on: date | None
    submitted_on: date | None
    progress: int
    lead_unit: ListedUnit | None
    assignee: ListedPerson | None
    leader: ListedPerson | None
    plan: ListedPlan

    def timeliness(self, today: date, due_soon_days: int = 3, draft: bool = False) -> Timeliness:
        """As Task.timeliness."""
        return derive_timeliness(self.status, self.due_on, self.completed_on, today, due_soon_days,
                                 self.submitted_on, draft)


# The list's names, aliased once (an alias made per request re-adapts every column it is
# asked for); the lead unit aliased so that a unit filter's subtree subquery on `units`
# cannot correlate to it.
_LEAD_UNIT, _ASSIGNEE, _LEADER = aliased(Unit), aliased(User), aliased(User)


def _plain_select(where, order):
    """The page's rows as plain values: the names joined as list_tasks' joinedloads join
    them; `row_limit` rows from `row_offset`."""
    unit, assignee, leader = _LEAD_UNIT, _ASSIGNEE, _LEADER
    return (select(Task.id, Task.title, Task.status, Task.is_clear, Task.due_on,
                   Task.original_due_on, Task.completed_on, Task.submitted_on, Task.progress,
                   Task.plan_id, unit.name, assignee.full_name, leader.full_name)
            .select_from(Task)
            .outerjoin(assignee, assignee.id == Task.assignee_id)
            .outerjoin(leader, leader.id == Task.leader_id)
            .outerjoin(unit, unit.id == Task.lead_unit_id)
            .where(where).order_by(*order)
            .limit(bindparam("row_limit")).offset(bindparam("row_offset")))


# The plans' status and year of a page's rows, in a second small query as the selectinload.
_PLANS_OF = select(Plan.id, Plan.status, Plan.year).where(Plan.id.in_(bindparam("plan_ids", expanding=True)))


def _plain_rows(stmt, values: dict) -> list[ListedTask]:
    """A page of the list as ListedTask rows (`_plain_select`), the plans read after."""
    found = select_rows(stmt, values).all()
    if not found:
        return []
    plans = {pid: ListedPlan(status, year) for pid, status, year in select_rows(
        _PLANS_OF, {"plan_ids": list({r[9] for r in found})})}
    return [ListedTask(tid, title, status, clear, due, was, done, sent, progress,
                       ListedUnit(uname) if uname is not None else None,
                       ListedPerson(aname) if aname is not None else None,
                       ListedPerson(lname) if lname is not None else None, plans[pid])
            for (tid, title, status, clear, due, was, done, sent, progress, pid, uname, aname,
                 lname) in found]


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
               per_page: int = 50, plain: bool = False) -> Page:
    """One page of the tasks the actor may read, filtered, searched and sorted. `plain`:
    the page's tasks as ListedTask rows (what the pages show), not ORM tasks (the API)."""
    f = clean_filter(actor, f)
    page = max(1, f.page)
    order = f.sort if f.sort in SORTS else "due"
    window = {"row_limit": per_page, "row_offset": (page - 1) * per_page}
    bound = _bound_filter(actor, f) if plain else None
    if bound is not None:
        shape, values = bound
        count, rows = _bound_statements(shape, order)
        total = select_rows(count, values).scalar()
        return Page(_plain_rows(rows, values | window), total or 0, page, per_page)
    where = and_(*_conditions(actor, f, today, due_soon_days))
    total = db.session.scalar(select(func.count()).select_from(Task).where(where))
    if plain:
        return Page(_plain_rows(_plain_select(where, SORTS[order]), window), total or 0, page,
                    per_page)
    items = db.session.scalars(
        select(Task).where(where)
        # What the list shows (lead unit, responsible person, leader), joined in the same
        # statement: one query instead of four (the plan is not shown).
        # The plan too (its status and year say "draft" and "carried over" beside a task), in
        # a second small query: joined here, PostgreSQL read every task (tests/test_indexes.py).
        .options(joinedload(Task.assignee), joinedload(Task.leader), joinedload(Task.lead_unit),
                 selectinload(Task.plan))
        .order_by(*SORTS[order])
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, total or 0, page, per_page)


def _conditions(actor: User, f: TaskFilter, today: date, due_soon_days: int) -> list:
    """The list's conditions for a cleaned filter (clean_filter)."""
    # "My tasks" lists the reader's own tasks, which every scope holds whole (the responsible
    # person's term): the coordinated tasks beyond the reader's units add none to it, and
    # reading them cost the page a statement and ~1 ms of building it (docs/performance.md,
    # fourth pass). The "Phối hợp" tab and the task list still read them.
    conds = [access.task_scope(actor, coordinated=f.coordinating or not f.mine)]
    if f.coordinating:
        # "Phối hợp": the tasks a unit the reader heads coordinates, or they are named for.
        conds.append(Task.id.in_(access.coordinated_task_ids(actor)))
    elif f.mine:
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
    q = _title_like(f.q)
    if q:
        conds.append(Task.title_folded.like(q, escape="\\"))
    return conds


def _title_like(q: str) -> str:
    """The LIKE pattern of a title search: the folded words anywhere, LIKE's own
    characters escaped (with a backslash)."""
    q = fold(q)
    if not q:
        return ""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The pages' lists (plain rows) for the filters whose conditions take their values as bound
# parameters are built once per shape: building the statements anew each request cost my
# tasks ~2 ms against ~0.15 ms of SQLite for its three statements (issue 16, docs/
# performance.md fifth pass). The "Phối hợp" tab, OTHER, a timeliness and a plan year are
# built each request by _conditions, the one statement of the list's rules; for every other
# filter tests/services/test_statement_shapes.py checks that both give the same SQL.

def _bound_filter(actor: User, f: TaskFilter) -> tuple[tuple, dict] | None:
    """The shape of the list's conditions for `f` and the values to bind (`_bound_where`),
    or None when the filter has a part _conditions builds with its values written in."""
    if f.coordinating or f.unit_id == OTHER or f.leader_id == OTHER or f.timeliness or f.year:
        return None
    scope, values = access.task_scope_shape(actor, coordinated=not f.mine)
    values["actor_id"] = actor.id  # "My tasks" of a reader whose scope names nobody (admin)
    unit = None
    if f.unit_id == NONE:
        unit = NONE
    elif f.unit_id:
        unit = "tree"
        values["unit_like"] = db.session.get(Unit, f.unit_id).path + "%"
    q = _title_like(f.q)
    if q:
        values["q_like"] = q
    for key, value in (("plan_id", f.plan_id), ("field_id", f.field_id),
                       ("assignee_id", f.assignee_id), ("leader_id", f.leader_id),
                       ("due_from", f.due_from), ("due_to", f.due_to)):
        if value and value != NONE:
            values[key] = value
    shape = (scope, f.mine, bool(f.plan_id), unit,
             NONE if f.field_id == NONE else bool(f.field_id), bool(f.assignee_id),
             NONE if f.leader_id == NONE else bool(f.leader_id), bool(f.due_from),
             bool(f.due_to), f.unfinished, bool(q))
    return shape, values


@cache
def _bound_where(shape: tuple):
    """_conditions for a shape of `_bound_filter`, in the same order, values bound."""
    scope, mine, by_plan, unit, field, by_assignee, leader, due_from, due_to, unfinished, q = shape
    conds = [access.task_scope_sql(scope)]
    if mine:
        conds.append(Task.assignee_id == bindparam("actor_id"))
    if by_plan:
        conds.append(Task.plan_id == bindparam("plan_id"))
    if unit == NONE:
        conds.append(Task.lead_unit_id.is_(None))
    elif unit:
        conds.append(Task.lead_unit_id.in_(select(Unit.id).where(Unit.path.like(bindparam("unit_like")))))
    if field == NONE:
        conds.append(Task.field_id.is_(None))
    elif field:
        conds.append(Task.field_id == bindparam("field_id"))
    if by_assignee:
        conds.append(Task.assignee_id == bindparam("assignee_id"))
    if leader == NONE:
        conds.append(Task.leader_id.is_(None))
    elif leader:
        conds.append(Task.leader_id == bindparam("leader_id"))
    if due_from:
        conds.append(Task.due_on >= bindparam("due_from"))
    if due_to:
        conds.append(Task.due_on <= bindparam("due_to"))
    if unfinished:
        conds.append(Task.status.in_([s.value for s in CARRY_STATUSES]))
    if q:
        conds.append(Task.title_folded.like(bindparam("q_like"), escape="\\"))
    return and_(*conds)


@cache
def _bound_statements(shape: tuple, order: str) -> tuple:
    """The count and the page's plain rows for a shape and a sort."""
    where = _bound_where(shape)
    return (select(func.count()).select_from(Task).where(where),
            _plain_select(where, SORTS[order]))


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
    # A section's plan may name a leader of the agency it belongs to (a department's deputy in
    # charge of the section's field, domain.task_rules.may_lead_from): offered first.
    above = leading_units_above(plan.unit)
    if above:
        leaders = db.session.execute(
            select(User.id, User.full_name, User.username, User.role, User.unit_id, Unit.name)
            .join(Unit, User.unit_id == Unit.id)
            .where(User.unit_id.in_(above), User.is_active, User.role.in_(LEADER_ROLES))
            .order_by(Unit.path, User.name_sort, User.id)).all() + leaders
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


def filter_options(actor: User, unit_id: int | str | None = None,
                   people: bool = True) -> FilterOptions:
    """The choices of the list filters, limited to what the actor may read; a retired unit
    only when it is the one chosen (the home page links to it while it has tasks). With
    `people=False` (a filter without person and leader), the people are not read."""
    shape, values = access.scope_shape(actor)
    chosen = isinstance(unit_id, int)
    if chosen:
        values["chosen_unit_id"] = unit_id
    plans_q, units_q, fields_q, people_q = _options_stmts(shape, chosen)
    plans = select_rows(plans_q, values).all()
    units = tree_order(select_rows(units_q, values).all())
    fields = select_rows(fields_q, values).all()
    found = select_rows(people_q, values).all() if people else []
    leaders = [p for p in found if p.role in LEADER_ROLES]
    return FilterOptions(plans, units, fields, found, leaders, not access.reads_everything(actor))


@cache
def _options_stmts(shape: str, chosen: bool) -> tuple:
    """filter_options' four statements for a shape of access.scope_shape (and whether a unit
    is chosen), built once: their construction cost ten times what SQLite spends on them
    (issue 16, docs/performance.md fifth pass). The reader's values are bound at execution."""
    in_scope = access.unit_scope_sql(shape)
    shown = Unit.is_active | (Unit.id == bindparam("chosen_unit_id")) if chosen else Unit.is_active
    unit_ids = select(Unit.id).where(in_scope)
    return (select(Plan.id, Plan.title, Plan.year).where(access.plan_scope_sql(shape))
            .order_by(Plan.year.desc(), Plan.title).limit(300),
            select(Unit.id, Unit.name, Unit.path, Unit.kind, Unit.name_sort)
            .where(in_scope, shown).order_by(Unit.path).limit(1000),
            select(Field.id, Field.name).where(Field.unit_id.in_(unit_ids) | Field.unit_id.is_(None))
            .order_by(Field.name_sort).limit(300),
            select(User.id, User.full_name, User.role).where(User.unit_id.in_(unit_ids), User.is_active)
            .order_by(User.name_sort).limit(1000))


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
             "coordinators": "unit", "field_id": "field", "contacts": "user",
             "for_units": "unit", "owner_unit_id": "unit"}
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
