"""The scoring rule book (DESIGN.md section 5), row by row, on the pure functions."""

from datetime import date
from decimal import Decimal

import pytest

from app.domain.scoring import (
    GRADE_LABELS,
    Grade,
    Outcome,
    Period,
    QuotaWarning,
    ScoringSettings,
    Tally,
    counts_once,
    credit,
    default_as_of,
    grade,
    is_excluded,
    outcome,
    overdue_before,
    parse_period,
    quota_group,
    quota_warning,
    tally,
)

S = ScoringSettings()
D = date  # brevity in the tables
DUE = D(2026, 3, 31)


# ------------------------------------------------------------ outcome as of a date

@pytest.mark.parametrize("status, due_on, completed_on, as_of, expected, why", [
    ("completed", DUE, D(2026, 3, 31), D(2026, 6, 30), Outcome.ON_TIME, "on time on the due date itself"),
    ("completed", DUE, D(2026, 3, 1), D(2026, 6, 30), Outcome.ON_TIME, "completed early counts"),
    ("completed", DUE, D(2026, 3, 1), D(2026, 3, 2), Outcome.ON_TIME,
     "completed early counts before its due date"),
    ("completed", DUE, D(2026, 4, 1), D(2026, 6, 30), Outcome.LATE, "late by one day"),
    ("completed", DUE, D(2026, 4, 1), D(2026, 4, 1), Outcome.LATE, "late, completed on the as-of day"),
    ("completed", DUE, D(2026, 7, 1), D(2026, 6, 30), Outcome.OVERDUE,
     "completed after the as-of date: not completed then, and overdue"),
    ("completed", DUE, D(2026, 4, 2), D(2026, 4, 1), Outcome.OVERDUE,
     "completed the day after the as-of date, due before it"),
    ("completed", D(2026, 6, 30), D(2026, 7, 1), D(2026, 6, 30), Outcome.WITHIN,
     "completed after the as-of date and due on it: not fallen due"),
    ("completed", D(2026, 9, 30), D(2026, 10, 1), D(2026, 6, 30), Outcome.WITHIN,
     "completed after the as-of date and due after it: not fallen due"),
    ("in_progress", DUE, None, DUE, Outcome.WITHIN, "due on the as-of date: not overdue"),
    ("in_progress", DUE, None, D(2026, 4, 1), Outcome.OVERDUE, "overdue the next day"),
    ("assigned", DUE, None, D(2026, 3, 1), Outcome.WITHIN, "within its deadline"),
    ("submitted", DUE, D(2026, 3, 30), D(2026, 6, 30), Outcome.OVERDUE,
     "submitted but not confirmed is not completed"),
    ("returned", DUE, None, D(2026, 6, 30), Outcome.OVERDUE, "returned for rework, past due"),
    ("draft", DUE, None, D(2026, 6, 30), Outcome.OVERDUE, "a draft past its date is overdue too"),
    ("completed", DUE, None, D(2026, 6, 30), Outcome.OVERDUE,
     "completed without a completion date is not counted as done"),
    ("cancelled", DUE, None, D(2026, 6, 30), Outcome.EXCLUDED, "cancelled: excluded"),
    ("suspended", DUE, None, D(2026, 6, 30), Outcome.EXCLUDED, "suspended: excluded"),
    ("cancelled", DUE, D(2026, 3, 1), D(2026, 6, 30), Outcome.EXCLUDED, "cancelled after work: excluded"),
    ("suspended", D(2026, 9, 30), None, D(2026, 6, 30), Outcome.EXCLUDED, "suspended, not due: excluded"),
])
def test_outcome(status, due_on, completed_on, as_of, expected, why):
    """As of today (the as-of date is the day it is judged on): today is not over."""
    assert outcome(status, due_on, completed_on, as_of, as_of) == expected, why


# ------------------------------------------------------------ as of D at its edges (DESIGN.md 5)

DEC31 = D(2026, 12, 31)
JAN5 = D(2027, 1, 5)


