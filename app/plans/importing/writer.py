"""Writing a checked plan file into the plan, all-or-nothing, with a few set-based
statements; and the plan the command line imports into."""

import json
import time
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import selectinload

from app.common import access, audit
from app.common.errors import Conflict, PermissionDenied, RuleViolation
from app.domain import task_rules as rules
from app.domain.status import Lifecycle
from app.domain.text import fold, normalize_space, sort_key
from app.extensions import db
from app.models import (
    AuditLog,
    Field,
    Notification,
    Plan,
    PlanKind,
    PlanStatus,
    ProcessStep,
    ProgressUpdate,
    Role,
    Task,
    Unit,
    User,
    task_coordinators,
)
from app.models.base import utcnow
from app.models.task import title_sort_key
from app.plans import recurring
from app.plans.importing.checker import (
    ADD,
    CHANGE,
    Preview,
    RowPlan,
    preview,
    recurring_input,
)
from app.plans.importing.columns import LABEL, ImportRefused
from app.plans.importing.reader import Sheet
from app.tasks import breakdown
from app.tasks.commands import order_key, plan_facts, snapshot

# ------------------------------------------------------------------ applying

def check_can_import(actor: User | None, plan: Plan) -> None:
    """Heads who manage the plan import into it (the command line acts as the system)."""
    if actor is not None and not access.can_manage_plan(actor, plan):
        raise PermissionDenied()
    if plan.status == PlanStatus.CLOSED:
        raise RuleViolation(_("This plan is closed."))


def _task_values(r: RowPlan, field_id: int | None) -> dict:
    v = r.values
    return {
        "title": v["title"], "title_folded": fold(v["title"]), "title_sort": title_sort_key(v["title"]),
        "description": v["description"],
        "assignee_id": v["assignee_id"], "lead_unit_id": v["lead_unit_id"],
        "leader_id": v["leader_id"], "responsibility": v["responsibility"],
        "start_on": v["start_on"], "due_on": v["due_on"],
        "output_product": v["output_product"], "indicator_name": v["indicator_name"],
        "indicator_unit": v["indicator_unit"], "indicator_target": v["indicator_target"],
        "field_id": field_id, "weight": v["weight"], "is_clear": r.is_clear,
        "is_key": v["is_key"], "indicator_direction": v["indicator_direction"],
    }


def _snapshot_row(values: dict, coords: list[int], steps: list) -> dict:
    keys = ("title", "description", "assignee_id", "lead_unit_id", "leader_id", "responsibility",
            "start_on", "due_on", "output_product", "indicator_name", "indicator_unit",
            "indicator_target", "field_id", "weight", "is_key", "indicator_direction")
    out = {k: values.get(k) for k in keys}
    out["coordinators"] = sorted(coords)
    out["steps"] = [[t, d] for t, d in steps]
    return out


