"""The home page per role: its counts equal the pure rule, each count opens the task
list with exactly that many tasks, and nothing outside the reader's scope shows."""

import re
from html import unescape

import pytest

from tests.overdue_data import all_tasks, build_rich, counts, in_head_scope, units_by_id

KEYS = ("overdue", "due_soon", "within", "done_on_time", "done_late", "excluded")
CELL = re.compile(r'data-timeliness="(\w+)" data-count="(\d+)">\s*(?:<a href="([^"]+)")?')


@pytest.fixture
def rich(world, make):
    return build_rich(world, make)


def table_rows(html: str, table_id: str, key_attr: str) -> dict:
    """{row key: {timeliness: (count, link)}} from one count table of the page."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.DOTALL)
    assert m, f"no table {table_id}"
    out = {}
    for key, body in re.findall(rf'<tr {key_attr}="(\d*)"[^>]*>(.*?)</tr>', m.group(0), re.DOTALL):
        out[int(key) if key else None] = {k: (int(n), unescape(href) if href else None)
                                          for k, n, href in CELL.findall(body)}
    return out


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


def test_head_sees_unit_leader_and_field_tables_that_match_the_rule_and_their_links(rich, as_user):
    w = rich
    units = units_by_id()
    tasks = all_tasks()
    scope = [t for t in tasks if in_head_scope(t, w.head, units)]
    c = as_user("head_a")
    html = c.get("/").get_data(as_text=True)

    got_cards = cards(html)
    assert {k: v[0] for k, v in got_cards.items()} == counts(scope)
    for key, (n, href) in got_cards.items():
        assert listed(c, href) == n, key

    by_unit = table_rows(html, "by-unit", "data-unit-id")
    assert list(by_unit) == [w.a.id, w.a1.id, w.a2.id]
    for uid, row in by_unit.items():
        path = units[uid].path
        assert plain(row) == counts([t for t in tasks if t.lead_unit_id
                                     and units[t.lead_unit_id].path.startswith(path)])
        assert row["total"][0] == sum(plain(row).values())
        assert_links_agree(c, row)

    by_leader = table_rows(html, "by-leader", "data-leader-id")
    assert list(by_leader) == [w.head.id, w.deputy2.id, w.deputy.id]
    for uid, row in by_leader.items():
        assert plain(row) == counts([t for t in scope if t.leader_id == uid])
        assert_links_agree(c, row)

    by_field = table_rows(html, "by-field", "data-field-id")
    assert list(by_field) == [w.f1.id, w.f2.id, w.f3.id, None]
    for fid, row in by_field.items():
        assert plain(row) == counts([t for t in scope if t.field_id == fid])
        if fid is not None:
            assert_links_agree(c, row)
    # Overdue counts are red, due-soon counts orange.
    assert 'class="badge text-bg-danger">2</a>' in html
    assert re.search(r'data-timeliness="due_soon" data-count="[1-9]"><a [^>]*class="badge text-bg-warning"', html)


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
        assert plain(row) == counts([t for t in mine if t.field_id == fid])
        if fid is not None:
            assert_links_agree(c, row)
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
    assert list(by_unit) == [w.province.id, w.b.id, w.a.id]
    for uid, row in by_unit.items():
        path = units[uid].path
        assert plain(row) == counts([t for t in tasks if t.lead_unit_id
                                     and units[t.lead_unit_id].path.startswith(path)])
        assert_links_agree(c, row)


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
