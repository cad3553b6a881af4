"""Quality of operation (DESIGN.md 8): what changes an indicator set and a unit's sheet.

Who may do what, and why the person being scored cannot bend it:
- the set (its tree, its publication) is the assessor's or the admin's; a published set is
  frozen;
- a unit's head scores only the manual criteria of the unit's own sheet, between 0 and the
  criterion's maximum, while the sheet is open; the automatic figures come from the
  tracker and are frozen at submission; after submission the sheet is read-only to the unit;
- only the assessor appraises (a changed figure needs a reason, audited), finalizes and
  publishes; published results are locked.
Every change is audited. Use cases flush; the boundary commits."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, literal, select, update

from app.common import audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation, RuleViolations
from app.domain.quality import (
    AUTOMATIC,
    UNIT_GROUPS,
    Basis,
    Event,
    Method,
    SetStatus,
    SheetStatus,
    clip_bonus,
    deduction_points,
    format_steps,
    parse_steps,
    sum_errors,
)
from app.domain.scoring import ScoringSettings
from app.extensions import db
from app.models import (
    Criterion,
    Field,
    IndicatorSet,
    PlanKind,
    QualityEvidence,
    QualityScore,
    QualitySheet,
    Role,
    Unit,
    User,
)
from app.models.base import utcnow
from app.models.quality import quality_sheet_fields
from app.models.user import user_fields
from app.quality import queries
from app.settings import Files
from app.tasks import evidence as evidence_files

MAX_DEPTH = 3  # lĩnh vực → tiêu chí → tiêu chí thành phần
MAX_POINTS = Decimal(1000)


def _require_designer(actor: User) -> None:
    if not actor.has_role(Role.ADMIN, Role.ASSESSOR):
        raise PermissionDenied()


def _require_assessor(actor: User) -> None:
    if not actor.has_role(Role.ASSESSOR):
        raise PermissionDenied()


def _text(value: str | None, field: str, most: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise RuleViolation(_l("This field is required."), field)
    if len(text) > most:
        raise RuleViolation(_l("At most %(n)s characters.", n=most), field)
    return text


def evidence_document(number: str | None, on: date | None, today: date | None,
                      prefix: str = "doc") -> tuple[str | None, date | None]:
    """Evidence given as a document (DESIGN.md 8: "files, or a document's number and
    date"): both or neither; the number non-empty (at most 64 characters), the date a
    real day not after today. Refused beside the field at fault."""
    no = " ".join((number or "").split())
    if not no and on is None:
        return None, None
    if not no:
        raise RuleViolation(_l("Enter the document's number (e.g. 12/KH-UBND)."), f"{prefix}_no")
    if len(no) > 64:
        raise RuleViolation(_l("At most %(n)s characters.", n=64), f"{prefix}_no")
    if on is None:
        raise RuleViolation(_l("Enter the document's date (dd/mm/yyyy)."), f"{prefix}_on")
    if today is not None and on > today:
        raise RuleViolation(_l("The document's date cannot be after today (%(date)s).",
                               date=today.strftime("%d/%m/%Y")), f"{prefix}_on")
    return no, on


def _points(value: Decimal | None, field: str, most: Decimal) -> Decimal:
    """Points between 0 and `most`, two decimals at most (DESIGN.md 8: points never exceed
    a criterion's maximum or go below its minimum)."""
    if value is None:
        raise RuleViolation(_l("Enter the points."), field)
    if value < 0:
        raise RuleViolation(_l("Points cannot be negative."), field)
    if value > most:
        raise RuleViolation(_l("At most %(n)s points.", n=_plain(most)), field)
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_l("At most two decimals."), field)
    return value


def _plain(d: Decimal) -> str:
    return format(Decimal(d).normalize(), "f")


# ---- the set and its tree --------------------------------------------------------

@dataclass
class SetInput:
    name: str
    year: int | None
    unit_group: str
    max_points: Decimal | None


def create_set(actor: User, data: SetInput) -> IndicatorSet:
    """A new draft set for a year and a group of units (a new version when one exists)."""
    _require_designer(actor)
    name = _text(data.name, "name", 500)
    if data.year is None or not 2000 <= data.year <= 2100:
        raise RuleViolation(_l("Enter a year between 2000 and 2100."), "year")
    if data.unit_group not in UNIT_GROUPS:
        raise RuleViolation(_l("Choose a group of units from the list."), "unit_group")
    if data.max_points is None or data.max_points <= 0:
        raise RuleViolation(_l("Enter the maximum points of the set (more than 0)."), "max_points")
    _points(data.max_points, "max_points", MAX_POINTS)
    version = (db.session.scalar(select(func.max(IndicatorSet.version)).where(
        IndicatorSet.year == data.year, IndicatorSet.unit_group == data.unit_group)) or 0) + 1
    row = IndicatorSet(name=name, year=data.year, unit_group=data.unit_group, version=version,
                       status=SetStatus.DRAFT, max_points=data.max_points, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor.id, "quality.set_create", "indicator_set", row.id,
                 {"name": [None, name], "year": [None, data.year],
                  "unit_group": [None, data.unit_group], "version": [None, version]})
    return row


def copy_set(actor: User, set_id: int, year: int | None) -> IndicatorSet:
    """A new draft set for `year` with the tree of `set_id` (last year's, usually): same
    group, maximum, criteria and methods; a new version when that year already has one."""
    _require_designer(actor)
    source = db.session.get(IndicatorSet, set_id)
    if source is None:
        raise NotFound()
    if year is None or not 2000 <= year <= 2100:
        raise RuleViolation(_l("Enter a year between 2000 and 2100."), "year")
    name = source.name.replace(str(source.year), str(year)) if str(source.year) in source.name \
        else f"{source.name} ({year})"
    target = create_set(actor, SetInput(name[:500], year, source.unit_group,
                                        Decimal(source.max_points)))
    new_ids: dict[int, int] = {}
    # A set holds tens of rows: each row is added after its parent (tree order), so the
    # parent's new id is known.
    for r in queries.tree(source.id):
        c = r.criterion
        row = Criterion(set_id=target.id, parent_id=new_ids.get(c.parent_id), code=c.code,
                        title=c.title, max_points=c.max_points, method=c.method,
                        plan_kind=c.plan_kind, is_evidence_required=c.is_evidence_required,
                        position=c.position, **copied_params(c))
        db.session.add(row)
        db.session.flush()
        new_ids[c.id] = row.id
    audit.record(actor.id, "quality.set_copy", "indicator_set", target.id,
                 {"from": [None, source.id], "criteria": [None, len(new_ids)]})
    return target


def copied_params(c: Criterion) -> dict:
    """The method parameters a copied row keeps (the scoring methods' columns)."""
    return {k: getattr(c, k) for k in ("field_id", "is_key_only", "basis", "steps", "per_event",
                                       "event_kind", "min_points", "is_na_allowed")}


def _draft_set(actor: User, set_id: int) -> IndicatorSet:
    _require_designer(actor)
    row = db.session.get(IndicatorSet, set_id)
    if row is None:
        raise NotFound()
    if row.status != SetStatus.DRAFT:
        raise RuleViolation(_l("The set is published: its criteria can no longer be changed."))
    return row


@dataclass
class CriterionInput:
    parent_id: int | None
    code: str
    title: str
    max_points: Decimal | None
    method: str
    plan_kind: str | None = None
    is_evidence_required: bool = False
    # The new methods' parameters (docs/quality.md): filters of the tasks read, the
    # stepped ratio and its steps, the deduction's event, points per event and floor.
    field_id: int | None = None
    is_key_only: bool = False
    basis: str | None = None
    steps: str | None = None
    per_event: Decimal | None = None
    event_kind: str | None = None
    min_points: Decimal | None = None
    is_na_allowed: bool = False


def add_criterion(actor: User, set_id: int, data: CriterionInput) -> Criterion:
    """Add a row to a draft set's tree: a field (no parent), a criterion or a component.
    A row is a leaf while it has no children; its method says how a leaf is scored."""
    s = _draft_set(actor, set_id)
    parent = None
    if data.parent_id is not None:
        parent = db.session.get(Criterion, data.parent_id)
        if parent is None or parent.set_id != s.id:
            raise RuleViolation(_l("Choose a parent from the list."), "parent_id")
        if _depth(parent) + 1 > MAX_DEPTH:
            raise RuleViolation(_l("A tree has at most three levels: field, criterion, "
                                   "component."), "parent_id")
    code = _text(data.code, "code", 32)
    if db.session.scalar(select(Criterion.id).where(Criterion.set_id == s.id,
                                                    Criterion.code == code)):
        raise RuleViolation(_l("The code %(code)s is already used in this set.", code=code), "code")
    title = _text(data.title, "title", 1000)
    if data.max_points is None or data.max_points <= 0:
        raise RuleViolation(_l("Enter the maximum points (more than 0)."), "max_points")
    _points(data.max_points, "max_points", Decimal(s.max_points))
    if data.method not in [m.value for m in Method]:
        raise RuleViolation(_l("Choose how the criterion is scored."), "method")
    params = method_params(data, parent)
    kind = params["plan_kind"]
    position = (db.session.scalar(select(func.max(Criterion.position)).where(
        Criterion.set_id == s.id)) or 0) + 1
    row = Criterion(set_id=s.id, parent_id=parent.id if parent else None, code=code, title=title,
                    max_points=data.max_points, method=data.method,
                    is_evidence_required=bool(data.is_evidence_required), position=position,
                    **params)
    db.session.add(row)
    db.session.flush()
    audit.record(actor.id, "quality.criterion_add", "criterion", row.id,
                 {"set": [None, s.id], "code": [None, code], "title": [None, title],
                  "max_points": [None, data.max_points], "method": [None, data.method],
                  "plan_kind": [None, kind]}
                 | {k: [None, v] for k, v in params.items() if k != "plan_kind" and v})
    return row


# The methods that read the unit's tasks (and so take the filters).
READS_TASKS = (Method.TASKS, Method.TARGETS, Method.STEPPED, Method.DEDUCTION)


def method_params(data: CriterionInput, parent: Criterion | None) -> dict:
    """The parameters of a leaf's method, checked (each refusal names its field); the
    parameters of other methods are dropped. The columns of `Criterion` they fill."""
    method = data.method
    reads = method in READS_TASKS and not (method == Method.DEDUCTION
                                           and data.event_kind == Event.ENTERED)
    kind = data.plan_kind or None
    if kind is not None and (not reads or kind not in [k.value for k in PlanKind]):
        raise RuleViolation(_l("A plan kind applies only to a criterion counted from the "
                               "unit's tasks."), "plan_kind")
    field_id = data.field_id or None
    if field_id is not None and (not reads or db.session.get(Field, field_id) is None):
        raise RuleViolation(_l("Choose a field from the list; it applies only to a criterion "
                               "counted from the unit's tasks."), "field_id")
    if data.is_key_only and not reads:
        raise RuleViolation(_l("Key tasks only applies to a criterion counted from the unit's "
                               "tasks."), "is_key_only")
    if data.is_na_allowed and method != Method.MANUAL:
        raise RuleViolation(_l("Only a self-assessed criterion can be declared not applicable "
                               "by the unit (the tracker's criteria know it themselves)."),
                            "is_na_allowed")
    out = {"plan_kind": kind, "field_id": field_id, "is_key_only": bool(data.is_key_only),
           "basis": None, "steps": None, "per_event": None, "event_kind": None,
           "min_points": None, "is_na_allowed": bool(data.is_na_allowed)}
    most = Decimal(data.max_points)
    if method == Method.STEPPED:
        basis = data.basis or Basis.TASKS
        if basis not in [b.value for b in Basis]:
            raise RuleViolation(_l("Choose what the steps are applied to."), "basis")
        try:
            steps = parse_steps(data.steps or "")
        except ValueError:
            raise RuleViolation(_l("Write the steps as “from %: points”, separated by “;”, "
                                   "for example 90: 10; 70: 5; 0: 0 (percent from 0 to 100)."),
                                "steps") from None
        if any(p > most for _f, p in steps):
            raise RuleViolation(_l("A step gives at most the criterion's maximum (%(n)s "
                                   "points).", n=_plain(most)), "steps")
        out |= {"basis": basis, "steps": format_steps(steps)}
    elif method == Method.DEDUCTION:
        if data.event_kind not in [e.value for e in Event]:
            raise RuleViolation(_l("Choose what is counted."), "event_kind")
        if data.per_event is None or data.per_event <= 0:
            raise RuleViolation(_l("Enter the points deducted per event (more than 0)."),
                                "per_event")
        _points(data.per_event, "per_event", most)
        floor = Decimal(0) if data.min_points is None else data.min_points
        _points(floor, "min_points", most)
        if floor >= most:
            raise RuleViolation(_l("The floor must be below the maximum."), "min_points")
        out |= {"event_kind": data.event_kind, "per_event": data.per_event, "min_points": floor}
    elif method == Method.BONUS and parent is not None:
        raise RuleViolation(_l("A bonus is a row of its own at the top: its points are on top "
                               "of the set's maximum."), "parent_id")
    return out


def _depth(c: Criterion) -> int:
    depth = 1
    while c.parent_id is not None:
        c = db.session.get(Criterion, c.parent_id)
        depth += 1
    return depth


def delete_criterion(actor: User, set_id: int, criterion_id: int) -> None:
    """Remove a row without children from a draft set."""
    s = _draft_set(actor, set_id)
    row = db.session.get(Criterion, criterion_id)
    if row is None or row.set_id != s.id:
        raise NotFound()
    if db.session.scalar(select(Criterion.id).where(Criterion.parent_id == row.id).limit(1)):
        raise RuleViolation(_l("Remove its sub-criteria first."))
    audit.record(actor.id, "quality.criterion_delete", "criterion", row.id,
                 {"code": [row.code, None], "title": [row.title, None]})
    db.session.delete(row)
    db.session.flush()


def publish_set(actor: User, set_id: int) -> int:
    """Publish a draft set: its tree is frozen, and every active unit of its group gets a
    sheet with one score row per leaf (two INSERT ... SELECT). Refused while the maxima do
    not add up (the message names the branch). Returns the number of sheets."""
    s = _draft_set(actor, set_id)
    nodes = queries.nodes(s.id)
    if not any(n.is_leaf for n in nodes):
        raise RuleViolation(_l("Add the criteria before publishing the set."))
    errors = sum_errors(nodes, Decimal(s.max_points))
    if errors:
        messages = []
        for code, stated, found in errors:
            if code:
                messages.append(RuleViolation(_l(
                    "Criterion %(code)s has %(stated)s points, but its sub-criteria add up to "
                    "%(found)s.", code=code, stated=_plain(stated), found=_plain(found))))
            else:
                messages.append(RuleViolation(_l(
                    "The set has %(stated)s points, but its fields add up to %(found)s.",
                    stated=_plain(stated), found=_plain(found))))
        raise RuleViolations(messages)
    kinds = UNIT_GROUPS[s.unit_group]
    db.session.execute(insert(QualitySheet).from_select(
        ["set_id", "unit_id", "status", "version"],
        select(literal(s.id), Unit.id, literal(SheetStatus.OPEN.value), literal(1))
        .where(Unit.is_active, Unit.kind.in_(kinds))))
    leaves = [n.key for n in nodes if n.is_leaf]
    db.session.execute(insert(QualityScore).from_select(
        ["sheet_id", "criterion_id", "is_applicable"],
        select(QualitySheet.id, Criterion.id, literal(True))
        .join(Criterion, Criterion.set_id == QualitySheet.set_id)
        .where(QualitySheet.set_id == s.id, Criterion.id.in_(leaves))))
    count = db.session.scalar(select(func.count(QualitySheet.id)).where(QualitySheet.set_id == s.id))
    s.status = SetStatus.PUBLISHED
    s.published_at = utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.set_publish", "indicator_set", s.id,
                 {"status": [SetStatus.DRAFT.value, SetStatus.PUBLISHED.value],
                  "sheets": [None, count]})
    return count


