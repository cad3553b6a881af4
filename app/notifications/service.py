"""Notification texts, the bell count and the notifications page."""

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.common.errors import NotFound
from app.extensions import db
from app.models import Notification, User
from app.models.base import utcnow


def text_of(n: Notification) -> str:
    """The message in the current language (written at display time, not stored)."""
    title = n.task.title if n.task is not None else ""
    due = n.about_on.strftime("%d/%m/%Y") if n.about_on else ""
    if n.kind == "due_soon":
        if n.days == 0:
            return _("Due today (%(date)s): %(title)s", date=due, title=title)
        return ngettext("Due within %(num)s day (%(date)s): %(title)s", "Due within %(num)s days (%(date)s): %(title)s", n.days, date=due, title=title)
    if n.kind == "overdue":
        return ngettext("Overdue by %(num)s day (due %(date)s): %(title)s", "Overdue by %(num)s days (due %(date)s): %(title)s", n.days, date=due, title=title)
    if n.kind == "escalation":
        return _("Escalated: %(n)s days overdue in a unit under you (due %(date)s): %(title)s",
                 n=n.days, date=due, title=title)
    if n.kind == "assigned":
        return _("You are responsible for a new task: %(title)s", title=title)
    if n.kind == "assigned_recurring":  # one notice for a recurring task's occurrences
        return ngettext("You are responsible for a recurring task (%(num)s period, the first due %(date)s): %(title)s",
                        "You are responsible for a recurring task (%(num)s periods, the first due %(date)s): %(title)s",
                        n.days or 1, date=due, title=title)
    if n.kind == "coordinating":
        return _("Your unit coordinates a task: %(title)s", title=title)
    if n.kind == "submitted":
        return _("Submitted for your confirmation: %(title)s", title=title)
    if n.kind == "withdrawn":
        return _("Submission withdrawn before your decision: %(title)s", title=title)
    if n.kind == "confirmed":
        return _("Completion confirmed: %(title)s", title=title)
    if n.kind == "returned":
        return _with_reason(_("Returned for rework: %(title)s", title=title), n)
    if n.kind == "suspended":
        return _("Suspended: %(title)s", title=title)
    if n.kind == "resumed":
        return _("Resumed, work continues: %(title)s", title=title)
    if n.kind == "extension_requested":
        return _("Extension requested to %(date)s: %(title)s", date=due, title=title)
    if n.kind == "extension_approved":
        return _("Extension approved, new due date %(date)s: %(title)s", date=due, title=title)
    if n.kind == "extension_refused":
        return _with_reason(_("Extension refused: %(title)s", title=title), n)
    if n.kind == "review_waiting":
        return ngettext("Awaiting your confirmation for %(num)s working day (submitted %(date)s): %(title)s",
                        "Awaiting your confirmation for %(num)s working days (submitted %(date)s): %(title)s",
                        n.days or 0, date=due, title=title)
    if n.kind == "extension_waiting":
        return ngettext("An extension request has awaited your decision for %(num)s working day (asked %(date)s): %(title)s",
                        "An extension request has awaited your decision for %(num)s working days (asked %(date)s): %(title)s",
                        n.days or 0, date=due, title=title)
    if n.kind == "review_escalated":
        return ngettext("Escalated: a submission in your unit has awaited confirmation for %(num)s working day (submitted %(date)s): %(title)s",
                        "Escalated: a submission in your unit has awaited confirmation for %(num)s working days (submitted %(date)s): %(title)s",
                        n.days or 0, date=due, title=title)
    if n.kind == "extension_escalated":
        return ngettext("Escalated: an extension request in your unit has awaited a decision for %(num)s working day (asked %(date)s): %(title)s",
                        "Escalated: an extension request in your unit has awaited a decision for %(num)s working days (asked %(date)s): %(title)s",
                        n.days or 0, date=due, title=title)
    if n.kind == "quality_explanation":
        return _("The appraiser asks your unit for an explanation on its scoring sheet; answer "
                 "by %(date)s (Quality of operation).", date=due)
    if n.kind == "quality_answered":
        return _("A unit answered your request for an explanation on its scoring sheet.")
    return title


def link_path(n: Notification) -> str | None:
    """Where a notification leads: its task, or the scoring sheet of a quality one."""
    if n.task_id:
        return f"/tasks/{n.task_id}"
    if n.quality_sheet_id:
        return f"/quality/sheets/{n.quality_sheet_id}"
    return None


def _with_reason(text: str, n: Notification) -> str:
    """The text, then the reason the decider gave (kept in the notification's message)."""
    reason = (n.message or "").strip()
    return _("%(text)s. Reason: %(reason)s", text=text, reason=reason) if reason else text


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, page: int = 1, per_page: int = 50) -> tuple[list[Notification], int]:
    """A page of the user's notifications, newest first (by when they were written: ids
    follow the order of insertion, which a sweep catching up on several days does not)."""
    total = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id)) or 0
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .options(selectinload(Notification.task))
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return rows, total


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's notifications read."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount or 0


def mark_task_read(user: User, task_id: int) -> int:
    """Mark read every notification of the user about one task: done when they act on it
    (confirm, return, decide an extension, report progress, submit) or open it from the
    notifications page, since either way they have seen what it said."""
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.task_id == task_id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount or 0


def open_one(user: User, notification_id: int) -> str | None:
    """Open one of the user's notifications: it and the others about the same task are
    marked read; returns where it leads (`link_path`: the task, or a quality notification's
    scoring sheet; None for neither). Someone else's answers NotFound."""
    n = db.session.scalar(select(Notification).where(Notification.id == notification_id))
    if n is None or n.user_id != user.id:
        raise NotFound()
    if n.task_id is None:
        mark_read(user, notification_id)
    else:
        mark_task_read(user, n.task_id)
    return link_path(n)


def mark_one_read(user: User, notification_id: int) -> None:
    """Mark one of the user's notifications read; someone else's answers NotFound."""
    owner = db.session.scalar(select(Notification.user_id).where(Notification.id == notification_id))
    if owner is None or owner != user.id:
        raise NotFound()
    mark_read(user, notification_id)


def set_email_digest(user: User, on: bool) -> None:
    """One daily email digest (on) or one email per notification (off)."""
    user.email_digest = bool(on)
    db.session.flush()
