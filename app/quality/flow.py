"""Quality of operation (DESIGN.md 8): the workflow around a unit's sheet — the entry
window with its cut-off, staff drafts awaiting the head, the explanation round, and each
figure's history.

Why the scored cannot bend it:
- the window is the server's: before it opens a unit cannot start, after the cut-off it
  cannot change its self-assessment nor submit; only the assessor moves the cut-off (later
  only, audited);
- at the cut-off the automatic figures of every sheet still open are computed and frozen
  (the scheduler's tick, or the assessor's next action), set-based;
- staff and deputies only save drafts; the head's own save is the approval, and only the
  head submits;
- an explanation is asked by the assessor and answered once by the unit's head, before its
  deadline; the appraisal cannot be finalized while one is still awaiting its answer.
Every change is audited. Use cases flush; the boundary commits."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from app.common import audit
from app.common.errors import NotFound, PermissionDenied, RuleViolation
from app.deadlines.sweep import notify
from app.domain.quality import Event, Method, SetStatus, SheetStatus
from app.domain.scoring import ScoringSettings
from app.extensions import db
from app.models import (
    AuditLog,
    Criterion,
    IndicatorSet,
    QualityEvidence,
    QualityExplanation,
    QualityScore,
    QualitySheet,
    Role,
    User,
)
from app.models.base import utcnow
from app.quality import commands, queries
from app.settings import Files


def _vn(d: date) -> str:
    return d.strftime("%d/%m/%Y")


# ---- the entry window --------------------------------------------------------------

class Window(StrEnum):
    NONE = "none"          # no window set: open while the set is published
    NOT_OPEN = "not_open"  # before the first day
    OPEN = "open"
    CLOSED = "closed"      # after the cut-off


def window(s: IndicatorSet, today: date) -> Window:
    if s.entry_opens_on is None or s.entry_closes_on is None:
        return Window.NONE
    if today < s.entry_opens_on:
        return Window.NOT_OPEN
    if today > s.entry_closes_on:
        return Window.CLOSED
    return Window.OPEN


def require_entry(s: IndicatorSet, today: date | None) -> None:
    """Refuse a unit's change outside the entry window (server-enforced)."""
    if s.entry_opens_on is None or s.entry_closes_on is None:
        return
    if today is None:
        raise ValueError("today is required once the set has an entry window")
    state = window(s, today)
    if state == Window.NOT_OPEN:
        raise RuleViolation(_l("Self-assessment opens on %(date)s: the sheet cannot be started "
                               "before.", date=_vn(s.entry_opens_on)))
    if state == Window.CLOSED:
        raise RuleViolation(_l("Self-assessment closed on %(date)s (the cut-off): the unit can "
                               "no longer change its sheet or submit it.",
                               date=_vn(s.entry_closes_on)))


@dataclass
class WindowInput:
    opens_on: date | None
    closes_on: date | None


def set_window(actor: User, set_id: int, data: WindowInput, today: date) -> IndicatorSet:
    """The assessor opens the entry window of a published set, or extends its cut-off.
    Once the window has opened the cut-off can only be moved later; an extension after the
    figures were frozen lets the sheets still open count live again until the new cut-off."""
    if not actor.has_role(Role.ASSESSOR):
        raise PermissionDenied()
    s = db.session.get(IndicatorSet, set_id)
    if s is None:
        raise NotFound()
    if s.status != SetStatus.PUBLISHED:
        raise RuleViolation(_l("The entry window can be set only on a published set whose "
                               "results are not published."))
    if data.opens_on is None:
        raise RuleViolation(_l("Enter the first day (dd/mm/yyyy)."), "opens_on")
    if data.closes_on is None:
        raise RuleViolation(_l("Enter the cut-off date (dd/mm/yyyy)."), "closes_on")
    if data.closes_on < data.opens_on:
        raise RuleViolation(_l("The cut-off cannot be before the first day."), "closes_on")
    started = s.entry_opens_on is not None and today >= s.entry_opens_on
    if started and data.opens_on != s.entry_opens_on:
        raise RuleViolation(_l("The window has opened: its first day can no longer change."),
                            "opens_on")
    if started and data.closes_on < s.entry_closes_on:
        raise RuleViolation(_l("The window has opened: the cut-off can only be extended (not "
                               "before %(date)s).", date=_vn(s.entry_closes_on)), "closes_on")
    if data.closes_on < today and (s.entry_closes_on is None or data.closes_on != s.entry_closes_on):
        raise RuleViolation(_l("The cut-off cannot be in the past."), "closes_on")
    before = {"entry_opens_on": s.entry_opens_on, "entry_closes_on": s.entry_closes_on}
    if s.cutoff_frozen_at is not None and data.closes_on > s.entry_closes_on:
        # Extended after the freeze: the sheets still open count live again.
        db.session.execute(update(QualitySheet).where(
            QualitySheet.set_id == s.id, QualitySheet.status == SheetStatus.OPEN)
            .values(auto_as_of=None, version=QualitySheet.version + 1))
        s.cutoff_frozen_at = None
    s.entry_opens_on, s.entry_closes_on = data.opens_on, data.closes_on
    db.session.flush()
    action = "quality.window_extend" if before["entry_closes_on"] else "quality.window_open"
    audit.record(actor.id, action, "indicator_set", s.id,
                 audit.diff(before, {"entry_opens_on": data.opens_on,
                                     "entry_closes_on": data.closes_on}))
    return s


