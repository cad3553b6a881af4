"""Assessment figures in SQL: one GROUP BY per table, the same rules as domain.scoring."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.orm import aliased

from app.common import audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines.sweep import in_issued_plan
from app.directory.units import tree_order
from app.domain.scoring import (
    Grade,
    Outcome,
    Period,
    QuotaWarning,
    ScoringSettings,
    Tally,
    grade,
    overdue_before,
    parse_period,
    quota_group,
    quota_warning,
)
from app.domain.status import EXCLUDED_STATUSES, Lifecycle
from app.extensions import db
from app.models import (
    AssessmentLeaderRow,
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
    Plan,
    PlanStatus,
    Task,
    Unit,
    User,
)
from app.models.base import utcnow
from app.models.user import Role
from app.settings import SCORING_NAMES, scoring_from_config

# The scoring settings are read and checked with the others (app/settings.py); the names
# stay importable from here.
SETTING_NAMES = SCORING_NAMES
settings_from_config = scoring_from_config

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def period_label(code: str, english: bool = False) -> str:
    """A period as an official document names it: "Năm 2026", "6 tháng đầu năm 2026",
    "6 tháng cuối năm 2026", "Quý II năm 2026", "Tháng 7 năm 2026" (the page, the print
    page and the exports; `english` for a reader who chose English, as GRADE_LABELS)."""
    p = parse_period(code)
    year, part = p.start.year, p.code[5:]
    if not part:
        return f"Year {year}" if english else f"Năm {year}"
    if part in ("H1", "H2"):
        if english:
            return f"{'First' if part == 'H1' else 'Second'} half of {year}"
        return f"6 tháng {'đầu' if part == 'H1' else 'cuối'} năm {year}"
    if part.startswith("Q"):
        return f"Quarter {ROMAN[part[1]]}/{year}" if english else f"Quý {ROMAN[part[1]]} năm {year}"
    return f"Month {part}/{year}" if english else f"Tháng {int(part)} năm {year}"




def excluded_condition(t=Task):
    """SQL: cancelled or suspended before falling due (domain.scoring.is_excluded): a task
    that left after its due date had passed still counts as not completed (DESIGN.md 4)."""
    return and_(t.status.in_([s.value for s in EXCLUDED_STATUSES]),
                or_(t.due_on.is_(None), t.excluded_on.is_(None), t.excluded_on <= t.due_on))


def outcome_conditions(as_of: date, today: date) -> dict[Outcome, object]:
    """SQL conditions for each outcome as of the end of day `as_of` (now when it is
    `today`), the mirror of domain.scoring.outcome."""
    excluded = excluded_condition()
    done = and_(Task.status == Lifecycle.COMPLETED, Task.completed_on.is_not(None),
                Task.completed_on <= as_of)
    return {
        Outcome.EXCLUDED: excluded,
        Outcome.ON_TIME: and_(not_(excluded), done,
                              or_(Task.due_on.is_(None), Task.completed_on <= Task.due_on)),
        Outcome.LATE: and_(not_(excluded), done, Task.completed_on > Task.due_on),
        Outcome.OVERDUE: and_(not_(excluded), not_(done),
                              Task.due_on < overdue_before(as_of, today)),
    }


def outcome_case(as_of: date, today: date):
    """The outcome of each row as SQL, for frozen task rows and drill-downs."""
    c = outcome_conditions(as_of, today)
    return case(
        (c[Outcome.EXCLUDED], Outcome.EXCLUDED.value),
        (c[Outcome.ON_TIME], Outcome.ON_TIME.value),
        (c[Outcome.LATE], Outcome.LATE.value),
        (c[Outcome.OVERDUE], Outcome.OVERDUE.value),
        else_=Outcome.WITHIN.value,
    )


def credit_case(as_of: date, today: date, s: ScoringSettings, weight=None):
    """The credit of each row as SQL: its `weight` (the task's typed weight unless told,
    e.g. a counted weight of `counted_weights_cte`) times the outcome's factor."""
    c = outcome_conditions(as_of, today)
    w = Task.weight if weight is None else weight
    return case(
        (c[Outcome.ON_TIME], w * literal(s.credit_on_time)),
        (c[Outcome.LATE], w * literal(s.credit_late)),
        (c[Outcome.OVERDUE], w * literal(s.credit_overdue)),
        else_=literal(Decimal(0)),
    )


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def weight_columns(as_of: date, today: date, s: ScoringSettings, weight, only=None) -> list:
    """The two weighted aggregates of a Tally (Σ weight fallen due, Σ credit) for a
    `weight` expression, conditioned on `only` when given."""
    c = outcome_conditions(as_of, today)
    fallen = or_(c[Outcome.ON_TIME], c[Outcome.LATE], c[Outcome.OVERDUE])
    if only is not None:
        fallen = and_(only, fallen)
    credit = credit_case(as_of, today, s, weight)
    if only is not None:
        credit = case((only, credit), else_=literal(Decimal(0)))
    return [func.coalesce(func.sum(case((fallen, weight), else_=literal(Decimal(0)))), 0),
            func.coalesce(func.sum(credit), 0)]