@pytest.mark.parametrize("status, due_on, completed_on, excluded_on, as_of, today, expected, why", [
    # D is a past day: the whole of D is over.
    ("in_progress", DEC31, None, None, DEC31, JAN5, Outcome.OVERDUE,
     "the year's assessment as of 31/12, made in January, counts a task due 31/12 nobody finished"),
    ("assigned", DUE, None, None, DUE, D(2026, 4, 1), Outcome.OVERDUE,
     "due on D, D was yesterday: overdue"),
    ("in_progress", D(2026, 4, 1), None, None, DUE, JAN5, Outcome.WITHIN,
     "due the day after a past D: not fallen due as of D"),
    ("completed", DUE, DUE, None, DUE, JAN5, Outcome.ON_TIME, "completed on D itself, D past"),
    ("completed", DUE, D(2026, 4, 1), None, DUE, JAN5, Outcome.OVERDUE,
     "completed the day after a past D on which it was due: overdue as of D"),
    ("submitted", DUE, None, None, DUE, JAN5, Outcome.OVERDUE,
     "submitted but never confirmed, D past: not completed, overdue"),
    # D is today: today is not over.
    ("in_progress", DUE, None, None, DUE, DUE, Outcome.WITHIN,
     "due today, D today: not overdue until tomorrow"),
    ("in_progress", D(2026, 3, 30), None, None, DUE, DUE, Outcome.OVERDUE, "due yesterday, D today"),
    ("completed", DUE, DUE, None, DUE, DUE, Outcome.ON_TIME, "completed today, due today"),
    # Submitted before D, confirmed after: the completion date is the submission date.
    ("completed", DEC31, D(2026, 12, 30), None, DEC31, JAN5, Outcome.ON_TIME,
     "submitted 30/12, confirmed 05/01: completed on 30/12 in the year as of 31/12"),
    ("completed", DUE, D(2026, 4, 3), None, D(2026, 4, 5), JAN5, Outcome.LATE,
     "submitted late but before D, confirmed after D: completed late"),
    # Cancelled or suspended: excluded only when it left before falling due (DESIGN.md 4).
    ("cancelled", DUE, None, D(2026, 3, 20), D(2026, 6, 30), JAN5, Outcome.EXCLUDED,
     "cancelled before its due date"),
    ("cancelled", DUE, None, DUE, D(2026, 6, 30), JAN5, Outcome.EXCLUDED,
     "cancelled on its due date: it had not fallen due yet"),
    ("cancelled", DUE, None, D(2026, 4, 1), D(2026, 6, 30), JAN5, Outcome.OVERDUE,
     "cancelled the day after its due date: still not completed"),
    ("suspended", DUE, None, D(2026, 5, 2), D(2026, 6, 30), JAN5, Outcome.OVERDUE,
     "suspended after falling due: still not completed"),
    ("cancelled", DUE, None, D(2026, 5, 2), D(2026, 4, 10), JAN5, Outcome.OVERDUE,
     "as of a D before the cancellation the task was open and overdue: the same"),
    ("cancelled", DUE, None, D(2026, 5, 2), D(2026, 3, 10), JAN5, Outcome.WITHIN,
     "as of a D before its due date, cancelled later: not fallen due"),
    ("cancelled", DUE, None, None, D(2026, 6, 30), JAN5, Outcome.EXCLUDED,
     "legacy row without the day it left: excluded"),
    ("suspended", None, None, D(2026, 5, 2), D(2026, 6, 30), JAN5, Outcome.EXCLUDED,
     "no due date: nothing had fallen due"),
    ("cancelled", DUE, DUE, D(2026, 4, 2), D(2026, 6, 30), JAN5, Outcome.OVERDUE,
     "a cancelled task is never completed, whatever date it carries"),
])
def test_outcome_as_of_at_its_edges(status, due_on, completed_on, excluded_on, as_of, today,
                                    expected, why):
    assert outcome(status, due_on, completed_on, as_of, today, excluded_on) == expected, why


