"""What each reader sees of an assessment: the units and leaders in their scope, the
tasks behind every figure (live, or the stored rows of a frozen run), the score by
month, and the list of frozen runs. Reads only; nothing here writes."""

import math
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select, true
from sqlalchemy.orm import aliased

from app.assessment.service import (
    Report,
    Row,
    counted_tasks,
    counted_weights_cte,
    counts_for_leader,
    counts_for_unit,
    credit_case,
    credit_places,
    leader_weight,
    live,
    load_run,
    outcome_case,
    tally_columns,
    tally_values,
    to_tally,
    unit_weight,
)
from app.common import access
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.directory.units import tree_order
from app.domain.scoring import Outcome, Period, ScoringSettings, Tally, grade
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import (
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
    Task,
    Unit,
    User,
)
from app.models.user import LEADER_ROLES, Role

# Who reads assessments at all (the pages and the API): the rest get 403.
READER_ROLES = (Role.ADMIN, Role.ASSESSOR, Role.HEAD, Role.DEPUTY)
FALLEN_DUE = (Outcome.ON_TIME, Outcome.LATE, Outcome.OVERDUE)
# The sets a figure opens: one outcome, or the outcomes a column counts together.
OUTCOME_FILTERS: dict[str, tuple[Outcome, ...]] = {
    "on_time": (Outcome.ON_TIME,),
    "late": (Outcome.LATE,),
    "overdue": (Outcome.OVERDUE,),
    "within": (Outcome.WITHIN,),
    "excluded": (Outcome.EXCLUDED,),
    "due": FALLEN_DUE,
    "completed": (Outcome.ON_TIME, Outcome.LATE),
}
EXTENDED = "extended"   # the tasks whose deadline was extended at least once
ADDED = "added"         # the tasks added to their plan after issue (bổ sung)
FILTERS = (*OUTCOME_FILTERS, EXTENDED, ADDED)
CENT = Decimal("0.01")


# ---- who sees which rows ------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The part of an assessment a reader sees: a subtree (None: every unit) and, for a
    deputy, only their unit's row and their own leader row."""

    root: Unit | None
    only_unit_id: int | None = None
    only_leader_id: int | None = None
    # Assessors and administrators see the whole group, hence the quota warning.
    full: bool = False

    @property
    def root_path(self) -> str | None:
        return self.root.path if self.root is not None else None


def reader_scope(actor: User, unit_id: int | None = None) -> Scope:
    """The scope of `actor`, narrowed to `unit_id` when given (assessors, admins and heads)."""
    if access.reads_everything(actor):
        if unit_id is None:
            return Scope(None, full=True)
        return Scope(_unit_choice(unit_id, None), full=True)
    if actor.role == Role.HEAD:
        if unit_id is None:
            return Scope(actor.unit)
        return Scope(_unit_choice(unit_id, actor.unit.path))
    if actor.role == Role.DEPUTY:
        # A deputy reads their own row and their unit's, nothing to narrow.
        return Scope(actor.unit, only_unit_id=actor.unit_id, only_leader_id=actor.id)
    raise PermissionDenied()


def _unit_choice(unit_id: int, within: str | None) -> Unit:
    if not 0 < unit_id < 2**31:
        # ids are 32-bit: PostgreSQL raises on a larger number (a 500), so refuse it here
        raise RuleViolation(_l("Choose a unit from the list."), "unit")
    q = select(Unit).where(Unit.id == unit_id, Unit.is_active)
    if within is not None:
        q = q.where(Unit.path.like(within + "%"))
    unit = db.session.scalar(q)
    if unit is None:
        raise RuleViolation(_l("Choose a unit from the list."), "unit")
    return unit


def narrowing_units(actor: User) -> list:
    """The units `actor` may narrow the view to, in tree order (id, code, name, depth)."""
    if not actor.has_role(Role.ADMIN, Role.ASSESSOR, Role.HEAD):
        return []
    q = select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.kind, Unit.name_sort).where(Unit.is_active)
    if actor.role == Role.HEAD:
        q = q.where(Unit.path.like(actor.unit.path + "%"))
    return [(u.id, u.code, u.name, u.path.count("/") - 2)
            for u in tree_order(db.session.execute(q).all())]


def restrict(report: Report, scope: Scope) -> Report:
    """The report as the scope's reader sees it."""
    units, leaders = report.units, report.leaders
    if scope.only_unit_id is not None:
        units = [r for r in units if r.key == scope.only_unit_id]
    if scope.only_leader_id is not None:
        leaders = [r for r in leaders if r.key == scope.only_leader_id]
    return replace(report, units=units, leaders=leaders,
                   warnings=report.warnings if scope.full else [])