def freeze_at_cutoff(s: IndicatorSet, today: date, scoring: ScoringSettings) -> int:
    """Once the cut-off has passed, compute the automatic figures of every sheet still open,
    or submitted before the cut-off, as of the cut-off and store them (one GROUP BY per plan kind for all the units, one
    executemany UPDATE). Idempotent; returns the number of sheets frozen."""
    if (s.status != SetStatus.PUBLISHED or s.entry_closes_on is None
            or today <= s.entry_closes_on or s.cutoff_frozen_at is not None):
        return 0
    as_of = commands.judged_as_of(s)
    # The sheets still open, and those submitted before the cut-off: the day a head chose to
    # submit is not the day her unit is judged on (red team, session 7).
    open_sheets = dict(db.session.execute(select(QualitySheet.unit_id, QualitySheet.id).where(
        QualitySheet.set_id == s.id,
        (QualitySheet.status == SheetStatus.OPEN)
        | ((QualitySheet.status == SheetStatus.SUBMITTED)
           & (QualitySheet.auto_as_of.is_(None) | (QualitySheet.auto_as_of < as_of))))).all())
    figures = queries.auto_figures(s, list(open_sheets), as_of, today, scoring)
    # A deduction the unit declares applies even before a count is declared (as at submission).
    declared = set(db.session.scalars(select(Criterion.id).where(
        Criterion.set_id == s.id, Criterion.method == Method.DEDUCTION,
        Criterion.event_kind == Event.ENTERED)))
    if figures:
        db.session.execute(
            update(QualityScore.__table__)
            .where(QualityScore.__table__.c.sheet_id == bindparam("b_sheet"),
                   QualityScore.__table__.c.criterion_id == bindparam("b_criterion"))
            .values(auto_points=bindparam("b_points"), event_count=bindparam("b_events"),
                    is_applicable=bindparam("b_applies")),
            [{"b_sheet": open_sheets[u], "b_criterion": c, "b_points": f.points,
              "b_events": f.events, "b_applies": f.points is not None or c in declared}
             for (u, c), f in figures.items()])
    if open_sheets:
        db.session.execute(update(QualitySheet).where(QualitySheet.id.in_(open_sheets.values()))
                           .values(auto_as_of=as_of, version=QualitySheet.version + 1))
    s.cutoff_frozen_at = utcnow()
    db.session.flush()
    audit.record(None, "quality.cutoff_freeze", "indicator_set", s.id,
                 {"auto_as_of": [None, str(as_of)], "sheets": [None, len(open_sheets)]})
    return len(open_sheets)


def freeze_due(today: date, scoring: ScoringSettings) -> int:
    """Freeze every set whose cut-off has passed (the scheduler's tick); sheets frozen."""
    due = db.session.scalars(select(IndicatorSet).where(
        IndicatorSet.status == SetStatus.PUBLISHED, IndicatorSet.entry_closes_on < today,
        IndicatorSet.cutoff_frozen_at.is_(None))).all()
    return sum(freeze_at_cutoff(s, today, scoring) for s in due)


