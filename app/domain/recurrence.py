"""Recurring work on the official reporting calendar (DESIGN.md 9): the occurrences of a
recurring rule in a plan's year, as pure date arithmetic.

Decree 09/2019/NĐ-CP, art. 12: a periodic report's figures run from the 15th of the month
before the period to the 14th of its last month (month: 15/02-14/03; quarter II: 15/03-14/06;
the first six months: 15/12-14/06; nine months: 15/12-14/09; the year: 15/12-14/12). A custom
cut-off day C generalises it: the window runs from the day after C of the month before the
period to C of its last month (C = 14 is the decree's; a C beyond a month's end is its last
day, so 31 means "the end of the month" in February too). The due date is a day of the
period's last month (or of the month after it), or the cut-off plus N working days, skipping
Saturdays, Sundays and the official holidays (Tết included) passed in by the caller, so that
this module needs no calendar of its own and stays pure.

A period is named by a code: "M01".."M12" (months), "Q1".."Q4" (quarters), "H1" and "H2"
(six months), "N9" (nine months), "Y" (the year). The text ("Tháng 3/2026", "Quý II/2026")
is the caller's, in the user's language.
"""

import calendar
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.domain.workdays import add_working_days, is_working_day  # noqa: F401 (re-exported)


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    NINE_MONTHS = "nine_months"
    YEARLY = "yearly"


class DueKind(StrEnum):
    DAY = "day"                    # a day of the period's last month (or the month after it)
    WORKING_DAYS = "working_days"  # the cut-off plus N working days


DECREE_CUTOFF_DAY = 14  # Decree 09/2019/NĐ-CP art. 12
MAX_WORKING_DAYS = 60

# (code, first month, last month) of each frequency's periods, in order.
PERIODS: dict[Frequency, tuple[tuple[str, int, int], ...]] = {
    Frequency.MONTHLY: tuple((f"M{m:02d}", m, m) for m in range(1, 13)),
    Frequency.QUARTERLY: tuple((f"Q{q}", 3 * q - 2, 3 * q) for q in range(1, 5)),
    Frequency.HALF_YEARLY: (("H1", 1, 6), ("H2", 7, 12)),
    Frequency.NINE_MONTHS: (("N9", 1, 9),),
    Frequency.YEARLY: (("Y", 1, 12),),
}


@dataclass(frozen=True)
class Schedule:
    """When a rule's occurrences fall: `cutoff_day` None is the decree's window."""

    frequency: str
    due_kind: str
    due_day: int | None = None
    due_next_month: bool = False
    working_days: int | None = None
    cutoff_day: int | None = None


@dataclass(frozen=True)
class Occurrence:
    period: str       # "M03", "Q2", "H1", "N9", "Y"
    index: int        # 1-based position in the year
    start_on: date    # the window's first day (at the earliest the plan year's 1 January)
    cutoff_on: date   # the window's last day (chốt số liệu)
    due_on: date


@dataclass(frozen=True)
class Problem:
    """One reason a schedule is refused: the field it concerns and a code."""

    field: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def values(self) -> dict:
        return dict(self.params)


CODES = ("frequency_unknown", "due_kind_unknown", "cutoff_day_range", "due_day_range",
         "working_days_range", "due_before_cutoff", "outside_year")


