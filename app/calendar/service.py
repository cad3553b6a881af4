"""Deadline calendars (issue 15 §2): each person's deadlines as an iCalendar feed at a secret
address (read-only, revocable), for the calendar on their phone or in Outlook. Each task is
one all-day event on its due date with its six clears in the description and its page as
the link; the event keeps its UID and raises its SEQUENCE when the task changes, so the
calendar moves it when the date moves (an extension, an edit)."""

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.common import access, audit
from app.domain.six_clears import CLEAR_LABELS, Clear
from app.domain.status import Lifecycle
from app.extensions import db
from app.models import CalendarFeed, Task, User
from app.models.base import utcnow
from app.plans.recurring import period_label
from app.tasks import queries as task_queries
from app.tokens import service as tokens

# A phone polls the feed every few hours; a year and a half of deadlines is plenty.
MAX_EVENTS = 2000
PAST_DAYS = 180


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def live_feed(user: User) -> CalendarFeed | None:
    """The user's working calendar address, if any."""
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                        CalendarFeed.revoked_at.is_(None)))


def new_feed(user: User) -> str:
    """A new secret address for `user` (the old one stops working); the secret, shown once."""
    revoke_feed(user)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, token_hash=_hash(secret))
    db.session.add(feed)
    db.session.flush()
    audit.record(user.id, "calendar.create", "calendar_feed", feed.id, {"active": [False, True]})
    return secret


def revoke_feed(user: User) -> bool:
    """Turn the user's calendar address off; whether there was one."""
    feed = live_feed(user)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    db.session.flush()
    audit.record(user.id, "calendar.revoke", "calendar_feed", feed.id, {"active": [True, False]})
    return True


def feed_user(secret: str) -> tuple[User, CalendarFeed] | None:
    """The active user of a live address (and the feed), or None."""
    if not secret or len(secret) > 100:
        return None
    row = db.session.execute(
        select(User, CalendarFeed).join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == _hash(secret), CalendarFeed.revoked_at.is_(None),
               User.is_active)).first()
    return (row[0], row[1]) if row else None


def touch_statement(feed: CalendarFeed, now: datetime):
    """The UPDATE that records a read, or None when the feed was stamped less than a minute
    ago (a phone and Outlook polling the same address, a reload: one write a minute at most)."""
    if not tokens.due_for_stamp(feed.last_used_at, now):
        return None
    return tokens.stamp_statement(CalendarFeed, feed.id, now)


class Deadline(NamedTuple):
    """A task of the feed, and whether it is there only because the owner's unit coordinates
    it (phối hợp): another unit's work, which the owner may read but does not answer for."""

    task: Task
    coordinating: bool = False


def deadlines(user: User, today: date, unit: bool = False) -> list[Deadline]:
    """The tasks whose deadlines the feed shows: those the user is responsible for or
    accountable for; with `unit` (heads and deputies), every task they may read, the tasks
    their unit coordinates marked as such (DESIGN.md 10: each person's deadlines; issue 17
    §2: a coordinated task is the lead unit's, never counted or listed as the coordinator's
    own, yet its date is when the lead unit expects the contribution). Always within what
    the user may read, never cancelled, from half a year back."""
    conds = [access.task_scope(user), Task.due_on.is_not(None),
             Task.due_on >= today - timedelta(days=PAST_DAYS),
             Task.status != Lifecycle.CANCELLED]
    if not (unit and user.is_leader):
        conds.append(or_(Task.assignee_id == user.id, Task.leader_id == user.id))
    own = access.task_scope(user, coordinated=False)
    rows = db.session.execute(select(Task, own).where(*conds).options(*task_queries.detail_options())
                              .order_by(Task.due_on, Task.id).limit(MAX_EVENTS)).all()
    return [Deadline(task, not is_own) for task, is_own in rows]


# ---- iCalendar (RFC 5545) ------------------------------------------------------------

def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1), never splitting a
    UTF-8 character (Vietnamese takes 2-3 bytes a letter)."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return "\r\n ".join(out)


