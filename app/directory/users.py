"""Users and authentication: argon2id hashes, throttled logins, revocable sessions."""

import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

import redis
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from app.common import audit
from app.common.errors import NotFound, RuleViolation
from app.extensions import db, passwords
from app.models import LoginFailure, Role, Unit, User
from app.models.base import utcnow
from app.settings import LoginLimits

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
_COMMON = None


def hash_password(password: str) -> str:
    return passwords.hasher.hash(password)


# Hashes of accounts brought over from an older system (Werkzeug's generate_password_hash):
# accepted at login, then replaced by an argon2id hash.
LEGACY_PREFIXES = ("scrypt:", "pbkdf2:")


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored hash (argon2, or a legacy Werkzeug hash)."""
    if stored.startswith(LEGACY_PREFIXES):
        try:
            return check_password_hash(stored, password)
        except (ValueError, TypeError):
            return False
    try:
        return passwords.hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """A legacy hash, or argon2 with other parameters than the ones in force."""
    if stored.startswith(LEGACY_PREFIXES):
        return True
    try:
        return passwords.hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def common_passwords() -> frozenset[str]:
    """The refused list (app/data/common-passwords.txt: about 20,000, in lower case)."""
    global _COMMON
    if _COMMON is None:
        path = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
        _COMMON = frozenset(line.strip().lower() for line in path.read_text("utf-8").splitlines()
                            if line.strip() and not line.startswith("#"))
    return _COMMON


def check_password_policy(password: str, field: str = "password") -> None:
    """Length and a list of common passwords; no composition rules (ASVS V6.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation(_l("The password must have at least %(n)s characters.",
                               n=MIN_PASSWORD_LENGTH), field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise RuleViolation(_l("The password may have at most %(n)s characters.",
                               n=MAX_PASSWORD_LENGTH), field)
    if password.lower() in common_passwords():
        raise RuleViolation(_l("This password is too common; choose another."), field)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def _checked_email(email: str | None, user_id: int | None = None) -> str | None:
    """The email as stored (trimmed, lower case; None when empty), refused when another
    account already has it in any letter case: the plan importer finds people by email."""
    email = (email or "").strip().lower() or None
    if email is None:
        return None
    q = select(User.username).where(func.lower(User.email) == email)
    if user_id is not None:
        q = q.where(User.id != user_id)
    taken = db.session.scalar(q.limit(1))
    if taken is not None:
        raise RuleViolation(_l("The email %(email)s is already used by the account %(username)s.",
                               email=email, username=taken), "email")
    return email


def add_user(username: str, full_name: str, unit_code: str, role: str, password: str,
             email: str | None = None, title: str | None = None, actor_id: int | None = None,
             check_policy: bool = True) -> User:
    """Create a user; refuses an unknown unit or role, a taken username and a taken email."""
    username = (username or "").strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise RuleViolation(_l("A username uses letters, digits, dots, dashes and underscores."),
                            "username")
    if role not in set(Role):
        raise RuleViolation(_l("Unknown role: %(role)s.", role=role), "role")
    if not (unit_code or "").strip():
        raise RuleViolation(_l("Choose a unit from the list."), "unit")
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None or not unit.is_active:
        raise RuleViolation(_l("Unknown unit: %(code)s.", code=unit_code), "unit")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise RuleViolation(_l("The username %(name)s is taken.", name=username), "username")
    if not (full_name or "").strip():
        raise RuleViolation(_l("Enter the full name."), "full_name")
    email = _checked_email(email)
    if check_policy:
        check_password_policy(password)
    user = User(username=username, email=email, unit_id=unit.id,
                role=role, title=title, password_hash=hash_password(password),
                session_token=new_session_token())
    user.set_name(full_name)
    user.unit = unit
    db.session.add(user)
    db.session.flush()
    audit.record(actor_id, "user.create", "user", user.id,
                 {"username": [None, username], "role": [None, role], "unit": [None, unit.code]})
    return user


# ---- login throttling ----------------------------------------------------------
#
# Two counters over a sliding window (LOGIN_FAILURE_WINDOW_SECONDS): failed logins per
# account and per address. An account over its limit is locked: not even the right
# password opens it until the window has passed. An address over its limit is only slowed
# (LOGIN_ADDRESS_DELAY_SECONDS before the password is checked, a 429 for a wrong one): a
# whole office behind one NAT or a proxy whose TRUSTED_PROXIES is unset shares an address,
# and a stranger's mistakes there must never keep a colleague with the right password out.
#
# The audit log is append-only and must not grow with each throttled request: throttled
# attempts are aggregated per account (or "*" for an address that is merely over its
# limit), address and fixed window into one `login_failures` row ("thr:" key, `attempts`
# counting them). The first throttled attempt of a window writes one `login.throttled`
# audit row; `prune_login_failures` (the scheduler's tick) writes one
# `login.throttled.summary` row with the final count when the window's row is removed.
# Failure rows stop being added once their key is over its limit, and expired rows are
# deleted at each failure (for the keys at hand) and by the prune (all of them).

THROTTLE_PREFIX = "thr:"


class _DbCounter:
    """Failed logins in the app database: shared by every worker and server."""

    def count(self, key: str, window: int) -> int:
        since = utcnow() - timedelta(seconds=window)
        return db.session.scalar(select(func.count(LoginFailure.id))
                                 .where(LoginFailure.key == key, LoginFailure.at >= since)) or 0

    def add(self, key: str, window: int) -> None:
        db.session.add(LoginFailure(key=key))

    def clear(self, key: str) -> None:
        db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    def forget_expired(self, keys: tuple[str, ...], window: int) -> None:
        """The rows of these keys older than the window (one indexed DELETE)."""
        since = utcnow() - timedelta(seconds=window)
        db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys),
                                                      LoginFailure.at < since))


