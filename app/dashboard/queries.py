"""What the home page shows, per role, in a fixed handful of set-based queries."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Integer,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList
from sqlalchemy.sql.functions import FunctionElement

from app.common import access
from app.deadlines import extensions
from app.deadlines.sweep import awaiting_on_time, in_issued_plan, overdue_condition
from app.directory.units import tree_order
from app.domain.status import EXCLUDED_STATUSES, OPEN_STATUSES, Lifecycle, Timeliness
from app.extensions import db
from app.models import (
    Extension,
    Field,
    Plan,
    PlanStatus,
    Role,
    Task,
    TaskTally,
    Unit,
    User,
)
from app.models.user import LEADER_ROLES
from app.quality.queries import achievement_sql
from app.tasks import queries as task_queries
from app.tasks.queries import plan_year_condition, timeliness_condition, unit_leaders

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
        # Submitted on time and awaiting confirmation: within deadline (domain.status).
        (awaiting_on_time(), Timeliness.WITHIN.value),
        # A task of a draft plan has not started (DESIGN.md 4): never overdue nor due soon.
        (not_(in_issued_plan()), Timeliness.WITHIN.value),
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
        # Their unit's work, not the tasks it only coordinates (those: the "Phối hợp" tab).
        return access.task_scope(actor, coordinated=False)
    if actor.role == Role.DEPUTY:
        return Task.leader_id == actor.id
    if actor.role == Role.STAFF:
        return Task.assignee_id == actor.id
    return false()


def home_scope(actor: User, today: date):
    """SQL condition: the tasks the home page counts and lists. What the reader manages
    now: the tasks of this year's plans, and those of earlier years' plans not completed
    or cancelled (carried over; overdue, they matter most). All-time figures would bury
    this year's picture after a year or two, and make every page read every task. The
    task list reproduces the set with `year=<this year>&carry=1` (`home_args`)."""
    return and_(role_scope(actor), plan_year_condition(today.year, carry=True))


def home_args(today: date) -> dict:
    """The task list's filter for `home_scope`: added to every link of the home page."""
    return {"year": today.year, "carry": 1}


@lru_cache(maxsize=8)
def _timeliness_key(today: date, due_soon_days: int):
    """Each task's timeliness as one CASE built from the very conditions the task list
    filters by, so that a count and the list it links to always agree. The conditions
    exclude one another, so their order only changes the speed: the most frequent
    (completed tasks) are tested first. Built once per (day, setting): an expression is
    immutable, and building this one took ~10% of the home page (issue 16's profile)."""
    order = (Timeliness.DONE_ON_TIME, Timeliness.DONE_LATE, Timeliness.EXCLUDED,
             Timeliness.OVERDUE, Timeliness.DUE_SOON, Timeliness.WITHIN)
    return case(*[(timeliness_condition(t, today, due_soon_days), t.value) for t in order],
                else_=None)


_KEYS = tuple(t.value for t in TIMELINESS_ORDER)


@dataclass
class Counts:
    """Tasks of one row by timeliness; `total` leaves no task out."""

    by: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KEYS, 0))

    @classmethod
    def from_row(cls, row) -> "Counts":
        return cls({k: int(getattr(row, k) or 0) for k in _KEYS})

    def __getitem__(self, key: str) -> int:
        return self.by[key]

    def add(self, other: "Counts") -> None:
        for key, n in other.by.items():
            self.by[key] += n

    @property
    def total(self) -> int:
        return sum(self.by.values())


# The rows that make a table add up to the cards: tasks led outside the units shown (or by
# someone other than the unit's leaders), and tasks with nobody in that column. Their key is
# also the task list's filter value (`unit=other`, `leader=none`, ...).
OTHER, NONE = task_queries.OTHER, task_queries.NONE


