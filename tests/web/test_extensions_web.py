"""Extensions on the task page, the notifications page and the navbar bell, through the
test client. TODAY is 15/06/2026; world.task (staff_a responsible, deputy_a accountable) is
due 30/06/2026."""

from datetime import date

import pytest
from sqlalchemy import event, select
from web_support import field_errors, field_value, parse, row

from app.deadlines import extensions
from app.deadlines import sweep as overdue
from app.extensions import db
from app.models import Extension, Notification, Task, User
from app.settings import current_settings
from tests.conftest import issue_world_plans

REASON = "Chờ ý kiến góp ý của các sở, ngành"


def english(c):
    c.post("/language/en", data={"next": "/"})
    return c


def page(c, url):
    resp = c.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    return parse(resp.get_data(as_text=True))


def form(doc, form_id):
    node = doc.by_id(form_id)
    assert node is not None, f"no form #{form_id}"
    return node


@pytest.fixture
def issued(world):
    """The world's plans issued, quietly (no "assigned" notices): an extension is asked on
    an issued plan's task (a draft's have nothing due: test_extension_draft_plan.py)."""
    issue_world_plans(world)
    return world


def ask(w, proposed=date(2026, 7, 31)):
    issue_world_plans(w)  # quietly, if not yet: nothing is extended on a draft
    ext = extensions.request_extension(db.session.get(User, w.staff.id), w.task.id, proposed, REASON,
                                       date(2026, 6, 15), max_extensions=current_settings().max_extensions)
    db.session.commit()
    return ext.id


def ext_url(w):
    return f"/tasks/{w.task.id}/extensions"


# ---- asking -------------------------------------------------------------------------

@pytest.mark.usefixtures("issued")
def test_the_responsible_person_asks_and_the_request_is_shown(world, as_user):
    c = as_user("staff_a")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("extension-form") is not None
    resp = c.post(ext_url(world), data={"proposed_due_on": "31/07/2026", "reason": REASON})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/tasks/{world.task.id}#extensions")
    ext = db.session.scalars(select(Extension)).one()
    assert (ext.proposed_due_on, ext.previous_due_on, ext.status) == (
        date(2026, 7, 31), date(2026, 6, 30), "pending")
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("extension-form") is None          # one request at a time
    assert doc.by_id("decision-form") is None           # the requester does not decide
    history = doc.by_id("extension-history")
    [tr] = history.find_all("tr", **{"data-status": "pending"})
    assert "30/06/2026 → 31/07/2026" in tr.text() and REASON in tr.text()


@pytest.mark.parametrize("who", ["deputy_a", "head_a", "staff_a2", "admin"])
def test_others_see_no_request_form(world, as_user, who):
    doc = page(as_user(who), f"/tasks/{world.task.id}")
    assert doc.by_id("extension-form") is None


@pytest.mark.usefixtures("issued")
@pytest.mark.parametrize("data, name, words", [
    ({"proposed_due_on": "31/13/2026", "reason": "Lý do đã gõ"}, "proposed_due_on",
     "is not a valid date"),
    ({"proposed_due_on": "", "reason": "Lý do đã gõ"}, "proposed_due_on",
     "Enter the proposed due date"),
    ({"proposed_due_on": "20/06/2026", "reason": "Lý do đã gõ"}, "proposed_due_on",
     "after the current due date (30/06/2026)"),
    ({"proposed_due_on": "10/06/2026", "reason": "Lý do đã gõ"}, "proposed_due_on",
     "cannot be before today"),
    ({"proposed_due_on": "01/01/2028", "reason": "Lý do đã gõ"}, "proposed_due_on",
     "at most to 31/12/2027"),
    ({"proposed_due_on": "31/07/2026", "reason": "   "}, "reason",
     "Give the reason for the extension"),
])
def test_bad_input_is_shown_beside_the_field_and_what_was_typed_is_kept(world, as_user, data,
                                                                        name, words):
    c = english(as_user("staff_a"))
    resp = c.post(ext_url(world), data=data)
    assert resp.status_code == 422
    f = form(parse(resp.get_data(as_text=True)), "extension-form")
    errors = field_errors(f, name)
    assert any(words in e for e in errors), errors
    assert field_value(f, "proposed_due_on") == data["proposed_due_on"]
    assert field_value(f, "reason").strip() == data["reason"].strip()
    assert db.session.scalar(select(Extension.id)) is None


@pytest.mark.usefixtures("issued")
def test_after_the_due_date_the_page_says_why_and_a_request_is_refused(app, world, as_user):
    app.config["TODAY"] = date(2026, 7, 1)
    c = english(as_user("staff_a"))
    doc = page(c, f"/tasks/{world.task.id}")
    assert doc.by_id("extension-form") is None
    assert "already overdue" in doc.by_id("extension-blocker").text()
    resp = c.post(ext_url(world), data={"proposed_due_on": "31/07/2026", "reason": REASON})
    assert resp.status_code == 422
    assert "already overdue" in parse(resp.get_data(as_text=True)).by_id("extension-blocker").text()
    assert db.session.scalar(select(Extension.id)) is None


