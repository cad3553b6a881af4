"""Personal access tokens (DESIGN.md 10): made by a user for themselves (or by an admin at
the command line for a service account), shown once, stored hashed, revocable by their
owner and by an admin. A token acts as its user: the API sees what that user sees."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from app.common import audit
from app.common.errors import NotFound, RuleViolation
from app.extensions import db
from app.models import ApiToken, Role, User
from app.models.base import utcnow

# "sr_" tells a Sáu Rõ token apart in a configuration file or a secret scanner.
TOKEN_PREFIX = "sr_"
NAME_LENGTH = 100
# Shown in lists beside the name: "sr_AbCd…" (the prefix plus 5 characters).
SHOWN = len(TOKEN_PREFIX) + 5


def hash_token(raw: str) -> str:
    """The stored form of a token (SHA-256, hex)."""
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_token(actor: User | None, owner: User, name: str, read_only: bool,
                 expires_on: date | None, today: date) -> NewToken:
    """A new token of `owner`. `actor` is the owner (the tokens page) or None (the
    `flask tokens create` command, run by whoever runs the server)."""
    if actor is not None and actor.id != owner.id:
        raise NotFound()
    if not owner.is_active:
        raise RuleViolation(_l("This account is disabled."), "user")
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation(_l("Give the token a name (what it is for)."), "name")
    if len(name) > NAME_LENGTH:
        raise RuleViolation(_l("At most %(n)s characters.", n=NAME_LENGTH), "name")
    taken = db.session.scalar(select(ApiToken.id).where(
        ApiToken.user_id == owner.id, ApiToken.name == name, ApiToken.revoked_at.is_(None)))
    if taken:
        # The audit log names a write's token by its name: two live ones must differ.
        raise RuleViolation(_l("You already have a token with this name."), "name")
    if expires_on is not None and expires_on < today:
        raise RuleViolation(_l("The expiry date cannot be before today."), "expires_on")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:SHOWN], is_read_only=bool(read_only), expires_on=expires_on,
                     created_by_id=actor.id if actor else None)
    db.session.add(token)
    db.session.flush()
    audit.record(actor.id if actor else None, "token.create", "api_token", token.id,
                 {"name": [None, name], "user": [None, owner.username],
                  "read_only": [None, token.is_read_only],
                  "expires_on": [None, expires_on.isoformat() if expires_on else None]})
    return NewToken(token, secret)


def list_tokens(actor: User, everyone: bool = False) -> list[ApiToken]:
    """The actor's tokens; with `everyone` (admins only), every user's. Newest first."""
    stmt = select(ApiToken).options(selectinload(ApiToken.user))
    if not (everyone and actor.has_role(Role.ADMIN)):
        stmt = stmt.where(ApiToken.user_id == actor.id)
    return list(db.session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def all_tokens(username: str | None = None) -> list[ApiToken]:
    """Every token (the command line), or one user's."""
    stmt = select(ApiToken).options(selectinload(ApiToken.user))
    if username:
        stmt = stmt.join(User, User.id == ApiToken.user_id).where(User.username == username)
    return list(db.session.scalars(stmt.order_by(ApiToken.id)))


def revoke_token(actor: User | None, token_id: int) -> ApiToken:
    """Revoke a token: its owner or an admin (the command line: `actor` None). Someone
    else's token answers NotFound, as a token that does not exist."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (actor is not None and not actor.has_role(Role.ADMIN)
                         and token.user_id != actor.id):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id if actor else None
        db.session.flush()
        audit.record(actor.id if actor else None, "token.revoke", "api_token", token.id,
                     {"name": [token.name, token.name], "revoked": [False, True]})
    return token


class TokenRefused(Exception):
    """A token the API does not accept; `reason`: missing, unknown, revoked, expired,
    disabled (its user's account)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def authenticate(raw: str | None, today: date) -> ApiToken:
    """The live token for this secret, with its user loaded, or TokenRefused."""
    if not raw:
        raise TokenRefused("missing")
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise TokenRefused("unknown")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
                              .options(selectinload(ApiToken.user)))
    if token is None:
        raise TokenRefused("unknown")
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_on is not None and token.expires_on < today:
        raise TokenRefused("expired")
    if not token.user.is_active:
        raise TokenRefused("disabled")
    return token


# A use is stamped at most this often per token or calendar address (docs/api.md): a write per
# read is waste, and under load the token's row would be a hot spot.
TOUCH_EVERY = timedelta(seconds=60)


def due_for_stamp(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a use at `now` is stamped: never stamped, or last stamped a minute ago or more."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


def stamp_statement(model, row_id: int, now: datetime):
    """The UPDATE that records a use of a token or a calendar address, compared in the
    database too: of several workers that read the same old stamp, the first writes and the
    others change nothing."""
    return update(model).where(model.id == row_id, or_(
        model.last_used_at.is_(None), model.last_used_at <= now - TOUCH_EVERY)).values(
        last_used_at=now)


def touch_statement(token_id: int, now: datetime | None = None):
    """The UPDATE that records a use (run by the API on a connection of its own: a GET
    reads without the write lock, and a refused write still counts as a use)."""
    return stamp_statement(ApiToken, token_id, now or utcnow())
