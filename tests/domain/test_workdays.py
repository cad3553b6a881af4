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
