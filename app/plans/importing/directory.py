"""Resolving the units, people and fields a plan file names, loaded in a few queries."""

import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from app.directory.units import leading_units_above
from app.domain import task_rules
from app.domain.text import fold, normalize_space
from app.extensions import db
from app.models import (
    Field,
    Unit,
    User,
)
from app.plans.importing.cells import _text

# ------------------------------------------------------------------ who and what

@dataclass(frozen=True)
class Person:
    id: int
    username: str
    email: str
    full_name: str
    name_folded: str
    unit_id: int
    unit_path: str
    role: str


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    path: str


_PREFIX = re.compile(r"^(?:so|ubnd|uy ban nhan dan)\s+")
# Groups of units as plans name them (issue 14), folded; words may follow ("… liên quan").
DEPARTMENTS, COMMUNES, ALL_UNITS = "departments", "communes", "units"
_GROUPS = (
    (DEPARTMENTS, re.compile(r"^(?:cac\s+)?so\s+(?:ban\s+)?nganh\b")),
    (COMMUNES, re.compile(r"^(?:ubnd|uy\s+ban\s+nhan\s+dan)\s+(?:cac|cap)\s+(?:xa|phuong)\b")),
    (ALL_UNITS, re.compile(r"^cac\s+(?:co\s+quan\s+)?don\s+vi\b|^cac\s+co\s+quan\b")),
)
_COMMUNE_KINDS = ("commune", "ward", "special_zone")


def group_of(text: str) -> str | None:
    """The group a unit cell names ("Các sở, ban, ngành", "UBND các xã, phường", "Các cơ quan,
    đơn vị"), or None."""
    words = fold(text)
    return next((g for g, pattern in _GROUPS if pattern.match(words)), None)


def _bare(name: str) -> str:
    """A unit's name without its "Sở" / "UBND" prefix, folded (any letter case, diacritics)."""
    return _PREFIX.sub("", fold(name))