@dataclass
class UnitRow:
    unit_id: int | None
    name: str | None  # None for the OTHER and NONE rows, named by the template
    is_anchor: bool
    counts: Counts
    kind: str = "unit"  # "unit", OTHER or NONE

    @property
    def key(self) -> int | str:
        """The row's id on the page and its `unit=` value in the task list."""
        return self.unit_id if self.unit_id is not None else self.kind


@dataclass
class LeaderRow:
    user_id: int | None
    name: str | None
    role: str | None
    counts: Counts
    kind: str = "leader"  # "leader", OTHER or NONE

    @property
    def key(self) -> int | str:
        """The row's id on the page and its `leader=` value in the task list."""
        return self.user_id if self.user_id is not None else self.kind


@dataclass
class FieldRow:
    field_id: int | None
    name: str | None
    counts: Counts


@dataclass(slots=True)
class HomeTask:
    """A task as the home page's lists show it, with a Task's names for what it has: plain
    values from one Core SELECT, not an ORM task with its responsible person (issue 16: the
    four lists' ORM objects were a fifth of the head's request)."""

    id: int
    title: str
    due_on: date | None
    progress: int
    leader_id: int | None
    submitted_on: date | None
    assignee_name: str | None  # the responsible person's full name


@dataclass(slots=True)
class IndicatorTask:
    """A task of the indicators' "furthest behind", as the card shows it."""

    id: int
    title: str
    indicator_name: str
    indicator_unit: str
    indicator_target: object
    indicator_actual: object
    indicator_direction: str


@dataclass(slots=True)
class PendingExtension:
    """An extension request awaiting the reader's decision, as the home page shows it."""

    id: int
    task_id: int
    task_title: str
    requested_by_name: str
    previous_due_on: date
    proposed_due_on: date
    requested_on: date


@dataclass
class DueTask:
    task: HomeTask
    days: int  # days overdue for the most-overdue list, days left for this week's


@dataclass
class IndicatorRow:
    task: IndicatorTask
    achievement: object  # Decimal, % capped at 100


@dataclass
class Indicators:
    """The measurable indicators of the scope's tasks fallen due (DESIGN.md 8: "đạt và vượt
    100% chỉ tiêu" as a number): how many, how many met in full, the mean achievement (%,
    each capped at 100), and the furthest behind."""

    count: int = 0
    met: int = 0
    mean: object = None
    lowest: list[IndicatorRow] = field(default_factory=list)


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
    to_review: list[HomeTask]
    extensions: list[PendingExtension] = field(default_factory=list)  # awaiting the actor's decision
    indicators: Indicators = field(default_factory=Indicators)

    @property
    def total(self) -> int:
        return self.counts.total


@dataclass
class ScopeCounts:
    """The actor's tasks counted once, by (lead unit, leader, field) and timeliness: the
    cards, the unit, leader and field tables are all sums of these rows."""

    rows: list  # (lead_unit_id, leader key, field_id, timeliness, n)
    leaders: list  # the head's unit's leaders (id, full_name, role, name_sort)
    units: list  # the units the unit table may show (id, name, name_sort, kind, path, parent_id, is_active)
    indicators: tuple = (0, 0, 0)  # the scope's indicators fallen due: (count, met, sum of achievement)


# The leader key of the tasks led by someone who is not one of the unit's leaders (no user
# has id 0).
OTHER_LEADER = 0


def _shows_units(actor: User) -> bool:
    return access.reads_everything(actor) or actor.role == Role.HEAD


