"""Assessment figures in SQL: one GROUP BY per table, the same rules as domain.scoring."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, not_, or_, select

from ..domain.scoring import Outcome, Period, ScoringSettings, Tally
from ..domain.status import EXCLUDED_STATUSES, Lifecycle
from ..extensions import db
from ..models import Task


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


def to_tally(row) -> Tally:
    total, on_time, late, overdue, excluded, weight_due, credit, ext = row
    t = Tally(tasks=int(total), on_time=int(on_time), late=int(late), overdue=int(overdue),
              excluded=int(excluded), weight_due=Decimal(str(weight_due)),
              credit=Decimal(str(credit)), extensions=int(ext))
    t.within = t.tasks - t.fallen_due - t.excluded
    return t


@dataclass
class Figures:
    by_unit: dict[int, Tally]
    by_leader: dict[int, Tally]


def figures(period: Period, as_of: date, s: ScoringSettings, unit_ids=None) -> Figures:
    """Per lead unit and per accountable leader: two GROUP BY queries over the
    tasks whose effective due date falls in the period."""
    in_period = and_(Task.due_on >= period.start, Task.due_on <= period.end)
    cols = tally_columns(as_of, s)
    unit_q = select(Task.lead_unit_id, *cols).where(in_period, Task.lead_unit_id.is_not(None))
    leader_q = select(Task.leader_id, *cols).where(in_period, Task.leader_id.is_not(None))
    if unit_ids is not None:
        unit_q = unit_q.where(Task.lead_unit_id.in_(unit_ids))
        leader_q = leader_q.where(Task.lead_unit_id.in_(unit_ids))
    by_unit = {r[0]: to_tally(r[1:]) for r in db.session.execute(unit_q.group_by(Task.lead_unit_id))}
    by_leader = {r[0]: to_tally(r[1:]) for r in db.session.execute(leader_q.group_by(Task.leader_id))}
    return Figures(by_unit, by_leader)
