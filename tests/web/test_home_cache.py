"""The home page's and the overdue list's content are cached per reader until anything they
are made from is written (app/dashboard/fragments.py): after every kind of write — the use
cases, the sweep, raw UPDATEs and DELETEs, unit merges, a tally rebuild, renames of the
people, units and fields the pages name — every reader's cached pages equal the pages made
anew (the overdue list unfiltered, filtered by a field and its second page). Each check first
fills the cache (the previous check), then a write, then compares: a write the token missed
would serve the page from before it. The tokens are per department (migration 0022): the tests
at the end check which pages a write leaves cached."""

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
    """PostgreSQL: the tokens are renewed at commit (a deferred constraint trigger), so an open
    transaction that wrote a task does not make the writers of other tasks wait for it (a
    long sweep or import would queue every writer of the province), and the writer itself
    never serves its own uncommitted writes from the cache. Each commit renews the tokens of
    the departments it wrote, and only those."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    w = rich
    db.session.commit()
    a, b = fragments.department(w.a.path), fragments.department(w.b.path)
    tokens = "SELECT name, token FROM data_versions ORDER BY name"
    with db.engine.connect() as one, db.engine.connect() as two:
        before = dict(one.exec_driver_sql(tokens).all())
        one.commit()
        one.execute(update(Task).where(Task.id == w.t_over1.id).values(progress=11))  # A
        # The open writer: not renewed yet, and marked as having written.
        assert dict(one.exec_driver_sql(tokens).all()) == before
        assert one.exec_driver_sql(
            f"SELECT current_setting('{fragments.WROTE}', true) = "
            "txid_current_if_assigned()::text").scalar() is True
        # Another writer of another task of A and one of B commits at once: no lock on any
        # token is held by the open writer (lock_timeout turns a wait into an error instead
        # of a hang).
        two.exec_driver_sql("SET lock_timeout = '5s'")
        two.execute(update(Task).where(Task.id == w.t_soon3.id).values(progress=22))  # A
        two.execute(update(Task).where(Task.id == w.t_b_over.id).values(progress=23))  # B
        two.commit()
        after_two = dict(two.exec_driver_sql(tokens).all())
        two.commit()
        assert after_two[a] != before.get(a) and after_two[b] != before.get(b)
        assert after_two["home"] == before["home"]
        one.commit()
        after_one = dict(one.exec_driver_sql(tokens).all())
        one.commit()
    assert after_one[a] not in (before.get(a), after_two[a])
    assert after_one[b] == after_two[b]  # one wrote nothing of B
    db.session.expire_all()
    assert [db.session.get(Task, i).progress for i in (w.t_over1.id, w.t_soon3.id, w.t_b_over.id)] \
        == [11, 22, 23]


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


# ---- the tokens per department (migration 0022) ---------------------------------------------
# Department A (Sở Nội vụ, with A1, A1x, A2 below it) and B (Sở Khoa học và Công nghệ) under
# the province; the administrator and the assessor read the province.
PROVINCE = {"admin", "assessor"}
DEPT_A = {"head_a", "deputy_a", "staff_a", "staff_a2", "deputy_a2", "staff_a1", "staff_a1x",
          "staff_a2b"}
DEPT_B = {"head_b", "deputy_b", "staff_b"}


def served(app, today=TODAY) -> set[str]:
    """As `agree` (every reader's cached home page and overdue list equal the ones made
    anew); returns the usernames whose page was served from the cache."""
    db.session.commit()
    readers = db.session.scalars(select(User).where(User.is_active.is_(True)).where(
        User.role.in_([Role.HEAD, Role.DEPUTY, Role.STAFF, Role.ASSESSOR, Role.ADMIN]))
        .order_by(User.id)).all()
    home, listed = fragments.home_fragments, fragments.overdue_fragments
    hit = set()
    for reader in readers:
        before = home.hits, listed.hits
        page = _content(app, reader, today, cached=True)
        overdue_list = _content(app, reader, today, True, "")
        if home.hits > before[0]:
            hit.add(reader.username)
        # The overdue list depends on the same tokens: served from the cache exactly when
        # the home page is.
        assert (listed.hits > before[1]) == (home.hits > before[0]), reader.username
        assert page == _content(app, reader, today, cached=False), reader.username
        assert overdue_list == _content(app, reader, today, False, ""), reader.username
    return hit


def test_a_write_in_one_department_leaves_the_other_departments_pages_cached(app, rich):
    w = rich
    assert served(app) == set()  # every page made once
    assert served(app) == PROVINCE | DEPT_A | DEPT_B  # nothing written: every page a hit
    # B's staff member records progress on B's task (its leader B's deputy): B's pages and the
    # province's are made anew, A's are still served.
    tasks.record_progress(w.staff_b, w.t_b_over.id, 30, "đang làm", None, TODAY)
    assert served(app) == DEPT_A
    # A raw UPDATE of one of A's tasks: the same, the other way round.
    db.session.execute(update(Task).values(progress=55).where(Task.id == w.t_over1.id))
    assert served(app) == DEPT_B
    # An extension requested in B.
    extensions.request_extension(w.staff_b, w.task_b.id, TODAY + timedelta(days=90), "chờ",
                                 TODAY, max_extensions=current_settings().max_extensions)
    assert served(app) == DEPT_A
    # The sweep flags tasks of both departments: nothing is served from before it.
    overdue.sweep(TODAY, reminders=current_settings().reminders)
    hit = served(app)
    assert not hit & (PROVINCE | {"head_a", "head_b"})
    # A rename (people, units, fields, plans: rare) renews every page.
    db.session.execute(update(Field).values(name=Field.name + " (mới)").where(Field.id == w.f3.id))
    assert served(app) == set()


def test_a_task_moved_between_departments_renews_both(app, rich):
    w = rich
    served(app)
    assert served(app) == PROVINCE | DEPT_A | DEPT_B
    # A's task handed to B's unit, its person and leader still A's: both departments.
    db.session.execute(update(Task).values(owner_unit_id=w.b.id, lead_unit_id=w.b.id)
                       .where(Task.id == w.t_within4.id))
    assert served(app) == set()
    # Only its responsible person changed, to B's staff member: the person before (A) and
    # after (B) both see it change.
    db.session.execute(update(Task).values(assignee_id=w.staff_b.id).where(Task.id == w.t_soon3.id))
    assert served(app) == set()
    # Only its leader changed, from A's deputy to B's deputy: both departments.
    db.session.execute(update(Task).values(leader_id=w.deputy_b.id).where(Task.id == w.t_over30.id))
    assert served(app) == set()
    # Moved back inside B (B's task led by B's unit, its people B's): A's pages stay.
    db.session.execute(update(Task).values(title="Việc của Sở B (sửa)").where(Task.id == w.t_b_over.id))
    assert served(app) == DEPT_A


def test_a_person_moved_between_units(app, rich):
    w = rich
    served(app)
    # A's staff member moves to B: every page is made anew (a write of `users`), then their
    # page depends on B's token: a write of their task in A renews A's (the task's units)
    # and B's (their unit).
    db.session.execute(update(User).values(unit_id=w.b.id).where(User.id == w.staff.id))
    assert served(app) == set()
    db.session.execute(update(Task).values(progress=12).where(Task.id == w.t_soon3.id))
    assert served(app) == set()
    # A write of B's own task leaves A's pages, not the moved person's.
    db.session.execute(update(Task).values(progress=13).where(Task.id == w.t_b_over.id))
    assert served(app) == DEPT_A - {"staff_a"}


def test_a_deleted_token_row_is_never_a_way_back(app, rich):
    """A token row deleted by hand renews the province's, which every page depends on: a
    reader's tokens never come back to a set a page was stored under."""
    w = rich
    served(app)
    db.session.execute(update(Task).values(progress=21).where(Task.id == w.t_b_over.id))
    served(app)
    db.session.execute(text("DELETE FROM data_versions WHERE name <> 'home'"))
    assert served(app) == set()
    db.session.execute(text("DELETE FROM data_versions"))  # nothing is cached without `home`
    assert served(app) == set()
    assert served(app) == set()