# ---- a unit's sheet ----------------------------------------------------------------

def _sheet(actor: User, sheet_id: int) -> tuple[QualitySheet, IndicatorSet]:
    """The sheet, when the actor may read it (NotFound otherwise: out of scope)."""
    sheet = db.session.get(QualitySheet, sheet_id)
    if sheet is None or not queries.may_read_sheet(actor, sheet):
        raise NotFound()
    return sheet, db.session.get(IndicatorSet, sheet.set_id)


def _require_appraiser(actor: User, sheet: QualitySheet) -> None:
    """An assessor with no post in the sheet's unit (queries.may_appraise)."""
    if not queries.may_appraise(actor, sheet):
        raise PermissionDenied()


def _require_unit_head(actor: User, sheet: QualitySheet) -> None:
    """The head of the sheet's unit (DESIGN.md 8: the head approves and submits)."""
    if not (actor.role == Role.HEAD and actor.unit_id == sheet.unit_id):
        raise PermissionDenied()


def _require_open(sheet: QualitySheet, s: IndicatorSet) -> None:
    if s.status != SetStatus.PUBLISHED or sheet.status != SheetStatus.OPEN:
        raise RuleViolation(_l("The sheet has been submitted: the unit can no longer change it."))


def _leaf(s: IndicatorSet, criterion_id: int) -> Criterion:
    c = db.session.get(Criterion, criterion_id)
    if c is None or c.set_id != s.id or db.session.scalar(
            select(Criterion.id).where(Criterion.parent_id == c.id).limit(1)):
        raise NotFound()
    return c