def live_report(scope: Scope, period: Period, as_of: date, s: ScoringSettings, *,
                today: date) -> Report:
    """The live figures of the scope (three queries), restricted to what the reader sees."""
    return restrict(live(period, as_of, s, scope.root, today=today), scope)


def add_tallies(tallies) -> Tally:
    out = Tally()
    for t in tallies:
        out.tasks += t.tasks
        out.on_time += t.on_time
        out.late += t.late
        out.overdue += t.overdue
        out.within += t.within
        out.excluded += t.excluded
        out.weight_due += t.weight_due
        out.credit += t.credit
        out.extensions += t.extensions
        out.amendments += t.amendments
        # Unknown in one (a run frozen before additions were counted): unknown in the sum.
        out.additions = (None if out.additions is None or t.additions is None
                         else out.additions + t.additions)
        out.cancellations += t.cancellations
    return out


def subtree_rows(units: list[Row], s: ScoringSettings) -> dict[int, Row]:
    """For each unit with sub-units in the table: its figures together with theirs, kept
    apart from the unit's own (DESIGN.md section 5)."""
    out = {}
    for i, r in enumerate(units):
        below = [u for u in units[i + 1:] if u.path.startswith(r.path)]
        if below:
            t = add_tallies([r.tally, *(u.tally for u in below)])
            out[r.key] = Row(r.key, r.code, r.name, t, grade(t.score, s), depth=r.depth,
                             path=r.path)
    return out


def visible_unit(scope: Scope, unit_id: int) -> Unit:
    """An active unit of the scope's tables, or NotFound."""
    q = select(Unit).where(Unit.id == unit_id, Unit.is_active)
    if scope.root is not None:
        q = q.where(Unit.path.like(scope.root.path + "%"))
    if scope.only_unit_id is not None:
        q = q.where(Unit.id == scope.only_unit_id)
    unit = db.session.scalar(q)
    if unit is None:
        raise NotFound()
    return unit


def visible_leader(scope: Scope, user_id: int) -> User:
    """An active head or deputy of the scope's leader table, or NotFound."""
    q = (select(User).join(Unit, Unit.id == User.unit_id)
         .where(User.id == user_id, User.is_active, User.role.in_([r.value for r in LEADER_ROLES]),
                Unit.is_active))
    if scope.root is not None:
        q = q.where(Unit.path.like(scope.root.path + "%"))
    if scope.only_leader_id is not None:
        q = q.where(User.id == scope.only_leader_id)
    user = db.session.scalar(q)
    if user is None:
        raise NotFound()
    return user


# ---- the tasks behind a figure ----------------------------------------------------

@dataclass
class TaskLine:
    """One task of a drill-down, as it stands (live) or as it was frozen."""

    task_id: int
    stt: str
    title: str
    unit_code: str
    assignee_name: str
    leader_name: str
    due_on: date | None
    completed_on: date | None
    status: str
    outcome: Outcome
    weight: Decimal
    credit: Decimal | None   # only a fallen-due task earns or loses credit
    extensions: int
    amendments: int = 0
    # Added to its plan after issue (bổ sung); None in a run frozen before it was recorded.
    added: bool | None = False
    # Completed by a date imported into a draft plan, not through submit -> confirm.
    is_imported: bool = False
    # The weight the line's figure counts: a sub-task's share of its parent's weight
    # (docs/integrity.md); the typed weight when it has no share to take.
    counted_weight: Decimal | None = None

    @property
    def shared(self) -> bool:
        """Whether the figure counts another weight than the typed one ("3 → 1.50")."""
        return self.counted_weight is not None and self.counted_weight != self.weight


@dataclass(frozen=True, eq=False)
class TaskSet:
    """The tasks (or a frozen run's task rows) behind one line: an SQL condition, usable
    as one (`where(task_set)`), and which counted weights the line counts: a deputy's line
    the leader figure's, every other line the unit figure's (a sub-task shares its
    parent's weight per lead unit and per leader, docs/integrity.md)."""

    cond: object
    by_leader: bool = False

    def __clause_element__(self):
        return self.cond


