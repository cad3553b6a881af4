"""What the API returns: each resource's schema (registered for the OpenAPI document) and
the function that turns a loaded row into it. Rows come from the same use cases the pages
call, with what they show already loaded; nothing here queries."""

from datetime import date, datetime
from decimal import Decimal

from app.api.schema import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    NUMBER,
    STRING,
    array,
    component,
    nullable,
    obj,
)
from app.domain.six_clears import Clear
from app.domain.status import Lifecycle, Timeliness
from app.models import Role


def _date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _instant(d: datetime | None) -> str | None:
    # Stored as naive UTC: said so.
    return d.isoformat(timespec="seconds") + "Z" if d else None


def _number(d: Decimal | None) -> float | None:
    return float(d) if d is not None else None


REF = component("Ref", obj({"id": ID, "name": STRING}, ["id", "name"]))
PERSON_REF = component("PersonRef", obj({"id": ID, "full_name": STRING}, ["id", "full_name"]))


def unit_ref(u) -> dict | None:
    return {"id": u.id, "name": u.name} if u is not None else None


def person_ref(p) -> dict | None:
    return {"id": p.id, "full_name": p.full_name} if p is not None else None


def page_of(item: dict) -> dict:
    """A page of a list: the items, the total count and where this page is."""
    return obj({"items": array(item), "total": INTEGER, "page": INTEGER, "limit": INTEGER,
                "pages": INTEGER}, ["items", "total", "page", "limit", "pages"])


# ---- the token's user --------------------------------------------------------------

ME = component("Me", obj({
    "id": ID, "username": STRING, "full_name": STRING, "role": {"enum": [r.value for r in Role]},
    "unit": REF, "locale": {"enum": ["vi", "en"]},
    "token": obj({"id": ID, "name": STRING, "read_only": BOOLEAN, "expires_on": nullable(DATE)},
                 ["id", "name", "read_only", "expires_on"]),
}, ["id", "username", "full_name", "role", "unit", "locale", "token"]))


def me(user, token) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "role": user.role, "unit": unit_ref(user.unit), "locale": user.locale or "vi",
            "token": {"id": token.id, "name": token.name, "read_only": token.is_read_only,
                      "expires_on": _date(token.expires_on)}}


# ---- units and people ----------------------------------------------------------------

UNIT = component("Unit", obj({
    "id": ID, "code": STRING, "name": STRING, "kind": STRING, "parent_id": nullable(ID),
    "depth": INTEGER, "is_active": BOOLEAN,
}, ["id", "code", "name", "kind", "parent_id", "depth", "is_active"]))


def unit(u) -> dict:
    return {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id,
            "depth": u.path.count("/") - 2, "is_active": u.is_active}


# Directory fields only: no email, no login times, no language.
USER = component("User", obj({
    "id": ID, "username": STRING, "full_name": STRING, "title": nullable(STRING),
    "role": {"enum": [r.value for r in Role]}, "unit": REF, "is_active": BOOLEAN,
}, ["id", "username", "full_name", "title", "role", "unit", "is_active"]))


def user(u) -> dict:
    return {"id": u.id, "username": u.username, "full_name": u.full_name, "title": u.title,
            "role": u.role, "unit": unit_ref(u.unit), "is_active": u.is_active}


# ---- plans -------------------------------------------------------------------------

PLAN = component("Plan", obj({
    "id": ID, "unit": REF, "year": INTEGER, "kind": STRING, "title": STRING,
    "doc_number": nullable(STRING), "doc_date": nullable(DATE),
    "status": {"enum": ["draft", "issued", "closed"]}, "issued_at": nullable(DATETIME),
}, ["id", "unit", "year", "kind", "title", "doc_number", "doc_date", "status", "issued_at"]))


def plan(p) -> dict:
    return {"id": p.id, "unit": unit_ref(p.unit), "year": p.year, "kind": p.kind,
            "title": p.title, "doc_number": p.doc_number or None, "doc_date": _date(p.doc_date),
            "status": p.status, "issued_at": _instant(p.issued_at)}


