"""The home page per role: its counts equal the pure rule, each count opens the task
list with exactly that many tasks, and nothing outside the reader's scope shows."""

import re
from html import unescape

import pytest
from web_support import tr

from app.extensions import db
from tests.conftest import issue_plans
from tests.overdue_data import all_tasks, build_rich, counts, in_head_scope, units_by_id

KEYS = ("overdue", "due_soon", "within", "done_on_time", "done_late", "excluded")
CELL = re.compile(r'data-timeliness="(\w+)" data-count="(\d+)">\s*(?:<a href="([^"]+)")?')


@pytest.fixture
def rich(world, make):
    """The rich world, its plans issued once its tasks are built: tasks of draft plans are
    neither flagged, reminded, listed as overdue nor scored (DESIGN.md 4)."""
    return build_rich(world, make)


def table_rows(html: str, table_id: str, key_attr: str) -> dict:
    """{row key: {timeliness: (count, link)}} from one count table of the page."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.DOTALL)
    assert m, f"no table {table_id}"
    out = {}
    for key, body in re.findall(rf'<tr {key_attr}="(\w*)"[^>]*>(.*?)</tr>', m.group(0), re.DOTALL):
        out[int(key) if key.isdigit() else key] = {k: (int(n), unescape(href) if href else None)
                                                   for k, n, href in CELL.findall(body)}
    return out


def total_row(html: str, table_id: str) -> dict:
    """The table's closing line: {timeliness: (count, link)}."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?<tr data-total>(.*?)</tr>', html, re.DOTALL)
    assert m, f"no total line in {table_id}"
    return {k: (int(n), unescape(href) if href else None) for k, n, href in CELL.findall(m.group(1))}


def cards(html: str) -> dict[str, tuple[int, str]]:
    found = re.findall(r'<a class="card stat-card[^"]*"\s*href="([^"]+)">.*?data-count="(\w+)">(\d+)<',
                       html, re.DOTALL)
    assert len(found) == len(KEYS)
    return {key: (int(n), unescape(href)) for href, key, n in found}


def listed(client, href: str) -> int:
    """How many tasks the task list says it holds at this address."""
    html = client.get(href).get_data(as_text=True)
    return int(re.search(r'id="result-count">(\d+)', html).group(1))


def plain(row: dict) -> dict[str, int]:
    return {k: row[k][0] for k in KEYS}


def assert_links_agree(client, row: dict) -> None:
    for key, (n, href) in row.items():
        if n and href:
            assert listed(client, href) == n, (key, href)


@pytest.fixture
def elsewhere(rich, make):
    """The rich world, plus tasks of unit A's plan led by unit B (as a province plan's
    tasks are led by the department that does them): the head of A reads them, yet neither
    A's units nor A's leaders lead them."""
    from datetime import date

    w = rich
    w.t_b_led_over = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.deputy_b, title="Việc Sở B chủ trì",
                               due_on=date(2026, 6, 8), field_id=w.f1.id)
    w.t_b_led_soon = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.head_b, title="Việc Sở B sắp đến hạn",
                               due_on=date(2026, 6, 17))
    # Led by B, but A's deputy answers for it: in B's row of units, in the deputy's row.
    w.t_b_led_ours = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.deputy, title="Việc Sở B, lãnh đạo Sở A",
                               due_on=date(2026, 7, 30), field_id=w.f2.id)
    return w


