"""Coordinating units take part (issue 17 §2): the head of a coordinating unit and the people
that head names see the task (its page, the "Coordinating" tab of My tasks), are told when the
unit is added to an issued task or the plan is issued, and may add a note as coordinator — a
history row, never a progress report: nothing of the task (progress, status, dates, version,
so no score) moves. They cannot edit, report, submit or review it. Merging units rewrites the
coordinating links of open tasks."""

import json
import re
from datetime import date

from sqlalchemy import insert, select, update
from web_support import field_errors, page, root, task_form_data, tr

from app.extensions import db
from app.models import (
    AuditLog,
    Notification,
    Plan,
    Task,
    task_coordinator_contacts,
    task_coordinators,
)


def _issue(*plans):
    db.session.execute(update(Plan).where(Plan.id.in_([p.id for p in plans])).values(status="issued"))
    db.session.commit()


def _coordinate(task_id, *unit_ids):
    db.session.execute(insert(task_coordinators), [{"task_id": task_id, "unit_id": u} for u in unit_ids])
    db.session.commit()


def _task_row(task_id):
    db.session.rollback()
    row = db.session.execute(select(Task.progress, Task.status, Task.version, Task.updated_at,
                                    Task.due_on, Task.indicator_actual)
                             .where(Task.id == task_id)).one()
    db.session.rollback()
    return tuple(row)


def _notices(user_id, task_id, kind="coordinating"):
    db.session.rollback()
    n = db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.task_id == task_id, Notification.kind == kind))
    db.session.rollback()
    return n


def _listed(client, url):
    return {int(x) for x in re.findall(r'href="/tasks/(\d+)"', client.get(url).get_data(as_text=True))}


def test_coordinators_see_are_told_and_add_notes_but_change_nothing(sw):
    w = sw.w
    _issue(w.plan, w.plan_b)
    head_a, staff_a, deputy_a = sw.client("head_a"), sw.client("staff_a"), sw.client("deputy_a")
    assert head_a.get(f"/tasks/{w.task_b.id}").status_code == 404
    # B's head adds unit A as coordinating unit of B's task: A's head is told and sees it
    data = task_form_data(w.task_b.id) | {"coordinator_ids": [str(w.a.id)]}
    resp = sw.client("head_b").post(f"/tasks/{w.task_b.id}/edit", data=data)
    assert resp.status_code == 302, page(resp).text()[:600]
    assert _notices(w.head.id, w.task_b.id) == 1
    assert tr("Your unit coordinates a task: %(title)s", title=w.task_b.title) in page(
        head_a.get("/notifications")).text()
    view = page(head_a.get(f"/tasks/{w.task_b.id}"))
    assert view.by_id("coordination") is not None and view.by_id("coordinator-note-form") is not None
    assert w.task_b.id in _listed(head_a, "/tasks/mine?coord=1")
    assert w.task_b.id not in _listed(head_a, "/tasks/mine?status=all")  # not assigned to her
    # ... but cannot change it
    assert head_a.get(f"/tasks/{w.task_b.id}/edit").status_code == 403
    assert head_a.post(f"/tasks/{w.task_b.id}/progress", data={"percent": "90"}).status_code == 403
    assert head_a.post(f"/tasks/{w.task_b.id}/submit", data={"submit-note": "x"}).status_code in (403, 422)
    # staff_a and deputy_a see nothing until named
    assert staff_a.get(f"/tasks/{w.task_b.id}").status_code == 404
    assert deputy_a.get(f"/tasks/{w.task_b.id}").status_code == 404
    # naming someone of another unit is refused beside the field, nothing written
    url = f"/tasks/{w.task_b.id}/coordination/{w.a.id}/contacts"
    resp = head_a.post(url, data={f"u{w.a.id}-user_ids": str(w.staff_b.id)})
    assert resp.status_code == 422
    assert field_errors(page(resp), f"u{w.a.id}-user_ids") == [
        tr("Only active people of the coordinating unit can be named.")]
    resp = head_a.post(url, data={f"u{w.a.id}-user_ids": str(w.staff.id)})
    assert resp.status_code == 302
    assert _notices(w.staff.id, w.task_b.id) == 1
    assert staff_a.get(f"/tasks/{w.task_b.id}").status_code == 200
    assert _listed(staff_a, "/tasks/mine?coord=1&status=all") == {w.task_b.id}
    # a named person does not name others
    assert staff_a.post(url, data={f"u{w.a.id}-user_ids": str(w.staff2.id)}).status_code == 403
    # a note as coordinator: kept in the history as the coordinator's, nothing else moves
    before = _task_row(w.task_b.id)
    empty = staff_a.post(f"/tasks/{w.task_b.id}/coordinator-note", data={"note": "  "})
    assert empty.status_code == 422
    resp = staff_a.post(f"/tasks/{w.task_b.id}/coordinator-note",
                        data={"note": "Sở Nội vụ đã gửi số liệu biên chế; đề nghị hoàn thành 100%."})
    assert resp.status_code == 302
    assert _task_row(w.task_b.id) == before
    db.session.rollback()
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "task.coordinator_note",
                                                    AuditLog.task_id == w.task_b.id)).one()
    assert row.actor_id == w.staff.id and json.loads(row.changes) == {"for_units": [None, [w.a.id]]}
    db.session.rollback()
    history = page(sw.client("head_b").get(f"/tasks/{w.task_b.id}")).by_id("history-list").text()
    assert tr("added a note as coordinator") in history
    assert f"{tr('Coordinator')}: Sở Nội vụ" in history
    assert "đề nghị hoàn thành 100%" in history
    # the lead unit's own people are not coordinators: no note from them
    assert sw.client("staff_b").post(f"/tasks/{w.task_b.id}/coordinator-note",
                                     data={"note": "x"}).status_code == 403
    # A taken off the task: its head and its contact see it no more
    data = task_form_data(w.task_b.id) | {"coordinator_ids": []}
    assert sw.client("head_b").post(f"/tasks/{w.task_b.id}/edit", data=data).status_code == 302
    assert head_a.get(f"/tasks/{w.task_b.id}").status_code == 404
    assert staff_a.get(f"/tasks/{w.task_b.id}").status_code == 404