def _score(sheet: QualitySheet, c: Criterion) -> QualityScore:
    row = db.session.scalar(select(QualityScore).where(QualityScore.sheet_id == sheet.id,
                                                       QualityScore.criterion_id == c.id))
    if row is None:
        raise NotFound()
    return row


def store_evidence(actor: User, score: QualityScore | None, uploads: list, files: Files,
                   explanation_id: int | None = None) -> list:
    """Evidence files of a score (or, `score` None, of an explanation's answer), checked by
    content and stored by task evidence's own loop (app/tasks/evidence.write_checked);
    nothing is written if one is refused."""
    if not uploads:
        return []
    evidence_files.check_count(uploads, files)
    score_id = score.id if score is not None else None
    rows = evidence_files.write_checked(uploads, files, lambda name, stored, ctype, size: QualityEvidence(
        score_id=score_id, explanation_id=explanation_id, original_name=name,
        stored_name=stored, content_type=ctype, size_bytes=size, uploaded_by_id=actor.id))
    for ev in rows:
        audit.record(actor.id, "quality.evidence_add", "quality_evidence", ev.id,
                     {"file": [None, ev.original_name], "score": [None, score_id]}
                     | ({"explanation": [None, explanation_id]} if explanation_id else {}))
    return rows


@dataclass
class SelfScoreInput:
    points: Decimal | None
    note: str
    uploads: list
    # A deduction entered with evidence: the number of events the unit declares.
    events: int | None = None
    # A manual criterion the set lets the unit declare not applicable (a reason required).
    not_applicable: bool = False
    # Evidence given as a document: its number and date (both or neither).
    doc_no: str = ""
    doc_on: date | None = None