def scope_counts(actor: User, today: date, due_soon_days: int, scope=None,
                 tallied: bool = True) -> ScopeCounts:
    """One GROUP BY over the actor's home scope (each task read once, whatever the number
    of tables shown), and the small lists of leaders and units the rows are summed into.

    A head's dashboard used to count the scope three times (per unit, joining every unit
    to every task led in its subtree, per leader and per field): 0.55 s of SQL for the
    province's head at 100,000 tasks (docs/performance.md).

    A head's, a deputy's and the province readers' counts come from the tallies the
    database keeps (`tallied`; `scope` is then not read: their home scope is fixed by the
    role). Staff counts, a few dozen tasks, and `tallied=False` (the tests' recount) read
    the tasks."""
    leaders: list = []
    units: list = []
    lead_key = leader_key = null()
    if actor.role == Role.HEAD:
        leaders = unit_leaders(actor.unit_id)
        # Only the unit's own leaders have a row: every other leader folds into one key,
        # OTHER_LEADER, and tasks without a leader keep NULL.
        whens = [(Task.leader_id.is_(None), null())]
        if leaders:
            whens.append((Task.leader_id.in_([r.id for r in leaders]), Task.leader_id))
        leader_key = case(*whens, else_=OTHER_LEADER)
    if _shows_units(actor):
        q = select(Unit.id, Unit.name, Unit.name_sort, Unit.kind, Unit.path, Unit.parent_id,
                   Unit.is_active)
        if not access.reads_everything(actor):
            q = q.where(Unit.path.like(actor.unit.path + "%"))
        units = db.session.execute(q).all()
        lead_key = Task.lead_unit_id
    if tallied and actor.role != Role.STAFF:
        return _tallied_counts(actor, today, due_soon_days, leaders, units)
    # The indicators' figures ride along (`indicators`): the same tasks, read once.
    held = _indicator_condition(today)
    keyed = (select(lead_key.label("lead"), leader_key.label("leader"), Task.field_id.label("field"),
                    _timeliness_key(today, due_soon_days).label("timeliness"),
                    case((held, 1), else_=null()).label("held"),
                    case((held, achievement_sql()), else_=null()).label("ach"))
             .where(home_scope(actor, today) if scope is None else scope).subquery())
    by = (keyed.c.lead, keyed.c.leader, keyed.c.field, keyed.c.timeliness)
    rows = db.session.execute(
        select(*by, func.count(), func.count(keyed.c.held),
               func.sum(case((keyed.c.ach >= 1.0, 1), else_=0)), func.sum(keyed.c.ach))
        .group_by(*by)).all()
    n = sum(r[5] for r in rows)
    met = sum(r[6] or 0 for r in rows)
    total = sum(r[7] for r in rows if r[7] is not None)
    return ScopeCounts([tuple(r[:5]) for r in rows], leaders, units, (n, met, total))


def _leader_key(column, leaders: list, none):
    """A head's leader table key: the unit's own leaders by id, every other leader
    OTHER_LEADER, no leader NULL (`none` is how "no leader" is stored in `column`)."""
    whens = [(column.is_(None), null())] if none is None else [(column == none, null())]
    if leaders:
        whens.append((column.in_([r.id for r in leaders]), column))
    return case(*whens, else_=OTHER_LEADER)


TALLY_KINDS = ("c", "l", "n", "s", "x", "w", "o")  # app/models/tally.py
CARRIED_KINDS = ("s", "w", "o")


def _tally_scope(whose: list, year: tuple):
    """Each scope term with each year branch, OR-ed: SQLite (MULTI-INDEX OR) and PostgreSQL
    (BitmapOr) read each from its own index."""
    if not whose:
        return or_(*year)
    return or_(*[and_(w, y) for w in whose for y in year])


