"""Scoring (DESIGN.md section 5): outcomes as of a date, rates, responsibility
score and grade. Pure functions; every number comes from ScoringSettings."""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .status import EXCLUDED_STATUSES, Lifecycle


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


def outcome(status: str, due_on: date | None, completed_on: date | None, as_of: date) -> Outcome:
    """A task's outcome at the end of day `as_of`, judged with what was known then.

    Completed on or before `as_of`: on time when on or before the due date, late
    after it. Not completed by then: overdue once the due date has passed (a task
    due on `as_of` is not overdue until the next day), otherwise not fallen due.
    """
    if status in EXCLUDED_STATUSES:
        return Outcome.EXCLUDED
    done = status == Lifecycle.COMPLETED and completed_on is not None and completed_on <= as_of
    if done:
        if due_on is None or completed_on <= due_on:
            return Outcome.ON_TIME
        return Outcome.LATE
    if due_on is not None and due_on < as_of:
        return Outcome.OVERDUE
    return Outcome.WITHIN


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

    def add(self, result: Outcome, weight: Decimal, extensions: int, s: ScoringSettings) -> None:
        self.tasks += 1
        self.extensions += extensions
        if result == Outcome.EXCLUDED:
            self.excluded += 1
            return
        if result == Outcome.WITHIN:
            self.within += 1
            return
        setattr(self, result.value, getattr(self, result.value) + 1)
        self.weight_due += weight
        self.credit += credit(result, weight, s)


def tally(rows, as_of: date, s: ScoringSettings) -> Tally:
    """Figures over (status, due_on, completed_on, weight, extensions) rows."""
    t = Tally()
    for status, due_on, completed_on, weight, extensions in rows:
        t.add(outcome(status, due_on, completed_on, as_of), Decimal(weight), int(extensions or 0), s)
    return t


@dataclass(frozen=True)
class QuotaWarning:
    excellent: int
    good: int
    allowed: Decimal


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
    "credit",
    "default_as_of",
    "grade",
    "outcome",
    "parse_period",
    "quota_warning",
    "tally",
]
