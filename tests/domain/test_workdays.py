"""Working days for the reviewers' reminders (app/domain/workdays.py)."""

from datetime import date

from app.domain.workdays import is_working_day, waited_since, working_days_between

MON, FRI, SAT, SUN = date(2026, 7, 6), date(2026, 7, 10), date(2026, 7, 11), date(2026, 7, 12)


def test_weekends_are_not_working_days():
    assert is_working_day(MON) and is_working_day(FRI)
    assert not is_working_day(SAT) and not is_working_day(SUN)


def test_a_holiday_passed_in_is_skipped():
    assert not is_working_day(MON, holidays={MON})


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert working_days_between(MON, MON) == 0
    assert working_days_between(MON, date(2026, 7, 8)) == 2
    assert working_days_between(FRI, date(2026, 7, 13)) == 1  # Saturday and Sunday skipped
    assert working_days_between(FRI, MON) == 0


def test_waited_since_is_the_latest_start_that_has_waited_long_enough():
    for today in (date(2026, 7, d) for d in range(6, 27)):
        for n in (1, 2, 5, 7):
            cutoff = waited_since(today, n)
            assert working_days_between(cutoff, today) >= n
            # the next day after the cut-off has not waited long enough
            nxt = date.fromordinal(cutoff.toordinal() + 1)
            assert working_days_between(nxt, today) < n


def test_vietnam_holidays_include_tet_and_national_day_of_the_year_and_the_next():
    from app.domain.workdays import vietnam_holidays

    days = vietnam_holidays(2026)
    assert date(2026, 9, 2) in days and date(2026, 4, 30) in days and date(2027, 1, 1) in days
    assert date(2026, 2, 17) in days  # Tết Bính Ngọ, the first day
    # By Monday 4/5 two working days have passed only for what was submitted on or before
    # Tuesday 28/4: Wednesday 29/4 and Monday 4/5 count; 30/4 and 1/5 are holidays, 2-3/5 a
    # weekend (without the holidays it would be Thursday 30/4).
    assert waited_since(date(2026, 5, 4), 2, days) == date(2026, 4, 28)