def save_self_score(actor: User, sheet_id: int, criterion_id: int, data: SelfScoreInput,
                    files: Files, today: date | None = None) -> QualityScore:
    """The unit's own score of a manual criterion, with an explanation and evidence files.
    Only the unit's head, only a manual leaf, only while the sheet is open; a criterion
    requiring evidence is refused without any. Saving approves a staff draft; refused
    outside the entry window (app/quality/flow.py)."""
    from app.quality import flow

    sheet, s = _sheet(actor, sheet_id)
    _require_unit_head(actor, sheet)
    _require_open(sheet, s)
    flow.require_entry(s, today)
    c = _leaf(s, criterion_id)
    if data.not_applicable:
        return declare_not_applicable(actor, sheet, c, data.note)
    points, events = self_figure(c, data)
    note = _text(data.note, "note", 4000, required=False)
    doc_no, doc_on = evidence_document(data.doc_no, data.doc_on, today)
    row = _score(sheet, c)
    row.is_applicable = True
    store_evidence(actor, row, data.uploads, files)
    if c.is_evidence_required and doc_no is None and not db.session.scalar(
            select(QualityEvidence.id).where(QualityEvidence.score_id == row.id).limit(1)):
        raise RuleViolation(_l("This criterion requires evidence: attach a file, or give a "
                               "document's number and date."), "files")
    before = {"self_points": row.self_points, "self_note": row.self_note,
              "event_count": row.event_count, "evidence_doc_no": row.evidence_doc_no,
              "evidence_doc_on": row.evidence_doc_on}
    row.self_points = points
    row.self_note = note
    row.event_count = events if events is not None else row.event_count
    row.evidence_doc_no, row.evidence_doc_on = doc_no, doc_on
    row.self_by_id = actor.id
    row.self_at = utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.self_score", "quality_score", row.id,
                 audit.diff(before, {"self_points": points, "self_note": note,
                                     "event_count": row.event_count,
                                     "evidence_doc_no": doc_no, "evidence_doc_on": doc_on})
                 | {"sheet": [None, sheet.id], "criterion": [None, c.code]})
    return row


