"""The home page lists the extension requests awaiting the reader's decision, and freezing
an assessment asks first (a form inside a closed <details>: no JavaScript needed)."""

from datetime import date

from sqlalchemy import func, select
from web_support import parse

from app.deadlines import extensions
from app.extensions import db
from app.models import AssessmentRun, User
from app.settings import current_settings
from tests.conftest import issue_world_plans


def ask(w, task, who):
    issue_world_plans(w)  # quietly, if not yet: a draft's tasks have nothing due to extend
    ext = extensions.request_extension(db.session.get(User, who.id), task.id, date(2026, 7, 31),
                                       "Chờ ý kiến các sở", date(2026, 6, 15), max_extensions=current_settings().max_extensions)
    db.session.commit()
    return ext


def block(c):
    doc = parse(c.get("/").get_data(as_text=True))
    return doc.by_id("extensions-waiting")


def test_leaders_see_the_requests_awaiting_their_decision_with_links(world, as_user, make):
    w = world
    mine = ask(w, w.task, w.staff)          # world.task: deputy_a accountable
    heads = ask(w, w.task2, w.staff2)       # world.task2: head_a accountable
    theirs = ask(w, w.task_b, w.staff_b)    # unit B's
    found = block(as_user("deputy_a"))
    assert found is not None
    rows = [li for li in found.find_all("li") if "data-extension-id" in li.attrs]
    assert [int(li.attrs["data-extension-id"]) for li in rows] == [mine.id]
    assert rows[0].find("a").attrs["href"] == f"/tasks/{w.task.id}#extensions"
    assert "31/07/2026" in rows[0].text() and "30/06/2026" in rows[0].text()
    # The head decides for the whole unit: both of unit A's, never B's.
    rows = [li for li in block(as_user("head_a")).find_all("li") if "data-extension-id" in li.attrs]
    assert {int(li.attrs["data-extension-id"]) for li in rows} == {mine.id, heads.id}
    rows = [li for li in block(as_user("head_b")).find_all("li") if "data-extension-id" in li.attrs]
    assert [int(li.attrs["data-extension-id"]) for li in rows] == [theirs.id]
    # Staff ask, they do not decide; once decided, a request leaves the block.
    assert block(as_user("staff_a")) is None
    extensions.decide_extension(db.session.get(User, w.deputy.id), mine.id, True, "")
    db.session.commit()
    assert block(as_user("deputy_a")) is None


def test_freezing_asks_before_it_freezes(world, as_user):
    c = as_user("assessor")
    doc = parse(c.get("/assessment?period=2026-Q2&as_of=15/06/2026").get_data(as_text=True))
    details = doc.by_id("freeze-confirm")
    assert details is not None and details.tag == "details" and "open" not in details.attrs
    form = details.find("form")
    assert form.attrs["id"] == "freeze-form" and form.attrs["method"] == "post"
    assert form.find("button").attrs["id"] == "freeze-button"
    assert "15/06/2026" in form.text()
    # Opening the question writes nothing: no run until the form is sent.
    assert db.session.scalar(select(func.count(AssessmentRun.id))) == 0
