"""The unit tree: add, rename, move, retire, the official list of communes and wards, and
the order in which every list shows units."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.orm import aliased

from app.common import audit
from app.common.errors import RuleViolation
from app.domain import task_rules
from app.domain.status import Lifecycle
from app.domain.text import normalize_space
from app.extensions import db
from app.models import (
    Field,
    Plan,
    PlanStatus,
    Task,
    Unit,
    User,
    task_coordinator_contacts,
    task_coordinators,
)

UNIT_KINDS = ("province", "department", "office", "commune", "ward", "special_zone", "section", "other")
# Siblings are listed the way official documents list them: the provincial bodies (departments,
# offices and their sections) before the local committees (wards, communes, special zones),
# then by Vietnamese name.
KIND_ORDER = {k: i for i, k in enumerate(
    ("province", "department", "office", "section", "ward", "commune", "special_zone", "other"))}

T = TypeVar("T")


# How many levels the tree may have (the setting MAX_UNIT_DEPTH; the top level is 1). The
# bound keeps `units.path` (ids and slashes) well inside its column: 10 levels of 10-digit ids
# take 111 characters of 512. Views and CLI commands pass the setting; this is its default.
DEFAULT_MAX_DEPTH = 10


def depth_of(path: str) -> int:
    """The level a path names: "/7/" is 1, "/7/12/" is 2."""
    return path.count("/") - 1


def _too_deep(parent: Unit, levels: int, max_depth: int) -> RuleViolation:
    return RuleViolation(_l("The unit tree may have at most %(n)s levels: %(parent)s is at level "
                            "%(level)s, so %(below)s more level(s) cannot be placed under it.",
                            n=max_depth, parent=parent.name, level=depth_of(parent.path),
                            below=levels), "parent")


def by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == (code or "").strip()))


_DIVISION_WORDS = ("Phường ", "Xã ", "Đặc khu ", "Thị trấn ")


def commune_authority_name(division: str) -> str:
    """The people's committee of a commune-level division in official style (Decree
    30/2020: the kind of division in lower case after "UBND"): "Phường Bình Kiến" ->
    "UBND phường Bình Kiến"."""
    name = normalize_space(division)
    for word in _DIVISION_WORDS:
        if name.startswith(word):
            name = word.lower() + name[len(word):]
            break
    return "UBND " + name


def add_unit(code: str, name: str, parent_code: str | None = None, kind: str = "office",
             actor_id: int | None = None, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Unit:
    """Create a unit under `parent_code` (or at the top); the code must be new."""
    code = (code or "").strip()
    if not code or len(code) > 32 or any(c.isspace() for c in code):
        raise RuleViolation(_l("A unit code is 1 to 32 characters without spaces."), "code")
    if not normalize_space(name):
        raise RuleViolation(_l("Enter the unit's name."), "name")
    if len(normalize_space(name)) > 255:
        raise RuleViolation(_l("The name may have at most %(n)s characters.", n=255), "name")
    if kind not in UNIT_KINDS:
        raise RuleViolation(_l("Unknown kind of unit."), "kind")
    if by_code(code):
        raise RuleViolation(_l("The unit code %(code)s is taken.", code=code), "code")
    parent = None
    if parent_code:
        parent = by_code(parent_code)
        if parent is None or not parent.is_active:
            raise RuleViolation(_l("Unknown unit: %(code)s.", code=parent_code), "parent")
        if depth_of(parent.path) + 1 > max_depth:
            raise _too_deep(parent, 1, max_depth)
    unit = Unit(code=code, kind=kind, parent_id=parent.id if parent else None, path="/")
    unit.set_name(name)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    audit.record(actor_id, "unit.create", "unit", unit.id,
                 {"code": [None, code], "name": [None, unit.name],
                  "parent": [None, parent.code if parent else None]})
    return unit


def move_unit(unit: Unit, new_parent: Unit | None, actor_id: int | None = None, *,
              max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Re-hang a unit and its whole subtree (one UPDATE, whatever the depth)."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise RuleViolation(_l("A unit cannot be moved under itself."), "parent")
    old_path = unit.path
    if new_parent is not None:
        # the subtree's height: its deepest path, in levels below the unit's own, plus one
        slashes = func.length(Unit.path) - func.length(func.replace(Unit.path, "/", ""))
        deepest = db.session.scalar(select(func.max(slashes))
                                    .where(Unit.path.like(old_path + "%"))) or old_path.count("/")
        height = deepest - old_path.count("/") + 1
        if depth_of(new_parent.path) + height > max_depth:
            raise _too_deep(new_parent, height, max_depth)
    new_path = f"{new_parent.path if new_parent else '/'}{unit.id}/"
    old_parent = unit.parent_id
    unit.parent_id = new_parent.id if new_parent else None
    db.session.flush()
    db.session.execute(
        update(Unit).where(Unit.path.like(old_path + "%"))
        .values(path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1))
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    audit.record(actor_id, "unit.move", "unit", unit.id,
                 {"parent_id": [old_parent, new_parent.id if new_parent else None]})


def set_kind(unit: Unit, kind: str, actor_id: int | None = None) -> None:
    """Change a unit's kind (it decides where the unit stands among its siblings)."""
    if kind not in UNIT_KINDS:
        raise RuleViolation(_l("Unknown kind of unit."), "kind")
    if unit.kind == kind:
        return
    audit.record(actor_id, "unit.kind", "unit", unit.id, {"kind": [unit.kind, kind]})
    unit.kind = kind


