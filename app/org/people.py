"""People as the organisation has them: a person's page, a deputy's fields of responsibility
(who edits them, which ones may be chosen), the accountable leader they suggest for a task,
and the capabilities (assessor, administrator) a post may carry besides itself.

A deputy's fields decide which tasks she is suggested as accountable for, and her
quality-of-operation result is computed over the criteria of those fields: so they are set
by the administrator or by the head of her own unit, never by herself (access.can_edit_fields).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select

from app.common import access, audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.directory import users
from app.extensions import db
from app.models import Field, Role, Unit, User
from app.models.user import EXTRA_ROLES, user_fields


@dataclass
class Person:
    user: User
    fields: list           # (id, name) of the deputy's fields, by name
    choices: list          # (id, name) the editor may choose from; [] when not editable
    can_edit_fields: bool
    can_edit_roles: bool


def get_person(actor: User, user_id: int) -> User:
    """The person, when `actor` may open their page (their unit is in the actor's scope);
    otherwise NotFound, as for any object outside the scope."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not access.can_see_person(actor, user):
        raise NotFound()
    return user


def field_choices(deputy: User) -> list:
    """The fields a deputy may be put in charge of: the province-wide ones and her unit's."""
    return db.session.execute(
        select(Field.id, Field.name)
        .where(Field.unit_id.is_(None) | (Field.unit_id == deputy.unit_id))
        .order_by(Field.name_sort)).all()


def fields_of(user_id: int) -> list:
    return db.session.execute(
        select(Field.id, Field.name).join(user_fields, user_fields.c.field_id == Field.id)
        .where(user_fields.c.user_id == user_id).order_by(Field.name_sort)).all()


def person(actor: User, user_id: int) -> Person:
    user = get_person(actor, user_id)
    editable = access.can_edit_fields(actor, user)
    return Person(user, fields_of(user.id) if user.role == Role.DEPUTY else [],
                  field_choices(user) if editable else [], editable,
                  access.can_edit_roles(actor, user))


def set_fields(actor: User, user_id: int, field_ids: list[int]) -> list[str]:
    """Put the deputy in charge of exactly `field_ids` (audited); returns the names.
    Refused (403) unless the actor is the administrator or the head of the deputy's unit,
    and never for oneself; a field outside the deputy's choices is refused beside the list."""
    user = get_person(actor, user_id)
    if not access.can_edit_fields(actor, user):
        raise PermissionDenied()
    choices = field_choices(user)  # in the fields' sort order
    wanted = set(field_ids)
    if not wanted <= {f.id for f in choices}:
        raise RuleViolation(_l("Choose the fields from the list."), "field_ids")
    before = [f.name for f in fields_of(user.id)]
    after = [f.name for f in choices if f.id in wanted]
    db.session.execute(delete(user_fields).where(user_fields.c.user_id == user.id))
    if wanted:
        db.session.execute(insert(user_fields), [{"user_id": user.id, "field_id": f} for f in wanted])
    if before != after:
        audit.record(actor.id, "user.fields", "user", user.id,
                     {"fields": ["; ".join(before), "; ".join(after)]})
    db.session.flush()
    return after


def suggested_leaders(plan_unit_id: int, leader_ids: list[int]) -> dict[int, list[int]]:
    """For the task form: field id -> the active deputies among `leader_ids` in charge of it
    (one query). The form only suggests; what the user chose stands."""
    if not leader_ids:
        return {}
    rows = db.session.execute(
        select(user_fields.c.field_id, User.id)
        .join(User, User.id == user_fields.c.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.id.in_(leader_ids), User.is_active, User.role == Role.DEPUTY)
        .order_by(User.unit_id != plan_unit_id, User.name_sort, User.id)).all()
    out: dict[int, list[int]] = {}
    for field_id, uid in rows:
        out.setdefault(field_id, []).append(uid)
    return out


def set_extra_roles(actor: User, user_id: int, roles: list[str]) -> list[str]:
    """Give a person exactly the capabilities `roles` (assessor, administrator) besides
    their post; audited; ends their sessions when it changes. Only an administrator, never
    for themselves (nobody widens or narrows their own powers)."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied()
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound()
    if not access.can_edit_roles(actor, user):
        raise PermissionDenied()
    valid = {r.value for r in EXTRA_ROLES}
    if any(r not in valid for r in roles):
        raise RuleViolation(_l("Choose the roles from the list."), "extra_roles")
    if user.role in roles:
        raise RuleViolation(_l("This is already the person's post."), "extra_roles")
    new = ",".join(r.value for r in EXTRA_ROLES if r.value in roles)
    before = user.extra_roles or ""
    if new != before:
        user.extra_roles = new
        users.end_sessions(user)
        audit.record(actor.id, "user.roles", "user", user.id, {"extra_roles": [before, new]})
    db.session.flush()
    return user.extra_role_list
