"""Task lifecycle and timeliness (DESIGN.md section 4)."""

from datetime import date
from enum import StrEnum


class Lifecycle(StrEnum):
    DRAFT = "draft"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    RETURNED = "returned"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


EXCLUDED_STATUSES = frozenset({Lifecycle.SUSPENDED, Lifecycle.CANCELLED})
OPEN_STATUSES = frozenset({Lifecycle.DRAFT, Lifecycle.ASSIGNED, Lifecycle.IN_PROGRESS,
                           Lifecycle.SUBMITTED, Lifecycle.RETURNED})


class Timeliness(StrEnum):
    WITHIN = "within"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    EXCLUDED = "excluded"


def awaiting_on_time(status: str, due_on: date | None, submitted_on: date | None) -> bool:
    """Submitted on or before the due date and awaiting the leader's confirmation.

    DESIGN.md section 4: the completion date is the submission date of the confirmed
    submission, so a slow reviewer does not make a task late. Such a task is therefore
    neither overdue nor due soon while it waits, whatever today is: it counts as within
    deadline, the sweep neither flags it nor reminds anyone of it, and it is in no
    overdue list. Returned for rework, it is judged by its due date again. A task
    submitted after its due date was already overdue and stays so until confirmed.
    """
    return (status == Lifecycle.SUBMITTED and due_on is not None and submitted_on is not None
            and submitted_on <= due_on)


def timeliness(status: str, due_on: date | None, completed_on: date | None, today: date,
               due_soon_days: int = 3, submitted_on: date | None = None,
               draft: bool = False) -> Timeliness:
    """Derive timeliness from dates; never stored, never typed in.

    A task due on 31/03 and completed on 31/03 is on time; it becomes overdue
    only on 01/04. "Due soon" is the part of "within deadline" that falls due
    within the reminder window. A submission made on time and awaiting
    confirmation is within deadline (see `awaiting_on_time`). An open task of a
    draft plan (`draft`) has not started (DESIGN.md 4): within deadline, never
    overdue nor due soon, as the lists' filters and the home page count it.
    """
    if status in EXCLUDED_STATUSES:
        return Timeliness.EXCLUDED
    if status == Lifecycle.COMPLETED and completed_on is not None:
        if due_on is None or completed_on <= due_on:
            return Timeliness.DONE_ON_TIME
        return Timeliness.DONE_LATE
    if draft or due_on is None or awaiting_on_time(status, due_on, submitted_on):
        return Timeliness.WITHIN
    if today > due_on:
        return Timeliness.OVERDUE
    if (due_on - today).days <= due_soon_days:
        return Timeliness.DUE_SOON
    return Timeliness.WITHIN


def days_overdue(due_on: date | None, today: date) -> int:
    """Whole days past the due date (0 when not overdue)."""
    if due_on is None or today <= due_on:
        return 0
    return (today - due_on).days
