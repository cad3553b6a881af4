"""The audit browser (issue 17 §2): every change recorded in the audit log, for the assessor
and the administrator, by kind of object, person, unit and local date range, with each change
as "before → after", one page at a time, and exported to XLSX.

Sign-ins and refused requests are in the log too (app.directory.users, app.errors) but are
not changes: the browser leaves them out. "Unit" is the unit of the person who made the
change, with its sub-units. Dates are the province's (Asia/Ho_Chi_Minh): a day runs from
local midnight to local midnight, stored instants being UTC.

The list is served by ix_audit_log_object_type_at / ix_audit_log_actor_at / ix_audit_log_at
(newest first, LIMIT), never a scan of the whole log for one page.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, select

from app.common.errors import PermissionDenied
from app.directory.units import tree_order
from app.extensions import db
from app.models import (
    ApiToken,
    AuditLog,
    Criterion,
    Evidence,
    Extension,
    Field,
    IndicatorSet,
    Plan,
    ProcessStep,
    QualityEvidence,
    QualityScore,
    QualitySheet,
    RecurringRule,
    Role,
    Task,
    Unit,
    User,
)
from app.reports.local import LOCAL_TZ, local_time

# Not changes: sign-ins, throttling and refused requests.
NOT_CHANGES = ("login", "login.failed", "login.disabled", "login.throttled",
               "login.throttled.summary", "logout", "access.denied")
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class AuditFilter:
    object_type: str | None = None
    actor_id: int | None = None
    unit_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime              # local time
    actor: str                # full name, or "" for the system
    unit: str                 # the actor's unit
    action: str
    object_type: str
    object_id: int | None
    task_id: int | None
    changes: list[Change]
    comment: str
    object_name: str = ""     # the object's name now; "" when it no longer exists

    @property
    def object_text(self) -> str:
        """The object by name, or "#id" when it is gone (or has no name)."""
        if self.object_name:
            return self.object_name
        return f"#{self.object_id}" if self.object_id else ""


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def may_browse(actor: User) -> bool:
    return actor.has_role(Role.ADMIN, Role.ASSESSOR)


def _require(actor: User) -> None:
    if not may_browse(actor):
        raise PermissionDenied()


def _utc(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight starting `day`, as the naive UTC instant the log stores."""
    return datetime.combine(day, time(0), tz).astimezone(UTC).replace(tzinfo=None)


def _conditions(f: AuditFilter, tz: ZoneInfo) -> list:
    where = [not_(AuditLog.action.in_(NOT_CHANGES))]
    if f.object_type:
        where.append(AuditLog.object_type == f.object_type)
    if f.actor_id:
        where.append(AuditLog.actor_id == f.actor_id)
    if f.unit_id:
        unit = db.session.get(Unit, f.unit_id)
        path = unit.path if unit else "-"
        where.append(AuditLog.actor_id.in_(
            select(User.id).join(Unit, Unit.id == User.unit_id).where(Unit.path.like(path + "%"))))
    if f.date_from:
        where.append(AuditLog.at >= _utc(f.date_from, tz))
    if f.date_to:
        where.append(AuditLog.at < _utc(f.date_to + timedelta(days=1), tz))
    return where


def _select(where: list):
    return (select(AuditLog.id, AuditLog.at, AuditLog.action, AuditLog.object_type,
                   AuditLog.object_id, AuditLog.task_id, AuditLog.changes, AuditLog.comment,
                   User.full_name, Unit.name.label("unit_name"))
            .outerjoin(User, User.id == AuditLog.actor_id)
            .outerjoin(Unit, Unit.id == User.unit_id)
            .where(*where).order_by(AuditLog.at.desc(), AuditLog.id.desc()))


# ---- readable values ---------------------------------------------------------------------

def _number(text: str) -> str:
    """"1.00" -> "1", "102.0000" -> "102", "2.50" -> "2.5"; anything else as it is."""
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if not d.is_finite() or not any(c.isdigit() for c in text) or text.strip() != text:
        return text
    out = format(d.normalize(), "f")
    return out