@dataclass
class Breakdown:
    """Counts, weights and credits of a set of tasks by outcome: the score's working."""

    counts: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    credits: dict = field(default_factory=dict)
    extended: int = 0
    extensions: int = 0
    amendments: int = 0
    additions: int | None = 0
    cancellations: int = 0

    def count(self, key: str | None) -> int:
        if key is None:
            return sum(self.counts.values())
        if key == EXTENDED:
            return self.extended
        if key == ADDED:
            return self.additions or 0
        return sum(self.counts.get(o, 0) for o in OUTCOME_FILTERS[key])

    @property
    def weight_due(self) -> Decimal:
        return sum((self.weights.get(o, Decimal(0)) for o in FALLEN_DUE), Decimal(0))

    @property
    def credit(self) -> Decimal:
        return sum((self.credits.get(o, Decimal(0)) for o in FALLEN_DUE), Decimal(0))

    @property
    def tally(self) -> Tally:
        c = self.counts
        return Tally(tasks=self.count(None), on_time=c.get(Outcome.ON_TIME, 0),
                     late=c.get(Outcome.LATE, 0), overdue=c.get(Outcome.OVERDUE, 0),
                     within=c.get(Outcome.WITHIN, 0), excluded=c.get(Outcome.EXCLUDED, 0),
                     weight_due=self.weight_due, credit=self.credit, extensions=self.extensions,
                     amendments=self.amendments, additions=self.additions,
                     cancellations=self.cancellations)


@dataclass
class DrillDown:
    breakdown: Breakdown
    lines: list[TaskLine]
    total: int          # tasks in the chosen set, over every page
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _dec(value, places: Decimal) -> Decimal:
    # SQLite sums and multiplies in floating point: back to the exact decimal.
    return Decimal(str(value or 0)).quantize(places, ROUND_HALF_UP)


def _breakdown(rows, places: Decimal) -> Breakdown:
    b = Breakdown()
    for outcome, n, weight, credit, extended, extensions, amendments, added, known, cancelled in rows:
        o = Outcome(outcome)
        b.counts[o] = int(n)
        b.weights[o] = _dec(weight, CENT)
        b.credits[o] = _dec(credit, places)
        b.extended += int(extended or 0)
        b.extensions += int(extensions or 0)
        b.amendments += int(amendments or 0)
        # `known`: rows that recorded whether they were added (a run frozen before 0023 did not).
        if b.additions is not None:
            b.additions = b.additions + int(added or 0) if known == n else None
        b.cancellations += int(cancelled or 0)
    return b


def _page_bounds(page: int, per_page: int, total: int) -> int:
    pages = max(1, math.ceil(total / per_page))
    return min(max(1, page), pages)


def _check_filter(key: str | None) -> None:
    if key is not None and key not in FILTERS:
        raise NotFound()


def in_period(period: Period):
    """SQL: the tasks of an assessment of the period (assessment.counted_tasks)."""
    return counted_tasks(period)


def _active_subtree_ids(path: str):
    return select(Unit.id).where(Unit.is_active, Unit.path.like(path + "%"))


def live_unit_tasks(unit: Unit, with_subunits: bool = False):
    """SQL condition: the tasks a unit leads (with its active sub-units when asked) and is
    scored on, exactly the set of its line in the unit table: a parent whose sub-tasks the
    unit leads is not (DESIGN.md 5)."""
    if with_subunits:
        return TaskSet(and_(Task.lead_unit_id.in_(_active_subtree_ids(unit.path)), counts_for_unit()))
    return TaskSet(and_(Task.lead_unit_id == unit.id, counts_for_unit()))


def live_leader_tasks(leader: User, scope: Scope):
    """SQL condition: the tasks behind a leader's line. The head answers for the whole
    unit; a deputy for the tasks they are the accountable leader of (within the scope's
    units, as in assessment.figures)."""
    if leader.role == Role.HEAD:
        return TaskSet(and_(Task.lead_unit_id == leader.unit_id, counts_for_unit()))
    cond = and_(Task.leader_id == leader.id, counts_for_leader())
    if scope.root is not None:
        cond = and_(cond, Task.lead_unit_id.in_(_active_subtree_ids(scope.root.path)))
    return TaskSet(cond, by_leader=True)


def _weights(cond, cw):
    """SQL: the counted weight of each task for the figure of `cond` (a TaskSet)."""
    return leader_weight(cw) if getattr(cond, "by_leader", False) else unit_weight(cw)