@lru_cache(maxsize=8)
def _tally_terms(today: date, due_soon_days: int) -> tuple:
    """(timeliness, the home year, indicators held) of a tally row as SQL, built once per
    (day, setting) as `_timeliness_key` is: an expression is immutable.

    The timeliness is the row's kind (app/models/tally.py), and for a task still open with a
    due date, today's judgement of that date, as `_timeliness_key` judges a task."""
    tt = TaskTally
    k = tt.kind
    soon = today + timedelta(days=due_soon_days)
    draft = tt.plan_id.in_(select(Plan.id).where(Plan.status == PlanStatus.DRAFT))
    timeliness = case(
        (k == "c", Timeliness.DONE_ON_TIME.value), (k == "l", Timeliness.DONE_LATE.value),
        (k.in_(("s", "x")), Timeliness.EXCLUDED.value), (k == "w", Timeliness.WITHIN.value),
        (k != "o", null()),
        # A task of a draft plan has not started (DESIGN.md 4): never overdue nor due soon.
        (draft, Timeliness.WITHIN.value),
        (tt.due_on < today, Timeliness.OVERDUE.value),
        (tt.due_on <= soon, Timeliness.DUE_SOON.value),
        else_=Timeliness.WITHIN.value)
    # home_scope's year (tasks.queries.plan_year_condition with carry): this year's plans,
    # and earlier years' tasks of kinds s, w and o (CARRY_STATUSES: neither completed nor
    # cancelled). Two branches, each with the kind listed, so that with a scope column in
    # front each is an index condition on (column, kind, year): an earlier year's settled
    # keys are never read, however many years the table holds.
    year = (and_(tt.kind.in_(TALLY_KINDS), tt.year == today.year),
            and_(tt.kind.in_(CARRIED_KINDS), tt.year < today.year))
    # `_indicator_condition`: fallen due, in an issued plan, not cancelled nor suspended.
    held = and_(tt.kind.not_in(("s", "x")), tt.due_on <= today, not_(draft))
    return (timeliness, year, case((held, tt.n_indicators), else_=0),
            case((held, tt.n_met), else_=0), case((held, tt.achievement_e9), else_=0))


def _tallied_counts(actor: User, today: date, due_soon_days: int, leaders: list,
                    units: list) -> ScopeCounts:
    """`scope_counts` from the tallies the database keeps (app/models/tally.py) instead of
    the tasks: the same rows, from a few keys per (lead unit, leader, field) instead of
    every task of the scope. The one part of a head's scope a tally cannot select, tasks
    the head is the responsible person of outside the unit's work (access.task_scope's
    assignee term), is counted from the tasks in the same statement: a handful at most."""
    tt = TaskTally
    timeliness, year, held_n, held_met, held_ach = _tally_terms(today, due_soon_days)
    lead = func.nullif(tt.lead_unit_id, 0) if _shows_units(actor) else null()
    leader = _leader_key(tt.leader_id, leaders, 0) if actor.role == Role.HEAD else null()
    if access.reads_everything(actor):
        whose = []
    elif actor.role == Role.HEAD:
        ids = access.subtree_id_list(actor.unit.path)
        whose = [tt.owner_unit_id.in_(ids), tt.lead_unit_id.in_(ids), tt.leader_id == actor.id]
    else:  # a deputy: the tasks they are the accountable leader of (role_scope)
        whose = [tt.leader_id == actor.id]
    where = _tally_scope(whose, year)
    parts = [select(lead.label("lead"), leader.label("leader"),
                    func.nullif(tt.field_id, 0).label("field"),
                    timeliness.label("timeliness"), tt.n.label("n"), held_n.label("held"),
                    held_met.label("met"), held_ach.label("ach"))
             .where(where, tt.n > 0)]
    if actor.role == Role.HEAD:
        ids = access.subtree_id_list(actor.unit.path)
        beyond = and_(Task.assignee_id == actor.id, Task.owner_unit_id.not_in(ids),
                      or_(Task.lead_unit_id.is_(None), Task.lead_unit_id.not_in(ids)),
                      or_(Task.leader_id.is_(None), Task.leader_id != actor.id),
                      plan_year_condition(today.year, carry=True))
        held_task = _indicator_condition(today)
        ach = achievement_sql()
        parts.append(select(
            Task.lead_unit_id, _leader_key(Task.leader_id, leaders, None), Task.field_id,
            _timeliness_key(today, due_soon_days), literal(1), case((held_task, 1), else_=0),
            case((and_(held_task, ach >= 1.0), 1), else_=0),
            case((held_task, cast(func.round(ach * E9), BigInteger)), else_=0)).where(beyond))
    keyed = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    by = (keyed.c.lead, keyed.c.leader, keyed.c.field, keyed.c.timeliness)
    rows = db.session.execute(
        select(*by, func.sum(keyed.c.n), func.sum(keyed.c.held), func.sum(keyed.c.met),
               func.sum(keyed.c.ach)).group_by(*by)).all()
    n = sum(int(r[5]) for r in rows)
    met = sum(int(r[6]) for r in rows)
    # The sum of achievements is kept in whole billionths (a float sum could not be kept
    # by adding and subtracting without drifting): exact, and the same to the cent.
    total = sum(int(r[7]) for r in rows) / E9
    return ScopeCounts([(r[0], r[1], r[2], r[3], int(r[4])) for r in rows], leaders, units,
                       (n, met, total))


