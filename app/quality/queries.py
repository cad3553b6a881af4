"""Quality of operation (DESIGN.md 8): what the pages read. The automatic criteria are
counted with the assessment's own SQL (app/assessment/service.py), so a from-tasks
criterion and the responsibility score never disagree."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Float, and_, case, cast, func, not_, select, text, true

from app.assessment import service as assessment
from app.common import access
from app.common.errors import NotFound
from app.directory.units import tree_order
from app.domain.quality import (
    AUTOMATIC,
    UNIT_GROUPS,
    Basis,
    Direction,
    Event,
    Leaf,
    Method,
    Node,
    SetStatus,
    SheetStatus,
    band,
    deduction_points,
    parse_steps,
    points_from_score,
    points_from_targets,
    q2,
    ranks,
    rescale,
    stepped_points,
    total,
)
from app.domain.scoring import Grade, Outcome, Period, ScoringSettings, Tally
from app.extensions import db
from app.models import (
    Criterion,
    Field,
    IndicatorSet,
    Plan,
    QualityEvidence,
    QualityExplanation,
    QualityScore,
    QualitySheet,
    Role,
    Task,
    Unit,
    User,
)
from app.models.quality import quality_sheet_fields
from app.models.user import user_fields


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


def field_names() -> dict[int, str]:
    """The fields (lĩnh vực) a criterion may be restricted to, by id."""
    return dict(db.session.execute(select(Field.id, Field.name)).all())


def criterion_code(criterion_id: int) -> str:
    """A criterion's code (its forms' field prefix), or NotFound."""
    code = db.session.scalar(select(Criterion.code).where(Criterion.id == criterion_id))
    if code is None:
        raise NotFound()
    return code


def nodes(set_id: int) -> list[Node]:
    return [Node(r.criterion.id, r.criterion.parent_id, r.criterion.code,
                 Decimal(r.criterion.max_points), r.is_leaf,
                 r.is_leaf and r.criterion.method == Method.BONUS) for r in tree(set_id)]


# ---- the automatic criteria ----------------------------------------------------------

@dataclass(frozen=True)
class TaskFilter:
    """Which of a unit's tasks a criterion reads: plans of one kind, one field, key tasks
    only (None/False: all)."""

    plan_kind: str | None = None
    field_id: int | None = None
    key_only: bool = False

    @property
    def is_all(self) -> bool:
        return self.plan_kind is None and self.field_id is None and not self.key_only

    def conditions(self) -> list:
        out = []
        if self.plan_kind is not None:
            out.append(Task.plan_id.in_(select(Plan.id).where(Plan.kind == self.plan_kind)))
        if self.field_id is not None:
            out.append(Task.field_id == self.field_id)
        if self.key_only:
            out.append(Task.is_key.is_(True))
        return out


def task_filter(c: Criterion) -> TaskFilter:
    return TaskFilter(c.plan_kind, c.field_id, bool(c.is_key_only))


def unit_tallies(period: Period, as_of: date, s: ScoringSettings, unit_ids: list[int],
                 plan_kind: "str | TaskFilter | None", *, today: date) -> dict[int, Tally]:
    """Each unit's tally over the tasks it leads: exactly assessment.figures' unit figure
    (the responsibility score's counting), optionally only some tasks (a TaskFilter, or a
    plan kind). One GROUP BY whatever the number of units."""
    f = plan_kind if isinstance(plan_kind, TaskFilter) else TaskFilter(plan_kind)
    if f.is_all:
        return assessment.figures(period, as_of, s, unit_ids, today=today).by_unit
    cw = assessment.counted_weights_cte()
    q = (select(Task.lead_unit_id,
                *assessment.tally_columns(as_of, today, s, weight=assessment.unit_weight(cw)))
         .outerjoin(cw, cw.c.id == Task.id)
         .where(assessment.counted_tasks(period), assessment.counts_for_unit(),
                Task.lead_unit_id.in_(unit_ids), *f.conditions())
         .group_by(text("1")))
    places = assessment.credit_places(s)
    return {r[0]: assessment.to_tally(assessment.tally_values(r[1:]), places)
            for r in db.session.execute(q)}


SHARE_PLACES = Decimal("0.000001")


def unit_figures(period: Period, as_of: date, s: ScoringSettings, unit_ids: list[int],
                 tally_filters: list[TaskFilter], target_filters: list[TaskFilter], *,
                 today: date) -> tuple[dict[TaskFilter, dict[int, Tally]],
                                       dict[TaskFilter, dict[int, tuple[Decimal, int]]]]:
    """Every filter's tallies (`unit_tallies`) and targets (`unit_targets`) for every unit
    in ONE GROUP BY over the year's counted tasks: each filter's columns are conditioned
    on it (CASE), so the tasks are read once however many criteria read them. The same
    conditions and columns as the responsibility score (assessment.counted_tasks,
    counts_for_unit, tally_columns), so the figures are the same."""
    if not tally_filters and not target_filters:
        return {}, {}
    cols = []
    cw = assessment.counted_weights_cte()
    weight = assessment.unit_weight(cw)
    for f in tally_filters:
        cols += assessment.tally_columns(as_of, today, s,
                                         None if f.is_all else and_(true(), *f.conditions()),
                                         weight=weight)
    ach = achievement_sql()
    reads = and_(Task.indicator_target.is_not(None), Task.due_on <= as_of,
                 not_(assessment.excluded_condition()))
    for f in target_filters:
        held = and_(reads, *f.conditions())
        cols += [func.coalesce(func.sum(case((held, ach), else_=0.0)), 0),
                 func.coalesce(func.sum(case((held, 1), else_=0)), 0)]
    q = (select(Task.lead_unit_id, *cols)
         .outerjoin(cw, cw.c.id == Task.id)
         .where(assessment.counted_tasks(period), assessment.counts_for_unit(),
                Task.lead_unit_id.in_(unit_ids))
         .group_by(Task.lead_unit_id))
    places = assessment.credit_places(s)
    width = assessment.TALLY_WIDTH
    tallies: dict[TaskFilter, dict[int, Tally]] = {f: {} for f in tally_filters}
    targets: dict[TaskFilter, dict[int, tuple[Decimal, int]]] = {f: {} for f in target_filters}
    for r in db.session.execute(q):
        unit, values = r[0], r[1:]
        for i, f in enumerate(tally_filters):
            t = assessment.to_tally(assessment.tally_values(values[i * width:(i + 1) * width]),
                                    places)
            if t.tasks:
                tallies[f][unit] = t
        base = len(tally_filters) * width
        for i, f in enumerate(target_filters):
            done, n = values[base + 2 * i], int(values[base + 2 * i + 1] or 0)
            if n:
                # A sum of floating-point shares: its last bits depend on the order the
                # database adds them in (PostgreSQL's plan may change it), so it is kept to
                # six decimals, far below what the two-decimal points can show.
                targets[f][unit] = (Decimal(str(done)).quantize(SHARE_PLACES), n)
    return tallies, targets


def achievement_sql():
    """SQL: a task indicator's achievement as a share 0..1, capped at 1 — the mirror of
    domain.quality.achievement (an actual not reported counts as 0)."""
    t, a = Task.indicator_target, Task.indicator_actual
    # Divided as floats: SQLite would divide two whole numbers as integers.
    higher = case((a.is_(None), 0.0), (a >= t, 1.0), (a <= 0, 0.0),
                  else_=cast(a, Float) / cast(t, Float))
    lower = case((a.is_(None), 0.0), (a <= t, 1.0), (t <= 0, 0.0),
                 else_=cast(t, Float) / cast(a, Float))
    return case((Task.indicator_direction == Direction.LOWER, lower), else_=higher)


def target_conditions(period: Period, as_of: date) -> list:
    """SQL: the indicators a from-targets criterion reads: tasks the unit leads, counted
    as the responsibility score counts them, with a target, fallen due by `as_of` and not
    cancelled or suspended before their date."""
    return [assessment.counted_tasks(period), assessment.counts_for_unit(),
            Task.indicator_target.is_not(None), Task.due_on <= as_of,
            not_(assessment.excluded_condition())]


def unit_targets(period: Period, as_of: date, unit_ids: list[int],
                 f: TaskFilter) -> dict[int, tuple[Decimal, int]]:
    """Each unit's (sum of capped achievements, number of targets): one GROUP BY."""
    q = (select(Task.lead_unit_id, func.coalesce(func.sum(achievement_sql()), 0),
                func.count(Task.id))
         .where(*target_conditions(period, as_of), Task.lead_unit_id.in_(unit_ids),
                *f.conditions())
         .group_by(Task.lead_unit_id))
    return {r[0]: (Decimal(str(r[1])), int(r[2])) for r in db.session.execute(q)}