def plain(value, yes: str = "Có", no: str = "Không", empty: str = "—") -> str:
    """One recorded value as a person reads it: no JSON, no quotes, dates dd/mm/yyyy."""
    if value is None or value == "" or value == []:
        return empty
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, (int, float)):
        return _number(str(value))
    if isinstance(value, (list, tuple)):
        return "; ".join(plain(v, yes, no, empty) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v, yes, no, empty)}" for k, v in value.items())
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    if text[:1].isdigit() or text[:1] == "-":
        return _number(text)
    return text


def readable(changes: str, **words) -> list[Change]:
    """The stored JSON {field: [before, after]} as a list of changes; a value that is not a
    pair (older rows, a comment) is shown as its after value."""
    try:
        data = json.loads(changes or "{}")
    except ValueError:
        return [Change("", "", changes)]
    if not isinstance(data, dict):
        return [Change("", "", plain(data, **words))]
    out = []
    for k, v in data.items():
        if isinstance(v, list) and len(v) == 2:
            before, after = plain(v[0], **words), plain(v[1], **words)
            if before == after:
                continue  # "1.00 → 1" is no change
            out.append(Change(k, before, after))
        else:
            out.append(Change(k, "", plain(v, **words)))
    return out


# Values that are ids of people or units: shown by name (one query per kind and batch).
USER_KEYS = {"assignee_id", "leader_id", "user_id", "requested_by_id", "decided_by_id"}
UNIT_KEYS = {"unit_id", "lead_unit_id", "parent_id", "owner_unit_id", "successor_id"}


def _names(rows) -> tuple[dict, dict]:
    users, units = set(), set()
    for r in rows:
        try:
            data = json.loads(r.changes or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        for k, v in data.items():
            bucket = users if k in USER_KEYS else units if k in UNIT_KEYS else None
            if bucket is not None and isinstance(v, list):
                bucket.update(x for x in v if isinstance(x, int) and 0 < x < 2**31)
    user_names = dict(db.session.execute(select(User.id, User.full_name)
                                         .where(User.id.in_(users))).all()) if users else {}
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name)
                                         .where(Unit.id.in_(units))).all()) if units else {}
    return user_names, unit_names


def _named(changes: str, user_names: dict, unit_names: dict) -> str:
    if not (user_names or unit_names):
        return changes
    try:
        data = json.loads(changes or "{}")
    except ValueError:
        return changes
    if not isinstance(data, dict):
        return changes
    for k, v in data.items():
        names = user_names if k in USER_KEYS else unit_names if k in UNIT_KEYS else None
        if names and isinstance(v, list):
            data[k] = [names.get(x, x) if isinstance(x, int) else x for x in v]
    return json.dumps(data, ensure_ascii=False)


# The name of each kind of object (id first, then the parts joined by " – "): the unit's name,
# the task's title, the person's full name, the scoring sheet's set and unit...
OBJECT_NAMES = {
    "task": lambda: select(Task.id, Task.title),
    "plan": lambda: select(Plan.id, Plan.title),
    "user": lambda: select(User.id, User.full_name),
    "unit": lambda: select(Unit.id, Unit.name),
    "recurring_rule": lambda: select(RecurringRule.id, RecurringRule.title),
    "process_step": lambda: select(ProcessStep.id, ProcessStep.title),
    "extension": lambda: select(Extension.id, Task.title).join(Task, Task.id == Extension.task_id),
    "evidence": lambda: select(Evidence.id, Evidence.original_name),
    "quality_evidence": lambda: select(QualityEvidence.id, QualityEvidence.original_name),
    "indicator_set": lambda: select(IndicatorSet.id, IndicatorSet.name),
    "criterion": lambda: select(Criterion.id, Criterion.title),
    "quality_sheet": lambda: (select(QualitySheet.id, IndicatorSet.name, Unit.name)
                              .join(IndicatorSet, IndicatorSet.id == QualitySheet.set_id)
                              .join(Unit, Unit.id == QualitySheet.unit_id)),
    "quality_score": lambda: (select(QualityScore.id, Criterion.title, Unit.name)
                              .join(Criterion, Criterion.id == QualityScore.criterion_id)
                              .join(QualitySheet, QualitySheet.id == QualityScore.sheet_id)
                              .join(Unit, Unit.id == QualitySheet.unit_id)),
    "api_token": lambda: select(ApiToken.id, ApiToken.name),
    "field": lambda: select(Field.id, Field.name),
}


