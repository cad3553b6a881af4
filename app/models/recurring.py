"""Recurring rules (nhiệm vụ định kỳ) of a plan: each makes one task per occurrence of the
plan's year (app/domain/recurrence.py, app/plans/recurring.py)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class RecurringRule(db.Model):
    __tablename__ = "recurring_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    # Its place among the plan's rules: the occurrences are numbered ĐK<position>.<n>.
    position: Mapped[int] = mapped_column(default=1)
    # When (app/domain/recurrence.py: Schedule)
    frequency: Mapped[str] = mapped_column(String(16))
    cutoff_day: Mapped[int | None]          # None: Decree 09/2019's window (the 14th)
    due_kind: Mapped[str] = mapped_column(String(16))
    due_day: Mapped[int | None]
    due_next_month: Mapped[bool] = mapped_column(default=False)
    working_days: Mapped[int | None]
    # The six clears every occurrence takes
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responsibility: Mapped[str] = mapped_column(Text, default="")
    # The process: one step a line
    steps_text: Mapped[str] = mapped_column(Text, default="")
    output_product: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    # Deleted rules stay (their occurrences still name them), with the reason.
    is_active: Mapped[bool] = mapped_column(default=True)
    deleted_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    plan: Mapped["Plan"] = relationship(lazy="raise")  # noqa: F821
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id], lazy="raise")  # noqa: F821
    leader: Mapped["User | None"] = relationship(foreign_keys=[leader_id], lazy="raise")  # noqa: F821
    lead_unit: Mapped["Unit | None"] = relationship(foreign_keys=[lead_unit_id], lazy="raise")  # noqa: F821

    @property
    def steps(self) -> list[str]:
        return [s.strip() for s in (self.steps_text or "").splitlines() if s.strip()]
