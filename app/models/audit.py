"""The audit log (append-only) and the failed-login ledger."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class AuditLog(db.Model):
    """Who changed what and when. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    # The audit browser lists by date, filtered by kind of object or by person.
    __table_args__ = (Index("ix_audit_log_task_at", "task_id", "at"),
                      Index("ix_audit_log_object_type_at", "object_type", "at"),
                      Index("ix_audit_log_actor_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    task_id: Mapped[int | None]
    # JSON: {"field": [before, after], ...} and an optional comment.
    changes: Mapped[str] = mapped_column(Text, default="{}")
    comment: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped["User | None"] = relationship(lazy="raise")  # noqa: F821


class LoginFailure(db.Model):
    """One failed login, counted per account and per address over a window; or, keyed
    "thr:<account or *>|<address>" at the start of a fixed window, the throttled attempts
    of that window aggregated into one row (`attempts`). Rows are deleted once their
    window has passed (app.directory.users.prune_login_failures)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),
                      Index("ix_login_failures_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