def appraisable(sheet: QualitySheet, s: IndicatorSet) -> bool:
    """A submitted sheet, or one left open at the cut-off once its figures are frozen."""
    if s.status != SetStatus.PUBLISHED:
        return False
    return sheet.status == SheetStatus.SUBMITTED or (
        sheet.status == SheetStatus.OPEN and s.cutoff_frozen_at is not None)


def require_returnable(s: IndicatorSet, today: date | None) -> None:
    """A sheet sent back after the cut-off could not be changed: extend it first."""
    if today is not None and window(s, today) == Window.CLOSED:
        raise RuleViolation(_l("The entry window closed on %(date)s: extend the cut-off before "
                               "sending the sheet back.", date=_vn(s.entry_closes_on)))


# ---- staff drafts --------------------------------------------------------------------

def _unit_member(actor: User, sheet: QualitySheet) -> None:
    if actor.unit_id != sheet.unit_id or actor.role not in (Role.HEAD, Role.DEPUTY, Role.STAFF):
        raise PermissionDenied()


def save_draft(actor: User, sheet_id: int, criterion_id: int, data: "commands.SelfScoreInput",
               files: Files, today: date) -> QualityScore:
    """A draft score of a manual criterion by the unit's staff or deputy (the author and
    time recorded), with an explanation and evidence files; the head approves it by saving
    the score. Same bounds as the head's score; only while the entry window is open."""
    sheet, s = commands._sheet(actor, sheet_id)
    _unit_member(actor, sheet)
    if actor.role == Role.HEAD:
        raise PermissionDenied()
    commands._require_open(sheet, s)
    require_entry(s, today)
    c = commands._leaf(s, criterion_id)
    if c.method != Method.MANUAL:
        raise RuleViolation(_l("This criterion is scored automatically from the tracker: it "
                               "cannot be entered."), "points")
    points = commands._points(data.points, "points", Decimal(c.max_points))
    note = commands._text(data.note, "note", 4000, required=False)
    row = commands._score(sheet, c)
    commands.store_evidence(actor, row, data.uploads, files)
    before = {"draft_points": row.draft_points, "draft_note": row.draft_note}
    row.draft_points, row.draft_note = points, note
    row.draft_by_id, row.draft_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor.id, "quality.draft_score", "quality_score", row.id,
                 audit.diff(before, {"draft_points": points, "draft_note": note})
                 | {"sheet": [None, sheet.id], "criterion": [None, c.code]})
    return row


# ---- the explanation round -------------------------------------------------------------

class ExplanationStatus(StrEnum):
    AWAITING = "awaiting"   # asked, not answered, deadline not passed
    ANSWERED = "answered"
    EXPIRED = "expired"     # deadline passed without an answer


def explanation_status(e: QualityExplanation, today: date) -> ExplanationStatus:
    if e.answered_at is not None:
        return ExplanationStatus.ANSWERED
    return ExplanationStatus.EXPIRED if today > e.due_on else ExplanationStatus.AWAITING


def _heads(unit_id: int) -> list[int]:
    return list(db.session.scalars(select(User.id).where(
        User.unit_id == unit_id, User.role == Role.HEAD, User.is_active)))


@dataclass
class AskInput:
    criterion_id: int | None
    question: str
    due_on: date | None