@dataclass(frozen=True)
class Auto:
    """One automatic figure: the points (None: does not apply, or a declared count not
    entered yet), the events a deduction counted, the ratio (%) a stepped criterion read."""

    points: Decimal | None
    events: int | None = None
    ratio: Decimal | None = None


def year_period(s: IndicatorSet) -> Period:
    return Period(str(s.year), date(s.year, 1, 1), date(s.year, 12, 31))


def auto_figures(s: IndicatorSet, unit_ids: list[int], as_of: date, today: date,
                 scoring: ScoringSettings) -> dict[tuple[int, int], Auto]:
    """Every automatic leaf for every unit, set-based: ONE GROUP BY for the tallies of
    every distinct task filter (tasks, stepped on tasks, deductions from the tracker) and
    the targets of every filter (`unit_figures`), one read of the declared counts — never a
    query per unit, nor a pass over the tasks per criterion."""
    leaves = [r.criterion for r in tree(s.id)
              if r.is_leaf and r.criterion.method in AUTOMATIC]
    if not leaves or not unit_ids:
        return {}
    period = year_period(s)

    def reads_targets(c: Criterion) -> bool:
        return c.method == Method.TARGETS or (c.method == Method.STEPPED
                                              and c.basis == Basis.TARGETS)

    def reads_tally(c: Criterion) -> bool:
        return c.method == Method.TASKS or (c.method == Method.STEPPED and not reads_targets(c)) \
            or (c.method == Method.DEDUCTION and c.event_kind != Event.ENTERED)

    tallies, targets = unit_figures(
        period, as_of, scoring, unit_ids,
        sorted({task_filter(c) for c in leaves if reads_tally(c)}, key=repr),
        sorted({task_filter(c) for c in leaves if reads_targets(c)}, key=repr), today=today)
    declared: dict[tuple[int, int], int | None] = {}
    entered = [c.id for c in leaves if c.method == Method.DEDUCTION and c.event_kind == Event.ENTERED]
    if entered:
        declared = {(u, c): n for u, c, n in db.session.execute(
            select(QualitySheet.unit_id, QualityScore.criterion_id, QualityScore.event_count)
            .join(QualityScore, QualityScore.sheet_id == QualitySheet.id)
            .where(QualitySheet.set_id == s.id, QualitySheet.unit_id.in_(unit_ids),
                   QualityScore.criterion_id.in_(entered)))}
    out: dict[tuple[int, int], Auto] = {}
    for c in leaves:
        most = Decimal(c.max_points)
        f = task_filter(c)
        for u in unit_ids:
            if c.method == Method.TASKS:
                out[u, c.id] = Auto(points_from_score(most, tallies[f].get(u, Tally()).score))
            elif c.method == Method.TARGETS:
                done, n = targets[f].get(u, (Decimal(0), 0))
                out[u, c.id] = Auto(points_from_targets(most, done, n),
                                    ratio=q2(done * 100 / n) if n else None)
            elif c.method == Method.STEPPED:
                if reads_targets(c):
                    done, n = targets[f].get(u, (Decimal(0), 0))
                    ratio = q2(done * 100 / n) if n else None
                else:
                    ratio = tallies[f].get(u, Tally()).score
                out[u, c.id] = Auto(stepped_points(parse_steps(c.steps or "0:0"), ratio),
                                    ratio=ratio)
            elif c.event_kind == Event.ENTERED:
                n = declared.get((u, c.id))
                out[u, c.id] = Auto(deduction_points(most, Decimal(c.per_event or 0), n,
                                                     Decimal(c.min_points or 0)), events=n)
            else:
                tally = tallies[f].get(u, Tally())
                n = tally.overdue if c.event_kind == Event.OVERDUE else tally.late
                out[u, c.id] = Auto(deduction_points(most, Decimal(c.per_event or 0), n,
                                                     Decimal(c.min_points or 0)), events=n)
    return out


