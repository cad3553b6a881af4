"""Scoring (DESIGN.md section 5): outcomes as of a date, rates, responsibility
score and grade. Pure functions; every number comes from ScoringSettings."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.status import EXCLUDED_STATUSES, Lifecycle


@dataclass(frozen=True)
class ScoringSettings:
    """Defaults from Decree 335/2025; each run records the settings it used."""

    credit_on_time: Decimal = Decimal(1)
    # Decree 335/2025: each delay deducts 25% of the product's progress points.
    credit_late: Decimal = Decimal("0.75")
    credit_overdue: Decimal = Decimal(0)
    excellent_from: Decimal = Decimal(90)
    good_from: Decimal = Decimal(70)
    pass_from: Decimal = Decimal(50)
    # Decree 335/2025: "xuất sắc" may not exceed 20% of those graded "tốt".
    excellent_quota: Decimal = Decimal("0.20")

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict) -> "ScoringSettings":
        return cls(**{k: Decimal(str(v)) for k, v in data.items() if k in cls.__dataclass_fields__})


class Outcome(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    WITHIN = "within"       # not fallen due: left out of every rate
    EXCLUDED = "excluded"   # cancelled or suspended


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"
    NOT_RATED = "not_rated"


GRADE_LABELS = {
    Grade.EXCELLENT: ("Hoàn thành xuất sắc nhiệm vụ", "Excellent"),
    Grade.GOOD: ("Hoàn thành tốt nhiệm vụ", "Good"),
    Grade.PASS: ("Hoàn thành nhiệm vụ", "Completed"),
    Grade.FAIL: ("Không hoàn thành nhiệm vụ", "Not completed"),
    Grade.NOT_RATED: ("Chưa đánh giá", "Not rated"),
}


@dataclass(frozen=True)
class Period:
    """A year (2026), a half (2026-H1), a quarter (2026-Q3) or a month (2026-07)."""

    code: str
    start: date
    end: date


_PERIOD = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$")


def parse_period(code: str) -> Period:
    """The period named by `code`; ValueError when it names none."""
    m = _PERIOD.match((code or "").strip().upper())
    if not m:
        raise ValueError(code)
    year, part = int(m.group(1)), m.group(2)
    if not 2000 <= year <= 2100:
        raise ValueError(code)
    if part is None:
        return Period(str(year), date(year, 1, 1), date(year, 12, 31))
    if part.startswith("H"):
        first = 1 if part == "H1" else 7
        months = 6
    elif part.startswith("Q"):
        first = (int(part[1]) - 1) * 3 + 1
        months = 3
    else:
        first, months = int(part), 1
    last = first + months - 1
    return Period(f"{year}-{part}", date(year, first, 1),
                  date(year, last, calendar.monthrange(year, last)[1]))


def default_as_of(period: Period, today: date) -> date:
    """The period's last day, or today when that is earlier."""
    return min(period.end, today)


def overdue_before(as_of: date, today: date) -> date:
    """The first due date that is not yet overdue as of `as_of` (DESIGN.md 5).

    When `as_of` is a past day the whole of it is over: a task due on it and not
    completed by its end is overdue, so only due dates after it are not. When `as_of`
    is today, today is not over: a task due today is not overdue until tomorrow."""
    return as_of + timedelta(days=1) if as_of < today else as_of


def is_excluded(status: str, due_on: date | None, excluded_on: date | None) -> bool:
    """Cancelled or suspended before falling due: left out of every rate.

    DESIGN.md 4: a failure cannot be erased by cancelling it. A task cancelled or
    suspended after its due date had passed still counts as not completed. A task
    excluded on its due date itself had not fallen due yet (due today is not overdue
    until tomorrow). Legacy rows without the day (excluded_on NULL) stay excluded."""
    if status not in EXCLUDED_STATUSES:
        return False
    return due_on is None or excluded_on is None or excluded_on <= due_on


