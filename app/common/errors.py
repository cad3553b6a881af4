"""Domain errors raised by services; `app/errors.py` maps them to HTTP."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DomainError):
    """The object does not exist or is outside the actor's scope (both answer 404)."""


class PermissionDenied(DomainError):
    """The actor may see the object but not do this to it."""


class RuleViolation(DomainError):
    """Input breaks a rule; `field` names the form field it concerns, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def violations(self) -> list["RuleViolation"]:
        """Each broken rule with its field (one here; several in RuleViolations)."""
        return [self]


class RuleViolations(RuleViolation):
    """Several broken rules at once (the task rule set returns every one): each keeps its
    field, so the form shows each message beside what it concerns."""

    def __init__(self, violations: list[RuleViolation]):
        first = violations[0]
        super().__init__(first.message, first.field)
        self._violations = list(violations)

    @property
    def violations(self) -> list[RuleViolation]:
        return list(self._violations)

    def __str__(self) -> str:
        return "; ".join(str(v.message) for v in self._violations)


class Conflict(DomainError):
    """Someone else saved the object since the actor loaded it."""

    def __init__(self, message: str, changes: list | None = None):
        super().__init__(message)
        self.message = message
        self.changes = changes or []