def auto_points(s: IndicatorSet, unit_ids: list[int], as_of: date, today: date,
                scoring: ScoringSettings) -> dict[tuple[int, int], Decimal | None]:
    """The points of `auto_figures` (DESIGN.md 8: from tasks, points = maximum × the
    responsibility score). None where the criterion does not apply to the unit."""
    return {k: v.points for k, v in auto_figures(s, unit_ids, as_of, today, scoring).items()}


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
    # Deductions: the events counted or declared; stepped: the ratio read (%).
    events: int | None = None
    ratio: Decimal | None = None

    @property
    def is_manual(self) -> bool:
        """Entered by the unit: a manual score, a bonus, or a declared count of events."""
        return self.is_leaf and (self.criterion.method in (Method.MANUAL, Method.BONUS)
                                 or self.is_declared)

    @property
    def is_declared(self) -> bool:
        return (self.is_leaf and self.criterion.method == Method.DEDUCTION
                and self.criterion.event_kind == Event.ENTERED)

    @property
    def is_automatic(self) -> bool:
        return self.is_leaf and self.criterion.method in AUTOMATIC

    @property
    def is_bonus(self) -> bool:
        return self.is_leaf and self.criterion.method == Method.BONUS

    @property
    def has_sources(self) -> bool:
        """Whether the figure opens to the tasks, targets or events it came from."""
        return self.is_automatic and not self.is_declared

    @property
    def unit_figure(self) -> Decimal | None:
        """What the unit brings: the automatic figure, or its own score."""
        return self.auto if self.criterion.method in AUTOMATIC else self.self_points


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
    live = sheet.status == SheetStatus.OPEN and sheet.auto_as_of is None
    as_of = entry_as_of(s, today) if live else sheet.auto_as_of
    if live and s.entry_closes_on is not None:
        # Past the cut-off and not frozen yet: the figures it will be frozen with.
        as_of = min(as_of, s.entry_closes_on)
    auto = auto_figures(s, [sheet.unit_id], as_of, today, scoring) if live else {}
    rows = []
    for r in tree(s.id):
        row = CardRow(r.criterion, r.depth, r.is_leaf)
        sc = scores.get(r.criterion.id)
        if r.is_leaf and sc is not None:
            row.score = sc
            row.self_points = sc.self_points
            row.appraised = sc.appraised_points
            row.evidence = files.get(sc.id, [])
            row.applicable = bool(sc.is_applicable)   # a manual one the unit declared n/a
            if r.criterion.method in AUTOMATIC:
                if live:
                    figure = auto.get((sheet.unit_id, r.criterion.id), Auto(None))
                    row.auto, row.events, row.ratio = figure.points, figure.events, figure.ratio
                else:
                    row.auto, row.events = sc.auto_points, sc.event_count
                # A declared count not entered yet is missing, not "does not apply".
                row.applicable = (row.is_declared or row.auto is not None) if live \
                    else sc.is_applicable
        rows.append(row)
    _subtotals(rows)
    leaves = [r for r in rows if r.is_leaf]
    mx = Decimal(s.max_points)
    self_total = total([Leaf(Decimal(r.criterion.max_points),
                             (r.unit_figure or Decimal(0)) if r.applicable else None, r.is_bonus)
                        for r in leaves], mx)
    appraised_total = total([Leaf(Decimal(r.criterion.max_points),
                                  (r.appraised or Decimal(0)) if r.applicable else None,
                                  r.is_bonus)
                             for r in leaves], mx)
    graded = appraised_total.scaled if sheet.status in (SheetStatus.APPRAISED,
                                                        SheetStatus.PUBLISHED) else None
    return Scorecard(s, sheet, rows, self_total, appraised_total, band(graded, mx, scoring),
                     as_of, live)