class _RedisCounter:
    """Failed logins in Redis (REDIS_URL), expiring with the window."""

    def __init__(self, url: str):
        self.r = redis.Redis.from_url(url)

    def count(self, key: str, window: int) -> int:
        return int(self.r.get("sauro:login:" + key) or 0)

    def add(self, key: str, window: int) -> None:
        k = "sauro:login:" + key
        pipe = self.r.pipeline()
        pipe.incr(k)
        pipe.expire(k, window, nx=True)
        pipe.execute()

    def clear(self, key: str) -> None:
        self.r.delete("sauro:login:" + key)

    def forget_expired(self, keys: tuple[str, ...], window: int) -> None:
        """Nothing to do: Redis expires the keys itself."""


_REDIS_COUNTERS: dict[str, _RedisCounter] = {}


def _counter(redis_url: str | None):
    """Redis when REDIS_URL is set (one client per URL and process), else the database."""
    if redis_url:
        if redis_url not in _REDIS_COUNTERS:
            _REDIS_COUNTERS[redis_url] = _RedisCounter(redis_url)
        return _REDIS_COUNTERS[redis_url]
    return _DbCounter()


# A real hash to verify against for unknown users, so that "no such user" and
# "wrong password" take the same time and give the same answer.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


class Throttled(Exception):
    """Too many failed logins. `reason` is "account" (the account is locked for the
    window, whatever the password) or "address" (a wrong password from an address over its
    limit; the right one would have been let in)."""

    def __init__(self, reason: str = "account"):
        super().__init__(reason)
        self.reason = reason


def _window_start(window: int) -> datetime:
    """The start of the fixed window the present instant falls in (UTC, naive)."""
    now = utcnow()
    epoch = int((now - datetime(1970, 1, 1)).total_seconds())
    return datetime(1970, 1, 1) + timedelta(seconds=epoch - epoch % max(window, 1))


