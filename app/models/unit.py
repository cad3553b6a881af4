"""Units: a tree of any depth, kept as a materialised path for fast subtree queries."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.text import fold, normalize_space, sort_key
from app.extensions import db
from app.models.base import utcnow


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), index=True)
    name_sort: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="office")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # "/1/7/42/": the ids from the root down to this unit. A subtree is one
    # indexed prefix match, whatever its depth.
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    is_active: Mapped[bool] = mapped_column(default=True)
    # The unit this one was merged into (2025 reform: A merged into B); it is then retired.
    # A plain id, as audit_log.task_id: a foreign key would make SQLite rebuild `units` to
    # add or drop it (migration 0014_org), and units are never deleted.
    successor_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[parent_id],
                                                 lazy="raise")

    def set_name(self, name: str) -> None:
        self.name = normalize_space(name)
        self.name_folded = fold(self.name)
        self.name_sort = sort_key(self.name)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
