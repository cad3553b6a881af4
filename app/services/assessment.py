"""Assessment figures in SQL: one GROUP BY per table, the same rules as domain.scoring."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, insert, literal, not_, or_, select
from sqlalchemy.orm import aliased

from ..domain.scoring import (
    Grade,
    Outcome,
    Period,
    ScoringSettings,
    Tally,
    grade,
    parse_period,
    quota_warning,
)
from ..domain.status import EXCLUDED_STATUSES, Lifecycle
from ..extensions import db
from ..models import (
    AssessmentLeaderRow,
    AssessmentRun,
    AssessmentTaskRow,
    AssessmentUnitRow,
    Task,
    Unit,
    User,
)
from ..models.user import Role
from ..settings import SCORING_NAMES, scoring_from_config
from . import audit
from .units import tree_order

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




def outcome_conditions(as_of: date) -> dict[Outcome, object]:
    """SQL conditions for each outcome as of the end of day `as_of`."""
    excluded = Task.status.in_([s.value for s in EXCLUDED_STATUSES])
    done = and_(Task.status == Lifecycle.COMPLETED, Task.completed_on.is_not(None),
                Task.completed_on <= as_of)
    return {
        Outcome.EXCLUDED: excluded,
        Outcome.ON_TIME: and_(not_(excluded), done,
                              or_(Task.due_on.is_(None), Task.completed_on <= Task.due_on)),
        Outcome.LATE: and_(not_(excluded), done, Task.completed_on > Task.due_on),
        Outcome.OVERDUE: and_(not_(excluded), not_(done), Task.due_on < as_of),
    }


def outcome_case(as_of: date):
    """The outcome of each row as SQL, for frozen task rows and drill-downs."""
    c = outcome_conditions(as_of)
    return case(
        (c[Outcome.EXCLUDED], Outcome.EXCLUDED.value),
        (c[Outcome.ON_TIME], Outcome.ON_TIME.value),
        (c[Outcome.LATE], Outcome.LATE.value),
        (c[Outcome.OVERDUE], Outcome.OVERDUE.value),
        else_=Outcome.WITHIN.value,
    )


def credit_case(as_of: date, s: ScoringSettings):
    c = outcome_conditions(as_of)
    return case(
        (c[Outcome.ON_TIME], Task.weight * literal(s.credit_on_time)),
        (c[Outcome.LATE], Task.weight * literal(s.credit_late)),
        (c[Outcome.OVERDUE], Task.weight * literal(s.credit_overdue)),
        else_=literal(Decimal(0)),
    )


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def tally_columns(as_of: date, s: ScoringSettings) -> list:
    c = outcome_conditions(as_of)
    fallen = or_(c[Outcome.ON_TIME], c[Outcome.LATE], c[Outcome.OVERDUE])
    return [
        func.count(Task.id),
        _count(c[Outcome.ON_TIME]),
        _count(c[Outcome.LATE]),
        _count(c[Outcome.OVERDUE]),
        _count(c[Outcome.EXCLUDED]),
        func.coalesce(func.sum(case((fallen, Task.weight), else_=literal(Decimal(0)))), 0),
        func.coalesce(func.sum(credit_case(as_of, s)), 0),
        func.coalesce(func.sum(Task.extension_count), 0),
    ]


def credit_places(s: ScoringSettings) -> Decimal:
    """The exact scale of a sum of credits: weights have two decimals (Numeric(8, 2)),
    times the most precise credit factor."""
    factors = (s.credit_on_time, s.credit_late, s.credit_overdue)
    return Decimal(1).scaleb(min(0, *(f.as_tuple().exponent for f in factors)) - 2)


def to_tally(row, places: Decimal | None = None) -> Tally:
    total, on_time, late, overdue, excluded, weight_due, credit, ext = row
    credit = Decimal(str(credit))
    if places is not None:
        # SQLite sums in floating point (1500000.0000000002): back to the exact decimal.
        credit = credit.quantize(places)
    t = Tally(tasks=int(total), on_time=int(on_time), late=int(late), overdue=int(overdue),
              excluded=int(excluded), weight_due=Decimal(str(weight_due)),
              credit=credit, extensions=int(ext))
    t.within = t.tasks - t.fallen_due - t.excluded
    return t


@dataclass
class Figures:
    by_unit: dict[int, Tally]
    by_leader: dict[int, Tally]


def figures(period: Period, as_of: date, s: ScoringSettings, unit_ids=None) -> Figures:
    """Per lead unit and per accountable leader, from one GROUP BY (lead unit, leader)
    over the tasks whose effective due date falls in the period: the unit and leader
    figures are sums of its few hundred rows (bench: one pass over the tasks instead
    of two, docs/performance.md)."""
    in_period = and_(Task.due_on >= period.start, Task.due_on <= period.end)
    # Only tasks with a lead unit, as a frozen run's task rows hold them (and as a scoped
    # query has it): every leader figure opens to the tasks behind it.
    q = (select(Task.lead_unit_id, Task.leader_id, *tally_columns(as_of, s))
         .where(in_period, Task.lead_unit_id.is_not(None)))
    if unit_ids is not None:
        q = q.where(Task.lead_unit_id.in_(unit_ids))
    units: dict[int, list] = {}
    leaders: dict[int, list] = {}
    for r in db.session.execute(q.group_by(Task.lead_unit_id, Task.leader_id)):
        # Exact decimals before adding up (SQLite sums weights in floating point).
        values = [int(v) for v in r[2:7]] + [Decimal(str(r[7])), Decimal(str(r[8])), int(r[9])]
        for key, target in ((r[0], units), (r[1], leaders)):
            if key is None:
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
                 "extensions")


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

    @property
    def score(self):
        return self.tally.score


@dataclass
class Report:
    period: Period
    as_of: date
    settings: ScoringSettings
    units: list[Row]
    leaders: list[Row]
    warnings: dict
    run: AssessmentRun | None = None
    # A live report of a subtree: the scope unit's path (exports select its tasks).
    scope_path: str | None = None

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


def live(period: Period, as_of: date, s: ScoringSettings, scope_unit: Unit | None = None) -> Report:
    """Figures as they are now: three queries (units, leaders, and the two GROUP BYs)."""
    units = scope_units(scope_unit)
    ids = [u.id for u in units]
    f = figures(period, as_of, s, ids if scope_unit is not None else None)
    unit_rows = []
    for u in units:
        t = f.by_unit.get(u.id, Tally())
        unit_rows.append(Row(u.id, u.code, u.name, t, grade(t.score, s), depth=u.path.count("/") - 2,
                             path=u.path))
    codes = {u.id: u.code for u in units}
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
                               username=ld.username, role=ld.role, unit_code=codes.get(ld.unit_id, "")))
    return Report(period, as_of, s, unit_rows, leader_rows, _warnings(unit_rows, leader_rows, s),
                  scope_path=scope_unit.path if scope_unit is not None else None)


def _warnings(units: list[Row], leaders: list[Row], s: ScoringSettings) -> dict:
    out = {}
    for name, rows in (("units", units), ("heads", [r for r in leaders if r.role == Role.HEAD]),
                       ("deputies", [r for r in leaders if r.role == Role.DEPUTY])):
        w = quota_warning([r.grade for r in rows], s)
        if w:
            out[name] = w
    return out


def _figures_dict(t: Tally, g: Grade) -> dict:
    return {"tasks": t.tasks, "fallen_due": t.fallen_due, "on_time": t.on_time, "late": t.late,
            "overdue": t.overdue, "within": t.within, "excluded": t.excluded,
            "weight_due": t.weight_due, "credit": t.credit, "completion_rate": t.completion_rate,
            "on_time_rate": t.on_time_rate, "score": t.score, "grade": g.value,
            "extensions": t.extensions}


def freeze(actor_id: int | None, period: Period, as_of: date, s: ScoringSettings,
           scope_unit: Unit | None = None) -> AssessmentRun:
    """Store the run: the settings, every unit and leader row, and every task row
    (one INSERT ... SELECT). Later edits never change it; freezing again adds a version."""
    report = live(period, as_of, s, scope_unit)
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
             "unit_path": r.path, **_figures_dict(r.tally, r.grade)} for r in report.units])
    if report.leaders:
        db.session.execute(insert(AssessmentLeaderRow), [
            {"run_id": run.id, "user_id": r.key, "username": r.username, "full_name": r.name,
             "role": r.role, "unit_code": r.unit_code, **_figures_dict(r.tally, r.grade)}
            for r in report.leaders])
    lead = aliased(Unit)
    assignee = aliased(User)
    leader = aliased(User)
    in_period = and_(Task.due_on >= period.start, Task.due_on <= period.end,
                     Task.lead_unit_id.is_not(None))
    src = (select(literal(run.id), Task.id, Task.lead_unit_id, lead.code, Task.stt, Task.title,
                  func.coalesce(assignee.full_name, ""), Task.leader_id,
                  func.coalesce(leader.full_name, ""), Task.due_on, Task.completed_on, Task.status,
                  outcome_case(as_of), Task.weight, credit_case(as_of, s), Task.extension_count)
           .join(lead, lead.id == Task.lead_unit_id)
           .outerjoin(assignee, assignee.id == Task.assignee_id)
           .outerjoin(leader, leader.id == Task.leader_id)
           .where(in_period)
           .order_by(lead.path, Task.plan_id, Task.order_key, Task.id))  # ids follow the tree order
    if scope_unit is not None:
        src = src.where(lead.path.like(scope_unit.path + "%"))
    db.session.execute(insert(AssessmentTaskRow).from_select(
        ["run_id", "task_id", "unit_id", "unit_code", "stt", "title", "assignee_name", "leader_id",
         "leader_name", "due_on", "completed_on", "status", "outcome", "weight", "credit",
         "extensions"], src))
    audit.record(actor_id, "assessment.freeze", "assessment_run", run.id,
                 {"period": [None, period.code], "as_of": [None, as_of], "version": [None, version],
                  "scope": [None, scope_key]})
    return run


def _row_from(frozen, key: int, code: str, name: str, **extra) -> Row:
    t = Tally(tasks=frozen.tasks, on_time=frozen.on_time, late=frozen.late, overdue=frozen.overdue,
              within=frozen.within, excluded=frozen.excluded, weight_due=frozen.weight_due,
              credit=frozen.credit, extensions=frozen.extensions)
    return Row(key, code, name, t, Grade(frozen.grade), **extra)


def load_run(run: AssessmentRun) -> Report:
    """A frozen run read back exactly as it was stored."""
    s = ScoringSettings.from_dict(json.loads(run.settings))
    frozen = db.session.scalars(select(AssessmentUnitRow).where(AssessmentUnitRow.run_id == run.id)
                                .order_by(AssessmentUnitRow.unit_path)).all()
    # The tree as it was frozen, siblings in today's display order.
    units = [_row_from(r, r.unit_id, r.unit_code, r.unit_name, depth=r.unit_path.count("/") - 2,
                       path=r.unit_path)
             for r in tree_order(frozen, path=lambda r: r.unit_path)]
    leaders = [_row_from(r, r.user_id, r.username, r.full_name, username=r.username, role=r.role,
                         unit_code=r.unit_code)
               for r in db.session.scalars(select(AssessmentLeaderRow).where(
                   AssessmentLeaderRow.run_id == run.id).order_by(AssessmentLeaderRow.id))]
    return Report(parse_period(run.period), run.as_of, s, units, leaders, _warnings(units, leaders, s), run)