def test_issuing_a_plan_tells_the_coordinating_heads_and_named_people(sw):
    from app.models import User
    from app.plans import service as plans

    w = sw.w
    _coordinate(w.task_b.id, w.a.id)
    db.session.execute(insert(task_coordinator_contacts).values(
        task_id=w.task_b.id, unit_id=w.a.id, user_id=w.staff.id))
    db.session.commit()
    # a draft plan is quiet
    assert _notices(w.head.id, w.task_b.id) == 0
    plan = db.session.get(Plan, w.plan_b.id)
    _plan, unclear = plans.issue(plan, db.session.get(User, w.head_b.id).id)
    assert not unclear
    db.session.commit()
    assert _notices(w.head.id, w.task_b.id) == 1
    assert _notices(w.staff.id, w.task_b.id) == 1
    assert _notices(w.staff_b.id, w.task_b.id, "assigned") == 1
    assert _notices(w.head_b.id, w.task_b.id) == 0  # the one who issues it


def test_the_picker_is_searchable_served_locally_and_leaves_out_the_lead_unit(sw):
    w = sw.w
    c = sw.client("head_a")
    html = c.get(f"/tasks/{w.task.id}/edit").get_data(as_text=True)
    select_tag = re.search(r'<select[^>]*name="coordinator_ids"[^>]*>', html).group(0)
    assert 'data-search="1"' in select_tag and 'data-exclude-from="lead_unit_id"' in select_tag
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert "/static/vendor/tom-select/tom-select.complete.min.js" in scripts
    assert all(s.startswith("/") and not s.startswith("//") for s in scripts), scripts  # no CDN
    assert c.get("/static/vendor/tom-select/tom-select.complete.min.js").status_code == 200
    assert c.get("/static/js/searchable.js").status_code == 200
    # the server refuses the lead unit all the same
    data = task_form_data(w.task.id) | {"coordinator_ids": [str(w.a.id)]}
    resp = c.post(f"/tasks/{w.task.id}/edit", data=data)
    assert resp.status_code == 422
    assert field_errors(page(resp), "coordinator_ids") == [
        tr("The lead unit cannot also be a coordinating unit.")]


