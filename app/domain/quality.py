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
    """How a leaf is scored (docs/quality.md has each with an example)."""

    MANUAL = "manual"        # the unit scores itself, with evidence; the assessor appraises
    TASKS = "tasks"          # max × the responsibility score (DESIGN.md 5) of the unit's tasks
    TARGETS = "targets"      # max × the mean achievement of the unit's task indicators
    STEPPED = "stepped"      # the points of the highest step reached by a ratio
    DEDUCTION = "deduction"  # max − per event × events, not below a floor
    BONUS = "bonus"          # entered by the unit with evidence, clipped at the cap


# The methods whose figure the tracker computes (the unit cannot type it).
AUTOMATIC = frozenset({Method.TASKS, Method.TARGETS, Method.STEPPED, Method.DEDUCTION})


class Direction(StrEnum):
    """An indicator's direction: is more better (enterprises created) or less (dossiers
    late, poor households)?"""

    HIGHER = "higher"
    LOWER = "lower"


class Basis(StrEnum):
    """The ratio a stepped criterion reads: the responsibility score of the unit's tasks,
    or the mean achievement of their targets (both in %)."""

    TASKS = "tasks"
    TARGETS = "targets"


class Event(StrEnum):
    """What a deduction counts: from the tracker, tasks led by the unit that are overdue
    (not completed, due date passed) or completed late as of the day counted; or events
    the unit declares with evidence (upheld violations, late reports) and the assessor
    appraises."""

    OVERDUE = "overdue"
    LATE = "late"
    ENTERED = "entered"


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


ONE = Decimal(1)


def achievement(target: Decimal | None, actual: Decimal | None,
                direction: str = Direction.HIGHER) -> Decimal | None:
    """How far an indicator reached its target, as a share 0..1 capped at 1 (DESIGN.md 8:
    "đạt và vượt 100% chỉ tiêu" is full marks, over-achievement earns nothing more).
    None without a target (nothing to measure). An actual not reported counts as 0.
    - higher is better: actual ≥ target → 1, else actual / target (negative → 0);
    - lower is better: actual ≤ target → 1, else target / actual (a target of 0 or below
      missed → 0)."""
    if target is None:
        return None
    t = Decimal(target)
    a = Decimal(actual) if actual is not None else None
    if direction == Direction.LOWER:
        if a is None:
            return Decimal(0)
        if a <= t:
            return ONE
        return t / a if t > 0 else Decimal(0)
    if a is None:
        return Decimal(0)
    if a >= t:
        return ONE
    return a / t if a > 0 else Decimal(0)


def achievement_percent(target: Decimal | None, actual: Decimal | None,
                        direction: str = Direction.HIGHER) -> Decimal | None:
    """`achievement` as a percent with two decimals (what the task page shows)."""
    share = achievement(target, actual, direction)
    return None if share is None else q2(share * 100)


def points_from_targets(max_points: Decimal, achieved_sum: Decimal | None,
                        targets: int) -> Decimal | None:
    """A from-targets leaf: max × the MEAN of the capped achievements of the unit's
    indicators (each target weighs the same; one over-achieved target cannot make up for
    a missed one). `achieved_sum` is the sum of the capped shares of `targets` indicators.
    None when the unit has no target fallen due: not applicable."""
    if not targets:
        return None
    return q2(Decimal(max_points) * Decimal(achieved_sum or 0) / targets)