def tally_columns(as_of: date, today: date, s: ScoringSettings, only=None, weight=None) -> list:
    """The aggregate columns of a Tally, in `to_tally`'s order; `only` (an SQL condition)
    counts only the rows it holds for, so that several tallies (the quality criteria's
    task filters) come out of one GROUP BY. `weight`: the weight each row counts with
    (`unit_weight(cw)` for a unit's figure), the typed weight when not given."""
    c = outcome_conditions(as_of, today)
    w = Task.weight if weight is None else weight
    if only is None:
        return [
            func.count(Task.id),
            _count(c[Outcome.ON_TIME]),
            _count(c[Outcome.LATE]),
            _count(c[Outcome.OVERDUE]),
            _count(c[Outcome.EXCLUDED]),
            *weight_columns(as_of, today, s, w),
            func.coalesce(func.sum(Task.extension_count), 0),
            func.coalesce(func.sum(Task.amendment_count), 0),
            _count(Task.added_after_issue),
            _count(Task.status == Lifecycle.CANCELLED),
        ]
    return [
        _count(only),
        _count(and_(only, c[Outcome.ON_TIME])),
        _count(and_(only, c[Outcome.LATE])),
        _count(and_(only, c[Outcome.OVERDUE])),
        _count(and_(only, c[Outcome.EXCLUDED])),
        *weight_columns(as_of, today, s, w, only),
        func.coalesce(func.sum(case((only, Task.extension_count), else_=0)), 0),
        func.coalesce(func.sum(case((only, Task.amendment_count), else_=0)), 0),
        _count(and_(only, Task.added_after_issue)),
        _count(and_(only, Task.status == Lifecycle.CANCELLED)),
    ]


def counted_tasks(period: Period):
    """SQL: the tasks an assessment of `period` is about: effective due date in the
    period, a lead unit (every figure opens to the tasks behind it), and a plan that is
    not a draft (DESIGN.md 4: the work starts when the plan is issued)."""
    return and_(Task.due_on >= period.start, Task.due_on <= period.end,
                Task.lead_unit_id.is_not(None), in_issued_plan())


def _counted_child(column: str):
    """SQL: the task has a counted sub-task with the same `column` (lead_unit_id or
    leader_id). A sub-task counts unless its plan is a draft or it left before falling due:
    a draft breakdown, or one cancelled before its date, never hides its parent's record."""
    child = aliased(Task)
    return (exists().where(child.parent_id == Task.id,
                           getattr(child, column) == getattr(Task, column),
                           child.plan_id.not_in(select(Plan.id).where(Plan.status == PlanStatus.DRAFT)),
                           not_(excluded_condition(child))))


def _cents(weight):
    """SQL: a weight (Numeric(8, 2)) in whole cents, so that shares are worked exactly in
    integers on SQLite (which stores weights as floating point) and PostgreSQL alike."""
    return cast(func.round(weight * 100), BigInteger)