E9 = 1_000_000_000


def unit_rows(actor: User, today: date, due_soon_days: int,
              counted: ScopeCounts | None = None) -> list[UnitRow]:
    """Counts per lead unit, each with its sub-units (a unit's tasks are the tasks it
    leads, DESIGN.md section 5): the actor's unit and each unit directly below it, or for
    the assessor and the admin each top-level unit and the units directly below it.
    Each counted row is added to the shown units on its lead unit's path. A head's scope
    also holds the tasks of the unit's plans led by other units (and tasks without a lead
    unit): they get a row each, OTHER and NONE, so that the anchor rows and these add up
    to the cards."""
    if not _shows_units(actor):
        return []
    counted = counted or scope_counts(actor, today, due_soon_days)
    if access.reads_everything(actor):
        anchor_ids = {u.id for u in counted.units if u.parent_id is None}
    else:
        anchor_ids = {actor.unit_id}
    shown = {u.id: u for u in counted.units if u.id in anchor_ids or u.parent_id in anchor_ids}
    counts = {uid: Counts() for uid in shown}
    other, nobody = Counts(), Counts()
    paths = {u.id: u.path for u in counted.units}
    ancestors: dict[int, list[int]] = {}
    for lead_id, _leader, _field, timeliness, n in counted.rows:
        if timeliness is None:
            continue
        if lead_id is None:
            nobody.by[timeliness] += n
            continue
        if lead_id not in paths:
            other.by[timeliness] += n  # led by a unit outside the actor's subtree
            continue
        on_path = ancestors.get(lead_id)
        if on_path is None:
            on_path = ancestors[lead_id] = [int(x) for x in paths[lead_id].strip("/").split("/")
                                            if int(x) in counts]
        for uid in on_path:
            counts[uid].by[timeliness] += n
    rows = []
    for u in tree_order(shown.values()):
        c = counts[u.id]
        if u.id not in anchor_ids and not u.is_active and c.total == 0:
            continue  # a retired sub-unit with nothing left to show
        rows.append(UnitRow(u.id, u.name, u.id in anchor_ids, c))
    rows += [UnitRow(None, None, True, c, kind) for kind, c in ((OTHER, other), (NONE, nobody))
             if c.total]
    return rows


def leader_rows(actor: User, today: date, due_soon_days: int,
                counted: ScopeCounts | None = None) -> list[LeaderRow]:
    """For a head: counts per leader of the unit (the head, then each deputy) over the
    tasks they are the accountable leader of, within the head's scope; then, so that the
    rows add up to the cards, the tasks whose leader is someone else (a leader of another
    unit, for a task of the unit's plan led there) and those without a leader."""
    if actor.role != Role.HEAD:
        return []
    counted = counted or scope_counts(actor, today, due_soon_days)
    counts = {r.id: Counts() for r in counted.leaders}
    other, nobody = Counts(), Counts()
    for _lead, leader_id, _field, timeliness, n in counted.rows:
        if timeliness is None:
            continue
        target = nobody if leader_id is None else counts.get(leader_id, other)
        target.by[timeliness] += n
    rows = sorted(counted.leaders, key=lambda r: (r.role != Role.HEAD, r.name_sort, r.id))
    out = [LeaderRow(r.id, r.full_name, r.role, counts[r.id]) for r in rows]
    out += [LeaderRow(None, None, None, c, kind) for kind, c in ((OTHER, other), (NONE, nobody))
            if c.total]
    return out