def apply(actor: User | None, plan: Plan, source: "bytes | Sheet", today: date,
          filename: str = "", *, settings: rules.RuleSettings) -> Preview:
    """Check the file again against the plan as it is now, then write it all in the current
    transaction (flushed, not committed); ImportRefused, with nothing written, on any error."""
    check_can_import(actor, plan)
    if plan.id is not None:
        # One import at a time per plan: the second waits here, then sees the first's rows.
        db.session.execute(select(Plan.id).where(Plan.id == plan.id).with_for_update())
    p = preview(plan, source, today, actor, settings=settings)
    if not p.ok:
        raise ImportRefused(p)
    started = time.perf_counter()
    actor_id = actor.id if actor else None
    now = utcnow()
    issued = plan.status != PlanStatus.DRAFT
    if plan.id is None:
        db.session.add(plan)
        db.session.flush()
    checker_dir_fields = _create_fields(plan, p)
    # Recurring rows are rules (app/plans/recurring.py), written after the tasks.
    rows = [r for r in p.rows if r.action in (ADD, CHANGE) and r.recurrence is None]
    existing = {}
    if any(r.action == CHANGE for r in rows):
        ids = [r.task_id for r in rows if r.action == CHANGE]
        existing = {t.id: t for t in db.session.scalars(
            select(Task).where(Task.id.in_(ids))
            .options(selectinload(Task.steps), selectinload(Task.coordinators)))}
    stt_ids: dict[str, int] = {}
    added_ids: set[int] = set()  # the plan's tasks that are added work (bổ sung)
    for stt, tid, was_added in db.session.execute(
            select(Task.stt, Task.id, Task.added_after_issue).where(Task.plan_id == plan.id)
            .order_by(Task.id.desc())):
        stt_ids[stt] = tid  # as dict() of the rows: the lowest id of a number
        if was_added:
            added_ids.add(tid)
    audits: list[dict] = []
    notes: list[dict] = []
    progress_rows: list[dict] = []
    tasks_t = Task.__table__
    head_confirms = recurring.added_below_head(plan, actor_id)
    facts = plan_facts(plan)

    # New tasks, one level of the tree at a time so that parents have ids.
    adds = [r for r in rows if r.action == ADD]
    for depth in sorted({r.depth for r in adds}):
        level = [r for r in adds if r.depth == depth]
        values = []
        for r in level:
            v = r.values
            fid = checker_dir_fields.get(r.field_name.casefold()) if r.field_name else None
            status = Lifecycle.ASSIGNED
            completed = v["completed_on"]
            progress = v["progress"] or 0
            if completed:
                status, progress = Lifecycle.COMPLETED, 100
            elif progress > 0:
                status = Lifecycle.IN_PROGRESS
            parent_id = stt_ids.get(r.parent_stt) if r.parent_stt else None
            row = _task_values(r, fid) | {
                "plan_id": plan.id, "owner_unit_id": plan.unit_id, "parent_id": parent_id,
                "stt": r.stt, "order_key": order_key(r.stt), "original_due_on": v["due_on"],
                "progress": progress, "status": status, "submitted_on": completed,
                "completed_on": completed, "indicator_actual": v["indicator_actual"],
                # DESIGN.md 4: a completion imported into a draft plan says who brought it, when.
                "completion_imported_by_id": actor_id if completed else None,
                "completion_imported_at": now if completed else None,
                "cancel_reason": "", "extension_count": 0, "created_by_id": actor_id,
                "head_confirms": head_confirms,
                # added to an issued plan, or under added work (a breakdown of it drafted
                # in this plan): the form's rule
                "added_after_issue": rules.added_after_issue(facts, parent_id in added_ids),
                "created_at": now, "updated_at": now, "version": 1,
            }
            values.append(row)
        db.session.execute(insert(tasks_t), values)
        # The new rows' ids by number (a plan's numbers are unique): one query per level.
        new_ids = dict(db.session.execute(select(Task.stt, Task.id).where(
            Task.plan_id == plan.id, Task.stt.in_([r.stt for r in level]))).all())
        stt_ids.update(new_ids)
        for r, row in zip(level, values, strict=True):
            r.task_id = new_ids[r.stt]
            if row["added_after_issue"]:
                added_ids.add(r.task_id)
            snap = _snapshot_row(row, r.coordinator_ids, r.steps)
            # What audit.diff({}, snap) gives, without its per-value conversions.
            created = {k: [None, v] for k, v in snap.items() if v is not None}
            audits.append(_audit(actor_id, "task.create", r.task_id, created, now, filename))
            if completed:
                audits.append(_imported_audit(actor_id, r.task_id, completed, now, filename))
            # A draft plan is quiet: its people are told when it is issued (issue 11, item 7).
            if issued and row["assignee_id"] and row["assignee_id"] != actor_id:
                notes.append(_note(row["assignee_id"], r.task_id, 1, now))
            if row["progress"] or row["indicator_actual"] is not None:
                progress_rows.append(_progress(r.task_id, actor_id, row["progress"],
                                               row["indicator_actual"], now))

    # Changed tasks: every column rewritten, guarded by the version each was read at.
    changes = [r for r in rows if r.action == CHANGE]
    if changes:
        params = []
        for r in changes:
            t = existing[r.task_id]
            v = r.values
            fid = checker_dir_fields.get(r.field_name.casefold()) if r.field_name else None
            row = _task_values(r, fid)
            before = snapshot(t)
            original = t.original_due_on
            if not issued and (t.original_due_on is None or t.due_on == t.original_due_on):
                # A draft's dates are freely edited; once issued, the original is never rewritten.
                original = v["due_on"]
            status, progress = t.status, t.progress
            submitted, completed = t.submitted_on, t.completed_on
            actual = t.indicator_actual if v["indicator_actual"] is None else v["indicator_actual"]
            if v["progress"] is not None:
                progress = v["progress"]
            imported_by, imported_at = t.completion_imported_by_id, t.completion_imported_at
            newly_imported = False
            if v["completed_on"] is not None and t.status != Lifecycle.COMPLETED:
                # Only a draft plan's row gets here (the checker refuses it on an issued plan).
                status, progress = Lifecycle.COMPLETED, 100
                submitted = completed = v["completed_on"]
                imported_by, imported_at, newly_imported = actor_id, now, True
            elif progress > 0 and status in (Lifecycle.ASSIGNED, Lifecycle.DRAFT, Lifecycle.RETURNED):
                status = Lifecycle.IN_PROGRESS
            row |= {"b_id": t.id, "b_version": t.version, "original_due_on": original,
                    "status": status, "progress": progress, "submitted_on": submitted,
                    "completed_on": completed, "indicator_actual": actual,
                    "completion_imported_by_id": imported_by, "completion_imported_at": imported_at,
                    "updated_at": now, "version": t.version + 1}
            params.append(row)
            after = _snapshot_row(row, r.coordinator_ids, r.steps)
            diff = audit.diff(before, after)
            diff |= audit.diff({"status": t.status, "progress": t.progress,
                                "completed_on": t.completed_on, "indicator_actual": t.indicator_actual},
                               {"status": status, "progress": progress, "completed_on": completed,
                                "indicator_actual": actual})
            diff["version"] = [t.version, t.version + 1]
            audits.append(_audit(actor_id, "task.update", t.id, diff, now, filename))
            if newly_imported:
                audits.append(_imported_audit(actor_id, t.id, completed, now, filename))
            if (issued and row["assignee_id"] and row["assignee_id"] != t.assignee_id
                    and row["assignee_id"] != actor_id):
                notes.append(_note(row["assignee_id"], t.id, t.version + 1, now))
            if progress != t.progress or actual != t.indicator_actual:
                progress_rows.append(_progress(t.id, actor_id, progress, v["indicator_actual"], now))
        # Keys named after columns become the SET clause of this executemany UPDATE.
        stmt = update(tasks_t).where(tasks_t.c.id == bindparam("b_id"),
                                     tasks_t.c.version == bindparam("b_version"))
        result = db.session.execute(stmt, params)
        if db.engine.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
            raise Conflict(_("Someone else changed tasks of this plan during the import. "
                             "Upload the file again."))

    # Steps and coordinators: rewritten only where they differ.
    step_rows, coord_rows, clear_steps, clear_coords = [], [], [], []
    coord_added: list = []
    for r in rows:
        t = existing.get(r.task_id) if r.action == CHANGE else None
        if t is None or LABEL["steps"] in r.changed:
            done = {}
            if t is not None:
                clear_steps.append(t.id)
                done = {s.title: s for s in t.steps if s.is_done}
            for pos, (title, due) in enumerate(r.steps, start=1):
                old = done.pop(title, None)
                step_rows.append({"task_id": r.task_id, "position": pos, "title": title,
                                  "due_on": due, "is_done": bool(old),
                                  "done_at": old.done_at if old else None,
                                  "done_by_id": old.done_by_id if old else None})
        if t is None or LABEL["coordinators"] in r.changed:
            if t is not None:
                clear_coords.append(t.id)
            coord_rows += [{"task_id": r.task_id, "unit_id": u} for u in r.coordinator_ids]
            # The coordinating units added on an issued plan: their heads are told (issue 17
            # §2), as the form does; a draft is quiet until it is issued.
            added = set(r.coordinator_ids) - ({u.id for u in t.coordinators} if t is not None else set())
            if issued and added:
                coord_added.append((r.task_id, t.version + 1 if t is not None else 1, added))
    if clear_steps:
        db.session.execute(delete(ProcessStep).where(ProcessStep.task_id.in_(clear_steps)))
    if clear_coords:
        db.session.execute(delete(task_coordinators).where(task_coordinators.c.task_id.in_(clear_coords)))
    _insert(ProcessStep.__table__, step_rows)
    _insert(task_coordinators, coord_rows)
    if actor_id is not None:
        _insert(ProgressUpdate.__table__, progress_rows)
    notes += _coordinating_notes(coord_added, actor_id, now)
    _insert(Notification.__table__, notes)
    audits.append({"at": now, "actor_id": actor_id, "action": "plan.import", "object_type": "plan",
                   "object_id": plan.id, "task_id": None, "comment": filename or "",
                   "changes": json.dumps({"added": p.added, "changed": p.changed,
                                          "unchanged": p.unchanged, "rows": len(p.rows),
                                          "new_fields": p.new_fields}, ensure_ascii=False)})
    _insert(AuditLog.__table__, audits)
    recurring.import_rules(actor_id, plan, [recurring_input(r) for r in p.rows
                                            if r.recurrence is not None and r.action == ADD],
                           today, filename)
    breakdown.rollup_plan(plan.id, actor_id)
    # Core statements went around the identity map: later reads must see the new rows.
    db.session.expire_all()
    p.seconds += time.perf_counter() - started
    return p


