"""Quality of operation (DESIGN.md 8): what the pages read. The automatic criteria are
counted with the assessment's own SQL (app/assessment/service.py), so a from-tasks
criterion and the responsibility score never disagree."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, text

from app.assessment import service as assessment
from app.common import access
from app.common.errors import NotFound
from app.directory.units import tree_order
from app.domain.quality import (
    UNIT_GROUPS,
    Leaf,
    Method,
    Node,
    SetStatus,
    SheetStatus,
    band,
    points_from_score,
    ranks,
    rescale,
    total,
)
from app.domain.scoring import Grade, Period, ScoringSettings, Tally
from app.extensions import db
from app.models import (
    Criterion,
    IndicatorSet,
    Plan,
    QualityEvidence,
    QualityScore,
    QualitySheet,
    Role,
    Task,
    Unit,
    User,
)


def designs(actor: User) -> bool:
    """Admin and assessor build sets; only the assessor appraises and publishes."""
    return actor.has_role(Role.ADMIN, Role.ASSESSOR)


def may_appraise(actor: User, sheet: QualitySheet) -> bool:
    """The assessor appraises, but never the sheet of a unit where she holds a post (a
    deputy of Sở Nội vụ who also appraises does not appraise Sở Nội vụ, nor a unit below a
    unit she leads): the capability must not let anyone bend their own unit's score."""
    if not actor.has_role(Role.ASSESSOR):
        return False
    if actor.role not in (Role.HEAD, Role.DEPUTY, Role.STAFF):
        return True
    unit = db.session.get(Unit, sheet.unit_id)
    return unit is not None and not access.holds_post_in(actor, unit.id, unit.path)


def may_read_sheet(actor: User, sheet: QualitySheet) -> bool:
    """A unit sees only its own sheet; admin and assessor see every sheet."""
    return designs(actor) or actor.unit_id == sheet.unit_id


def visible_sets(actor: User) -> list[IndicatorSet]:
    """Every set for admin and assessor; for a unit, the published sets it has a sheet in."""
    q = select(IndicatorSet).order_by(IndicatorSet.year.desc(), IndicatorSet.unit_group,
                                      IndicatorSet.version.desc())
    if not designs(actor):
        q = q.where(IndicatorSet.id.in_(select(QualitySheet.set_id).where(
            QualitySheet.unit_id == actor.unit_id)))
    return list(db.session.scalars(q))


def get_set(actor: User, set_id: int) -> IndicatorSet:
    """A set the actor may read, or NotFound."""
    s = db.session.get(IndicatorSet, set_id)
    if s is None:
        raise NotFound()
    if not designs(actor) and not db.session.scalar(select(QualitySheet.id).where(
            QualitySheet.set_id == s.id, QualitySheet.unit_id == actor.unit_id)):
        raise NotFound()
    return s


def own_sheet_id(actor: User, set_id: int) -> int | None:
    return db.session.scalar(select(QualitySheet.id).where(
        QualitySheet.set_id == set_id, QualitySheet.unit_id == actor.unit_id))


# ---- the tree ----------------------------------------------------------------------

@dataclass
class TreeRow:
    criterion: Criterion
    depth: int
    is_leaf: bool