def field_rows(actor: User, today: date, due_soon_days: int,
               counted: ScopeCounts | None = None) -> list[FieldRow]:
    """Counts per field over the actor's scope; tasks without a field come last.
    Together the rows cover every task of the scope."""
    counted = counted or scope_counts(actor, today, due_soon_days)
    counts: dict[int | None, Counts] = {}
    for _lead, _leader, field_id, timeliness, n in counted.rows:
        c = counts.get(field_id)
        if c is None:
            c = counts[field_id] = Counts()
        if timeliness is not None:
            c.by[timeliness] += n
    ids = [i for i in counts if i is not None]
    names = {r.id: r for r in db.session.execute(
        select(Field.id, Field.name, Field.name_sort).where(Field.id.in_(ids)))} if ids else {}
    rows = [FieldRow(i, names[i].name if i in names else None, c) for i, c in counts.items()]
    return sorted(rows, key=lambda r: (r.field_id is None, names[r.field_id].name_sort
                                       if r.field_id in names else "", r.field_id or 0))


# The responsible person's name, joined to the lists' tasks (aliased once: an alias made per
# request re-adapts every column it is asked for; aliased so that a scope's subquery on
# `users` cannot correlate to it).
_ASSIGNEE = aliased(User)
_HOME_COLUMNS = (Task.id, Task.title, Task.due_on, Task.progress, Task.leader_id, Task.submitted_on,
                 _ASSIGNEE.full_name)


def _home_tasks(where, order, limit: int) -> list[HomeTask]:
    """The first `limit` tasks matching `where` as HomeTask rows: one Core SELECT."""
    return [HomeTask(*r) for r in db.session.execute(
        select(*_HOME_COLUMNS).select_from(Task)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Task.assignee_id)
        .where(where).order_by(*order).limit(limit))]


def most_overdue(actor: User, today: date, limit: int = TOP_N, scope=None) -> list[DueTask]:
    """The open tasks of the actor's home scope furthest past their due date."""
    scope = home_scope(actor, today) if scope is None else scope
    items = _home_tasks(and_(scope, overdue_condition(today)), (Task.due_on, Task.id), limit)
    return [DueTask(t, (today - t.due_on).days) for t in items]


def due_this_week(actor: User, today: date, limit: int = TOP_N,
                  scope=None) -> tuple[list[DueTask], int, date]:
    """Open tasks of the actor's home scope due from today to today + 6, nearest first, and
    how many there are in all."""
    week_end = today + timedelta(days=WEEK_DAYS - 1)
    where = and_(home_scope(actor, today) if scope is None else scope, Task.status.in_([s.value for s in OPEN_STATUSES]),
                 Task.due_on >= today, Task.due_on <= week_end, in_issued_plan())
    total = db.session.scalar(select(func.count(Task.id)).where(where)) or 0
    items = _home_tasks(where, (Task.due_on, Task.id), limit)
    return [DueTask(t, (t.due_on - today).days) for t in items], total, week_end


def awaiting_review(actor: User, limit: int = 20) -> list[HomeTask]:
    """Submissions the actor may confirm: as accountable leader (not of work added after issue
    below the head), or as the head over the unit."""
    if actor.role not in LEADER_ROLES:
        return []
    # Work added after issue below the head is the head's to confirm, not its leader's
    # (access.can_review, task_rules.head_confirms_addition).
    review_scope = and_(Task.leader_id == actor.id, Task.head_confirms.is_(False))
    if actor.role == Role.HEAD:
        # The ids as a list, as in access.task_scope: with a subquery PostgreSQL may read
        # every task instead of OR-ing the (leader, status) and (owner unit, status) indexes.
        review_scope = review_scope | Task.owner_unit_id.in_(access.subtree_id_list(actor.unit.path))
    # Never one's own submission (access.can_review).
    return _home_tasks(and_(review_scope, Task.status == Lifecycle.SUBMITTED,
                            or_(Task.assignee_id.is_(None), Task.assignee_id != actor.id)),
                       (Task.submitted_on, Task.id), limit)


