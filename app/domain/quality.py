"""Quality of operation (DESIGN.md 8): the indicator set's arithmetic. Pure functions over
plain numbers: a leaf's points from the tasks, a sheet's total with not-applicable
criteria rescaled, a tree's sums, the rank within a group and the grade band."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.scoring import Grade, ScoringSettings, grade

TWO = Decimal("0.01")


class Method(StrEnum):
    """How a leaf is scored. Slices to come: targets, stepped, deduction, bonus."""

    MANUAL = "manual"   # the unit scores itself, with evidence; the assessor appraises
    TASKS = "tasks"     # max × the responsibility score (DESIGN.md 5) of the unit's tasks


class SetStatus(StrEnum):
    DRAFT = "draft"           # the tree can be edited
    PUBLISHED = "published"   # frozen; units score themselves
    LOCKED = "locked"         # results published: nothing changes any more


class SheetStatus(StrEnum):
    OPEN = "open"             # not started, or drafts saved
    SUBMITTED = "submitted"   # the head submitted: read-only for the unit
    APPRAISED = "appraised"   # the assessor finalized the appraisal
    PUBLISHED = "published"   # in the published ranking: locked


# The groups of units a set applies to, and the unit kinds in each (a group is units of
# one kind: departments with departments, communes with communes; DESIGN.md 5).
UNIT_GROUPS: dict[str, tuple[str, ...]] = {
    "department": ("department",),
    "commune": ("commune", "ward", "special_zone"),
    "office": ("office",),
    "other": ("other",),
}


def q2(value: Decimal) -> Decimal:
    """Points are kept to two decimals, rounded half up as the official tables do."""
    return Decimal(value).quantize(TWO, ROUND_HALF_UP)


def points_from_score(max_points: Decimal, score: Decimal | None) -> Decimal | None:
    """A from-tasks leaf: max × responsibility score / 100. None when nothing has fallen due
    (the score is "not rated", never 0 and never 100): the leaf is then not applicable."""
    if score is None:
        return None
    return q2(Decimal(max_points) * Decimal(score) / 100)


@dataclass(frozen=True)
class Leaf:
    """One leaf's maximum and points (None: not applicable to this unit)."""

    max_points: Decimal
    points: Decimal | None


@dataclass(frozen=True)
class Total:
    """A sheet's total: the raw sum over the applicable leaves, the maximum they could
    give, and the total rescaled to the set's maximum (DESIGN.md 8: not-applicable
    criteria rescale the unit's total; the sheet shows both)."""

    raw: Decimal
    applicable_max: Decimal
    scaled: Decimal | None


def total(leaves: Iterable[Leaf], set_max: Decimal) -> Total:
    """Sum the applicable leaves and rescale to `set_max`; None when nothing applies."""
    raw = Decimal(0)
    cap = Decimal(0)
    for leaf in leaves:
        if leaf.points is None:
            continue
        raw += leaf.points
        cap += leaf.max_points
    return Total(q2(raw), q2(cap), rescale(raw, cap, set_max))


def rescale(raw: Decimal, cap: Decimal, set_max: Decimal) -> Decimal | None:
    """A raw total over applicable criteria worth `cap` points, out of `set_max`."""
    if not cap:
        return None
    if Decimal(cap) == Decimal(set_max):
        return q2(raw)
    return q2(Decimal(raw) * Decimal(set_max) / Decimal(cap))


def band(scaled: Decimal | None, set_max: Decimal, s: ScoringSettings) -> Grade:
    """The grade of a total out of `set_max`, by the bands of DESIGN.md 5 on a 100 scale."""
    if scaled is None or not set_max:
        return Grade.NOT_RATED
    return grade(q2(Decimal(scaled) * 100 / Decimal(set_max)), s)


def ranks(totals: Sequence[Decimal | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) by total, highest first; None for no total."""
    ordered = sorted((t for t in totals if t is not None), reverse=True)
    first = {}
    for i, t in enumerate(ordered, start=1):
        first.setdefault(t, i)
    return [first[t] if t is not None else None for t in totals]


@dataclass(frozen=True)
class Node:
    """A criterion as the sum check sees it."""

    key: int
    parent: int | None
    code: str
    max_points: Decimal
    is_leaf: bool


def sum_errors(nodes: Sequence[Node], set_max: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """Every branch (and the set itself, code "") whose children's maxima do not add up to
    its own: (code, stated, sum of children). A set with an error cannot be published."""
    children: dict[int | None, Decimal] = {}
    has_children: set[int | None] = set()
    for n in nodes:
        children[n.parent] = children.get(n.parent, Decimal(0)) + n.max_points
        has_children.add(n.parent)
    out = []
    top = children.get(None, Decimal(0))
    if top != set_max:
        out.append(("", Decimal(set_max), top))
    for n in nodes:
        if n.key in has_children and children[n.key] != n.max_points:
            out.append((n.code, n.max_points, children[n.key]))
    return out