def test_head_sees_unit_leader_and_field_tables_that_add_up_to_the_cards_and_their_links(
        elsewhere, as_user):
    w = elsewhere
    units = units_by_id()
    tasks = all_tasks()
    scope = [t for t in tasks if in_head_scope(t, w.head, units)]
    c = as_user("head_a")
    html = c.get("/").get_data(as_text=True)

    got_cards = cards(html)
    card_counts = {k: v[0] for k, v in got_cards.items()}
    assert card_counts == counts(scope)
    for key, (n, href) in got_cards.items():
        assert listed(c, href) == n, key
    a_path = units[w.a.id].path

    def under_a(t):
        return t.lead_unit_id is not None and units[t.lead_unit_id].path.startswith(a_path)

    # The anchor (A with everything below it), its sub-units, then the tasks of the scope
    # led elsewhere and those without a lead unit: anchor + other + none = the cards.
    by_unit = table_rows(html, "by-unit", "data-unit-id")
    assert list(by_unit) == [w.a.id, w.a1.id, w.a2.id, "other", "none"]
    expected = {uid: [t for t in tasks if t.lead_unit_id
                      and units[t.lead_unit_id].path.startswith(units[uid].path)]
                for uid in (w.a.id, w.a1.id, w.a2.id)}
    expected["other"] = [t for t in scope if t.lead_unit_id is not None and not under_a(t)]
    expected["none"] = [t for t in scope if t.lead_unit_id is None]
    assert {t.id for t in expected["other"]} == {w.t_b_led_over.id, w.t_b_led_soon.id,
                                                 w.t_b_led_ours.id}
    for uid, row in by_unit.items():
        assert plain(row) == counts(expected[uid]), uid
        assert row["total"][0] == sum(plain(row).values())
        assert_links_agree(c, row)
    for key in KEYS:
        assert sum(by_unit[k][key][0] for k in (w.a.id, "other", "none")) == card_counts[key]

    # A's leaders, then everyone else who answers for a task of the scope.
    by_leader = table_rows(html, "by-leader", "data-leader-id")
    assert list(by_leader) == [w.head.id, w.deputy2.id, w.deputy.id, "other"]
    ours = {w.head.id, w.deputy2.id, w.deputy.id}
    for key, row in by_leader.items():
        mine = ([t for t in scope if t.leader_id == key] if key != "other"
                else [t for t in scope if t.leader_id is not None and t.leader_id not in ours])
        assert plain(row) == counts(mine), key
        assert_links_agree(c, row)
    assert {t.id for t in scope if t.leader_id not in ours} == {w.t_b_led_over.id, w.t_b_led_soon.id}
    for key in KEYS:
        assert sum(row[key][0] for row in by_leader.values()) == card_counts[key]

    # Every field, and "no field" too, opens its tasks.
    by_field = table_rows(html, "by-field", "data-field-id")
    assert list(by_field) == [w.f1.id, w.f2.id, w.f3.id, "none"]
    for fid, row in by_field.items():
        assert plain(row) == counts([t for t in scope if t.field_id == (None if fid == "none" else fid)])
        assert all(href for n, href in row.values() if n), fid
        assert_links_agree(c, row)
    for key in KEYS:
        assert sum(row[key][0] for row in by_field.values()) == card_counts[key]

    # Each table closes with a total line: the cards, with the cards' links.
    for table in ("by-unit", "by-leader", "by-field"):
        total = total_row(html, table)
        assert {k: total[k][0] for k in KEYS} == card_counts, table
        assert total["total"][0] == sum(card_counts.values())
        assert_links_agree(c, total)
    # Overdue counts are red, due-soon counts orange.
    assert 'class="badge text-bg-danger">2</a>' in html
    assert re.search(r'data-timeliness="due_soon" data-count="[1-9]"><a [^>]*class="badge text-bg-warning"', html)


def test_a_head_without_tasks_led_elsewhere_has_no_other_rows(rich, as_user):
    w = rich
    html = as_user("head_a").get("/").get_data(as_text=True)
    assert list(table_rows(html, "by-unit", "data-unit-id")) == [w.a.id, w.a1.id, w.a2.id, "none"]
    assert list(table_rows(html, "by-leader", "data-leader-id")) == [w.head.id, w.deputy2.id, w.deputy.id]


def test_head_sees_the_ten_most_overdue_and_what_is_due_this_week(rich, as_user):
    w = rich
    html = as_user("head_a").get("/").get_data(as_text=True)
    most = re.search(r'id="most-overdue"(.*?)</ul>', html, re.DOTALL).group(1)
    rows = re.findall(r'data-task-id="(\d+)".*?data-days-overdue="(\d+)"', most, re.DOTALL)
    assert [(int(i), int(n)) for i, n in rows] == [
        (w.t_over30.id, 30), (w.t_over10.id, 10), (w.t_submitted.id, 5), (w.t_head_over.id, 3),
        (w.t_nolead.id, 2), (w.t_over1.id, 1)]
    week = re.search(r'id="due-this-week"(.*?)</ul>', html, re.DOTALL).group(1)
    rows = re.findall(r'data-task-id="(\d+)".*?data-days-left="(\d+)"', week, re.DOTALL)
    assert [(int(i), int(n)) for i, n in rows] == [
        (w.t_today.id, 0), (w.t_soon3.id, 3), (w.t_within4.id, 4), (w.t_week6.id, 6)]
    assert 'badge text-bg-warning text-nowrap" data-days-left="3"' in week
    assert 'badge text-bg-light border text-nowrap" data-days-left="4"' in week
    assert str(w.t_week7.id) not in re.findall(r'data-task-id="(\d+)"', week)