def test_a_second_request_while_one_waits_is_refused(world, as_user):
    ask(world)
    c = english(as_user("staff_a"))
    resp = c.post(ext_url(world), data={"proposed_due_on": "31/08/2026", "reason": REASON})
    assert resp.status_code == 422
    assert "awaiting a decision" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(Extension)).all()) == 1


# ---- deciding -----------------------------------------------------------------------

def test_the_leader_approves_and_the_due_date_moves_with_the_original_shown(world, as_user):
    ext_id = ask(world)
    c = english(as_user("deputy_a"))
    doc = page(c, f"/tasks/{world.task.id}")
    assert "31/07/2026" in doc.by_id("pending-extension").text()
    action = form(doc, "decision-form").attrs["action"]
    assert action == f"/tasks/{world.task.id}/extensions/{ext_id}/decision"
    resp = c.post(action, data={"decision": "approve", "comment": "Đồng ý"})
    assert resp.status_code == 302
    t = row(Task, world.task.id)
    assert (t["due_on"], t["original_due_on"], t["extension_count"]) == (
        date(2026, 7, 31), date(2026, 6, 30), 1)
    doc = page(c, f"/tasks/{world.task.id}")
    assert "originally 30/06/2026" in doc.text()
    assert doc.find("tr", **{"data-status": "approved"}) is not None
    history = doc.by_id("history-list").text()
    assert "approved a deadline extension" in history
    assert "Due date: 30/06/2026 → 31/07/2026" in history
    assert "requested a deadline extension" in history
    assert "Proposed due date: 30/06/2026 → 31/07/2026" in history


def test_the_head_refuses_with_a_comment(world, as_user):
    ext_id = ask(world)
    c = as_user("head_a")
    resp = c.post(f"/tasks/{world.task.id}/extensions/{ext_id}/decision",
                  data={"decision": "refuse", "comment": "Đề nghị hoàn thành đúng hạn"})
    assert resp.status_code == 302
    assert row(Extension, ext_id)["status"] == "refused"
    assert row(Task, world.task.id)["due_on"] == date(2026, 6, 30)
    doc = page(c, f"/tasks/{world.task.id}")
    assert "Đề nghị hoàn thành đúng hạn" in doc.find("tr", **{"data-status": "refused"}).text()


def test_refusing_without_a_comment_shows_the_message_beside_the_comment(world, as_user):
    ext_id = ask(world)
    c = english(as_user("deputy_a"))
    resp = c.post(f"/tasks/{world.task.id}/extensions/{ext_id}/decision",
                  data={"decision": "refuse", "comment": "  "})
    assert resp.status_code == 422
    f = form(parse(resp.get_data(as_text=True)), "decision-form")
    assert any("Say why the extension is refused" in e for e in field_errors(f, "comment"))
    assert row(Extension, ext_id)["status"] == "pending"


def test_a_decision_without_approve_or_refuse_is_refused(world, as_user):
    ext_id = ask(world)
    c = as_user("deputy_a")
    resp = c.post(f"/tasks/{world.task.id}/extensions/{ext_id}/decision",
                  data={"decision": "maybe", "comment": "Nội dung đã gõ"})
    assert resp.status_code == 422
    f = form(parse(resp.get_data(as_text=True)), "decision-form")
    assert field_value(f, "comment").strip() == "Nội dung đã gõ"
    assert row(Extension, ext_id)["status"] == "pending"


def test_deciding_twice_is_refused_without_a_change(world, as_user):
    ext_id = ask(world)
    c = as_user("deputy_a")
    url = f"/tasks/{world.task.id}/extensions/{ext_id}/decision"
    assert c.post(url, data={"decision": "approve"}).status_code == 302
    assert c.post(url, data={"decision": "refuse", "comment": "Không"}).status_code == 422
    assert row(Extension, ext_id)["status"] == "approved"


def test_a_request_named_under_another_task_is_not_found(world, as_user):
    ext_id = ask(world)
    c = as_user("head_a")
    resp = c.post(f"/tasks/{world.task2.id}/extensions/{ext_id}/decision",
                  data={"decision": "approve"})
    assert resp.status_code == 404
    assert row(Extension, ext_id)["status"] == "pending"


# ---- notifications and the bell ------------------------------------------------------

def issue(world) -> None:
    """Issue the world's plans: the "assigned" notices go out then (a draft is quiet)."""
    from app.plans import service as plans

    plans.issue_plan(db.session.get(User, world.head.id), world.plan.id)
    plans.issue_plan(db.session.get(User, world.head_b.id), world.plan_b.id)
    db.session.commit()


def bell(doc):
    badge = doc.by_id("notification-bell").find(cls="badge")
    return int(badge.attrs["data-unread-count"]) if badge is not None else 0