def day_in_month(year: int, month: int, day: int) -> date:
    """`day` of the month, or its last day when the month is shorter (31 -> 28/29 February)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def problems(s: Schedule) -> list[Problem]:
    """The shape of a schedule: known kinds, days and counts in range."""
    out = []
    if s.frequency not in set(Frequency):
        out.append(Problem("frequency", "frequency_unknown"))
    if s.cutoff_day is not None and not 1 <= s.cutoff_day <= 31:
        out.append(Problem("cutoff_day", "cutoff_day_range"))
    if s.due_kind == DueKind.DAY:
        if s.due_day is None or not 1 <= s.due_day <= 31:
            out.append(Problem("due_day", "due_day_range"))
    elif s.due_kind == DueKind.WORKING_DAYS:
        if s.working_days is None or not 1 <= s.working_days <= MAX_WORKING_DAYS:
            out.append(Problem("working_days", "working_days_range",
                               (("max", MAX_WORKING_DAYS),)))
    else:
        out.append(Problem("due_kind", "due_kind_unknown"))
    return out


def occurrences(s: Schedule, year: int, holidays: Collection[date] = ()) -> list[Occurrence]:
    """Every occurrence of the schedule in `year`, in order (the schedule's shape must hold:
    see `problems`). Dates may fall outside the year or before the cut-off: `check` says so."""
    cut = s.cutoff_day or DECREE_CUTOFF_DAY
    out = []
    for index, (code, first, last) in enumerate(PERIODS[Frequency(s.frequency)], start=1):
        by, bm = _month_before(year, first)
        start = day_in_month(by, bm, cut) + timedelta(days=1)
        start = max(start, date(year, 1, 1))
        cutoff = day_in_month(year, last, cut)
        if s.due_kind == DueKind.WORKING_DAYS:
            due = add_working_days(cutoff, s.working_days or 0, holidays)
        else:
            dy, dm = _month_after(year, last) if s.due_next_month else (year, last)
            due = day_in_month(dy, dm, s.due_day or 1)
        out.append(Occurrence(code, index, start, cutoff, due))
    return out


def check(s: Schedule, year: int, holidays: Collection[date] = ()) -> list[Problem]:
    """Every reason to refuse the schedule for a plan of `year`: its shape, a due date before
    its cut-off (Decree 09 art. 8: at least the cut-off day itself), an occurrence outside the
    plan's year. Each reported once, on the due date's field, naming the first period."""
    found = problems(s)
    if found:
        return found
    due_field = "working_days" if s.due_kind == DueKind.WORKING_DAYS else "due_day"
    occ = occurrences(s, year, holidays)
    early = next((o for o in occ if o.due_on < o.cutoff_on), None)
    if early is not None:
        found.append(Problem(due_field, "due_before_cutoff",
                             (("cutoff", early.cutoff_on), ("due", early.due_on),
                              ("period", early.period))))
    outside = next((o for o in occ if o.due_on.year != year), None)
    if outside is not None:
        found.append(Problem(due_field, "outside_year",
                             (("due", outside.due_on), ("period", outside.period),
                              ("year", year))))
    return found


# --- periods as words ----------------------------------------------------------------------

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_parts(code: str) -> tuple[str, int]:
    """(kind, number) of a period code: ("month", 3), ("quarter", 2), ("half", 1),
    ("nine", 9), ("year", 0)."""
    if code.startswith("M"):
        return "month", int(code[1:])
    if code.startswith("Q"):
        return "quarter", int(code[1:])
    if code.startswith("H"):
        return "half", int(code[1:])
    if code == "N9":
        return "nine", 9
    return "year", 0


def roman(n: int) -> str:
    return _ROMAN.get(n, str(n))


# --- the occurrences an edit may change ----------------------------------------------------

@dataclass(frozen=True)
class OccurrenceState:
    """What decides whether a rule edit may touch an occurrence."""

    status: str
    progress: int
    submitted: bool
    due_on: date | None


NOT_STARTED_STATUSES = frozenset({"assigned", "draft"})


def is_free(o: OccurrenceState, today: date) -> bool:
    """An occurrence a rule edit may change or cancel: not started (no progress, never
    submitted, still assigned) and not yet due (due after today). One that is due today or
    overdue, started, finished, cancelled or suspended stays as it is: a head cannot use the
    rule to move or cancel an occurrence that is already late (DESIGN.md 4)."""
    return (o.status in NOT_STARTED_STATUSES and not o.progress and not o.submitted
            and o.due_on is not None and o.due_on > today)


def period_vi(code: str, year: int) -> str:
    """The period as official papers write it, whatever the reader's language (exports and
    print): "Tháng 3/2026", "Quý II/2026", "6 tháng đầu năm 2026", "9 tháng năm 2026"."""
    kind, n = period_parts(code)
    if kind == "month":
        return f"Tháng {n}/{year}"
    if kind == "quarter":
        return f"Quý {roman(n)}/{year}"
    if kind == "half":
        return f"6 tháng {'đầu' if n == 1 else 'cuối'} năm {year}"
    if kind == "nine":
        return f"9 tháng năm {year}"
    return f"Năm {year}"
