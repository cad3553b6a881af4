"""Timeliness is derived from the due date, the completion date and today (DESIGN.md section 4)."""

from datetime import date, timedelta

import pytest

from app.domain.status import (
    EXCLUDED_STATUSES,
    OPEN_STATUSES,
    Lifecycle,
    Timeliness,
    awaiting_on_time,
    days_overdue,
    timeliness,
)

TODAY = date(2026, 3, 31)
D = timedelta(days=1)

# (case, status, due date, completion date, expected)
TABLE = [
    ("due today is not overdue", Lifecycle.IN_PROGRESS, TODAY, None, Timeliness.DUE_SOON),
    ("due yesterday is overdue", Lifecycle.IN_PROGRESS, TODAY - D, None, Timeliness.OVERDUE),
    ("due long ago is overdue", Lifecycle.ASSIGNED, date(2026, 1, 1), None, Timeliness.OVERDUE),
    ("due far ahead is within", Lifecycle.ASSIGNED, date(2026, 12, 31), None, Timeliness.WITHIN),
    ("due in 3 days is due soon", Lifecycle.ASSIGNED, TODAY + 3 * D, None, Timeliness.DUE_SOON),
    ("due in 4 days is within", Lifecycle.ASSIGNED, TODAY + 4 * D, None, Timeliness.WITHIN),
    ("due tomorrow is due soon", Lifecycle.DRAFT, TODAY + D, None, Timeliness.DUE_SOON),
    ("returned and overdue", Lifecycle.RETURNED, TODAY - D, None, Timeliness.OVERDUE),
    # Submitted is not completed: without a submission date the "not completed" rows apply
    # (the submission date is judged in test_a_submission_awaiting_confirmation).
    ("submitted, past due", Lifecycle.SUBMITTED, TODAY - D, None, Timeliness.OVERDUE),
    ("submitted, not yet due", Lifecycle.SUBMITTED, TODAY + 10 * D, None, Timeliness.WITHIN),
    ("completed on the due date is on time", Lifecycle.COMPLETED, date(2026, 3, 31),
     date(2026, 3, 31), Timeliness.DONE_ON_TIME),
    ("completed one day late is late", Lifecycle.COMPLETED, date(2026, 3, 30),
     date(2026, 3, 31), Timeliness.DONE_LATE),
    ("completed early is on time", Lifecycle.COMPLETED, date(2026, 6, 30),
     date(2026, 3, 1), Timeliness.DONE_ON_TIME),
    # Once completed, today no longer matters.
    ("completed on time, seen much later", Lifecycle.COMPLETED, date(2026, 1, 31),
     date(2026, 1, 31), Timeliness.DONE_ON_TIME),
    ("completed late, seen much later", Lifecycle.COMPLETED, date(2026, 1, 31),
     date(2026, 2, 28), Timeliness.DONE_LATE),
    ("completed without a due date", Lifecycle.COMPLETED, None, date(2026, 3, 1),
     Timeliness.DONE_ON_TIME),
    ("cancelled is excluded", Lifecycle.CANCELLED, TODAY - 10 * D, None, Timeliness.EXCLUDED),
    ("suspended is excluded", Lifecycle.SUSPENDED, TODAY - 10 * D, None, Timeliness.EXCLUDED),
    ("cancelled within deadline is excluded", Lifecycle.CANCELLED, TODAY + 10 * D, None,
     Timeliness.EXCLUDED),
    ("no due date is within", Lifecycle.IN_PROGRESS, None, None, Timeliness.WITHIN),
    ("no due date, cancelled", Lifecycle.CANCELLED, None, None, Timeliness.EXCLUDED),
]


@pytest.mark.parametrize("case, status, due_on, completed_on, expected", TABLE,
                         ids=[t[0] for t in TABLE])
def test_timeliness(case, status, due_on, completed_on, expected):
    assert timeliness(status, due_on, completed_on, TODAY) is expected


# A submission awaiting the leader's confirmation is judged by its submission date: the
# completion date will be that date, so a slow reviewer does not make the task late
# (DESIGN.md 4). (case, status, due date, submission date, expected)
SUBMITTED = [
    ("submitted before the due date, now past it", Lifecycle.SUBMITTED, TODAY - 5 * D,
     TODAY - 6 * D, Timeliness.WITHIN),
    ("submitted on the due date, now past it", Lifecycle.SUBMITTED, TODAY - D, TODAY - D,
     Timeliness.WITHIN),
    ("submitted one day late is overdue", Lifecycle.SUBMITTED, TODAY - 2 * D, TODAY - D,
     Timeliness.OVERDUE),
    ("submitted on time, due today", Lifecycle.SUBMITTED, TODAY, TODAY, Timeliness.WITHIN),
    ("submitted on time, due soon: nothing left to remind", Lifecycle.SUBMITTED, TODAY + D,
     TODAY - D, Timeliness.WITHIN),
    ("returned for rework: the due date rules again", Lifecycle.RETURNED, TODAY - D, TODAY - 2 * D,
     Timeliness.OVERDUE),
    ("in progress with a stale submission date", Lifecycle.IN_PROGRESS, TODAY - D, TODAY - 2 * D,
     Timeliness.OVERDUE),
    ("confirmed: the completion date rules", Lifecycle.COMPLETED, TODAY - D, TODAY - D,
     Timeliness.DONE_LATE),
]