def _object_names(rows) -> dict[tuple[str, int], str]:
    """{(object type, id): name} of the rows' objects: one query per kind of object among the
    rows (never one per row); an object that no longer exists is simply absent."""
    wanted: dict[str, set[int]] = {}
    for r in rows:
        if r.object_type in OBJECT_NAMES and r.object_id and 0 < r.object_id < 2**31:
            wanted.setdefault(r.object_type, set()).add(r.object_id)
    out = {}
    for kind, ids in wanted.items():
        q = OBJECT_NAMES[kind]()
        id_col = q.selected_columns[0]
        for oid, *parts in db.session.execute(q.where(id_col.in_(sorted(ids)))).all():
            out[(kind, oid)] = " – ".join(str(p) for p in parts if p)
    return out


def _entries(rows, tz: ZoneInfo, words: dict) -> list[Entry]:
    user_names, unit_names = _names(rows)
    objects = _object_names(rows)
    return [Entry(r.id, local_time(r.at, tz), r.full_name or "", r.unit_name or "", r.action,
                  r.object_type, r.object_id, r.task_id,
                  readable(_named(r.changes, user_names, unit_names), **words), r.comment or "",
                  objects.get((r.object_type, r.object_id), ""))
            for r in rows]


# ---- the use cases -----------------------------------------------------------------------

def browse(actor: User, f: AuditFilter, page: int, per_page: int = 50,
           tz: ZoneInfo = LOCAL_TZ, words: dict | None = None) -> AuditPage:
    """One page of changes, newest first (two queries: the count and the page)."""
    _require(actor)
    where = _conditions(f, tz)
    total = db.session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(_select(where).limit(per_page).offset((page - 1) * per_page)).all()
    return AuditPage(_entries(rows, tz, words or {}), total, page, per_page)


def export_rows(actor: User, f: AuditFilter, tz: ZoneInfo = LOCAL_TZ,
                words: dict | None = None, limit: int = MAX_EXPORT_ROWS) -> Iterator[Entry]:
    """Every change the filter names, newest first (at most `limit`), streamed from the
    database in batches."""
    _require(actor)
    result = db.session.execute(_select(_conditions(f, tz)).limit(limit)
                                .execution_options(yield_per=1000))
    for batch in result.partitions():
        yield from _entries(batch, tz, words or {})


def object_types() -> list[str]:
    """The kinds of object the log holds (by the (object_type, at) index)."""
    return sorted(db.session.scalars(select(AuditLog.object_type).distinct()
                                     .where(AuditLog.object_type != "request")))


def people_choices() -> list:
    """(id, full name, username) of everyone who may have made a change."""
    return db.session.execute(select(User.id, User.full_name, User.username)
                              .order_by(User.name_sort, User.id).limit(5000)).all()


def unit_choices() -> list:
    """(id, name indented by depth) of every unit, retired ones too, in tree order."""
    rows = db.session.execute(select(Unit.id, Unit.name, Unit.path, Unit.kind, Unit.name_sort)).all()
    return [(u.id, "— " * (u.path.count("/") - 2) + u.name) for u in tree_order(rows)]


def known_actor(actor_id: int | None) -> int | None:
    if not actor_id or not 0 < actor_id < 2**31:
        return None
    return actor_id if db.session.get(User, actor_id) else None


def known_unit(unit_id: int | None) -> int | None:
    if not unit_id or not 0 < unit_id < 2**31:
        return None
    return unit_id if db.session.get(Unit, unit_id) else None


__all__ = ["AuditFilter", "AuditPage", "Change", "Entry", "browse", "export_rows", "known_actor",
           "known_unit", "may_browse", "object_types", "people_choices", "plain", "readable"]
