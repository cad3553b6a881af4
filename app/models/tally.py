"""The home page's task counts, kept by the database itself (`task_tallies`).

One row per (owner unit, lead unit, accountable leader, field, plan, kind, due date) with
how many tasks have that key and their indicators' figures. Triggers on `tasks` keep it
(app/dashboard/tallies.py, migration 0017_tallies): every write of a task, by any path,
moves its count from its old key to its new one in the same transaction. Nothing that
depends on today's date is stored: a task still open keeps its due date in the key, and
the page decides overdue / due soon when it reads. NULL ids are stored as 0 and a due date
that does not matter as 9999-12-31 (a primary key cannot hold NULL, and the upsert of the
triggers needs one). Counts only: scores and assessments read the tasks.
"""

from datetime import date

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

NO_DATE = date(9999, 12, 31)


class TaskTally(db.Model):
    __tablename__ = "task_tallies"
    __table_args__ = (
        # The home scope is (owner OR lead OR leader) AND (this year, or an earlier year and
        # a kind still open): one index per scope column, each with the kind and the year,
        # so that every branch is an index condition and earlier years' settled keys are
        # never read (app/dashboard/queries.py: _tallied_counts).
        Index("ix_task_tallies_owner_kind_year", "owner_unit_id", "kind", "year"),
        Index("ix_task_tallies_lead_kind_year", "lead_unit_id", "kind", "year"),
        Index("ix_task_tallies_leader_kind_year", "leader_id", "kind", "year"),
    )

    owner_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lead_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    leader_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    field_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # c completed on time, l completed late, n completed without a completion date,
    # s suspended, x cancelled, w open and within its deadline whatever the day (no due
    # date, or submitted on time), o open with a due date (judged when read).
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    # The due date for kind o and for tasks with an indicator target; NO_DATE otherwise.
    due_on: Mapped[date] = mapped_column(primary_key=True)
    # The plan's year, copied (a trigger on plans keeps it when a plan's year changes).
    year: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    n_indicators: Mapped[int] = mapped_column(Integer)  # tasks with an indicator target
    n_met: Mapped[int] = mapped_column(Integer)  # of those, achievement 100%
    achievement_e9: Mapped[int] = mapped_column(BigInteger)  # sum of achievements × 10⁹
