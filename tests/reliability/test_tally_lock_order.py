"""PostgreSQL: the `task_tallies` trigger takes a task's two tally rows (the key it leaves and
the key it joins) in one order, the lower key first, whichever way the task moves. Two
writers moving tasks between the same two keys in opposite directions then queue on the
first row instead of each holding one and waiting for the other (a deadlock, 40P01).

Shown without timing: a first transaction holds the lower row; a second moves a task from the
higher key to the lower one and waits; the first then takes the higher row. With the old
order (the key left first) the waiting writer already held the higher row, so the first
waited for it in turn and PostgreSQL broke the cycle with a deadlock error. What still can
deadlock (transactions writing several tasks, in different orders) answers the "busy, try
again" page (tests/reliability/test_error_pages.py: a deadlock is 503, never a 500);
docs/architecture.md says why no more is done."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text

from app.dashboard import tallies
from app.extensions import db
from tests.conftest import PG_URL

pytestmark = [pytest.mark.real_database,
              pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer")]

DUE = date(2026, 6, 30)


def _row_lock(conn, plan_id: int, kind: str) -> None:
    conn.execute(text("SELECT n FROM task_tallies WHERE plan_id = :p AND kind = :k FOR UPDATE"),
                 {"p": plan_id, "k": kind})


def test_a_task_moving_down_takes_the_lower_row_first(app, world, make):
    w = world
    # Two tasks of one plan, person, leader and due date: A open (kind 'o'), B submitted on
    # time and awaiting confirmation (kind 'w', within deadline): two rows of task_tallies.
    a = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Nhiệm vụ A", due_on=DUE)
    b = make.task(w.plan, w.head, w.a, w.staff, w.deputy, title="Nhiệm vụ B", due_on=DUE)
    plan_id, a_id, b_id = w.plan.id, a.id, b.id
    db.session.execute(text("UPDATE tasks SET status = 'in_progress' WHERE id = :a"), {"a": a_id})
    db.session.execute(text("UPDATE tasks SET status = 'submitted', submitted_on = :d WHERE id = :b"),
                       {"b": b_id, "d": date(2026, 6, 20)})
    db.session.commit()
    db.session.close()
    with db.engine.connect() as conn:
        kinds = {r[0] for r in conn.execute(
            text("SELECT kind FROM task_tallies WHERE plan_id = :p"), {"p": plan_id})}
    assert {"o", "w"} <= kinds   # 'o' < 'w': the open key is the lower one

    holder = db.engine.connect()
    mover = db.engine.connect()
    mover_pid = mover.execute(text("SELECT pg_backend_pid()")).scalar_one()
    mover.commit()
    errors: list[BaseException] = []
    thread = None

    def withdraw_b():
        # B goes back to in progress: from the 'w' row (higher) to the 'o' row (lower).
        try:
            mover.execute(text("UPDATE tasks SET status = 'in_progress', submitted_on = NULL "
                               "WHERE id = :b"), {"b": b_id})
            mover.commit()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            mover.rollback()

    try:
        _row_lock(holder, plan_id, "o")          # the lower row, held
        thread = threading.Thread(target=withdraw_b, daemon=True)
        thread.start()
        # Wait (a condition, not a duration) until the mover waits for a lock.
        for _ in range(3000):
            assert errors == []
            # The holder's transaction caches the statistics: read them afresh each time.
            holder.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiting = holder.execute(text(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": mover_pid}).scalar_one_or_none()
            if waiting == "Lock":
                break
            time.sleep(0.01)
        else:
            pytest.fail("the second writer never waited for the held row")
        # The mover has not taken the higher row: the holder gets it at once. (With the old
        # order this waited for the mover, and one of the two got 40P01.)
        holder.execute(text("SET LOCAL lock_timeout = '20s'"))
        _row_lock(holder, plan_id, "w")
        holder.commit()
    finally:
        holder.close()   # releases the rows, so the mover finishes
        if thread is not None:
            thread.join()
        mover.close()
    assert errors == []
    assert tallies.stored() == tallies.recount()