def _period(task: Task, locale: str) -> str:
    """An occurrence of a recurring task's period in the owner's language ("Tháng 3/2026"), as
    its page says it; "" for other tasks."""
    if not task.period_code:
        return ""
    with force_locale(locale):
        return period_label(task.period_code, task.plan.year)


def _coordination(task: Task, locale: str) -> str:
    """The description's first line of a task the owner's unit coordinates."""
    with force_locale(locale):
        return _("Coordinating: the lead unit is %(unit)s",
                 unit=task.lead_unit.name if task.lead_unit else "")


def _description(task: Task, locale: str) -> str:
    en = locale == "en"
    clears = {r.clear: r for r in task.six_clears().results}

    def line(clear: Clear, value: str) -> str:
        vi_label, en_label = CLEAR_LABELS[clear]
        mark = "✓" if clears[clear].ok else "✗"
        return f"{mark} {en_label if en else vi_label}: {value}"

    person = ", ".join(x for x in (task.assignee.full_name if task.assignee else "",
                                   task.lead_unit.name if task.lead_unit else "") if x)
    steps = "; ".join(f"{i}. {s.title}" + (f" ({s.due_on:%d/%m/%Y})" if s.due_on else "")
                      for i, s in enumerate(task.steps, 1))
    leader = task.leader.full_name if task.leader else ""
    dates = " – ".join(f"{d:%d/%m/%Y}" for d in (task.start_on, task.due_on) if d)
    result = task.output_product or ""
    if task.indicator_name:
        result += f" ({task.indicator_name})"
    head, period = [], _period(task, locale)
    if period:
        with force_locale(locale):
            head = [_("Period: %(period)s", period=period)]
    return "\n".join(head + [
        line(Clear.PERSON, person),
        line(Clear.TASK, task.description or task.title),
        line(Clear.RESPONSIBILITY, f"{leader}. {task.responsibility or ''}".strip(". ")),
        line(Clear.PROCESS, steps),
        line(Clear.DEADLINE, dates),
        line(Clear.RESULT, result),
    ])


def _stamp(d: datetime) -> str:
    """UTC (naive instants are stored in UTC already)."""
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d.strftime("%Y%m%dT%H%M%SZ")


def ical(user: User, rows: list[Deadline], base_url: str, host: str, now: datetime,
         locale: str = "vi") -> str:
    """The feed as text (CRLF lines). A coordinated task's title starts "[Phối hợp]" and its
    description says which unit leads it, so it never passes for the owner's own work."""
    with force_locale(locale):
        coordinating = _("[Coordinating]") + " "
    name = ("Hạn nhiệm vụ — " if locale != "en" else "Deadlines — ") + user.full_name
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Sau Ro//Deadlines//VI",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}",
             "X-WR-TIMEZONE:Asia/Ho_Chi_Minh", "REFRESH-INTERVAL;VALUE=DURATION:PT4H",
             "X-PUBLISHED-TTL:PT4H"]
    for t, coordinated in rows:
        done = t.status == Lifecycle.COMPLETED
        prefix = ("✓ " if done else "") + (coordinating if coordinated else "")
        # The occurrences of a monthly report share their title: the period tells them apart.
        period = _period(t, locale)
        summary = prefix + t.title + (f" ({period})" if period else "")
        url = f"{base_url.rstrip('/')}/tasks/{t.id}"
        description = _description(t, locale)
        if coordinated:
            description = _coordination(t, locale) + "\n" + description
        lines += [
            "BEGIN:VEVENT",
            f"UID:task-{t.id}@{host}",
            f"SEQUENCE:{t.version}",
            f"DTSTAMP:{_stamp(now)}",
            f"LAST-MODIFIED:{_stamp(t.updated_at or now)}",
            f"DTSTART;VALUE=DATE:{t.due_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{t.due_on + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description + chr(10) + url)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            f"STATUS:{'TENTATIVE' if t.status == Lifecycle.SUSPENDED else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(x) for x in lines) + "\r\n"
