"""The occurrence arithmetic of recurring rules (app/domain/recurrence.py): tables at the
edges — Tết, year ends, the 31st in February, a due day beyond the month's end."""

from datetime import date

import holidays
import pytest

from app.domain.recurrence import (
    Frequency,
    OccurrenceState,
    Schedule,
    add_working_days,
    check,
    day_in_month,
    is_free,
    occurrences,
)

VN = frozenset(holidays.country_holidays("VN", years=[2026, 2027]).keys())


def day(kind="day", **kw) -> Schedule:
    return Schedule(due_kind=kind, **kw)


@pytest.mark.parametrize(("year", "month", "d", "want"), [
    (2026, 2, 31, date(2026, 2, 28)),
    (2028, 2, 31, date(2028, 2, 29)),   # a leap year
    (2026, 4, 31, date(2026, 4, 30)),
    (2026, 12, 31, date(2026, 12, 31)),
    (2026, 3, 14, date(2026, 3, 14)),
])
def test_a_day_beyond_the_months_end_is_its_last_day(year, month, d, want):
    assert day_in_month(year, month, d) == want


@pytest.mark.parametrize(("start", "n", "want"), [
    (date(2026, 2, 14), 1, date(2026, 2, 23)),   # Sat 14/2; Tết 16-20/2 (Mon-Fri) skipped
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    (date(2026, 3, 14), 2, date(2026, 3, 17)),   # Saturday: Mon 16, Tue 17
    (date(2026, 4, 24), 3, date(2026, 5, 4)),    # 27/4 (Hùng Kings observed), 30/4, 1/5 skipped
    (date(2026, 8, 28), 1, date(2026, 9, 3)),    # 31/8 day off, 1-2/9 National Day
    (date(2026, 12, 14), 2, date(2026, 12, 16)),
    (date(2026, 12, 30), 2, date(2027, 1, 4)),   # year end: 1/1/2027, then the weekend
])
def test_working_days_skip_weekends_and_vietnams_holidays(start, n, want):
    assert add_working_days(start, n, VN) == want


def test_monthly_on_the_decree_window():
    occ = occurrences(day(frequency=Frequency.MONTHLY, due_day=20), 2026, VN)
    assert [o.period for o in occ] == [f"M{m:02d}" for m in range(1, 13)]
    jan, feb, dec = occ[0], occ[1], occ[11]
    # January's window opens on 15/12 of the year before: it starts on 1 January.
    assert (jan.start_on, jan.cutoff_on, jan.due_on) == (date(2026, 1, 1), date(2026, 1, 14),
                                                        date(2026, 1, 20))
    assert (feb.start_on, feb.cutoff_on, feb.due_on) == (date(2026, 1, 15), date(2026, 2, 14),
                                                        date(2026, 2, 20))
    assert (dec.start_on, dec.cutoff_on) == (date(2026, 11, 15), date(2026, 12, 14))


@pytest.mark.parametrize(("frequency", "periods", "cutoffs"), [
    (Frequency.QUARTERLY, ["Q1", "Q2", "Q3", "Q4"],
     [date(2026, 3, 14), date(2026, 6, 14), date(2026, 9, 14), date(2026, 12, 14)]),
    (Frequency.HALF_YEARLY, ["H1", "H2"], [date(2026, 6, 14), date(2026, 12, 14)]),
    (Frequency.NINE_MONTHS, ["N9"], [date(2026, 9, 14)]),
    (Frequency.YEARLY, ["Y"], [date(2026, 12, 14)]),
])
def test_each_frequency_follows_decree_09(frequency, periods, cutoffs):
    occ = occurrences(day(frequency=frequency, due_day=20), 2026, VN)
    assert [o.period for o in occ] == periods
    assert [o.cutoff_on for o in occ] == cutoffs