def test_deputy_sees_their_own_accountability(rich, as_user):
    w = rich
    mine = [t for t in all_tasks() if t.leader_id == w.deputy.id]
    c = as_user("deputy_a")
    html = c.get("/").get_data(as_text=True)
    got = cards(html)
    assert {k: v[0] for k, v in got.items()} == counts(mine)
    for key, (n, href) in got.items():
        assert f"leader={w.deputy.id}" in href
        assert listed(c, href) == n, key
    assert 'id="by-unit"' not in html and 'id="by-leader"' not in html
    for fid, row in table_rows(html, "by-field", "data-field-id").items():
        assert plain(row) == counts([t for t in mine if t.field_id == (None if fid == "none" else fid)])
        assert_links_agree(c, row)
        for _n, href in row.values():
            assert href is None or f"leader={w.deputy.id}" in href
    most = re.search(r'id="most-overdue"(.*?)</ul>', html, re.DOTALL).group(1)
    ids = [int(i) for i in re.findall(r'data-task-id="(\d+)"', most)]
    assert ids == [w.t_over30.id, w.t_submitted.id, w.t_nolead.id, w.t_over1.id]


def test_staff_see_their_own(rich, as_user):
    w = rich
    mine = [t for t in all_tasks() if t.assignee_id == w.staff.id]
    c = as_user("staff_a")
    html = c.get("/").get_data(as_text=True)
    got = cards(html)
    assert {k: v[0] for k, v in got.items()} == counts(mine)
    for key, (n, href) in got.items():
        assert href.startswith("/tasks/mine")
        assert listed(c, href) == n, key
    assert 'id="by-unit"' not in html and 'id="by-field"' not in html
    ids = {int(i) for i in re.findall(r'data-task-id="(\d+)"', html)}
    assert ids == {w.t_over1.id, w.t_submitted.id, w.t_soon3.id}


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_assessor_and_admin_see_counts_per_top_level_unit(rich, as_user, who):
    w = rich
    units = units_by_id()
    tasks = all_tasks()
    c = as_user(who)
    html = c.get("/").get_data(as_text=True)
    assert {k: v[0] for k, v in cards(html).items()} == counts(tasks)
    by_unit = table_rows(html, "by-unit", "data-unit-id")
    # Province-wide no unit is "other"; the task without a lead unit has its own row.
    assert list(by_unit) == [w.province.id, w.b.id, w.a.id, "none"]
    for uid, row in by_unit.items():
        led = ([t for t in tasks if t.lead_unit_id is None] if uid == "none" else
               [t for t in tasks if t.lead_unit_id and units[t.lead_unit_id].path.startswith(units[uid].path)])
        assert plain(row) == counts(led), uid
        assert_links_agree(c, row)
    for key in KEYS:
        assert by_unit[w.province.id][key][0] + by_unit["none"][key][0] == counts(tasks)[key]


def test_head_of_unit_b_sees_nothing_of_unit_a(rich, as_user):
    w = rich
    html = as_user("head_b").get("/").get_data(as_text=True)
    a_ids = {t.id for t in all_tasks() if t.owner_unit_id == w.a.id}
    shown = {int(i) for i in re.findall(r'data-task-id="(\d+)"', html)}
    assert shown == {w.t_b_over.id}
    assert {k: v[0] for k, v in cards(html).items()} == {
        "overdue": 1, "due_soon": 0, "within": 1, "done_on_time": 0, "done_late": 0, "excluded": 0}
    assert not shown & a_ids
    assert "Rà soát quy chế làm việc" not in html and f'data-leader-id="{w.deputy.id}"' not in html


def test_an_empty_home_page_renders_for_everyone(world, as_user):
    for who in ("admin", "assessor", "head_a", "deputy_a", "staff_a"):
        resp = as_user(who).get("/")
        assert resp.status_code == 200, who
        assert 'data-count="overdue">0<' in resp.get_data(as_text=True)


def test_the_home_page_needs_a_login(client):
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# ---- this year's plans and the unfinished work of earlier years -------------------------

