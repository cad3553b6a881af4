"""Quality of operation (DESIGN.md 8): indicator sets, their criteria tree, each unit's
scoring sheet, its scores per criterion and their evidence files."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class IndicatorSet(db.Model):
    """A province's indicator set for one year and one group of units; a new version
    supersedes a published one."""

    __tablename__ = "indicator_sets"
    __table_args__ = (UniqueConstraint("year", "unit_group", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    year: Mapped[int]
    unit_group: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    max_points: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # The competent authority's decision publishing the results (DESIGN.md 8).
    decision_no: Mapped[str | None] = mapped_column(String(64))
    decision_on: Mapped[date | None]
    results_published_at: Mapped[datetime | None]
    # The entry window for self-assessment (DESIGN.md 8): from, and the cut-off (last day).
    entry_opens_on: Mapped[date | None]
    entry_closes_on: Mapped[date | None]
    # When the automatic figures of the sheets still open were frozen at the cut-off.
    cutoff_frozen_at: Mapped[datetime | None]


class Criterion(db.Model):
    """A node of the tree (lĩnh vực → tiêu chí → tiêu chí thành phần); a leaf has a method."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_sets.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(1000))
    max_points: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    # None for a branch; a domain.quality.Method for a leaf.
    method: Mapped[str | None] = mapped_column(String(16))
    # From tasks: only the tasks of plans of this kind (None: every plan).
    plan_kind: Mapped[str | None] = mapped_column(String(16))
    # From tasks (and the ratio of a stepped criterion, the targets): only the tasks of
    # one field, only key tasks.
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    is_key_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Stepped: the ratio it reads (domain.quality.Basis) and its steps "90:10;70:5;0:0".
    basis: Mapped[str | None] = mapped_column(String(16))
    steps: Mapped[str | None] = mapped_column(String(500))
    # Deduction: points per event, what is counted (domain.quality.Event), the floor.
    per_event: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    event_kind: Mapped[str | None] = mapped_column(String(16))
    min_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # Manual: the unit may declare it not applicable (with a reason; the assessor may
    # overrule by appraising points): its total is then rescaled.
    is_na_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_evidence_required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class QualitySheet(db.Model):
    """One unit's scoring sheet in one set."""

    __tablename__ = "quality_sheets"
    __table_args__ = (UniqueConstraint("set_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_sets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The automatic figures are computed and frozen when the head submits (as of that day).
    auto_as_of: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appraised_at: Mapped[datetime | None]
    appraised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped["Unit"] = relationship(lazy="joined")  # noqa: F821

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# The fields each deputy of the sheet's unit was in charge of when the assessor finalized
# the sheet (docs/integrity.md): her result of a finalized or published sheet is read from
# here, so changing her fields afterwards does not change a decided rating.
quality_sheet_fields = Table(
    "quality_sheet_fields",
    db.metadata,
    Column("sheet_id", ForeignKey("quality_sheets.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("field_id", ForeignKey("fields.id"), primary_key=True),
)


class QualityScore(db.Model):
    """One criterion of one sheet: the automatic figure, the unit's own, the appraised one."""

    __tablename__ = "quality_scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("quality_sheets.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    auto_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # From tasks: whether the criterion applied (anything fallen due) when frozen.
    is_applicable: Mapped[bool] = mapped_column(default=True)
    # Deduction: the events declared by the unit (entered) or counted by the tracker (frozen).
    event_count: Mapped[int | None]
    self_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    self_note: Mapped[str | None] = mapped_column(Text)
    self_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    self_at: Mapped[datetime | None]
    # Evidence given as a document (its number and date), beside or instead of files.
    evidence_doc_no: Mapped[str | None] = mapped_column(String(64))
    evidence_doc_on: Mapped[date | None]
    appraised_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    appraisal_note: Mapped[str | None] = mapped_column(Text)
    appraised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appraised_at: Mapped[datetime | None]
    # A draft by the unit's staff or deputy, awaiting the head's approval.
    draft_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    draft_note: Mapped[str | None] = mapped_column(Text)
    draft_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    draft_at: Mapped[datetime | None]


class QualityExplanation(db.Model):
    """The appraiser's request for an explanation on one criterion (or the whole sheet),
    answered once by the unit before its deadline (DESIGN.md 8: one round)."""

    __tablename__ = "quality_explanations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("quality_sheets.id"), index=True)
    # None: about the whole sheet.
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criteria.id"))
    question: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    # The answer's evidence given as a document (its number and date).
    answer_doc_no: Mapped[str | None] = mapped_column(String(64))
    answer_doc_on: Mapped[date | None]


class QualityEvidence(db.Model):
    """An evidence file of one score (checked and stored as task evidence is)."""

    __tablename__ = "quality_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A score's evidence, or (score_id None) a file of an explanation's answer.
    score_id: Mapped[int | None] = mapped_column(ForeignKey("quality_scores.id"), index=True)
    explanation_id: Mapped[int | None] = mapped_column(ForeignKey("quality_explanations.id"),
                                                       index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