def tree(set_id: int) -> list[TreeRow]:
    """The set's criteria in tree order (each row before its children, siblings in the
    order they were added), with their depth and whether they are leaves."""
    rows = list(db.session.scalars(select(Criterion).where(Criterion.set_id == set_id)
                                   .order_by(Criterion.position, Criterion.id)))
    children: dict[int | None, list[Criterion]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    out: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append(TreeRow(c, depth, c.id not in children))
            walk(c.id, depth + 1)

    walk(None, 0)
    return out


def criterion_code(criterion_id: int) -> str:
    """A criterion's code (its forms' field prefix), or NotFound."""
    code = db.session.scalar(select(Criterion.code).where(Criterion.id == criterion_id))
    if code is None:
        raise NotFound()
    return code


def nodes(set_id: int) -> list[Node]:
    return [Node(r.criterion.id, r.criterion.parent_id, r.criterion.code,
                 Decimal(r.criterion.max_points), r.is_leaf) for r in tree(set_id)]


# ---- the automatic criteria ----------------------------------------------------------

def unit_tallies(period: Period, as_of: date, s: ScoringSettings, unit_ids: list[int],
                 plan_kind: str | None, *, today: date) -> dict[int, Tally]:
    """Each unit's tally over the tasks it leads: exactly assessment.figures' unit figure
    (the responsibility score's counting), optionally only tasks of plans of one kind.
    One GROUP BY whatever the number of units."""
    if plan_kind is None:
        return assessment.figures(period, as_of, s, unit_ids, today=today).by_unit
    q = (select(Task.lead_unit_id, *assessment.tally_columns(as_of, today, s))
         .where(assessment.counted_tasks(period), assessment.counts_for_unit(),
                Task.lead_unit_id.in_(unit_ids),
                Task.plan_id.in_(select(Plan.id).where(Plan.kind == plan_kind)))
         .group_by(text("1")))
    places = assessment.credit_places(s)
    return {r[0]: assessment.to_tally(assessment.tally_values(r[1:]), places)
            for r in db.session.execute(q)}


def auto_points(s: IndicatorSet, unit_ids: list[int], as_of: date, today: date,
                scoring: ScoringSettings) -> dict[tuple[int, int], Decimal | None]:
    """Points of every from-tasks leaf for every unit: one GROUP BY per plan kind used
    (DESIGN.md 8: points = maximum × the responsibility score). None where nothing has
    fallen due: the criterion does not apply to the unit (its total is rescaled)."""
    leaves = [r.criterion for r in tree(s.id) if r.is_leaf and r.criterion.method == Method.TASKS]
    if not leaves or not unit_ids:
        return {}
    period = Period(str(s.year), date(s.year, 1, 1), date(s.year, 12, 31))
    by_kind = {kind: unit_tallies(period, as_of, scoring, unit_ids, kind, today=today)
               for kind in {c.plan_kind for c in leaves}}
    return {(u, c.id): points_from_score(Decimal(c.max_points),
                                         by_kind[c.plan_kind].get(u, Tally()).score)
            for u in unit_ids for c in leaves}


def entry_as_of(s: IndicatorSet, today: date) -> date:
    """The automatic figures are counted as of today, or the year's last day when over."""
    return min(today, date(s.year, 12, 31))


# ---- a unit's scorecard ----------------------------------------------------------------

@dataclass
class CardRow:
    criterion: Criterion
    depth: int
    is_leaf: bool
    score: QualityScore | None = None
    auto: Decimal | None = None
    applicable: bool = True
    self_points: Decimal | None = None
    appraised: Decimal | None = None
    evidence: list = field(default_factory=list)

    @property
    def is_manual(self) -> bool:
        return self.is_leaf and self.criterion.method == Method.MANUAL

    @property
    def unit_figure(self) -> Decimal | None:
        """What the unit brings: the automatic figure, or its own score."""
        return self.auto if self.criterion.method == Method.TASKS else self.self_points


@dataclass
class Scorecard:
    set: IndicatorSet
    sheet: QualitySheet
    rows: list[CardRow]
    self_total: object
    appraised_total: object
    grade: Grade
    as_of: date | None
    is_live: bool


def scorecard(actor: User, sheet_id: int, today: date, scoring: ScoringSettings) -> Scorecard:
    """One unit's sheet: every criterion with its maximum, the automatic figure (counted
    live while the sheet is open, frozen from submission), the unit's and the appraised
    score, the evidence; the totals (rescaled for criteria that do not apply) and grade."""
    sheet = db.session.get(QualitySheet, sheet_id)
    if sheet is None or not may_read_sheet(actor, sheet):
        raise NotFound()
    s = db.session.get(IndicatorSet, sheet.set_id)
    scores = {r.criterion_id: r for r in db.session.scalars(
        select(QualityScore).where(QualityScore.sheet_id == sheet.id))}
    files: dict[int, list] = {}
    for ev in db.session.scalars(select(QualityEvidence).join(
            QualityScore, QualityScore.id == QualityEvidence.score_id)
            .where(QualityScore.sheet_id == sheet.id).order_by(QualityEvidence.id)):
        files.setdefault(ev.score_id, []).append(ev)
    live = sheet.status == SheetStatus.OPEN
    as_of = entry_as_of(s, today) if live else sheet.auto_as_of
    auto = auto_points(s, [sheet.unit_id], as_of, today, scoring) if live else {}
    rows = []
    for r in tree(s.id):
        row = CardRow(r.criterion, r.depth, r.is_leaf)
        sc = scores.get(r.criterion.id)
        if r.is_leaf and sc is not None:
            row.score = sc
            row.self_points = sc.self_points
            row.appraised = sc.appraised_points
            row.evidence = files.get(sc.id, [])
            if r.criterion.method == Method.TASKS:
                row.auto = auto.get((sheet.unit_id, r.criterion.id)) if live else sc.auto_points
                row.applicable = row.auto is not None
        rows.append(row)
    _subtotals(rows)
    leaves = [r for r in rows if r.is_leaf]
    mx = Decimal(s.max_points)
    self_total = total([Leaf(Decimal(r.criterion.max_points),
                             (r.unit_figure or Decimal(0)) if r.applicable else None)
                        for r in leaves], mx)
    appraised_total = total([Leaf(Decimal(r.criterion.max_points),
                                  (r.appraised or Decimal(0)) if r.applicable else None)
                             for r in leaves], mx)
    graded = appraised_total.scaled if sheet.status in (SheetStatus.APPRAISED,
                                                        SheetStatus.PUBLISHED) else None
    return Scorecard(s, sheet, rows, self_total, appraised_total, band(graded, mx, scoring),
                     as_of, live)


def _subtotals(rows: list[CardRow]) -> None:
    """A branch shows the sum of its leaves' unit and appraised figures."""
    for i, r in enumerate(rows):
        if r.is_leaf:
            continue
        own, appraised = Decimal(0), Decimal(0)
        for child in rows[i + 1:]:
            if child.depth <= r.depth:
                break
            if child.is_leaf and child.applicable:
                own += child.unit_figure or 0
                appraised += child.appraised or 0
        r.self_points, r.appraised = own, appraised


# ---- the sheets of a set and the ranking --------------------------------------------------

@dataclass
class RankRow:
    sheet_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    status: str
    self_total: Decimal | None
    appraised_total: Decimal | None
    rank: int | None = None
    grade: Grade = Grade.NOT_RATED


def sheets(s: IndicatorSet, scoring: ScoringSettings) -> list[RankRow]:
    """Every sheet of the set with its totals, from one GROUP BY over the scores; the
    totals of a sheet still open are not shown (its automatic figures are not frozen).
    Ranked by the appraised total among the appraised sheets (a group is the set's)."""
    figure = case((Criterion.method == Method.TASKS, QualityScore.auto_points),
                  else_=QualityScore.self_points)
    applicable = QualityScore.is_applicable
    q = (select(QualitySheet.id, QualitySheet.unit_id, Unit.code, Unit.name, Unit.path, Unit.kind,
                Unit.name_sort, QualitySheet.status,
                func.coalesce(func.sum(case((applicable, Criterion.max_points), else_=0)), 0),
                func.coalesce(func.sum(case((applicable, figure), else_=0)), 0),
                func.coalesce(func.sum(case((applicable, QualityScore.appraised_points),
                                            else_=0)), 0))
         .join(Unit, Unit.id == QualitySheet.unit_id)
         .outerjoin(QualityScore, QualityScore.sheet_id == QualitySheet.id)
         .outerjoin(Criterion, Criterion.id == QualityScore.criterion_id)
         .where(QualitySheet.set_id == s.id)
         .group_by(QualitySheet.id, QualitySheet.unit_id, Unit.code, Unit.name, Unit.path,
                   Unit.kind, Unit.name_sort, QualitySheet.status))
    mx = Decimal(s.max_points)
    out = []
    for r in tree_order(db.session.execute(q).all()):
        cap, own, appraised = (Decimal(str(v)) for v in r[8:11])
        done = r.status != SheetStatus.OPEN
        final = r.status in (SheetStatus.APPRAISED, SheetStatus.PUBLISHED)
        row = RankRow(r.id, r.unit_id, r.code, r.name, r.status,
                      rescale(own, cap, mx) if done else None,
                      rescale(appraised, cap, mx) if final else None)
        row.grade = band(row.appraised_total, mx, scoring)
        out.append(row)
    for row, rank in zip(out, ranks([r.appraised_total for r in out]), strict=True):
        row.rank = rank
    return out


def ranking(actor: User, set_id: int, scoring: ScoringSettings) -> tuple[IndicatorSet, list[RankRow]]:
    """The ranking of a set's units, best first: admin and assessor at any time; a unit
    once the results are published."""
    s = get_set(actor, set_id)
    if not designs(actor) and s.status != SetStatus.LOCKED:
        raise NotFound()
    rows = sheets(s, scoring)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
    return s, rows


def evidence_for_download(actor: User, sheet_id: int, evidence_id: int) -> QualityEvidence:
    """An evidence file of a sheet the actor may read."""
    sheet = db.session.get(QualitySheet, sheet_id)
    if sheet is None or not may_read_sheet(actor, sheet):
        raise NotFound()
    ev = db.session.get(QualityEvidence, evidence_id)
    if ev is None:
        raise NotFound()
    score = db.session.get(QualityScore, ev.score_id)
    if score is None or score.sheet_id != sheet.id:
        raise NotFound()
    return ev


GROUP_NAMES = tuple(UNIT_GROUPS)