def _insert(table, rows: list[dict]) -> None:
    """One executemany INSERT (psycopg pipelines it; multi-row VALUES measured slower)."""
    if rows:
        db.session.execute(insert(table), rows)


def _create_fields(plan: Plan, p: Preview) -> dict[str, int]:
    """The unit's new fields (Lĩnh vực) inserted, and every field id by name."""
    fields = {}
    rows = db.session.execute(select(Field.id, Field.name).where(
        (Field.unit_id == plan.unit_id) | Field.unit_id.is_(None))
        .order_by(Field.unit_id.is_(None), Field.id)).all()
    for f in rows:
        fields.setdefault(normalize_space(f.name).casefold(), f.id)
    for name in p.new_fields:
        if name.casefold() in fields:
            continue
        f = Field(unit_id=plan.unit_id, name=name, name_sort=sort_key(name))
        db.session.add(f)
        db.session.flush()
        fields[name.casefold()] = f.id
    return fields


def _audit(actor_id, action: str, task_id: int, changes: dict, now, filename: str) -> dict:
    return {"at": now, "actor_id": actor_id, "action": action, "object_type": "task",
            "object_id": task_id, "task_id": task_id, "comment": filename or "",
            "changes": json.dumps(changes, ensure_ascii=False, default=str)}


def _imported_audit(actor_id, task_id: int, completed: date, now, filename: str) -> dict:
    """The history row of a completion brought by the file (DESIGN.md 4: shown as imported)."""
    changes = {"status": [None, Lifecycle.COMPLETED.value], "completed_on": [None, completed.isoformat()]}
    return {"at": now, "actor_id": actor_id, "action": "task.import_completion", "object_type": "task",
            "object_id": task_id, "task_id": task_id, "comment": filename or "",
            "changes": json.dumps(changes, ensure_ascii=False)}