MAX_EVENTS = 10_000


def declare_not_applicable(actor: User, sheet: QualitySheet, c: Criterion,
                           reason: str) -> QualityScore:
    """The unit declares a manual criterion not applicable to it (e.g. no administrative
    procedure to handle): only where the set allows it, with the reason; the criterion
    leaves the unit's total, which is rescaled. The assessor may overrule by appraising
    points (audited)."""
    if not c.is_na_allowed or c.method != Method.MANUAL:
        raise RuleViolation(_l("This criterion cannot be declared not applicable."),
                            "not_applicable")
    why = _text(reason, "note", 4000, required=False)
    if not why:
        raise RuleViolation(_l("Explain why the criterion does not apply to the unit."), "note")
    row = _score(sheet, c)
    before = {"is_applicable": row.is_applicable, "self_points": row.self_points,
              "self_note": row.self_note}
    row.is_applicable = False
    row.self_points = None
    row.self_note = why
    row.self_by_id = actor.id
    row.self_at = utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.self_score", "quality_score", row.id,
                 audit.diff(before, {"is_applicable": False, "self_points": None,
                                     "self_note": why})
                 | {"sheet": [None, sheet.id], "criterion": [None, c.code]})
    return row


def self_figure(c: Criterion, data: SelfScoreInput) -> tuple[Decimal, int | None]:
    """What the unit may enter on a leaf, checked: a manual score (0..max), a bonus
    (clipped at its cap: the page warns), or the count of declared events of a deduction
    (its points follow). The tracker's figures cannot be entered."""
    if c.method == Method.MANUAL:
        return _points(data.points, "points", Decimal(c.max_points)), None
    if c.method == Method.BONUS:
        if data.points is not None and data.points.is_finite() and data.points > c.max_points:
            data = SelfScoreInput(clip_bonus(data.points, Decimal(c.max_points))[0], data.note,
                                  data.uploads, data.events)
        return _points(data.points, "points", Decimal(c.max_points)), None
    if c.method == Method.DEDUCTION and c.event_kind == Event.ENTERED:
        n = data.events
        if n is None:
            raise RuleViolation(_l("Enter the number of events (0 when there were none)."),
                                "events")
        if not 0 <= n <= MAX_EVENTS:
            raise RuleViolation(_l("Enter a number of events from 0 to %(n)s.", n=MAX_EVENTS),
                                "events")
        return deduction_points(Decimal(c.max_points), Decimal(c.per_event or 0), n,
                                Decimal(c.min_points or 0)), n
    raise RuleViolation(_l("This criterion is scored automatically from the tracker: it "
                        "cannot be entered."), "points")