@pytest.mark.parametrize("as_of, today, expected", [
    (DEC31, JAN5, D(2027, 1, 1)),      # a past day is over: due on it is overdue
    (DEC31, D(2027, 1, 1), D(2027, 1, 1)),
    (DEC31, DEC31, DEC31),             # today is not over
])
def test_overdue_before(as_of, today, expected):
    assert overdue_before(as_of, today) == expected


def test_an_extension_past_the_year_carries_the_task_into_the_next_period():
    """A task due 31/12/2026 extended to 15/01/2027 belongs to 2027 by its effective due
    date: in no 2026 figure, and judged in 2027 like any other."""
    extended = ("in_progress", D(2027, 1, 15), None, Decimal(1), 1)
    y2026, y2027 = parse_period("2026"), parse_period("2027")
    assert not (y2026.start <= extended[1] <= y2026.end)
    assert y2027.start <= extended[1] <= y2027.end
    assert outcome("in_progress", D(2027, 1, 15), None, DEC31, JAN5) == Outcome.WITHIN
    t = tally([extended], D(2027, 1, 16), D(2027, 2, 1), S)
    assert (t.overdue, t.extensions, t.score) == (1, 1, Decimal("0.00"))
    done = tally([("completed", D(2027, 1, 15), D(2027, 1, 12), Decimal(1), 1)],
                 D(2027, 3, 31), D(2027, 4, 2), S)
    assert (done.on_time, done.extensions, done.score) == (1, 1, Decimal("100.00"))


@pytest.mark.parametrize("status, due_on, excluded_on, expected", [
    ("cancelled", DUE, D(2026, 3, 1), True),
    ("cancelled", DUE, DUE, True),
    ("cancelled", DUE, D(2026, 4, 1), False),
    ("suspended", DUE, D(2026, 4, 1), False),
    ("suspended", DUE, None, True),
    ("cancelled", None, D(2026, 4, 1), True),
    ("completed", DUE, D(2026, 3, 1), False),
    ("in_progress", DUE, None, False),
])
def test_is_excluded(status, due_on, excluded_on, expected):
    assert is_excluded(status, due_on, excluded_on) == expected


def test_cancellations_and_amendments_are_counted_beside_the_score():
    t = tally([("cancelled", DUE, None, Decimal(1), 0, D(2026, 3, 1), 0),
               ("cancelled", DUE, None, Decimal(1), 1, D(2026, 4, 2), 2),
               ("suspended", DUE, None, Decimal(1), 0, D(2026, 4, 2), 0),
               ("completed", DUE, DUE, Decimal(1), 0, None, 1)], AS_OF, JAN5, S)
    assert (t.cancellations, t.amendments, t.extensions) == (2, 3, 1)
    assert (t.excluded, t.overdue, t.on_time) == (1, 2, 1)
    assert t.score == Decimal("33.33")   # the two that left late count as not completed


@pytest.mark.parametrize("own, children, expected, why", [
    (1, [], True, "no sub-task: counts"),
    (1, [1, 1], False, "broken down within its own unit: counted at 2.1 and 2.2 only"),
    (1, [2, 3], True, "handed down to other units: counts for its own unit too"),
    (1, [1, 2], False, "one sub-task kept by its own unit: the parent does not count for it"),
    (7, [8, 9], True, "leaders: no sub-task led by the parent's leader"),
    (7, [7, 9], False, "leaders: one sub-task led by the parent's leader"),
    (None, [None], False, "no one holds it either way"),
])
def test_counts_once(own, children, expected, why):
    assert counts_once(own, children) == expected, why


@pytest.mark.parametrize("kind, group", [
    ("department", "department"), ("office", "office"), ("commune", "commune"),
    ("ward", "commune"), ("special_zone", "commune"), ("section", "section"),
    ("province", "province"), ("other", "other"), (None, "other"), ("", "other"),
])
def test_quota_groups_are_units_of_one_kind(kind, group):
    assert quota_group(kind) == group


# ------------------------------------------------------------ credit, score, rates