@pytest.mark.parametrize("case, status, due_on, submitted_on, expected", SUBMITTED,
                         ids=[t[0] for t in SUBMITTED])
def test_a_submission_awaiting_confirmation(case, status, due_on, submitted_on, expected):
    # The confirmed row: its completion date (TODAY) is after the due date.
    completed_on = TODAY if status == Lifecycle.COMPLETED else None
    assert timeliness(status, due_on, completed_on, TODAY, submitted_on=submitted_on) is expected
    assert awaiting_on_time(status, due_on, submitted_on) is (
        status == Lifecycle.SUBMITTED and expected is Timeliness.WITHIN)


@pytest.mark.parametrize("status", ["in_progress", "completed", "cancelled", "suspended"])
def test_plain_strings_from_the_database_work_like_the_enum(status):
    assert timeliness(status, TODAY - D, TODAY, TODAY) is timeliness(Lifecycle(status), TODAY - D,
                                                                     TODAY, TODAY)


@pytest.mark.parametrize("days_left, window, expected", [
    (0, 3, Timeliness.DUE_SOON),
    (3, 3, Timeliness.DUE_SOON),
    (4, 3, Timeliness.WITHIN),
    (7, 7, Timeliness.DUE_SOON),
    (8, 7, Timeliness.WITHIN),
    (1, 0, Timeliness.WITHIN),
    (0, 0, Timeliness.DUE_SOON),
    (-1, 7, Timeliness.OVERDUE),
])
def test_due_soon_window_boundaries(days_left, window, expected):
    due = TODAY + days_left * D
    assert timeliness(Lifecycle.IN_PROGRESS, due, None, TODAY, due_soon_days=window) is expected


@pytest.mark.parametrize("status, due_on, completed_on, expected", [
    (Lifecycle.ASSIGNED, TODAY - 10 * D, None, Timeliness.WITHIN),        # past due: not started
    (Lifecycle.IN_PROGRESS, TODAY, None, Timeliness.WITHIN),              # due today: not due soon
    (Lifecycle.SUBMITTED, TODAY - D, None, Timeliness.WITHIN),
    (Lifecycle.COMPLETED, TODAY - 5 * D, TODAY - 3 * D, Timeliness.DONE_LATE),  # imported
    (Lifecycle.COMPLETED, TODAY - 5 * D, TODAY - 6 * D, Timeliness.DONE_ON_TIME),
    (Lifecycle.CANCELLED, TODAY - 5 * D, None, Timeliness.EXCLUDED),
])
def test_an_open_task_of_a_draft_plan_is_within_deadline(status, due_on, completed_on, expected):
    """DESIGN.md 4: tasks of draft plans are not flagged: never overdue nor due soon, as the
    lists' SQL (tasks.timeliness_condition) judges them; completions and exclusions as ever."""
    assert timeliness(status, due_on, completed_on, TODAY, draft=True) is expected


def test_the_default_window_is_three_days():
    assert timeliness(Lifecycle.ASSIGNED, TODAY + 3 * D, None, TODAY) is Timeliness.DUE_SOON
    assert timeliness(Lifecycle.ASSIGNED, TODAY + 4 * D, None, TODAY) is Timeliness.WITHIN


def test_a_task_due_on_31_03_becomes_overdue_on_01_04():
    due = date(2026, 3, 31)
    assert timeliness(Lifecycle.IN_PROGRESS, due, None, date(2026, 3, 31)) is not Timeliness.OVERDUE
    assert timeliness(Lifecycle.IN_PROGRESS, due, None, date(2026, 4, 1)) is Timeliness.OVERDUE


@pytest.mark.parametrize("due_on, today, expected", [
    (None, TODAY, 0),
    (TODAY, TODAY, 0),
    (TODAY + D, TODAY, 0),
    (TODAY - D, TODAY, 1),
    (date(2026, 2, 28), date(2026, 3, 31), 31),
    (date(2025, 12, 31), date(2026, 12, 31), 365),
])
def test_days_overdue(due_on, today, expected):
    assert days_overdue(due_on, today) == expected


def test_every_status_is_open_excluded_or_completed_exactly_once():
    assert OPEN_STATUSES.isdisjoint(EXCLUDED_STATUSES)
    assert OPEN_STATUSES | EXCLUDED_STATUSES | {Lifecycle.COMPLETED} == set(Lifecycle)
    assert Lifecycle.COMPLETED not in OPEN_STATUSES
