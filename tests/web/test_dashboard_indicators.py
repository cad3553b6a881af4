"""The home page shows the indicators' achievement (DESIGN.md 8, issue 13 point 2):
actual / target, or target / actual when less is better, capped at 100%, over the tasks of
the reader's scope fallen due — counted with the quality criteria's own SQL."""

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import update

from app.extensions import db
from app.models import Task
from tests.conftest import issue_world_plans

D = Decimal


def _indicators(w):
    """A's tasks: task 80 of 100 (80%), task2 "≤ 10" with 20 (lower is better: 50%); B's
    task_b 60 of 50 (capped: 100%). All fallen due by TODAY (15/06/2026)."""
    for t, target, actual, direction in ((w.task, 100, 80, "higher"), (w.task2, 10, 20, "lower"),
                                         (w.task_b, 50, 60, "higher")):
        db.session.execute(update(Task).where(Task.id == t.id).values(
            indicator_name="Chỉ tiêu", indicator_unit="%", indicator_target=D(target),
            indicator_actual=D(actual), indicator_direction=direction, due_on=date(2026, 5, 31)))
    db.session.commit()
    issue_world_plans(w)


def _card(html: str) -> dict:
    m = re.search(r'id="indicators" data-count="(\d+)" data-met="(\d+)" data-mean="([\d.]+)"', html)
    assert m, "no indicators card"
    lowest = [(int(t), D(a)) for t, a in re.findall(
        r'<li data-task-id="(\d+)" data-achievement="([\d.]+)"', html)]
    return {"count": int(m.group(1)), "met": int(m.group(2)), "mean": D(m.group(3)),
            "lowest": lowest}


def test_the_home_page_shows_the_achievement_of_the_indicators_in_scope(world, as_user):
    w = world
    _indicators(w)
    # The head of A: A's two indicators; mean (80 + 50) / 2; the furthest behind first.
    card = _card(as_user("head_a").get("/").get_data(as_text=True))
    assert card == {"count": 2, "met": 0, "mean": D("65.00"),
                    "lowest": [(w.task2.id, D("50.00")), (w.task.id, D("80.00"))]}
    # The assessor: the province; B's exceeded target counts 100%, no more.
    card = _card(as_user("assessor").get("/").get_data(as_text=True))
    assert card["count"] == 3 and card["met"] == 1 and card["mean"] == D("76.67")
    assert w.task_b.id not in [t for t, _a in card["lowest"]]
    # The head of B sees B's one, met in full.
    html = as_user("head_b").get("/").get_data(as_text=True)
    assert _card(html)["count"] == 1 and _card(html)["met"] == 1


def test_no_card_without_indicators(world, as_user):
    issue_world_plans(world)
    assert 'id="indicators"' not in as_user("head_a").get("/").get_data(as_text=True)