def outcome(status: str, due_on: date | None, completed_on: date | None, as_of: date,
            today: date, excluded_on: date | None = None) -> Outcome:
    """A task's outcome at the end of day `as_of` (or now, when `as_of` is `today`),
    judged with what was known then.

    Completed on or before `as_of`: on time when on or before the due date, late
    after it. Not completed by then: overdue once its due date is over (see
    `overdue_before`), otherwise not fallen due. Cancelled or suspended: excluded only
    when it left before falling due (`is_excluded`); otherwise it is not completed."""
    if is_excluded(status, due_on, excluded_on):
        return Outcome.EXCLUDED
    done = status == Lifecycle.COMPLETED and completed_on is not None and completed_on <= as_of
    if done:
        if due_on is None or completed_on <= due_on:
            return Outcome.ON_TIME
        return Outcome.LATE
    if due_on is not None and due_on < overdue_before(as_of, today):
        return Outcome.OVERDUE
    return Outcome.WITHIN


def counts_once(own: int | None, children: "list[int | None]") -> bool:
    """Whether a task counts for its own lead unit (or accountable leader) `own`, given
    the lead units (leaders) of its counted sub-tasks: DESIGN.md 5, each piece of work
    counts once, so a parent counts only for a unit (leader) that holds none of them."""
    return own not in children


def weight_share(parent: Decimal, own: Decimal, siblings: Decimal, count: int) -> Decimal:
    """A counted sub-task's share of its parent's counted weight: parent × own / Σ of the
    siblings that replace the parent with it (their typed weights, its own included), to
    the cent, half up (weights are Numeric(8, 2)). Siblings all of weight 0 share equally.
    Worked in whole cents, as the SQL does (`assessment.counted_weights_cte`)."""
    p, o, total = (int((Decimal(x) * 100).to_integral_value(ROUND_HALF_UP)) for x in (parent, own, siblings))
    cents = (2 * p * o + total) // (2 * total) if total > 0 else (2 * p + count) // (2 * count)
    return Decimal(cents).scaleb(-2)


def counted_weights(tasks) -> "dict[int, tuple[Decimal, Decimal]]":
    """Each task's counted weight for its lead unit's figure and for its leader's figure
    (docs/integrity.md, "A breakdown shares its parent's weight").

    `tasks`: (id, parent_id, lead_unit_id, leader_id, weight, counted) rows, `counted`
    telling whether the task counts as a sub-task (its plan is not a draft and it did not
    leave before falling due: `assessment._counted_child`). A task without a parent, or
    not counted, weighs its own weight; a counted sub-task weighs its parent's counted
    weight × its own weight / Σ weights of the parent's counted sub-tasks with the same
    lead unit (the unit figure) or the same leader (the leader figure): the sub-tasks that
    replace the parent for that unit or leader (`counts_once`) share its weight, so a
    breakdown never changes how much the work weighs. Recursive over levels."""
    rows = {r[0]: r for r in tasks}
    groups: dict[tuple, list] = {}
    for r in rows.values():
        if r[1] is not None and r[5]:
            groups.setdefault((r[1], 2, r[2]), []).append(r)
            groups.setdefault((r[1], 3, r[3]), []).append(r)
    out: dict[int, tuple[Decimal, Decimal]] = {}

    def weigh(task_id: int) -> tuple[Decimal, Decimal]:
        if task_id in out:
            return out[task_id]
        chain = []
        r = rows[task_id]
        # Up to the first task that weighs its own weight (iteratively: deep breakdowns).
        while r[1] is not None and r[5] and r[1] in rows and r[0] not in out:
            chain.append(r)
            r = rows[r[1]]
        if r[0] not in out:
            own = Decimal(r[4])
            out[r[0]] = (own, own)
        for r in reversed(chain):
            parent = out[r[1]]
            shares = []
            for i, col in ((0, 2), (1, 3)):
                sibs = groups[(r[1], col, r[col])]
                shares.append(weight_share(parent[i], Decimal(r[4]),
                                           sum((Decimal(s[4]) for s in sibs), Decimal(0)), len(sibs)))
            out[r[0]] = (shares[0], shares[1])
        return out[task_id]

    for task_id in rows:
        weigh(task_id)
    return out


def credit(result: Outcome, weight: Decimal, s: ScoringSettings) -> Decimal:
    """The weight earned by one fallen-due task."""
    factor = {Outcome.ON_TIME: s.credit_on_time, Outcome.LATE: s.credit_late,
              Outcome.OVERDUE: s.credit_overdue}.get(result, Decimal(0))
    return weight * factor