def test_the_bell_counts_unread_notifications(world, as_user):
    c = as_user("staff_a")
    assert bell(page(c, "/")) == 0                       # a draft plan is quiet
    issue(world)
    assert bell(page(c, "/")) == 1                       # assigned to world.task
    ask(world)
    extensions.decide_extension(db.session.get(User, world.deputy.id),
                                db.session.scalar(select(Extension.id)), True, "")
    db.session.commit()
    assert bell(page(c, "/")) == 2
    assert bell(page(as_user("deputy_a"), "/")) == 1     # the request
    assert bell(page(as_user("admin"), "/")) == 0


def test_the_bell_costs_one_count_query_and_nothing_for_visitors(app, world, as_user):
    seen = []

    def spy(conn, cursor, statement, *args):
        if "notifications" in statement.lower():
            seen.append(statement)

    c = as_user("staff_a")
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        page(c, f"/tasks/{world.task.id}")
        assert len(seen) == 1 and "count(" in seen[0].lower()
        seen.clear()
        c.post("/logout")
        seen.clear()
        assert c.get("/login").status_code == 200
        assert seen == []
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)


def test_the_notifications_page_lists_newest_first_with_links_to_the_task(world, as_user):
    ask(world)
    c = english(as_user("head_a"))
    doc = page(c, "/notifications")
    items = doc.by_id("notification-list").find_all("li")
    assert [i.attrs["data-kind"] for i in items] == ["extension_requested"]
    [item] = items
    assert item.attrs["data-unread"] == "1" and "list-group-item-warning" in item.classes
    # Unread, it opens through a form that marks it read (tests/web/test_notifications_read.py).
    link = item.find("form")
    assert link.attrs["action"] == f"/notifications/{item.attrs['data-notification']}/open"
    assert "Extension requested to 31/07/2026" in link.text()


def test_marking_one_read_and_all_read(world, as_user, make):
    issue(world)
    make.task(world.plan, world.head, world.a, world.staff, world.deputy, title="Nhiệm vụ thứ hai")
    c = as_user("staff_a")
    doc = page(c, "/notifications")
    items = doc.by_id("notification-list").find_all("li")
    assert [i.attrs["data-unread"] for i in items] == ["1", "1"]
    first = items[0].attrs["data-notification"]
    resp = c.post(f"/notifications/{first}/read", data={"page": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifications")
    doc = page(c, "/notifications")
    assert [i.attrs["data-unread"] for i in doc.by_id("notification-list").find_all("li")] == ["0", "1"]
    assert bell(doc) == 1
    assert c.post(f"/notifications/{first}/read").status_code == 302  # again: no harm
    assert c.post("/notifications/read-all").status_code == 302
    doc = page(c, "/notifications")
    assert bell(doc) == 0 and doc.by_id("read-all-form") is None
    assert all(row(Notification, int(i.attrs["data-notification"]))["read_at"] is not None
               for i in doc.by_id("notification-list").find_all("li"))


def test_someone_elses_notification_cannot_be_marked(world, as_user):
    issue(world)
    other = db.session.scalar(select(Notification.id).where(Notification.user_id == world.staff2.id))
    c = as_user("staff_a")
    assert c.post(f"/notifications/{other}/read").status_code == 404
    assert c.post("/notifications/999999/read").status_code == 404
    assert row(Notification, other)["read_at"] is None


def test_the_list_is_paginated(world, as_user):
    issue(world)
    for i in range(60):
        overdue.notify([world.staff.id], "due_soon", world.task.id, f"test:{i}",
                       about_on=date(2026, 6, 30), days=i % 8)
    db.session.commit()
    c = as_user("staff_a")
    one = page(c, "/notifications").by_id("notification-list").find_all("li")
    two = page(c, "/notifications?page=2").by_id("notification-list").find_all("li")
    assert len(one) == 50 and len(two) == 11
    ids = [int(i.attrs["data-notification"]) for i in one + two]
    assert ids == sorted(ids, reverse=True)
    assert two[-1].attrs["data-kind"] == "assigned"       # the oldest, last
    assert page(c, "/notifications?page=abc").by_id("notification-list") is not None


def test_the_email_digest_setting(world, as_user):
    c = english(as_user("staff_a"))
    doc = page(c, "/notifications")
    assert "one email per notification" in doc.by_id("digest-setting").text()
    assert "checked" not in form(doc, "settings-form").find("input", name="email_digest").attrs
    assert c.post("/notifications/settings", data={"email_digest": "y"}).status_code == 302
    assert row(User, world.staff.id)["email_digest"] is True
    doc = page(c, "/notifications")
    assert "one email a day" in doc.by_id("digest-setting").text()
    assert "checked" in form(doc, "settings-form").find("input", name="email_digest").attrs
    assert c.post("/notifications/settings", data={}).status_code == 302
    assert row(User, world.staff.id)["email_digest"] is False


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    for method, url in (("get", "/notifications"), ("post", "/notifications/1/read"),
                        ("post", "/notifications/read-all"), ("post", "/notifications/settings"),
                        ("post", f"/tasks/{world.task.id}/extensions"),
                        ("post", f"/tasks/{world.task.id}/extensions/1/decision")):
        resp = getattr(client, method)(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