def parse_steps(text: str) -> list[tuple[Decimal, Decimal]]:
    """Steps written "from %: points", separated by ";" or new lines: "90: 10; 70: 5; 0: 0"
    (Vietnamese decimal commas allowed: "97,5: 7"). Raises ValueError on anything else,
    on a repeated threshold or a percent outside 0..100. Sorted, highest threshold first."""
    out: dict[Decimal, Decimal] = {}
    for part in text.replace("\n", ";").split(";"):
        part = part.strip().lstrip("≥>=").strip()
        if not part:
            continue
        pieces = part.replace("%", "").split(":")
        if len(pieces) != 2:
            raise ValueError(part)
        try:
            frm, pts = (Decimal(p.strip().replace(",", ".")) for p in pieces)
        except ArithmeticError as e:
            raise ValueError(part) from e
        if not (frm.is_finite() and pts.is_finite()) or not 0 <= frm <= 100 or pts < 0:
            raise ValueError(part)
        if frm in out:
            raise ValueError(part)
        out[frm] = pts
    if not out:
        raise ValueError(text)
    return sorted(out.items(), reverse=True)


def format_steps(steps: Sequence[tuple[Decimal, Decimal]]) -> str:
    """The stored form of steps: "90:10;70:5;0:0"."""
    def plain(d: Decimal) -> str:
        return format(Decimal(d).normalize(), "f")
    return ";".join(f"{plain(f)}:{plain(p)}" for f, p in steps)


def stepped_points(steps: Sequence[tuple[Decimal, Decimal]],
                   percent: Decimal | None) -> Decimal | None:
    """The points of the highest step whose threshold the ratio reaches (from % ≤ ratio);
    0 below the lowest step; None when there is no ratio (nothing fallen due: not
    applicable). A CCHC plan at 85% with steps 90:10; 70:5; 0:0 gets 5."""
    if percent is None:
        return None
    for frm, pts in sorted(steps, reverse=True):
        if Decimal(percent) >= frm:
            return q2(pts)
    return Decimal("0.00")


def deduction_points(max_points: Decimal, per_event: Decimal, events: int | None,
                     floor: Decimal = Decimal(0)) -> Decimal | None:
    """max − per_event × events, never below `floor` (0 by default). None when the count
    is not known (declared events not entered yet)."""
    if events is None:
        return None
    return q2(max(Decimal(floor), Decimal(max_points) - Decimal(per_event) * events))


def clip_bonus(points: Decimal, cap: Decimal) -> tuple[Decimal, bool]:
    """A bonus is clipped at its cap (DESIGN.md 8): (points kept, whether it was clipped)."""
    if points > cap:
        return Decimal(cap), True
    return points, False


@dataclass(frozen=True)
class Leaf:
    """One leaf's maximum and points (None: not applicable to this unit)."""

    max_points: Decimal
    points: Decimal | None
    is_bonus: bool = False


@dataclass(frozen=True)
class Total:
    """A sheet's total: the raw sum over the applicable leaves, the maximum they could
    give, and the total rescaled to the set's maximum (DESIGN.md 8: not-applicable
    criteria rescale the unit's total; the sheet shows both)."""

    raw: Decimal
    applicable_max: Decimal
    scaled: Decimal | None


def total(leaves: Iterable[Leaf], set_max: Decimal) -> Total:
    """Sum the applicable leaves and rescale to `set_max`; None when nothing applies.
    Bonus points are added after rescaling, on top of the set's maximum (they are not part
    of it): raw and scaled both include them."""
    raw = Decimal(0)
    cap = Decimal(0)
    bonus = Decimal(0)
    for leaf in leaves:
        if leaf.points is None:
            continue
        if leaf.is_bonus:
            bonus += leaf.points
            continue
        raw += leaf.points
        cap += leaf.max_points
    scaled = rescale(raw, cap, set_max)
    return Total(q2(raw + bonus), q2(cap), None if scaled is None else q2(scaled + bonus))


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
    is_bonus: bool = False


def sum_errors(nodes: Sequence[Node], set_max: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """Every branch (and the set itself, code "") whose children's maxima do not add up to
    its own: (code, stated, sum of children). A set with an error cannot be published.
    Bonus rows are on top of the set's maximum: they are not in any sum."""
    children: dict[int | None, Decimal] = {}
    has_children: set[int | None] = set()
    for n in nodes:
        if n.is_bonus:
            continue
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