def test_merging_rewrites_the_coordinating_links_of_open_tasks(sw):
    """Merge A into B. task_b (led by B, coordinated by A): B would coordinate its own task,
    so the link goes. A task led by A1 coordinated by A and B: B once. A task led by A1
    coordinated by A with staff_a named: B, and staff_a stays its contact for B. task (led by
    A, coordinated by A1 and B): now led by B, so B leaves its coordinators. A completed task
    coordinated by A keeps A (history)."""
    w = sw.w
    make = root().Factory()
    make.n = 700
    both = make.task(w.plan_b, w.head_b, w.b, w.staff_b, w.head_b, title="Nhiệm vụ phối hợp hai sở")
    one = make.task(w.plan_b, w.head_b, w.b, w.staff_b, w.head_b, title="Nhiệm vụ phối hợp một sở")
    done = make.task(w.plan_b, w.head_b, w.b, w.staff_b, w.head_b, title="Nhiệm vụ đã xong")
    db.session.execute(update(Task).where(Task.id.in_([both.id, one.id, done.id]))
                       .values(lead_unit_id=w.a1.id))
    db.session.execute(update(Task).where(Task.id == done.id)
                       .values(status="completed", completed_on=date(2026, 5, 1), progress=100))
    db.session.execute(update(Plan).where(Plan.id == w.plan_b.id).values(kind="work"))
    db.session.commit()
    _coordinate(w.task_b.id, w.a.id)
    _coordinate(both.id, w.a.id, w.b.id)
    _coordinate(one.id, w.a.id)
    _coordinate(done.id, w.a.id)
    _coordinate(w.task.id, w.a1.id, w.b.id)
    db.session.execute(insert(task_coordinator_contacts), [
        {"task_id": one.id, "unit_id": w.a.id, "user_id": w.staff.id},
        {"task_id": w.task_b.id, "unit_id": w.a.id, "user_id": w.staff2.id}])
    db.session.commit()
    resp = sw.client("admin").post(f"/admin/units/{w.a.id}/merge",
                                   data={"target_id": str(w.b.id), "confirm": "y"})
    assert resp.status_code == 302, page(resp).text()[:800]
    db.session.rollback()
    links = {}
    for tid, uid in db.session.execute(select(task_coordinators.c.task_id, task_coordinators.c.unit_id)):
        links.setdefault(tid, set()).add(uid)
    contacts = set(db.session.execute(select(task_coordinator_contacts.c.task_id,
                                             task_coordinator_contacts.c.unit_id,
                                             task_coordinator_contacts.c.user_id)).all())
    changes = {o: json.loads(c) for o, c in db.session.execute(
        select(AuditLog.object_id, AuditLog.changes).where(AuditLog.action == "task.unit_merge"))}
    db.session.rollback()
    assert w.task_b.id not in links  # B leads it: no longer its own coordinator
    assert links[both.id] == {w.b.id}
    assert links[one.id] == {w.b.id}
    assert links[done.id] == {w.a.id}  # a completed task keeps its history
    assert links[w.task.id] == {w.a1.id}  # now led by B
    assert contacts == {(one.id, w.b.id, w.staff.id)}
    assert changes[w.task_b.id]["coordinators"] == [[w.a.id], []]
    assert changes[both.id]["coordinators"] == [sorted([w.a.id, w.b.id]), [w.b.id]]
    assert changes[one.id]["coordinators"] == [[w.a.id], [w.b.id]]
    assert changes[w.task.id]["coordinators"] == [sorted([w.a1.id, w.b.id]), [w.a1.id]]
    assert done.id not in changes
    # no task is coordinated by its own lead unit
    db.session.rollback()
    own = db.session.execute(select(Task.id).join(task_coordinators, task_coordinators.c.task_id == Task.id)
                             .where(task_coordinators.c.unit_id == Task.lead_unit_id)).all()
    db.session.rollback()
    assert own == []


def test_a_coordinated_task_is_read_not_counted_as_the_coordinating_units_work(sw):
    """The head of a coordinating unit reads the task and finds it in the "Phối hợp" tab, but
    her overdue list and home page count her unit's own work only: another unit's overdue
    task must not swell (nor, done, flatter) the coordinating unit's figures."""
    w = sw.w
    _issue(w.plan, w.plan_b)
    db.session.execute(update(Task).where(Task.id == w.task_b.id).values(
        due_on=date(2026, 1, 5), status="in_progress"))
    db.session.commit()
    head_a = sw.client("head_a")
    before_overdue = _listed(head_a, "/overdue")
    before_home = page(head_a.get("/")).text()
    _coordinate(w.task_b.id, w.a.id)
    assert head_a.get(f"/tasks/{w.task_b.id}").status_code == 200
    assert w.task_b.id in _listed(head_a, "/tasks/mine?coord=1")
    assert w.task_b.id in _listed(sw.client("head_b"), "/overdue")  # overdue for its own unit
    assert w.task_b.id not in _listed(head_a, "/overdue")
    assert _listed(head_a, "/overdue") == before_overdue
    assert page(head_a.get("/")).text() == before_home