def freeze_auto(sheet: QualitySheet, s: IndicatorSet, as_of: date, today: date,
                scoring: ScoringSettings) -> None:
    """Compute the automatic figures of one sheet as of `as_of` and store them (one UPDATE
    per from-tasks leaf of this unit)."""
    figures = queries.auto_figures(s, [sheet.unit_id], as_of, today, scoring)
    declared = {c.id for c in db.session.scalars(select(Criterion).where(
        Criterion.set_id == s.id, Criterion.method == Method.DEDUCTION,
        Criterion.event_kind == Event.ENTERED))}
    for (_unit, criterion_id), figure in figures.items():
        db.session.execute(update(QualityScore).where(
            QualityScore.sheet_id == sheet.id, QualityScore.criterion_id == criterion_id)
            .values(auto_points=figure.points, event_count=figure.events,
                    is_applicable=figure.points is not None or criterion_id in declared))
    sheet.auto_as_of = as_of


def judged_as_of(s: IndicatorSet) -> date:
    """The day a set's automatic figures are judged on (DESIGN.md 8: at the cut-off): the
    entry window's cut-off, or the year's last day when there is no window or it is later.
    Never the day a unit chooses to submit (red team, session 7)."""
    year_end = date(s.year, 12, 31)
    return min(s.entry_closes_on, year_end) if s.entry_closes_on is not None else year_end


def settle_auto(sheet: QualitySheet, s: IndicatorSet, today: date,
                scoring: ScoringSettings) -> date | None:
    """Judge a submitted sheet's automatic figures again when they were frozen before the
    day they are judged on (`judged_as_of`) and that day, or a later one, has come: as of
    min(today, judged_as_of). Returns the new as-of day, None when nothing changed."""
    as_of = min(today, judged_as_of(s))
    if sheet.auto_as_of is not None and sheet.auto_as_of >= as_of:
        return None
    freeze_auto(sheet, s, as_of, today, scoring)
    return as_of


