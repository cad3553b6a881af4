"""Users, their role and, for deputies, their fields of responsibility."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.text import fold, normalize_space, person_sort_key
from app.extensions import db
from app.models.base import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    HEAD = "head"
    DEPUTY = "deputy"
    STAFF = "staff"


LEADER_ROLES = frozenset({Role.HEAD, Role.DEPUTY})
# The post (`User.role`) is single: it says where a person's score is counted (a head for
# the unit, a deputy for the tasks she answers for, staff for none). The capabilities of
# the assessor and the administrator may be added to a post (`User.extra_roles`), e.g. a
# deputy of Sở Nội vụ who is also an appraiser. Permissions are the union (`has_role`).
EXTRA_ROLES = (Role.ADMIN, Role.ASSESSOR)

user_fields = Table(
    "user_fields",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), index=True)
    name_sort: Mapped[str] = mapped_column(String(255), index=True)
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.STAFF)
    # Capabilities beyond the post, comma separated in EXTRA_ROLES order ("admin,assessor"):
    # a column, not a table, so that every permission check reads the loaded user and the
    # request's user costs no second query.
    extra_roles: Mapped[str] = mapped_column(String(64), default="", server_default="")
    title: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Flask-Login's alternative id: changing it logs out every copy of the
    # session cookie (logout, password change, disable, role change).
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Email: one message per notification, or one daily digest.
    email_digest: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped["Unit"] = relationship(lazy="joined")  # noqa: F821
    fields: Mapped[list["Field"]] = relationship(secondary=user_fields, lazy="raise")  # noqa: F821

    def set_name(self, full_name: str) -> None:
        self.full_name = normalize_space(full_name)
        self.name_folded = fold(self.full_name)
        self.name_sort = person_sort_key(self.full_name)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_leader(self) -> bool:
        return self.role in LEADER_ROLES

    @property
    def extra_role_list(self) -> list[str]:
        return [r for r in (self.extra_roles or "").split(",") if r]

    @property
    def roles(self) -> list[str]:
        """The post, then the extra capabilities."""
        return [self.role] + [r for r in self.extra_role_list if r != self.role]

    def has_role(self, *roles: str) -> bool:
        """Whether the post or an extra capability is one of `roles` (permissions are the
        union). Posts (head, deputy, staff) are never extra: test them with `role`."""
        return self.role in roles or any(r in roles for r in self.extra_role_list)

    def __repr__(self) -> str:
        return f"<User {self.username}>"