_REQUESTER = aliased(User)


def pending_extensions(actor: User, limit: int = TOP_N * 2) -> list[PendingExtension]:
    """The extension requests awaiting the actor's decision, oldest first: the rows of
    deadlines.extensions.pending_for as plain values, in one Core SELECT."""
    r = _REQUESTER
    return [PendingExtension(*row) for row in db.session.execute(
        select(Extension.id, Extension.task_id, Task.title, r.full_name, Extension.previous_due_on,
               Extension.proposed_due_on, Extension.requested_on)
        .select_from(Extension).join(Task, Task.id == Extension.task_id)
        .join(r, r.id == Extension.requested_by_id)
        .where(*extensions.pending_conditions(actor))
        .order_by(Extension.requested_at, Extension.id).limit(limit))]


INDICATOR_LOW_N = 5


class _due_unindexed(FunctionElement):
    """A task's due date that SQLite's planner does not match to an index (`+tasks.due_on`);
    the bare column elsewhere. See `indicators`."""

    type = Date()
    inherit_cache = True


@compiles(_due_unindexed)
def _due_unindexed_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_due_unindexed, "sqlite")
def _due_unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _indicator_condition(today: date):
    """SQL: a task of the home scope is one of its indicators (`indicators`)."""
    return and_(Task.indicator_target.is_not(None), _due_unindexed(Task.due_on) <= today,
                in_issued_plan(), Task.status.not_in([s.value for s in EXCLUDED_STATUSES]))


def _or_terms(condition) -> list:
    """The terms of an OR condition (itself alone if it is none)."""
    if isinstance(condition, BooleanClauseList) and condition.operator is operators.or_:
        return list(condition.clauses)
    return [condition]