def submit_sheet(actor: User, sheet_id: int, today: date, scoring: ScoringSettings) -> QualitySheet:
    """The head approves and submits: the automatic figures are frozen as of today (or the
    year's last day when that is earlier), and the sheet becomes read-only to the unit.
    Submitting early does not choose the day they are judged on: they are judged again as of
    the cut-off (flow.freeze_at_cutoff) or when the assessor finalizes (`settle_auto`).
    Refused while a manual criterion has no score (the message names them), and outside
    the entry window."""
    from app.quality import flow

    sheet, s = _sheet(actor, sheet_id)
    _require_unit_head(actor, sheet)
    _require_open(sheet, s)
    flow.require_entry(s, today)
    missing = db.session.scalars(
        select(Criterion.code).join(QualityScore, QualityScore.criterion_id == Criterion.id)
        .where(QualityScore.sheet_id == sheet.id, Criterion.method == Method.MANUAL,
               QualityScore.self_points.is_(None), QualityScore.is_applicable)
        .order_by(Criterion.position)).all()
    missing += undeclared(sheet.id)
    if missing:
        raise RuleViolation(_l("Score every manual criterion before submitting: %(codes)s.",
                               codes=", ".join(missing)))
    as_of = min(today, date(s.year, 12, 31))
    freeze_auto(sheet, s, as_of, today, scoring)
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = utcnow()
    sheet.submitted_by_id = actor.id
    db.session.flush()
    audit.record(actor.id, "quality.sheet_submit", "quality_sheet", sheet.id,
                 {"status": [SheetStatus.OPEN.value, SheetStatus.SUBMITTED.value],
                  "auto_as_of": [None, str(as_of)]})
    return sheet


def undeclared(sheet_id: int) -> list[str]:
    """The codes of the deductions entered with evidence whose count the unit has not
    entered yet (submission waits for them, as for a manual score)."""
    return list(db.session.scalars(
        select(Criterion.code).join(QualityScore, QualityScore.criterion_id == Criterion.id)
        .where(QualityScore.sheet_id == sheet_id, Criterion.method == Method.DEDUCTION,
               Criterion.event_kind == Event.ENTERED, QualityScore.event_count.is_(None))
        .order_by(Criterion.position)))


@dataclass
class AppraisalInput:
    points: Decimal | None
    reason: str


def appraise_score(actor: User, sheet_id: int, criterion_id: int,
                   data: AppraisalInput) -> QualityScore:
    """The assessor's figure for one criterion of a submitted sheet: accepting the unit's
    figure, or changing it with a reason (audited with both figures). A sheet left open
    at the cut-off is appraised too, once its automatic figures are frozen."""
    from app.quality import flow

    _require_assessor(actor)
    sheet, s = _sheet(actor, sheet_id)
    _require_appraiser(actor, sheet)
    if not flow.appraisable(sheet, s):
        raise RuleViolation(_l("Only a submitted sheet can be appraised."))
    c = _leaf(s, criterion_id)
    row = _score(sheet, c)
    points = _points(data.points, "points", Decimal(c.max_points))
    figure = row.auto_points if c.method in AUTOMATIC else row.self_points
    reason = _text(data.reason, "reason", 4000, required=False)
    if (figure is None or Decimal(figure) != points) and not reason:
        raise RuleViolation(_l("Give the reason for changing the unit's figure."), "reason")
    before = {"appraised_points": row.appraised_points, "appraisal_note": row.appraisal_note,
              "is_applicable": row.is_applicable}
    if not row.is_applicable and c.method == Method.MANUAL:
        # Overruling the unit's "not applicable": the criterion counts again, with a reason.
        if not reason:
            raise RuleViolation(_l("Give the reason for scoring a criterion the unit declared "
                                   "not applicable."), "reason")
        row.is_applicable = True
    row.appraised_points = points
    row.appraisal_note = reason
    row.appraised_by_id = actor.id
    row.appraised_at = utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.appraise", "quality_score", row.id,
                 audit.diff(before, {"appraised_points": points, "appraisal_note": reason,
                                     "is_applicable": row.is_applicable})
                 | {"unit_figure": [None, figure], "sheet": [None, sheet.id],
                    "criterion": [None, c.code]}, comment=reason)
    return row


def return_sheet(actor: User, sheet_id: int, reason: str, today: date | None = None) -> QualitySheet:
    """The assessor sends a submitted sheet back to the unit, with a reason; its automatic
    figures count live again until it is submitted anew. After the cut-off the window must
    be extended first (the unit could change nothing)."""
    from app.quality import flow

    _require_assessor(actor)
    sheet, s = _sheet(actor, sheet_id)
    _require_appraiser(actor, sheet)
    if sheet.status != SheetStatus.SUBMITTED or s.status != SetStatus.PUBLISHED:
        raise RuleViolation(_l("Only a submitted sheet can be sent back."))
    flow.require_returnable(s, today)
    why = _text(reason, "reason", 2000)
    sheet.status = SheetStatus.OPEN
    sheet.auto_as_of = None
    db.session.flush()
    audit.record(actor.id, "quality.sheet_return", "quality_sheet", sheet.id,
                 {"status": [SheetStatus.SUBMITTED.value, SheetStatus.OPEN.value]}, comment=why)
    return sheet