@pytest.fixture
def years(world, make):
    """Unit A has, besides its 2026 plan (today is 15/06/2026), a 2025 plan with work
    completed on time and late, a cancelled task, a suspended one and one still open and
    overdue since 2025; and a 2027 plan, drafted ahead, with one task."""
    from datetime import date

    from app.domain.status import Lifecycle

    w = world
    w.plan_2025 = make.plan(w.a, year=2025)
    w.plan_2027 = make.plan(w.a, year=2027)

    def old(title, due, status=None, done=None, plan=None, year=2025):
        t = make.task(plan or w.plan_2025, w.head, w.a, w.staff, w.deputy, title=title, due_on=due,
                      start_on=date(year, 1, 10), steps=[])
        if status is not None:
            t.status = status
            if status == Lifecycle.COMPLETED:
                t.completed_on = t.submitted_on = done
                t.progress = 100
            db.session.commit()
        return t

    w.old_on_time = old("Tổng kết năm 2025", date(2025, 6, 30), Lifecycle.COMPLETED, date(2025, 6, 20))
    w.old_late = old("Báo cáo quý IV năm 2025", date(2025, 10, 15), Lifecycle.COMPLETED, date(2025, 10, 20))
    w.old_cancelled = old("Khảo sát năm 2025", date(2025, 9, 1), Lifecycle.CANCELLED)
    w.old_suspended = old("Thí điểm năm 2025", date(2025, 9, 1), Lifecycle.SUSPENDED)
    w.old_open = old("Số hóa hồ sơ năm 2025", date(2025, 11, 30))
    w.done_2026 = old("Kế hoạch tuyên truyền 2026", date(2026, 3, 31), Lifecycle.COMPLETED,
                      date(2026, 3, 30), plan=w.plan, year=2026)
    w.next_year = old("Việc của năm 2027", date(2027, 3, 31), plan=w.plan_2027, year=2027)
    # Last year's plan and this year's were issued (its open task is overdue); the 2027 plan
    # is a draft.
    issue_plans(w.plan_2025, w.plan, w.plan_b)
    return w


def test_the_home_page_counts_this_years_plans_and_the_unfinished_work_of_earlier_years(
        years, as_user):
    w = years
    carried = {w.old_open.id, w.old_suspended.id}
    cases = (
        ("head_a", lambda t: in_head_scope(t, w.head, units_by_id())),
        ("deputy_a", lambda t: t.leader_id == w.deputy.id),
        ("staff_a", lambda t: t.assignee_id == w.staff.id),
    )
    for username, in_scope in cases:
        c = as_user(username)
        html = c.get("/").get_data(as_text=True)
        mine = [t for t in all_tasks() if in_scope(t)]
        shown = [t for t in mine if t.plan_id == w.plan.id or t.id in carried]
        assert {t.id for t in mine} - {t.id for t in shown} >= {
            w.old_on_time.id, w.old_late.id, w.old_cancelled.id, w.next_year.id}, username
        got = cards(html)
        assert {k: n for k, (n, _href) in got.items()} == counts(shown), username
        # The carried-over task is the overdue one, and the most overdue of all.
        assert got["overdue"][0] == 1
        assert f'data-task-id="{w.old_open.id}"' in re.search(
            r'id="most-overdue".*?</ul>', html, re.DOTALL).group(0)
        for key, (n, href) in got.items():
            assert "year=2026" in href and "carry=1" in href, href
            assert listed(c, href) == n, (username, key, href)
        if username == "head_a":
            # (No unit table: unit A has no sub-unit here.)
            for table, attr in (("by-leader", "data-leader-id"), ("by-field", "data-field-id")):
                for row in table_rows(html, table, attr).values():
                    assert_links_agree(c, row)
        # The total line (staff have no table: their list with the same filter) and the
        # list it opens: this year's tasks and the two carried over, nothing else.
        if username == "staff_a":
            total = (len(shown), "/tasks/mine?year=2026&carry=1")
        else:
            total = total_row(html, "by-field")["total"]
        assert total[0] == len(shown)
        listed_ids = {int(i) for i in re.findall(r'data-task-id="(\d+)"',
                                                 c.get(total[1]).get_data(as_text=True))}
        assert listed_ids == {t.id for t in shown}, username


def test_the_home_page_says_which_tasks_it_counts(years, as_user):
    html = unescape(as_user("head_a").get("/").get_data(as_text=True))
    line = re.search(r'id="home-scope">([^<]*)<', html).group(1)
    assert line == tr("Tasks of the %(year)s plans and unfinished tasks of earlier years", year=2026)
    assert "2026" in line