def live_tasks(cond, period: Period, as_of: date, s: ScoringSettings, key: str | None,
               page: int, per_page: int, *, today: date) -> DrillDown:
    """The tasks of a live set with each one's outcome and credit (computed in SQL), one
    page of them, and the breakdown of the whole set."""
    _check_filter(key)
    places = credit_places(s)
    cw = counted_weights_cte()
    w = _weights(cond, cw)
    oc, cc = outcome_case(as_of, today), credit_case(as_of, today, s, w)
    # Grouped in an outer query: PostgreSQL cannot match a CASE with bound parameters
    # in GROUP BY against the same CASE in SELECT. The breakdown sums the counted weights
    # (the figure's), the lines show both.
    inner = (select(oc.label("outcome"), w.label("weight"), cc.label("credit"),
                    Task.extension_count.label("ext"), Task.amendment_count.label("amend"),
                    case((Task.added_after_issue, 1), else_=0).label("added"),
                    case((Task.status == Lifecycle.CANCELLED, 1), else_=0).label("cancelled"))
             .select_from(Task).outerjoin(cw, cw.c.id == Task.id)
             .where(cond, in_period(period)).subquery())
    b = _breakdown(db.session.execute(
        select(inner.c.outcome, func.count(), func.sum(inner.c.weight), func.sum(inner.c.credit),
               func.sum(case((inner.c.ext > 0, 1), else_=0)), func.sum(inner.c.ext),
               func.sum(inner.c.amend), func.sum(inner.c.added), func.count(),
               func.sum(inner.c.cancelled))
        .group_by(inner.c.outcome)), places)
    total = b.count(key)
    page = _page_bounds(page, per_page, total)
    lead, assignee, leader = aliased(Unit), aliased(User), aliased(User)
    q = (select(Task.id, Task.stt, Task.title, func.coalesce(lead.code, ""),
                func.coalesce(assignee.full_name, ""), func.coalesce(leader.full_name, ""),
                Task.due_on, Task.completed_on, Task.status, oc, Task.weight, cc,
                Task.extension_count, Task.amendment_count,
                Task.completion_imported_at.is_not(None), w, Task.added_after_issue)
         .select_from(Task)
         .outerjoin(cw, cw.c.id == Task.id)
         .outerjoin(lead, lead.id == Task.lead_unit_id)
         .outerjoin(assignee, assignee.id == Task.assignee_id)
         .outerjoin(leader, leader.id == Task.leader_id)
         .where(cond, in_period(period)))
    if key == EXTENDED:
        q = q.where(Task.extension_count > 0)
    elif key == ADDED:
        q = q.where(Task.added_after_issue)
    elif key is not None:
        q = q.where(oc.in_([o.value for o in OUTCOME_FILTERS[key]]))
    q = q.order_by(Task.due_on, Task.id).limit(per_page).offset((page - 1) * per_page)
    lines = [_line(r, places) for r in db.session.execute(q)]
    return DrillDown(b, lines, total, page, per_page)


def _line(r, places: Decimal) -> TaskLine:
    (task_id, stt, title, unit_code, assignee, leader, due_on, completed_on, status, outcome,
     weight, credit, ext, amend, imported, counted, added) = r
    o = Outcome(outcome)
    return TaskLine(task_id, stt or "", title, unit_code or "", assignee or "", leader or "",
                    due_on, completed_on if o in (Outcome.ON_TIME, Outcome.LATE) else None,
                    status, o, _dec(weight, CENT),
                    _dec(credit, places) if o in FALLEN_DUE else None, int(ext or 0),
                    int(amend or 0), None if added is None else bool(added), bool(imported),
                    _dec(counted, CENT))


# ---- frozen runs --------------------------------------------------------------------

@dataclass
class RunView:
    """A frozen run as one reader sees it: its report restricted to their part."""

    run: AssessmentRun
    report: Report
    scope: Scope
    prefix: str | None        # the frozen path of the reader's subtree (None: all)
    scope_unit: Unit | None   # the unit the run was frozen for (None: every unit)


def _run_filter(actor: User):
    """SQL condition on AssessmentRun: the runs `actor` may read. A head or deputy reads
    the runs that hold a row of their own unit."""
    if access.reads_everything(actor):
        return true()
    if actor.role in LEADER_ROLES:
        return exists().where(AssessmentUnitRow.run_id == AssessmentRun.id,
                              AssessmentUnitRow.unit_id == actor.unit_id)
    raise PermissionDenied()