def _share(parent, own, total, count):
    """SQL: domain.scoring.weight_share in whole cents: parent × own / Σ, half up; siblings
    all of weight 0 share equally."""
    return case((total > 0, cast((2 * parent * own + total) // (2 * total), BigInteger)),
                else_=cast((2 * parent + count) // (2 * count), BigInteger))


def counted_weights_cte():
    """SQL: the counted weights of every counted sub-task (domain.scoring.counted_weights):
    (id, unit_cents, leader_cents), its weight in cents for its lead unit's figure and for
    its leader's figure. A counted sub-task weighs its parent's counted weight × its own /
    Σ weights of the parent's counted sub-tasks with the same lead unit (same leader):
    those that replace the parent for that unit (leader) share its weight. One recursive
    CTE over parent_id (indexed), down from the tasks that weigh their own weight (no
    parent, or not a counted sub-task); every other task is absent and weighs its own
    (`unit_weight`, `leader_weight`)."""
    c = aliased(Task)
    drafts = select(Plan.id).where(Plan.status == PlanStatus.DRAFT)
    own = _cents(c.weight)
    by_unit, by_leader = [c.parent_id, c.lead_unit_id], [c.parent_id, c.leader_id]
    sib = (select(c.id.label("id"), c.parent_id.label("parent_id"), own.label("own"),
                  cast(func.sum(own).over(partition_by=by_unit), BigInteger).label("su"),
                  cast(func.count().over(partition_by=by_unit), BigInteger).label("nu"),
                  cast(func.sum(own).over(partition_by=by_leader), BigInteger).label("sl"),
                  cast(func.count().over(partition_by=by_leader), BigInteger).label("nl"))
           .where(c.parent_id.is_not(None), c.plan_id.not_in(drafts), not_(excluded_condition(c)))
           .cte("weight_sib"))
    p = aliased(Task)
    pc = _cents(p.weight)
    # The parent weighs its own weight: it has no parent, or is not a counted sub-task.
    top = (select(sib.c.id, _share(pc, sib.c.own, sib.c.su, sib.c.nu).label("unit_cents"),
                  _share(pc, sib.c.own, sib.c.sl, sib.c.nl).label("leader_cents"))
           .join(p, p.id == sib.c.parent_id)
           .where(or_(p.parent_id.is_(None), p.plan_id.in_(drafts), excluded_condition(p)))
           .cte("counted_weight", recursive=True))
    up = top.alias("up")
    return top.union_all(
        select(sib.c.id, _share(up.c.unit_cents, sib.c.own, sib.c.su, sib.c.nu),
               _share(up.c.leader_cents, sib.c.own, sib.c.sl, sib.c.nl))
        .join(up, up.c.id == sib.c.parent_id))


def unit_weight(cw):
    """SQL: the task's counted weight for its lead unit's figure (`cw`: the
    counted_weights_cte outer-joined on the task's id)."""
    return case((cw.c.unit_cents.is_(None), Task.weight),
                else_=cw.c.unit_cents / literal(Decimal(100)))


def leader_weight(cw):
    """SQL: the task's counted weight for its leader's figure."""
    return case((cw.c.leader_cents.is_(None), Task.weight),
                else_=cw.c.leader_cents / literal(Decimal(100)))


def counts_for_unit():
    """SQL: DESIGN.md 5, each piece of work counts once: a task counts for its lead unit
    unless a counted sub-task (in any plan) has the same lead unit."""
    return not_(_counted_child("lead_unit_id"))


def counts_for_leader():
    """SQL: a task counts for its accountable leader unless a counted sub-task has the
    same leader."""
    return not_(_counted_child("leader_id"))


def credit_places(s: ScoringSettings) -> Decimal:
    """The exact scale of a sum of credits: weights have two decimals (Numeric(8, 2)),
    times the most precise credit factor."""
    factors = (s.credit_on_time, s.credit_late, s.credit_overdue)
    return Decimal(1).scaleb(min(0, *(f.as_tuple().exponent for f in factors)) - 2)


TALLY_WIDTH = 11  # the columns of tally_columns
WEIGHT_PLACES = Decimal("0.01")  # weights, typed or counted, are to the cent


def tally_values(row) -> list:
    """The tally columns of a result row as exact numbers (SQLite sums weights in
    floating point), ready to be added up."""
    r = list(row)
    return ([int(v) for v in r[:5]] + [Decimal(str(r[5])), Decimal(str(r[6]))]
            + [int(v or 0) for v in r[7:11]])


def to_tally(row, places: Decimal | None = None) -> Tally:
    total, on_time, late, overdue, excluded, weight_due, credit, ext, amend, added, canc = row
    credit = Decimal(str(credit))
    weight_due = Decimal(str(weight_due))
    if places is not None:
        # SQLite sums in floating point (1500000.0000000002): back to the exact decimal.
        credit = credit.quantize(places)
        weight_due = weight_due.quantize(WEIGHT_PLACES)
    t = Tally(tasks=int(total), on_time=int(on_time), late=int(late), overdue=int(overdue),
              excluded=int(excluded), weight_due=weight_due,
              credit=credit, extensions=int(ext), amendments=int(amend or 0),
              additions=int(added or 0), cancellations=int(canc or 0))
    t.within = t.tasks - t.fallen_due - t.excluded
    return t


@dataclass
class Figures:
    by_unit: dict[int, Tally]
    by_leader: dict[int, Tally]


def figures(period: Period, as_of: date, s: ScoringSettings, unit_ids=None, *,
            today: date) -> Figures:
    """Per lead unit and per accountable leader, from one GROUP BY (lead unit, leader,
    counts for the unit, counts for the leader) over the tasks of the period: the unit and
    leader figures are sums of its few hundred rows (bench: one pass over the tasks instead
    of two, docs/performance.md). A parent with sub-tasks is added only to the unit (the
    leader) that holds none of them (DESIGN.md 5)."""
    cw = counted_weights_cte()
    q = (select(Task.lead_unit_id, Task.leader_id, counts_for_unit(), counts_for_leader(),
                *tally_columns(as_of, today, s, weight=unit_weight(cw)),
                *weight_columns(as_of, today, s, leader_weight(cw)))
         .outerjoin(cw, cw.c.id == Task.id).where(counted_tasks(period)))
    if unit_ids is not None:
        q = q.where(Task.lead_unit_id.in_(unit_ids))
    units: dict[int, list] = {}
    leaders: dict[int, list] = {}
    # Grouped by position: PostgreSQL cannot match an expression with bound parameters in
    # GROUP BY against the same expression in SELECT.
    for r in db.session.execute(q.group_by(text("1, 2, 3, 4"))):
        by_unit = tally_values(r[4:4 + TALLY_WIDTH])
        # The leader's figure: the same counts, its own counted weights (a sub-task shares
        # its parent's weight with the siblings of the same leader).
        by_leader = list(by_unit)
        by_leader[5:7] = [Decimal(str(v)) for v in r[4 + TALLY_WIDTH:]]
        for key, counted, target, values in ((r[0], r[2], units, by_unit),
                                             (r[1], r[3], leaders, by_leader)):
            if key is None or not counted:
                continue
            acc = target.get(key)
            if acc is None:
                target[key] = list(values)
            else:
                for i, v in enumerate(values):
                    acc[i] += v
    p = credit_places(s)
    return Figures({k: to_tally(v, p) for k, v in units.items()},
                   {k: to_tally(v, p) for k, v in leaders.items()})


# ---- live view, freezing, reading runs ----------------------------------------

FIGURE_FIELDS = ("tasks", "fallen_due", "on_time", "late", "overdue", "within", "excluded",
                 "weight_due", "credit", "completion_rate", "on_time_rate", "score", "grade",
                 "extensions", "amendments", "additions", "cancellations")


@dataclass
class FinalGrade:
    """The competent authority's final grade, recorded by the assessor beside the
    computed one (DESIGN.md 5: the final grading is a human decision)."""

    grade: Grade
    decision_no: str
    decision_on: date | None
    reason: str
    by_id: int | None = None
    at: object = None


@dataclass
class Row:
    """One line of a unit or leader table, live or frozen."""

    key: int
    code: str
    name: str
    tally: Tally
    grade: Grade
    username: str = ""
    role: str = ""
    unit_code: str = ""
    depth: int = 0
    path: str = ""
    # The unit's kind (a leader's: their unit's): the quota group.
    kind: str = ""
    final: FinalGrade | None = None
    # The stored row's id in a frozen run (where a final grade is recorded).
    row_id: int | None = None
    # The quality-of-operation result beside the task score (DESIGN.md 8; set by
    # app.quality.queries.attach_results): the unit's, the head's, a deputy's by field.
    quality: object = None

    @property
    def score(self):
        return self.tally.score


@dataclass(frozen=True)
class GroupWarning:
    """The quota warning of one group: units, heads or deputies of one kind of unit."""

    who: str     # "units", "heads" or "deputies"
    group: str   # domain.scoring.quota_group of the units' kind
    warning: QuotaWarning


@dataclass
class Report:
    period: Period
    as_of: date
    settings: ScoringSettings
    units: list[Row]
    leaders: list[Row]
    warnings: list[GroupWarning]
    run: AssessmentRun | None = None
    # A live report of a subtree: the scope unit's path (exports select its tasks).
    scope_path: str | None = None
    # A live report: the day it was made (as of a past day, that day is over).
    today: date | None = None
    # Set when the rows carry their quality results (app.quality.queries.attach_results):
    # the tables then have the quality columns.
    with_quality: bool = False

    @property
    def unit_names(self) -> dict[str, str]:
        """Unit names by code: a leader's row keeps only the code of the unit."""
        return {u.code: u.name for u in self.units}


def scope_units(scope_unit: Unit | None) -> list:
    """The active units assessed: everyone, or a unit and its sub-units, in tree order."""
    q = select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.kind, Unit.name_sort).where(Unit.is_active)
    if scope_unit is not None:
        q = q.where(Unit.path.like(scope_unit.path + "%"))
    return tree_order(db.session.execute(q).all())


def live(period: Period, as_of: date, s: ScoringSettings, scope_unit: Unit | None = None, *,
         today: date) -> Report:
    """Figures as they are now: three queries (units, leaders, and the GROUP BY)."""
    units = scope_units(scope_unit)
    ids = [u.id for u in units]
    f = figures(period, as_of, s, ids if scope_unit is not None else None, today=today)
    unit_rows = []
    for u in units:
        t = f.by_unit.get(u.id, Tally())
        unit_rows.append(Row(u.id, u.code, u.name, t, grade(t.score, s), depth=u.path.count("/") - 2,
                             path=u.path, kind=u.kind))
    codes = {u.id: u.code for u in units}
    kinds = {u.id: u.kind for u in units}
    place = {u.id: i for i, u in enumerate(units)}
    leaders = db.session.execute(
        select(User.id, User.username, User.full_name, User.role, User.unit_id)
        .where(User.role.in_([Role.HEAD, Role.DEPUTY]), User.is_active, User.unit_id.in_(ids))
        .order_by(User.role.desc(), User.name_sort)).all()
    # Units in the order of the unit table; in each, the head first, then the deputies by name.
    leaders = sorted(leaders, key=lambda ld: place.get(ld.unit_id, len(place)))
    leader_rows = []
    for ld in leaders:
        # The head answers for the whole unit; a deputy for the tasks they lead.
        t = f.by_unit.get(ld.unit_id, Tally()) if ld.role == Role.HEAD else f.by_leader.get(ld.id, Tally())
        leader_rows.append(Row(ld.id, ld.username, ld.full_name, t, grade(t.score, s),
                               username=ld.username, role=ld.role, unit_code=codes.get(ld.unit_id, ""),
                               kind=kinds.get(ld.unit_id, "")))
    return Report(period, as_of, s, unit_rows, leader_rows, warnings(unit_rows, leader_rows, s),
                  scope_path=scope_unit.path if scope_unit is not None else None, today=today)


def warnings(units: list[Row], leaders: list[Row], s: ScoringSettings) -> list[GroupWarning]:
    """The quota warnings, per group of units of one kind (DESIGN.md 5: departments with
    departments, communes with communes, never everything mixed); heads and deputies by
    the kind of their unit."""
    out = []
    for who, rows in (("units", units), ("heads", [r for r in leaders if r.role == Role.HEAD]),
                      ("deputies", [r for r in leaders if r.role == Role.DEPUTY])):
        groups: dict[str, list[Grade]] = {}
        for r in rows:
            groups.setdefault(quota_group(r.kind), []).append(r.grade)
        for group in sorted(groups):
            w = quota_warning(groups[group], s)
            if w:
                out.append(GroupWarning(who, group, w))
    return out


def _figures_dict(t: Tally, g: Grade) -> dict:
    return {"tasks": t.tasks, "fallen_due": t.fallen_due, "on_time": t.on_time, "late": t.late,
            "overdue": t.overdue, "within": t.within, "excluded": t.excluded,
            "weight_due": t.weight_due, "credit": t.credit, "completion_rate": t.completion_rate,
            "on_time_rate": t.on_time_rate, "score": t.score, "grade": g.value,
            "extensions": t.extensions, "amendments": t.amendments,
            "additions": t.additions, "cancellations": t.cancellations}


def freeze(actor_id: int | None, period: Period, as_of: date, s: ScoringSettings,
           scope_unit: Unit | None = None, *, today: date) -> AssessmentRun:
    """Store the run: the settings, every unit and leader row, and every task row
    (one INSERT ... SELECT) with whether it counts for its unit and its leader. Later
    edits never change it; freezing again adds a version."""
    report = live(period, as_of, s, scope_unit, today=today)
    scope_key = scope_unit.code if scope_unit is not None else "all"
    version = (db.session.scalar(select(func.max(AssessmentRun.version)).where(
        AssessmentRun.period == period.code, AssessmentRun.scope_key == scope_key)) or 0) + 1
    run = AssessmentRun(period=period.code, period_start=period.start, period_end=period.end,
                        as_of=as_of, scope_key=scope_key,
                        scope_unit_id=scope_unit.id if scope_unit else None, version=version,
                        settings=json.dumps(s.as_dict()), created_by_id=actor_id)
    db.session.add(run)
    db.session.flush()
    if report.units:
        db.session.execute(insert(AssessmentUnitRow), [
            {"run_id": run.id, "unit_id": r.key, "unit_code": r.code, "unit_name": r.name,
             "unit_path": r.path, "unit_kind": r.kind, **_figures_dict(r.tally, r.grade)}
            for r in report.units])
    if report.leaders:
        db.session.execute(insert(AssessmentLeaderRow), [
            {"run_id": run.id, "user_id": r.key, "username": r.username, "full_name": r.name,
             "role": r.role, "unit_code": r.unit_code, **_figures_dict(r.tally, r.grade)}
            for r in report.leaders])
    lead = aliased(Unit)
    assignee = aliased(User)
    leader = aliased(User)
    cw = counted_weights_cte()
    src = (select(literal(run.id), Task.id, Task.lead_unit_id, lead.code, Task.stt, Task.title,
                  func.coalesce(assignee.full_name, ""), Task.leader_id,
                  func.coalesce(leader.full_name, ""), Task.due_on, Task.completed_on, Task.status,
                  outcome_case(as_of, today), Task.weight, unit_weight(cw), leader_weight(cw),
                  credit_case(as_of, today, s, unit_weight(cw)),
                  credit_case(as_of, today, s, leader_weight(cw)),
                  Task.extension_count, Task.amendment_count, Task.added_after_issue,
                  Task.completion_imported_at.is_not(None), counts_for_unit(), counts_for_leader())
           .select_from(Task)
           .outerjoin(cw, cw.c.id == Task.id)
           .join(lead, lead.id == Task.lead_unit_id)
           .outerjoin(assignee, assignee.id == Task.assignee_id)
           .outerjoin(leader, leader.id == Task.leader_id)
           .where(counted_tasks(period))
           .order_by(lead.path, Task.plan_id, Task.order_key, Task.id))  # ids follow the tree order
    if scope_unit is not None:
        src = src.where(lead.path.like(scope_unit.path + "%"))
    db.session.execute(insert(AssessmentTaskRow).from_select(
        ["run_id", "task_id", "unit_id", "unit_code", "stt", "title", "assignee_name", "leader_id",
         "leader_name", "due_on", "completed_on", "status", "outcome", "weight", "unit_weight",
         "leader_weight", "credit", "leader_credit", "extensions", "amendments",
         "added_after_issue", "is_imported", "counts_for_unit", "counts_for_leader"], src))
    audit.record(actor_id, "assessment.freeze", "assessment_run", run.id,
                 {"period": [None, period.code], "as_of": [None, as_of], "version": [None, version],
                  "scope": [None, scope_key]})
    return run


def _final(frozen) -> FinalGrade | None:
    if frozen.final_grade is None:
        return None
    return FinalGrade(Grade(frozen.final_grade), frozen.final_decision_no or "",
                      frozen.final_decision_on, frozen.final_reason or "", frozen.final_by_id,
                      frozen.final_at)


def _row_from(frozen, key: int, code: str, name: str, **extra) -> Row:
    t = Tally(tasks=frozen.tasks, on_time=frozen.on_time, late=frozen.late, overdue=frozen.overdue,
              within=frozen.within, excluded=frozen.excluded, weight_due=frozen.weight_due,
              credit=frozen.credit, extensions=frozen.extensions,
              amendments=frozen.amendments or 0, additions=frozen.additions,
              cancellations=frozen.cancellations or 0)
    return Row(key, code, name, t, Grade(frozen.grade), final=_final(frozen), row_id=frozen.id,
               **extra)


def load_run(run: AssessmentRun) -> Report:
    """A frozen run read back exactly as it was stored."""
    s = ScoringSettings.from_dict(json.loads(run.settings))
    frozen = db.session.scalars(select(AssessmentUnitRow).where(AssessmentUnitRow.run_id == run.id)
                                .order_by(AssessmentUnitRow.unit_path)).all()
    # The tree as it was frozen, siblings in today's display order.
    units = [_row_from(r, r.unit_id, r.unit_code, r.unit_name, depth=r.unit_path.count("/") - 2,
                       path=r.unit_path, kind=r.unit_kind or "")
             for r in tree_order(frozen, path=lambda r: r.unit_path)]
    kinds = {r.code: r.kind for r in units}
    leaders = [_row_from(r, r.user_id, r.username, r.full_name, username=r.username, role=r.role,
                         unit_code=r.unit_code, kind=kinds.get(r.unit_code, ""))
               for r in db.session.scalars(select(AssessmentLeaderRow).where(
                   AssessmentLeaderRow.run_id == run.id).order_by(AssessmentLeaderRow.id))]
    return Report(parse_period(run.period), run.as_of, s, units, leaders, warnings(units, leaders, s), run)


# ---- the competent authority's final grade --------------------------------------

FINAL_GRADES = (Grade.EXCELLENT, Grade.GOOD, Grade.PASS, Grade.FAIL)
FINAL_ROWS = {"unit": AssessmentUnitRow, "leader": AssessmentLeaderRow}


@dataclass
class FinalGradeInput:
    grade: str
    decision_no: str
    decision_on: date | None
    reason: str


def final_row(run_id: int, kind: str, row_id: int):
    """A unit or leader row of a frozen run, or NotFound."""
    model = FINAL_ROWS.get(kind)
    row = db.session.scalar(select(model).where(model.id == row_id, model.run_id == run_id)) \
        if model is not None else None
    if row is None:
        raise NotFound()
    return row


def record_final_grade(actor: User, run_id: int, kind: str, row_id: int, data: FinalGradeInput,
                       today: date):
    """Record the competent authority's final grade of one unit or leader of a frozen run,
    with the decision's number, date and reason (DESIGN.md 5: the final grading is a human
    decision). Only the assessor records it; the run's figures are never touched, only the
    final_* fields. Audit-logged; a later decision replaces it, the log keeps both."""
    if not actor.has_role(Role.ASSESSOR):
        raise PermissionDenied()
    run = db.session.get(AssessmentRun, run_id)
    row = final_row(run_id, kind, row_id)
    if data.grade not in [g.value for g in FINAL_GRADES]:
        raise RuleViolation(_l("Choose a grade from the list."), "grade")
    number = " ".join((data.decision_no or "").split())
    if not number:
        raise RuleViolation(_l("Enter the number of the decision."), "decision_no")
    if len(number) > 64:
        raise RuleViolation(_l("At most 64 characters."), "decision_no")
    if data.decision_on is None:
        raise RuleViolation(_l("Enter the date of the decision (dd/mm/yyyy)."), "decision_on")
    if data.decision_on > today:
        raise RuleViolation(_l("The date of the decision cannot be after today."), "decision_on")
    if data.decision_on < run.period_start:
        raise RuleViolation(_l("The decision cannot be dated before the period it grades."),
                            "decision_on")
    reason = (data.reason or "").strip()
    if not reason:
        raise RuleViolation(_l("Enter the reason for the final grade."), "reason")
    if len(reason) > 2000:
        raise RuleViolation(_l("At most %(n)s characters.", n=2000), "reason")
    before = {"final_grade": row.final_grade, "final_decision_no": row.final_decision_no,
              "final_decision_on": row.final_decision_on, "final_reason": row.final_reason}
    row.final_grade = data.grade
    row.final_decision_no = number
    row.final_decision_on = data.decision_on
    row.final_reason = reason
    row.final_by_id = actor.id
    row.final_at = utcnow()
    db.session.flush()
    after = {"final_grade": row.final_grade, "final_decision_no": row.final_decision_no,
             "final_decision_on": row.final_decision_on, "final_reason": row.final_reason}
    audit.record(actor.id, "assessment.final_grade", f"assessment_{kind}_row", row.id,
                 {k: [before[k], after[k]] for k in after if before[k] != after[k]}
                 | {"run": [None, run_id], "computed_grade": [None, row.grade]})
    return row