def grade(score: Decimal | None, s: ScoringSettings) -> Grade:
    if score is None:
        return Grade.NOT_RATED
    if score >= s.excellent_from:
        return Grade.EXCELLENT
    if score >= s.good_from:
        return Grade.GOOD
    if score >= s.pass_from:
        return Grade.PASS
    return Grade.FAIL


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Tally:
    """The figures of one set of tasks (a unit's, or a leader's)."""

    tasks: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    within: int = 0
    excluded: int = 0
    weight_due: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    extensions: int = 0
    # DESIGN.md 4: extensions, amendments and cancellations are listed beside every score.
    amendments: int = 0
    # Tasks added after issue (bổ sung), listed beside the score as amendments are; None in
    # a run frozen before they were counted (shown "—").
    additions: int | None = 0
    cancellations: int = 0

    @property
    def fallen_due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def completion_rate(self) -> Decimal | None:
        return _pct(self.completed, self.fallen_due) if self.fallen_due else None

    @property
    def on_time_rate(self) -> Decimal | None:
        return _pct(self.on_time, self.fallen_due) if self.fallen_due else None

    @property
    def score(self) -> Decimal | None:
        """Σ credit / Σ weight × 100; None (not rated) when nothing has fallen due."""
        if not self.fallen_due or not self.weight_due:
            return None
        return _pct(self.credit, self.weight_due)

    def add(self, result: Outcome, weight: Decimal, extensions: int, s: ScoringSettings,
            amendments: int = 0, cancelled: bool = False, added: bool = False) -> None:
        self.tasks += 1
        self.extensions += extensions
        self.amendments += amendments
        self.additions = (self.additions or 0) + int(added)
        self.cancellations += int(cancelled)
        if result == Outcome.EXCLUDED:
            self.excluded += 1
            return
        if result == Outcome.WITHIN:
            self.within += 1
            return
        setattr(self, result.value, getattr(self, result.value) + 1)
        self.weight_due += weight
        self.credit += credit(result, weight, s)


def tally(rows, as_of: date, today: date, s: ScoringSettings) -> Tally:
    """Figures over (status, due_on, completed_on, weight, extensions[, excluded_on
    [, amendments[, added after issue]]]) rows, as of the end of `as_of` (now when it is
    `today`)."""
    t = Tally()
    for row in rows:
        status, due_on, completed_on, weight, extensions = row[:5]
        excluded_on = row[5] if len(row) > 5 else None
        amendments = row[6] if len(row) > 6 else 0
        added = bool(row[7]) if len(row) > 7 else False
        t.add(outcome(status, due_on, completed_on, as_of, today, excluded_on), Decimal(weight),
              int(extensions or 0), s, int(amendments or 0), status == Lifecycle.CANCELLED,
              added)
    return t


@dataclass(frozen=True)
class QuotaWarning:
    excellent: int
    good: int
    allowed: Decimal


# DESIGN.md 5: the quota is checked per group of units of one kind, never everything
# mixed. Communes, wards and special zones are all local committees of the commune level
# (cấp xã, since 2025): one group. Every other kind is a group of its own.
QUOTA_GROUPS = {"commune": "commune", "ward": "commune", "special_zone": "commune"}


def quota_group(kind: str | None) -> str:
    """The group a unit of `kind` is compared with for the "xuất sắc" quota."""
    kind = kind or "other"
    return QUOTA_GROUPS.get(kind, kind)


def quota_warning(grades: list[Grade], s: ScoringSettings) -> QuotaWarning | None:
    """Warn when a group's "xuất sắc" exceed the quota share of its "tốt"; the
    final grading stays a human decision."""
    excellent = sum(1 for g in grades if g == Grade.EXCELLENT)
    good = sum(1 for g in grades if g == Grade.GOOD)
    allowed = s.excellent_quota * good
    if excellent > allowed:
        return QuotaWarning(excellent, good, allowed)
    return None


__all__ = [
    "GRADE_LABELS",
    "Grade",
    "Outcome",
    "Period",
    "QuotaWarning",
    "ScoringSettings",
    "Tally",
    "counted_weights",
    "counts_once",
    "credit",
    "default_as_of",
    "grade",
    "is_excluded",
    "outcome",
    "overdue_before",
    "parse_period",
    "quota_group",
    "quota_warning",
    "tally",
    "weight_share",
]
