"""Pages run a fixed number of SQL statements whatever the number of tasks: the same
count with N tasks and with 3N (an N+1 query shows up as a difference)."""

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from app.domain.status import Lifecycle
from app.extensions import db
from app.models import Field

N = 6
ROLES = ("head_a", "deputy_a", "staff_a")


@contextmanager
def counting():
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def add_tasks(w, make, n: int, offset: int) -> None:
    """n tasks spread over every timeliness, people, leaders, fields and two lead units,
    all visible to the head, and many to the deputy and the staff member."""
    people = [w.staff, w.staff2, w.staff_sub]
    leaders = [w.deputy, w.head]
    fields = [w.f1, w.f2, None]
    today = date(2026, 6, 15)
    for i in range(offset, offset + n):
        person = people[i % 3]
        lead = w.sub if person is w.staff_sub else w.a
        due = today + timedelta(days=(i % 7) * 5 - 15)  # from 15 days late to 15 days ahead
        t = make.task(w.plan, w.head, lead, person, leaders[i % 2], title=f"Nhiệm vụ số {i}",
                      due_on=due, start_on=date(2026, 1, 2),
                      field_id=fields[i % 3].id if fields[i % 3] else None)
        kind = i % 5
        if kind == 1:
            t.status, t.submitted_on, t.completed_on = Lifecycle.COMPLETED, due, due
        elif kind == 2:
            t.status, t.submitted_on = Lifecycle.SUBMITTED, today
        elif kind == 3 and i % 2:
            t.status = Lifecycle.CANCELLED
        db.session.commit()


def measure(w, as_user) -> dict[tuple[str, str], int]:
    urls = ["/", "/overdue", "/tasks", "/tasks/mine", f"/plans/{w.plan.id}", f"/tasks/{w.task.id}"]
    out = {}
    for who in ROLES:
        c = as_user(who)
        for url in urls:
            with counting() as statements:
                resp = c.get(url)
            assert resp.status_code == 200, (who, url)
            out[(who, re.sub(r"\d+", "<id>", url))] = len(statements)
    return out


@pytest.fixture
def setup(world, make):
    w = world
    w.sub = make.unit("Phòng Cải cách hành chính", parent=w.a, code="SNV-CCHC")
    w.staff_sub = make.user(w.sub, "staff", "Đinh Thị Hoa", "staff_sub")
    w.f1 = Field(unit_id=w.a.id, name="Cải cách thể chế", name_sort="cai cach the che")
    w.f2 = Field(unit_id=None, name="Chính quyền số", name_sort="chinh quyen so")
    db.session.add_all([w.f1, w.f2])
    db.session.commit()
    return w


def test_page_query_counts_do_not_grow_with_the_number_of_tasks(setup, make, as_user):
    w = setup
    add_tasks(w, make, N, 0)
    small = measure(w, as_user)
    add_tasks(w, make, 2 * N, N)
    large = measure(w, as_user)
    print("\nSQL statements per page (role, page): N tasks / 3N tasks")
    for key in small:
        print(f"  {key[0]:9} {key[1]:14} {small[key]:3} / {large[key]:3}")
    assert large == small