def _coordinating_notes(added: list, actor_id, now) -> list[dict]:
    """The "coordinating" notice to the active heads of the coordinating units an import
    added to tasks of an issued plan ((task id, version, unit ids) each), in one query."""
    units = {u for _t, _v, ids in added for u in ids}
    if not units:
        return []
    heads: dict[int, list[int]] = {}
    for uid, unit_id in db.session.execute(select(User.id, User.unit_id).where(
            User.unit_id.in_(units), User.role == Role.HEAD, User.is_active)):
        heads.setdefault(unit_id, []).append(uid)
    out = []
    for task_id, version, ids in added:
        for user_id in sorted({h for u in ids for h in heads.get(u, [])} - {actor_id}):
            out.append(_note(user_id, task_id, version, now) | {
                "kind": "coordinating",
                "dedupe_key": f"coordinating:{task_id}:v{version}:{user_id}"[:200]})
    return out


def _note(user_id: int, task_id: int, version: int, now) -> dict:
    # The key of tasks._tell ("assigned:<task>:v<version>") and of overdue.notify (":<user>").
    return {"user_id": user_id, "kind": "assigned", "task_id": task_id,
            "dedupe_key": f"assigned:{task_id}:v{version}:{user_id}"[:200], "about_on": None,
            "days": None, "message": "", "created_at": now, "read_at": None, "emailed_at": None,
            "email_attempts": 0}


def _progress(task_id: int, actor_id, percent: int, actual, now) -> dict:
    return {"task_id": task_id, "author_id": actor_id, "created_at": now, "percent": percent,
            "note": "Nhập từ tệp Excel", "actual_value": actual}



# ------------------------------------------------------------------ the command line

DEFAULT_TITLES = {
    PlanKind.CCHC: "Kế hoạch cải cách hành chính năm {year}",
    PlanKind.WORK: "Kế hoạch công tác năm {year}",
    PlanKind.DIGITAL: "Kế hoạch chuyển đổi số năm {year}",
    PlanKind.SOCIOECONOMIC: "Chỉ tiêu phát triển kinh tế - xã hội năm {year}",
    PlanKind.OTHER: "Kế hoạch năm {year}",
}


def plan_for(unit_code: str, year: int, kind: str, title: str | None) -> tuple[Plan, bool]:
    """The unit's plan of that year and kind, or a new draft (not yet added to the session)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "").strip()))
    if unit is None or not unit.is_active:
        raise RuleViolation(_("Unknown unit: %(code)s.", code=unit_code))
    if kind not in set(PlanKind):
        raise RuleViolation(_("Choose a kind of plan."))
    if not 2000 <= year <= 2100:
        raise RuleViolation(_("Enter a year between 2000 and 2100."))
    plan = db.session.scalar(select(Plan).where(Plan.unit_id == unit.id, Plan.year == year,
                                                Plan.kind == kind))
    if plan is not None:
        return plan, False
    plan = Plan(unit_id=unit.id, year=year, kind=kind, status=PlanStatus.DRAFT, version=1,
                title=normalize_space(title or "") or DEFAULT_TITLES[PlanKind(kind)].format(year=year))
    plan.unit = unit
    return plan, True


def record_plan_created(plan: Plan) -> None:
    audit.record(None, "plan.create", "plan", plan.id,
                 {"title": [None, plan.title], "year": [None, plan.year], "kind": [None, plan.kind]})


