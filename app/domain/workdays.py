"""Working days (ngày làm việc): what the reviewers' reminders count.

Weekends are skipped. Public holidays are not known here: `holidays` is an optional set
of dates a caller may pass (the recurring-work calendar may supply Vietnam's once it has
them); without it, a holiday counts as a working day, so a reminder comes a day early at
worst, never late.
"""

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Monday to Friday, and not one of `holidays`."""
    return day.weekday() < 5 and day not in holidays


def working_days_between(earlier: date, later: date, holidays: Collection[date] = ()) -> int:
    """The working days after `earlier` up to and including `later` (0 when not later)."""
    n, day = 0, earlier + timedelta(days=1)
    while day <= later:
        n += is_working_day(day, holidays)
        day += timedelta(days=1)
    return n


def waited_since(today: date, working_days: int, holidays: Collection[date] = ()) -> date:
    """The latest day `d` such that `working_days` working days have passed from `d` to
    `today` (working_days_between(d, today) >= working_days): whatever started on or
    before it has waited that long. Lets SQL compare a date instead of counting days."""
    day, counted = today, 0
    while True:
        counted += is_working_day(day, holidays)
        if counted >= working_days:
            return day - timedelta(days=1)
        day -= timedelta(days=1)
