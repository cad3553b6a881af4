"""The request boundary: how a view calls a service, commits once, and shows a refusal.

A view parses its form, then hands the service call to `run`:

    done = boundary.run(lambda: tasks.create_task(current_user, plan.id, _input(form)).id, form)
    if done:
        flash(...)
        return redirect(url_for("tasks.view", task_id=done.value))
    status = 422

`run` calls the service, commits once when it returns, and gives its value (read it inside
the call: after the commit the rows are expired, and reading one would open a new
transaction). When the service refuses with a `RuleViolation`, the work is rolled back and
each message is attached to the form field it concerns (or flashed, for an action without
a form), so the user sees it beside what they typed. Every other error is rolled back and
passes on: app/errors.py answers NotFound with 404, PermissionDenied with 403, a conflict or
stale data with 409, in one place. Services flush and never commit; CLI commands and
scheduler jobs are boundaries too and commit the same way (app/cli/, app/scheduler.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash

from app.common.errors import PermissionDenied, RuleViolation
from app.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """What `run` gives back: true when the service's work was committed, with its value;
    false with the refusal (`error`) when the service refused."""

    ok: bool
    value: T | None = None
    error: RuleViolation | None = None

    def __bool__(self) -> bool:
        return self.ok


def violations(error: RuleViolation) -> list:
    """The violations a refusal carries: its `violations` (a rule set reports every broken
    rule at once) or itself. Each has a `message` and a `field` (None: about no field)."""
    many = getattr(error, "violations", None)
    if many:
        return list(many)
    return [error]


def _message(violation) -> str:
    return str(getattr(violation, "message", violation))


def attach(form, error: RuleViolation, fields: Mapping[str | None, str] | None = None) -> None:
    """Put each message of `error` beside the form field it concerns, or at the top of the
    form when it concerns no field of this form. `fields` renames a service's field to the
    form's (a service's "parent" is the form's "parent_id"; the key None names the field
    for messages about no field). A message already shown there is not repeated."""
    for v in violations(error):
        name = getattr(v, "field", None)
        name = (fields or {}).get(name, name)
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            if _message(v) not in field.errors:
                field.errors.append(_message(v))
        elif _message(v) not in form.form_errors:
            form.form_errors.append(_message(v))


def flash_refusal(error: RuleViolation) -> None:
    """Each message of `error` as a red notice on the next page (actions without a form)."""
    for v in violations(error):
        flash(_message(v), "danger")


def attempt(action: Callable[[], T]) -> Done[T]:
    """Call `action`, commit once, and return its value in `Done`; on a RuleViolation roll
    back and return it as `Done.error`, for a view that shows a refusal its own way (at the
    top of the page when the actor is not offered the form). Anything else raised is rolled
    back and passes on to app/errors.py."""
    try:
        value = action()
    except RuleViolation as e:
        db.session.rollback()
        return Done(False, error=e)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return Done(True, value)


def run(action: Callable[[], T], form: Any = None, *,
        fields: Mapping[str | None, str] | None = None,
        about_fields_only: bool = False) -> Done[T]:
    """Call `action` (the service call), commit once, and return its value in `Done`.

    On a RuleViolation: roll back, attach the messages to `form` (see `attach`), or flash
    them when there is no form, and return a false `Done`. With `about_fields_only`, a
    refusal about no field at all (a closed plan, a task already submitted) is not about
    what was typed: it passes on to app/errors.py's page instead. Anything else raised is
    rolled back and passes on to app/errors.py."""
    done = attempt(action)
    if done:
        return done
    e = done.error
    if about_fields_only and not any(getattr(v, "field", None) for v in violations(e)):
        raise e
    if form is None:
        flash_refusal(e)
    else:
        attach(form, e, fields)
    return done


def require(allowed: bool) -> None:
    """Refuse (403, by app/errors.py) unless the actor may do this."""
    if not allowed:
        raise PermissionDenied()


__all__ = ["Done", "attach", "attempt", "flash_refusal", "require", "run", "violations"]