def test_q3_2026_due_two_working_days_after_its_cut_off():
    # The research's worked example: window 15/06-14/09/2026 (a Monday), unit due 16/09.
    q3 = occurrences(day("working_days", frequency=Frequency.QUARTERLY, working_days=2),
                     2026, VN)[2]
    assert (q3.start_on, q3.cutoff_on, q3.due_on) == (date(2026, 6, 15), date(2026, 9, 14),
                                                      date(2026, 9, 16))


def test_custom_cut_off_at_the_end_of_february():
    occ = occurrences(day("working_days", frequency=Frequency.MONTHLY, cutoff_day=31,
                          working_days=3), 2026, VN)
    feb, mar = occ[1], occ[2]
    assert (feb.start_on, feb.cutoff_on, feb.due_on) == (date(2026, 2, 1), date(2026, 2, 28),
                                                        date(2026, 3, 4))
    assert mar.start_on == date(2026, 3, 1)


def test_february_tet_moves_a_working_day_due_date():
    feb = occurrences(day("working_days", frequency=Frequency.MONTHLY, cutoff_day=13,
                          working_days=1), 2026, VN)[1]
    assert (feb.cutoff_on, feb.due_on) == (date(2026, 2, 13), date(2026, 2, 23))


@pytest.mark.parametrize(("schedule", "codes"), [
    (day(frequency=Frequency.MONTHLY, due_day=20), []),
    (day(frequency=Frequency.MONTHLY, due_day=10), ["due_before_cutoff"]),
    (day(frequency=Frequency.MONTHLY, due_day=31, cutoff_day=31), []),  # 28/2 is the cut-off and the due date
    (day(frequency=Frequency.MONTHLY, due_day=5, due_next_month=True), ["outside_year"]),
    (day(frequency=Frequency.NINE_MONTHS, due_day=5, due_next_month=True), []),
    (day("working_days", frequency=Frequency.QUARTERLY, cutoff_day=31, working_days=3),
     ["outside_year"]),
    (day("working_days", frequency=Frequency.QUARTERLY, working_days=0), ["working_days_range"]),
    (day(frequency="weekly", due_day=20), ["frequency_unknown"]),
    (day(frequency=Frequency.MONTHLY, due_day=32), ["due_day_range"]),
    (day(frequency=Frequency.MONTHLY, due_day=20, cutoff_day=0), ["cutoff_day_range"]),
    (day("whenever", frequency=Frequency.MONTHLY), ["due_kind_unknown"]),
])
def test_refusals(schedule, codes):
    assert [p.code for p in check(schedule, 2026, VN)] == codes


def test_a_refusal_names_the_first_period_and_the_dates():
    (p,) = check(day(frequency=Frequency.QUARTERLY, due_day=10), 2026, VN)
    assert (p.field, p.values["period"], p.values["cutoff"], p.values["due"]) == (
        "due_day", "Q1", date(2026, 3, 14), date(2026, 3, 10))


TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(("state", "free"), [
    (OccurrenceState("assigned", 0, False, date(2026, 6, 20)), True),
    (OccurrenceState("assigned", 0, False, date(2026, 6, 15)), False),   # due today
    (OccurrenceState("assigned", 0, False, date(2026, 5, 20)), False),   # overdue
    (OccurrenceState("in_progress", 10, False, date(2026, 7, 20)), False),
    (OccurrenceState("assigned", 5, False, date(2026, 7, 20)), False),
    (OccurrenceState("returned", 0, False, date(2026, 7, 20)), False),
    (OccurrenceState("submitted", 0, True, date(2026, 7, 20)), False),
    (OccurrenceState("completed", 100, True, date(2026, 7, 20)), False),
    (OccurrenceState("suspended", 0, False, date(2026, 7, 20)), False),
    (OccurrenceState("cancelled", 0, False, date(2026, 7, 20)), False),
])
def test_only_occurrences_not_started_and_not_yet_due_are_free(state, free):
    assert is_free(state, TODAY) is free
