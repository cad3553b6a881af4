"""The unit tree: add, rename, move, retire, and the official list of communes and wards."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, update

from ..domain.text import normalize_space
from ..extensions import db
from ..models import Unit
from . import audit
from .errors import RuleViolation

UNIT_KINDS = ("province", "department", "office", "commune", "ward", "special_zone", "section", "other")


def by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == (code or "").strip()))


def add_unit(code: str, name: str, parent_code: str | None = None, kind: str = "office",
             actor_id: int | None = None) -> Unit:
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


def move_unit(unit: Unit, new_parent: Unit | None, actor_id: int | None = None) -> None:
    """Re-hang a unit and its whole subtree (one UPDATE, whatever the depth)."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise RuleViolation(_l("A unit cannot be moved under itself."), "parent")
    old_path = unit.path
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


def set_active(unit: Unit, active: bool, actor_id: int | None = None) -> None:
    """Retire (or restore) a unit; its history stays attributable to it."""
    if unit.is_active == active:
        return
    unit.is_active = active
    audit.record(actor_id, "unit.retire" if not active else "unit.restore", "unit", unit.id,
                 {"is_active": [not active, active]})


def import_official(province_code: int, parent_code: str | None = None,
                    actor_id: int | None = None) -> tuple[int, int]:
    """Create a province's communes and wards from the official list (after the
    2025 reform), with their official codes. Idempotent: returns (added, kept)."""
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
        name = "UBND " + normalize_space(w.name)
        add_unit(code, name, parent.code if parent else None, kinds.get(w.division_type, "commune"),
                 actor_id=actor_id)
        added += 1
    return added, len(wards) - added