def test_two_writers_of_two_departments_never_deadlock_on_the_tokens(app, rich):
    """PostgreSQL: each commit renews the tokens of both departments, in the same (sorted)
    order whichever department a transaction wrote first; run side by side, with the two
    transactions' commits racing, none may fail on a deadlock."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    import threading

    w = rich
    db.session.commit()
    engine = db.engine
    pairs = [(w.t_over1.id, w.t_b_over.id), (w.task_b.id, w.t_soon3.id)]  # A then B; B then A
    errors: list = []
    barrier = threading.Barrier(2)

    def writer(first: int, second: int) -> None:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET lock_timeout = '10s'")
                conn.commit()
                for i in range(15):
                    conn.execute(update(Task).where(Task.id == first).values(progress=i))
                    conn.execute(update(Task).where(Task.id == second).values(progress=i))
                    barrier.wait(timeout=30)
                    conn.commit()
        except Exception as e:  # noqa: BLE001 - reported below, whatever it is
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=p) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    names = {r[0] for r in db.session.execute(text("SELECT name FROM data_versions"))}
    assert {fragments.department(w.a.path), fragments.department(w.b.path)} <= names


def test_the_triggers_name_a_unit_s_department_as_the_reader_does(app):
    """The triggers' SQL rule (`_department_sql`) and the reader's (`department`) agree on
    every depth, on this database."""
    dialect = db.engine.dialect.name
    for path in ("/1/", "/1/7/", "/1/7/42/", "/12/345/6/7/", "/3/10/"):
        sql = fragments._department_sql(dialect, f"'{path}'")
        assert db.session.execute(text(f"SELECT {sql}")).scalar() == fragments.department(path)
    assert fragments.department("/1/7/42/") == "home:7"
    assert fragments.department("/1/") == "home:1"