def _throttled(username: str, address: str, reason: str, window: int) -> None:
    """Count one throttled attempt in its window's row; the window's first writes the
    audit row (the audit log grows by one row per account, address and window)."""
    who = username if reason == "account" else "*"
    key = f"{THROTTLE_PREFIX}{who}|{address}"[:300]
    start = _window_start(window)
    bumped = db.session.execute(
        update(LoginFailure).where(LoginFailure.key == key, LoginFailure.at == start)
        .values(attempts=LoginFailure.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if bumped:
        return
    db.session.add(LoginFailure(key=key, at=start, attempts=1))
    audit.record(None, "login.throttled", "user", None,
                 {"username": [None, username], "address": [None, address],
                  "reason": [None, reason], "window_from": [None, f"{start:%Y-%m-%d %H:%M:%S}"]})


class Disabled(Exception):
    """The right password for an account that is disabled (issue 17). Told only after the
    password was checked, so it reveals nothing to someone guessing: without the password,
    a disabled account answers as a wrong password does."""


def authenticate(username: str, password: str, address: str, limits: LoginLimits) -> User | None:
    """The user for these credentials, or None; raises Throttled when the account is
    locked, or when a wrong password comes from an address over its limit (`limits`: the
    settings' failures allowed per account and per address in the window)."""
    window = limits.window_seconds
    username = (username or "").strip().lower()[:64]
    address = (address or "?")[:200]
    acct_key, addr_key = "acct:" + username, "addr:" + address
    counter = _counter(limits.redis_url)
    if counter.count(acct_key, window) >= limits.per_account:
        _throttled(username, address, "account", window)
        raise Throttled("account")
    address_over = counter.count(addr_key, window) >= limits.per_address
    if address_over and limits.address_delay_seconds:
        time.sleep(limits.address_delay_seconds)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _dummy_hash(), password or "")
    if ok and user is not None and not user.is_active:
        # Still counted as a failure (throttling is unchanged), but the holder of the right
        # password is told why they cannot enter rather than "wrong password".
        counter.add(acct_key, window)
        audit.record(user.id, "login.disabled", "user", user.id, {"username": [None, username]})
        raise Disabled()
    if not ok or user is None or not user.is_active:
        counter.forget_expired((acct_key, addr_key), window)
        counter.add(acct_key, window)
        if address_over:
            # The address's count is already at its limit: no more rows for it, one
            # aggregated row for the window instead of an audit row per attempt.
            _throttled(username, address, "address", window)
            raise Throttled("address")
        counter.add(addr_key, window)
        audit.record(user.id if user else None, "login.failed", "user",
                     user.id if user else None, {"username": [None, username]})
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    counter.clear(acct_key)
    user.last_login_at = utcnow()
    audit.record(user.id, "login", "user", user.id)
    return user


def prune_login_failures(window: int) -> tuple[int, int]:
    """Delete every `login_failures` row whose window has passed (set-based), and write one
    `login.throttled.summary` audit row per aggregated window that saw more than one
    throttled attempt. Returns (rows deleted, summaries written). Run at each scheduler
    tick; the aggregated rows are deleted with RETURNING, so that two processes pruning at
    once cannot both summarise the same window."""
    since = utcnow() - timedelta(seconds=window)
    gone = db.session.execute(
        delete(LoginFailure)
        .where(LoginFailure.key.startswith(THROTTLE_PREFIX), LoginFailure.at < since)
        .returning(LoginFailure.key, LoginFailure.at, LoginFailure.attempts)
        .execution_options(synchronize_session=False)).all()
    summaries = 0
    for key, at, attempts in gone:
        if attempts <= 1:
            continue  # the window's first attempt already has its audit row
        who, _, address = key[len(THROTTLE_PREFIX):].partition("|")
        audit.record(None, "login.throttled.summary", "user", None,
                     {"username": [None, who], "address": [None, address],
                      "window_from": [None, f"{at:%Y-%m-%d %H:%M:%S}"],
                      "attempts": [None, attempts]})
        summaries += 1
    deleted = db.session.execute(delete(LoginFailure).where(LoginFailure.at < since)
                                 .execution_options(synchronize_session=False)).rowcount
    return (deleted or 0) + len(gone), summaries


def change_password(user: User, current: str, new: str) -> None:
    """Change one's password; every other session of the user ends."""
    if not verify_password(user.password_hash, current or ""):
        raise RuleViolation(_l("The current password is wrong."), "current_password")
    check_password_policy(new, "new_password")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    audit.record(user.id, "user.password", "user", user.id)


def end_sessions(user: User) -> None:
    """Logout everywhere: the old session cookies no longer name a user."""
    user.session_token = new_session_token()


def update_user(actor: User, user_id: int, full_name: str, email: str | None, unit_id: int,
                role: str, is_active: bool, title: str | None = None,
                new_password: str | None = None) -> User:
    """Admin edit; a role change, a move, a disable or a new password ends the user's sessions."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if role not in set(Role):
        raise RuleViolation(_l("Unknown role: %(role)s.", role=role), "role")
    if not unit_id:
        raise RuleViolation(_l("Choose a unit from the list."), "unit_id")
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.is_active:
        raise RuleViolation(_l("This unit does not exist or has been retired."), "unit_id")
    if not (full_name or "").strip():
        raise RuleViolation(_l("Enter the full name."), "full_name")
    email = _checked_email(email, user.id)
    # Nobody changes their own post or switches themselves off (an administrator whose
    # capability is an extra role keeps it: app.org.people.set_extra_roles refuses oneself).
    if user.id == actor.id and (not is_active or role != user.role):
        raise RuleViolation(_l("You cannot disable yourself or take away your own administrator role."),
                            "role")
    before = {"full_name": user.full_name, "email": user.email, "unit_id": user.unit_id,
              "role": user.role, "is_active": user.is_active, "title": user.title}
    user.set_name(full_name)
    user.email = email
    user.unit_id = unit.id
    user.unit = unit
    user.role = role
    user.is_active = is_active
    user.title = (title or "").strip() or None
    if new_password:
        check_password_policy(new_password, "new_password")
        user.password_hash = hash_password(new_password)
    after = {"full_name": user.full_name, "email": user.email, "unit_id": user.unit_id,
             "role": user.role, "is_active": user.is_active, "title": user.title}
    changes = audit.diff(before, after)
    if new_password:
        changes["password"] = ["***", "***"]
    if any(k in changes for k in ("role", "is_active", "unit_id", "password")):
        end_sessions(user)
    db.session.flush()
    if changes:
        audit.record(actor.id, "user.update", "user", user.id, changes)
    return user
