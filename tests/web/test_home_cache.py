"""The home page's and the overdue list's content are cached per reader until anything they
are made from is written (app/dashboard/fragments.py): after every kind of write — the use
cases, the sweep, raw UPDATEs and DELETEs, unit merges, a tally rebuild, renames of the
people, units and fields the pages name — every reader's cached pages equal the pages made
anew (the overdue list unfiltered, filtered by a field and its second page). Each check first
fills the cache (the previous check), then a write, then compares: a write the token missed
would serve the page from before it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_login import login_user
from sqlalchemy import delete, select, text, update

from app.dashboard import fragments, tallies
from app.dashboard.routes import home_content, overdue_content
from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.directory import units
from app.extensions import db
from app.models import Field, Plan, PlanStatus, Task, Unit, User
from app.models.user import Role
from app.settings import current_settings
from app.tasks import commands as tasks
from tests.conftest import TODAY, attach_evidence
from tests.overdue_data import build_rich
from tests.settings_support import override_settings

CACHES = (fragments.home_fragments, fragments.overdue_fragments)
# Each check commits and reads in a transaction of its own, as requests do: on PostgreSQL the
# token is renewed once per writing transaction, and a transaction that wrote never reads the
# cache (a rolled-back test is one transaction).
pytestmark = pytest.mark.real_database


def _content(app, reader: User, today, cached: bool, query: str | None = None) -> str:
    """The home page's content, or (with a query string) the overdue list's."""
    with app.test_request_context("/" if query is None else f"/overdue{query}"):
        login_user(reader)
        if query is None:
            return str(home_content(today, cached=cached))
        return str(overdue_content(today, cached=cached))


def hits() -> int:
    return sum(c.hits for c in CACHES)


def agree(app, today=TODAY) -> int:
    """Every reader's cached pages equal the pages made anew; returns the caches' hits."""
    db.session.commit()
    readers = db.session.scalars(select(User).where(User.is_active.is_(True)).where(
        User.role.in_([Role.HEAD, Role.DEPUTY, Role.STAFF, Role.ASSESSOR, Role.ADMIN]))
        .order_by(User.id)).all()
    assert readers
    field = db.session.scalars(select(Field.id).order_by(Field.id)).first()
    before = hits()
    for reader in readers:
        # The overdue list as every reader opens it; the heads' also filtered by a field and
        # its second page (the page size is lowered so that there is one).
        extra = (f"?field={field}", "?page=2") if reader.role == Role.HEAD else ()
        for query in (None, "", *extra):
            served = _content(app, reader, today, True, query)
            assert served == _content(app, reader, today, False, query), (reader.username, query)
    return hits() - before


@pytest.fixture
def rich(app, world, make, monkeypatch):
    for cache in CACHES:
        cache.clear()
    override_settings(monkeypatch, app, PAGE_SIZE=3)
    return build_rich(world, make)


def test_an_unchanged_database_is_served_from_the_cache(app, rich):
    agree(app)
    overdue_hits = fragments.overdue_fragments.hits
    assert agree(app) > 0  # nothing written in between: every page a hit
    assert fragments.overdue_fragments.hits > overdue_hits
    agree(app, TODAY + timedelta(days=1))  # another day is another page


def test_the_lifecycle_renews_the_pages(app, rich, make):
    w = rich
    settings = current_settings()
    agree(app)
    t = make.task(w.plan, w.head, w.a, w.staff, w.deputy, indicator_target=Decimal(10),
                  due_on=TODAY + timedelta(days=2))
    agree(app)
    tasks.record_progress(w.staff, t.id, 40, "nửa chừng", Decimal(4), TODAY)
    agree(app)
    attach_evidence(w.staff, t.id)
    tasks.submit_task(w.staff, t.id, "xong", TODAY)
    agree(app)
    tasks.return_task(w.deputy, t.id, "làm lại")
    agree(app)
    tasks.submit_task(w.staff, t.id, "xong", TODAY)
    tasks.confirm_task(w.deputy, t.id, "đạt")
    agree(app)
    other = make.task(w.plan, w.head, w.a, w.staff, w.deputy, due_on=TODAY + timedelta(days=5))
    agree(app)
    ext = extensions.request_extension(w.staff, other.id, TODAY + timedelta(days=60), "chờ số liệu",
                                       TODAY, max_extensions=settings.max_extensions)
    agree(app)
    extensions.decide_extension(w.head, ext.id, True, "đồng ý")
    agree(app)
    tasks.suspend_task(w.head, other.id, "tạm dừng", TODAY)
    agree(app)
    tasks.cancel_task(w.head, other.id, "không còn cần", TODAY)
    agree(app)


def test_the_sweep_raw_writes_and_renames_renew_the_pages(app, rich):
    w = rich
    agree(app)
    overdue.sweep(TODAY, reminders=current_settings().reminders)
    agree(app)
    # Writes no use case makes, straight in SQL: the triggers see them all the same.
    db.session.execute(update(Task).values(title=Task.title + " (sửa)").where(Task.id % 2 == 0))
    agree(app)
    db.session.execute(update(Task).values(progress=77))
    agree(app)
    db.session.execute(update(Task).values(lead_unit_id=None).where(Task.id % 3 == 0))
    agree(app)
    db.session.execute(update(User).values(full_name=User.full_name + " Mới"))
    agree(app)
    db.session.execute(update(Unit).values(name=Unit.name + " (mới)"))
    agree(app)
    db.session.execute(update(Field).values(name=Field.name + " (mới)"))
    agree(app)
    db.session.execute(update(User).values(role=Role.STAFF).where(User.id == w.deputy.id))
    agree(app)


def test_plans_deletes_merges_and_the_tallies_renew_the_pages(app, rich):
    w = rich
    agree(app)
    plan = db.session.get(Plan, w.plan.id)
    plan.status = PlanStatus.CLOSED
    agree(app)
    plan.year = TODAY.year - 1
    plan.status = PlanStatus.ISSUED
    agree(app)
    units.merge_unit(w.a2, w.a1)
    agree(app)
    db.session.execute(text("DELETE FROM task_tallies"))  # the counts read from here
    agree(app)
    tallies.rebuild()
    agree(app)
    db.session.execute(delete(Task).where(Task.plan_id == w.plan_b.id, Task.parent_id.is_(None)))
    agree(app)


def test_a_writing_transaction_holds_no_lock_on_the_token_until_it_commits(app, rich):
    """PostgreSQL: the token is renewed at commit (a deferred constraint trigger), so an open
    transaction that wrote a task does not make the writers of other tasks wait for it (a
    long sweep or import would queue every writer of the province), and the writer itself
    never serves its own uncommitted writes from the cache. Each commit renews the token."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    db.session.commit()
    first, second = db.session.scalars(select(Task.id).order_by(Task.id).limit(2)).all()
    token = "SELECT token FROM data_versions WHERE name = 'home'"
    with db.engine.connect() as one, db.engine.connect() as two:
        before = one.exec_driver_sql(token).scalar()
        one.commit()
        one.execute(update(Task).where(Task.id == first).values(progress=11))
        # The open writer: not renewed yet, and marked as having written.
        assert one.exec_driver_sql(token).scalar() == before
        assert one.exec_driver_sql(
            f"SELECT current_setting('{fragments.WROTE}', true) = "
            "txid_current_if_assigned()::text").scalar() is True
        # Another writer of another task commits at once: no lock on the token is held by
        # the open writer (lock_timeout turns a wait into an error instead of a hang).
        two.exec_driver_sql("SET lock_timeout = '5s'")
        two.execute(update(Task).where(Task.id == second).values(progress=22))
        two.commit()
        after_two = two.exec_driver_sql(token).scalar()
        two.commit()
        assert after_two != before
        one.commit()
        after_one = one.exec_driver_sql(token).scalar()
        one.commit()
    assert after_one not in (before, after_two)
    db.session.expire_all()
    assert [db.session.get(Task, i).progress for i in (first, second)] == [11, 22]


def test_a_page_is_kept_per_script_root(app, rich):
    """The same reader behind another prefix (a second proxy path) gets links of that prefix,
    not the page cached for the first."""
    db.session.commit()
    reader = db.session.scalars(select(User).where(User.role == Role.HEAD).order_by(User.id)).first()
    pages = {}
    for root in ("", "/sauro"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            login_user(reader)
            pages[root] = str(home_content(TODAY, cached=True))
    assert 'href="/sauro/tasks' in pages["/sauro"]
    assert 'href="/sauro/' not in pages[""]