@pytest.mark.parametrize("result, weight, expected", [
    (Outcome.ON_TIME, Decimal(1), Decimal(1)),
    (Outcome.LATE, Decimal(1), Decimal("0.75")),
    (Outcome.LATE, Decimal(2), Decimal("1.5")),
    (Outcome.LATE, Decimal("1.25"), Decimal("0.9375")),
    (Outcome.OVERDUE, Decimal(3), Decimal(0)),
    (Outcome.WITHIN, Decimal(3), Decimal(0)),
    (Outcome.EXCLUDED, Decimal(3), Decimal(0)),
])
def test_credit(result, weight, expected):
    assert credit(result, weight, S) == expected


def test_credit_factors_are_settings():
    s = ScoringSettings(credit_on_time=Decimal(1), credit_late=Decimal("0.5"),
                        credit_overdue=Decimal("0.1"))
    assert credit(Outcome.LATE, Decimal(2), s) == Decimal("1.0")
    assert credit(Outcome.OVERDUE, Decimal(2), s) == Decimal("0.2")


AS_OF = D(2026, 6, 30)
ON_TIME = ("completed", D(2026, 3, 31), D(2026, 3, 31))
LATE = ("completed", D(2026, 3, 31), D(2026, 4, 1))
OVERDUE = ("in_progress", D(2026, 3, 31), None)
WITHIN = ("in_progress", D(2026, 9, 30), None)
CANCELLED = ("cancelled", D(2026, 3, 31), None)
SUSPENDED = ("suspended", D(2026, 3, 31), None)


def rows(*specs):
    """(status, due, done) [+ weight [+ extensions]] -> tally rows."""
    out = []
    for spec in specs:
        base, extra = spec[:3], spec[3:]
        weight = extra[0] if extra else Decimal(1)
        ext = extra[1] if len(extra) > 1 else 0
        out.append((*base, weight, ext))
    return out


def test_tally_counts_each_outcome():
    t = tally(rows(ON_TIME, ON_TIME, LATE, OVERDUE, WITHIN, CANCELLED, SUSPENDED), AS_OF, AS_OF, S)
    assert (t.tasks, t.on_time, t.late, t.overdue, t.within, t.excluded) == (7, 2, 1, 1, 1, 2)
    assert (t.fallen_due, t.completed) == (4, 3)
    assert t.completion_rate == Decimal("75.00")      # 3 / 4
    assert t.on_time_rate == Decimal("50.00")          # 2 / 4
    assert t.score == Decimal("68.75")                 # (1 + 1 + 0.75 + 0) / 4
    assert grade(t.score, S) == Grade.PASS


def test_cancelled_and_suspended_change_no_rate():
    base = tally(rows(ON_TIME, LATE, OVERDUE), AS_OF, AS_OF, S)
    more = tally(rows(ON_TIME, LATE, OVERDUE, CANCELLED, SUSPENDED, (*CANCELLED, Decimal(9))), AS_OF, AS_OF, S)
    assert (more.score, more.completion_rate, more.on_time_rate) == \
        (base.score, base.completion_rate, base.on_time_rate)
    assert more.weight_due == base.weight_due and more.excluded == 3


def test_within_deadline_is_left_out():
    base = tally(rows(ON_TIME, OVERDUE), AS_OF, AS_OF, S)
    more = tally(rows(ON_TIME, OVERDUE, WITHIN, WITHIN), AS_OF, AS_OF, S)
    assert more.score == base.score == Decimal("50.00")
    assert more.within == 2 and more.fallen_due == 2


@pytest.mark.parametrize("specs, score", [
    # score = Σ credit / Σ weight × 100
    ([(*ON_TIME, Decimal(3)), (*OVERDUE, Decimal(1))], Decimal("75.00")),
    ([(*ON_TIME, Decimal(1)), (*OVERDUE, Decimal(3))], Decimal("25.00")),
    ([(*LATE, Decimal(2)), (*ON_TIME, Decimal(2))], Decimal("87.50")),
    ([(*LATE, Decimal("1.5")), (*OVERDUE, Decimal("0.5"))], Decimal("56.25")),
    ([(*ON_TIME, Decimal(1)), (*ON_TIME, Decimal(1)), (*OVERDUE, Decimal(1))], Decimal("66.67")),
    ([(*ON_TIME, Decimal(2)), (*OVERDUE, Decimal(1))], Decimal("66.67")),
    ([(*LATE, Decimal(1))], Decimal("75.00")),              # late credit 0.75
    ([(*OVERDUE, Decimal(1))], Decimal("0.00")),
    ([(*ON_TIME, Decimal(1))], Decimal("100.00")),
])
def test_weighted_score(specs, score):
    t = tally(rows(*specs), AS_OF, AS_OF, S)
    assert t.score == score


