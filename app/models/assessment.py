"""Frozen assessment runs: the settings in force and every input row, kept as they were."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class AssessmentRun(db.Model):
    """One freeze of a period. Freezing again makes a new version; old ones stay readable."""

    __tablename__ = "assessment_runs"
    __table_args__ = (UniqueConstraint("period", "scope_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date]
    period_end: Mapped[date]
    as_of: Mapped[date]
    # "all", or the code of the unit whose subtree was assessed.
    scope_key: Mapped[str] = mapped_column(String(40), default="all")
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    version: Mapped[int] = mapped_column(default=1)
    settings: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class _Figures:
    tasks: Mapped[int] = mapped_column(default=0)
    fallen_due: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    within: Mapped[int] = mapped_column(default=0)
    excluded: Mapped[int] = mapped_column(default=0)
    weight_due: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    completion_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    on_time_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    grade: Mapped[str] = mapped_column(String(16))
    extensions: Mapped[int] = mapped_column(default=0)
    amendments: Mapped[int] = mapped_column(default=0)
    # Tasks added after issue (bổ sung) in the set; NULL in runs frozen before 0023_additions,
    # which did not count them (shown "—", never a made-up 0).
    additions: Mapped[int | None]
    cancellations: Mapped[int] = mapped_column(default=0)
    # The competent authority's final grade (DESIGN.md 5: the grading is a human decision),
    # recorded by the assessor beside the computed one. No foreign key on final_by_id:
    # SQLite cannot add one to an existing table without rebuilding it (migration 0006).
    final_grade: Mapped[str | None] = mapped_column(String(16))
    final_decision_no: Mapped[str] = mapped_column(String(64), default="")
    final_decision_on: Mapped[date | None]
    final_reason: Mapped[str] = mapped_column(Text, default="")
    final_by_id: Mapped[int | None]
    final_at: Mapped[datetime | None]


class AssessmentUnitRow(_Figures, db.Model):
    __tablename__ = "assessment_unit_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_name: Mapped[str] = mapped_column(String(255))
    unit_path: Mapped[str] = mapped_column(String(512))
    # The unit's kind when frozen: the quota is checked per group of units of one kind.
    unit_kind: Mapped[str] = mapped_column(String(32), default="")


class AssessmentLeaderRow(_Figures, db.Model):
    __tablename__ = "assessment_leader_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(32))


class AssessmentTaskRow(db.Model):
    """One task as it stood: the input of every figure of the run."""

    __tablename__ = "assessment_task_rows"
    __table_args__ = (Index("ix_assessment_task_rows_run_unit", "run_id", "unit_id"),
                      Index("ix_assessment_task_rows_run_leader", "run_id", "leader_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_code: Mapped[str] = mapped_column(String(32))
    stt: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    assignee_name: Mapped[str] = mapped_column(String(255), default="")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    leader_name: Mapped[str] = mapped_column(String(255), default="")
    due_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    # The counted weights (a sub-task shares its parent's weight with the siblings that
    # replace the parent for the same lead unit, or the same leader: docs/integrity.md):
    # what the unit's and the leader's figures counted. `credit` is the unit's,
    # `leader_credit` the leader's. Runs frozen before 0021 hold the typed weight.
    unit_weight: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    leader_weight: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    credit: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    leader_credit: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    extensions: Mapped[int] = mapped_column(default=0)
    amendments: Mapped[int] = mapped_column(default=0)
    # Added to its plan after issue (bổ sung); NULL in runs frozen before 0023_additions.
    added_after_issue: Mapped[bool | None]
    # A completion date imported into a draft plan rather than confirmed (DESIGN.md 4).
    is_imported: Mapped[bool] = mapped_column(default=False)
    # Each piece of work counts once (DESIGN.md 5): a parent is scored for its lead unit
    # (leader) only when that unit (leader) holds none of its sub-tasks.
    counts_for_unit: Mapped[bool] = mapped_column(default=True)
    counts_for_leader: Mapped[bool] = mapped_column(default=True)
