"""The lists' filters offer what the reader may choose, and only that: tasks of a unit's
plan led by another unit can be picked out (on the overdue list by that unit, on the task
list as "other lead units"), and a value the dropdown does not offer is ignored rather than
filtering under an "All" (DESIGN.md 7: a filter never reveals another unit's data)."""

import re
from datetime import date

import pytest

from app.extensions import db
from tests.overdue_data import build_rich


@pytest.fixture
def led_by_b(world, make):
    """Unit A's plan holds two tasks led by unit B (one overdue, one due soon)."""
    w = build_rich(world, make)
    w.t_b_over_in_a = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.deputy_b, title="Việc Sở B chủ trì",
                                due_on=date(2026, 6, 8))
    w.t_b_soon_in_a = make.legacy_task(w.plan, w.head, w.b, w.staff_b, w.head_b, title="Việc Sở B sắp đến hạn",
                                due_on=date(2026, 6, 17))
    return w


def select_of(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*id="{name}".*?</select>', html, re.DOTALL).group(0)


def selected(html: str, name: str) -> str:
    """The value of the chosen option of a dropdown ("" for "All")."""
    m = re.search(r'<option value="(\w*)"\s*selected', select_of(html, name))
    return m.group(1) if m else ""


def listed_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-task-id="(\d+)"', html)}


def result_count(html: str) -> int:
    return int(re.search(r'id="result-count">(\d+)', html).group(1))


def test_the_overdue_list_offers_every_lead_unit_it_shows(led_by_b, as_user):
    w = led_by_b
    c = as_user("head_a")
    html = c.get("/overdue").get_data(as_text=True)
    assert {w.t_b_over_in_a.id, w.t_b_soon_in_a.id} <= listed_ids(html)
    assert f'data-leader-id="{w.deputy_b.id}"' in html  # B's deputy answers for one of them
    units = select_of(html, "unit")
    for u in (w.a, w.a1, w.a1x, w.a2, w.b):
        assert f'<option value="{u.id}"' in units, u.name
    assert f'value="{w.province.id}"' not in units  # leads nothing here, and is not A's
    html = c.get(f"/overdue?unit={w.b.id}").get_data(as_text=True)
    assert listed_ids(html) == {w.t_b_over_in_a.id, w.t_b_soon_in_a.id}
    assert selected(html, "unit") == str(w.b.id)
    resp = c.get(f"/overdue.xlsx?unit={w.b.id}")
    assert resp.status_code == 200


def test_a_unit_the_overdue_list_does_not_offer_is_ignored(led_by_b, as_user):
    w = led_by_b
    c = as_user("head_a")
    everything = listed_ids(c.get("/overdue").get_data(as_text=True))
    html = c.get(f"/overdue?unit={w.province.id}").get_data(as_text=True)
    assert listed_ids(html) == everything and selected(html, "unit") == ""


def test_the_task_list_picks_out_tasks_led_elsewhere_and_without_a_lead_unit(led_by_b, as_user):
    w = led_by_b
    c = as_user("head_a")
    html = c.get("/tasks?unit=other").get_data(as_text=True)
    assert listed_ids(html) == {w.t_b_over_in_a.id, w.t_b_soon_in_a.id}
    assert selected(html, "unit") == "other"
    html = c.get("/tasks?unit=none").get_data(as_text=True)
    assert listed_ids(html) == {w.t_nolead.id} and selected(html, "unit") == "none"
    html = c.get("/tasks?leader=other").get_data(as_text=True)
    assert listed_ids(html) == {w.t_b_over_in_a.id, w.t_b_soon_in_a.id}
    assert selected(html, "leader") == "other"
    html = c.get("/tasks?field=none").get_data(as_text=True)
    assert selected(html, "field") == "none"
    assert listed_ids(html) == {w.task.id, w.task2.id, w.t_today.id, w.t_head_over.id, w.t_nolead.id,
                                w.t_b_over_in_a.id, w.t_b_soon_in_a.id}


def test_a_unit_the_task_list_does_not_offer_is_ignored(led_by_b, as_user):
    w = led_by_b
    # A staff member's dropdown offers their own unit: unit B (or the province) filters nothing.
    c = as_user("staff_a")
    everything = result_count(c.get("/tasks").get_data(as_text=True))
    for unit in (w.b, w.province, w.a1):
        html = c.get(f"/tasks?unit={unit.id}").get_data(as_text=True)
        assert result_count(html) == everything, unit.name
        assert selected(html, "unit") == ""
        assert f'value="{unit.id}"' not in select_of(html, "unit")
    html = c.get(f"/tasks?unit={w.a.id}").get_data(as_text=True)
    assert selected(html, "unit") == str(w.a.id)
    # The head of B cannot filter by A: the list stays B's own.
    c = as_user("head_b")
    everything = result_count(c.get("/tasks").get_data(as_text=True))
    html = c.get(f"/tasks?unit={w.a.id}").get_data(as_text=True)
    assert result_count(html) == everything and selected(html, "unit") == ""
    assert "Sở Nội vụ" not in select_of(html, "unit")


@pytest.mark.parametrize("who", ["assessor", "admin"])
def test_other_is_not_offered_to_those_who_read_every_unit(led_by_b, as_user, who):
    c = as_user(who)
    everything = result_count(c.get("/tasks").get_data(as_text=True))
    html = c.get("/tasks?unit=other&leader=other").get_data(as_text=True)
    assert result_count(html) == everything
    assert 'value="other"' not in select_of(html, "unit")
    assert selected(html, "unit") == "" and selected(html, "leader") == ""


def test_a_retired_unit_the_home_page_links_to_is_shown_selected(led_by_b, as_user):
    w = led_by_b
    w.a2.is_active = False
    db.session.commit()
    c = as_user("head_a")
    html = c.get("/").get_data(as_text=True)
    assert f'data-unit-id="{w.a2.id}"' in html  # it still leads tasks
    html = c.get(f"/tasks?unit={w.a2.id}").get_data(as_text=True)
    assert selected(html, "unit") == str(w.a2.id)
    assert listed_ids(html) == {w.t_today.id, w.t_late.id}
    assert f'value="{w.a2.id}"' not in select_of(c.get("/tasks").get_data(as_text=True), "unit")


@pytest.fixture
def two_years(world, make):
    """Unit A's 2026 plan (today is 15/06/2026) and its 2025 plan: one task completed in
    2025, one still open."""
    from app.domain.status import Lifecycle

    w = world
    w.plan_2025 = make.plan(w.a, year=2025)
    w.old_done = make.task(w.plan_2025, w.head, w.a, w.staff, w.deputy, title="Đã xong năm 2025",
                           due_on=date(2025, 6, 30), start_on=date(2025, 1, 10), steps=[])
    w.old_done.status, w.old_done.completed_on = Lifecycle.COMPLETED, date(2025, 6, 1)
    w.old_open = make.task(w.plan_2025, w.head, w.a, w.staff, w.deputy, title="Còn dở năm 2025",
                           due_on=date(2025, 11, 30), start_on=date(2025, 1, 10), steps=[])
    db.session.commit()
    return w


def test_the_task_list_filters_by_plan_year_with_or_without_the_unfinished_earlier_work(
        two_years, as_user):
    w = two_years
    c = as_user("head_a")
    this_year = {w.task.id, w.task2.id}
    html = c.get("/tasks?year=2026").get_data(as_text=True)
    assert listed_ids(html) == this_year and selected(html, "year") == "2026"
    assert 'id="carry" name="carry" value="1" >' in html  # not ticked
    html = c.get("/tasks?year=2026&carry=1").get_data(as_text=True)
    assert listed_ids(html) == this_year | {w.old_open.id}
    assert 'name="carry" value="1" checked' in html
    html = c.get("/tasks?year=2025").get_data(as_text=True)
    assert listed_ids(html) == {w.old_done.id, w.old_open.id}
    # The years of the reader's plans are offered, newest first.
    assert re.findall(r'<option value="(\d+)"', select_of(html, "year")) == ["2026", "2025"]


@pytest.mark.parametrize("query", ["year=abc", "year=1850", "year=2026x", "carry=1", "year=&carry=1"])
def test_a_year_the_list_cannot_hold_is_ignored(two_years, as_user, query):
    c = as_user("head_a")
    everything = listed_ids(c.get("/tasks").get_data(as_text=True))
    html = c.get(f"/tasks?{query}").get_data(as_text=True)
    assert listed_ids(html) == everything
    assert selected(html, "year") == ""
    assert 'name="carry" value="1" checked' not in html


def test_the_filter_form_kept_between_requests_shows_an_edit_on_the_next_one(world, make, as_user):
    """tasks.routes keeps each rendered filter form by everything it shows (issue 16): the
    same request gives the same form; a new plan, a renamed field or unit, and the reader's
    own choices show on the very next request, in either language."""
    from app.models import Field

    w = world
    client = as_user("head_a")
    first = client.get("/tasks?sort=title").get_data(as_text=True)
    assert select_of(client.get("/tasks?sort=title").get_data(as_text=True), "plan") == select_of(first, "plan")
    plan = make.plan(w.a, year=2027, title="Kế hoạch mới năm 2027")
    assert f'value="{plan.id}"' in select_of(client.get("/tasks?sort=title").get_data(as_text=True), "plan")
    w.a.name = "Sở Nội vụ (đổi tên)"
    db.session.add(Field(unit_id=w.a.id, name="Lĩnh vực mới", name_sort="linh vuc moi"))
    db.session.commit()
    html = client.get("/tasks?sort=title").get_data(as_text=True)
    assert "Sở Nội vụ (đổi tên)" in select_of(html, "unit")
    assert "Lĩnh vực mới" in select_of(html, "field")
    assert 'value="-due" selected' in select_of(client.get("/tasks?sort=-due").get_data(as_text=True), "sort")
    assert 'action="/tasks/mine"' not in html and 'href="/tasks"' in html  # the Clear link: this path
    assert 'href="/tasks/mine"' in client.get("/tasks/mine?sort=title").get_data(as_text=True).split(
        'role="search"', 1)[1].split("</form>", 1)[0]
    client.post("/language/en", data={"next": "/tasks"})
    assert "Search by title" in client.get("/tasks?sort=title").get_data(as_text=True)