def test_rates_count_tasks_not_weights():
    t = tally(rows((*ON_TIME, Decimal(9)), (*OVERDUE, Decimal(1))), AS_OF, AS_OF, S)
    assert (t.completion_rate, t.on_time_rate, t.score) == (Decimal("50.00"), Decimal("50.00"),
                                                            Decimal("90.00"))


def test_extensions_are_counted_for_every_task():
    t = tally(rows((*ON_TIME, Decimal(1), 2), (*WITHIN, Decimal(1), 1), (*CANCELLED, Decimal(1), 1),
                   (*OVERDUE, Decimal(1), 0)), AS_OF, AS_OF, S)
    assert t.extensions == 4
    # An extension moves the due date; the score judges the effective date only.
    assert t.score == Decimal("50.00")


def test_an_extended_task_is_judged_on_its_effective_due_date():
    extended = ("completed", D(2026, 4, 30), D(2026, 4, 10), Decimal(1), 1)  # originally due 31/03
    t = tally([extended], AS_OF, AS_OF, S)
    assert (t.on_time, t.late, t.extensions, t.score) == (1, 0, 1, Decimal("100.00"))


@pytest.mark.parametrize("specs", [
    [],
    [WITHIN],
    [WITHIN, CANCELLED, SUSPENDED],
    [("completed", D(2026, 9, 30), D(2026, 7, 2))],  # completed after the as-of date, not yet due
])
def test_nothing_fallen_due_is_not_rated(specs):
    t = tally(rows(*specs), AS_OF, AS_OF, S)
    assert t.fallen_due == 0
    assert t.score is None and t.completion_rate is None and t.on_time_rate is None
    assert grade(t.score, S) == Grade.NOT_RATED  # never 100 and never 0
    assert GRADE_LABELS[grade(t.score, S)][0] == "Chưa đánh giá"


def test_empty_tally_is_not_rated():
    assert Tally().score is None and grade(Tally().score, S) == Grade.NOT_RATED


def test_zero_weights_fallen_due_are_not_rated():
    t = tally(rows((*ON_TIME, Decimal(0))), AS_OF, AS_OF, S)
    assert t.fallen_due == 1 and t.score is None and grade(t.score, S) == Grade.NOT_RATED


# ------------------------------------------------------------ grades and the quota

@pytest.mark.parametrize("score, expected", [
    (Decimal(100), Grade.EXCELLENT),
    (Decimal(90), Grade.EXCELLENT),
    (Decimal("90.00"), Grade.EXCELLENT),
    (Decimal("89.99"), Grade.GOOD),
    (Decimal(70), Grade.GOOD),
    (Decimal("69.99"), Grade.PASS),
    (Decimal(50), Grade.PASS),
    (Decimal("49.99"), Grade.FAIL),
    (Decimal(0), Grade.FAIL),
    (None, Grade.NOT_RATED),
])
def test_grade_bands(score, expected):
    assert grade(score, S) == expected


def test_grade_bands_are_settings():
    s = ScoringSettings(excellent_from=Decimal(95), good_from=Decimal(80), pass_from=Decimal(60))
    assert [grade(Decimal(v), s) for v in (95, 94.99, 80, 79.99, 60, 59.99)] == [
        Grade.EXCELLENT, Grade.GOOD, Grade.GOOD, Grade.PASS, Grade.PASS, Grade.FAIL]