def open_run(actor: User, run_id: int) -> RunView:
    """A run the actor may read (NotFound otherwise), with its rows filtered to their part."""
    run = db.session.scalar(select(AssessmentRun).where(AssessmentRun.id == run_id,
                                                        _run_filter(actor)))
    if run is None:
        raise NotFound()
    report = load_run(run)
    scope_unit = db.session.get(Unit, run.scope_unit_id) if run.scope_unit_id else None
    if access.reads_everything(actor):
        return RunView(run, report, Scope(scope_unit, full=True), None, scope_unit)
    # The reader's subtree as it was frozen: the stored path of their unit's row.
    prefix = db.session.scalar(select(AssessmentUnitRow.unit_path).where(
        AssessmentUnitRow.run_id == run.id, AssessmentUnitRow.unit_id == actor.unit_id))
    if actor.role == Role.HEAD:
        scope = Scope(actor.unit)
        units = [r for r in report.units if r.path.startswith(prefix)]
    else:
        scope = Scope(actor.unit, only_unit_id=actor.unit_id, only_leader_id=actor.id)
        units = [r for r in report.units if r.key == actor.unit_id]
    codes = {r.code for r in report.units if r.path.startswith(prefix)}
    leaders = [r for r in report.leaders if r.unit_code in codes
               and (scope.only_leader_id is None or r.key == scope.only_leader_id)]
    # scope_path: the export takes only the task rows of this subtree.
    report = replace(report, units=units, leaders=leaders, warnings=[], scope_path=prefix)
    return RunView(run, report, scope, prefix, scope_unit)


def run_unit(view: RunView, unit_id: int) -> Row:
    for r in view.report.units:
        if r.key == unit_id:
            return r
    raise NotFound()


def run_leader(view: RunView, user_id: int) -> Row:
    for r in view.report.leaders:
        if r.key == user_id:
            return r
    raise NotFound()


def run_unit_tasks(view: RunView, unit: Row, with_subunits: bool = False):
    """SQL condition on AssessmentTaskRow: the stored tasks behind a unit's line."""
    t = AssessmentTaskRow
    if with_subunits:
        return TaskSet(and_(t.run_id == view.run.id, t.unit_id.in_(
            select(AssessmentUnitRow.unit_id).where(AssessmentUnitRow.run_id == view.run.id,
                                                    AssessmentUnitRow.unit_path.like(unit.path + "%"))),
            t.counts_for_unit))
    return TaskSet(and_(t.run_id == view.run.id, t.unit_id == unit.key, t.counts_for_unit))


def run_leader_tasks(view: RunView, leader: Row):
    """SQL condition on AssessmentTaskRow: the stored tasks behind a leader's line."""
    t = AssessmentTaskRow
    if leader.role == Role.HEAD:
        unit_id = select(AssessmentUnitRow.unit_id).where(
            AssessmentUnitRow.run_id == view.run.id,
            AssessmentUnitRow.unit_code == leader.unit_code).scalar_subquery()
        return TaskSet(and_(t.run_id == view.run.id, t.unit_id == unit_id, t.counts_for_unit))
    return TaskSet(and_(t.run_id == view.run.id, t.leader_id == leader.key, t.counts_for_leader),
                   by_leader=True)


def frozen_tasks(cond, s: ScoringSettings, key: str | None, page: int, per_page: int) -> DrillDown:
    """The stored task rows of a frozen set: outcome and credit as they were frozen."""
    _check_filter(key)
    t = AssessmentTaskRow
    places = credit_places(s)
    # What the line's figure counted: the leader's counted weights and credits for a
    # deputy's line, the unit's for every other.
    by_leader = getattr(cond, "by_leader", False)
    weight = t.leader_weight if by_leader else t.unit_weight
    credit = t.leader_credit if by_leader else t.credit
    b = _breakdown(db.session.execute(
        select(t.outcome, func.count(), func.sum(weight), func.sum(credit),
               func.sum(case((t.extensions > 0, 1), else_=0)), func.sum(t.extensions),
               func.sum(t.amendments), func.sum(case((t.added_after_issue, 1), else_=0)),
               func.count(t.added_after_issue),
               func.sum(case((t.status == Lifecycle.CANCELLED, 1), else_=0)))
        .where(cond).group_by(t.outcome)), places)
    total = b.count(key)
    page = _page_bounds(page, per_page, total)
    q = select(t.task_id, t.stt, t.title, t.unit_code, t.assignee_name, t.leader_name, t.due_on,
               t.completed_on, t.status, t.outcome, t.weight, credit, t.extensions, t.amendments,
               t.is_imported, weight, t.added_after_issue).where(cond)
    if key == EXTENDED:
        q = q.where(t.extensions > 0)
    elif key == ADDED:
        q = q.where(t.added_after_issue.is_(True))
    elif key is not None:
        q = q.where(t.outcome.in_([o.value for o in OUTCOME_FILTERS[key]]))
    q = q.order_by(t.due_on, t.task_id).limit(per_page).offset((page - 1) * per_page)
    lines = [_line(r, places) for r in db.session.execute(q)]
    return DrillDown(b, lines, total, page, per_page)