def _subtotals(rows: list[CardRow]) -> None:
    """A branch shows the sum of its leaves' unit and appraised figures; no appraised figure
    while none of its leaves has one (a "0" there read as "appraised at zero")."""
    for i, r in enumerate(rows):
        if r.is_leaf:
            continue
        own, appraised = Decimal(0), None
        for child in rows[i + 1:]:
            if child.depth <= r.depth:
                break
            if child.is_leaf and child.applicable:
                own += child.unit_figure or 0
                if child.appraised is not None:
                    appraised = (appraised or Decimal(0)) + child.appraised
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
    figure = unit_figure_sql()
    applicable = QualityScore.is_applicable
    bonus = Criterion.method == Method.BONUS
    base = and_(applicable, not_(bonus))
    on_top = and_(applicable, bonus)
    q = (select(QualitySheet.id, QualitySheet.unit_id, Unit.code, Unit.name, Unit.path, Unit.kind,
                Unit.name_sort, QualitySheet.status,
                func.coalesce(func.sum(case((base, Criterion.max_points), else_=0)), 0),
                func.coalesce(func.sum(case((base, figure), else_=0)), 0),
                func.coalesce(func.sum(case((base, QualityScore.appraised_points),
                                            else_=0)), 0),
                func.coalesce(func.sum(case((on_top, figure), else_=0)), 0),
                func.coalesce(func.sum(case((on_top, QualityScore.appraised_points),
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
        cap, own, appraised, own_bonus, appraised_bonus = (Decimal(str(v)) for v in r[8:13])
        done = r.status != SheetStatus.OPEN
        final = r.status in (SheetStatus.APPRAISED, SheetStatus.PUBLISHED)
        row = RankRow(r.id, r.unit_id, r.code, r.name, r.status,
                      _plus(rescale(own, cap, mx), own_bonus) if done else None,
                      _plus(rescale(appraised, cap, mx), appraised_bonus) if final else None)
        row.grade = band(row.appraised_total, mx, scoring)
        out.append(row)
    for row, rank in zip(out, ranks([r.appraised_total for r in out]), strict=True):
        row.rank = rank
    return out


def unit_figure_sql():
    """SQL: what the unit brings on a score row — the automatic figure of an automatic
    criterion, its own score otherwise (the mirror of CardRow.unit_figure)."""
    return case((Criterion.method.in_([m.value for m in AUTOMATIC]), QualityScore.auto_points),
                else_=QualityScore.self_points)


def _plus(scaled: Decimal | None, bonus: Decimal) -> Decimal | None:
    """A rescaled total with the bonus on top (domain.quality.total)."""
    return None if scaled is None else q2(scaled + bonus)


def ranking(actor: User, set_id: int, scoring: ScoringSettings) -> tuple[IndicatorSet, list[RankRow]]:
    """The ranking of a set's units, best first: admin and assessor at any time; a unit
    once the results are published."""
    s = get_set(actor, set_id)
    if not designs(actor) and s.status != SetStatus.LOCKED:
        raise NotFound()
    rows = sheets(s, scoring)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
    return s, rows


# ---- where an automatic figure came from --------------------------------------------

@dataclass
class SourceRow:
    task_id: int
    title: str
    plan_title: str
    due_on: date | None
    completed_on: date | None
    outcome: str
    is_key: bool
    indicator_name: str = ""
    indicator_unit: str = ""
    target: Decimal | None = None
    actual: Decimal | None = None
    direction: str = Direction.HIGHER
    achievement: Decimal | None = None


@dataclass
class Sources:
    card: "Scorecard"
    row: CardRow
    reads_targets: bool
    tasks: list[SourceRow]
    truncated: bool


SOURCES_LIMIT = 500


def sources(actor: User, sheet_id: int, criterion_id: int, today: date,
            scoring: ScoringSettings) -> Sources:
    """The tasks, targets or events an automatic figure of a sheet came from (DESIGN.md 8:
    each figure opens to its sources), counted exactly as the figure was (same conditions,
    as of the same day): the tasks read by a from-tasks or stepped criterion with their
    outcome, the indicators of a from-targets one with their achievement, the overdue or
    late tasks a deduction counted. One query; the first 500 by due date."""
    card = scorecard(actor, sheet_id, today, scoring)
    row = next((r for r in card.rows if r.criterion.id == criterion_id and r.has_sources), None)
    if row is None:
        raise NotFound()
    c = row.criterion
    period = year_period(card.set)
    as_of = card.as_of
    targets = c.method == Method.TARGETS or (c.method == Method.STEPPED and c.basis == Basis.TARGETS)
    outcome = assessment.outcome_case(as_of, today)
    q = (select(Task.id, Task.title, Plan.title, Task.due_on, Task.completed_on, outcome,
                Task.is_key, Task.indicator_name, Task.indicator_unit, Task.indicator_target,
                Task.indicator_actual, Task.indicator_direction, achievement_sql())
         .join(Plan, Plan.id == Task.plan_id)
         .where(Task.lead_unit_id == card.sheet.unit_id, *task_filter(c).conditions())
         .order_by(Task.due_on, Task.id).limit(SOURCES_LIMIT + 1))
    if targets:
        q = q.where(*target_conditions(period, as_of))
    else:
        q = q.where(assessment.counted_tasks(period), assessment.counts_for_unit())
        if c.method == Method.DEDUCTION:
            conds = assessment.outcome_conditions(as_of, today)
            q = q.where(conds[Outcome.OVERDUE] if c.event_kind == Event.OVERDUE
                        else conds[Outcome.LATE])
    rows = db.session.execute(q).all()
    out = [SourceRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7] or "", r[8] or "",
                     r[9], r[10], r[11] or Direction.HIGHER,
                     q2(Decimal(str(r[12])) * 100) if targets else None)
           for r in rows[:SOURCES_LIMIT]]
    return Sources(card, row, targets, out, len(rows) > SOURCES_LIMIT)


def evidence_for_download(actor: User, sheet_id: int, evidence_id: int) -> QualityEvidence:
    """An evidence file of a sheet the actor may read (a score's, or an answer's)."""
    sheet = db.session.get(QualitySheet, sheet_id)
    if sheet is None or not may_read_sheet(actor, sheet):
        raise NotFound()
    ev = db.session.get(QualityEvidence, evidence_id)
    if ev is None:
        raise NotFound()
    if ev.score_id is None:
        owner = db.session.get(QualityExplanation, ev.explanation_id) if ev.explanation_id else None
    else:
        owner = db.session.get(QualityScore, ev.score_id)
    if owner is None or owner.sheet_id != sheet.id:
        raise NotFound()
    return ev


def sheet_set(sheet_id: int) -> IndicatorSet | None:
    """The set a sheet belongs to (None for no such sheet)."""
    return db.session.scalar(select(IndicatorSet).join(
        QualitySheet, QualitySheet.set_id == IndicatorSet.id).where(QualitySheet.id == sheet_id))


GROUP_NAMES = tuple(UNIT_GROUPS)


# ---- the heads' and deputies' quality results ---------------------------------------

@dataclass(frozen=True)
class QualityResult:
    """A quality-of-operation result beside a task score (DESIGN.md 8): the unit's total
    for its head; for a deputy, the total over the criteria of the fields they are in
    charge of, rescaled to the set's maximum as a unit's total is. `points` is None while
    the sheet is open (its automatic figures are not frozen) or when no criterion counts."""

    set_id: int
    set_name: str
    sheet_id: int
    status: str
    points: Decimal | None
    max_points: Decimal
    grade: Grade
    is_appraised: bool      # the appraised total; otherwise the unit's own (self-assessed)
    criteria: int           # the leaves counted
    readable: bool          # whether the reader may open the sheet


def _result(set_row, sheet_row, leaves: list, shows_appraised: bool, scoring: ScoringSettings,
            readable: bool) -> QualityResult:
    mx = Decimal(set_row.max_points)
    done = sheet_row.status != SheetStatus.OPEN
    appraised = shows_appraised and sheet_row.status in (SheetStatus.APPRAISED,
                                                         SheetStatus.PUBLISHED)
    points = None
    if done and leaves:
        points = total([Leaf(Decimal(lf.max_points),
                             Decimal(str((lf.appraised if appraised else lf.figure) or 0))
                             if lf.is_applicable else None,
                             lf.method == Method.BONUS) for lf in leaves], mx).scaled
    return QualityResult(set_row.id, set_row.name, sheet_row.id, sheet_row.status, points, mx,
                         band(points if appraised else None, mx, scoring) if points is not None
                         else Grade.NOT_RATED,
                         appraised, len(leaves), readable)


def leader_results(actor: User, year: int, unit_ids: list[int], leader_ids: list[int],
                   scoring: ScoringSettings) -> tuple[dict[int, QualityResult],
                                                     dict[int, QualityResult]]:
    """The quality results of the units and of their heads and deputies for `year`: the
    unit's sheet in the latest published version of its group's set. The head's is the
    unit's; a deputy's is over the leaves whose field (criterion.field_id) is one of the
    fields they are in charge of (user_fields), or, once the sheet is finalized, of the fields
    stored with it then (quality_sheet_fields): a decided result does not follow a later
    change of her fields. Five queries whatever the number of units.
    A unit's reader sees its own unit's result, and the others' once published; admin and
    assessor see all. The appraised total is shown once the assessor finalized (to the
    unit once published); before, the unit's own figures (the sheet submitted)."""

    if not unit_ids and not leader_ids:
        return {}, {}
    leaders = db.session.execute(select(User.id, User.role, User.unit_id).where(
        User.id.in_(leader_ids), User.role.in_([Role.HEAD, Role.DEPUTY]))).all() \
        if leader_ids else []
    wanted = set(unit_ids) | {ld.unit_id for ld in leaders if ld.unit_id}
    if not wanted:
        return {}, {}
    rows = db.session.execute(
        select(QualitySheet.id, QualitySheet.unit_id, QualitySheet.status, IndicatorSet.id,
               IndicatorSet.name, IndicatorSet.status, IndicatorSet.max_points,
               IndicatorSet.version)
        .join(IndicatorSet, IndicatorSet.id == QualitySheet.set_id)
        .where(IndicatorSet.year == year,
               IndicatorSet.status.in_([SetStatus.PUBLISHED, SetStatus.LOCKED]),
               QualitySheet.unit_id.in_(wanted))
        .order_by(QualitySheet.unit_id, IndicatorSet.version.desc(), IndicatorSet.id.desc())
    ).all()
    everything = designs(actor)
    chosen: dict[int, tuple] = {}
    for r in rows:
        if r[1] in chosen:
            continue        # the latest version of the year
        published = r[5] == SetStatus.LOCKED
        if everything or published or r[1] == actor.unit_id:
            chosen[r[1]] = r
    if not chosen:
        return {}, {}

    @dataclass
    class _LeafRow:
        max_points: Decimal
        method: str
        field_id: int | None
        is_applicable: bool
        figure: Decimal | None
        appraised: Decimal | None

    by_sheet: dict[int, list[_LeafRow]] = {}
    for sid, mx, method, fid, applicable, figure, appraised in db.session.execute(
            select(QualityScore.sheet_id, Criterion.max_points, Criterion.method,
                   Criterion.field_id, QualityScore.is_applicable, unit_figure_sql(),
                   QualityScore.appraised_points)
            .join(Criterion, Criterion.id == QualityScore.criterion_id)
            .where(QualityScore.sheet_id.in_([r[0] for r in chosen.values()]))):
        by_sheet.setdefault(sid, []).append(
            _LeafRow(mx, method, fid, bool(applicable), figure, appraised))
    deputy_ids = [ld.id for ld in leaders if ld.role == Role.DEPUTY]
    decided = [r[0] for r in chosen.values()
               if r[2] in (SheetStatus.APPRAISED, SheetStatus.PUBLISHED)]
    # A deputy's fields: those stored with a finalized sheet (decided: a later change of
    # her fields must not move it); live while the sheet is not finalized.
    fields: dict[int, set[int]] = {}
    kept: dict[tuple[int, int], set[int]] = {}
    if deputy_ids:
        for uid, fid in db.session.execute(select(user_fields.c.user_id, user_fields.c.field_id)
                                           .where(user_fields.c.user_id.in_(deputy_ids))):
            fields.setdefault(uid, set()).add(fid)
        if decided:
            for sid, uid, fid in db.session.execute(
                    select(quality_sheet_fields.c.sheet_id, quality_sheet_fields.c.user_id,
                           quality_sheet_fields.c.field_id)
                    .where(quality_sheet_fields.c.sheet_id.in_(decided),
                           quality_sheet_fields.c.user_id.in_(deputy_ids))):
                kept.setdefault((sid, uid), set()).add(fid)

    class _Set:
        def __init__(self, r):
            self.id, self.name, self.status, self.max_points = r[3], r[4], r[5], r[6]

    class _Sheet:
        def __init__(self, r):
            self.id, self.unit_id, self.status = r[0], r[1], r[2]

    def shows(r) -> bool:
        return everything or r[5] == SetStatus.LOCKED

    def readable(r) -> bool:
        return everything or r[1] == actor.unit_id

    by_unit = {u: _result(_Set(r), _Sheet(r), by_sheet.get(r[0], []), shows(r), scoring,
                          readable(r)) for u, r in chosen.items()}
    by_leader: dict[int, QualityResult] = {}
    for ld in leaders:
        r = chosen.get(ld.unit_id)
        if r is None:
            continue
        if ld.role == Role.HEAD:
            by_leader[ld.id] = by_unit[ld.unit_id]
        else:
            mine = (kept.get((r[0], ld.id), set()) if r[0] in decided
                    else fields.get(ld.id, set()))
            leaves = [lf for lf in by_sheet.get(r[0], []) if lf.field_id in mine]
            by_leader[ld.id] = _result(_Set(r), _Sheet(r), leaves, shows(r), scoring,
                                       readable(r))
    return by_unit, by_leader


def attach_results(actor: User, report, scoring: ScoringSettings) -> None:
    """Put each unit's and leader's quality result (`leader_results`, for the report's
    year) on the rows of an assessment report (live or frozen), beside the task score."""
    report.with_quality = True
    if not report.units and not report.leaders:
        return
    by_unit, by_leader = leader_results(actor, report.period.start.year,
                                        [r.key for r in report.units],
                                        [r.key for r in report.leaders], scoring)
    for r in report.units:
        r.quality = by_unit.get(r.key)
    for r in report.leaders:
        r.quality = by_leader.get(r.key)