class _plan_of_year(FunctionElement):
    """SQL: the task's plan is of the given year. SQLite: `plan_id IN (SELECT ...)` as
    tasks.queries.plan_year_condition writes it (an index condition there). PostgreSQL:
    `plan_id = ANY(ARRAY(SELECT ...))`, whose array is computed once (an InitPlan) and is an
    index condition, where the IN subquery is a hashed filter over every row of the unit."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, year: int, default):
        super().__init__(literal(year, Integer), default)


@compiles(_plan_of_year)
def _plan_of_year_default(element, compiler, **kw):
    return compiler.process(list(element.clauses)[1], **kw)


@compiles(_plan_of_year, "postgresql")
def _plan_of_year_pg(element, compiler, **kw):
    year = compiler.process(next(iter(element.clauses)), **kw)
    return f"tasks.plan_id = ANY(ARRAY(SELECT plans.id FROM plans WHERE plans.year = {year}))"


def _indicator_scope(actor: User, today: date):
    """SQL: `home_scope` restricted to tasks with an indicator target, written as each term of
    the reader's scope with each year branch (this year's plans; earlier years' unfinished
    tasks), OR-ed, each branch stating the target: so that each is an index condition on the
    partial indexes `(owner_unit_id | lead_unit_id | leader_id, plan_id) WHERE indicator_target
    IS NOT NULL` (migration 0018), as the tallies' scope is (`_tally_scope`). The same set as
    `home_scope` AND a target: (t1 OR t2 ...) AND (y1 OR y2) = OR of every (ti AND yj)."""
    role = role_scope(actor)
    terms = [] if access.reads_everything(actor) else _or_terms(role)
    this_year, carried = _or_terms(plan_year_condition(today.year, carry=True))
    years = (_plan_of_year(today.year, this_year), carried)
    held = Task.indicator_target.is_not(None)
    if not terms:
        return or_(*[and_(y, held) for y in years])
    return or_(*[and_(t, y, held) for t in terms for y in years])


def indicators(actor: User, today: date, scope=None, limit: int = INDICATOR_LOW_N,
               totals: tuple | None = None, lowest_scope=None) -> Indicators:
    """The indicators (tasks with a target) of the home scope fallen due by today, in
    issued plans and not cancelled or suspended: counted with the quality criteria's own
    achievement SQL (app.quality.queries.achievement_sql: actual / target, or target /
    actual when lower is better, capped at 100%; nothing reported counts 0). Two queries,
    or one with the `totals` (count, met, sum) the home page's GROUP BY counted
    (`scope_counts`: the same tasks, read once; 6.6 ms of SQLite CPU less for the largest
    department's head, 2 ms more in the GROUP BY).

    The due date is compared unindexed: by the (unit, due date) indexes SQLite read every
    task of the scope fallen due in any year and looked each up in the table before testing
    its plan's year; by the (unit, plan, status) indexes, as the counts above, it tests the
    plan in the index and reads only this year's tasks and those carried over: 13.4 -> 6.4
    and 15.0 -> 7.1 ms of CPU for the largest department's head (docs/performance.md)."""
    scope = home_scope(actor, today) if scope is None else scope
    ach = achievement_sql()
    where = and_(scope, _indicator_condition(today))
    if totals is None:
        totals = db.session.execute(
            select(func.count(Task.id), func.coalesce(func.sum(case((ach >= 1.0, 1), else_=0)), 0),
                   func.coalesce(func.sum(ach), 0)).where(where)).one()
    n, met, total = totals
    if not n:
        return Indicators()
    rows = db.session.execute(
        select(Task.id, Task.title, Task.indicator_name, Task.indicator_unit, Task.indicator_target,
               Task.indicator_actual, Task.indicator_direction, ach)
        .where(_indicator_scope(actor, today) if lowest_scope is None else lowest_scope,
               _indicator_condition(today), ach < 1.0)
        .order_by(ach, Task.due_on, Task.id).limit(limit)).all()
    return Indicators(int(n), int(met), _pct(total / n),
                      [IndicatorRow(IndicatorTask(*r[:7]), _pct(r[7])) for r in rows])


def _pct(share) -> Decimal:
    return (Decimal(str(share)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build(actor: User, today: date, due_soon_days: int, tallied: bool = True) -> Dashboard:
    """Everything the home page shows for the actor's role; a fixed number of queries.
    The scope's condition is built once (a head's holds the unit's subtree ids: one query).
    `tallied=False` counts from the tasks (`scope_counts`): the tests' recount."""
    scope = home_scope(actor, today)
    counted = scope_counts(actor, today, due_soon_days, scope, tallied)
    fields = field_rows(actor, today, due_soon_days, counted)
    counts = Counts()
    for row in fields:
        counts.add(row.counts)
    units = unit_rows(actor, today, due_soon_days, counted)
    leaders = leader_rows(actor, today, due_soon_days, counted)
    if access.reads_everything(actor):
        # Province-wide, the unit table says it all; the task lists would be endless.
        return Dashboard(actor.role, counts, units, [], fields, [], [], 0,
                         today + timedelta(days=WEEK_DAYS - 1), [],
                         indicators=indicators(actor, today, scope, totals=counted.indicators))
    week, week_total, week_end = due_this_week(actor, today, scope=scope)
    waiting = pending_extensions(actor) if actor.role in LEADER_ROLES else []
    return Dashboard(actor.role, counts, units, leaders, fields, most_overdue(actor, today, scope=scope),
                     week, week_total, week_end, awaiting_review(actor), waiting,
                     indicators(actor, today, scope, totals=counted.indicators))
