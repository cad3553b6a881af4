"""Fields (lĩnh vực) and plans (kế hoạch)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class PlanKind(StrEnum):
    CCHC = "cchc"
    WORK = "work"
    DIGITAL = "digital"
    SOCIOECONOMIC = "socioeconomic"
    OTHER = "other"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    CLOSED = "closed"


class Field(db.Model):
    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    name_sort: Mapped[str] = mapped_column(String(255))


class Plan(db.Model):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("unit_id", "year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default=PlanKind.CCHC)
    title: Mapped[str] = mapped_column(String(500))
    doc_number: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT)
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped["Unit"] = relationship(lazy="joined")  # noqa: F821

    # Optimistic locking: SQLAlchemy reads this class attribute once, at mapping time.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def period_start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def period_end(self) -> date:
        return date(self.year, 12, 31)