def set_active(unit: Unit, active: bool, actor_id: int | None = None) -> None:
    """Retire (or restore) a unit; its history stays attributable to it."""
    if unit.is_active == active:
        return
    unit.is_active = active
    audit.record(actor_id, "unit.retire" if not active else "unit.restore", "unit", unit.id,
                 {"is_active": [not active, active]})


def import_official(province_code: int, parent_code: str | None = None,
                    actor_id: int | None = None, *,
                    max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[int, int]:
    """Create a province's communes and wards from the official list (after the
    2025 reform), with their official codes. Idempotent: returns (added, kept)."""
    # Imported here: the official list (every ward of the 34 provinces) is loaded only by
    # this command, not by every web worker.
    from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

    try:
        province = Province.from_code(ProvinceCode(int(province_code)))
    except ValueError:
        raise RuleViolation(_l("Unknown province code: %(code)s.", code=province_code)) from None
    parent = None
    if parent_code:
        parent = by_code(parent_code)
        if parent is None:
            raise RuleViolation(_l("Unknown unit: %(code)s.", code=parent_code), "parent")
    kinds = {VietNamDivisionType.XA: "commune", VietNamDivisionType.PHUONG: "ward",
             VietNamDivisionType.DAC_KHU: "special_zone"}
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    existing = set(db.session.scalars(select(Unit.code).where(
        Unit.code.in_([str(int(w.code)) for w in wards]))))
    added = 0
    for w in wards:
        code = str(int(w.code))
        if code in existing:
            continue
        name = commune_authority_name(w.name)
        add_unit(code, name, parent.code if parent else None, kinds.get(w.division_type, "commune"),
                 actor_id=actor_id, max_depth=max_depth)
        added += 1
    return added, len(wards) - added


# ---- display order ---------------------------------------------------------------

def sibling_key(kind: str | None, name_sort: str | None, unit_id: int) -> tuple:
    """Where a unit stands among its siblings: by kind (KIND_ORDER), then name, then id."""
    return (KIND_ORDER.get(kind or "", len(KIND_ORDER)), name_sort or "", unit_id)


def _path_ids(path: str) -> list[int]:
    return [int(x) for x in path.strip("/").split("/") if x]


def tree_order(rows: Iterable[T], path: Callable[[T], str] = lambda r: r.path) -> list[T]:
    """Rows naming units (Unit objects or rows with `path`, ideally with `id`, `kind` and
    `name_sort` too), in tree order: each unit right before its sub-units, siblings by
    sibling_key. Ordering by `path` alone would compare ids as text (1, 10, 100, 11, 2).

    The keys come from the rows themselves; the units their paths name that are missing from
    the rows (an ancestor outside a search, or a frozen run's rows, which keep no kind) are read
    in one query, except the ancestors common to every row, which cannot change the order."""
    rows = list(rows)
    paths = [_path_ids(path(r)) for r in rows]
    keys: dict[int, tuple] = {}
    for r, ids in zip(rows, paths, strict=True):
        kind, name_sort = getattr(r, "kind", None), getattr(r, "name_sort", None)
        if ids and kind is not None and name_sort is not None:
            keys[ids[-1]] = sibling_key(kind, name_sort, ids[-1])
    common = 0
    if paths:
        shortest = min(len(p) for p in paths)
        while common < shortest and all(p[common] == paths[0][common] for p in paths):
            common += 1
    missing = {i for p in paths for i in p[common:] if i not in keys}
    if missing:
        q = select(Unit.id, Unit.kind, Unit.name_sort)
        # A few hundred ids at most in practice; past that, reading every unit is cheaper
        # than a parameter list the database may refuse.
        if len(missing) <= 500:
            q = q.where(Unit.id.in_(missing))
        for u in db.session.execute(q):
            keys[u.id] = sibling_key(u.kind, u.name_sort, u.id)
    order = sorted(range(len(rows)),
                   key=lambda i: [keys.get(x, (0, "", x)) for x in paths[i]])
    return [rows[i] for i in order]


@dataclass(frozen=True)
class Merged:
    sub_units: int
    people: int
    plans: int
    tasks: int
    fields: int


def _merge_coordination(source_id: int, target_id: int, done: tuple) -> dict[int, list]:
    """The open tasks' coordinating-unit links when `source` merges into `target` (after the
    lead units moved): source -> target, except where target already coordinates the task or
    leads it (a unit never coordinates its own task); and target no longer coordinates a task
    it now leads. The contact persons named for source follow (dropped where target leads).
    Returns {task id: [coordinators before, after]} of the tasks whose links changed."""
    tc, contacts = task_coordinators, task_coordinator_contacts
    touched = list(db.session.scalars(
        select(tc.c.task_id).join(Task, Task.id == tc.c.task_id)
        .where(tc.c.unit_id.in_([source_id, target_id]), Task.status.not_in(done)).distinct()))
    if not touched:
        return {}
    leads = dict(db.session.execute(select(Task.id, Task.lead_unit_id)
                                    .where(Task.id.in_(touched))).all())
    before: dict[int, set[int]] = {}
    for tid, uid in db.session.execute(select(tc.c.task_id, tc.c.unit_id)
                                       .where(tc.c.task_id.in_(touched))):
        before.setdefault(tid, set()).add(uid)
    out: dict[int, list] = {}
    drop_source, move_source, drop_target = [], [], []
    for tid, units in before.items():
        after = set(units)
        if source_id in units:
            after.discard(source_id)
            if leads.get(tid) == target_id or target_id in units:
                drop_source.append(tid)
            else:
                move_source.append(tid)
                after.add(target_id)
        if leads.get(tid) == target_id and target_id in after:
            after.discard(target_id)
            if target_id in units:
                drop_target.append(tid)
        if after != units:
            out[tid] = [sorted(units), sorted(after)]

    def run(stmt):
        db.session.execute(stmt.execution_options(synchronize_session=False))

    if drop_source:
        run(delete(tc).where(tc.c.unit_id == source_id, tc.c.task_id.in_(drop_source)))
    if move_source:
        run(update(tc).where(tc.c.unit_id == source_id, tc.c.task_id.in_(move_source))
            .values(unit_id=target_id))
    if drop_target:
        run(delete(tc).where(tc.c.unit_id == target_id, tc.c.task_id.in_(drop_target)))
    # Contact persons: with their unit, unless the merged unit now leads the task.
    led_by_target = [tid for tid in touched if leads.get(tid) == target_id]
    if led_by_target:
        run(delete(contacts).where(contacts.c.task_id.in_(led_by_target),
                                   contacts.c.unit_id.in_([source_id, target_id])))
    others = [tid for tid in drop_source + move_source if leads.get(tid) != target_id]
    if others:
        run(update(contacts).where(contacts.c.unit_id == source_id, contacts.c.task_id.in_(others))
            .values(unit_id=target_id))
    return out


def merge_unit(source: Unit, target: Unit, actor_id: int | None = None, *,
               max_depth: int = DEFAULT_MAX_DEPTH) -> Merged:
    """Merge `source` into `target` (2025 reform): what is still running moves, what is
    done stays attributed to `source` as it was then.

    Moves: the sub-units (re-hung under `target`), the people, the plans not yet closed
    (with their tasks' owner unit), every open task led by `source` (not completed nor
    cancelled; in any plan), the open tasks' coordinating-unit links (never duplicating
    `target`, never making it coordinate a task it leads), and the unit's own fields. Stays: closed plans, completed and
    cancelled tasks (so the scores of past periods, counted by lead unit, are unchanged),
    frozen assessment runs and quality sheets (they are snapshots). `source` is retired
    with `target` as its successor. Refused, naming them, when `target` already has a plan
    of the same year and kind as an open plan of `source` (close or rename it first).
    Set-based: one UPDATE per kind of row."""
    if source.id == target.id:
        raise RuleViolation(_l("A unit cannot be merged into itself."), "target_id")
    if not source.is_active:
        raise RuleViolation(_l("This unit has already been retired."), "target_id")
    if not target.is_active:
        raise RuleViolation(_l("This unit does not exist or has been retired."), "target_id")
    if target.path.startswith(source.path):
        raise RuleViolation(_l("A unit cannot be merged into one of its own sub-units."),
                            "target_id")
    open_plans = select(Plan.id).where(Plan.unit_id == source.id, Plan.status != PlanStatus.CLOSED)
    other = aliased(Plan)  # the target's plan of the same year and kind
    clash = db.session.execute(
        select(Plan.title, Plan.year).join(other, (other.unit_id == target.id)
                                           & (other.year == Plan.year) & (other.kind == Plan.kind))
        .where(Plan.unit_id == source.id, Plan.status != PlanStatus.CLOSED).limit(5)).all()
    if clash:
        raise RuleViolation(_l("%(unit)s already has a plan of the same year and kind as: "
                               "%(plans)s. Close or change it before merging.", unit=target.name,
                               plans="; ".join(f"{t} ({y})" for t, y in clash)), "target_id")
    children = list(db.session.scalars(select(Unit).where(Unit.parent_id == source.id)))
    for child in children:
        move_unit(child, target, actor_id, max_depth=max_depth)
    source = db.session.get(Unit, source.id)
    target = db.session.get(Unit, target.id)
    moved_plan_ids = list(db.session.scalars(open_plans))
    done = (Lifecycle.COMPLETED.value, Lifecycle.CANCELLED.value)

    def moved(stmt) -> list[int]:
        return list(db.session.scalars(stmt.execution_options(synchronize_session=False)))

    people = moved(update(User).where(User.unit_id == source.id).values(unit_id=target.id)
                   .returning(User.id))
    plans = moved(update(Plan).where(Plan.id.in_(moved_plan_ids)).values(unit_id=target.id)
                  .returning(Plan.id)) if moved_plan_ids else []
    owned = moved(update(Task).where(Task.plan_id.in_(moved_plan_ids),
                                     Task.owner_unit_id == source.id)
                  .values(owner_unit_id=target.id).returning(Task.id)) if moved_plan_ids else []
    led = moved(update(Task).where(Task.lead_unit_id == source.id, Task.status.not_in(done))
                .values(lead_unit_id=target.id).returning(Task.id))
    coordinated = _merge_coordination(source.id, target.id, done)
    fields = db.session.execute(update(Field).where(Field.unit_id == source.id)
                                .values(unit_id=target.id)
                                .execution_options(synchronize_session=False)).rowcount
    # One audit row per moved person, plan and task (inserted in one batch at the flush).
    pair = [source.id, target.id]
    task_changes: dict[int, dict] = {}
    for tid in owned:
        task_changes.setdefault(tid, {})["owner_unit_id"] = pair
    for tid in led:
        task_changes.setdefault(tid, {})["lead_unit_id"] = pair
    for tid, before_after in coordinated.items():
        task_changes.setdefault(tid, {})["coordinators"] = before_after
    rows = ([("user.update", "user", uid, None, {"unit_id": pair}) for uid in people]
            + [("plan.unit_merge", "plan", pid, None, {"unit_id": pair}) for pid in plans]
            + [("task.unit_merge", "task", tid, tid, ch) for tid, ch in task_changes.items()])
    for action, kind, oid, task_id, changes in rows:
        audit.record(actor_id, action, kind, oid, changes, task_id=task_id)
    db.session.execute(update(Unit).where(Unit.id == source.id)
                       .values(is_active=False, successor_id=target.id)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()
    result = Merged(len(children), len(people), len(plans), len(led), fields or 0)
    audit.record(actor_id, "unit.merge", "unit", source.id,
                 {"successor_id": [None, target.id], "is_active": [True, False],
                  "sub_units": [None, result.sub_units], "people": [None, result.people],
                  "plans": [None, result.plans], "open_tasks": [None, result.tasks],
                  "fields": [None, result.fields]})
    db.session.flush()
    return result


def leading_units_above(unit: Unit) -> list[int]:
    """The ids of the units above a section, from the agency it belongs to down to its parent,
    whose heads and deputies may also answer for its plan's tasks (a department's deputy in
    charge of the section's field, domain.task_rules.may_lead_from); [] for any other unit.
    The form's choices, the import's directory and the import template's list all ask here."""
    top = agency_path(unit)
    if top == unit.path:
        return []
    ids = [int(x) for x in unit.path.strip("/").split("/")]
    return ids[top.count("/") - 2:-1]


def agency_path(unit: Unit) -> str:
    """The path of the agency `unit` is part of (domain.task_rules.agency_path): the unit's
    own, unless it is a section (phòng), then one small query of the units above it."""
    if unit.kind != task_rules.SECTION:
        return unit.path
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    chain = db.session.execute(select(Unit.path, Unit.kind).where(Unit.id.in_(ids))).all()
    return task_rules.agency_path(sorted(((p, k) for p, k in chain), key=lambda pk: len(pk[0])))