def ask_explanation(actor: User, sheet_id: int, data: AskInput, today: date) -> QualityExplanation:
    """The assessor asks the unit to explain one criterion (or the sheet) by a deadline.
    One round: a criterion (or the sheet) is asked about once."""
    if not actor.has_role(Role.ASSESSOR):
        raise PermissionDenied()
    sheet, s = commands._sheet(actor, sheet_id)
    commands._require_appraiser(actor, sheet)
    if not appraisable(sheet, s):
        raise RuleViolation(_l("An explanation can be asked only while the sheet is being "
                               "appraised."))
    criterion = None
    if data.criterion_id is not None:
        criterion = db.session.get(Criterion, data.criterion_id)
        if criterion is None or criterion.set_id != s.id:
            raise RuleViolation(_l("Choose a criterion from the list."), "criterion_id")
    question = commands._text(data.question, "question", 4000)
    if data.due_on is None:
        raise RuleViolation(_l("Enter the deadline (dd/mm/yyyy)."), "due_on")
    if data.due_on < today:
        raise RuleViolation(_l("The deadline cannot be in the past."), "due_on")
    same = select(QualityExplanation.id).where(QualityExplanation.sheet_id == sheet.id)
    same = same.where(QualityExplanation.criterion_id == criterion.id) if criterion else \
        same.where(QualityExplanation.criterion_id.is_(None))
    if db.session.scalar(same.limit(1)):
        raise RuleViolation(_l("An explanation was already asked about this: there is one round."),
                            "criterion_id")
    e = QualityExplanation(sheet_id=sheet.id, criterion_id=criterion.id if criterion else None,
                           question=question, due_on=data.due_on, asked_by_id=actor.id)
    db.session.add(e)
    db.session.flush()
    audit.record(actor.id, "quality.explanation_ask", "quality_explanation", e.id,
                 {"sheet": [None, sheet.id], "criterion": [None, criterion.code if criterion else None],
                  "due_on": [None, str(data.due_on)]}, comment=question)
    notify(_heads(sheet.unit_id), "quality_explanation", None, f"qexp:{e.id}",
           about_on=data.due_on, quality_sheet_id=sheet.id)
    return e


@dataclass
class AnswerInput:
    answer: str
    uploads: list
    # Evidence given as a document: its number and date (both or neither).
    doc_no: str = ""
    doc_on: date | None = None


def answer_explanation(actor: User, sheet_id: int, explanation_id: int, data: AnswerInput,
                       files: Files, today: date) -> QualityExplanation:
    """The unit's head answers once, with text and files, before the deadline."""
    sheet, s = commands._sheet(actor, sheet_id)
    commands._require_unit_head(actor, sheet)
    e = db.session.get(QualityExplanation, explanation_id)
    if e is None or e.sheet_id != sheet.id:
        raise NotFound()
    if s.status != SetStatus.PUBLISHED or sheet.status not in (SheetStatus.SUBMITTED,
                                                               SheetStatus.OPEN):
        raise RuleViolation(_l("The appraisal is over: the explanation is closed."))
    if e.answered_at is not None:
        raise RuleViolation(_l("This explanation has already been answered: it is closed."))
    if today > e.due_on:
        raise RuleViolation(_l("The deadline for this explanation was %(date)s: it is closed.",
                               date=_vn(e.due_on)))
    text = commands._text(data.answer, "answer", 8000)
    doc_no, doc_on = commands.evidence_document(data.doc_no, data.doc_on, today)
    stored = _store_answer_files(actor, e, data.uploads, files)
    e.answer, e.answered_by_id, e.answered_at = text, actor.id, utcnow()
    e.answer_doc_no, e.answer_doc_on = doc_no, doc_on
    db.session.flush()
    audit.record(actor.id, "quality.explanation_answer", "quality_explanation", e.id,
                 {"answer": [None, text], "files": [None, len(stored)]}
                 | ({"document": [None, f"{doc_no} ({doc_on:%d/%m/%Y})"]} if doc_no else {}))
    notify([e.asked_by_id], "quality_answered", None, f"qans:{e.id}", about_on=e.due_on,
           quality_sheet_id=sheet.id)
    return e


def _store_answer_files(actor: User, e: QualityExplanation, uploads: list, files: Files) -> list:
    """The answer's files, checked and written as evidence is; they belong to the answer."""
    return commands.store_evidence(actor, None, uploads, files, explanation_id=e.id)


def pending_codes(sheet_id: int, today: date) -> list[str]:
    """Explanations still awaiting their answer (the appraisal cannot be finalized)."""
    rows = db.session.execute(
        select(QualityExplanation.id, Criterion.code)
        .outerjoin(Criterion, Criterion.id == QualityExplanation.criterion_id)
        .where(QualityExplanation.sheet_id == sheet_id, QualityExplanation.answered_at.is_(None),
               QualityExplanation.due_on >= today)).all()
    return [code or str(_l("the sheet")) for _id, code in rows]