@dataclass
class RunItem:
    run: AssessmentRun
    scope_code: str
    scope_name: str
    creator: str


def list_runs(actor: User, page: int, per_page: int) -> tuple[list[RunItem], int]:
    """The runs `actor` may read, newest first, one page of them and the total."""
    cond = _run_filter(actor)
    total = db.session.scalar(select(func.count(AssessmentRun.id)).where(cond)) or 0
    page = _page_bounds(page, per_page, total)
    q = (select(AssessmentRun, Unit.code, Unit.name, User.full_name)
         .outerjoin(Unit, Unit.id == AssessmentRun.scope_unit_id)
         .outerjoin(User, User.id == AssessmentRun.created_by_id)
         .where(cond).order_by(AssessmentRun.created_at.desc(), AssessmentRun.id.desc())
         .limit(per_page).offset((page - 1) * per_page))
    return [RunItem(run, code or "", name or "", creator or "")
            for run, code, name, creator in db.session.execute(q)], total


def run_versions(actor: User, run: AssessmentRun) -> list[AssessmentRun]:
    """Every version of the run's period and scope that `actor` may read, newest first."""
    return list(db.session.scalars(select(AssessmentRun).where(
        AssessmentRun.period == run.period, AssessmentRun.scope_key == run.scope_key,
        _run_filter(actor)).order_by(AssessmentRun.version.desc())))


# ---- the score by month ---------------------------------------------------------------

def scope_tasks(scope: Scope):
    """SQL condition: the tasks of every unit line of the scope's table."""
    if scope.root is None:
        return TaskSet(and_(Task.lead_unit_id.in_(select(Unit.id).where(Unit.is_active)),
                            counts_for_unit()))
    return TaskSet(and_(Task.lead_unit_id.in_(_active_subtree_ids(scope.root.path)), counts_for_unit()))


def monthly_trend(cond, year: int, as_of: date, s: ScoringSettings, *,
                  today: date) -> list[tuple[int, Tally | None]]:
    """The figures of each month of `year` for a set of tasks, every month judged as of
    `as_of` like the page around it, so that the months add up to the period's score.
    One GROUP BY over the year's tasks; a month with nothing in it has no figures."""
    month = func.extract("month", Task.due_on)
    inner = (select(month.label("m"), Task.id).where(
        cond, in_period(Period(str(year), date(year, 1, 1), date(year, 12, 31)))).subquery())
    # Grouped on the plain month number of a subquery: the tally columns read Task, so
    # join back to it by id.
    cw = counted_weights_cte()
    q = (select(inner.c.m, *tally_columns(as_of, today, s, weight=_weights(cond, cw)))
         .join(Task, Task.id == inner.c.id).outerjoin(cw, cw.c.id == Task.id)
         .group_by(inner.c.m))
    places = credit_places(s)
    found = {int(r[0]): to_tally(tally_values(r[1:]), places) for r in db.session.execute(q)}
    return [(m, found.get(m)) for m in range(1, 13)]


__all__ = [
    "ADDED",
    "EXTENDED",
    "FILTERS",
    "OUTCOME_FILTERS",
    "Breakdown",
    "DrillDown",
    "RunItem",
    "RunView",
    "Scope",
    "TaskLine",
    "TaskSet",
    "add_tallies",
    "frozen_tasks",
    "list_runs",
    "live_leader_tasks",
    "live_report",
    "live_tasks",
    "live_unit_tasks",
    "monthly_trend",
    "narrowing_units",
    "open_run",
    "reader_scope",
    "restrict",
    "run_leader",
    "run_leader_tasks",
    "run_unit",
    "run_unit_tasks",
    "run_versions",
    "scope_tasks",
    "subtree_rows",
    "visible_leader",
    "visible_unit",
]


def unit_names(codes) -> dict[str, str]:
    """The names of the units of these codes (a drill-down's lead units: shown by name, not
    code — issue 17 §1), one query."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