# ---- tasks ---------------------------------------------------------------------------

TIMELINESS = {"enum": [t.value for t in Timeliness]}
STATUS = {"enum": [s.value for s in Lifecycle]}
_TASK_FIELDS = {
    "id": ID, "plan_id": ID, "parent_id": nullable(ID), "stt": STRING, "title": STRING,
    "status": STATUS, "timeliness": TIMELINESS, "progress": INTEGER, "is_clear": BOOLEAN,
    "start_on": nullable(DATE), "due_on": nullable(DATE), "original_due_on": nullable(DATE),
    "submitted_on": nullable(DATE), "completed_on": nullable(DATE),
    "lead_unit": nullable(REF), "assignee": nullable(PERSON_REF), "leader": nullable(PERSON_REF),
    "weight": NUMBER, "extension_count": INTEGER, "version": INTEGER,
    # an occurrence of a recurring task: its period's code (M03, Q2, H1, N9, Y; docs/recurring.md)
    "period": nullable(STRING), "is_key": BOOLEAN,
}
TASK_SUMMARY = component("TaskSummary", obj(_TASK_FIELDS, list(_TASK_FIELDS)))


def task_summary(t, today: date, due_soon_days: int, draft: bool | None = None) -> dict:
    """A task as lists show it; assignee, leader and lead unit loaded, and the plan unless
    `draft` says whether its plan is a draft."""
    if draft is None:
        draft = t.plan.status == "draft"
    return {
        "id": t.id, "plan_id": t.plan_id, "parent_id": t.parent_id, "stt": t.stt,
        "title": t.title, "status": t.status,
        "timeliness": t.timeliness(today, due_soon_days, draft=draft).value,
        "progress": t.progress, "is_clear": t.is_clear, "start_on": _date(t.start_on),
        "due_on": _date(t.due_on), "original_due_on": _date(t.original_due_on),
        "submitted_on": _date(t.submitted_on), "completed_on": _date(t.completed_on),
        "lead_unit": unit_ref(t.lead_unit), "assignee": person_ref(t.assignee),
        "leader": person_ref(t.leader), "weight": _number(t.weight),
        "extension_count": t.extension_count, "version": t.version,
        "period": t.period_code or None, "is_key": bool(t.is_key),
    }


CLEAR = obj({"ok": BOOLEAN, "label": STRING, "reasons": array(STRING)}, ["ok", "label", "reasons"])
STEP = component("Step", obj({"id": ID, "position": INTEGER, "title": STRING,
                              "due_on": nullable(DATE), "is_done": BOOLEAN},
                             ["id", "position", "title", "due_on", "is_done"]))
EXTENSION = component("Extension", obj({
    "id": ID, "status": {"enum": ["pending", "approved", "refused"]},
    "requested_by": PERSON_REF, "requested_on": DATE, "previous_due_on": DATE,
    "proposed_due_on": DATE, "reason": STRING, "decided_by": nullable(PERSON_REF),
    "decided_at": nullable(DATETIME), "decision_comment": STRING,
}, ["id", "status", "requested_by", "requested_on", "previous_due_on", "proposed_due_on",
    "reason", "decided_by", "decided_at", "decision_comment"]))