def require_no_pending(sheet_id: int, today: date | None) -> None:
    if today is None:
        return
    pending = pending_codes(sheet_id, today)
    if pending:
        raise RuleViolation(_l("An explanation is still awaited (%(what)s): finalize after it "
                               "is answered or its deadline has passed.", what=", ".join(pending)))


@dataclass
class ExplanationView:
    row: QualityExplanation
    code: str | None
    status: ExplanationStatus
    files: list


def explanations(sheet_id: int, today: date) -> list[ExplanationView]:
    """The sheet's explanations with their status and answer files (two queries)."""
    rows = db.session.execute(
        select(QualityExplanation, Criterion.code)
        .outerjoin(Criterion, Criterion.id == QualityExplanation.criterion_id)
        .where(QualityExplanation.sheet_id == sheet_id).order_by(QualityExplanation.id)).all()
    files: dict[int, list] = {}
    if rows:
        for ev in db.session.scalars(select(QualityEvidence).where(
                QualityEvidence.explanation_id.in_([r[0].id for r in rows]))
                .order_by(QualityEvidence.id)):
            files.setdefault(ev.explanation_id, []).append(ev)
    return [ExplanationView(e, code, explanation_status(e, today), files.get(e.id, []))
            for e, code in rows]


# ---- history ---------------------------------------------------------------------------------

@dataclass
class HistoryRow:
    at: datetime
    action: str
    who: str | None
    changes: dict
    comment: str


SCORE_ACTIONS = ("quality.draft_score", "quality.self_score", "quality.appraise")
FINAL_ACTIONS = ("quality.sheet_finalize", "quality.results_publish")


def history(sheet_id: int) -> dict[int, list[HistoryRow]]:
    """Every figure's history on the sheet, by score id: drafts, self scores, appraisals
    (who and when, before → after), read from the audit log in one query; the final figure
    is the last appraised one."""
    import json

    scores = select(QualityScore.id).where(QualityScore.sheet_id == sheet_id)
    out: dict[int, list[HistoryRow]] = {}
    for a, name in db.session.execute(
            select(AuditLog, User.full_name).outerjoin(User, User.id == AuditLog.actor_id)
            .where(AuditLog.object_type == "quality_score", AuditLog.object_id.in_(scores),
                   AuditLog.action.in_(SCORE_ACTIONS))
            .order_by(AuditLog.at, AuditLog.id)):
        try:
            changes = json.loads(a.changes or "{}")
        except ValueError:
            changes = {}
        out.setdefault(a.object_id, []).append(HistoryRow(a.at, a.action, name, changes,
                                                          a.comment or ""))
    _final_events(sheet_id, out)
    return out


def _final_events(sheet_id: int, out: dict[int, list[HistoryRow]]) -> None:
    """The sheet's finalization and the results' publication, on every criterion with its
    final figure (finalizing fills the figures set-based, in one UPDATE, with one audit row
    for the sheet)."""
    import json

    sheet = db.session.get(QualitySheet, sheet_id)
    events = db.session.execute(
        select(AuditLog.at, AuditLog.action, User.full_name, AuditLog.changes)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(((AuditLog.object_type == "quality_sheet") & (AuditLog.object_id == sheet_id)
                & (AuditLog.action == "quality.sheet_finalize"))
               | ((AuditLog.object_type == "indicator_set") & (AuditLog.object_id == sheet.set_id)
                  & (AuditLog.action == "quality.results_publish")))
        .order_by(AuditLog.at, AuditLog.id)).all()
    if not events:
        return
    finals = dict(db.session.execute(select(QualityScore.id, QualityScore.appraised_points)
                                     .where(QualityScore.sheet_id == sheet_id)).all())
    for score_id, points in finals.items():
        for at, action, who, changes in events:
            extra = json.loads(changes or "{}") if action == "quality.results_publish" else {}
            decision = (extra.get("decision_no") or [None, None])[1]
            out.setdefault(score_id, []).append(HistoryRow(
                at, action, who, {"final_points": [None, None if points is None else str(points)]},
                decision or ""))


def draft_authors(sheet_id: int) -> dict[int, str]:
    """The name of each draft's author, by score id."""
    return dict(db.session.execute(
        select(QualityScore.id, User.full_name).join(User, User.id == QualityScore.draft_by_id)
        .where(QualityScore.sheet_id == sheet_id)).all())