def test_grade_labels_are_vietnamese_first():
    assert GRADE_LABELS[Grade.EXCELLENT][0] == "Hoàn thành xuất sắc nhiệm vụ"
    assert GRADE_LABELS[Grade.GOOD][0] == "Hoàn thành tốt nhiệm vụ"
    assert GRADE_LABELS[Grade.PASS][0] == "Hoàn thành nhiệm vụ"
    assert GRADE_LABELS[Grade.FAIL][0] == "Không hoàn thành nhiệm vụ"
    assert GRADE_LABELS[Grade.NOT_RATED][0] == "Chưa đánh giá"


def group(excellent: int, good: int, other: int = 0) -> list[Grade]:
    return ([Grade.EXCELLENT] * excellent + [Grade.GOOD] * good
            + [Grade.PASS, Grade.FAIL, Grade.NOT_RATED] * other)


@pytest.mark.parametrize("excellent, good, warned", [
    (3, 10, True),    # 3 > 20% of 10
    (2, 10, False),   # exactly 20%
    (0, 10, False),
    (1, 0, True),     # any "xuất sắc" with no "tốt"
    (0, 0, False),
    (1, 5, False),
    (2, 5, True),
    (4, 20, False),
    (5, 20, True),
])
def test_quota_warning(excellent, good, warned):
    w = quota_warning(group(excellent, good, other=2), S)
    assert (w is not None) == warned
    if warned:
        assert w == QuotaWarning(excellent, good, Decimal("0.20") * good)


def test_quota_is_a_setting():
    assert quota_warning(group(3, 10), ScoringSettings(excellent_quota=Decimal("0.30"))) is None


# ------------------------------------------------------------ periods and the as-of date

@pytest.mark.parametrize("code, start, end, canonical", [
    ("2026", D(2026, 1, 1), D(2026, 12, 31), "2026"),
    ("2026-H1", D(2026, 1, 1), D(2026, 6, 30), "2026-H1"),
    ("2026-H2", D(2026, 7, 1), D(2026, 12, 31), "2026-H2"),
    ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
    ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), "2026-Q3"),
    ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), "2026-Q4"),
    ("2026-07", D(2026, 7, 1), D(2026, 7, 31), "2026-07"),
    ("2026-02", D(2026, 2, 1), D(2026, 2, 28), "2026-02"),
    ("2028-02", D(2028, 2, 1), D(2028, 2, 29), "2028-02"),
    ("2026-12", D(2026, 12, 1), D(2026, 12, 31), "2026-12"),
    ("2026-q3", D(2026, 7, 1), D(2026, 9, 30), "2026-Q3"),
    (" 2026-h1 ", D(2026, 1, 1), D(2026, 6, 30), "2026-H1"),
])
def test_parse_period(code, start, end, canonical):
    assert parse_period(code) == Period(canonical, start, end)


@pytest.mark.parametrize("code", ["2026-Q5", "2026-Q0", "2026-H3", "2026-13", "2026-00", "2026-7",
                                  "abc", "", None, "26", "2026-", "2026-Q3x", "1999", "2101",
                                  "2026/07", "2026-W01"])
def test_parse_period_refuses(code):
    with pytest.raises(ValueError):
        parse_period(code)


@pytest.mark.parametrize("code, today, expected", [
    ("2026-Q1", D(2026, 6, 15), D(2026, 3, 31)),   # a past period: its last day
    ("2026", D(2026, 6, 15), D(2026, 6, 15)),      # the current year: today
    ("2026-06", D(2026, 6, 15), D(2026, 6, 15)),
    ("2026-06", D(2026, 6, 30), D(2026, 6, 30)),   # the last day itself
    ("2026-06", D(2026, 7, 1), D(2026, 6, 30)),
])
def test_default_as_of(code, today, expected):
    assert default_as_of(parse_period(code), today) == expected


def test_settings_round_trip():
    s = ScoringSettings(credit_late=Decimal("0.8"), excellent_quota=Decimal("0.25"))
    assert ScoringSettings.from_dict(s.as_dict()) == s
    assert ScoringSettings.from_dict({}) == ScoringSettings()
    assert ScoringSettings.from_dict({"credit_late": "0.5", "unknown": "1"}).credit_late == Decimal("0.5")