def finalize_sheet(actor: User, sheet_id: int, today: date | None = None,
                   scoring: ScoringSettings | None = None) -> QualitySheet:
    """The assessor finalizes a submitted sheet: every criterion not appraised takes the
    unit's figure (one UPDATE), and the sheet is appraised. Refused while an explanation
    is still awaited (before its deadline, unanswered). With `today` and `scoring`, automatic
    figures frozen at an early submission are first judged as of the cut-off, or today if
    it has not come (`settle_auto`), so the unit's choice of day does not stand."""
    from app.quality import flow

    _require_assessor(actor)
    sheet, s = _sheet(actor, sheet_id)
    _require_appraiser(actor, sheet)
    if not flow.appraisable(sheet, s):
        raise RuleViolation(_l("Only a submitted sheet can be appraised."))
    flow.require_no_pending(sheet.id, today)
    was = sheet.status
    settled = (settle_auto(sheet, s, today, scoring)
               if today is not None and scoring is not None else None)
    figure = (select(queries.unit_figure_sql())
              .where(Criterion.id == QualityScore.criterion_id).scalar_subquery())
    db.session.execute(update(QualityScore).where(
        QualityScore.sheet_id == sheet.id, QualityScore.appraised_points.is_(None),
        QualityScore.is_applicable).values(appraised_points=figure, appraised_by_id=actor.id,
                                           appraised_at=utcnow()))
    sheet.status = SheetStatus.APPRAISED
    sheet.appraised_at = utcnow()
    sheet.appraised_by_id = actor.id
    db.session.flush()
    store_deputy_fields(sheet)
    audit.record(actor.id, "quality.sheet_finalize", "quality_sheet", sheet.id,
                 {"status": [str(was), SheetStatus.APPRAISED.value]}
                 | ({"auto_as_of": [None, str(settled)]} if settled else {}))
    return sheet


def store_deputy_fields(sheet: QualitySheet) -> None:
    """Keep with a sheet being finalized the fields each deputy of its unit is in charge of
    now (one INSERT ... SELECT): her result of the decided sheet is read from them, so a later
    change of her fields cannot change it (docs/integrity.md)."""
    db.session.execute(delete(quality_sheet_fields)
                       .where(quality_sheet_fields.c.sheet_id == sheet.id))
    db.session.execute(insert(quality_sheet_fields).from_select(
        ["sheet_id", "user_id", "field_id"],
        select(literal(sheet.id), user_fields.c.user_id, user_fields.c.field_id)
        .join(User, User.id == user_fields.c.user_id)
        .where(User.unit_id == sheet.unit_id, User.role == Role.DEPUTY)))


@dataclass
class PublishInput:
    decision_no: str
    decision_on: date | None


def publish_results(actor: User, set_id: int, data: PublishInput, today: date) -> IndicatorSet:
    """Record the competent authority's decision and publish the ranking: every sheet must
    be appraised (the message names those that are not); sheets and set are then locked."""
    _require_assessor(actor)
    s = db.session.get(IndicatorSet, set_id)
    if s is None:
        raise NotFound()
    if s.status != SetStatus.PUBLISHED:
        raise RuleViolation(_l("The results of this set cannot be published now."))
    number = _text(data.decision_no, "decision_no", 64)
    if data.decision_on is None:
        raise RuleViolation(_l("Enter the date of the decision (dd/mm/yyyy)."), "decision_on")
    if data.decision_on > today:
        raise RuleViolation(_l("The date of the decision cannot be after today."), "decision_on")
    pending = db.session.scalars(
        select(Unit.code).join(QualitySheet, QualitySheet.unit_id == Unit.id)
        .where(QualitySheet.set_id == s.id, QualitySheet.status != SheetStatus.APPRAISED)
        .order_by(Unit.code)).all()
    if pending:
        raise RuleViolation(_l("Appraise every unit before publishing; not yet: %(units)s.",
                               units=", ".join(pending[:20])))
    db.session.execute(update(QualitySheet).where(QualitySheet.set_id == s.id)
                       .values(status=SheetStatus.PUBLISHED, version=QualitySheet.version + 1))
    s.status = SetStatus.LOCKED
    s.decision_no = number
    s.decision_on = data.decision_on
    s.results_published_at = utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.results_publish", "indicator_set", s.id,
                 {"status": [SetStatus.PUBLISHED.value, SetStatus.LOCKED.value],
                  "decision_no": [None, number], "decision_on": [None, str(data.decision_on)]})
    return s

