"""Personal access tokens of the API (DESIGN.md 10): a user's key for another system."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class ApiToken(db.Model):
    """A token acts as its user, with that user's scope; read-only or read-write.

    Only a SHA-256 of the token is stored: the token is shown once, when it is made. The
    token is 32 random bytes, so a fast hash is enough (nothing to guess from a leaked
    hash); `prefix` (its first characters) tells tokens apart in lists."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    is_read_only: Mapped[bool] = mapped_column(default=True)
    # The last day the token works (inclusive, Asia/Ho_Chi_Minh); None: no expiry.
    expires_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id], lazy="raise")  # noqa: F821

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… {self.name}>"


class CalendarFeed(db.Model):
    """A user's secret calendar address (iCalendar, read-only): their deadlines in the
    calendar of their phone or Outlook. Only a SHA-256 of the secret is stored; a new address
    revokes the old one."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped["User"] = relationship(lazy="raise")  # noqa: F821
