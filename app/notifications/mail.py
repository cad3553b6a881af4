"""Email for notifications: one message each, or a daily digest; retried while the server is down."""

import smtplib
from collections import defaultdict
from datetime import timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Notification, User
from app.models.base import utcnow
from app.notifications.service import link_path, text_of
from app.settings import Mail

MAX_ATTEMPTS = 20
BATCH = 500


def _pending(digest: bool) -> list[Notification]:
    since = utcnow() - timedelta(days=7)
    return db.session.scalars(
        select(Notification).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.email_attempts < MAX_ATTEMPTS,
               Notification.created_at >= since, User.email.is_not(None), User.is_active,
               User.email_digest.is_(digest))
        .options(selectinload(Notification.task))
        .order_by(Notification.user_id, Notification.id).limit(BATCH)
        # Several processes may send at once: on PostgreSQL each takes the rows it
        # sends and skips those another is sending (SQLite's BEGIN IMMEDIATE already
        # serializes them; there FOR UPDATE is not rendered).
        .with_for_update(skip_locked=True, of=Notification)).all()


def _connect(cfg: Mail) -> smtplib.SMTP:
    smtp = smtplib.SMTP(cfg.server, cfg.port, timeout=10)
    if cfg.use_tls:
        smtp.starttls()
    if cfg.username:
        smtp.login(cfg.username, cfg.password or "")
    return smtp


def _message(sender: str, to: str, subject: str, body: str) -> MIMEText:
    # email.header.Header, not EmailMessage: Python's default policy folds a long
    # Vietnamese subject into encoded-words with the space between them, which
    # readers must drop ("đánh giá chất" arrived as "đánh giáchất").
    msg = MIMEText(body, "plain", "utf-8")
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    return msg


def send_pending(cfg: Mail, digest: bool = False) -> int:
    """Send what is waiting through the server `cfg` names (the settings' mail); on a
    mail server failure, count the attempt and stop (the next run retries). Returns the
    number of messages sent. Flushes only."""
    if not cfg.server:
        return 0
    items = _pending(digest)
    if not items:
        return 0
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({n.user_id for n in items})))}
    base = cfg.base_url
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for n in items:
        by_user[n.user_id].append(n)
    sent = 0
    try:
        smtp = _connect(cfg)
    except (OSError, smtplib.SMTPException):
        for n in items:
            n.email_attempts += 1
        return 0
    try:
        for uid, notes in by_user.items():
            user = users[uid]
            # Each message in its recipient's language (Vietnamese unless they chose another).
            with force_locale(user.locale or "vi"):
                lines = [f"- {text_of(n)}\n  {base}{path}" if (path := link_path(n)) else f"- {text_of(n)}"
                         for n in notes]
                if digest:
                    batches = [(notes, ngettext("Sáu Rõ: %(num)s new notification", "Sáu Rõ: %(num)s new notifications", len(notes)),
                                "\n".join(lines))]
                else:
                    batches = [([n], "Sáu Rõ: " + text_of(n), line) for n, line in zip(notes, lines, strict=True)]
                for group, subject, body in batches:
                    greeting = _("Dear %(name)s,", name=user.full_name)
                    try:
                        smtp.send_message(_message(cfg.sender, user.email, subject, f"{greeting}\n\n{body}\n"))
                    except (OSError, smtplib.SMTPException):
                        for n in group:
                            n.email_attempts += 1
                        return sent
                    now = utcnow()
                    for n in group:
                        n.emailed_at = now
                    sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent
