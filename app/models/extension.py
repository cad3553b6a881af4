"""Deadline extensions (gia hạn): requested, then approved or refused; all kept."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Extension(db.Model):
    __tablename__ = "extensions"
    __table_args__ = (
        # The requests awaiting a decision, oldest first (the home page's and the deadlines
        # page's lists): read in that order until the page's rows are found, each probing its
        # task, instead of every pending request of the province probed and then sorted (at
        # 1,000,000 tasks, 615 probes for 20 rows). PostgreSQL: with the columns the home
        # page shows, so the walk reads the index alone (migration 0024_perflarge).
        Index("ix_extensions_pending_requested", "requested_at", "id",
              postgresql_include=["task_id", "requested_by_id", "requested_on", "previous_due_on",
                                  "proposed_due_on"],
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_on: Mapped[date]
    # The effective due date when asked, and the date asked for.
    previous_due_on: Mapped[date]
    proposed_due_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(Text, default="")

    task: Mapped["Task"] = relationship(lazy="raise")  # noqa: F821
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id], lazy="raise")  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id], lazy="raise")  # noqa: F821