EVIDENCE = component("Evidence", obj({
    "id": ID, "name": STRING, "size_bytes": INTEGER, "uploaded_at": DATETIME,
    "uploaded_by": STRING, "progress_update_id": nullable(ID),
}, ["id", "name", "size_bytes", "uploaded_at", "uploaded_by", "progress_update_id"]))
PROGRESS = component("ProgressUpdate", obj({
    "id": ID, "author": PERSON_REF, "created_at": DATETIME, "percent": INTEGER, "note": STRING,
    "actual_value": nullable(NUMBER), "evidence_ids": array(ID),
}, ["id", "author", "created_at", "percent", "note", "actual_value", "evidence_ids"]))
_DETAIL_FIELDS = {
    **_TASK_FIELDS,
    "description": STRING, "responsibility": STRING, "output_product": STRING,
    # direction: whether more or less is better; achievement: actual / target (target /
    # actual when lower is better) in %, capped at 100 (None without a target).
    "indicator": obj({"name": STRING, "unit": STRING, "target": nullable(NUMBER),
                      "actual": nullable(NUMBER), "direction": {"enum": ["higher", "lower"]},
                      "achievement": nullable(NUMBER)},
                     ["name", "unit", "target", "actual", "direction", "achievement"]),
    "field": nullable(REF), "coordinators": array(REF), "steps": array(STEP),
    "six_clears": obj({c.value: CLEAR for c in Clear}, [c.value for c in Clear]),
    "extensions": array(EXTENSION), "progress_updates": array(PROGRESS),
    "evidence": array(EVIDENCE), "cancel_reason": STRING,
    "permissions": obj({k: BOOLEAN for k in ("report", "review", "manage", "decide_extension")},
                       ["report", "review", "manage", "decide_extension"]),
}
TASK = component("Task", obj(_DETAIL_FIELDS, list(_DETAIL_FIELDS)))


def extension(e) -> dict:
    return {"id": e.id, "status": e.status, "requested_by": person_ref(e.requested_by),
            "requested_on": _date(e.requested_on), "previous_due_on": _date(e.previous_due_on),
            "proposed_due_on": _date(e.proposed_due_on), "reason": e.reason,
            "decided_by": person_ref(e.decided_by), "decided_at": _instant(e.decided_at),
            "decision_comment": e.decision_comment or ""}


def progress_update(u) -> dict:
    return {"id": u.id, "author": person_ref(u.author), "created_at": _instant(u.created_at),
            "percent": u.percent, "note": u.note or "", "actual_value": _number(u.actual_value),
            "evidence_ids": [e.id for e in u.evidence]}


def evidence_file(e) -> dict:
    return {"id": e.id, "name": e.name, "size_bytes": e.size_bytes,
            "uploaded_at": _instant(e.uploaded_at), "uploaded_by": e.uploaded_by,
            "progress_update_id": e.progress_update_id}


def task_detail(t, today: date, due_soon_days: int, locale: str, *, extensions, updates,
                files, permissions: dict) -> dict:
    """A task as its page shows it: the six clears with their reasons, steps, coordinators,
    timeliness, extensions, progress reports and evidence files."""
    clears = t.six_clears()
    return {
        **task_summary(t, today, due_soon_days),
        "description": t.description or "", "responsibility": t.responsibility or "",
        "output_product": t.output_product or "",
        "indicator": {"name": t.indicator_name or "", "unit": t.indicator_unit or "",
                      "target": _number(t.indicator_target),
                      "actual": _number(t.indicator_actual),
                      "direction": t.indicator_direction or "higher",
                      "achievement": _number(t.achievement)},
        "field": {"id": t.field.id, "name": t.field.name} if t.field else None,
        "coordinators": [unit_ref(u) for u in t.coordinators],
        "steps": [{"id": s.id, "position": s.position, "title": s.title,
                   "due_on": _date(s.due_on), "is_done": s.is_done} for s in t.steps],
        "six_clears": {r.clear.value: {"ok": r.ok, "label": r.label(locale),
                                       "reasons": [x.text(locale) for x in r.reasons]}
                       for r in clears.results},
        "extensions": [extension(e) for e in extensions],
        "progress_updates": [progress_update(u) for u in updates],
        "evidence": [evidence_file(e) for e in files],
        "cancel_reason": t.cancel_reason or "",
        "permissions": permissions,
    }


# ---- the overdue list ---------------------------------------------------------------

