"""Tasks with the six clears, their process steps, progress updates and evidence."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.quality import achievement_percent
from app.domain.six_clears import Step, TaskFacts, check_six_clears
from app.domain.status import Lifecycle, timeliness
from app.domain.text import fold, normalize_space, sort_key
from app.extensions import db
from app.models.base import utcnow
from app.models.user import LEADER_ROLES

task_coordinators = Table(
    "task_coordinators",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)

# The people the head of a coordinating unit names as its contact persons for a task (issue
# 17 §2): they see the task and may add a coordinator's note. A row counts only while its
# unit still coordinates the task (app/common/access.py joins task_coordinators), so taking a
# unit off a task takes its contacts off with it.
task_coordinator_contacts = Table(
    "task_coordinator_contacts",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
    Column("unit_id", ForeignKey("units.id"), nullable=False),
)

TITLE_LENGTH = 500
# domain.status.OPEN_STATUSES as the predicate of a partial index (listed in the order the
# SQL is written; the planner matches any order of the query's IN list).
OPEN_WHERE = "status IN ('draft', 'assigned', 'in_progress', 'submitted', 'returned')"
# A title's collation key is kept whole, not cut at 250 like a name's: plan titles often
# share a long opening ("Triển khai thực hiện Kế hoạch số ..."), and a cut key would order
# those by id. At most three digits a character plus four: 1,504 for the longest title.
TITLE_SORT_LENGTH = 3 * TITLE_LENGTH + 4


def title_sort_key(title: str) -> str:
    """The stored Vietnamese collation key of a task title (`tasks.title_sort`)."""
    return sort_key(title, TITLE_SORT_LENGTH)


def _title_sort_default(context) -> str:
    # Bulk inserts that name only the title (the importer's names both) still get the key.
    return title_sort_key(context.get_current_parameters().get("title") or "")


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_owner_due", "owner_unit_id", "due_on"),
        Index("ix_tasks_lead_due", "lead_unit_id", "due_on"),
        Index("ix_tasks_assignee_due", "assignee_id", "due_on"),
        Index("ix_tasks_leader_due", "leader_id", "due_on"),
        Index("ix_tasks_plan_order", "plan_id", "order_key"),
        Index("ix_tasks_status_due", "status", "due_on"),
        # Open tasks of a scope by due date: the overdue list, the home page's lists and
        # the timeliness filters read only the open rows (migration 0004).
        Index("ix_tasks_owner_status_due", "owner_unit_id", "status", "due_on"),
        Index("ix_tasks_lead_status_due", "lead_unit_id", "status", "due_on"),
        Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_on"),
        Index("ix_tasks_leader_status_due", "leader_id", "status", "due_on"),
        # Every open task by due date (a partial index: the open tasks only): the home
        # page's most overdue and due this week, ten of a scope, read in date order until
        # ten are found, instead of every open task of the scope read and sorted (at
        # 1,000,000 tasks a head's 5,000; migration 0024_perflarge).
        Index("ix_tasks_open_due", "due_on", "id", sqlite_where=text(OPEN_WHERE),
              postgresql_where=text(OPEN_WHERE)),
        # A unit's tasks of some plans and statuses: the home page's year scope is tested
        # from the index, not from every row the unit ever had (migration 0008_perf).
        Index("ix_tasks_owner_plan_status", "owner_unit_id", "plan_id", "status"),
        Index("ix_tasks_lead_plan_status", "lead_unit_id", "plan_id", "status"),
        # The tasks with an indicator target (a fifth of them) of a unit or a leader, by plan
        # (this year's) and by status (earlier years' unfinished): the home page's "furthest
        # behind" reads only these (dashboard.queries._indicator_scope; migration 0018).
        *[Index(f"ix_tasks_ind_{name}_{second}", column, *rest,
                sqlite_where=text("indicator_target IS NOT NULL"),
                postgresql_where=text("indicator_target IS NOT NULL"))
          for name, column in (("owner", "owner_unit_id"), ("lead", "lead_unit_id"),
                               ("leader", "leader_id"))
          for second, rest in (("plan", ("plan_id",)), ("status", ("status", "plan_id")))],
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    # The plan's unit, copied here so that scoping a list is one indexed filter.
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    stt: Mapped[str] = mapped_column(String(32), default="")
    # The STT with each number zero-padded ("2.10" -> "0002.0010"): sorts a plan in tree order.
    order_key: Mapped[str] = mapped_column(String(128), default="")
    # 1. clear person
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # 2. clear task
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    title_folded: Mapped[str] = mapped_column(String(TITLE_LENGTH), index=True)
    # Vietnamese alphabetical order (d < đ, o < ô < ơ), digits only (domain.text.sort_key).
    title_sort: Mapped[str] = mapped_column(String(TITLE_SORT_LENGTH), default=_title_sort_default)
    description: Mapped[str] = mapped_column(Text, default="")
    # 3. clear responsibility
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responsibility: Mapped[str] = mapped_column(Text, default="")
    # 5. clear deadline. due_on is the effective due date (moved by approved
    # extensions); original_due_on keeps the date first set.
    start_on: Mapped[date | None]
    due_on: Mapped[date | None]
    original_due_on: Mapped[date | None]
    # 6. clear result
    output_product: Mapped[str] = mapped_column(Text, default="")
    indicator_name: Mapped[str] = mapped_column(String(255), default="")
    indicator_unit: Mapped[str] = mapped_column(String(64), default="")
    indicator_target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    indicator_actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    # domain.quality.Direction: is more better, or less? Achievement = actual/target (or
    # target/actual), capped at 100%.
    indicator_direction: Mapped[str] = mapped_column(String(8), default="higher",
                                                     server_default="higher")
    # A key task (nhiệm vụ trọng tâm): a criterion may count only these (DESIGN.md 8).
    is_key: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def achievement(self) -> Decimal | None:
        """The indicator's achievement in % (actual/target, or target/actual when lower is
        better), capped at 100; None without a target."""
        return achievement_percent(self.indicator_target, self.indicator_actual,
                                   self.indicator_direction or "higher")

    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"), index=True)
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))
    progress: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=Lifecycle.ASSIGNED)
    submitted_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The day the task was cancelled or suspended (cleared when it resumes). A task excluded
    # after its due date had passed still counts as not completed (DESIGN.md 4: a failure
    # cannot be erased by cancelling it).
    excluded_on: Mapped[date | None]
    # A completion date brought by importing into a draft plan (DESIGN.md 4's one exception
    # to submit -> confirm): who imported it and when. No foreign key: SQLite cannot add one
    # to an existing table without rebuilding it (migration 0006).
    completion_imported_by_id: Mapped[int | None]
    completion_imported_at: Mapped[datetime | None]
    # Whether every one of the six clears holds, kept current by the services
    # so the plan page can count clear tasks without loading them.
    is_clear: Mapped[bool] = mapped_column(default=False)
    overdue_flagged_at: Mapped[datetime | None]
    # Approved extensions so far (scoring reports it beside each score).
    extension_count: Mapped[int] = mapped_column(default=0)
    # Amendments (điều chỉnh) after issue: reassignment or a new weight (scoring reports it).
    amendment_count: Mapped[int] = mapped_column(default=0)
    # Added to an issued plan (bổ sung) by someone other than the head of the plan's unit:
    # only that head (or a head above) confirms it (task_rules.head_confirms_addition).
    head_confirms: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Added to its plan after issue (bổ sung), by anyone, the head too, or a sub-task of such
    # work: listed beside every score it is in, as amendments are (docs/integrity.md "Added
    # work is listed beside the score"). Set by every path that creates a task.
    added_after_issue: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An occurrence of a recurring rule (app/plans/recurring.py) and its period ("M03",
    # "Q2", "H1", "N9", "Y"). No foreign key: SQLite cannot add one to an existing table
    # without rebuilding it (migration 0011_recurring); rules are never deleted, only retired.
    recurring_rule_id: Mapped[int | None] = mapped_column(index=True)
    period_code: Mapped[str | None] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # Optimistic locking: SQLAlchemy reads this class attribute once, at mapping time.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    plan: Mapped["Plan"] = relationship(lazy="raise")  # noqa: F821
    parent: Mapped["Task | None"] = relationship(remote_side=[id], lazy="raise")
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id], lazy="raise")  # noqa: F821
    leader: Mapped["User | None"] = relationship(foreign_keys=[leader_id], lazy="raise")  # noqa: F821
    lead_unit: Mapped["Unit | None"] = relationship(foreign_keys=[lead_unit_id], lazy="raise")  # noqa: F821
    field: Mapped["Field | None"] = relationship(lazy="raise")  # noqa: F821
    coordinators: Mapped[list["Unit"]] = relationship(secondary=task_coordinators, lazy="raise")  # noqa: F821
    steps: Mapped[list["ProcessStep"]] = relationship(
        back_populates="task", order_by="ProcessStep.position", lazy="raise",
        cascade="all, delete-orphan")

    def set_title(self, title: str) -> None:
        self.title = normalize_space(title)
        self.title_folded = fold(self.title)
        self.title_sort = title_sort_key(self.title)

    def facts(self) -> TaskFacts:
        """The six-clears facts; plan, assignee, leader, lead unit and steps must be loaded."""
        assignee, leader, lead = self.assignee, self.leader, self.lead_unit
        return TaskFacts(
            title=self.title or "",
            description=self.description or "",
            assignee_id=self.assignee_id,
            lead_unit_id=self.lead_unit_id,
            # A person of a section inside the lead unit belongs to it too.
            assignee_in_lead_unit=(assignee is None or lead is None
                                   or assignee.unit.path.startswith(lead.path)),
            leader_id=self.leader_id,
            leader_is_leader=leader is None or leader.role in LEADER_ROLES,
            responsibility=self.responsibility or "",
            steps=tuple(Step(s.title, s.due_on) for s in self.steps),
            start_on=self.start_on,
            due_on=self.due_on,
            period_start=self.plan.period_start,
            period_end=self.plan.period_end,
            output_product=self.output_product or "",
            indicator_name=self.indicator_name or "",
            indicator_unit=self.indicator_unit or "",
            indicator_target=self.indicator_target,
        )

    def six_clears(self):
        """The check over this task, with its related rows already loaded."""
        return check_six_clears(self.facts())

    def timeliness(self, today: date, due_soon_days: int = 3, draft: bool = False):
        """`draft`: the task's plan is a draft (its open tasks are within deadline)."""
        return timeliness(self.status, self.due_on, self.completed_on, today, due_soon_days,
                          self.submitted_on, draft)


class Amendment(db.Model):
    """An amendment (điều chỉnh) of a task of an issued plan: the head of the plan's unit
    reassigns the person, the leader or the lead unit, or changes the weight, with a reason.
    Kept for good; counted beside every score it affects."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    # JSON: {"field": [old, new], ...}
    changes: Mapped[str] = mapped_column(Text, default="{}")

    actor: Mapped["User"] = relationship(lazy="raise")  # noqa: F821


class ProcessStep(db.Model):
    __tablename__ = "process_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date | None]
    is_done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    task: Mapped["Task"] = relationship(back_populates="steps", lazy="raise")


class ProgressUpdate(db.Model):
    """One report of progress. Append-only: a correction is a new report."""

    __tablename__ = "progress_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    percent: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    actual_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))

    author: Mapped["User"] = relationship(lazy="raise")  # noqa: F821
    evidence: Mapped[list["Evidence"]] = relationship(lazy="raise", order_by="Evidence.id")


class Evidence(db.Model):
    """An evidence file. Stored outside the static folder under a random name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    progress_update_id: Mapped[int | None] = mapped_column(ForeignKey("progress_updates.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
