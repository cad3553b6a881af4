"""Notifications (in-app, and by email when a mail server is configured) and the job ledger."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Notification(db.Model):
    """One message to one person. `dedupe_key` is unique: the sweep can run any
    number of times and each reminder exists once."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
        Index("ix_notifications_mail_pending", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    # A quality notification's scoring sheet (the bell and the mail open it); a plain id.
    quality_sheet_id: Mapped[int | None]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The date the reminder speaks about (the due date, or days overdue for repeats).
    about_on: Mapped[date | None]
    days: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    email_attempts: Mapped[int] = mapped_column(default=0)

    task: Mapped["Task | None"] = relationship(lazy="raise")  # noqa: F821


class JobRun(db.Model):
    """One row per job and tick: a second process trying the same tick finds it
    taken and does nothing (exactly once however many processes run the scheduler)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    tick: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    pid: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (db.UniqueConstraint("job", "tick"),)