OVERDUE_ROW = component("OverdueRow", obj({
    "n": INTEGER, "task": TASK_SUMMARY, "timeliness": {"enum": ["overdue", "due_soon"]},
    "days_overdue": INTEGER, "days_left": INTEGER,
}, ["n", "task", "timeliness", "days_overdue", "days_left"]))
OVERDUE_PAGE = component("OverduePage", obj({
    "items": array(OVERDUE_ROW), "total": INTEGER, "overdue": INTEGER, "due_soon": INTEGER,
    "page": INTEGER, "limit": INTEGER, "pages": INTEGER, "today": DATE,
}, ["items", "total", "overdue", "due_soon", "page", "limit", "pages", "today"]))


def overdue_row(r, today: date, due_soon_days: int) -> dict:
    # The overdue list holds tasks of issued plans only (deadlines.sweep.in_issued_plan).
    return {"n": r.n, "task": task_summary(r.task, today, due_soon_days, draft=False),
            "timeliness": r.timeliness.value if hasattr(r.timeliness, "value") else r.timeliness,
            "days_overdue": r.days_overdue, "days_left": r.days_left}


# ---- notifications ------------------------------------------------------------------

NOTIFICATION = component("Notification", obj({
    "id": ID, "kind": STRING, "task_id": nullable(ID), "text": STRING,
    "about_on": nullable(DATE), "created_at": DATETIME, "read_at": nullable(DATETIME),
}, ["id", "kind", "task_id", "text", "about_on", "created_at", "read_at"]))


def notification(n, text: str) -> dict:
    return {"id": n.id, "kind": n.kind, "task_id": n.task_id, "text": text,
            "about_on": _date(n.about_on), "created_at": _instant(n.created_at),
            "read_at": _instant(n.read_at)}


# ---- assessment (live) ------------------------------------------------------------------

SCORE_ROW = component("ScoreRow", obj({
    "id": ID, "code": STRING, "name": STRING, "score": nullable(NUMBER),
    "grade": {"enum": ["excellent", "good", "pass", "fail", "not_rated"]},
    "tasks": INTEGER, "fallen_due": INTEGER, "on_time": INTEGER, "late": INTEGER,
    "overdue": INTEGER, "within": INTEGER, "excluded": INTEGER, "extensions": INTEGER,
    "amendments": INTEGER, "additions": nullable(INTEGER), "cancellations": INTEGER,
}, ["id", "code", "name", "score", "grade", "tasks", "fallen_due", "on_time", "late",
    "overdue", "within", "excluded", "extensions", "amendments", "additions",
    "cancellations"]))
ASSESSMENT = component("Assessment", obj({
    "period": STRING, "label": STRING, "as_of": DATE, "units": array(SCORE_ROW),
    "leaders": array(SCORE_ROW),
}, ["period", "label", "as_of", "units", "leaders"]))


def score_row(r) -> dict:
    t = r.tally
    return {"id": r.key, "code": r.code, "name": r.name, "score": _number(t.score),
            "grade": str(getattr(r.grade, "value", r.grade)), "tasks": t.tasks,
            "fallen_due": t.fallen_due, "on_time": t.on_time, "late": t.late,
            "overdue": t.overdue, "within": t.within, "excluded": t.excluded,
            "extensions": t.extensions, "amendments": t.amendments,
            "additions": t.additions, "cancellations": t.cancellations}


# ---- assessment: the tasks behind a figure, frozen runs ---------------------------------

OUTCOME = {"enum": ["on_time", "late", "overdue", "within", "excluded"]}
TASK_LINE = component("AssessedTask", obj({
    "task_id": ID, "stt": STRING, "title": STRING, "unit_code": STRING,
    "assignee_name": STRING, "leader_name": STRING, "due_on": nullable(DATE),
    "completed_on": nullable(DATE), "status": {"enum": [s.value for s in Lifecycle]},
    "outcome": OUTCOME, "weight": NUMBER, "credit": nullable(NUMBER), "extensions": INTEGER,
    "amendments": INTEGER, "is_imported": BOOLEAN,
    # Added to its plan after issue (bổ sung); null in a run frozen before it was recorded.
    "added_after_issue": nullable(BOOLEAN),
    # The weight the figure counted: a sub-task's share of its parent's (docs/integrity.md).
    "counted_weight": NUMBER,
}, ["task_id", "stt", "title", "unit_code", "assignee_name", "leader_name", "due_on",
    "completed_on", "status", "outcome", "weight", "credit", "extensions", "amendments",
    "is_imported", "added_after_issue", "counted_weight"]))
