"""Working days (ngày làm việc): what the reviewers' reminders and the recurring tasks'
due dates count. Saturdays, Sundays and Vietnam's official holidays (Tết included, from
the `holidays` package: data, no I/O) are skipped; the functions take the holidays as a
set so that tables of tests can pass their own.
"""

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

import holidays as holiday_calendars


@lru_cache(maxsize=16)
def vietnam_holidays(year: int) -> frozenset[date]:
    """Vietnam's official holidays (Tết included) of `year` and the next (a December due date
    counted in working days may run into January)."""
    return frozenset(holiday_calendars.country_holidays("VN", years=[year, year + 1]).keys())


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Monday to Friday, and not one of `holidays`."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, n: int, holidays: Collection[date] = ()) -> date:
    """The n-th working day after `start`."""
    d = start
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d, holidays):
            n -= 1
    return d


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
