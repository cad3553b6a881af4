"""The days badge (overdue / due today / days left) is written once: the home page's macro
(dashboard/_parts.html: days_badge) and the overdue list's rows (dashboard.routes.row_texts)
write the same bytes, in either language."""

import re

import pytest
from flask import get_template_attribute, session
from flask_babel import refresh

from app.filters import days_badge
from tests.overdue_data import build_rich

CASES = [
    # (days, overdue, due_soon_days, vi, en)
    (1, True, 3,
     '\n<span class="badge text-bg-danger text-nowrap" data-days-overdue="1">Quá hạn 1 ngày</span>\n',
     '\n<span class="badge text-bg-danger text-nowrap" data-days-overdue="1">1 day overdue</span>\n'),
    (30, True, 3,
     '\n<span class="badge text-bg-danger text-nowrap" data-days-overdue="30">Quá hạn 30 ngày</span>\n',
     '\n<span class="badge text-bg-danger text-nowrap" data-days-overdue="30">30 days overdue</span>\n'),
    (0, False, 3,
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="0">Đến hạn hôm nay</span>\n',
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="0">Due today</span>\n'),
    (1, False, 3,
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="1">Còn 1 ngày</span>\n',
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="1">1 day left</span>\n'),
    (3, False, 3,
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="3">Còn 3 ngày</span>\n',
     '\n<span class="badge text-bg-warning text-nowrap" data-days-left="3">3 days left</span>\n'),
    (4, False, 3,
     '\n<span class="badge text-bg-light border text-nowrap" data-days-left="4">Còn 4 ngày</span>\n',
     '\n<span class="badge text-bg-light border text-nowrap" data-days-left="4">4 days left</span>\n'),
]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(("days", "overdue", "soon", "vi", "en"), CASES)
def test_the_macro_and_the_function_write_the_same_badge(app, lang, days, overdue, soon, vi, en):
    with app.test_request_context("/"):
        session["lang"] = lang
        refresh()
        macro = get_template_attribute("dashboard/_parts.html", "days_badge")
        expected = vi if lang == "vi" else en
        assert str(macro(days, overdue, soon)) == expected
        assert str(days_badge(days, overdue, soon)) == expected


BADGE = re.compile(r'<li[^>]*data-task-id="(\d+)"[^>]*>.*?(\n<span class="badge[^>]*>[^<]*</span>\n)\s*</li>',
                   re.DOTALL)


def test_the_home_page_and_the_overdue_list_show_the_same_badge_for_a_task(world, make, as_user):
    build_rich(world, make)
    client = as_user("head_a")
    for _lang in ("vi", "en"):
        home = dict(BADGE.findall(client.get("/").get_data(as_text=True)))
        listed = dict(BADGE.findall(client.get("/overdue").get_data(as_text=True)))
        shared = home.keys() & listed.keys()
        assert len(shared) >= 5
        assert {k: home[k] for k in shared} == {k: listed[k] for k in shared}
        client.post("/language/en", data={"next": "/"})