_TALLY_PROPS = {
    "score": nullable(NUMBER), "grade": {"enum": ["excellent", "good", "pass", "fail", "not_rated"]},
    "tasks": INTEGER, "fallen_due": INTEGER, "on_time": INTEGER, "late": INTEGER,
    "overdue": INTEGER, "within": INTEGER, "excluded": INTEGER, "extensions": INTEGER,
    "amendments": INTEGER, "additions": nullable(INTEGER), "cancellations": INTEGER}
TALLY = component("Tally", obj(_TALLY_PROPS, list(_TALLY_PROPS)))
DRILL_DOWN = component("AssessmentDrillDown", obj({
    "period": STRING, "label": STRING, "as_of": DATE, "run_id": nullable(ID),
    "subject": obj({"kind": {"enum": ["unit", "leader"]}, "id": ID, "code": STRING,
                    "name": STRING, "with_subunits": BOOLEAN},
                   ["kind", "id", "code", "name", "with_subunits"]),
    "outcome": nullable({"enum": ["on_time", "late", "overdue", "within", "excluded", "due",
                                  "completed", "extended", "added"]}),
    "tally": TALLY, "items": array(TASK_LINE), "total": INTEGER, "page": INTEGER,
    "limit": INTEGER, "pages": INTEGER,
}, ["period", "label", "as_of", "run_id", "subject", "outcome", "tally", "items", "total",
    "page", "limit", "pages"]))
RUN_ITEM = component("AssessmentRunItem", obj({
    "id": ID, "period": STRING, "label": STRING, "as_of": DATE, "version": INTEGER,
    "scope": nullable(obj({"code": STRING, "name": STRING}, ["code", "name"])),
    "created_by": STRING, "created_at": DATETIME,
}, ["id", "period", "label", "as_of", "version", "scope", "created_by", "created_at"]))
RUN = component("AssessmentRun", obj({
    "run": RUN_ITEM, "units": array(SCORE_ROW), "leaders": array(SCORE_ROW),
    "versions": array(obj({"id": ID, "version": INTEGER, "created_at": DATETIME},
                          ["id", "version", "created_at"])),
}, ["run", "units", "leaders", "versions"]))


def tally(t, g) -> dict:
    return {"score": _number(t.score), "grade": str(getattr(g, "value", g)), "tasks": t.tasks,
            "fallen_due": t.fallen_due, "on_time": t.on_time, "late": t.late,
            "overdue": t.overdue, "within": t.within, "excluded": t.excluded,
            "extensions": t.extensions, "amendments": t.amendments,
            "additions": t.additions, "cancellations": t.cancellations}


def task_line(line) -> dict:
    return {"task_id": line.task_id, "stt": line.stt, "title": line.title,
            "unit_code": line.unit_code, "assignee_name": line.assignee_name,
            "leader_name": line.leader_name, "due_on": _date(line.due_on),
            "completed_on": _date(line.completed_on), "status": str(line.status),
            "outcome": str(line.outcome), "weight": float(line.weight),
            "credit": _number(line.credit), "extensions": line.extensions,
            "amendments": line.amendments, "is_imported": line.is_imported,
            "added_after_issue": line.added,
            "counted_weight": float(line.weight if line.counted_weight is None
                                    else line.counted_weight)}


def run_item(run, label: str, scope_code: str, scope_name: str, creator: str) -> dict:
    return {"id": run.id, "period": run.period, "label": label, "as_of": _date(run.as_of),
            "version": run.version,
            "scope": {"code": scope_code, "name": scope_name} if scope_code else None,
            "created_by": creator, "created_at": _instant(run.created_at)}
