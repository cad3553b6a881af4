"""The drill-downs show a sub-task's share of its parent's weight ("1 → 2") where the line's
figure counts another weight than the typed one (docs/integrity.md, "A breakdown shares its
parent's weight"), live and frozen; the working adds up to the figure's score."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update
from web_support import page

from app.extensions import db
from app.models import AssessmentRun, Task
from tests.conftest import issue_world_plans
from tests.services.test_counting import add
from tests.web.test_assessment import working

Q2 = "period=2026-Q2&as_of=15/06/2026"


@pytest.fixture
def shared(world):
    """Unit A's task 2 of weight 2 (deputy_a), broken into 2.1 (deputy_a, weight 1, done) and
    2.2 (head_a, weight 1, overdue): the unit shares 2 between them (1 + 1); deputy_a's
    figure gives 2.1 the parent's whole 2."""
    issue_world_plans(world)
    db.session.execute(update(Task).where(Task.id.in_([world.task.id, world.task2.id,
                                                        world.task_b.id]))
                       .values(due_on=date(2026, 7, 15), original_due_on=date(2026, 7, 15)))
    db.session.commit()
    parent = add(world, stt="2", weight=Decimal(2))
    world.done = add(world, stt="2.1", weight=Decimal(1), parent=parent, status="completed",
                     completed_on=date(2026, 5, 20))
    world.failed = add(world, stt="2.2", weight=Decimal(1), leader="head", parent=parent)
    return world


def shared_cell(doc, task_id):
    """The weight cell showing "typed → counted" of a task's line, or None."""
    row = doc.by_id("drill-tasks").find("tr", **{"data-task-id": str(task_id)})
    return next((td for td in row.find_all("td") if "data-shared-weight" in td.attrs), None)


def test_a_deputys_drill_down_shows_the_share_her_figure_counts(shared, as_user):
    w = shared
    c = as_user("assessor")
    doc = page(c.get(f"/assessment/leader/{w.deputy.id}?{Q2}"))
    d = working(doc)
    assert d.score == Decimal(100) and d.weight == Decimal(2)
    assert Decimal(d.tasks[w.done]["data-weight"]) == 2
    assert Decimal(d.tasks[w.done]["data-typed-weight"]) == 1
    shown = shared_cell(doc, w.done)
    assert shown is not None and shown.text().split() == ["1", "→", "2"]
    # The unit's drill-down counts 1 + 1: nothing to show.
    unit = page(c.get(f"/assessment/unit/{w.a.id}?{Q2}"))
    assert working(unit).score == Decimal(50) and working(unit).weight == Decimal(2)
    assert shared_cell(unit, w.done) is None
    # Frozen: the run keeps the shares.
    assert c.post("/assessment/freeze", data={"period": "2026-Q2", "as_of": "15/06/2026",
                                              "unit": ""}).status_code == 302
    run = db.session.scalar(db.select(AssessmentRun))
    frozen = page(c.get(f"/assessment/runs/{run.id}/leader/{w.deputy.id}"))
    assert working(frozen).score == Decimal(100)
    shown = shared_cell(frozen, w.done)
    assert shown is not None and shown.text().split() == ["1", "→", "2"]
