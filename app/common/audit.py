"""The audit trail: one append-only row per successful change."""

import json
from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models import AuditLog


def _plain(value):
    if isinstance(value, Decimal):
        # One text per number: 1.00 and 1 are the same weight, not a change ("1.00 -> 1").
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, date):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def diff(before: dict, after: dict) -> dict:
    """Only the fields whose value changed, as {field: [before, after]}."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))]
            for k in after if _plain(before.get(k)) != _plain(after.get(k))}


def record(actor_id: int | None, action: str, object_type: str, object_id: int | None,
           changes: dict | None = None, comment: str = "", task_id: int | None = None) -> AuditLog:
    """Append one audit row."""
    row = AuditLog(actor_id=actor_id, action=action, object_type=object_type,
                   object_id=object_id, task_id=task_id, comment=comment or "",
                   changes=json.dumps(changes or {}, ensure_ascii=False, default=str))
    db.session.add(row)
    return row