class Directory:
    """Units, people and fields as the importer resolves them, loaded in a few queries."""

    def __init__(self, plan_unit: Unit, sheet_rows: list[tuple[int, dict]]):
        rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.kind,
                                         Unit.parent_id, Unit.name_sort)
                                  .where(Unit.is_active)).all()
        self.units = {r.id: UnitRef(r.id, r.code, r.name, r.path) for r in rows}
        self._kinds = {r.id: (r.kind, r.parent_id, r.name_sort) for r in rows}
        self.plan_unit_id = plan_unit.id
        self.by_code: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_name: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_name_ci: dict[str, list[UnitRef]] = defaultdict(list)
        # Names as plans write them (issue 14): "Tư pháp" for "Sở Tư pháp", "ubnd xã ea kao".
        self.by_bare: dict[str, list[UnitRef]] = defaultdict(list)
        for u in self.units.values():
            self.by_code[u.code.casefold()].append(u)
            self.by_name[u.name].append(u)
            self.by_name_ci[u.name.casefold()].append(u)
            self.by_bare[_bare(u.name)].append(u)
        tokens = set()
        for _n, cells in sheet_rows:
            for k in ("assignee", "leader"):
                if k in cells:
                    tokens.add(normalize_space(_text(cells[k])).casefold())
        tokens.discard("")
        cond = [Unit.path.like(plan_unit.path + "%")]
        if tokens:
            cond += [func.lower(User.username).in_(tokens), func.lower(User.email).in_(tokens)]
        self.people: dict[int, Person] = {}
        self.logins: dict[str, Person] = {}
        self._pools: dict = {}
        self._loaded_paths = {plan_unit.path}
        # The leaders of the agency a section belongs to may answer for its plan's tasks
        # (domain.task_rules.may_lead_from): loaded with the plan's own people.
        above = leading_units_above(plan_unit)
        if above:
            cond.append(and_(Unit.id.in_(above), User.role.in_(sorted(task_rules.LEADER_ROLES))))
        self._load_people(or_(*cond))
        fields = db.session.execute(select(Field.id, Field.name).where(
            (Field.unit_id == plan_unit.id) | Field.unit_id.is_(None))
            .order_by(Field.unit_id.is_(None), Field.id)).all()
        self.fields: dict[str, int] = {}
        for f in fields:
            self.fields.setdefault(normalize_space(f.name).casefold(), f.id)

    def _load_people(self, cond) -> None:
        rows = db.session.execute(
            select(User.id, User.username, User.email, User.full_name, User.name_folded,
                   User.unit_id, User.role, Unit.path).join(Unit, User.unit_id == Unit.id)
            .where(User.is_active, cond)).all()
        for r in rows:
            p = Person(r.id, r.username, (r.email or "").casefold(), r.full_name, r.name_folded,
                       r.unit_id, r.path, r.role)
            self.people[p.id] = p
        # Usernames first: an email never hides someone's username.
        self.logins = {p.email: p for p in self.people.values() if p.email}
        self.logins.update({p.username.casefold(): p for p in self.people.values()})
        self._pools.clear()

    def ensure_people(self, ids: set[int]) -> None:
        """People named by stored tasks (kept by blank cells, shown in the preview), loaded once."""
        missing = ids - set(self.people)
        if missing:
            self._load_people(User.id.in_(sorted(missing)))

    def ensure_subtree(self, unit: UnitRef) -> None:
        """People of a lead unit outside the plan's subtree, loaded once."""
        if any(unit.path.startswith(p) for p in self._loaded_paths):
            return
        self._loaded_paths.add(unit.path)
        self._load_people(Unit.path.like(unit.path + "%"))

    def unit(self, token: str) -> tuple[UnitRef | None, str | None]:
        """A unit by code, or by exact name (NFC, spaces collapsed; letter case as a last resort)."""
        name = normalize_space(token)
        for found in (self.by_code.get(name.casefold(), []), self.by_name.get(name, []),
                      self.by_name_ci.get(name.casefold(), []), self.by_bare.get(_bare(name), [])):
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                return None, _("%(n)s units are named “%(value)s”: write the unit's code",
                               n=len(found), value=name)
        return None, _("no unit has the code or the name “%(value)s”", value=name)

    def group(self, name: str) -> list[UnitRef]:
        """The units of a group under the plan's unit, by name: departments (kind
        "department", or a name "Sở …") and communes (kinds commune, ward, special zone, or
        a name "UBND xã/phường …") anywhere below it; "Các cơ quan, đơn vị" is every unit
        directly below it."""
        plan_unit = self.units.get(self.plan_unit_id)
        if plan_unit is None:
            return []
        out = []
        for u in self.units.values():
            kind, parent_id, _sort = self._kinds[u.id]
            if u.id == plan_unit.id or not u.path.startswith(plan_unit.path):
                continue
            words = fold(u.name)
            if name == DEPARTMENTS:
                ok = kind == "department" or words.startswith("so ")
            elif name == COMMUNES:
                ok = kind in _COMMUNE_KINDS or bool(re.match(r"^(?:ubnd|uy ban nhan dan) (?:xa|phuong|dac khu) ", words))
            else:
                ok = parent_id == plan_unit.id
            if ok:
                out.append(u)
        return sorted(out, key=lambda u: (self._kinds[u.id][2] or "", u.code))

    def _pool(self, scope: tuple[UnitRef, ...], exact_units: bool) -> tuple[dict, dict]:
        key = (tuple(u.id for u in scope), exact_units)
        if key not in self._pools:
            if exact_units:
                ids = {u.id for u in scope}
                pool = [p for p in self.people.values() if p.unit_id in ids]
            else:
                pool = [p for p in self.people.values()
                        if any(p.unit_path.startswith(u.path) for u in scope)]
            exact: dict[str, list[Person]] = defaultdict(list)
            folded: dict[str, list[Person]] = defaultdict(list)
            for p in pool:
                exact[p.full_name.casefold()].append(p)
                folded[p.name_folded].append(p)
            self._pools[key] = (exact, folded)
        return self._pools[key]

    def leader(self, token: str, plan: task_rules.PlanFacts, lead: UnitRef | None,
               ) -> tuple[Person | None, str | None]:
        """The accountable leader named `token`: as `person` among the plan's unit and the
        lead unit; when nobody there has that name, among the other units whose leaders may
        answer for the task (a section's plan: its agency's, `task_rules.may_lead_from`)."""
        near = tuple(u for u in (self.units.get(plan.unit_id), lead) if u is not None)
        near = tuple({u.id: u for u in near}.values())
        ids = {int(x) for u in near for x in u.path.strip("/").split("/")}
        wider = tuple(u for i in sorted(ids) if (u := self.units.get(i)) is not None
                      and u not in near
                      and task_rules.may_lead_from(u.path, plan, lead.path if lead else None))
        label = " / ".join(u.name for u in sorted(near + wider, key=lambda u: len(u.path)))
        raw = normalize_space(token)
        scope = near
        if wider and raw.casefold() not in self.logins and not self._matches(raw, near, True):
            scope = wider
        return self.person(token, scope, True, label)

    def _matches(self, raw: str, scope: tuple[UnitRef, ...], exact_units: bool) -> list[Person]:
        exact, folded = self._pool(scope, exact_units)
        return exact.get(raw.casefold(), []) or folded.get(fold(raw), [])

    def person(self, token: str, scope: tuple[UnitRef, ...], exact_units: bool,
               scope_label: str) -> tuple[Person | None, str | None]:
        """By username, by email, then by full name when it is unique among the people of
        `scope` (their subtrees, or those units only when `exact_units`): first as written
        (any letter case, NFC or NFD), then without diacritics ("Pham Van Dang")."""
        raw = normalize_space(token)
        found = self.logins.get(raw.casefold())
        if found is not None:
            return found, None
        exact, folded = self._pool(scope, exact_units)
        for match in (exact.get(raw.casefold(), []), folded.get(fold(raw), [])):
            if len(match) == 1:
                return match[0], None
            if len(match) > 1:
                return None, _("%(n)s people in %(unit)s are named “%(value)s”: write the "
                               "username or the email", n=len(match), unit=scope_label, value=raw)
        return None, _("no user “%(value)s” in %(unit)s (write a username, an email or a full name)",
                       value=raw, unit=scope_label)


